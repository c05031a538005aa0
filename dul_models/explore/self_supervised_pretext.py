"""The four pretext tasks doing their task on the self-supervised page: what each network was asked and
what it answered, as images, captions and tables the page only draws.

- `rotation_task` / `rotation_by_class`: test images in all four quarter turns and the predicted turn;
  which classes' turn is hard to tell (upright 0, 1 and 8 look alike upside down).
- `jigsaw_task`: shuffled tiles, the model's reassembly and the original.
- `context_task`: centre and neighbour patches and where the model puts the neighbour (3×3).
- `colorization_task`: grey input, predicted colours and the original.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from dul_models.core.devices import eval_mode
from dul_models.data import ImageDataset, to_float
from dul_models.models.context import POSITIONS
from dul_models.models.rotation import ANGLES, rotate

__all__ = [
    "ANGLES",
    "COLOUR_SET",
    "NEIGHBOUR_CHOICES",
    "POSITIONS",
    "SHOWN",
    "ClassScores",
    "ContextTask",
    "JigsawTask",
    "RotationReport",
    "RotationTask",
    "TaskImages",
    "colorization_task",
    "colour_dataset",
    "context_task",
    "jigsaw_task",
    "rotation_by_class",
    "rotation_report",
    "rotation_task",
]

SHOWN = 8  # test images per task
COLOUR_SET = "photos"  # the colour set the colorisation tab falls back on for grey data sets
NEIGHBOUR_CHOICES = ("random", *POSITIONS)  # the context tab's neighbour picker


def _shown(images: torch.Tensor, start: int, shown: int) -> torch.Tensor:
    return to_float(images[start : start + shown])


# --- rotation --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationTask:
    """Test images in four turns (one row per turn) and the predicted turn of each, as a table."""

    turned: torch.Tensor  # (4·n, C, H, W): row k = every image turned by ANGLES[k]
    count: int  # n images per row
    table: dict[str, list[str]]  # column "#<test index>" → "90° (97%)" per turn, " ✗" when wrong
    turns: list[str]  # the table's row labels ("turned 0°", ...)


def rotation_task(model: Any, images: torch.Tensor, start: int, shown: int = SHOWN) -> RotationTask:
    """`shown` test images from `start` in all four quarter turns through a rotation run."""
    x = _shown(images, start, shown)
    turned = torch.cat([rotate(x, k) for k in range(4)])  # (4·n, C, H, W): one row per turn
    with eval_mode(model):
        probabilities = model.predict_rotation(turned.to(model.device)).cpu().numpy().reshape(4, -1, 4)
    table = {
        f"#{start + i}": [
            f"{ANGLES[int(p.argmax())]}° ({p.max():.0%})" + ("" if int(p.argmax()) == k else " ✗")
            for k, p in enumerate(probabilities[:, i])
        ]
        for i in range(len(x))
    }
    return RotationTask(turned.cpu(), len(x), table, [f"turned {a}°" for a in ANGLES])


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
    rows = []
    with eval_mode(model), torch.no_grad():
        for start in range(0, x.shape[0], chunk):
            part = to_float(x[start : start + chunk]).to(model.device)
            rows.append(torch.stack([model.predict_rotation(rotate(part, k)) for k in range(4)], 1).cpu())
    return RotationReport(torch.cat(rows).numpy(), y.cpu().numpy())


@dataclass(frozen=True)
class ClassScores:
    """One score per class (nan where a class has no test image) and where a bar chart's axis should
    start so that the dips show."""

    classes: list[str]
    values: list[float]
    axis_floor: float  # 0.05 under the lowest score, never below 0


def rotation_by_class(model: Any, images: torch.Tensor, data: ImageDataset) -> ClassScores:
    """Share of turns predicted right per class, over every test image (`images`: its test split) in all
    four turns; the classes are never shown to the network."""
    scores = rotation_report(model, images, data.test.y).accuracy_by_class(data.num_classes)
    low = float(np.nanmin(scores)) if np.isfinite(scores).any() else 0.0
    return ClassScores(list(data.class_names), scores.tolist(), max(0.0, low - 0.05))


# --- jigsaw, context, colorisation -----------------------------------------------------------------------


@dataclass(frozen=True)
class JigsawTask:
    """Rows of shuffled tiles, the model's ordering and the original, and whether each was solved."""

    rows: torch.Tensor  # (3·n, C, h, w)
    solved: list[bool]
    confidence: list[float]  # probability of the model's ordering
    orderings: int  # the permutations it chooses from


def jigsaw_task(
    model: Any, images: torch.Tensor, start: int, seed: int = 0, shown: int = SHOWN
) -> JigsawTask:
    """`shown` test images from `start` shuffled reproducibly by `seed` and put back by a jigsaw run."""
    with eval_mode(model):
        solved = model.solve(_shown(images, start, shown).to(model.device), seed=seed)
    rows = torch.cat([solved["shuffled"], solved["reassembled"], solved["original"]])
    right = (solved["predicted_permutation"] == solved["true_permutation"]).tolist()
    return JigsawTask(rows, right, solved["probability"].tolist(), len(solved["permutations"]))


@dataclass(frozen=True)
class ContextTask:
    """Centre and neighbour patches, and per image the model's 3×3 answer (None in the centre cell)."""

    patches: torch.Tensor  # (2·n, C, p, p): the centres, then the neighbour shown with each
    count: int
    grids: list[list[list[float | None]]]  # (n, 3, 3) p(position), the centre cell None
    truths: list[str]  # where each neighbour really sits


def context_task(
    model: Any, images: torch.Tensor, start: int, neighbour: str = "random", shown: int = SHOWN
) -> ContextTask:
    """A context run's guess for one neighbour of each of `shown` test images (`neighbour`: one of
    NEIGHBOUR_CHOICES; "random" draws one per image)."""
    index = None if neighbour == "random" else POSITIONS.index(neighbour)
    with eval_mode(model):
        result = model.predict_position(_shown(images, start, shown).to(model.device), neighbour=index)
    grids = []
    for p in result["probabilities"].tolist():  # (8,) per image: reading order without the centre
        cells = [*p[:4], None, *p[4:]]
        grids.append([cells[0:3], cells[3:6], cells[6:9]])
    return ContextTask(
        torch.cat([result["centre"], result["neighbour"]]),
        int(result["centre"].shape[0]),
        grids,
        [POSITIONS[int(k)] for k in result["position"]],
    )


def colour_dataset(data: ImageDataset) -> str:
    """The data set the colorisation tab works on: the chosen one if it has colour, else COLOUR_SET."""
    return data.name if data.image_shape[0] == 3 else COLOUR_SET


@dataclass(frozen=True)
class TaskImages:
    """Rows of images for one grid: `count` images per row."""

    rows: torch.Tensor
    count: int


def colorization_task(model: Any, images: torch.Tensor, start: int, shown: int = SHOWN) -> TaskImages:
    """Grey input, the colours a colorisation run paints back, and the original, one row each."""
    with eval_mode(model):
        result = model.colorize(_shown(images, start, shown).to(model.device))
    return TaskImages(
        torch.cat([result["grey"], result["predicted"], result["original"]]), int(result["grey"].shape[0])
    )
