"""Jigsaw puzzles (Noroozi & Favaro, ECCV 2016, "Unsupervised learning of visual representations by
solving jigsaw puzzles").

The centre square of each image is cut into grid×grid tiles and shuffled by one of a fixed set of
permutations; the network must say which one. Every tile goes through the same backbone on its own (a
siamese network with grid² branches), so no single branch sees the whole image: the features must say
what part of a digit a tile shows, and the head reasons about how the parts fit. The head reads each
tile's backbone features (its pooled conv map).

Two choices come from the paper:
- the permutation set is picked greedily so that any two differ in as many positions as possible
  (max–min Hamming distance): two classes that differ by one swapped pair of blank corner tiles would
  be indistinguishable and teach nothing but noise;
- each tile is cut `tile_jitter` pixels smaller than its cell, at a random offset. Without the gap a network
  solves the puzzle by matching pixels across tile borders (a stroke leaving one tile enters the next at
  the same row), a shortcut that needs no idea of shape. The paper leaves ~11 px between 64-px tiles;
  1 px of a 9-px cell is what 28×28 digits can spare, so the shortcut is weakened rather than removed.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dul_models.core.errors import ConfigError
from dul_models.models.base import Batch, Recipe
from dul_models.models.patches import assemble, centre_crop, cut_cells, in_frame, jittered, puzzle_side
from dul_models.models.self_supervised import EVAL_CHUNK, SelfSupervisedConfig, SelfSupervisedModel

ENUMERATED_UP_TO = math.factorial(9)  # a 3×3 grid's 362,880 orderings are all searched (0.5 s, once)
CANDIDATE_POOL = 20_000  # larger grids: the greedy search runs over this many random orderings
PERMUTATION_SEED = 0  # breaks the search's ties: every run (and every load) gets the same classes


# --- The permutation set --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _spread_permutations(items: int, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if math.factorial(items) <= ENUMERATED_UP_TO:
        candidates = np.array(list(itertools.permutations(range(items))), dtype=np.int64)  # identity first
    else:
        pool = np.tile(np.arange(items), (CANDIDATE_POOL, 1))
        candidates = np.concatenate([np.arange(items)[None], rng.permuted(pool, axis=1)])
    columns = candidates.T  # (items, N): one comparison per position is ~10× faster than a row-wise sum
    closest = np.full(candidates.shape[0], items + 1)  # each candidate's distance to the nearest chosen one
    chosen = [0]  # start from the identity, so class 0 is the solved puzzle
    while len(chosen) < count:
        newest = columns[:, chosen[-1]]
        distance = sum(columns[i] != newest[i] for i in range(items))  # (N,) Hamming distance to the newest
        closest = np.minimum(closest, distance)
        closest[chosen] = -1  # never pick one twice
        farthest = np.flatnonzero(closest == closest.max())
        chosen.append(int(rng.choice(farthest)))
    return candidates[chosen]


def spread_permutations(items: int, count: int, seed: int = PERMUTATION_SEED) -> torch.Tensor:
    """`count` orderings of `items` tiles (count, items), chosen greedily: each new one is the candidate
    farthest (in Hamming distance) from its nearest already-chosen one. Row i of the result says which
    tile goes to position i; row 0 is the identity. The same arguments always give the same set."""
    return torch.from_numpy(_spread_permutations(items, count, seed).copy())


def min_hamming_distance(permutations: torch.Tensor) -> int:
    """The fewest positions in which two rows of (P, T) differ: how hard the closest two classes are."""
    differ = (permutations[:, None, :] != permutations[None, :, :]).sum(-1)  # (P, P)
    differ.fill_diagonal_(permutations.shape[1] + 1)
    return int(differ.min())


# --- Config and model -----------------------------------------------------------------------------------


@dataclass
class JigsawConfig(SelfSupervisedConfig):
    grid: int = 3  # the paper's 3×3; 2×2 has only 24 orderings and tiles that each show a quarter digit
    puzzle_size: int | None = None  # side of the centre square; None = the largest multiple of grid that fits
    num_permutations: int = 64  # the paper's 1,000 suit ImageNet; 64 keeps the classes far apart (7 of 9
    # tiles differ) and learnable from 4,000 digits
    tile_jitter: int = 1  # tiles are cut this much smaller than their cells, at random offsets (see above)
    hidden_dim: int = 256  # the MLP that reads the grid² concatenated tile features

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.grid < 2:
            raise ConfigError(
                f"grid must be at least 2 (a 1×1 puzzle has nothing to shuffle), got {self.grid!r}"
            )
        orderings = math.factorial(self.grid**2)
        if not 2 <= self.num_permutations <= orderings:
            raise ConfigError(
                f"num_permutations must be between 2 and {orderings:,} (the orderings of a {self.grid}×{self.grid} "
                f"grid's {self.grid**2} tiles), got {self.num_permutations!r}"
            )
        if self.puzzle_size is not None and self.puzzle_size < 1:
            raise ConfigError(f"puzzle_size must be a positive integer or None, got {self.puzzle_size!r}")
        if self.tile_jitter < 0 or self.hidden_dim < 1:
            raise ConfigError(
                f"tile_jitter must be ≥ 0 and hidden_dim ≥ 1, got {self.tile_jitter!r}, {self.hidden_dim!r}"
            )


class Jigsaw(SelfSupervisedModel):
    """grid² tiles → shared backbone each → concatenated features → MLP → which permutation."""

    family = "jigsaw"
    config_cls = JigsawConfig
    title = "Jigsaw puzzles (put the tiles back)"
    description = "Learns features by recognising how the tiles of a shuffled 3×3 puzzle were permuted."
    recipes = (
        Recipe(
            name="jigsaw-mnist5k",
            family="jigsaw",
            dataset="mnist5k",
            title="Jigsaw puzzles on MNIST 5k",
            # 1,250 steps of 256 × 9 tiles, ~0.23 s each on 2 CPU cores: about 5 minutes (kNN flat after ~1,000)
            train={"epochs": 80, "batch_size": 256, "seed": 0, "lr_schedule": "cosine"},
        ),
    )
    # 2×2 of 4-px tiles is the only puzzle the contract test's 8×8 digits can hold
    tiny_config = {
        "width": 4,
        "grid": 2,
        "num_permutations": 4,
        "tile_jitter": 0,
        "hidden_dim": 8,
    }

    def __init__(self, config: JigsawConfig) -> None:
        super().__init__(config)
        self.config: JigsawConfig = config
        self.side = puzzle_side(config.image_shape, config.grid, config.puzzle_size, trim=config.tile_jitter)
        self.tile = self.side // config.grid - config.tile_jitter
        tiles = config.grid**2
        # a buffer, so a run carries its classes with its weights
        self.register_buffer("permutations", spread_permutations(tiles, config.num_permutations))  # (P, T)
        self.head = nn.Sequential(
            nn.Linear(tiles * self.backbone.feature_dim, config.hidden_dim),
            nn.ReLU(inplace=True),
            nn.Linear(config.hidden_dim, config.num_permutations),
        )

    def shuffle(
        self, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Puzzles from (B, C, H, W): the tiles in order (B, T, C, t, t), shuffled the same way, and the
        permutation index of each (B,). Position i of a puzzle shows tile `permutations[label][i]`."""
        cells = cut_cells(centre_crop(x, self.side), self.config.grid)  # (B, T, C, cell, cell)
        tiles = jittered(cells, self.config.tile_jitter, generator)  # (B, T, C, t, t)
        labels = torch.randint(self.config.num_permutations, (x.shape[0],), generator=generator).to(x.device)
        rows = torch.arange(x.shape[0], device=x.device)[:, None]
        return tiles, tiles[rows, self.permutations[labels]], labels

    def logits(self, puzzles: torch.Tensor) -> torch.Tensor:
        b, t = puzzles.shape[:2]
        features = self.features(puzzles.flatten(0, 1))  # (B·T, F): every tile through the one trunk
        return self.head(features.view(b, -1))  # (B, T·F) → (B, P)

    def loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        _, puzzles, labels = self.shuffle(batch.x)
        logits = self.logits(puzzles)
        loss = F.cross_entropy(logits, labels)
        return loss, {"puzzle_acc": float((logits.detach().argmax(1) == labels).float().mean())}

    @torch.no_grad()
    def task_metrics(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """`pretext_acc`: how often the permutation is named exactly (the same puzzles every evaluation)."""
        generator, hits = torch.Generator().manual_seed(0), 0
        for start in range(0, x.shape[0], EVAL_CHUNK):
            _, puzzles, labels = self.shuffle(x[start : start + EVAL_CHUNK], generator)
            hits += int((self.logits(puzzles).argmax(1) == labels).sum())
        return {"pretext_acc": hits / x.shape[0]}

    @torch.no_grad()
    def solve(self, x: torch.Tensor, seed: int = 0) -> dict[str, Any]:
        """Shuffle each image (reproducibly by seed) and let the model put the tiles back, for the page.

        CPU tensors: `tiles` (B, T, C, t, t) as shuffled; `shuffled`, `reassembled` (by the model's
        guess) and `original` (the same tiles in the right order), each (B, C, grid·t, grid·t); `crop`,
        the centre square; `true_permutation`, `predicted_permutation`, `probability` (of the guess) and
        `true_probability` (B,); and `permutations` (P, T), the class table.
        """
        grid = self.config.grid
        ordered, puzzles, labels = self.shuffle(x, torch.Generator().manual_seed(seed))
        probabilities = self.logits(puzzles).float().softmax(1)  # (B, P)
        confidence, guess = probabilities.max(1)
        rows = torch.arange(x.shape[0], device=x.device)[:, None]
        reassembled = torch.empty_like(puzzles)  # each tile put back where the model says it came from
        reassembled[rows, self.permutations[guess]] = puzzles
        result = {
            "tiles": puzzles,
            "shuffled": assemble(puzzles, grid),
            "reassembled": assemble(reassembled, grid),
            "original": assemble(ordered, grid),
            "crop": centre_crop(x, self.side),
            "true_permutation": labels,
            "predicted_permutation": guess,
            "probability": confidence,
            "true_probability": probabilities[rows[:, 0], labels],
            "permutations": self.permutations,
        }
        return {key: value.cpu() for key, value in result.items()}

    @torch.no_grad()
    def preview(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Three rows: the shuffled puzzles, the model's reassembly, the tiles in the right order."""
        solved = self.solve(x)
        _, height, width = self.config.image_shape
        rows = [in_frame(solved[key], height, width) for key in ("shuffled", "reassembled", "original")]
        return torch.cat(rows), x.shape[0]
