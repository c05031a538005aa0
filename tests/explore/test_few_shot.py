"""dul_models.explore.few_shot: what the Few-shot page draws, checked against the library's own answers and
naive computations on scikit-learn's digits (novel classes 5–9) and tiny untrained runs."""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.data.episodes import episode_pool, hand_picked_episode, sample_episodes
from dul_models.explore import few_shot as explore
from dul_models.features.encoders import EncoderSpec
from dul_models.features.episode_views import decision_plane
from dul_models.features.few_shot import answer_episode, make_solver
from dul_models.models import build_model
from dul_models.models.episode_solvers import query_targets
from dul_models.runs import checkpoints
from dul_models.runs.checkpoints import list_runs

PIXELS = EncoderSpec("pixels")


@pytest.fixture(scope="module")
def pool(digits):
    return episode_pool(digits, "novel")


@pytest.fixture(scope="module")
def solver(digits, pool):
    return make_solver(PIXELS, digits, "protonet", pool=pool)


@pytest.fixture(scope="module")
def maml_spec(digits, tmp_path_factory):
    model = build_model("maml", {"image_shape": (1, 8, 8), "width": 4, "eval_inner_steps": 3}, seed=0)
    path = tmp_path_factory.mktemp("maml") / "run"
    checkpoints.save_run(path, model, dataset="digits", seed=0, step=0)
    return EncoderSpec("run", str(path))


def one_episode(pool, way=3, shot=2, queries=2, seed=0):
    return sample_episodes(pool.y, pool.classes, way, shot, queries, 1, seed)


# --- choices -------------------------------------------------------------------------------------


def test_encoder_choices_open_on_a_protonet_run_when_there_is_one(digits):
    specs, first = explore.encoder_choices("digits")
    if not list_runs("protonet", "digits"):
        assert first == 0 and specs[0] == PIXELS  # no ProtoNet run on digits: the first encoder
    model = build_model("protonet", {"image_shape": (1, 8, 8), "width": 4}, seed=0)
    path = Path(os.environ["DUL_RUNS_DIR"]) / "protonet-digits-explore-test"
    checkpoints.save_run(path, model, dataset="digits", seed=0, step=0)
    try:
        specs, first = explore.encoder_choices("digits")
        assert first > 0 and specs[first] == EncoderSpec("run", str(path))
    finally:
        shutil.rmtree(path)


def test_method_choices_offer_maml_only_to_a_maml_run(maml_spec):
    assert explore.method_choices(PIXELS) == ("protonet", explore.FEATURE_METHODS)
    assert explore.method_choices(maml_spec) == ("maml", explore.METHODS)
    assert "maml" not in explore.FEATURE_METHODS and explore.ROLES == ("base", "val", "novel")


# --- episodes and their images -------------------------------------------------------------------


def test_drawn_and_picked_episodes_are_the_library_episodes(pool):
    drawn = explore.draw_episodes(pool, 4, 2, 3, 5, seed=7)
    expected = sample_episodes(pool.y, pool.classes, 4, 2, 3, 5, 7)
    assert np.array_equal(drawn.support, expected.support) and np.array_equal(drawn.query, expected.query)
    assert explore.episode_classes(drawn) == expected.classes[0].tolist()
    assert all(type(c) is int for c in explore.episode_classes(drawn))
    picks = [list(map(int, rows)) for rows in drawn.support[0]]
    picked = explore.picked_episode(pool, picks, 3, seed=1)
    assert np.array_equal(picked.query, hand_picked_episode(pool.y, picks, 3, 1).query)
    assert explore.episode_classes(picked) == explore.episode_classes(drawn)
    with pytest.raises(ConfigError, match="only 5 classes"):
        explore.draw_episodes(pool, 6, 1, 1)


def test_episode_images_are_the_pool_rows_in_answer_order(pool):
    episode = one_episode(pool)
    supports = explore.support_images(pool, episode)
    assert supports.shape == (6, 1, 8, 8) and supports.dtype == torch.float32
    assert torch.equal(supports, to_float(pool.x[torch.from_numpy(episode.support[0].reshape(-1))]))
    queries = episode.query[0].reshape(-1)
    assert torch.equal(explore.query_images(pool, episode), to_float(pool.x[torch.from_numpy(queries)]))
    some = explore.query_images(pool, episode, [4, 0])
    assert torch.equal(some, to_float(pool.x[torch.from_numpy(queries[[4, 0]])]))


def test_support_candidates_are_rows_of_one_class_drawn_the_same_each_time(pool):
    label = pool.classes[2]
    rows, images = explore.support_candidates(pool, label, 8)
    again, _ = explore.support_candidates(pool, label, 8)
    assert rows == again and len(rows) == len(images) == 8 and len(set(rows)) == 8
    assert all(int(pool.y[r]) == label for r in rows)
    assert all(img.shape == (1, 1, 8, 8) for img in images)
    assert torch.equal(images[3][0], to_float(pool.x[rows[3]]))


# --- answers ---------------------------------------------------------------------------------------


def test_answer_view_lists_the_library_answer_and_the_naive_distances(solver, pool):
    episode = one_episode(pool)
    view, answer = explore.answer_view(solver, episode), answer_episode(solver, episode)
    assert view.acc == answer.acc and view.truth == answer.truth.tolist() == [0, 0, 1, 1, 2, 2]
    assert view.predicted == answer.predicted.tolist() and view.right == int(answer.correct.sum())
    assert view.correct == [p == t for p, t in zip(view.predicted, view.truth, strict=True)]
    features = solver.features
    for i, row in enumerate(episode.query[0].reshape(-1)):
        for n in range(3):
            mean = features[episode.support[0, n]].mean(0)
            assert view.table[i][n] == pytest.approx(float(((features[row] - mean) ** 2).sum()), rel=1e-4)
    assert view.distances and view.confidence == pytest.approx(answer.probabilities.max(1).tolist())


def test_an_uploaded_support_image_lands_in_its_own_class(solver, pool, digits):
    episode = one_episode(pool, way=4, shot=1)
    image = explore.support_images(pool, episode)[2]  # the support of episode class 2
    upload = explore.classify_upload(solver, episode, image, PIXELS, digits)
    assert upload.image.shape == (1, 1, 8, 8) and torch.equal(upload.image[0], image)
    assert len(upload.probabilities) == 4 and math.isclose(sum(upload.probabilities), 1, rel_tol=1e-5)
    assert max(range(4), key=upload.probabilities.__getitem__) == 2  # distance 0 to its own prototype


# --- the game --------------------------------------------------------------------------------------


def test_new_game_is_a_seeded_shuffle_of_the_queries(pool):
    episode = one_episode(pool, way=5, shot=1, queries=2)
    game, again = explore.new_game(episode), explore.new_game(episode)
    assert game == again and game.way == 5 and len(game.token) == 12
    assert sorted(game.order) == list(range(10)) and game.truth == query_targets(episode)[0].tolist()
    assert explore.new_game(one_episode(pool, way=5, shot=1, queries=2, seed=1)).token != game.token


def test_player_score_counts_unanswered_as_wrong():
    y = np.repeat(np.arange(3), 10)
    episode = sample_episodes(y, (0, 1, 2), 3, 1, 2, episodes=1, seed=0)
    truth = query_targets(episode)[0].tolist()
    assert truth == [0, 0, 1, 1, 2, 2]
    score = explore.player_score([0, 0, 1, 2, None, 2], episode)
    assert score["acc"] == pytest.approx(4 / 6) and score["unanswered"] == 1
    assert score["right"].tolist() == [True, True, True, False, False, True]
    with pytest.raises(ConfigError, match="one per query"):
        explore.player_score([0], episode)
    assert math.isclose(explore.player_score(truth, episode)["acc"], 1.0)


def test_score_game_lists_each_sides_wrong_queries_in_the_shown_order(solver, pool):
    episode = one_episode(pool, way=3, shot=1, queries=2)
    answer = explore.answer_view(solver, episode)
    answers = [0, 0, 0, None, 2, 1]  # truth 0 0 1 1 2 2: queries 2, 3 (unanswered) and 5 wrong
    score = explore.score_game(answers, episode, answer)
    order = explore.new_game(episode).order
    assert score.acc == pytest.approx(3 / 6) and score.right == 3 and score.unanswered == 1
    assert score.wrong == [i for i in order if i in (2, 3, 5)]
    assert score.model_wrong == [i for i in order if not answer.correct[i]]


# --- the decision in the episode's plane ------------------------------------------------------------


def test_prototype_coords_are_the_class_means_of_the_supports_in_the_plane():
    points = np.random.default_rng(0).normal(size=(3 * 2 + 4, 5)).astype(np.float32)  # N=3, K=2, then queries
    plane = decision_plane(points, lambda grid: np.zeros(len(grid), dtype=int), resolution=4)
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=0).fit(points)
    means = points[:6].reshape(3, 2, 5).mean(1)
    assert np.allclose(explore.prototype_coords(plane["coords"], 3, 2), pca.transform(means), atol=1e-4)
    with pytest.raises(ConfigError, match="support points"):
        explore.prototype_coords(plane["coords"][:3], 3, 2)


def test_decision_view_splits_the_plane_by_class_and_marks_wrong_queries(pool):
    episode = one_episode(pool, way=2, shot=2, queries=3)  # coords: 4 supports, then 6 queries
    coords = np.arange(20, dtype=np.float64).reshape(10, 2)
    plane = {"coords": coords, "x": np.array([0.0, 1.0]), "y": np.array([5.0, 6.0]), "regions": np.eye(2)}
    from dul_models.explore.few_shot_decision import decision_view

    view = decision_view(plane, episode, [True, False, True, True, True, False])
    assert view.x == [0.0, 1.0] and view.y == [5.0, 6.0] and view.regions == [[1, 0], [0, 1]]
    first, second = view.classes
    assert first.support_x == [0.0, 2.0] and second.support_y == [5.0, 7.0]
    assert first.prototype == (1.0, 2.0) and second.prototype == (5.0, 6.0)
    assert first.query_x == [8.0, 10.0, 12.0] and second.query_x == [14.0, 16.0, 18.0]
    assert first.query_wrong == [False, True, False] and second.query_wrong == [False, False, True]
    assert decision_view(plane, episode).classes[0].query_wrong == [False] * 3
    with pytest.raises(ConfigError, match="expected 10 points"):
        decision_view({**plane, "coords": coords[:9]}, episode)


def test_decision_regions_hold_the_episode_and_the_solver_classes(solver, pool):
    episode = one_episode(pool, way=3, shot=2, queries=2)
    correct = explore.answer_view(solver, episode).correct
    view = explore.decision_regions(solver, episode, correct, resolution=12)
    assert len(view.x) == len(view.y) == 12 and len(view.regions) == 12 and len(view.regions[0]) == 12
    assert {c for row in view.regions for c in row} <= {0, 1, 2} and len(view.classes) == 3
    assert [w for c in view.classes for w in c.query_wrong] == [not c for c in correct]
    assert all(len(c.support_x) == 2 and len(c.query_x) == 2 for c in view.classes)


def test_maml_adaptation_and_its_regions_step_by_step(maml_spec, digits, pool):
    solver = make_solver(maml_spec, digits, "maml", pool=pool)
    episode = one_episode(pool, way=3, shot=1, queries=2)
    adaptation = explore.maml_adaptation(solver, episode, 4)
    assert adaptation.steps == [0, 1, 2, 3, 4] and len(adaptation.support_loss) == 5
    assert adaptation.loss_change(0) == 0 and adaptation.support_loss[4] < adaptation.support_loss[0]
    assert adaptation.acc_change(3) == pytest.approx(
        100 * (adaptation.query_acc[3] - adaptation.query_acc[0])
    )
    view = explore.maml_regions(adaptation, 2, episode, resolution=10)
    assert len(view.regions) == 10 and len(view.classes) == 3 and len(view.classes[0].query_x) == 2
    with pytest.raises(ConfigError, match="outside the trace"):
        explore.maml_regions(adaptation, 5, episode)
