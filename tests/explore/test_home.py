"""dul_models.explore.home: the Home page's class gallery and its "where things run" facts, checked
against the dataset and the runs folder directly."""

from __future__ import annotations

import torch

from dul_models.core.devices import pick_device
from dul_models.data import to_float
from dul_models.explore import home as explore
from dul_models.runs.checkpoints import list_runs


def test_gallery_rows_are_each_classes_first_training_images(digits):
    gallery = explore.dataset_gallery(digits, 3)
    c, h, w = digits.image_shape
    assert gallery.images.shape == (digits.num_classes * 3, c, h, w) and gallery.per_class == 3
    for label in range(digits.num_classes):
        first = torch.nonzero(digits.train.y == label).flatten()[:3]
        assert torch.equal(gallery.images[label * 3 : label * 3 + 3], to_float(digits.train.x[first]))


def test_gallery_counts_each_class_in_both_splits(digits):
    counts = explore.dataset_gallery(digits, 4).counts
    assert [row["class"] for row in counts] == list(digits.class_names)
    for label, row in enumerate(counts):
        assert row["train"] == int((digits.train.y == label).sum())
        assert row["test"] == int((digits.test.y == label).sum())
    assert sum(r["train"] for r in counts) == len(digits.train)


def test_environment_names_the_device_torch_and_the_datasets_runs():
    env = explore.environment("cpu", "mnist5k")
    assert env.device == "cpu" and env.torch_version == torch.__version__
    assert explore.environment("auto", "mnist5k").device == pick_device("auto").type
    runs = list_runs(dataset="mnist5k")
    assert [r["folder"] for r in env.runs] == [str(r.path) for r in runs] and runs
    assert env.bundled == sum(r.bundled for r in runs) > 0
    first = runs[0]
    assert env.runs[0] == {
        "run": first.title or first.name,
        "family": first.family,
        "step": first.step,
        "bundled": first.bundled,
        "folder": str(first.path),
    }


def test_environment_of_a_dataset_without_runs_is_empty():
    env = explore.environment("cpu", "no-such-dataset")
    assert env.runs == [] and env.bundled == 0
