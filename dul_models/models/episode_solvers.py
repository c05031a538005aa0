"""Answering few-shot episodes on frozen features: ProtoNet's nearest mean, matching's attention, and
linear and cosine heads fine-tuned on the supports.

The fine-tuning baselines follow Chen et al. (ICLR 2019, "A closer look at few-shot classification"):
a fresh classifier trained on the K·N support features of each episode while the encoder stays frozen,
either linear (their Baseline) or cosine with a scale (Baseline++). Tian et al. (ECCV 2020, "Rethinking
few-shot image classification: a good embedding is all you need?") found such baselines on a good
embedding match the meta-learners; the page and the benchmark put them side by side on the same
episodes. The heads of all episodes are trained at once, as one batched tensor, so 600 episodes take
seconds on a CPU. The meta-learners (`episodic.py`) use the same rules.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from dul_models.core.errors import ConfigError
from dul_models.data.episodes import EpisodeSet
from dul_models.metrics.intervals import mean_ci95
from dul_models.models.losses import matching_logits, prototypical_logits

FEATURE_METHODS = ("protonet", "matching", "linear", "cosine")
METHODS = (*FEATURE_METHODS, "maml")
METHOD_TITLES = {
    "protonet": "ProtoNet (nearest class mean)",
    "matching": "Matching (attention over supports)",
    "linear": "Linear fine-tuning (Baseline)",
    "cosine": "Cosine fine-tuning (Baseline++)",
    "maml": "MAML (adapted by gradient steps)",
}
HEAD_STEPS = 100  # Adam steps on the supports; on ProtoNet glyph features 30 steps give 0.87, 100 give 0.90
HEAD_LR = 0.1  # on unit-length features in an orthonormal basis; 0.02 needs 3× the steps
HEAD_WEIGHT_DECAY = 1e-3  # a little L2: with 1 shot the support set is separable by any head
COSINE_SCALE = 10.0  # Baseline++'s scale on cosine similarities: softmax of values in [-1, 1] is too flat
MATCHING_TEMPERATURE = 0.1
EPISODE_CHUNK = 100  # episodes per batched head fit: bounded memory for 20-way 5-shot on 576-D features


@dataclass(frozen=True)
class EpisodeResult:
    """Accuracy per episode and its summary, as every page and the CLI report it."""

    accuracies: np.ndarray  # (E,) query accuracy of each episode
    seconds: float
    method: str

    @property
    def acc(self) -> float:
        return float(self.accuracies.mean())

    @property
    def ci95(self) -> float:
        return mean_ci95(self.accuracies)[1]

    def summary(self) -> dict[str, Any]:
        return {
            "acc": self.acc,
            "ci95": self.ci95,
            "episodes": len(self.accuracies),
            "seconds": self.seconds,
            "method": self.method,
        }


# ---------------------------------------------------------------------------------------------------
# Heads fitted on the support features of many episodes at once
# ---------------------------------------------------------------------------------------------------


def _support_targets(e: int, n: int, k: int, device: torch.device) -> torch.Tensor:
    return torch.arange(n, device=device).repeat_interleave(k).repeat(e).reshape(e, n * k)  # (E, N·K)


def fit_heads(
    support: torch.Tensor,
    kind: str,
    steps: int = HEAD_STEPS,
    lr: float = HEAD_LR,
    scale: float = COSINE_SCALE,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """A classifier per episode trained on its supports (E, N, K, D); returns query (E, M, D) → logits (E, M, N).

    linear: W·f + b from zero, with an L2 penalty on W. cosine: scale·cos(f, w_n), w_n starting at the
    class means. Features are L2-normalised first, so one learning rate suits every encoder.

    Both heads live in the span of the episode's own support features: gradient descent from these
    starts never leaves it (every gradient is a combination of support features), so each episode is
    solved in an orthonormal basis of that span (QR), with N·K coordinates instead of D. A 784-D head
    cost 4 s per 100 episodes; this costs a tenth. Queries are normalised before they are projected, so
    cosines keep their full-space meaning.
    """
    if kind not in ("linear", "cosine"):
        raise ConfigError(f"unknown head {kind!r}; choose linear or cosine")
    e, n, k, d = support.shape
    f = F.normalize(support.float().reshape(e, n * k, d), dim=2)  # (E, S, D), S = N·K
    basis, _ = torch.linalg.qr(f.transpose(1, 2))  # (E, D, R) orthonormal columns, R = min(S, D)
    coords = f @ basis  # (E, S, R): the supports in that basis, lengths and angles kept
    targets = _support_targets(e, n, k, support.device)
    if kind == "linear":
        weight = torch.zeros(e, n, coords.shape[2], device=support.device)
    else:
        weight = coords.reshape(e, n, k, -1).mean(2).clone()  # (E, N, R) class means
    weight.requires_grad_(True)
    bias = torch.zeros(e, 1, n, device=support.device, requires_grad=kind == "linear")

    def logits(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """x (E, M, R) unit-length features in the basis → logits (E, M, N)."""
        if kind == "linear":
            return x @ w.transpose(1, 2) + b
        return scale * x @ F.normalize(w, dim=2).transpose(1, 2)

    with torch.enable_grad():
        optimizer = torch.optim.Adam([weight, bias] if kind == "linear" else [weight], lr=lr)
        for _ in range(steps):
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(logits(coords, weight, bias).reshape(-1, n), targets.reshape(-1)) * e
            if kind == "linear":  # λ‖w_n‖², summed over classes and episodes
                loss = loss + HEAD_WEIGHT_DECAY * weight.pow(2).sum()
            loss.backward()
            optimizer.step()
    weight, bias = weight.detach(), bias.detach()

    @torch.no_grad()
    def predict(query: torch.Tensor) -> torch.Tensor:
        return logits(F.normalize(query.float(), dim=2) @ basis, weight, bias)

    return predict


def feature_logits(
    method: str, support: torch.Tensor, query: torch.Tensor, temperature: float = MATCHING_TEMPERATURE
) -> torch.Tensor:
    """Logits (E, M, N) of one feature method for supports (E, N, K, D) and queries (E, M, D)."""
    if method == "protonet":
        return prototypical_logits(support, query)
    if method == "matching":
        return matching_logits(support, query, temperature)
    if method in ("linear", "cosine"):
        return fit_heads(support, method)(query)
    raise ConfigError(f"unknown feature method {method!r}; choose from: {', '.join(FEATURE_METHODS)}")


def _episode_tensors(features: torch.Tensor, episodes: EpisodeSet) -> tuple[torch.Tensor, torch.Tensor]:
    """Supports (E, N, K, D) and queries (E, N·Q, D) gathered from pool features (P, D)."""
    e, n, k, q = episodes.shape
    support = features[torch.from_numpy(episodes.support).to(features.device)]  # (E, N, K, D)
    query = features[torch.from_numpy(episodes.query).to(features.device)].reshape(e, n * q, -1)
    return support, query


def query_targets(episodes: EpisodeSet) -> np.ndarray:
    """(E, N·Q) episode labels of the queries, in the order `_episode_tensors` gathers them."""
    e, n, _, q = episodes.shape
    return np.tile(np.repeat(np.arange(n), q), (e, 1))


def feature_probabilities(
    method: str,
    features: np.ndarray | torch.Tensor,
    episodes: EpisodeSet,
    temperature: float = MATCHING_TEMPERATURE,
) -> np.ndarray:
    """Class probabilities (E, N·Q, N) of every query of every episode under a method on frozen features."""
    if method not in FEATURE_METHODS:
        raise ConfigError(
            f"{method!r} needs a trained meta-learner, not features; feature methods: "
            f"{', '.join(FEATURE_METHODS)}"
        )
    feats = (
        features.float().cpu()
        if isinstance(features, torch.Tensor)
        else torch.from_numpy(np.asarray(features, dtype=np.float32))
    )
    parts = []
    for start in range(0, len(episodes), EPISODE_CHUNK):
        support, query = _episode_tensors(feats, episodes.slice(start, start + EPISODE_CHUNK))
        parts.append(feature_logits(method, support, query, temperature).softmax(dim=2))
    return torch.cat(parts).numpy()


def accuracies(probabilities: np.ndarray, episodes: EpisodeSet) -> np.ndarray:
    """(E,) share of each episode's queries whose most probable class is right."""
    return (probabilities.argmax(2) == query_targets(episodes)).mean(1)


def episode_accuracies(
    probabilities: Callable[[EpisodeSet], np.ndarray],
    episodes: EpisodeSet,
    method: str,
    chunk: int = EPISODE_CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> EpisodeResult:
    """Accuracy over all episodes answered `chunk` at a time by `probabilities`, so `progress(done, total)`
    can report between chunks."""
    start = time.perf_counter()
    accs = []
    for first in range(0, len(episodes), chunk):
        part = episodes.slice(first, first + chunk)
        accs.append(accuracies(probabilities(part), part))
        if progress is not None:
            progress(min(first + chunk, len(episodes)), len(episodes))
    return EpisodeResult(np.concatenate(accs), time.perf_counter() - start, method)


def evaluate_features(
    method: str,
    features: np.ndarray,
    episodes: EpisodeSet,
    progress: Callable[[int, int], None] | None = None,
) -> EpisodeResult:
    """Accuracy of a feature method over all episodes."""
    return episode_accuracies(
        lambda part: feature_probabilities(method, features, part), episodes, method, progress=progress
    )
