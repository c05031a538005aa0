"""The moving average of weights that MoCo, Mean Teacher and the averaged GAN generator share."""

from __future__ import annotations

import torch
from torch import nn

from dul_models.models.averaging import ema_update


def pair() -> tuple[nn.Module, nn.Module]:
    current = nn.Sequential(nn.Linear(2, 1), nn.BatchNorm1d(1))
    averaged = nn.Sequential(nn.Linear(2, 1), nn.BatchNorm1d(1))
    with torch.no_grad():
        current[0].weight.copy_(torch.tensor([[1.0, 2.0]]))
        averaged[0].weight.copy_(torch.tensor([[3.0, -1.0]]))
        current[1].running_mean.fill_(4.0)
        current[1].num_batches_tracked.fill_(7)
    return averaged, current


def test_weights_and_buffers_follow_a_hand_computation():
    averaged, current = pair()
    ema_update(averaged, current, decay=0.75, buffers=True)
    assert torch.allclose(averaged[0].weight, torch.tensor([[0.75 * 3 + 0.25 * 1, 0.75 * -1 + 0.25 * 2]]))
    assert torch.allclose(averaged[1].running_mean, torch.tensor([0.25 * 4.0]))
    assert int(averaged[1].num_batches_tracked) == 7  # an integer counter is copied, not averaged


def test_weights_only_leaves_the_buffers_alone():
    averaged, current = pair()
    ema_update(averaged, current, decay=0.5)
    assert torch.allclose(averaged[0].weight, torch.tensor([[2.0, 0.5]]))
    assert float(averaged[1].running_mean) == 0.0 and int(averaged[1].num_batches_tracked) == 0
