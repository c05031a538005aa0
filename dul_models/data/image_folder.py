"""A folder or a zip of images as a data set's raw material: which files are images, which labels the
layout gives them, and each image decoded to the square uint8 array a data set stores.

The layout is the one people already know (torchvision's `ImageFolder`, Hugging Face's `imagefolder`):
class subfolders at the top → labelled; a flat folder → unlabelled; an optional `metadata.csv`
(`file_name,label`) overrides folder labels. Decoding is the uploads' (`data/uploads.py`): byte and pixel
limits, EXIF rotation, transparency on white, 16-bit greys scaled. Reading the folder or zip safely is
`data/image_sources.py`'s job; nothing here writes to disk.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

import numpy as np
from PIL import Image

from dul_models.core.errors import ImageInputError
from dul_models.data.image_sources import FolderSource, ImportSourceError, SourceFile, ZipSource
from dul_models.data.uploads import as_array, check_file_size, load_oriented, normalised, open_header

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".gif", ".bmp", ".dib", ".webp")
METADATA_FILE = "metadata.csv"

# One image: the uploads' checks, with room for a phone photo.
MAX_IMAGE_BYTES = 50_000_000  # a 48-megapixel phone JPEG is 10-25 MB; a larger file is no data-set photo
MAX_IMAGE_PIXELS = 64_000_000  # a 48-megapixel photo fits; decoded whole (PNG) it is ~200 MB, one at a time
MAX_METADATA_BYTES = 50_000_000  # a file_name,label row is ~40 bytes: a million rows fit

_GREY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"}
_NOT_IMAGE = f"not an image (expected {', '.join(IMAGE_SUFFIXES)})"


# ---------------------------------------------------------------------------------------------------
# Layout: which files are images, and their labels
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """What a source holds, read from names and image headers only."""

    files: tuple[tuple[str, str | None], ...]  # (path in the source, label or None), sorted by path
    skipped: tuple[tuple[str, str], ...]  # (path, why)
    notes: tuple[str, ...]  # sentences about the layout, for the plan
    all_grey: bool  # every image is greyscale by its header
    smaller_side: int  # the smallest shorter side among the images, in pixels


def _top(files: list[SourceFile]) -> str:
    """The folder the layout starts in: a lone wrapper folder (what zipping a folder makes) is stepped into
    when it holds folders; a lone folder holding only images is one class, not a wrapper."""
    prefix = ""
    while True:
        inside = [f.path[len(prefix) :] for f in files if f.path.startswith(prefix)]
        folders = {rel.split("/", 1)[0] for rel in inside if "/" in rel}
        if len(folders) != 1 or any("/" not in rel for rel in inside):
            return prefix
        only = folders.pop() + "/"
        if not any("/" in rel[len(only) :] for rel in inside):
            return prefix
        prefix += only


def _read_metadata(source: FolderSource | ZipSource, path: str) -> tuple[dict[str, str], list[str]]:
    """file_name → label from metadata.csv, and notes about the rows that were ignored."""
    try:
        raw = source.read(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ImportSourceError(f"could not read {path}: {exc}") from None
    if len(raw) > MAX_METADATA_BYTES:
        raise ImportSourceError(
            f"{path} is {len(raw) / 1e6:.0f} MB; the limit is {MAX_METADATA_BYTES / 1e6:g} MB"
        )
    try:
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ImportSourceError(
            f"{path} is not a readable UTF-8 CSV file ({exc}); save it as CSV UTF-8"
        ) from None
    if not rows or not {"file_name", "label"} <= set(rows[0]):
        raise ImportSourceError(
            f"{path} needs a header line with the columns file_name and label (then one row per image); "
            "fix it, or remove it to use the folder names as labels"
        )
    labels: dict[str, str] = {}
    blank = duplicated = 0
    for row in rows:
        name = (row["file_name"] or "").strip().replace("\\", "/").removeprefix("./")
        label = (row["label"] or "").strip()
        if not name or not label:
            blank += 1
        elif name in labels:
            duplicated += 1
        else:
            labels[name] = label
    notes = [f"{path}: {blank} rows without a file name or label were ignored"] if blank else []
    notes += [f"{path}: {duplicated} repeated file names kept their first label"] if duplicated else []
    return labels, notes


def image_is_grey(image: Image.Image) -> bool:
    """Greyscale by the header alone: a grey mode, or a palette whose every colour is a grey."""
    if image.mode in _GREY_MODES:
        return True
    if image.mode in ("P", "PA"):
        palette = image.getpalette() or []
        return bool(palette) and all(
            palette[i] == palette[i + 1] == palette[i + 2] for i in range(0, len(palette), 3)
        )
    return False


def read_header(source: FolderSource | ZipSource, path: str) -> tuple[int, int, bool]:
    """(width, height, grey) from the header; an unreadable image is an `ImageInputError`."""
    try:
        with source.open(path) as handle:
            image = open_header(handle, MAX_IMAGE_PIXELS)
            return image.width, image.height, image_is_grey(image)
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        raise ImageInputError(f"could not be read ({exc})") from None


def scan_layout(source: FolderSource | ZipSource) -> Layout:
    """Files, labels, skipped entries and notes of a source; reads headers, decodes no pixels."""
    found, skipped = source.scan()
    top = _top(found)
    labels: dict[str, str] = {}
    notes: list[str] = []
    metadata = next((f for f in found if f.path == top + METADATA_FILE), None)
    if metadata is not None:
        labels, notes = _read_metadata(source, metadata.path)
    present = {f.path[len(top) :] for f in found}
    skipped += [
        (top + name, "listed in metadata.csv but not found") for name in labels if name not in present
    ]

    images: list[tuple[str, str | None]] = []
    greys, sides = [], []
    for f in found:  # every file is under `top`: `_top` only steps into a folder that holds them all
        rel = f.path[len(top) :]
        if f is metadata:
            continue
        if not rel.lower().endswith(IMAGE_SUFFIXES):
            skipped.append((f.path, _NOT_IMAGE))
            continue
        try:
            check_file_size(f.size, MAX_IMAGE_BYTES)
            width, height, grey = read_header(source, f.path)
        except ImageInputError as exc:
            skipped.append((f.path, str(exc)))
            continue
        images.append((f.path, labels.get(rel, rel.split("/", 1)[0] if "/" in rel else None)))
        greys.append(grey)
        sides.append(min(width, height))

    classes = sorted({label for _, label in images if label is not None})
    if len(classes) >= 2:
        unlabelled = [path for path, label in images if label is None]
        why = "not named in metadata.csv" if metadata is not None else "outside any class folder"
        skipped += [(path, f"{why}: labelled set, so it has no class") for path in unlabelled]
        keep = [label is not None for _, label in images]
        images = [item for item, k in zip(images, keep, strict=True) if k]
        greys = [g for g, k in zip(greys, keep, strict=True) if k]
        sides = [s for s, k in zip(sides, keep, strict=True) if k]
    else:
        if len(classes) == 1:  # also a zip of one flat folder: its name is no class either
            notes.append(
                f"one class only ({classes[0]!r}): imported as unlabelled; put each class in its own folder "
                "to get labels"
            )
        elif images:
            notes.append("no class folders: imported as unlabelled (one subfolder per class gives labels)")
        images = [(path, None) for path, _ in images]
    return Layout(
        files=tuple(sorted(images)),
        skipped=tuple(sorted(skipped)),
        notes=tuple(notes),
        all_grey=bool(greys) and all(greys),
        smaller_side=min(sides, default=0),
    )


# ---------------------------------------------------------------------------------------------------
# Decoding one image into what the data set stores
# ---------------------------------------------------------------------------------------------------


def decode_square(data: bytes, size: int, channels: int) -> np.ndarray:
    """(channels, size, size) uint8: the shorter side scaled to `size`, the longer one centre-cropped.

    JPEGs decode in draft mode at the smallest 1/2, 1/4 or 1/8 scale still at least `size` pixels, so a
    big photo costs a fraction of a full decode. Bad files raise `ImageInputError` with the reason.
    """
    check_file_size(len(data), MAX_IMAGE_BYTES)
    image = normalised(
        load_oriented(open_header(io.BytesIO(data), MAX_IMAGE_PIXELS), draft=(size, size)), channels
    )
    width, height = image.size
    side = min(width, height)
    box = ((width - side) / 2, (height - side) / 2, (width + side) / 2, (height + side) / 2)
    square = image.resize((size, size), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    if square.mode == "F":  # 16-bit greys, scaled to [0, 1] by `normalised`
        pixels = np.rint(as_array(square, channels) * 255.0).astype(np.uint8)  # (size, size, channels)
    else:
        pixels = np.asarray(square, dtype=np.uint8).reshape(size, size, -1)  # (size, size, 1 or 3)
    return np.ascontiguousarray(pixels.transpose(2, 0, 1))  # (channels, size, size)
