"""The in-process cache of loaded data sets: one load per (name, data folder, version), shared by threads."""

from __future__ import annotations

import threading
from pathlib import Path

from dul_models.data.registry import ImageDataset

cache: dict[tuple[str, Path, str], ImageDataset] = {}
cache_lock = threading.Lock()  # guards the two dicts, never held while loading
key_locks: dict[tuple[str, Path, str], threading.Lock] = {}


def forget_dataset(name: str, keep: tuple[str, Path, str] | None = None) -> None:
    """Drop `name` from the in-process cache (an imported set was removed or replaced)."""
    with cache_lock:
        for key in [k for k in cache if k[0] == name and k != keep]:
            del cache[key]
            key_locks.pop(key, None)
