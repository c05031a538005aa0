"""Disentanglement: the mutual information gap (MIG) between latents and known generative factors.

Chen et al. 2018, "Isolating sources of disentanglement in VAEs": for each factor, the gap between the
two latents that share most information with it, over the factor's entropy. Latents are discretised
into equal-width bins; factors are discrete already.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dul_models.core.errors import ConfigError

# ---- disentanglement -------------------------------------------------------------------------------


def _discretise(column: np.ndarray, bins: int) -> np.ndarray:
    """Integer codes: the values themselves when there are few, else equal-width histogram bins."""
    values = np.unique(column)
    if len(values) <= bins:
        return np.searchsorted(values, column)
    edges = np.histogram_bin_edges(column, bins=bins)
    return np.digitize(column, edges[1:-1])


@dataclass
class MIGResult:
    mig: float  # mean over factors of the normalised gap, in [0, 1]; higher = more disentangled
    per_factor: dict[str, float]  # each factor's gap (MI of best − second-best latent) / H(factor)
    best_latent: dict[str, int]  # the latent that carries most information about each factor
    mutual_information: np.ndarray  # (latents, factors) in nats
    factor_entropy: dict[str, float]  # nats


def mutual_information_gap(
    latents: np.ndarray, factors: np.ndarray, factor_names: Sequence[str], bins: int = 20
) -> MIGResult:
    """MIG (Chen et al., NeurIPS 2018, "Isolating Sources of Disentanglement in VAEs").

    Latent means are binned into `bins` equal-width bins per dimension (as in Locatello et al. 2019's
    reference code); factors with at most `bins` distinct values are used as they are, others binned.
    For each factor, the gap between the two latents sharing most information with it is divided by the
    factor's entropy; MIG is their mean. Factors with a single value (no entropy) are skipped.
    """
    from sklearn.metrics import mutual_info_score

    latents, factors = np.asarray(latents, dtype=np.float64), np.asarray(factors, dtype=np.float64)
    if latents.ndim != 2 or factors.ndim != 2 or latents.shape[0] != factors.shape[0]:
        raise ConfigError(f"need (N, D) latents and (N, K) factors, got {latents.shape} and {factors.shape}")
    if latents.shape[1] < 2:
        raise ConfigError("MIG needs at least 2 latent dimensions (it compares the best two)")
    if factors.shape[1] != len(factor_names):
        raise ConfigError(f"{len(factor_names)} factor names for {factors.shape[1]} factor columns")
    codes = [_discretise(latents[:, j], bins) for j in range(latents.shape[1])]
    mi = np.zeros((latents.shape[1], factors.shape[1]))
    gaps, best, entropy = {}, {}, {}
    for k, name in enumerate(factor_names):
        factor = _discretise(factors[:, k], bins)
        h = mutual_info_score(factor, factor)
        for j, code in enumerate(codes):
            mi[j, k] = mutual_info_score(code, factor)
        if h <= 0:
            continue
        top = np.sort(mi[:, k])[::-1]
        gaps[name], best[name], entropy[name] = float((top[0] - top[1]) / h), int(mi[:, k].argmax()), float(h)
    if not gaps:
        raise ConfigError("every factor is constant on these images: MIG is undefined")
    return MIGResult(float(np.mean(list(gaps.values()))), gaps, best, mi, entropy)


LABEL_MIN_SHARE = 0.1  # a latent names a factor only if it holds ≥ 10 % of that factor's entropy


def latent_factors(result: MIGResult, factor_names: Sequence[str]) -> list[tuple[str | None, float]]:
    """For each latent: the factor it shares most information with, as a share of that factor's entropy.

    This is what a traversal row of that latent should visibly move; None when no factor reaches
    `LABEL_MIN_SHARE` (an inactive or mixed latent). Factors without entropy are left out.
    """
    named = [k for k, name in enumerate(factor_names) if name in result.factor_entropy]
    labels: list[tuple[str | None, float]] = []
    for row in result.mutual_information:
        shares = [(row[k] / result.factor_entropy[factor_names[k]], factor_names[k]) for k in named]
        share, name = max(shares)
        labels.append((name if share >= LABEL_MIN_SHARE else None, float(share)))
    return labels


def mig_metrics(result: MIGResult, factor_names: Sequence[str]) -> dict[str, Any]:
    """MIG as plain data for metrics.json, `eval --json` and the page."""
    labels = latent_factors(result, factor_names)
    return {
        "mig": result.mig,
        "mig_per_factor": {k: round(v, 5) for k, v in result.per_factor.items()},
        "mig_best_latent": result.best_latent,
        "latent_factor": [name for name, _ in labels],
        "latent_factor_share": [round(share, 4) for _, share in labels],
    }
