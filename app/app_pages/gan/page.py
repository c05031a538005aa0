"""GANs: sample a DCGAN, walk its latent space, check it is not copying, count its classes, train live."""

from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages.gan import cached, sections, training
from app.components.runs import picked_run, run_download
from app.components.sidebar import chosen_dataset
from app.components.training_panel import train_live
from app.pages import page_of

PAGE = page_of(__file__).key

st.title("🎭 GANs")
st.markdown(
    "A generator turns random noise z into images; a discriminator is trained to tell them from real "
    "ones, and the generator is trained to fool it (DCGAN, Radford et al. 2016). Below: samples, a walk "
    "between two of them in z-space, their nearest training images (is the GAN copying?) and how evenly "
    "they cover the classes. Sample quality is a Fréchet distance (FID) in the features of a small "
    "classifier trained on this dataset — Inception weights cannot be fetched offline, so these numbers "
    "are not comparable with published Inception FIDs."
)

name, device, seed = state.dataset_name(), state.device_name(), state.seed()
data = chosen_dataset()

run = picked_run(
    PAGE,
    "main",
    training.FAMILY,
    label="GAN",
    what="GAN",
    load=lambda path: cached.prepared_gan(path, name, device),
)

if run is not None:
    scorer = sections.run_caption(run.info, name, device)
    batch = sections.samples(run, data)
    sections.interpolation(run, batch)
    if scorer.available:
        sections.copying(scorer, data, batch, name, device)
        sections.class_histogram(run.info, scorer, batch, name, device)
    run_download(run.info)

train_live(PAGE, training.INTRO, lambda: training.controls(data, seed, device), labels=training.LABELS)
