"""Embedding explorer: maps of any encoder with the images on them, two encoders side by side with
linked selection, selection → gallery, neighbours of any image, and how good each encoder is (kNN and
linear probe)."""

from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages.embeddings import controls, maps, sections
from app.components.sidebar import chosen_dataset

st.title("🗺️ Embedding explorer")
st.markdown(
    "An *encoder* turns each image into a vector; a good one puts images that mean the same thing close "
    "together. Pick an encoder — raw pixels, PCA, a random network or any trained run — and see its vectors "
    "of the images (the test split, the training split or all of them) projected to a map, with the images "
    "on it. Select points to see what you circled, "
    "compare two encoders on the same images, find any image's neighbours, and measure every encoder with a "
    "k-nearest-neighbour vote and a linear probe trained on 1, 10 or 100 labels per class."
)

choice = controls.map_choice(chosen_dataset(), state.dataset_name(), state.device_name())
selected = maps.maps(choice)
maps.image_map(choice, selected)
sections.nearest_neighbours(choice, selected)
sections.probes(choice)
sections.export(choice)
