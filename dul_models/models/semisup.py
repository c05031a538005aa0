"""Semi-supervised classification: a few labelled images and every training image unlabelled.

Four methods share one network (the shared `Backbone` + a linear head) and one batch (B labelled images
drawn with replacement from the labelled set, μ·B unlabelled ones); the unlabelled weight λ ramps up with
Mean Teacher's sigmoid exp(−5(1 − t/T)²), so early, noisy predictions weigh little.
- supervised: cross-entropy on the labelled images alone, the baseline every method must beat.
- pseudo_label (Lee, ICML workshop 2013, "Pseudo-label: the simple and efficient semi-supervised learning
  method for deep neural networks"): the model's own confident prediction (max probability ≥ τ) on an
  unlabelled image becomes its target, on the same view.
- fixmatch (Sohn et al., NeurIPS 2020, "FixMatch: simplifying semi-supervised learning with consistency
  and confidence"): a confident prediction on a weak view (a small shift) is the target for a strong view
  (RandAugment + Cut-out) of the same image; the loss is averaged over all μB images, so the share above
  τ sets how hard the unlabelled term pulls.
- mean_teacher (Tarvainen & Valpola, NeurIPS 2017, "Mean teachers are better role models"): the student's
  class probabilities on one view must match (squared error) those of a teacher, the exponential moving
  average of the student's weights, on another view. Here the student sees the strong view and the
  teacher the weak one (FixMatch's pairing; the paper used two mildly noised views). The teacher also
  answers `classify`, `embed` and `evaluate`: an average of recent students predicts better than the
  latest one (the paper's finding).

The unlabelled pool is every training image, the labelled ones included (as FixMatch does): a labelled
image's weak and strong views should agree too. Each unlabelled image's true label travels in the batch
(`u_y`) only to score the pseudo-labels (`pseudo_label_acc`); no loss reads it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dul_models.core.devices import eval_mode
from dul_models.core.errors import ConfigError
from dul_models.data import ImageDataset, Split, to_float
from dul_models.data.label_budget import budget_draw, unlabelled_rows
from dul_models.data.strong_views import strong_augmenter, weak_augmenter
from dul_models.models.averaging import ema_update
from dul_models.models.backbone import Backbone
from dul_models.models.base import Batch, DULModel, ModelConfig
from dul_models.models.losses import consistency_loss, masked_cross_entropy, sigmoid_rampup
from dul_models.models.pseudo_labels import class_probabilities, pseudo_label_scores
from dul_models.models.semisup_recipes import RECIPES

METHODS = ("supervised", "pseudo_label", "fixmatch", "mean_teacher")
QUICK_UNLABELLED = 1000  # unlabelled training images scored by the periodic (quick) evaluation


@dataclass
class SemiSupConfig(ModelConfig):
    method: str = "fixmatch"
    num_classes: int = 10  # the embedded digit sets; batch_source checks it against the labels
    labels_per_class: int = 10  # the budget: 100 labelled digits out of mnist5k's 4,000
    label_seed: int = 0  # which images are labelled (the draw is nested: 4 per class include the 1)
    threshold: float = 0.95  # τ: FixMatch's value; lower lets more wrong pseudo-labels in early
    unlabelled_weight: float = 1.0  # λ: FixMatch's 1 for its cross-entropy; Mean Teacher's squared error of
    # probabilities is ~10× smaller per image, and its recipe uses λ = 10
    unlabelled_ratio: int = 3  # μ: unlabelled images per labelled image. FixMatch's 7 costs 2× the CPU time
    # per step for the same accuracy per step (mnist5k, batch 32: 0.971 vs 0.973 at 1,000 steps, 304 vs 134
    # CPU-s); μ = 2 ends level with 3 but starts slower (0.84 vs 0.93 after 250 steps)
    ema_decay: float = 0.99  # Mean Teacher's teacher; the paper's 0.999 suits 100k+ steps, not a few thousand
    rampup_steps: int = 200  # λ's sigmoid ramp; 0 = full weight from the first step
    width: int = 16  # the shared Backbone's first-stage channels
    weak_translate: float = 0.125  # FixMatch's weak view: a shift of up to 12.5 % of the image, no flip
    strong_ops: int = 2  # RandAugment operations per strong view (FixMatch's N = 2)
    strong_magnitude: float = 1.0  # 1 = FixMatch's ranges (±30° rotation, ±30 % shift, ...)
    cutout: float = 0.5  # largest cut-out side, as a fraction of the image (FixMatch's 0.5)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.method not in METHODS:
            raise ConfigError(f"unknown method {self.method!r}; choose from: {', '.join(METHODS)}")
        if self.num_classes < 2:
            raise ConfigError(f"num_classes must be an integer >= 2, got {self.num_classes!r}")
        if self.labels_per_class < 1:
            raise ConfigError(f"labels_per_class must be an integer >= 1, got {self.labels_per_class!r}")
        if not (math.isfinite(self.threshold) and 0.0 < self.threshold <= 1.0):
            raise ConfigError(f"threshold τ must be in (0, 1], got {self.threshold!r}")
        if not (math.isfinite(self.unlabelled_weight) and self.unlabelled_weight >= 0.0):
            raise ConfigError(f"unlabelled_weight λ must be >= 0, got {self.unlabelled_weight!r}")
        if self.unlabelled_ratio < 1:
            raise ConfigError(f"unlabelled_ratio μ must be an integer >= 1, got {self.unlabelled_ratio!r}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError(f"ema_decay must be in [0, 1), got {self.ema_decay!r}")
        if self.rampup_steps < 0 or self.width < 1:
            raise ConfigError("rampup_steps must be >= 0 and width a positive integer")
        weak_augmenter(self.weak_translate)  # validate the view settings now, not at the first step
        strong_augmenter(self.image_shape, self.strong_ops, self.strong_magnitude, self.cutout)


@dataclass
class SemiBatch(Batch):
    """x, y: labelled images and their labels; u: unlabelled images; u_y: their hidden labels (scoring only)."""

    u: torch.Tensor  # (μB, C, H, W) float in [0, 1]; empty for the supervised method
    u_y: torch.Tensor  # (μB,)


# ---------------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------------


class SemiSupervised(DULModel):
    """Backbone → linear head, trained on a few labels plus pseudo-labels or consistency on the rest."""

    family = "semisup"
    config_cls = SemiSupConfig
    title = "Semi-supervised (pseudo-labels, FixMatch, Mean Teacher)"
    description = (
        "A classifier from a handful of labels, with the unlabelled images as extra training signal."
    )
    recipes = RECIPES  # semisup_recipes.py: the bundled runs and what each measured
    tiny_config = {"width": 4, "unlabelled_ratio": 2, "method": "fixmatch", "labels_per_class": 5}

    def __init__(self, config: SemiSupConfig) -> None:
        super().__init__(config)
        self.config: SemiSupConfig = config
        self.backbone = Backbone(config.image_shape[0], config.width)
        self.head = nn.Linear(self.backbone.feature_dim, config.num_classes)
        self.teacher: nn.Sequential | None = None
        if config.method == "mean_teacher":  # (backbone, head) averaged; only this method pays for it
            self.teacher = nn.Sequential(copy.deepcopy(self.backbone), copy.deepcopy(self.head))
            self.teacher.requires_grad_(False)
        # which training images were labelled, saved with the weights: a checkpoint says what it was
        # taught with, and the page can mark those images (-1 until batch_source has drawn them)
        budget = config.num_classes * config.labels_per_class
        self.register_buffer("labelled_index", torch.full((budget,), -1, dtype=torch.long))
        self.register_buffer("step", torch.zeros((), dtype=torch.long))  # drives λ's ramp-up
        # not submodules: no weights, and kornia's version must not decide whether a checkpoint loads
        object.__setattr__(self, "weak", weak_augmenter(config.weak_translate))
        strong = strong_augmenter(
            config.image_shape, config.strong_ops, config.strong_magnitude, config.cutout
        )
        object.__setattr__(self, "strong", strong)
        self._train: Split | None = None  # the training split, for evaluate's pseudo-label scores (not saved)

    # --- the network ------------------------------------------------------------------------------

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """The student's class scores (B, K), with gradients."""
        return self.head(self.backbone(x))

    def inference_network(self) -> nn.Sequential:
        """What answers `classify`, `embed` and `evaluate`: the teacher for Mean Teacher, else the student."""
        if self.teacher is not None:
            return self.teacher
        return nn.Sequential(self.backbone, self.head)

    @torch.no_grad()
    def classify(self, x: torch.Tensor) -> torch.Tensor:
        return F.softmax(self.inference_network()(x).float(), dim=1)  # (B, K)

    @torch.no_grad()
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.inference_network()[0](x).float()  # (B, feature_dim) backbone features

    # --- batches ----------------------------------------------------------------------------------

    def prepare(self, dataset: ImageDataset) -> None:
        self._train = dataset.train

    def draw_labels(self, y: torch.Tensor) -> torch.Tensor:
        """Check the labels and draw the labelled rows from `label_seed` (stored in `labelled_index`)."""
        cfg = self.config
        labels = y.cpu().numpy()
        if labels.size and (labels < 0).all():
            raise ConfigError(
                "semi-supervised training needs a labelled dataset: this one has no labels; "
                "choose one with labels (e.g. mnist5k or digits)"
            )
        classes = np.unique(labels[labels >= 0])
        if classes.size != cfg.num_classes or classes.max() != cfg.num_classes - 1:
            raise ConfigError(
                f"the labels hold {classes.size} classes but the model was built for num_classes={cfg.num_classes}"
            )
        rows = torch.from_numpy(budget_draw(labels, cfg.labels_per_class, cfg.label_seed))
        self.labelled_index.copy_(rows)
        return rows

    def batch_source(
        self, x: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator
    ) -> Iterator[Batch]:
        labelled = self.draw_labels(y).to(x.device)  # raises now, before the first batch is asked for
        n_unlabelled = 0 if self.config.method == "supervised" else self.config.unlabelled_ratio * batch_size
        return self._batches(x, y, labelled, batch_size, n_unlabelled, generator)

    def _batches(self, x, y, labelled, batch_size, n_unlabelled, generator) -> Iterator[SemiBatch]:
        """Labelled images with replacement (10 per class is fewer than one batch of some sizes) and
        unlabelled images uniformly from the whole training split."""
        while True:
            pick = labelled[torch.randint(len(labelled), (batch_size,), generator=generator).to(x.device)]
            free = torch.randint(x.shape[0], (n_unlabelled,), generator=generator).to(x.device)
            yield SemiBatch(x=to_float(x[pick]), y=y[pick], u=to_float(x[free]), u_y=y[free])

    # --- training ---------------------------------------------------------------------------------

    def loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        cfg = self.config
        n = batch.x.shape[0]
        x_weak = self.weak(batch.x)
        if cfg.method == "supervised" or not isinstance(batch, SemiBatch):
            logits_x = self.logits(x_weak)
            sup = F.cross_entropy(logits_x.float(), batch.y)
            accuracy = float((logits_x.argmax(1) == batch.y).float().mean())
            return sup, {
                "sup_loss": float(sup.detach()),
                "unsup_loss": 0.0,
                "unlabelled_weight": 0.0,
                "labelled_acc": accuracy,
            }
        weight = cfg.unlabelled_weight * sigmoid_rampup(int(self.step), cfg.rampup_steps)
        if cfg.method == "mean_teacher":
            # student on a strong view, teacher (eval mode: its averaged batch-norm statistics) on a weak one
            logits = self.logits(torch.cat([x_weak, self.strong(batch.u)]))  # (B + μB, K)
            logits_x, logits_u = logits[:n], logits[n:]
            with eval_mode(self.teacher):
                targets = F.softmax(self.teacher(self.weak(batch.u)).float(), dim=1)  # (μB, K)
            unsup = consistency_loss(logits_u, targets)
        else:
            # one pass over labelled + weak (+ strong) views: batch-norm sees them together, as in FixMatch
            views = [x_weak, self.weak(batch.u)]
            if cfg.method == "fixmatch":
                views.append(self.strong(batch.u))
            logits = self.logits(torch.cat(views))  # (B + μB [+ μB], K)
            m = batch.u.shape[0]
            logits_x, logits_weak = logits[:n], logits[n : n + m]
            trained_on = logits[n + m :] if cfg.method == "fixmatch" else logits_weak
            targets = F.softmax(logits_weak.detach().float(), dim=1)  # (μB, K): no gradient through targets
            confidence, pseudo = targets.max(1)
            unsup = masked_cross_entropy(trained_on, pseudo, confidence >= cfg.threshold)
        sup = F.cross_entropy(logits_x.float(), batch.y)
        metrics = {
            "sup_loss": float(sup.detach()),
            "unsup_loss": float(unsup.detach()),
            "unlabelled_weight": weight,
            "labelled_acc": float((logits_x.detach().argmax(1) == batch.y).float().mean()),
            **pseudo_label_scores(targets, batch.u_y, cfg.threshold),
        }
        return sup + weight * unsup, metrics

    def train_step(self, batch, optimizers, grad_clip):  # type: ignore[override]
        """The optimiser step, then (Mean Teacher) the teacher's move towards the student."""
        metrics = super().train_step(batch, optimizers, grad_clip)
        if self.teacher is not None:
            # the paper's warm-up: the plain average of the students so far (decay 1 − 1/(t + 1)) until
            # `ema_decay` is the smaller decay, so a random initial teacher is forgotten within steps
            decay = min(1.0 - 1.0 / (int(self.step) + 2), self.config.ema_decay)
            ema_update(self.teacher, nn.Sequential(self.backbone, self.head), decay, buffers=True)
        self.step += 1
        return metrics

    # --- evaluation -------------------------------------------------------------------------------

    @torch.no_grad()
    def evaluate(
        self, x: torch.Tensor, y: torch.Tensor, *, quick: bool = False, **options: Any
    ) -> dict[str, Any]:
        """Test accuracy, and (after `prepare`) how good the pseudo-labels on the unlabelled training
        images are now: the share above τ and the accuracy of those (of all, when none is)."""
        self.check_options(options)
        predicted = class_probabilities(self, x).argmax(1)  # (N,) on the CPU
        metrics: dict[str, Any] = {
            "test_acc": float((predicted == y.cpu()).float().mean()),
            "labels_per_class": self.config.labels_per_class,
            "method": self.config.method,
        }
        if self._train is not None:
            rows = torch.from_numpy(unlabelled_rows(len(self._train), self.labelled_index))
            rows = rows[:QUICK_UNLABELLED] if quick else rows
            probs = class_probabilities(self, self._train.x[rows])
            metrics.update(pseudo_label_scores(probs, self._train.y[rows], self.config.threshold))
        return metrics

    @torch.no_grad()
    def seeded_views(self, x: torch.Tensor, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """A weak and a strong view of every image, the same for the same seed (the augmenters draw from
        torch's global generator, so it is forked)."""
        devices = [x.device] if x.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            return self.weak(x), self.strong(x)

    @torch.no_grad()
    def preview(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Each image above its weak and its strong view: the two sides of FixMatch's consistency."""
        weak, strong = self.seeded_views(x)
        return torch.cat([x, weak, strong]).cpu(), x.shape[0]
