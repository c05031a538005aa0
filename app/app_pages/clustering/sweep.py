"""How many clusters? A sweep of k with silhouette, the k-means elbow and a mixture's BIC against k."""

from __future__ import annotations

import streamlit as st

from app.app_pages.clustering import cached
from app.components.charts import line_chart
from dul_models import DULError
from dul_models.explore import clustering as explore


def k_sweep_section(choice: cached.FeatureChoice, *, key: str) -> None:
    """A button that sweeps k = 2 … 20 (with a progress bar), then silhouette, inertia and BIC vs k."""
    if st.button("Sweep k = 2 … 20", type="primary", key=key):
        try:
            st.session_state[f"{key}-rows"] = (choice, cached.sweep(choice))
        except DULError as exc:
            st.error(f"Cannot sweep k: {exc}")
    stored = st.session_state.get(f"{key}-rows")
    if not (stored and stored[0] == choice):
        return
    sweep: explore.KSweep = stored[1]
    charts = (
        ("silhouette", "silhouette", "mean silhouette (−1 … 1, higher is better)", "Silhouette"),
        ("inertia", "elbow", "inertia (squared feature units)", "Inertia (k-means): the elbow"),
        ("bic", "bic", "BIC (lower is better)", "BIC (diagonal Gaussian mixture)"),
    )
    for column, (measure, pick, y_title, title) in zip(st.columns(3), charts, strict=True):
        fig = line_chart(
            sweep.rows, "k", measure, None, x_title="k (number of clusters)", y_title=y_title, title=title
        )
        if pick in sweep.picks:
            fig.add_vline(
                x=sweep.picks[pick], line_dash="dash", annotation_text=f"best k = {sweep.picks[pick]}"
            )
        column.plotly_chart(fig, key=f"{key}-{measure}")
    st.caption(
        "Best k: "
        + " · ".join(f"{name} {value}" for name, value in sweep.picks.items())
        + ". The criteria often disagree; the number of classes is only one of the answers a dataset allows."
    )
