"""What the Home page shows besides its cards: the chosen dataset's class gallery and where things run
(the device, torch, and the runs there are for the dataset), computed here so the page only draws it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from dul_models.core.devices import pick_device
from dul_models.data import ImageDataset
from dul_models.data.gallery import class_gallery
from dul_models.runs.checkpoints import list_runs

__all__ = ["Environment", "Gallery", "dataset_gallery", "environment"]


@dataclass(frozen=True)
class Gallery:
    """A few training images of every class, one row per class, and the images each class has."""

    images: torch.Tensor  # (classes · per_class, C, H, W) floats in [0, 1]; blank where a class has fewer
    counts: list[dict[str, Any]]  # {class, train, test}, in the order of the rows
    per_class: int  # images per row


def dataset_gallery(data: ImageDataset, per_class: int) -> Gallery:
    """The first `per_class` training images of each class, with the train / test count of each class."""
    images, counts = class_gallery(data, per_class)
    return Gallery(images, counts, per_class)


@dataclass(frozen=True)
class Environment:
    """Where training and inference run, and the runs there are for a dataset."""

    device: str  # the device "auto" (or the sidebar's choice) resolves to: "cuda", "mps" or "cpu"
    torch_version: str
    runs: list[dict[str, Any]]  # {run, family, step, bundled, folder}: bundled first, then newest first

    @property
    def bundled(self) -> int:
        return sum(bool(r["bundled"]) for r in self.runs)


def environment(device_name: str, dataset_name: str) -> Environment:
    """The resolved device, torch's version and every run (bundled and the user's) on `dataset_name`."""
    runs = [
        {
            "run": r.title or r.name,
            "family": r.family,
            "step": r.step,
            "bundled": r.bundled,
            "folder": str(r.path),
        }
        for r in list_runs(dataset=dataset_name)
    ]
    return Environment(pick_device(device_name).type, torch.__version__, runs)
