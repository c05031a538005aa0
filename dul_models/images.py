"""Image tensors → grids and PNG bytes, for previews, the app's galleries and downloads."""

from __future__ import annotations

import io

import numpy as np
import torch


def grid_array(images: torch.Tensor, nrow: int = 8, scale: int = 1, padding: int = 2) -> np.ndarray:
    """(N, C, H, W) in [0, 1] → (H', W', 3) uint8 grid; `scale` enlarges pixels without blurring them."""
    from torchvision.utils import make_grid

    if images.ndim != 4:
        raise ValueError(f"expected images shaped (N, C, H, W), got {tuple(images.shape)}")
    images = images.detach().float().cpu().clamp(0, 1)
    if scale > 1:
        images = images.repeat_interleave(scale, dim=2).repeat_interleave(scale, dim=3)
    grid = make_grid(images, nrow=max(1, nrow), padding=padding, pad_value=0.5)  # (3, H', W')
    return (grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def png_bytes(array: np.ndarray) -> bytes:
    """Encode an (H, W) or (H, W, 3) uint8 array as PNG."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()
