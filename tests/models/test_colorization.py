from __future__ import annotations

import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import get_dataset, to_float
from dul_models.models import Batch, build_model
from dul_models.models.colorization import Colorization, luminance, rgb_to_ycbcr, ycbcr_to_rgb

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/models/conftest.py


@pytest.fixture(scope="module")
def photos():
    return get_dataset("photos")


def tiny(image_shape=(3, 32, 32), **overrides) -> Colorization:
    return build_model(
        "colorization", {**Colorization.tiny_config, "image_shape": image_shape, **overrides}, seed=0
    )


def test_ycbcr_round_trip_and_grey_has_no_chroma():
    rgb = torch.rand(4, 3, 6, 6)
    y, chroma = rgb_to_ycbcr(rgb)
    assert y.shape == (4, 1, 6, 6) and chroma.shape == (4, 2, 6, 6)
    assert torch.allclose(ycbcr_to_rgb(y, chroma), rgb, atol=1e-6)
    assert float(chroma.abs().max()) <= 0.5 + 1e-6
    assert torch.allclose(
        y[0, 0, 0, 0], 0.299 * rgb[0, 0, 0, 0] + 0.587 * rgb[0, 1, 0, 0] + 0.114 * rgb[0, 2, 0, 0]
    )
    grey = torch.rand(2, 1, 5, 5).expand(2, 3, 5, 5)
    assert float(rgb_to_ycbcr(grey)[1].abs().max()) < 1e-6


def test_grey_datasets_are_refused(digits):
    with pytest.raises(ConfigError, match="needs a colour dataset such as photos or cifar10"):
        tiny(image_shape=(1, 28, 28))
    model = tiny()
    with pytest.raises(ConfigError, match="colour dataset such as photos or cifar10; digits has 1 channel$"):
        model.prepare(digits)
    with pytest.raises(ConfigError, match="divisible by 4"):
        tiny(image_shape=(3, 30, 30))


def test_the_backbone_sees_grey_only():
    model = tiny()
    assert model.backbone.trunk[0].in_channels == 1
    x = torch.rand(3, 3, 32, 32)
    assert torch.equal(model.backbone_input(x), luminance(x))
    assert model.predict_chroma(x).shape == (3, 2, 32, 32)
    assert model.embed(x).shape == (3, model.backbone.feature_dim)


def test_colorize_and_metrics(photos):
    model = tiny().eval()
    x = to_float(photos.test.x[:5])
    out = model.colorize(x)
    assert all(out[key].shape == (5, 3, 32, 32) for key in ("grey", "predicted", "original"))
    assert torch.equal(out["grey"][:, 0], out["grey"][:, 2]) and torch.equal(out["original"], x)
    assert 0.0 <= float(out["predicted"].min()) <= float(out["predicted"].max()) <= 1.0
    metrics = model.task_metrics(x, photos.test.y[:5])
    grey = luminance(x).expand_as(x)
    assert metrics["grey_baseline_mse"] == pytest.approx(float((grey - x).pow(2).mean()), rel=1e-5)
    images, nrow = model.preview(x)
    assert images.shape == (15, 3, 32, 32) and nrow == 5


def test_learns_on_a_small_subset(photos):
    torch.manual_seed(0)
    model = tiny(width=8, flip=False).train()
    x, y = to_float(photos.train.x[:64]), photos.train.y[:64]
    optimizers = model.make_optimizers()
    losses = [model.train_step(Batch(x=x, y=y), optimizers, None)["loss"] for _ in range(40)]
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5
