"""Cached few-shot results for the Few-shot page: episode pools, solvers (pool features encoded once),
one episode's answer and decision regions, MAML's adaptation trace, and the side-by-side benchmark.

Solvers are keyed by a hashable `SolverChoice` that carries the run's weights' time stamp, so a retrained
run never answers with stale features; episodes (plain index arrays) are part of the answers' keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from app.resources import dataset
from app.resources.embeddings import _stamp
from dul_models.data.episodes import EpisodePool, EpisodeSet, episode_pool
from dul_models.features.encoders import EncoderSpec
from dul_models.features.few_shot import (
    EpisodeAnswer,
    Solver,
    answer_episode,
    benchmark,
    episode_regions,
    make_solver,
    maml_step_regions,
    maml_trace,
)
from dul_models.models.maml import AdaptationStep

REGION_RESOLUTION = 60  # grid points per axis of the decision-region plots: 3,600 points, instant


@dataclass(frozen=True)
class SolverChoice:
    """One solver as the page picks it: encoder (or MAML run), method, dataset, pool role, device."""

    spec: EncoderSpec
    method: str
    dataset: str
    role: str
    device: str

    @property
    def stamp(self) -> float:
        return _stamp(self.spec)


@st.cache_resource(show_spinner=False, max_entries=8)
def pool(dataset_name: str, role: str) -> EpisodePool:
    """The base, validation or novel pool of a dataset (read-only, shared by every session)."""
    return episode_pool(dataset(dataset_name), role)


@st.cache_resource(show_spinner="Encoding the episode pool with the chosen encoder…", max_entries=16)
def _solver(choice: SolverChoice, stamp: float) -> Solver:
    data = dataset(choice.dataset)
    return make_solver(
        choice.spec, data, choice.method, choice.role, choice.device, pool=pool(choice.dataset, choice.role)
    )


def solver(choice: SolverChoice) -> Solver:
    """The solver for `choice` (raises DULError with the reason, e.g. MAML without a MAML run)."""
    return _solver(choice, choice.stamp)


@st.cache_data(show_spinner="Answering the episode…", max_entries=64)
def _answer(choice: SolverChoice, stamp: float, episode: EpisodeSet) -> EpisodeAnswer:
    return answer_episode(_solver(choice, stamp), episode)


def answer(choice: SolverChoice, episode: EpisodeSet) -> EpisodeAnswer:
    """The solver's probabilities, predictions and (feature methods) distances for one episode."""
    return _answer(choice, choice.stamp, episode)


@st.cache_data(show_spinner="Drawing the decision regions…", max_entries=32)
def _regions(choice: SolverChoice, stamp: float, episode: EpisodeSet) -> dict[str, np.ndarray]:
    return episode_regions(_solver(choice, stamp), episode, REGION_RESOLUTION)


def regions(choice: SolverChoice, episode: EpisodeSet) -> dict[str, np.ndarray]:
    """A feature method's decision regions in the PCA plane of the episode's supports and queries."""
    return _regions(choice, choice.stamp, episode)


@st.cache_data(show_spinner="Adapting MAML to the episode, step by step…", max_entries=16)
def _trace(choice: SolverChoice, stamp: float, episode: EpisodeSet, steps: int) -> list[AdaptationStep]:
    return maml_trace(_solver(choice, stamp), episode, steps)


def trace(choice: SolverChoice, episode: EpisodeSet, steps: int) -> list[AdaptationStep]:
    """MAML's state after each of inner steps 0..`steps` on this episode's supports."""
    return _trace(choice, choice.stamp, episode, steps)


@st.cache_data(show_spinner=False, max_entries=64)
def _step_regions(
    choice: SolverChoice, stamp: float, episode: EpisodeSet, steps: int, step: int
) -> dict[str, np.ndarray]:
    return maml_step_regions(_trace(choice, stamp, episode, steps)[step], REGION_RESOLUTION)


def step_regions(choice: SolverChoice, episode: EpisodeSet, steps: int, step: int) -> dict[str, np.ndarray]:
    """MAML's decision regions after inner step `step` of the trace above."""
    return _step_regions(choice, choice.stamp, episode, steps, step)


@st.cache_data(show_spinner=False, max_entries=16)
def _benchmark(
    choices: tuple[SolverChoice, ...], stamps: tuple[float, ...], episodes: EpisodeSet
) -> list[dict]:
    # The bar is made inside the cached function: st.cache_data replays what it drew, not later updates.
    bar = st.progress(0.0, text="Starting the benchmark…")
    total, finished = len(choices), 0

    def report(title: str, done: int, of: int) -> None:
        nonlocal finished
        bar.progress(min(1.0, (finished + done / of) / total), text=f"{title}: {done} of {of} episodes")
        finished += done == of

    try:
        solvers = [_solver(c, s) for c, s in zip(choices, stamps, strict=True)]
        return benchmark(solvers, episodes, report)
    finally:
        bar.empty()


def benchmark_rows(choices: tuple[SolverChoice, ...], episodes: EpisodeSet) -> list[dict]:
    """Every solver on the same episodes, one row each (acc, ci95, episodes, seconds, method, title, encoder)."""
    return _benchmark(choices, tuple(c.stamp for c in choices), episodes)
