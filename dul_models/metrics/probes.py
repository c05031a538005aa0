"""How much label information a representation holds: kNN and linear-probe accuracy, neighbours, kNN errors.

The two standard probes of representation learning (e.g. SimCLR, Chen et al. 2020; DINO, Caron et al. 2021):
a k-nearest-neighbour classifier with the training split as the bank (no training at all), and a logistic
regression fitted on only a few labels per class (how far a handful of labels go on these features). All
work on plain (N, D) arrays, so every encoder (pixels, PCA, a trained run) is measured the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from dul_models.core.errors import ConfigError

METRICS = ("cosine", "euclidean")
ProgressFn = Callable[[int, int, str], None]


def _check_xy(x: np.ndarray, y: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, dtype=np.float32), np.asarray(y)
    if x.ndim != 2 or y.ndim != 1 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ConfigError(
            f"{what}: need features shaped (N, D) and labels shaped (N,) with N > 0, got {x.shape} and {y.shape}"
        )
    return x, y


def _check_k(k: int, n_bank: int, what: str = "k") -> None:
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= n_bank:
        raise ConfigError(f"{what} must be an integer in 1..{n_bank} (the bank size), got {k!r}")


def knn_accuracy(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    k: int = 20,
    metric: str = "cosine",
) -> float:
    """Test accuracy of a k-NN vote over the training split: label information with no training at all."""
    from sklearn.neighbors import KNeighborsClassifier

    train_x, train_y = _check_xy(train_x, train_y, "train")
    test_x, test_y = _check_xy(test_x, test_y, "test")
    if metric not in METRICS:
        raise ConfigError(f"unknown metric {metric!r}; choose from: {', '.join(METRICS)}")
    _check_k(k, train_x.shape[0])
    knn = KNeighborsClassifier(n_neighbors=int(k), metric=metric, algorithm="brute").fit(train_x, train_y)
    return float((knn.predict(test_x) == test_y).mean())


def _labelled_subset(y: np.ndarray, labels_per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices: `labels_per_class` rows drawn without replacement from every class."""
    return np.concatenate(
        [rng.choice(np.flatnonzero(y == c), labels_per_class, replace=False) for c in np.unique(y)]
    )


def _check_budget(train_y: np.ndarray, labels_per_class: int) -> None:
    smallest = int(np.unique(train_y, return_counts=True)[1].min())
    if not isinstance(labels_per_class, (int, np.integer)) or not 1 <= labels_per_class <= smallest:
        raise ConfigError(
            f"labels_per_class must be an integer in 1..{smallest} (the smallest class of the training split), "
            f"got {labels_per_class!r}"
        )


def _probe_once(train_x, train_y, test_x, test_y, labels_per_class: int, seed: int) -> float:
    """One seed: draw the labelled subset, standardise on it alone, fit, score on the whole test split."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    rows = _labelled_subset(train_y, labels_per_class, np.random.default_rng(seed))
    # one BLAS thread: these fits are small, and two OpenBLAS threads beside torch's OpenMP pool made the
    # pixel probe 12× slower on a 2-core machine (26 s vs 2.1 s measured)
    with threadpool_limits(1, user_api="blas"):
        scaler = StandardScaler().fit(train_x[rows])  # only the labelled rows: the probe sees nothing else
        classifier = LogisticRegression(solver="lbfgs", max_iter=1000)
        classifier.fit(scaler.transform(train_x[rows]), train_y[rows])
        return float((classifier.predict(scaler.transform(test_x)) == test_y).mean())


def linear_probe_accuracy(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    labels_per_class: int,
    seeds: int = 5,
) -> tuple[float, float]:
    """Mean and std (over `seeds` draws of the labelled rows) of a logistic-regression probe's test accuracy.

    With 1 or 10 labels per class the draw matters more than the probe, hence several seeds.
    """
    train_x, train_y = _check_xy(train_x, train_y, "train")
    test_x, test_y = _check_xy(test_x, test_y, "test")
    _check_budget(train_y, labels_per_class)
    if not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise ConfigError(f"seeds must be an integer >= 1, got {seeds!r}")
    scores = [_probe_once(train_x, train_y, test_x, test_y, labels_per_class, seed) for seed in range(seeds)]
    return float(np.mean(scores)), float(np.std(scores))


def probe_report(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    budgets: Sequence[int] = (1, 10, 100),
    seeds: int = 5,
    k: int = 20,
    progress: ProgressFn | None = None,
) -> dict[str, float | int]:
    """The row of a results table: kNN accuracy and a linear probe per label budget, plus the feature size.

    `progress(done, total, what)` is called after every fit with plain data, so the app can draw a bar.
    """
    train_x, train_y = _check_xy(train_x, train_y, "train")
    test_x, test_y = _check_xy(test_x, test_y, "test")
    if train_x.shape[1] != test_x.shape[1]:
        raise ConfigError(f"train and test features differ in size: {train_x.shape[1]} vs {test_x.shape[1]}")
    if not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise ConfigError(f"seeds must be an integer >= 1, got {seeds!r}")
    for budget in budgets:
        _check_budget(train_y, budget)  # fail before minutes of fitting, not after
    total, done = 1 + len(budgets) * seeds, 0
    report: dict[str, float | int] = {"knn_acc": knn_accuracy(train_x, train_y, test_x, test_y, k=k)}
    report["knn_acc_std"] = 0.0  # deterministic: no draw to vary
    done += 1
    if progress is not None:
        progress(done, total, f"kNN (k={k})")
    for budget in budgets:
        scores = []
        for seed in range(seeds):
            scores.append(_probe_once(train_x, train_y, test_x, test_y, budget, seed))
            done += 1
            if progress is not None:
                progress(done, total, f"linear probe, {budget} labels per class, seed {seed}")
        report[f"linear_probe_acc_{budget}"] = float(np.mean(scores))
        report[f"linear_probe_acc_{budget}_std"] = float(np.std(scores))
    report["dim"] = int(train_x.shape[1])
    return report


KNN_CHUNK = 1024  # query rows per similarity block: 1,024 × 73,728 float32 is 300 MB


def knn_disagreement(features: np.ndarray, labels: np.ndarray, k: int = 10) -> np.ndarray:
    """True where the k nearest *other* points (cosine) vote for another label: where the encoder mixes classes.

    Ties go to the smallest label, as in scikit-learn's uniform-weight vote. Exact, in blocks of KNN_CHUNK
    rows (one matrix product and a top-k each, in torch), reporting progress (`dul_models.core.progress`): at
    73,728 points scikit-learn's brute-force cosine index took minutes without a word (its partial sort of
    every row of the 73,728² distances, not the products, was the cost).
    """
    import torch

    from dul_models.core.progress import report

    features, labels = _check_xy(features, labels, "features")
    n = features.shape[0]
    _check_k(k, n - 1, "k (other points)")
    classes, coded = np.unique(labels, return_inverse=True)
    unit = torch.nn.functional.normalize(torch.from_numpy(features), dim=1)  # (N, D); zero rows stay zero
    neighbours = np.empty((n, int(k)), dtype=np.int64)
    what = f"the {k} nearest neighbours of {n:,} points"
    with torch.no_grad():
        for start in range(0, n, KNN_CHUNK):
            report(what, start, n)
            stop = min(start + KNN_CHUNK, n)
            sims = unit[start:stop] @ unit.T  # (chunk, N) cosine similarities
            sims[torch.arange(stop - start), torch.arange(start, stop)] = -torch.inf  # self left out
            neighbours[start:stop] = sims.topk(int(k), dim=1).indices.numpy()  # (chunk, k)
    report(what, n, n)
    votes = np.zeros((n, classes.size), dtype=np.int64)
    np.add.at(votes, (np.arange(n)[:, None], coded[neighbours]), 1)  # (N, classes)
    return votes.argmax(axis=1) != coded


def nearest_neighbours(
    bank: np.ndarray, queries: np.ndarray, k: int, exclude_self: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (Q, k) into `bank` of each query's k most cosine-similar rows, and those similarities (Q, k).

    `exclude_self=True` is for queries that are the bank's own rows (query i is bank row i): row i is skipped.
    """
    from sklearn.neighbors import NearestNeighbors

    bank, queries = np.asarray(bank, dtype=np.float32), np.asarray(queries, dtype=np.float32)
    if bank.ndim != 2 or queries.ndim != 2 or bank.shape[1] != queries.shape[1]:
        raise ConfigError(
            f"need bank (N, D) and queries (Q, D) of one D, got {bank.shape} and {queries.shape}"
        )
    if exclude_self and queries.shape[0] > bank.shape[0]:
        raise ConfigError("exclude_self needs the queries to be the bank's first rows (Q <= N)")
    _check_k(k, bank.shape[0] - int(exclude_self))
    index = NearestNeighbors(metric="cosine", algorithm="brute").fit(bank)
    distance, idx = index.kneighbors(queries, n_neighbors=int(k) + int(exclude_self))  # (Q, k[+1])
    if exclude_self:
        keep = idx != np.arange(queries.shape[0])[:, None]
        keep[keep.all(axis=1), -1] = False  # self not among the k+1 (ties): drop the farthest instead
        idx, distance = idx[keep].reshape(-1, k), distance[keep].reshape(-1, k)
    return idx, (1.0 - distance).astype(np.float32)


def neighbours_of_row(bank: np.ndarray, row: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k rows of `bank` most cosine-similar to its own row `row`, itself left out: (k,) indices, (k,) sims.

    One matrix-vector product, no copy of the bank: at 73,728 × 784 pixels this is ~0.1 s, where fitting a
    scikit-learn index on the bank without the row (a copy, then a normalised copy) took 1-8 s per query.
    """
    bank = np.asarray(bank, dtype=np.float32)
    if not 0 <= row < len(bank):
        raise ConfigError(f"row must be in 0..{len(bank) - 1}, got {row}")
    _check_k(k, len(bank) - 1)
    norms = np.sqrt(np.einsum("nd,nd->n", bank, bank))  # (N,)
    norms[norms == 0] = 1.0  # a zero vector is similar to nothing (scikit-learn's convention)
    sims = (bank @ bank[row]) / (norms * norms[row])  # (N,) cosine similarity to the row
    sims[row] = -np.inf  # itself left out
    top = np.argpartition(-sims, k - 1)[:k] if k < len(bank) - 1 else np.arange(len(bank))
    top = top[np.argsort(-sims[top], kind="stable")][:k]  # most similar first
    return top, sims[top].astype(np.float32)
