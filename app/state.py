"""Every shared st.session_state key the app uses, with typed getters, so pages never spell one by hand.

Run choices and training jobs belong to a page and a role within it ("main", "plain", "encoder", ...):
`run::<page>::<role>` and `job::<page>`. So picking a VAE run on the VAE page never changes the run
another page uses in its own VAE role. The run choice is stored under a plain key, apart from the
sidebar widget that edits it (`run-picker::<page>::<role>`), because Streamlit deletes a widget's state
whenever a run does not draw it, i.e. as soon as the user visits another page.
"""

from __future__ import annotations

import streamlit as st

from dul_models import DEFAULT_DATASET

DATASET = "dataset"  # sidebar: dataset name
DEVICE = "device"  # sidebar: "auto", "cuda", "mps" or "cpu"
SEED = "seed"  # sidebar: global seed for sampling and training
SEEN_FINISHED = "training-panel::seen-finished"  # ids of jobs whose end has already rebuilt the page


def init_defaults() -> None:
    st.session_state.setdefault(DATASET, DEFAULT_DATASET)
    st.session_state.setdefault(DEVICE, "auto")
    st.session_state.setdefault(SEED, 0)


def dataset_name() -> str:
    return str(st.session_state.get(DATASET, DEFAULT_DATASET))


def device_name() -> str:
    return str(st.session_state.get(DEVICE, "auto"))


def seed() -> int:
    return int(st.session_state.get(SEED, 0))


# --- run choices, per page and role ---------------------------------------------------------------


def run_key(page: str, role: str = "main") -> str:
    """The key that holds the chosen run folder (a str) for `role` on `page`; survives page switches."""
    return f"run::{page}::{role}"


def run_widget_key(page: str, role: str = "main") -> str:
    """The key of the sidebar selectbox that edits `run_key(page, role)`."""
    return f"run-picker::{page}::{role}"


def selected_run(page: str, role: str = "main") -> str | None:
    value = st.session_state.get(run_key(page, role))
    return str(value) if value else None


def select_run(page: str, role: str, path: str) -> None:
    st.session_state[run_key(page, role)] = str(path)


def take_selected_run(page: str, role: str = "main") -> str | None:
    """The run chosen for `role` (e.g. by the training panel's "Show this run"), handed over once: for a
    page whose own widget holds the choice afterwards (the few-shot encoder picker also offers baselines)."""
    value = st.session_state.pop(run_key(page, role), None)
    return str(value) if value else None


def remember_picked_run(page: str, role: str) -> None:
    """on_change of the picker: copy the widget's new value into the lasting key."""
    select_run(page, role, st.session_state[run_widget_key(page, role)])


# --- training jobs, per page ----------------------------------------------------------------------


def job_key(page: str) -> str:
    return f"job::{page}"


def job_id(page: str) -> str | None:
    value = st.session_state.get(job_key(page))
    return str(value) if value else None


def set_job_id(page: str, value: str) -> None:
    st.session_state[job_key(page)] = value


def train_button_key(page: str, action: str) -> str:
    """Keys of the train-live buttons: action is "start", "stop" or "use-<job id>"."""
    return f"train::{page}::{action}"


def jobs_seen_finished() -> set[str]:
    return st.session_state.setdefault(SEEN_FINISHED, set())


# --- the few-shot page's choices that outlive its widgets -------------------------------------------

FEW_SHOT_PICKS = "few-shot::picks"  # (dataset, pool role, class) → pool rows ticked as supports
FEW_SHOT_PLAYED = "few-shot::played"  # episode token → the person's submitted answers
FEW_SHOT_BENCHMARK = "few-shot::benchmark"  # the settings of the last benchmark run on the page


def few_shot_picks() -> dict[tuple[str, str, int], list[int]]:
    """Hand-picked supports per class: kept apart from the checkboxes, which Streamlit forgets whenever a
    run does not draw them (random mode, another page)."""
    return st.session_state.setdefault(FEW_SHOT_PICKS, {})


def few_shot_played() -> dict[str, list[int | None]]:
    return st.session_state.setdefault(FEW_SHOT_PLAYED, {})


def few_shot_benchmark() -> tuple | None:
    return st.session_state.get(FEW_SHOT_BENCHMARK)


def set_few_shot_benchmark(settings: tuple) -> None:
    st.session_state[FEW_SHOT_BENCHMARK] = settings
