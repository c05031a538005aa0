"""A small supervised CNN whose penultimate layer is the feature space for sample-quality metrics.

The Fréchet Inception Distance (Heusel et al., NeurIPS 2017, "GANs trained by a two time-scale update
rule converge to a local Nash equilibrium") compares Gaussian fits of real and generated images in the
features of an ImageNet Inception network. Those weights cannot be fetched offline, so, as is common
for MNIST-like data, a classifier trained on the dataset's own labels supplies the features (and the
predicted classes for the mode-coverage histogram). Numbers in this space are not comparable with
published Inception FIDs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from dul_models.core.errors import ConfigError
from dul_models.data import ImageDataset
from dul_models.models.base import Batch, DULModel, ModelConfig, Recipe


@dataclass
class ClassifierConfig(ModelConfig):
    num_classes: int = 10  # the embedded digit sets have 10 classes; prepare() checks the dataset
    base_channels: int = 32  # 32/64 channels reach ~98 % on mnist5k and train in about a minute on a CPU
    feature_dim: int = 128  # the Fréchet distance fits a 128×128 covariance: well estimated from 500+ images
    dropout: float = 0.3  # 4,000 training images overfit without it
    max_shift: int = 2  # random translation in pixels while training: the cheapest MNIST augmentation

    def __post_init__(self) -> None:
        super().__post_init__()
        _, height, width = self.image_shape
        if height % 4 or width % 4:
            raise ConfigError(f"image height and width must be multiples of 4, got {height}×{width}")
        if self.num_classes < 2:
            raise ConfigError(f"num_classes must be at least 2, got {self.num_classes!r}")
        if self.base_channels < 1 or self.feature_dim < 1:
            raise ConfigError("base_channels and feature_dim must be positive integers")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.max_shift < 0:
            raise ConfigError(f"max_shift must be >= 0, got {self.max_shift!r}")


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Translate each image by up to ±max_shift pixels (zero fill), batched: one pad and one gather."""
    if max_shift == 0:
        return x
    batch, _, height, width = x.shape
    padded = F.pad(x, (max_shift,) * 4)  # (B, C, H + 2s, W + 2s)
    offsets = torch.randint(0, 2 * max_shift + 1, (batch, 2), generator=generator).to(x.device)
    rows = offsets[:, 0, None] + torch.arange(height, device=x.device)  # (B, H)
    cols = offsets[:, 1, None] + torch.arange(width, device=x.device)  # (B, W)
    index = torch.arange(batch, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[index, rows[:, :, None], cols[:, None, :]]  # (B, H, W, C)
    return out.permute(0, 3, 1, 2).contiguous()  # (B, C, H, W)


class Classifier(DULModel):
    """x → two conv/pool stages → features (feature_dim) → class logits."""

    family = "classifier"
    config_cls = ClassifierConfig
    title = "Small CNN classifier (feature space for sample metrics)"
    description = (
        "Trained on the dataset's labels; its features score generated samples (FID, class histogram)."
    )
    recipes = (
        Recipe(
            name="classifier-mnist5k",
            family="classifier",
            dataset="mnist5k",
            title="CNN classifier (features for FID)",
            train={"epochs": 30, "seed": 0},
        ),
    )
    tiny_config = {"base_channels": 4, "feature_dim": 8}

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__(config)
        self.config: ClassifierConfig = config
        channels, height, width = config.image_shape
        b = config.base_channels
        self.conv = nn.Sequential(
            nn.Conv2d(channels, b, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, b, H/2, W/2)
            nn.Conv2d(b, 2 * b, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 2b, H/4, W/4)
        )
        self.fc = nn.Linear(2 * b * (height // 4) * (width // 4), config.feature_dim)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.feature_dim, config.num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate-layer activations (B, feature_dim): the space the Fréchet distance is measured in."""
        h = self.conv(x).flatten(1)  # (B, 2b·H/4·W/4)
        return F.relu(self.fc(h))

    @torch.no_grad()
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)  # (B, feature_dim)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.features(x)))  # (B, num_classes)

    @torch.no_grad()
    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(x), dim=1)

    classify = predict_proba  # the verb: class probabilities (B, num_classes)

    def prepare(self, dataset: ImageDataset) -> None:
        if not dataset.has_labels:
            raise ConfigError(f"dataset {dataset.name!r} has no labels; a classifier needs them")
        if len(dataset.class_names) > self.config.num_classes:
            raise ConfigError(
                f"dataset {dataset.name!r} has {len(dataset.class_names)} classes but the classifier was "
                f"built for num_classes={self.config.num_classes}"
            )

    def loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        x = random_shift(batch.x, self.config.max_shift) if self.training else batch.x
        logits = self.logits(x)
        loss = F.cross_entropy(logits.float(), batch.y)
        accuracy = (logits.argmax(1) == batch.y).float().mean()
        return loss, {"accuracy": float(accuracy)}

    @torch.no_grad()
    def preview(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """The preview images sorted by predicted class, so a working classifier shows ordered digits."""
        order = self.logits(x).argmax(1).argsort()
        return x[order].cpu(), x.shape[0]

    @torch.no_grad()
    def evaluate(
        self, x: torch.Tensor, y: torch.Tensor, *, quick: bool = False, **options: Any
    ) -> dict[str, float]:
        """Accuracy and mean cross-entropy (nats) on the labelled images given."""
        self.check_options(options)
        logits = torch.cat([self.logits(x[s : s + 500]) for s in range(0, x.shape[0], 500)])
        return {
            "accuracy": float((logits.argmax(1) == y).float().mean()),
            "cross_entropy": float(F.cross_entropy(logits.float(), y)),
        }
