"""What the VAE page shows about a run, computed here so the page only draws it.

- `traversal` (with `parse_dimensions` for the widget's text), `encode` and `decode_code`: walk each latent
  of one image's code, or set every latent by hand and decode.
- `manifold` and `latent_map`: the 2-D VAE's decoded grid, and the test set's posterior means in 2-D.
- `interpolations`, `samples`, `reconstructions`: decode between two test images, from the prior, and back.
- `elbo_history`, `kl_bars`: the ELBO's two terms during training and the KL of each latent.
- `disentangling_runs`, `mig_score`, `factor_traversal`: β-VAE disentanglement (MIG) on the shapes set.
- `LIVE_MODEL` / `LIVE_TRAIN`: the preset a VAE trained live starts from; `live_preset` fits it to a set.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import ImageDataset
from dul_models.explore.live_defaults import fitting_batch, image_values
from dul_models.features.encoders import extract_features
from dul_models.features.latent_space import (
    Traversal,
    factor_row_labels,
    manifold_grid,
    mig_on_dataset,
    traversal_grid,
)
from dul_models.features.projections import project_2d
from dul_models.metrics.disentanglement import mig_metrics
from dul_models.models.vae_recipes import LIVE_MODEL, LIVE_TRAIN
from dul_models.runs.checkpoints import LoadedRun, RunInfo
from dul_models.runs.queries import find_run

__all__ = [
    "DISENTANGLING",
    "LIKELIHOODS",
    "LIVE_MODEL",
    "LIVE_TRAIN",
    "SHAPES",
    "LatentMap",
    "Traversal",
    "decode_code",
    "disentangling_runs",
    "elbo_history",
    "encode",
    "factor_traversal",
    "interpolations",
    "kl_bars",
    "kl_per_dim",
    "latent_map",
    "live_preset",
    "manifold",
    "mig_score",
    "parse_dimensions",
    "pick_image",
    "reconstructions",
    "samples",
    "traversal",
]

LIKELIHOODS = ("bernoulli", "continuous_bernoulli")  # the live run's choice of decoder likelihood
SHAPES = "shapes-dense"  # the bundled disentanglement runs: the dense grid, 73,728 images
# (column title, config that picks the bundled run): the plain VAE, then the β-VAE that disentangles
DISENTANGLING = (
    ("VAE, β = 1", {"beta": 1.0, "decoder": "conv"}),
    ("β-VAE, β = 2, broadcast decoder", {"beta": 2.0, "decoder": "broadcast"}),
)
INTERPOLATIONS = (("linear", "linear"), ("slerp", "spherical (slerp)"))  # (the model's mode, its name)


def parse_dimensions(text: str, latent_dim: int) -> list[int] | None:
    """ "0, 3, 5" → [0, 3, 5]; empty → None (all). Says which entry is wrong, and the allowed range."""
    text = text.strip()
    if not text:
        return None
    dims = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            value = int(part)
        except ValueError:
            raise ConfigError(f"latent index {part!r} is not a whole number; use e.g. 0, 3, 5") from None
        if not 0 <= value < latent_dim:
            raise ConfigError(
                f"latent index {value} is out of range: this model has indices 0…{latent_dim - 1}"
            )
        if value not in dims:
            dims.append(value)
    return dims or None


def kl_per_dim(info: RunInfo) -> list[float]:
    """The KL (nats) of each latent on the test set, as the run's evaluation saved it (zeros if it did not)."""
    return list(info.metrics.get("kl_per_dim") or [0.0] * info.config["latent_dim"])


# ---- one image's code ---------------------------------------------------------------------------


def pick_image(images: torch.Tensor, index: int, upload: torch.Tensor | None = None) -> torch.Tensor:
    """(1, C, H, W): the user's uploaded image (C, H, W) when there is one, else image `index`."""
    return images[index : index + 1] if upload is None else upload[None]


def encode(run: LoadedRun, image: torch.Tensor) -> list[float]:
    """The posterior mean of one image (1, C, H, W), as plain numbers (one per latent)."""
    return run.model.embed(image.to(run.model.device))[0].tolist()


def _code(run: LoadedRun, code: Sequence[float]) -> torch.Tensor:
    return torch.tensor(list(code), dtype=torch.float32, device=run.model.device)  # (latent_dim,)


def traversal(
    run: LoadedRun,
    code: Sequence[float],
    kl: Sequence[float],
    *,
    span: float,
    steps: int,
    dims_text: str = "",
) -> Traversal:
    """Each latent in `dims_text` (empty: all) swept over ±span around the code, rows by KL; raises
    ConfigError naming a bad index, range or step count."""
    dims = parse_dimensions(dims_text, run.model.config.latent_dim)
    return traversal_grid(run.model, _code(run, code), kl, span=span, steps=steps, dims=dims)


def decode_code(run: LoadedRun, code: Sequence[float]) -> tuple[torch.Tensor, float]:
    """The image (1, C, H, W) a code decodes to, and how long the decoder took (ms)."""
    z = _code(run, code)[None]
    start = time.perf_counter()
    image = run.model.decode(z)
    return image, 1000 * (time.perf_counter() - start)


# ---- the latent space ---------------------------------------------------------------------------


def manifold(run: LoadedRun, n: int) -> torch.Tensor:
    """(n², C, H, W): a 2-D VAE's decoder over an n × n grid of equal prior-probability steps."""
    return manifold_grid(run.model, n=n)


@dataclass(frozen=True)
class LatentMap:
    """The test set's posterior means in 2-D (PCA above two latents): row i is test image i."""

    coords: np.ndarray  # (N, 2)
    labels: np.ndarray  # (N,)


def latent_map(run: LoadedRun, images: torch.Tensor, labels: torch.Tensor) -> LatentMap:
    """Posterior means of `images` (the test split, as floats) projected to 2-D, with their labels."""
    return LatentMap(project_2d(extract_features(run.model, images), "pca"), labels.numpy())


def interpolations(
    run: LoadedRun, images: torch.Tensor, a: int, b: int, steps: int
) -> dict[str, torch.Tensor]:
    """Decoded paths (steps, C, H, W) from image a's code to image b's: a straight line, then the sphere."""
    ends = run.model.embed(images[[a, b]])
    return {name: run.model.interpolate(ends[0], ends[1], steps, mode) for mode, name in INTERPOLATIONS}


def samples(run: LoadedRun, count: int, seed: int, temperature: float) -> torch.Tensor:
    """(count, C, H, W) decoded from z ~ N(0, T²·I), the noise drawn on the model's device from `seed`."""
    generator = torch.Generator(device=run.model.device).manual_seed(int(seed))
    return run.model.sample(count, generator=generator, temperature=temperature)


def reconstructions(run: LoadedRun, images: torch.Tensor, n: int = 16) -> torch.Tensor:
    """(2n, C, H, W): the first n images, then what the VAE rebuilds of them."""
    inputs = images[:n]
    return torch.cat([inputs, run.model.reconstruct(inputs)])


# ---- the ELBO's parts ---------------------------------------------------------------------------


def elbo_history(metrics: Mapping[str, Any], field: str) -> list[dict]:
    """The rows of a saved history ("history": training batches, "eval_history": test images) that hold
    the reconstruction term, so the chart can set it against the KL."""
    return [row for row in metrics.get(field, []) if "recon" in row]


def kl_bars(kl: Sequence[float]) -> list[dict]:
    """One row per latent ({"dimension": "z3", "KL (nats)": …}), the most informative first."""
    rows = [{"dimension": f"z{d}", "KL (nats)": float(value)} for d, value in enumerate(kl)]
    return sorted(rows, key=lambda row: -row["KL (nats)"])


# ---- disentanglement on shapes ------------------------------------------------------------------


def disentangling_runs() -> list[tuple[str, RunInfo | None]]:
    """The two bundled shapes runs the page compares, each with its column title (None when missing)."""
    return [(title, find_run("vae", SHAPES, bundled=True, **match)) for title, match in DISENTANGLING]


def mig_score(run: LoadedRun, data: ImageDataset) -> dict[str, Any]:
    """MIG of the run's posterior means on the data set's test split (a set with known factors): the
    gap per factor and the factor each latent carries most (`latent_factor`)."""
    return mig_metrics(mig_on_dataset(run.model, data), data.factor_names)


def factor_traversal(
    run: LoadedRun, image: torch.Tensor, latent_factor: Sequence[str | None], max_rows: int = 6
) -> tuple[torch.Tensor, list[str]]:
    """The most informative latents of one image's code swept ±3σ (9 steps), and one label per row naming
    the latent, its KL and the factor it moves."""
    z = run.model.embed(image.to(run.model.device))[0]
    grid = traversal_grid(run.model, z, run.info.metrics["kl_per_dim"], max_rows=max_rows)
    return grid.images, factor_row_labels(grid, latent_factor)


def live_preset(data: ImageDataset) -> tuple[dict[str, Any], dict[str, Any]]:
    """The live preset fitted to `data`: (model config with its likelihood, train settings). 16 latents
    suit MNIST's 784 values; an image with more (32×32 colour, 64×64 grey) gets 32. Colour pixels are
    shades, not ink, so a colour set gets the continuous Bernoulli likelihood instead of a binarisation of
    each channel. The batch is one the set can fill."""
    model = {
        **LIVE_MODEL,
        "latent_dim": LIVE_MODEL["latent_dim"] if image_values(data.image_shape) <= 1024 else 32,
        "likelihood": LIKELIHOODS[0] if data.image_shape[0] == 1 else "continuous_bernoulli",
    }
    return model, {**LIVE_TRAIN, "batch_size": fitting_batch(data, LIVE_TRAIN["batch_size"])}
