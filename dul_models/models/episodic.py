"""What the meta-learners share: training on episodes of base classes, and accuracy over episodes of
novel classes as their evaluation.

ProtoNet, matching networks and MAML (one file each) differ only in how they answer an episode
(`episode_logits` while training, `episode_probabilities` when evaluated). Everything else is here: the
batch source draws `tasks_per_step` N-way K-shot episodes from the base pool (the Trainer's batch size
is not used), the quick evaluation scores 5-way 1-shot episodes of the validation pool while training,
and the final one reports `acc_{N}way_{K}shot` ± 95 % interval on the novel classes (`data/episodes.py`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from dul_models.core.errors import ConfigError
from dul_models.data import ImageDataset, to_float
from dul_models.data.episode_batches import EpisodeBatch, episode_batches
from dul_models.data.episodes import (
    EpisodePool,
    EpisodeSet,
    episode_pool,
    sample_episodes,
    with_rotated_classes,
)
from dul_models.metrics.intervals import mean_ci95
from dul_models.models.backbone import Backbone
from dul_models.models.base import DULModel, ModelConfig
from dul_models.models.episode_solvers import (
    MATCHING_TEMPERATURE,
    accuracies,
    feature_logits,
    feature_probabilities,
)

QUICK_EPISODES = 100  # validation episodes per periodic evaluation: ± 0.03 at 5-way 1-shot
FINAL_EPISODES = 600  # the few-shot papers' count: ± 0.01 or better
QUERIES = 15  # queries per class in evaluation episodes (the papers' 15); fewer when a class is small
FINAL_SETTINGS = ((5, 1), (5, 5), (20, 1), (20, 5))  # (N, K) reported when the novel pool has N classes
EMBED_CHUNK = 500


@dataclass
class EpisodicConfig(ModelConfig):
    """How meta-training episodes are drawn (evaluation episodes are fixed by the settings above)."""

    train_way: int = 20  # more ways than tested sharpens the metric (Snell et al. trained Omniglot 60-way);
    # capped at the number of base classes, so 5 on the digit sets
    train_shot: int = 1  # train with the shot you test (Snell et al.); 1 also works for 5-shot tests
    train_queries: int = 5  # queries per class in a training episode
    tasks_per_step: int = 1  # episodes averaged in one optimiser step (MAML's meta-batch)
    augment: float = 0.0  # strength of a random affine warp of every training image (1 = ±15°, ±10 %
    # shift, ±15 % scale, ±10° shear); 0 = none. Evaluation episodes are never warped
    rotated_classes: bool = False  # meta-train on each base class turned by 0/90/180/270° as 4 classes:
    # more classes to learn a metric from (decisive with the five base digits)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.train_way < 2:
            raise ConfigError(f"train_way must be an integer >= 2, got {self.train_way!r}")
        if not 0.0 <= self.augment <= 2.0:
            raise ConfigError(f"augment must be in [0, 2], got {self.augment!r}")
        for name in ("train_shot", "train_queries", "tasks_per_step"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be a positive integer, got {getattr(self, name)!r}")


def episode_warp(strength: float) -> torch.nn.Module:
    """A per-image random affine warp (kornia draws parameters per sample) scaled by `strength`."""
    if strength == 0:
        return torch.nn.Identity()
    import kornia.augmentation as K  # deferred: only training with augment > 0 needs it

    return K.RandomAffine(
        degrees=15.0 * strength,
        translate=(0.1 * strength, 0.1 * strength),
        scale=(1.0 - 0.15 * strength, 1.0 + 0.15 * strength),
        shear=10.0 * strength,
        p=1.0,
    )


def evaluation_episodes(
    pool_y: torch.Tensor, classes: tuple[int, ...], way: int, shot: int, episodes: int, seed: int = 0
) -> EpisodeSet | None:
    """Episodes of an evaluation setting over the classes with at least K + 1 images, with up to `QUERIES`
    queries per class; None when the pool is too small for it (20-way on five novel digits)."""
    labels = pool_y.cpu().numpy()
    counts = {c: int((labels == c).sum()) for c in classes}
    usable = tuple(c for c in classes if counts[c] > shot)
    if way > len(usable):
        return None
    queries = min(QUERIES, min(counts[c] for c in usable) - shot)
    return sample_episodes(labels, usable, way, shot, queries, episodes, seed)


class EpisodicLearner(DULModel):
    """Base of the meta-learners: episodes in, episode accuracy out."""

    config: EpisodicConfig
    tiny_config = {"train_way": 3, "train_shot": 1, "train_queries": 2}

    def __init__(self, config: EpisodicConfig) -> None:
        super().__init__(config)
        self._pools: dict[str, EpisodePool] = {}  # filled by `prepare`; not saved with the weights
        object.__setattr__(self, "warp", episode_warp(config.augment))  # no weights: not a submodule

    def warped(self, batch: EpisodeBatch) -> EpisodeBatch:
        """The batch with every support and query image warped independently (training only)."""
        if self.config.augment == 0:
            return batch
        return dataclasses.replace(batch, x=self.warp(batch.x), query_x=self.warp(batch.query_x))

    # --- what each meta-learner defines ---------------------------------------------------------

    def episode_logits(self, batch: EpisodeBatch) -> torch.Tensor:
        """Logits (T, N·Q, N) of the queries of each episode of the batch, with gradients."""
        raise NotImplementedError

    def episode_probabilities(self, x: torch.Tensor, episodes: EpisodeSet) -> np.ndarray:
        """Class probabilities (E, N·Q, N) for episodes over pool images x (uint8 or float, on the device)."""
        raise NotImplementedError

    @torch.no_grad()
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    # --- batches ----------------------------------------------------------------------------------

    def prepare(self, dataset: ImageDataset) -> None:
        self._pools = {role: episode_pool(dataset, role) for role in ("base", "val", "novel")}

    def batch_source(
        self, x: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator
    ) -> Iterator[EpisodeBatch]:
        if "base" not in self._pools:
            raise ConfigError(
                "a meta-learner needs `prepare(dataset)` before training (the Trainer calls it)"
            )
        cfg = self.config
        base = with_rotated_classes(self._pools["base"]) if cfg.rotated_classes else self._pools["base"]
        return episode_batches(
            base,
            cfg.train_way,
            cfg.train_shot,
            cfg.train_queries,
            cfg.tasks_per_step,
            generator,
            x.device,
        )

    def loss(self, batch: EpisodeBatch) -> tuple[torch.Tensor, dict[str, float]]:  # type: ignore[override]
        logits = self.episode_logits(self.warped(batch))  # (T, N·Q, N)
        targets = batch.query_y.reshape(batch.tasks, -1)  # (T, N·Q)
        loss = F.cross_entropy(logits.reshape(-1, batch.way).float(), targets.reshape(-1))
        accuracy = (logits.argmax(2) == targets).float().mean()
        return loss, {"episode_acc": float(accuracy), "train_way": float(batch.way)}

    # --- evaluation -------------------------------------------------------------------------------

    def pool(self, role: str) -> EpisodePool:
        if role not in self._pools:
            raise ConfigError(f"no {role} pool: call prepare(dataset) first")
        return self._pools[role]

    @torch.no_grad()
    def evaluate(
        self, x: torch.Tensor, y: torch.Tensor, *, quick: bool = False, **options: Any
    ) -> dict[str, Any]:
        """Quick: 5-way 1-shot accuracy on validation episodes. Final: every `FINAL_SETTINGS` the novel pool
        holds, over 600 episodes. Without `prepare`, the given images are the (validation) pool."""
        self.check_options(options, ("episodes",))
        if self._pools:
            val, novel = self._pools["val"], self._pools["novel"]
            val_x, val_y, val_classes = val.x.to(self.device), val.y, val.classes
        else:
            val_x, val_y, novel = x, y, None
            val_classes = tuple(int(c) for c in torch.unique(y).tolist())
        count = int(options.get("episodes") or (QUICK_EPISODES if quick or novel is None else FINAL_EPISODES))
        if count < 1:
            raise ConfigError(f"episodes must be a positive integer, got {count}")
        metrics: dict[str, Any] = {}
        setting = evaluation_episodes(val_y, val_classes, min(5, len(val_classes)), 1, count)
        if setting is not None:
            metrics["val_acc"], metrics["val_ci95"] = self._score(val_x, setting)
        if quick or novel is None:
            return metrics
        novel_x = novel.x.to(self.device)
        for way, shot in FINAL_SETTINGS:
            episodes = evaluation_episodes(novel.y, novel.classes, way, shot, count)
            if episodes is not None:
                acc, ci = self._score(novel_x, episodes)
                metrics[f"acc_{way}way_{shot}shot"], metrics[f"acc_{way}way_{shot}shot_ci95"] = acc, ci
        return metrics

    def _score(self, x: torch.Tensor, episodes: EpisodeSet) -> tuple[float, float]:
        return mean_ci95(accuracies(self.episode_probabilities(x, episodes), episodes))

    @torch.no_grad()
    def preview(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Each image above the one the model finds most alike among the others (cosine of `embed`):
        a learned metric shows in whether the pairs match."""
        features = F.normalize(self.embed(x), dim=1)  # (B, D)
        similarity = features @ features.T - 2.0 * torch.eye(x.shape[0], device=x.device)  # no self-match
        return torch.cat([x, x[similarity.argmax(1)]]).cpu(), x.shape[0]


def embed_pool(model: DULModel, x: torch.Tensor) -> torch.Tensor:
    """`model.embed` of pool images in chunks, (P, D) float32 on the CPU."""
    return torch.cat(
        [
            model.embed(to_float(x[s : s + EMBED_CHUNK])).float().cpu()
            for s in range(0, x.shape[0], EMBED_CHUNK)
        ]
    )


# ---------------------------------------------------------------------------------------------------
# Metric learners: an embedding trained so that a fixed rule on it answers episodes
# ---------------------------------------------------------------------------------------------------


@dataclass
class MetricConfig(EpisodicConfig):
    width: int = 16  # the shared Backbone's first-stage channels, as the self-supervised families use


class MetricLearner(EpisodicLearner):
    """The shared `Backbone` as the embedding; `metric` names the rule in `few_shot.feature_logits`."""

    metric: ClassVar[str] = ""
    config: MetricConfig

    def __init__(self, config: MetricConfig) -> None:
        super().__init__(config)
        self.backbone = Backbone(config.image_shape[0], config.width)

    @property
    def temperature(self) -> float:
        return MATCHING_TEMPERATURE

    @torch.no_grad()
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x).float()  # (B, feature_dim)

    def episode_logits(self, batch: EpisodeBatch) -> torch.Tensor:
        t, n, k, q = batch.tasks, batch.way, batch.shot, batch.queries
        features = self.backbone(torch.cat([batch.x, batch.query_x]))  # one pass: batch-norm sees both
        support = features[: t * n * k].reshape(t, n, k, -1)  # (T, N, K, D)
        query = features[t * n * k :].reshape(t, n * q, -1)  # (T, N·Q, D)
        return feature_logits(self.metric, support, query, self.temperature)

    @torch.no_grad()
    def episode_probabilities(self, x: torch.Tensor, episodes: EpisodeSet) -> np.ndarray:
        return feature_probabilities(self.metric, embed_pool(self, x), episodes, self.temperature)
