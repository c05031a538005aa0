"""What the self-supervised page shows about a run, computed here so the page only draws it.

- `view_pairs`: pairs of random views of one image at chosen augmentation strengths.
- `infonce_game`: one batch's view-1 × view-2 similarities, the softmax of a row at any temperature,
  each anchor's positive share and its hardest negatives.
- `collapse_warning`: the message shown when the embeddings' spread falls towards zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dul_models.core.devices import eval_mode
from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.data.augment import ViewStrength, view_augmenter
from dul_models.models.losses import contrastive_logits

if TYPE_CHECKING:
    pass

CONTRASTIVE = ("simclr", "moco")
COLLAPSE_SHARE = 0.5  # std below half the healthy 1/√D (see `collapse_warning`; measured values in RESULTS)


def view_pairs(
    image: torch.Tensor, strength: ViewStrength, pairs: int = 6, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """`pairs` independent pairs of views (pairs, C, H, W) of one image (C, H, W), reproducible by seed."""
    if pairs < 1:
        raise ConfigError(f"pairs must be a positive integer, got {pairs!r}")
    augment = view_augmenter(tuple(image.shape), strength)
    batch = image.expand(pairs, *image.shape)
    devices = [image.device] if image.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        return augment(batch).cpu(), augment(batch).cpu()


@dataclass(frozen=True)
class InfoNCEGame:
    """One batch of the InfoNCE game: row i's positive is column i, every other column a negative."""

    view1: torch.Tensor  # (B, C, H, W) on the CPU
    view2: torch.Tensor
    similarity: np.ndarray  # (B, B) cosine similarities in the loss's space

    def softmax(self, row: int, temperature: float) -> np.ndarray:
        """p(column | row) at `temperature`: the distribution the cross-entropy sharpens."""
        if not temperature > 0:
            raise ConfigError(f"temperature must be > 0, got {temperature!r}")
        logits = self.similarity[row] / temperature
        weights = np.exp(logits - logits.max())
        return weights / weights.sum()

    def loss(self, row: int, temperature: float) -> float:
        """−log of the positive's share: row `row`'s term of the (one-directional) InfoNCE loss, in nats."""
        return float(-np.log(self.softmax(row, temperature)[row]))

    def hardest_negatives(self, row: int, count: int = 4) -> np.ndarray:
        """The columns most similar to `row` other than its positive: what the loss pushes away hardest."""
        order = np.argsort(-self.similarity[row])
        return order[order != row][:count]

    def mean_loss(self, temperature: float) -> float:
        return float(np.mean([self.loss(i, temperature) for i in range(len(self.similarity))]))


def infonce_game(model: Any, x: torch.Tensor, seed: int = 0) -> InfoNCEGame:
    """Two seeded views of the batch `x` through a contrastive run's backbone and projection head."""
    if getattr(model, "family", "") not in CONTRASTIVE:
        raise ConfigError(f"the InfoNCE game needs a SimCLR or MoCo run, not {getattr(model, 'family', '?')}")
    if x.shape[0] < 2:
        raise ConfigError("the InfoNCE game needs at least 2 images (one positive, one negative)")
    with eval_mode(model), torch.no_grad():
        v1, v2 = model.seeded_views(to_float(x).to(model.device), seed)
        z1, z2 = model.project(v1).float(), model.project(v2).float()
        similarity = contrastive_logits(z1, z2, 1.0).cpu().numpy()
    return InfoNCEGame(v1.cpu(), v2.cpu(), similarity)


def collapse_warning(eval_history: Sequence[dict]) -> str | None:
    """A warning once the std of the normalised embeddings of the last evaluation falls below half its
    healthy value 1/√D — in the projection (where the contrastive losses act) when the run has one."""
    if not eval_history:
        return None
    last = eval_history[-1]
    for key, healthy_key, space in (
        ("projection_std", "healthy_projection_std", "projections"),
        ("embedding_std", "healthy_std", "features"),
    ):
        value, healthy = last.get(key), last.get(healthy_key)
        if value is None or not healthy:
            continue
        if value < COLLAPSE_SHARE * healthy:
            return (
                f"Collapse: the std of the normalised {space} is {value:.4f}, {value / healthy:.0%} of the "
                f"healthy 1/√D = {healthy:.4f} — the images crowd into few directions (near 0: one point). "
                "Put the negatives and the projection head back, or lower the temperature."
            )
        return None
    return None


def self_supervised_families() -> list[str]:
    """Every registered family trained without labels on the shared backbone, contrastive ones first."""
    from dul_models.models import FAMILIES
    from dul_models.models.self_supervised import SelfSupervisedModel

    return [name for name, fam in FAMILIES.items() if issubclass(fam.model_cls, SelfSupervisedModel)]


@dataclass(frozen=True)
class RotationReport:
    """A rotation run on test images: what it predicts for every image in every rotation."""

    probabilities: np.ndarray  # (N, 4 true rotations, 4 predicted) softmax
    labels: np.ndarray  # (N,) class labels (only to group the results)

    def accuracy_by_class(self, num_classes: int) -> np.ndarray:
        """Share of (image, rotation) pairs whose rotation is predicted right, per class (nan if none)."""
        right = self.probabilities.argmax(2) == np.arange(4)[None, :]  # (N, 4)
        return np.array(
            [
                right[self.labels == c].mean() if (self.labels == c).any() else np.nan
                for c in range(num_classes)
            ]
        )


def rotation_report(model: Any, x: torch.Tensor, y: torch.Tensor, chunk: int = 250) -> RotationReport:
    """Every test image in all four rotations through a rotation run (upright digits 0, 1 and 8 look
    alike upside down, which is where the task itself is ambiguous)."""
    from dul_models.models.rotation import rotate

    rows = []
    with eval_mode(model), torch.no_grad():
        for start in range(0, x.shape[0], chunk):
            part = to_float(x[start : start + chunk]).to(model.device)
            rows.append(torch.stack([model.predict_rotation(rotate(part, k)) for k in range(4)], 1).cpu())
    return RotationReport(torch.cat(rows).numpy(), y.cpu().numpy())
