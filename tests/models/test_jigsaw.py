from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.models import Batch, build_model
from dul_models.models.jigsaw import Jigsaw, min_hamming_distance, spread_permutations
from dul_models.models.patches import assemble, centre_crop, cut_cells, jittered

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/models/conftest.py


def tiny(image_shape=(1, 8, 8), **overrides) -> Jigsaw:
    config = {**Jigsaw.tiny_config, "image_shape": image_shape, **overrides}
    return build_model("jigsaw", config, seed=0)


# --- geometry -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("grid", [2, 3, 4])
def test_cells_reassemble_to_the_square_exactly(grid):
    square = torch.rand(2, 3, 12, 12)
    cells = cut_cells(square, grid)
    assert cells.shape == (2, grid * grid, 3, 12 // grid, 12 // grid)
    assert torch.equal(assemble(cells, grid), square)
    side = 12 // grid
    row, col = 1, grid - 1  # a cell that is not on the diagonal: reading order is row by row
    assert torch.equal(cells[:, row * grid + col], square[..., row * side : (row + 1) * side, col * side :])


def test_centre_crop_takes_the_middle():
    x = torch.arange(32.0 * 32).view(1, 1, 32, 32)
    assert torch.equal(centre_crop(x, 30), x[..., 1:31, 1:31])
    assert centre_crop(torch.rand(1, 1, 28, 28), 27).shape == (1, 1, 27, 27)


def test_jittered_patches_are_windows_of_their_cells():
    cells = torch.rand(4, 9, 1, 9, 9)
    patches = jittered(cells, 2, torch.Generator().manual_seed(0))
    assert patches.shape == (4, 9, 1, 7, 7)
    for b in range(4):
        for n in range(9):
            windows = [cells[b, n, :, dy : dy + 7, dx : dx + 7] for dy in range(3) for dx in range(3)]
            assert any(torch.equal(patches[b, n], w) for w in windows)
    again = jittered(cells, 2, torch.Generator().manual_seed(0))
    assert torch.equal(patches, again)
    assert torch.equal(jittered(cells, 0), cells)


def test_unshuffled_tiles_without_jitter_are_the_crop(mnist5k):
    model = build_model("jigsaw", {"image_shape": (1, 28, 28), "tile_jitter": 0, "width": 4}, seed=0)
    x = to_float(mnist5k.test.x[:4])
    ordered, puzzles, labels = model.shuffle(x, torch.Generator().manual_seed(0))
    assert model.side == 27 and ordered.shape == (4, 9, 1, 9, 9)
    assert torch.equal(assemble(ordered, 3), centre_crop(x, 27))
    for b in range(4):  # position i of a puzzle shows tile permutations[label][i]
        assert torch.equal(puzzles[b], ordered[b, model.permutations[labels[b]]])


# --- the permutation set --------------------------------------------------------------------------------


def test_permutations_are_deterministic_distinct_and_far_apart():
    chosen = spread_permutations(9, 64)
    assert chosen.shape == (64, 9) and torch.equal(chosen, spread_permutations(9, 64))
    assert torch.equal(chosen[0], torch.arange(9))  # class 0 is the solved puzzle
    assert all(sorted(row.tolist()) == list(range(9)) for row in chosen)
    assert len({tuple(row.tolist()) for row in chosen}) == 64
    generator = torch.Generator().manual_seed(0)
    random_set = torch.stack([torch.randperm(9, generator=generator) for _ in range(64)])
    assert min_hamming_distance(chosen) >= 6 > min_hamming_distance(random_set)


def test_larger_grids_search_a_pool_and_small_ones_may_use_every_ordering():
    four = spread_permutations(16, 10)
    assert len({tuple(r.tolist()) for r in four}) == 10 and min_hamming_distance(four) >= 14
    every = spread_permutations(4, 24)
    assert len({tuple(r.tolist()) for r in every}) == 24


# --- config errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"grid": 2, "num_permutations": 25}, "between 2 and 24"),
        ({"num_permutations": 1}, "between 2 and 362,880"),
        ({"grid": 1}, "grid must be at least 2"),
        ({"tile_jitter": -1}, "tile_jitter must be ≥ 0"),
    ],
)
def test_bad_config_is_refused(overrides, message):
    with pytest.raises(ConfigError, match=message):
        build_model("jigsaw", {"image_shape": (1, 28, 28), **overrides})


def test_a_grid_that_does_not_divide_the_puzzle_gets_advice():
    with pytest.raises(
        ConfigError,
        match=r"a 3×3 grid does not divide a 28-pixel puzzle; choose puzzle_size 27 or 24, or grid 2, 4 or 7",
    ):
        build_model("jigsaw", {"image_shape": (1, 28, 28), "puzzle_size": 28, "tile_jitter": 0})
    with pytest.raises(
        ConfigError, match=r"choose puzzle_size 27 or 24, or grid 2 or 4$"
    ):  # 7 leaves 3-px tiles
        build_model("jigsaw", {"image_shape": (1, 28, 28), "puzzle_size": 28, "tile_jitter": 1})


def test_puzzles_larger_than_the_image_or_with_tiny_tiles_are_refused():
    with pytest.raises(ConfigError, match="larger than the 28×28 images"):
        build_model("jigsaw", {"image_shape": (1, 28, 28), "puzzle_size": 30})
    with pytest.raises(ConfigError, match="the backbone needs at least 4"):
        build_model("jigsaw", {"image_shape": (1, 8, 8), "grid": 3})


# --- page method, preview, learning ---------------------------------------------------------------------


def test_solve_puts_tiles_back_when_the_model_is_right(digits, monkeypatch):
    model = tiny().eval()
    x = to_float(digits.test.x[:5])
    out = model.solve(x, seed=3)
    assert out["tiles"].shape == (5, 4, 1, 4, 4) and out["crop"].shape == (5, 1, 8, 8)
    for key in ("shuffled", "reassembled", "original"):
        assert out[key].shape == (5, 1, 8, 8)
    assert (
        out["true_permutation"].shape
        == out["predicted_permutation"].shape
        == out["probability"].shape
        == (5,)
    )
    assert torch.equal(out["original"], out["crop"])  # no jitter in the tiny config
    _, _, labels = model.shuffle(x, torch.Generator().manual_seed(3))
    assert torch.equal(out["true_permutation"], labels)
    monkeypatch.setattr(model, "logits", lambda puzzles: 10 * F.one_hot(labels, 4).float())
    solved = model.solve(x, seed=3)
    assert torch.equal(solved["predicted_permutation"], labels)
    assert torch.equal(solved["reassembled"], solved["original"])
    images, nrow = model.preview(x)
    assert images.shape == (15, 1, 8, 8) and nrow == 5


def test_learns_on_a_small_subset(digits):
    torch.manual_seed(0)
    model = tiny(width=8, hidden_dim=32).train()
    x, y = to_float(digits.train.x[:64]), digits.train.y[:64]
    optimizers = model.make_optimizers()
    losses = [model.train_step(Batch(x=x, y=y), optimizers, None)["loss"] for _ in range(60)]
    assert losses[0] == pytest.approx(math.log(4), abs=0.3)
    assert sum(losses[-5:]) / 5 < 0.6 * math.log(4)
