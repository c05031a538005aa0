"""The VAE page's latent-space widgets: per-dimension sliders that decode live, KL per dimension, factor
traversals. They draw what `dul_models.explore.vae` returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

from app.components.images import image_grid

SLIDER_LIMIT = 4.0  # each slider spans ±4 prior standard deviations


def latent_sliders(
    decode: Callable[[list[float]], tuple[Any, float]],
    code: Sequence[float],
    order: Sequence[int],
    labels: Sequence[str],
    *,
    key: str,
    columns: int = 4,
) -> None:
    """One slider per latent (in `order`), starting at `code`; the decoded image and its decode time.

    `decode(code)` returns (image batch, milliseconds). Runs as a fragment, so moving a slider reruns only
    this block (one decode), not the whole page.
    """

    @st.fragment
    def view() -> None:
        cols, values = st.columns(columns), list(code)
        for i, d in enumerate(order):
            start = round(min(max(code[d], -SLIDER_LIMIT), SLIDER_LIMIT), 2)
            values[d] = cols[i % columns].slider(
                labels[i], -SLIDER_LIMIT, SLIDER_LIMIT, start, 0.05, key=f"{key}-{d}"
            )
        image, took = decode(values)
        image_grid(image, nrow=1, scale=6, caption=f"decoded on the server in {took:.1f} ms")

    view()


def kl_per_dim_chart(rows: Sequence[dict], *, key: str) -> None:
    """Bar chart of the KL of each latent dimension (`explore.vae.kl_bars`: sorted), with a CSV download."""
    columns = {name: [row[name] for row in rows] for name in ("dimension", "KL (nats)")}
    fig = px.bar(
        columns, x="dimension", y="KL (nats)", title="KL per latent dimension on the test set (sorted)"
    )
    fig.update_layout(xaxis_title="latent dimension", yaxis_title="KL (nats per image)", height=340)
    st.plotly_chart(fig, key=key)
    st.download_button(
        "⬇ KL per dimension CSV",
        pd.DataFrame(columns).to_csv(index=False),
        "kl-per-dim.csv",
        "text/csv",
        key=f"{key}-csv",
    )


def factor_traversal(title: str, images: Any, rows: Sequence[str], steps: int, score: dict) -> None:
    """A traversal grid of a model trained on a set with known factors, labelled with its MIG.

    `rows` labels each row (latent, KL and the factor it moves: `explore.vae.factor_traversal`);
    `score` is `explore.vae.mig_score` ("mig", "mig_per_factor": the normalised gaps).
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
