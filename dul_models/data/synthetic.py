"""A dSprites-like set drawn with numpy: every image comes from known generative factors.

Disentanglement pages need ground truth: which latent moved when the shape turned? dSprites
(Matthey et al. 2017) must be downloaded; this full-factorial grid of 7,680 images is drawn in about a
second, needs no network, and has the same factors (shape, scale, rotation, x, y). A triangle stands in
for dSprites' heart: it has a simple exact inside test and no rotational symmetry on this grid.

The same generator draws denser grids (`GRIDS`): a β-VAE needs many images with finely spaced factors
before each factor settles into one latent (dSprites has 737,280); "dense" is 73,728 images (58 MB).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dul_models.core.errors import ConfigError
from dul_models.data.loading import cached_npz, make_split, stratified_split
from dul_models.data.registry import ImageDataset

SHAPE_NAMES = ("square", "ellipse", "triangle")
FACTOR_NAMES = ("shape", "scale", "rotation", "x", "y")
SCALES = np.linspace(0.5, 1.0, 5)
# A square repeats every π/2 and an ellipse every π; kept like dSprites so every shape has one grid.
ROTATIONS = np.linspace(0.0, 2.0 * np.pi, 8, endpoint=False)
POSITIONS = np.linspace(0.0, 1.0, 8)
# values per factor (scales, rotations, positions per axis): "coarse" is the `shapes` set above; "dense"
# is dSprites' 6 scales with positions under a pixel apart at 28×28 (16 per axis; dSprites has 32 at 64×64)
GRIDS = {"coarse": (5, 8, 8), "dense": (6, 16, 16)}
RADIUS_FRACTION = 0.22  # circumradius of a scale-1 shape, as a fraction of the image side
MARGIN_PX = 1.0  # empty pixels kept between a shape and the edge at the extreme positions
SUPERSAMPLE = 4  # samples per pixel side: 16 samples per pixel give anti-aliased edges
MIN_SIZE = 16


def _inside(shape: int, qx: np.ndarray, qy: np.ndarray, radius: float) -> np.ndarray:
    """Which points (in the shape's own frame, centred) lie inside a shape of circumradius `radius`.

    Using the circumradius for every shape means no rotation can push a corner further out.
    """
    if shape == 0:  # square: half side R/√2 puts its corners on the circle
        half = radius / 2.0**0.5
        return np.maximum(np.abs(qx), np.abs(qy)) <= half
    if shape == 1:  # ellipse: semi-axes R and R/2, elongated like dSprites' ellipse
        return (qx / radius) ** 2 + (2.0 * qy / radius) ** 2 <= 1.0
    # equilateral triangle, apex up: inside all three edges, each at the inradius R/2 from the centre
    inside = np.ones(np.broadcast_shapes(qx.shape, qy.shape), dtype=bool)
    for angle in -np.pi / 2 + np.arange(3) * 2 * np.pi / 3:
        inside &= qx * float(np.cos(angle)) + qy * float(np.sin(angle)) >= -radius / 2
    return inside


def _grid_values(grid: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scales, rotations (radians) and positions ([0, 1]) of a named grid."""
    if grid not in GRIDS:
        raise ConfigError(f"unknown shapes grid {grid!r}; choose from: {', '.join(GRIDS)}")
    if grid == "coarse":
        return SCALES, ROTATIONS, POSITIONS
    scales, rotations, positions = GRIDS[grid]
    return (
        np.linspace(0.5, 1.0, scales),
        np.linspace(0.0, 2.0 * np.pi, rotations, endpoint=False),
        np.linspace(0.0, 1.0, positions),
    )


def grid_size(grid: str = "coarse") -> int:
    """Images in a full grid: shapes × scales × rotations × positions²."""
    scales, rotations, positions = (len(values) for values in _grid_values(grid))
    return len(SHAPE_NAMES) * scales * rotations * positions**2


def make_shapes(
    seed: int = 0, size: int = 28, grid: str = "coarse"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw the full grid: 3 shapes × 5 scales × 8 rotations × 8 x × 8 y = 7,680 images ("coarse").

    Returns images uint8 (N, 1, size, size) (a white shape on black), labels int64 (N,) (the shape
    index) and factors float32 (N, 5) holding the factor values in `FACTOR_NAMES` order (shape index,
    scale, rotation in radians, x and y in [0, 1]). `seed` only fixes the order of the images; the grid
    itself never changes, and the same seed gives identical arrays.
    """
    if size < MIN_SIZE:
        raise ConfigError(f"shapes size must be at least {MIN_SIZE} pixels, got {size}")
    scales, rotations, positions = _grid_values(grid)
    max_radius = RADIUS_FRACTION * size
    low, high = max_radius + MARGIN_PX, size - max_radius - MARGIN_PX  # centre range in pixels
    centres = low + positions * (high - low)
    samples = (np.arange(size * SUPERSAMPLE) + 0.5) / SUPERSAMPLE  # sample coordinates in pixels
    offsets = (samples[None, :] - centres[:, None]).astype(np.float32)  # (positions, size * SUPERSAMPLE)
    dx = offsets[:, None, None, :]  # varies with the x position and the column
    dy = offsets[None, :, :, None]  # varies with the y position and the row

    n = len(positions)
    xy = np.stack(np.meshgrid(positions, positions, indexing="ij"), axis=-1).reshape(n * n, 2)  # (x, y)
    images, factors = [], []
    for shape in range(len(SHAPE_NAMES)):
        for scale in scales:
            for rotation in rotations:
                cos, sin = float(np.cos(rotation)), float(np.sin(rotation))  # python floats keep float32
                # rotate each sample into the shape's frame: q = R(-rotation) (p - centre)
                qx = cos * dx + sin * dy  # (x, y, rows, cols) in super-samples
                qy = cos * dy - sin * dx
                mask = _inside(shape, qx, qy, float(scale * max_radius))
                hits = mask.reshape(n, n, size, SUPERSAMPLE, size, SUPERSAMPLE).sum(
                    axis=(3, 5), dtype=np.int32
                )
                images.append(hits.reshape(n * n, size, size))  # (x, y) flattened, y fastest
                factors.append(np.column_stack([np.full((n * n, 3), (shape, scale, rotation)), xy]))

    coverage = np.concatenate(images) / SUPERSAMPLE**2  # fraction of each pixel inside the shape
    images_u8 = np.rint(coverage * 255.0).astype(np.uint8)[:, None]  # (N, 1, size, size)
    factors_f32 = np.concatenate(factors).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(images_u8))
    labels = factors_f32[:, 0].astype(np.int64)
    return images_u8[order], labels[order], factors_f32[order]


def load_shapes(root: Path, seed: int = 0, size: int = 28, grid: str = "coarse") -> ImageDataset:
    """The shapes set with a deterministic stratified 80/20 split; factors in both splits."""
    count = grid_size(grid)

    def build() -> dict[str, np.ndarray]:
        images, labels, factors = make_shapes(seed=seed, size=size, grid=grid)
        return {"images": images, "labels": labels, "factors": factors}

    suffix = "" if grid == "coarse" else f"_{grid}"  # the coarse cache keeps its old name
    arrays = cached_npz(
        Path(root) / f"shapes_{seed}_{size}{suffix}.npz",
        {
            "images": ((count, 1, size, size), np.uint8),
            "labels": ((count,), np.int64),
            "factors": ((count, len(FACTOR_NAMES)), np.float32),
        },
        build,
    )
    images, labels, factors = arrays["images"], arrays["labels"], arrays["factors"]
    train_idx, test_idx = stratified_split(labels, test_size=0.2, seed=0)
    return ImageDataset(
        name="shapes" if grid == "coarse" else f"shapes-{grid}",
        train=make_split(images, labels, train_idx, factors),
        test=make_split(images, labels, test_idx, factors),
        class_names=SHAPE_NAMES,
        title="Shapes (dSprites-like)" if grid == "coarse" else f"Shapes, {grid} grid (dSprites-like)",
        source="generated by dul_models (dSprites-like, Matthey et al. 2017)",
        licence="generated here; free to use (no third-party images)",
        has_labels=True,
        embedded=True,
        factor_names=FACTOR_NAMES,
    )
