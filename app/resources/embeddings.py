"""Cached features, projections and probes for the representation pages, keyed by the hashable EncoderSpec.

Features and projections are `st.cache_data` (in memory, per encoder + dataset + split + parameters) and
projections also go through the library's disk cache, so a restarted server redraws a UMAP at once.
A run's weights' modification time is part of every key: a retrained run never shows stale features.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from app.resources import dataset, test_images
from dul_models.devices import pick_device
from dul_models.embeddings import (
    Projector,
    cached_projection,
    check_tsne_size,
    estimated_seconds,
    kmeans_labels,
)
from dul_models.encoders import EncoderSpec, features
from dul_models.images import thumbnail_map
from dul_models.probes import knn_disagreement, probe_report

Params = tuple[tuple[str, float], ...]  # projection parameters as sorted (name, value) pairs: hashable
UMAP_DEFAULTS = {
    "min_dist": 0.1,
    "n_neighbors": 15,
}  # the explorer's sliders start here (and the warm-up uses them)


def _stamp(spec: EncoderSpec) -> float:
    if spec.run is None:
        return 0.0
    weights = Path(spec.run) / "model.safetensors"
    return weights.stat().st_mtime if weights.exists() else 0.0


def disk_key(spec: EncoderSpec, dataset_name: str, split: str) -> tuple:
    """Where features came from, as the disk cache's key: a retrained run (new weights' time) misses it."""
    return (spec.kind, spec.run, _stamp(spec), dataset_name, split)


@st.cache_data(show_spinner="Encoding the images…", max_entries=48)
def _features(spec: EncoderSpec, dataset_name: str, split: str, device: str, stamp: float) -> np.ndarray:
    return features(spec, dataset(dataset_name), split, pick_device(device))


def encoder_features(spec: EncoderSpec, dataset_name: str, split: str, device: str) -> np.ndarray:
    """(N, D) features of a split (raises DULError with the reason when the encoder cannot be used)."""
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
    text = f"{method.upper()} of {n:,} points: about {estimated_seconds(method, n):.0f} s{compile_note}…"
    with st.spinner(text):
        return _projection(spec, dataset_name, split, device, method, dims, params, _stamp(spec))


@st.cache_resource(
    show_spinner="Fitting the projection so that a new image can be placed on it…", max_entries=4
)
def projector(spec: EncoderSpec, dataset_name: str, device: str, method: str, params: Params) -> Projector:
    """A fitted 2-D projector of the test features, to place an upload (PCA and UMAP can; t-SNE cannot)."""
    return Projector(method, 2, **dict(params)).fit(encoder_features(spec, dataset_name, "test", device))


@st.cache_data(show_spinner="Clustering the features with k-means…", max_entries=32)
def kmeans_colours(spec: EncoderSpec, dataset_name: str, device: str, k: int) -> np.ndarray:
    return kmeans_labels(encoder_features(spec, dataset_name, "test", device), k)


@st.cache_data(show_spinner="Asking every point's neighbours…", max_entries=32)
def knn_errors(spec: EncoderSpec, dataset_name: str, device: str) -> np.ndarray:
    labels = dataset(dataset_name).test.y.numpy()
    return knn_disagreement(encoder_features(spec, dataset_name, "test", device), labels, k=10)


@st.cache_data(show_spinner="Drawing every image at its place on the map…", max_entries=8)
def image_map(spec: EncoderSpec, dataset_name: str, device: str, method: str, params: Params) -> np.ndarray:
    coords = projection(spec, dataset_name, "test", device, method, 2, params)
    return thumbnail_map(coords, test_images(dataset_name, device).cpu())


@st.cache_data(show_spinner=False, max_entries=64)
def _probe_row(spec: EncoderSpec, dataset_name: str, device: str, stamp: float) -> dict:
    data = dataset(dataset_name)
    train = encoder_features(spec, dataset_name, "train", device)
    test = encoder_features(spec, dataset_name, "test", device)
    return probe_report(train, data.train.y.numpy(), test, data.test.y.numpy())


def probe_row(spec: EncoderSpec, dataset_name: str, device: str) -> dict:
    """kNN (k = 20) and linear-probe accuracy at 1, 10, 100 labels per class (5 draws), test split."""
    return _probe_row(spec, dataset_name, device, _stamp(spec))
