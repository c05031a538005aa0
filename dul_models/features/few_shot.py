"""Few-shot answers from any encoder or meta-learner run: what the CLI's `episodes` and the Few-shot page call.

A `Solver` answers episodes of one pool: either a feature method (ProtoNet's nearest mean, matching's
attention, linear or cosine fine-tuning) on the frozen features of any encoder (pixels, PCA, a random
network, every run that embeds, the meta-learners included), or MAML, which adapts its own weights to
each episode. Same pool, same seed → the same episodes for every solver, so the numbers compare.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dul_models.core.devices import eval_mode, pick_device
from dul_models.core.errors import ConfigError
from dul_models.data import ImageDataset, to_float
from dul_models.data.episodes import EpisodePool, EpisodeSet, episode_pool, sample_episodes
from dul_models.features.encoders import EncoderSpec, encode_images
from dul_models.features.episode_views import decision_plane
from dul_models.models.episode_solvers import (
    EPISODE_CHUNK,
    FEATURE_METHODS,
    MATCHING_TEMPERATURE,
    METHOD_TITLES,
    METHODS,
    EpisodeResult,
    episode_accuracies,
    feature_logits,
    feature_probabilities,
    query_targets,
)
from dul_models.models.maml import MAML, VMAP_EPISODES, AdaptationStep
from dul_models.runs.checkpoints import load_run, read_run_info

Progress = Callable[[int, int], None]
OWN_METHOD = {"protonet": "protonet", "matching": "matching", "maml": "maml"}  # a meta-learner's own rule


@dataclass
class Solver:
    """Answers episodes of one pool with one method: features + rule, or a MAML model."""

    method: str
    pool: EpisodePool
    label: str  # encoder or run, in words
    features: np.ndarray | None = None  # (P, D) pool features, for the feature methods
    maml: MAML | None = None
    temperature: float = MATCHING_TEMPERATURE

    @property
    def title(self) -> str:
        return f"{METHOD_TITLES[self.method]} · {self.label}"

    def probabilities(self, episodes: EpisodeSet) -> np.ndarray:
        """(E, N·Q, N) class probabilities of the queries of every episode."""
        if self.maml is not None:
            with eval_mode(self.maml):
                return self.maml.episode_probabilities(self.pool.x.to(self.maml.device), episodes)
        return feature_probabilities(self.method, self.features, episodes, self.temperature)

    def evaluate(self, episodes: EpisodeSet, progress: Progress | None = None) -> EpisodeResult:
        """Accuracy over all episodes, in chunks so `progress(done, total)` can report."""
        chunk = VMAP_EPISODES if self.maml is not None else EPISODE_CHUNK
        return episode_accuracies(self.probabilities, episodes, self.method, chunk, progress)

    def classify_features(self, episodes: EpisodeSet, points: np.ndarray) -> np.ndarray:
        """Predicted class of arbitrary feature vectors (M, D) under one episode's supports (feature methods)."""
        if self.features is None:
            raise ConfigError("MAML classifies images, not feature vectors: use its adaptation trace")
        support = torch.from_numpy(self.features[episodes.support[0]])[None]  # (1, N, K, D)
        query = torch.from_numpy(np.asarray(points, dtype=np.float32))[None]  # (1, M, D)
        return feature_logits(self.method, support, query, self.temperature)[0].argmax(1).numpy()


def default_method(spec: EncoderSpec) -> str:
    """A meta-learner run answers with its own rule; any other encoder with ProtoNet's nearest mean."""
    if spec.kind == "run":
        return OWN_METHOD.get(read_run_info(Path(spec.run)).family, "protonet")
    return "protonet"


def make_solver(
    spec: EncoderSpec,
    dataset: ImageDataset,
    method: str | None = None,
    role: str = "novel",
    device: str | torch.device = "cpu",
    pool: EpisodePool | None = None,
) -> Solver:
    """A solver for one encoder (or run) and method on a dataset's base, validation or novel pool."""
    method = method or default_method(spec)
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; choose from: {', '.join(METHODS)}")
    pool = pool if pool is not None else episode_pool(dataset, role)
    target = pick_device(device) if isinstance(device, str) else device
    if method == "maml":
        info = read_run_info(Path(spec.run)) if spec.kind == "run" else None
        if info is None or info.family != "maml":
            raise ConfigError(
                "method maml needs a MAML run (it adapts its own weights); pick one, or a feature "
                f"method for this encoder: {', '.join(FEATURE_METHODS)}"
            )
        if info.dataset != dataset.name:
            raise ConfigError(f"run {info.name} was meta-trained on {info.dataset}, not {dataset.name}")
        model = load_run(info.path, device=target).model
        return Solver("maml", pool, spec.label, maml=model)  # type: ignore[arg-type]
    temperature = MATCHING_TEMPERATURE
    if spec.kind == "run" and method == "matching":
        loaded = read_run_info(Path(spec.run))
        temperature = float(loaded.config.get("temperature", MATCHING_TEMPERATURE))
    features = encode_images(spec, dataset, pool.x, target)
    return Solver(method, pool, spec.label, features=features, temperature=temperature)


def run_episodes(
    spec: EncoderSpec,
    dataset: ImageDataset,
    way: int,
    shot: int,
    queries: int = 15,
    episodes: int = 600,
    method: str | None = None,
    role: str = "novel",
    seed: int = 0,
    device: str | torch.device = "cpu",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Mean accuracy ± 95 % interval over `episodes` N-way K-shot episodes: the CLI's `episodes` result.

    `seconds` counts everything after the episodes are drawn: features (or loading MAML) and answering.
    """
    pool = episode_pool(dataset, role)
    drawn = sample_episodes(pool.y, pool.classes, way, shot, queries, episodes, seed)  # checks N, K, Q first
    start = time.perf_counter()
    solver = make_solver(spec, dataset, method, role, device, pool=pool)
    result = solver.evaluate(drawn, progress)
    return {
        **result.summary(),
        "seconds": time.perf_counter() - start,
        "answer_seconds": result.seconds,
        "encoder": solver.label,
        "dataset": dataset.name,
        "pool": role,
        "way": way,
        "shot": shot,
        "queries": queries,
        "seed": seed,
    }


# ---------------------------------------------------------------------------------------------------
# One episode, as the page shows it
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EpisodeAnswer:
    probabilities: np.ndarray  # (N·Q, N)
    predicted: np.ndarray  # (N·Q,)
    truth: np.ndarray  # (N·Q,)
    confidence: np.ndarray  # (N·Q,) probability of the predicted class
    distances: np.ndarray | None  # (N·Q, N) squared distance of each query to each class mean (features)

    @property
    def correct(self) -> np.ndarray:
        return self.predicted == self.truth

    @property
    def acc(self) -> float:
        return float(self.correct.mean())


def answer_episode(solver: Solver, episode: EpisodeSet) -> EpisodeAnswer:
    """The solver's answer to one episode, with what the decision view draws."""
    if len(episode) != 1:
        raise ConfigError(f"answer one episode at a time, got {len(episode)}")
    probs = solver.probabilities(episode)[0]
    distances = None
    if solver.features is not None:
        means = solver.features[episode.support[0]].mean(1)  # (N, D)
        queries = solver.features[episode.query[0].reshape(-1)]  # (N·Q, D)
        distances = ((queries[:, None, :] - means[None]) ** 2).sum(2)
    return EpisodeAnswer(probs, probs.argmax(1), query_targets(episode)[0], probs.max(1), distances)


def classify_uploads(
    solver: Solver, episode: EpisodeSet, images: torch.Tensor, spec: EncoderSpec, dataset: ImageDataset
) -> np.ndarray:
    """Class probabilities (U, N) of uploaded images (U, C, H, W) under one episode's supports."""
    if solver.maml is not None:
        model = solver.maml
        n, k = episode.support.shape[1:]
        x = solver.pool.x.to(model.device)
        support = to_float(x[torch.from_numpy(episode.support[0].reshape(-1)).to(x.device)])
        labels = torch.arange(n, device=model.device).repeat_interleave(k)
        with eval_mode(model), torch.no_grad():
            adapted = model.adapt(support, labels, n, model.config.eval_inner_steps)
            return model.logits(adapted, to_float(images).to(model.device)).softmax(1).cpu().numpy()
    features = encode_images(spec, dataset, images)
    support = torch.from_numpy(solver.features[episode.support[0]])[None]
    logits = feature_logits(solver.method, support, torch.from_numpy(features)[None], solver.temperature)
    return logits[0].softmax(1).numpy()


def maml_trace(solver: Solver, episode: EpisodeSet, steps: int) -> list[AdaptationStep]:
    """MAML's adaptation of one episode, step by step (the page's inner-step slider)."""
    if solver.maml is None:
        raise ConfigError("the inner-step view needs a MAML run")
    model, x = solver.maml, solver.pool.x
    n = episode.support.shape[1]
    support = to_float(x[torch.from_numpy(episode.support[0].reshape(-1))]).to(model.device)
    query = to_float(x[torch.from_numpy(episode.query[0].reshape(-1))]).to(model.device)
    with eval_mode(model):
        return model.adaptation_trace(support, query, n, steps)


def benchmark(
    solvers: Sequence[Solver], episodes: EpisodeSet, progress: Callable[[str, int, int], None] | None = None
) -> list[dict[str, Any]]:
    """Every solver on the same episodes: one row each (acc, ci95, episodes, seconds, method, title, encoder)."""
    rows = []
    for solver in solvers:
        report = None if progress is None else (lambda done, total, s=solver: progress(s.title, done, total))
        result = solver.evaluate(episodes, report)
        rows.append({**result.summary(), "title": METHOD_TITLES[solver.method], "encoder": solver.label})
    return rows


def episode_regions(solver: Solver, episode: EpisodeSet, resolution: int = 60) -> dict[str, np.ndarray]:
    """The feature method's decision regions in the PCA plane of this episode's supports and queries.

    `coords` holds the supports first (N·K, class-major), then the queries (N·Q)."""
    if solver.features is None:
        raise ConfigError("MAML's regions change with every inner step: use maml_step_regions")
    points = np.concatenate(
        [solver.features[episode.support[0].reshape(-1)], solver.features[episode.query[0].reshape(-1)]]
    )
    return decision_plane(points, lambda grid: solver.classify_features(episode, grid), resolution)


def maml_step_regions(step: AdaptationStep, resolution: int = 60) -> dict[str, np.ndarray]:
    """MAML's decision regions after one inner step, in the PCA plane of that step's features
    (supports first, then queries): the adapted head classifies lifted grid points."""
    points = np.concatenate([step.support_features, step.query_features])
    return decision_plane(
        points, lambda grid: (grid @ step.head_weight.T + step.head_bias).argmax(1), resolution
    )


def class_candidates(
    pool: EpisodePool, classes: Sequence[int], per_class: int = 12, seed: int = 0
) -> list[np.ndarray]:
    """Up to `per_class` pool rows of each class, drawn with a seed: the images a person picks supports from."""
    rng = np.random.default_rng(seed)
    labels = pool.y.numpy()
    rows = []
    for c in classes:
        own = np.flatnonzero(labels == c)
        if own.size == 0:
            raise ConfigError(f"class {c} has no images in the {pool.role} pool")
        rows.append(np.sort(rng.choice(own, size=min(per_class, own.size), replace=False)))
    return rows
