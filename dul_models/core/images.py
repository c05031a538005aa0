"""Image tensors → grids and PNG bytes, for previews, the app's galleries and downloads."""

from __future__ import annotations

import io

import numpy as np
import torch


def grid_array(images: torch.Tensor, nrow: int = 8, scale: int = 1, padding: int = 2) -> np.ndarray:
    """(N, C, H, W) in [0, 1] → (H', W', 3) uint8 grid; `scale` enlarges pixels without blurring them."""
    if images.ndim != 4 or images.shape[0] == 0:
        raise ValueError(f"expected one or more images shaped (N, C, H, W), got {tuple(images.shape)}")
    images = images.detach().float().cpu().clamp(0, 1)
    if scale > 1:
        images = images.repeat_interleave(scale, dim=2).repeat_interleave(scale, dim=3)
    grid = _tile(images, max(1, nrow), padding, pad_value=0.5)  # (3, H', W')
    return (grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def _tile(images: torch.Tensor, nrow: int, padding: int, pad_value: float) -> torch.Tensor:
    """torchvision's `make_grid` layout without importing torchvision (about 2 s on a first page load):
    grey images become RGB, `nrow` per row, `padding` pixels of `pad_value` around every cell; one image
    comes back alone, unpadded."""
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)  # (N, 3, H, W)
    if images.shape[0] == 1:
        return images[0]
    n, channels, height, width = images.shape
    columns, rows = min(nrow, n), -(-n // min(nrow, n))
    cell_h, cell_w = height + padding, width + padding
    grid = torch.full((channels, cell_h * rows + padding, cell_w * columns + padding), pad_value)
    for k in range(n):
        y, x = divmod(k, columns)
        top, left = y * cell_h + padding, x * cell_w + padding
        grid[:, top : top + height, left : left + width] = images[k]
    return grid


def png_bytes(array: np.ndarray) -> bytes:
    """Encode an (H, W) or (H, W, 3) uint8 array as PNG."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def thumbnail_map(
    coords: np.ndarray,
    images: torch.Tensor | np.ndarray,
    *,
    size_px: int = 1600,
    thumb_px: int | None = None,
    background: int | tuple[int, int, int] = 17,
    margin_px: int | None = None,
) -> np.ndarray:
    """Each image pasted at its point of a 2-D map: what a region of an embedding *looks like*, at a glance.

    coords (N, 2) as plotted (x right, y up); images (N, C, H, W) float in [0, 1] or uint8, C = 1 or 3.
    Returns (size_px, size_px, 3) uint8; later points are drawn on top of earlier ones. `thumb_px` resizes
    each image so its longer side has that many pixels (default: native size); `background` is a grey level
    or an RGB triple (default 17, a near-black that keeps the black edges of MNIST tiles visible).
    `margin_px` (default half a thumbnail) keeps the outermost thumbnails off the edge.
    """
    from dul_models.core.errors import ConfigError

    coords = np.asarray(coords, dtype=np.float64)
    images = torch.as_tensor(images).detach().cpu()
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ConfigError(f"images must be shaped (N, C, H, W) with C = 1 or 3, got {tuple(images.shape)}")
    fill = np.asarray(background)
    fill = np.repeat(fill, 3) if fill.ndim == 0 else fill
    if fill.shape != (3,) or not np.isin(fill, np.arange(256)).all():
        raise ConfigError(
            f"background must be a grey level 0..255 or an RGB triple of them, got {background!r}"
        )
    if thumb_px is not None:
        if not isinstance(thumb_px, (int, np.integer)) or thumb_px < 1:
            raise ConfigError(f"thumb_px must be a positive integer or None (native size), got {thumb_px!r}")
        images = _resized(images, int(thumb_px))
    if coords.shape != (images.shape[0], 2) or not np.isfinite(coords).all():
        raise ConfigError(f"coords must be finite and shaped ({images.shape[0]}, 2), got {coords.shape}")
    height, width = images.shape[2:]
    margin = max(height, width) // 2 if margin_px is None else margin_px
    span = size_px - 2 * margin - np.array([width, height])  # room for the top-left corners (x, y)
    if margin < 0 or span.min() < 0:
        raise ConfigError(
            f"size_px must be at least {max(height, width) + 2 * margin} for {height}x{width} images "
            f"and margin_px {margin} (margin_px >= 0), got size_px {size_px}"
        )
    if images.dtype != torch.uint8:
        images = (images.float().clamp(0, 1) * 255).round().to(torch.uint8)
    tiles = images.expand(-1, 3, -1, -1).permute(0, 2, 3, 1).numpy()  # (N, H, W, 3)

    low, extent = coords.min(axis=0), np.ptp(coords, axis=0)
    unit = np.divide(
        coords - low, extent, out=np.full_like(coords, 0.5), where=extent > 0
    )  # (N, 2) in [0, 1]
    left = margin + np.rint(unit[:, 0] * span[0]).astype(np.int64)
    top = margin + np.rint((1 - unit[:, 1]) * span[1]).astype(np.int64)  # y up, rows down

    canvas = np.empty((size_px, size_px, 3), dtype=np.uint8)
    canvas[:] = fill.astype(np.uint8)
    # In order, so later points land on top (numpy's fancy-index assignment does not promise an order).
    for tile, row, col in zip(tiles, top.tolist(), left.tolist(), strict=True):
        canvas[row : row + height, col : col + width] = tile  # a slice copy per point: ~2 µs each
    return canvas


def _resized(images: torch.Tensor, longer_side: int) -> torch.Tensor:
    """Images scaled so the longer side is `longer_side`: blocky when enlarged (pixels stay visible), area
    averaging when shrunk (no aliasing); uint8 stays uint8."""
    height, width = images.shape[2:]
    scale = longer_side / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    if size == (height, width):
        return images
    was_uint8 = images.dtype == torch.uint8
    floats = images.float() / 255 if was_uint8 else images.float()
    out = torch.nn.functional.interpolate(floats, size=size, mode="nearest" if scale > 1 else "area")
    return (out * 255).round().clamp(0, 255).to(torch.uint8) if was_uint8 else out
