"""Image upload: the accepted formats and the size limit in one place, one st.error for a bad file.

The library's `image_from_bytes` decodes and reshapes the file for the dataset and says in words what
was wrong; this widget only shows that message, so every page treats uploads the same way.
"""

from __future__ import annotations

import streamlit as st
import torch

from dul_models import DULError, image_from_bytes

ACCEPTED_TYPES = ("png", "jpg", "jpeg", "gif", "bmp", "webp")  # what image_from_bytes can decode
MAX_BYTES = 10_000_000  # a phone photo fits; larger files are refused before decoding
_MAX_MB = MAX_BYTES // 1_000_000


def uploaded_image(
    label: str,
    image_shape: tuple[int, int, int],
    *,
    key: str,
    invert: bool | None = None,
    device: torch.device | None = None,
    fallback: str = "Try a PNG or JPEG of a single image.",
    container=st,
) -> torch.Tensor | None:
    """An uploader; returns the file as a (C, H, W) float tensor in [0, 1] shaped for the dataset, or None.

    None when nothing is uploaded or the file is unusable (then one `st.error`: the reason + `fallback`,
    which should say what the page does instead). `invert=None` lets the library guess (ink on paper →
    light on dark for MNIST-like sets). `container` places the uploader (e.g. a column).
    """
    upload = container.file_uploader(
        label,
        type=list(ACCEPTED_TYPES),
        key=key,
        max_upload_size=_MAX_MB,
        help=f"{', '.join(t.upper() for t in ACCEPTED_TYPES)}, up to {_MAX_MB} MB; any size in pixels.",
    )
    if upload is None:
        return None
    try:
        image = image_from_bytes(upload.getvalue(), image_shape, invert=invert, max_bytes=MAX_BYTES)
    except DULError as exc:
        st.error(f"{exc}. {fallback}")
        return None
    return image if device is None else image.to(device)
