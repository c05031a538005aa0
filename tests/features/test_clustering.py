"""Clustering: the metrics against hand-made cases and brute force, each estimator through one call, the
checks on bad input, the k-sweep's picks, and a cluster's members."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dul_models.core.errors import ConfigError
from dul_models.features.cluster_analysis import best_k, cluster_members, k_sweep
from dul_models.features.clustering import ALGORITHMS, cluster_features, clustering_report, reduce_features
from dul_models.metrics.clusters import cluster_accuracy, cluster_confusion, cluster_scores


def blobs(n_per: int = 40, centres: int = 4, dims: int = 5, spread: float = 0.3, seed: int = 0):
    """Well separated Gaussian blobs and their labels: every algorithm should recover them."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 5, size=(centres, dims))
    x = np.concatenate([m + spread * rng.normal(size=(n_per, dims)) for m in means]).astype(np.float32)
    return x, np.repeat(np.arange(centres), n_per)


def brute_force_acc(labels: np.ndarray, clusters: np.ndarray) -> float:
    """Best one-to-one mapping by trying every permutation (small k only)."""
    ids, names = np.unique(clusters), np.unique(labels)
    best = 0
    for perm in itertools.permutations(names, len(ids)):
        mapping = dict(zip(ids, perm, strict=True))
        best = max(best, sum(mapping[c] == t for c, t in zip(clusters, labels, strict=True)))
    return best / labels.size


# --- metrics -------------------------------------------------------------------------------------------


def test_acc_is_one_for_a_renamed_clustering_and_counts_the_best_matching():
    labels = np.array([0, 0, 1, 1, 2, 2])
    assert cluster_accuracy(labels, np.array([5, 5, 3, 3, 9, 9])) == 1.0
    # clusters {0,0,1} {1,2,2}: the best matching gets 4 of 6 right
    assert cluster_accuracy(labels, np.array([7, 7, 7, 8, 8, 8])) == pytest.approx(4 / 6)


@pytest.mark.parametrize("seed", range(5))
def test_acc_matches_brute_force_over_permutations(seed):
    rng = np.random.default_rng(seed)
    labels, clusters = rng.integers(0, 4, 30), rng.integers(0, 4, 30)
    assert cluster_accuracy(labels, clusters) == pytest.approx(brute_force_acc(labels, clusters))


def test_more_clusters_than_labels_leave_the_unmatched_wrong():
    labels = np.array([0, 0, 0, 1, 1, 1])
    assert cluster_accuracy(labels, np.array([0, 0, 1, 2, 2, 3])) == pytest.approx(4 / 6)


def test_confusion_counts_and_noise_is_its_own_cluster():
    counts, clusters, labels = cluster_confusion(np.array([0, 1, 1, 0]), np.array([-1, 2, 2, 2]))
    assert clusters.tolist() == [-1, 2] and labels.tolist() == [0, 1]
    assert counts.tolist() == [[1, 0], [1, 2]]
    with pytest.raises(ValueError, match="as many cluster ids"):
        cluster_confusion(np.array([0, 1]), np.array([0]))


def test_scores_are_perfect_for_the_labels_and_near_zero_ari_for_chance():
    labels = np.repeat(np.arange(5), 200)
    assert cluster_scores(labels, labels) == pytest.approx({"acc": 1.0, "nmi": 1.0, "ari": 1.0})
    chance = cluster_scores(labels, np.random.default_rng(0).permutation(labels))
    assert abs(chance["ari"]) < 0.02 and chance["nmi"] < 0.02


# --- estimators ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_algorithm_recovers_separated_blobs(algorithm):
    x, y = blobs()
    params = {"min_cluster_size": 10} if algorithm == "hdbscan" else {}
    result, row = clustering_report(x, y, algorithm, 4, **params)
    assert row["acc"] == 1.0 and row["ari"] == pytest.approx(1.0) and result.k == 4
    assert result.labels_.shape == (160,) and result.centers_.shape == (4, 5)
    assert row["silhouette"] > 0.8 and row["seconds"] >= 0
    assert (result.inertia is not None) == (algorithm == "kmeans")
    assert (result.bic is not None) == (algorithm == "gmm")


def test_k_out_of_range_and_unknown_names_are_clear_errors():
    x, _ = blobs()
    for k in (1, 161, 2.5):
        with pytest.raises(ConfigError, match=r"k must be an integer in 2\.\.160"):
            cluster_features(x, "kmeans", k)
    with pytest.raises(ConfigError, match="unknown algorithm 'dbscan'"):
        cluster_features(x, "dbscan", 4)
    with pytest.raises(ConfigError, match="unknown parameter 'perplexity' for kmeans"):
        cluster_features(x, "kmeans", 4, perplexity=3)
    with pytest.raises(ConfigError, match="NaN"):
        cluster_features(np.full((5, 2), np.nan), "kmeans", 2)


def test_quadratic_algorithms_refuse_too_many_points_with_time_and_memory():
    x = np.zeros((10_001, 2), dtype=np.float32)
    with pytest.raises(ConfigError, match=r"spectral clustering of 10,001 points needs about 1 GB.*min"):
        cluster_features(x, "spectral", 10)


def test_hdbscan_all_noise_and_too_many_dims_are_clear_errors():
    uniform = np.random.default_rng(0).uniform(size=(60, 2)).astype(np.float32)
    with pytest.raises(ConfigError, match="labelled all 60 points as noise"):
        cluster_features(uniform, "hdbscan", min_cluster_size=50)
    with pytest.raises(ConfigError, match="reduce them to at most 50"):
        cluster_features(np.zeros((10, 51), dtype=np.float32), "hdbscan")


def test_report_without_labels_has_only_label_free_scores():
    x, _ = blobs()
    _, row = clustering_report(x, None, "kmeans", 4)
    assert set(row) == {"k", "silhouette", "seconds"}


# --- reduction -----------------------------------------------------------------------------------------


def test_reduce_keeps_rows_and_checks_its_arguments(tmp_path):
    x, y = blobs(dims=20)
    assert reduce_features(x, "none") is not None and reduce_features(x, "none").shape == (160, 20)
    assert reduce_features(x, "pca", 3).shape == (160, 3)
    with pytest.raises(ConfigError, match="dims must be an integer in 2..20"):
        reduce_features(x, "pca", 21)
    with pytest.raises(ConfigError, match="unknown reduction 'tsne'"):
        reduce_features(x, "tsne", 2)


def test_umap_reduction_is_cached_on_disk_and_clusters_well(tmp_path):
    x, y = blobs(dims=20)
    first = reduce_features(x, "umap", 5, cache_key=("blobs",), cache_dir=tmp_path)
    assert first.shape == (160, 5) and len(list(tmp_path.glob("*.npz"))) == 1
    again = reduce_features(x, "umap", 5, cache_key=("blobs",), cache_dir=tmp_path)
    np.testing.assert_array_equal(first, again)
    assert clustering_report(first, y, "kmeans", 4)[1]["acc"] == 1.0


# --- how many clusters? ----------------------------------------------------------------------------------


def test_sweep_reports_each_k_and_the_criteria_pick_the_true_k():
    x, _ = blobs(centres=4)
    seen = []
    rows = k_sweep(x, range(2, 8), progress=lambda done, total, what: seen.append((done, total)))
    assert [r["k"] for r in rows] == list(range(2, 8)) and seen[-1] == (6, 6)
    assert all(r["inertia"] > 0 and r["bic"] is not None for r in rows)
    assert best_k(rows) == {"silhouette": 4, "bic": 4, "elbow": 4}


def test_sweep_checks_every_k_before_any_work():
    x, _ = blobs()
    with pytest.raises(ConfigError, match="k must be"):
        k_sweep(x, [2, 3, 500])


def test_best_k_elbow_is_the_corner_of_a_made_up_curve():
    rows = [
        {"k": k, "inertia": v, "silhouette": None}
        for k, v in zip(range(2, 9), [100, 40, 12, 10, 9, 8, 7], strict=True)
    ]
    assert best_k(rows) == {"elbow": 4}


# --- looking inside --------------------------------------------------------------------------------------


def test_members_nearest_random_and_outliers_come_from_the_cluster():
    x, y = blobs()
    x[5] += 2.0  # one member of cluster 0 pushed out: it must be the first outlier
    result = cluster_features(x, "kmeans", 4)
    cluster = int(result.labels_[5])
    members = cluster_members(x, result, cluster, n=5)
    inside = set(np.flatnonzero(result.labels_ == cluster))
    assert all(set(rows) <= inside and len(rows) == 5 for rows in members.values())
    assert members["outliers"][0] == 5 and 5 not in members["nearest"]
    with pytest.raises(ConfigError, match="no cluster 9"):
        cluster_members(x, result, 9)
