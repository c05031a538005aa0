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
from dul_models.models.classifier import Classifier, ClassifierConfig
from dul_models.models.dcgan import DCGAN, DCGANConfig
from dul_models.models.pixelcnn import PixelCNN, PixelCNNConfig
from dul_models.models.vae import VAE, VAEConfig


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
    "vae": Family(
        name="vae",
        title="Variational autoencoder (VAE / β-VAE)",
        config_cls=VAEConfig,
        model_cls=VAE,
        capabilities=frozenset(
            {"encode", "decode", "reconstruct", "sample", "embed", "traverse", "interpolate"}
        ),
        description="A probabilistic autoencoder: traverse and map its latent space, sample, and bound log p(x).",
    ),
    "classifier": Family(
        name="classifier",
        title="Small CNN classifier (feature space for sample metrics)",
        config_cls=ClassifierConfig,
        model_cls=Classifier,
        capabilities=frozenset({"classify", "embed"}),
        description="Trained on the dataset's labels; its features score generated samples (FID, class histogram).",
    ),
    "dcgan": Family(
        name="dcgan",
        title="DCGAN (optionally class-conditional)",
        config_cls=DCGANConfig,
        model_cls=DCGAN,
        capabilities=frozenset({"sample", "generate", "interpolate"}),
        description="A generator and a discriminator trained against each other; samples scored by FID in classifier features.",
    ),
    "pixelcnn": Family(
        name="pixelcnn",
        title="PixelCNN (plain or gated)",
        config_cls=PixelCNNConfig,
        model_cls=PixelCNN,
        capabilities=frozenset({"sample", "log_prob", "complete"}),
        description="An autoregressive model with exact likelihoods: sample pixel by pixel, complete, score.",
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
