"""Weak and strong views for semi-supervised learning, on the device.

FixMatch (Sohn et al., NeurIPS 2020) takes its pseudo-label from a weak view (a small shift) and trains
on a strong one: RandAugment (Cubuk et al., 2020) with a random magnitude per image, then Cutout
(DeVries & Taylor, 2017). Every image draws its own operations, magnitudes and cut-out (kornia's own
RandAugment draws one policy per batch, hence the operations written out here).
"""

from __future__ import annotations

import torch

from dul_models.core.errors import ConfigError
from dul_models.data.augment import Clamped

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
        return Clamped(torch.nn.Sequential())
    # nearest resampling: a continuous shift rounded to whole pixels keeps strokes sharp, so the
    # pseudo-label is read off an image as crisp as the originals
    shift = K.RandomAffine(degrees=0.0, translate=(translate, translate), resample="nearest", p=1.0)
    return Clamped(torch.nn.Sequential(shift))


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
