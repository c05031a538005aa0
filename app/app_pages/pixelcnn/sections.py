"""The PixelCNN page's sections: each reads its widgets, asks `explore.pixelcnn`, draws the answer."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import resources
from app.components.charts import heatmap
from app.components.images import image_grid
from app.components.uploads import uploaded_image
from dul_models import DULError, ImageDataset, LoadedRun
from dul_models.explore import pixelcnn as explore


def _animate(run: LoadedRun, n: int, temperature: float, seed: int, nrow: int, **completion):
    """Sample with a live view: the grid is redrawn after every row; grey = not yet sampled."""
    picture, progress = st.empty(), st.progress(0.0, text="sampling…")

    def show(frame: explore.SamplingFrame) -> None:
        picture.image(frame.grid, width="content")
        progress.progress(frame.fraction, text=f"{frame.pixels_done:,} / {frame.total:,} pixels")

    images = explore.sample_images(
        run, n, temperature=temperature, seed=seed, nrow=nrow, on_frame=show, **completion
    )
    picture.empty()
    progress.empty()
    return images


def sampling(run: LoadedRun, facts: explore.ModelFacts, seed: int) -> float:
    """Samples painted row by row on a button press; returns the temperature (completion uses it too)."""
    st.header("Sampling, pixel by pixel")
    c1, c2, c3 = st.columns(3)
    count = c1.slider("Samples", 1, 16, 8, key="px-count")
    temperature = c2.slider("Temperature", 0.1, 2.0, 1.0, 0.05, key="px-temp", help="<1 sharper, >1 noisier")
    passes = facts.height * facts.width
    c3.caption(f"Seed {seed} (sidebar). One network pass per pixel: {passes} passes for the whole batch.")
    if st.button("Sample", type="primary", key="px-sample"):
        images = _animate(run, count, temperature, seed, nrow=min(count, 8))
        st.session_state["px-samples"] = (run.info.path, images)
    samples = st.session_state.get("px-samples")
    if samples is not None and samples[0] == run.info.path:
        image_grid(samples[1], nrow=8, scale=3, caption="Samples", download_name="pixelcnn-samples.png")
    else:
        st.caption("Press Sample to watch the model paint digits row by row.")
    return temperature


def completion(
    run: LoadedRun,
    facts: explore.ModelFacts,
    data: ImageDataset,
    dataset_name: str,
    device: str,
    temperature: float,
    seed: int,
) -> None:
    """The top rows of a test image (or an upload) kept, the rest completed by sampling."""
    st.header("Completion")
    c1, c2, c3 = st.columns(3)
    index = c1.number_input("Test image", 0, len(data.test) - 1, 0, key="px-index")
    rows_known = c2.slider("Rows kept from the top", 0, facts.height, facts.height // 2, key="px-rows")
    completions = c3.slider("Completions", 1, 8, 4, key="px-ncomp")
    upload = uploaded_image(
        "…or upload an image",
        data.image_shape,
        key="px-upload",
        fallback=f"Completing test image {index} instead.",
    )
    source = resources.test_images(dataset_name, device)[int(index)] if upload is None else upload
    image_grid(
        explore.completion_inputs(run, source, rows_known),
        nrow=2,
        scale=4,
        caption="original (binarised) · what the model sees",
    )
    if st.button("Complete", type="primary", key="px-complete"):
        done = _animate(
            run, completions, temperature, seed, nrow=completions, start=source, rows_known=rows_known
        )
        st.session_state["px-completions"] = (run.info.path, done)
    finished = st.session_state.get("px-completions")
    if finished is not None and finished[0] == run.info.path:
        image_grid(
            finished[1], nrow=8, scale=4, caption="Completions", download_name="pixelcnn-completions.png"
        )


def likelihood_maps(run: LoadedRun, data: ImageDataset, dataset_name: str, device: str, seed: int) -> None:
    """Per-pixel NLL of a digit, a shape of the same size and uniform noise, on one colour scale."""
    st.header("Likelihood heat-map")
    st.markdown(
        "The per-pixel negative log-likelihood: dark where the model was sure, bright where it was "
        "surprised. Uniform noise costs far more than a digit, but a simple shape from another dataset can "
        "cost *less* than a digit: its large flat areas are easy to predict. High likelihood measures "
        "simplicity as much as familiarity, so it is a poor out-of-distribution detector (Nalisnick et al., "
        'ICLR 2019, "Do deep generative models know what they don\'t know?").'
    )
    pick = int(st.number_input("Digit (test image)", 0, len(data.test) - 1, 1, key="px-nll-index"))
    inputs = {"digit (in-distribution)": resources.test_images(dataset_name, device)[pick]}
    try:
        shapes = resources.dataset("shapes")
    except DULError as exc:  # generated locally, so this only fails on a broken data folder
        shapes = None
        st.warning(f"The shapes dataset could not be loaded ({exc}); comparing with noise only.")
    if shapes is not None and shapes.image_shape == data.image_shape:
        inputs["shape (from `shapes`)"] = resources.test_images("shapes", device)[pick % len(shapes.test)]
    found = explore.likelihood_maps(run, inputs, seed)
    for column, found_map in zip(st.columns(len(found.maps)), found.maps, strict=True):
        with column:
            image_grid(found_map.image, nrow=1, scale=3, caption=found_map.label)
            title = f"{found_map.nats:.0f} nats · {found_map.bits_per_dim:.3f} bits/dim"
            fig = heatmap(found_map.nll, title, "NLL (nats)", (0.0, found.zmax))
            st.plotly_chart(fig, key=f"px-nll-{found_map.label}")
    csv = pd.DataFrame(found.table).to_csv(index=False)
    st.download_button("⬇ CSV", csv, "pixelcnn-nll-maps.csv", "text/csv")


def receptive_fields(
    runs: dict[str, LoadedRun], facts: explore.ModelFacts, dataset_name: str, device: str
) -> None:
    """Which earlier pixels each run's prediction for one chosen pixel depends on."""
    st.header("Receptive field: the blind spot")
    st.markdown(
        "Which input pixels change the prediction for one output pixel (the gradient of its logit). "
        "Masked 3×3 convolutions never reach the pixels above and to the right: the *blind spot*. "
        "The gated PixelCNN's vertical stack sees every row above, its horizontal stack the row so far."
    )
    c1, c2 = st.columns(2)
    row = c1.slider("Output pixel: row", 0, facts.height - 1, facts.height // 2, key="px-rf-row")
    col = c2.slider("Output pixel: column", 0, facts.width - 1, facts.width // 2, key="px-rf-col")
    image = resources.test_images(dataset_name, device)[0]
    fields = explore.receptive_fields(runs, image, (row, col))
    for column, field in zip(st.columns(len(fields)), fields, strict=True):
        title = f"{field.variant}: sees {field.seen} of {field.total} earlier pixels"
        colorbar = "log10 |∂logit/∂x| / max"
        fig = heatmap(field.log_gradient, title, colorbar, zrange=(-4.0, 0.0), marker=(row, col))
        column.plotly_chart(fig, key=f"px-rf-{field.role}")
