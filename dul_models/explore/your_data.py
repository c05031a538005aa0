"""What the "Your data" page computes: an upload (a zip, a folder, many images) staged in a temporary
folder, planned (the preview, nothing written), imported, and the imported sets listed and removed.

Uploads arrive as (name, bytes). They are written to a temporary folder only for the call that needs
them and removed when it ends (also on an error or a cancel), so the library's import reads a real folder
or zip with its own safety checks. A folder upload keeps its relative paths, so class subfolders survive;
a name that would escape the folder (`..`, an absolute path) refuses the whole upload before anything is
written.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import torch

from dul_models.core.errors import ConfigError
from dul_models.data.image_sources import ImportSourceError
from dul_models.data.import_plan import CHANNELS, MIN_IMAGES, SIZES, ImportOptions, ImportPlan
from dul_models.data.imported import (
    ImportReport,
    ImportStorageError,
    list_imported,
    plan_import,
    remove_imported,
    run_import,
)
from dul_models.data.imported_sets import MAX_NAME_LENGTH, check_name, imported_root
from dul_models.data.registry import to_float

__all__ = [
    "CHANNELS",
    "MIN_IMAGES",
    "SIZES",
    "TEST_SHARE_RANGE",
    "ImportOptions",
    "ImportReport",
    "UploadPreview",
    "import_upload",
    "imported_sets",
    "preview_upload",
    "remove_set",
    "staged_upload",
    "suggested_name",
    "upload_path",
]

Upload = tuple[str, bytes]  # (the browser's file name, relative to the chosen folder; its bytes)

TEST_SHARE_RANGE = (0.05, 0.5)  # what ImportOptions accepts
UPLOAD_FOLDER = "uploaded images"  # the staged folder of a folder or many-images upload
FALLBACK_NAME = "my-images"
MAX_PREVIEW_CLASSES = 16  # classes with images on the page; the counts table lists every class
MAX_SKIPPED_SHOWN = 500  # skipped files named on the page; all are counted


def upload_path(name: str) -> str:
    """The uploaded file's path inside the staging folder ("pets/cats/1.png" keeps its folders); a name
    that would escape the folder is an `ImportSourceError`, so nothing is written anywhere else."""
    path = name.replace("\\", "/")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path) or ".." in parts or "\0" in path:
        raise ImportSourceError(
            f"the upload is refused: the file name {name!r} points outside its folder ('..' or an absolute "
            "path); upload the images or their folder themselves"
        )
    if not parts:
        raise ImportSourceError(f"the upload is refused: a file has no usable name ({name!r})")
    return "/".join(parts)


def _is_zip(files: Sequence[Upload]) -> bool:
    return len(files) == 1 and (files[0][0].lower().endswith(".zip") or files[0][1][:4] == b"PK\x03\x04")


def _free(path: Path) -> Path:
    """`path`, or "name (2).png", "name (3).png", ... when a file of that name was uploaded already."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem} ({number}){path.suffix}")
    return candidate


@contextlib.contextmanager
def staged_upload(files: Sequence[Upload]) -> Iterator[Path]:
    """The upload written to a temporary folder, as the zip or folder to import; deleted when the block
    ends. One `.zip` file is imported as a zip; anything else as a folder with the files' relative paths
    (a folder shared by every file, as a directory upload gives, is the source itself)."""
    if not files:
        raise ImportSourceError("nothing was uploaded: choose a .zip, a folder or images first")
    paths = [upload_path(name) for name, _ in files]  # every name checked before a byte is written
    with tempfile.TemporaryDirectory(prefix="dul-upload-") as tmp:
        try:
            if _is_zip(files):
                source = Path(tmp) / PurePosixPath(paths[0]).name
                source.write_bytes(files[0][1])
            else:
                source = Path(tmp) / UPLOAD_FOLDER
                for path, (_, content) in zip(paths, files, strict=True):
                    target = _free(source.joinpath(*path.split("/")))
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(content)
                tops = {path.split("/")[0] for path in paths}
                if len(tops) == 1 and all("/" in path for path in paths):
                    source = source / tops.pop()
        except OSError as exc:
            raise ImportStorageError(
                f"could not keep the upload in a temporary folder ({exc.strerror or exc}); free some disk "
                f"space in {tempfile.gettempdir()} and try again"
            ) from exc
        yield source


def suggested_name(file_names: Sequence[str]) -> str:
    """A free data-set name from the upload: the zip's or the folder's name, else "my-images"."""
    paths = [name.replace("\\", "/").strip("/") for name in file_names]
    if len(paths) == 1 and paths[0].lower().endswith(".zip"):
        base = PurePosixPath(paths[0]).stem
    elif paths and all("/" in p for p in paths) and len({p.split("/")[0] for p in paths}) == 1:
        base = paths[0].split("/")[0]
    else:
        base = FALLBACK_NAME
    base = re.sub(r"[^\w \-]+", "-", base).strip(" -_.")[: MAX_NAME_LENGTH - 4] or FALLBACK_NAME
    try:
        check_name(base)
    except ConfigError:  # a built-in set's name
        base = f"my-{base}"[: MAX_NAME_LENGTH - 4]
    name, number = base, 1
    while (imported_root() / name).exists():
        number += 1
        name = f"{base}-{number}"
    return name


@dataclass(frozen=True)
class UploadPreview:
    """What importing the upload would make, before anything is written."""

    source: str  # the zip's or folder's name
    labelled: bool
    total: int  # images to import
    counts: list[dict[str, Any]]  # {class, images}, every class; [] when unlabelled
    smallest_class: int | None
    size: int  # pixels, square
    channels: int  # 1 greyscale, 3 colour
    skipped_count: int
    skipped: list[dict[str, str]]  # {file, why}: the first MAX_SKIPPED_SHOWN
    notes: tuple[str, ...]
    previews: dict[str, torch.Tensor]  # class ("" when unlabelled) → (n, C, H, W) floats in [0, 1], as stored


def _as_preview(plan: ImportPlan) -> UploadPreview:
    previews = dict(list(plan.previews.items())[:MAX_PREVIEW_CLASSES])
    return UploadPreview(
        source=plan.source.name,
        labelled=plan.labelled,
        total=plan.total,
        counts=[{"class": name, "images": count} for name, count in plan.counts.items()],
        smallest_class=plan.smallest_class,
        size=plan.size,
        channels=plan.channels,
        skipped_count=len(plan.skipped),
        skipped=[{"file": path, "why": why} for path, why in plan.skipped[:MAX_SKIPPED_SHOWN]],
        notes=plan.notes,
        previews={name: to_float(torch.from_numpy(images)) for name, images in previews.items()},
    )


def preview_upload(files: Sequence[Upload], options: ImportOptions) -> UploadPreview:
    """Plan the import of an upload (names, headers and a few previews read; nothing kept)."""
    with staged_upload(files) as source:
        return _as_preview(plan_import(source, options))


def import_upload(
    files: Sequence[Upload],
    options: ImportOptions,
    *,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ImportReport:
    """Import an upload as the data set `options.name`; `progress(done, total)` follows the conversion.
    A failure or a cancel leaves neither the set nor the staged upload behind."""
    with staged_upload(files) as source:
        return run_import(plan_import(source, options), progress=progress, should_stop=should_stop)


def imported_sets() -> list[dict[str, Any]]:
    """One row per imported set: its name, counts, whether it has labels, its images and when it came."""
    return [
        {
            "name": entry.name,
            "images": entry.n_train + entry.n_test,
            "train": entry.n_train,
            "test": entry.n_test,
            "labelled": entry.labelled,
            "classes": len(entry.classes),
            "pixels": f"{entry.size}×{entry.size} {'colour' if entry.channels == 3 else 'greyscale'}",
            "created": entry.created.replace("T", " ")[:16],
            "from": Path(entry.source).name,
        }
        for entry in list_imported()
    ]


def remove_set(name: str) -> None:
    """Delete the imported set `name` (a built-in or unknown name is a DULError saying so)."""
    remove_imported(name)
