"""What the PixelCNN page shows about a run, computed here so the page only draws it.

- `facts`: the image size and binarisation a run's numbers refer to.
- `sample_images`: seeded sampling (or completion) with a frame after every row, for a live animation.
- `completion_inputs`: an image as the model sees it, whole and with the rows to complete greyed out.
- `likelihood_maps`: per-pixel NLL maps of a digit, a shape and uniform noise, their totals and a table.
- `receptive_fields`: which earlier pixels each run's prediction for one pixel can see (the blind spot).
- `colour_refusal`, `live_batch`: whether the chosen set can be modelled at all, and a batch it can fill.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch

from dul_models.core.errors import ConfigError
from dul_models.core.images import grid_array
from dul_models.data import ImageDataset
from dul_models.explore.live_defaults import fitting_batch
from dul_models.metrics.likelihood import (
    bits_per_dim,
    earlier_pixels_seen,
    log_relative_gradient,
    per_pixel_table,
)
from dul_models.runs.checkpoints import LoadedRun

__all__ = [
    "FRAME_SCALE",
    "NLL_ZMAX_PERCENTILE",
    "UNKNOWN_GREY",
    "LikelihoodMap",
    "LikelihoodMaps",
    "ModelFacts",
    "ReceptiveField",
    "SamplingFrame",
    "colour_refusal",
    "completion_inputs",
    "facts",
    "likelihood_maps",
    "live_batch",
    "receptive_fields",
    "sample_images",
]

FRAME_SCALE = 4  # pixels of a frame per image pixel: a 28×28 digit drawn at 112 px
UNKNOWN_GREY = 0.5  # how pixels still to be sampled or completed are shown
LIVE_BATCH = 32  # the batch of a PixelCNN trained live
NLL_ZMAX_PERCENTILE = 99  # the maps share one colour scale up to here: a single hot pixel can't wash it out


@dataclass(frozen=True)
class ModelFacts:
    """What a PixelCNN run's numbers refer to."""

    height: int
    width: int
    binarisation: str  # e.g. "threshold 0.5"


def facts(run: LoadedRun) -> ModelFacts:
    _, height, width = run.model.config.image_shape
    return ModelFacts(int(height), int(width), run.model.binarisation)


@dataclass(frozen=True)
class SamplingFrame:
    """The batch after one more row: `grid` is an (H', W', 3) uint8 picture, unsampled pixels grey."""

    pixels_done: int
    total: int
    grid: np.ndarray

    @property
    def fraction(self) -> float:
        return self.pixels_done / self.total


def sample_images(
    run: LoadedRun,
    n: int,
    *,
    temperature: float,
    seed: int,
    nrow: int,
    on_frame: Callable[[SamplingFrame], None] | None = None,
    start: torch.Tensor | None = None,
    rows_known: int = 0,
) -> torch.Tensor:
    """n samples (n, 1, H, W) on the CPU, drawn by a generator on the model's device seeded with `seed`.

    With `start` (one (C, H, W) image) its top `rows_known` rows are kept and the rest completed.
    `on_frame` hears the batch as a grid of `nrow` columns after every sampled row.
    """
    model = run.model
    _, height, width = model.config.image_shape

    def show(pixels_done: int, images: torch.Tensor) -> None:
        on_frame(SamplingFrame(pixels_done, height * width, grid_array(images, nrow=nrow, scale=FRAME_SCALE)))

    generator = torch.Generator(device=model.device).manual_seed(seed)
    known = {} if start is None else {"start": start.unsqueeze(0), "rows_known": rows_known}
    callback = show if on_frame is not None else None
    return model.sample(n, generator=generator, temperature=temperature, callback=callback, **known).cpu()


def _binarised(run: LoadedRun, images: torch.Tensor) -> torch.Tensor:
    """Images (B, C, H, W) as the model sees them (quantised, then back to [0, 1])."""
    return run.model.dequantise(run.model.quantise(images))


def completion_inputs(run: LoadedRun, image: torch.Tensor, rows_known: int) -> torch.Tensor:
    """(2, C, H, W) on the CPU: the image as the model sees it, then with rows from `rows_known` on grey."""
    shown = _binarised(run, image.unsqueeze(0)).cpu()
    masked = shown.clone()
    masked[..., rows_known:, :] = UNKNOWN_GREY
    return torch.cat([shown, masked])


@dataclass(frozen=True)
class LikelihoodMap:
    """One input's per-pixel NLL: its binarised image, the (H, W) map in nats and its totals."""

    label: str
    image: torch.Tensor  # (1, C, H, W) binarised, on the CPU
    nll: np.ndarray  # (H, W) float32 nats
    nats: float
    bits_per_dim: float


@dataclass(frozen=True)
class LikelihoodMaps:
    """The maps in order (noise last), one colour scale's top for all of them, and the CSV's columns."""

    maps: list[LikelihoodMap]
    zmax: float  # the NLL_ZMAX_PERCENTILE-th percentile over every map, in nats
    table: dict[str, np.ndarray]  # long format: input, row, col, nll_nats


def likelihood_maps(
    run: LoadedRun, inputs: Mapping[str, torch.Tensor | None], seed: int, noise_label: str = "uniform noise"
) -> LikelihoodMaps:
    """Per-pixel NLL of each (C, H, W) input (None entries skipped), then of uniform noise seeded by `seed`:
    in-distribution images, simpler ones and noise side by side, on one colour scale."""
    present = {label: image for label, image in inputs.items() if image is not None}
    if not present:
        raise ConfigError(
            "likelihood maps need at least one image besides the noise (its shape sets the noise's)"
        )
    shape = next(iter(present.values())).shape
    present[noise_label] = torch.rand(shape, generator=torch.Generator().manual_seed(seed))
    batch = torch.stack([image.to(run.model.device) for image in present.values()])  # (B, C, H, W)
    with torch.no_grad():
        nll = run.model.pixel_nll(batch).cpu().numpy()  # (B, H, W) nats
    binarised = _binarised(run, batch).cpu()
    maps = []
    for i, label in enumerate(present):
        nats = float(nll[i].sum())
        bits = bits_per_dim(nats, nll[i].size)
        maps.append(LikelihoodMap(label, binarised[i : i + 1], nll[i], nats, bits))
    table = per_pixel_table(dict(zip(present, nll, strict=True)), "nll_nats")
    return LikelihoodMaps(maps, float(np.percentile(nll, NLL_ZMAX_PERCENTILE)), table)


@dataclass(frozen=True)
class ReceptiveField:
    """Which input pixels change one run's prediction for `pixel`, on a log scale (NaN = unseen)."""

    role: str
    variant: str
    log_gradient: np.ndarray  # (H, W) log10 |∂logit/∂x| / max, NaN where the gradient is exactly zero
    seen: int  # earlier pixels (reading order) with a non-zero gradient
    total: int  # earlier pixels


def receptive_fields(
    runs: Mapping[str, LoadedRun], image: torch.Tensor, pixel: tuple[int, int]
) -> list[ReceptiveField]:
    """Each run's (role → run) gradient map of its logit at `pixel` with respect to the (C, H, W) image."""
    fields = []
    for role, run in runs.items():
        gradient = run.model.receptive_field(image, pixel).cpu().numpy()
        seen, total = earlier_pixels_seen(gradient, pixel)
        variant = run.info.config["variant"]
        fields.append(ReceptiveField(role, variant, log_relative_gradient(gradient), seen, total))
    return fields


def colour_refusal(data: ImageDataset) -> str | None:
    """One sentence for a colour set, which the PixelCNN here cannot model (its config refuses more than one
    channel: it predicts one grey level per pixel), saying how to get a greyscale set; None when grey."""
    if data.image_shape[0] == 1:
        return None
    return (
        f"The PixelCNN here is for greyscale sets and {data.name} is in colour: choose a greyscale set such "
        "as mnist5k, or import a greyscale copy of your images with `python -m dul_models datasets import "
        "PATH --name NAME --channels 1` (or on the Your data page)."
    )


def live_batch(data: ImageDataset) -> int:
    """The live batch (32), or the whole training split of a smaller set."""
    return fitting_batch(data, LIVE_BATCH)
