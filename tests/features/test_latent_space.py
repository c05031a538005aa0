"""Disentanglement as plain data: which factor each latent carries, and the `mig` evaluator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.metrics.disentanglement import latent_factors, mig_metrics, mutual_information_gap
from dul_models.train.evaluators import MIGMonitor


def _codes(n: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    factors = np.stack([rng.integers(0, 4, n), rng.integers(0, 5, n), np.zeros(n)], 1).astype(float)
    # latent 0 = factor b, latent 1 = noise, latent 2 = factor a
    latents = np.stack([factors[:, 1], rng.normal(size=n), factors[:, 0]], 1) + rng.normal(0, 0.01, (n, 3))
    return latents, factors


def test_each_latent_names_the_factor_it_carries():
    latents, factors = _codes()
    result = mutual_information_gap(latents, factors, ["a", "b", "constant"])
    labels = latent_factors(result, ["a", "b", "constant"])
    assert [name for name, _ in labels] == ["b", None, "a"]  # the noise latent names nothing
    assert labels[0][1] > 0.9 and labels[1][1] < 0.1
    metrics = mig_metrics(result, ["a", "b", "constant"])
    assert metrics["latent_factor"] == ["b", None, "a"] and metrics["mig"] == pytest.approx(result.mig)
    assert set(metrics["mig_per_factor"]) == {"a", "b"}  # a constant factor has no entropy: skipped


class _Identity:
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)


def test_mig_monitor_takes_the_factors_of_the_first_rows():
    latents, factors = _codes()
    monitor = MIGMonitor(torch.from_numpy(factors).float(), ["a", "b", "constant"])
    x = torch.from_numpy(latents).float()[:, :, None, None]  # (N, 3, 1, 1): "images" embedded as themselves
    metrics = monitor(_Identity(), x[:1000], torch.zeros(1000), quick=True)
    assert metrics["mig"] > 0.9 and metrics["mig_best_latent"] == {"a": 2, "b": 0}
    with pytest.raises(ConfigError, match="factors for only"):
        MIGMonitor(torch.from_numpy(factors[:10]).float(), ["a", "b", "constant"])(
            _Identity(), x[:20], torch.zeros(20), quick=True
        )


def test_row_labels_name_latent_kl_and_factor():
    from dul_models.features.latent_space import Traversal, factor_row_labels

    grid = Traversal(images=torch.zeros(6, 1, 2, 2), dims=[2, 0], values=[-1.0, 0.0, 1.0], kl=[3.456, 0.01])
    assert factor_row_labels(grid, ["x", None, "scale"]) == [
        "z2 (KL 3.46) moves scale",
        "z0 (KL 0.01) moves x",
    ]
    grid.dims, grid.kl = [1], [0.0]
    assert factor_row_labels(grid, ["x", None, "scale"]) == ["z1 (KL 0.00) moves no single factor"]
