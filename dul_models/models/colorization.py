"""Colourisation (Zhang, Isola & Efros, ECCV 2016, "Colorful image colorization"), simplified to regression.

The backbone sees only the grey image (luminance Y) and a small decoder predicts the two chroma channels
(Cb, Cr of YCbCr); RGB is rebuilt from the known Y and the predicted chroma. Knowing that grass is green
and skin is pink means recognising grass and skin, so the grey-image features become useful. The
decoder reads the trunk's map before pooling; `embed` is the pooled map, as for every family.

We regress chroma with a mean squared error. Where an object may have several colours (a car: red or
blue), the MSE-optimal answer is their average, which lies near grey: regression gives washed-out,
sepia-like colours. Zhang et al. instead classify every pixel over 313 quantised colours, re-weight rare
(saturated) colours and read out an annealed mean, which gives vivid colours; regression is kept here for
a short, readable model, and the page shows the washing-out.

Colour jitter in the views would change the target itself, so the model trains on the original images
(random horizontal flips only); the views serve only the shared alignment diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from dul_models.core.errors import ConfigError
from dul_models.data import ImageDataset
from dul_models.models.backbone import Backbone
from dul_models.models.base import Batch, Recipe
from dul_models.models.self_supervised import EVAL_CHUNK, SelfSupervisedConfig, SelfSupervisedModel

# ITU-R BT.601 luma weights (the same grey as the photos dataset) and the chroma scales that map
# B − Y and R − Y onto [−0.5, 0.5] (full-range YCbCr, without JPEG's +0.5 offset: centred at 0)
LUMA_R, LUMA_G, LUMA_B = 0.299, 0.587, 0.114
CB_SCALE = 2 * (1 - LUMA_B)  # 1.772
CR_SCALE = 2 * (1 - LUMA_R)  # 1.402


def luminance(rgb: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) in [0, 1] → Y (B, 1, H, W) in [0, 1]."""
    r, g, b = rgb.unbind(1)
    return (LUMA_R * r + LUMA_G * g + LUMA_B * b).unsqueeze(1)


def rgb_to_ycbcr(rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 3, H, W) → Y (B, 1, H, W) and centred chroma Cb, Cr (B, 2, H, W) in [−0.5, 0.5]."""
    y = luminance(rgb)
    cb = (rgb[:, 2:3] - y) / CB_SCALE
    cr = (rgb[:, 0:1] - y) / CR_SCALE
    return y, torch.cat([cb, cr], 1)


def ycbcr_to_rgb(y: torch.Tensor, chroma: torch.Tensor) -> torch.Tensor:
    """The inverse of `rgb_to_ycbcr`: Y (B, 1, H, W) + chroma (B, 2, H, W) → RGB (B, 3, H, W), unclipped."""
    b = y + CB_SCALE * chroma[:, 0:1]
    r = y + CR_SCALE * chroma[:, 1:2]
    g = (y - LUMA_R * r - LUMA_B * b) / LUMA_G
    return torch.cat([r, g, b], 1)


def _colour_check(channels: int, where: str) -> None:
    if channels != 3:
        raise ConfigError(
            f"colorisation needs a colour dataset such as photos or cifar10; {where} has {channels} channel"
            + ("s" if channels != 1 else "")
        )


def _up(c_in: int, c_out: int) -> list[nn.Module]:
    """×2 upsampling stage: a transposed conv (kernel 4, stride 2) doubles H and W exactly."""
    return [
        nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    ]


@dataclass
class ColorizationConfig(SelfSupervisedConfig):
    flip: bool = True  # random horizontal flips: the only augmentation that leaves the colours alone


class Colorization(SelfSupervisedModel):
    """grey Y → backbone trunk (B, 4w, H/4, W/4) → decoder ×4 → chroma (B, 2, H, W); MSE on chroma."""

    family = "colorization"
    config_cls = ColorizationConfig
    title = "Colourisation (colour a grey image)"
    description = "Learns features from grey images by predicting their colours."
    recipes = (
        Recipe(
            name="colorization-photos",
            family="colorization",
            dataset="photos",
            title="Colourisation on photo patches",
            # 640 steps of ~0.5 s on 2 CPU cores: about 5 minutes
            train={"epochs": 50, "batch_size": 256, "seed": 0, "lr_schedule": "cosine"},
        ),
    )
    tiny_config = {"width": 4}
    tiny_dataset = "photos"  # the one embedded colour set

    def __init__(self, config: ColorizationConfig) -> None:
        super().__init__(config)
        self.config: ColorizationConfig = config
        channels, height, width = config.image_shape
        _colour_check(channels, f"image_shape {config.image_shape}")
        if height % 4 or width % 4:
            raise ConfigError(
                f"colorisation needs image sides divisible by 4 (two 2× poolings), got {height}×{width}"
            )
        w = config.width
        self.backbone = Backbone(1, w)  # sees grey only, so built for one channel
        self.decoder = nn.Sequential(
            *_up(4 * w, 2 * w),  # (B, 2w, H/2, W/2)
            *_up(2 * w, w),  # (B, w, H, W)
            nn.Conv2d(w, 2, 3, padding=1),  # (B, 2, H, W): Cb, Cr
        )

    def prepare(self, dataset: ImageDataset) -> None:
        _colour_check(dataset.image_shape[0], dataset.name)

    def backbone_input(self, x: torch.Tensor) -> torch.Tensor:
        return luminance(x)  # (B, 1, H, W): the features never see colour

    def predict_chroma(self, x: torch.Tensor) -> torch.Tensor:
        """RGB (B, 3, H, W) → predicted centred Cb, Cr (B, 2, H, W), from its grey version only."""
        return self.decoder(self.backbone.trunk(self.backbone_input(x)))

    def loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        x = batch.x
        if self.config.flip:
            flip = torch.rand(x.shape[0], device=x.device) < 0.5
            x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
        _, chroma = rgb_to_ycbcr(x)
        loss = F.mse_loss(self.predict_chroma(x), chroma)
        return loss, {"chroma_mse": float(loss.detach())}

    @torch.no_grad()
    def colorize(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """CPU tensors (B, 3, H, W) in [0, 1]: `grey` (the input, as 3 equal channels), `predicted`
        (known Y + predicted chroma) and `original`."""
        y = luminance(x)
        predicted = ycbcr_to_rgb(y, self.predict_chroma(x).float()).clamp(0.0, 1.0)
        return {"grey": y.expand_as(x).contiguous().cpu(), "predicted": predicted.cpu(), "original": x.cpu()}

    @torch.no_grad()
    def task_metrics(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """`colorization_mse`: per-pixel, per-channel squared RGB error in [0, 1] units; `grey_baseline_mse`:
        the same for the grey image itself ("no colour"), the bar the model must beat."""
        model_error, grey_error = 0.0, 0.0
        for start in range(0, x.shape[0], EVAL_CHUNK):
            out = self.colorize(x[start : start + EVAL_CHUNK])
            model_error += float((out["predicted"] - out["original"]).pow(2).mean(dim=(1, 2, 3)).sum())
            grey_error += float((out["grey"] - out["original"]).pow(2).mean(dim=(1, 2, 3)).sum())
        return {"colorization_mse": model_error / x.shape[0], "grey_baseline_mse": grey_error / x.shape[0]}

    @torch.no_grad()
    def preview(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Three rows: the grey input, the model's colours, the original."""
        out = self.colorize(x)
        return torch.cat([out["grey"], out["predicted"], out["original"]]), x.shape[0]
