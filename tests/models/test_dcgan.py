from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.features.sample_quality import SampleScorer, class_histogram
from dul_models.metrics.samples import feature_statistics, frechet_distance
from dul_models.models import Batch, build_model
from dul_models.models.dcgan import DCGAN, DCGANConfig
from dul_models.runs import checkpoints
from dul_models.train.evaluators import build_evaluators
from dul_models.train.trainer import TrainConfig, Trainer

TINY = {"base_channels": 4, "latent_dim": 8}


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/models/conftest.py


@pytest.fixture(scope="module")
def digits_classifier(digits):
    """A classifier run for `digits` in the test's user runs folder, so DCGAN.prepare finds one."""
    model = build_model("classifier", {"image_shape": digits.image_shape, "max_shift": 1}, seed=0)
    run_dir = checkpoints.new_run_dir("classifier", "digits")
    Trainer(model, digits, TrainConfig(steps=150, batch_size=64, eval_every=10**6), run_dir=run_dir).fit()
    return run_dir


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 8, 8)])
@pytest.mark.parametrize("num_classes, upsampling", [(0, "transposed"), (10, "transposed"), (0, "nearest")])
def test_shapes(shape, num_classes, upsampling):
    config = DCGANConfig(image_shape=shape, num_classes=num_classes, upsampling=upsampling, **TINY)
    model = DCGAN(config).eval()
    images = model.sample(6, generator=torch.Generator().manual_seed(1))
    assert images.shape == (6, *shape)
    assert float(images.min()) >= 0.0 and float(images.max()) <= 1.0
    labels = torch.arange(6) % 10 if num_classes else None
    assert model.discriminator(images * 2 - 1, labels).shape == (6,)


@pytest.mark.parametrize("upsampling", ["transposed", "nearest"])
def test_depth_adds_convolutions_and_depth_zero_keeps_the_old_names(upsampling):
    plain = DCGAN(DCGANConfig(image_shape=(1, 28, 28), upsampling=upsampling, **TINY))
    names = set(plain.state_dict())
    assert names == set(
        DCGAN(DCGANConfig(image_shape=(1, 28, 28), upsampling=upsampling, depth=0, **TINY)).state_dict()
    )
    deep = DCGAN(DCGANConfig(image_shape=(1, 28, 28), upsampling=upsampling, depth=2, **TINY)).eval()
    convs = [
        sum(isinstance(m, torch.nn.Conv2d) for m in net.modules())
        for net in (deep.generator, deep.discriminator)
    ]
    plain_convs = [
        sum(isinstance(m, torch.nn.Conv2d) for m in net.modules())
        for net in (plain.generator, plain.discriminator)
    ]
    assert convs == [plain_convs[0] + (4 if upsampling == "nearest" else 2), plain_convs[1] + 4]
    assert deep.sample(3).shape == (3, 1, 28, 28)


@pytest.mark.parametrize(
    "config",
    [{}, {"loss": "hinge", "spectral_norm": True, "d_steps_per_g_step": 2}, {"r1_gamma": 10.0, "depth": 1}],
)
def test_train_step_updates_both_players(config):
    torch.manual_seed(0)
    model = DCGAN(DCGANConfig(image_shape=(1, 8, 8), num_classes=10, **TINY, **config))
    optimizers = model.make_optimizers()
    assert [g["betas"] for o in optimizers for g in o.param_groups] == [(0.5, 0.999)] * 2
    calls = {"d": 0}
    original = optimizers[1].step
    optimizers[1].step = lambda *a, **k: calls.__setitem__("d", calls["d"] + 1) or original(*a, **k)
    before_g = [p.clone() for p in model.generator.parameters()]
    before_d = [p.clone() for p in model.discriminator.parameters()]
    batch = Batch(x=torch.rand(16, 1, 8, 8), y=torch.arange(16) % 10)
    metrics = model.train_step(batch, optimizers, grad_clip=10.0)
    assert set(metrics) == {"loss", "loss_d", "loss_g", "d_real", "d_fake"}
    if "r1_gamma" in config:  # the penalty is in "loss" (NaN check), not in the adversarial loss_d
        assert metrics["loss"] > metrics["loss_d"] + metrics["loss_g"]
    else:
        assert metrics["loss"] == pytest.approx(metrics["loss_d"] + metrics["loss_g"])
    assert 0 <= metrics["d_real"] <= 1 and 0 <= metrics["d_fake"] <= 1
    assert calls["d"] == config.get("d_steps_per_g_step", 1)
    assert any(not torch.equal(a, b) for a, b in zip(before_g, model.generator.parameters(), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(before_d, model.discriminator.parameters(), strict=True))
    assert all(p.requires_grad for p in model.discriminator.parameters())


def test_preview_is_fixed_noise():
    model = DCGAN(DCGANConfig(image_shape=(1, 8, 8), **TINY)).eval()
    first, nrow = model.preview(torch.zeros(1))
    again, _ = model.preview(torch.rand(3, 1, 8, 8))
    assert nrow == 10 and first.shape == (40, 1, 8, 8) and torch.equal(first, again)


def test_ema_generator_averages_and_samples(tmp_path):
    model = DCGAN(DCGANConfig(image_shape=(1, 8, 8), ema_decay=0.9, diff_augment=True, **TINY))
    optimizers = model.make_optimizers()
    assert not any(p.requires_grad for p in model.generator_ema.parameters())
    before = [p.clone() for p in model.generator_ema.parameters()]
    model.train_step(Batch(x=torch.rand(16, 1, 8, 8), y=torch.zeros(16, dtype=torch.long)), optimizers, 10.0)
    for old, averaged, current in zip(
        before, model.generator_ema.parameters(), model.generator.parameters(), strict=True
    ):
        assert torch.allclose(averaged, 0.9 * old + 0.1 * current, atol=1e-6)
    model.eval()
    z = model.latents(4, seed=1)
    assert torch.allclose(model.generate(z), (model.generator_ema.eval()(z) + 1) / 2)
    # refresh() re-estimates the averaged G's batch-norm statistics once (the Trainer calls it before saving)
    stale = model.generator_ema.deconv[1].running_mean.clone()
    model.refresh()
    calibrated = model.generator_ema.deconv[1].running_mean.clone()
    assert not torch.allclose(stale, calibrated)
    model.refresh()  # nothing trained since: no second estimate
    assert torch.equal(model.generator_ema.deconv[1].running_mean, calibrated)
    checkpoints.save_run(tmp_path / "run", model, dataset="digits", seed=0, step=1)
    loaded = checkpoints.load_run(tmp_path / "run").model
    assert torch.equal(model.generate(z), loaded.generate(z))  # the saved statistics, no recalibration


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"image_shape": (1, 30, 30)}, "multiples of 4"),
        ({"image_shape": (1, 4, 4)}, "at least 8"),
        ({"loss": "wasserstein"}, "non_saturating, hinge"),
        ({"d_steps_per_g_step": 0}, "d_steps_per_g_step"),
        ({"num_classes": 1}, "num_classes"),
        ({"lr_generator": 0.0}, "lr_generator"),
        ({"ema_decay": 1.0}, "ema_decay"),
        ({"upsampling": "bilinear"}, "transposed, nearest"),
        ({"depth": 5}, "depth"),
        ({"r1_gamma": -1.0}, "r1_gamma"),
    ],
)
def test_bad_config_names_the_field(overrides, field):
    with pytest.raises(ConfigError, match=field):
        DCGANConfig(**overrides)


def test_frechet_distance_hand_computed():
    # 1-D: (μ1 − μ2)² + σ1² + σ2² − 2 σ1 σ2 = (μ1 − μ2)² + (σ1 − σ2)²
    assert frechet_distance(
        np.array([1.0]), np.array([[4.0]]), np.array([3.0]), np.array([[1.0]])
    ) == pytest.approx(4.0 + 1.0)
    mu, cov = np.array([0.5, -1.0]), np.array([[2.0, 0.3], [0.3, 1.0]])
    assert frechet_distance(mu, cov, mu, cov) == pytest.approx(0.0, abs=1e-8)
    singular = np.diag([1.0, 0.0])  # a dead feature: no traceback, the diagonal formula still holds
    assert frechet_distance(mu, singular, mu, np.diag([4.0, 0.0])) == pytest.approx(1.0, abs=1e-6)
    features = np.random.default_rng(0).normal(size=(500, 3))
    got_mu, got_cov = feature_statistics(features)
    assert np.allclose(got_mu, features.mean(0)) and np.allclose(got_cov, np.cov(features.T))


def test_without_classifier_fid_is_skipped_with_a_note(tmp_path, monkeypatch, digits):
    monkeypatch.setenv("DUL_BUNDLED_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("DUL_RUNS_DIR", str(tmp_path / "none"))
    model = build_model("dcgan", {"image_shape": (1, 8, 8), **TINY}).eval()
    (evaluator,) = build_evaluators(model, digits, "cpu")
    metrics = evaluator(model, torch.rand(10, 1, 8, 8), torch.zeros(10, dtype=torch.long), quick=True)
    assert list(metrics) == ["fid_note"] and "no classifier run for digits" in metrics["fid_note"]
    own = model.evaluate(torch.rand(10, 1, 8, 8), torch.zeros(10, dtype=torch.long))
    assert set(own) == {"d_real_test", "d_fake_test"} and all(0 < v < 1 for v in own.values())


def test_evaluate_in_classifier_space(digits, digits_classifier):
    model = build_model("dcgan", {"image_shape": (1, 8, 8), **TINY}, seed=0).eval()
    (evaluator,) = build_evaluators(model, digits, "cpu")
    scorer = evaluator.scorer
    x = to_float(digits.test.x)
    metrics = evaluator(model, x, digits.test.y, quick=True)
    assert metrics["n_samples"] == 360 and sum(metrics["class_counts"]) == 360
    assert metrics["fid_classifier"] > 3 * metrics["fid_real_baseline"] > 0  # an untrained G is far off
    assert 0 <= metrics["class_entropy"] <= metrics["class_entropy_max"] == pytest.approx(math.log(10))
    assert digits_classifier.name in metrics["feature_space"]
    with pytest.raises(ConfigError, match="n_samples"):
        evaluator(model, x, digits.test.y, quick=True, n_samples=10**6)
    # a training image's nearest training image is itself, at distance 0
    indices, distances = scorer.nearest_training_images(to_float(digits.train.x[[5, 9]]), k=3)
    assert indices[:, 0].tolist() == [5, 9] and distances[:, 0].max() < 1e-2
    with pytest.raises(ConfigError, match="fit"):
        SampleScorer(scorer.classifier).nearest_training_images(x[:2])


def test_label_accuracy_is_the_classifiers_agreement_with_the_requested_class(digits, digits_classifier):
    x, y = to_float(digits.train.x), torch.as_tensor(digits.train.y)
    by_class = [x[y == k][:20] for k in range(10)]  # 20 real training digits per class

    def real_digits(labels):  # a stand-in "generator": the j-th real digit of each requested class
        return torch.stack([by_class[int(k)][j % 20] for j, k in enumerate(labels)])

    model = build_model("dcgan", {"image_shape": (1, 8, 8), "num_classes": 10, **TINY}, seed=0).eval()
    unconditional = build_model("dcgan", {"image_shape": (1, 8, 8), **TINY}).eval()
    (evaluator,) = build_evaluators(model, digits, "cpu")
    scorer = evaluator.scorer
    assert class_histogram(scorer, *unconditional.many_samples(20, seed=0)).label_accuracy is None
    untrained = class_histogram(scorer, *model.many_samples(200, seed=0)).label_accuracy
    model.generate = lambda z, labels: real_digits(labels)
    labels = torch.arange(200) % 10  # classes in turn
    expected = float((scorer.probs(real_digits(labels)).argmax(1) == labels).float().mean())
    histogram = class_histogram(scorer, *model.many_samples(200, seed=0))
    assert histogram.label_accuracy == pytest.approx(expected) and expected > max(0.5, untrained)
    assert histogram.counts.sum() == 200 and histogram.counts.min() > 0
    model.generate = lambda z, labels: real_digits((labels + 1) % 10)  # always the next class
    assert class_histogram(scorer, *model.many_samples(200, seed=0)).label_accuracy < 1 - expected + 0.1
    model.generate = lambda z, labels: real_digits(labels)
    metrics = evaluator(model, to_float(digits.test.x), digits.test.y, quick=False, n_samples=200)
    assert metrics["label_accuracy"] == pytest.approx(expected)


@pytest.mark.slow
def test_learns_digit_like_samples(digits, digits_classifier):
    model = build_model("dcgan", {"image_shape": digits.image_shape, "base_channels": 16}, seed=0)
    trainer = Trainer(
        model,
        digits,
        TrainConfig(steps=250, batch_size=64, eval_every=10**6, device="cpu", full_final_eval=False),
        evaluators=build_evaluators(model, digits, "cpu"),
    )
    before = trainer.evaluate(quick=True)
    after = trainer.fit()
    assert after["fid_classifier"] < 0.5 * before["fid_classifier"]
    assert after["class_entropy"] >= 0.8 * math.log(10)
