"""DeepCluster on the clustering page: a saved run's rounds, the same view live (the training panel's
`events_view`), and the train-live controls. The rounds arrive as plain data from
`dul_models.explore.clustering.deepcluster_rounds`: scores per round, cluster sizes, every guard that fired."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import plotly.graph_objects as go
import streamlit as st

from app.components.charts import line_chart
from app.components.runs import run_picker
from app.components.training_panel import PanelLabels, TrainRequest, representation_train_config, train_live
from dul_models import ImageDataset
from dul_models.explore import clustering as explore

SAVED_SCORES = ("cluster_acc", "nmi", "ari", "largest_cluster_share", "knn_acc")
PRESETS = {"with guards": {}, "no guards": {"reseed_empty": False, "balanced": False}}
GUARD_LINES = 12  # sentences shown per guard; the rest are counted


def rounds_view(events: Sequence[dict], *, key: str) -> None:
    """DeepCluster's rounds: scores and the largest cluster per round, sizes per round, every guard that fired."""
    key = f"{key}-{len(events)}"  # a live view redraws as rounds arrive
    rounds = explore.deepcluster_rounds(events)
    left, right = st.columns(2)
    y_title = "score vs hidden labels / share of images (0–1)"
    title = "Each round's clusters against the labels"
    scores = line_chart(
        rounds.score_rows, "round", "value", "measure", x_title="round", y_title=y_title, title=title
    )
    left.plotly_chart(scores, key=f"{key}-scores")
    fig = go.Figure(
        go.Heatmap(
            z=rounds.sizes,  # (rounds, k)
            x=[str(c) for c in range(len(rounds.sizes[0]))],
            y=rounds.round_ids,
            colorscale="Viridis",
            zmin=0,  # an empty cluster is the darkest cell
            colorbar={"title": "images"},
            hovertemplate="round %{y} · cluster %{x}: %{z} images<extra></extra>",
        )
    )
    fig.update_layout(title="Cluster sizes per round (0 = empty)", height=360, margin={"t": 50, "b": 40})
    fig.update_xaxes(title="cluster", type="category")
    fig.update_yaxes(title="round", autorange="reversed")
    right.plotly_chart(fig, key=f"{key}-sizes")
    _guard_report(rounds)


def _guard_report(rounds: explore.Rounds) -> None:
    """Each guard's firing in words: empty clusters re-seeded, empty ones left empty, a dominant cluster."""
    for lines, title, show in (
        (rounds.reseeded, "Empty-cluster guard fired", st.info),
        (rounds.empty, "Empty clusters, no guard", st.warning),
        (rounds.dominant, "A dominant cluster", st.warning),
    ):
        if lines:
            more = [f"… and {len(lines) - GUARD_LINES} more"] if len(lines) > GUARD_LINES else []
            shown = lines[:GUARD_LINES] + more
            show(f"**{title}** ({len(lines)}×)\n" + "".join(f"\n- {line}" for line in shown))
    if not rounds.guards_fired:
        st.caption(
            f"No guard fired in {len(rounds.round_ids)} round(s): no cluster went empty and none dominated."
        )


def saved_rounds(page: str, dataset_name: str) -> None:
    """The picked DeepCluster run's scores and its recorded rounds (or why there are none)."""
    info = run_picker(page, "main", "deepcluster", label="DeepCluster run")
    if info is None:
        st.info(f"No DeepCluster run on {dataset_name} yet: train one live below and watch its rounds.")
        return
    m = info.metrics
    scores = [f"{s} {m[s]:.3f}" for s in SAVED_SCORES if s in m]
    st.caption(f"Run: {info.label} · " + " · ".join(scores) + " (test split)")
    if m.get("events"):
        rounds_view(m["events"], key="clu-saved")
    else:
        st.info("This run saved no rounds (it predates round records); train one live below.")


def train_section(page: str, data: ImageDataset, seed: int, device: str) -> None:
    """Train DeepCluster live, with or without its guards, and watch the rounds as they come."""

    defaults = explore.deepcluster_live_defaults(data)  # k and batch sizes the set can fill

    def controls() -> TrainRequest:
        c1, c2, c3, c4, c5 = st.columns(5)
        preset = c1.selectbox(
            "Preset",
            list(PRESETS),
            key="clu-preset",
            help="No guards: watch clusters go empty and one take over.",
        )
        steps = c2.number_input("Steps", 10, 20_000, 600, 50, key="clu-steps")
        per_round = c3.number_input("Steps per round", 1, 2_000, 100, 10, key="clu-per-round")
        batch = c4.select_slider("Batch size", defaults.batch_sizes, defaults.batch_size, key="clu-batch")
        width = c5.select_slider(
            "Backbone width", [4, 8, 16, 32, 64], 16, key="clu-width", help="16 is quick on a CPU."
        )
        clusters = st.slider(
            "Clusters per round", 2, defaults.max_clusters, defaults.clusters, key="clu-train-k"
        )
        config = {"width": width, "clusters": clusters, "steps_per_round": int(per_round), **PRESETS[preset]}
        train = representation_train_config(seed=seed, device=device, steps=steps, batch_size=batch)
        return TrainRequest("deepcluster", config, train, title=f"DeepCluster live ({preset})")

    train_live(
        page,
        "Train DeepCluster on the sidebar's dataset and watch each round's clusters against the hidden labels, "
        "the cluster sizes, and the guards firing; the **no guards** preset shows what they prevent.",
        controls,
        labels=PanelLabels(
            loss_keys=("loss",),
            loss_title="cross-entropy on the round's pseudo-labels (nats)",
            eval_keys=("cluster_acc", "nmi", "ari", "knn_acc", "largest_cluster_share"),
            eval_title="score / share of test images (labels used only to score)",
            preview="each test image above two of its views",
            events_view=partial(rounds_view, key="clu-live"),
        ),
    )
