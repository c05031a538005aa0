"""The Denoising page's sections: each reads its widgets, asks `explore.denoising`, draws the answer."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import resources
from app.app_pages.denoising import cached
from app.components.charts import line_chart
from app.components.embedding_map import embedding_map
from app.components.images import image_grid
from app.components.uploads import uploaded_image
from dul_models import ImageDataset, LoadedRun, RunInfo
from dul_models.explore import denoising as explore

KIND_LABELS = {
    "gaussian": "Gaussian noise (σ)",
    "salt_pepper": "salt-and-pepper (fraction)",
    "masking": "masking (fraction)",
}
PROJECTION_LABELS = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}


def run_caption(info: RunInfo) -> None:
    config, gain = info.config, info.metrics.get("psnr_gain_db", float("nan"))
    st.caption(
        f"Run: {info.label} · trained with {config['corruption']} noise up to {config['noise_level']} · "
        f"latent size {config['latent_dim']} · test PSNR gain {gain:.1f} dB"
    )


def before_after(
    main: LoadedRun, plain: LoadedRun | None, dataset_name: str, device: str, seed: int
) -> tuple[str, float]:
    """Clean, noisy and denoised test images with their PSNR; returns the corruption chosen (kind, level)."""
    st.header("Before and after")
    c1, c2, c3 = st.columns(3)
    kind = c1.selectbox("Corruption", explore.BASIC_CORRUPTIONS, format_func=KIND_LABELS.get, key="dn-kind")
    level = c2.slider(
        "Noise level", 0.0, 1.0, 0.5, 0.05, key="dn-level", help="σ for Gaussian, pixel fraction otherwise"
    )
    count = c3.slider("Images", 8, 32, 16, 8, key="dn-count")
    runs = {"denoising AE": main, **({"plain AE": plain} if plain is not None else {})}
    images = resources.test_images(dataset_name, device)
    panels = explore.before_after(images, runs, kind, level, count, seed)
    for column, panel in zip(st.columns(len(panels)), panels, strict=True):
        with column:
            score = "" if panel.psnr_db is None else f" · {panel.psnr_db:.1f} dB"
            image_grid(
                panel.images,
                nrow=4,
                scale=2,
                caption=f"{panel.label}{score}",
                download_name=f"{panel.label.replace(' ', '_')}.png",
            )
    return kind, level


def psnr_curve(main: LoadedRun, plain: LoadedRun | None, dataset_name: str, device: str) -> None:
    st.header("PSNR against noise level")
    kind = st.radio(
        "Corruption for the curve",
        explore.BASIC_CORRUPTIONS,
        format_func=KIND_LABELS.get,
        horizontal=True,
        key="dn-curve-kind",
    )
    runs = (("denoising AE", str(main.info.path)),)
    if plain is not None:
        runs += (("plain AE", str(plain.info.path)),)
    rows = cached.denoising_curve(
        runs, dataset_name, kind, explore.CURVE_LEVELS, device, explore.CURVE_IMAGES
    )
    st.plotly_chart(
        line_chart(
            rows,
            "level",
            "psnr_db",
            "method",
            x_title=KIND_LABELS[kind],
            y_title="PSNR (dB)",
            title=f"Mean PSNR on {explore.CURVE_IMAGES:,} {dataset_name} test images",
        ),
        key="dn-curve",
    )
    st.download_button("⬇ CSV", pd.DataFrame(rows).to_csv(index=False), f"psnr-{kind}.csv", "text/csv")


def own_image(main: LoadedRun, data: ImageDataset, kind: str, level: float, seed: int) -> None:
    """The user's upload, corrupted with the before/after section's noise and denoised."""
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
        fallback="Try a PNG or JPEG of a single digit.",
    )
    if own is not None:
        image_grid(
            explore.denoise_own(main, own, kind, level, seed),
            nrow=3,
            scale=4,
            caption="yours · noisy · denoised",
            download_name="your-image-denoised.png",
        )


def latent_space(main: LoadedRun, data: ImageDataset, dataset_name: str, device: str) -> None:
    st.header("Latent space")
    method = st.radio(
        "Projection",
        explore.PROJECTIONS,
        format_func=PROJECTION_LABELS.get,
        horizontal=True,
        key="dn-proj",
        help="PCA is instant; t-SNE takes ~10 s and UMAP up to a minute the first time (numba compiles).",
    )
    found = cached.latent_map(str(main.info.path), dataset_name, device, method)
    shown, code_size = PROJECTION_LABELS[method], main.info.config["latent_dim"]
    embedding_map(
        found.coords,
        resources.test_images(dataset_name, device),
        found.labels,
        data.class_names,
        key="dn-latent",
        title=f"Codes of {len(found.labels):,} test images ({code_size}-D → 2-D by {shown})",
        axis_titles=(f"{shown} 1 of the code", f"{shown} 2 of the code"),
        file_stem=f"latent-{method}",
    )
