"""Image datasets held in memory: embedded (always offline), generated, and downloaded through torchvision.

`get_dataset(name)` is the one entry point; uploads become tensors through `image_from_bytes`.
Importing this package loads no data and no torchvision: each loader imports what it needs on first use.
"""

from __future__ import annotations

from dul_models.core.paths import data_dir
from dul_models.data.catalogue import dataset_version, get_dataset, list_datasets
from dul_models.data.registry import DEFAULT_DATASET, DatasetSpec, ImageDataset, Split, to_float
from dul_models.data.uploads import image_from_bytes

__all__ = [
    "DEFAULT_DATASET",
    "DatasetSpec",
    "ImageDataset",
    "Split",
    "data_dir",
    "dataset_version",
    "get_dataset",
    "image_from_bytes",
    "list_datasets",
    "to_float",
]
