"""The adversarial game's pieces: losses against naive formulas, DiffAugment, slerp, the collapse warning."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dul_models.metrics.samples import class_entropy
from dul_models.models.adversarial import (
    collapse_warning,
    diff_augment,
    discriminator_loss,
    generator_loss,
    r1_penalty,
    slerp,
)


def test_losses_match_naive_formulas():
    real, fake = torch.randn(7), torch.randn(7)
    p_real, p_fake = torch.sigmoid(real), torch.sigmoid(fake)
    naive_d = -(torch.log(p_real) + torch.log(1 - p_fake)).mean()
    assert discriminator_loss(real, fake, "non_saturating").item() == pytest.approx(naive_d.item(), rel=1e-5)
    assert generator_loss(fake, "non_saturating").item() == pytest.approx(
        -torch.log(p_fake).mean().item(), rel=1e-5
    )
    naive_hinge = torch.clamp(1 - real, min=0).mean() + torch.clamp(1 + fake, min=0).mean()
    assert discriminator_loss(real, fake, "hinge").item() == pytest.approx(naive_hinge.item(), rel=1e-6)
    assert generator_loss(fake, "hinge").item() == pytest.approx(-fake.mean().item())


def test_diff_augment_shifts_and_cuts_out_differentiably():
    x = torch.full((64, 1, 16, 16), -1.0)
    x[:, :, 6:10, 6:10] = 1.0  # a bright 4×4 square in the middle of a background of -1
    x.requires_grad_(True)
    out = diff_augment(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and float(out.detach().min()) >= -1.0 and float(out.detach().max()) <= 1.0
    bright = (out > 0).float().sum(dim=(1, 2, 3))  # (64,) pixels of the square left per image
    assert bright.max() == 16 and bright.min() < 16  # shifted intact in some images, cut into in others
    centre_rows = [(out[i, 0] > 0).nonzero()[:, 0].float().mean() for i in range(64) if bright[i] == 16]
    assert len({round(float(r), 1) for r in centre_rows}) > 1  # the square moved by different amounts
    assert all(abs(float(r) - 7.5) <= 2 for r in centre_rows)  # by at most 16 / 8 = 2 pixels
    out.sum().backward()
    assert float(x.grad.abs().sum()) > 0  # G gets gradients through the augmentation
    again = diff_augment(x.detach(), torch.Generator().manual_seed(0))
    assert torch.equal(again, out.detach())


def test_slerp_ends_at_both_points():
    a, b = torch.randn(5), torch.randn(5)
    path = slerp(a, b, 7)
    assert path.shape == (7, 5)
    assert torch.allclose(path[0], a, atol=1e-5) and torch.allclose(path[-1], b, atol=1e-5)


def test_class_entropy_and_collapse_warning():
    uniform = np.eye(10)[np.arange(100) % 10]
    assert class_entropy(uniform) == pytest.approx(math.log(10))
    assert class_entropy(np.eye(10)[np.zeros(50, dtype=int)]) == pytest.approx(0.0)
    healthy = [{"step": 100, "class_entropy": 2.25, "class_entropy_max": math.log(10)}]
    assert collapse_warning(healthy) is None and collapse_warning([]) is None
    collapsed = healthy + [
        {"step": 200, "class_entropy": 0.7, "class_entropy_max": math.log(10), "modes_covered": 2}
    ]
    message = collapse_warning(collapsed)
    assert "mode collapse" in message and "step 200" in message


def test_r1_penalty_is_the_squared_gradient_norm_of_d_at_real_images():
    weights = torch.tensor([[1.0, -2.0], [0.5, 3.0]])  # D(x) = <W, x> per image: ∇D = W everywhere
    real = torch.rand(5, 1, 2, 2, requires_grad=True)
    logits = (real * weights).flatten(1).sum(1)
    assert float(r1_penalty(logits, real).detach()) == pytest.approx(float(weights.pow(2).sum()))
    quadratic = real.pow(2).flatten(1).sum(1)  # D(x) = |x|²: ∇D = 2x
    expected = (2 * real.detach()).pow(2).flatten(1).sum(1).mean()
    assert float(r1_penalty(quadratic, real).detach()) == pytest.approx(float(expected))
