"""What the semi-supervised page draws: the labelled images, a run's scores and its pseudo-label gallery,
and label propagation's scores. Numbers come from `dul_models.explore.semi_supervised*`; nothing here
computes a metric."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.components.images import captioned_tiles, image_grid
from dul_models import ImageDataset, RunInfo, grid_array, png_bytes
from dul_models.explore.semi_supervised import LabelledSet, PseudoLabelGallery
from dul_models.explore.semi_supervised_propagation import Propagation

TILE = 72  # pixels: the gallery's images, each with its own caption


def labelled_images(data: ImageDataset, labelled: LabelledSet, budget: int, seed: int, *, key: str) -> None:
    """The labelled training images, one row per class, and their CSV."""
    shown = labelled.shown
    more = f" (the first {shown} of each class shown; the CSV lists all)" if budget > shown else ""
    image_grid(
        labelled.images,
        nrow=shown,
        scale=labelled.scale,  # 8×8 digits enlarged to about 56 pixels
        caption=f"{len(labelled.rows):,} labelled images ({budget} per class, label seed {seed}), one row per "
        f"class: {', '.join(data.class_names)}{more}. The other {labelled.n_unlabelled:,} training images "
        "are unlabelled.",
        download_name=f"{data.name}-labelled-{budget}-per-class.png",
        key=f"{key}-png",
    )
    st.download_button(
        "⬇ Labelled images CSV (training-split index, label)",
        pd.DataFrame(labelled.table).to_csv(index=False),
        f"{data.name}-labelled-{budget}-per-class-seed{seed}.csv",
        "text/csv",
        key=f"{key}-csv",
    )


def _number(value: object, template: str = "{:.3f}") -> str:
    return template.format(value) if isinstance(value, (int, float)) else "—"


def run_scores(info: RunInfo) -> None:
    """The run's final test accuracy and pseudo-label scores (metrics.json), and what it was trained with."""
    m, c = info.metrics, info.config
    shown = (
        ("Test accuracy", m.get("test_acc"), "Share of the test images classified right."),
        (
            "Pseudo-label accuracy",
            m.get("pseudo_label_acc"),
            "Of the unlabelled training images whose top probability reaches τ, the share whose "
            "pseudo-label matches the hidden label (of all of them when none reaches τ).",
        ),
        (
            "Unlabelled images above τ",
            m.get("mask_rate"),
            "Share of the unlabelled training images confident enough to be trained on (mask rate).",
        ),
    )
    for column, (label, value, help_text) in zip(st.columns(len(shown)), shown, strict=True):
        column.metric(label, _number(value, "{:.1%}" if "τ" in label else "{:.3f}"), help=help_text)
    st.caption(
        f"Run: {info.label} · method {c.get('method', '?')} · {c.get('labels_per_class', '?')} labels per class "
        f"(label seed {c.get('label_seed', '?')}) · τ = {c.get('threshold', '?')} · "
        f"λ = {c.get('unlabelled_weight', '?')} · {info.step:,} steps. Scores measured at the end of training."
    )


def _tiles(images, captions: list[str]) -> None:
    """One tile per image, all of one size, each with its caption; a line when there is none."""
    if not captions:
        st.caption("None in this pick.")
        return
    captioned_tiles(images, captions, size=TILE)


def gallery_view(gallery: PseudoLabelGallery, dataset_name: str, pick: str, *, key: str) -> None:
    """Right and wrong pseudo-labels side by side, captioned "label (confidence)", and a CSV of them."""
    if not gallery.count:
        st.info("Not one of the unlabelled images is pseudo-labelled wrong: nothing to show in this pick.")
        return
    right, wrong = st.columns(2)
    with right:
        st.markdown(f"**Right** · {len(gallery.right[1])} of {gallery.count}")
        _tiles(*gallery.right)
    with wrong:
        st.markdown(f'**:red[Wrong]** · {len(gallery.wrong[1])} of {gallery.count} ("is" = the hidden label)')
        _tiles(*gallery.wrong)
    st.caption(
        f'Caption: pseudo-label (the model\'s confidence); "< τ" marks those below τ = {gallery.threshold:g}, '
        "which FixMatch would not train on. Most confident first."
    )
    c1, c2 = st.columns(2)
    c1.download_button(
        "⬇ Gallery CSV (index, pseudo-label, confidence, hidden label, …)",
        pd.DataFrame(gallery.table).to_csv(index=False),
        f"{dataset_name}-pseudo-labels-{pick}.csv",
        "text/csv",
        key=f"{key}-csv",
    )
    c2.download_button(
        "⬇ Gallery PNG",
        png_bytes(grid_array(gallery.images, nrow=8)),
        f"{dataset_name}-pseudo-labels-{pick}.png",
        "image/png",
        key=f"{key}-png",
    )


def propagation_scores(result: Propagation) -> None:
    """Accuracy on the test split and on the unlabelled training images, and the time it took."""
    shown = (
        (
            "Propagated: test accuracy",
            f"{result.test_acc:.3f}",
            "Share of the test images given their label.",
        ),
        (
            "Propagated: unlabelled training images",
            f"{result.unlabelled_acc:.3f}",
            "Share of the training images that had no label and received the right one.",
        ),
        ("Labelled images", f"{result.n_labelled:,}", "Labels spread from (the budget above)."),
        ("Time", f"{result.seconds:.2f} s", "Graph and spreading, features already computed."),
    )
    for column, (label, text, help_text) in zip(st.columns(len(shown)), shown, strict=True):
        column.metric(label, text, help=help_text)
