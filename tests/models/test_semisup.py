"""Semi-supervised family: the losses against naive loops, the mask at τ, the teacher's update by hand,
the views, the label draw and its errors, labels used only for scoring, and a short run that learns."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.data.label_budget import budget_draw
from dul_models.data.strong_views import strong_augmenter, weak_augmenter
from dul_models.models import build_model
from dul_models.models.losses import consistency_loss, masked_cross_entropy, sigmoid_rampup
from dul_models.models.pseudo_labels import pseudo_label_scores
from dul_models.models.semisup import SemiBatch, SemiSupervised
from dul_models.runs import checkpoints
from dul_models.train.trainer import TrainConfig, Trainer

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/models/conftest.py


def tiny(**overrides) -> SemiSupervised:
    config = {"width": 4, "unlabelled_ratio": 2, "labels_per_class": 5, "image_shape": (1, 8, 8)}
    return build_model("semisup", {**config, **overrides}, seed=0)


# --- pure pieces ------------------------------------------------------------------------------------


def test_masked_cross_entropy_matches_a_per_image_loop():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 4, generator=generator)
    targets = torch.tensor([0, 1, 2, 3, 0, 1])
    mask = torch.tensor([True, False, True, True, False, False])
    expected = 0.0
    for row, target, keep in zip(logits, targets, mask, strict=True):
        p = torch.exp(row) / torch.exp(row).sum()
        expected += -math.log(float(p[target])) if keep else 0.0
    assert float(masked_cross_entropy(logits, targets, mask)) == pytest.approx(expected / 6, rel=1e-5)


def test_consistency_loss_matches_a_per_image_loop():
    generator = torch.Generator().manual_seed(1)
    student = torch.randn(5, 3, generator=generator)
    teacher = F.softmax(torch.randn(5, 3, generator=generator), dim=1)
    expected = 0.0
    for s, t in zip(student, teacher, strict=True):
        p = torch.exp(s) / torch.exp(s).sum()
        expected += sum(float(p[k] - t[k]) ** 2 for k in range(3))
    assert float(consistency_loss(student, teacher)) == pytest.approx(expected / 5, rel=1e-5)


def test_mask_counts_confidence_exactly_at_tau_and_scores_only_masked_pseudo_labels():
    probs = torch.tensor([[0.5, 0.5], [0.6, 0.4], [0.45, 0.55], [0.9, 0.1]])
    hidden = torch.tensor([0, 1, 1, 1])  # right, wrong, right, wrong
    scores = pseudo_label_scores(probs, hidden, threshold=0.55)
    assert scores["mask_rate"] == pytest.approx(0.75)  # 0.6, 0.55 (at τ) and 0.9 pass; 0.5 does not
    assert scores["pseudo_label_acc"] == pytest.approx(1 / 3)
    none = pseudo_label_scores(probs, hidden, threshold=1.0)
    assert none["mask_rate"] == 0.0 and none["pseudo_label_acc"] == pytest.approx(0.5)  # all, stays finite


def test_sigmoid_rampup_follows_mean_teachers_curve():
    assert sigmoid_rampup(0, 100) == pytest.approx(math.exp(-5))
    assert sigmoid_rampup(50, 100) == pytest.approx(math.exp(-1.25))
    assert sigmoid_rampup(100, 100) == sigmoid_rampup(5000, 100) == sigmoid_rampup(0, 0) == 1.0


def test_mean_teacher_moves_its_teacher_after_each_step_and_answers_with_it(digits):
    model = tiny(method="mean_teacher")
    before = [p.clone() for p in model.teacher.parameters()]
    batches = model.batch_source(digits.train.x, digits.train.y, 8, torch.Generator().manual_seed(0))
    optimizers = model.make_optimizers()
    model.train_step(next(batches), optimizers, None)
    student = list(model.backbone.parameters()) + list(model.head.parameters())
    for old, new, s in zip(before, model.teacher.parameters(), student, strict=True):
        assert torch.allclose(new, 0.5 * old + 0.5 * s)  # first step: warm-up decay 1 − 1/2
    assert not any(p.requires_grad for p in model.teacher.parameters())
    model.eval()
    x = to_float(digits.test.x[:4])
    assert torch.allclose(model.classify(x), F.softmax(model.teacher(x), dim=1))


# --- views ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32)])
def test_views_keep_shape_and_range_and_differ_per_image(shape):
    torch.manual_seed(0)
    image = torch.rand(1, *shape)
    batch = image.repeat(16, 1, 1, 1)
    for augment in (weak_augmenter(0.25), strong_augmenter(shape)):
        out = augment(batch)
        assert out.shape == batch.shape and 0.0 <= float(out.min()) <= float(out.max()) <= 1.0
        distinct = {tuple(row.flatten().tolist()) for row in out}
        assert len(distinct) > 8  # drawn per image, not once per batch
    assert torch.equal(batch, image.repeat(16, 1, 1, 1))  # the input is left alone


def test_weak_view_shifts_whole_pixels_without_blurring():
    image = (torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(0)) > 0.5).float()
    out = weak_augmenter(0.125)(image.repeat(8, 1, 1, 1))
    assert set(out.unique().tolist()) <= {0.0, 1.0}


def test_view_settings_are_checked():
    with pytest.raises(ConfigError, match=r"weak translate must be in \[0, 0.5\]"):
        tiny(weak_translate=0.7)
    with pytest.raises(ConfigError, match=r"cutout must be in \[0, 1\]"):
        tiny(cutout=1.5)
    with pytest.raises(ConfigError, match=r"strong magnitude must be in \[0, 1\]"):
        tiny(strong_magnitude=2.0)


# --- configuration and batches ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"threshold": 0.0}, r"threshold τ must be in \(0, 1\], got 0.0"),
        ({"threshold": 1.5}, r"threshold τ must be in \(0, 1\], got 1.5"),
        ({"unlabelled_weight": -0.1}, r"unlabelled_weight λ must be >= 0"),
        ({"method": "mixmatch"}, "unknown method 'mixmatch'; choose from: supervised, pseudo_label"),
        ({"labels_per_class": 0}, "labels_per_class must be an integer >= 1"),
        ({"ema_decay": 1.0}, r"ema_decay must be in \[0, 1\)"),
        ({"unlabelled_ratio": 0}, "unlabelled_ratio μ must be an integer >= 1"),
    ],
)
def test_bad_config_is_one_clear_error(bad, message):
    with pytest.raises(ConfigError, match=message):
        tiny(**bad)


def test_batch_source_rejects_unlabelled_data_and_too_large_budgets_eagerly(digits):
    x, y = digits.train.x, digits.train.y
    with pytest.raises(ConfigError, match="semi-supervised training needs a labelled dataset"):
        tiny().batch_source(x, torch.full_like(y, -1), 8, torch.Generator())
    smallest = int(torch.bincount(y).min())
    with pytest.raises(ConfigError, match=f"more than the {smallest} images of class .*choose 1..{smallest}"):
        tiny(labels_per_class=smallest + 1).batch_source(x, y, 8, torch.Generator())
    with pytest.raises(ConfigError, match="built for num_classes=12"):
        tiny(num_classes=12).batch_source(x, y, 8, torch.Generator())


def test_batches_hold_the_drawn_labels_and_mu_times_more_unlabelled_images(digits):
    model = tiny(unlabelled_ratio=3)
    batches = model.batch_source(digits.train.x, digits.train.y, 8, torch.Generator().manual_seed(0))
    drawn = budget_draw(digits.train.y, 5, seed=0)
    assert model.labelled_index.tolist() == drawn.tolist()
    batch = next(batches)
    assert isinstance(batch, SemiBatch) and batch.x.shape == (8, 1, 8, 8) and batch.u.shape == (24, 1, 8, 8)
    assert batch.x.dtype == torch.float32 and batch.u.dtype == torch.float32 and float(batch.u.max()) <= 1.0
    labelled_images = to_float(digits.train.x[drawn])
    for image, label in zip(batch.x, batch.y, strict=True):  # every labelled image is one of the drawn
        match = (labelled_images == image).flatten(1).all(1)
        assert match.any() and int(digits.train.y[drawn][match][0]) == int(label)
    supervised = tiny(method="supervised").batch_source(digits.train.x, digits.train.y, 8, torch.Generator())
    assert next(supervised).u.shape[0] == 0  # no unlabelled images drawn when none are used


def test_labels_are_used_only_for_scoring(digits):
    """The same batches with scrambled hidden labels train to identical weights: only the scores differ."""
    weights, scores = [], []
    for scramble in (False, True):
        model = tiny()
        batches = model.batch_source(digits.train.x, digits.train.y, 8, torch.Generator().manual_seed(0))
        optimizers = model.make_optimizers()
        torch.manual_seed(0)
        for _ in range(4):
            batch = next(batches)
            if scramble:
                batch.u_y = (batch.u_y + 1) % 10
            metrics = model.train_step(batch, optimizers, None)
        weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
        scores.append(metrics["pseudo_label_acc"])
    assert torch.equal(weights[0], weights[1])


@pytest.mark.parametrize("method", ["supervised", "pseudo_label", "fixmatch", "mean_teacher"])
def test_every_method_logs_finite_metrics_and_the_weight_in_effect(method, digits):
    model = tiny(method=method, rampup_steps=10, unlabelled_weight=2.0)
    batches = model.batch_source(digits.train.x, digits.train.y, 8, torch.Generator().manual_seed(0))
    optimizers = model.make_optimizers()
    for _ in range(2):
        metrics = model.train_step(next(batches), optimizers, 10.0)
    assert all(math.isfinite(v) for v in metrics.values())
    assert {"loss", "sup_loss", "unsup_loss", "unlabelled_weight", "labelled_acc"} <= set(metrics)
    if method == "supervised":
        assert metrics["unlabelled_weight"] == 0.0
    else:
        assert metrics["unlabelled_weight"] == pytest.approx(2.0 * sigmoid_rampup(1, 10))
        assert {"mask_rate", "pseudo_label_acc"} <= set(metrics)
    assert int(model.step) == 2


def test_evaluate_scores_the_unlabelled_training_images_after_prepare(digits):
    model = tiny().eval()
    x, y = to_float(digits.test.x[:50]), digits.test.y[:50]
    assert set(model.evaluate(x, y)) == {"test_acc", "labels_per_class", "method"}
    model.prepare(digits)
    metrics = model.evaluate(x, y, quick=True)
    assert metrics["method"] == "fixmatch" and metrics["labels_per_class"] == 5
    assert 0 <= metrics["mask_rate"] <= 1 and 0 <= metrics["pseudo_label_acc"] <= 1
    images, nrow = model.preview(x[:6])
    assert images.shape == (18, 1, 8, 8) and nrow == 6 and torch.equal(images, model.preview(x[:6])[0])


def test_a_short_fixmatch_run_learns_from_ten_labels_per_class(digits, tmp_path):
    model = build_model(
        "semisup",
        {"width": 8, "unlabelled_ratio": 2, "labels_per_class": 10, "lr": 3e-3, "image_shape": (1, 8, 8)},
        seed=0,
    )
    config = TrainConfig(
        steps=150, batch_size=32, eval_every=1000, lr_schedule="cosine", full_final_eval=False
    )
    metrics = Trainer(model, digits, config, run_dir=tmp_path / "run").fit()
    assert metrics["test_acc"] > 0.7  # chance: 0.1; measured 0.89 (CPU: 4.5 s)
    assert 0 < metrics["mask_rate"] <= 1 and metrics["pseudo_label_acc"] > 0.6
    loaded = checkpoints.load_run(tmp_path / "run").model
    assert np.array_equal(loaded.labelled_index.numpy(), budget_draw(digits.train.y, 10, seed=0))
