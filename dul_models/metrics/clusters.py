"""Scores of a clustering against labels it never saw: ACC (Hungarian matching), NMI and ARI."""

from __future__ import annotations

import numpy as np


def cluster_confusion(labels: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts (K, C) of each cluster × label, with the cluster ids (K,) and label values (C,) they stand for.

    Any integer ids work (HDBSCAN's noise is −1, a cluster of its own here)."""
    labels, clusters = np.asarray(labels).ravel(), np.asarray(clusters).ravel()
    if labels.shape != clusters.shape or labels.size == 0:
        raise ValueError(f"need as many cluster ids as labels (> 0), got {clusters.shape} and {labels.shape}")
    cluster_ids, rows = np.unique(clusters, return_inverse=True)
    label_ids, cols = np.unique(labels, return_inverse=True)
    counts = np.zeros((cluster_ids.size, label_ids.size), dtype=np.int64)
    np.add.at(counts, (rows, cols), 1)
    return counts, cluster_ids, label_ids


def cluster_accuracy(labels: np.ndarray, clusters: np.ndarray) -> float:
    """ACC: the share of images whose cluster, matched one-to-one to a label, is their label.

    The matching that maximises the hits is the Hungarian assignment (`linear_sum_assignment` on the
    negated cluster × label counts); with more clusters than labels the unmatched clusters count as wrong.
    """
    from scipy.optimize import linear_sum_assignment

    counts, _, _ = cluster_confusion(labels, clusters)
    rows, cols = linear_sum_assignment(-counts)
    return float(counts[rows, cols].sum() / counts.sum())


def cluster_scores(labels: np.ndarray, clusters: np.ndarray) -> dict[str, float]:
    """ACC, NMI and ARI of a clustering against labels it never saw (1 = the labels exactly; ARI ≈ 0 = chance)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels, clusters = np.asarray(labels).ravel(), np.asarray(clusters).ravel()
    return {
        "acc": cluster_accuracy(labels, clusters),
        "nmi": float(normalized_mutual_info_score(labels, clusters)),
        "ari": float(adjusted_rand_score(labels, clusters)),
    }
