"""The DCGAN family's two networks, with a shape comment on every layer (the model lives in `dcgan.py`).

The generator goes (latent) → H/4×W/4 → H/2×W/2 → H×W by transposed convolutions (Radford et al.
2016) or nearest resize + 3×3 convolution (Odena et al. 2016, no checkerboards); the discriminator
mirrors it with stride-2 convolutions, optionally spectrally normalised (Miyato et al. 2018) and with a
projection term for class-conditional training (Miyato & Koyama 2018).
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class GANArchitecture(Protocol):
    """The fields of `DCGANConfig` the networks read (a protocol, so this file needs no import of it)."""

    image_shape: tuple[int, int, int]
    latent_dim: int
    base_channels: int
    num_classes: int
    upsampling: str
    depth: int
    spectral_norm: bool
    r1_gamma: float


def _g_extra(channels: int, depth: int) -> list[nn.Module]:
    """`depth` × (3×3 conv, batch norm, ReLU) at one resolution of G: more capacity, same size."""
    return [
        layer
        for _ in range(depth)
        for layer in (
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
        )
    ]


def _d_extra(channels: int, depth: int, sn: Any) -> list[nn.Module]:
    """`depth` × (3×3 conv, LeakyReLU) at one resolution of D, as in Miyato et al.'s standard CNN."""
    return [
        layer
        for _ in range(depth)
        for layer in (sn(nn.Conv2d(channels, channels, 3, padding=1)), nn.LeakyReLU(0.2))
    ]


class Generator(nn.Module):
    """(B, latent_dim) noise [+ labels] → (B, C, H, W) images in [-1, 1]."""

    def __init__(self, config: GANArchitecture) -> None:
        super().__init__()
        channels, height, width = config.image_shape
        b = config.base_channels
        self.start = (4 * b, height // 4, width // 4)
        self.label_embedding = (
            nn.Embedding(config.num_classes, config.latent_dim) if config.num_classes else None
        )
        in_features = config.latent_dim * (2 if config.num_classes else 1)
        self.fc = nn.Linear(in_features, math.prod(self.start), bias=False)
        self.norm = nn.BatchNorm1d(math.prod(self.start))
        if config.upsampling == "nearest":  # Odena et al. 2016: resize-convolution avoids checkerboards
            layers = [
                nn.Upsample(scale_factor=2),
                nn.Conv2d(4 * b, 2 * b, 3, padding=1, bias=False),  # (B, 2b, H/2, W/2)
                nn.BatchNorm2d(2 * b),
                nn.ReLU(),
                *_g_extra(2 * b, config.depth),
                nn.Upsample(scale_factor=2),
                nn.Conv2d(2 * b, b, 3, padding=1, bias=False),  # (B, b, H, W)
                nn.BatchNorm2d(b),
                nn.ReLU(),
                *_g_extra(b, config.depth),
                nn.Conv2d(b, channels, 3, padding=1),  # (B, C, H, W)
                nn.Tanh(),
            ]
        else:
            layers = [
                nn.ConvTranspose2d(4 * b, 2 * b, 4, stride=2, padding=1, bias=False),  # (B, 2b, H/2, W/2)
                nn.BatchNorm2d(2 * b),
                nn.ReLU(),
                *_g_extra(2 * b, config.depth),
                nn.ConvTranspose2d(2 * b, channels, 4, stride=2, padding=1),  # (B, C, H, W)
                nn.Tanh(),
            ]
        self.deconv = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.label_embedding is not None:
            z = torch.cat([z, self.label_embedding(labels)], dim=1)  # (B, 2·latent_dim)
        h = F.relu(self.norm(self.fc(z))).view(-1, *self.start)  # (B, 4b, H/4, W/4)
        return self.deconv(h)


class Discriminator(nn.Module):
    """(B, C, H, W) images in [-1, 1] [+ labels] → (B,) logits of "real"."""

    def __init__(self, config: GANArchitecture) -> None:
        super().__init__()
        channels, height, width = config.image_shape
        b = config.base_channels
        sn = spectral_norm if config.spectral_norm else (lambda layer: layer)
        self.conv = nn.Sequential(
            sn(nn.Conv2d(channels, 2 * b, 4, stride=2, padding=1)),  # (B, 2b, H/2, W/2)
            nn.LeakyReLU(0.2),
            *_d_extra(2 * b, config.depth, sn),
            sn(nn.Conv2d(2 * b, 4 * b, 4, stride=2, padding=1)),  # (B, 4b, H/4, W/4)
            nn.Identity() if config.spectral_norm or config.r1_gamma else nn.BatchNorm2d(4 * b),
            nn.LeakyReLU(0.2),
            *_d_extra(4 * b, config.depth, sn),
        )
        flat = 4 * b * (height // 4) * (width // 4)
        self.fc = sn(nn.Linear(flat, 1))
        self.label_embedding = sn(nn.Embedding(config.num_classes, flat)) if config.num_classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv(x).flatten(1)  # (B, 4b·H/4·W/4)
        logits = self.fc(h).squeeze(1)  # (B,)
        if self.label_embedding is not None:  # projection: <embed(y), h> rewards matching the label
            logits = logits + (self.label_embedding(labels) * h).sum(1)
        return logits
