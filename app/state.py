"""Every st.session_state key the app uses, with typed getters, so pages never spell a key by hand."""

from __future__ import annotations

import streamlit as st

from dul_models.data import DEFAULT_DATASET

DATASET = "dataset"  # sidebar: dataset name
DEVICE = "device"  # sidebar: "auto", "cuda", "mps" or "cpu"
SEED = "seed"  # sidebar: global seed for sampling and training
RUN_PREFIX = "run::"  # + family: the chosen run folder for that family's page
JOB_PREFIX = "job::"  # + family: id of the last training job started from that family's page


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


def run_key(family: str, role: str = "main") -> str:
    return f"{RUN_PREFIX}{family}::{role}"


def selected_run(family: str, role: str = "main") -> str | None:
    value = st.session_state.get(run_key(family, role))
    return str(value) if value else None


def select_run(family: str, path: str, role: str = "main") -> None:
    st.session_state[run_key(family, role)] = path


def job_id(family: str) -> str | None:
    return st.session_state.get(JOB_PREFIX + family)


def set_job_id(family: str, value: str) -> None:
    st.session_state[JOB_PREFIX + family] = value
