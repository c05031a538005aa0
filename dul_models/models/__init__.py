"""The FAMILIES registry: name → config class, model class, what the family can do and its recipes.

The app builds its model pickers and the CLI its choices from this table. Everything else about a
family lives in its own file (title, description, recipes, tiny config), so adding a family is that
file plus one entry in `_REGISTERED`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from dul_models.core.errors import ConfigError
from dul_models.models.autoencoder import Autoencoder
from dul_models.models.base import VERBS, Batch, DULModel, ModelConfig, Recipe, config_from_dict
from dul_models.models.classifier import Classifier
from dul_models.models.colorization import Colorization
from dul_models.models.context import ContextPrediction
from dul_models.models.dcgan import DCGAN
from dul_models.models.deepcluster import DeepCluster
from dul_models.models.jigsaw import Jigsaw
from dul_models.models.maml import MAML
from dul_models.models.matching import MatchingNetwork
from dul_models.models.moco import MoCo
from dul_models.models.pixelcnn import PixelCNN
from dul_models.models.protonet import ProtoNet
from dul_models.models.rotation import RotationPrediction
from dul_models.models.semisup import SemiSupervised
from dul_models.models.simclr import SimCLR
from dul_models.models.vae import VAE

_REGISTERED: tuple[type[DULModel], ...] = (
    Autoencoder,
    VAE,
    Classifier,
    DCGAN,
    PixelCNN,
    SimCLR,
    MoCo,
    RotationPrediction,
    Jigsaw,
    ContextPrediction,
    Colorization,
    DeepCluster,
    SemiSupervised,
    ProtoNet,
    MatchingNetwork,
    MAML,
)


@dataclass(frozen=True)
class Family:
    """One model family, read off its class: nothing here is declared twice."""

    model_cls: type[DULModel]

    @property
    def name(self) -> str:
        return self.model_cls.family

    @property
    def title(self) -> str:
        return self.model_cls.title

    @property
    def description(self) -> str:
        return self.model_cls.description

    @property
    def config_cls(self) -> type[ModelConfig]:
        return self.model_cls.config_cls

    @property
    def recipes(self) -> tuple[Recipe, ...]:
        return self.model_cls.recipes

    @property
    def tiny_config(self) -> dict[str, Any]:
        return dict(self.model_cls.tiny_config)

    @property
    def capabilities(self) -> frozenset[str]:
        """The verbs the model class really defines (derived, never declared)."""
        return frozenset(verb for verb in VERBS if callable(getattr(self.model_cls, verb, None)))


FAMILIES: dict[str, Family] = {cls.family: Family(cls) for cls in _REGISTERED}


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
    "Recipe",
    "build_model",
    "config_from_dict",
    "get_family",
]
