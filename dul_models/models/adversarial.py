"""The pieces of the adversarial game any GAN here uses: losses, DiffAugment, latent paths, weight
averaging, collapse check.

Kept apart from `dcgan.py` so the model file reads as config → networks → model. The non-saturating
loss is Goodfellow et al.'s (NeurIPS 2014); the hinge loss Lim & Ye's (2017) as used by Miyato et al.
(ICLR 2018); DiffAugment Zhao et al.'s (NeurIPS 2020).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

LOSSES = ("non_saturating", "hinge")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, kind: str) -> torch.Tensor:
    """Mean over the batch; non-saturating = the BCE of real vs fake, hinge = max(0, 1 ∓ D)."""
    if kind == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def r1_penalty(real_logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean squared norm of D's gradient at real images: 0 when D is flat on the data.

    Mescheder, Geiger & Nowozin, ICML 2018, "Which training methods for GANs do actually converge?":
    penalising it (times γ/2) makes the game converge locally without constraining D's capacity the
    way spectral norm does. `real` must have been passed to D with requires_grad.
    """
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()


def generator_loss(fake_logits: torch.Tensor, kind: str) -> torch.Tensor:
    """Non-saturating: -log D(G(z)); hinge: -D(G(z)) (the raw logit)."""
    if kind == "hinge":
        return -fake_logits.mean()
    return F.softplus(-fake_logits).mean()


def diff_augment(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Random translation by up to 1/8 of the size and a cut-out square of half the size, per image.

    Zhao et al., NeurIPS 2020, "Differentiable augmentation for data-efficient GAN training": applied
    to real and generated images alike, and differentiable, so G still gets gradients; with a few
    thousand images it keeps D from memorising the training set. Images are in [-1, 1]; the
    background value -1 fills what is shifted in or cut out.
    """
    batch, _, height, width = x.shape
    shift_h, shift_w = max(1, height // 8), max(1, width // 8)
    padded = F.pad(x, (shift_w, shift_w, shift_h, shift_h), value=-1.0)
    offsets = torch.stack(
        [
            torch.randint(0, 2 * shift_h + 1, (batch,), generator=generator),
            torch.randint(0, 2 * shift_w + 1, (batch,), generator=generator),
        ],
        dim=1,
    ).to(x.device)  # (B, 2) top-left corner of the crop
    rows = offsets[:, 0, None] + torch.arange(height, device=x.device)  # (B, H)
    cols = offsets[:, 1, None] + torch.arange(width, device=x.device)  # (B, W)
    index = torch.arange(batch, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[index, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
    cut_h, cut_w = height // 2, width // 2
    centres = torch.stack(
        [
            torch.randint(0, height, (batch,), generator=generator),
            torch.randint(0, width, (batch,), generator=generator),
        ],
        dim=1,
    ).to(x.device)  # (B, 2)
    grid_r = torch.arange(height, device=x.device)[None, :, None] - centres[:, 0, None, None]  # (B, H, 1)
    grid_c = torch.arange(width, device=x.device)[None, None, :] - centres[:, 1, None, None]  # (B, 1, W)
    inside = (grid_r.abs() <= cut_h // 2) & (grid_c.abs() <= cut_w // 2)  # (B, H, W)
    return torch.where(inside[:, None], torch.full_like(out, -1.0), out)


@torch.no_grad()
def recalibrate_batch_norm(net: nn.Module, forward: Callable[[], Any], batches: int = 8) -> None:
    """Re-estimate `net`'s batch-norm statistics as a cumulative average over `batches` calls of `forward`.

    Averaged weights do not match the running statistics collected by the live network ("standing
    statistics", Brock et al., ICLR 2019); a few forward passes of its own give them. Leaves `net` in eval.
    """
    norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a cumulative average over the calibration batches
    net.train()
    for _ in range(batches):
        forward()
    for norm in norms:
        norm.momentum = 0.1
    net.eval()


def slerp(z_a: torch.Tensor, z_b: torch.Tensor, steps: int) -> torch.Tensor:
    """Spherical interpolation (steps, D) between two latent vectors: stays where Gaussian noise lives."""
    t = torch.linspace(0, 1, steps, device=z_a.device)[:, None]  # (steps, 1)
    cos = F.cosine_similarity(z_a, z_b, dim=0).clamp(-1 + 1e-6, 1 - 1e-6)
    omega = torch.acos(cos)
    return (torch.sin((1 - t) * omega) * z_a + torch.sin(t * omega) * z_b) / torch.sin(omega)


def collapse_warning(eval_history: list[dict[str, Any]], share: float = 0.8) -> str | None:
    """A warning when the latest evaluation's class entropy is below `share`·log K (mode collapse)."""
    rows = [r for r in eval_history if "class_entropy" in r]
    if not rows:
        return None
    latest = rows[-1]
    maximum = latest.get("class_entropy_max", math.log(10))
    if latest["class_entropy"] >= share * maximum:
        return None
    return (
        f"Possible mode collapse at step {latest.get('step', '?')}: the samples' class entropy is "
        f"{latest['class_entropy']:.2f} nats, below {share:.0%} of log {round(math.exp(maximum))} = "
        f"{maximum:.2f} — the generator covers {latest.get('modes_covered', '?')} classes. Try a lower "
        "discriminator learning rate, the hinge loss or spectral norm."
    )
