"""DUL Explorer entry point: page config, the shared sidebar, navigation built from app/pages.py."""

from __future__ import annotations

import streamlit as st

from app.components.sidebar import shared_sidebar
from app.pages import groups
from app.resources.warm import start_warming

st.set_page_config(page_title="DUL Explorer", page_icon="🔬", layout="wide")

navigation = st.navigation(
    {
        group: [
            st.Page(p.file, title=p.title, icon=p.icon, url_path=p.url_path or None, default=p.default)
            for p in members
        ]
        for group, members in groups().items()
    }
)
shared_sidebar()
start_warming()  # once per server: the bundled runs' UMAP maps into the disk cache, in the background (from the first visit)
navigation.run()
