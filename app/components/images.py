"""Image grids rendered from tensors, with a PNG download beside them."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import streamlit as st
import torch

from dul_models import grid_array, png_bytes


def image_grid(
    images: torch.Tensor,
    *,
    nrow: int = 8,
    caption: str | None = None,
    scale: int = 3,
    download_name: str | None = None,
    key: str | None = None,
) -> None:
    """Show (N, C, H, W) images in [0, 1] as one grid; pixels enlarged `scale`× without blurring."""
    st.image(grid_array(images, nrow=nrow, scale=scale), width="content")
    if caption:
        st.caption(caption)
    if download_name:
        st.download_button(  # encoded when pressed, not on every rerun (a PNG encode is tens of ms)
            "⬇ PNG",
            partial(_grid_png, images, nrow),
            file_name=download_name,
            mime="image/png",
            key=key or f"dl-{download_name}",
            on_click="ignore",
        )


def captioned_tiles(images: torch.Tensor, captions: Sequence[str], *, size: int = 72) -> None:
    """One tile per (C, H, W) image in [0, 1], all of one size (pixels enlarged without blurring), each
    with its own caption: for galleries where every image says something different (a label, a guess)."""
    scale = max(1, round(size / images.shape[-1]))
    tiles = [grid_array(image[None], nrow=1, scale=scale, padding=0) for image in images]
    st.image(tiles, caption=list(captions), width=tiles[0].shape[1])


def _grid_png(images: torch.Tensor, nrow: int) -> bytes:
    return png_bytes(grid_array(images, nrow=nrow))
