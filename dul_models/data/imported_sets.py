"""The imported data sets on disk: one folder each under `data_dir()/imported/`, read back memory-mapped.

A set is `x_train.npy`, `y_train.npy`, `x_test.npy`, `y_test.npy` (uint8 `N×C×H×W` images, int64 labels,
-1 when unlabelled) and `manifest.json`, written last. A folder is only ever renamed into place complete,
so a folder without a readable manifest is never listed (an import killed outright leaves a dot folder
that nothing reads). Making a set is `data/imported.py`'s job; this module stores, lists, loads and removes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dul_models.core.errors import ConfigError, DatasetUnavailableError
from dul_models.core.paths import data_dir
from dul_models.data.dataset_cache import forget_dataset
from dul_models.data.registry import DATASETS, DatasetSpec, ImageDataset, Split

MANIFEST = "manifest.json"
FORMAT = 1  # bumped when the folder layout changes, so an old reader refuses a newer set by name
ARRAYS = ("x_train", "y_train", "x_test", "y_test")
MAX_NAME_LENGTH = 64  # a folder name, a picker entry and a CLI argument: short enough for all three
_CHUNK_BYTES = 64_000_000  # rows copied per write step: bounded memory whatever the size of the set
LEFTOVER_AGE_S = 24 * 3600  # a temporary folder this old belongs to an import that was killed outright
_LEFTOVER_PREFIXES = (".tmp-", ".old-", ".removing-")


def imported_root() -> Path:
    """The folder that holds one folder per imported set (not created here: listing must not write)."""
    return data_dir() / "imported"


def check_name(name: object) -> str:
    """`name` if it can name a folder and a data set: non-empty, short, no path characters, not built-in."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("the data set needs a name (letters, digits, spaces, - or _), e.g. 'my-photos'")
    if name != name.strip() or len(name) > MAX_NAME_LENGTH:
        raise ConfigError(
            f"data set name {name!r} must have no leading or trailing spaces and at most {MAX_NAME_LENGTH} "
            "characters"
        )
    if any(c in name for c in "/\\:") or ".." in name or name.startswith(".") or not name.isprintable():
        raise ConfigError(
            f"data set name {name!r} may not contain '/', '\\', ':' or '..', start with '.' or hold control "
            "characters; use letters, digits, spaces, - or _"
        )
    if name.lower() in {builtin.lower() for builtin in DATASETS}:
        raise ConfigError(f"{name!r} is the name of a built-in data set; choose another name")
    return name


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a set folder, or None when it is missing, unreadable or of another format."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("format") == FORMAT else None


# ---------------------------------------------------------------------------------------------------
# Listing
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedSet:
    """One stored set, as its manifest describes it (no array is read)."""

    name: str
    path: Path
    labelled: bool
    classes: tuple[str, ...]  # () when unlabelled
    n_train: int
    n_test: int
    size: int
    channels: int
    source: str  # the folder or zip it was imported from
    created: str  # ISO 8601, UTC
    version: str  # unique per import: a replaced set gets a new one

    @property
    def description(self) -> str:
        kind = f"{len(self.classes)} classes" if self.labelled else "unlabelled"
        colour = "colour" if self.channels == 3 else "greyscale"
        return (
            f"your images: {self.n_train + self.n_test:,} ({self.n_train:,} train / {self.n_test:,} test), "
            f"{kind}, {self.size}×{self.size} {colour}; imported from {Path(self.source).name} "
            f"on {self.created[:10]}"
        )


def _as_set(folder: Path, manifest: dict[str, Any]) -> ImportedSet | None:
    try:
        return ImportedSet(
            name=folder.name,
            path=folder,
            labelled=bool(manifest["labelled"]),
            classes=tuple(str(c) for c in manifest["classes"]),
            n_train=int(manifest["counts"]["train"]),
            n_test=int(manifest["counts"]["test"]),
            size=int(manifest["size"]),
            channels=int(manifest["channels"]),
            source=str(manifest["source"]),
            created=str(manifest["created"]),
            version=str(manifest["id"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def find_imported(name: str) -> ImportedSet | None:
    """The stored set called `name`, or None (a name that could not be a set's is simply not found)."""
    try:
        check_name(name)
    except ConfigError:
        return None
    folder = imported_root() / name
    manifest = read_manifest(folder)
    return None if manifest is None else _as_set(folder, manifest)


def list_imported() -> list[ImportedSet]:
    """Every complete imported set, by name; half-written or damaged folders are not listed."""
    root = imported_root()
    if not root.is_dir():
        return []
    found = (find_imported(folder.name) for folder in sorted(root.iterdir()) if folder.is_dir())
    return [entry for entry in found if entry is not None]


def imported_spec(name: str) -> DatasetSpec | None:
    """The registry's view of an imported set (`imported=True`), or None when there is none by that name."""
    entry = find_imported(name)
    if entry is None:
        return None

    def load(root: Path) -> ImageDataset:
        return load_imported(name, root)

    return DatasetSpec(
        entry.name, entry.name, True, entry.description, load, imported=True, version=entry.version
    )


def imported_specs() -> list[DatasetSpec]:
    """Registry entries for every imported set, in name order (what `list_datasets` appends)."""
    specs = (imported_spec(entry.name) for entry in list_imported())
    return [spec for spec in specs if spec is not None]


# ---------------------------------------------------------------------------------------------------
# Writing and moving a set
# ---------------------------------------------------------------------------------------------------


def save_array(path: Path, rows: np.ndarray, index: np.ndarray) -> str:
    """Write `rows[index]` as a `.npy` file chunk by chunk (rows may be a memory map larger than memory),
    fsync it, and return its SHA-256. Plain writes rather than a writable memory map, because a full
    disk then raises OSError instead of killing the process with SIGBUS."""
    header = {
        "descr": np.lib.format.dtype_to_descr(rows.dtype),
        "fortran_order": False,
        "shape": (len(index), *rows.shape[1:]),
    }
    digest = hashlib.sha256()
    step = max(1, _CHUNK_BYTES // max(1, rows[:1].nbytes))
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, header)
    with open(path, "xb") as out:
        out.write(head.getvalue())
        digest.update(head.getvalue())
        for start in range(0, len(index), step):
            chunk = np.ascontiguousarray(rows[index[start : start + step]]).tobytes()
            out.write(chunk)
            digest.update(chunk)
        out.flush()
        os.fsync(out.fileno())
    return "sha256:" + digest.hexdigest()


def move_into_place(tmp: Path, final: Path, replace: bool) -> None:
    """Rename the finished folder `tmp` to `final`; with `replace`, an older set there is swapped out and
    deleted only once the new one stands (a failed rename puts the old one back)."""
    old = None
    if final.exists():
        if not replace:
            raise ConfigError(taken_message(final.name))
        old = final.with_name(f".old-{final.name}-{uuid.uuid4().hex}")
        os.replace(final, old)
    try:
        os.rename(tmp, final)  # refuses a non-empty folder that appeared meanwhile (a concurrent import)
    except OSError:
        if old is not None:
            os.replace(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    forget_dataset(final.name)


def sweep_leftovers(max_age_s: float = LEFTOVER_AGE_S) -> list[str]:
    """Delete temporary folders that imports killed outright (no `finally` ran) left behind; returns their
    names. Only old ones: a younger one may belong to an import still running in another process."""
    root = imported_root()
    if not root.is_dir():
        return []
    now = time.time()
    removed = []
    for folder in root.iterdir():
        try:
            stale = folder.name.startswith(_LEFTOVER_PREFIXES) and now - folder.stat().st_mtime > max_age_s
        except OSError:
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def taken_message(name: str) -> str:
    return (
        f"a data set named {name!r} is already imported; choose another name, replace it (--replace, or "
        f"replace=True) or remove it first (python -m dul_models datasets remove {name!r})"
    )


def remove_imported(name: str) -> None:
    """Delete the imported set `name`: renamed away first, so no reader ever sees half a folder."""
    if isinstance(name, str) and name in DATASETS:
        raise ConfigError(f"{name!r} is a built-in data set; only imported ones can be removed")
    check_name(name)
    folder = imported_root() / name
    if not folder.is_dir():
        names = ", ".join(entry.name for entry in list_imported()) or "none"
        raise DatasetUnavailableError(f"no imported data set named {name!r}; imported ones: {names}")
    trash = folder.with_name(f".removing-{name}-{uuid.uuid4().hex}")
    os.replace(folder, trash)
    shutil.rmtree(trash, ignore_errors=True)
    forget_dataset(name)


# ---------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------


def load_imported(name: str, root: Path | None = None) -> ImageDataset:
    """The imported set `name` as an `ImageDataset`, its images memory-mapped rather than read.

    `mmap_mode="c"` (copy-on-write) rather than "r": pages are still read from the file on first touch
    and shared between processes, but the tensor is writable, so torch does not warn, and a stray in-place
    operation changes only this process's copy of a page instead of crashing it with a segmentation fault.
    """
    folder = (root if root is not None else data_dir()) / "imported" / name
    manifest = read_manifest(folder)
    entry = None if manifest is None else _as_set(folder, manifest)
    if entry is None:
        raise DatasetUnavailableError(f"no imported data set named {name!r} (or its manifest is damaged)")
    damaged = f"the imported data set {name!r} is damaged"
    fix = f"remove it (python -m dul_models datasets remove {name!r}) and import it again"
    splits = {}
    for split, count in (("train", entry.n_train), ("test", entry.n_test)):
        try:
            x = np.load(folder / f"x_{split}.npy", mmap_mode="c", allow_pickle=False)
            y = np.load(folder / f"y_{split}.npy", allow_pickle=False)  # (N,) int64: small, read whole
        except (OSError, ValueError) as exc:
            raise DatasetUnavailableError(f"{damaged} ({exc}); {fix}") from None
        expected = (count, entry.channels, entry.size, entry.size)
        if x.shape != expected or x.dtype != np.uint8 or y.shape != (count,) or y.dtype != np.int64:
            raise DatasetUnavailableError(
                f"{damaged}: x_{split} is {x.dtype} {x.shape}, expected uint8 {expected}; {fix}"
            )
        splits[split] = Split(x=torch.from_numpy(x), y=torch.from_numpy(y))
    return ImageDataset(
        name=name,
        train=splits["train"],
        test=splits["test"],
        class_names=entry.classes if entry.labelled else (),
        title=name,
        source=f"Your own images, imported from {Path(entry.source).name} on {entry.created[:10]}.",
        licence="Your own images: check that you may share them before sharing runs trained on them.",
        has_labels=entry.labelled,
        embedded=True,  # on this machine: never a download
    )
