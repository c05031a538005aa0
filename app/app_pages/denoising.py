"""Denoising autoencoders: corrupt, denoise, measure, upload, look at the latent space, train live."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import torch

from app import resources, state
from app.components.charts import line_chart, scatter_2d
from app.components.images import image_grid
from app.components.model_picker import run_picker
from app.components.sidebar import chosen_dataset
from app.components.training_panel import PanelLabels, training_panel
from dul_models.checkpoints import run_archive
from dul_models.data import image_from_bytes
from dul_models.data.augment import BASIC_CORRUPTIONS, CORRUPTIONS, corrupt
from dul_models.devices import pick_device
from dul_models.errors import DULError
from dul_models.evaluation import psnr
from dul_models.training import TrainConfig

FAMILY = "autoencoder"
KIND_LABELS = {
    "gaussian": "Gaussian noise (σ)",
    "salt_pepper": "salt-and-pepper (fraction)",
    "masking": "masking (fraction)",
}

st.title("🧽 Denoising autoencoders")
st.markdown(
    "An autoencoder squeezes an image through a small latent vector and rebuilds it. A *denoising* "
    "autoencoder is shown corrupted images and trained to rebuild the clean ones, so it must learn what "
    "digits look like instead of copying pixels. Compare it with a plain autoencoder and a median filter; "
    "PSNR (peak signal-to-noise ratio, in dB) is higher when the output is closer to the clean image."
)

name, device, seed = state.dataset_name(), state.device_name(), state.seed()
data = chosen_dataset()

main = run_picker(FAMILY, name, label="Denoising AE", where=lambda r: r.config.get("corruption") != "none")
plain = run_picker(
    FAMILY,
    name,
    role="plain",
    label="Plain AE (comparison)",
    where=lambda r: r.config.get("corruption") == "none",
)

model = None
if main is None:
    st.info(
        f"No denoising autoencoder has been trained on {name} yet: train one live at the bottom of this page."
    )
else:
    try:
        model = resources.loaded_run(str(main.path), device).model
    except DULError as exc:
        st.error(
            f"Could not load {main.path}: {exc}. Pick another run in the sidebar or train a new one below."
        )
plain_model = None
if plain is not None:
    try:
        plain_model = resources.loaded_run(str(plain.path), device).model
    except DULError as exc:
        st.warning(f"The comparison run could not be loaded: {exc}")

if model is not None:
    st.caption(
        f"Run: {main.label} · trained with {main.config['corruption']} noise up to {main.config['noise_level']} · "
        f"latent size {main.config['latent_dim']} · test PSNR gain {main.metrics.get('psnr_gain_db', float('nan')):.1f} dB"
    )
    st.header("Before and after")
    c1, c2, c3 = st.columns(3)
    kind = c1.selectbox("Corruption", BASIC_CORRUPTIONS, format_func=KIND_LABELS.get, key="dn-kind")
    level = c2.slider(
        "Noise level", 0.0, 1.0, 0.5, 0.05, key="dn-level", help="σ for Gaussian, pixel fraction otherwise"
    )
    count = c3.slider("Images", 8, 32, 16, 8, key="dn-count")
    generator = torch.Generator().manual_seed(seed)
    picks = torch.randperm(len(data.test), generator=generator)[:count]
    x = resources.test_images(name, device)[picks.to(pick_device(device))]
    noisy = corrupt(x, kind, level, generator=torch.Generator(device=x.device).manual_seed(seed))
    with torch.no_grad():
        outputs = {"denoising AE": model.reconstruct(noisy)}
        if plain_model is not None:
            outputs["plain AE"] = plain_model.reconstruct(noisy)
    columns = st.columns(2 + len(outputs))
    panels = {"clean": x, "noisy input": noisy, **outputs}
    for column, (label, images) in zip(columns, panels.items(), strict=True):
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
    runs = (("denoising AE", str(main.path)),) + (
        (("plain AE", str(plain.path)),) if plain_model is not None else ()
    )
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
    upload = st.file_uploader(
        "PNG or JPEG, any size; it is converted to the dataset's format",
        type=["png", "jpg", "jpeg", "gif", "bmp", "webp"],
    )
    invert = st.radio(
        "Invert",
        ["auto", "yes", "no"],
        horizontal=True,
        key="dn-invert",
        help="MNIST digits are light on dark",
    )
    if upload is not None:
        try:
            image = image_from_bytes(
                upload.getvalue(), data.image_shape, invert={"auto": None, "yes": True, "no": False}[invert]
            )
        except DULError as exc:
            st.error(f"{exc}. Try a PNG or JPEG of a single digit.")
        else:
            own = image.unsqueeze(0).to(x.device)
            own_noisy = corrupt(
                own, kind, level, generator=torch.Generator(device=x.device).manual_seed(seed)
            )
            with torch.no_grad():
                own_out = model.reconstruct(own_noisy)
            image_grid(
                torch.cat([own, own_noisy, own_out]),
                nrow=3,
                scale=4,
                caption="yours · noisy · denoised",
                download_name="your-image-denoised.png",
            )

    st.header("Latent space")
    method = st.radio(
        "Projection",
        ["pca", "tsne", "umap"],
        horizontal=True,
        key="dn-proj",
        help="PCA is instant; t-SNE takes ~10 s and UMAP up to a minute the first time (numba compiles).",
    )
    coords, labels = resources.latent_map(str(main.path), name, device, method)
    st.plotly_chart(
        scatter_2d(
            coords,
            labels,
            data.class_names,
            axis=method.upper(),
            title=f"Codes of {len(labels):,} test images ({main.config['latent_dim']}-D → 2-D by {method.upper()})",
        ),
        key="dn-latent",
    )
    frame = pd.DataFrame(
        {
            "index": np.arange(len(labels)),
            "label": labels,
            f"{method}_1": coords[:, 0],
            f"{method}_2": coords[:, 1],
        }
    )
    st.download_button("⬇ Embedding CSV", frame.to_csv(index=False), f"latent-{method}.csv", "text/csv")

    st.download_button(
        "⬇ Download this run (.zip)", run_archive(main.path), f"{main.name}.zip", "application/zip"
    )

st.header("Train live")
st.markdown(
    "Train a new autoencoder on the chosen dataset. The run is saved under your runs folder, never over a bundled run."
)
t1, t2, t3, t4 = st.columns(4)
train_kind = t1.selectbox("Training corruption", CORRUPTIONS, index=CORRUPTIONS.index("mixed"), key="tr-kind")
train_level = t2.slider("Noise level (max for mixed)", 0.0, 1.0, 0.6, 0.05, key="tr-level")
latent_dim = t3.select_slider("Latent size", [2, 4, 8, 16, 32, 64], 32, key="tr-latent")
epochs = t4.slider("Epochs", 1, 30, 5, key="tr-epochs")
training_panel(
    FAMILY,
    name,
    {"corruption": train_kind, "noise_level": train_level, "latent_dim": latent_dim},
    TrainConfig(epochs=float(epochs), seed=seed, device=device, eval_every=100, full_final_eval=False),
    title=f"AE {train_kind} {train_level:g}, z={latent_dim}",
    labels=PanelLabels(
        loss_title="reconstruction loss (nats per image)",
        eval_keys=("psnr_denoised_db", "psnr_noisy_db", "psnr_clean_db"),
        eval_title="PSNR on test images (dB)",
        preview="rows = clean / corrupted / output",
    ),
)
