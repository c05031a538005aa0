from __future__ import annotations

import itertools
import math

import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.models import Batch, build_model
from dul_models.models.masked_convs import MaskedConv2d
from dul_models.train.trainer import TrainConfig, Trainer

VARIANTS = ("plain", "gated")


def tiny(variant: str, shape=(1, 8, 8), **overrides):
    config = {"variant": variant, "image_shape": shape, "channels": 8, "layers": 3, "kernel_size": 3}
    return build_model("pixelcnn", {**config, **overrides}, seed=0)


def gradient_map(model, pixel: tuple[int, int], shape=(8, 8)) -> torch.Tensor:
    """|∂ logits(pixel) / ∂ input| on a continuous random input (no dead units from binary inputs)."""
    x_in = torch.rand(1, 1, *shape, generator=torch.Generator().manual_seed(1), requires_grad=True)
    model.logits(x_in)[0, :, pixel[0], pixel[1]].sum().backward()
    return x_in.grad[0, 0].abs()


def test_masks_of_type_a_and_b():
    a = MaskedConv2d("A", 1, 1, 3).mask[0, 0]
    b = MaskedConv2d("B", 1, 1, 3).mask[0, 0]
    assert a.tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    assert b.tolist() == [[1, 1, 1], [1, 1, 0], [0, 0, 0]]


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_pixel_sees_itself_or_the_future(variant):
    model = tiny(variant)
    order = torch.arange(64).reshape(8, 8)
    for pixel in [(0, 0), (0, 5), (3, 3), (5, 0), (7, 7)]:
        grad = gradient_map(model, pixel)
        assert float(grad[order >= pixel[0] * 8 + pixel[1]].max()) == 0.0, pixel


def test_plain_has_a_blind_spot_that_gated_removes():
    plain_grad = gradient_map(tiny("plain"), (5, 2))
    gated_grad = gradient_map(tiny("gated"), (5, 2))
    earlier = torch.arange(64).reshape(8, 8) < 5 * 8 + 2
    assert plain_grad[4, 6] == 0  # above and to the right: never reached by masked convolutions
    assert bool((gated_grad[earlier] > 0).all())  # the gated stacks see every earlier pixel
    # the library function gives the same picture on a real (binarised) image
    assert tiny("gated").receptive_field(torch.rand(1, 8, 8), (5, 2)).shape == (8, 8)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("levels", [2, 3])
def test_probabilities_of_all_images_sum_to_one(variant, levels):
    """Exact likelihood: summing p(x) over every possible 2×3 image gives 1."""
    model = tiny(variant, shape=(1, 2, 3), levels=levels, first_kernel_size=3)
    values = torch.tensor(list(itertools.product(range(levels), repeat=6)), dtype=torch.float32)
    images = (values / (levels - 1)).reshape(-1, 1, 2, 3)  # every image, as floats in [0, 1]
    images = images.clamp(0, 1) * (1 - 1e-6)  # keep the top level inside its quantisation bin
    with torch.no_grad():
        total = model.log_prob(images).exp().sum()
    assert float(total) == pytest.approx(1.0, abs=1e-4)


def test_loss_is_summed_bce_per_image():
    model = tiny("gated")
    x = torch.rand(4, 1, 8, 8)
    loss, metrics = model.loss(Batch(x=x, y=torch.zeros(4, dtype=torch.long)))
    target = (x > 0.5).float()
    p = torch.sigmoid(model.logits(target))
    naive = -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).sum() / 4
    assert loss.item() == pytest.approx(naive.item(), rel=1e-4)
    assert metrics["bits_per_dim"] == pytest.approx(loss.item() / (64 * math.log(2)), rel=1e-6)
    assert model.pixel_nll(x).shape == (4, 8, 8)
    assert model.log_prob(x).shape == (4,)


@pytest.mark.parametrize("variant", VARIANTS)
def test_row_cache_matches_a_full_pass(variant):
    model = tiny(variant, shape=(1, 10, 10), levels=4)
    q = torch.randint(0, 4, (2, 1, 10, 10))
    full = model.logits(model.dequantise(q))
    with torch.no_grad():
        for row in range(10):
            logits_at = model._row_logits(q, row)
            for col in range(10):
                assert torch.allclose(logits_at(col), full[:, :, row, col], atol=1e-5)


@pytest.mark.parametrize("variant", VARIANTS)
def test_sample_and_complete(variant):
    model = tiny(variant)
    calls = []
    images = model.sample(
        3,
        generator=torch.Generator().manual_seed(0),
        temperature=0.8,
        callback=lambda done, x: calls.append((done, x)),
    )
    assert images.shape == (3, 1, 8, 8) and set(images.unique().tolist()) <= {0.0, 1.0}
    assert [done for done, _ in calls] == [8 * r for r in range(1, 9)]
    assert float(calls[0][1][:, :, 1:].min()) == 0.5  # rows not yet sampled are shown grey
    again = model.sample(3, generator=torch.Generator().manual_seed(0), temperature=0.8)
    assert torch.equal(images, again)  # the generator makes sampling reproducible
    start = torch.rand(1, 1, 8, 8)
    completed = model.sample(4, generator=torch.Generator().manual_seed(1), start=start, rows_known=5)
    assert torch.equal(completed[:, :, :5], (start[:, :, :5] > 0.5).float().expand(4, 1, 5, 8))


def test_evaluate_names_the_binarisation():
    x, y = torch.rand(6, 1, 8, 8), torch.zeros(6, dtype=torch.long)
    metrics = tiny("plain").evaluate(x, y)
    assert metrics["binarisation"] == "threshold 0.5"
    assert metrics["bits_per_dim"] == pytest.approx(metrics["nll_nats"] / (64 * math.log(2)))
    assert tiny("plain", levels=4).evaluate(x, y)["binarisation"] == "4 uniform grey levels"
    with pytest.raises(ConfigError, match="unknown evaluation option"):
        tiny("plain").evaluate(x, y, samples=3)


def test_preview_is_images_then_nll_maps():
    images, nrow = tiny("gated").preview(torch.rand(5, 1, 8, 8))
    assert images.shape == (10, 1, 8, 8) and nrow == 5
    assert float(images.min()) >= 0 and float(images.max()) <= 1


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"variant": "lstm"}, "plain, gated"),
        ({"image_shape": (3, 8, 8)}, "single-channel"),
        ({"kernel_size": 4}, "odd"),
        ({"first_kernel_size": 1}, "odd"),
        ({"levels": 1}, "levels"),
        ({"channels": 0}, "channels"),
    ],
)
def test_config_rejections(overrides, message):
    with pytest.raises(ConfigError, match=message):
        build_model("pixelcnn", {"image_shape": (1, 8, 8), **overrides})


def test_bad_verb_arguments_are_rejected():
    model = tiny("plain")
    with pytest.raises(ConfigError, match="temperature"):
        model.sample(1, temperature=0.0)
    with pytest.raises(ConfigError, match="rows_known"):
        model.sample(1, rows_known=9, start=torch.rand(1, 1, 8, 8))
    with pytest.raises(ConfigError, match="start image"):
        model.sample(1, rows_known=2)
    with pytest.raises(ConfigError, match="inside"):
        model.receptive_field(torch.rand(1, 8, 8), (8, 0))


@pytest.mark.slow
def test_learns_digits_past_a_pixel_independent_model(digits):
    """A few hundred steps must beat independent per-pixel Bernoullis fitted to the training split."""
    model = build_model(
        "pixelcnn",
        {"variant": "gated", "channels": 16, "layers": 2, "image_shape": digits.image_shape},
        seed=0,
    )
    train = TrainConfig(steps=300, batch_size=32, eval_every=1000, preview_every=1000, full_final_eval=False)
    metrics = Trainer(model, digits, train).fit()
    on = (to_float(digits.train.x) > 0.5).float().mean(0).clamp(1e-3, 1 - 1e-3)  # (1, 8, 8)
    test = (to_float(digits.test.x) > 0.5).float()
    independent = -(test * on.log() + (1 - test) * (1 - on).log()).flatten(1).sum(1).mean()
    assert metrics["nll_nats"] < 0.9 * float(independent), (metrics, float(independent))
