"""Semi-supervised learning: the label budget, FixMatch's weak and strong views, a trained model's
pseudo-labels, label propagation in seconds, accuracy against the budget, and training live."""

from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages.semi_supervised import sections, sections_propagation
from app.app_pages.semi_supervised.training import train_section
from app.components.sidebar import chosen_dataset, require_labels
from app.pages import page_of

PAGE = page_of(__file__).key

st.title("🏷️ Semi-supervised learning")
st.markdown(
    "Labels are expensive; images are not. Here a classifier gets **a few labelled images per class** and "
    "every other training image **without its label**, and the question is how much those unlabelled "
    "images add. **FixMatch** trusts its own confident answers on gently shifted images as targets for "
    "heavily distorted ones; **label propagation** trains nothing and lets the few labels spread to "
    "neighbouring images in an encoder's feature space. The hidden labels are used only to score."
)
name, device, seed = state.dataset_name(), state.device_name(), state.seed()
data = chosen_dataset()
require_labels(data, "semi-supervised learning (a label budget drawn per class, scored against the labels)")

budget, label_seed, labelled = sections.budget(data)
sections.weak_strong(name, device, seed, len(data.test.y))
sections.pseudo_labels(PAGE, data, device, seed)
spec, neighbours = sections_propagation.propagation(data, device, budget, label_seed, labelled)
sections_propagation.budget_curve(spec, name, device, label_seed, neighbours)
train_section(PAGE, data, label_seed, seed, device)
