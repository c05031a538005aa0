"""Cached results for the self-supervised page (keyed by the run's path and weights' time stamp)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app.resources import _stamp, dataset, loaded_run, test_images
from dul_models.explore.self_supervised import rotation_report


@st.cache_data(show_spinner="Turning every test image four ways…", max_entries=8)
def _rotation_by_class(path: str, stamp: float, dataset_name: str, device: str) -> np.ndarray:
    data = dataset(dataset_name)
    report = rotation_report(loaded_run(path, device).model, test_images(dataset_name, device), data.test.y)
    return report.accuracy_by_class(data.num_classes)


def rotation_by_class(path: str, dataset_name: str, device: str) -> np.ndarray:
    """Per-class accuracy (num_classes,) over all four turns of every test image."""
    return _rotation_by_class(path, _stamp(path), dataset_name, device)
