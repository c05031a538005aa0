from __future__ import annotations

import copy

import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.models import build_model
from dul_models.models.base import Batch


def tiny(**overrides):
    config = {"image_shape": (1, 8, 8), "width": 4, "projection_dim": 4, "queue_size": 12, "key_splits": 2}
    return build_model("moco", {**config, **overrides}, seed=0)


def step(model, x):
    return model.train_step(
        Batch(x, torch.zeros(x.shape[0], dtype=torch.long)), model.make_optimizers(), None
    )


def test_momentum_update_follows_the_formula():
    model = tiny(momentum=0.9).train()
    key_before = copy.deepcopy(model.key_backbone.state_dict())
    step(model, torch.rand(4, 1, 8, 8))
    query_after = model.backbone.state_dict()
    for name, value in model.key_backbone.named_parameters():
        expected = 0.9 * key_before[name] + 0.1 * query_after[name]
        assert torch.allclose(value, expected, atol=1e-6), name
    assert not any(p.requires_grad for p in model.key_backbone.parameters())


def test_queue_is_first_in_first_out_and_ages_by_step():
    model = tiny().train()
    assert model.staleness().numel() == 0  # nothing enqueued yet
    for _ in range(4):  # 4 steps × 4 keys = 16 > 12: the queue wraps
        step(model, torch.rand(4, 1, 8, 8))
    assert int(model.step) == 4 and int(model.queue_ptr) == 16 % 12
    assert sorted(model.queue_step.tolist()) == [1] * 4 + [2] * 4 + [3] * 4  # step 0's keys overwritten
    assert sorted(model.staleness().tolist()) == [1] * 4 + [2] * 4 + [3] * 4
    assert torch.allclose(model.queue.norm(dim=1), torch.ones(12), atol=1e-5)


def test_keys_come_back_in_order_after_the_shuffle():
    model = tiny(key_splits=3).eval()
    x = torch.rand(6, 1, 8, 8)
    keys = model.encode_keys(x)
    direct = torch.nn.functional.normalize(model.key_head(model.key_backbone(x)), dim=1)
    assert torch.allclose(keys, direct, atol=1e-5)  # eval mode: batch norm does not depend on the groups


def test_queue_size_must_be_a_multiple_of_the_batch():
    model = tiny(queue_size=10)
    with pytest.raises(ConfigError, match="queue_size 10 is not a multiple of batch_size 4; use e.g. 8"):
        model.batch_source(
            torch.zeros(20, 1, 8, 8, dtype=torch.uint8), torch.zeros(20, dtype=torch.long), 4, None
        )
    with pytest.raises(ConfigError, match="momentum"):
        tiny(momentum=1.0)


def test_drift_is_zero_at_the_start_and_grows():
    model = tiny(momentum=0.99).train()
    assert model.key_drift() == 0.0
    step(model, torch.rand(4, 1, 8, 8))
    assert model.key_drift() > 0.0
