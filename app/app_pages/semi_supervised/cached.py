"""The semi-supervised page's slow calls, cached: the views, label propagation, its map and budget curve,
a run's pseudo-label gallery, and the benchmark's file (keyed by its path and modification time, so a new
benchmark run shows at once). Runs and encoders add their modification time to the keys by themselves."""

from __future__ import annotations

from pathlib import Path

from app import resources
from app.resources.cache import cached
from app.resources.embeddings import encoder_features
from dul_models import EncoderSpec
from dul_models.explore import semi_supervised as explore
from dul_models.explore import semi_supervised_propagation as propagation_explore

# a module attribute so that tests can point it elsewhere
RESULTS_PATH = propagation_explore.BENCHMARK_PATH
CURVE_BUDGETS = propagation_explore.CURVE_BUDGETS


@cached(show_spinner=False, max_entries=32)
def views(
    dataset_name: str, device: str, start: int, ops: int, magnitude: float, cutout: float, seed: int
) -> explore.WeakStrongViews:
    """Weak and strong views of the test images from `start` (raises DULError for a bad setting)."""
    return explore.weak_strong_views(
        resources.test_images(dataset_name, device),
        start,
        resources.dataset(dataset_name),
        ops=ops,
        magnitude=magnitude,
        cutout=cutout,
        seed=seed,
    )


@cached(show_spinner="Pseudo-labelling the unlabelled training images…", max_entries=32)
def pseudo_labels(
    path: str, dataset_name: str, device: str, pick: str, n: int, seed: int
) -> explore.PseudoLabelGallery:
    """The run's gallery of `n` unlabelled training images (`pick`: random / confident / uncertain /
    wrong; "wrong" may find fewer)."""
    model = resources.loaded_run(path, device).model
    return explore.pseudo_label_view(model, resources.dataset(dataset_name), pick, n, seed)


def _features(spec: EncoderSpec, dataset_name: str, device: str) -> tuple:
    return tuple(encoder_features(spec, dataset_name, split, device) for split in ("train", "test"))


@cached(show_spinner="Spreading the labels over the features' neighbour graph…", max_entries=32)
def propagation(
    spec: EncoderSpec, dataset_name: str, device: str, budget: int, seed: int, neighbours: int
) -> propagation_explore.PropagationView:
    """Label propagation from `budget` labels per class (drawn with `seed`); raises DULError with the reason."""
    train, test = _features(spec, dataset_name, device)
    return propagation_explore.propagate_labels(
        train, test, resources.dataset(dataset_name), budget, seed, neighbours
    )


@cached(show_spinner="Projecting the training features to 2-D (PCA)…", max_entries=16)
def train_map(spec: EncoderSpec, dataset_name: str, device: str):
    """(N, 2): PCA of the training features, where the labelled images are."""
    return propagation_explore.training_map(encoder_features(spec, dataset_name, "train", device))


@cached(show_spinner="Label propagation at 1, 4, 10 and 25 labels per class…", max_entries=16)
def propagation_curve(
    spec: EncoderSpec, dataset_name: str, device: str, seed: int, neighbours: int
) -> list[dict]:
    """Rows (method, labels_per_class, test_acc, seconds) of label propagation at CURVE_BUDGETS."""
    train, test = _features(spec, dataset_name, device)
    return propagation_explore.propagation_curve(
        train, test, resources.dataset(dataset_name), seed, neighbours, spec.label
    )


@cached(show_spinner=False, max_entries=4)
def _benchmark(path: str, modified: float) -> tuple[dict | None, str]:
    return propagation_explore.read_benchmark(path)


def budget_results() -> tuple[dict | None, str]:
    """The benchmark's file (RESULTS_PATH) as a dict, or None and why (missing or unreadable)."""
    path = Path(RESULTS_PATH)
    return _benchmark(str(path), path.stat().st_mtime if path.is_file() else 0.0)
