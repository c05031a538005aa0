"""Every data set by name: the built-in ones (`registry.DATASETS`) and the ones a person imported.

`get_dataset(name)` is the one entry point; it loads each set once per process and data folder. Kept apart
from `registry` (the types and the built-in catalogue), which `imported_sets` builds on.
"""

from __future__ import annotations

import threading

import dul_models.data.dataset_cache as dataset_cache
from dul_models.core.errors import DatasetUnavailableError
from dul_models.core.paths import data_dir
from dul_models.data.dataset_cache import forget_dataset
from dul_models.data.imported_sets import imported_spec, imported_specs, list_imported
from dul_models.data.registry import DATASETS, DEFAULT_DATASET, DatasetSpec, ImageDataset


def list_datasets() -> list[DatasetSpec]:
    """Every known dataset, embedded ones first (the order a picker shows), then the imported ones."""
    return [*DATASETS.values(), *imported_specs()]


def _spec(name: str) -> DatasetSpec:
    """The built-in or imported dataset called `name`, or an error listing every choice."""
    spec = DATASETS.get(name) or imported_spec(name)
    if spec is None:
        imported = ", ".join(entry.name for entry in list_imported())
        raise DatasetUnavailableError(
            f"unknown dataset {name!r}; choose from: {', '.join(DATASETS)}"
            + (f", or an imported one: {imported}" if imported else "")
        )
    return spec


def get_dataset(name: str = DEFAULT_DATASET) -> ImageDataset:
    """Load a dataset by name, once per process and data folder.

    Two threads asking for the same dataset wait for one load instead of parsing it twice; a failed
    load is not remembered, so a retry after placing the files (or going online) works.
    """
    spec = _spec(name)
    key = (name, data_dir(), spec.version)
    with dataset_cache.cache_lock:
        lock = dataset_cache.key_locks.setdefault(key, threading.Lock())
    with lock:
        dataset = dataset_cache.cache.get(key)
        if dataset is None:
            dataset = spec.loader(key[1])
            forget_dataset(name, keep=key)  # an imported set replaced by another process: drop the old one
            dataset_cache.cache[key] = dataset
    return dataset


def dataset_version(name: str) -> str:
    """What changes when a set called `name` is replaced: "" for a built-in set, the manifest id of an
    imported one. Caches above the library key loaded data by it."""
    return _spec(name).version
