"""The GANs page's sections: each reads its widgets, calls one `explore.gan` function and draws the result."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from app import state
from app.app_pages.gan import cached
from app.components.images import image_grid
from dul_models import ImageDataset, LoadedRun, RunInfo
from dul_models.explore import gan as explore

SEED_KEY = "gan-seed"
ALL_CLASSES = "all classes in turn"


def run_caption(info: RunInfo, name: str, device: str) -> explore.Scorer:
    """The run's settings and saved FID numbers, then the classifier whose features score its samples."""
    summary = explore.run_summary(info)
    st.caption(
        f"Run: {info.label} · {summary.loss} loss · latent size {summary.latent_dim}"
        + (
            f" · FID (classifier features) {summary.fid:.2f} vs real-data floor {summary.fid_floor:.2f}"
            f" ({summary.n_samples:,} samples) · class entropy {summary.class_entropy:.3f} nats of"
            f" max {summary.class_entropy_max:.3f} · {summary.modes_covered} classes covered"
            if summary.scored
            else ""
        )
    )
    scorer = cached.sample_scorer(name, device)
    if not scorer.available:
        st.info(scorer.note or "No classifier for this dataset: FID and class checks are skipped.")
    else:
        st.caption(f"Feature space: {scorer.feature_space}.")
    return scorer


def samples(run: LoadedRun, data: ImageDataset) -> explore.SampleBatch:
    """A seeded batch at a temperature (a conditional GAN: one class, or every class in turn)."""
    st.header("Sample")
    st.session_state.setdefault(SEED_KEY, state.seed())
    for key in ("gan-from", "gan-to", "gan-pick"):  # keep sample numbers valid when the batch shrinks
        if st.session_state.get(key, 0) >= st.session_state.get("gan-count", 32):
            st.session_state[key] = 0
    c1, c2, c3, c4 = st.columns(4)
    seed = c1.number_input("Seed", 0, 10**6, step=1, key=SEED_KEY)
    count = c2.slider("Batch size", 8, 64, 32, 8, key="gan-count")
    temperature = c3.slider(
        "Temperature (z scale)",
        0.0,
        1.5,
        1.0,
        0.05,
        key="gan-temp",
        help="z ~ N(0, T²·I): below 1 trades variety for cleaner, more typical samples (the truncation trick).",
    )
    c4.button("🎲 Regenerate", on_click=lambda: st.session_state.__setitem__(SEED_KEY, int(seed) + 1))
    names, chosen = explore.class_choices(run, data), None
    if names:  # a conditional GAN draws the class it is asked for
        pick_class = st.selectbox(
            "Class to draw",
            [ALL_CLASSES, *names],
            key="gan-class",
            help="The generator is class-conditional: the label goes in with the noise.",
        )
        chosen = None if pick_class == ALL_CLASSES else names.index(pick_class)
    batch = explore.draw_samples(run, count, int(seed), temperature, chosen)
    image_grid(
        batch.images,
        nrow=batch.nrow,
        scale=2,
        caption=f"{count} samples, seed {seed}, T = {temperature:g}"
        + ("" if not names else " · one class per column" if chosen is None else f" · class {pick_class}"),
        download_name="samples.png",
    )
    return batch


def interpolation(run: LoadedRun, batch: explore.SampleBatch) -> None:
    """The spherical path in z between two samples of the batch."""
    st.header("Latent interpolation")
    i1, i2, i3 = st.columns(3)
    first = i1.number_input("From sample #", 0, batch.count - 1, 0, key="gan-from")
    second = i2.number_input("To sample #", 0, batch.count - 1, min(1, batch.count - 1), key="gan-to")
    steps = i3.slider("Steps", 4, 16, 10, key="gan-steps")
    image_grid(
        explore.interpolation(run, batch, int(first), int(second), steps),
        nrow=steps,
        scale=3,
        caption=f"Spherical path in z from sample {first} to sample {second} (numbered row by row from 0)",
        download_name="interpolation.png",
    )


def copying(
    scorer: explore.Scorer, data: ImageDataset, batch: explore.SampleBatch, name: str, device: str
) -> None:
    """A sample beside its nearest training images, against how close real test images come."""
    st.header("Is it copying?")
    pick = st.number_input("Sample #", 0, batch.count - 1, 0, key="gan-pick")
    found = explore.nearest_training_images(scorer, data, batch, int(pick), k=8)
    image_grid(
        found.images,
        nrow=9,
        scale=3,
        caption="The sample, then its 8 nearest training images in classifier features; distances: "
        + ", ".join(f"{d:.1f}" for d in found.distances),
        download_name="nearest-training-images.png",
    )
    reference = cached.gan_reference_distance(name, device)
    st.markdown(
        f"Nearest training image at **{found.distances[0]:.1f}**; a real test digit's nearest training "
        f"image is at a median **{reference:.1f}**. A sample much closer than real digits are, and "
        "looking identical, would suggest memorisation."
    )


def class_histogram(
    info: RunInfo, scorer: explore.Scorer, batch: explore.SampleBatch, name: str, device: str
) -> None:
    """Predicted classes of many samples: how evenly the GAN covers the classes (mode collapse)."""
    st.header("Class histogram of samples")
    n_hist = st.select_slider("Samples to classify", [200, 500, 1000, 2000], 1000, key="gan-hist-n")
    histogram = cached.gan_class_histogram(
        str(info.path), name, device, n_hist, batch.seed, batch.temperature
    )
    columns = {"class": histogram.classes, "samples": histogram.counts}
    fig = px.bar(columns, x="class", y="samples", title=f"Predicted classes of {n_hist:,} samples")
    fig.update_layout(xaxis_title="predicted class", yaxis_title="samples (count)", height=340)
    st.plotly_chart(fig, key="gan-hist")
    st.caption(
        f"Entropy {histogram.entropy:.3f} nats vs log {len(histogram.counts)} = {histogram.entropy_max:.3f} "
        "for perfectly even classes; a collapsed GAN piles its samples into a few bars."
    )
    if histogram.label_accuracy is not None:
        st.markdown(
            f"Conditional GAN: the samples were asked for each class in turn, so the bars should be even. "
            f"The classifier agrees with the requested class for **{histogram.label_accuracy:.1%}** of them "
            "(label accuracy)"
            + (
                f"; on real test digits it is right {scorer.test_accuracy:.1%} of the time."
                if scorer.test_accuracy is not None
                else "."
            )
        )
    st.download_button(
        "⬇ CSV", pd.DataFrame(columns).to_csv(index=False), "gan-class-histogram.csv", "text/csv"
    )
