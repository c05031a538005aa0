"""Your own images as a data set: a folder or a zip, planned (headers only), then converted once.

`plan_import` (`data/import_plan.py`, re-exported here) says what an import would make and writes
nothing. `run_import` decodes every image to a square uint8 array, splits the set (seeded, stratified when
labelled) and stores it through a temporary folder renamed into place at the end, so a failure or a
cancel leaves nothing behind. Then `get_dataset(name)` serves it like any other data set.
"""

from __future__ import annotations

import shutil
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from dul_models.core.errors import ConfigError, DULError, ImageInputError
from dul_models.core.files import atomic_write_bytes, json_bytes
from dul_models.core.progress import report
from dul_models.data.image_folder import decode_square
from dul_models.data.image_sources import ImportSourceError, open_source
from dul_models.data.import_plan import MIN_IMAGES, ImportOptions, ImportPlan, plan_import, too_few
from dul_models.data.imported_sets import (
    FORMAT,
    MANIFEST,
    ImportedSet,
    imported_root,
    list_imported,
    move_into_place,
    remove_imported,
    save_array,
    sweep_leftovers,
    taken_message,
)

__all__ = [
    "ImportCancelledError",
    "ImportOptions",
    "ImportPlan",
    "ImportReport",
    "ImportSourceError",
    "ImportStorageError",
    "ImportedSet",
    "MIN_IMAGES",
    "list_imported",
    "plan_import",
    "remove_imported",
    "run_import",
]

MANIFEST_SKIPPED = 1000  # skipped files named in the manifest; the count is always exact
STAGING = "staging.raw"  # decoded rows in source order, before the split; deleted before the rename


class ImportCancelledError(DULError):
    """The import was stopped by its caller; nothing was written."""


class ImportStorageError(DULError, OSError):
    """The data folder could not take the set (a full disk, no permission); nothing was left behind."""


@dataclass(frozen=True)
class ImportReport:
    """What `run_import` made."""

    name: str
    path: Path
    labelled: bool
    classes: tuple[str, ...]
    n_train: int
    n_test: int
    counts: dict[str, dict[str, int]]  # class → {"train": n, "test": n}; {} when unlabelled
    size: int
    channels: int
    skipped: tuple[tuple[str, str], ...]  # the plan's, then images that failed to decode
    notes: tuple[str, ...]
    seconds: float

    def as_dict(self, max_skipped: int = 20) -> dict[str, Any]:
        """Plain data for `--json`: the first `max_skipped` skipped files are named, all are counted."""
        return {
            "name": self.name,
            "path": str(self.path),
            "labelled": self.labelled,
            "classes": list(self.classes),
            "counts": {"train": self.n_train, "test": self.n_test, "per_class": self.counts},
            "size": self.size,
            "channels": self.channels,
            "skipped_count": len(self.skipped),
            "skipped": [{"path": path, "why": why} for path, why in self.skipped[:max_skipped]],
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
        }


# ---------------------------------------------------------------------------------------------------
# Importing
# ---------------------------------------------------------------------------------------------------


def split_indices(labels: np.ndarray, test_share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/test row indices, stratified by label (-1 for all: one group), each in shuffled order.

    Each group of n >= 2 gives round(n · test_share) rows to the test split, at least one and at most
    n - 1; a group of one image goes to the train split only (a test image would leave it nothing to learn).
    """
    rng = np.random.default_rng(seed)
    train, test = [], []
    for group in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == group))
        n_test = 0 if len(rows) < 2 else min(max(round(len(rows) * test_share), 1), len(rows) - 1)
        test.append(rows[:n_test])
        train.append(rows[n_test:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _decode_all(
    plan: ImportPlan,
    staging: Path,
    progress: Callable[[int, int], None] | None,
    should_stop: Callable[[], bool] | None,
) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Decode every planned image, appending good rows to the raw file `staging` in order.

    Returns the labels of the rows written and the (path, why) of the images that failed.
    """
    what, total = f"importing {plan.options.name}", len(plan.files)
    step = max(1, total // 200)  # ~200 progress updates, whatever the size of the set
    labels, failed = [], []
    reader = open_source(plan.source)
    try:
        with open(staging, "xb") as out:
            for done, (path, label) in enumerate(plan.files, start=1):
                if should_stop is not None and should_stop():
                    raise ImportCancelledError(
                        f"the import of {plan.options.name!r} was cancelled; nothing was kept"
                    )
                try:
                    row = decode_square(reader.read(path), plan.size, plan.channels)
                except ImageInputError as exc:
                    failed.append((path, str(exc)))
                except (OSError, zipfile.BadZipFile, KeyError) as exc:
                    failed.append((path, f"could not be read ({exc})"))
                else:
                    out.write(row.tobytes())
                    labels.append(label)
                if done % step == 0 or done == total:
                    report(what, done, total)
                    if progress is not None:
                        progress(done, total)
    finally:
        reader.close()
    return np.asarray(labels, dtype=np.int64), failed


def _compact_labels(
    plan: ImportPlan, labels: np.ndarray, notes: list[str]
) -> tuple[tuple[str, ...], np.ndarray]:
    """Classes left after decoding (a class whose every image failed is dropped), labels renumbered."""
    if not plan.labelled:
        return (), labels
    kept = [i for i in range(len(plan.classes)) if (labels == i).any()]
    notes += [
        f"class {plan.classes[i]!r} lost every image to decoding errors"
        for i in range(len(plan.classes))
        if i not in kept
    ]
    if len(kept) < 2:
        notes.append("fewer than two classes are left, so the set is imported as unlabelled")
        return (), np.full_like(labels, -1)
    remap = np.full(len(plan.classes), -1, dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    return tuple(plan.classes[i] for i in kept), remap[labels]


def _write_splits(
    tmp: Path, plan: ImportPlan, labels: np.ndarray, train: np.ndarray, test: np.ndarray
) -> dict[str, str]:
    """x_/y_ train and test `.npy` files from the staging rows (then deleted); file name → checksum."""
    staging = tmp / STAGING
    shape = (len(labels), plan.channels, plan.size, plan.size)
    rows = np.memmap(staging, dtype=np.uint8, mode="r", shape=shape)  # read back by row, never whole
    checksums = {}
    for split, index in (("train", train), ("test", test)):
        checksums[f"x_{split}.npy"] = save_array(tmp / f"x_{split}.npy", rows, index)
        checksums[f"y_{split}.npy"] = save_array(tmp / f"y_{split}.npy", labels, index)
    del rows
    staging.unlink()
    return checksums


def run_import(
    plan: ImportPlan,
    *,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ImportReport:
    """Decode, split and store the planned set under `data_dir()/imported/<name>/`.

    `progress(done, total)` follows the decoding (as does `dul_models.core.progress`); `should_stop()`
    returning True cancels with `ImportCancelledError`. Everything is written to a temporary folder that
    is renamed into place at the end: a failure or a cancel leaves nothing behind.
    """
    start = time.perf_counter()
    options = plan.options
    root = imported_root()
    final = root / options.name
    if final.exists() and not options.replace:
        raise ConfigError(taken_message(options.name))
    sweep_leftovers()
    tmp = root / f".tmp-{options.name}-{uuid.uuid4().hex}"
    try:
        tmp.mkdir(parents=True)
        labels, failed = _decode_all(plan, tmp / STAGING, progress, should_stop)
        skipped = (*plan.skipped, *failed)
        if len(labels) < MIN_IMAGES:
            raise too_few(len(labels), skipped, plan.source)
        notes = list(plan.notes)
        classes, labels = _compact_labels(plan, labels, notes)
        train, test = split_indices(labels, options.test_share, options.seed)
        if len(test) == 0:
            raise ImportSourceError(
                "every class has a single image, so no test split is possible; add images"
            )
        counts = {
            name: {"train": int((labels[train] == i).sum()), "test": int((labels[test] == i).sum())}
            for i, name in enumerate(classes)
        }
        manifest = {
            "format": FORMAT,
            "id": uuid.uuid4().hex,  # the registry's cache key: a replaced set is loaded afresh
            "name": options.name,
            "source": str(plan.source.resolve()),
            "source_kind": plan.kind,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "labelled": bool(classes),
            "classes": list(classes),
            "size": plan.size,
            "channels": plan.channels,
            "test_share": options.test_share,
            "split_seed": options.seed,
            "counts": {"train": len(train), "test": len(test), "per_class": counts},
            "checksums": _write_splits(tmp, plan, labels, train, test),
            "skipped_count": len(skipped),
            "skipped": [{"path": path, "why": why} for path, why in skipped[:MANIFEST_SKIPPED]],
            "notes": notes,
        }
        atomic_write_bytes(tmp / MANIFEST, json_bytes(manifest))  # last: a set without it is never listed
        move_into_place(tmp, final, options.replace)
    except OSError as exc:
        raise ImportStorageError(
            f"could not write the data set to {root}: {exc.strerror or exc}; "
            "free some disk space or set DUL_DATA_DIR to another folder, then import again"
        ) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # gone already when the import succeeded
    return ImportReport(
        name=options.name,
        path=final,
        labelled=bool(classes),
        classes=classes,
        n_train=len(train),
        n_test=len(test),
        counts=counts,
        size=plan.size,
        channels=plan.channels,
        skipped=tuple(skipped),
        notes=tuple(notes),
        seconds=time.perf_counter() - start,
    )
