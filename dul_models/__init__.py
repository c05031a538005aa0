"""dul_models: data, models, training, runs and evaluation for DUL Explorer, in layers.

The library never imports streamlit: everything the app shows can be produced from Python or the CLI.
Layers, lowest first (a module imports only its own layer or lower ones; `tests/test_layers.py`):
core → data → metrics → models → runs → features → train → explore → cli.

This face names what the app and scripts share across pages (errors, data sets, runs, encoders, the live
training preset). Names load on first use, so `import dul_models.core.errors` stays cheap and nothing runs
at import.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from dul_models.core.version import __version__

# name → module that defines it
_EXPORTS = {
    "DULError": "dul_models.core.errors",
    "ConfigError": "dul_models.core.errors",
    "CheckpointError": "dul_models.core.errors",
    "available_devices": "dul_models.core.devices",
    "configure_threads": "dul_models.core.devices",
    "pick_device": "dul_models.core.devices",
    "DEVICE_CHOICES": "dul_models.core.devices",
    "grid_array": "dul_models.core.images",
    "png_bytes": "dul_models.core.images",
    "reporting": "dul_models.core.progress",
    "DEFAULT_DATASET": "dul_models.data",
    "ImageDataset": "dul_models.data",
    "to_float": "dul_models.data",
    "get_dataset": "dul_models.data",
    "dataset_version": "dul_models.data",
    "list_datasets": "dul_models.data",
    "image_from_bytes": "dul_models.data",
    "UNLABELLED": "dul_models.data.gallery",
    "class_name": "dul_models.data.gallery",
    "label_counts": "dul_models.data.gallery",
    "FAMILIES": "dul_models.models",
    "LoadedRun": "dul_models.runs.checkpoints",
    "RunInfo": "dul_models.runs.checkpoints",
    "RunRef": "dul_models.runs.checkpoints",
    "bundled_dir": "dul_models.runs.checkpoints",
    "list_runs": "dul_models.runs.checkpoints",
    "load_run": "dul_models.runs.checkpoints",
    "run_archive": "dul_models.runs.checkpoints",
    "run_stamps": "dul_models.runs.checkpoints",
    "find_run": "dul_models.runs.queries",
    "EncoderSpec": "dul_models.features.encoders",
    "list_encoders": "dul_models.features.encoders",
    "image_split": "dul_models.features.encoders",
    "TrainConfig": "dul_models.train.trainer",
    "live_train_config": "dul_models.train.trainer",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    """PEP 562: import the defining module on first use of an exported name."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'dul_models' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
