"""Train live on the self-supervised page: any self-supervised method, with "break it" presets, the map
timeline of the test set and a collapse alarm."""

from __future__ import annotations

import streamlit as st

from app.app_pages.self_supervised import cached
from app.components.training_panel import PanelLabels, TrainRequest, representation_train_config, train_live
from dul_models import ImageDataset
from dul_models.explore import self_supervised as explore

INTRO = (
    "Train the chosen method on the sidebar's dataset and watch the **kNN accuracy** (20 neighbours, cosine, "
    "labels used only to score), the **embedding spread** and the **map of the test set organise itself**. "
    "Raw pixels score 0.931 kNN on mnist5k: the default SimCLR settings overtake them within about a minute on a CPU."
)
LABELS = PanelLabels(
    loss_keys=("loss",),
    loss_title="loss (nats)",
    eval_keys=("knn_acc", "pretext_acc"),
    eval_title="accuracy (share of test images)",
    preview="each test image above two of its views",
    eval_warning=explore.collapse_warning,
    more_eval_charts=(
        (
            ("embedding_std", "healthy_std", "projection_std", "healthy_projection_std"),
            "std of normalised vectors (healthy ≈ 1/√D)",
            "Collapse check: spread of the embeddings",
        ),
        (
            ("alignment", "uniformity"),
            "lower is better (alignment: squared distance; uniformity: log)",
            "Alignment and uniformity (Wang & Isola 2020)",
        ),
    ),
)


def train_section(page: str, data: ImageDataset, seed: int, device: str) -> None:
    """The method's controls, then the shared panel; the job also records the test set's map timeline.
    Only the methods that can train on the set are offered; the others are named with their reason."""
    choices = cached.live_choices(data.name)
    titles = choices.titles

    def controls() -> TrainRequest:
        for reason in choices.refused:
            st.info(reason)
        family = st.selectbox("Method", list(titles), key="ssl-family", format_func=titles.get)
        c1, c2, c3, c4 = st.columns(4)
        preset = c1.selectbox(
            "Preset",
            list(explore.PRESETS),
            key="ssl-preset",
            help="The 'break it' presets show collapse or a diverging loss on purpose.",
        )
        steps = c2.number_input("Steps", 10, 20_000, 800, 50, key="ssl-steps")
        batch = c3.select_slider("Batch size", choices.batch_sizes, choices.batch_size, key="ssl-batch")
        width = c4.select_slider(
            "Backbone width",
            [8, 16, 32, 64],
            16,
            key="ssl-width",
            help="Channels of the first stage; 16 is quick on a CPU, 32–64 want a GPU.",
        )
        settings: dict = {"width": width}
        fields = explore.config_fields(family)
        if "temperature" in fields:
            settings["temperature"] = st.slider("Temperature τ", 0.05, 2.0, 0.2, 0.05, key="ssl-train-t")
        if "momentum" in fields:
            k1, k2 = st.columns(2)
            settings["momentum"] = k1.slider(
                "Momentum m", 0.0, 0.999, 0.99, 0.001, key="ssl-train-m", format="%.3f"
            )
            settings["queue_size"] = int(
                k2.number_input("Queue size K", batch, 65_536, 4096, batch, key="ssl-train-k")
            )
        train = representation_train_config(seed=seed, device=device, steps=steps, batch_size=batch)
        return TrainRequest(
            family,
            explore.train_model_config(family, preset, settings),
            train,
            title=f"{family} live ({preset})",
            callbacks=("map_timeline",),
        )

    train_live(page, INTRO, controls, labels=LABELS)
