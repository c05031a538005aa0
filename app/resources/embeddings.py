"""Cached features, projections and probes for the representation pages, keyed by the hashable EncoderSpec.

Features are a shared resource (one read-only array per encoder + dataset + split), projections cached
data (per parameters too) that also go through the library's disk cache, so a restarted server redraws a
UMAP at once. `cached` adds a run's weights' modification time to every key: a retrained run never shows
stale features. What is computed lives in `dul_models.explore.embeddings`.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app.resources import dataset, split_images
from app.resources.cache import cached
from dul_models import EncoderSpec, reporting
from dul_models.explore import embeddings as explore
from dul_models.explore.embeddings import IMAGE_MAP_POINTS, UMAP_DEFAULTS, disk_key  # noqa: F401

Params = explore.Params  # projection parameters as sorted (name, value) pairs: hashable
Projector = explore.Projector


@cached(show_spinner=False, max_entries=256)
def encoder_label(spec: EncoderSpec) -> str:
    """A spec's label (a run's is read from its config.json: 19 reads were 0.2 s of every rerun)."""
    return explore.encoder_label(spec)


# cache_resource, not cache_data: cache_data unpickles a copy on every hit, and the explorer asks 6 times a
# rerun; for 73,728 × 784 pixels that was 1.6 s of a 2.3 s rerun. The shared array is made read-only.
@cached(resource=True, show_spinner="Encoding the images…", max_entries=24)
def encoder_features(spec: EncoderSpec, dataset_name: str, split: str, device: str) -> np.ndarray:
    """(N, D) features of a split, shared and read-only (raises DULError with the reason when the encoder
    cannot be used)."""
    return explore.split_features(spec, dataset(dataset_name), split, device)


@cached(show_spinner=False)  # `projection` says what is computed and for about how long
def _projection(
    spec: EncoderSpec, dataset_name: str, split: str, device: str, method: str, dims: int, params: Params
) -> np.ndarray:
    vectors = encoder_features(spec, dataset_name, split, device)
    key = disk_key(spec, dataset_name, split)
    return explore.map_coordinates(vectors, key, method, dims, params, device)


def projection(
    spec: EncoderSpec, dataset_name: str, split: str, device: str, method: str, dims: int, params: Params
) -> np.ndarray:
    """(N, dims) map of an encoder's features; cached in memory and on disk."""
    n = len(encoder_features(spec, dataset_name, split, device))
    with st.spinner(explore.projection_note(method, n)):
        return _projection(spec, dataset_name, split, device, method, dims, params)


@cached(
    resource=True,
    show_spinner="Fitting the projection so that a new image can be placed on it…",
    max_entries=4,
)
def projector(
    spec: EncoderSpec, dataset_name: str, split: str, device: str, method: str, params: Params
) -> Projector:
    """A fitted 2-D projector of a split's features, to place an upload (PCA and UMAP can; t-SNE cannot)."""
    return explore.fit_projector(encoder_features(spec, dataset_name, split, device), method, params)


@cached(show_spinner=False, max_entries=32)
def _kmeans_colours(spec: EncoderSpec, dataset_name: str, split: str, device: str, k: int) -> np.ndarray:
    vectors = encoder_features(spec, dataset_name, split, device)
    return explore.kmeans_colours(vectors, disk_key(spec, dataset_name, split), k)


def kmeans_colours(spec: EncoderSpec, dataset_name: str, split: str, device: str, k: int) -> np.ndarray:
    """k-means cluster ids of a split's features (cached); the spinner says how many points are clustered."""
    n = len(encoder_features(spec, dataset_name, split, device))
    with st.spinner(f"Clustering {n:,} feature vectors with k-means (k = {k}; kept on disk after)…"):
        return _kmeans_colours(spec, dataset_name, split, device, k)


@cached(show_spinner=False, max_entries=32)
def knn_errors(spec: EncoderSpec, dataset_name: str, split: str, device: str) -> np.ndarray:
    """Where each point's 10 nearest other points vote another label; cached in memory and on disk, with a
    progress bar while it is computed (exact kNN of 73,728 points is ~0.5 TFLOP: minutes on 2 cores)."""
    labels = explore.split_labels(dataset(dataset_name), split)
    vectors = encoder_features(spec, dataset_name, split, device)
    # The bar is made inside the cached function, as in resources/clustering.py: st.cache_data replays
    # what a cached function drew (a bar that ends empty) and cannot replay updates to an outside element.
    bar = st.progress(
        0.0, text=f"Finding {explore.KNN_VOTERS} neighbours of each of {len(vectors):,} points…"
    )

    def show(what: str, done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=f"Finding {what}: {done:,} done (kept on disk after)…")

    try:
        with reporting(show):
            return explore.knn_errors(vectors, labels, disk_key(spec, dataset_name, split))
    finally:
        bar.empty()


@cached(show_spinner="Drawing the images at their places on the map…", max_entries=8)
def image_map(
    spec: EncoderSpec, dataset_name: str, split: str, device: str, method: str, params: Params
) -> tuple[np.ndarray, int]:
    """The thumbnail map of a split and how many images it draws: at most IMAGE_MAP_POINTS (a fixed-seed
    sample above that)."""
    coords = projection(spec, dataset_name, split, device, method, 2, params)
    return explore.image_map(coords, split_images(dataset_name, split, device))


@cached(show_spinner=False, max_entries=64)
def probe_row(spec: EncoderSpec, dataset_name: str, device: str) -> dict:
    """kNN (k = 20) and linear-probe accuracy at 1, 10, 100 labels per class (5 draws), test split."""
    train = encoder_features(spec, dataset_name, "train", device)
    test = encoder_features(spec, dataset_name, "test", device)
    return explore.probe_row(dataset(dataset_name), train, test)
