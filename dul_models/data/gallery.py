"""Class galleries and label counts: what a page shows to say "this is the data" and "this is a selection".

`class_gallery` lays out a few training images of every class, one row each (padded with blank images
when a class has fewer), with a train/test count per class; `label_counts` counts the labels of any
subset (a box or lasso selection on an embedding map), largest first, with each label's share.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from dul_models.data.registry import ImageDataset, to_float

UNLABELLED = "unlabelled"  # the name shown for label -1 (and for labels outside the class list)


def class_name(class_names: Sequence[str], label: int, missing: str | None = None) -> str:
    """The name of a label, or `missing` (default: the number itself) for −1 and labels outside the list."""
    label = int(label)
    if 0 <= label < len(class_names):
        return class_names[label]
    return str(label) if missing is None else missing


UNLABELLED_ROWS = 4  # rows of images shown for a set without classes (one row per class otherwise)


def class_gallery(dataset: ImageDataset, per_class: int) -> tuple[torch.Tensor, list[dict]]:
    """(K·per_class, C, H, W) float images in [0, 1], row k = the first `per_class` training images of
    class k (blank = zeros where a class has fewer), and rows {class, train, test} counting each class."""
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}")
    if not dataset.class_names:  # an unlabelled set: its first training images, four rows' worth
        picked = to_float(dataset.train.x[: UNLABELLED_ROWS * per_class])  # (≤ 4·per_class, C, H, W)
        return picked, [{"class": UNLABELLED, "train": len(dataset.train), "test": len(dataset.test)}]
    rows, counts = [], []
    blank = torch.zeros(per_class, *dataset.image_shape)  # (per_class, C, H, W)
    for index, name in enumerate(dataset.class_names):
        members = torch.nonzero(dataset.train.y == index).flatten()
        row = blank.clone()
        picked = to_float(dataset.train.x[members[:per_class]])  # (≤ per_class, C, H, W)
        row[: len(picked)] = picked
        rows.append(row)
        counts.append({"class": name, "train": len(members), "test": int((dataset.test.y == index).sum())})
    images = torch.cat(rows) if rows else blank[:0]
    return images, counts


def label_counts(labels: Sequence[int] | np.ndarray | torch.Tensor, class_names: Sequence[str]) -> list[dict]:
    """Rows {label, count, share} for the labels of a subset, most frequent first (ties by label order).

    `share` is the fraction of the subset (0–1); an empty subset gives no rows.
    """
    values = np.asarray(labels, dtype=np.int64).ravel()
    if values.size == 0:
        return []
    found, counts = np.unique(values, return_counts=True)
    order = np.lexsort((found, -counts))  # by count descending, then label ascending
    return [
        {
            "label": class_name(class_names, found[i], UNLABELLED),
            "count": int(counts[i]),
            "share": float(counts[i]) / values.size,
        }
        for i in order
    ]
