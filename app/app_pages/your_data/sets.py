"""The imported sets: one table, and a remove button for each that asks for a tick first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import state
from app.app_pages.your_data.importing import LAST_IMPORT
from dul_models import DEFAULT_DATASET, DULError
from dul_models.explore import your_data as explore

OUTCOME = "your_data::removed"  # ("success" | "error", message) of the last remove, shown once


def _confirm_key(name: str) -> str:
    return f"your_data::confirm::{name}"


def _remove(name: str) -> None:
    """on_click: delete the set; when the sidebar shows it, switch it to the default set first (this runs
    before the sidebar is drawn, so it never offers a set that is gone)."""
    try:
        explore.remove_set(name)
    except DULError as exc:
        st.session_state[OUTCOME] = ("error", str(exc))
        return
    st.session_state.pop(_confirm_key(name), None)
    report = st.session_state.get(LAST_IMPORT)
    if report is not None and report.name == name:
        del st.session_state[LAST_IMPORT]
    message = f"Removed **{name}**."
    if state.dataset_name() == name:
        st.session_state[state.DATASET] = DEFAULT_DATASET
        message += f" The sidebar now shows {DEFAULT_DATASET}."
    st.session_state[OUTCOME] = ("success", message)


def imported_list() -> None:
    """Every imported set with its counts, whether it has labels and when it came; remove one."""
    outcome = st.session_state.pop(OUTCOME, None)
    if outcome is not None:
        (st.error if outcome[0] == "error" else st.success)(outcome[1])
    rows = explore.imported_sets()
    if not rows:
        st.caption("None yet: upload a zip, a folder or images above.")
        return
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    for row in rows:
        name = row["name"]
        label, tick, button = st.columns([3, 2, 1], vertical_alignment="center")
        label.markdown(f"**{name}** · {row['images']:,} images")
        sure = tick.checkbox("Yes, delete it", key=_confirm_key(name), help="Removing cannot be undone.")
        button.button(
            "Remove", key=f"your_data::remove::{name}", disabled=not sure, on_click=_remove, args=(name,)
        )
