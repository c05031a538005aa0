"""Metrics the pages show, as plain functions on tensors, plus the classical baselines they compare with."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
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


def cluster_confusion(labels: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts (K, C) of each cluster × label, with the cluster ids (K,) and label values (C,) they stand for.

    Any integer ids work (HDBSCAN's noise is −1, a cluster of its own here)."""
    labels, clusters = np.asarray(labels).ravel(), np.asarray(clusters).ravel()
    if labels.shape != clusters.shape or labels.size == 0:
        raise ValueError(f"need as many cluster ids as labels (> 0), got {clusters.shape} and {labels.shape}")
    cluster_ids, rows = np.unique(clusters, return_inverse=True)
    label_ids, cols = np.unique(labels, return_inverse=True)
    counts = np.zeros((cluster_ids.size, label_ids.size), dtype=np.int64)
    np.add.at(counts, (rows, cols), 1)
    return counts, cluster_ids, label_ids


def cluster_accuracy(labels: np.ndarray, clusters: np.ndarray) -> float:
    """ACC: the share of images whose cluster, matched one-to-one to a label, is their label.

    The matching that maximises the hits is the Hungarian assignment (`linear_sum_assignment` on the
    negated cluster × label counts); with more clusters than labels the unmatched clusters count as wrong.
    """
    from scipy.optimize import linear_sum_assignment

    counts, _, _ = cluster_confusion(labels, clusters)
    rows, cols = linear_sum_assignment(-counts)
    return float(counts[rows, cols].sum() / counts.sum())


def cluster_scores(labels: np.ndarray, clusters: np.ndarray) -> dict[str, float]:
    """ACC, NMI and ARI of a clustering against labels it never saw (1 = the labels exactly; ARI ≈ 0 = chance)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels, clusters = np.asarray(labels).ravel(), np.asarray(clusters).ravel()
    return {
        "acc": cluster_accuracy(labels, clusters),
        "nmi": float(normalized_mutual_info_score(labels, clusters)),
        "ari": float(adjusted_rand_score(labels, clusters)),
    }
