"""Episodes: class splits keep novel classes unseen; draws are reproducible per episode; bad shapes say why."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import get_dataset
from dul_models.data.episode_batches import episode_batches, gather_episodes
from dul_models.data.episodes import (
    class_split,
    episode_pool,
    hand_picked_episode,
    sample_episodes,
    with_rotated_classes,
)


def test_class_splits_are_disjoint(digits) -> None:
    split = class_split(digits)
    assert split.base == (0, 1, 2, 3, 4) and split.novel == (5, 6, 7, 8, 9) and split.val == ()
    glyph_split = class_split(get_dataset("glyphs"))
    assert [len(glyph_split.base), len(glyph_split.val), len(glyph_split.novel)] == [240, 60, 100]
    assert not set(glyph_split.base) & set(glyph_split.novel) and not set(glyph_split.val) & set(
        glyph_split.novel
    )


def test_pools_hold_what_they_say(digits) -> None:
    base = episode_pool(digits, "base")
    assert set(base.y.tolist()) == {0, 1, 2, 3, 4} and len(base) == int((digits.train.y < 5).sum())
    val = episode_pool(digits, "val")  # no validation digits: the base digits' held-out images
    assert set(val.y.tolist()) == {0, 1, 2, 3, 4} and len(val) == int((digits.test.y < 5).sum())
    novel = episode_pool(digits, "novel")
    assert set(novel.y.tolist()) == {5, 6, 7, 8, 9}
    assert len(novel) == int((digits.train.y >= 5).sum() + (digits.test.y >= 5).sum())
    with pytest.raises(ConfigError, match="unknown episode pool"):
        episode_pool(digits, "test")


def test_episodes_are_reproducible_per_episode_and_well_formed(digits) -> None:
    pool = episode_pool(digits, "novel")
    labels = pool.y.numpy()
    many = sample_episodes(labels, pool.classes, 5, 2, 3, episodes=20, seed=4)
    assert many.shape == (20, 5, 2, 3)
    few = sample_episodes(labels, pool.classes, 5, 2, 3, episodes=3, seed=4)
    assert np.array_equal(few.support, many.support[:3]) and np.array_equal(few.query, many.query[:3])
    assert not np.array_equal(sample_episodes(labels, pool.classes, 5, 2, 3, 3, seed=5).support, few.support)
    for e in range(20):
        assert len(set(many.classes[e])) == 5
        rows = np.concatenate([many.support[e].ravel(), many.query[e].ravel()])
        assert len(set(rows)) == len(rows)  # a support is never also a query
        for n, c in enumerate(many.classes[e]):
            assert (labels[many.support[e, n]] == c).all() and (labels[many.query[e, n]] == c).all()


@pytest.mark.parametrize(
    ("way", "shot", "queries", "message"),
    [(6, 1, 1, "only 5 classes"), (1, 1, 1, "N ≥ 2"), (5, 0, 1, "must be ≥ 1"), (5, 150, 100, "has only")],
)
def test_impossible_episodes_say_why(digits, way, shot, queries, message) -> None:
    pool = episode_pool(digits, "novel")
    with pytest.raises(ConfigError, match=message):
        sample_episodes(pool.y, pool.classes, way, shot, queries)


def test_hand_picked_supports(digits) -> None:
    pool = episode_pool(digits, "novel")
    labels = pool.y.numpy()
    fives, sixes = np.flatnonzero(labels == 5)[:2], np.flatnonzero(labels == 6)[:2]
    episode = hand_picked_episode(labels, [fives.tolist(), sixes.tolist()], queries=4, seed=1)
    assert episode.shape == (1, 2, 2, 4) and episode.classes.tolist() == [[5, 6]]
    assert not set(episode.query.ravel()) & set(np.concatenate([fives, sixes]))
    with pytest.raises(ConfigError, match="class 2 of the episode has no support image"):
        hand_picked_episode(labels, [fives.tolist(), []], queries=4)
    with pytest.raises(ConfigError, match="same number"):
        hand_picked_episode(labels, [fives.tolist(), sixes[:1].tolist()], queries=4)
    with pytest.raises(ConfigError, match="different classes"):
        hand_picked_episode(labels, [[fives[0], sixes[0]], sixes.tolist()], queries=4)


def test_gathered_batches_carry_episode_labels(digits) -> None:
    pool = episode_pool(digits, "base")
    episodes = sample_episodes(pool.y, pool.classes, 3, 2, 4, episodes=2, seed=0)
    batch = gather_episodes(pool.x, episodes)
    assert batch.x.shape == (12, 1, 8, 8) and batch.query_x.shape == (24, 1, 8, 8)
    assert batch.y.tolist() == [0, 0, 1, 1, 2, 2] * 2 and batch.query_y.tolist()[:8] == [0] * 4 + [1] * 4
    assert batch.x.dtype == torch.float32 and 0 <= float(batch.x.min()) and float(batch.x.max()) <= 1
    first = pool.x[episodes.support[0, 1, 0]].float() / 255
    assert torch.allclose(batch.x[2], first)
    stream = episode_batches(pool, 20, 1, 2, 3, torch.Generator().manual_seed(0), "cpu")
    assert next(stream).way == 5  # capped at the five base digits


def test_rotated_classes_quadruple_the_pool(digits) -> None:
    pool = episode_pool(digits, "base")
    turned = with_rotated_classes(pool)
    assert len(turned) == 4 * len(pool) and len(turned.classes) == 20
    assert torch.equal(turned.x[len(pool)], torch.rot90(pool.x[0], 1, dims=(1, 2)))
