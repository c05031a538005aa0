"""The only place with st.cache_resource / st.cache_data: datasets, loaded models, jobs, cached results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
import torch

from dul_models.checkpoints import LoadedRun, load_run
from dul_models.data import ImageDataset, get_dataset, to_float
from dul_models.devices import configure_threads, pick_device
from dul_models.embeddings import extract_features, project_2d
from dul_models.evaluation import median_filter, psnr_curve
from dul_models.jobs import JobManager


@st.cache_resource
def threads() -> int:
    """Set torch's thread count once per server process (see dul_models.devices)."""
    return configure_threads()


@st.cache_resource
def job_manager() -> JobManager:
    """Process-wide, so a training job survives page switches, reruns and new browser tabs."""
    return JobManager()


@st.cache_resource(show_spinner="Loading dataset…")
def dataset(name: str) -> ImageDataset:
    return get_dataset(name)


def _stamp(path: str) -> float:
    """Modification time of the run's weights: a retrained run gets a fresh cache entry."""
    weights = Path(path) / "model.safetensors"
    return weights.stat().st_mtime if weights.exists() else 0.0


@st.cache_resource(show_spinner="Loading model…", max_entries=16)
def _loaded_run(path: str, stamp: float, device: str) -> LoadedRun:
    return load_run(Path(path), device=pick_device(device))


def loaded_run(path: str, device: str) -> LoadedRun:
    """A validated model in eval mode (raises CheckpointError with a readable message)."""
    return _loaded_run(path, _stamp(path), device)


def test_images(name: str, device: str, limit: int | None = None) -> torch.Tensor:
    return to_float(dataset(name).test.x[:limit]).to(pick_device(device))


@st.cache_data(show_spinner="Measuring PSNR at every noise level…", max_entries=32)
def denoising_curve(
    runs: tuple[tuple[str, str], ...],
    dataset_name: str,
    kind: str,
    levels: tuple[float, ...],
    device: str,
    n: int,
) -> list[dict]:
    """PSNR vs level for each (label, run path), plus a 3×3 median filter; same noise for every method."""
    denoisers = {label: loaded_run(path, device).model.reconstruct for label, path in runs}
    denoisers["median filter 3×3"] = median_filter
    with torch.no_grad():
        return psnr_curve(denoisers, test_images(dataset_name, device, n), kind, levels)


@st.cache_data(show_spinner="Encoding the test set…", max_entries=16)
def latent_map(path: str, dataset_name: str, device: str, method: str) -> tuple[np.ndarray, np.ndarray]:
    """2-D projection of the test set's codes and the labels, keyed by run and dataset."""
    model = loaded_run(path, device).model
    features = extract_features(model, test_images(dataset_name, device))
    return project_2d(features, method), dataset(dataset_name).test.y.numpy()
