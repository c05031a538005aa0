"""Label propagation over any encoder's features.

Label propagation (Zhou, Bousquet, Lal, Weston & Schölkopf, NIPS 2004, "Learning with local and global
consistency"; scikit-learn's `LabelSpreading`) needs no training at all: it builds a k-nearest-neighbour
graph over the training *and* test images (transductive) and lets the few known labels diffuse along it.
How well that works says how well the encoder's features put one class in one neighbourhood — an answer
in seconds, next to FixMatch's minutes of training.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from dul_models.core.errors import ConfigError
from dul_models.data.label_budget import budget_draw, unlabelled_rows

CHUNK = 500


# --- label propagation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Propagation:
    """Label propagation's result: accuracies, every image's propagated label and the time it took."""

    unlabelled_acc: float  # training images that had no label
    test_acc: float
    train_labels: np.ndarray  # (N,) the labelled rows keep their own label
    test_labels: np.ndarray  # (M,)
    n_labelled: int
    seconds: float


def _features(values: Any, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] == 0:
        raise ConfigError(f"{what} must be shaped (N, D) with N > 0, got {array.shape}")
    if not np.isfinite(array).all():
        raise ConfigError(f"{what} contain NaN or infinite values: the encoder's output is broken")
    return array


def _labels(values: Any, n: int, what: str) -> np.ndarray:
    labels = np.asarray(values)
    if labels.shape != (n,):
        raise ConfigError(f"{what} must be shaped ({n},) to match the features, got {labels.shape}")
    if (labels < 0).any():
        raise ConfigError(f"{what} include images with no label (-1): accuracy cannot be scored")
    return labels.astype(np.int64)


def label_propagation(
    train_features: np.ndarray,
    train_y: np.ndarray,
    labelled_index: np.ndarray,
    test_features: np.ndarray,
    test_y: np.ndarray,
    *,
    n_neighbors: int = 10,
    alpha: float = 0.2,
) -> Propagation:
    """Spread the labels of `labelled_index` over a kNN graph of train + test features (cosine: rows are
    L2-normalised first, as the project's kNN probe measures); score the rows that had no label.

    `alpha` is how much of its neighbours' labels a point takes each step (0.2: scikit-learn's default).
    """
    from sklearn.semi_supervised import LabelSpreading
    from threadpoolctl import threadpool_limits

    train = _features(train_features, "train features")
    test = _features(test_features, "test features")
    if train.shape[1] != test.shape[1]:
        raise ConfigError(f"train and test features differ in size: {train.shape[1]} vs {test.shape[1]}")
    train_y = _labels(train_y, train.shape[0], "train labels")
    test_y = _labels(test_y, test.shape[0], "test labels")
    index = np.asarray(labelled_index)
    if index.ndim != 1 or index.size == 0 or not np.issubdtype(index.dtype, np.integer):
        raise ConfigError("labelled_index must be a non-empty 1-D array of row numbers: no labels to spread")
    if index.min() < 0 or index.max() >= train.shape[0] or np.unique(index).size != index.size:
        raise ConfigError(f"labelled_index must hold distinct rows in 0..{train.shape[0] - 1}")
    total = train.shape[0] + test.shape[0]
    if not isinstance(n_neighbors, (int, np.integer)) or not 1 <= n_neighbors < total:
        raise ConfigError(f"n_neighbors must be an integer in 1..{total - 1}, got {n_neighbors!r}")
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"alpha must be in (0, 1), got {alpha!r}")

    start = time.perf_counter()
    points = np.vstack([train, test])  # (N + M, D)
    points /= np.maximum(np.linalg.norm(points, axis=1, keepdims=True), 1e-12)
    targets = np.full(total, -1, dtype=np.int64)  # -1 = unlabelled, scikit-learn's convention
    targets[index] = train_y[index]
    with threadpool_limits(1, user_api="blas"):  # small problem: extra BLAS threads only fight torch's
        spreading = LabelSpreading(kernel="knn", n_neighbors=int(n_neighbors), alpha=alpha, max_iter=100)
        labels = spreading.fit(points, targets).transduction_
    seconds = time.perf_counter() - start
    unlabelled = unlabelled_rows(train.shape[0], index)
    train_labels, test_labels = labels[: train.shape[0]], labels[train.shape[0] :]
    return Propagation(
        unlabelled_acc=float((train_labels[unlabelled] == train_y[unlabelled]).mean())
        if unlabelled.size
        else float("nan"),
        test_acc=float((test_labels == test_y).mean()),
        train_labels=train_labels,
        test_labels=test_labels,
        n_labelled=int(index.size),
        seconds=seconds,
    )


def propagation_by_budget(
    train_features: np.ndarray,
    train_y: np.ndarray,
    test_features: np.ndarray,
    test_y: np.ndarray,
    budgets: tuple[int, ...] = (1, 4, 10, 25),
    seed: int = 0,
    **options: Any,
) -> dict[int, Propagation]:
    """Label propagation at each labels-per-class budget (nested draws of one seed): one chart line."""
    for budget in budgets:  # every budget checked before the first fit
        budget_draw(train_y, budget, seed)
    return {
        budget: label_propagation(
            train_features, train_y, budget_draw(train_y, budget, seed), test_features, test_y, **options
        )
        for budget in budgets
    }
