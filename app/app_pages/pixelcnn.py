"""PixelCNN: watch pixel-by-pixel sampling, complete images, map per-pixel likelihoods, see the blind spot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import torch

from app import resources, state
from app.components.charts import heatmap
from app.components.images import image_grid
from app.components.runs import picked_run, run_download
from app.components.sidebar import chosen_dataset
from app.components.training_panel import PanelLabels, TrainRequest, train_live
from app.components.uploads import uploaded_image
from app.pages import page_of
from dul_models.core.errors import DULError
from dul_models.core.images import grid_array
from dul_models.metrics.likelihood import (
    bits_per_dim,
    earlier_pixels_seen,
    log_relative_gradient,
    per_pixel_table,
)
from dul_models.train.trainer import TrainConfig

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
picked = {role: run.info for role, run in loaded.items() if run is not None}
models = {role: run.model for role, run in loaded.items() if run is not None}


def animate(model, n: int, temperature: float, nrow: int, **known) -> torch.Tensor:
    """Sample with a live view: the grid is redrawn after every row; grey = not yet sampled."""
    _, height, width = model.config.image_shape
    picture, progress = st.empty(), st.progress(0.0, text="sampling…")

    def show(pixels_done: int, images: torch.Tensor) -> None:
        picture.image(grid_array(images, nrow=nrow, scale=4), width="content")
        progress.progress(pixels_done / (height * width), text=f"{pixels_done:,} / {height * width:,} pixels")

    generator = torch.Generator(device=model.device).manual_seed(seed)
    images = model.sample(n, generator=generator, temperature=temperature, callback=show, **known).cpu()
    picture.empty()
    progress.empty()
    return images


if models:
    role = st.radio(
        "Model for sampling, completion and likelihoods",
        list(models),
        format_func=lambda r: f"{picked[r].config['variant']} · {picked[r].label}",
        horizontal=True,
        key="px-model",
    )
    model, info = models[role], picked[role]
    _, height, width = model.config.image_shape
    st.caption(
        f"Run: {info.label} · {info.config['channels']} channels, {info.config['layers']} hidden layers · "
        f"test NLL {info.metrics.get('nll_nats', float('nan')):.1f} nats per image "
        f"({info.metrics.get('bits_per_dim', float('nan')):.3f} bits/dim) · binarisation: {model.binarisation}"
    )

    st.header("Sampling, pixel by pixel")
    c1, c2, c3 = st.columns(3)
    count = c1.slider("Samples", 1, 16, 8, key="px-count")
    temperature = c2.slider("Temperature", 0.1, 2.0, 1.0, 0.05, key="px-temp", help="<1 sharper, >1 noisier")
    c3.caption(
        f"Seed {seed} (sidebar). One network pass per pixel: {height * width} passes for the whole batch."
    )
    if st.button("Sample", type="primary", key="px-sample"):
        st.session_state["px-samples"] = (info.path, animate(model, count, temperature, nrow=min(count, 8)))
    samples = st.session_state.get("px-samples")
    if samples is not None and samples[0] == info.path:
        image_grid(samples[1], nrow=8, scale=3, caption="Samples", download_name="pixelcnn-samples.png")
    else:
        st.caption("Press Sample to watch the model paint digits row by row.")

    st.header("Completion")
    c1, c2, c3 = st.columns(3)
    index = c1.number_input("Test image", 0, len(data.test) - 1, 0, key="px-index")
    rows_known = c2.slider("Rows kept from the top", 0, height, height // 2, key="px-rows")
    completions = c3.slider("Completions", 1, 8, 4, key="px-ncomp")
    source = resources.test_images(name, device)[int(index)]
    upload = uploaded_image(
        "…or upload an image",
        data.image_shape,
        key="px-upload",
        device=source.device,
        fallback=f"Completing test image {index} instead.",
    )
    source = source if upload is None else upload
    shown = model.dequantise(model.quantise(source.unsqueeze(0))).cpu()
    masked = shown.clone()
    masked[..., rows_known:, :] = 0.5
    image_grid(
        torch.cat([shown, masked]), nrow=2, scale=4, caption="original (binarised) · what the model sees"
    )
    if st.button("Complete", type="primary", key="px-complete"):
        done = animate(
            model,
            completions,
            temperature,
            nrow=completions,
            start=source.unsqueeze(0),
            rows_known=rows_known,
        )
        st.session_state["px-completions"] = (info.path, done)
    finished = st.session_state.get("px-completions")
    if finished is not None and finished[0] == info.path:
        image_grid(
            finished[1], nrow=8, scale=4, caption="Completions", download_name="pixelcnn-completions.png"
        )

    st.header("Likelihood heat-map")
    st.markdown(
        "The per-pixel negative log-likelihood: dark where the model was sure, bright where it was "
        "surprised. Uniform noise costs far more than a digit, but a simple shape from another dataset can "
        "cost *less* than a digit: its large flat areas are easy to predict. High likelihood measures "
        "simplicity as much as familiarity, so it is a poor out-of-distribution detector (Nalisnick et al., "
        'ICLR 2019, "Do deep generative models know what they don\'t know?").'
    )
    pick = st.number_input("Digit (test image)", 0, len(data.test) - 1, 1, key="px-nll-index")
    inputs = {"digit (in-distribution)": resources.test_images(name, device)[int(pick)]}
    try:
        shapes = resources.dataset("shapes")
    except DULError as exc:  # generated locally, so this only fails on a broken data folder
        shapes = None
        st.warning(f"The shapes dataset could not be loaded ({exc}); comparing with noise only.")
    if shapes is not None and shapes.image_shape == data.image_shape:
        inputs["shape (from `shapes`)"] = resources.test_images("shapes", device)[
            int(pick) % len(shapes.test)
        ]
    noise = torch.rand(data.image_shape, generator=torch.Generator().manual_seed(seed))
    inputs["uniform noise"] = noise.to(source.device)
    batch = torch.stack(list(inputs.values()))
    with torch.no_grad():
        nll = model.pixel_nll(batch).cpu().numpy()  # (3, H, W) nats
    zmax = float(np.percentile(nll, 99))
    for column, label, image, nll_map in zip(st.columns(len(inputs)), inputs, batch.cpu(), nll, strict=True):
        with column:
            bits = bits_per_dim(nll_map.sum(), nll_map.size)
            image_grid(model.dequantise(model.quantise(image[None])), nrow=1, scale=3, caption=label)
            title = f"{nll_map.sum():.0f} nats · {bits:.3f} bits/dim"
            st.plotly_chart(heatmap(nll_map, title, "NLL (nats)", (0.0, zmax)), key=f"px-nll-{label}")
    frame = pd.DataFrame(per_pixel_table(dict(zip(inputs, nll, strict=True)), "nll_nats"))
    st.download_button("⬇ CSV", frame.to_csv(index=False), "pixelcnn-nll-maps.csv", "text/csv")

    st.header("Receptive field: the blind spot")
    st.markdown(
        "Which input pixels change the prediction for one output pixel (the gradient of its logit). "
        "Masked 3×3 convolutions never reach the pixels above and to the right: the *blind spot*. "
        "The gated PixelCNN's vertical stack sees every row above, its horizontal stack the row so far."
    )
    c1, c2 = st.columns(2)
    row = c1.slider("Output pixel: row", 0, height - 1, height // 2, key="px-rf-row")
    col = c2.slider("Output pixel: column", 0, width - 1, width // 2, key="px-rf-col")
    x = resources.test_images(name, device)[0]
    for column, (role, net) in zip(st.columns(len(models)), models.items(), strict=True):
        label = picked[role].config["variant"]
        gradient = net.receptive_field(x, (row, col)).cpu().numpy()
        seen, total = earlier_pixels_seen(gradient, (row, col))
        z = log_relative_gradient(gradient)  # NaN (blank) = not seen
        title = f"{label}: sees {seen} of {total} earlier pixels"
        fig = heatmap(z, title, "log10 |∂logit/∂x| / max", zrange=(-4.0, 0.0), marker=(row, col))
        column.plotly_chart(fig, key=f"px-rf-{role}")

    run_download(info)


def train_controls() -> TrainRequest:
    t1, t2, t3, t4 = st.columns(4)
    variant = t1.selectbox("Variant", ["gated", "plain"], key="px-tr-variant")
    channels = t2.select_slider("Channels", [16, 24, 32], 16, key="px-tr-channels")
    layers = t3.slider("Layers", 1, 6, 3, key="px-tr-layers")
    epochs = t4.select_slider("Epochs", [0.25, 0.5, 1, 2, 3, 5, 10], 1, key="px-tr-epochs")
    return TrainRequest(
        {"variant": variant, "channels": channels, "layers": layers, "kernel_size": 3},
        TrainConfig(
            epochs=float(epochs),
            batch_size=32,
            seed=seed,
            device=device,
            eval_every=100,
            full_final_eval=False,
        ),
        title=f"{variant} PixelCNN {channels}ch × {layers}",
    )


train_live(
    PAGE,
    FAMILY,
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
