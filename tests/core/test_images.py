"""The thumbnail map: images land where their points are, later points on top, fast enough for 5,000."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.core.images import thumbnail_map

BACKGROUND = 17


def test_two_points_land_in_opposite_corners():
    images = torch.zeros(2, 1, 4, 4)
    images[0] = 1.0  # white square at the bottom-left point
    images[1] = 0.5  # grey square at the top-right point
    canvas = thumbnail_map(np.array([[0.0, 0.0], [10.0, 5.0]]), images, size_px=20, margin_px=1)
    assert canvas.shape == (20, 20, 3) and canvas.dtype == np.uint8
    assert (canvas[15:19, 1:5] == 255).all()  # x low, y low → left, bottom (y points up)
    assert (canvas[1:5, 15:19] == 128).all()  # x high, y high → right, top
    painted = np.zeros((20, 20), dtype=bool)
    painted[15:19, 1:5] = painted[1:5, 15:19] = True
    assert (canvas[~painted] == BACKGROUND).all()


def test_uint8_colour_images_and_later_points_on_top():
    images = torch.zeros(2, 3, 2, 2, dtype=torch.uint8)
    images[0, 0] = 200  # red
    images[1, 2] = 100  # blue, drawn second at the same place
    canvas = thumbnail_map(np.zeros((2, 2)), images, size_px=6, margin_px=0)
    assert canvas[2:4, 2:4].tolist() == [[[0, 0, 100]] * 2] * 2  # one position → centred, blue on top


def test_bad_input_names_the_expected_shape():
    with pytest.raises(ConfigError, match=r"\(3, 2\)"):
        thumbnail_map(np.zeros((2, 2)), torch.zeros(3, 1, 4, 4))
    with pytest.raises(ConfigError, match="C = 1 or 3"):
        thumbnail_map(np.zeros((2, 2)), torch.zeros(2, 2, 4, 4))
    with pytest.raises(ConfigError, match="at least 8"):
        thumbnail_map(np.zeros((2, 2)), torch.zeros(2, 1, 4, 4), size_px=7, margin_px=2)


def test_five_thousand_mnist_sized_thumbnails_in_well_under_a_second():
    images = torch.rand(5000, 1, 28, 28)
    coords = np.random.default_rng(0).normal(size=(5000, 2))
    thumbnail_map(coords[:10], images[:10])  # warm-up
    start = time.perf_counter()
    canvas = thumbnail_map(coords, images)
    elapsed = time.perf_counter() - start
    assert canvas.shape == (1600, 1600, 3)
    assert elapsed < 0.5, f"{elapsed:.2f} s"  # measured about 0.1 s on 2 CPU cores


@pytest.mark.parametrize(
    ("shape", "nrow", "padding"),
    [((16, 1, 28, 28), 4, 2), ((7, 3, 32, 32), 3, 1), ((1, 1, 8, 8), 8, 2), ((5, 1, 8, 8), 8, 0)],
)
def test_grid_layout_equals_torchvisions_make_grid(shape, nrow, padding):
    """The grid is laid out by hand (importing torchvision costs ~2 s of a first page load): pixel for pixel
    what torchvision's make_grid gives."""
    from torchvision.utils import make_grid

    from dul_models.core.images import _tile

    images = torch.rand(*shape, generator=torch.Generator().manual_seed(0))
    expected = make_grid(images, nrow=nrow, padding=padding, pad_value=0.5)
    assert torch.equal(_tile(images, nrow, padding, pad_value=0.5), expected)
