"""Colour patches cut from the photographs that ship inside scikit-image and scikit-learn.

Every other embedded set is grey; colourisation and colour augmentations need real colour offline. Eight
RGB photographs are installed with scikit-image (six) and scikit-learn (two), so no download is needed.
Each photo is resized (Lanczos) to several short sides and cut on a regular grid of 32×32 patches; flat
patches are dropped and exactly `PER_PHOTO` are kept per photo, evenly spread over the grid, so the classes
(the source photo) are balanced. Patches of one photo overlap (stride 16, six scales), so the random 80/20
split puts near-duplicates on both sides: fine for colour and reconstruction, optimistic for probes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from dul_models.core.errors import DatasetUnavailableError
from dul_models.data.loading import cached_npz, make_split, stratified_split
from dul_models.data.registry import ImageDataset

PATCH = 32
STRIDE = 16
SHORT_SIDES = (128, 160, 192, 224, 256, 288)  # every photo's short side is at least 300 px: no upsampling
PER_PHOTO = 512
MIN_GREY_STD = 8.0  # patches flatter than this (grey levels 0..255) are dropped
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601 grey
CACHE_NAME = "photos_v1.npz"  # bump when the recipe above changes, so an old cache is not reused

# (class name, scikit-image function or scikit-learn file); the order fixes the label of each photo
PHOTOS: tuple[tuple[str, str], ...] = (
    ("astronaut", "skimage:astronaut"),
    ("chelsea (cat)", "skimage:chelsea"),
    ("coffee", "skimage:coffee"),
    ("rocket", "skimage:rocket"),
    ("immunohistochemistry", "skimage:immunohistochemistry"),
    ("retina", "skimage:retina"),
    ("china (temple)", "sklearn:china.jpg"),
    ("flower", "sklearn:flower.jpg"),
)
PHOTO_NAMES = tuple(name for name, _ in PHOTOS)


def _read(ref: str) -> np.ndarray:
    """One photo as uint8 (H, W, 3), from the files installed with the package (never a download)."""
    package, item = ref.split(":")
    if package == "skimage":
        import skimage.data  # here: scikit-image is only needed when the cache is built

        reader: Callable[[], np.ndarray] = getattr(skimage.data, item)
        return reader()
    from sklearn.datasets import load_sample_image

    return load_sample_image(item)


def _patches(photo: np.ndarray) -> np.ndarray:
    """Every non-flat 32×32 patch of `photo` at each short side in `SHORT_SIDES`: uint8 (N, 3, 32, 32)."""
    from numpy.lib.stride_tricks import sliding_window_view
    from PIL import Image

    image = Image.fromarray(photo)
    height, width = photo.shape[:2]
    found = []
    for side in SHORT_SIDES:
        scale = side / min(height, width)
        size = (round(width * scale), round(height * scale))
        resized = np.asarray(image.resize(size, Image.Resampling.LANCZOS))  # (h, w, 3)
        windows = sliding_window_view(resized, (PATCH, PATCH), axis=(0, 1))[::STRIDE, ::STRIDE]
        patches = windows.reshape(-1, 3, PATCH, PATCH)  # row-major over the grid, channels first
        grey = np.einsum("nchw,c->nhw", patches.astype(np.float32), LUMA)
        found.append(patches[grey.reshape(len(patches), -1).std(axis=1) >= MIN_GREY_STD])
    return np.concatenate(found)


def make_photos() -> tuple[np.ndarray, np.ndarray]:
    """All patches: images uint8 (len(PHOTOS) × PER_PHOTO, 3, 32, 32) and labels int64 (the photo index).

    Deterministic: the same installed photos give identical arrays. Stored by photo, then scale, then grid.
    """
    images, labels = [], []
    for label, (name, ref) in enumerate(PHOTOS):
        try:
            photo = _read(ref)
        except (OSError, ValueError, ImportError) as exc:
            raise DatasetUnavailableError(
                f"cannot read the sample photo {name!r} ({ref}) from the installed package: {exc}; "
                "reinstall the pinned scikit-image and scikit-learn (requirements.txt)"
            ) from exc
        patches = _patches(np.ascontiguousarray(photo[..., :3], dtype=np.uint8))
        if len(patches) < PER_PHOTO:
            raise DatasetUnavailableError(
                f"the sample photo {name!r} gives only {len(patches)} patches, fewer than {PER_PHOTO}; "
                "is the installed scikit-image or scikit-learn the pinned version?"
            )
        keep = np.linspace(0, len(patches) - 1, PER_PHOTO).round().astype(np.int64)  # evenly spread
        images.append(patches[keep])
        labels.append(np.full(PER_PHOTO, label, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def load_photos(root: Path) -> ImageDataset:
    """The colour patches with a deterministic stratified 80/20 split, (N, 3, 32, 32) uint8."""
    count = len(PHOTOS) * PER_PHOTO

    def build() -> dict[str, np.ndarray]:
        images, labels = make_photos()
        return {"images": images, "labels": labels}

    arrays = cached_npz(
        Path(root) / CACHE_NAME,
        {"images": ((count, 3, PATCH, PATCH), np.uint8), "labels": ((count,), np.int64)},
        build,
    )
    images, labels = arrays["images"], arrays["labels"]
    train_idx, test_idx = stratified_split(labels, test_size=0.2, seed=0)
    return ImageDataset(
        name="photos",
        train=make_split(images, labels, train_idx),
        test=make_split(images, labels, test_idx),
        class_names=PHOTO_NAMES,
        title="Photos (colour patches)",
        source=(
            "32×32 patches cut by dul_models from the sample photographs shipped with scikit-image "
            "(skimage.data: astronaut, chelsea, coffee, rocket, immunohistochemistry, retina) and "
            "scikit-learn (sklearn.datasets.load_sample_images: china, flower)."
        ),
        licence=(
            "scikit-image photos: astronaut (NASA) and rocket (SpaceX) public domain; chelsea, coffee "
            "and retina CC0; immunohistochemistry 'no known copyright restrictions'. scikit-learn "
            "photos: china.jpg (danielbuechele) and flower.jpg (vultilion) on Flickr, CC BY 2.0."
        ),
        has_labels=True,
        embedded=True,
    )
