"""Sidebar run picker: bundled and user runs of one family on the chosen dataset."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from app import state
from dul_models.checkpoints import RunInfo, list_runs


def run_picker(
    family: str,
    dataset: str,
    *,
    role: str = "main",
    label: str = "Checkpoint",
    where: Callable[[RunInfo], bool] = lambda info: True,
    help: str | None = None,
) -> RunInfo | None:
    """Let the user choose a run; returns None (and says so) when there is none for this dataset."""
    runs = [r for r in list_runs(family=family, dataset=dataset) if where(r)]
    key = state.run_key(family, role)
    if not runs:
        st.sidebar.caption(f"{label}: no run for {dataset} yet — train one on the page.")
        return None
    by_path = {str(r.path): r for r in runs}
    if st.session_state.get(key) not in by_path:
        st.session_state[key] = next(iter(by_path))  # bundled first, then newest of yours
    chosen = st.sidebar.selectbox(
        label, list(by_path), format_func=lambda p: by_path[p].label, key=key, help=help
    )
    return by_path[chosen]
