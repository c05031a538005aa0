"""Cached features, clusterings, k-sweeps, maps and comparison rows for the clustering page.

Every function is keyed by a `FeatureChoice` (encoder, dataset, split, device, reduction, seed); `cached`
adds the encoder run's weights' time to the key, so a retrained run never shows stale clusters. UMAP
reductions also go through the library's disk cache, so a restarted server does not wait for them again.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from app.resources import dataset
from app.resources.cache import cached
from app.resources.embeddings import disk_key, encoder_features
from dul_models import EncoderSpec
from dul_models.explore import clustering as explore

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


def labels(choice: FeatureChoice) -> explore.Labels | None:
    """The split's labels, which the clustering never sees (None when the dataset has none)."""
    return explore.split_labels(dataset(choice.dataset_name), choice.split)


def _encoded(choice: FeatureChoice) -> explore.Vectors:
    return encoder_features(choice.spec, choice.dataset_name, choice.split, choice.device)


@cached(show_spinner=False, max_entries=32)
def _reduced(choice: FeatureChoice) -> explore.Vectors:
    key = disk_key(choice.spec, choice.dataset_name, choice.split)
    return explore.reduced_features(
        _encoded(choice), choice.reduction, choice.dims, seed=choice.seed, cache_key=key
    )


def features(choice: FeatureChoice) -> explore.Vectors:
    """The features as clustered, from the cache (`reduced_features` is the call that says it computes)."""
    return _encoded(choice) if choice.reduction == "none" else _reduced(choice)


def reduced_features(choice: FeatureChoice) -> explore.Vectors:
    """(N, D) features of the chosen encoder, reduced as chosen (raises DULError with the reason).

    Call it before the other functions here: they find the reduction in the cache, and only this one
    says that a UMAP is being computed (and compiled, the first time in a server process)."""
    if choice.reduction == "none":
        return features(choice)
    text = f"{choice.reduction.upper()} to {choice.dims} dimensions…"
    if choice.reduction == "umap":
        text = (
            f"UMAP to {choice.dims} dimensions: a few seconds (about a minute more the first time in this "
            "server: numba compiles UMAP)…"
        )
    with st.spinner(text):
        return features(choice)


@cached(show_spinner="Clustering…", max_entries=32)
def clustering(choice: FeatureChoice, algorithm: str, k: int, params: Params) -> explore.ClusterReport:
    """The clustering, scored against the hidden labels (acc / nmi / ari, silhouette, k, seconds)."""
    return explore.cluster_report(features(choice), labels(choice), algorithm, k, params, seed=choice.seed)


@cached(show_spinner="Projecting the features to 2-D (PCA)…", max_entries=32)
def map_coords(choice: FeatureChoice) -> explore.Vectors:
    """(N, 2): a PCA of the very features that were clustered, for the map (instant, unlike UMAP)."""
    return explore.map_coordinates(features(choice), seed=choice.seed)


@cached(show_spinner=False, max_entries=16)
def sweep(choice: FeatureChoice) -> explore.KSweep:
    """k-means inertia and silhouette, and a mixture's BIC, for k = 2 … 20, with a progress bar."""
    # The bar is made inside the cached function on purpose: st.cache_data replays what a cached function
    # drew (here: a bar that ends empty), and cannot replay updates to an element made outside it.
    bar = st.progress(0.0, text="k-means and a Gaussian mixture for every k…")
    try:
        return explore.k_sweep(
            features(choice),
            seed=choice.seed,
            progress=lambda done, total, what: bar.progress(done / total, text=f"{what} ({done} of {total})"),
        )
    finally:
        bar.empty()


@cached(show_spinner=False, max_entries=64)
def compare_row(choice: FeatureChoice, k: int) -> dict:
    """k-means with k clusters on one encoder's features: acc / nmi / ari, silhouette, seconds."""
    return explore.compare_row(features(choice), labels(choice), k, seed=choice.seed)
