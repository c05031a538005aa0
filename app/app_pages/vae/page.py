"""Variational autoencoders: traversals, latent maps, interpolation, samples, ELBO anatomy, β-VAE."""

from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages.vae import sections_latent, sections_prior, training
from app.components.runs import picked_run, run_download
from app.components.sidebar import chosen_dataset
from app.components.training_panel import train_live
from app.pages import page_of

PAGE = page_of(__file__).key

st.title("🌀 Variational autoencoders")
st.markdown(
    "A VAE encodes an image as a *distribution* over a small latent code and is trained to maximise a "
    "lower bound on log p(x): reconstruction quality minus the KL divergence of the code from a standard "
    "normal prior. Below you can walk along each latent dimension, map and select codes, decode between "
    "images, sample from the prior, and see which dimensions carry information (KL in nats per image)."
)

name, device, seed = state.dataset_name(), state.device_name(), state.seed()
data = chosen_dataset()

run = picked_run(PAGE, "main", training.FAMILY, label="VAE run", what="VAE")

if run is not None:
    cfg, metrics = run.info.config, run.info.metrics
    st.caption(
        f"Run: {run.info.label} · latent size {cfg['latent_dim']} · β = {cfg['beta']:g} · {cfg['likelihood']} likelihood · "
        f"test −log p(x) ≤ {metrics.get('iwae_nll', float('nan')):.1f} nats (IWAE, k = {metrics.get('iwae_k', '?')}, "
        f"binarisation: {metrics.get('binarisation', '?')}) · −ELBO {metrics.get('neg_elbo', float('nan')):.1f} · "
        f"{metrics.get('active_units', '?')} active units"
    )
    tabs = st.tabs(
        ["Traversals", "Latent map", "Interpolation", "Samples", "ELBO anatomy", "Disentanglement"]
    )
    with tabs[0]:
        sections_latent.traversals(run, data, name, device)
    with tabs[1]:
        sections_latent.latent_map(run, data, name, device)
    with tabs[2]:
        sections_latent.interpolation(run, data, name, device)
    with tabs[3]:
        sections_prior.samples(run, name, device, seed)
    with tabs[4]:
        sections_prior.elbo_anatomy(run)
    with tabs[5]:
        sections_prior.disentanglement(device)
    run_download(run.info)

train_live(PAGE, training.INTRO, lambda: training.controls(data, seed, device), labels=training.LABELS)
