from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.linalg import orthogonal_procrustes

from dul_models.core.errors import ConfigError
from dul_models.data import get_dataset
from dul_models.data.augment import ViewStrength
from dul_models.explore.self_supervised import (
    InfoNCEGame,
    collapse_warning,
    infonce_game,
    self_supervised_families,
    view_pairs,
)
from dul_models.models import build_model
from dul_models.models.losses import positive_share
from dul_models.train.callbacks import MapTimeline, procrustes_align
from dul_models.train.trainer import TrainConfig, Trainer


def test_procrustes_undoes_a_rotation_reflection_and_scale():
    rng = np.random.default_rng(0)
    previous = rng.normal(size=(50, 2))
    angle = 1.1
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    moved = (previous @ rotation) * np.array([1.0, -1.0]) * 3.0 + 5.0  # rotated, mirrored, scaled, shifted
    assert np.allclose(procrustes_align(previous, moved), previous, atol=1e-8)


def test_game_softmax_and_loss_match_the_library_loss():
    z1, z2 = torch.randn(6, 4), torch.randn(6, 4)
    similarity = torch.nn.functional.normalize(z1, dim=1) @ torch.nn.functional.normalize(z2, dim=1).T
    game = InfoNCEGame(torch.zeros(6, 1, 2, 2), torch.zeros(6, 1, 2, 2), similarity.numpy())
    shares = positive_share(z1, z2, 0.5).numpy()
    for row in range(6):
        assert game.softmax(row, 0.5).sum() == pytest.approx(1.0)
        assert game.loss(row, 0.5) == pytest.approx(-math.log(shares[row]), rel=1e-5)
        assert row not in game.hardest_negatives(row, 3)
    with pytest.raises(ConfigError, match="temperature"):
        game.softmax(0, 0.0)


def test_infonce_game_runs_on_a_contrastive_model_only():
    model = build_model("simclr", {"image_shape": (1, 8, 8), "width": 4, "projection_dim": 4})
    x = torch.rand(5, 1, 8, 8)
    game = infonce_game(model, x, seed=3)
    assert game.similarity.shape == (5, 5) and game.view1.shape == x.shape
    assert np.allclose(infonce_game(model, x, seed=3).similarity, game.similarity)  # seeded views
    with pytest.raises(ConfigError, match="at least 2"):
        infonce_game(model, x[:1])
    with pytest.raises(ConfigError, match="SimCLR or MoCo"):
        infonce_game(build_model("classifier", {"image_shape": (1, 8, 8)}), x)


def test_collapse_warning_fires_below_half_of_healthy():
    healthy = 1 / math.sqrt(128)
    assert collapse_warning([]) is None
    assert collapse_warning([{"embedding_std": 0.6 * healthy, "healthy_std": healthy}]) is None
    message = collapse_warning([{"embedding_std": 0.01 * healthy, "healthy_std": healthy}])
    assert message and "Collapse" in message and "negatives" in message


def test_view_pairs_are_reproducible_and_differ_between_views():
    image = torch.rand(1, 28, 28)
    a1, a2 = view_pairs(image, ViewStrength(), pairs=4, seed=7)
    b1, _ = view_pairs(image, ViewStrength(), pairs=4, seed=7)
    assert a1.shape == (4, 1, 28, 28) and torch.equal(a1, b1) and not torch.equal(a1, a2)
    same, _ = view_pairs(image, ViewStrength(1.0, 0.0, 0.0, 0.0, 0.0, 0.0), pairs=2)
    assert torch.equal(same[0], image)  # every strength 0: the view is the image
    with pytest.raises(ConfigError, match="crop_scale"):
        ViewStrength(crop_scale=0.0)


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


def test_self_supervised_families_are_the_backbone_families():
    families = self_supervised_families()
    assert families[:2] == ["simclr", "moco"] and "vae" not in families


def test_rotation_report_scores_every_image_in_every_turn():
    from dul_models.explore.self_supervised_pretext import rotation_report

    data = get_dataset("digits")
    model = build_model("rotation", {"image_shape": data.image_shape, "width": 4, "hidden_dim": 8}, seed=0)
    report = rotation_report(model, data.test.x[:30], data.test.y[:30], chunk=7)
    assert report.probabilities.shape == (30, 4, 4)
    assert np.allclose(report.probabilities.sum(2), 1.0, atol=1e-5)
    by_class = report.accuracy_by_class(10)
    right = report.probabilities.argmax(2) == np.arange(4)
    present = np.unique(report.labels)
    assert np.allclose(by_class[present], [right[report.labels == c].mean() for c in present])
