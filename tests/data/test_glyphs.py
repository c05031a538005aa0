"""Glyphs: many procedurally drawn classes, deterministic, copies of one class alike and classes apart."""

from __future__ import annotations

import numpy as np
import pytest

from dul_models.data import get_dataset, glyphs


@pytest.fixture(scope="module")
def small() -> tuple[np.ndarray, np.ndarray]:
    return glyphs.make_glyphs(num_classes=12, per_class=6, seed=0)


def test_arrays_and_labels(small) -> None:
    images, labels = small
    assert images.shape == (72, 1, 28, 28) and images.dtype == np.uint8
    assert labels.tolist() == np.repeat(np.arange(12), 6).tolist()
    ink = images.reshape(72, -1).astype(float).mean(1)
    assert (ink > 3).all() and (ink < 120).all()  # every image has strokes, none is a blot


def test_same_seed_same_images_and_class_draws_do_not_depend_on_the_class_count(small) -> None:
    images, _ = small
    again, _ = glyphs.make_glyphs(num_classes=12, per_class=6, seed=0)
    assert np.array_equal(images, again)
    fewer, _ = glyphs.make_glyphs(num_classes=3, per_class=6, seed=0)
    assert np.array_equal(fewer, images[:18])  # class i is drawn from (seed, i) alone
    other, _ = glyphs.make_glyphs(num_classes=3, per_class=6, seed=1)
    assert not np.array_equal(other, images[:18])


def test_copies_of_a_class_are_closer_than_other_classes(small) -> None:
    images, labels = small
    x = images.reshape(len(images), -1).astype(np.float32) / 255
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    similarity = x @ x.T
    same = labels[:, None] == labels[None]
    off_diagonal = ~np.eye(len(x), dtype=bool)
    assert similarity[same & off_diagonal].mean() > similarity[~same].mean() + 0.15
    assert not np.array_equal(images[0], images[1])  # each copy is redrawn, not duplicated


def test_bezier_ends_at_its_end_points() -> None:
    control = np.array([[0.1, 0.2], [0.5, 0.9], [0.8, 0.3]])
    curve = glyphs.bezier(control, 9)
    assert np.allclose(curve[0], control[0]) and np.allclose(curve[-1], control[-1])
    assert np.allclose(curve[4], 0.25 * control[0] + 0.5 * control[1] + 0.25 * control[2])  # t = 1/2


def test_registered_dataset_splits_every_class() -> None:
    dataset = get_dataset("glyphs")
    assert dataset.embedded and dataset.num_classes == glyphs.NUM_CLASSES == 400
    assert len(dataset.train) == 400 * 15 and len(dataset.test) == 400 * 5
    assert np.bincount(dataset.test.y.numpy()).tolist() == [5] * 400
    assert dataset.class_names[7] == "glyph 007"
