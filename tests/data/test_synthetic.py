"""The dSprites-like shapes: a full factorial grid, shapes inside the canvas, deterministic, cached."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import synthetic


@pytest.fixture(scope="module")
def grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return synthetic.make_shapes(seed=0, size=28)


def test_arrays_shapes_and_dtypes(grid: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    images, labels, factors = grid
    assert images.shape == (7680, 1, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (7680,) and labels.dtype == np.int64
    assert factors.shape == (7680, 5) and factors.dtype == np.float32
    assert np.array_equal(labels, factors[:, 0].astype(np.int64))
    assert synthetic.FACTOR_NAMES == ("shape", "scale", "rotation", "x", "y")


def test_grid_is_full_factorial(grid: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    _, _, factors = grid
    assert len(np.unique(factors, axis=0)) == 7680  # every combination exactly once
    values = [np.unique(factors[:, column]) for column in range(5)]
    assert [len(v) for v in values] == [3, 5, 8, 8, 8]
    assert values[0].tolist() == [0, 1, 2]
    assert np.allclose(values[1], [0.5, 0.625, 0.75, 0.875, 1.0])
    assert np.allclose(values[2], np.arange(8) * math.pi / 4)  # radians, 0 included, 2π excluded
    assert np.allclose(values[3], np.linspace(0, 1, 8)) and np.allclose(values[4], np.linspace(0, 1, 8))


def test_every_shape_is_visible_and_inside_the_canvas(
    grid: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    images, _, _ = grid
    frame = np.concatenate(
        [images[..., 0, :], images[..., -1, :], images[..., :, 0], images[..., :, -1]], axis=-1
    )
    assert frame.max() == 0  # no pixel of any shape touches the edge, at any scale, rotation or position
    assert (images.reshape(len(images), -1).max(axis=1) == 255).all()  # a solid interior in every image
    assert len(np.unique(images)) == 17  # anti-aliased edges: 0..16 of the 4×4 samples inside


def test_factors_drive_the_pixels(grid: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    images, _, factors = grid
    pixels = images[:, 0].astype(np.float64)
    mass = pixels.sum(axis=(1, 2))
    for shape in range(3):
        small = mass[(factors[:, 0] == shape) & (factors[:, 1] == 0.5)].mean()
        large = mass[(factors[:, 0] == shape) & (factors[:, 1] == 1.0)].mean()
        assert large == pytest.approx(4 * small, rel=0.1)  # area grows with the square of the scale
    columns, rows = np.arange(28), np.arange(28)
    centre_x = (pixels.sum(axis=1) * columns).sum(axis=1) / mass
    centre_y = (pixels.sum(axis=2) * rows).sum(axis=1) / mass
    assert np.corrcoef(centre_x, factors[:, 3])[0, 1] > 0.99  # x moves the shape right
    assert np.corrcoef(centre_y, factors[:, 4])[0, 1] > 0.99  # y moves it down
    assert abs(np.corrcoef(centre_x, factors[:, 4])[0, 1]) < 0.05


def _image(grid: tuple[np.ndarray, np.ndarray, np.ndarray], shape: int, rotation: float) -> np.ndarray:
    images, _, factors = grid
    match = (factors[:, 0] == shape) & (factors[:, 1] == 1.0) & np.isclose(factors[:, 2], rotation)
    match &= np.isclose(factors[:, 3], 3 / 7) & np.isclose(factors[:, 4], 3 / 7)
    (index,) = np.flatnonzero(match)
    return images[index, 0].astype(int)


def test_rotation_turns_the_shape(grid: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    square, ellipse, triangle = 0, 1, 2
    assert np.abs(_image(grid, square, 0) - _image(grid, square, math.pi / 2)).max() <= 1  # symmetric
    assert np.abs(_image(grid, square, 0) - _image(grid, square, math.pi / 4)).max() > 100
    assert np.abs(_image(grid, ellipse, 0) - _image(grid, ellipse, math.pi)).max() <= 1
    assert np.abs(_image(grid, ellipse, 0) - _image(grid, ellipse, math.pi / 2)).max() > 100
    assert np.abs(_image(grid, triangle, 0) - _image(grid, triangle, math.pi)).max() > 100
    # the ellipse lies along x at rotation 0 and along y after a quarter turn
    lying, standing = _image(grid, ellipse, 0), _image(grid, ellipse, math.pi / 2)
    assert (lying.sum(axis=0) > 0).sum() > 1.5 * (lying.sum(axis=1) > 0).sum()
    assert (standing.sum(axis=1) > 0).sum() > 1.5 * (standing.sum(axis=0) > 0).sum()


def test_seed_fixes_the_order_only(grid: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    images, labels, factors = synthetic.make_shapes(seed=0, size=28)
    assert np.array_equal(images, grid[0]) and np.array_equal(labels, grid[1])
    assert np.array_equal(factors, grid[2])
    other_images, _, other_factors = synthetic.make_shapes(seed=1, size=28)
    assert not np.array_equal(other_factors, factors)
    order, other_order = np.lexsort(factors.T), np.lexsort(other_factors.T)
    assert np.array_equal(other_factors[other_order], factors[order])
    assert np.array_equal(other_images[other_order], images[order])  # the same images, shuffled


def test_other_sizes_and_a_too_small_one() -> None:
    images, _, _ = synthetic.make_shapes(size=20)
    assert images.shape == (7680, 1, 20, 20)
    assert images[..., 0, :].max() == 0 and images[..., :, -1].max() == 0
    with pytest.raises(ConfigError, match="at least 16"):
        synthetic.make_shapes(size=8)


def test_load_shapes_splits_and_caches(
    grid: tuple[np.ndarray, np.ndarray, np.ndarray], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = synthetic.load_shapes(tmp_path)
    assert (tmp_path / "shapes_0_28.npz").is_file()
    assert (len(dataset.train), len(dataset.test)) == (6144, 1536)
    assert dataset.image_shape == (1, 28, 28) and dataset.embedded and dataset.has_labels
    assert dataset.class_names == ("square", "ellipse", "triangle")
    assert dataset.factor_names == synthetic.FACTOR_NAMES
    assert "dSprites-like, Matthey et al. 2017" in dataset.source
    for split in (dataset.train, dataset.test):
        assert split.factors is not None and split.factors.dtype == torch.float32
        assert torch.equal(split.factors[:, 0].long(), split.y)
    assert torch.bincount(dataset.test.y).tolist() == [512, 512, 512]
    together = torch.cat([dataset.train.factors, dataset.test.factors])
    assert len(torch.unique(together, dim=0)) == 7680  # disjoint halves of the whole grid
    # each image still matches its own factors after the split
    first = dataset.test.factors[0].numpy()
    (row,) = np.flatnonzero((grid[2] == first).all(axis=1))
    assert np.array_equal(dataset.test.x[0].numpy(), grid[0][row])

    def no_drawing(seed: int = 0, size: int = 28) -> None:
        raise AssertionError("drawn again although the cache exists")

    monkeypatch.setattr(synthetic, "make_shapes", no_drawing)
    again = synthetic.load_shapes(tmp_path)
    assert torch.equal(again.train.x, dataset.train.x) and torch.equal(
        again.test.factors, dataset.test.factors
    )


def test_the_dense_grid_has_finer_factors_and_its_own_name(tmp_path: Path) -> None:
    assert synthetic.grid_size("dense") == 3 * 6 * 16 * 16 * 16 == 73_728
    assert synthetic.grid_size("coarse") == 7680
    with pytest.raises(ConfigError, match="coarse, dense"):
        synthetic.grid_size("huge")
    images, labels, factors = synthetic.make_shapes(size=16, grid="dense")
    assert images.shape == (73_728, 1, 16, 16) and labels.shape == (73_728,)
    assert [len(np.unique(factors[:, k])) for k in range(5)] == [3, 6, 16, 16, 16]
    assert images[..., 0, :].max() == 0 and images.reshape(len(images), -1).max(1).min() > 0
