"""PixelCNN: watch pixel-by-pixel sampling, complete images, map per-pixel likelihoods, see the blind spot."""

from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages.pixelcnn import sections
from app.components.runs import picked_run, run_download
from app.components.sidebar import chosen_dataset
from app.components.training_panel import PanelLabels, TrainRequest, train_live
from app.pages import page_of
from dul_models import live_train_config
from dul_models.explore import pixelcnn as explore

PAGE = page_of(__file__).key
FAMILY = "pixelcnn"

st.title("🧩 PixelCNN")
st.markdown(
    "A PixelCNN writes the probability of an image as a product over its pixels in reading order, "
    "each pixel predicted from all the pixels before it by masked convolutions. That gives an *exact* "
    "likelihood (in nats per image and bits per pixel) and a sampler that paints one pixel at a time. "
    "Pixels are binarised at 0.5 (white = ink), as in the Berkeley deep unsupervised learning course."
)

name, device, seed = state.dataset_name(), state.device_name(), state.seed()
data = chosen_dataset()
if (refusal := explore.colour_refusal(data)) is not None:  # no run and no training: say why, once
    st.info(refusal)
    st.stop()

loaded = {  # "main" takes any run, so a run trained live (either variant) can be shown on the page
    "main": picked_run(PAGE, "main", FAMILY, label="PixelCNN", what="PixelCNN"),
    "plain": picked_run(
        PAGE,
        "plain",
        FAMILY,
        label="Plain PixelCNN (blind-spot comparison)",
        what="plain PixelCNN",
        where=lambda r: r.config.get("variant") == "plain",
        optional=True,
    ),
}
runs = {role: run for role, run in loaded.items() if run is not None}

if runs:
    role = st.radio(
        "Model for sampling, completion and likelihoods",
        list(runs),
        format_func=lambda r: f"{runs[r].info.config['variant']} · {runs[r].info.label}",
        horizontal=True,
        key="px-model",
    )
    run, info = runs[role], runs[role].info
    facts = explore.facts(run)
    nats, bits = (info.metrics.get(key, float("nan")) for key in ("nll_nats", "bits_per_dim"))
    st.caption(
        f"Run: {info.label} · {info.config['channels']} channels, {info.config['layers']} hidden layers · "
        f"test NLL {nats:.1f} nats per image ({bits:.3f} bits/dim) · binarisation: {facts.binarisation}"
    )
    temperature = sections.sampling(run, facts, seed)
    sections.completion(run, facts, data, name, device, temperature, seed)
    sections.likelihood_maps(run, data, name, device, seed)
    sections.receptive_fields(runs, facts, name, device)
    run_download(info)


def train_controls() -> TrainRequest:
    t1, t2, t3, t4 = st.columns(4)
    variant = t1.selectbox("Variant", ["gated", "plain"], key="px-tr-variant")
    channels = t2.select_slider("Channels", [16, 24, 32], 16, key="px-tr-channels")
    layers = t3.slider("Layers", 1, 6, 3, key="px-tr-layers")
    epochs = t4.select_slider("Epochs", [0.25, 0.5, 1, 2, 3, 5, 10], 1, key="px-tr-epochs")
    return TrainRequest(
        FAMILY,
        {"variant": variant, "channels": channels, "layers": layers, "kernel_size": 3},
        live_train_config(
            seed=seed, device=device, epochs=float(epochs), batch_size=explore.live_batch(data)
        ),
        title=f"{variant} PixelCNN {channels}ch × {layers}",
    )


train_live(
    PAGE,
    "Train a small PixelCNN on the chosen dataset (greyscale only). The preview shows test digits and "
    "their per-pixel NLL maps (black = 0, white ≥ 4 nats), which darken as the model learns; "
    "sampling would be too slow to refresh during training. Runs go to your runs folder.",
    train_controls,
    labels=PanelLabels(
        loss_title="NLL (nats per image)",
        eval_keys=("nll_nats",),
        eval_title="test NLL (nats per image)",
        preview="rows = binarised test digits / per-pixel NLL (white ≥ 4 nats)",
    ),
)
