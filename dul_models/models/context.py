"""Context prediction (Doersch, Gupta & Efros, ICCV 2015, "Unsupervised visual representation learning
by context prediction").

The centre square of each image is cut into 3×3 cells; the network sees the middle cell and one of its
eight neighbours and must say where the neighbour sat. Both patches go through the same backbone; the
head reads their concatenated backbone features (pooled conv maps). To answer, the features must say what part of an object a patch
shows (the top of a 7 lies above its stem), which is what makes them useful for recognition.

The paper's trick against trivial answers: each patch is `gap` pixels smaller than its cell and placed
at a random offset inside it, so patches rarely touch and never line up exactly. Otherwise the network
would continue lines across the shared edge (where a stroke leaves the centre patch it enters the
neighbour), which needs no notion of shape. The paper's gap is half a 96-px patch; 9-px cells of a
28×28 digit spare 2 px. Corner cells of a digit are often blank, so some answers are guesses by nature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from dul_models.core.errors import ConfigError
from dul_models.models.base import Batch, Recipe
from dul_models.models.patches import centre_crop, cut_cells, jittered, puzzle_side
from dul_models.models.self_supervised import EVAL_CHUNK, SelfSupervisedConfig, SelfSupervisedModel

GRID = 3  # a centre cell and its eight neighbours
CENTRE = 4  # the middle cell in reading order
POSITIONS = ("top-left", "top", "top-right", "left", "right", "bottom-left", "bottom", "bottom-right")
NEIGHBOUR_CELLS = (0, 1, 2, 3, 5, 6, 7, 8)  # the cell (reading order) of each position


@dataclass
class ContextConfig(SelfSupervisedConfig):
    puzzle_size: int | None = None  # side of the centre square; None = the largest multiple of 3 that fits
    gap: int = 2  # patches are cell − gap wide at a random offset in [0, gap]²: 0–4 px apart, 2 on average
    hidden_dim: int = 256  # the MLP that reads the two concatenated patch features

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.puzzle_size is not None and self.puzzle_size < 1:
            raise ConfigError(f"puzzle_size must be a positive integer or None, got {self.puzzle_size!r}")
        if self.gap < 0 or self.hidden_dim < 1:
            raise ConfigError(f"gap must be ≥ 0 and hidden_dim ≥ 1, got {self.gap!r}, {self.hidden_dim!r}")


class ContextPrediction(SelfSupervisedModel):
    """centre patch + neighbour patch → shared backbone → concatenated features → MLP → 8 positions."""

    family = "context"
    config_cls = ContextConfig
    title = "Context prediction (where does this patch go?)"
    description = "Learns features by predicting where a patch sat relative to the image's centre patch."
    recipes = (
        Recipe(
            name="context-mnist5k",
            family="context",
            dataset="mnist5k",
            title="Context prediction on MNIST 5k",
            # two 7-px patches per image are cheap: 4,690 steps of ~0.045 s on 2 CPU cores, about 4 minutes
            train={"epochs": 300, "batch_size": 256, "seed": 0, "lr_schedule": "cosine"},
        ),
    )
    tiny_config = {"width": 4, "hidden_dim": 8}
    tiny_dataset = "mnist5k"  # 8×8 digits leave 2-px cells: too small for the backbone

    def __init__(self, config: ContextConfig) -> None:
        super().__init__(config)
        self.config: ContextConfig = config
        self.side = puzzle_side(
            config.image_shape, GRID, config.puzzle_size, trim=config.gap, grid_is_free=False
        )
        self.cell = self.side // GRID
        self.patch = self.cell - config.gap
        self.register_buffer("neighbour_cells", torch.tensor(NEIGHBOUR_CELLS), persistent=False)
        self.head = nn.Sequential(
            nn.Linear(2 * self.backbone.feature_dim, config.hidden_dim),
            nn.ReLU(inplace=True),
            nn.Linear(config.hidden_dim, len(POSITIONS)),
        )

    def pairs(
        self, x: torch.Tensor, positions: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Centre patches and the neighbours at `positions` (B,), each (B, C, p, p), cut at random offsets."""
        cells = cut_cells(centre_crop(x, self.side), GRID)  # (B, 9, C, cell, cell)
        rows = torch.arange(x.shape[0], device=x.device)
        chosen = torch.stack(
            [cells[:, CENTRE], cells[rows, self.neighbour_cells[positions]]], 1
        )  # (B, 2, C, cell, cell)
        patches = jittered(chosen, self.config.gap, generator)  # (B, 2, C, p, p)
        return patches[:, 0], patches[:, 1]

    def logits(self, centre: torch.Tensor, neighbour: torch.Tensor) -> torch.Tensor:
        features = self.features(torch.cat([centre, neighbour]))  # (2B, F): one pass, shared batch norm
        first, second = features.chunk(2)
        return self.head(torch.cat([first, second], 1))  # (B, 8)

    def loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        positions = torch.randint(len(POSITIONS), (batch.x.shape[0],), device=batch.x.device)
        logits = self.logits(*self.pairs(batch.x, positions))
        loss = F.cross_entropy(logits, positions)
        return loss, {"position_acc": float((logits.detach().argmax(1) == positions).float().mean())}

    @torch.no_grad()
    def task_metrics(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """`pretext_acc`: 8-way accuracy over every neighbour of every test image (same offsets each time)."""
        generator, hits = torch.Generator().manual_seed(0), 0
        for start in range(0, x.shape[0], EVAL_CHUNK):
            chunk = x[start : start + EVAL_CHUNK]
            for position in range(len(POSITIONS)):
                positions = torch.full((chunk.shape[0],), position, device=x.device)
                hits += int(
                    (self.logits(*self.pairs(chunk, positions, generator)).argmax(1) == positions).sum()
                )
        return {"pretext_acc": hits / (len(POSITIONS) * x.shape[0])}

    @torch.no_grad()
    def predict_position(
        self, x: torch.Tensor, neighbour: int | None = None, seed: int = 0
    ) -> dict[str, Any]:
        """The model's guess for one neighbour per image: `neighbour` (an index into POSITIONS) for every
        image, or a random one each (reproducible by seed). CPU tensors: `centre` and `neighbour`
        patches (B, C, p, p), `position` (B,) the true index, `probabilities` (B, 8) and `predicted` (B,)."""
        generator = torch.Generator().manual_seed(seed)
        if neighbour is None:
            positions = torch.randint(len(POSITIONS), (x.shape[0],), generator=generator)
        elif 0 <= neighbour < len(POSITIONS):
            positions = torch.full((x.shape[0],), neighbour)
        else:
            raise ConfigError(f"neighbour must be 0–7 ({', '.join(POSITIONS)}) or None, got {neighbour!r}")
        positions = positions.to(x.device)
        centre, other = self.pairs(x, positions, generator)
        probabilities = self.logits(centre, other).float().softmax(1)  # (B, 8)
        result = {
            "centre": centre,
            "neighbour": other,
            "position": positions,
            "probabilities": probabilities,
            "predicted": probabilities.argmax(1),
        }
        return {key: value.cpu() for key, value in result.items()}

    def _layout(
        self, x: torch.Tensor, centre: torch.Tensor, other: torch.Tensor, positions: torch.Tensor
    ) -> torch.Tensor:
        """The image dimmed to a third, with the two patches drawn bright in their cells (B, C, H, W)."""
        canvas = x * 0.3
        _, height, width = self.config.image_shape
        top, left = (height - self.side) // 2, (width - self.side) // 2
        inset = self.config.gap // 2  # drawn in the middle of the cell; the jitter is not shown
        for index in range(x.shape[0]):
            for cell, patch in (
                (CENTRE, centre[index]),
                (NEIGHBOUR_CELLS[int(positions[index])], other[index]),
            ):
                y0 = top + (cell // GRID) * self.cell + inset
                x0 = left + (cell % GRID) * self.cell + inset
                canvas[index, :, y0 : y0 + self.patch, x0 : x0 + self.patch] = patch
        return canvas

    @torch.no_grad()
    def preview(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Three rows: the images, the centre and neighbour patches where they were, and where the model
        puts the neighbour."""
        guess = self.predict_position(x)
        true = self._layout(x.cpu(), guess["centre"], guess["neighbour"], guess["position"])
        predicted = self._layout(x.cpu(), guess["centre"], guess["neighbour"], guess["predicted"])
        return torch.cat([x.cpu(), true, predicted]), x.shape[0]
