"""Shared fixtures: user runs go to a temporary folder, never into the project's runs/ or checkpoints/."""

from __future__ import annotations

import os

import pytest
import torch

from dul_models.data import get_dataset


@pytest.fixture(scope="session", autouse=True)
def isolated_runs_dir(tmp_path_factory):
    patch = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("runs")
    patch.setenv("DUL_RUNS_DIR", str(path))
    patch.setenv(
        "DUL_PREWARM", "0"
    )  # no background UMAP warm-up competing with the tests (tests/app/test_warm.py)
    # the cores shared among pytest-xdist's workers (make test runs two), unless DUL_TORCH_THREADS says
    # otherwise (e.g. on a machine shared with other work): two workers of two threads would oversubscribe 2 cores
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    threads = max(1, (os.cpu_count() or 1) // workers)
    torch.set_num_threads(int(os.environ.get("DUL_TORCH_THREADS", threads)))
    yield path
    patch.undo()


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8×8 digits: small enough that a model trains in a second."""
    return get_dataset("digits")


@pytest.fixture(scope="session")
def mnist5k():
    return get_dataset("mnist5k")
