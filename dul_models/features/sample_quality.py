"""Scoring generated images in the feature space of a classifier trained on the same dataset.

FID proper (Heusel et al., NeurIPS 2017) uses ImageNet Inception features, whose weights cannot be
fetched offline; a small classifier trained on the same dataset (family `classifier`) stands in. It
gives the Fréchet distance, the histogram of predicted classes (mode coverage) and nearest training
images. `SampleScorer` is an estimator: built from a classifier, fitted to a training set; whoever
needs it (the CLI, a training job, a page) builds it and hands it over — no model looks one up.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.metrics.samples import class_entropy, feature_statistics, frechet_distance
from dul_models.models.classifier import Classifier


class SampleScorer:
    """A classifier's feature space: `fit(x_train)` stores the training features in `train_features_`."""

    def __init__(self, classifier: Classifier, *, name: str = "", test_accuracy: float | None = None) -> None:
        self.classifier = classifier.eval()
        self.name = name  # the classifier run's folder name, for captions
        self.test_accuracy = test_accuracy  # the classifier's own accuracy: the yardstick for label accuracy

    @property
    def device(self) -> torch.device:
        return next(self.classifier.parameters()).device

    @property
    def feature_space(self) -> str:
        return f"penultimate layer ({self.classifier.config.feature_dim}-D) of classifier run {self.name}"

    def fit(self, x_train: torch.Tensor) -> SampleScorer:
        """Features of the training images (uint8, or float in [0, 1]; converted 500 at a time, so a
        memory-mapped set is never converted whole): the bank for FID floors and neighbours."""
        self.train_features_ = self.features(x_train)  # (N_train, D), CPU
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "train_features_"):
            raise ConfigError("call fit(x_train) first: the scorer needs the training set's features")

    @torch.no_grad()
    def _map(self, fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        chunks = [fn(to_float(x[s : s + 500]).to(self.device)) for s in range(0, x.shape[0], 500)]
        return torch.cat(chunks).float().cpu()

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, D) penultimate-layer features of images in [0, 1]."""
        return self._map(self.classifier.features, x)

    def probs(self, x: torch.Tensor) -> torch.Tensor:
        """(N, K) class probabilities of images in [0, 1]."""
        return self._map(self.classifier.predict_proba, x)

    def nearest_training_images(self, x: torch.Tensor, k: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
        """Indices (N, k) into the training split and Euclidean distances (N, k) in classifier features."""
        self._check_fitted()
        distances = torch.cdist(self.features(x), self.train_features_)  # (N, N_train)
        nearest = distances.topk(k, dim=1, largest=False)
        return nearest.indices, nearest.values

    def score(
        self,
        samples: torch.Tensor,
        x_test: torch.Tensor,
        min_share: float | None = None,
        labels: torch.Tensor | None = None,
    ) -> dict[str, Any]:
        """FID of samples vs x_test, the floor (x_test vs as many training images as samples), classes.

        With equal sample sizes both distances carry the same finite-sample bias, so their ratio is fair.
        A class is covered when it gets at least `min_share` of the samples (default: half of 1/K).
        With the labels the samples were conditioned on, also their `label_accuracy`.
        """
        self._check_fitted()
        n = samples.shape[0]
        if not 2 <= n <= self.train_features_.shape[0]:
            raise ConfigError(f"the number of samples must be in 2..{self.train_features_.shape[0]}, got {n}")
        probs = self.probs(samples).numpy()  # (n, K)
        test_stats = feature_statistics(self.features(x_test))
        num_classes = probs.shape[1]
        counts = np.bincount(probs.argmax(1), minlength=num_classes)
        min_share = 0.5 / num_classes if min_share is None else float(min_share)
        extra = {} if labels is None else {"label_accuracy": label_accuracy(probs, labels)}
        return {
            **extra,
            "fid_classifier": frechet_distance(*feature_statistics(self.features(samples)), *test_stats),
            "fid_real_baseline": frechet_distance(*test_stats, *feature_statistics(self.train_features_[:n])),
            "class_entropy": class_entropy(probs),
            "class_entropy_max": math.log(num_classes),
            "modes_covered": int((counts / n >= min_share).sum()),
            "mean_confidence": float(probs.max(1).mean()),
            "class_counts": counts.tolist(),
            "n_samples": n,
            "feature_space": self.feature_space,
        }


@dataclass(frozen=True)
class ClassHistogram:
    counts: np.ndarray  # (K,) samples per predicted class
    entropy: float  # of the predicted classes, nats
    label_accuracy: float | None  # conditional models: share predicted as the class asked for


def class_histogram(
    scorer: SampleScorer, samples: torch.Tensor, labels: torch.Tensor | None = None
) -> ClassHistogram:
    """Predicted classes of samples (mode coverage); with the labels they were drawn for, label accuracy."""
    probs = scorer.probs(samples)
    return ClassHistogram(
        counts=np.bincount(probs.argmax(1).numpy(), minlength=probs.shape[1]),
        entropy=class_entropy(probs),
        label_accuracy=None if labels is None else label_accuracy(probs, labels),
    )


def label_accuracy(probs: np.ndarray | torch.Tensor, labels: torch.Tensor) -> float:
    """Share of samples whose predicted class is the one they were conditioned on.

    Low agreement means a conditional generator ignores its label (or draws that class badly).
    """
    predicted = np.asarray(probs).argmax(1)
    return float((predicted == labels.cpu().numpy()).mean())
