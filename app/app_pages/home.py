"""Home: what the explorer offers (one card per registered page), the chosen dataset, where things run."""

from __future__ import annotations

import pandas as pd
import streamlit as st
import torch

from app import resources, state
from app.components.images import image_grid
from app.components.sidebar import chosen_dataset
from app.pages import cards
from dul_models.core.devices import pick_device
from dul_models.data.gallery import class_gallery
from dul_models.runs.checkpoints import list_runs

CARD_COLUMNS = 3

st.title("🔬 DUL Explorer")
st.markdown(
    "Train small deep unsupervised models live and look inside them. Every page opens on a bundled run "
    "trained on the chosen dataset, and can train a new one while you watch — on the GPU when there is "
    "one, on the CPU otherwise."
)

columns = st.columns(CARD_COLUMNS)
for index, spec in enumerate(cards()):
    with columns[index % CARD_COLUMNS].container(border=True):
        st.page_link(spec.file, label=spec.title, icon=spec.icon)
        st.caption(spec.card)

name = state.dataset_name()
st.header("Dataset")
data = chosen_dataset()

channels, height, width = data.image_shape
st.markdown(
    f"**{data.title}** — {data.source} Licence: {data.licence}  \n"
    f"{len(data.train):,} training and {len(data.test):,} test images of {channels}×{height}×{width} pixels"
    f"{'' if data.embedded else ' (downloaded)'}."
)
per_class = st.slider("Images per class", 4, 16, 8, key="home-per-class")
images, counts = class_gallery(data, per_class)
gallery, table = st.columns([3, 1])
with gallery:
    image_grid(
        images,
        nrow=per_class,
        scale=2 if height >= 28 else 4,
        caption="One row per class, in the order of the table",
        download_name=f"{name}-gallery.png",
    )
with table:
    st.dataframe(pd.DataFrame(counts), hide_index=True)

st.header("Where things run")
device = pick_device(state.device_name())
runs = list_runs(dataset=name)
st.markdown(
    f"Device: **{device.type}** · torch {torch.__version__} · {resources.threads()} CPU thread(s) for torch · "
    f"{len(runs)} run(s) for {name} ({sum(r.bundled for r in runs)} bundled)."
)
if runs:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "run": r.title or r.name,
                    "family": r.family,
                    "step": r.step,
                    "bundled": r.bundled,
                    "folder": str(r.path),
                }
                for r in runs
            ]
        ),
        hide_index=True,
    )
