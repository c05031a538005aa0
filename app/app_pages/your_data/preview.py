"""The preview of an import: counts, a few images of each class as they will be stored, what is skipped."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.components.images import image_grid
from dul_models.explore import your_data as explore

PREVIEW_COLUMNS = 4


def show(plan: explore.UploadPreview) -> None:
    """Counts, a few images per class as they will be stored, the notes, and what is skipped and why."""
    colour = "colour" if plan.channels == 3 else "greyscale"
    kind = f"{len(plan.counts)} classes" if plan.labelled else "unlabelled"
    a, b, c, d = st.columns(4)
    a.metric("Images", f"{plan.total:,}")
    b.metric("Classes", len(plan.counts) if plan.labelled else "none")
    c.metric("Stored as", f"{plan.size}×{plan.size} {colour}")
    d.metric("Skipped", f"{plan.skipped_count:,}")
    st.markdown(
        f"From **{plan.source}**: {plan.total:,} images, {kind}. Nothing is written until you import."
    )
    for note in plan.notes:
        st.caption(f"• {note}")
    if plan.labelled:
        st.dataframe(pd.DataFrame(plan.counts), hide_index=True)
    columns = st.columns(PREVIEW_COLUMNS)
    for index, (name, images) in enumerate(plan.previews.items()):
        with columns[index % PREVIEW_COLUMNS]:
            caption = name or f"the first {len(images)} images"
            image_grid(images, nrow=4, scale=2 if plan.size < 64 else 1, caption=caption)
    if len(plan.previews) < len(plan.counts):
        st.caption(f"Images of the first {len(plan.previews)} classes of {len(plan.counts)}.")
    if plan.skipped_count:
        with st.expander(f"Skipped {plan.skipped_count:,} file(s) — why"):
            st.dataframe(pd.DataFrame(plan.skipped), hide_index=True)
            if plan.skipped_count > len(plan.skipped):
                st.caption(f"The first {len(plan.skipped):,} are named; all are counted.")
