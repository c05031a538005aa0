from __future__ import annotations

import numpy as np
import pytest
import torch

from dul_models.data import ImageDataset, Split, to_float
from dul_models.data.gallery import UNLABELLED, class_gallery, class_name, label_counts


def tiny_dataset() -> ImageDataset:
    """Class 0 has three training images, class 1 only one; pixel values say which image is which."""
    x = torch.arange(4, dtype=torch.uint8).mul(50).reshape(4, 1, 1, 1).expand(4, 1, 2, 2).contiguous()
    train = Split(x=x, y=torch.tensor([0, 1, 0, 0]))
    test = Split(x=x[:2].clone(), y=torch.tensor([1, 1]))
    return ImageDataset(
        name="tiny",
        train=train,
        test=test,
        class_names=("zero", "one"),
        title="Tiny",
        source="a test",
        licence="none",
        has_labels=True,
        embedded=True,
    )


def test_class_gallery_rows_are_classes_padded_with_blanks():
    data = tiny_dataset()
    images, counts = class_gallery(data, per_class=2)
    assert images.shape == (4, 1, 2, 2) and images.dtype == torch.float32
    x = to_float(data.train.x)
    assert torch.equal(images[0], x[0]) and torch.equal(images[1], x[2])  # first two of class 0
    assert torch.equal(images[2], x[1])  # class 1's only image
    assert torch.equal(images[3], torch.zeros(1, 2, 2))  # the blank pad
    assert counts == [{"class": "zero", "train": 3, "test": 0}, {"class": "one", "train": 1, "test": 2}]


def test_class_gallery_on_a_real_dataset(digits):
    images, counts = class_gallery(digits, per_class=3)
    assert images.shape == (30, 1, 8, 8)
    assert 0.0 <= float(images.min()) and float(images.max()) <= 1.0
    assert sum(row["train"] for row in counts) == len(digits.train)
    assert sum(row["test"] for row in counts) == len(digits.test)
    with pytest.raises(ValueError, match="at least 1"):
        class_gallery(digits, per_class=0)


def test_label_counts_largest_first_with_shares():
    rows = label_counts([7, 1, 7, 7, 1, 2, -1], ["0", "1", "2", "3", "4", "5", "6", "7"])
    assert [(r["label"], r["count"]) for r in rows] == [("7", 3), ("1", 2), (UNLABELLED, 1), ("2", 1)]
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    assert rows[0]["share"] == pytest.approx(3 / 7)
    assert label_counts(torch.tensor([], dtype=torch.long), ["a"]) == []


def test_class_name_names_known_labels_and_says_what_the_others_are():
    names = ["cat", "dog"]
    assert class_name(names, 1) == "dog" and class_name(names, np.int64(0)) == "cat"
    assert class_name(names, -1) == "-1" and class_name(names, 7) == "7"  # a cluster id or HDBSCAN's noise
    assert class_name(names, -1, UNLABELLED) == UNLABELLED
