"""Scoring generated images in the feature space of the dataset's bundled classifier.

FID proper (Heusel et al., NeurIPS 2017) uses ImageNet Inception features, whose weights cannot be
fetched offline; a small classifier trained on the same dataset (family `classifier`) stands in. It
gives the Fréchet distance, the histogram of predicted classes (mode coverage) and nearest training
images. Any family that samples images can use a `SampleScorer`; none is a weight of the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from dul_models.data import ImageDataset, to_float
from dul_models.errors import ConfigError
from dul_models.evaluation import class_entropy, feature_statistics, frechet_distance


class SampleScorer:
    """The dataset's classifier plus its training-set features; `classifier` is None when there is none."""

    def __init__(self, dataset: ImageDataset, device: torch.device) -> None:
        from dul_models.checkpoints import list_runs, load_run  # checkpoints imports the model registry

        self.dataset_name, self.device = dataset.name, device
        self.classifier, self.run, self.note, self.test_accuracy = None, None, None, None
        runs = list_runs(family="classifier", dataset=dataset.name)
        if not runs:
            self.note = (
                f"no classifier run for {dataset.name}: FID and class metrics skipped "
                f"(train one: python -m dul_models train classifier --dataset {dataset.name})"
            )
            return
        self.classifier = load_run(runs[0].path, device=device).model
        self.run = runs[0].name
        self.test_accuracy: float | None = runs[0].metrics.get("accuracy")  # the yardstick for label accuracy
        self.train_features = self.features(to_float(dataset.train.x).to(device))  # (N_train, D), CPU

    @property
    def available(self) -> bool:
        return self.classifier is not None

    @property
    def feature_space(self) -> str | None:
        if self.classifier is None:
            return None
        return f"penultimate layer ({self.classifier.config.feature_dim}-D) of classifier run {self.run}"

    def _require(self) -> None:
        if self.classifier is None:
            raise ConfigError(self.note)

    @torch.no_grad()
    def _map(self, fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        chunks = [fn(x[s : s + 500].to(self.device)) for s in range(0, x.shape[0], 500)]
        return torch.cat(chunks).float().cpu()

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, D) penultimate-layer features of images in [0, 1]."""
        self._require()
        return self._map(self.classifier.features, x)

    def probs(self, x: torch.Tensor) -> torch.Tensor:
        """(N, K) class probabilities of images in [0, 1]."""
        self._require()
        return self._map(self.classifier.predict_proba, x)

    def nearest_training_images(self, x: torch.Tensor, k: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
        """Indices (N, k) into the training split and Euclidean distances (N, k) in classifier features."""
        distances = torch.cdist(self.features(x), self.train_features)  # (N, N_train)
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
        n = samples.shape[0]
        if not 2 <= n <= self.train_features.shape[0]:
            raise ConfigError(f"the number of samples must be in 2..{self.train_features.shape[0]}, got {n}")
        probs = self.probs(samples).numpy()  # (n, K)
        test_stats = feature_statistics(self.features(x_test))
        num_classes = probs.shape[1]
        counts = np.bincount(probs.argmax(1), minlength=num_classes)
        min_share = 0.5 / num_classes if min_share is None else float(min_share)
        extra = {} if labels is None else {"label_accuracy": label_accuracy(probs, labels)}
        return {
            **extra,
            "fid_classifier": frechet_distance(*feature_statistics(self.features(samples)), *test_stats),
            "fid_real_baseline": frechet_distance(*test_stats, *feature_statistics(self.train_features[:n])),
            "class_entropy": class_entropy(probs),
            "class_entropy_max": math.log(num_classes),
            "modes_covered": int((counts / n >= min_share).sum()),
            "mean_confidence": float(probs.max(1).mean()),
            "class_counts": counts.tolist(),
            "n_samples": n,
            "feature_space": self.feature_space,
        }


def label_accuracy(probs: np.ndarray | torch.Tensor, labels: torch.Tensor) -> float:
    """Share of samples whose predicted class is the one they were conditioned on.

    Low agreement means a conditional generator ignores its label (or draws that class badly).
    """
    predicted = np.asarray(probs).argmax(1)
    return float((predicted == labels.cpu().numpy()).mean())
