"""MoCo (He et al., CVPR 2020, "Momentum contrast for unsupervised visual representation learning").

Instance discrimination like SimCLR, but the negatives come from a queue (the memory bank) of keys
encoded at earlier steps instead of from the current batch, so there can be many more of them than fit
in one batch. The keys come from a second, *momentum* encoder whose weights trail the query encoder's
(θ_k ← m·θ_k + (1 − m)·θ_q): a key encoded 15 steps ago was made by nearly the same network as one
encoded now, which keeps the queue consistent. The projection MLP and temperature 0.2 are MoCo v2's
(Chen et al., 2020).

The state the page plots lives in buffers and is saved with the run: the queue, the step at which each
key was enqueued (its staleness) and the step counter.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from dul_models.core.errors import ConfigError
from dul_models.models.averaging import ema_update
from dul_models.models.backbone import projection_head
from dul_models.models.base import Batch, Recipe, uniform_batches
from dul_models.models.losses import info_nce
from dul_models.models.self_supervised import (
    EVAL_CHUNK,
    SelfSupervisedConfig,
    SelfSupervisedModel,
    projection_health,
)


@dataclass
class MoCoConfig(SelfSupervisedConfig):
    projection_dim: int = 64
    temperature: float = 0.2  # MoCo v2's value
    momentum: float = 0.99  # the paper's 0.999 suits 100k+ steps; a few thousand steps need a key
    # encoder that follows faster, or the queue is full of keys from a network that no longer exists
    queue_size: int = 4096  # negatives held; a multiple of the batch size so the queue turns over evenly
    key_splits: int = 4  # keys encoded in shuffled groups: one device's stand-in for MoCo's shuffled BN,
    # which stops the query and its key from sharing batch-norm statistics (a shortcut to the answer)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ConfigError(f"temperature must be a positive number, got {self.temperature!r}")
        if not 0.0 <= self.momentum < 1.0:
            raise ConfigError(f"momentum must be in [0, 1), got {self.momentum!r}")
        if self.queue_size < 1:
            raise ConfigError(f"queue_size must be a positive integer, got {self.queue_size!r}")
        if self.key_splits < 1 or self.projection_dim < 1:
            raise ConfigError("key_splits and projection_dim must be positive integers")


class MoCo(SelfSupervisedModel):
    """query encoder (trained) + momentum key encoder + queue of keys; InfoNCE over [positive, queue]."""

    family = "moco"
    config_cls = MoCoConfig
    title = "MoCo (momentum contrast, queue of negatives)"
    description = "Contrastive learning against a queue of keys from a slowly moving momentum encoder."
    recipes = (
        Recipe(
            name="moco-mnist5k",
            family="moco",
            dataset="mnist5k",
            title="MoCo on MNIST 5k",
            train={"epochs": 100, "batch_size": 256, "seed": 0, "lr_schedule": "cosine"},
        ),
    )
    tiny_config = {"width": 4, "projection_dim": 4, "queue_size": 16, "key_splits": 2}

    def __init__(self, config: MoCoConfig) -> None:
        super().__init__(config)
        self.config: MoCoConfig = config
        self.head = projection_head(self.backbone.feature_dim, config.projection_dim)
        self.key_backbone = copy.deepcopy(self.backbone).requires_grad_(False)
        self.key_head = copy.deepcopy(self.head).requires_grad_(False)
        queue = F.normalize(torch.randn(config.queue_size, config.projection_dim), dim=1)
        self.register_buffer("queue", queue)  # (K, P) unit keys; random until the first K/B steps
        self.register_buffer("queue_step", torch.full((config.queue_size,), -1, dtype=torch.long))
        self.register_buffer("queue_ptr", torch.zeros((), dtype=torch.long))
        self.register_buffer("step", torch.zeros((), dtype=torch.long))
        self._pending_keys: torch.Tensor | None = None

    def project(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (B, P) queries

    @torch.no_grad()
    def encode_keys(self, x: torch.Tensor) -> torch.Tensor:
        """Unit keys (B, P) from the momentum encoder, encoded in shuffled groups and put back in order."""
        order = torch.randperm(x.shape[0], device=x.device)
        parts = [self.key_head(self.key_backbone(x[idx])) for idx in order.chunk(self.config.key_splits)]
        keys = torch.empty(x.shape[0], self.config.projection_dim, device=x.device)
        keys[order] = torch.cat(parts).float()
        return F.normalize(keys, dim=1)

    def batch_source(
        self, x: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator
    ) -> Iterator[Batch]:
        if self.config.queue_size % batch_size:
            raise ConfigError(
                f"queue_size {self.config.queue_size} is not a multiple of batch_size {batch_size}; "
                f"use e.g. {max(1, round(self.config.queue_size / batch_size)) * batch_size}"
            )
        return uniform_batches(x, y, batch_size, generator)

    def loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        v1, v2 = self.views(batch.x)
        q = self.project(v1)
        k = self.encode_keys(v2)
        loss = info_nce(q, k, self.queue.clone(), self.config.temperature)
        with torch.no_grad():
            qn = F.normalize(q.float(), dim=1)
            positive = (qn * k).sum(1)  # (B,)
            hardest = (qn @ self.queue.T).max(1).values  # (B,)
            accuracy = (positive > hardest).float().mean()
        if self.training:
            self._pending_keys = k
        return loss, {"key_acc": float(accuracy), "key_drift": self.key_drift()}

    def train_step(self, batch, optimizers, grad_clip):  # type: ignore[override]
        """MoCo's order: loss → update the query encoder → move the key encoder → enqueue the keys."""
        metrics = super().train_step(batch, optimizers, grad_clip)
        self._momentum_update()
        if self._pending_keys is not None:
            self._enqueue(self._pending_keys)
            self._pending_keys = None
        self.step += 1
        return metrics

    @torch.no_grad()
    def _momentum_update(self) -> None:
        ema_update(self.key_backbone, self.backbone, self.config.momentum)
        ema_update(self.key_head, self.head, self.config.momentum)

    @torch.no_grad()
    def _enqueue(self, keys: torch.Tensor) -> None:
        """Overwrite the oldest keys (first in, first out); the pointer wraps around the queue."""
        size, start = self.config.queue_size, int(self.queue_ptr)
        idx = (start + torch.arange(keys.shape[0], device=keys.device)) % size
        self.queue[idx] = keys.to(self.queue.dtype)
        self.queue_step[idx] = self.step
        self.queue_ptr.fill_((start + keys.shape[0]) % size)

    @torch.no_grad()
    def key_drift(self) -> float:
        """‖θ_k − θ_q‖ / ‖θ_q‖ over the backbone: how far the key encoder trails the query encoder."""
        diff = sum(
            float((pk - pq).pow(2).sum())
            for pk, pq in zip(self.key_backbone.parameters(), self.backbone.parameters(), strict=True)
        )
        norm = sum(float(pq.pow(2).sum()) for pq in self.backbone.parameters())
        return math.sqrt(diff / max(norm, 1e-12))

    @torch.no_grad()
    def staleness(self) -> torch.Tensor:
        """Steps since each filled queue slot was encoded (CPU, int64); empty slots are left out."""
        filled = self.queue_step >= 0
        return (self.step - self.queue_step[filled]).cpu()

    @torch.no_grad()
    def task_metrics(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """`pretext_acc`: how often a query's own key beats every negative in the queue."""
        hits, projected = 0, []
        for start in range(0, x.shape[0], EVAL_CHUNK):
            v1, v2 = self.views(x[start : start + EVAL_CHUNK])
            q = self.project(v1).float()
            projected.append(q)
            q = F.normalize(q, dim=1)
            k = self.encode_keys(v2)
            hits += int(((q * k).sum(1) > (q @ self.queue.T).max(1).values).sum())
        health = projection_health(torch.cat(projected))
        return {"pretext_acc": hits / x.shape[0], "key_drift": self.key_drift(), **health}
