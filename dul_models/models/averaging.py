"""Exponential moving averages of a network's weights, the one update three families share: MoCo's key
encoder, Mean Teacher's teacher and the averaged GAN generator all follow θ_avg ← decay·θ_avg + (1 − decay)·θ.
"""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def ema_update(averaged: nn.Module, current: nn.Module, decay: float, *, buffers: bool = False) -> None:
    """averaged ← decay·averaged + (1 − decay)·current, parameter by parameter; with `buffers` the batch-norm
    statistics are averaged too (integer counters copied), for an average that is itself evaluated."""
    for mean, value in zip(averaged.parameters(), current.parameters(), strict=True):
        mean.lerp_(value.detach(), 1.0 - decay)
    if buffers:
        for mean, value in zip(averaged.buffers(), current.buffers(), strict=True):
            if mean.is_floating_point():
                mean.lerp_(value, 1.0 - decay)
            else:
                mean.copy_(value)
