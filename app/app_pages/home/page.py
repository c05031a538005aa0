"""Home: what the explorer offers (one card per registered page), the chosen dataset, where things run."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import resources, state
from app.components.images import image_grid
from app.components.sidebar import chosen_dataset
from app.pages import cards
from dul_models import ImageDataset
from dul_models.explore import home as explore

CARD_COLUMNS = 3


def _cards() -> None:
    """One card per page (every page but this one), in registry order across the columns."""
    columns = st.columns(CARD_COLUMNS)
    for index, spec in enumerate(cards()):
        with columns[index % CARD_COLUMNS].container(border=True):
            st.page_link(spec.file, label=spec.title, icon=spec.icon)
            st.caption(spec.card)


def _dataset(name: str, data: ImageDataset) -> None:
    """The dataset in a sentence, then a few training images of each class beside the class counts."""
    channels, height, width = data.image_shape
    st.markdown(
        f"**{data.title}** — {data.source} Licence: {data.licence}  \n"
        f"{len(data.train):,} training and {len(data.test):,} test images of {channels}×{height}×{width} pixels"
        f"{'' if data.embedded else ' (downloaded)'}."
    )
    per_class = st.slider("Images per class", 4, 16, 8, key="home-per-class")
    gallery = explore.dataset_gallery(data, per_class)
    left, right = st.columns([3, 1])
    with left:
        image_grid(
            gallery.images,
            nrow=gallery.per_class,
            scale=2 if height >= 28 else 4,
            caption="One row per class, in the order of the table",
            download_name=f"{name}-gallery.png",
        )
    with right:
        st.dataframe(pd.DataFrame(gallery.counts), hide_index=True)


def _where_things_run(name: str) -> None:
    """The device, torch, its threads and the runs on this dataset."""
    env = explore.environment(state.device_name(), name)
    st.markdown(
        f"Device: **{env.device}** · torch {env.torch_version} · {resources.threads()} CPU thread(s) for torch · "
        f"{len(env.runs)} run(s) for {name} ({env.bundled} bundled)."
    )
    if env.runs:
        st.dataframe(pd.DataFrame(env.runs), hide_index=True)


st.title("🔬 DUL Explorer")
st.markdown(
    "Train small deep unsupervised models live and look inside them. Every page opens on a bundled run "
    "trained on the chosen dataset, and can train a new one while you watch — on the GPU when there is "
    "one, on the CPU otherwise."
)
_cards()

name = state.dataset_name()
st.header("Dataset")
_dataset(name, chosen_dataset())

st.header("Where things run")
_where_things_run(name)
