"""The VAE page's train-live controls (from the live preset `explore.vae.LIVE_MODEL` / `LIVE_TRAIN`, fitted
to the chosen set by `explore.vae.live_preset`)."""

from __future__ import annotations

import streamlit as st

from app.components.training_panel import PanelLabels, TrainRequest
from dul_models import ImageDataset, live_train_config
from dul_models.explore import vae as explore

FAMILY = "vae"
INTRO = "Train a new VAE on the chosen dataset; it is saved under your runs folder, never over a bundled run."
LABELS = PanelLabels(
    loss_keys=("loss", "recon", "kl"),
    loss_title="nats per image",
    eval_keys=("neg_elbo", "iwae_nll"),
    eval_title="test nats per image (IWAE k = 50)",
    preview="rows = inputs / reconstructions / prior samples",
)


def controls(data: ImageDataset, seed: int, device: str) -> TrainRequest:
    """Latent size, β, likelihood and epochs over the live preset (fitted to the set: the latent size and
    likelihood for its image shape, a batch it can fill); the rest of the preset in a caption."""
    model, train = explore.live_preset(data)
    t1, t2, t3, t4 = st.columns(4)
    latent_dim = t1.select_slider("Latent size", [2, 4, 8, 16, 32], model["latent_dim"], key="vae-tr-latent")
    beta = t2.select_slider("β", [0.5, 1.0, 2.0, 4.0, 8.0], 1.0, key="vae-tr-beta")
    likelihoods = list(explore.LIKELIHOODS)
    likelihood = t3.selectbox(
        "Likelihood", likelihoods, index=likelihoods.index(model["likelihood"]), key="vae-tr-lik"
    )
    epochs = t4.slider("Epochs", 1, 60, train["epochs"], key="vae-tr-epochs")
    st.caption(
        f"{model['base_channels']} base channels with {model['depth']} residual block per resolution, "
        f"Adam at {model['lr']:g} decayed to 0 by a cosine, batch "
        f"{train['batch_size']}: about a minute of one CPU core for {train['epochs']} epochs of mnist5k."
    )
    return TrainRequest(
        FAMILY,
        {**model, "latent_dim": latent_dim, "beta": beta, "likelihood": likelihood},
        live_train_config(seed=seed, device=device, **{**train, "epochs": float(epochs)}),
        title=f"VAE z={latent_dim}, β={beta:g}, {likelihood}",
    )
