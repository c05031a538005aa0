"""Omniglot (Lake, Salakhutdinov & Tenenbaum, Science 2015) through torchvision, for users who are online.

1,623 handwritten characters from 50 alphabets, each drawn once by 20 people: the few-shot benchmark that
`glyphs` stands in for offline. torchvision ships two archives: the *background* set (964 characters of
30 alphabets) and the *evaluation* set (659 characters of 20 other alphabets). Here they become one
dataset with every character a class (background first), images resized from 105×105 to 28×28 (as
Vinyals et al. and Snell et al. did) and inverted to a white pen on black like every other set here; the
few-shot split (`data/episodes.py`) keeps the evaluation alphabets as the novel classes, so test
characters come from alphabets no model trained on. The resized arrays are cached in the data folder.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from dul_models.core.errors import DatasetUnavailableError
from dul_models.data.downloadable import _FAILURES, _READ_FAILURES, _fetch, _network_hint, _short_cause
from dul_models.data.loading import make_split, save_cache, stratified_split
from dul_models.data.registry import ImageDataset, embedded_names

SIZE = 28
PER_CLASS = 20  # drawers per character
PARTS = ("images_background", "images_evaluation")
CACHE_NAME = f"omniglot_{SIZE}.npz"


def _ensure_part(folder: Path, part: str) -> None:
    """Fetch and unpack one archive unless its folder is already there."""
    import torchvision.datasets
    from torchvision.datasets.utils import extract_archive

    if (folder / part).is_dir():
        return
    folder.mkdir(parents=True, exist_ok=True)
    info = torchvision.datasets.Omniglot
    archive = folder / f"{part}.zip"
    _fetch(f"{info.download_url_prefix}/{part}.zip", archive, info.zips_md5[part])
    extract_archive(str(archive), str(folder))


def _read(folder: Path) -> dict[str, np.ndarray]:
    """Every character of both parts, resized and inverted: images (N, 1, 28, 28), labels, class names."""
    import torchvision.datasets
    from PIL import Image

    images, labels, names = [], [], []
    for part in PARTS:
        dataset = torchvision.datasets.Omniglot(
            str(folder.parent), background=part == PARTS[0], download=False
        )
        offset = len(names)
        names += [c.replace("/", " · ") for c in dataset._characters]
        for image, label in dataset:  # PIL "L" images, black ink on white
            small = image.convert("L").resize((SIZE, SIZE), Image.Resampling.BOX)
            images.append(255 - np.asarray(small, dtype=np.uint8))
            labels.append(offset + int(label))
    return {
        "images": np.stack(images)[:, None],
        "labels": np.asarray(labels, dtype=np.int64),
        "names": np.asarray(names),
    }


def load_omniglot(root: Path) -> ImageDataset:
    """Omniglot in memory (downloaded once under the data folder), 15 / 5 images per character split."""
    folder = Path(root) / "torchvision" / "omniglot-py"
    offline_hint = (
        f"Embedded datasets that need no download: {', '.join(embedded_names())} (glyphs plays Omniglot's "
        f"role offline). To use omniglot offline, place torchvision's files under {folder}."
    )
    cache = Path(root) / CACHE_NAME
    if not cache.exists():
        try:
            for part in PARTS:
                _ensure_part(folder, part)
        except _FAILURES as exc:
            raise DatasetUnavailableError(
                f"could not download 'omniglot'{_network_hint(exc)}: {_short_cause(exc)}. {offline_hint}"
            ) from exc
    try:
        arrays = _cached(cache, folder)
    except _READ_FAILURES as exc:
        raise DatasetUnavailableError(
            f"could not read the 'omniglot' files under {folder}: {_short_cause(exc)}. "
            f"Delete that folder to download them again. {offline_hint}"
        ) from exc
    images, labels = arrays["images"], arrays["labels"]
    train_idx, test_idx = stratified_split(labels, test_size=0.25, seed=0)
    return ImageDataset(
        name="omniglot",
        train=make_split(images, labels, train_idx),
        test=make_split(images, labels, test_idx),
        class_names=tuple(str(n) for n in arrays["names"]),
        title="Omniglot",
        source="Omniglot handwritten characters (Lake, Salakhutdinov & Tenenbaum 2015), through torchvision.",
        licence="MIT licence (Brenden Lake).",
        has_labels=True,
        embedded=False,
    )


def _cached(cache: Path, folder: Path) -> dict[str, np.ndarray]:
    """The resized arrays from the cache, or read from the unpacked archives and cached (atomically).

    Not `cached_npz`: the counts are only known after reading, and a damaged cache is simply rebuilt."""
    if cache.exists():
        try:
            with np.load(cache, allow_pickle=False) as stored:
                arrays = {key: stored[key] for key in ("images", "labels", "names")}
            if arrays["images"].shape[0] == arrays["labels"].shape[0] and arrays["labels"].max() < len(
                arrays["names"]
            ):
                return arrays
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            pass  # derived data: read the archives again
    arrays = _read(folder)
    save_cache(cache, arrays)
    return arrays
