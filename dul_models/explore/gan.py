"""What the GANs page shows about a DCGAN run, computed here so the page only draws it.

- `run_summary`: the run's loss, latent size and the FID / class numbers its evaluation saved.
- `draw_samples` / `interpolation`: a seeded batch at a temperature (one class or every class in turn for a
  conditional GAN) and the spherical path in z between two of its samples.
- `load_scorer`: the data set's classifier as a fitted `SampleScorer`; its training-set features (the slow
  part: every training image through the classifier) are kept in the disk cache.
- `nearest_training_images`, `reference_distance`, `class_histogram`: is the GAN copying, and how evenly do
  its samples cover the classes. The last two are pure and slow on a cold server, so they are kept in the
  disk cache too (`dul_models.core.disk_cache`), keyed by the runs (path + weights' mtime), the data set and
  the parameters: a restarted server reads them back at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dul_models.core.devices import pick_device
from dul_models.core.disk_cache import cached_array
from dul_models.data import ImageDataset, to_float
from dul_models.features.sample_quality import SampleScorer
from dul_models.features.sample_quality import class_histogram as classify_samples
from dul_models.models.adversarial import LOSSES, collapse_warning
from dul_models.models.dcgan import UPSAMPLINGS
from dul_models.runs.checkpoints import LoadedRun, RunInfo, RunRef
from dul_models.train.evaluators import classifier_run, unfitted_scorer

__all__ = [
    "LOSSES",
    "UPSAMPLINGS",
    "ClassHistogramView",
    "GanSummary",
    "Neighbours",
    "SampleBatch",
    "Scorer",
    "class_choices",
    "class_histogram",
    "collapse_warning",
    "draw_samples",
    "interpolation",
    "load_scorer",
    "nearest_training_images",
    "prepared",
    "reference_distance",
    "run_summary",
]

REFERENCE_IMAGES = 300  # real test images whose nearest-training-image distance sets the yardstick
_CACHE_VERSION = 1  # bump when a disk-cached computation below changes, so old files are not read


# ---- the run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GanSummary:
    """What the run's caption says: its loss and latent size, and the numbers its evaluation saved."""

    loss: str  # "non-saturating" or "hinge", as the page writes it
    latent_dim: int
    scored: bool  # whether the run's metrics hold a classifier FID (the rest below is None otherwise)
    fid: float | None = None
    fid_floor: float | None = None  # real test images against as many training images: the best reachable
    n_samples: int | None = None
    class_entropy: float | None = None
    class_entropy_max: float | None = None
    modes_covered: int | None = None


def run_summary(info: RunInfo) -> GanSummary:
    """The run's configuration and its saved sample-quality numbers (FID in classifier features)."""
    metrics, config = info.metrics, info.config
    base = {"loss": config["loss"].replace("_", "-"), "latent_dim": int(config["latent_dim"])}
    if "fid_classifier" not in metrics:
        return GanSummary(**base, scored=False)
    return GanSummary(
        **base,
        scored=True,
        fid=float(metrics["fid_classifier"]),
        fid_floor=float(metrics["fid_real_baseline"]),
        n_samples=int(metrics["n_samples"]),
        class_entropy=float(metrics["class_entropy"]),
        class_entropy_max=float(metrics["class_entropy_max"]),
        modes_covered=int(metrics["modes_covered"]),
    )


def prepared(run: LoadedRun, data: ImageDataset) -> LoadedRun:
    """The run checked against the data set (a conditional GAN needs its labels); raises ConfigError."""
    run.model.prepare(data)
    return run


def class_choices(run: LoadedRun, data: ImageDataset) -> list[str]:
    """The classes a conditional GAN can be asked for, by name; empty for an unconditional one."""
    num_classes = run.model.config.num_classes
    if not num_classes:
        return []
    return list(data.class_names[:num_classes]) if data.has_labels else [str(k) for k in range(num_classes)]


# ---- samples ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleBatch:
    """One seeded batch: its images, the noise (and labels) they came from, and how to lay them out."""

    images: torch.Tensor  # (count, C, H, W) in [0, 1]
    latents: torch.Tensor  # (count, latent_dim): z ~ N(0, T²·I), drawn on the CPU from the seed
    labels: torch.Tensor | None  # (count,) the classes a conditional GAN was asked for
    nrow: int  # images per row: one class per column when every class is drawn in turn
    seed: int
    temperature: float

    @property
    def count(self) -> int:
        return int(self.images.shape[0])


@torch.no_grad()
def draw_samples(
    run: LoadedRun, count: int, seed: int, temperature: float, class_index: int | None = None
) -> SampleBatch:
    """`count` samples from `seed` at `temperature`; a conditional GAN draws `class_index`, or every class in
    turn (one per column) when it is None."""
    model = run.model
    labels, nrow = None, 8
    if model.config.num_classes:
        if class_index is None:
            labels, nrow = model.default_labels(count), model.config.num_classes
        else:
            labels = torch.full((count,), int(class_index), dtype=torch.long, device=model.device)
    z = model.latents(count, int(seed), temperature)
    return SampleBatch(model.generate(z, labels), z, labels, nrow, int(seed), float(temperature))


@torch.no_grad()
def interpolation(run: LoadedRun, batch: SampleBatch, first: int, second: int, steps: int) -> torch.Tensor:
    """(steps, C, H, W): the great circle in z from sample `first` to `second`, in the first one's class."""
    label = int(batch.labels[first]) if batch.labels is not None else 0
    return run.model.interpolate(batch.latents[first], batch.latents[second], steps, label=label)


# ---- the classifier's feature space -------------------------------------------------------------


@dataclass(frozen=True)
class Scorer:
    """The data set's classifier fitted to its training images, the run it came from (its path and weights'
    mtime key the disk cache), or None and a note saying how to get one."""

    fitted: SampleScorer | None
    note: str | None = None
    run: RunRef | None = None

    @property
    def available(self) -> bool:
        """Whether samples can be scored: FID, neighbours and class checks need the classifier."""
        return self.fitted is not None

    @property
    def feature_space(self) -> str:
        return "" if self.fitted is None else self.fitted.feature_space

    @property
    def test_accuracy(self) -> float | None:
        return None if self.fitted is None else self.fitted.test_accuracy


def load_scorer(data: ImageDataset, device: str, cache_dir: Path | str | None = None) -> Scorer:
    """The classifier run the evaluators score samples with, its features of the training images read from
    the disk cache when an earlier process computed them."""
    info, note = classifier_run(data)
    if info is None:
        return Scorer(None, note)
    target = pick_device(device)
    scorer = unfitted_scorer(info, target)
    ref = RunRef.of(info.path)
    x_train = data.train.x
    parts = ("gan-scorer-train-features", _CACHE_VERSION, ref, data.name, target.type)
    shape = (len(x_train), scorer.classifier.config.feature_dim)
    features, _ = cached_array(
        parts,
        x_train.numpy(),
        shape,
        lambda: scorer.fit(to_float(x_train).to(target)).train_features_.numpy(),
        cache_dir,
    )
    scorer.train_features_ = torch.from_numpy(features)  # what `fit` stores: (N_train, D) on the CPU
    return Scorer(scorer, run=ref)


@dataclass(frozen=True)
class Neighbours:
    """A sample and its nearest training images in classifier features."""

    images: torch.Tensor  # (1 + k, C, H, W): the sample, then its neighbours, nearest first
    distances: list[float]  # k Euclidean distances in classifier features, ascending


def nearest_training_images(
    scorer: Scorer, data: ImageDataset, batch: SampleBatch, pick: int, k: int = 8
) -> Neighbours:
    """Sample `pick` of the batch and its k nearest training images (is the GAN copying?)."""
    sample = batch.images[pick : pick + 1]
    indices, distances = scorer.fitted.nearest_training_images(sample, k=k)
    neighbours = to_float(data.train.x[indices[0]]).to(sample.device)
    return Neighbours(torch.cat([sample, neighbours]), distances[0].tolist())


def reference_distance(
    scorer: Scorer, data: ImageDataset, n: int = REFERENCE_IMAGES, cache_dir: Path | str | None = None
) -> float:
    """Median classifier-feature distance of a real test image to its nearest training image: how close a
    sample may be to the training set without copying it. Disk-cached."""
    x_test = data.test.x[:n]
    fitted = scorer.fitted
    parts = ("gan-reference-distance", _CACHE_VERSION, scorer.run, data.name, n, fitted.device.type)

    def compute() -> np.ndarray:
        _, distances = fitted.nearest_training_images(to_float(x_test).to(fitted.device), k=1)
        return np.array([float(distances.median())])

    value, _ = cached_array(parts, x_test.numpy(), (1,), compute, cache_dir)
    return float(value[0])


@dataclass(frozen=True)
class ClassHistogramView:
    """Predicted classes of n samples: the bars, their entropy against a perfectly even spread, and for a
    conditional GAN the share predicted as the class it was asked for."""

    classes: list[str]
    counts: list[int]
    entropy: float  # nats
    entropy_max: float  # log K: every class equally often
    label_accuracy: float | None
    n: int


def class_histogram(
    run: LoadedRun,
    scorer: Scorer,
    data: ImageDataset,
    n: int,
    seed: int,
    temperature: float,
    cache_dir: Path | str | None = None,
) -> ClassHistogramView:
    """Classify n samples (chunks of 500 from seed, seed + 500, …): mode coverage. Disk-cached by both runs,
    the data set, n, seed and temperature."""
    model = run.model
    num_classes = scorer.fitted.classifier.config.num_classes
    parts = (
        "gan-class-histogram",
        _CACHE_VERSION,
        RunRef.of(run.info.path),
        scorer.run,
        data.name,
        int(n),
        int(seed),
        float(temperature),
        model.device.type,
    )

    def compute() -> np.ndarray:  # counts…, entropy, label accuracy (NaN when unconditional)
        samples, labels = model.many_samples(int(n), int(seed), float(temperature))
        found = classify_samples(scorer.fitted, samples, labels)
        accuracy = math.nan if found.label_accuracy is None else found.label_accuracy
        return np.array([*found.counts.tolist(), found.entropy, accuracy])

    no_input = np.zeros(0, dtype=np.float32)  # the disk cache hashes an input array; `parts` say it all here
    packed, _ = cached_array(parts, no_input, (num_classes + 2,), compute, cache_dir)
    counts = [int(round(c)) for c in packed[:num_classes].tolist()]
    accuracy = float(packed[num_classes + 1])
    return ClassHistogramView(
        classes=list(data.class_names[:num_classes]),
        counts=counts,
        entropy=float(packed[num_classes]),
        entropy_max=math.log(num_classes),
        label_accuracy=None if math.isnan(accuracy) else accuracy,
        n=int(n),
    )
