"""The four pretext tasks doing their task, one tab each: what the network was asked and what it answered.

Each tab's run is picked in the sidebar through the shared run picker, one role per task; the colorisation
tab on a grey data set shows a run on the colour set the library names (`colour_dataset`).
"""

from __future__ import annotations

import streamlit as st

from app.app_pages.self_supervised.pretext_tabs import colorization_tab, context_tab, jigsaw_tab, rotation_tab
from dul_models import ImageDataset


def pretext_section(page: str, data: ImageDataset, images, device: str) -> None:
    """Tabs for rotation, jigsaw, context and colorisation runs (each run picked in the sidebar under
    its own role); `images` is the test split, passed through to the library."""
    st.header("Pretext tasks doing their task")
    tabs = st.tabs(["Rotation", "Jigsaw", "Context", "Colorisation"])
    with tabs[0]:
        rotation_tab(page, data, images, device)
    with tabs[1]:
        jigsaw_tab(page, data, images)
    with tabs[2]:
        context_tab(page, data, images)
    with tabs[3]:
        colorization_tab(page, data, device)
