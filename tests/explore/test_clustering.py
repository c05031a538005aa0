"""dul_models.explore.clustering: what the clustering page draws, checked against naive computations on
small blobs and scikit-learn's digits (every test runs in about a second)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from dul_models.explore import clustering as explore
from dul_models.features.cluster_analysis import best_k
from dul_models.features.clustering import clustering_report
from dul_models.runs.checkpoints import list_runs


def blobs(n_per: int = 30, centres: int = 4, dims: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Well separated Gaussian blobs and their labels."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 5, size=(centres, dims))
    x = np.concatenate([m + 0.3 * rng.normal(size=(n_per, dims)) for m in means]).astype(np.float32)
    return x, np.repeat(np.arange(centres), n_per)


def numbered_images(n: int) -> torch.Tensor:
    """(n, 1, 2, 2) images whose pixels all equal their row index: which rows were picked is visible."""
    return torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 1, 2, 2)


def rows_of(images: torch.Tensor) -> list[int]:
    return images[:, 0, 0, 0].long().tolist()


def test_encoder_choices_open_on_a_simclr_run_else_any_run_else_pixels(mnist5k):
    for name in ("mnist5k", "digits"):
        specs, default = explore.encoder_choices(name)
        simclr = {str(r.path) for r in list_runs(family="simclr", dataset=name)}
        runs = [s for s in specs if s.kind == "run"]
        expected = next((s for s in runs if s.run in simclr), runs[0] if runs else specs[0])
        assert specs[default] == expected
        assert [s.kind for s in specs[:3]] == ["pixels", "pca", "random"]
    specs, default = explore.encoder_choices("mnist5k")
    if list_runs(family="simclr", dataset="mnist5k"):
        assert specs[default].run in {str(r.path) for r in list_runs(family="simclr", dataset="mnist5k")}


def test_split_labels_are_the_splits_labels_or_none_without_labels(digits):
    assert np.array_equal(explore.split_labels(digits, "test"), digits.test.y.numpy())
    assert np.array_equal(explore.split_labels(digits, "train"), digits.train.y.numpy())
    assert explore.split_labels(dataclasses.replace(digits, has_labels=False), "test") is None


def test_reduced_features_none_pca_dims():
    x, _ = blobs()
    assert np.array_equal(explore.reduced_features(x, "none", 0, seed=0), x)
    reduced = explore.reduced_features(x, "pca", 3, seed=0)
    assert reduced.shape == (len(x), 3) and reduced.dtype == np.float32
    centred = x - x.mean(0)  # PCA's first axis carries the largest variance of any direction
    top = np.linalg.svd(centred, full_matrices=False)[2][0]
    assert reduced[:, 0].var() == pytest.approx((centred @ top).var(), rel=1e-4)


def test_cluster_report_sizes_names_rows_and_scores_match_a_naive_count():
    x, labels = blobs()
    report = explore.cluster_report(x, labels, "kmeans", 4, (("n_init", 2),), seed=0)
    clusters = report.result.labels_
    assert (
        report.sizes == {c: int((clusters == c).sum()) for c in range(4)}
        and sum(report.sizes.values()) == 120
    )
    assert report.row["acc"] == pytest.approx(1.0) and report.row["k"] == 4  # separated blobs: found exactly
    assert report.feature_dims == 5
    assert report.names.tolist() == [f"{c:02d}" for c in clusters]
    assert np.array_equal(report.map_labels, labels)
    rows = report.assignment_rows()
    assert rows[7] == {"index": 7, "label": int(labels[7]), "cluster": int(clusters[7])} and len(rows) == 120


def test_cluster_report_without_labels_has_no_scores_and_unlabelled_map():
    x, _ = blobs()
    report = explore.cluster_report(x, None, "gmm", 3, seed=0)
    assert "acc" not in report.row and report.result.bic is not None and report.labels is None
    assert report.map_labels.tolist() == [-1] * len(x)
    assert {row["label"] for row in report.assignment_rows()} == {None}


def test_cluster_names_pad_ids_and_call_minus_one_noise():
    assert explore.cluster_names(np.array([3, -1, 12, 0])).tolist() == ["03", "noise", "12", "00"]


def test_hdbscan_report_leaves_noise_out_of_the_sizes():
    x, labels = blobs(centres=3)
    x = np.concatenate([x, np.full((1, 5), 100.0, dtype=np.float32)])  # a lone point far from every blob
    report = explore.cluster_report(x, np.append(labels, 0), "hdbscan", 2, {"min_cluster_size": 10})
    clusters = report.result.labels_
    assert clusters[-1] == -1 and report.names[-1] == "noise"
    assert sum(report.sizes.values()) == int((clusters >= 0).sum()) == len(x) - int((clusters < 0).sum())
    assert -1 not in report.sizes


def test_k_sweep_rows_and_picks_agree_with_best_k():
    x, _ = blobs(n_per=25)
    calls = []
    sweep = explore.k_sweep(x, seed=0, progress=lambda done, total, what: calls.append((done, total)))
    assert [r["k"] for r in sweep.rows] == list(range(2, 21))
    assert sweep.picks == best_k(sweep.rows) and sweep.picks["silhouette"] == 4  # four blobs
    assert calls[-1] == (19, 19) and len(calls) == 19


def test_cluster_gallery_picks_nearest_random_and_farthest_members():
    x, labels = blobs()
    report = explore.cluster_report(x, labels, "kmeans", 4, seed=0)
    images = numbered_images(len(x))
    picked = explore.cluster_gallery(x, report.result, images, 2, n=5)
    members = np.flatnonzero(report.result.labels_ == 2)
    distance = ((x[members] - x[members].mean(0)) ** 2).sum(1)
    by_distance = members[np.argsort(distance)]
    assert list(picked) == ["nearest", "random", "outliers"]
    assert rows_of(picked["nearest"]) == by_distance[:5].tolist()
    assert rows_of(picked["outliers"]) == by_distance[::-1][:5].tolist()
    assert set(rows_of(picked["random"])) <= set(members.tolist()) and len(picked["random"]) == 5


def test_confusion_counts_rows_in_majority_order_and_a_cells_images():
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 1])
    clusters = np.array([5, 5, 7, 7, 7, -1, 3, 3, 3, 5])
    table = explore.confusion(labels, clusters, ["zero", "one", "two"])
    naive = {(c, v): int(((clusters == c) & (labels == v)).sum()) for c in (-1, 3, 5, 7) for v in (0, 1, 2)}
    # majority label of each cluster: 5 → zero (2), 7 → one (2), 3 → two (3), noise → two (1)
    assert table.rows == ["cluster 5", "cluster 7", "cluster 3", "noise"]
    assert table.columns == ["zero", "one", "two"] and table.label_ids == [0, 1, 2]
    ids = {"cluster 5": 5, "cluster 7": 7, "cluster 3": 3, "noise": -1}
    assert table.counts.tolist() == [[naive[(ids[r], v)] for v in (0, 1, 2)] for r in table.rows]
    cell, count = explore.confusion_cell(labels, clusters, numbered_images(10), 5, 0, limit=1)
    assert count == 2 and rows_of(cell) == [0]  # rows 0 and 1 are label 0 in cluster 5; the first only
    empty, none = explore.confusion_cell(labels, clusters, numbered_images(10), 3, 0)
    assert none == 0 and len(empty) == 0


def test_map_coordinates_are_the_two_leading_principal_components():
    x, _ = blobs(dims=6)
    coords = explore.map_coordinates(x, seed=0)
    centred = x - x.mean(0)
    axes = np.linalg.svd(centred, full_matrices=False)[2][:2]
    expected = centred @ axes.T
    assert coords.shape == (len(x), 2)
    for i in range(2):  # a principal axis is defined up to its sign
        assert np.allclose(np.abs(coords[:, i]), np.abs(expected[:, i]), atol=1e-3)


def test_compare_row_is_kmeans_at_k_scored_against_the_labels(digits):
    x = digits.test.x.flatten(1).float().numpy() / 255
    labels = digits.test.y.numpy()
    row = explore.compare_row(x, labels, 10, seed=0)
    _, expected = clustering_report(x, labels, "kmeans", 10, random_state=0)
    assert {k: row[k] for k in ("acc", "nmi", "ari", "k")} == {
        k: expected[k] for k in ("acc", "nmi", "ari", "k")
    }
    assert 0.5 < row["acc"] <= 1.0  # k-means on digits' pixels is far better than chance (0.1)


def test_deepcluster_rounds_as_rows_sizes_and_guard_sentences():
    events = [
        {"round": 0, "sizes": [5, 3, 2], "largest_share": 0.5, "scores": {"nmi": 0.2, "acc": 0.4}},
        {"round": 1, "sizes": [6, 0, 4], "largest_share": 0.6, "reseeded": [[1, 0]], "empty": [1]},
        {
            "round": 2,
            "sizes": [9, 1, 0],
            "largest_share": 0.9,
            "warning": "cluster 0 holds 90% of the images",
        },
    ]
    rounds = explore.deepcluster_rounds(events)
    assert rounds.round_ids == [0, 1, 2] and rounds.sizes == [[5, 3, 2], [6, 0, 4], [9, 1, 0]]
    assert rounds.score_rows[:2] == [
        {"round": 0, "measure": "NMI", "value": 0.2},
        {"round": 0, "measure": "ACC", "value": 0.4},
    ]
    shares = [r["value"] for r in rounds.score_rows if r["measure"] == "largest cluster share"]
    assert shares == [0.5, 0.6, 0.9]
    assert rounds.reseeded == ["round 1: cluster 1 was empty, re-seeded from cluster 0"]
    assert rounds.empty == ["round 1: cluster(s) 1 left empty (re-seeding is off)"]
    assert rounds.dominant == ["round 2: cluster 0 holds 90% of the images"] and rounds.guards_fired == 3
    quiet = explore.deepcluster_rounds(events[:1])
    assert quiet.guards_fired == 0 and quiet.reseeded == quiet.empty == quiet.dominant == []
