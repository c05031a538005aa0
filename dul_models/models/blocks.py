"""Convolutional encoder and decoder shared by the autoencoder families.

Two stride-2 stages take an H×W image to H/4×W/4, so one design serves 28×28 MNIST, 32×32 CIFAR and
8×8 digits; the decoder mirrors it with transposed convolutions. `depth` adds residual blocks (He et
al., CVPR 2016) at each of the two resolutions: the VAE needs them for a good likelihood; depth 0 is
the plain, fast design, with the same parameter names as runs saved before `depth` existed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# oneDNN's channels-last kernels on the CPU: the decoder's transposed convolutions ran 2.5× faster, a
# whole VAE decode about 1.5× and a training step up to 16 % (benchmarks/bench_vae.py toggles this)
CHANNELS_LAST_ON_CPU = True


def transposed_conv_by_fold(layer: nn.ConvTranspose2d, h: torch.Tensor) -> torch.Tensor:
    """`layer(h)` as one matrix product and a col2im (`F.fold`): the same numbers, 3–4× faster on a CPU
    for the decoder's last layer, whose 1–3 output channels leave the convolution kernels idle."""
    batch, channels, height, width = h.shape
    weight = layer.weight.reshape(channels, -1)  # (C_in, C_out·k·k)
    columns = h.permute(0, 2, 3, 1).reshape(-1, channels) @ weight  # (B·H·W, C_out·k·k)
    columns = columns.view(batch, height * width, -1).transpose(1, 2)  # (B, C_out·k·k, H·W)
    size = (
        (height - 1) * layer.stride[0] - 2 * layer.padding[0] + layer.kernel_size[0],
        (width - 1) * layer.stride[1] - 2 * layer.padding[1] + layer.kernel_size[1],
    )
    out = F.fold(columns, size, layer.kernel_size, stride=layer.stride, padding=layer.padding)
    return out + layer.bias.view(1, -1, 1, 1)  # (B, C_out, H_out, W_out)


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


class ConvEncoder(nn.Module):
    """(B, C, H, W) image → (B, out_features) vector, with `depth` residual blocks per resolution."""

    def __init__(
        self, image_shape: tuple[int, int, int], base_channels: int, out_features: int, depth: int = 0
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


class ConvDecoder(nn.Module):
    """(B, in_features) vector → (B, C, H, W) logits (apply a sigmoid for pixel values), mirroring ConvEncoder."""

    def __init__(
        self, image_shape: tuple[int, int, int], base_channels: int, in_features: int, depth: int = 0
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
        if not (CHANNELS_LAST_ON_CPU and h.device.type == "cpu"):
            return self.deconv(h)  # (B, C, H, W) logits
        h = self.deconv[:-1](h.contiguous(memory_format=torch.channels_last))  # (B, b, H/2, W/2)
        return transposed_conv_by_fold(self.deconv[-1], h)  # (B, C, H, W) logits


class BroadcastDecoder(nn.Module):
    """(B, in_features) → (B, C, H, W) logits by the spatial broadcast decoder (Watters et al. 2019).

    The code is copied to every pixel beside that pixel's (x, y) in [−1, 1], and a small per-pixel
    network (1×1 convolutions) draws the image: position and size become simple functions of the
    coordinates, which is what lets a β-VAE put x, y and scale into separate latents.
    """

    def __init__(self, image_shape: tuple[int, int, int], base_channels: int, in_features: int) -> None:
        super().__init__()
        channels, height, width = image_shape
        hidden = 2 * base_channels
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij")
        self.register_buffer("coords", torch.stack([xs, ys])[None], persistent=False)  # (1, 2, H, W)
        self.net = nn.Sequential(
            nn.Conv2d(in_features + 2, hidden, 1),  # (B, hidden, H, W)
            nn.LeakyReLU(0.2),
            nn.Conv2d(hidden, hidden, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(hidden, channels, 1),  # (B, C, H, W)
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        batch, (_, _, height, width) = z.shape[0], self.coords.shape
        tiled = z[:, :, None, None].expand(-1, -1, height, width)  # (B, D, H, W)
        grid = self.coords.expand(batch, -1, -1, -1)  # (B, 2, H, W)
        h = torch.cat([tiled, grid.to(z.dtype)], dim=1)  # (B, D + 2, H, W)
        if CHANNELS_LAST_ON_CPU and h.device.type == "cpu":
            h = h.contiguous(memory_format=torch.channels_last)
        return self.net(h)  # (B, C, H, W) logits
