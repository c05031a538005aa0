"""Mean ± 95 % interval of per-episode (or per-draw) scores."""

from __future__ import annotations

import math

import numpy as np

from dul_models.core.errors import ConfigError


def mean_ci95(values: np.ndarray) -> tuple[float, float]:
    """Mean and the half-width of its normal 95 % interval, 1.96·s/√n (the few-shot papers' convention)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        raise ConfigError("no values to average")
    if values.size == 1:
        return float(values[0]), 0.0
    return float(values.mean()), float(1.96 * values.std(ddof=1) / math.sqrt(values.size))
