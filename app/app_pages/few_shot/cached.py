"""Cached few-shot results for the Few-shot page: episode pools, solvers (pool features encoded once),
one episode's answer and decision regions, MAML's adaptation, and the side-by-side benchmark.

Solvers are keyed by a hashable `SolverChoice`; `cached` finds the run inside its `EncoderSpec` and adds
the run's time stamp to the key, so a retrained run never answers with stale features. Episodes (plain
index arrays) are part of the answers' keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from app.resources import dataset
from app.resources.cache import cached
from dul_models import EncoderSpec
from dul_models.explore import few_shot


@dataclass(frozen=True)
class SolverChoice:
    """One solver as the page picks it: encoder (or MAML run), method, dataset, pool role, device."""

    spec: EncoderSpec
    method: str
    dataset: str
    role: str
    device: str


@cached(resource=True, show_spinner=False, max_entries=8)
def pool(dataset_name: str, role: str) -> few_shot.EpisodePool:
    """The base, validation or novel pool of a dataset (read-only, shared by every session)."""
    return few_shot.episode_pool(dataset(dataset_name), role)


@cached(resource=True, show_spinner="Encoding the episode pool with the chosen encoder…", max_entries=16)
def solver(choice: SolverChoice) -> few_shot.Solver:
    """The solver for `choice` (raises DULError with the reason, e.g. MAML without a MAML run)."""
    return few_shot.make_solver(
        choice.spec,
        dataset(choice.dataset),
        choice.method,
        choice.role,
        choice.device,
        pool=pool(choice.dataset, choice.role),
    )


@cached(show_spinner="Answering the episode…", max_entries=64)
def answer(choice: SolverChoice, episode: few_shot.EpisodeSet) -> few_shot.AnswerView:
    """The solver's probabilities, predictions and (feature methods) distances for one episode."""
    return few_shot.answer_view(solver(choice), episode)


@cached(show_spinner="Drawing the decision regions…", max_entries=32)
def regions(choice: SolverChoice, episode: few_shot.EpisodeSet) -> few_shot.DecisionView:
    """A feature method's decision regions in the PCA plane of the episode, wrong answers marked."""
    return few_shot.decision_regions(solver(choice), episode, answer(choice, episode).correct)


@cached(show_spinner="Adapting MAML to the episode, step by step…", max_entries=16)
def adaptation(choice: SolverChoice, episode: few_shot.EpisodeSet, steps: int) -> few_shot.Adaptation:
    """MAML's state after each of inner steps 0..`steps` on this episode's supports."""
    return few_shot.maml_adaptation(solver(choice), episode, steps)


@cached(show_spinner=False, max_entries=64)
def step_regions(
    choice: SolverChoice, episode: few_shot.EpisodeSet, steps: int, step: int
) -> few_shot.DecisionView:
    """MAML's decision regions after inner step `step` of the adaptation above."""
    return few_shot.maml_regions(adaptation(choice, episode, steps), step, episode)


@cached(show_spinner=False, max_entries=16)
def benchmark_rows(
    choices: tuple[SolverChoice, ...], way: int, shot: int, queries: int, count: int, seed: int
) -> list[dict]:
    """Every solver on the same `count` seeded episodes of the choices' pool, one row each (acc, ci95,
    episodes, seconds, method, title, encoder)."""
    first = choices[0]
    episodes = few_shot.draw_episodes(pool(first.dataset, first.role), way, shot, queries, count, seed)
    # The bar is made inside the cached function: st.cache_data replays what it drew, not later updates.
    bar = st.progress(0.0, text="Starting the benchmark…")
    total, finished = len(choices), 0

    def report(title: str, done: int, of: int) -> None:
        nonlocal finished
        bar.progress(min(1.0, (finished + done / of) / total), text=f"{title}: {done} of {of} episodes")
        finished += done == of

    try:
        return few_shot.benchmark([solver(c) for c in choices], episodes, report)
    finally:
        bar.empty()
