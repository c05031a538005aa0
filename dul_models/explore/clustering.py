"""What the clustering page shows, computed here so that the page only draws it.

- `encoder_choices`: the encoders a dataset offers and the one the page opens on (a SimCLR run).
- `reduced_features` → `cluster_report`: features (reduced by PCA or UMAP), clustered and scored against the
  labels the clustering never saw, with what the page draws from it (cluster sizes, names, the CSV rows).
- `k_sweep`: label-free scores for k = 2 … 20 and the k each criterion picks.
- `cluster_gallery`, `confusion`, `confusion_cell`, `map_coordinates`: looking inside the clusters.
- `compare_row`: one encoder's row of the "which encoder clusters best?" table.
- `deepcluster_rounds`, `deepcluster_live_defaults` (from `clustering_rounds`): DeepCluster's recorded
  rounds as chart data, and where its train-live controls start on the chosen set.

Features arrive as (N, D) arrays (the app keeps them in its shared cache) and go back as plain data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from dul_models.data import ImageDataset
from dul_models.data.gallery import class_name
from dul_models.explore.clustering_rounds import (
    DeepClusterDefaults,
    Rounds,
    deepcluster_live_defaults,
    deepcluster_rounds,
)
from dul_models.features.cluster_analysis import best_k, cluster_members
from dul_models.features.cluster_analysis import k_sweep as sweep_rows
from dul_models.features.clustering import (
    ALGORITHM_TITLES,
    ALGORITHMS,
    REDUCTIONS,
    ClusterResult,
    ProgressFn,
    clustering_report,
    reduce_features,
)
from dul_models.features.encoders import EncoderSpec, list_encoders
from dul_models.metrics.clusters import cluster_confusion
from dul_models.runs.checkpoints import list_runs

__all__ = [
    "default_k",
    "ALGORITHMS",
    "ALGORITHM_TITLES",
    "NOISE",
    "REDUCTIONS",
    "ClusterReport",
    "ClusterResult",
    "Confusion",
    "DeepClusterDefaults",
    "Images",
    "Labels",
    "KSweep",
    "Rounds",
    "Vectors",
    "cluster_gallery",
    "cluster_names",
    "cluster_report",
    "compare_row",
    "confusion",
    "confusion_cell",
    "deepcluster_live_defaults",
    "deepcluster_rounds",
    "encoder_choices",
    "k_sweep",
    "map_coordinates",
    "reduced_features",
    "split_labels",
]

Vectors = np.ndarray  # (N, D) float32 features: the page passes them from its cache to here, untouched
Labels = np.ndarray  # (N,) int64 labels of a split, which the clustering never sees
Images = torch.Tensor  # (N, C, H, W) floats in [0, 1] on the device: the page passes them through
NOISE = "noise"  # HDBSCAN's points in no cluster (id −1)
GALLERY_KINDS = ("nearest", "random", "outliers")


def encoder_choices(dataset_name: str) -> tuple[list[EncoderSpec], int]:
    """The dataset's encoders and the index of the one to open on: a SimCLR run (it clusters best), else
    any trained run, else raw pixels."""
    specs = list_encoders(dataset_name)
    simclr = {str(r.path) for r in list_runs(family="simclr", dataset=dataset_name)}
    runs = [i for i, s in enumerate(specs) if s.kind == "run"]
    return specs, next((i for i in runs if specs[i].run in simclr), runs[0] if runs else 0)


def split_labels(data: ImageDataset, split: str) -> Labels | None:
    """The split's labels, which the clustering never sees and only scores with (None: the set has none)."""
    return getattr(data, split).y.numpy() if data.has_labels else None


def reduced_features(
    features: Vectors, reduction: str, dims: int, *, seed: int, cache_key: tuple | None = None
) -> Vectors:
    """The features as clustered: unchanged ("none"), or PCA / UMAP to `dims` (UMAP through the disk cache
    when `cache_key` says where the features came from)."""
    return reduce_features(features, reduction, dims, random_state=seed, cache_key=cache_key)


def cluster_names(clusters: np.ndarray) -> np.ndarray:
    """Zero-padded ids ("03") that sort in order on a legend; HDBSCAN's −1 is "noise"."""
    clusters = np.asarray(clusters)
    return np.where(clusters < 0, NOISE, np.char.zfill(clusters.astype(str), 2))


@dataclass(frozen=True)
class ClusterReport:
    """One clustering and what the page draws from it."""

    result: ClusterResult
    row: dict[str, Any]  # acc / nmi / ari (with labels), silhouette, k, seconds
    labels: np.ndarray | None  # the hidden labels it was scored against
    sizes: dict[int, int]  # cluster id → images, ids ascending, noise left out
    names: np.ndarray  # (N,) each point's cluster as the map's legend shows it
    feature_dims: int  # dimensions of the features clustered

    @property
    def map_labels(self) -> np.ndarray:
        """Labels for the map: the hidden ones, or −1 ("unlabelled") for every point."""
        return self.labels if self.labels is not None else np.full(len(self.result.labels_), -1)

    def assignment_rows(self) -> list[dict[str, Any]]:
        """Rows {index, label, cluster} of the assignments CSV (label empty when the set has none)."""
        clusters = self.result.labels_.tolist()
        labels = self.labels.tolist() if self.labels is not None else [None] * len(clusters)
        return [
            {"index": i, "label": label, "cluster": cluster}
            for i, (label, cluster) in enumerate(zip(labels, clusters, strict=True))
        ]


def cluster_report(
    features: Vectors,
    labels: np.ndarray | None,
    algorithm: str,
    k: int,
    params: Mapping[str, Any] | Sequence[tuple[str, Any]] = (),
    *,
    seed: int = 0,
) -> ClusterReport:
    """Cluster with `algorithm` (k ignored by HDBSCAN) and score against `labels` (raises DULError why not)."""
    result, row = clustering_report(features, labels, algorithm, k, random_state=seed, **dict(params))
    found, counts = np.unique(result.labels_[result.labels_ >= 0], return_counts=True)
    return ClusterReport(
        result=result,
        row=row,
        labels=None if labels is None else np.asarray(labels),
        sizes={int(c): int(n) for c, n in zip(found, counts, strict=True)},
        names=cluster_names(result.labels_),
        feature_dims=int(np.asarray(features).shape[1]),
    )


@dataclass(frozen=True)
class KSweep:
    """Label-free scores per k (rows {k, inertia, silhouette, bic}) and the k each criterion picks."""

    rows: list[dict[str, float]]
    picks: dict[str, int]  # "silhouette", "bic", "elbow" → k


def k_sweep(features: Vectors, *, seed: int = 0, progress: ProgressFn | None = None) -> KSweep:
    """k-means inertia and silhouette and a mixture's BIC for k = 2 … 20; `progress(done, total, what)`."""
    rows = sweep_rows(features, random_state=seed, progress=progress)
    return KSweep(rows, best_k(rows))


def cluster_gallery(
    features: Vectors, result: ClusterResult, images: Images, cluster: int, n: int = 16
) -> dict[str, Images]:
    """One cluster's images: "nearest" its centre, a "random" sample, and its "outliers" (farthest)."""
    members = cluster_members(features, result, cluster, n=n)
    return {kind: images[torch.as_tensor(members[kind], device=images.device)] for kind in GALLERY_KINDS}


@dataclass(frozen=True)
class Confusion:
    """Cluster × label counts, rows grouped by their most common label (the heat map's order)."""

    counts: np.ndarray  # (clusters, labels)
    rows: list[str]  # "cluster 3" or "noise", in the order of `counts`
    columns: list[str]  # label names
    label_ids: list[int]  # the label value of each column


def confusion(labels: np.ndarray, clusters: np.ndarray, class_names: Sequence[str]) -> Confusion:
    """The counts of every (cluster, label) pair, rows ordered by their majority label, then size."""
    counts, cluster_ids, label_ids = cluster_confusion(labels, clusters)
    order = np.lexsort((-counts.max(1), counts.argmax(1)))  # by majority label, then its count descending
    return Confusion(
        counts=counts[order],
        rows=[f"cluster {c}" if c >= 0 else NOISE for c in cluster_ids[order]],
        columns=[class_name(class_names, v) for v in label_ids],
        label_ids=[int(v) for v in label_ids],
    )


def confusion_cell(
    labels: np.ndarray, clusters: np.ndarray, images: Images, cluster: int, label: int, limit: int = 48
) -> tuple[Images, int]:
    """The first `limit` images labelled `label` in `cluster`, and how many there are in all."""
    cell = np.flatnonzero((np.asarray(clusters) == cluster) & (np.asarray(labels) == label))
    return images[torch.as_tensor(cell[:limit], device=images.device)], int(cell.size)


def map_coordinates(features: Vectors, *, seed: int = 0) -> np.ndarray:
    """(N, 2): a PCA of the very features that were clustered (instant, unlike UMAP)."""
    return reduce_features(features, "pca", 2, random_state=seed)


def compare_row(features: Vectors, labels: np.ndarray | None, k: int, *, seed: int = 0) -> dict[str, Any]:
    """k-means with k clusters on one encoder's features: acc / nmi / ari, silhouette, k, seconds."""
    _, row = clustering_report(features, labels, "kmeans", k, random_state=seed)
    return row


def default_k(data: ImageDataset, split: str) -> int:
    """The k a clustering opens with: the number of classes of a labelled set (10 otherwise), at most one
    less than the points of the split and 30 (the slider's end)."""
    points = len(data.split(split))
    wanted = data.num_classes if data.has_labels and data.num_classes >= 2 else 10
    return max(2, min(wanted, 30, points - 1))
