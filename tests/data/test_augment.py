from __future__ import annotations

import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data.augment import corrupt


@pytest.fixture
def images():
    return torch.full((64, 1, 16, 16), 0.5)


def test_gaussian_noise_has_requested_std(images):
    out = corrupt(images, "gaussian", 0.1, generator=torch.Generator().manual_seed(0))
    assert (out - images).std().item() == pytest.approx(0.1, rel=0.05)
    assert out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("level", [0.1, 0.5])
def test_salt_pepper_fraction_and_values(images, level):
    out = corrupt(images, "salt_pepper", level, generator=torch.Generator().manual_seed(0))
    changed = out != images
    assert changed.float().mean().item() == pytest.approx(level, abs=0.02)
    assert set(out[changed].unique().tolist()) <= {0.0, 1.0}


def test_masking_zeroes_a_fraction(images):
    out = corrupt(images, "masking", 0.3, generator=torch.Generator().manual_seed(0))
    assert (out == 0).float().mean().item() == pytest.approx(0.3, abs=0.02)


def test_mixed_uses_every_kind_and_stays_in_range(images):
    out = corrupt(images, "mixed", 0.8, generator=torch.Generator().manual_seed(0))
    assert out.shape == images.shape and out.min() >= 0 and out.max() <= 1
    per_image = (out != images).flatten(1).float().mean(1)
    assert (per_image > 0).sum() > 32  # most images are touched


def test_seeded_and_non_destructive(images):
    a = corrupt(images, "gaussian", 0.3, generator=torch.Generator().manual_seed(1))
    b = corrupt(images, "gaussian", 0.3, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    assert torch.equal(images, torch.full_like(images, 0.5))
    assert torch.equal(corrupt(images, "none", 0.9), images)


@pytest.mark.parametrize(
    "kind, level, match", [("blur", 0.1, "unknown corruption"), ("gaussian", 1.5, "in \\[0, 1\\]")]
)
def test_rejects_bad_input(images, kind, level, match):
    with pytest.raises(ConfigError, match=match):
        corrupt(images, kind, level)
