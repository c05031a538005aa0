"""The Import button with its progress bar, and what the last import made (with the button that selects it)."""

from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages.your_data.upload import PREVIEW, ROUND, Upload
from dul_models import DULError
from dul_models.explore import your_data as explore

LAST_IMPORT = "your_data::last-import"  # the ImportReport of this session's last import


def import_button(upload: Upload, options: explore.ImportOptions, plan: explore.UploadPreview) -> None:
    """Convert and store the upload; the bar follows the conversion. One `st.error` when it fails."""
    if not st.button(
        f"Import {plan.total:,} images as “{options.name}”", type="primary", key="your_data::import"
    ):
        return
    bar = st.progress(0.0, text="Starting the import…")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Converting image {done:,} of {total:,}…")

    try:
        report = explore.import_upload(upload.contents(), options, progress=progress)
    except DULError as exc:
        bar.empty()
        st.error(str(exc))
        return
    st.session_state[LAST_IMPORT] = report
    st.session_state.pop(PREVIEW, None)
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1  # an empty uploader for the next set
    st.rerun()


def _select(name: str) -> None:
    """on_click: runs before the sidebar is drawn, so its dataset box shows the new set at once."""
    st.session_state[state.DATASET] = name


def last_import() -> None:
    """What the last import made, and one click to explore it (or the sentence that it is selected)."""
    report = st.session_state.get(LAST_IMPORT)
    if report is None:
        return
    kind = f"{len(report.classes)} classes ({', '.join(report.classes)})" if report.labelled else "unlabelled"
    colour = "colour" if report.channels == 3 else "greyscale"
    st.success(
        f"Imported **{report.name}**: {report.n_train:,} train / {report.n_test:,} test images, {kind}, "
        f"{report.size}×{report.size} {colour}, in {report.seconds:.1f} s"
        + (f"; {len(report.skipped):,} file(s) skipped." if report.skipped else ".")
    )
    if state.dataset_name() == report.name:
        st.info(f"**{report.name}** is selected in the sidebar: every page now shows your images.")
    else:
        st.button(
            f"Explore “{report.name}”: select it in the sidebar",
            type="primary",
            key="your_data::select",
            on_click=_select,
            args=(report.name,),
        )
