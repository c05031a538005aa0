"""The only place with st.cache_resource / st.cache_data: datasets, loaded models, jobs, cached results."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import torch

from app.resources.cache import cached
from dul_models import (
    ImageDataset,
    LoadedRun,
    configure_threads,
    dataset_version,
    get_dataset,
    image_split,
    load_run,
    pick_device,
    run_archive,
    to_float,
)
from dul_models.train.jobs import JobManager


@st.cache_resource
def threads() -> int:
    """Set torch's thread count once per server process (see dul_models.core.devices)."""
    return configure_threads()


@st.cache_resource
def job_manager() -> JobManager:
    """Process-wide, so a training job survives page switches, reruns and new browser tabs."""
    return JobManager()


def dataset(name: str) -> ImageDataset:
    """The data set called `name`, loaded once per process and version (an imported set replaced under the
    same name is a new version, so no session sees the old images)."""
    return _dataset(name, dataset_version(name))


@st.cache_resource(show_spinner="Loading dataset…", max_entries=16)
def _dataset(name: str, version: str) -> ImageDataset:
    return get_dataset(name)


@cached(resource=True, show_spinner="Loading model…", max_entries=16)
def loaded_run(path: str, device: str) -> LoadedRun:
    """A validated model in eval mode (raises CheckpointError with a readable message), loaded once per
    process and shared read-only by every session."""
    return load_run(Path(path), device=pick_device(device))


@cached(resource=True, show_spinner=False, max_entries=8)
def run_zip(path: str) -> bytes:
    """The run folder as zip bytes, built once per run (and again only when its weights change)."""
    return run_archive(Path(path))


def test_images(name: str, device: str) -> torch.Tensor:
    """The test split as floats on the device, made once per (dataset, version, device).

    Shared by every session: treat it as read-only (index or slice it; `[:limit]` is a free view).
    """
    return _split_images(name, dataset_version(name), "test", device)


def split_images(name: str, split: str, device: str) -> torch.Tensor:
    """A split's images ("train", "test" or "all" = train then test) as floats on the device, made once
    (read-only, like `test_images`)."""
    return _split_images(name, dataset_version(name), split, device)


@st.cache_resource(show_spinner="Loading the images…", max_entries=8)
def _split_images(name: str, version: str, split: str, device: str) -> torch.Tensor:
    return to_float(image_split(dataset(name), split).x).to(pick_device(device))
