"""Looking inside a VAE's latent space: traversal grids, the 2-D manifold, MIG of a run on a data set.

Plain functions over a model with `encode`/`decode`/`traverse` (the `vae` family), so the app, the
CLI and the benchmarks draw the same pictures and compute the same scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from dul_models.core.errors import ConfigError
from dul_models.metrics.disentanglement import MIGResult, mutual_information_gap

MAX_SPAN = 6.0  # ±6σ of the prior already holds all but 2e-9 of its mass: beyond is meaningless
MAX_STEPS = 25  # images per traversal row; more is slower and no more informative


def sweep_values(span: float, steps: int) -> torch.Tensor:
    """`steps` evenly spaced values in [−span, span] (units of the prior's standard deviation)."""
    if not 0 < span <= MAX_SPAN:
        raise ConfigError(
            f"traversal range must be in (0, {MAX_SPAN:g}] prior standard deviations, got {span!r}"
        )
    if not 2 <= steps <= MAX_STEPS:
        raise ConfigError(f"traversal steps must be between 2 and {MAX_STEPS}, got {steps!r}")
    return torch.linspace(-span, span, steps)


@dataclass
class Traversal:
    images: torch.Tensor  # (len(dims)·steps, C, H, W), one row per dimension
    dims: list[int]  # latent index of each row, most informative (highest KL) first
    values: list[float]  # the swept values, one per column
    kl: list[float]  # KL (nats) of each row's dimension, in row order


@torch.no_grad()
def traversal_grid(
    model,
    z: torch.Tensor,
    kl_per_dim: Sequence[float],
    *,
    span: float = 3.0,
    steps: int = 9,
    dims: Sequence[int] | None = None,
    max_rows: int | None = None,
) -> Traversal:
    """Sweep each latent of one code z over ±span while holding the others, rows sorted by KL per dim.

    `kl_per_dim` (from `evaluate`) orders the rows: dimensions with high KL carry information, those
    near zero are inactive and decode to the same image across the row.
    """
    latent_dim = model.config.latent_dim
    if len(kl_per_dim) != latent_dim:
        raise ConfigError(f"kl_per_dim has {len(kl_per_dim)} entries for a {latent_dim}-D model")
    values = sweep_values(span, steps).to(z.device)
    chosen = list(range(latent_dim)) if dims is None else list(dims)
    for d in chosen:
        if not 0 <= d < latent_dim:
            raise ConfigError(f"latent index {d} is out of range: this model has indices 0…{latent_dim - 1}")
    chosen.sort(key=lambda d: -float(kl_per_dim[d]))
    chosen = chosen[:max_rows] if max_rows else chosen
    rows = [model.traverse(z.reshape(-1), d, values) for d in chosen]
    return Traversal(torch.cat(rows), chosen, values.tolist(), [float(kl_per_dim[d]) for d in chosen])


@torch.no_grad()
def manifold_grid(model, n: int = 15, dims: tuple[int, int] = (0, 1), edge: float = 0.05) -> torch.Tensor:
    """Decode an n×n grid of codes placed at equal prior *probability* steps (Kingma & Welling, fig. 4).

    Each axis takes the inverse normal CDF of evenly spaced quantiles in [edge, 1 − edge], so the grid
    covers the prior's mass evenly; other dimensions are held at 0. Row 0 is the top (largest z₂).
    """
    from scipy.stats import norm

    latent_dim = model.config.latent_dim
    if latent_dim < 2:
        raise ConfigError("a manifold grid needs a model with at least 2 latent dimensions")
    if not 2 <= n <= 40:
        raise ConfigError(f"manifold grid size must be between 2 and 40, got {n}")
    if not all(0 <= d < latent_dim for d in dims) or dims[0] == dims[1]:
        raise ConfigError(f"dims must be two different indices in 0…{latent_dim - 1}, got {dims}")
    axis = torch.tensor(norm.ppf(np.linspace(edge, 1 - edge, n)), dtype=torch.float32)
    z = torch.zeros(n, n, latent_dim)
    z[:, :, dims[0]] = axis.view(1, n)  # columns: z₁ left → right
    z[:, :, dims[1]] = axis.flip(0).view(n, 1)  # rows: z₂ top → bottom
    return model.decode(z.view(n * n, latent_dim).to(model.device))  # (n², C, H, W)


def mig_on_dataset(model, dataset, split: str = "test", bins: int = 20) -> MIGResult:
    """MIG of a model's posterior means on a split of a dataset with known factors (e.g. `shapes`)."""
    from dul_models.features.encoders import extract_features

    part = dataset.split(split)
    if part.factors is None:
        raise ConfigError(
            f"dataset {dataset.name!r} has no known factors; MIG needs a generated set like shapes"
        )
    means = extract_features(model, part.x)  # (N, latent_dim) posterior means, in eval mode
    return mutual_information_gap(means, part.factors.numpy(), dataset.factor_names, bins=bins)


def factor_row_labels(traversal: Traversal, latent_factor: Sequence[str | None]) -> list[str]:
    """One label per traversal row: the latent, its KL and the factor it moves (from `mig_metrics`)."""
    return [
        f"z{d} (KL {kl:.2f}) moves {latent_factor[d] or 'no single factor'}"
        for d, kl in zip(traversal.dims, traversal.kl, strict=True)
    ]
