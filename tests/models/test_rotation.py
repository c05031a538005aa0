from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.models import Batch, build_model
from dul_models.models.rotation import ANGLES, RotationPrediction, all_rotations, rotate

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/models/conftest.py


def tiny(image_shape=(1, 8, 8), **overrides) -> RotationPrediction:
    return build_model("rotation", {"width": 4, "image_shape": image_shape, **overrides}, seed=0)


def test_rotate_turns_counter_clockwise_and_four_turns_are_none():
    x = torch.arange(4.0).view(1, 1, 2, 2)  # [[0, 1], [2, 3]]
    assert rotate(x, 1).flatten().tolist() == [
        1.0,
        3.0,
        0.0,
        2.0,
    ]  # the top-right corner moves to the top-left
    images = torch.rand(3, 2, 5, 5)
    assert torch.equal(rotate(images, 4), images)
    assert torch.equal(rotate(rotate(images, 1), 3), images)
    assert torch.equal(rotate(images, -1), rotate(images, 3))


def test_all_rotations_orders_turn_by_turn():
    x = torch.rand(3, 1, 6, 6)
    turned, labels = all_rotations(x)
    assert turned.shape == (12, 1, 6, 6) and labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    for k in range(len(ANGLES)):
        assert torch.equal(turned[3 * k : 3 * k + 3], rotate(x, k))


def test_non_square_images_and_bad_heads_are_refused():
    with pytest.raises(ConfigError, match="square images"):
        tiny(image_shape=(1, 8, 12))
    with pytest.raises(ConfigError, match="hidden_dim must be ≥ 0"):
        tiny(hidden_dim=-1)


@pytest.mark.parametrize("hidden_dim, layers", [(0, 1), (8, 4)])
def test_the_head_reads_the_backbone_features(digits, hidden_dim, layers):
    model = tiny(hidden_dim=hidden_dim)
    assert len(list(model.head.modules())) - (layers > 1) == layers  # a Sequential counts itself
    first = model.head if hidden_dim == 0 else model.head[0]
    assert first.in_features == model.backbone.feature_dim
    before = [p.clone() for p in model.backbone.parameters()]
    x = to_float(digits.train.x[:16])
    model.train_step(Batch(x=x, y=digits.train.y[:16]), model.make_optimizers(), None)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.backbone.parameters(), strict=True))


def test_page_methods_and_metrics(digits):
    model = tiny().eval()
    x = to_float(digits.test.x[:5])
    probabilities = model.predict_rotation(x.requires_grad_(True))
    assert probabilities.shape == (5, 4) and not probabilities.requires_grad
    assert torch.allclose(probabilities.sum(1), torch.ones(5))
    metrics = model.task_metrics(x.detach(), digits.test.y[:5])
    assert 0.0 <= metrics["pretext_acc"] <= 1.0


def test_preview_turns_images_back_by_the_guess(digits, monkeypatch):
    """With a model that always names the right turn, the lower four rows are the images upright."""
    model = tiny().eval()
    x = to_float(digits.test.x[:3])
    _, labels = all_rotations(x)
    monkeypatch.setattr(model, "logits", lambda images: F.one_hot(labels, 4).float())
    images, nrow = model.preview(x)
    assert nrow == 3 and images.shape == (24, 1, 8, 8)
    assert torch.equal(images[:12], all_rotations(x)[0])
    assert torch.equal(images[12:], x.repeat(4, 1, 1, 1))


def test_learns_on_a_small_subset(digits):
    torch.manual_seed(0)
    model = tiny(random_view=False).train()
    x, y = to_float(digits.train.x[:64]), digits.train.y[:64]
    optimizers = model.make_optimizers()
    losses = [model.train_step(Batch(x=x, y=y), optimizers, None)["loss"] for _ in range(40)]
    assert sum(losses[-5:]) / 5 < 0.7 * sum(losses[:5]) / 5
