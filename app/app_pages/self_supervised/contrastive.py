"""The InfoNCE game of a SimCLR or MoCo run, and MoCo's queue and momentum encoder."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from app.components.charts import history_chart
from app.components.images import image_grid
from dul_models import DULError, LoadedRun
from dul_models.explore import self_supervised as explore


def infonce_section(run: LoadedRun, images, seed: int) -> None:
    """Similarity matrix, one row's softmax at any temperature, the anchor's loss and hardest negatives
    (`images`: the test split, passed through to the library)."""
    info = run.info
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
    try:
        game = explore.infonce_round(
            run.model, images, batch=batch, temperature=temperature, row=row, seed=seed
        )
    except DULError as exc:
        st.error(f"Cannot play the InfoNCE game with {info.label}: {exc}")
        return
    left, right = st.columns(2)
    left.plotly_chart(_similarity_chart(game.logits, batch), key="ssl-game-matrix")
    colours = ["crimson" if j == row else "steelblue" for j in range(batch)]
    bars = go.Figure(go.Bar(x=list(range(batch)), y=game.softmax, marker_color=colours))
    bars.update_layout(
        title=f"Softmax over row {row} at τ = {temperature:g} (red = its positive)", height=420
    )
    bars.update_xaxes(title="view 2 of image #")
    bars.update_yaxes(title="probability", range=[0, 1])
    right.plotly_chart(bars, key="ssl-game-softmax")
    st.metric(
        f"Loss of anchor {row}: −log p(positive)",
        f"{game.loss:.3f} nats",
        help=f"Mean over the batch at this τ: {game.mean_loss:.3f} nats; chance: ln {batch} = "
        f"{game.chance_loss:.3f} nats.",
    )
    image_grid(
        game.strip,
        nrow=len(game.strip),
        caption="Anchor · its positive · the 4 hardest negatives (most similar other images)",
    )
    if info.family == "moco":
        moco_section(run)


def _similarity_chart(logits, batch: int) -> go.Figure:
    fig = go.Figure(go.Heatmap(z=logits, colorscale="Viridis", colorbar={"title": "cos / τ"}))
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
    return fig


def moco_section(run: LoadedRun) -> None:
    """How old the queue's keys are and how far the key encoder trails the query encoder."""
    st.subheader("MoCo's queue and momentum encoder")
    queue = explore.moco_queue(run)
    hist = go.Figure(go.Histogram(x=queue.ages, nbinsx=queue.bins))
    hist.update_layout(
        title=f"Age of the {len(queue.ages):,} keys in the queue (K = {queue.queue_size:,})", height=320
    )
    hist.update_xaxes(title="steps since the key was encoded")
    hist.update_yaxes(title="keys")
    c1, c2 = st.columns(2)
    c1.plotly_chart(hist, key="ssl-moco-age")
    if queue.drift_history:
        c2.plotly_chart(
            history_chart(
                queue.drift_history,
                ["key_drift"],
                y_title="‖θ_k − θ_q‖ / ‖θ_q‖",
                title=f"Key encoder drift (momentum m = {queue.momentum})",
            ),
            key="ssl-moco-drift",
        )
    st.caption(
        "With momentum m the key encoder averages the query encoder over about 1/(1 − m) steps; the queue "
        "holds the last K / batch steps of keys. Both must stay small compared with how fast the encoder changes."
    )
