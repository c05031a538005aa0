"""Your data: upload a zip, a folder or images, see what importing would make, import it, and use it as a
data set on every page; list and remove the sets imported so far."""

from __future__ import annotations

import streamlit as st

from app.app_pages.your_data import importing, preview, sets, upload

st.title("📁 Your data")
st.markdown(
    "Bring your own images and every page works on them. **Class subfolders** give labels, one class per "
    "folder (`cats/…`, `dogs/…`); a **flat** folder is imported **unlabelled**; an optional `metadata.csv` "
    "with the columns `file_name,label` sets the labels instead. Images are converted once to small squares "
    "(28, 32 or 64 pixels) and split into train and test; nothing is written before you press *Import*."
)
importing.last_import()

st.header("Upload")
chosen = upload.chosen_upload()
options = upload.settings(chosen)
plan = upload.planned(chosen, options) if chosen is not None and options is not None else None
if plan is not None:
    st.header("Preview")
    preview.show(plan)
    importing.import_button(chosen, options, plan)

st.header("Imported sets")
sets.imported_list()
