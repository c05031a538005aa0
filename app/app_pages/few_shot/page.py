"""Few-shot learning: build an N-way K-shot episode (drawn or hand-picked), play it against the model, see
its decision (regions, distances), watch MAML adapt step by step, benchmark every method, train live."""

from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages.few_shot import cached, game, maml, sections, training
from app.app_pages.few_shot.builder import episode_builder
from app.components.sidebar import chosen_dataset, require_labels
from app.pages import page_of

PAGE = page_of(__file__).key

st.title("🎯 Few-shot learning")
st.markdown(
    "Can a model learn a class from **one or five examples**? Classes are split into **base** classes, "
    "which meta-learners train on, and **novel** classes no model has seen labels of. Each test is an "
    "**episode**: N novel classes, K labelled **support** images of each, and **query** images to sort "
    "into those N classes; the score is the share of queries placed right, averaged over many episodes."
)
name, device = state.dataset_name(), state.device_name()
data = chosen_dataset()
require_labels(data, "a few-shot episode (N labelled classes)")
if name != "glyphs":
    st.caption(
        f"{name} has {data.num_classes} classes. For the real thing pick **glyphs** in the sidebar: 400 "
        "procedurally drawn classes (240 base, 60 validation, 100 novel) of 20 images each: Omniglot's role."
    )

built = episode_builder(PAGE, name, device, data)
game.section(built)
sections.decision(built)
maml_run = maml.section(PAGE, built)
sections.benchmark(built, maml_run)
training.section(
    PAGE, built.seed, device, len(cached.pool(name, "base").classes)
)  # the episode seed also seeds the live run, as before
