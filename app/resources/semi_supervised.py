"""Cached results for the semi-supervised page: the view model, label propagation, its map and budget
curve, a run's pseudo-label gallery, and the benchmark's accuracy-against-budget rows.

Keys carry the encoder's or run's weights' time stamp (a retrained run never shows stale labels); the
benchmark file is keyed by its path and modification time, so a new benchmark run shows at once.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import streamlit as st

from app.resources import _stamp as _run_stamp
from app.resources import dataset, loaded_run
from app.resources.embeddings import _stamp, encoder_features
from dul_models.data.label_budget import budget_draw, unlabelled_rows
from dul_models.features.encoders import EncoderSpec
from dul_models.features.label_propagation import (
    Propagation,
    PseudoLabels,
    label_propagation,
    propagation_by_budget,
    pseudo_label_gallery,
)
from dul_models.features.projections import project_2d
from dul_models.models import DULModel, build_model

# written by benchmarks/bench_semi_supervised.py; a module attribute so that tests can point it elsewhere
RESULTS_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "semi_supervised.json"
CURVE_BUDGETS = (1, 4, 10, 25)  # labels per class on the benchmark's chart


@st.cache_resource(show_spinner=False, max_entries=8)
def view_model(
    image_shape: tuple[int, int, int], num_classes: int, ops: int, magnitude: float, cutout: float
) -> DULModel:
    """A fresh default semi-supervised model with these strong-view settings: views need no weights."""
    config = {
        "image_shape": image_shape,
        "num_classes": num_classes,
        "strong_ops": ops,
        "strong_magnitude": magnitude,
        "cutout": cutout,
    }
    return build_model("semisup", config, seed=0)


def _split_labels(dataset_name: str) -> tuple[np.ndarray, np.ndarray]:
    data = dataset(dataset_name)
    return data.train.y.numpy(), data.test.y.numpy()


@st.cache_data(show_spinner="Spreading the labels over the features' neighbour graph…", max_entries=32)
def _propagation(
    spec: EncoderSpec, dataset_name: str, device: str, budget: int, seed: int, neighbours: int, stamp: float
) -> Propagation:
    train_y, test_y = _split_labels(dataset_name)
    return label_propagation(
        encoder_features(spec, dataset_name, "train", device),
        train_y,
        budget_draw(train_y, budget, seed),
        encoder_features(spec, dataset_name, "test", device),
        test_y,
        n_neighbors=neighbours,
    )


def propagation(
    spec: EncoderSpec, dataset_name: str, device: str, budget: int, seed: int, neighbours: int
) -> Propagation:
    """Label propagation from `budget` labels per class (drawn with `seed`); raises DULError with the reason."""
    return _propagation(spec, dataset_name, device, budget, seed, neighbours, _stamp(spec))


@st.cache_data(show_spinner="Label propagation at 1, 4, 10 and 25 labels per class…", max_entries=16)
def _curve(
    spec: EncoderSpec, dataset_name: str, device: str, seed: int, neighbours: int, stamp: float
) -> list[dict]:
    train_y, test_y = _split_labels(dataset_name)
    results = propagation_by_budget(
        encoder_features(spec, dataset_name, "train", device),
        train_y,
        encoder_features(spec, dataset_name, "test", device),
        test_y,
        budgets=CURVE_BUDGETS,
        seed=seed,
        n_neighbors=neighbours,
    )
    method = f"label propagation ({spec.label}, recomputed here)"
    return [
        {"method": method, "labels_per_class": b, "test_acc": r.test_acc, "seconds": r.seconds}
        for b, r in results.items()
    ]


def propagation_curve(
    spec: EncoderSpec, dataset_name: str, device: str, seed: int, neighbours: int
) -> list[dict]:
    """Rows (method, labels_per_class, test_acc, seconds) of label propagation at CURVE_BUDGETS."""
    return _curve(spec, dataset_name, device, seed, neighbours, _stamp(spec))


@st.cache_data(show_spinner="Projecting the training features to 2-D (PCA)…", max_entries=16)
def _train_map(spec: EncoderSpec, dataset_name: str, device: str, stamp: float) -> np.ndarray:
    return project_2d(encoder_features(spec, dataset_name, "train", device), "pca")


def train_map(spec: EncoderSpec, dataset_name: str, device: str) -> np.ndarray:
    """(N, 2): PCA of the training features, where the labelled images are."""
    return _train_map(spec, dataset_name, device, _stamp(spec))


@st.cache_data(show_spinner="Pseudo-labelling the unlabelled training images…", max_entries=32)
def _pseudo_labels(
    path: str, stamp: float, dataset_name: str, device: str, pick: str, n: int, seed: int
) -> tuple[PseudoLabels, np.ndarray, int]:
    model = loaded_run(path, device).model
    train = dataset(dataset_name).train
    rows = unlabelled_rows(len(train.y), model.labelled_index)  # (U,) the images it had no label for
    found = pseudo_label_gallery(model, train.x[rows], train.y[rows], min(n, len(rows)), pick=pick, seed=seed)
    return found, rows[found.index], len(rows)


def pseudo_labels(
    path: str, dataset_name: str, device: str, pick: str, n: int, seed: int
) -> tuple[PseudoLabels, np.ndarray, int]:
    """The run's gallery of `n` unlabelled training images (`pick`: random / confident / uncertain / wrong;
    "wrong" may find fewer), their rows in the training split, and how many images had no label."""
    return _pseudo_labels(path, _run_stamp(path), dataset_name, device, pick, n, seed)


@st.cache_data(show_spinner=False, max_entries=4)
def _results(path: str, mtime: float) -> dict:
    return json.loads(Path(path).read_text())


def budget_results() -> tuple[dict | None, str]:
    """The benchmark's file as a dict, or None and why (missing or unreadable)."""
    path = Path(RESULTS_PATH)
    if not path.is_file():
        return None, f"{path.name} has not been written yet"
    try:
        results = _results(str(path), path.stat().st_mtime)
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


def curve_rows(results: dict, dataset_name: str) -> tuple[list[dict], str]:
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
