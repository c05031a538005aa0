"""Deeper convolutional encoder and decoder for the VAE (used when `VAEConfig.depth` > 0).

The shared blocks in `blocks.py` are two stride-2 convolutions each way: fast, but too shallow for a
VAE's likelihood on MNIST. These add `depth` residual blocks (He et al., CVPR 2016) at each of the two
resolutions, H/2 and H/4, in both directions; with depth 0 the VAE keeps the shared blocks, so its
older runs load unchanged.
"""

from __future__ import annotations

import torch
from torch import nn


class ResidualBlock(nn.Module):
    """x + conv3×3(act(conv3×3(act(x)))): more depth at one resolution, same shape in and out."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.LeakyReLU(0.2),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(channels, channels, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)  # (B, C, H, W)


class DeepConvEncoder(nn.Module):
    """(B, C, H, W) image → (B, out_features) vector, with `depth` residual blocks per resolution."""

    def __init__(
        self, image_shape: tuple[int, int, int], base_channels: int, out_features: int, depth: int
    ) -> None:
        super().__init__()
        channels, height, width = image_shape
        b = base_channels
        self.conv = nn.Sequential(
            nn.Conv2d(channels, b, 3, stride=2, padding=1),  # (B, b, H/2, W/2)
            *(ResidualBlock(b) for _ in range(depth)),
            nn.LeakyReLU(0.2),
            nn.Conv2d(b, 2 * b, 3, stride=2, padding=1),  # (B, 2b, H/4, W/4)
            *(ResidualBlock(2 * b) for _ in range(depth)),
            nn.LeakyReLU(0.2),
        )
        self.fc = nn.Linear(2 * b * (height // 4) * (width // 4), out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)  # (B, 2b, H/4, W/4)
        return self.fc(h.flatten(1))  # (B, out_features)


class DeepConvDecoder(nn.Module):
    """(B, in_features) vector → (B, C, H, W) logits, mirroring DeepConvEncoder."""

    def __init__(
        self, image_shape: tuple[int, int, int], base_channels: int, in_features: int, depth: int
    ) -> None:
        super().__init__()
        channels, height, width = image_shape
        b = base_channels
        self.start = (2 * b, height // 4, width // 4)
        self.fc = nn.Linear(in_features, 2 * b * (height // 4) * (width // 4))
        self.deconv = nn.Sequential(
            *(ResidualBlock(2 * b) for _ in range(depth)),
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(2 * b, b, 4, stride=2, padding=1),  # (B, b, H/2, W/2)
            *(ResidualBlock(b) for _ in range(depth)),
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(b, channels, 4, stride=2, padding=1),  # (B, C, H, W)
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc(z).view(-1, *self.start)  # (B, 2b, H/4, W/4)
        return self.deconv(h)  # (B, C, H, W) logits
