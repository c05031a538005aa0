from __future__ import annotations

import math

import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.models import Batch, build_model
from dul_models.models.context import CENTRE, GRID, NEIGHBOUR_CELLS, POSITIONS, ContextPrediction

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/models/conftest.py


def tiny(image_shape=(1, 28, 28), **overrides) -> ContextPrediction:
    return build_model(
        "context", {**ContextPrediction.tiny_config, "image_shape": image_shape, **overrides}, seed=0
    )


def labelled_cells(batch: int = 8) -> torch.Tensor:
    """28×28 images whose 27-px centre square has each 9-px cell filled with its reading-order index."""
    x = torch.full((batch, 1, 28, 28), -1.0)
    for cell in range(9):
        row, col = divmod(cell, GRID)
        x[:, :, row * 9 : row * 9 + 9, col * 9 : col * 9 + 9] = float(cell)
    return x


def test_position_names_match_their_cells():
    vertical = {0: "top", 1: "", 2: "bottom"}
    horizontal = {0: "left", 1: "", 2: "right"}
    assert len(POSITIONS) == len(NEIGHBOUR_CELLS) == 8 and CENTRE not in NEIGHBOUR_CELLS
    for name, cell in zip(POSITIONS, NEIGHBOUR_CELLS, strict=True):
        row, col = divmod(cell, GRID)
        assert name == "-".join(part for part in (vertical[row], horizontal[col]) if part)


@pytest.mark.parametrize("gap", [0, 2])
def test_patches_come_from_the_centre_and_the_named_neighbour(gap):
    model = tiny(gap=gap)
    assert model.side == 27 and model.patch == 9 - gap
    x = labelled_cells()
    positions = torch.arange(8)
    centre, neighbour = model.pairs(x, positions, torch.Generator().manual_seed(0))
    assert centre.shape == neighbour.shape == (8, 1, 9 - gap, 9 - gap)
    assert bool((centre == CENTRE).all())
    for index, cell in enumerate(NEIGHBOUR_CELLS):
        assert bool((neighbour[index] == cell).all()), POSITIONS[index]


def test_geometry_errors():
    with pytest.raises(
        ConfigError, match=r"a 3×3 grid does not divide a 28-pixel puzzle; choose puzzle_size 27 or 24$"
    ):
        tiny(puzzle_size=28)
    with pytest.raises(ConfigError, match="larger than the 28×28 images"):
        tiny(puzzle_size=30)
    with pytest.raises(ConfigError, match="the backbone needs at least 4"):
        tiny(image_shape=(1, 8, 8))
    with pytest.raises(ConfigError, match="gap must be ≥ 0"):
        tiny(gap=-1)


def test_predict_position_for_the_page(mnist5k):
    model = tiny().eval()
    x = to_float(mnist5k.test.x[:6])
    out = model.predict_position(x, neighbour=2)
    assert out["centre"].shape == out["neighbour"].shape == (6, 1, 7, 7)
    assert out["position"].tolist() == [2] * 6 and out["predicted"].shape == (6,)
    assert out["probabilities"].shape == (6, 8) and torch.allclose(out["probabilities"].sum(1), torch.ones(6))
    drawn = model.predict_position(x, seed=1)
    assert torch.equal(drawn["position"], model.predict_position(x, seed=1)["position"])
    with pytest.raises(ConfigError, match="neighbour must be 0–7"):
        model.predict_position(x, neighbour=8)
    images, nrow = model.preview(x)
    assert images.shape == (18, 1, 28, 28) and nrow == 6
    assert 0.0 <= model.task_metrics(x, mnist5k.test.y[:6])["pretext_acc"] <= 1.0


def test_learns_on_a_small_subset(mnist5k):
    torch.manual_seed(0)
    model = tiny(width=8, hidden_dim=32).train()
    x, y = to_float(mnist5k.train.x[:128]), mnist5k.train.y[:128]
    optimizers = model.make_optimizers()
    losses = [model.train_step(Batch(x=x, y=y), optimizers, None)["loss"] for _ in range(80)]
    assert losses[0] == pytest.approx(math.log(8), abs=0.3)
    assert sum(losses[-10:]) / 10 < 0.8 * math.log(8)
