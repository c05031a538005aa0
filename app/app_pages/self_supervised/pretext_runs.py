"""How a pretext tab gets its run: the sidebar's picker for the chosen data set (one role per task), the
last picked or first run for another set (colorisation on a grey set), the run's scores, and the first
test image shown."""

from __future__ import annotations

import streamlit as st

from app import state
from app.components.runs import load_or_explain, run_picker
from dul_models import LoadedRun, RunInfo, list_runs
from dul_models.explore import self_supervised_pretext as explore

ADVICE = "Pick another run or train one below."


def task_run(page: str, family: str, dataset: str, what: str) -> LoadedRun | None:
    """The task's run on `dataset` (picked in the sidebar, bundled first), loaded; None after saying why."""
    if dataset == state.dataset_name():
        info = run_picker(page, family, family, label=f"{what} run")
    else:
        info = _other_dataset_run(page, family, dataset)
    if info is None:
        st.info(f"No {what} run on {dataset} yet: pick “{what}” under Train live below and train one.")
        return None
    return load_or_explain(info, what, advice=ADVICE)


def _other_dataset_run(page: str, family: str, dataset: str) -> RunInfo | None:
    """A run on a data set other than the sidebar's (a colour run for a grey set), which the sidebar's
    picker cannot list: the one last picked for this role while that set was chosen, else its first."""
    runs = {str(r.path): r for r in list_runs(family=family, dataset=dataset)}
    return runs.get(state.selected_run(page, family) or "") or next(iter(runs.values()), None)


def first_image(page: str, family: str, size: int) -> int:
    last = max(0, size - explore.SHOWN)
    return int(
        st.number_input("First test image", 0, last, 0, key=f"{page}-{family}-start", help=f"0 … {last}")
    )


def tab_opening(page: str, family: str, dataset: str, what: str, intro: str) -> LoadedRun | None:
    """A tab's opening: what the task asks, the run, and the run's scores; None if no run."""
    st.markdown(intro)
    run = task_run(page, family, dataset, what)
    if run is not None:
        m = run.info.metrics
        parts = [f"{k} {m[k]:.3f}" for k in ("pretext_acc", "knn_acc", "linear_probe_acc_10") if k in m]
        st.caption(f"Run: {run.info.label} · " + " · ".join(parts) + " (test split)")
    return run
