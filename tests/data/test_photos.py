"""The colour photo patches: RGB uint8, balanced over the photos, deterministic, cached, offline."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from dul_models.data import ImageDataset, photos, registry

COUNT = len(photos.PHOTOS) * photos.PER_PHOTO


def _no_network(*args: object, **kwargs: object) -> None:
    raise AssertionError("the photos dataset tried to use the network")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ImageDataset, Path]]:
    """Built once from the installed photos, with every network call failing the test."""
    root = tmp_path_factory.mktemp("photos")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("create_connection", "getaddrinfo"):
            patch.setattr(socket, name, _no_network)
        patch.setattr(socket.socket, "connect", _no_network)
        yield photos.load_photos(root), root


def test_shapes_dtypes_and_classes(built: tuple[ImageDataset, Path]) -> None:
    dataset, root = built
    assert (root / photos.CACHE_NAME).is_file()
    assert dataset.name == "photos" and dataset.embedded and dataset.has_labels
    assert dataset.image_shape == (3, 32, 32) and dataset.factor_names == ()
    assert (len(dataset.train), len(dataset.test)) == (3276, 820)
    assert len(dataset.class_names) == 8 and "astronaut" in dataset.class_names
    assert "china (temple)" in dataset.class_names
    for split in (dataset.train, dataset.test):
        assert split.x.dtype == torch.uint8 and split.y.dtype == torch.int64
        assert split.x.is_contiguous() and split.factors is None
    assert "scikit-image" in dataset.source and "scikit-learn" in dataset.source
    assert "CC BY 2.0" in dataset.licence and "CC0" in dataset.licence


def test_split_is_stratified_and_disjoint(built: tuple[ImageDataset, Path]) -> None:
    dataset, _ = built
    train, test = torch.bincount(dataset.train.y), torch.bincount(dataset.test.y)
    assert len(train) == len(test) == 8  # every photo on both sides
    assert torch.equal(train + test, torch.full((8,), photos.PER_PHOTO))
    assert int(test.min()) >= 102 and int(test.max()) <= 103  # 20 % of 512 for every photo
    assert dataset.train.y[:64].unique().numel() == 8  # shuffled: the first batch sees every photo
    flat = torch.cat([dataset.train.x, dataset.test.x]).reshape(COUNT, -1)
    assert len(torch.unique(flat, dim=0)) == COUNT  # no patch twice, none on both sides


def test_patches_are_colourful_and_not_flat(built: tuple[ImageDataset, Path]) -> None:
    dataset, _ = built
    x = torch.cat([dataset.train.x, dataset.test.x]).to(torch.float32)
    chroma = (x - x.mean(dim=1, keepdim=True)).abs().mean(dim=(1, 2, 3))  # per patch, 0..255
    assert chroma.mean() > 15  # real colour, not grey copied into three channels
    y = torch.cat([dataset.train.y, dataset.test.y])
    per_photo = torch.stack([chroma[y == label].mean() for label in range(8)])
    assert per_photo.min() > 5  # every photo contributes colour
    grey = torch.einsum("nchw,c->nhw", x, torch.from_numpy(photos.LUMA))
    assert grey.reshape(COUNT, -1).std(dim=1, correction=0).min() >= photos.MIN_GREY_STD - 1e-3


def test_build_is_deterministic_and_cached(
    built: tuple[ImageDataset, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset, root = built
    images, labels = photos.make_photos()  # a second build from the photos
    assert images.shape == (COUNT, 3, 32, 32) and images.dtype == np.uint8
    assert np.array_equal(labels, np.repeat(np.arange(8), photos.PER_PHOTO))
    with np.load(root / photos.CACHE_NAME) as stored:
        assert np.array_equal(stored["images"], images) and np.array_equal(stored["labels"], labels)

    def no_building() -> None:
        raise AssertionError("built again although the cache exists")

    monkeypatch.setattr(photos, "make_photos", no_building)
    again = photos.load_photos(root)
    assert torch.equal(again.train.x, dataset.train.x) and torch.equal(again.test.y, dataset.test.y)


def test_registered_after_shapes_and_import_stays_cheap() -> None:
    names = list(registry.DATASETS)
    assert names.index("photos") == names.index("shapes") + 1
    spec = registry.DATASETS["photos"]
    assert spec.embedded and "4,096" in spec.description and "3,276 train / 820 test" in spec.description
    code = "import sys, dul_models.data; print('skimage' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "False"  # scikit-image is imported by the loader only
