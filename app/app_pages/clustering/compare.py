"""Which encoder clusters best? k-means on every encoder's features, scored against the labels, as a table."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from app.app_pages.clustering import cached
from dul_models import DULError, EncoderSpec, ImageDataset


def compare_table(
    data: ImageDataset, specs: Sequence[EncoderSpec], split: str, device: str, seed: int, *, key: str
) -> None:
    """k-means (k = number of classes) on every encoder, optionally after UMAP-10: a table and a CSV."""
    if not data.has_labels:
        st.info(f"{data.name} has no labels, so there is nothing to compare the clusters with.")
        return
    umap = st.toggle(
        "Reduce each encoder's features with UMAP to 10 dimensions first",
        key=f"{key}-umap",
        help="N2D (McConville et al. 2020): UMAP before clustering helps a lot. The first UMAP in "
        "this server compiles for about a minute.",
    )
    k, name = data.num_classes, data.name
    reduction, dims, step = ("umap", 10, "UMAP-10 and k-means") if umap else ("none", 0, "k-means")
    if st.button("Compute the comparison", type="primary", key=key):
        bar, rows = st.progress(0.0, text="clustering…"), []
        for i, spec in enumerate(specs):
            bar.progress(i / len(specs), text=f"{step} on {spec.label} ({i + 1} of {len(specs)})")
            choice = cached.FeatureChoice(spec, name, split, device, reduction, dims, seed)
            try:
                rows.append({"encoder": spec.label, **cached.compare_row(choice, k)})
            except DULError as exc:
                st.warning(f"{spec.label} skipped: {exc}")
        bar.empty()
        st.session_state[f"{key}-table"] = ((name, split, umap, seed), rows)
    stored = st.session_state.get(f"{key}-table")
    if not (stored and stored[0] == (name, split, umap, seed) and stored[1]):
        return
    frame = pd.DataFrame(stored[1])
    st.dataframe(
        frame, hide_index=True, column_config={"seconds": st.column_config.NumberColumn(format="%.2f s")}
    )
    file_name = f"{name}-{split}-kmeans{'-umap10' if umap else ''}.csv"
    st.download_button("⬇ Comparison CSV", frame.to_csv(index=False), file_name, "text/csv", key=f"{key}-csv")
