from __future__ import annotations

import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.models import Batch, build_model
from dul_models.models.classifier import Classifier, ClassifierConfig, random_shift
from dul_models.train.trainer import TrainConfig, Trainer

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/models/conftest.py


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 8, 8)])
def test_shapes(shape):
    model = Classifier(ClassifierConfig(image_shape=shape, base_channels=4, feature_dim=6, num_classes=3))
    x = torch.rand(5, *shape)
    assert model.features(x).shape == (5, 6)
    probs = model.predict_proba(x)
    assert probs.shape == (5, 3)
    assert torch.allclose(probs.sum(1), torch.ones(5))
    assert torch.equal(model.embed(x), model.features(x))


def test_loss_is_cross_entropy_of_the_logits():
    torch.manual_seed(0)
    model = Classifier(ClassifierConfig(image_shape=(1, 8, 8), base_channels=4, dropout=0.0)).eval()
    x, y = torch.rand(6, 1, 8, 8), torch.tensor([0, 1, 2, 3, 4, 5])
    loss, metrics = model.loss(Batch(x=x, y=y))
    logits = model.logits(x)
    naive = -(logits.exp() / logits.exp().sum(1, keepdim=True))[torch.arange(6), y].log().mean()
    assert loss.item() == pytest.approx(naive.item(), rel=1e-5)
    assert metrics["accuracy"] == pytest.approx(float((logits.argmax(1) == y).float().mean()))


def test_random_shift_moves_whole_images():
    x = torch.zeros(64, 1, 8, 8)
    x[:, :, 3:5, 3:5] = 1.0
    shifted = random_shift(x, 2, generator=torch.Generator().manual_seed(0))
    assert shifted.shape == x.shape
    assert torch.equal(shifted.sum((1, 2, 3)), x.sum((1, 2, 3)))  # the blob never leaves the frame
    assert not torch.equal(shifted, x)
    assert torch.equal(random_shift(x, 0), x)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"image_shape": (1, 30, 30)}, "multiples of 4"),
        ({"num_classes": 1}, "num_classes"),
        ({"dropout": 1.0}, "dropout"),
        ({"max_shift": -1}, "max_shift"),
    ],
)
def test_bad_config_names_the_field(overrides, field):
    with pytest.raises(ConfigError, match=field):
        ClassifierConfig(**overrides)


def test_prepare_rejects_too_many_classes(digits):
    model = build_model("classifier", {"image_shape": (1, 8, 8), "num_classes": 5})
    with pytest.raises(ConfigError, match="10 classes"):
        model.prepare(digits)


@pytest.mark.slow
def test_learns_digits(digits):
    model = build_model("classifier", {"image_shape": digits.image_shape, "max_shift": 1}, seed=0)
    trainer = Trainer(model, digits, TrainConfig(steps=300, batch_size=64, eval_every=10**6, device="cpu"))
    metrics = trainer.fit()
    assert metrics["accuracy"] >= 0.9
    x = to_float(digits.test.x[:10])
    assert trainer.model.predict_proba(x).shape == (10, 10)
