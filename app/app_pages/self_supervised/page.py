"""Self-supervised learning: views, the InfoNCE game, MoCo's queue, pretext tasks, and training live."""

from __future__ import annotations

import streamlit as st

from app import resources, state
from app.app_pages.self_supervised import sections
from app.app_pages.self_supervised.pretext import pretext_section
from app.app_pages.self_supervised.training import train_section
from app.components.sidebar import chosen_dataset
from app.pages import page_of

PAGE = page_of(__file__).key

st.title("🔁 Self-supervised learning")
st.markdown(
    "No labels: the network invents its own task. **Contrastive** methods (SimCLR, MoCo) must recognise two "
    "random views of the same image among many others; **pretext tasks** ask it to undo something done to the "
    "image (a rotation, shuffled tiles, a missing neighbour, removed colour). Either way the backbone's "
    "features end up organising the images — the probes below measure how well, with labels used only to score."
)
name, device, seed = state.dataset_name(), state.device_name(), state.seed()
data = chosen_dataset()
test_images = resources.test_images(name, device)

sections.views(data, test_images, seed)
sections.infonce(PAGE, test_images, seed)
pretext_section(PAGE, data, test_images, device)
sections.probes(data, device)
train_section(PAGE, data, seed, device)
