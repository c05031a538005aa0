"""DeepCluster (Caron, Bojanowski, Joulin & Douze, ECCV 2018, "Deep clustering for unsupervised learning
of visual features").

Training alternates two steps, round after round: cluster the current features of every training image
with k-means, then train the network (backbone + a fresh linear head) to predict each image's cluster
from a random view of it. Clusters of a random network already carry some signal (its features beat
pixels); training on them sharpens the features, and the next k-means finds better clusters.

The paper names the two ways this goes wrong, and each has a guard here that the page shows firing:
- **Empty clusters.** When the features move, a centroid may win no image at all. The paper's fix:
  give it a non-empty cluster's centroid (picked with probability ∝ size) plus a small perturbation,
  so the two split that cluster. Recorded as (empty cluster, donor cluster).
- **Trivial solutions.** If most images share a pseudo-label, the cheapest way to predict it is to map
  everything there, which makes the next round more imbalanced still. The paper samples images
  uniformly over the pseudo-classes (`balanced`), so every cluster weighs the same in the loss.
A round in which one cluster holds more than `dominant_share` of the images carries a warning.

Each round the features are PCA-whitened (the paper: 4,096 → 256 dimensions; here 576 → `whiten_dim` 64)
and L2-normalised, then clustered by `deep_kmeans.spherical_kmeans`, written out because scikit-learn
silently moves empty centroids — the event this family records. Whitening mattered most here: on mnist5k
the random network's first clusters went from ACC 0.46 to 0.69 with it, and training plateaued at 0.81
instead of about 0.5 (0.46–0.52 over the first 6 rounds). Rounds after the first start from the last
round's clusters, so ids stay comparable.

The true labels are never trained on: `batch_source` uses them only to score each round's clusters
(ACC / NMI / ARI) for the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dul_models.core.devices import eval_mode
from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.metrics.clusters import cluster_scores
from dul_models.models.base import Batch, Recipe
from dul_models.models.deep_kmeans import kmeans_plusplus_init, member_means, spherical_kmeans
from dul_models.models.self_supervised import EVAL_CHUNK, SelfSupervisedConfig, SelfSupervisedModel


@dataclass
class DeepClusterConfig(SelfSupervisedConfig):
    clusters: int = 10  # k of each round's k-means; the paper over-clusters ImageNet (k = 10,000 for 1,000
    # classes), but ACC against 10 digits needs 10
    steps_per_round: int = 100  # training steps between re-clusterings (the paper: one epoch; 100 steps of
    # 256 is ~6 epochs of mnist5k, enough for the head and features to follow the new clusters)
    kmeans_iters: int = 20  # Lloyd steps per round; warm-started, so few are needed after the first round
    reseed_empty: bool = True  # guard 1 (see above); False shows empty clusters staying empty
    balanced: bool = True  # guard 2; False samples images uniformly, so big clusters dominate the loss
    dominant_share: float = 0.5  # warn when one cluster holds more than this share of the images
    whiten_dim: int = 64  # PCA-whiten the features to this many dimensions before k-means (the paper: 256
    # of 4,096); 0 = cluster the L2-normalised features themselves

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.clusters < 2:
            raise ConfigError(f"clusters must be an integer ≥ 2, got {self.clusters!r}")
        if self.steps_per_round < 1 or self.kmeans_iters < 1:
            raise ConfigError("steps_per_round and kmeans_iters must be positive integers")
        if self.whiten_dim < 0:
            raise ConfigError(f"whiten_dim must be ≥ 0 (0 = no whitening), got {self.whiten_dim!r}")
        if not 0.0 < self.dominant_share <= 1.0:
            raise ConfigError(f"dominant_share must be in (0, 1], got {self.dominant_share!r}")


@dataclass(frozen=True)
class ClusterRound:
    """What one round of re-clustering did, as plain data for the page and `metrics.json`."""

    round: int
    step: int  # the training step the round starts at
    sizes: list[int]  # images per cluster (cluster ids are stable between rounds: warm start)
    reseeded: list[tuple[int, int]] = field(default_factory=list)  # (empty cluster, donor) per guard firing
    empty: list[int] = field(default_factory=list)  # clusters still empty after k-means (no guard)
    largest_share: float = 0.0
    warning: str | None = None
    scores: dict[str, float] = field(default_factory=dict)  # acc / nmi / ari against the hidden labels

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------------


class DeepCluster(SelfSupervisedModel):
    """backbone → linear head over k pseudo-classes; the pseudo-labels come from k-means each round."""

    family = "deepcluster"
    config_cls = DeepClusterConfig
    title = "DeepCluster (cluster, then learn to predict the clusters)"
    description = "Alternates k-means on the current features with training the network on the cluster ids."
    recipes = (
        Recipe(
            name="deepcluster-mnist5k",
            family="deepcluster",
            dataset="mnist5k",
            title="DeepCluster on MNIST 5k",
            train={"steps": 4000, "batch_size": 256, "seed": 0, "lr_schedule": "cosine"},
        ),
    )
    tiny_config = {"width": 4, "clusters": 3, "steps_per_round": 2, "kmeans_iters": 2}

    def __init__(self, config: DeepClusterConfig) -> None:
        super().__init__(config)
        self.config: DeepClusterConfig = config
        self.head = nn.Linear(self.backbone.feature_dim, config.clusters)
        dim = self.backbone.feature_dim
        space = min(config.whiten_dim, dim) if config.whiten_dim else dim
        # the clustering space, kept with the weights so a loaded run assigns new images the same way
        self.register_buffer("space_mean", torch.zeros(dim))
        self.register_buffer("space_basis", torch.eye(dim)[:, :space].clone())  # (D, d) whitening
        self.register_buffer("centroids", torch.zeros(config.clusters, space))
        self.rounds: list[ClusterRound] = []
        self._fresh_head = False
        self._pseudo: torch.Tensor | None = None  # last round's pseudo-labels (the next round's warm start)
        self._train_x: torch.Tensor | None = None  # the images being clustered (not saved)
        self._steps = 0  # optimiser steps taken (remeasure skips work when nothing changed)
        self._measured_at = -1  # the step the clustering space was last fitted at

    # --- the clustering step ----------------------------------------------------------------------

    def raw_features(self, x: torch.Tensor) -> torch.Tensor:
        """Features (N, D) of uint8 or float images, in eval mode, in chunks."""
        with eval_mode(self):
            chunks = [
                self.embed(to_float(x[s : s + EVAL_CHUNK]).to(self.device)).float()
                for s in range(0, x.shape[0], EVAL_CHUNK)
            ]
        return torch.cat(chunks)

    def fit_space(self, features: torch.Tensor) -> None:
        """PCA-whitening fitted on this round's features (scikit-learn's PCA), stored as buffers.

        A set with fewer images than `whiten_dim` (a small imported one) has at most N − 1 directions of
        variance: those are whitened and the remaining columns of the basis stay zero, so the space keeps
        its size (the buffers' shapes are saved with the weights) and no null direction is blown up."""
        if not self.config.whiten_dim:
            return
        from sklearn.decomposition import PCA

        dim, space = self.space_basis.shape
        kept = max(1, min(space, features.shape[0] - 1))
        pca = PCA(n_components=kept, whiten=True, random_state=0)
        pca.fit(features.cpu().numpy())
        basis = np.zeros((dim, space), dtype=np.float32)  # (D, d)
        basis[:, :kept] = pca.components_.T / np.sqrt(pca.explained_variance_ + 1e-8)  # (D, kept)
        self.space_mean.copy_(torch.from_numpy(pca.mean_))
        self.space_basis.copy_(torch.from_numpy(basis))

    def to_space(self, features: torch.Tensor) -> torch.Tensor:
        """Features (N, D) → the unit-norm clustering space (N, d)."""
        return F.normalize((features - self.space_mean) @ self.space_basis, dim=1)

    def _current_space(self, x: torch.Tensor) -> torch.Tensor:
        """The images in a clustering space refitted to the current weights: (N, d) unit rows."""
        features = self.raw_features(x)
        self.fit_space(features)
        self._measured_at = self._steps
        return self.to_space(features)

    def remeasure(self) -> None:
        """Before scoring: the network has trained since the round began, so the whitening and the
        centroids are stale (a few steps of batch-norm statistics were enough to send every test image to
        one cluster). Refit the space and move each centroid to its members' mean — the same clusters,
        measured with the current features; the next round's k-means is not run early. Called by
        `task_metrics`, not `refresh`: the Trainer refreshes before every preview, and a pass over the
        training images every 25 steps would cost a third of the training time. The final checkpoint is
        written after the final evaluation, so it holds remeasured clusters."""
        if self._train_x is None or self._pseudo is None or self._measured_at == self._steps:
            return
        z = self._current_space(self._train_x)
        self.centroids.copy_(member_means(z, self._pseudo, self.config.clusters, fallback=self.centroids))

    def recluster(
        self, x: torch.Tensor, y: torch.Tensor, step: int, generator: torch.Generator
    ) -> torch.Tensor:
        """One round's k-means on the current features: pseudo-labels (N,), with the round recorded."""
        cfg = self.config
        z = self._current_space(x)
        if self._pseudo is None:
            start = kmeans_plusplus_init(z, cfg.clusters, int(step))
        else:  # warm start: last round's members in the new space, so cluster ids carry over
            start = member_means(z, self._pseudo, cfg.clusters)
        assign, centroids, reseeded = spherical_kmeans(
            z, start, cfg.kmeans_iters, cfg.reseed_empty, generator
        )
        self.centroids.copy_(centroids)
        self._pseudo = assign
        sizes = torch.bincount(assign, minlength=cfg.clusters).cpu()
        largest = float(sizes.max()) / assign.shape[0]
        warning = None
        if largest > cfg.dominant_share:
            warning = (
                f"cluster {int(sizes.argmax())} holds {largest:.0%} of the images: the trivial solution is "
                "taking over (balanced sampling over clusters is the guard against it)"
            )
        labelled = (y >= 0).cpu().numpy()
        scores = {}
        if labelled.any():
            scores = cluster_scores(y.cpu().numpy()[labelled], assign.cpu().numpy()[labelled])
        self.rounds.append(
            ClusterRound(
                round=len(self.rounds),
                step=step,
                sizes=sizes.tolist(),
                reseeded=reseeded,
                empty=torch.nonzero(sizes == 0).flatten().tolist(),
                largest_share=largest,
                warning=warning,
                scores=scores,
            )
        )
        return assign

    def batch_source(
        self, x: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator
    ) -> Iterator[Batch]:
        if self.config.clusters > x.shape[0]:
            raise ConfigError(
                f"clusters ({self.config.clusters}) cannot exceed the {x.shape[0]} training images"
            )
        return self._rounds_of_batches(x, y, batch_size, generator)

    def _rounds_of_batches(
        self, x: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator
    ) -> Iterator[Batch]:
        self._train_x = x
        step = 0
        while True:
            pseudo = self.recluster(x, y, step, generator)  # (N,) on x's device
            nn.init.normal_(self.head.weight, std=0.01)  # a fresh head: last round's cluster ids are gone
            nn.init.zeros_(self.head.bias)
            self._fresh_head = True
            sizes = torch.bincount(pseudo, minlength=self.config.clusters).float().cpu()
            weights = (1.0 / sizes.clamp(min=1))[pseudo.cpu()] if self.config.balanced else torch.ones(len(x))
            for _ in range(self.config.steps_per_round):
                idx = torch.multinomial(weights, batch_size, replacement=True, generator=generator).to(
                    x.device
                )
                step += 1
                yield Batch(x=to_float(x[idx]), y=pseudo[idx])

    # --- training ---------------------------------------------------------------------------------

    def loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        logits = self.head(self.features(self.augment(batch.x)))  # (B, k); batch.y = pseudo-labels
        loss = F.cross_entropy(logits, batch.y)
        accuracy = (logits.detach().argmax(1) == batch.y).float().mean()
        return loss, {"pseudo_label_acc": float(accuracy), "round": float(max(len(self.rounds) - 1, 0))}

    def train_step(self, batch, optimizers, grad_clip):  # type: ignore[override]
        """A fresh head also gets fresh optimiser moments: the old ones belong to last round's clusters."""
        if self._fresh_head:
            for optimizer in optimizers:
                for parameter in self.head.parameters():
                    optimizer.state.pop(parameter, None)
            self._fresh_head = False
        self._steps += 1
        return super().train_step(batch, optimizers, grad_clip)

    def training_events(self) -> list[dict[str, Any]]:
        return [record.to_dict() for record in self.rounds]

    # --- using the clusters -----------------------------------------------------------------------

    @torch.no_grad()
    def assign(self, x: torch.Tensor) -> torch.Tensor:
        """Each image's cluster (B,): the nearest of the last round's centroids to its features."""
        return (self.to_space(self.embed(x).float()) @ self.centroids.T).argmax(1)

    @torch.no_grad()
    def task_metrics(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """`cluster_acc`, `nmi`, `ari` of the nearest-centroid clusters on these images, against their labels."""
        if not self.rounds and not bool(self.centroids.any()):
            return {}  # never clustered: there are no clusters to score
        self.remeasure()
        clusters = torch.cat([self.assign(x[s : s + EVAL_CHUNK]) for s in range(0, x.shape[0], EVAL_CHUNK)])
        labelled = (y >= 0).cpu().numpy()
        if not labelled.any():
            return {}
        scores = cluster_scores(y.cpu().numpy()[labelled], clusters.cpu().numpy()[labelled])
        share = np.bincount(clusters.cpu().numpy(), minlength=self.config.clusters).max() / clusters.shape[0]
        return {
            "cluster_acc": scores["acc"],
            "nmi": scores["nmi"],
            "ari": scores["ari"],
            "largest_cluster_share": float(share),
        }
