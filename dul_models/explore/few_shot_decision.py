"""The Few-shot page's decision views, as plain data: a solver's regions in the PCA plane of one episode
with its supports, prototypes and queries placed on it, and MAML's adaptation, inner step by inner step.
`dul_models.explore.few_shot` re-exports everything here: the page imports that module only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dul_models.core.errors import ConfigError
from dul_models.data.episodes import EpisodeSet
from dul_models.features.few_shot import Solver, episode_regions, maml_step_regions, maml_trace
from dul_models.models.maml import AdaptationStep

REGION_RESOLUTION = 60  # grid points per axis of the decision-region plots: 3,600 points, instant


def prototype_coords(coords: np.ndarray, way: int, shot: int) -> np.ndarray:
    """(N, 2) class means of the supports in a plane from `decision_plane` / `episode_regions`, whose
    `coords` start with the N·K supports, class-major. The plane is a linear map (PCA), so the mean of the
    projected supports is the projected prototype: no features needed to draw the prototypes."""
    supports = np.asarray(coords)[: way * shot]
    if supports.shape[0] != way * shot:
        raise ConfigError(f"need {way * shot} support points (N·K) first, got {supports.shape[0]}")
    return supports.reshape(way, shot, -1).mean(1)


@dataclass(frozen=True)
class ClassPoints:
    """One episode class in the plane: its queries (and which were answered wrong), supports, prototype."""

    query_x: list[float]
    query_y: list[float]
    query_wrong: list[bool]
    support_x: list[float]
    support_y: list[float]
    prototype: tuple[float, float]


@dataclass(frozen=True)
class DecisionView:
    """The grid (`x`, `y` axes; `regions[row][column]` = the class given to point (x[column], y[row])) and
    the episode's points, class by class."""

    x: list[float]
    y: list[float]
    regions: list[list[int]]
    classes: list[ClassPoints]


def decision_view(
    plane: dict[str, np.ndarray], episode: EpisodeSet, correct: Sequence[bool] | None = None
) -> DecisionView:
    """A plane from `decision_plane` (coords: supports first, then queries) split into the episode's
    classes; `correct` (one per query) marks the queries answered wrong."""
    _, way, shot, queries = episode.shape
    coords = np.asarray(plane["coords"])
    if coords.shape[0] != way * (shot + queries):
        raise ConfigError(f"expected {way * (shot + queries)} points (N·K + N·Q), got {coords.shape[0]}")
    prototypes = prototype_coords(coords, way, shot)
    query_coords = coords[way * shot :]
    wrong = np.zeros(way * queries, bool) if correct is None else ~np.asarray(correct, bool)
    classes = []
    for n in range(way):
        own, supports = query_coords[n * queries : (n + 1) * queries], coords[n * shot : (n + 1) * shot]
        classes.append(
            ClassPoints(
                query_x=own[:, 0].tolist(),
                query_y=own[:, 1].tolist(),
                query_wrong=wrong[n * queries : (n + 1) * queries].tolist(),
                support_x=supports[:, 0].tolist(),
                support_y=supports[:, 1].tolist(),
                prototype=(float(prototypes[n, 0]), float(prototypes[n, 1])),
            )
        )
    regions = np.asarray(plane["regions"]).astype(int).tolist()
    return DecisionView(np.asarray(plane["x"]).tolist(), np.asarray(plane["y"]).tolist(), regions, classes)


def decision_regions(
    solver: Solver,
    episode: EpisodeSet,
    correct: Sequence[bool] | None = None,
    resolution: int = REGION_RESOLUTION,
) -> DecisionView:
    """A feature method's decision regions in the PCA plane of the episode's supports and queries."""
    return decision_view(episode_regions(solver, episode, resolution), episode, correct)


# ---------------------------------------------------------------------------------------------------
# MAML, inner step by inner step
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Adaptation:
    """MAML's state after each inner step 0..S on one episode's supports (step 0: the initialisation)."""

    trace: list[AdaptationStep]

    @property
    def steps(self) -> list[int]:
        return [s.step for s in self.trace]

    @property
    def support_loss(self) -> list[float]:
        """Cross-entropy (nats) of the adapted network on the supports it is fitted to."""
        return [float(s.support_loss) for s in self.trace]

    @property
    def query_acc(self) -> list[float]:
        """Share of the episode's queries the adapted network gets right."""
        return [float(s.query_acc) for s in self.trace]

    def loss_change(self, step: int) -> float:
        """Support loss at `step` minus at step 0 (nats; below zero = fitted better)."""
        return self.support_loss[step] - self.support_loss[0]

    def acc_change(self, step: int) -> float:
        """Query accuracy at `step` minus at step 0, in percentage points."""
        return (self.query_acc[step] - self.query_acc[0]) * 100


def maml_adaptation(solver: Solver, episode: EpisodeSet, steps: int) -> Adaptation:
    """MAML adapting to one episode's supports, inner steps 0..`steps` (the page's slider)."""
    return Adaptation(maml_trace(solver, episode, steps))


def maml_regions(
    adaptation: Adaptation, step: int, episode: EpisodeSet, resolution: int = REGION_RESOLUTION
) -> DecisionView:
    """MAML's decision regions after inner step `step`, in the PCA plane of that step's features."""
    if not 0 <= step < len(adaptation.trace):
        raise ConfigError(f"inner step {step} is outside the trace's steps 0..{len(adaptation.trace) - 1}")
    return decision_view(maml_step_regions(adaptation.trace[step], resolution), episode)
