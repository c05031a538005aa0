"""The self-supervised page's sections other than the pretext tabs: two views of one image, the InfoNCE
game of a contrastive run, and the probe table of every encoder."""

from __future__ import annotations

import streamlit as st

from app.app_pages.self_supervised.contrastive import infonce_section
from app.components.images import image_grid
from app.components.probe_table import probe_table
from app.components.runs import picked_run
from app.components.uploads import uploaded_image
from app.pages import PAGES
from dul_models import DULError, ImageDataset, list_encoders
from dul_models.explore import self_supervised as explore


def views(data: ImageDataset, images, seed: int) -> None:
    """Eight pairs of views of one test image (or an upload) at the strengths the sliders set."""
    st.header("Two views of one image")
    st.markdown(
        "Each pair below is what one training step shows the network: it must map both views of a pair close "
        "together, so it learns to **ignore** whatever the augmentations change. Too weak, and the task is "
        "trivial; too strong, and the views no longer show the same thing."
    )
    c1, c2 = st.columns([1, 3])
    last = len(images) - 1
    index = int(c1.number_input("Test image", 0, last, 0, key="ssl-index", help=f"0 … {last}"))
    upload = uploaded_image(
        "…or upload an image",
        data.image_shape,
        key="ssl-upload",
        fallback=f"Using test image {index} instead.",
        container=c1,
    )
    chosen = {}
    slider_cols = c2.columns(3)
    for i, (field, (low, high, step)) in enumerate(explore.VIEW_LIMITS.items()):
        chosen[field] = slider_cols[i % 3].slider(
            field.replace("_", " "),
            low,
            high,
            explore.VIEW_DEFAULTS[field],
            step,
            key=f"ssl-aug-{field}",
            help=explore.VIEW_NOTES[field],
        )
    try:
        pairs = explore.two_views(images, index, chosen, upload=upload, pairs=8, seed=seed)
    except DULError as exc:
        st.error(f"Cannot draw views: {exc}")
        return
    c2.markdown("**Top row: view 1 · bottom row: view 2 of the same image** (crop scale 1 = no crop)")
    with c2:
        image_grid(pairs, nrow=8, download_name="views.png", key="ssl-views-dl")
    c2.caption(explore.view_legend())


def infonce(page: str, images, seed: int) -> None:
    """The InfoNCE game of the contrastive run picked in the sidebar (and MoCo's queue for a MoCo run)."""
    st.header("The InfoNCE game")
    run = picked_run(
        page,
        "main",
        None,
        label="Contrastive run (SimCLR / MoCo)",
        what="contrastive",
        where=lambda info: info.family in explore.CONTRASTIVE,
    )
    if run is not None:
        infonce_section(run, images, seed)


def probes(data: ImageDataset, device: str) -> None:
    """kNN and linear-probe accuracy of every encoder on this data set, baselines included."""
    st.header("Which method learns the best features?")
    probe_table(data, list_encoders(data.name), device, key="ssl-probe")
    explorer = next(spec.file for spec in PAGES if spec.url_path == "embeddings")
    st.page_link(explorer, label="Open any of these encoders in the Embedding explorer", icon="🗺️")
