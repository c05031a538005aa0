"""Label propagation and the accuracy-against-budget chart on the semi-supervised page, as plain data.

- `propagate_labels`: label propagation from one budget draw over an encoder's features, with the map's
  colours and the CSV of every propagated label.
- `training_map`: where the training images sit (PCA of the features).
- `propagation_curve`: label propagation's test accuracy at CURVE_BUDGETS (a dashed chart line).
- `read_benchmark` / `benchmark_lines`: the semi-supervised benchmark's file and its chart rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dul_models.data import ImageDataset
from dul_models.data.gallery import class_name
from dul_models.data.label_budget import budget_draw
from dul_models.features.label_propagation import Propagation, label_propagation, propagation_by_budget
from dul_models.features.projections import project_2d

__all__ = [
    "BENCHMARK_PATH",
    "COLOUR_CHOICES",
    "CURVE_BUDGETS",
    "GIVEN",
    "Propagation",
    "PropagationView",
    "benchmark_lines",
    "propagate_labels",
    "propagation_curve",
    "read_benchmark",
    "training_map",
]

# written by benchmarks/bench_semi_supervised.py
BENCHMARK_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "semi_supervised.json"
CURVE_BUDGETS = (1, 4, 10, 25)  # labels per class on the benchmark's chart
COLOUR_CHOICES = ("propagated label", "right or wrong")  # what the map's colours show
GIVEN = "given label"  # the map's colour for the images whose label was known


@dataclass(frozen=True)
class PropagationView:
    """Label propagation from one budget draw, with what the map and the CSV need."""

    result: Propagation
    labelled: np.ndarray  # (budget · classes,) training rows whose label was given
    train_y: np.ndarray  # (N,) the hidden training labels: the map's point labels
    colours: dict[str, np.ndarray]  # COLOUR_CHOICES → one colour name per training image
    table: dict[str, list]  # CSV columns: split, index, label, propagated, given (train then test)


def propagate_labels(
    train_features: np.ndarray,
    test_features: np.ndarray,
    data: ImageDataset,
    budget: int,
    seed: int,
    neighbours: int,
) -> PropagationView:
    """Spread `budget` labels per class (drawn with `seed`) over a `neighbours`-NN graph of the features;
    ConfigError says why not (no labels, a budget larger than a class, broken features)."""
    train_y, test_y = data.train.y.numpy(), data.test.y.numpy()
    labelled = budget_draw(train_y, budget, seed)
    result = label_propagation(
        train_features, train_y, labelled, test_features, test_y, n_neighbors=neighbours
    )
    names = data.class_names
    by_label = np.array([class_name(names, v) for v in result.train_labels], dtype=object)
    by_right = np.where(result.train_labels == train_y, "right", "wrong").astype(object)
    for colours in (by_label, by_right):
        colours[labelled] = GIVEN
    given = np.zeros(len(train_y), dtype=bool)
    given[labelled] = True
    table: dict[str, list] = {"split": [], "index": [], "label": [], "propagated": [], "given": []}
    for split, labels, truth, mask in (
        ("train", result.train_labels, train_y, given),
        ("test", result.test_labels, test_y, np.zeros(len(test_y), dtype=bool)),
    ):
        table["split"] += [split] * len(labels)
        table["index"] += list(range(len(labels)))
        table["label"] += [class_name(names, v) for v in truth]
        table["propagated"] += [class_name(names, v) for v in labels]
        table["given"] += mask.tolist()
    return PropagationView(
        result, labelled, train_y, {COLOUR_CHOICES[0]: by_label, COLOUR_CHOICES[1]: by_right}, table
    )


def training_map(train_features: np.ndarray) -> np.ndarray:
    """(N, 2): PCA of the training features, where the labelled images are."""
    return project_2d(train_features, "pca")


def propagation_curve(
    train_features: np.ndarray,
    test_features: np.ndarray,
    data: ImageDataset,
    seed: int,
    neighbours: int,
    encoder: str,
) -> list[dict]:
    """Rows (method, labels_per_class, test_acc, seconds) of label propagation at CURVE_BUDGETS on the
    features of `encoder` (its label names the line)."""
    results = propagation_by_budget(
        train_features,
        data.train.y.numpy(),
        test_features,
        data.test.y.numpy(),
        budgets=CURVE_BUDGETS,
        seed=seed,
        n_neighbors=neighbours,
    )
    method = f"label propagation ({encoder}, recomputed here)"
    return [
        {"method": method, "labels_per_class": b, "test_acc": r.test_acc, "seconds": r.seconds}
        for b, r in results.items()
    ]


def read_benchmark(path: str | Path) -> tuple[dict | None, str]:
    """The benchmark's file as a dict, or None and why (missing, unreadable or without rows)."""
    path = Path(path)
    if not path.is_file():
        return None, f"{path.name} has not been written yet"
    try:
        results = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return None, f"{path.name} could not be read ({exc})"
    if not isinstance(results, dict) or not isinstance(results.get("rows"), list):
        return None, f"{path.name} holds no rows"
    return results, ""


def _accuracy(value: object) -> float | None:
    """A row's test accuracy: a number, or "0.93 ± 0.01" as some benchmarks write a mean ± spread."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).split("±")[0])
    except ValueError:
        return None


def benchmark_lines(results: dict[str, Any], dataset_name: str) -> tuple[list[dict], str]:
    """The benchmark's rows that make chart lines (method, labels_per_class, test_acc), those of this
    dataset when rows name one, and a note when they all measured another dataset."""
    rows = [
        {"method": str(r["method"]), "labels_per_class": int(r["labels_per_class"]), "test_acc": acc}
        | ({"dataset": str(r["dataset"])} if "dataset" in r else {})
        for r in results.get("rows", [])
        if isinstance(r, dict)
        and {"method", "labels_per_class", "test_acc"} <= set(r)
        and (acc := _accuracy(r["test_acc"])) is not None
    ]
    named = sorted({r["dataset"] for r in rows if "dataset" in r})
    if named and dataset_name not in named:
        return [], f"The benchmark measured {', '.join(named)}; pick it in the sidebar to see its lines."
    return [r for r in rows if r.get("dataset", dataset_name) == dataset_name], ""
