"""Clustering of features, scikit-learn's estimators behind one call, with the checks a page needs.

The clustering assumption: dense regions of a good feature space are groups with one meaning. Whether an
encoder gives such a space is measured by clustering its features and comparing the clusters with the
labels the clustering never saw (ACC / NMI / ARI, `dul_models.metrics`), and, without labels, by
silhouette, inertia and BIC — which also answer "how many clusters?".

N2D (McConville et al. 2020) found that reducing features with UMAP before a mixture model helps a lot;
`reduce_features` offers it (and PCA), cached on disk because UMAP compiles and runs for seconds.
Deep clustering (cluster → pseudo-labels → train → re-cluster) is the family `deepcluster`; choosing k
and looking inside clusters is `dul_models.features.cluster_analysis`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dul_models.core.errors import ConfigError
from dul_models.metrics.clusters import cluster_scores

ALGORITHMS = ("kmeans", "gmm", "agglomerative", "spectral", "hdbscan")
ALGORITHM_TITLES = {
    "kmeans": "k-means",
    "gmm": "Gaussian mixture",
    "agglomerative": "agglomerative (Ward)",
    "spectral": "spectral",
    "hdbscan": "HDBSCAN (finds k itself)",
}
REDUCTIONS = ("none", "pca", "umap")
SILHOUETTE_SAMPLE = 2000  # silhouette is O(N²): a seeded sample of this many points keeps it under a second
# The quadratic ones. Measured here on 5,000 × 576 SimCLR features: spectral (10-NN graph) 1.4 s, Ward 6.1 s.
# Ward keeps an N × N distance matrix; spectral's eigensolver slows sharply past ~10,000 points.
QUADRATIC_LIMIT = {"spectral": 10_000, "agglomerative": 20_000}
SECONDS_PER_N2 = {"spectral": 5.5e-8, "agglomerative": 2.4e-7}
# HDBSCAN's density estimate in 576 dims took 34 s on 5,000 points and called 73 % of them noise; on a
# 10-D UMAP of the same features, 0.24 s and ACC 0.977. Above this many dimensions, reduce first.
HDBSCAN_MAX_DIMS = 50
ProgressFn = Callable[[int, int, str], None]


# ----------------------------------------------------------------------------------------- checks


def as_features(features: np.ndarray) -> np.ndarray:
    features = np.ascontiguousarray(features, dtype=np.float32)
    if features.ndim != 2 or features.shape[0] < 3:
        raise ConfigError(f"need at least 3 feature vectors shaped (N, D), got {features.shape}")
    if not np.isfinite(features).all():
        raise ConfigError("the features contain NaN or infinite values; the encoder's run may be broken")
    return features


def check_k(k: int, n: int) -> None:
    """k must split the points into at least 2 groups and at most one group per point."""
    if not isinstance(k, (int, np.integer)) or not 2 <= k <= n:
        raise ConfigError(f"k must be an integer in 2..{n} (the number of points), got {k!r}")


def check_size(algorithm: str, n: int) -> None:
    """Refuse a quadratic algorithm on too many points, saying the expected time and memory."""
    limit = QUADRATIC_LIMIT.get(algorithm)
    if limit is not None and n > limit:
        memory_gb = 8 * n * n / 1e9
        minutes = SECONDS_PER_N2[algorithm] * n * n / 60
        raise ConfigError(
            f"{ALGORITHM_TITLES[algorithm]} clustering of {n:,} points needs about {memory_gb:.0f} GB for its "
            f"{n:,} × {n:,} matrix and {minutes:.0f}+ min on a 2-core CPU (limit {limit:,} points); use k-means "
            "or a Gaussian mixture, or a subset of the points"
        )


# ----------------------------------------------------------------------------------------- reduction


def reduce_features(
    features: np.ndarray,
    method: str = "none",
    dims: int = 10,
    *,
    n_neighbors: int = 15,
    random_state: int = 0,
    cache_key: tuple | None = None,
    cache_dir: Path | str | None = None,
) -> np.ndarray:
    """Features (N, D) → (N, dims) by PCA or UMAP before clustering ("none" returns them unchanged).

    UMAP here uses min_dist 0 (points of a cluster may pile up: what a clusterer wants, as the UMAP docs
    advise for clustering) and cosine distance (trained features are compared by angle). With a
    `cache_key` (where the features came from) the UMAP result goes through the disk cache.
    """
    features = as_features(features)
    if method not in REDUCTIONS:
        raise ConfigError(f"unknown reduction {method!r}; choose from: {', '.join(REDUCTIONS)}")
    if method == "none":
        return features
    n, d = features.shape
    if not isinstance(dims, (int, np.integer)) or not 2 <= dims <= min(d, n - 2, 100):
        raise ConfigError(f"dims must be an integer in 2..{min(d, n - 2, 100)}, got {dims!r}")
    if method == "pca":
        from sklearn.decomposition import PCA

        return (
            PCA(n_components=int(dims), random_state=random_state).fit_transform(features).astype(np.float32)
        )
    if not isinstance(n_neighbors, (int, np.integer)) or not 2 <= n_neighbors < n:
        raise ConfigError(f"n_neighbors must be an integer in 2..{n - 1}, got {n_neighbors!r}")

    def compute() -> np.ndarray:
        import umap

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*n_jobs.*overridden.*")  # seeded → one thread
            reducer = umap.UMAP(
                n_components=int(dims),
                n_neighbors=int(n_neighbors),
                min_dist=0.0,
                metric="cosine",
                random_state=random_state,
            )
            return reducer.fit_transform(features)

    if cache_key is None:
        return np.asarray(compute(), dtype=np.float32)
    from dul_models.core.disk_cache import cached_array

    parts = ("umap-reduce", cache_key, int(dims), int(n_neighbors), random_state)
    reduced, _ = cached_array(parts, features, (n, int(dims)), compute, cache_dir)
    return reduced


# ----------------------------------------------------------------------------------------- clustering


@dataclass
class ClusterResult:
    """What one clustering found: ids per point (−1 = HDBSCAN's noise), centres, label-free scores, time."""

    labels_: np.ndarray  # (N,)
    centers_: np.ndarray  # (K, D): the members' means (k-means' and the mixture's own centres)
    algorithm: str
    k: int  # clusters found (HDBSCAN decides this itself)
    seconds: float
    silhouette: float | None = None  # in −1..1, higher = tighter, better separated clusters
    inertia: float | None = None  # k-means' sum of squared distances to the centres
    bic: float | None = None  # the mixture's Bayesian information criterion (lower is better)
    noise_share: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _estimator(algorithm: str, k: int, random_state: int, params: dict[str, Any]):
    from sklearn import cluster, mixture

    if algorithm == "kmeans":
        return cluster.KMeans(n_clusters=k, n_init=params.get("n_init", 4), random_state=random_state)
    if algorithm == "gmm":
        covariance = params.get(
            "covariance_type", "diag"
        )  # full covariances in 500+ dims overfit 5,000 points
        return mixture.GaussianMixture(
            n_components=k,
            covariance_type=covariance,
            n_init=params.get("n_init", 2),
            random_state=random_state,
        )
    if algorithm == "agglomerative":
        return cluster.AgglomerativeClustering(n_clusters=k, linkage=params.get("linkage", "ward"))
    if algorithm == "spectral":
        return cluster.SpectralClustering(
            n_clusters=k,
            affinity="nearest_neighbors",  # a sparse kNN graph: the dense RBF one is N × N
            n_neighbors=params.get("n_neighbors", 10),
            assign_labels="cluster_qr",  # deterministic, and as good as k-means on the eigenvectors
            random_state=random_state,
        )
    return cluster.HDBSCAN(
        min_cluster_size=params.get("min_cluster_size", 25),
        min_samples=params.get("min_samples"),
        copy=True,  # never write into the caller's (cached) features
    )


PARAMS = {
    "kmeans": ("n_init",),
    "gmm": ("covariance_type", "n_init"),
    "agglomerative": ("linkage",),
    "spectral": ("n_neighbors",),
    "hdbscan": ("min_cluster_size", "min_samples"),
}


def silhouette(features: np.ndarray, labels: np.ndarray, random_state: int = 0) -> float | None:
    """Mean silhouette over a seeded sample (None when it is undefined: one cluster, or one per point)."""
    from sklearn.metrics import silhouette_score

    kept = labels >= 0  # HDBSCAN's noise is not a cluster
    found = np.unique(labels[kept]).size
    if not 2 <= found < kept.sum():
        return None
    sample = min(SILHOUETTE_SAMPLE, int(kept.sum()))
    return float(
        silhouette_score(features[kept], labels[kept], sample_size=sample, random_state=random_state)
    )


def cluster_features(
    features: np.ndarray, algorithm: str = "kmeans", k: int = 10, *, random_state: int = 0, **params: Any
) -> ClusterResult:
    """Cluster (N, D) features with one of ALGORITHMS; every parameter is checked before any work."""
    features = as_features(features)
    if algorithm not in ALGORITHMS:
        raise ConfigError(f"unknown algorithm {algorithm!r}; choose from: {', '.join(ALGORITHMS)}")
    unknown = sorted(set(params) - set(PARAMS[algorithm]))
    if unknown:
        raise ConfigError(
            f"unknown parameter {unknown[0]!r} for {algorithm}; allowed: {', '.join(PARAMS[algorithm]) or 'none'}"
        )
    n, d = features.shape
    if algorithm != "hdbscan":
        check_k(k, n)
    elif d > HDBSCAN_MAX_DIMS:
        raise ConfigError(
            f"HDBSCAN on {d}-dimensional features is slow and calls most points noise (34 s and 73 % noise "
            f"measured on 5,000 × 576); reduce them to at most {HDBSCAN_MAX_DIMS} dimensions first (UMAP to 10)"
        )
    check_size(algorithm, n)
    from threadpoolctl import threadpool_limits

    from dul_models.core.devices import default_thread_count

    estimator = _estimator(algorithm, int(k), random_state, params)
    start = time.perf_counter()
    with warnings.catch_warnings(), threadpool_limits(default_thread_count()):
        warnings.filterwarnings("ignore", category=UserWarning)  # e.g. "graph is not fully connected"
        labels = np.asarray(estimator.fit_predict(features), dtype=np.int64)
    seconds = time.perf_counter() - start
    found = np.unique(labels[labels >= 0])
    if found.size == 0:
        raise ConfigError(
            f"HDBSCAN labelled all {n:,} points as noise: no group of {params.get('min_cluster_size', 25)} "
            "points is dense enough. Lower min_cluster_size, reduce the features first (UMAP helps most), "
            "or use k-means"
        )
    centers = np.stack([features[labels == c].mean(0) for c in found]).astype(np.float32)
    result = ClusterResult(
        labels_=labels,
        centers_=centers,
        algorithm=algorithm,
        k=int(found.size),
        seconds=seconds,
        silhouette=silhouette(features, labels, random_state),
        noise_share=float((labels < 0).mean()),
    )
    if algorithm == "kmeans":
        result.inertia = float(estimator.inertia_)
    if algorithm == "gmm":
        result.bic = float(estimator.bic(features))
    return result


def clustering_report(
    features: np.ndarray, labels: np.ndarray | None, algorithm: str = "kmeans", k: int = 10, **params: Any
) -> tuple[ClusterResult, dict[str, Any]]:
    """Cluster, then the row of a results table: acc / nmi / ari (when labels exist), silhouette, k, seconds."""
    result = cluster_features(features, algorithm, k, **params)
    row: dict[str, Any] = {"k": result.k, "silhouette": result.silhouette, "seconds": result.seconds}
    if labels is not None and np.asarray(labels).size:
        labels = np.asarray(labels)
        if labels.shape != result.labels_.shape:
            raise ConfigError(
                f"need one label per point: {labels.shape} labels for {result.labels_.size} points"
            )
        row = {**cluster_scores(labels, result.labels_), **row}
    if result.noise_share:
        row["noise_share"] = result.noise_share
    return result, row
