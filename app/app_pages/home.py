"""Home: what the explorer offers, the chosen dataset at a glance, and where things run."""

from __future__ import annotations

import pandas as pd
import streamlit as st
import torch

from app import resources, state
from app.components.images import image_grid
from app.components.sidebar import chosen_dataset
from dul_models.checkpoints import list_runs
from dul_models.data import to_float
from dul_models.devices import pick_device

CARDS = [
    (
        "app_pages/denoising.py",
        "🧽 Denoising autoencoders",
        "Corrupt digits with Gaussian, salt-and-pepper or masking noise and watch a convolutional autoencoder "
        "undo it; PSNR against noise level for a denoising AE, a plain AE and a median filter; upload your "
        "own image; the encoder's latent space; train one live.",
    ),
    (
        "app_pages/gan.py",
        "🎭 GANs",
        "Sample a DCGAN, walk between samples in z-space, check its samples against their nearest training "
        "images, count their classes (mode coverage) and FID in a classifier's features; train one live "
        "and watch D(x), D(G(z)) and a fixed-noise grid evolve.",
    ),
    (
        "app_pages/vae.py",
        "🌀 Variational autoencoders",
        "Walk along each latent of a VAE (sorted by KL) or drag its sliders, map and lasso-select test codes, "
        "interpolate linearly and on the sphere, sample at any temperature, see the ELBO split into "
        "reconstruction and KL, an honest IWAE likelihood, and β-VAE disentanglement (MIG) on shapes.",
    ),
    (
        "app_pages/pixelcnn.py",
        "🧩 PixelCNN",
        "Watch a PixelCNN paint digits pixel by pixel, complete half-hidden images, map the exact per-pixel "
        "likelihood of a digit, a shape and noise, and see the blind spot of masked convolutions that the "
        "gated version removes; train one live.",
    ),
]

st.title("🔬 DUL Explorer")
st.markdown(
    "Train small deep unsupervised models live and look inside them. Every page opens on a bundled run "
    "trained on the chosen dataset, and can train a new one while you watch — on the GPU when there is "
    "one, on the CPU otherwise."
)

columns = st.columns(min(3, len(CARDS)))
for column, (page, title, text) in zip(columns, CARDS, strict=False):
    with column.container(border=True):
        st.page_link(page, label=title)
        st.caption(text)

name = state.dataset_name()
st.header("Dataset")
data = chosen_dataset()

channels, height, width = data.image_shape
st.markdown(
    f"**{data.title}** — {data.source} Licence: {data.licence}  \n"
    f"{len(data.train):,} training and {len(data.test):,} test images of {channels}×{height}×{width} pixels"
    f"{'' if data.embedded else ' (downloaded)'}."
)
per_class = st.slider("Images per class", 4, 16, 8, key="home-per-class")
labels = data.train.y
rows, counts = [], []
for index, class_name in enumerate(data.class_names):
    members = torch.nonzero(labels == index).flatten()
    counts.append({"class": class_name, "train": len(members), "test": int((data.test.y == index).sum())})
    rows.append(to_float(data.train.x[members[:per_class]]))
gallery, table = st.columns([3, 1])
with gallery:
    grid = torch.cat(
        [
            r if len(r) == per_class else torch.cat([r, torch.zeros(per_class - len(r), *r.shape[1:])])
            for r in rows
        ]
    )
    image_grid(
        grid,
        nrow=per_class,
        scale=2 if height >= 28 else 4,
        caption="One row per class, in the order of the table",
        download_name=f"{name}-gallery.png",
    )
with table:
    st.dataframe(pd.DataFrame(counts), hide_index=True)

st.header("Where things run")
device = pick_device(state.device_name())
runs = list_runs(dataset=name)
st.markdown(
    f"Device: **{device.type}** · torch {torch.__version__} · {resources.threads()} CPU thread(s) for torch · "
    f"{len(runs)} run(s) for {name} ({sum(r.bundled for r in runs)} bundled)."
)
if runs:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "run": r.title or r.name,
                    "family": r.family,
                    "step": r.step,
                    "bundled": r.bundled,
                    "folder": str(r.path),
                }
                for r in runs
            ]
        ),
        hide_index=True,
    )
