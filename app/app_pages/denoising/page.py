"""Denoising autoencoders: corrupt, denoise, measure, upload, look at the latent space, train live."""

from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages.denoising import sections
from app.components.runs import picked_run, run_download
from app.components.sidebar import chosen_dataset
from app.components.training_panel import PanelLabels, TrainRequest, train_live
from app.pages import page_of
from dul_models import live_train_config
from dul_models.explore import denoising as explore

PAGE = page_of(__file__).key
FAMILY = "autoencoder"

st.title("🧽 Denoising autoencoders")
st.markdown(
    "An autoencoder squeezes an image through a small latent vector and rebuilds it. A *denoising* "
    "autoencoder is shown corrupted images and trained to rebuild the clean ones, so it must learn what "
    "digits look like instead of copying pixels. Compare it with a plain autoencoder and a median filter; "
    "PSNR (peak signal-to-noise ratio, in dB) is higher when the output is closer to the clean image."
)

name, device, seed = state.dataset_name(), state.device_name(), state.seed()
data = chosen_dataset()

main = picked_run(
    PAGE,
    "main",
    FAMILY,
    label="Denoising AE",
    what="denoising autoencoder",
    where=lambda r: r.config.get("corruption") != "none",
)
plain = picked_run(
    PAGE,
    "plain",
    FAMILY,
    label="Plain AE (comparison)",
    what="plain autoencoder",
    where=lambda r: r.config.get("corruption") == "none",
    optional=True,
)

if main is not None:
    sections.run_caption(main.info)
    kind, level = sections.before_after(main, plain, name, device, seed)
    sections.psnr_curve(main, plain, name, device)
    sections.own_image(main, data, kind, level, seed)
    sections.latent_space(main, data, name, device)
    run_download(main.info)


def train_controls() -> TrainRequest:
    defaults = explore.live_defaults(data)  # a latent size and batch that fit the chosen set
    t1, t2, t3, t4 = st.columns(4)
    corruptions = explore.CORRUPTIONS
    kind = t1.selectbox("Training corruption", corruptions, index=corruptions.index("mixed"), key="tr-kind")
    level = t2.slider("Noise level (max for mixed)", 0.0, 1.0, 0.6, 0.05, key="tr-level")
    latent_sizes = [2, 4, 8, 16, 32, 64]
    latent_dim = t3.select_slider("Latent size", latent_sizes, defaults["latent_dim"], key="tr-latent")
    epochs = t4.slider("Epochs", 1, 30, 5, key="tr-epochs")
    return TrainRequest(
        FAMILY,
        {"corruption": kind, "noise_level": level, "latent_dim": latent_dim},
        live_train_config(seed=seed, device=device, epochs=float(epochs), batch_size=defaults["batch_size"]),
        title=f"AE {kind} {level:g}, z={latent_dim}",
    )


train_live(
    PAGE,
    "Train a new autoencoder on the chosen dataset. The run is saved under your runs folder, "
    "never over a bundled run.",
    train_controls,
    labels=PanelLabels(
        loss_title="reconstruction loss (nats per image)",
        eval_keys=("psnr_denoised_db", "psnr_noisy_db", "psnr_clean_db"),
        eval_title="PSNR on test images (dB)",
        preview="rows = clean / corrupted / output",
    ),
)
