"""Probes against naive references: explicit loops over cosine similarities, sklearn called directly."""

from __future__ import annotations

import numpy as np
import pytest

from dul_models.core.errors import ConfigError
from dul_models.metrics.probes import (
    knn_accuracy,
    knn_disagreement,
    linear_probe_accuracy,
    nearest_neighbours,
    neighbours_of_row,
    probe_report,
)


def toy(n_per_class: int = 12, dim: int = 5, classes: int = 3, seed: int = 0, spread: float = 1.5):
    """Gaussian blobs, overlapping enough that accuracies land strictly between 0 and 1."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim)) * spread
    y = np.repeat(np.arange(classes), n_per_class)
    x = (centres[y] + rng.normal(size=(y.size, dim))).astype(np.float32)
    return x, y


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    sims = np.zeros((len(a), len(b)))
    for i in range(len(a)):
        for j in range(len(b)):
            sims[i, j] = a[i] @ b[j] / (np.linalg.norm(a[i]) * np.linalg.norm(b[j]))
    return sims


def vote(labels: np.ndarray) -> int:
    values, counts = np.unique(labels, return_counts=True)
    return int(values[np.argmax(counts)])  # first maximum = smallest label on ties


def test_knn_accuracy_matches_a_loop():
    train_x, train_y = toy(seed=1)
    test_x, test_y = toy(n_per_class=7, seed=2)
    sims = cosine_matrix(test_x, train_x)
    for k in (1, 5):
        predictions = [vote(train_y[np.argsort(-sims[i], kind="stable")[:k]]) for i in range(len(test_x))]
        expected = float(np.mean(np.array(predictions) == test_y))
        assert knn_accuracy(train_x, train_y, test_x, test_y, k=k) == pytest.approx(expected)
    assert 0.0 < knn_accuracy(train_x, train_y, test_x, test_y, k=5) < 1.0  # overlapping blobs: a real test


def test_knn_accuracy_rejects_bad_k_and_metric():
    x, y = toy()
    with pytest.raises(ConfigError, match="1..36"):
        knn_accuracy(x, y, x, y, k=37)
    with pytest.raises(ConfigError, match="cosine, euclidean"):
        knn_accuracy(x, y, x, y, metric="manhattan")


def test_linear_probe_matches_sklearn_called_directly():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    train_x, train_y = toy(seed=3)
    test_x, test_y = toy(n_per_class=10, seed=4)
    scores = []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        rows = np.concatenate([rng.choice(np.flatnonzero(train_y == c), 4, replace=False) for c in range(3)])
        scaler = StandardScaler().fit(train_x[rows])
        clf = LogisticRegression(max_iter=1000).fit(scaler.transform(train_x[rows]), train_y[rows])
        scores.append(np.mean(clf.predict(scaler.transform(test_x)) == test_y))
    mean, std = linear_probe_accuracy(train_x, train_y, test_x, test_y, labels_per_class=4, seeds=3)
    assert mean == pytest.approx(np.mean(scores))
    assert std == pytest.approx(np.std(scores))
    assert 0.3 < mean <= 1.0


def test_linear_probe_rejects_a_budget_above_the_smallest_class():
    x, y = toy(n_per_class=5)
    with pytest.raises(ConfigError, match=r"1\.\.5"):
        linear_probe_accuracy(x, y, x, y, labels_per_class=6)


def test_probe_report_keys_values_and_progress():
    train_x, train_y = toy(seed=5)
    test_x, test_y = toy(n_per_class=8, seed=6)
    calls = []
    report = probe_report(
        train_x, train_y, test_x, test_y, budgets=(1, 3), seeds=2, k=3, progress=lambda *a: calls.append(a)
    )
    assert set(report) == {
        "knn_acc",
        "knn_acc_std",
        "linear_probe_acc_1",
        "linear_probe_acc_1_std",
        "linear_probe_acc_3",
        "linear_probe_acc_3_std",
        "dim",
    }
    assert report["dim"] == 5 and report["knn_acc_std"] == 0.0
    assert report["knn_acc"] == knn_accuracy(train_x, train_y, test_x, test_y, k=3)
    assert (report["linear_probe_acc_3"], report["linear_probe_acc_3_std"]) == linear_probe_accuracy(
        train_x, train_y, test_x, test_y, 3, seeds=2
    )
    assert [c[:2] for c in calls] == [(i, 5) for i in range(1, 6)]
    with pytest.raises(ConfigError, match="labels_per_class"):
        probe_report(train_x, train_y, test_x, test_y, budgets=(100,))


def test_knn_disagreement_matches_a_loop():
    x, y = toy(spread=0.8, seed=7)
    sims = cosine_matrix(x, x)
    np.fill_diagonal(sims, -np.inf)
    expected = np.array([vote(y[np.argsort(-sims[i], kind="stable")[:4]]) != y[i] for i in range(len(x))])
    got = knn_disagreement(x, y, k=4)
    assert got.dtype == bool and got.shape == (len(x),)
    np.testing.assert_array_equal(got, expected)
    assert 0 < got.sum() < len(x)  # the overlapping blobs give some errors, not all


def test_nearest_neighbours_matches_a_loop():
    bank, _ = toy(seed=8)
    queries, _ = toy(n_per_class=2, seed=9)
    sims = cosine_matrix(queries, bank)
    idx, sim = nearest_neighbours(bank, queries, k=4)
    assert idx.shape == sim.shape == (6, 4)
    np.testing.assert_array_equal(idx, np.argsort(-sims, axis=1)[:, :4])
    np.testing.assert_allclose(sim, np.sort(sims, axis=1)[:, ::-1][:, :4], atol=1e-5)


def test_nearest_neighbours_exclude_self():
    bank, _ = toy(seed=10)
    sims = cosine_matrix(bank, bank)
    np.fill_diagonal(sims, -np.inf)
    idx, sim = nearest_neighbours(bank, bank, k=3, exclude_self=True)
    np.testing.assert_array_equal(idx, np.argsort(-sims, axis=1)[:, :3])
    assert not (idx == np.arange(len(bank))[:, None]).any()
    np.testing.assert_allclose(sim, np.sort(sims, axis=1)[:, ::-1][:, :3], atol=1e-5)


def test_neighbours_of_a_row_leave_the_row_out():
    bank = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [1.0, 0.05]])
    idx, sims = neighbours_of_row(bank, 0, 2)
    assert idx.tolist() == [3, 1] and sims[0] > sims[1] and 0 not in idx
    with pytest.raises(ConfigError, match="row must be in 0..3"):
        neighbours_of_row(bank, 4, 1)
    bank = np.random.default_rng(0).normal(size=(50, 8)).astype(np.float32)  # agrees with the kNN index
    for row in (0, 17, 49):
        idx, sims = neighbours_of_row(bank, row, 5)
        others = np.delete(np.arange(50), row)
        ref_idx, ref_sims = nearest_neighbours(bank[others], bank[row : row + 1], 5)
        assert idx.tolist() == others[ref_idx[0]].tolist()
        np.testing.assert_allclose(sims, ref_sims[0], atol=1e-5)
