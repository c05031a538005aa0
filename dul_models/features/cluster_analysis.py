"""How many clusters, and what is in them: the k-sweep with the choice each criterion makes, and a
cluster's images (nearest its centre, random, outliers) for the galleries.

No criterion is right in general: silhouette favours compact, separated groups, BIC penalises a mixture's
parameters, and the elbow of inertia is a judgement on a curve. The page shows all three side by side.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dul_models.core.errors import ConfigError
from dul_models.features.clustering import (
    ClusterResult,
    ProgressFn,
    as_features,
    check_k,
    cluster_features,
    reduce_features,
)

SWEEP_KS = tuple(range(2, 21))
# A diagonal Gaussian mixture costs ~1 s per k on 576-D features (19 k's: 21 s, over the sweep's budget);
# the sweep's BIC is taken on a PCA of at most this many dimensions (0.1 s per k).
BIC_MAX_DIMS = 50


def k_sweep(
    features: np.ndarray,
    ks: Sequence[int] = SWEEP_KS,
    *,
    bic: bool = True,
    random_state: int = 0,
    progress: ProgressFn | None = None,
) -> list[dict[str, float]]:
    """For each k: k-means inertia and silhouette, and (with `bic`) a diagonal Gaussian mixture's BIC
    (on a PCA to BIC_MAX_DIMS dimensions when the features have more; see there).

    `progress(done, total, what)` after every k, as plain data for the app's bar.
    """
    features = as_features(features)
    for k in ks:
        check_k(k, features.shape[0])
    small = features
    if bic and features.shape[1] > BIC_MAX_DIMS:
        small = reduce_features(
            features, "pca", min(BIC_MAX_DIMS, features.shape[0] - 2), random_state=random_state
        )
    rows = []
    for done, k in enumerate(ks, start=1):
        fitted = cluster_features(features, "kmeans", int(k), random_state=random_state, n_init=2)
        row = {"k": int(k), "inertia": fitted.inertia, "silhouette": fitted.silhouette}
        if bic:
            row["bic"] = cluster_features(small, "gmm", int(k), random_state=random_state, n_init=1).bic
        rows.append(row)
        if progress is not None:
            progress(done, len(ks), f"k = {k}")
    return rows


def best_k(rows: list[dict[str, float]]) -> dict[str, int]:
    """The k each criterion picks: highest silhouette, lowest BIC, and the elbow of inertia (the point
    farthest below the straight line from the first k to the last, on min-max scaled axes)."""
    ks = np.array([r["k"] for r in rows], dtype=np.float64)
    picks: dict[str, int] = {}
    scored = [r for r in rows if r.get("silhouette") is not None]
    if scored:
        picks["silhouette"] = int(max(scored, key=lambda r: r["silhouette"])["k"])
    if all(r.get("bic") is not None for r in rows):
        picks["bic"] = int(min(rows, key=lambda r: r["bic"])["k"])
    inertia = np.array([r["inertia"] for r in rows], dtype=np.float64)
    if len(rows) >= 3 and np.ptp(inertia) > 0:
        x = (ks - ks[0]) / np.ptp(ks)
        y = (inertia - inertia.min()) / np.ptp(inertia)
        line = y[0] + (y[-1] - y[0]) * x
        picks["elbow"] = int(ks[np.argmax(line - y)])
    return picks


# ----------------------------------------------------------------------------------------- looking


def cluster_members(
    features: np.ndarray, result: ClusterResult, cluster: int, n: int = 8, random_state: int = 0
) -> dict[str, np.ndarray]:
    """Row indices of one cluster's images: nearest its centre, a random sample, and its outliers
    (the members farthest from the centre), each up to n."""
    features = np.asarray(features, dtype=np.float32)
    found = np.unique(result.labels_[result.labels_ >= 0])
    if cluster not in found:
        raise ConfigError(f"no cluster {cluster!r}; this clustering has {', '.join(map(str, found))}")
    members = np.flatnonzero(result.labels_ == cluster)
    centre = result.centers_[int(np.searchsorted(found, cluster))]
    order = members[np.argsort(((features[members] - centre) ** 2).sum(1))]
    rng = np.random.default_rng(random_state)
    return {
        "nearest": order[:n],
        "random": rng.choice(members, min(n, members.size), replace=False),
        "outliers": order[::-1][:n].copy(),  # a copy: a reversed view has a negative stride torch refuses
    }
