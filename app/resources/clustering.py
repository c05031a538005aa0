"""Cached features, clusterings, k-sweeps and comparison rows for the clustering page.

Every function is keyed by a `FeatureChoice` (encoder, dataset, split, device, reduction, seed) plus the
run's weights' time stamp, so a retrained run never shows stale clusters. UMAP reductions also go
through the library's disk cache, so a restarted server does not wait for them again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from app.resources import dataset
from app.resources.embeddings import _stamp, disk_key, encoder_features
from dul_models.features.cluster_analysis import k_sweep
from dul_models.features.clustering import ClusterResult, clustering_report, reduce_features
from dul_models.features.encoders import EncoderSpec

Params = tuple[tuple[str, object], ...]  # an algorithm's parameters as sorted (name, value) pairs: hashable


@dataclass(frozen=True)
class FeatureChoice:
    """Which features are clustered: the part of the cache key every function here shares."""

    spec: EncoderSpec
    dataset_name: str
    split: str = "test"
    device: str = "auto"
    reduction: str = "none"  # "none", "pca" or "umap"
    dims: int = 10  # after the reduction
    seed: int = 0  # random_state of the reduction and the clustering

    @property
    def stamp(self) -> float:
        return _stamp(self.spec)

    def labels(self) -> np.ndarray | None:
        """The split's labels, which the clustering never sees (None when the dataset has none)."""
        data = dataset(self.dataset_name)
        return getattr(data, self.split).y.numpy() if data.has_labels else None


@st.cache_data(show_spinner=False, max_entries=32)
def _reduced(choice: FeatureChoice, stamp: float) -> np.ndarray:
    vectors = encoder_features(choice.spec, choice.dataset_name, choice.split, choice.device)
    key = disk_key(choice.spec, choice.dataset_name, choice.split)
    return reduce_features(vectors, choice.reduction, choice.dims, random_state=choice.seed, cache_key=key)


def _vectors(choice: FeatureChoice, stamp: float) -> np.ndarray:
    if choice.reduction == "none":
        return encoder_features(choice.spec, choice.dataset_name, choice.split, choice.device)
    return _reduced(choice, stamp)


def reduced_features(choice: FeatureChoice) -> np.ndarray:
    """(N, D) features of the chosen encoder, reduced as chosen (raises DULError with the reason).

    Call it before the other functions here: they find the reduction in the cache, and only this one
    says that a UMAP is being computed (and compiled, the first time in a server process)."""
    if choice.reduction == "none":
        return _vectors(choice, choice.stamp)
    text = f"{choice.reduction.upper()} to {choice.dims} dimensions…"
    if choice.reduction == "umap":
        text = f"UMAP to {choice.dims} dimensions: a few seconds (about a minute more the first time in this server: numba compiles UMAP)…"
    with st.spinner(text):
        return _vectors(choice, choice.stamp)


@st.cache_data(show_spinner="Clustering…", max_entries=32)
def _clustering(
    choice: FeatureChoice, stamp: float, algorithm: str, k: int, params: Params
) -> tuple[ClusterResult, dict]:
    return clustering_report(
        _vectors(choice, stamp), choice.labels(), algorithm, k, random_state=choice.seed, **dict(params)
    )


def clustering(choice: FeatureChoice, algorithm: str, k: int, params: Params) -> tuple[ClusterResult, dict]:
    """The clustering and its row (acc / nmi / ari against the hidden labels, silhouette, k, seconds)."""
    return _clustering(choice, choice.stamp, algorithm, k, params)


@st.cache_data(show_spinner="Projecting the features to 2-D (PCA)…", max_entries=32)
def _map_coords(choice: FeatureChoice, stamp: float) -> np.ndarray:
    return reduce_features(_vectors(choice, stamp), "pca", 2, random_state=choice.seed)


def map_coords(choice: FeatureChoice) -> np.ndarray:
    """(N, 2): a PCA of the very features that were clustered, for the map (instant, unlike UMAP)."""
    return _map_coords(choice, choice.stamp)


@st.cache_data(show_spinner=False, max_entries=16)
def _sweep(choice: FeatureChoice, stamp: float) -> list[dict]:
    # The bar is made inside the cached function on purpose: st.cache_data replays what a cached function
    # drew (here: a bar that ends empty), and cannot replay updates to an element made outside it.
    bar = st.progress(0.0, text="k-means and a Gaussian mixture for every k…")
    try:
        return k_sweep(
            _vectors(choice, stamp),
            random_state=choice.seed,
            progress=lambda done, total, what: bar.progress(done / total, text=f"{what} ({done} of {total})"),
        )
    finally:
        bar.empty()


def sweep(choice: FeatureChoice) -> list[dict]:
    """k-means inertia and silhouette, and a mixture's BIC, for k = 2 … 20, with a progress bar."""
    return _sweep(choice, choice.stamp)


@st.cache_data(show_spinner=False, max_entries=64)
def _compare_row(choice: FeatureChoice, stamp: float, k: int) -> dict:
    _, row = clustering_report(
        _vectors(choice, stamp), choice.labels(), "kmeans", k, random_state=choice.seed
    )
    return row


def compare_row(choice: FeatureChoice, k: int) -> dict:
    """k-means with k clusters on one encoder's features: acc / nmi / ari, silhouette, seconds."""
    return _compare_row(choice, choice.stamp, k)
