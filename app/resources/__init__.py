"""The only place with st.cache_resource / st.cache_data: datasets, loaded models, jobs, cached results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
import torch

from dul_models.core.devices import configure_threads, pick_device
from dul_models.data import ImageDataset, get_dataset, to_float
from dul_models.features.encoders import extract_features, image_split
from dul_models.features.projections import project_2d
from dul_models.features.sample_quality import ClassHistogram, SampleScorer, class_histogram
from dul_models.metrics.images import median_filter, psnr_curve
from dul_models.runs.checkpoints import LoadedRun, load_run, run_archive
from dul_models.train.evaluators import load_scorer
from dul_models.train.jobs import JobManager


@st.cache_resource
def threads() -> int:
    """Set torch's thread count once per server process (see dul_models.core.devices)."""
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


@st.cache_resource(show_spinner=False, max_entries=8)
def _run_zip(path: str, stamp: float) -> bytes:
    return run_archive(Path(path))


def run_zip(path: str) -> bytes:
    """The run folder as zip bytes, built once per run (and again only when its weights change)."""
    return _run_zip(path, _stamp(path))


@st.cache_resource(show_spinner=False, max_entries=8)
def test_images(name: str, device: str) -> torch.Tensor:
    """The test split as floats on the device, made once per (dataset, device).

    Shared by every session: treat it as read-only (index or slice it; `[:limit]` is a free view).
    """
    return to_float(dataset(name).test.x).to(pick_device(device))


@st.cache_resource(show_spinner="Loading the images…", max_entries=4)
def _split_images(name: str, split: str, device: str) -> torch.Tensor:
    return to_float(image_split(dataset(name), split).x).to(pick_device(device))


def split_images(name: str, split: str, device: str) -> torch.Tensor:
    """A split's images ("train", "test" or "all" = train then test) as floats on the device, made once
    (read-only, like `test_images`)."""
    return test_images(name, device) if split == "test" else _split_images(name, split, device)


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
        return psnr_curve(denoisers, test_images(dataset_name, device)[:n], kind, levels)


@st.cache_data(show_spinner="Encoding the test set…", max_entries=16)
def latent_map(path: str, dataset_name: str, device: str, method: str) -> tuple[np.ndarray, np.ndarray]:
    """2-D projection of the test set's codes and the labels, keyed by run and dataset."""
    model = loaded_run(path, device).model
    features = extract_features(model, test_images(dataset_name, device))
    return project_2d(features, method), dataset(dataset_name).test.y.numpy()


@st.cache_resource(show_spinner="Loading the GAN…", max_entries=8)
def _prepared_gan(path: str, stamp: float, dataset_name: str, device: str) -> LoadedRun:
    run = _loaded_run(path, stamp, device)
    run.model.prepare(
        dataset(dataset_name)
    )  # checks the dataset suits the run (labels for a conditional GAN)
    return run


def prepared_gan(path: str, dataset_name: str, device: str) -> LoadedRun:
    """A DCGAN run checked against the dataset (its samples are scored by `sample_scorer`)."""
    return _prepared_gan(path, _stamp(path), dataset_name, device)


@st.cache_resource(show_spinner="Loading the dataset's classifier and its training features…", max_entries=4)
def sample_scorer(dataset_name: str, device: str) -> tuple[SampleScorer | None, str | None]:
    """The dataset's classifier as a fitted scorer (FID, class histogram, neighbours), or None and why."""
    return load_scorer(dataset(dataset_name), pick_device(device))


@st.cache_data(show_spinner="Classifying samples…", max_entries=32)
def gan_class_histogram(
    path: str, dataset_name: str, device: str, n: int, seed: int, temperature: float
) -> ClassHistogram:
    scorer, _ = sample_scorer(dataset_name, device)
    samples, labels = prepared_gan(path, dataset_name, device).model.many_samples(n, seed, temperature)
    return class_histogram(scorer, samples, labels)


@st.cache_data(show_spinner="Measuring how far real test digits are from the training set…", max_entries=8)
def gan_reference_distance(dataset_name: str, device: str, n: int = 300) -> float:
    """Median classifier-feature distance of a real test image to its nearest training image."""
    scorer, _ = sample_scorer(dataset_name, device)
    _, distances = scorer.nearest_training_images(test_images(dataset_name, device)[:n], k=1)
    return float(distances.median())


@st.cache_data(show_spinner="Encoding the shapes test set and scoring disentanglement (MIG)…", max_entries=8)
def vae_mig(path: str, device: str) -> dict:
    """MIG of a VAE run on its (shapes) dataset's test split: per-factor gaps and each latent's factor."""
    from dul_models.features.latent_space import mig_on_dataset
    from dul_models.metrics.disentanglement import mig_metrics

    run = loaded_run(path, device)
    data = dataset(run.info.dataset)
    return mig_metrics(mig_on_dataset(run.model, data), data.factor_names)
