"""What the self-supervised families share: the backbone, the views, and the health checks of a representation.

Each family (SimCLR, MoCo, rotation, jigsaw, context, colorisation) trains the same `Backbone` on its
own task; `embed` is always the backbone's output, never a projection or a task head, so the explorer,
the probes and the clustering page compare what the tasks taught the same network.

`evaluate` reports, for every family, the collapse diagnostics of Wang & Isola (ICML 2020, "Understanding
contrastive representation learning through alignment and uniformity on the hypersphere") and the std of
the normalised embeddings (Chen & He, CVPR 2021), plus the family's own task score (`task_metrics`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from dul_models.core.errors import ConfigError
from dul_models.data.augment import ViewStrength, view_augmenter
from dul_models.models.backbone import Backbone
from dul_models.models.base import DULModel, ModelConfig
from dul_models.models.losses import alignment, embedding_std, uniformity

EVAL_CHUNK = 500


def projection_health(z: torch.Tensor) -> dict[str, float]:
    """The std of L2-normalised projections and its healthy value 1/√P: the contrastive losses act on
    the projection, so that is where a collapse shows first (the ReLU features stay in one orthant and
    their std sits well below 1/√D even in a healthy run)."""
    if z.shape[0] < 2:
        return {}
    return {"projection_std": float(embedding_std(z)), "healthy_projection_std": 1.0 / z.shape[1] ** 0.5}


@dataclass
class SelfSupervisedConfig(ModelConfig):
    """The backbone's size and the strength of the two views (see `ViewStrength` for the reasons)."""

    width: int = 16  # channels of the first stage (then 2×, 4×): 16 trains fast on a CPU; 32–64 on a GPU
    crop_scale: float = 0.5
    rotation: float = 15.0
    translate: float = 0.1
    erasing: float = 0.25
    noise: float = 0.1
    jitter: float = 0.4

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.width < 1:
            raise ConfigError(f"width must be a positive integer, got {self.width!r}")
        self.view_strength()  # validates the augmentation fields

    def view_strength(self) -> ViewStrength:
        return ViewStrength(
            crop_scale=self.crop_scale,
            rotation=self.rotation,
            translate=self.translate,
            erasing=self.erasing,
            noise=self.noise,
            jitter=self.jitter,
        )


class SelfSupervisedModel(DULModel):
    """Base of the self-supervised families: a backbone, a view augmenter, shared metrics."""

    config_cls = SelfSupervisedConfig
    evaluators = ("knn", "linear_probe")  # kNN accuracy while training; the 10-label probe at the end

    def __init__(self, config: SelfSupervisedConfig) -> None:
        super().__init__(config)
        self.config: SelfSupervisedConfig = config
        self.backbone = Backbone(config.image_shape[0], config.width)
        # Not a submodule: it has no weights, and keeping it out of the state dict keeps checkpoints
        # loadable whatever kornia version drew the views.
        object.__setattr__(self, "augment", view_augmenter(config.image_shape, config.view_strength()))

    def views(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Two independent random views of every image, drawn on x's device in one batched call."""
        first, second = self.augment(torch.cat([x, x])).chunk(2)
        return first, second

    def seeded_views(self, x: torch.Tensor, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """The same two views every call (kornia draws from the global generator, so fork it)."""
        devices = [x.device] if x.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            return self.views(x)

    def backbone_input(self, x: torch.Tensor) -> torch.Tensor:
        """What the backbone sees of an image (colourisation overrides it: the grey version)."""
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Backbone features with gradients (the losses use this; `embed` is the no-grad verb)."""
        return self.backbone(self.backbone_input(x))  # (B, feature_dim)

    @torch.no_grad()
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)  # (B, feature_dim)

    def task_metrics(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """The family's own task score on held-out images (e.g. `pretext_acc`)."""
        return {}

    @torch.no_grad()
    def preview(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Each preview image above two of its views (the same every call): what the network must match."""
        v1, v2 = self.seeded_views(x)
        return torch.cat([x, v1, v2]).cpu(), x.shape[0]

    @torch.no_grad()
    def evaluate(
        self, x: torch.Tensor, y: torch.Tensor, *, quick: bool = False, **options: Any
    ) -> dict[str, Any]:
        """Alignment (lower: views of one image agree), uniformity (lower: images spread over the sphere),
        embedding std (≈ 1/√D healthy, ≈ 0 collapsed) and the family's task metrics."""
        self.check_options(options)
        x = x[:EVAL_CHUNK] if quick else x
        z, z1, z2 = [], [], []
        for start in range(0, x.shape[0], EVAL_CHUNK):
            chunk = x[start : start + EVAL_CHUNK]
            v1, v2 = self.views(chunk)
            z.append(self.features(chunk).float())
            z1.append(self.features(v1).float())
            z2.append(self.features(v2).float())
        features, first, second = torch.cat(z), torch.cat(z1), torch.cat(z2)
        metrics = {
            "alignment": float(alignment(first, second)),
            "uniformity": float(uniformity(features)),
            "embedding_std": float(embedding_std(features)),
            "healthy_std": 1.0 / self.backbone.feature_dim**0.5,
        }
        metrics.update(self.task_metrics(x, y[: x.shape[0]]))
        return metrics
