"""Glyphs: hundreds of procedurally drawn symbol classes, Omniglot's role offline.

Few-shot learning needs many classes with few images each, and test classes no model has seen. Omniglot
(Lake et al. 2015: 1,623 characters × 20 drawers) must be downloaded; this set draws `NUM_CLASSES`
symbols the same way a person would copy a character: each class is one to three pen strokes (smooth
Bézier curves, sometimes a dot) from a per-class seed, and each of its `PER_CLASS` images redraws them
with a shaky hand (every control point jittered), a different pen width and a small rotation, scaling,
shear and shift. The same seed gives identical arrays; about 8,000 images are drawn in a few seconds
and cached in the data folder.

The train/test split keeps every class on both sides (15 / 5 images each), like the other embedded
sets, so the embedding and probe pages work on it; few-shot pages split by *class* instead
(`dul_models.data.episodes`): base, validation and novel classes are disjoint.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dul_models.data.loading import cached_npz, make_split, stratified_split
from dul_models.data.registry import ImageDataset

NUM_CLASSES = 400  # 240 base / 60 validation / 100 novel (episodes.py): 20-way episodes need ≥ 20 novel
PER_CLASS = 20  # Omniglot's 20 drawers: 5-shot + 15 queries fill a class exactly
SIZE = 28  # MNIST's side, so every encoder built for mnist5k also reads glyphs
POINTS_PER_STROKE = 24  # samples along each Bézier curve; segments between them are drawn
BOX = (0.18, 0.82)  # control points of a class live in this part of the unit square
JITTER = 0.035  # per-image control-point noise, as a fraction of the side (a shaky copy, same symbol)
ROTATION_DEG = 8.0  # per-image rotation std
SCALE_RANGE = (0.9, 1.1)  # per-image scale, per axis
SHEAR = 0.08  # per-image shear std
SHIFT = 0.04  # per-image translation std, fraction of the side
PEN_PX = (1.3, 2.2)  # per-image pen width in pixels
CACHE_NAME = f"glyphs_v1_{NUM_CLASSES}x{PER_CLASS}_{SIZE}.npz"  # bump v1 when the recipe changes


def class_strokes(class_id: int, seed: int = 0) -> list[np.ndarray]:
    """The symbol of one class: a list of strokes, each (P, 2) Bézier control points in the unit square.

    One stroke in 4 classes, two in half, three in a quarter; a stroke has 3 or 4 control points, and
    one class in 6 adds a dot (a stroke whose control points coincide).
    """
    rng = np.random.default_rng([seed, class_id])
    n_strokes = int(rng.choice([1, 2, 3], p=[0.25, 0.5, 0.25]))
    strokes = []
    for _ in range(n_strokes):
        n_points = int(rng.integers(3, 5))
        strokes.append(rng.uniform(*BOX, size=(n_points, 2)))
    if rng.random() < 1 / 6:
        strokes.append(np.repeat(rng.uniform(*BOX, size=(1, 2)), 3, axis=0))
    return strokes


def bezier(control: np.ndarray, n: int = POINTS_PER_STROKE) -> np.ndarray:
    """Points (n, 2) along the Bézier curve of `control` (P, 2), by De Casteljau's construction."""
    t = np.linspace(0.0, 1.0, n)[:, None, None]  # (n, 1, 1)
    points = np.broadcast_to(control[None], (n, *control.shape)).copy()  # (n, P, 2)
    while points.shape[1] > 1:
        points = (1 - t) * points[:, :-1] + t * points[:, 1:]
    return points[:, 0]  # (n, 2)


def _segment_distance(pixels: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Distance (B, M) from each pixel centre (M, 2) to the nearest segment starts→ends (B, S, 2) of each image.

    x and y are kept apart (float32): sums over a trailing axis of length 2 are numpy's slow path.
    """
    px, py = (pixels[None, :, None, i].astype(np.float32) for i in (0, 1))  # (1, M, 1) each
    sx, sy = (starts[:, None, :, i].astype(np.float32) for i in (0, 1))  # (B, 1, S) each
    dx, dy = (ends[:, None, :, i].astype(np.float32) - s for i, s in ((0, sx), (1, sy)))
    rx, ry = px - sx, py - sy  # (B, M, S) pixel relative to each segment start
    t = np.clip((rx * dx + ry * dy) / np.maximum(dx * dx + dy * dy, 1e-12), 0.0, 1.0)  # along each segment
    gx, gy = rx - t * dx, ry - t * dy  # (B, M, S) pixel minus its nearest point on the segment
    return np.sqrt((gx * gx + gy * gy).min(-1))  # (B, M)


def draw_glyphs(
    strokes: list[np.ndarray], rng: np.random.Generator, count: int, size: int = SIZE
) -> np.ndarray:
    """`count` handwritten copies of one class's strokes: (count, size, size) uint8, a white pen on black."""
    angle = np.deg2rad(rng.normal(0.0, ROTATION_DEG, count))
    scale = rng.uniform(*SCALE_RANGE, size=(count, 2))
    shear = rng.normal(0.0, SHEAR, count)
    cos, sin = np.cos(angle), np.sin(angle)
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)  # (count, 2, 2)
    shearing = np.zeros((count, 2, 2))
    shearing[:, 0, 0] = shearing[:, 1, 1] = 1.0
    shearing[:, 0, 1] = shear
    linear = rotation @ shearing * scale[:, None, :]  # (count, 2, 2): R · Sh · diag(scale)
    shift = rng.normal(0.0, SHIFT, size=(count, 1, 2))
    starts, ends = [], []
    for control in strokes:
        shaky = control[None] + rng.normal(0.0, JITTER, size=(count, *control.shape))  # (count, P, 2)
        curve = np.stack([bezier(c) for c in shaky])  # (count, n, 2) in the unit square
        if np.ptp(control, axis=0).max() < 1e-9:  # a dot: one short segment the pen turns into a disc
            curve = np.stack([curve[:, 0], curve[:, 0] + 0.01], 1)  # (count, 2, 2)
        points = ((curve - 0.5) @ linear.transpose(0, 2, 1) + 0.5 + shift) * size  # (count, n, 2) pixels
        starts.append(points[:, :-1])
        ends.append(points[:, 1:])
    grid = np.stack(np.meshgrid(np.arange(size), np.arange(size), indexing="xy"), -1)  # (size, size, 2) x, y
    centres = grid.reshape(-1, 2) + 0.5  # (size², 2)
    distance = _segment_distance(
        centres, np.concatenate(starts, 1), np.concatenate(ends, 1)
    )  # (count, size²)
    pen = rng.uniform(*PEN_PX, size=(count, 1))
    ink = np.clip(pen / 2 + 0.5 - distance, 0.0, 1.0)  # one pixel of anti-aliased edge
    return np.rint(ink.reshape(count, size, size) * 255).astype(np.uint8)


def make_glyphs(
    num_classes: int = NUM_CLASSES, per_class: int = PER_CLASS, seed: int = 0, size: int = SIZE
) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 (num_classes·per_class, 1, size, size) and labels int64, class by class."""
    images = np.empty((num_classes * per_class, 1, size, size), dtype=np.uint8)
    for class_id in range(num_classes):
        rng = np.random.default_rng([seed, class_id, 1])  # the drawers of this class
        rows = slice(class_id * per_class, (class_id + 1) * per_class)
        images[rows, 0] = draw_glyphs(class_strokes(class_id, seed), rng, per_class, size)
    labels = np.repeat(np.arange(num_classes, dtype=np.int64), per_class)
    return images, labels


def class_names(num_classes: int = NUM_CLASSES) -> tuple[str, ...]:
    return tuple(f"glyph {i:03d}" for i in range(num_classes))


def load_glyphs(root: Path, seed: int = 0) -> ImageDataset:
    """The glyphs set, cached, with a stratified 15 / 5 per-class train/test split."""
    count = NUM_CLASSES * PER_CLASS

    def build() -> dict[str, np.ndarray]:
        images, labels = make_glyphs(seed=seed)
        return {"images": images, "labels": labels}

    arrays = cached_npz(
        Path(root) / CACHE_NAME.replace(".npz", f"_{seed}.npz"),
        {"images": ((count, 1, SIZE, SIZE), np.uint8), "labels": ((count,), np.int64)},
        build,
    )
    images, labels = arrays["images"], arrays["labels"]
    train_idx, test_idx = stratified_split(labels, test_size=0.25, seed=0)
    return ImageDataset(
        name="glyphs",
        train=make_split(images, labels, train_idx),
        test=make_split(images, labels, test_idx),
        class_names=class_names(),
        title="Glyphs (Omniglot-like)",
        source="generated by dul_models: procedurally drawn symbols, Omniglot's role (Lake et al. 2015) offline",
        licence="generated here; free to use (no third-party images)",
        has_labels=True,
        embedded=True,
    )
