from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from app import resources, state
from app.app_pages.semi_supervised import cached
from dul_models.data import get_dataset
from dul_models.data.label_budget import budget_draw
from dul_models.features.encoders import EncoderSpec, features
from dul_models.features.label_propagation import label_propagation
from dul_models.runs.checkpoints import list_runs
from dul_models.train.jobs import TrainingJob
from dul_models.train.trainer import TrainConfig
from tests.app.conftest import ENTRY, charts, metrics, no_exceptions, texts, train_until_saved

PAGE = "app_pages/semi_supervised/page.py"
KEY = "semi_supervised"  # the page's key in app.state
HEADERS = [
    "The label budget",
    "Weak and strong views",
    "A trained model's pseudo-labels",
    "Label propagation: no training at all",
    "Accuracy against the label budget",
    "Train live",
]


def on_digits(at) -> None:
    """scikit-learn's 8×8 digits (1,437 training images): every computation takes a moment."""
    at.sidebar.selectbox(key=state.DATASET).set_value("digits").run()
    no_exceptions(at)


@pytest.fixture(scope="module")
def digits_run():
    """A tiny FixMatch run on digits, trained through the library into the tests' isolated runs folder."""
    config = {"width": 4, "unlabelled_ratio": 2, "labels_per_class": 5}
    train = TrainConfig(steps=20, batch_size=16, preview_every=10, checkpoint_every=0, full_final_eval=False)
    snap = TrainingJob("semisup", "digits", config, train, title="tiny FixMatch").start().wait(120)
    assert snap.status == "done", snap.error
    yield snap.run_dir
    shutil.rmtree(snap.run_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def bundled_semisup(tmp_path_factory):
    """A stand-in for checkpoints/ holding two tiny mnist5k runs, the supervised one first by name."""
    root = tmp_path_factory.mktemp("bundled")
    train = TrainConfig(steps=10, batch_size=16, checkpoint_every=0, full_final_eval=False)
    for folder, method in (("semisup-a-supervised", "supervised"), ("semisup-b-fixmatch", "fixmatch")):
        config = {"method": method, "width": 4, "unlabelled_ratio": 1}
        job = TrainingJob("semisup", "mnist5k", config, train, run_dir=root / folder, title=f"tiny {method}")
        assert job.start().wait(120).status == "done"
    return root


def test_opens_on_the_bundled_fixmatch_run(bundled_semisup, monkeypatch):
    monkeypatch.setenv("DUL_BUNDLED_DIR", str(bundled_semisup))
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.run()
    at.switch_page(PAGE).run()
    no_exceptions(at)
    assert at.session_state[state.run_key(KEY)] == str(bundled_semisup / "semisup-b-fixmatch")
    assert any(c.value.startswith("Run: tiny fixmatch (bundled") for c in at.caption) and not at.error
    assert "24 of the 3,900 training images this run had no label for" in texts(at)


def test_opens_on_mnist5k_with_label_propagation(page):
    assert page.title[0].value.startswith("🏷️") and [h.value for h in page.header] == HEADERS
    assert not page.error
    assert "100 labelled images (10 per class, label seed 0)" in texts(page)
    assert {"Propagated: test accuracy", "Labelled images", "Time"} <= set(metrics(page))
    bundled = [r for r in list_runs("semisup", "mnist5k") if r.bundled]
    if not bundled:
        assert any("No semi-supervised model has been trained on mnist5k yet" in i.value for i in page.info)
    else:  # opens on the bundled FixMatch run and its gallery
        assert page.session_state[state.run_key(KEY)].endswith("semisup-mnist5k-fixmatch-10")
        assert "training images this run had no label for" in texts(page)


def test_budget_slider_changes_the_labelled_images(page):
    on_digits(page)
    assert "100 labelled images (10 per class" in texts(page) and metrics(page)["Labelled images"] == "100"
    grid = page.get("image")[0].proto.imgs[0].url
    page.slider(key="semi-budget").set_value(4).run()
    no_exceptions(page)
    assert "40 labelled images (4 per class" in texts(page) and metrics(page)["Labelled images"] == "40"
    assert page.get("image")[0].proto.imgs[0].url != grid
    assert any(b.label.startswith("⬇ Labelled images CSV") for b in page.get("download_button"))


def test_label_propagation_on_pixels_matches_the_library(page):
    on_digits(page)
    page.number_input(key="semi-label-seed").set_value(3).run()
    no_exceptions(page)
    assert page.selectbox(key="semi-encoder").value == EncoderSpec("pixels")
    data = get_dataset("digits")
    y = data.train.y.numpy()
    pixels = EncoderSpec("pixels")
    expected = label_propagation(
        features(pixels, data, "train"), y, budget_draw(y, 10, 3), features(pixels, data, "test"), data.test.y
    )
    shown = metrics(page)
    assert float(shown["Propagated: test accuracy"]) == pytest.approx(expected.test_acc, abs=1e-3)
    assert float(shown["Propagated: unlabelled training images"]) == pytest.approx(
        expected.unlabelled_acc, abs=1e-3
    )
    assert shown["Time"].endswith(" s") and "given label" in charts(page)
    assert any(b.label.startswith("⬇ Propagated labels CSV") for b in page.get("download_button"))
    page.radio(key="semi-colour").set_value("right or wrong").run()
    no_exceptions(page)
    assert '"wrong"' in charts(page) and '"right"' in charts(page)


def test_bad_training_inputs_give_one_error_each_and_the_page_keeps_working(page):
    on_digits(page)
    start = state.train_button_key(KEY, "start")
    cases = [
        ("semi-train-labels", 200, 10, "labels_per_class=200 is more than the"),
        ("semi-tau", 1.5, 0.95, "threshold τ must be in (0, 1]"),
        ("semi-lambda", -1.0, 1.0, "unlabelled_weight λ must be >= 0"),
    ]
    for key, bad, good, message in cases:
        page.number_input(key=key).set_value(bad).run()
        page.button(key=start).click().run()
        no_exceptions(page)
        assert len(page.error) == 1 and message in page.error[0].value, [e.value for e in page.error]
        assert [h.value for h in page.header] == HEADERS  # the rest of the page is still drawn
        page.number_input(key=key).set_value(good).run()
    assert not page.error and state.job_id(KEY) is None


def test_budget_chart_from_the_benchmark_file_and_recomputed(page, tmp_path, monkeypatch):
    monkeypatch.setattr(cached, "RESULTS_PATH", tmp_path / "missing.json")
    on_digits(page)
    assert "has not been run on this machine" in texts(page) and "Is unlabelled data worth it?" not in charts(
        page
    )
    stub = tmp_path / "semi_supervised.json"
    rows = [
        {"method": method, "labels_per_class": b, "test_acc": acc + 0.01 * i}
        for method, acc in (("supervised", 0.5), ("fixmatch", 0.8))
        for i, b in enumerate((1, 4, 10, 25))
    ]
    rows.append({"measurement": "seconds per step", "seconds": 0.3})  # not a chart row
    machine = {"cpu": "Test CPU", "cores": 2, "torch": "2.x", "cuda": None, "date": "2026-01-02 03:04"}
    stub.write_text(
        json.dumps({"name": "semi_supervised", "title": "Stub", "machine": machine, "rows": rows})
    )
    monkeypatch.setattr(cached, "RESULTS_PATH", stub)
    page.run()
    no_exceptions(page)
    drawn = charts(page)
    assert "labels per class (log scale)" in drawn and '"fixmatch"' in drawn and '"supervised"' in drawn
    assert "test accuracy (share of test images)" in drawn and '"tickvals": [1, 4, 10, 25]' in drawn
    assert "measured 2026-01-02 03:04 on Test CPU" in texts(page)
    page.button(key="semi-curve").click().run()
    no_exceptions(page)
    assert "label propagation (raw pixels, recomputed here)" in charts(page)
    assert "Dashed: recomputed on this page on digits" in texts(page)


def test_train_live_tiny_fixmatch_then_its_gallery(page):
    on_digits(page)
    assert page.selectbox(key="semi-method").value == "fixmatch"
    page.number_input(key="semi-steps").set_value(20).run()
    page.number_input(key="semi-mu").set_value(2).run()
    page.select_slider(key="semi-batch").set_value(16).run()
    page.select_slider(key="semi-width").set_value(4).run()
    saved = train_until_saved(page, KEY)
    config = json.loads((Path(saved) / "config.json").read_text())["config"]
    assert (config["method"], config["labels_per_class"], config["unlabelled_ratio"]) == ("fixmatch", 10, 2)
    drawn = charts(page)
    assert all(k in drawn for k in ("test_acc", "pseudo_label_acc", "mask_rate", "unlabelled_weight"))
    assert any(c.value.startswith("Run: FixMatch live, 10 labels per class") for c in page.caption)
    assert "training images this run had no label for" in texts(page)


def test_gallery_of_a_run_for_every_pick(page, digits_run):
    on_digits(page)
    page.sidebar.selectbox(key=state.run_widget_key(KEY)).set_value(digits_run).run()
    no_exceptions(page)
    stored = json.loads((Path(digits_run) / "metrics.json").read_text())
    assert float(metrics(page)["Test accuracy"]) == pytest.approx(stored["test_acc"], abs=1e-3)
    for pick in ("random", "confident", "uncertain", "wrong"):
        page.radio(key="semi-pick").set_value(pick).run()
        no_exceptions(page)
        assert not page.error and "24 of the 1,387 training images this run had no label for" in texts(page)
        assert any(b.label.startswith("⬇ Gallery CSV") for b in page.get("download_button"))
    assert "is " in " ".join(c for i in page.get("image") for c in [img.caption for img in i.proto.imgs])


def test_a_dataset_without_labels_is_one_sentence(page, monkeypatch):
    """Every section needs labels: one sentence says why and what would give them, no error, nothing else."""
    digits = get_dataset("digits")
    blank = dataclasses.replace(
        digits,
        train=dataclasses.replace(digits.train, y=torch.full_like(digits.train.y, -1)),
        test=dataclasses.replace(digits.test, y=torch.full_like(digits.test.y, -1)),
        class_names=(),
        has_labels=False,
    )
    monkeypatch.setattr(resources, "dataset", lambda name: blank if name == "digits" else get_dataset(name))
    on_digits(page)
    assert not page.error and len(page.info) == 1
    assert "digits has no labels" in page.info[0].value and "one subfolder per class" in page.info[0].value
    assert not page.header  # the page stopped after saying why
