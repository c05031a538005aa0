from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.features.encoders import (
    EncoderSpec,
    encode_images,
    export_bytes,
    export_file_names,
    features,
    image_split,
    list_encoders,
    parse_encoder,
    random_encoder,
)
from dul_models.models import build_model
from dul_models.runs import checkpoints

BUNDLED = checkpoints.bundled_dir()


def test_specs_are_hashable_keys_and_validated():
    assert {EncoderSpec("pixels"), EncoderSpec("pixels")} == {EncoderSpec("pixels")}
    assert EncoderSpec("pca").label == "PCA-50 of pixels"
    with pytest.raises(ConfigError, match="pixels, pca, random, run"):
        EncoderSpec("sift")
    with pytest.raises(ConfigError, match="needs a run folder"):
        EncoderSpec("run")
    assert parse_encoder("random") == EncoderSpec("random")
    assert parse_encoder(str(BUNDLED / "vae-mnist5k-z16")).run == str(BUNDLED / "vae-mnist5k-z16")
    with pytest.raises(ConfigError, match="pixels, pca, random or a run folder"):
        parse_encoder("/no/such/run")


def test_list_encoders_has_the_baselines_and_every_run_that_embeds():
    specs = list_encoders("mnist5k")
    assert [s.kind for s in specs[:3]] == ["pixels", "pca", "random"]
    names = {s.run.rsplit("/", 1)[-1] for s in specs[3:]}
    assert {"autoencoder-mnist5k-denoising", "vae-mnist5k-z16", "classifier-mnist5k"} <= names
    assert not names & {"dcgan-mnist5k", "pixelcnn-mnist5k-gated"}  # they do not embed
    assert [s.kind for s in list_encoders("digits")[:3]] == ["pixels", "pca", "random"]


def test_baseline_features(digits):
    pixels = features(EncoderSpec("pixels"), digits, "test")
    assert pixels.shape == (len(digits.test), 64) and pixels.dtype == np.float32
    assert np.allclose(pixels, to_float(digits.test.x).flatten(1).numpy())
    pca = features(EncoderSpec("pca"), digits, "test")
    train = to_float(digits.train.x).flatten(1).numpy()
    reference = PCA(n_components=50, random_state=0).fit(train).transform(pixels)
    assert pca.shape == (len(digits.test), 50) and np.allclose(pca, reference, atol=1e-4)
    random = features(EncoderSpec("random"), digits, "train")
    assert random.shape == (len(digits.train), 64 * 9)  # the width-16 backbone: 64 channels pooled to 3×3
    assert np.array_equal(random, features(EncoderSpec("random"), digits, "train"))  # fixed seed
    with torch.no_grad():
        first = random_encoder(digits.image_shape)(to_float(digits.train.x[:3]))
    assert np.allclose(random[:3], first.numpy(), atol=1e-6)
    with pytest.raises(ConfigError, match="unknown split 'val'"):
        features(EncoderSpec("pixels"), digits, "val")
    # any images shaped like the dataset's (an upload) get the same encoder
    assert np.allclose(encode_images(EncoderSpec("pca"), digits, digits.test.x[:5]), pca[:5], atol=1e-5)
    with pytest.raises(ConfigError, match=r"shaped \(1, 8, 8\)"):
        encode_images(EncoderSpec("pixels"), digits, torch.rand(2, 1, 28, 28))


def test_all_images_are_the_training_rows_then_the_test_rows(digits):
    every = image_split(digits, "all")
    assert len(every) == len(digits.train) + len(digits.test)
    assert torch.equal(every.y, torch.cat([digits.train.y, digits.test.y]))
    assert image_split(digits, "all") is every  # built once per dataset, shared
    for kind in ("pixels", "pca"):
        spec = EncoderSpec(kind)
        parts = [features(spec, digits, split) for split in ("train", "test")]
        assert np.allclose(features(spec, digits, "all"), np.concatenate(parts), atol=1e-5)
    with pytest.raises(ConfigError, match="test, train, all"):
        image_split(digits, "every")


def test_run_features_are_the_models_embedding(digits, mnist5k, tmp_path):
    model = build_model(
        "vae", {"image_shape": digits.image_shape, "latent_dim": 3, "base_channels": 4}, seed=0
    )
    checkpoints.save_run(tmp_path / "vae", model, dataset="digits", seed=0, step=1)
    got = features(EncoderSpec("run", str(tmp_path / "vae")), digits, "test")
    expected = model.eval().embed(to_float(digits.test.x)).numpy()
    assert got.shape == (len(digits.test), 3) and np.allclose(got, expected, atol=1e-6)
    with pytest.raises(ConfigError, match="trained on digits, not mnist5k"):
        features(EncoderSpec("run", str(tmp_path / "vae")), mnist5k, "test")
    gan = build_model("dcgan", {"image_shape": digits.image_shape, "base_channels": 4, "latent_dim": 4})
    checkpoints.save_run(tmp_path / "gan", gan, dataset="digits", seed=0, step=1)
    with pytest.raises(ConfigError, match="has no embedding"):
        features(EncoderSpec("run", str(tmp_path / "gan")), digits, "test")


def test_export_formats_round_trip():
    vectors = np.arange(6, dtype=np.float32).reshape(3, 2) / 4
    labels = np.array([7, 1, 7])
    npz = np.load(io.BytesIO(export_bytes(".npz", vectors, labels)["features.npz"]))
    assert np.array_equal(npz["features"], vectors) and npz["labels"].tolist() == [7, 1, 7]
    assert npz["index"].tolist() == [0, 1, 2] and npz["labels"].dtype == np.int64
    csv = export_bytes(".csv", vectors, labels)["features.csv"].decode().splitlines()
    assert csv == ["index,label,f0,f1", "0,7,0,0.25", "1,1,0.5,0.75", "2,7,1,1.25"]
    tsv = export_bytes(".tsv", vectors, labels, stem="e")
    assert tsv["e.tsv"].decode().splitlines() == ["0\t0.25", "0.5\t0.75", "1\t1.25"]
    assert tsv["e-metadata.tsv"].decode().splitlines() == ["index\tlabel", "0\t7", "1\t1", "2\t7"]
    for fmt in (".npz", ".csv", ".tsv"):  # the names a deferred download button shows before writing
        assert export_file_names(fmt, "e") == list(export_bytes(fmt, vectors, labels, stem="e"))
    with pytest.raises(ConfigError, match=".npz, .csv, .tsv"):
        export_bytes(".json", vectors, labels)


def test_extract_features_of_a_model_in_memory_restores_its_mode(digits):
    from dul_models.features.encoders import extract_features

    model = build_model("autoencoder", {"image_shape": digits.image_shape, "base_channels": 4}, seed=0)
    model.train()
    x = to_float(digits.test.x[:7])
    got = extract_features(model, x, batch_size=3)  # three chunks: 3 + 3 + 1
    assert model.training and got.shape == (7, model.config.latent_dim) and got.dtype == np.float32
    with torch.no_grad():
        assert np.allclose(got, model.eval().embed(x).numpy(), atol=1e-6)
    gan = build_model("dcgan", {"image_shape": digits.image_shape, "base_channels": 4, "latent_dim": 4})
    with pytest.raises(ConfigError, match="no embedding"):
        extract_features(gan, x)
