"""SimCLR (Chen et al., ICML 2020, "A simple framework for contrastive learning of visual representations").

Two random views of every image go through the backbone and a projection head; the NT-Xent loss asks
each view to pick out its partner among all 2B − 2 other views in the batch (instance discrimination).
The loss sees the projection; `embed` returns the backbone features before it, which the paper found
keep more of what the augmentations remove (colour, orientation) and probe better.

Three "break it" switches are part of the config because the page exists to show them: without
negatives nothing stops every image mapping to one point (complete collapse); without the projection
head the features themselves must discard everything the views disagree on; and a high temperature
flattens the softmax so hard negatives no longer matter and the embeddings use fewer directions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from dul_models.core.errors import ConfigError
from dul_models.models.backbone import projection_head
from dul_models.models.base import Batch, Recipe
from dul_models.models.losses import alignment, contrastive_logits, nt_xent
from dul_models.models.self_supervised import (
    EVAL_CHUNK,
    SelfSupervisedConfig,
    SelfSupervisedModel,
    projection_health,
)


@dataclass
class SimCLRConfig(SelfSupervisedConfig):
    projection_dim: int = 64  # the loss's space; small is enough for 10 classes
    temperature: float = 0.2  # the paper's 0.5 suits 4,096-image batches; smaller batches want sharper
    projection: bool = True  # False = "break it": the loss acts on the features directly
    negatives: bool = True  # False = "break it": only pull views together (the alignment term); with
    # nothing pushing images apart, mapping everything to one point is a perfect score — collapse

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ConfigError(f"temperature must be a positive number, got {self.temperature!r}")
        if self.projection_dim < 1:
            raise ConfigError(f"projection_dim must be positive, got {self.projection_dim!r}")


class SimCLR(SelfSupervisedModel):
    """backbone → projection head → NT-Xent over two views of each image."""

    family = "simclr"
    config_cls = SimCLRConfig
    title = "SimCLR (contrastive, two views)"
    description = "Learns features by recognising two augmented views of the same image among a batch."
    recipes = (
        Recipe(
            name="simclr-mnist5k",
            family="simclr",
            dataset="mnist5k",
            title="SimCLR on MNIST 5k",
            train={"epochs": 150, "batch_size": 256, "seed": 0, "lr_schedule": "cosine"},
        ),
    )
    tiny_config = {"width": 4, "projection_dim": 4}

    def __init__(self, config: SimCLRConfig) -> None:
        super().__init__(config)
        self.config: SimCLRConfig = config
        if config.projection:
            self.head: nn.Module = projection_head(self.backbone.feature_dim, config.projection_dim)
        else:
            self.head = nn.Identity()

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """The loss's space: (B, projection_dim), or the features when the head is switched off."""
        return self.head(self.features(x))

    def loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        v1, v2 = self.views(batch.x)
        z = self.project(torch.cat([v1, v2]))  # one pass: batch-norm statistics over both views
        z1, z2 = z.chunk(2)
        if self.config.negatives:
            loss = nt_xent(z1, z2, self.config.temperature)
        else:
            loss = alignment(z1, z2)  # positives only: the loss the negatives exist to prevent
        with torch.no_grad():
            hits = contrastive_logits(z1.float(), z2.float(), 1.0).argmax(1)
            accuracy = (hits == torch.arange(z1.shape[0], device=z1.device)).float().mean()
        return loss, {"pair_acc": float(accuracy)}

    @torch.no_grad()
    def task_metrics(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """`pretext_acc`: how often a view's most similar other view (among up to 500) is its partner;
        `projection_std`: the embedding std in the loss's own space, where collapse shows first."""
        hits, total, projected = 0, 0, []
        for start in range(0, x.shape[0], EVAL_CHUNK):
            v1, v2 = self.views(x[start : start + EVAL_CHUNK])
            p1 = self.project(v1).float()
            best = contrastive_logits(p1, self.project(v2).float(), 1.0).argmax(1)
            hits += int((best == torch.arange(v1.shape[0], device=x.device)).sum())
            total += v1.shape[0]
            projected.append(p1)
        z = torch.cat(projected)
        return {"pretext_acc": hits / total, **projection_health(z)}
