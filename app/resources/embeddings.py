"""Cached features, projections and probes for the representation pages, keyed by the hashable EncoderSpec.

Features are `st.cache_resource` (one shared read-only array per encoder + dataset + split), projections
`st.cache_data` (per parameters too) and also go through the library's disk cache, so a restarted server
redraws a UMAP at once.
A run's weights' modification time is part of every key: a retrained run never shows stale features.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
import torch

from app.resources import dataset, split_images
from dul_models.core.devices import pick_device
from dul_models.core.disk_cache import cached_array
from dul_models.core.images import thumbnail_map
from dul_models.core.progress import reporting
from dul_models.features.encoders import EncoderSpec, features, image_split
from dul_models.features.projections import (
    Projector,
    cached_projection,
    check_tsne_size,
    estimated_seconds,
    kmeans_labels,
)
from dul_models.metrics.probes import knn_disagreement, probe_report

Params = tuple[tuple[str, float], ...]  # projection parameters as sorted (name, value) pairs: hashable
UMAP_DEFAULTS = {
    "min_dist": 0.1,
    "n_neighbors": 15,
}  # the explorer's sliders start here (and the warm-up uses them)
IMAGE_MAP_POINTS = 5_000  # thumbnails pasted on the image map; more only hide each other (a sample above)


def _stamp(spec: EncoderSpec) -> float:
    if spec.run is None:
        return 0.0
    weights = Path(spec.run) / "model.safetensors"
    return weights.stat().st_mtime if weights.exists() else 0.0


@st.cache_data(show_spinner=False, max_entries=256)
def _label(spec: EncoderSpec, stamp: float) -> str:
    return spec.label


def encoder_label(spec: EncoderSpec) -> str:
    """A spec's label (a run's is read from its config.json: 19 reads were 0.2 s of every rerun), cached
    until the run's config changes."""
    config = Path(spec.run) / "config.json" if spec.run else None
    return _label(spec, config.stat().st_mtime if config is not None and config.exists() else 0.0)


def disk_key(spec: EncoderSpec, dataset_name: str, split: str) -> tuple:
    """Where features came from, as the disk cache's key: a retrained run (new weights' time) misses it."""
    return (spec.kind, spec.run, _stamp(spec), dataset_name, split)


# cache_resource, not cache_data: cache_data unpickles a copy on every hit, and the explorer asks 6 times a
# rerun; for 73,728 × 784 pixels that was 1.6 s of a 2.3 s rerun. The shared array is made read-only.
@st.cache_resource(show_spinner="Encoding the images…", max_entries=24)
def _features(spec: EncoderSpec, dataset_name: str, split: str, device: str, stamp: float) -> np.ndarray:
    vectors = features(spec, dataset(dataset_name), split, pick_device(device))
    vectors.flags.writeable = False
    return vectors


def encoder_features(spec: EncoderSpec, dataset_name: str, split: str, device: str) -> np.ndarray:
    """(N, D) features of a split, shared and read-only (raises DULError with the reason when the encoder
    cannot be used)."""
    return _features(spec, dataset_name, split, device, _stamp(spec))


@st.cache_data(show_spinner=False)  # `projection` says what is computed and for about how long
def _projection(
    spec: EncoderSpec,
    dataset_name: str,
    split: str,
    device: str,
    method: str,
    dims: int,
    params: Params,
    stamp: float,
) -> np.ndarray:
    vectors = encoder_features(spec, dataset_name, split, device)
    if method == "tsne":
        check_tsne_size(len(vectors), pick_device(device).type)
    return cached_projection(disk_key(spec, dataset_name, split), vectors, method, dims, **dict(params))


def projection(
    spec: EncoderSpec, dataset_name: str, split: str, device: str, method: str, dims: int, params: Params
) -> np.ndarray:
    """(N, dims) map of an encoder's features; cached in memory and on disk."""
    n = len(encoder_features(spec, dataset_name, split, device))
    compile_note = (
        " (up to a minute more the first time in this server: numba compiles UMAP)"
        if method == "umap"
        else ""
    )
    kept = "; the map is kept on disk, so this happens once" if method != "pca" else ""
    text = (
        f"{method.upper()} of {n:,} points: about {estimated_seconds(method, n):.0f} s{compile_note}{kept}…"
    )
    with st.spinner(text):
        return _projection(spec, dataset_name, split, device, method, dims, params, _stamp(spec))


@st.cache_resource(
    show_spinner="Fitting the projection so that a new image can be placed on it…", max_entries=4
)
def projector(
    spec: EncoderSpec, dataset_name: str, split: str, device: str, method: str, params: Params
) -> Projector:
    """A fitted 2-D projector of a split's features, to place an upload (PCA and UMAP can; t-SNE cannot)."""
    return Projector(method, 2, **dict(params)).fit(encoder_features(spec, dataset_name, split, device))


@st.cache_data(show_spinner=False, max_entries=32)
def _kmeans_colours(
    spec: EncoderSpec, dataset_name: str, split: str, device: str, k: int, stamp: float
) -> np.ndarray:
    vectors = encoder_features(spec, dataset_name, split, device)
    key = ("kmeans", k, *disk_key(spec, dataset_name, split))  # 73,728 × 784 pixels: ~40 s on a busy CPU
    ids, _ = cached_array(key, vectors, (len(vectors),), lambda: kmeans_labels(vectors, k))
    return ids.astype(np.int64)


def kmeans_colours(spec: EncoderSpec, dataset_name: str, split: str, device: str, k: int) -> np.ndarray:
    """k-means cluster ids of a split's features (cached); the spinner says how many points are clustered."""
    n = len(encoder_features(spec, dataset_name, split, device))
    with st.spinner(f"Clustering {n:,} feature vectors with k-means (k = {k}; kept on disk after)…"):
        return _kmeans_colours(spec, dataset_name, split, device, k, _stamp(spec))


@st.cache_data(show_spinner=False, max_entries=32)
def _knn_errors(spec: EncoderSpec, dataset_name: str, split: str, device: str, stamp: float) -> np.ndarray:
    labels = image_split(dataset(dataset_name), split).y.numpy()
    vectors = encoder_features(spec, dataset_name, split, device)
    # The bar is made inside the cached function, as in resources/clustering.py: st.cache_data replays
    # what a cached function drew (a bar that ends empty) and cannot replay updates to an outside element.
    bar = st.progress(0.0, text=f"Finding 10 neighbours of each of {len(vectors):,} points…")

    def show(what: str, done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=f"Finding {what}: {done:,} done (kept on disk after)…")

    key = ("knn-disagreement", 10, *disk_key(spec, dataset_name, split))  # exact kNN of 70,000: minutes
    try:
        with reporting(show):
            wrong, _ = cached_array(
                key, vectors, (len(vectors),), lambda: knn_disagreement(vectors, labels, 10)
            )
    finally:
        bar.empty()
    return wrong.astype(bool)


def knn_errors(spec: EncoderSpec, dataset_name: str, split: str, device: str) -> np.ndarray:
    """Where each point's 10 nearest other points vote another label; cached in memory and on disk, with a
    progress bar while it is computed (exact kNN of 73,728 points is ~0.5 TFLOP: minutes on 2 cores)."""
    return _knn_errors(spec, dataset_name, split, device, _stamp(spec))


@st.cache_data(show_spinner="Drawing the images at their places on the map…", max_entries=8)
def image_map(
    spec: EncoderSpec, dataset_name: str, split: str, device: str, method: str, params: Params
) -> tuple[np.ndarray, int]:
    """The thumbnail map of a split and how many images it draws: at most IMAGE_MAP_POINTS (a fixed-seed
    sample above that: 70,000 28-px tiles on 1,600 px hide each other, and pasting them all is slow)."""
    coords = projection(spec, dataset_name, split, device, method, 2, params)
    rows = np.arange(len(coords))
    if len(rows) > IMAGE_MAP_POINTS:
        rows = np.sort(np.random.default_rng(0).choice(len(rows), IMAGE_MAP_POINTS, replace=False))
    images = split_images(dataset_name, split, device)
    return thumbnail_map(coords[rows], images[torch.as_tensor(rows, device=images.device)].cpu()), len(rows)


@st.cache_data(show_spinner=False, max_entries=64)
def _probe_row(spec: EncoderSpec, dataset_name: str, device: str, stamp: float) -> dict:
    data = dataset(dataset_name)
    train = encoder_features(spec, dataset_name, "train", device)
    test = encoder_features(spec, dataset_name, "test", device)
    return probe_report(train, data.train.y.numpy(), test, data.test.y.numpy())


def probe_row(spec: EncoderSpec, dataset_name: str, device: str) -> dict:
    """kNN (k = 20) and linear-probe accuracy at 1, 10, 100 labels per class (5 draws), test split."""
    return _probe_row(spec, dataset_name, device, _stamp(spec))
