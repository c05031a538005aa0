"""2-D / 3-D projections (PCA, t-SNE, UMAP) of encoder features for the embedding maps, with a disk cache.

PCA is instant and linear; t-SNE (van der Maaten & Hinton 2008) keeps neighbourhoods but cannot place new
points; UMAP (McInnes et al. 2018) keeps neighbourhoods, can place new points, but compiles with numba in
every new process. Slow projections go through a disk cache keyed by everything that changes the result.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dul_models.core.disk_cache import cached_array
from dul_models.core.errors import ConfigError

PROJECTIONS = ("pca", "tsne", "umap")
DIMS = (2, 3)
PARAMS = ("n_neighbors", "min_dist", "perplexity", "random_state")
TSNE_CPU_LIMIT = 20_000  # above this a CPU t-SNE takes many minutes: refuse and point at UMAP
# Wall times measured on a shared 2-core CPU (benchmarks/bench_embeddings.py). scikit-learn's Barnes-Hut
# t-SNE of the denoising AE's 32-D codes, one OpenMP thread: 17.8 s for 2,000 and 86.7 s for 5,000 points
# under load, 19.7 s for 5,000 on a quieter machine; i.e. 0.5-2 ms per n ln n. The middle is used.
TSNE_SECONDS_PER_N_LOG_N = 0.001
# umap-learn's own choice above 10,000 points, used for all: on 5,000 AE codes 500 epochs (its default
# below 10,000) took 6.2 s vs 2.8 s for 200, with the same 2-D kNN accuracy (0.957 vs 0.953) and
# trustworthiness (0.975 vs 0.974).
UMAP_EPOCHS = 200
UMAP_SECONDS = (0.5, 0.0006)  # after compile, a + b n: 2.8 s for 5,000 points; 33-65 s for 70,000 (3 runs)
UMAP_COMPILE_SECONDS = 50.0  # numba's compile on a process's first UMAP (46-80 s measured, fit included)
ProgressFn = Callable[[int, int, str], None]


# ----------------------------------------------------------------------------------------- validation


def _as_features(features: np.ndarray, minimum: int = 3) -> np.ndarray:
    features = np.ascontiguousarray(features, dtype=np.float32)
    if features.ndim != 2 or features.shape[0] < minimum:
        raise ConfigError(f"need at least {minimum} feature vectors shaped (N, D), got {features.shape}")
    return features


def _check_params(
    n: int, d: int, method: str, dims: int, n_neighbors: int, min_dist: float, perplexity: float
) -> None:
    """Every parameter against its range, and the ones the method uses against the number of points."""
    if method not in PROJECTIONS:
        raise ConfigError(f"unknown projection {method!r}; choose from: {', '.join(PROJECTIONS)}")
    if dims not in DIMS:
        raise ConfigError(f"dims must be 2 or 3, got {dims!r}")
    if not isinstance(n_neighbors, (int, np.integer)) or not 2 <= n_neighbors <= 200:
        raise ConfigError(f"n_neighbors must be an integer in 2..200, got {n_neighbors!r}")
    if not 0.0 <= min_dist <= 1.0:
        raise ConfigError(f"min_dist must be in 0..1, got {min_dist!r}")
    if not 2.0 <= perplexity <= 100.0:
        raise ConfigError(f"perplexity must be in 2..100, got {perplexity!r}")
    if method == "umap" and n_neighbors >= n:
        raise ConfigError(
            f"n_neighbors must be in 2..{min(200, n - 1)} (fewer than the {n} points), got {n_neighbors}"
        )
    if method == "tsne" and perplexity >= n / 3:
        raise ConfigError(
            f"perplexity must be in 2..100 and below N/3 = {n / 3:.1f} for {n} points, got {perplexity}"
        )
    if method == "pca" and dims > min(n, d):
        raise ConfigError(
            f"PCA to {dims}-D needs at least {dims} points and {dims} feature dimensions, got {(n, d)}"
        )


# ----------------------------------------------------------------------------------------- projections


class Projector:
    """A projection fitted once, then reused to place new points (PCA, UMAP) beside the fitted ones."""

    def __init__(
        self,
        method: str = "pca",
        dims: int = 2,
        *,
        n_neighbors: int = 15,
        min_dist: float = 0.1,
        perplexity: float = 30.0,
        random_state: int = 0,
    ) -> None:
        self.method = method
        self.dims = dims
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.perplexity = perplexity
        self.random_state = random_state

    def _estimator(self):
        if self.method == "pca":
            from sklearn.decomposition import PCA

            return PCA(n_components=self.dims, random_state=self.random_state)
        if self.method == "tsne":
            from sklearn.manifold import TSNE

            return TSNE(self.dims, perplexity=self.perplexity, init="pca", random_state=self.random_state)
        import umap

        return umap.UMAP(
            n_components=self.dims,
            n_neighbors=int(self.n_neighbors),
            min_dist=self.min_dist,
            n_epochs=UMAP_EPOCHS,
            random_state=self.random_state,
        )

    def fit(self, features: np.ndarray) -> Projector:
        """Fit on (N, D) features; the (N, dims) map is `embedding_`."""
        features = _as_features(features)
        _check_params(
            *features.shape, self.method, self.dims, self.n_neighbors, self.min_dist, self.perplexity
        )
        if self.method == "tsne":
            check_tsne_size(features.shape[0])
        from threadpoolctl import threadpool_limits

        from dul_models.core.devices import default_thread_count

        self.estimator_ = self._estimator()
        # t-SNE's gradient spins OpenMP threads on every core; beside a busy server that was measured 3-12x
        # slower than leaving one core free (the same rule as torch's threads, devices.default_thread_count).
        with warnings.catch_warnings(), threadpool_limits(default_thread_count(), user_api="openmp"):
            warnings.filterwarnings("ignore", message=".*n_jobs.*overridden.*")  # UMAP: seeded → one thread
            self.embedding_ = np.asarray(self.estimator_.fit_transform(features), dtype=np.float32)
        self.n_features_in_ = features.shape[1]
        return self

    def fit_transform(self, features: np.ndarray) -> np.ndarray:
        return self.fit(features).embedding_

    def transform(self, features: np.ndarray) -> np.ndarray:
        """Place new (M, D) points in the fitted map: PCA exactly, UMAP by its learned neighbourhood graph."""
        if self.method == "tsne":
            raise ConfigError("t-SNE cannot place new points; use PCA or UMAP")
        if not hasattr(self, "estimator_"):
            raise ConfigError("this Projector is not fitted yet; call fit(features) first")
        features = _as_features(features, minimum=1)
        if features.shape[1] != self.n_features_in_:
            raise ConfigError(f"fitted on {self.n_features_in_}-D features, got {features.shape[1]}-D")
        return np.asarray(self.estimator_.transform(features), dtype=np.float32)


def project(
    features: np.ndarray,
    method: str = "pca",
    dims: int = 2,
    *,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    perplexity: float = 30.0,
    random_state: int = 0,
) -> np.ndarray:
    """(N, D) → (N, dims) float32 by PCA, t-SNE or UMAP; every parameter checked before any work."""
    projector = Projector(
        method,
        dims,
        n_neighbors=n_neighbors,
        min_dist=min_dist,
        perplexity=perplexity,
        random_state=random_state,
    )
    return projector.fit(features).embedding_


def project_2d(features: np.ndarray, method: str = "pca", random_state: int = 0) -> np.ndarray:
    """(N, D) → (N, 2), with t-SNE perplexity and UMAP neighbours shrunk to fit small N (the pages' call)."""
    features = _as_features(features)
    if method not in PROJECTIONS:
        raise ConfigError(f"unknown projection {method!r}; choose from: {', '.join(PROJECTIONS)}")
    if features.shape[1] == 2 and method == "pca":
        return features.copy()  # already 2-D: show the latent space itself, not a rotation of it
    n = features.shape[0]
    return project(
        features,
        method,
        2,
        n_neighbors=max(2, min(15, n - 1)),
        perplexity=min(30.0, (n - 1) / 3),
        random_state=random_state,
    )


def estimated_seconds(method: str, n: int, *, include_compile: bool = False) -> float:
    """Rough wall time of `project` for n points on a 2-core CPU, measured here (benchmarks/bench_embeddings).

    For a progress message and the t-SNE guard, not a promise: a busy machine is slower. UMAP's first call
    in a process also compiles with numba (`include_compile` adds it).
    """
    if method not in PROJECTIONS:
        raise ConfigError(f"unknown projection {method!r}; choose from: {', '.join(PROJECTIONS)}")
    if method == "pca":
        return 1e-6 * n
    if method == "umap":
        return UMAP_SECONDS[0] + UMAP_SECONDS[1] * n + (UMAP_COMPILE_SECONDS if include_compile else 0.0)
    return TSNE_SECONDS_PER_N_LOG_N * n * np.log(max(n, 2))


def check_tsne_size(n: int, device_type: str = "cpu") -> None:
    """Refuse a t-SNE that would run for many minutes, saying how long and what to use instead.

    scikit-learn's t-SNE runs on the CPU whatever the session's device, so `device_type` does not change
    the limit (it is kept for callers that pass it); `Projector.fit` checks this itself.
    """
    if n > TSNE_CPU_LIMIT:
        minutes = estimated_seconds("tsne", n) / 60
        raise ConfigError(
            f"t-SNE of {n:,} points runs on the CPU and would take about {minutes:.0f} min (limit "
            f"{TSNE_CPU_LIMIT:,} points); use UMAP (about {estimated_seconds('umap', n):.0f} s) or fewer points"
        )


def kmeans_labels(features: np.ndarray, k: int, random_state: int = 0) -> np.ndarray:
    """Cluster ids (N,) from k-means with 4 restarts: colours a map by what the features group together."""
    from sklearn.cluster import KMeans

    features = _as_features(features, minimum=1)
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= features.shape[0]:
        raise ConfigError(f"k must be an integer in 1..{features.shape[0]} (the number of points), got {k!r}")
    return (
        KMeans(n_clusters=int(k), n_init=4, random_state=random_state).fit_predict(features).astype(np.int64)
    )


# ----------------------------------------------------------------------------------------- disk cache


def cached_projection(
    key: tuple,
    features: np.ndarray,
    method: str,
    dims: int = 2,
    *,
    cache_dir: Path | str | None = None,
    progress: ProgressFn | None = None,
    **params: Any,
) -> np.ndarray:
    """`project` through the disk cache (`dul_models.core.disk_cache`), so a map survives restarts of the app.

    `key` names where the features came from (encoder, dataset, split); a corrupt cache file is recomputed.
    `progress(done, total, what)` hears (0, 1, what is computed and its estimated time) before a computation
    and (1, 1, ...) when the map is ready, computed or loaded: plain data, so the app can show a status.
    """
    unknown = sorted(set(params) - set(PARAMS))
    if unknown:
        raise ConfigError(
            f"unknown projection parameter(s) {', '.join(unknown)}; allowed: {', '.join(PARAMS)}"
        )
    features = _as_features(features)

    def compute() -> np.ndarray:
        if progress is not None:
            seconds = estimated_seconds(method, features.shape[0])
            progress(0, 1, f"{method} of {features.shape[0]:,} points, about {seconds:.0f} s on a 2-core CPU")
        return project(features, method, dims, **params)

    parts = (key, method, dims, sorted(params.items()))
    embedding, loaded = cached_array(parts, features, (features.shape[0], dims), compute, cache_dir)
    if progress is not None:
        progress(1, 1, f"{method} map {'loaded from the disk cache' if loaded else 'computed'}")
    return embedding
