"""The InfoNCE game of a SimCLR or MoCo run, and MoCo's queue and momentum encoder."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from app.components.charts import history_chart
from app.components.images import image_grid
from dul_models.explore.self_supervised import infonce_game


def infonce_section(run, x_test: torch.Tensor, seed: int) -> None:
    """Similarity matrix, one row's softmax at any temperature, the anchor's loss and hardest negatives."""
    model, info = run.model, run.info
    st.caption(
        f"Run: {info.label} · knn_acc {info.metrics.get('knn_acc', float('nan')):.3f} on the test split"
    )
    c1, c2, c3 = st.columns(3)
    batch = c1.slider("Batch (images)", 4, 32, 12, key="ssl-game-batch")
    temperature = c2.slider(
        "Temperature τ",
        0.02,
        2.0,
        float(info.config.get("temperature", 0.2)),
        0.01,
        key="ssl-game-t",
        help="Divides every similarity before the softmax: small τ sharpens it, so the hardest negatives dominate.",
    )
    row = c3.slider("Anchor (row)", 0, batch - 1, 0, key="ssl-game-row")
    game = infonce_game(model, x_test[:batch], seed=seed)
    left, right = st.columns(2)
    fig = go.Figure(
        go.Heatmap(z=game.similarity / temperature, colorscale="Viridis", colorbar={"title": "cos / τ"})
    )
    fig.add_scatter(
        x=list(range(batch)),
        y=list(range(batch)),
        mode="markers",
        marker={"symbol": "square-open", "color": "white", "size": 14},
        name="positive pairs",
    )
    fig.update_layout(
        title="Similarity, view 1 × view 2 (diagonal: positives)",
        height=420,
        showlegend=False,
    )
    fig.update_xaxes(title="view 2 of image #")
    fig.update_yaxes(title="view 1 of image #", autorange="reversed")
    left.plotly_chart(fig, key="ssl-game-matrix")
    share = game.softmax(row, temperature)
    colours = ["crimson" if j == row else "steelblue" for j in range(batch)]
    bars = go.Figure(go.Bar(x=list(range(batch)), y=share, marker_color=colours))
    bars.update_layout(
        title=f"Softmax over row {row} at τ = {temperature:g} (red = its positive)", height=420
    )
    bars.update_xaxes(title="view 2 of image #")
    bars.update_yaxes(title="probability", range=[0, 1])
    right.plotly_chart(bars, key="ssl-game-softmax")
    st.metric(
        f"Loss of anchor {row}: −log p(positive)",
        f"{game.loss(row, temperature):.3f} nats",
        help=f"Mean over the batch at this τ: {game.mean_loss(temperature):.3f} nats; chance: ln {batch} = "
        f"{np.log(batch):.3f} nats.",
    )
    negatives = game.hardest_negatives(row, 4)
    strip = torch.stack([game.view1[row], game.view2[row], *game.view2[negatives]])
    image_grid(
        strip,
        nrow=len(strip),
        caption="Anchor · its positive · the 4 hardest negatives (most similar other images)",
    )
    if info.family == "moco":
        moco_section(run)


def moco_section(run) -> None:
    """How old the queue's keys are and how far the key encoder trails the query encoder."""
    model, info = run.model, run.info
    st.subheader("MoCo's queue and momentum encoder")
    staleness = model.staleness().numpy()
    cfg = info.config
    hist = go.Figure(go.Histogram(x=staleness, nbinsx=min(50, max(1, int(staleness.max(initial=0)) + 1))))
    hist.update_layout(
        title=f"Age of the {len(staleness):,} keys in the queue (K = {cfg['queue_size']:,})", height=320
    )
    hist.update_xaxes(title="steps since the key was encoded")
    hist.update_yaxes(title="keys")
    c1, c2 = st.columns(2)
    c1.plotly_chart(hist, key="ssl-moco-age")
    history = info.metrics.get("history", [])
    if history and "key_drift" in history[-1]:
        c2.plotly_chart(
            history_chart(
                history,
                ["key_drift"],
                y_title="‖θ_k − θ_q‖ / ‖θ_q‖",
                title=f"Key encoder drift (momentum m = {cfg['momentum']})",
            ),
            key="ssl-moco-drift",
        )
    st.caption(
        "With momentum m the key encoder averages the query encoder over about 1/(1 − m) steps; the queue "
        "holds the last K / batch steps of keys. Both must stay small compared with how fast the encoder changes."
    )
