"""The kNN / linear-probe table of several encoders on one dataset: the explorer and the
self-supervised page both ask "which features are best?" and answer it the same way."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.express as px
import streamlit as st

from app.resources import embeddings as cached
from dul_models import DULError, EncoderSpec, ImageDataset

EXPLANATION = (
    "**kNN**: each test image takes the majority label of its 20 nearest training images (cosine). **Linear "
    "probe**: a logistic regression trained on 1, 10 or 100 labelled training images per class (mean ± std "
    "over 5 draws of those labels). Both scored on the test split; the baselines show what training added."
)


def probe_table(data: ImageDataset, specs: Sequence[EncoderSpec], device: str, *, key: str) -> None:
    """A button that probes every encoder (with progress), then the table, a bar chart and a CSV."""
    st.markdown(EXPLANATION)
    name = data.name
    if not data.has_labels:
        st.info(f"{name} has no labels, so there is nothing to probe.")
        return
    if st.button("Compute the probe table", type="primary", key=key):
        bar, rows = st.progress(0.0, text="probing…"), []
        for i, spec in enumerate(specs):
            bar.progress(i / len(specs), text=f"probing {spec.label} ({i + 1} of {len(specs)})")
            try:
                rows.append({"encoder": spec.label, **cached.probe_row(spec, name, device)})
            except DULError as exc:
                st.warning(f"{spec.label} skipped: {exc}")
        bar.empty()
        st.session_state[f"{key}-table"] = (name, rows)
    stored = st.session_state.get(f"{key}-table")
    if not (stored and stored[0] == name and stored[1]):
        return
    frame = pd.DataFrame(stored[1])
    st.dataframe(frame, hide_index=True)
    scores = [c for c in frame if c.endswith("acc") or (c.startswith("linear_probe_acc") and c[-1].isdigit())]
    fig = px.bar(frame.melt("encoder", scores), x="encoder", y="value", color="variable", barmode="group")
    fig.update_layout(
        title=f"Test accuracy on {name}",
        yaxis_title="accuracy (share of test images)",
        legend_title="measure",
    )
    st.plotly_chart(fig, key=f"{key}-chart")
    st.download_button(
        "⬇ Probe table CSV", frame.to_csv(index=False), f"{name}-probes.csv", "text/csv", key=f"{key}-csv"
    )
