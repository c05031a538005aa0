"""DeepCluster's rounds as the clustering page draws them, live (the training panel's `events_view`) and
from a saved run's `metrics.json`: scores per round, cluster sizes per round, and every guard that fired."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from app.components.charts import line_chart


def rounds_view(events: Sequence[dict], *, key: str) -> None:
    """DeepCluster's rounds: scores and the largest cluster per round, sizes per round, every guard that fired."""
    key = f"{key}-{len(events)}"  # a live view redraws as rounds arrive
    rows = [
        {"round": e["round"], "measure": name.upper(), "value": value}
        for e in events
        for name, value in e.get("scores", {}).items()
    ]
    rows += [
        {"round": e["round"], "measure": "largest cluster share", "value": e["largest_share"]} for e in events
    ]
    left, right = st.columns(2)
    y_title = "score vs hidden labels / share of images (0–1)"
    title = "Each round's clusters against the labels"
    scores = line_chart(rows, "round", "value", "measure", x_title="round", y_title=y_title, title=title)
    left.plotly_chart(scores, key=f"{key}-scores")
    sizes = np.array([e["sizes"] for e in events])  # (rounds, k)
    fig = go.Figure(
        go.Heatmap(
            z=sizes,
            x=[str(c) for c in range(sizes.shape[1])],
            y=[e["round"] for e in events],
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
    guard_report(events)


def guard_report(events: Sequence[dict]) -> None:
    """Each guard's firing in words: empty clusters re-seeded, empty ones left empty, a dominant cluster."""
    reseeded = [
        f"round {e['round']}: cluster {a} was empty, re-seeded from cluster {b}"
        for e in events
        for a, b in e.get("reseeded", [])
    ]
    empty = [
        f"round {e['round']}: cluster(s) {', '.join(map(str, e['empty']))} left empty (re-seeding is off)"
        for e in events
        if e.get("empty")
    ]
    dominant = [f"round {e['round']}: {e['warning']}" for e in events if e.get("warning")]
    for lines, title, show in (
        (reseeded, "Empty-cluster guard fired", st.info),
        (empty, "Empty clusters, no guard", st.warning),
        (dominant, "A dominant cluster", st.warning),
    ):
        if lines:
            more = [f"… and {len(lines) - 12} more"] if len(lines) > 12 else []
            show(f"**{title}** ({len(lines)}×)\n" + "".join(f"\n- {line}" for line in lines[:12] + more))
    if not (reseeded or empty or dominant):
        st.caption(f"No guard fired in {len(events)} round(s): no cluster went empty and none dominated.")
