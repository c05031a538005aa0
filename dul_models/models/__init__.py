"""The FAMILIES registry: name → config class, model class and what the family can do.

The app builds its model pickers and the CLI its choices from this table, so adding a family is one
entry here plus its own file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from dul_models.errors import ConfigError
from dul_models.models.autoencoder import Autoencoder, AutoencoderConfig
from dul_models.models.base import Batch, DULModel, ModelConfig, config_from_dict


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    config_cls: type[ModelConfig]
    model_cls: type[DULModel]
    capabilities: frozenset[str]  # verbs the model offers: encode, decode, reconstruct, sample, ...
    description: str


FAMILIES: dict[str, Family] = {
    "autoencoder": Family(
        name="autoencoder",
        title="Convolutional autoencoder (plain or denoising)",
        config_cls=AutoencoderConfig,
        model_cls=Autoencoder,
        capabilities=frozenset({"encode", "decode", "reconstruct", "denoise", "embed"}),
        description="Compresses images to a latent vector and back; the denoising variant learns to undo noise.",
    ),
}


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise ConfigError(f"unknown family {name!r}; choose from: {', '.join(FAMILIES)}") from None


def build_model(family: str, config: dict[str, Any] | ModelConfig, seed: int | None = None) -> DULModel:
    """Validate the config against the family and build a fresh model (on the CPU).

    With a seed the initial weights are reproducible without touching the global random state.
    """
    fam = get_family(family)
    validated = config_from_dict(fam.config_cls, config)
    if seed is None:
        return fam.model_cls(validated)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return fam.model_cls(validated)


__all__ = [
    "FAMILIES",
    "Batch",
    "DULModel",
    "Family",
    "ModelConfig",
    "build_model",
    "config_from_dict",
    "get_family",
]
