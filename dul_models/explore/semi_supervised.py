"""What the semi-supervised page shows about labels, views and a trained model, computed here so the page
only draws it (label propagation and the budget chart are in `semi_supervised_propagation`).

- `labelled_set`: the label budget's images, one row per class, and their CSV.
- `weak_strong_views`: FixMatch's weak and strong views of some test images.
- `opening_run`: the bundled FixMatch run the page opens on.
- `pseudo_label_gallery` / `pseudo_label_view`: a model's pseudo-labels for the images it had no label
  for, right and wrong, captioned, most confident first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import ImageDataset, to_float
from dul_models.data.gallery import class_name
from dul_models.data.label_budget import budget_draw, unlabelled_rows
from dul_models.data.strong_views import COLOUR_OPS, GEOMETRIC_OPS, INTENSITY_OPS
from dul_models.models.pseudo_labels import class_probabilities
from dul_models.models.semisup import METHODS
from dul_models.runs.checkpoints import list_runs

__all__ = [
    "GALLERY_PICKS",
    "METHODS",
    "METHOD_TITLES",
    "VIEWS_SHOWN",
    "LabelledSet",
    "PseudoLabelGallery",
    "PseudoLabels",
    "WeakStrongViews",
    "enlarge",
    "labelled_set",
    "opening_run",
    "pseudo_label_gallery",
    "pseudo_label_view",
    "weak_strong_views",
]

GALLERY_PICKS = ("random", "confident", "uncertain", "wrong")
METHOD_TITLES = {
    "supervised": "Supervised only (the baseline)",
    "pseudo_label": "Pseudo-label (Lee 2013)",
    "fixmatch": "FixMatch (Sohn et al. 2020)",
    "mean_teacher": "Mean Teacher (Tarvainen & Valpola 2017)",
}
COLUMNS = 16  # labelled images shown per class (one row each); the CSV lists them all
VIEWS_SHOWN = 8  # test images in the weak/strong views grid
SHOWN_SIDE = 56  # pixels: small images (8×8 digits) are enlarged to about this side


def enlarge(side: int) -> int:
    """The whole-number zoom that shows an image of `side` pixels at about SHOWN_SIDE pixels."""
    return max(1, round(SHOWN_SIDE / side))


# --- the label budget ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelledSet:
    """The labelled training images of one budget draw, as the page shows and downloads them."""

    rows: np.ndarray  # (classes · budget,) training-split rows, class after class
    images: torch.Tensor  # (classes · shown, C, H, W): the first `shown` of each class, one row per class
    shown: int
    scale: int  # zoom for the grid
    n_unlabelled: int  # the other training images
    table: dict[str, list]  # CSV columns: index, label


def labelled_set(data: ImageDataset, budget: int, seed: int) -> LabelledSet:
    """`budget` labelled images per class drawn with `seed` (nested: 4 per class include the 1); raises
    ConfigError when the data set has no labels or a class has fewer images."""
    rows = budget_draw(data.train.y, budget, seed)
    shown = min(budget, COLUMNS)
    per_class = rows.reshape(-1, budget)[:, :shown]  # (classes, shown)
    images = to_float(data.train.x[torch.as_tensor(per_class.ravel())])
    labels = data.train.y.numpy()[rows]
    return LabelledSet(
        rows=rows,
        images=images,
        shown=shown,
        scale=enlarge(images.shape[-1]),
        n_unlabelled=len(data.train.y) - len(rows),
        table={"index": rows.tolist(), "label": [class_name(data.class_names, v) for v in labels]},
    )


# --- weak and strong views -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeakStrongViews:
    """Test images above their weak and their strong views (one row each), and the strong operations."""

    images: torch.Tensor  # (3·count, C, H, W) on the CPU
    count: int
    scale: int
    operations: tuple[str, ...]  # RandAugment's operations for this image shape


def weak_strong_views(
    images: torch.Tensor,
    start: int,
    data: ImageDataset,
    *,
    ops: int,
    magnitude: float,
    cutout: float,
    seed: int,
    shown: int = VIEWS_SHOWN,
) -> WeakStrongViews:
    """The views a default semi-supervised model with these strong-view settings draws (they need no
    weights), reproducible by `seed`; ConfigError names a bad setting."""
    from dul_models.models import build_model

    config = {
        "image_shape": data.image_shape,
        "num_classes": max(2, data.num_classes),
        "strong_ops": ops,
        "strong_magnitude": magnitude,
        "cutout": cutout,
    }
    model = build_model("semisup", config, seed=0).to(images.device)
    x = to_float(images[start : start + shown])
    weak, strong = model.seeded_views(x, seed)
    operations = INTENSITY_OPS + GEOMETRIC_OPS + (COLOUR_OPS if data.image_shape[0] == 3 else ())
    return WeakStrongViews(torch.cat([x, weak, strong]).cpu(), len(x), enlarge(x.shape[-1]), operations)


# --- a trained model's pseudo-labels ---------------------------------------------------------------------


def opening_run(dataset_name: str, chosen: str | None) -> str | None:
    """The bundled FixMatch run to open on when `chosen` is no semi-supervised run on this data set."""
    runs = list_runs("semisup", dataset_name)
    if chosen in {str(r.path) for r in runs}:
        return None
    fixmatch = [r for r in runs if r.bundled and r.config.get("method") == "fixmatch"]
    return str(fixmatch[0].path) if fixmatch else None


@dataclass(frozen=True)
class PseudoLabels:
    """A model's pseudo-labels for some unlabelled images, with what the hidden labels say about them."""

    index: np.ndarray  # (n,) rows of the images given
    predicted: np.ndarray  # (n,) the pseudo-label (the most probable class)
    confidence: np.ndarray  # (n,) its probability
    correct: np.ndarray  # (n,) bool: agrees with the hidden label
    above_threshold: np.ndarray  # (n,) bool: confident enough to be trained on (≥ τ)
    threshold: float


def pseudo_label_gallery(
    model: Any,
    x_unlabelled: torch.Tensor,
    y_hidden: np.ndarray | torch.Tensor,
    n: int = 32,
    *,
    pick: str = "random",
    seed: int = 0,
    threshold: float | None = None,
) -> PseudoLabels:
    """`n` unlabelled images with the model's pseudo-labels, most confident first.

    pick: "random" (a seeded sample), "confident" / "uncertain" (the extremes of confidence) or "wrong"
    (the most confident mistakes: what confirmation bias trains on). `threshold` defaults to the model's τ.
    """
    if pick not in GALLERY_PICKS:
        raise ConfigError(f"unknown pick {pick!r}; choose from: {', '.join(GALLERY_PICKS)}")
    hidden = np.asarray(y_hidden.cpu() if isinstance(y_hidden, torch.Tensor) else y_hidden)
    if hidden.shape != (len(x_unlabelled),):
        raise ConfigError(
            f"need one hidden label per image: {len(x_unlabelled)} images, {hidden.shape} labels"
        )
    if not isinstance(n, (int, np.integer)) or not 1 <= n <= len(x_unlabelled):
        raise ConfigError(f"n must be an integer in 1..{len(x_unlabelled)}, got {n!r}")
    tau = float(threshold if threshold is not None else getattr(model.config, "threshold", 0.95))
    probabilities = class_probabilities(model, x_unlabelled).numpy()  # (N, classes)
    predicted, confidence = probabilities.argmax(1), probabilities.max(1)
    if pick == "random":
        rows = np.random.default_rng(seed).choice(len(hidden), n, replace=False)
    elif pick == "confident":
        rows = np.argsort(-confidence, kind="stable")[:n]
    elif pick == "uncertain":
        rows = np.argsort(confidence, kind="stable")[:n]
    else:
        wrong = np.flatnonzero(predicted != hidden)
        rows = wrong[np.argsort(-confidence[wrong], kind="stable")][:n]
    rows = rows[np.argsort(-confidence[rows], kind="stable")]
    return PseudoLabels(
        index=rows,
        predicted=predicted[rows],
        confidence=confidence[rows],
        correct=predicted[rows] == hidden[rows],
        above_threshold=confidence[rows] >= tau,
        threshold=tau,
    )


@dataclass(frozen=True)
class PseudoLabelGallery:
    """A run's gallery split into right and wrong pseudo-labels, each image captioned, and its CSV."""

    count: int  # images in the gallery ("wrong" may find fewer than asked)
    n_unlabelled: int  # training images the run had no label for
    threshold: float
    images: torch.Tensor  # (count, C, H, W), most confident first
    right: tuple[torch.Tensor, list[str]]  # the right ones' images and captions
    wrong: tuple[torch.Tensor, list[str]]
    table: dict[str, Any]  # CSV columns: index, pseudo_label, confidence, hidden_label, correct, ...


def _captions(found: PseudoLabels, hidden: np.ndarray, class_names: tuple[str, ...]) -> list[str]:
    """ "pseudo-label (confidence[, < τ])[ · is <hidden label>]", confidence rounded down, so that 0.9496
    (below τ = 0.95) never reads "0.95"."""
    return [
        f"{class_name(class_names, p)} ({np.floor(c * 100) / 100:.2f}{'' if above else ', < τ'})"
        + ("" if right else f" · is {class_name(class_names, h)}")
        for p, c, above, right, h in zip(
            found.predicted, found.confidence, found.above_threshold, found.correct, hidden, strict=True
        )
    ]


def pseudo_label_view(model: Any, data: ImageDataset, pick: str, n: int, seed: int) -> PseudoLabelGallery:
    """`n` of the training images a semi-supervised run had no label for (`pick`: GALLERY_PICKS), with
    its pseudo-labels beside the hidden ones."""
    train = data.train
    unlabelled = unlabelled_rows(len(train.y), model.labelled_index)  # (U,) the images it had no label for
    found = pseudo_label_gallery(
        model, train.x[unlabelled], train.y[unlabelled], min(n, len(unlabelled)), pick=pick, seed=seed
    )
    rows = unlabelled[found.index]  # training-split rows, most confident first
    hidden = train.y.numpy()[rows]
    images = to_float(train.x[torch.as_tensor(rows)])
    captions = np.array(_captions(found, hidden, data.class_names), dtype=object)
    names = data.class_names
    return PseudoLabelGallery(
        count=len(rows),
        n_unlabelled=len(unlabelled),
        threshold=found.threshold,
        images=images,
        right=(images[torch.as_tensor(found.correct)], captions[found.correct].tolist()),
        wrong=(images[torch.as_tensor(~found.correct)], captions[~found.correct].tolist()),
        table={
            "index": rows.tolist(),
            "pseudo_label": [class_name(names, v) for v in found.predicted],
            "confidence": found.confidence,
            "hidden_label": [class_name(names, v) for v in hidden],
            "correct": found.correct.tolist(),
            "above_threshold": found.above_threshold.tolist(),
        },
    )
