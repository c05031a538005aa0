"""What the Few-shot page computes, returned as plain data: the page's one entry to the library.

- Choices: the pools (`ROLES`), the methods (`METHODS`, `FEATURE_METHODS`, `METHOD_TITLES`), which encoder
  the page opens on (`encoder_choices`) and which methods an encoder offers (`method_choices`).
- Episodes: a pool (`episode_pool`), drawn (`draw_episodes`) or hand-picked (`picked_episode`) episodes,
  their classes and images (`episode_classes`, `support_images`, `query_images`, `support_candidates`).
- Answers: a solver (`make_solver`), one episode's answer as lists (`answer_view`), an uploaded image's
  (`classify_upload`), every solver on the same episodes (`benchmark`).
- The game: the shown order of the queries (`new_game`) and both scores (`player_score`, `score_game`).
- The decision in the episode's plane and MAML step by step: `few_shot_decision`, re-exported here.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import ImageDataset, to_float
from dul_models.data.episodes import (
    ROLES,
    EpisodePool,
    EpisodeSet,
    episode_pool,
    hand_picked_episode,
    sample_episodes,
)
from dul_models.explore.few_shot_decision import (
    Adaptation,
    ClassPoints,
    DecisionView,
    decision_regions,
    maml_adaptation,
    maml_regions,
    prototype_coords,
)
from dul_models.features.encoders import EncoderSpec, list_encoders
from dul_models.features.few_shot import (
    Solver,
    answer_episode,
    benchmark,
    class_candidates,
    classify_uploads,
    default_method,
    make_solver,
)
from dul_models.models.episode_solvers import FEATURE_METHODS, METHOD_TITLES, METHODS, query_targets
from dul_models.runs.checkpoints import list_runs

__all__ = [
    "FEATURE_METHODS",
    "METHODS",
    "METHOD_TITLES",
    "ROLES",
    "Adaptation",
    "AnswerView",
    "ClassPoints",
    "DecisionView",
    "EpisodePool",
    "EpisodeSet",
    "Game",
    "GameScore",
    "Solver",
    "UploadAnswer",
    "answer_view",
    "benchmark",
    "classify_upload",
    "decision_regions",
    "draw_episodes",
    "encoder_choices",
    "episode_classes",
    "episode_pool",
    "maml_adaptation",
    "maml_regions",
    "make_solver",
    "method_choices",
    "new_game",
    "picked_episode",
    "player_score",
    "prototype_coords",
    "query_images",
    "score_game",
    "support_candidates",
    "support_images",
]

# ---------------------------------------------------------------------------------------------------
# Choices
# ---------------------------------------------------------------------------------------------------


def encoder_choices(dataset_name: str) -> tuple[list[EncoderSpec], int]:
    """The encoders of a dataset and the index the picker opens on: a ProtoNet run when there is one."""
    specs = list_encoders(dataset_name)
    protonets = {str(r.path) for r in list_runs("protonet", dataset_name)}
    return specs, next((i for i, s in enumerate(specs) if s.run in protonets), 0)


def method_choices(spec: EncoderSpec) -> tuple[str, tuple[str, ...]]:
    """(the encoder's own rule, the methods it offers): a MAML run adapts itself, so it offers MAML too;
    every other encoder offers the feature methods and opens on ProtoNet (or its own meta-learner rule)."""
    own = default_method(spec)
    return own, METHODS if own == "maml" else FEATURE_METHODS


# ---------------------------------------------------------------------------------------------------
# Episodes and their images
# ---------------------------------------------------------------------------------------------------


def draw_episodes(
    pool: EpisodePool, way: int, shot: int, queries: int, episodes: int = 1, seed: int = 0
) -> EpisodeSet:
    """`episodes` seeded N-way K-shot episodes of the pool (one clear error when the pool cannot hold them)."""
    return sample_episodes(pool.y, pool.classes, way, shot, queries, episodes, seed)


def picked_episode(pool: EpisodePool, picks: Sequence[Sequence[int]], queries: int, seed: int) -> EpisodeSet:
    """One episode whose supports a person ticked (`picks[n]`: pool rows of class n); seeded queries."""
    return hand_picked_episode(pool.y, picks, queries, seed)


def episode_classes(episode: EpisodeSet) -> list[int]:
    """The dataset labels of the first episode's classes, in episode order."""
    return [int(c) for c in episode.classes[0]]


def pool_images(pool: EpisodePool, rows: np.ndarray | Sequence[int]) -> torch.Tensor:
    """(R, C, H, W) float images in [0, 1] of the pool rows (any shape, read in order)."""
    return to_float(pool.x[torch.as_tensor(np.asarray(rows, dtype=np.int64).reshape(-1))])


def support_images(pool: EpisodePool, episode: EpisodeSet) -> torch.Tensor:
    """The first episode's N·K support images, class after class."""
    return pool_images(pool, episode.support[0])


def query_images(pool: EpisodePool, episode: EpisodeSet, which: Sequence[int] | None = None) -> torch.Tensor:
    """The first episode's queries, in the order the answers list them (class-major), or only those at
    positions `which` of that order, in the order given."""
    rows = episode.query[0].reshape(-1)
    return pool_images(pool, rows if which is None else rows[np.asarray(list(which), dtype=np.int64)])


def support_candidates(
    pool: EpisodePool, label: int, per_class: int, seed: int = 0
) -> tuple[list[int], list[torch.Tensor]]:
    """Pool rows of one class a person may tick as supports, and each one's image (1, C, H, W). Each class
    is drawn on its own, so its candidates stay put when the other classes of the episode change."""
    rows = class_candidates(pool, [int(label)], per_class, seed)[0]
    return rows.tolist(), list(pool_images(pool, rows).split(1))


# ---------------------------------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerView:
    """One episode's answer as plain lists, one entry per query (class-major, as `query_images`)."""

    acc: float
    truth: list[int]
    predicted: list[int]
    confidence: list[float]  # probability of the predicted class
    correct: list[bool]
    table: list[list[float]]  # (N·Q, N): squared distances to the class means, or probabilities (MAML)
    distances: bool  # whether `table` holds distances (feature methods) rather than probabilities

    @property
    def right(self) -> int:
        return sum(self.correct)


def answer_view(solver: Solver, episode: EpisodeSet) -> AnswerView:
    """The solver's answer to one episode, with the query × class table the page draws."""
    answer = answer_episode(solver, episode)
    table = answer.distances if answer.distances is not None else answer.probabilities
    return AnswerView(
        acc=answer.acc,
        truth=answer.truth.tolist(),
        predicted=answer.predicted.tolist(),
        confidence=answer.confidence.tolist(),
        correct=answer.correct.tolist(),
        table=table.tolist(),
        distances=answer.distances is not None,
    )


@dataclass(frozen=True)
class UploadAnswer:
    image: torch.Tensor  # (1, C, H, W) on the CPU, as the model sees it
    probabilities: list[float]  # one per class of the episode


def classify_upload(
    solver: Solver, episode: EpisodeSet, image: torch.Tensor, spec: EncoderSpec, dataset: ImageDataset
) -> UploadAnswer:
    """An uploaded image (C, H, W) classified under one episode's supports."""
    probabilities = classify_uploads(solver, episode, image[None], spec, dataset)[0]
    return UploadAnswer(image[None].cpu(), [float(p) for p in probabilities])


# ---------------------------------------------------------------------------------------------------
# The game: a person sorts the queries, then both scores
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Game:
    token: str  # a short name of the episode: its answers, widgets and score belong to it alone
    order: list[int]  # query indices in the order shown: shuffled, so class order gives nothing away
    truth: list[int]  # episode class of each query
    way: int


def new_game(episode: EpisodeSet) -> Game:
    """The game of one episode; the same episode always gives the same token and order."""
    token = hashlib.sha1(episode.support.tobytes() + episode.query.tobytes()).hexdigest()[:12]
    truth = query_targets(episode)[0].tolist()
    order = random.Random(token).sample(range(len(truth)), len(truth))
    return Game(token, order, truth, episode.shape[1])


def player_score(answers: list[int | None], episodes: EpisodeSet) -> dict[str, Any]:
    """Score a person's labels for the queries of one episode (None = not answered, counted wrong)."""
    truth = query_targets(episodes)[0]
    if len(answers) != len(truth):
        raise ConfigError(f"expected {len(truth)} answers, one per query, got {len(answers)}")
    right = np.array([a is not None and int(a) == int(t) for a, t in zip(answers, truth, strict=True)])
    return {"acc": float(right.mean()), "right": right, "unanswered": sum(a is None for a in answers)}


@dataclass(frozen=True)
class GameScore:
    acc: float
    right: int
    unanswered: int
    wrong: list[int]  # the queries the person got wrong, in the order shown
    model_wrong: list[int]  # the queries the model got wrong, in the order shown


def score_game(answers: list[int | None], episode: EpisodeSet, answer: AnswerView) -> GameScore:
    """The person's score beside the model's, with the queries each got wrong."""
    score = player_score(answers, episode)
    order = new_game(episode).order
    return GameScore(
        acc=score["acc"],
        right=int(score["right"].sum()),
        unanswered=score["unanswered"],
        wrong=[i for i in order if not score["right"][i]],
        model_wrong=[i for i in order if not answer.correct[i]],
    )
