"""Batched, on-device corruptions of images in [0, 1].

They run on whole batches where the data already lives (GPU or CPU), instead of per image in a
DataLoader worker: that is most of why the Trainer outruns a classic per-item pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from dul_models.core.errors import ConfigError

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


# --- Views for self-supervised learning -------------------------------------------------------------
# kornia draws each augmentation's parameters per sample, on the device the batch lives on; torchvision's
# v2 transforms draw one set per call, which would give every image in a batch the same crop.


@dataclass(frozen=True)
class ViewStrength:
    """How hard two views of one image differ; 0 switches an augmentation off.

    The defaults suit 28×28 digits: strong crops and colour changes (SimCLR's recipe for photos) would
    turn a 6 into a 0, so digits get mild crops, small rotations, erasing and noise instead.
    """

    crop_scale: float = 0.5  # smallest kept area of the random resized crop (1 = no crop)
    rotation: float = 15.0  # degrees either way; more makes 6 and 9 the same digit
    translate: float = 0.1  # fraction of the image size either way
    erasing: float = 0.25  # probability of blanking a random rectangle (2–15 % of the image)
    noise: float = 0.1  # standard deviation of added Gaussian noise, in pixel units, on half the images
    jitter: float = 0.4  # brightness and contrast (and, for colour, saturation) jitter strength

    def __post_init__(self) -> None:
        limits = {
            "crop_scale": (0.05, 1.0),
            "rotation": (0.0, 180.0),
            "translate": (0.0, 0.5),
            "erasing": (0.0, 1.0),
            "noise": (0.0, 1.0),
            "jitter": (0.0, 1.0),
        }
        for name, (low, high) in limits.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ConfigError(f"augmentation {name} must be in [{low}, {high}], got {value!r}")


# What each augmentation teaches the encoder to ignore: the page prints these beside the sliders.
VIEW_NOTES = {
    "crop_scale": "crop: which part of the image is visible and at what size (scale and position)",
    "rotation": "rotation: small changes of slant",
    "translate": "shift: where the object sits in the frame",
    "erasing": "erasing: a missing piece (occlusion), so no single stroke decides",
    "noise": "noise: pixel-level speckle, so features rest on shapes, not exact values",
    "jitter": "jitter: brightness and contrast (and colour for photos)",
}


def view_augmenter(image_shape: tuple[int, int, int], strength: ViewStrength) -> torch.nn.Module:
    """A module that maps a batch (B, C, H, W) in [0, 1] to one random view per image, on its device."""
    import kornia.augmentation as K  # deferred: kornia is only needed once a view is drawn

    channels = image_shape[0]
    steps: list[torch.nn.Module] = []
    if strength.crop_scale < 1.0 or strength.rotation > 0 or strength.translate > 0:
        # The random resized crop folded into the affine warp: zooming in by s keeps 1/s² of the area,
        # so s ∈ [1, 1/√crop_scale] crops to between crop_scale and all of the image. One resampling
        # instead of kornia's separate crop and affine halves the augmentation time (benchmarked).
        zoom = (1.0, 1.0 / strength.crop_scale**0.5) if strength.crop_scale < 1.0 else None
        translate = (strength.translate, strength.translate) if strength.translate > 0 else None
        steps.append(K.RandomAffine(degrees=strength.rotation, translate=translate, scale=zoom))
    if strength.jitter > 0:
        j = strength.jitter
        colour = (j, j * 0.25) if channels == 3 else (0.0, 0.0)  # saturation and hue need colour
        steps.append(K.ColorJitter(j, j, colour[0], colour[1], p=0.8))
        if channels == 3:
            steps.append(K.RandomGrayscale(p=0.2))
    if strength.erasing > 0:
        steps.append(K.RandomErasing(p=strength.erasing, scale=(0.02, 0.15)))
    if strength.noise > 0:
        steps.append(K.RandomGaussianNoise(std=strength.noise, p=0.5))
    return Clamped(torch.nn.Sequential(*steps))


class Clamped(torch.nn.Module):
    """Keeps views in [0, 1] (noise and jitter leave the range) and never tracks gradients."""

    def __init__(self, body: torch.nn.Module) -> None:
        super().__init__()
        self.body = body

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if len(self.body) == 0:
            return x.clone()
        return self.body(x).clamp_(0.0, 1.0)
