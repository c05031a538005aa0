"""Features from elsewhere are an encoder too: a file as `embed` writes it, checked against the split."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError, DULError
from dul_models.features.encoders import (
    EncoderSpec,
    encode_images,
    features,
    parse_encoder,
    write_features,
)
from dul_models.features.feature_files import FeatureFile


def _write_npz(path, **arrays):
    np.savez(path, **arrays)
    return EncoderSpec("file", str(path))


def _pixels(digits, split="test"):
    return features(EncoderSpec("pixels"), digits, split), getattr(digits, split).y.numpy()


def test_a_file_embed_writes_gives_back_the_encoders_features_in_split_order(digits, tmp_path):
    vectors, labels = _pixels(digits)
    write_features(tmp_path / "pixels.npz", vectors, labels)
    spec = parse_encoder(str(tmp_path / "pixels.npz"))
    assert spec == EncoderSpec("file", str((tmp_path / "pixels.npz").resolve()))
    assert spec.label == "features from pixels.npz"
    got = features(spec, digits, "test")
    assert got.dtype == np.float32 and np.array_equal(got, vectors)
    got[0] = -1  # the caller's copy: the next call is unchanged
    assert np.array_equal(features(spec, digits, "test"), vectors)

    order = np.random.default_rng(0).permutation(len(vectors))  # rows shuffled, `index` says where each goes
    shuffled = _write_npz(
        tmp_path / "shuffled.npz", features=vectors[order], labels=labels[order], index=order
    )
    assert np.array_equal(features(shuffled, digits, "test"), vectors)

    write_features(tmp_path / "pixels.csv", vectors, labels)  # six significant digits
    assert np.allclose(
        features(parse_encoder(str(tmp_path / "pixels.csv")), digits, "test"), vectors, atol=1e-6
    )
    lines = (tmp_path / "pixels.csv").read_text().splitlines()
    (tmp_path / "shuffled.csv").write_text("\n".join([lines[0], *(lines[1 + i] for i in order)]))
    assert np.allclose(features(EncoderSpec("file", str(tmp_path / "shuffled.csv")), digits, "test"), vectors)
    bare = tmp_path / "bare.csv"  # no header, no index, no labels: every column a dimension
    np.savetxt(bare, vectors, delimiter=",")
    assert np.allclose(features(EncoderSpec("file", str(bare)), digits, "test"), vectors)


def test_a_file_of_every_image_serves_each_split_and_the_images_it_holds(digits, tmp_path):
    every = features(EncoderSpec("pixels"), digits, "all")
    labels = np.concatenate([digits.train.y.numpy(), digits.test.y.numpy()])
    write_features(tmp_path / "all.npz", every, labels)
    spec = EncoderSpec("file", str(tmp_path / "all.npz"))
    assert np.array_equal(features(spec, digits, "all"), every)
    for split in ("train", "test"):
        assert np.array_equal(features(spec, digits, split), _pixels(digits, split)[0])
    # any images of the split (a few-shot pool) are looked up by content; uint8 or float
    picked = torch.tensor([5, 0, len(digits.train) + 3])
    images = torch.cat([digits.train.x, digits.test.x])[picked]
    assert np.array_equal(encode_images(spec, digits, images), every[picked.numpy()])
    assert np.array_equal(encode_images(spec, digits, images.float() / 255), every[picked.numpy()])
    upload = torch.full((2, *digits.image_shape), 7, dtype=torch.uint8)
    with pytest.raises(
        ConfigError, match=r"2 of 3 images are not among .* all\.npz .*embed ENCODER --split all"
    ):
        encode_images(spec, digits, torch.cat([upload, images[:1]]))


def test_paths_on_the_command_line(tmp_path):
    with pytest.raises(ConfigError, match="no features file at .*missing.npz"):
        parse_encoder(str(tmp_path / "missing.npz"))
    with pytest.raises(ConfigError, match="or a features file ending in .npz or .csv"):
        parse_encoder(str(tmp_path / "features.tsv"))
    with pytest.raises(ConfigError, match="'file' a features file"):
        EncoderSpec("file")


def test_the_wrong_split_or_data_set_is_refused_with_both_counts(digits, mnist5k, tmp_path):
    vectors, labels = _pixels(digits)
    write_features(tmp_path / "test.npz", vectors, labels)
    spec = EncoderSpec("file", str(tmp_path / "test.npz"))
    with pytest.raises(
        ConfigError, match=r"test\.npz has 360 rows but the train split of digits has 1437 images"
    ):
        features(spec, digits, "train")
    with pytest.raises(
        ConfigError, match=r"360 rows but the test split of mnist5k has \d+ images: .*another split"
    ):
        features(spec, mnist5k, "test")
    # same count, other labels: another split or data set all the same
    write_features(tmp_path / "rolled.npz", vectors, np.roll(labels, 1))
    message = r"rolled\.npz disagrees with the labels of the test split of digits in \d+ of 360 rows .*another split"
    with pytest.raises(ConfigError, match=message):
        features(EncoderSpec("file", str(tmp_path / "rolled.npz")), digits, "test")
    with pytest.raises(ConfigError, match=r"matches no split of digits \(test 360, train 1437, all 1797"):
        encode_images(EncoderSpec("file", str(tmp_path / "rolled.npz")), digits, digits.test.x[:2])


def test_labels_are_checked_only_where_the_split_has_them():
    table = FeatureFile("f.npz", np.zeros((3, 2), np.float32), np.array([4, 5, 6]))
    assert table.aligned(torch.tensor([4, -1, 6]), "the test split", "fix it").shape == (3, 2)
    with pytest.raises(ConfigError, match=r"row 2: 6 in the file, 7 in the split"):
        table.aligned(torch.tensor([4, -1, 7]), "the test split", "fix it")


def _good(n=360, d=4):
    return np.random.default_rng(1).random((n, d), dtype=np.float32), np.arange(n)


def _nan():
    vectors = _good()[0]
    vectors[5, 1], vectors[9, 0] = np.nan, np.inf
    return vectors


BAD_NPZ = {
    "nan": (lambda: {"features": _nan()}, r"NaN or infinite values in 2 of 360 rows \(first: data row 5\)"),
    "too big": (lambda: {"features": np.full((360, 2), 1e300)}, "NaN or infinite values in 360 of 360"),
    "no rows": (lambda: {"features": np.zeros((0, 4), np.float32)}, "holds no rows of features"),
    "no features": (lambda: {"vectors": _good()[0]}, r"no `features` array \(it holds \['vectors'\]\)"),
    "1-D": (lambda: {"features": np.zeros(360)}, r"must be a 2-D array of numbers \(N, D\)"),
    "text": (lambda: {"features": np.full((360, 2), "a")}, "must be a 2-D array of numbers"),
    "duplicate index": (
        lambda: {"features": _good()[0], "index": np.r_[0, np.arange(359)]},
        r"`index` is not a permutation of 0..359 \(row 0 appears 2 times, row 359 never\)",
    ),
    "index out of range": (
        lambda: {"features": _good()[0], "index": np.arange(1, 361)},
        r"`index` must hold rows 0..359 of the split, found 1..360",
    ),
    "fractional index": (lambda: {"features": _good()[0], "index": _good()[1] + 0.5}, "whole numbers"),
    "short labels": (lambda: {"features": _good()[0], "labels": np.zeros(3)}, r"one number per row \(360\)"),
}


@pytest.mark.parametrize("case", BAD_NPZ)
def test_a_bad_npz_says_what_is_wrong_and_what_to_do(case, digits, tmp_path):
    arrays, message = BAD_NPZ[case]
    spec = _write_npz(tmp_path / "bad.npz", **arrays())
    with pytest.raises(ConfigError, match=message) as caught:
        features(spec, digits, "test")
    assert str(caught.value).startswith("bad.npz") and "\n" not in str(caught.value)


def test_a_damaged_npz_names_the_file(digits, tmp_path):
    vectors, labels = _pixels(digits)
    data = (write_features(tmp_path / "good.npz", vectors, labels)[0]).read_bytes()
    cases = {
        "empty.npz": (b"", r"empty\.npz is empty \(0 bytes\): write it again with `embed"),
        "truncated.npz": (data[: len(data) // 2], r"truncated\.npz is not a readable \.npz \(.+\): write it"),
        "text.npz": (b"not a zip at all", r"text\.npz is not a readable \.npz"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(DULError, match=message):
            parse_encoder(str(tmp_path / name))
    np.save(tmp_path / "single.npy", vectors)
    (tmp_path / "single.npy").rename(tmp_path / "single.npz")
    with pytest.raises(ConfigError, match=r"single\.npz is a single \.npy array, not an \.npz archive"):
        features(EncoderSpec("file", str(tmp_path / "single.npz")), digits, "test")


BAD_CSV = {
    "empty": ("", r"bad\.csv is empty \(0 bytes\)"),
    "header only": ("index,label,f0\n", r"no rows of features \(only a header\)"),
    "text column": (
        "index,label,name,f0\n0,1,cat,0.5\n",
        r"column 'name' is not numeric \(line 2 has 'cat'\).*drop or encode text columns",
    ),
    "empty cell": ("f0,f1\n0.5,\n", r"column 'f1' is not numeric \(line 2 has ''\)"),
    "ragged": ("f0,f1\n1,2\n3\n", r"line 3 has 1 columns, the first line 2"),
    "no dimensions": ("index,label\n0,1\n", r"no feature columns \(only index, label\)"),
    "nan": ("f0\n1\nnan\n", r"NaN or infinite values in 1 of 2 rows \(first: data row 1\)"),
    "not utf-8": (b"f0\n\xff\xfe\n", r"not a text CSV"),
}


@pytest.mark.parametrize("case", BAD_CSV)
def test_a_bad_csv_says_what_is_wrong_and_what_to_do(case, tmp_path):
    content, message = BAD_CSV[case]
    path = tmp_path / "bad.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ConfigError, match=message) as caught:
        parse_encoder(str(path))
    assert "bad.csv" in str(caught.value) and "\n" not in str(caught.value)
