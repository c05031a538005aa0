"""From encoder or run to answered episodes: solvers, one episode's answer, regions, uploads, the benchmark."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.data.episodes import hand_picked_episode, sample_episodes
from dul_models.features.encoders import EncoderSpec
from dul_models.features.few_shot import (
    answer_episode,
    benchmark,
    class_candidates,
    classify_uploads,
    episode_regions,
    make_solver,
    maml_step_regions,
    maml_trace,
    run_episodes,
)
from dul_models.models import build_model
from dul_models.models.episode_solvers import query_targets
from dul_models.runs import checkpoints


@pytest.fixture(scope="module")
def maml_run(digits, tmp_path_factory):
    model = build_model("maml", {"image_shape": (1, 8, 8), "width": 4, "eval_inner_steps": 3}, seed=0)
    path = tmp_path_factory.mktemp("maml") / "run"
    checkpoints.save_run(path, model, dataset="digits", seed=0, step=0)
    return EncoderSpec("run", str(path))


def test_run_episodes_is_reproducible_and_the_same_episodes_for_every_method(digits):
    first = run_episodes(EncoderSpec("pixels"), digits, 5, 1, episodes=40, seed=3)
    again = run_episodes(EncoderSpec("pixels"), digits, 5, 1, episodes=40, seed=3)
    assert first["acc"] == again["acc"] and first["method"] == "protonet" and first["episodes"] == 40
    done = []
    run_episodes(
        EncoderSpec("pca"), digits, 5, 5, episodes=40, method="cosine", progress=lambda d, t: done.append(d)
    )
    assert done[-1] == 40


def test_one_episode_answer_and_its_regions(digits):
    solver = make_solver(EncoderSpec("pixels"), digits)
    episode = sample_episodes(solver.pool.y, solver.pool.classes, 3, 2, 4, seed=0)
    answer = answer_episode(solver, episode)
    assert answer.probabilities.shape == (12, 3) and answer.distances.shape == (12, 3)
    assert np.array_equal(answer.predicted, answer.distances.argmin(1))  # ProtoNet: the nearest mean wins
    assert 0 <= answer.acc <= 1 and answer.correct.shape == (12,)
    regions = episode_regions(solver, episode, resolution=20)
    assert regions["coords"].shape == (6 + 12, 2) and regions["regions"].shape == (20, 20)
    with pytest.raises(ConfigError, match="one episode at a time"):
        answer_episode(solver, sample_episodes(solver.pool.y, solver.pool.classes, 3, 2, 4, episodes=2))


def test_uploads_are_classified_against_the_supports(digits):
    solver = make_solver(EncoderSpec("pixels"), digits)
    rows = class_candidates(solver.pool, (5, 6), per_class=3)
    episode = hand_picked_episode(solver.pool.y, [rows[0][:1].tolist(), rows[1][:1].tolist()], queries=2)
    upload = solver.pool.x[rows[1][:1]]  # a support image itself: it must land in its own class
    probs = classify_uploads(solver, episode, upload, EncoderSpec("pixels"), digits)
    assert probs.shape == (1, 2) and probs[0].argmax() == 1


def test_maml_solver_trace_regions_and_benchmark(digits, maml_run):
    solver = make_solver(maml_run, digits, "maml")
    episode = sample_episodes(solver.pool.y, solver.pool.classes, 5, 1, 3, seed=0)
    trace = maml_trace(solver, episode, steps=4)
    assert [s.step for s in trace] == [0, 1, 2, 3, 4]  # before adapting, then after each inner step
    losses = [s.support_loss for s in trace]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]  # the inner steps fit the supports
    targets = query_targets(episode)
    for s in trace:  # each step's accuracy is the one its probabilities give
        assert np.allclose(s.query_probs.sum(1), 1.0, atol=1e-5)
        assert s.query_acc == pytest.approx(float((s.query_probs.argmax(1) == targets).mean()))
    regions = maml_step_regions(trace[-1], resolution=15)
    assert regions["regions"].shape == (15, 15) and regions["coords"].shape == (5 + 15, 2)
    assert np.isfinite(regions["coords"]).all() and set(np.unique(regions["regions"])) <= set(range(5))
    upload = to_float(solver.pool.x[:2])
    assert classify_uploads(solver, episode, upload, maml_run, digits).shape == (2, 5)
    pixels = make_solver(EncoderSpec("pixels"), digits, "linear")
    rows = benchmark(
        [solver, pixels], sample_episodes(solver.pool.y, solver.pool.classes, 5, 1, 3, episodes=12)
    )
    assert [r["episodes"] for r in rows] == [12, 12] and rows[0]["method"] == "maml"
    assert rows[1]["title"].startswith("Linear")


def test_maml_needs_a_maml_run(digits):
    with pytest.raises(ConfigError, match="needs a MAML run"):
        make_solver(EncoderSpec("pixels"), digits, "maml")
    with pytest.raises(ConfigError, match="unknown method"):
        make_solver(EncoderSpec("pixels"), digits, "knn")
    assert torch.is_tensor(make_solver(EncoderSpec("pixels"), digits).pool.x)
