"""What the denoising page shows about autoencoder runs, computed here so the page only draws it.

- `before_after`: seeded test images, one seeded corruption, each autoencoder's output and its PSNR.
- `psnr_curve_rows`: mean PSNR against noise level for the runs, a median filter and the noisy input,
  kept in the disk cache (a cold server measured ~10 s for it; a restarted one reads it back at once).
- `denoise_own`: a user's image corrupted and denoised the same way.
- `latent_map`: the test set's codes projected to 2-D, with their labels.
- `live_defaults`: the train-live latent size and batch that fit the chosen set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dul_models.core.devices import pick_device
from dul_models.core.disk_cache import cached_array
from dul_models.data import ImageDataset, to_float
from dul_models.data.augment import BASIC_CORRUPTIONS, CORRUPTIONS, corrupt
from dul_models.explore.live_defaults import fitting_batch, image_values
from dul_models.features.encoders import extract_features
from dul_models.features.projections import PROJECTIONS, project_2d
from dul_models.metrics.images import median_filter, psnr, psnr_curve
from dul_models.runs.checkpoints import LoadedRun, RunRef

__all__ = [
    "BASIC_CORRUPTIONS",
    "CORRUPTIONS",
    "CURVE_IMAGES",
    "CURVE_LEVELS",
    "MEDIAN_FILTER",
    "PROJECTIONS",
    "LatentMap",
    "Panel",
    "before_after",
    "denoise_own",
    "latent_map",
    "live_defaults",
    "psnr_curve_rows",
]

# level 0 is left out: a perfect 100 dB, off the chart
CURVE_LEVELS = tuple(round(0.1 * step, 2) for step in range(1, 11))
CURVE_IMAGES = 1000  # test images per curve point (the first ones of the test split)
MEDIAN_FILTER = "median filter 3×3"
NOISY = "noisy input"  # psnr_curve's row for the corrupted input itself
LIVE_BATCH = 128  # the batch of an autoencoder trained live (TrainConfig's default)
_CURVE_VERSION = 1  # bump when the curve's computation changes, so old disk-cache files are not read


@dataclass(frozen=True)
class Panel:
    """One column of the before/after view: its images (on the CPU) and their mean PSNR to the clean ones."""

    label: str
    images: torch.Tensor  # (N, C, H, W) in [0, 1]
    psnr_db: float | None  # None for the clean images themselves


def _generator(device: torch.device, seed: int) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def before_after(
    images: torch.Tensor,
    runs: Mapping[str, LoadedRun],
    kind: str,
    level: float,
    count: int,
    seed: int,
) -> list[Panel]:
    """Clean, noisy input, then each run's reconstruction of the noisy input (label → run, in order).

    The images are `count` test rows drawn by a CPU generator seeded with `seed` (the same on every
    device); the noise comes from a generator on the images' device seeded with `seed`.
    """
    picks = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:count]
    x = images[picks.to(images.device)]
    noisy = corrupt(x, kind, level, generator=_generator(x.device, seed))
    outputs = {label: run.model.reconstruct(noisy) for label, run in runs.items()}
    panels = [Panel("clean", x.cpu(), None)]
    for label, batch in {"noisy input": noisy, **outputs}.items():
        panels.append(Panel(label, batch.cpu(), float(psnr(batch, x).mean())))
    return panels


def psnr_curve_rows(
    runs: Mapping[str, LoadedRun],
    data: ImageDataset,
    kind: str,
    device: str,
    levels: Sequence[float] = CURVE_LEVELS,
    n: int = CURVE_IMAGES,
    *,
    cache_dir: Path | str | None = None,
) -> list[dict[str, float | str]]:
    """Rows {method, level, psnr_db}: the noisy input, each run (label → run) and a 3×3 median filter.

    Every method sees the same noise (`psnr_curve`). The table goes through the disk cache, keyed by each
    run's folder and weights' modification time, the dataset (its name and the images themselves), the
    corruption, the levels, n and the device type (CPU and CUDA generators draw different noise).
    """
    target = pick_device(device)
    clean = data.test.x[:n]
    methods = (NOISY, *runs, MEDIAN_FILTER)
    levels = tuple(float(v) for v in levels)
    refs = tuple((label, RunRef.of(run.info.path)) for label, run in runs.items())
    parts = ("psnr_curve", _CURVE_VERSION, refs, data.name, kind, levels, len(clean), target.type)

    def compute() -> np.ndarray:
        denoisers = {label: run.model.reconstruct for label, run in runs.items()}
        denoisers[MEDIAN_FILTER] = median_filter
        rows = psnr_curve(denoisers, to_float(clean).to(target), kind, levels)
        table = {(row["method"], row["level"]): row["psnr_db"] for row in rows}
        return np.array([[table[method, level] for method in methods] for level in levels])

    psnr_db, _ = cached_array(parts, clean.numpy(), (len(levels), len(methods)), compute, cache_dir)
    return [
        {"method": method, "level": level, "psnr_db": float(psnr_db[i, j])}
        for i, level in enumerate(levels)
        for j, method in enumerate(methods)
    ]


def denoise_own(run: LoadedRun, image: torch.Tensor, kind: str, level: float, seed: int) -> torch.Tensor:
    """(3, C, H, W) on the CPU: the image, its corrupted copy (noise seeded by `seed`), the run's output."""
    own = image.to(run.model.device)[None]  # (1, C, H, W)
    noisy = corrupt(own, kind, level, generator=_generator(own.device, seed))
    return torch.cat([own, noisy, run.model.reconstruct(noisy)]).cpu()


@dataclass(frozen=True)
class LatentMap:
    """The test set's codes in 2-D: row i is test image i."""

    coords: np.ndarray  # (N, 2)
    labels: np.ndarray  # (N,)


def latent_map(run: LoadedRun, data: ImageDataset, method: str) -> LatentMap:
    """Each test image's code (`embed`) projected to 2-D by `method` ("pca", "tsne" or "umap")."""
    codes = extract_features(run.model, to_float(data.test.x).to(run.model.device))
    return LatentMap(project_2d(codes, method), data.test.y.numpy())


def live_defaults(data: ImageDataset) -> dict[str, int]:
    """The train-live defaults that fit `data`: 32 latent numbers keep MNIST's 784 values sharp, an image
    with more values (3,072 in 32×32 colour, 4,096 in 64×64 grey) gets 64; a batch the set can fill."""
    latent_dim = 32 if image_values(data.image_shape) <= 1024 else 64
    return {"latent_dim": latent_dim, "batch_size": fitting_batch(data, LIVE_BATCH)}
