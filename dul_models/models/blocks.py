"""Convolutional encoder and decoder shared by the autoencoder families.

Two stride-2 stages take an H×W image to H/4×W/4, so one design serves 28×28 MNIST, 32×32 CIFAR and
8×8 digits; the decoder mirrors it with transposed convolutions.
"""

from __future__ import annotations

import torch
from torch import nn


class ConvEncoder(nn.Module):
    """(B, C, H, W) image → (B, out_features) vector."""

    def __init__(self, image_shape: tuple[int, int, int], base_channels: int, out_features: int) -> None:
        super().__init__()
        channels, height, width = image_shape
        self.conv = nn.Sequential(
            nn.Conv2d(channels, base_channels, 3, stride=2, padding=1),  # (B, b, H/2, W/2)
            nn.LeakyReLU(0.2),
            nn.Conv2d(base_channels, 2 * base_channels, 3, stride=2, padding=1),  # (B, 2b, H/4, W/4)
            nn.LeakyReLU(0.2),
        )
        flat = 2 * base_channels * (height // 4) * (width // 4)
        self.fc = nn.Linear(flat, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)  # (B, 2b, H/4, W/4)
        return self.fc(h.flatten(1))  # (B, out_features)


class ConvDecoder(nn.Module):
    """(B, in_features) vector → (B, C, H, W) logits (apply a sigmoid for pixel values)."""

    def __init__(self, image_shape: tuple[int, int, int], base_channels: int, in_features: int) -> None:
        super().__init__()
        channels, height, width = image_shape
        self.start = (2 * base_channels, height // 4, width // 4)
        self.fc = nn.Linear(in_features, 2 * base_channels * (height // 4) * (width // 4))
        self.deconv = nn.Sequential(
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(2 * base_channels, base_channels, 4, stride=2, padding=1),  # (B, b, H/2, W/2)
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(base_channels, channels, 4, stride=2, padding=1),  # (B, C, H, W)
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc(z).view(-1, *self.start)  # (B, 2b, H/4, W/4)
        return self.deconv(h)  # (B, C, H, W) logits
