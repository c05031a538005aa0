"""The VAE's terms as pure functions: Gaussian KL and log-densities, total correlation, the IWAE bound.

Total correlation (β-TCVAE; Chen, Li, Grosse & Duvenaud, NeurIPS 2018, "Isolating sources of
disentanglement in variational autoencoders"): the KL term averaged over the data splits into
index-code mutual information + total correlation KL(q(z) ‖ Π_d q(z_d)) + dimension-wise KL. The
aggregate posterior q(z) needs the whole dataset; the minibatch-weighted sampling estimator uses the
batch instead: log q(zᵢ) ≈ log Σⱼ q(zᵢ|xⱼ) − log(N·M), for a batch of M images from N.

The importance-weighted bound on −log p(x) (Burda et al., ICLR 2016), fast on a CPU:
log p(x) ≥ log (1/k) Σᵢ p(x|zᵢ) p(zᵢ) / q(zᵢ|x) with zᵢ ~ q(z|x). At k = 1000 over 1,000 test images
that is a million decoder passes, so how they are batched decides the time (measured in
`benchmarks/bench_vae.py`, 2 CPU cores):

- the k samples of an image go through the decoder together, `DECODES_PER_CALL` codes per call;
- that call is small enough that its activations (≈ 6 MB) stay in the allocator's heap: 4,096 codes
  per call made 100 MB activations that glibc maps and unmaps on every call, and the page faults of
  zeroing them were half the time (in the kernel);
- x is broadcast against the samples instead of copied k times, and the log-weights are written into
  one preallocated (k, B) tensor.

Progress goes to `dul_models.core.progress.report` as (what, images done, images in total).
"""

from __future__ import annotations

import math
from typing import Protocol

import torch

from dul_models.core.errors import ConfigError
from dul_models.core.progress import report

DECODES_PER_CALL = 256  # codes decoded at once: fills the CPU's vector units, activations stay cache-sized
LOG_2PI = math.log(2 * math.pi)


class _VAELike(Protocol):
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...
    def decode_logits(self, z: torch.Tensor) -> torch.Tensor: ...
    def log_likelihood(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor: ...


def gaussian_kl(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) ‖ N(0, 1)) per dimension, (B, D), in nats."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar)


def gaussian_log_prob(z: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mean, exp(logvar)) summed over the last dimension."""
    return -0.5 * (LOG_2PI + logvar + (z - mean).pow(2) / logvar.exp()).sum(-1)


def standard_normal_log_prob(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) summed over the last dimension."""
    return -0.5 * (LOG_2PI + z.pow(2)).sum(-1)


def total_correlation(
    z: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor, dataset_size: int
) -> torch.Tensor:
    """Minibatch-weighted-sampling estimate of TC = E_q[log q(z) − Σ_d log q(z_d)], in nats.

    z, mean and logvar are (M, D): one sample zᵢ ~ q(z|xᵢ) per image of the batch. The estimate carries
    a constant offset ((D − 1)·log(N·M) where the posteriors overlap fully), which moves no gradient.
    """
    if z.ndim != 2 or z.shape != mean.shape or z.shape != logvar.shape:
        raise ConfigError(
            f"z, mean and logvar must all be (M, D), got {z.shape}, {mean.shape}, {logvar.shape}"
        )
    if dataset_size < z.shape[0]:
        raise ConfigError(f"dataset_size ({dataset_size}) must be at least the batch size ({z.shape[0]})")
    # log q(zᵢ_d | xⱼ) for every pair (i, j) and dimension d: (M, M, D)
    log_q_pairs = -0.5 * (LOG_2PI + logvar[None] + (z[:, None] - mean[None]).pow(2) / logvar.exp()[None])
    log_norm = math.log(dataset_size * z.shape[0])
    log_qz = torch.logsumexp(log_q_pairs.sum(2), dim=1) - log_norm  # (M,): the joint
    log_qz_product = (torch.logsumexp(log_q_pairs, dim=1) - log_norm).sum(1)  # (M,): product of marginals
    return (log_qz - log_qz_product).mean()


@torch.no_grad()
def iwae_bound(
    model: _VAELike,
    x: torch.Tensor,
    k: int,
    generator: torch.Generator,
    *,
    decodes_per_call: int | None = None,
    what: str = "IWAE bound",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """−log p̂(x) from k importance samples, the mean reconstruction term −E_q log p(x|z) and KL, each
    (N,) in nats, and the posterior means (N, D); x is what the likelihood scores (already binarised)."""
    per_call = decodes_per_call or DECODES_PER_CALL
    n = x.shape[0]
    images = max(1, min(n, per_call // k))  # images per encoder call: several when k is small
    samples = max(1, per_call // images)  # samples per image per decoder call
    nll, recon, kl, means = [], [], [], []
    for start in range(0, n, images):
        xb = x[start : start + images]  # (B, C, H, W)
        mean, logvar = model.encode(xb)  # (B, D)
        std = (0.5 * logvar).exp()
        log_w = torch.empty(k, xb.shape[0], device=x.device)  # (k, B), filled block by block
        log_px_sum = torch.zeros(xb.shape[0], device=x.device)
        for first in range(0, k, samples):
            s = min(samples, k - first)
            eps = torch.randn(s, *mean.shape, generator=generator, device=x.device)  # (s, B, D)
            z = mean + std * eps
            logits = model.decode_logits(z.reshape(-1, mean.shape[1]))  # (s·B, C, H, W)
            log_px = model.log_likelihood(logits.view(s, *xb.shape), xb)  # (s, B): x broadcast, not copied
            log_w[first : first + s] = (
                log_px + standard_normal_log_prob(z) - gaussian_log_prob(z, mean, logvar)
            )
            log_px_sum += log_px.sum(0)
        nll.append(math.log(k) - torch.logsumexp(log_w, 0))
        recon.append(-log_px_sum / k)
        kl.append(gaussian_kl(mean, logvar).sum(1))
        means.append(mean)
        report(what, min(start + images, n), n)
    return torch.cat(nll), torch.cat(recon), torch.cat(kl), torch.cat(means)
