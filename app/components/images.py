"""Image grids rendered from tensors, with a PNG download beside them."""

from __future__ import annotations

from functools import partial

import streamlit as st
import torch

from dul_models.images import grid_array, png_bytes


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


def _grid_png(images: torch.Tensor, nrow: int) -> bytes:
    return png_bytes(grid_array(images, nrow=nrow))
