"""Latent-space widgets: per-dimension sliders that decode live, KL per dimension, factor traversals."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st
import torch

from app.components.images import image_grid


def latent_sliders(
    decode: Callable[[torch.Tensor], torch.Tensor],
    z: torch.Tensor,
    order: Sequence[int],
    labels: Sequence[str],
    *,
    key: str,
    columns: int = 4,
) -> None:
    """One slider per latent (in `order`), starting at z; the decoded image and its decode time.

    Runs as a fragment, so moving a slider reruns only this block (one decode), not the whole page.
    """

    @st.fragment
    def view() -> None:
        cols, code = st.columns(columns), z.detach().clone()
        for i, d in enumerate(order):
            code[d] = cols[i % columns].slider(
                labels[i], -4.0, 4.0, round(float(z[d].clamp(-4, 4)), 2), 0.05, key=f"{key}-{d}"
            )
        start = time.perf_counter()
        with torch.no_grad():
            out = decode(code[None])
        took = 1000 * (time.perf_counter() - start)
        image_grid(out, nrow=1, scale=6, caption=f"decoded on the server in {took:.1f} ms")

    view()


def kl_per_dim_chart(kl_per_dim: Sequence[float], *, key: str) -> None:
    """Bar chart of the KL of each latent dimension, sorted, with a CSV download."""
    import plotly.express as px

    frame = pd.DataFrame({"dimension": [f"z{d}" for d in range(len(kl_per_dim))], "KL (nats)": kl_per_dim})
    frame = frame.sort_values("KL (nats)", ascending=False)
    fig = px.bar(
        frame, x="dimension", y="KL (nats)", title="KL per latent dimension on the test set (sorted)"
    )
    fig.update_layout(xaxis_title="latent dimension", yaxis_title="KL (nats per image)", height=340)
    st.plotly_chart(fig, key=key)
    st.download_button(
        "⬇ KL per dimension CSV", frame.to_csv(index=False), "kl-per-dim.csv", "text/csv", key=f"{key}-csv"
    )


def factor_traversal(title: str, images: torch.Tensor, rows: Sequence[str], steps: int, score: dict) -> None:
    """A traversal grid of a model trained on a set with known factors, labelled with its MIG.

    `rows` labels each row (latent, KL and the factor it moves: `latent_space.factor_row_labels`);
    `score` is `latent_space.mig_metrics` ("mig", "mig_per_factor": the normalised gaps).
    """
    st.metric(f"{title}: MIG", f"{score['mig']:.3f}")
    image_grid(
        images,
        nrow=steps,
        scale=2,
        caption="Rows, most informative (highest KL) first: " + "; ".join(rows),
        download_name=f"{title.replace(' ', '').replace(',', '-')}-traversal.png",
    )
    gaps = score["mig_per_factor"]
    st.dataframe(
        pd.DataFrame({"factor": list(gaps), "MI gap / H(factor)": list(gaps.values())}), hide_index=True
    )
