"""Comparing two sets of samples in a feature space: Fréchet distance and class entropy.

The feature space is the caller's (a classifier trained on the same data set); see `features.sample_quality`.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch


def feature_statistics(features: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) of (N, D) features, in float64: the Gaussian the FID compares."""
    array = features.detach().cpu().numpy() if isinstance(features, torch.Tensor) else np.asarray(features)
    array = array.astype(np.float64)
    if array.ndim != 2 or array.shape[0] < 2:
        raise ValueError(f"need at least 2 feature vectors shaped (N, D), got {array.shape}")
    return array.mean(axis=0), np.cov(array, rowvar=False)


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Fréchet distance between two Gaussians: |μ1 − μ2|² + tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½).

    `sqrtm` of a product of two PSD matrices can come back with tiny imaginary parts or fail on a
    singular product; both are handled as in the reference FID code (drop the imaginary part, or add
    a small multiple of the identity and retry).
    """
    from scipy import linalg

    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    cov1, cov2 = np.atleast_2d(cov1).astype(np.float64), np.atleast_2d(cov2).astype(np.float64)
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape:
        raise ValueError(
            f"shapes differ: means {mu1.shape} vs {mu2.shape}, covariances {cov1.shape} vs {cov2.shape}"
        )
    with warnings.catch_warnings():  # dead ReLU features make the product singular: handled below
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(cov1 @ cov2)
        if not np.isfinite(covmean).all():
            offset = np.eye(cov1.shape[0]) * 1e-6
            covmean = linalg.sqrtm((cov1 + offset) @ (cov2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3 * max(1.0, np.abs(covmean).max())):
            raise ValueError(f"sqrtm has a large imaginary part: {np.abs(covmean.imag).max():.3g}")
        covmean = covmean.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * np.trace(covmean))


def class_entropy(probs: np.ndarray | torch.Tensor) -> float:
    """Entropy (nats) of the histogram of predicted classes of (N, K) probabilities; log K = all equal."""
    array = probs.detach().cpu().numpy() if isinstance(probs, torch.Tensor) else np.asarray(probs)
    counts = np.bincount(array.argmax(axis=1), minlength=array.shape[1]).astype(np.float64)
    share = counts / counts.sum()
    share = share[share > 0]
    return float(-(share * np.log(share)).sum())
