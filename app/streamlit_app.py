"""DUL Explorer entry point: page config, the shared sidebar, navigation over app/app_pages/."""

from __future__ import annotations

import streamlit as st

from app.components.sidebar import shared_sidebar

st.set_page_config(page_title="DUL Explorer", page_icon="🔬", layout="wide")

PAGES = {
    "Explore": [st.Page("app_pages/home.py", title="Home", icon="🏠", default=True)],
    "Autoencoders": [
        st.Page("app_pages/denoising.py", title="Denoising autoencoders", icon="🧽", url_path="denoising")
    ],
    "Generative models": [
        st.Page("app_pages/gan.py", title="GANs", icon="🎭", url_path="gan"),
        st.Page("app_pages/vae.py", title="Variational autoencoders", icon="🌀", url_path="vae"),
        st.Page("app_pages/pixelcnn.py", title="PixelCNN", icon="🧩", url_path="pixelcnn"),
    ],
}

navigation = st.navigation(PAGES)
shared_sidebar()
navigation.run()
