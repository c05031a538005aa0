"""Helpers shared by the dataset loaders: atomic npz caches and deterministic stratified splits."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from dul_models.core.files import temporary_sibling
from dul_models.data.registry import Split


def cached_npz(
    path: Path,
    expected: dict[str, tuple[tuple[int, ...], np.dtype | type]],
    build: Callable[[], dict[str, np.ndarray]],
) -> dict[str, np.ndarray]:
    """Arrays from the cache file `path` when it matches `expected` (key -> shape, dtype), else `build()`.

    A fresh build is written to a temporary name in the same folder and renamed into place, so a crash
    or a second process never leaves a half-written cache. A cache that cannot be read or does not match
    (truncated, edited, an older layout) is rebuilt; one that cannot be written only costs a rebuild.
    """
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as stored:
                arrays = {key: stored[key] for key in expected if key in stored.files}
            if all(
                key in arrays and arrays[key].shape == shape and arrays[key].dtype == np.dtype(dtype)
                for key, (shape, dtype) in expected.items()
            ):
                return arrays
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):
            pass  # a damaged cache is derived data: rebuild it below
    arrays = build()
    save_cache(path, arrays)
    return arrays


def save_cache(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write derived arrays under a temporary name and rename them into place (a crash or a second
    process never leaves half a file); a read-only data folder only costs a rebuild next time."""
    try:
        with temporary_sibling(path) as tmp:
            with open(tmp, "xb") as out:
                np.savez(out, **arrays)
            os.replace(tmp, path)
    except OSError:
        pass


def stratified_split(
    labels: np.ndarray, test_size: int | float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic stratified train/test indices, each half in a shuffled order.

    The sources are sorted by label, so the order is shuffled first (`default_rng(seed)`): a model that
    takes the first batch of the train split then sees every class.
    """
    from sklearn.model_selection import train_test_split  # here: importing scikit-learn takes about 1 s

    order = np.random.default_rng(seed).permutation(len(labels))
    train_idx, test_idx = train_test_split(
        order, test_size=test_size, stratify=labels[order], random_state=seed
    )
    return np.asarray(train_idx, dtype=np.int64), np.asarray(test_idx, dtype=np.int64)


def make_split(
    images: np.ndarray, labels: np.ndarray, index: np.ndarray, factors: np.ndarray | None = None
) -> Split:
    """A `Split` of the rows `index` of numpy arrays (copied, so the tensors are contiguous and own their memory)."""
    return Split(
        x=torch.from_numpy(np.ascontiguousarray(images[index], dtype=np.uint8)),
        y=torch.from_numpy(np.ascontiguousarray(labels[index], dtype=np.int64)),
        factors=None
        if factors is None
        else torch.from_numpy(np.ascontiguousarray(factors[index], dtype=np.float32)),
    )
