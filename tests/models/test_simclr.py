from __future__ import annotations

import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.models import build_model
from dul_models.models.base import Batch
from dul_models.models.losses import alignment, nt_xent


def tiny(**overrides):
    config = {"image_shape": (1, 8, 8), "width": 4, "projection_dim": 4, **overrides}
    return build_model("simclr", config, seed=0)


def test_loss_is_nt_xent_of_the_projected_views():
    model = tiny().train()
    x = torch.rand(6, 1, 8, 8)
    torch.manual_seed(3)
    loss, metrics = model.loss(Batch(x, torch.zeros(6, dtype=torch.long)))
    torch.manual_seed(3)
    v1, v2 = model.views(x)
    z1, z2 = model.project(torch.cat([v1, v2])).chunk(2)
    assert float(loss.detach()) == pytest.approx(
        float(nt_xent(z1, z2, model.config.temperature).detach()), rel=1e-5
    )
    assert 0.0 <= metrics["pair_acc"] <= 1.0


def test_break_it_switches():
    x = torch.rand(6, 1, 8, 8)
    plain = tiny(projection=False)
    assert isinstance(plain.head, torch.nn.Identity)
    assert plain.project(x).shape == (6, plain.backbone.feature_dim)
    lonely = tiny(negatives=False).train()
    torch.manual_seed(1)
    loss, _ = lonely.loss(Batch(x, torch.zeros(6, dtype=torch.long)))
    torch.manual_seed(1)
    z1, z2 = lonely.project(torch.cat(lonely.views(x))).chunk(2)
    assert float(loss.detach()) == pytest.approx(float(alignment(z1, z2).detach()), rel=1e-5)


def test_evaluate_reports_projection_health():
    metrics = tiny().eval().evaluate(torch.rand(20, 1, 8, 8), torch.zeros(20, dtype=torch.long))
    assert metrics["healthy_projection_std"] == pytest.approx(0.5)  # 1/√4
    assert 0.0 <= metrics["projection_std"] <= 1.0 and 0.0 <= metrics["pretext_acc"] <= 1.0


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_temperature_must_be_positive(bad):
    with pytest.raises(ConfigError, match="temperature must be a positive number"):
        tiny(temperature=bad)


def test_a_few_steps_lower_the_loss(digits):
    from dul_models.data import to_float

    torch.manual_seed(0)
    model = tiny(image_shape=digits.image_shape, width=8).train()
    (optimizer,) = model.make_optimizers()
    x = to_float(digits.train.x[:64])
    batch = Batch(x, digits.train.y[:64])
    first = model.train_step(batch, [optimizer], None)["loss"]
    for _ in range(30):
        last = model.train_step(batch, [optimizer], None)["loss"]
    assert last < first
