"""The shared sidebar: dataset, device and seed, read by every page through app.state."""

from __future__ import annotations

import streamlit as st
import torch

from app import resources, state
from dul_models import DULError, ImageDataset, available_devices, list_datasets


def shared_sidebar() -> None:
    state.init_defaults()
    specs = {spec.name: spec for spec in list_datasets()}
    st.sidebar.selectbox(
        "Dataset",
        list(specs),
        key=state.DATASET,
        format_func=lambda n: f"{specs[n].title}{'' if specs[n].embedded else ' (download)'}",
        help="Embedded sets work offline; the others are downloaded by torchvision on first use.",
    )
    st.sidebar.selectbox(
        "Device",
        ["auto", *available_devices()],
        key=state.DEVICE,
        help="auto picks cuda, then mps, then cpu. Training and inference both run here.",
    )
    st.sidebar.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key=state.SEED)
    st.sidebar.caption(f"torch {torch.__version__} · {resources.threads()} CPU thread(s) for torch")


def chosen_dataset() -> ImageDataset:
    """The sidebar's dataset, or a clear error that names the offline alternatives, then stop the page."""
    name = state.dataset_name()
    try:
        return resources.dataset(name)
    except DULError as exc:
        st.error(f"Could not load dataset {name!r}: {exc}")
        st.info(
            "Pick an embedded dataset (mnist5k, digits, shapes or photos) in the sidebar; they need no download."
        )
        st.stop()


def require_labels(data: ImageDataset, what: str) -> None:
    """Stop the page with one sentence when the dataset has no labels and `what` needs them: nothing fakes them."""
    if not data.has_labels:
        st.info(
            f"{data.name} has no labels, and {what} needs them. Import the images again with one subfolder per "
            "class (the page *Your data* or `python -m dul_models datasets import`), or pick a labelled set."
        )
        st.stop()
