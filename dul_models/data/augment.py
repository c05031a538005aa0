"""Batched, on-device corruptions of images in [0, 1].

They run on whole batches where the data already lives (GPU or CPU), instead of per image in a
DataLoader worker: that is most of why the Trainer outruns a classic per-item pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    return _Clamped(torch.nn.Sequential(*steps))


class _Clamped(torch.nn.Module):
    """Keeps views in [0, 1] (noise and jitter leave the range) and never tracks gradients."""

    def __init__(self, body: torch.nn.Module) -> None:
        super().__init__()
        self.body = body

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if len(self.body) == 0:
            return x.clone()
        return self.body(x).clamp_(0.0, 1.0)


# --- Weak and strong views for semi-supervised learning ---------------------------------------------
# FixMatch (Sohn et al., NeurIPS 2020) takes its pseudo-label from a weak view (a small shift) and trains
# on a strong one: RandAugment (Cubuk et al., 2020) with a random magnitude per image, then Cutout
# (DeVries & Taylor, 2017). Every image draws its own operations, magnitudes and cut-out, on the device.

# The operations and the deviation from "unchanged" each reaches at magnitude 1 (FixMatch's ranges).
ENHANCE_RANGE = 0.9  # brightness / contrast / sharpness / colour factor in [0.1, 1.9]
ROTATE_DEGREES = 30.0
SHEAR = 0.3
TRANSLATE = 0.3  # fraction of the image size
POSTERIZE_BITS = 4  # drop up to 4 of 8 bits
GEOMETRIC_OPS = ("rotate", "shear_x", "shear_y", "translate_x", "translate_y")
INTENSITY_OPS = (
    "identity",
    "autocontrast",
    "brightness",
    "contrast",
    "sharpness",
    "equalize",
    "posterize",
    "solarize",
)
COLOUR_OPS = ("colour",)  # saturation: only for 3-channel images
CUTOUT_FILL = 0.5  # grey: a visible hole, neither background (0 on digits) nor stroke (1)


def weak_augmenter(translate: float = 0.125) -> torch.nn.Module:
    """Shift each image by up to ±`translate` of its size, in whole pixels with zero fill (FixMatch's weak
    view, without its horizontal flip: a mirrored 2, 3 or 7 is no longer the same digit)."""
    import kornia.augmentation as K  # deferred: kornia is only needed once a view is drawn

    if not 0.0 <= translate <= 0.5:
        raise ConfigError(f"weak translate must be in [0, 0.5], got {translate!r}")
    if translate == 0:
        return _Clamped(torch.nn.Sequential())
    # nearest resampling: a continuous shift rounded to whole pixels keeps strokes sharp, so the
    # pseudo-label is read off an image as crisp as the originals
    shift = K.RandomAffine(degrees=0.0, translate=(translate, translate), resample="nearest", p=1.0)
    return _Clamped(torch.nn.Sequential(shift))


class StrongAugment(torch.nn.Module):
    """RandAugment with a random magnitude per image, then a square cut-out; output in [0, 1].

    Each of `ops` rounds gives every image one operation drawn uniformly from the list and a magnitude
    drawn from U(0, magnitude); images that drew a geometric operation share one batched warp.
    """

    def __init__(self, channels: int, ops: int = 2, magnitude: float = 1.0, cutout: float = 0.5) -> None:
        super().__init__()
        if ops < 0:
            raise ConfigError(f"strong ops must be an integer >= 0, got {ops!r}")
        if not 0.0 <= magnitude <= 1.0:
            raise ConfigError(f"strong magnitude must be in [0, 1], got {magnitude!r}")
        if not 0.0 <= cutout <= 1.0:
            raise ConfigError(
                f"cutout must be in [0, 1] (largest side as a fraction of the image), got {cutout!r}"
            )
        self.ops, self.magnitude, self.cutout = ops, magnitude, cutout
        self.names = INTENSITY_OPS + GEOMETRIC_OPS + (COLOUR_OPS if channels == 3 else ())

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.clone()
        for _ in range(self.ops):
            x = self._one_round(x)
        if self.cutout > 0:
            x = cutout(x, self.cutout)
        return x.clamp_(0.0, 1.0)

    def _one_round(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.shape[0]
        choice = torch.randint(len(self.names), (batch,), device=x.device)  # (B,)
        level = torch.rand(batch, device=x.device) * self.magnitude  # (B,) in [0, magnitude]
        signed = level * (torch.randint(0, 2, (batch,), device=x.device) * 2 - 1)  # (B,) either way
        theta = torch.eye(2, 3, device=x.device).repeat(batch, 1, 1)  # (B, 2, 3) identity warps
        warped = torch.zeros(batch, dtype=torch.bool, device=x.device)
        for index, name in enumerate(self.names):
            rows = torch.nonzero(choice == index).flatten()
            if rows.numel() == 0:
                continue
            if name in GEOMETRIC_OPS:
                theta[rows] = _affine(name, signed[rows])
                warped[rows] = True
            else:
                x[rows] = _intensity(name, x[rows], level[rows], signed[rows]).clamp(0.0, 1.0)
        if warped.any():
            rows = torch.nonzero(warped).flatten()
            grid = torch.nn.functional.affine_grid(theta[rows], list(x[rows].shape), align_corners=False)
            x[rows] = torch.nn.functional.grid_sample(
                x[rows], grid, padding_mode="zeros", align_corners=False
            )
        return x


def _affine(name: str, signed: torch.Tensor) -> torch.Tensor:
    """(n, 2, 3) sampling matrices in affine_grid's normalised coordinates ([-1, 1] across the image)."""
    theta = torch.eye(2, 3, device=signed.device).repeat(signed.shape[0], 1, 1)
    if name == "rotate":
        angle = torch.deg2rad(signed * ROTATE_DEGREES)
        theta[:, 0, 0], theta[:, 0, 1] = torch.cos(angle), -torch.sin(angle)
        theta[:, 1, 0], theta[:, 1, 1] = torch.sin(angle), torch.cos(angle)
    elif name == "shear_x":
        theta[:, 0, 1] = signed * SHEAR
    elif name == "shear_y":
        theta[:, 1, 0] = signed * SHEAR
    elif name == "translate_x":
        theta[:, 0, 2] = signed * TRANSLATE * 2  # the image spans 2 normalised units
    elif name == "translate_y":
        theta[:, 1, 2] = signed * TRANSLATE * 2
    return theta


def _intensity(name: str, x: torch.Tensor, level: torch.Tensor, signed: torch.Tensor) -> torch.Tensor:
    """One photometric operation on images x (n, C, H, W) with per-image magnitudes (n,)."""
    import kornia.enhance as E

    factor = (1.0 + signed * ENHANCE_RANGE).view(-1, 1, 1, 1)  # (n, 1, 1, 1) in [0.1, 1.9]
    if name == "identity":
        return x
    if name == "autocontrast":  # stretch each image to the full range
        low = x.amin(dim=(1, 2, 3), keepdim=True)
        high = x.amax(dim=(1, 2, 3), keepdim=True)
        return (x - low) / (high - low).clamp(min=1e-3)
    if name == "brightness":  # PIL's: blend with black
        return x * factor
    if name == "contrast":  # PIL's: blend with the image's mean grey
        return x.mean(dim=(1, 2, 3), keepdim=True) + factor * (x - x.mean(dim=(1, 2, 3), keepdim=True))
    if name == "sharpness":
        return E.sharpness(x, factor.flatten())
    if name == "equalize":
        return E.equalize(x)
    if name == "posterize":
        bits = 8 - torch.round(level * POSTERIZE_BITS).long()  # (n,) in 4..8
        return E.posterize(x, bits)
    if name == "solarize":  # invert every pixel above the threshold; level 1 inverts the whole image
        return E.solarize(x, 1.0 - level)
    if name == "colour":
        return E.adjust_saturation(x, factor.flatten())
    raise ConfigError(f"unknown augmentation {name!r}")


def cutout(x: torch.Tensor, size: float) -> torch.Tensor:
    """Grey out one square per image, its side drawn from [size/2, size] of the image, centred anywhere
    (so it may hang over the border)."""
    batch, _, height, width = x.shape
    side = (torch.rand(batch, device=x.device) * 0.5 + 0.5) * size * min(height, width)  # (B,) pixels
    centre_y = torch.rand(batch, device=x.device) * height  # (B,)
    centre_x = torch.rand(batch, device=x.device) * width
    rows = torch.arange(height, device=x.device) + 0.5  # pixel centres
    cols = torch.arange(width, device=x.device) + 0.5
    inside_y = (rows[None, :] - centre_y[:, None]).abs() <= side[:, None] / 2  # (B, H)
    inside_x = (cols[None, :] - centre_x[:, None]).abs() <= side[:, None] / 2  # (B, W)
    hole = (inside_y[:, :, None] & inside_x[:, None, :])[:, None]  # (B, 1, H, W)
    return x.masked_fill(hole, CUTOUT_FILL)


def strong_augmenter(
    image_shape: tuple[int, int, int], ops: int = 2, magnitude: float = 1.0, cutout: float = 0.5
) -> torch.nn.Module:
    """FixMatch's strong view: `ops` RandAugment operations per image, then a cut-out (see StrongAugment)."""
    return StrongAugment(image_shape[0], ops=ops, magnitude=magnitude, cutout=cutout)
