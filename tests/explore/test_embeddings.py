"""The embedding explorer's computations (dul_models.explore.embeddings), on digits and the bundled runs."""

from __future__ import annotations

import dataclasses
import io
import os
import shutil

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.data.registry import Split
from dul_models.explore import embeddings as explore
from dul_models.features.encoders import EncoderSpec
from dul_models.features.projections import kmeans_labels, project
from dul_models.metrics.probes import knn_accuracy
from dul_models.runs.checkpoints import bundled_dir

PIXELS = EncoderSpec("pixels")
FIRST = explore.FIRST_MAP_RUNS[0]  # the run a first visit opens on, when listed


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DUL_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_first_map_opens_on_the_best_measured_run_then_any_run_then_a_baseline(tmp_path, monkeypatch):
    monkeypatch.setenv("DUL_RUNS_DIR", str(tmp_path))  # no run of another test in this worker counts
    specs = explore.encoders("mnist5k")
    assert explore.default_encoder(specs) == EncoderSpec("run", str(bundled_dir() / FIRST))
    without_first = [s for s in specs if s.run is None or not s.run.endswith(FIRST)]
    assert explore.default_encoder(without_first).run.endswith(explore.FIRST_MAP_RUNS[1])
    others = [s for s in specs if s.run is None or not s.run.endswith(explore.FIRST_MAP_RUNS)]
    assert explore.default_encoder(others) == next(s for s in others if s.kind == "run")
    assert explore.default_encoder(explore.encoders("digits")) == PIXELS  # no runs on digits


def test_disk_key_names_the_encoder_and_changes_when_a_run_is_retrained(tmp_path):
    assert explore.disk_key(PIXELS, "digits", "test") == ("pixels", None, 0.0, "digits", "test")
    run = tmp_path / "ae"
    shutil.copytree(bundled_dir() / "autoencoder-mnist5k-plain", run)
    spec = EncoderSpec("run", str(run))
    before = explore.disk_key(spec, "mnist5k", "train")
    assert before == ("run", str(run), (run / "model.safetensors").stat().st_mtime, "mnist5k", "train")
    os.utime(run / "model.safetensors", (1_000_000.0, 1_000_000.0))  # "retrained": new weights' time
    assert explore.disk_key(spec, "mnist5k", "train")[2] == 1_000_000.0 != before[2]


def test_split_sizes_labels_and_features_follow_the_chosen_images(digits):
    n_train, n_test = len(digits.train), len(digits.test)
    assert explore.split_sizes(digits) == {"test": n_test, "train": n_train, "all": n_train + n_test}
    every = explore.split_labels(digits, "all")
    assert np.array_equal(every, np.concatenate([digits.train.y.numpy(), digits.test.y.numpy()]))
    vectors = explore.split_features(PIXELS, digits, "test", "cpu")
    assert np.array_equal(vectors, to_float(digits.test.x).flatten(1).numpy())
    assert not vectors.flags.writeable  # shared by every session: nobody may write to it


def test_map_coordinates_are_the_projection_and_kept_on_disk(digits, cache_dir):
    vectors = explore.split_features(PIXELS, digits, "test", "cpu")
    key = explore.disk_key(PIXELS, "digits", "test")
    coords = explore.map_coordinates(vectors, key, "pca", 2, ())
    assert np.allclose(coords, project(vectors, "pca", 2), atol=1e-5)
    assert len(list(cache_dir.glob("*.npz"))) == 1
    params = (("perplexity", 20.0),)
    tsne = explore.map_coordinates(vectors, key, "tsne", 2, params)
    assert tsne.shape == (len(vectors), 2) and len(list(cache_dir.glob("*.npz"))) == 2
    assert np.array_equal(explore.map_coordinates(vectors, key, "tsne", 2, params), tsne)  # loaded
    assert len(list(cache_dir.glob("*.npz"))) == 2


def test_a_tsne_above_the_limit_is_refused_and_the_limit_is_read_at_each_call(digits, monkeypatch):
    monkeypatch.setattr("dul_models.features.projections.TSNE_CPU_LIMIT", 100)
    assert explore.tsne_limit() == 100
    vectors = explore.split_features(PIXELS, digits, "test", "cpu")
    with pytest.raises(ConfigError, match="UMAP"):
        explore.map_coordinates(vectors, ("t",), "tsne", 2, ())


def test_projection_note_states_the_estimate_and_the_umap_compile():
    assert explore.projection_note("pca", 1000) == "PCA of 1,000 points: about 0 s…"
    tsne = explore.projection_note("tsne", 5000)
    seconds = explore.estimated_seconds("tsne", 5000)
    assert f"about {seconds:.0f} s" in tsne and "kept on disk" in tsne and "numba" not in tsne
    assert "numba compiles UMAP" in explore.projection_note("umap", 5000)


def test_kmeans_colours_are_kmeans_labels_kept_on_disk(digits, cache_dir):
    vectors = explore.split_features(PIXELS, digits, "test", "cpu")
    key = explore.disk_key(PIXELS, "digits", "test")
    ids = explore.kmeans_colours(vectors, key, 4)
    assert ids.dtype == np.int64 and np.array_equal(ids, kmeans_labels(vectors, 4))
    assert len(list(cache_dir.glob("*.npz"))) == 1
    values, title = explore.cluster_colours(ids, 4)
    assert title == "k-means (k = 4)" and values.tolist() == [str(i) for i in ids]


def test_knn_errors_equal_a_naive_vote_of_the_ten_nearest_others(digits, cache_dir):
    vectors = explore.split_features(PIXELS, digits, "test", "cpu")
    labels = explore.split_labels(digits, "test")
    wrong = explore.knn_errors(vectors, labels, ("digits-test",))
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    expected = []
    for i in range(len(vectors)):
        nearest = np.argsort(-similarity[i], kind="stable")[: explore.KNN_VOTERS]
        votes = np.bincount(labels[nearest], minlength=10)
        expected.append(votes.argmax() != labels[i])  # ties: the smallest label, as argmax gives
    assert wrong.dtype == bool and np.array_equal(wrong, np.array(expected))
    assert 0 < wrong.sum() < len(wrong) // 4  # pixels of digits: a few mixed points, not most
    values, title = explore.knn_error_colours(wrong)
    assert title == "kNN error"
    assert (values == "10 neighbours vote another label").sum() == wrong.sum()


def test_linked_and_factor_colours(digits):
    values, title = explore.linked_colours([1, 3], 5)
    assert title == "linked selection"
    assert values.tolist() == ["not selected there", "selected on the other map"] * 2 + ["not selected there"]
    assert explore.factor_colours(digits, "test", "label") == (None, "label")
    factors = torch.arange(len(digits.test), dtype=torch.float32)[:, None] / 10  # (N, 1)
    train_factors = torch.zeros(len(digits.train), 1)
    with_factor = dataclasses.replace(
        digits,
        train=Split(digits.train.x, digits.train.y, train_factors),
        test=Split(digits.test.x, digits.test.y, factors),
        factor_names=("size",),
    )
    values, title = explore.factor_colours(with_factor, "test", "size")
    assert title == "size" and values.dtype == float and np.allclose(values, factors[:, 0].numpy())


def test_neighbours_of_a_row_are_the_most_cosine_similar_others(digits):
    images = to_float(digits.test.x)
    bank = explore.split_features(PIXELS, digits, "test", "cpu")
    found = explore.neighbours(PIXELS, digits, images, bank, 5, row=7)
    unit = bank / np.linalg.norm(bank, axis=1, keepdims=True)
    similarity = unit @ unit[7]
    similarity[7] = -np.inf
    expected = np.argsort(-similarity, kind="stable")[:5]
    assert found.rows.tolist() == expected.tolist() and found.query_vector is None
    assert np.allclose(found.similarity, similarity[expected], atol=1e-5)
    assert found.images.shape == (6, *digits.image_shape)
    assert torch.equal(found.images[0], images[7]) and torch.equal(found.images[1:], images[expected])


def test_an_upload_finds_its_twin_first_and_lands_where_it_sits_on_the_map(digits):
    images = to_float(digits.test.x)
    bank = explore.split_features(PIXELS, digits, "test", "cpu")
    found = explore.neighbours(PIXELS, digits, images, bank, 3, upload=images[11].clone())
    assert found.rows[0] == 11 and found.similarity[0] == pytest.approx(1.0, abs=1e-5)
    assert torch.equal(found.images[0], images[11])  # the query shown first is the upload
    assert found.query_vector.shape == (1, bank.shape[1])
    projector = explore.fit_projector(bank, "pca", ())
    placed = explore.place_on_map(projector, found.query_vector)
    assert placed.shape == (2,) and np.allclose(placed, projector.embedding_[11], atol=1e-4)
    with pytest.raises(ConfigError, match="t-SNE"):
        explore.fit_projector(bank, "tsne", ())


def test_image_map_draws_every_image_or_a_fixed_sample(digits):
    images = to_float(digits.test.x)
    coords = np.random.default_rng(0).normal(size=(len(images), 2))
    picture, drawn = explore.image_map(coords, images)
    assert picture.shape == (1600, 1600, 3) and picture.dtype == np.uint8 and drawn == len(images)
    small, drawn = explore.image_map(coords, images, limit=50)
    assert drawn == 50 and not np.array_equal(small, picture)  # fewer tiles pasted
    assert np.array_equal(explore.image_map(coords, images, limit=50)[0], small)  # the same sample each time


def test_probe_row_scores_the_features_on_the_test_split(digits):
    train = explore.split_features(PIXELS, digits, "train", "cpu")
    test = explore.split_features(PIXELS, digits, "test", "cpu")
    row = explore.probe_row(digits, train, test)
    expected = knn_accuracy(train, digits.train.y.numpy(), test, digits.test.y.numpy(), k=20)
    assert row["knn_acc"] == pytest.approx(expected) and row["dim"] == 64
    assert 0.3 < row["linear_probe_acc_1"] < row["linear_probe_acc_100"] <= 1.0  # more labels help


def test_export_files_are_named_before_writing_and_round_trip(digits):
    assert explore.export_stem("mnist5k", "run", "test") == "mnist5k-run"
    assert explore.export_stem("digits", "pixels", "all") == "digits-all-pixels"
    files = explore.export_files("s")
    assert files == [
        [(".npz", "s.npz")],
        [(".csv", "s.csv")],
        [(".tsv", "s.tsv"), (".tsv", "s-metadata.tsv")],
    ]
    vectors = explore.split_features(PIXELS, digits, "test", "cpu")[:20]
    labels = explore.split_labels(digits, "test")[:20]
    with np.load(io.BytesIO(explore.export_file(".npz", "s.npz", vectors, labels, "s"))) as saved:
        assert np.array_equal(saved["features"], vectors) and np.array_equal(saved["labels"], labels)
    csv = explore.export_file(".csv", "s.csv", vectors, labels, "s").decode().splitlines()
    assert csv[0].startswith("index,label,f0,f1") and len(csv) == 21
    metadata = explore.export_file(".tsv", "s-metadata.tsv", vectors, labels, "s").decode().splitlines()
    assert metadata[0] == "index\tlabel" and metadata[1] == f"0\t{labels[0]}"
