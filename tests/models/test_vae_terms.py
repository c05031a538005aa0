"""The VAE's pure terms: total correlation against a naive loop, and the chunked IWAE bound."""

from __future__ import annotations

import math

import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.models import Batch
from dul_models.models.vae import VAE, VAEConfig
from dul_models.models.vae_terms import gaussian_kl, total_correlation

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/models/conftest.py


def _log_normal(v: float, mean: float, logvar: float) -> float:
    return -0.5 * (math.log(2 * math.pi) + logvar + (v - mean) ** 2 / math.exp(logvar))


def test_total_correlation_matches_a_naive_loop():
    torch.manual_seed(0)
    batch, dims, size = 5, 3, 100
    mean, logvar = (
        torch.randn(batch, dims, dtype=torch.float64),
        0.5 * torch.randn(batch, dims, dtype=torch.float64),
    )
    z = mean + torch.randn(batch, dims, dtype=torch.float64) * (0.5 * logvar).exp()
    total = 0.0
    for i in range(batch):
        pairs = [[_log_normal(z[i, d], mean[j, d], logvar[j, d]) for d in range(dims)] for j in range(batch)]
        joint = math.log(sum(math.exp(sum(row)) for row in pairs)) - math.log(size * batch)
        marginals = sum(
            math.log(sum(math.exp(pairs[j][d]) for j in range(batch))) - math.log(size * batch)
            for d in range(dims)
        )
        total += joint - marginals
    assert float(total_correlation(z, mean, logvar, size)) == pytest.approx(total / batch, rel=1e-9)


def test_total_correlation_is_larger_for_dependent_codes():
    torch.manual_seed(0)
    logvar = torch.full((512, 4), -4.0)
    independent = torch.randn(512, 4)
    dependent = independent[:, :1].repeat(1, 4)  # every dimension the same: maximal dependence
    tc_independent = total_correlation(independent, independent, logvar, 10_000)
    tc_dependent = total_correlation(dependent, dependent, logvar, 10_000)
    # the minibatch estimate carries a large constant offset; the dependent codes still score higher
    assert float(tc_dependent) > float(tc_independent) + 2.0
    with pytest.raises(ConfigError, match="dataset_size"):
        total_correlation(independent, independent, logvar, 10)
    with pytest.raises(ConfigError, match="must all be"):
        total_correlation(independent, independent[:, :2], logvar, 10_000)


def test_tc_beta_adds_the_weighted_total_correlation_to_the_loss():
    """β-TCVAE: loss = recon + β·KL + (tc_beta − β)·TC, with the same noise; tc_beta = 0 is the plain loss."""
    torch.manual_seed(0)
    model = VAE(VAEConfig(image_shape=(1, 8, 8), latent_dim=3, base_channels=4, beta=1.0, tc_beta=6.0))
    x, y = torch.rand(16, 1, 8, 8), torch.zeros(16, dtype=torch.long)
    torch.manual_seed(1)
    loss, metrics = model.loss(Batch(x=x, y=y))
    torch.manual_seed(1)
    xb = torch.bernoulli(x)
    mean, logvar = model.posterior(xb)
    z = mean + torch.randn_like(mean) * (0.5 * logvar).exp()
    recon = -model.log_likelihood(model.decode_logits(z), xb).mean()
    kl = gaussian_kl(mean, logvar).sum(1).mean()
    tc = total_correlation(z, mean, logvar, 16)  # before `prepare`, the batch stands for the data
    assert metrics["tc"] == pytest.approx(float(tc), rel=1e-5)
    assert float(loss) == pytest.approx(float(recon + kl + 5.0 * tc), rel=1e-5)
    model.config.tc_beta = 0.0
    torch.manual_seed(1)
    plain, plain_metrics = model.loss(Batch(x=x, y=y))
    assert "tc" not in plain_metrics and float(plain) == pytest.approx(float(recon + kl), rel=1e-5)
    with pytest.raises(ConfigError, match="tc_beta"):
        VAEConfig(tc_beta=-1.0)


def test_capacity_pulls_the_kl_towards_a_growing_target():
    """Burgess et al.: loss = recon + β·|KL − C|, C = capacity_nats · min(1, step / capacity_steps)."""
    torch.manual_seed(0)
    config = VAEConfig(image_shape=(1, 8, 8), latent_dim=3, base_channels=4, beta=10.0)
    config.capacity_nats, config.capacity_steps = 20.0, 4
    model = VAE(config).train()
    x, y = torch.rand(8, 1, 8, 8), torch.zeros(8, dtype=torch.long)
    model.steps_trained = 1  # the loss counts this step first: C = 20 · 2 / 4
    torch.manual_seed(1)
    loss, metrics = model.loss(Batch(x=x, y=y))
    assert metrics["capacity"] == 10.0
    expected = metrics["recon"] + 10.0 * abs(metrics["kl"] - 10.0)
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ConfigError, match="capacity_steps"):
        VAEConfig(capacity_nats=5.0)
