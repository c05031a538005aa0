"""Planning an import of your own images: what a folder or zip would become, before anything is written.

`plan_import` reads names and image headers (and decodes the few images shown as previews) and says
what `run_import` (`data/imported.py`) would make: labelled or not, classes and their counts, what is
skipped and why, the size and channels it will use and why.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dul_models.core.errors import ConfigError, ImageInputError
from dul_models.data.image_folder import decode_square, scan_layout
from dul_models.data.image_sources import FolderSource, ImportSourceError, ZipSource, open_source
from dul_models.data.imported_sets import check_name, imported_root, taken_message

SIZES = (28, 32, 64)
CHANNELS = (1, 3)
MIN_IMAGES = 10  # fewer cannot fill a train split, a test split and one batch; no page has anything to show
PREVIEWS_PER_CLASS = 4
PREVIEWS_UNLABELLED = 8


@dataclass(frozen=True)
class ImportOptions:
    """How to import: the set's name and, optionally, its image size and channels and split."""

    name: str
    size: int | None = None  # None: 28 px for greyscale sets, 32 px for colour ones (see `_default_size`)
    channels: int | None = None  # None: 1 when every image is greyscale, else 3
    test_share: float = 0.2  # the usual 80/20 split
    seed: int = 0
    replace: bool = False  # True: a set of that name is replaced, once the new one is complete

    def __post_init__(self) -> None:
        check_name(self.name)
        if self.size is not None and (isinstance(self.size, bool) or self.size not in SIZES):
            raise ConfigError(f"size must be one of {', '.join(map(str, SIZES))} pixels, got {self.size!r}")
        if self.channels is not None and (isinstance(self.channels, bool) or self.channels not in CHANNELS):
            raise ConfigError(f"channels must be 1 (greyscale) or 3 (colour), got {self.channels!r}")
        if not isinstance(self.test_share, int | float) or not 0.05 <= self.test_share <= 0.5:
            raise ConfigError(f"test_share must be between 0.05 and 0.5, got {self.test_share!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"seed must be a whole number >= 0, got {self.seed!r}")
        if not self.replace and (imported_root() / self.name).exists():
            raise ConfigError(taken_message(self.name))


@dataclass(frozen=True, eq=False)
class ImportPlan:
    """What `run_import` will make of a source, read from names and headers (plus a few previews)."""

    source: Path
    kind: str  # "folder" or "zip"
    options: ImportOptions
    labelled: bool
    classes: tuple[str, ...]  # sorted; () when unlabelled
    counts: dict[str, int]  # images per class; {} when unlabelled
    total: int  # images to import
    smallest_class: int | None  # images in the smallest class; None when unlabelled
    size: int
    channels: int
    skipped: tuple[tuple[str, str], ...]  # (path in the source, why)
    notes: tuple[str, ...]  # sentences for the user: the layout, the size and channels chosen and why
    previews: dict[str, np.ndarray] = field(repr=False)  # class (or "" when unlabelled) → (n, C, H, W) uint8
    files: tuple[tuple[str, int], ...] = field(repr=False)  # (path in the source, class index or -1)


# ---------------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------------


def _default_size(channels: int) -> int:
    # 28 px for greyscale (MNIST's size) and 32 px for colour (CIFAR-10's): what the models' default
    # configs and the bundled baselines are tuned for, and what trains in minutes on a laptop's CPU.
    # 64 px costs four times as much per image, so it is asked for, never guessed.
    return 28 if channels == 1 else 32


def too_few(count: int, skipped: tuple[tuple[str, str], ...], source: Path) -> ImportSourceError:
    reasons = Counter(why.split(" (")[0] for _, why in skipped).most_common(3)
    why = "; ".join(f"{n} × {reason}" for reason, n in reasons) or "nothing else was found"
    found = (
        f"found no images in {source.name}" if count == 0 else f"found only {count} images in {source.name}"
    )
    return ImportSourceError(f"{found} (at least {MIN_IMAGES} are needed); skipped: {why}")


def plan_import(source: Path | str, options: ImportOptions) -> ImportPlan:
    """Scan `source` (a folder or a .zip) and say what importing it with `options` would make.

    Reads names and image headers only, plus the few images shown as previews; writes nothing.
    """
    source = Path(source).expanduser()
    reader = open_source(source)
    try:
        layout = scan_layout(reader)
        if len(layout.files) < MIN_IMAGES:
            raise too_few(len(layout.files), layout.skipped, source)
        classes = tuple(sorted({label for _, label in layout.files if label is not None}))
        per_class = Counter(label for _, label in layout.files)
        counts = {name: per_class[name] for name in classes}
        if classes and max(counts.values()) < 2:
            raise ImportSourceError(
                "every class has a single image, so no test split is possible; add images to the classes"
            )
        notes = list(layout.notes)
        channels = options.channels or (1 if layout.all_grey else 3)
        if options.channels is None:
            notes.append(
                "greyscale: every image is greyscale" if channels == 1 else "colour: some images have colour"
            )
        elif channels == 1 and not layout.all_grey:
            notes.append("colour images will be converted to greyscale")
        size = options.size or _default_size(channels)
        if options.size is None:
            notes.append(
                f"{size}×{size} pixels: the usual size for {'greyscale' if channels == 1 else 'colour'} sets"
            )
        if layout.smaller_side < size:
            notes.append(
                f"some images are smaller than {size} pixels and will be enlarged (and look blurred)"
            )
        notes += [
            f"class {name!r} has a single image: it goes to the train split only"
            for name, count in counts.items()
            if count == 1
        ]
        index = {name: i for i, name in enumerate(classes)}
        files = tuple((path, index[label] if label is not None else -1) for path, label in layout.files)
        previews = _previews(reader, files, classes, size, channels)
    finally:
        reader.close()
    return ImportPlan(
        source=source,
        kind=reader.kind,
        options=options,
        labelled=bool(classes),
        classes=classes,
        counts=counts,
        total=len(files),
        smallest_class=min(counts.values()) if counts else None,
        size=size,
        channels=channels,
        skipped=layout.skipped,
        notes=tuple(notes),
        previews=previews,
        files=files,
    )


def _previews(
    reader: FolderSource | ZipSource,
    files: tuple[tuple[str, int], ...],
    classes: tuple[str, ...],
    size: int,
    channels: int,
) -> dict[str, np.ndarray]:
    """The first few images of each class (or of the set) exactly as they will be stored."""
    groups = {name: [path for path, label in files if label == i] for i, name in enumerate(classes)}
    groups = groups or {"": [path for path, _ in files]}
    wanted = PREVIEWS_PER_CLASS if classes else PREVIEWS_UNLABELLED
    previews = {}
    for name, paths in groups.items():
        arrays = []
        for path in paths[: wanted + 4]:  # a few spares for files that turn out damaged
            try:
                arrays.append(decode_square(reader.read(path), size, channels))
            except (ImageInputError, OSError, zipfile.BadZipFile):
                continue
            if len(arrays) == wanted:
                break
        previews[name] = np.stack(arrays) if arrays else np.zeros((0, channels, size, size), np.uint8)
    return previews
