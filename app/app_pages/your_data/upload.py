"""The upload (a zip, a folder or images), the import settings, and the plan of what importing would make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from dul_models import DULError
from dul_models.explore import your_data as explore

ROUND = "your_data::round"  # bumped after an import: a fresh, empty uploader
KIND = "your_data::kind"
PREVIEW = "your_data::preview"  # ((upload token, options), preview): the last plan, not re-read on reruns
IMAGE_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "webp"]
KINDS = {
    "zip": "A .zip file",
    "folder": "A folder",
    "images": "Images",
}
AUTO = "auto"  # size or channels chosen from the images (not None: a selectbox may clear to None)


@dataclass(frozen=True)
class Upload:
    """What the uploader holds: its files, and a token that changes with every new upload."""

    token: tuple[str, ...]  # the files' upload ids
    files: tuple[Any, ...]  # Streamlit's UploadedFile objects

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.files]

    def contents(self) -> list[tuple[str, bytes]]:
        """(name, bytes) of every file: read only when a plan or an import needs them."""
        return [(f.name, f.getvalue()) for f in self.files]


def chosen_upload() -> Upload | None:
    """The uploader for the chosen kind of upload; None until something is uploaded."""
    kind = st.radio("What to upload", list(KINDS), format_func=KINDS.get, horizontal=True, key=KIND)
    key = f"your_data::upload::{kind}::{st.session_state.setdefault(ROUND, 0)}"
    if kind == "zip":
        found = st.file_uploader("A .zip of your images", type=["zip"], key=key)
    elif kind == "folder":  # no type filter: metadata.csv must arrive, and what is skipped is listed
        found = st.file_uploader("A folder of images", accept_multiple_files="directory", key=key)
    else:
        found = st.file_uploader("Your images", type=IMAGE_TYPES, accept_multiple_files=True, key=key)
    files = tuple(found if isinstance(found, list) else [found] if found is not None else [])
    return Upload(tuple(f.file_id for f in files), files) if files else None


def settings(upload: Upload | None) -> explore.ImportOptions | None:
    """Name, size, channels, test share and split seed; the options, or None (nothing uploaded, or one
    `st.error` saying what is wrong with them)."""
    left, middle, right = st.columns(3)
    token = upload.token[0] if upload else "none"
    name = left.text_input(
        "Name of the data set",
        explore.suggested_name(upload.names if upload else []),
        key=f"your_data::name::{token}",
        help="How the sidebar, every page and the command line (--dataset) will name it.",
    )
    size = middle.selectbox(
        "Size",
        [AUTO, *explore.SIZES],
        format_func=lambda s: "automatic (28 grey, 32 colour)" if s == AUTO else f"{s}×{s} pixels",
        key="your_data::size",
        help="Images are made square: the shorter side scaled to this size, the longer one centre-cropped.",
    )
    channels = right.selectbox(
        "Channels",
        [AUTO, *explore.CHANNELS],
        format_func=lambda c: {AUTO: "automatic", 1: "1: greyscale", 3: "3: colour"}[c],
        key="your_data::channels",
        help="Automatic: greyscale when every image is, colour otherwise.",
    )
    left, right = st.columns([2, 1])
    test_share = left.slider(
        "Test share",
        *explore.TEST_SHARE_RANGE,
        0.2,
        0.05,
        format="%.2f",
        key="your_data::test-share",
        help="The share of each class held out as the test split (stratified when labelled).",
    )
    seed = right.number_input("Split seed", 0, 2**31 - 1, 0, key="your_data::seed")
    if upload is None:
        return None
    try:
        return explore.ImportOptions(
            name,
            size=None if size == AUTO else size,
            channels=None if channels == AUTO else channels,
            test_share=round(test_share, 2),
            seed=int(seed),
        )
    except DULError as exc:
        st.error(str(exc))
        return None


def planned(upload: Upload, options: explore.ImportOptions) -> explore.UploadPreview | None:
    """The plan of the upload with these options (read once per upload and options), or None after one
    `st.error` with the library's reason."""
    key = (upload.token, options)
    memo = st.session_state.get(PREVIEW)
    if memo is not None and memo[0] == key:
        return memo[1]
    try:
        with st.spinner("Reading the upload: names, image headers and a few images…"):
            found = explore.preview_upload(upload.contents(), options)
    except DULError as exc:
        st.error(str(exc))
        return None
    st.session_state[PREVIEW] = (key, found)
    return found
