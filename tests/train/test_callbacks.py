"""The Trainer callbacks a job's caller asks for: the map timeline and its Procrustes alignment."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import orthogonal_procrustes

from dul_models.data import get_dataset
from dul_models.models import build_model
from dul_models.train.callbacks import MapTimeline, procrustes_align
from dul_models.train.trainer import TrainConfig, Trainer


def test_procrustes_undoes_a_rotation_reflection_and_scale():
    rng = np.random.default_rng(0)
    previous = rng.normal(size=(50, 2))
    angle = 1.1
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    moved = (previous @ rotation) * np.array([1.0, -1.0]) * 3.0 + 5.0  # rotated, mirrored, scaled, shifted
    assert np.allclose(procrustes_align(previous, moved), previous, atol=1e-8)


def test_map_timeline_keeps_one_aligned_frame_per_evaluation():
    data = get_dataset("digits")
    model = build_model("simclr", {"image_shape": data.image_shape, "width": 4}, seed=0)
    timeline = MapTimeline(items=100)
    config = TrainConfig(steps=6, batch_size=32, eval_every=3, eval_items=100, full_final_eval=False)
    Trainer(model, data, config, callbacks=[timeline]).fit()
    assert [step for step, _ in timeline.frames] == [0, 3, 6]
    assert all(coords.shape == (100, 2) for _, coords in timeline.frames)
    assert np.array_equal(timeline.labels, data.test.y[:100].numpy())
    for (_, previous), (_, current) in zip(timeline.frames, timeline.frames[1:], strict=False):
        # aligned: same centre and spread as the frame before, and no rotation brings it any closer
        assert np.allclose(current.mean(0), previous.mean(0), atol=1e-4)
        spread = np.linalg.norm(previous - previous.mean(0))
        assert np.linalg.norm(current - current.mean(0)) == pytest.approx(spread, rel=1e-4)
        rotation, _ = orthogonal_procrustes(current - current.mean(0), previous - previous.mean(0))
        assert np.allclose(rotation, np.eye(2), atol=1e-3)
