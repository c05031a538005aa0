"""Batched, on-device corruptions of images in [0, 1].

They run on whole batches where the data already lives (GPU or CPU), instead of per image in a
DataLoader worker: that is most of why the Trainer outruns a classic per-item pipeline.
"""

from __future__ import annotations

import torch

from dul_models.errors import ConfigError

CORRUPTIONS = ("none", "gaussian", "salt_pepper", "masking", "mixed")
BASIC_CORRUPTIONS = ("gaussian", "salt_pepper", "masking")


def _uniform(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def corrupt(
    x: torch.Tensor, kind: str, level: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Return a corrupted copy of `x` (B, C, H, W) in [0, 1].

    - gaussian: add N(0, level²) noise and clip, level = standard deviation in pixel units;
    - salt_pepper: a `level` fraction of pixels set to 0 or 1 with equal odds;
    - masking: a `level` fraction of pixels set to 0 (dropout of pixels);
    - mixed: each image gets one of the three above at a level drawn uniformly from [0, level], which
      trains one denoiser that copes with every kind and strength the page's sliders can produce.
    """
    if kind not in CORRUPTIONS:
        raise ConfigError(f"unknown corruption {kind!r}; choose from: {', '.join(CORRUPTIONS)}")
    if not 0.0 <= level <= 1.0:
        raise ConfigError(f"corruption level must be in [0, 1], got {level!r}")
    if kind == "none" or level == 0:
        return x.clone()
    if kind == "mixed":
        return _mixed(x, level, generator)
    if kind == "gaussian":
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return (x + level * noise).clamp_(0.0, 1.0)
    hit = _uniform(x[:, :1], generator) < level  # (B, 1, H, W): one decision per pixel, all channels
    if kind == "masking":
        return x.masked_fill(hit, 0.0)
    salt = (_uniform(x[:, :1], generator) < 0.5).to(x.dtype)  # 1 = white, 0 = black
    return torch.where(hit, salt.expand_as(x), x)


def _mixed(x: torch.Tensor, level: float, generator: torch.Generator | None) -> torch.Tensor:
    batch = x.shape[0]
    levels = torch.rand(batch, generator=generator, device=x.device, dtype=x.dtype) * level  # (B,)
    choice = torch.randint(len(BASIC_CORRUPTIONS), (batch,), generator=generator, device=x.device)  # (B,)
    out = x.clone()
    per_image = levels.view(batch, 1, 1, 1)
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    gaussian = (x + per_image * noise).clamp(0.0, 1.0)
    hit = _uniform(x[:, :1], generator) < per_image  # (B, 1, H, W)
    salt = (_uniform(x[:, :1], generator) < 0.5).to(x.dtype).expand_as(x)
    salt_pepper = torch.where(hit, salt, x)
    masked = x.masked_fill(hit, 0.0)
    for index, candidate in enumerate((gaussian, salt_pepper, masked)):
        pick = (choice == index).view(batch, 1, 1, 1)
        out = torch.where(pick, candidate, out)
    return out
