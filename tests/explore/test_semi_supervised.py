"""What the semi-supervised page computes (dul_models.explore.semi_supervised*), on digits and tiny models."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.data.label_budget import budget_draw
from dul_models.explore import semi_supervised as explore
from dul_models.explore import semi_supervised_propagation as propagation
from dul_models.features.label_propagation import label_propagation
from dul_models.models import build_model
from dul_models.runs.checkpoints import bundled_dir, list_runs


@pytest.fixture(scope="module")
def pixels(digits):
    def flat(split):
        return split.x.flatten(1).numpy().astype(np.float32) / 255.0

    return flat(digits.train), flat(digits.test)


@pytest.fixture(scope="module")
def semisup(digits):
    """A tiny untrained FixMatch model that has drawn its labelled rows (5 per class) from digits."""
    model = build_model(
        "semisup", {"width": 4, "labels_per_class": 5, "num_classes": 10, "image_shape": (1, 8, 8)}, seed=0
    )
    model.draw_labels(digits.train.y)
    return model.eval()


# --- the label budget ------------------------------------------------------------------------------------


def test_labelled_set_is_the_budget_draw_one_row_per_class(digits):
    labelled = explore.labelled_set(digits, 20, 3)
    rows = budget_draw(digits.train.y, 20, 3)
    assert np.array_equal(labelled.rows, rows) and labelled.shown == 16 and labelled.scale == 7
    first = rows.reshape(10, 20)[:, :16].ravel()  # the first 16 of each class, class after class
    assert torch.equal(labelled.images, to_float(digits.train.x[first]))
    assert labelled.n_unlabelled == len(digits.train.y) - 200
    assert labelled.table["index"] == rows.tolist()
    assert labelled.table["label"] == [digits.class_names[v] for v in digits.train.y.numpy()[rows]]
    assert explore.labelled_set(digits, 4, 3).shown == 4
    with pytest.raises(ConfigError, match="more than the"):
        explore.labelled_set(digits, 1000, 0)


# --- weak and strong views -------------------------------------------------------------------------------


def test_weak_strong_views_top_row_is_the_images_and_seeds_repeat(digits):
    images = to_float(digits.test.x[:20])
    settings = {"ops": 2, "magnitude": 1.0, "cutout": 0.5}
    views = explore.weak_strong_views(images, 4, digits, seed=1, **settings)
    assert views.count == 8 and views.images.shape == (24, 1, 8, 8) and views.scale == 7
    assert torch.equal(views.images[:8], images[4:12])
    again = explore.weak_strong_views(images, 4, digits, seed=1, **settings)
    other = explore.weak_strong_views(images, 4, digits, seed=2, **settings)
    assert torch.equal(views.images, again.images) and not torch.equal(views.images[16:], other.images[16:])
    assert "colour" not in views.operations and "rotate" in views.operations
    with pytest.raises(ConfigError):
        explore.weak_strong_views(images, 0, digits, ops=2, magnitude=1.0, cutout=1.5, seed=0)


def test_opening_run_is_the_bundled_fixmatch_run_unless_one_is_chosen():
    runs = list_runs("semisup", "mnist5k")
    fixmatch = [str(r.path) for r in runs if r.bundled and r.config.get("method") == "fixmatch"]
    if not fixmatch:
        pytest.skip(f"no bundled FixMatch run in {bundled_dir()}")
    assert explore.opening_run("mnist5k", None) == fixmatch[0]
    assert explore.opening_run("mnist5k", "/not/a/run") == fixmatch[0]
    others = [str(r.path) for r in runs if str(r.path) != fixmatch[0]]
    if others:
        assert explore.opening_run("mnist5k", others[0]) is None  # the user's choice stays
    assert not [r for r in list_runs("semisup", "digits") if r.bundled]
    assert explore.opening_run("digits", None) is None  # no bundled run there: the picker's first


# --- the pseudo-label gallery ----------------------------------------------------------------------------


@pytest.mark.parametrize("pick", explore.GALLERY_PICKS)
def test_pseudo_label_view_shows_only_unlabelled_images_split_right_and_wrong(semisup, digits, pick):
    gallery = explore.pseudo_label_view(semisup, digits, pick, 12, seed=0)
    labelled = set(semisup.labelled_index.tolist())
    rows = np.array(gallery.table["index"])
    assert gallery.n_unlabelled == len(digits.train.y) - 50 and not labelled & set(rows.tolist())
    assert gallery.count == len(rows) <= 12 and torch.equal(gallery.images, to_float(digits.train.x[rows]))
    confidence = np.asarray(gallery.table["confidence"])
    assert np.all(np.diff(confidence) <= 0)  # most confident first
    hidden = digits.train.y.numpy()[rows]
    correct = np.array(gallery.table["correct"])
    assert gallery.table["hidden_label"] == [digits.class_names[v] for v in hidden]
    assert np.array_equal(
        correct, np.array(gallery.table["pseudo_label"]) == np.array(gallery.table["hidden_label"])
    )
    right_images, right_captions = gallery.right
    wrong_images, wrong_captions = gallery.wrong
    assert len(right_captions) == int(correct.sum()) and len(wrong_captions) == int((~correct).sum())
    assert torch.equal(right_images, gallery.images[torch.as_tensor(correct)])
    assert not any(" · is " in c for c in right_captions) and all(" · is " in c for c in wrong_captions)
    assert np.array_equal(gallery.table["above_threshold"], confidence >= gallery.threshold)
    if pick == "wrong":
        assert not correct.any()


def test_gallery_captions_round_the_confidence_down():
    found = explore.PseudoLabels(
        index=np.array([0, 1]),
        predicted=np.array([3, 4]),
        confidence=np.array([0.9496, 0.99]),
        correct=np.array([True, False]),
        above_threshold=np.array([False, True]),
        threshold=0.95,
    )
    captions = explore._captions(found, np.array([3, 7]), tuple("0123456789"))
    assert captions == ["3 (0.94, < τ)", "4 (0.99) · is 7"]


# --- label propagation and the budget chart --------------------------------------------------------------


def test_propagate_labels_matches_the_library_and_marks_the_given_labels(pixels, digits):
    train, test = pixels
    view = propagation.propagate_labels(train, test, digits, 5, 2, 10)
    labelled = budget_draw(digits.train.y, 5, 2)
    expected = label_propagation(train, digits.train.y.numpy(), labelled, test, digits.test.y.numpy())
    assert view.result.test_acc == pytest.approx(expected.test_acc) and np.array_equal(
        view.labelled, labelled
    )
    by_label, by_right = view.colours["propagated label"], view.colours["right or wrong"]
    assert set(by_label[labelled]) == {propagation.GIVEN} == set(by_right[labelled])
    rest = np.setdiff1d(np.arange(len(train)), labelled)
    right = expected.train_labels[rest] == digits.train.y.numpy()[rest]
    assert np.array_equal(by_right[rest] == "right", right)
    assert list(by_label[rest]) == [digits.class_names[v] for v in expected.train_labels[rest]]
    n, m = len(train), len(test)
    assert len(view.table["split"]) == n + m and view.table["split"].count("test") == m
    assert sum(view.table["given"]) == len(labelled) and view.table["index"][n] == 0


def test_training_map_is_two_dimensional(pixels):
    assert propagation.training_map(pixels[0]).shape == (len(pixels[0]), 2)


def test_propagation_curve_has_one_row_per_budget(pixels, digits):
    train, test = pixels
    rows = propagation.propagation_curve(train, test, digits, 0, 10, "raw pixels")
    assert [r["labels_per_class"] for r in rows] == list(propagation.CURVE_BUDGETS)
    assert {r["method"] for r in rows} == {"label propagation (raw pixels, recomputed here)"}
    four = label_propagation(
        train, digits.train.y.numpy(), budget_draw(digits.train.y, 4, 0), test, digits.test.y.numpy()
    )
    assert rows[1]["test_acc"] == pytest.approx(four.test_acc)


def test_read_benchmark_says_why_a_file_cannot_be_used(tmp_path):
    assert propagation.read_benchmark(tmp_path / "none.json") == (None, "none.json has not been written yet")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    results, why = propagation.read_benchmark(broken)
    assert results is None and why.startswith("broken.json could not be read")
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"rows": "none"}))
    assert propagation.read_benchmark(empty) == (None, "empty.json holds no rows")
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"rows": []}))
    assert propagation.read_benchmark(good) == ({"rows": []}, "")


def test_benchmark_lines_parse_spreads_and_filter_by_dataset():
    rows = [
        {"method": "fixmatch", "labels_per_class": 4, "test_acc": "0.93 ± 0.01"},
        {"method": "supervised", "labels_per_class": "10", "test_acc": 0.8},
        {"measurement": "seconds per step", "seconds": 0.3},
        {"method": "bad", "labels_per_class": 1, "test_acc": "n/a"},
    ]
    lines, note = propagation.benchmark_lines({"rows": rows}, "digits")
    assert note == "" and lines == [
        {"method": "fixmatch", "labels_per_class": 4, "test_acc": 0.93},
        {"method": "supervised", "labels_per_class": 10, "test_acc": 0.8},
    ]
    elsewhere = [dict(r, dataset="mnist5k") for r in rows[:2]]
    assert propagation.benchmark_lines({"rows": elsewhere}, "digits") == (
        [],
        "The benchmark measured mnist5k; pick it in the sidebar to see its lines.",
    )
    assert len(propagation.benchmark_lines({"rows": elsewhere}, "mnist5k")[0]) == 2
