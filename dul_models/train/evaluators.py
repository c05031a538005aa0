"""Monitors the Trainer runs beside a model's own `evaluate`, built by whoever builds the Trainer.

Some numbers need a resource from outside the model: FID needs the dataset's classifier, a kNN
monitor needs a bank of labelled training images. A model never reads the runs folder; it names the
evaluators it wants (`DULModel.evaluators`) and the CLI, a training job or a bundle recipe builds them
here (`build_evaluators`) and hands them to the Trainer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import torch

from dul_models.core.errors import ConfigError
from dul_models.data import ImageDataset
from dul_models.data.large_splits import float_chunks, is_large, rows_that_fit
from dul_models.features.sample_quality import SampleScorer
from dul_models.metrics.disentanglement import mig_metrics, mutual_information_gap
from dul_models.models import DULModel
from dul_models.runs.checkpoints import RunInfo, list_runs, load_run


class Evaluator(Protocol):
    """Called with the model in eval mode on a test split (x float in [0, 1] on the model's device)."""

    name: str
    options: tuple[str, ...]  # evaluation options it accepts (`eval --set KEY=VALUE`)

    def __call__(
        self, model: DULModel, x: torch.Tensor, y: torch.Tensor, *, quick: bool, **options: Any
    ) -> dict[str, Any]: ...


def classifier_run(dataset: ImageDataset) -> tuple[RunInfo | None, str | None]:
    """The run whose classifier scores samples of `dataset` (its first classifier run), or None and a note
    saying what to do."""
    runs = list_runs(family="classifier", dataset=dataset.name)
    if not runs:
        return None, (
            f"no classifier run for {dataset.name}: FID and class metrics skipped "
            f"(train one: python -m dul_models train classifier --dataset {dataset.name})"
        )
    return runs[0], None


def unfitted_scorer(info: RunInfo, device: torch.device | str) -> SampleScorer:
    """A SampleScorer on `info`'s classifier, not yet fitted to any training images."""
    run = load_run(info.path, device=device)
    return SampleScorer(run.model, name=run.info.name, test_accuracy=info.metrics.get("accuracy"))


def load_scorer(dataset: ImageDataset, device: torch.device | str) -> tuple[SampleScorer | None, str | None]:
    """The dataset's classifier as a SampleScorer fitted to its training images, or None and a note."""
    info, note = classifier_run(dataset)
    if info is None:
        return None, note
    return unfitted_scorer(info, device).fit(dataset.train.x), None  # uint8: converted 500 rows at a time


class SampleQuality:
    """FID of samples vs the test images and the class histogram of samples, in classifier features.

    n samples = the training-set size (at most 500 when quick); the same fixed z every evaluation.
    """

    name = "sample_quality"
    options = ("n_samples", "min_share", "seed")

    def __init__(self, scorer: SampleScorer | None, note: str | None = None) -> None:
        self.scorer, self.note = scorer, note

    def __call__(
        self, model: DULModel, x: torch.Tensor, y: torch.Tensor, *, quick: bool, **options: Any
    ) -> dict[str, Any]:
        if self.scorer is None:
            return {"fid_note": self.note}
        n_train = self.scorer.train_features_.shape[0]
        # as many samples as training images, or as many as fit at once when the set is large
        n = int(
            options.get("n_samples") or (min(500, x.shape[0]) if quick else min(n_train, rows_that_fit(x)))
        )
        if not 2 <= n <= n_train:
            raise ConfigError(f"n_samples must be in 2..{n_train}, got {n}")
        samples, labels = model.many_samples(n, int(options.get("seed", 1234)))
        return self.scorer.score(samples, x, options.get("min_share"), labels)


class KNNMonitor:
    """Accuracy of a k-nearest-neighbour vote (cosine) in the model's `embed` space: the standard
    label-free progress signal for representation learning (Wu et al., CVPR 2018).

    The bank is labelled training images; the test images are classified by their k nearest bank entries.
    """

    name = "knn"
    options = ("k",)

    def __init__(
        self, x_bank: torch.Tensor, y_bank: torch.Tensor, k: int = 20, quick_bank: int = 2000
    ) -> None:
        if k < 1:
            raise ConfigError(f"k must be a positive integer, got {k}")
        self.x_bank, self.y_bank, self.k, self.quick_bank = x_bank, y_bank, k, quick_bank

    @torch.no_grad()
    def __call__(
        self, model: DULModel, x: torch.Tensor, y: torch.Tensor, *, quick: bool, **options: Any
    ) -> dict[str, Any]:
        """Quick (while training): the first `quick_bank` training images as the bank; final: all of them."""
        k = int(options.get("k", self.k))
        items = self.quick_bank if quick else None
        x_bank, y_bank = self.x_bank[:items], self.y_bank[:items]
        bank = _normalised_embedding(model, x_bank, x.device)  # (M, D)
        queries = _normalised_embedding(model, x)  # (N, D)
        # one (N, M) similarity matrix, or (for a large bank) a few queries' rows at a time
        parts = queries.split(256) if is_large(x_bank) else (queries,)
        nearest = torch.cat([(q @ bank.T).topk(min(k, bank.shape[0]), dim=1).indices for q in parts])
        votes = y_bank.to(x.device)[nearest]  # (N, k)
        predicted = torch.mode(votes, dim=1).values
        return {"knn_acc": float((predicted == y).float().mean()), "knn_k": k}


class LinearProbe:
    """Test accuracy of a logistic-regression probe on the frozen `embed` features, trained on 10 labelled
    images per class (mean of 5 draws): how useful the features are when labels are scarce.

    Only in the final evaluation: five scikit-learn fits are too slow to repeat while training.
    """

    name = "linear_probe"
    options = ("labels_per_class",)

    def __init__(self, x_train: torch.Tensor, y_train: torch.Tensor, labels_per_class: int = 10) -> None:
        self.x_train, self.y_train, self.labels_per_class = x_train, y_train, labels_per_class

    @torch.no_grad()
    def __call__(
        self, model: DULModel, x: torch.Tensor, y: torch.Tensor, *, quick: bool, **options: Any
    ) -> dict[str, Any]:
        if quick:
            return {}
        from dul_models.metrics.probes import linear_probe_accuracy  # scikit-learn: loaded when first needed

        per_class = int(options.get("labels_per_class", self.labels_per_class))
        # raw features, as the explorer's probe table uses: the probe standardises them itself
        train = _embedding(model, self.x_train, x.device).cpu().numpy()
        test = _embedding(model, x).cpu().numpy()
        mean, std = linear_probe_accuracy(
            train, self.y_train.cpu().numpy(), test, y.cpu().numpy(), labels_per_class=per_class
        )
        return {f"linear_probe_acc_{per_class}": mean, f"linear_probe_std_{per_class}": std}


def _embedding(model: DULModel, x: torch.Tensor, device: torch.device | None = None) -> torch.Tensor:
    """`embed` of images x, 500 at a time, each chunk converted to float and moved on its own: a whole
    training split (a memory-mapped set larger than memory) is never converted at once."""
    device = x.device if device is None else device
    return torch.cat([model.embed(chunk).float() for chunk in float_chunks(x, device, 500)])


def _normalised_embedding(
    model: DULModel, x: torch.Tensor, device: torch.device | None = None
) -> torch.Tensor:
    return torch.nn.functional.normalize(_embedding(model, x, device), dim=1)


def build_evaluators(model: DULModel, dataset: ImageDataset, device: torch.device | str) -> list[Evaluator]:
    """The evaluators a model asks for, built with what they need from the dataset and the runs folder."""
    built: list[Evaluator] = []
    for name in model.evaluators:
        if name == "sample_quality":
            built.append(SampleQuality(*load_scorer(dataset, device)))
        elif name == "knn":
            if not dataset.has_labels:
                continue  # no labels, no kNN accuracy: the model's own metrics still run
            built.append(KNNMonitor(dataset.train.x, dataset.train.y))
        elif name == "linear_probe":
            if dataset.has_labels:
                built.append(LinearProbe(dataset.train.x, dataset.train.y))
        elif name == "mig":  # disentanglement, on sets drawn from known factors only
            if dataset.test.factors is not None:
                built.append(MIGMonitor(dataset.test.factors, dataset.factor_names))
        else:
            raise ConfigError(
                f"unknown evaluator {name!r} asked for by {model.family}; known: sample_quality, knn, linear_probe, mig"
            )
    return built


class MIGMonitor:
    """The `mig` evaluator: MIG of the posterior means against the test split's known factors.

    The Trainer and `eval` hand evaluators the first N test images, so the factors of those N rows are
    taken in order; it is built only for datasets with factors (`shapes`, `shapes-dense`).
    """

    name = "mig"
    options = ("mig_bins",)

    def __init__(self, factors: torch.Tensor, factor_names: Sequence[str]) -> None:
        self.factors, self.factor_names = factors.cpu().numpy(), tuple(factor_names)

    def __call__(
        self, model, x: torch.Tensor, y: torch.Tensor, *, quick: bool, **options: Any
    ) -> dict[str, Any]:
        if x.shape[0] > len(self.factors):
            raise ConfigError(f"{x.shape[0]} images but factors for only {len(self.factors)}")
        bins = int(options.get("mig_bins", 20))
        means = torch.cat([model.embed(x[s : s + 500]).float() for s in range(0, x.shape[0], 500)])
        result = mutual_information_gap(
            means.cpu().numpy(), self.factors[: x.shape[0]], self.factor_names, bins=bins
        )
        return mig_metrics(result, self.factor_names)
