"""Train live on the semi-supervised page: FixMatch, pseudo-label, Mean Teacher or the supervised
baseline from a few labels, with the pseudo-label accuracy and the share above τ charted."""

from __future__ import annotations

import streamlit as st

from app.components.training_panel import PanelLabels, TrainRequest, representation_train_config, train_live
from dul_models import ImageDataset
from dul_models.explore.semi_supervised import METHOD_TITLES, METHODS

INTRO = (
    "Train on the sidebar's dataset from a few labels and watch the **test accuracy**, the **pseudo-label "
    "accuracy** (against the hidden labels) and the **share of unlabelled images above τ** climb, and **λ** "
    "ramp up. The defaults (FixMatch, 32 labelled + 96 unlabelled images a step) reach about 0.93 test "
    "accuracy on mnist5k after 250 steps and 0.95 after 500, a few minutes on a CPU."
)
LABELS = PanelLabels(
    loss_keys=("sup_loss", "unsup_loss", "unlabelled_weight"),
    loss_title="loss (nats; Mean Teacher's: squared error) · λ in effect",
    eval_keys=("test_acc", "pseudo_label_acc", "mask_rate"),
    eval_title="share (test images; unlabelled training images)",
    preview="test images above their weak and their strong views",
)


def _method_controls() -> dict:
    """The method and its own settings (those another method ignores are greyed out)."""
    c1, c2, c3, c4 = st.columns(4)
    method = c1.selectbox(
        "Method", METHODS, index=METHODS.index("fixmatch"), format_func=METHOD_TITLES.get, key="semi-method"
    )
    per_class = c2.number_input(
        "Labels per class", 1, None, 10, key="semi-train-labels", help="With the label seed."
    )
    tau = c3.number_input(
        "Threshold τ",
        value=0.95,
        step=0.01,
        format="%.2f",
        key="semi-tau",
        help="A pseudo-label counts only when its probability reaches τ; in (0, 1].",
        disabled=method in ("supervised", "mean_teacher"),
    )
    weight = c4.number_input(
        "Unlabelled weight λ",
        value=1.0,
        step=0.5,
        key="semi-lambda",
        disabled=method == "supervised",
        help="≥ 0; ramps up over the first 200 steps. Mean Teacher's squared error is about 10× smaller "
        "than a cross-entropy: its recipe uses λ = 10.",
    )
    return {
        "method": method,
        "labels_per_class": int(per_class),
        "threshold": float(tau),
        "unlabelled_weight": float(weight),
    }


def train_section(page: str, data: ImageDataset, label_seed: int, seed: int, device: str) -> None:
    """The method's controls, then the shared panel; the label budget's seed picks the labelled images."""

    def controls() -> TrainRequest:
        config = _method_controls()
        method = config["method"]
        c1, c2, c3, c4, c5 = st.columns(5)
        ratio = c1.number_input(
            "Unlabelled ratio μ",
            1,
            15,
            3,
            key="semi-mu",
            disabled=method == "supervised",
            help="Unlabelled images per labelled image in a batch. FixMatch's 7 costs twice the CPU time of 3.",
        )
        decay = c2.number_input(
            "EMA decay",
            value=0.99,
            step=0.001,
            format="%.3f",
            key="semi-ema",
            disabled=method != "mean_teacher",
            help="Mean Teacher's teacher: in [0, 1).",
        )
        steps = c3.number_input("Steps", 10, 20_000, 800, 50, key="semi-steps")
        batch = c4.select_slider("Labelled batch", [16, 32, 64, 128], 32, key="semi-batch")
        width = c5.select_slider(
            "Backbone width", [4, 8, 16, 32], 16, key="semi-width", help="16 is quick on a CPU."
        )
        config |= {
            "label_seed": label_seed,
            "unlabelled_ratio": int(ratio),
            "ema_decay": float(decay),
            "width": width,
            **({"num_classes": data.num_classes} if data.has_labels else {}),
        }
        train = representation_train_config(seed=seed, device=device, steps=steps, batch_size=batch)
        title = f"{METHOD_TITLES[method].split(' (')[0]} live, {config['labels_per_class']} labels per class"
        return TrainRequest("semisup", config, train, title=title)

    train_live(page, INTRO, controls, labels=LABELS)
