"""Runs on a page: pick one of a family in the sidebar (per page and role), load it, offer it as a zip.

Every page opens on a run, so every page needs the same three things and the same words when something
is missing or broken: one `st.info` when there is no run, one `st.error` when a run cannot be loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from app import resources, state
from dul_models import DULError, LoadedRun, RunInfo, list_runs


def run_picker(
    page: str,
    role: str,
    family: str,
    *,
    label: str,
    where: Callable[[RunInfo], bool] | None = None,
    help: str | None = None,
) -> RunInfo | None:
    """A sidebar selectbox over the runs of `family` on the sidebar's dataset (those `where` accepts).

    The choice lives under `state.run_key(page, role)`: it survives page switches and is this page's
    and role's alone. Bundled runs come first, so a fresh session opens on one.
    """
    dataset = state.dataset_name()
    runs = [r for r in list_runs(family=family, dataset=dataset) if where is None or where(r)]
    if not runs:
        st.sidebar.caption(f"{label}: no run for {dataset} yet.")
        return None
    by_path = {str(r.path): r for r in runs}
    chosen = state.selected_run(page, role)
    if chosen not in by_path:
        chosen = next(iter(by_path))
        state.select_run(page, role, chosen)
    widget = state.run_widget_key(page, role)
    st.session_state[widget] = chosen  # redraws the choice even after the widget's state was dropped
    st.sidebar.selectbox(
        label,
        list(by_path),
        format_func=lambda p: by_path[p].label,
        key=widget,
        help=help,
        on_change=state.remember_picked_run,
        args=(page, role),
    )
    return by_path[chosen]


def picked_run(
    page: str,
    role: str,
    family: str,
    *,
    label: str,
    what: str,
    where: Callable[[RunInfo], bool] | None = None,
    help: str | None = None,
    load: Callable[[str], LoadedRun] | None = None,
    optional: bool = False,
    missing_hint: str = "train one live at the bottom of this page",
) -> LoadedRun | None:
    """The picked run, loaded (model in eval mode), or None after saying why on the page.

    `what` names the model in messages ("VAE"); `load` replaces `resources.loaded_run` (e.g. a GAN that
    must also be checked against the dataset). An `optional` role (a comparison) stays silent when it
    has no run and warns rather than errs when its run is broken.
    """
    info = run_picker(page, role, family, label=label, where=where, help=help)
    if info is None:
        if not optional:
            st.info(f"No {what} has been trained on {state.dataset_name()} yet: {missing_hint}.")
        return None
    return load_or_explain(info, what, load=load, optional=optional)


PICK_ANOTHER = "Pick another run in the sidebar or train a new one below."


def load_or_explain(
    info: RunInfo,
    what: str,
    *,
    load: Callable[[str], LoadedRun] | None = None,
    optional: bool = False,
    advice: str = PICK_ANOTHER,
) -> LoadedRun | None:
    """Load `info`'s run, or show why not (one st.error, or st.warning if `optional`) and return None.

    Also for runs a page finds by their config rather than through the picker (then `advice` says what
    to do instead of picking another).
    """
    load = load or partial(_load, device=state.device_name())
    try:
        return load(str(info.path))
    except DULError as exc:
        (st.warning if optional else st.error)(f"Could not load the {what} run {info.label}: {exc}. {advice}")
        return None


def _load(path: str, device: str) -> LoadedRun:
    return resources.loaded_run(path, device)


def run_download(info: RunInfo) -> None:
    """A button that downloads the run folder as a zip; the zip is built on the first click, then cached."""
    st.download_button(
        "⬇ Download this run (.zip)",
        partial(resources.run_zip, str(info.path)),
        f"{info.name}.zip",
        "application/zip",
        key=f"run-zip::{info.path}",
        on_click="ignore",
    )
