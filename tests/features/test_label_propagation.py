"""The label budget draw, label propagation on digit pixels and its bad inputs, and the pseudo-label gallery."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from dul_models.core.errors import ConfigError
from dul_models.data.label_budget import budget_draw, unlabelled_rows
from dul_models.explore.semi_supervised import pseudo_label_gallery
from dul_models.features.label_propagation import label_propagation, propagation_by_budget


@pytest.fixture(scope="module")
def pixels(digits):
    def flat(split):
        return split.x.flatten(1).numpy().astype(np.float32) / 255.0, split.y.numpy()

    return (*flat(digits.train), *flat(digits.test))


def test_budget_draw_is_deterministic_per_class_exact_and_nested():
    y = np.repeat(np.arange(4), 20)
    rows = budget_draw(y, 3, seed=7)
    assert np.array_equal(rows, budget_draw(y, 3, seed=7))
    assert np.bincount(y[rows], minlength=4).tolist() == [3, 3, 3, 3] and np.unique(rows).size == 12
    assert set(budget_draw(y, 1, seed=7)) <= set(rows) <= set(budget_draw(y, 10, seed=7))
    assert not np.array_equal(rows, budget_draw(y, 3, seed=8))
    assert np.array_equal(budget_draw(torch.from_numpy(y), 3, seed=7), rows)  # tensors too


@pytest.mark.parametrize(
    "y, per_class, message",
    [
        (
            np.array([0, 0, 1, 1, 1]),
            3,
            r"labels_per_class=3 is more than the 2 images of class 0; choose 1..2",
        ),
        (np.array([0, 1, -1]), 1, "needs a labelled dataset: 1 of 3 images have no label"),
        (np.array([0, 1]), 0, "labels_per_class must be an integer >= 1"),
        (np.array([], dtype=int), 1, "non-empty 1-D"),
    ],
)
def test_budget_draw_rejects_impossible_budgets(y, per_class, message):
    with pytest.raises(ConfigError, match=message):
        budget_draw(y, per_class, seed=0)


def test_unlabelled_rows_leave_out_the_labelled_and_ignore_undrawn_slots():
    assert unlabelled_rows(6, np.array([4, 1, -1])).tolist() == [0, 2, 3, 5]


def test_label_propagation_on_digit_pixels_beats_chance_by_far(pixels):
    train_x, train_y, test_x, test_y = pixels
    labelled = budget_draw(train_y, 10, seed=0)
    result = label_propagation(train_x, train_y, labelled, test_x, test_y)
    assert result.test_acc > 0.85 and result.unlabelled_acc > 0.85  # chance 0.1; measured 0.947
    assert np.array_equal(result.train_labels[labelled], train_y[labelled]) and result.n_labelled == 100
    assert result.test_labels.shape == test_y.shape and 0 < result.seconds < 30


def test_propagation_by_budget_gives_one_result_per_budget_and_checks_them_first(pixels):
    train_x, train_y, test_x, test_y = pixels
    results = propagation_by_budget(train_x, train_y, test_x, test_y, budgets=(1, 4))
    assert list(results) == [1, 4] and results[4].n_labelled == 40
    with pytest.raises(ConfigError, match="more than the"):
        propagation_by_budget(train_x, train_y, test_x, test_y, budgets=(1, 1000))


def test_label_propagation_rejects_bad_input(pixels):
    train_x, train_y, test_x, test_y = pixels
    index = budget_draw(train_y, 2, seed=0)
    broken = train_x.copy()
    broken[3, 5] = np.nan
    cases = [
        ((broken, train_y, index, test_x, test_y), {}, "contain NaN"),
        ((train_x, train_y[:-1], index, test_x, test_y), {}, r"train labels must be shaped"),
        ((train_x, train_y, index, test_x[:, :10], test_y), {}, "differ in size: 64 vs 10"),
        ((train_x, train_y, np.array([], dtype=int), test_x, test_y), {}, "no labels to spread"),
        ((train_x, train_y, np.array([0, 0]), test_x, test_y), {}, "distinct rows"),
        ((train_x, train_y, np.array([10**6]), test_x, test_y), {}, "distinct rows in 0.."),
        ((train_x, train_y, index, test_x, test_y), {"n_neighbors": 0}, "n_neighbors must be an integer"),
        ((train_x, train_y, index, test_x, test_y), {"alpha": 1.0}, r"alpha must be in \(0, 1\)"),
        ((train_x, np.full_like(train_y, -1), index, test_x, test_y), {}, "no label"),
    ]
    for args, options, message in cases:
        with pytest.raises(ConfigError, match=message):
            label_propagation(*args, **options)


class FixedClassifier(nn.Module):
    """A stand-in model whose `classify` returns given probabilities, one row per image (the image's value)."""

    def __init__(self, probabilities: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("probabilities", probabilities)
        self.config = SimpleNamespace(threshold=0.8)

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        return self.probabilities[x.flatten(1)[:, 0].round().long()]


def test_pseudo_label_gallery_orders_by_confidence_and_marks_mistakes():
    probabilities = torch.tensor([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.05, 0.95], [0.7, 0.3]])
    model = FixedClassifier(probabilities)
    images = torch.arange(5, dtype=torch.float32).view(5, 1, 1, 1)  # image i → probabilities row i
    hidden = np.array([0, 1, 1, 0, 0])
    gallery = pseudo_label_gallery(model, images, hidden, n=5)
    assert gallery.index.tolist() == [3, 0, 2, 4, 1]  # most confident first
    assert gallery.predicted.tolist() == [1, 0, 1, 0, 0]
    assert gallery.correct.tolist() == [False, True, True, True, False]
    assert gallery.above_threshold.tolist() == [True, True, True, False, False] and gallery.threshold == 0.8
    assert pseudo_label_gallery(model, images, hidden, n=2, pick="wrong").index.tolist() == [3, 1]
    assert pseudo_label_gallery(model, images, hidden, n=2, pick="uncertain").index.tolist() == [4, 1]
    assert pseudo_label_gallery(model, images, hidden, n=3, pick="random", seed=1).index.size == 3
    with pytest.raises(ConfigError, match="unknown pick 'best'; choose from: random"):
        pseudo_label_gallery(model, images, hidden, pick="best")
    with pytest.raises(ConfigError, match="n must be an integer in 1..5"):
        pseudo_label_gallery(model, images, hidden, n=6)
