"""Denoising autoencoders: corrupt, denoise, measure, upload, look at the latent space, train live."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import torch

from app import resources, state
from app.components.charts import line_chart
from app.components.embedding_map import embedding_map
from app.components.images import image_grid
from app.components.runs import picked_run, run_download
from app.components.sidebar import chosen_dataset
from app.components.training_panel import PanelLabels, TrainRequest, train_live
from app.components.uploads import uploaded_image
from app.pages import page_of
from dul_models.core.devices import pick_device
from dul_models.data.augment import BASIC_CORRUPTIONS, CORRUPTIONS, corrupt
from dul_models.metrics.images import psnr
from dul_models.train.trainer import TrainConfig

PAGE = page_of(__file__).key
FAMILY = "autoencoder"
KIND_LABELS = {
    "gaussian": "Gaussian noise (σ)",
    "salt_pepper": "salt-and-pepper (fraction)",
    "masking": "masking (fraction)",
}
PROJECTIONS = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}

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
    info, model = main.info, main.model
    st.caption(
        f"Run: {info.label} · trained with {info.config['corruption']} noise up to {info.config['noise_level']} · "
        f"latent size {info.config['latent_dim']} · test PSNR gain {info.metrics.get('psnr_gain_db', float('nan')):.1f} dB"
    )
    st.header("Before and after")
    c1, c2, c3 = st.columns(3)
    kind = c1.selectbox("Corruption", BASIC_CORRUPTIONS, format_func=KIND_LABELS.get, key="dn-kind")
    level = c2.slider(
        "Noise level", 0.0, 1.0, 0.5, 0.05, key="dn-level", help="σ for Gaussian, pixel fraction otherwise"
    )
    count = c3.slider("Images", 8, 32, 16, 8, key="dn-count")
    picks = torch.randperm(len(data.test), generator=torch.Generator().manual_seed(seed))[:count]
    x = resources.test_images(name, device)[picks.to(pick_device(device))]
    noisy = corrupt(x, kind, level, generator=torch.Generator(device=x.device).manual_seed(seed))
    with torch.no_grad():
        outputs = {"denoising AE": model.reconstruct(noisy)}
        if plain is not None:
            outputs["plain AE"] = plain.model.reconstruct(noisy)
    panels = {"clean": x, "noisy input": noisy, **outputs}
    for column, (label, images) in zip(st.columns(len(panels)), panels.items(), strict=True):
        with column:
            score = "" if label == "clean" else f" · {psnr(images, x).mean():.1f} dB"
            image_grid(
                images,
                nrow=4,
                scale=2,
                caption=f"{label}{score}",
                download_name=f"{label.replace(' ', '_')}.png",
            )

    st.header("PSNR against noise level")
    curve_kind = st.radio(
        "Corruption for the curve",
        BASIC_CORRUPTIONS,
        format_func=KIND_LABELS.get,
        horizontal=True,
        key="dn-curve-kind",
    )
    runs = (("denoising AE", str(info.path)),) + ((("plain AE", str(plain.info.path)),) if plain else ())
    levels = tuple(
        round(v, 2) for v in np.linspace(0.1, 1.0, 10)
    )  # level 0 is a perfect 100 dB: off the chart
    rows = resources.denoising_curve(runs, name, curve_kind, levels, device, 1000)
    st.plotly_chart(
        line_chart(
            rows,
            "level",
            "psnr_db",
            "method",
            x_title=KIND_LABELS[curve_kind],
            y_title="PSNR (dB)",
            title=f"Mean PSNR on 1,000 {name} test images",
        ),
        key="dn-curve",
    )
    st.download_button("⬇ CSV", pd.DataFrame(rows).to_csv(index=False), f"psnr-{curve_kind}.csv", "text/csv")

    st.header("Your own image")
    invert = st.radio(
        "Invert",
        ["auto", "yes", "no"],
        horizontal=True,
        key="dn-invert",
        help="MNIST digits are light on dark",
    )
    own = uploaded_image(
        "PNG or JPEG, any size; it is converted to the dataset's format",
        data.image_shape,
        key="dn-upload",
        invert={"auto": None, "yes": True, "no": False}[invert],
        device=x.device,
        fallback="Try a PNG or JPEG of a single digit.",
    )
    if own is not None:
        own_noisy = corrupt(
            own[None], kind, level, generator=torch.Generator(device=x.device).manual_seed(seed)
        )
        with torch.no_grad():
            own_out = model.reconstruct(own_noisy)
        image_grid(
            torch.cat([own[None], own_noisy, own_out]),
            nrow=3,
            scale=4,
            caption="yours · noisy · denoised",
            download_name="your-image-denoised.png",
        )

    st.header("Latent space")
    method = st.radio(
        "Projection",
        list(PROJECTIONS),
        format_func=PROJECTIONS.get,
        horizontal=True,
        key="dn-proj",
        help="PCA is instant; t-SNE takes ~10 s and UMAP up to a minute the first time (numba compiles).",
    )
    coords, labels = resources.latent_map(str(info.path), name, device, method)
    embedding_map(
        coords,
        resources.test_images(name, device),
        labels,
        data.class_names,
        key="dn-latent",
        title=f"Codes of {len(labels):,} test images ({info.config['latent_dim']}-D → 2-D by {PROJECTIONS[method]})",
        axis_titles=(f"{PROJECTIONS[method]} 1 of the code", f"{PROJECTIONS[method]} 2 of the code"),
        file_stem=f"latent-{method}",
    )
    run_download(info)


def train_controls() -> TrainRequest:
    t1, t2, t3, t4 = st.columns(4)
    kind = t1.selectbox("Training corruption", CORRUPTIONS, index=CORRUPTIONS.index("mixed"), key="tr-kind")
    level = t2.slider("Noise level (max for mixed)", 0.0, 1.0, 0.6, 0.05, key="tr-level")
    latent_dim = t3.select_slider("Latent size", [2, 4, 8, 16, 32, 64], 32, key="tr-latent")
    epochs = t4.slider("Epochs", 1, 30, 5, key="tr-epochs")
    return TrainRequest(
        {"corruption": kind, "noise_level": level, "latent_dim": latent_dim},
        TrainConfig(epochs=float(epochs), seed=seed, device=device, eval_every=100, full_final_eval=False),
        title=f"AE {kind} {level:g}, z={latent_dim}",
    )


train_live(
    PAGE,
    FAMILY,
    "Train a new autoencoder on the chosen dataset. The run is saved under your runs folder, never over a bundled run.",
    train_controls,
    labels=PanelLabels(
        loss_title="reconstruction loss (nats per image)",
        eval_keys=("psnr_denoised_db", "psnr_noisy_db", "psnr_clean_db"),
        eval_title="PSNR on test images (dB)",
        preview="rows = clean / corrupted / output",
    ),
)
