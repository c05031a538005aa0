"""The layers of a PixelCNN: convolutions masked (or shifted) so a pixel sees only the pixels before it.

Mask A (first layer) hides the centre pixel too, mask B (later layers) lets it through; the gated layer
(van den Oord et al., NeurIPS 2016) pairs a vertical stack (rows above) with a horizontal stack (pixels to
the left), which together remove the plain stack's blind spot.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MaskedConv2d(nn.Conv2d):
    """k×k convolution whose weights are zero at and after the centre (A) or after the centre (B)."""

    def __init__(self, mask_type: str, c_in: int, c_out: int, kernel_size: int) -> None:
        super().__init__(c_in, c_out, kernel_size, padding=kernel_size // 2)
        mask = torch.ones(kernel_size, kernel_size)
        centre = kernel_size // 2
        mask[centre, centre + (mask_type == "B") :] = (
            0  # the centre row from the centre (A) or right of it (B)
        )
        mask[centre + 1 :] = 0  # every row below
        self.register_buffer("mask", mask[None, None], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class ShiftedConv2d(nn.Conv2d):
    """Causal convolution built from a cropped kernel and one-sided padding (no wasted zero weights).

    "vertical": kernel (k//2+1, k) over the rows above and the current row; "horizontal": kernel
    (1, k//2+1) over the pixels to the left and the current one. `exclude_current` shifts the output
    one step further so the current row (vertical) or pixel (horizontal) is not seen either.
    """

    def __init__(self, direction: str, c_in: int, c_out: int, k: int, exclude_current: bool) -> None:
        size = (k // 2 + 1, k) if direction == "vertical" else (1, k // 2 + 1)
        super().__init__(c_in, c_out, size)
        self.direction, self.reach, self.shift = direction, k // 2, int(exclude_current)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        if self.direction == "vertical":  # pad (left, right, top, bottom)
            out = super().forward(F.pad(x, (self.reach, self.reach, self.reach + self.shift, 0)))
            return out[..., :height, :]  # (B, C, H, W)
        out = super().forward(F.pad(x, (self.reach + self.shift, 0, 0, 0)))
        return out[..., :width]  # (B, C, H, W)


class GatedLayer(nn.Module):
    """One gated block: tanh ⊙ sigmoid on both stacks, vertical feeds horizontal, residual on horizontal."""

    def __init__(self, channels: int, k: int, first: bool = False, c_in: int | None = None) -> None:
        super().__init__()
        c_in = channels if c_in is None else c_in
        self.first = first
        self.vertical = ShiftedConv2d("vertical", c_in, 2 * channels, k, exclude_current=first)
        self.horizontal = ShiftedConv2d("horizontal", c_in, 2 * channels, k, exclude_current=first)
        self.vertical_to_horizontal = nn.Conv2d(2 * channels, 2 * channels, 1)
        self.horizontal_out = nn.Conv2d(channels, channels, 1)

    @staticmethod
    def _gate(features: torch.Tensor) -> torch.Tensor:
        value, gate = features.chunk(2, dim=1)  # (B, 2C, H, W) -> 2 × (B, C, H, W)
        return torch.tanh(value) * torch.sigmoid(gate)

    def vertical_step(self, v: torch.Tensor) -> torch.Tensor:
        """Pre-gate vertical features (B, 2C, H, W); at row i they depend on rows < i of the image only."""
        return self.vertical(v)

    def horizontal_step(self, h: torch.Tensor, v_features: torch.Tensor) -> torch.Tensor:
        """The horizontal stack, which works row by row: sampling re-runs only this for each pixel."""
        # v at row i has seen only rows < i (the first layer excludes the current row), so adding it
        # to the horizontal stack at the same row leaks nothing
        h_features = self.horizontal(h) + self.vertical_to_horizontal(v_features)
        h_out = self.horizontal_out(self._gate(h_features))
        return h_out if self.first else h + h_out

    def forward(self, v: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        v_features = self.vertical_step(v)
        return self._gate(v_features), self.horizontal_step(h, v_features)
