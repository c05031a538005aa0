"""dul_models.explore.gan against naive computations on the bundled mnist5k DCGAN and classifier."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dul_models.data import get_dataset, to_float
from dul_models.explore import gan as explore
from dul_models.features.sample_quality import SampleScorer
from dul_models.models import build_model
from dul_models.runs.checkpoints import bundled_dir, load_run, save_run


@pytest.fixture(scope="module")
def data():
    return get_dataset("mnist5k")


@pytest.fixture(scope="module")
def run(data):
    return explore.prepared(load_run(bundled_dir() / "dcgan-mnist5k"), data)


@pytest.fixture(scope="module")
def scorer_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("scorer-cache")


@pytest.fixture(scope="module")
def scorer(data, scorer_cache):
    return explore.load_scorer(data, "cpu", cache_dir=scorer_cache)


@pytest.fixture(scope="module")
def conditional(data, tmp_path_factory):
    """A small untrained class-conditional DCGAN saved as a run (the bundled one is unconditional)."""
    model = build_model("dcgan", {"image_shape": [1, 28, 28], "num_classes": 10, "base_channels": 8}, seed=0)
    folder = save_run(tmp_path_factory.mktemp("runs") / "cgan", model, dataset="mnist5k", seed=0, step=0)
    return explore.prepared(load_run(folder), data)


def test_run_summary_reads_the_saved_fid_numbers(run):
    summary = explore.run_summary(run.info)
    metrics = run.info.metrics
    assert summary.scored and summary.loss == run.info.config["loss"].replace("_", "-")
    assert summary.fid == pytest.approx(metrics["fid_classifier"])
    assert summary.fid_floor == pytest.approx(metrics["fid_real_baseline"])
    assert (summary.n_samples, summary.modes_covered) == (metrics["n_samples"], metrics["modes_covered"])
    assert summary.latent_dim == run.model.config.latent_dim


def test_run_summary_of_an_unscored_run_has_no_numbers(conditional):
    summary = explore.run_summary(conditional.info)
    assert not summary.scored and summary.fid is None and summary.modes_covered is None


def test_class_choices_are_empty_unconditional_and_the_class_names_conditional(run, conditional, data):
    assert explore.class_choices(run, data) == []
    assert explore.class_choices(conditional, data) == list(data.class_names[:10])


def test_draw_samples_is_the_generator_on_seeded_noise(run):
    batch = explore.draw_samples(run, 16, seed=5, temperature=0.7)
    assert batch.images.shape == (16, 1, 28, 28) and batch.count == 16 and batch.labels is None
    z = run.model.latents(16, 5, 0.7)
    assert torch.equal(batch.latents, z)
    assert torch.allclose(batch.images, run.model.generate(z))
    again = explore.draw_samples(run, 16, seed=5, temperature=0.7)
    assert torch.equal(again.images, batch.images)
    assert not torch.equal(explore.draw_samples(run, 16, seed=6, temperature=0.7).images, batch.images)
    flat = explore.draw_samples(run, 4, seed=5, temperature=0.0).images  # T = 0: z = 0 for every sample
    assert torch.allclose(flat, flat[:1].expand_as(flat))


def test_a_conditional_gan_draws_every_class_in_turn_or_the_one_asked_for(conditional):
    every = explore.draw_samples(conditional, 20, seed=1, temperature=1.0)
    assert every.nrow == 10 and every.labels.tolist() == [k % 10 for k in range(20)]
    sevens = explore.draw_samples(conditional, 8, seed=1, temperature=1.0, class_index=7)
    assert sevens.nrow == 8 and sevens.labels.tolist() == [7] * 8
    z = conditional.model.latents(8, 1, 1.0)
    assert torch.allclose(sevens.images, conditional.model.generate(z, torch.full((8,), 7)))


def test_interpolation_runs_from_one_sample_to_the_other(run, conditional):
    batch = explore.draw_samples(run, 8, seed=0, temperature=1.0)
    strip = explore.interpolation(run, batch, 2, 5, steps=6)
    assert strip.shape == (6, 1, 28, 28)
    assert torch.allclose(strip[0], batch.images[2], atol=1e-5)
    assert torch.allclose(strip[-1], batch.images[5], atol=1e-5)
    cbatch = explore.draw_samples(conditional, 10, seed=0, temperature=1.0)
    cstrip = explore.interpolation(conditional, cbatch, 3, 4, steps=4)  # keeps sample 3's class throughout
    assert torch.allclose(cstrip[0], cbatch.images[3], atol=1e-5)


def test_scorer_features_are_the_classifiers_and_come_back_from_disk(scorer, data, scorer_cache, monkeypatch):
    assert scorer.fitted is not None and scorer.run.path.endswith("classifier-mnist5k")
    features = scorer.fitted.train_features_
    assert features.shape == (len(data.train), scorer.fitted.classifier.config.feature_dim)
    with torch.no_grad():
        naive = scorer.fitted.classifier.features(to_float(data.train.x[:300]))
    assert torch.allclose(features[:300], naive, atol=1e-4)
    assert "classifier-mnist5k" in scorer.feature_space and scorer.test_accuracy is not None

    def refuse(self, x):
        raise AssertionError("the training features should have been read from the disk cache")

    monkeypatch.setattr(SampleScorer, "fit", refuse)
    again = explore.load_scorer(data, "cpu", cache_dir=scorer_cache)
    assert torch.equal(again.fitted.train_features_, features)


def test_no_classifier_run_gives_no_scorer_and_says_how_to_train_one(tmp_path, monkeypatch):
    monkeypatch.setenv("DUL_RUNS_DIR", str(tmp_path))  # no classifier another test trained on digits counts
    scorer = explore.load_scorer(get_dataset("digits"), "cpu")
    assert not scorer.available and scorer.fitted is None and scorer.run is None
    assert "train classifier --dataset digits" in scorer.note


def test_nearest_training_images_are_the_closest_in_classifier_features(run, scorer, data):
    batch = explore.draw_samples(run, 8, seed=0, temperature=1.0)
    found = explore.nearest_training_images(scorer, data, batch, 3, k=5)
    assert found.images.shape == (6, 1, 28, 28) and torch.equal(found.images[0], batch.images[3])
    distances = torch.cdist(scorer.fitted.features(batch.images[3:4]), scorer.fitted.train_features_)[0]
    order = distances.argsort()[:5]
    assert found.distances == pytest.approx(distances[order].tolist(), rel=1e-5)
    assert torch.equal(found.images[1:], to_float(data.train.x[order]))


def test_reference_distance_is_the_median_nearest_distance_of_real_test_images(scorer, data, tmp_path):
    value = explore.reference_distance(scorer, data, n=50, cache_dir=tmp_path)
    features = scorer.fitted.features(to_float(data.test.x[:50]))
    nearest = torch.cdist(features, scorer.fitted.train_features_).min(1).values
    assert value == pytest.approx(float(nearest.median()), rel=1e-5)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    assert explore.reference_distance(scorer, data, n=50, cache_dir=tmp_path) == value


def test_class_histogram_counts_the_predicted_classes_of_the_seeded_samples(run, scorer, data, tmp_path):
    view = explore.class_histogram(run, scorer, data, n=300, seed=3, temperature=0.8, cache_dir=tmp_path)
    samples, _ = run.model.many_samples(300, 3, 0.8)
    probs = scorer.fitted.probs(samples)
    naive = np.bincount(probs.argmax(1).numpy(), minlength=10)
    assert view.counts == naive.tolist() and sum(view.counts) == view.n == 300
    share = naive / 300
    assert view.entropy == pytest.approx(-(share[share > 0] * np.log(share[share > 0])).sum(), rel=1e-4)
    assert view.entropy_max == pytest.approx(math.log(10)) and view.classes == list(data.class_names)
    assert view.label_accuracy is None  # unconditional: no class was asked for


def test_class_histogram_is_read_back_from_disk_and_keyed_by_its_parameters(
    run, scorer, data, tmp_path, monkeypatch
):
    first = explore.class_histogram(run, scorer, data, n=200, seed=0, temperature=1.0, cache_dir=tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("the histogram should have been read from the disk cache")

    monkeypatch.setattr(type(run.model), "many_samples", refuse)
    assert (
        explore.class_histogram(run, scorer, data, n=200, seed=0, temperature=1.0, cache_dir=tmp_path)
        == first
    )
    with pytest.raises(AssertionError, match="disk cache"):  # another seed is another entry
        explore.class_histogram(run, scorer, data, n=200, seed=1, temperature=1.0, cache_dir=tmp_path)


def test_a_conditional_histogram_reports_label_accuracy(conditional, scorer, data, tmp_path):
    view = explore.class_histogram(
        conditional, scorer, data, n=100, seed=0, temperature=1.0, cache_dir=tmp_path
    )
    samples, labels = conditional.model.many_samples(100, 0, 1.0)
    predicted = scorer.fitted.probs(samples).argmax(1)
    assert view.label_accuracy == pytest.approx(float((predicted == labels).float().mean()), abs=1e-6)
