"""Small pure helpers for reading an autoregressive model's likelihoods and receptive fields.

Pages show NLL in nats and bits per dimension, and how many earlier pixels one output pixel can see;
these are the formulas behind those numbers, so that the app only renders them (and tests pin them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np


def bits_per_dim(nll_nats: float, dims: int) -> float:
    """Negative log-likelihood in nats over `dims` dimensions → bits per dimension (÷ dims·ln 2)."""
    if dims < 1:
        raise ValueError(f"dims must be a positive number of dimensions, got {dims}")
    return float(nll_nats) / (dims * math.log(2.0))


def earlier_pixels_seen(gradient: np.ndarray, pixel: tuple[int, int]) -> tuple[int, int]:
    """(seen, total): how many pixels before `pixel` in raster order have a non-zero gradient.

    `gradient` is the (H, W) magnitude of ∂output[pixel]/∂input; `total` counts every pixel that comes
    earlier in reading order (rows above, then the row's pixels to the left), which is what an
    autoregressive model may look at; a blind spot makes `seen` smaller than `total`.
    """
    if gradient.ndim != 2:
        raise ValueError(f"gradient must be an (H, W) map, got shape {gradient.shape}")
    height, width = gradient.shape
    row, col = pixel
    if not (0 <= row < height and 0 <= col < width):
        raise ValueError(f"pixel {pixel} is outside the {height}×{width} map")
    earlier = np.arange(height * width).reshape(height, width) < row * width + col  # (H, W) bool
    return int(((gradient != 0) & earlier).sum()), int(earlier.sum())


def log_relative_gradient(gradient: np.ndarray, floor: float = 1e-12) -> np.ndarray:
    """log10(|gradient| / max |gradient|), NaN where the gradient is exactly zero (the pixel is unseen).

    A log scale shows weak but non-zero influence, which is what separates "far" from "never".
    """
    magnitude = np.abs(gradient)
    relative = magnitude / max(float(magnitude.max(initial=0.0)), 1e-30)
    return np.where(magnitude > 0, np.log10(np.maximum(relative, floor)), np.nan)


def per_pixel_table(maps: Mapping[str, np.ndarray], value: str) -> dict[str, np.ndarray]:
    """Long-format columns (input, row, col, `value`) of several (H, W) maps, for a CSV download."""
    names, rows, cols, values = [], [], [], []
    for name, grid in maps.items():
        r, c = np.indices(grid.shape)  # (H, W) each
        names.append(np.full(grid.size, name, dtype=object))
        rows.append(r.ravel())
        cols.append(c.ravel())
        values.append(np.asarray(grid, dtype=np.float64).ravel())
    return {
        "input": np.concatenate(names),
        "row": np.concatenate(rows),
        "col": np.concatenate(cols),
        value: np.concatenate(values),
    }
