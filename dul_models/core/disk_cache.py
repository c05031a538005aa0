"""A disk cache for arrays that are slow to compute (t-SNE / UMAP maps, UMAP reductions before clustering).

Keyed by a sha256 of everything that changes the result, including a sha1 of the input features, so a
restarted server reuses the work and a changed encoder never sees a stale map. A missing, corrupt or
wrongly shaped file means: compute it again. Writes are atomic; a read-only folder costs speed, not results.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np


def cache_dir_default() -> Path:
    """`DUL_CACHE_DIR`, else `projections/` in the data folder."""
    configured = os.environ.get("DUL_CACHE_DIR", "").strip()
    if configured:
        return Path(configured).expanduser()
    from dul_models.core.paths import data_dir

    return data_dir() / "projections"


def cache_key(parts: tuple, features: np.ndarray) -> str:
    """sha256 of the parts that change the result and of the features themselves."""
    digest = hashlib.sha1(np.ascontiguousarray(features).tobytes()).hexdigest()
    return hashlib.sha256(repr((parts, features.shape, digest)).encode()).hexdigest()


def read_cached(path: Path, shape: tuple[int, ...]) -> np.ndarray | None:
    """The cached array, or None when the file is missing, unreadable, corrupt or of the wrong shape."""
    try:
        with np.load(path, allow_pickle=False) as data:
            array = np.asarray(data["embedding"], dtype=np.float32)
    except Exception:  # noqa: BLE001 - any failure to read a cache file means: compute it again
        return None
    return array if array.shape == tuple(shape) else None


def cached_array(
    parts: tuple,
    features: np.ndarray,
    shape: tuple[int, ...],
    compute: Callable[[], np.ndarray],
    cache_dir: Path | str | None = None,
) -> tuple[np.ndarray, bool]:
    """`compute()` through the cache: (the array, whether it came from the cache)."""
    from dul_models.core.files import atomic_write_bytes

    folder = Path(cache_dir) if cache_dir is not None else cache_dir_default()
    path = folder / f"{cache_key(parts, features)}.npz"
    cached = read_cached(path, shape)
    if cached is not None:
        return cached, True
    array = np.asarray(compute(), dtype=np.float32)
    buffer = io.BytesIO()
    np.savez(buffer, embedding=array)
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except OSError as exc:
        warnings.warn(f"could not cache the result in {folder}: {exc}", stacklevel=3)
    return array, False
