from __future__ import annotations

import math

import pytest
import torch

from dul_models.metrics.images import median_filter, mse, psnr, psnr_curve


def test_psnr_hand_computed():
    x = torch.zeros(1, 1, 2, 2)
    x_hat = torch.full((1, 1, 2, 2), 0.1)  # MSE = 0.01 → PSNR = 10·log10(1/0.01) = 20 dB
    assert mse(x_hat, x).item() == pytest.approx(0.01)
    assert psnr(x_hat, x).item() == pytest.approx(20.0, abs=1e-4)
    assert psnr(x, x).item() == pytest.approx(100.0)  # capped, finite


def test_median_filter_removes_an_isolated_speck():
    x = torch.zeros(1, 1, 5, 5)
    x[0, 0, 2, 2] = 1.0
    assert median_filter(x).abs().max().item() == 0.0
    ramp = torch.arange(25.0).view(1, 1, 5, 5)
    assert median_filter(ramp)[0, 0, 2, 2].item() == 12.0
    with pytest.raises(ValueError):
        median_filter(x, size=2)


def test_psnr_curve_rows():
    x = torch.rand(8, 1, 8, 8)
    rows = psnr_curve({"identity": lambda t: t}, x, "gaussian", [0.0, 0.5])
    assert [r["method"] for r in rows] == ["noisy input", "identity"] * 2
    assert rows[0]["psnr_db"] == pytest.approx(100.0)  # level 0 leaves the images intact
    assert rows[2]["psnr_db"] == rows[3]["psnr_db"] and math.isfinite(rows[2]["psnr_db"])
