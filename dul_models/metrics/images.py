"""Image fidelity: MSE, PSNR (dB), a median-filter baseline, PSNR against noise level.

Pure measurements over tensors, so a model's `evaluate`, the page and the benchmarks agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from dul_models.data.augment import corrupt


def mse(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean squared error per image, (B,)."""
    return (x_hat.float() - x.float()).pow(2).flatten(1).mean(1)


def psnr(x_hat: torch.Tensor, x: torch.Tensor, data_range: float = 1.0, eps: float = 1e-10) -> torch.Tensor:
    """Peak signal-to-noise ratio per image in dB, (B,): 10·log10(range² / MSE).

    `eps` caps a perfect reconstruction at 100 dB instead of infinity, so means stay finite.
    """
    return 10.0 * torch.log10(data_range**2 / (mse(x_hat, x) + eps))


def median_filter(x: torch.Tensor, size: int = 3) -> torch.Tensor:
    """Per-channel median filter with reflect padding: the classical salt-and-pepper denoiser."""
    if size < 1 or size % 2 == 0:
        raise ValueError(f"median filter size must be a positive odd integer, got {size}")
    channels = x.shape[1]
    pad = size // 2
    padded = F.pad(x, (pad, pad, pad, pad), mode="reflect") if pad else x
    patches = F.unfold(padded, size)  # (B, C·size², H·W)
    patches = patches.view(x.shape[0], channels, size * size, -1)  # (B, C, size², H·W)
    return patches.median(dim=2).values.view_as(x)


Denoiser = Callable[[torch.Tensor], torch.Tensor]


@torch.no_grad()
def psnr_curve(
    denoisers: dict[str, Denoiser],
    x: torch.Tensor,
    kind: str,
    levels: Sequence[float],
    seed: int = 0,
) -> list[dict[str, float | str]]:
    """Mean PSNR (dB) of each denoiser's output at each corruption level, plus the noisy input itself.

    Every denoiser sees the same corrupted images (one seeded generator per level), so the curves
    differ only by the method. Returns rows {method, level, psnr_db} ready for a chart or a CSV.
    """
    rows: list[dict[str, float | str]] = []
    for level in levels:
        generator = torch.Generator(device=x.device).manual_seed(seed)
        noisy = corrupt(x, kind, float(level), generator=generator)
        rows.append({"method": "noisy input", "level": float(level), "psnr_db": float(psnr(noisy, x).mean())})
        for name, denoise in denoisers.items():
            rows.append(
                {"method": name, "level": float(level), "psnr_db": float(psnr(denoise(noisy), x).mean())}
            )
    return rows
