"""What the self-supervised page shows about views, contrastive runs and live training, computed here so
the page only draws it (the pretext tasks are in `self_supervised_pretext`).

- `view_pairs` / `two_views`: pairs of random views of one image at chosen augmentation strengths.
- `infonce_game` / `infonce_round`: one batch's view-1 × view-2 similarities, the softmax of a row at any
  temperature, each anchor's loss and its hardest negatives.
- `moco_queue`: how old MoCo's queued keys are and how far its key encoder drifted.
- `collapse_warning`: the message shown when the embeddings' spread falls towards zero.
- `self_supervised_families`, `family_titles`, `train_model_config`: the train-live choices.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from dul_models.core.devices import eval_mode
from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.data.augment import VIEW_NOTES, ViewStrength, view_augmenter
from dul_models.models.losses import contrastive_logits
from dul_models.runs.checkpoints import LoadedRun

__all__ = [
    "COLLAPSE_SHARE",
    "CONTRASTIVE",
    "PRESETS",
    "TUNABLE",
    "VIEW_DEFAULTS",
    "VIEW_LIMITS",
    "VIEW_NOTES",
    "InfoNCEGame",
    "InfoNCERound",
    "MocoQueue",
    "ViewStrength",
    "collapse_warning",
    "config_fields",
    "family_titles",
    "infonce_game",
    "infonce_round",
    "moco_queue",
    "self_supervised_families",
    "train_model_config",
    "two_views",
    "view_legend",
    "view_pairs",
]

CONTRASTIVE = ("simclr", "moco")
COLLAPSE_SHARE = 0.5  # std below half the healthy 1/√D (see `collapse_warning`; measured values in RESULTS)
# the view sliders: (lowest, highest, step) per ViewStrength field; rotation in degrees, the rest shares
VIEW_LIMITS: dict[str, tuple[float, float, float]] = {
    "crop_scale": (0.1, 1.0, 0.05),
    "rotation": (0.0, 90.0, 5.0),
    "translate": (0.0, 0.4, 0.05),
    "erasing": (0.0, 1.0, 0.05),
    "noise": (0.0, 0.5, 0.05),
    "jitter": (0.0, 1.0, 0.1),
}
VIEW_DEFAULTS: dict[str, float] = {k: float(v) for k, v in dataclasses.asdict(ViewStrength()).items()}
HARDEST_SHOWN = 4  # hardest negatives drawn beside an anchor and its positive
# train-live presets: the "break it" ones show collapse or a diverging loss on purpose
PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    "break it: no negatives (SimCLR)": {"negatives": False},
    "break it: no projection head (SimCLR)": {"projection": False},
    "break it: temperature 5": {"temperature": 5.0},
}
TUNABLE = ("temperature", "momentum", "queue_size")  # config fields the train-live controls offer


# --- views ---------------------------------------------------------------------------------------------


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


def two_views(
    images: torch.Tensor,
    index: int,
    strengths: Mapping[str, float],
    *,
    upload: torch.Tensor | None = None,
    pairs: int = 8,
    seed: int = 0,
) -> torch.Tensor:
    """(2·pairs, C, H, W) on the CPU: view 1 of every pair, then view 2, of test image `index` (or of the
    `upload`, drawn on the images' device) at the slider strengths (ConfigError names a bad one)."""
    image = images[index] if upload is None else upload.to(images.device)
    first, second = view_pairs(image, ViewStrength(**strengths), pairs=pairs, seed=seed)
    return torch.cat([first, second])


def view_legend(fields: Sequence[str] = tuple(VIEW_LIMITS)) -> str:
    """One line saying what each augmentation changes ("**crop** — which part ... · **rotation** — ...")."""
    parts = (VIEW_NOTES[f].split(":", 1) for f in fields)
    return " · ".join(f"**{name}** —{note}" for name, note in parts)


# --- the InfoNCE game ------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class InfoNCERound:
    """What the page draws of one game at one temperature and anchor row."""

    logits: np.ndarray  # (B, B) similarity / τ: the heat map
    softmax: np.ndarray  # (B,) p(column | anchor row)
    loss: float  # the anchor's −log p(positive), nats
    mean_loss: float  # over the batch at this τ
    chance_loss: float  # ln B: every column equally likely
    strip: torch.Tensor  # (2 + 4, C, H, W): anchor, its positive, the hardest negatives


def infonce_round(
    model: Any, images: torch.Tensor, *, batch: int, temperature: float, row: int, seed: int = 0
) -> InfoNCERound:
    """The InfoNCE game on the first `batch` images, read at `temperature` from anchor `row`."""
    game = infonce_game(model, images[:batch], seed=seed)
    negatives = game.hardest_negatives(row, HARDEST_SHOWN)
    strip = torch.stack([game.view1[row], game.view2[row], *game.view2[negatives]])
    return InfoNCERound(
        logits=game.similarity / temperature,
        softmax=game.softmax(row, temperature),
        loss=game.loss(row, temperature),
        mean_loss=game.mean_loss(temperature),
        chance_loss=math.log(len(game.similarity)),
        strip=strip,
    )


# --- MoCo's queue --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MocoQueue:
    """How stale MoCo's negatives are: every queued key's age and the key encoder's drift over training."""

    ages: np.ndarray  # (K filled,) steps since each key was encoded
    bins: int  # histogram bins: one per step of age, at most 50
    queue_size: int
    momentum: float
    drift_history: list[dict]  # the history rows, when they record `key_drift`; else empty


def moco_queue(run: LoadedRun) -> MocoQueue:
    """The queue of a MoCo run as the page draws it (ConfigError for another family)."""
    if run.info.family != "moco":
        raise ConfigError(f"only a MoCo run has a queue, not a {run.info.family} run")
    ages = run.model.staleness().numpy()
    history = run.info.metrics.get("history", [])
    return MocoQueue(
        ages=ages,
        bins=min(50, max(1, int(ages.max(initial=0)) + 1)),
        queue_size=int(run.info.config["queue_size"]),
        momentum=float(run.info.config["momentum"]),
        drift_history=list(history) if history and "key_drift" in history[-1] else [],
    )


# --- live training ---------------------------------------------------------------------------------------


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


def family_titles() -> dict[str, str]:
    """The method picker's words: family name → its title ("SimCLR (Chen et al. 2020)")."""
    from dul_models.models import get_family

    return {name: get_family(name).title for name in self_supervised_families()}


def config_fields(family: str) -> frozenset[str]:
    """The names of a family's config fields: which train-live controls (TUNABLE) apply to it."""
    from dul_models.models import get_family

    return frozenset(f.name for f in dataclasses.fields(get_family(family).config_cls))


def train_model_config(family: str, preset: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The family config of a live run: the chosen `settings` the family has (width always), then the
    preset's overrides it has — a preset wins over the sliders."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose from: {', '.join(PRESETS)}")
    fields = config_fields(family)
    config = {k: v for k, v in settings.items() if k == "width" or k in fields}
    config.update({k: v for k, v in PRESETS[preset].items() if k in fields})
    return config
