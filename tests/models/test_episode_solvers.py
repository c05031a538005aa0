"""Answering episodes on features: the 95 % interval, the fine-tuned heads, the decision plane."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data.episodes import sample_episodes
from dul_models.features.episode_views import decision_plane
from dul_models.metrics.intervals import mean_ci95
from dul_models.models.episode_solvers import (
    FEATURE_METHODS,
    evaluate_features,
    feature_probabilities,
    fit_heads,
)


def blobs(classes: int = 6, per_class: int = 30, dim: int = 12, spread: float = 0.3, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim)) * 3
    x = np.concatenate([c + spread * rng.normal(size=(per_class, dim)) for c in centres]).astype(np.float32)
    return x, np.repeat(np.arange(classes), per_class)


def test_mean_ci95_by_hand():
    mean, half = mean_ci95(np.array([0.5, 0.7, 0.9, 0.7]))
    assert mean == pytest.approx(0.7)
    assert half == pytest.approx(1.96 * np.std([0.5, 0.7, 0.9, 0.7], ddof=1) / 2)
    assert mean_ci95(np.array([0.4])) == (0.4, 0.0)
    with pytest.raises(ConfigError):
        mean_ci95(np.array([]))


@pytest.mark.parametrize("method", FEATURE_METHODS)
def test_every_method_solves_well_separated_classes(method):
    x, y = blobs()
    episodes = sample_episodes(y, tuple(range(6)), 5, 1, 5, episodes=30, seed=0)
    probs = feature_probabilities(method, x, episodes)
    assert probs.shape == (30, 25, 5) and np.allclose(probs.sum(2), 1, atol=1e-5)
    result = evaluate_features(method, x, episodes)
    assert result.acc > 0.97 and result.summary()["episodes"] == 30


def test_linear_head_agrees_with_scikit_learn_logistic_regression():
    """The batched linear head is multinomial logistic regression: compare with scikit-learn's on the
    same normalised support features (the naive reference), prediction by prediction."""
    from sklearn.linear_model import LogisticRegression

    x, y = blobs(classes=4, per_class=40, dim=8, spread=1.5, seed=3)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    episodes = sample_episodes(y, (0, 1, 2, 3), 4, 5, 30, episodes=6, seed=0)
    support = torch.from_numpy(x[episodes.support])  # (E, 4, 5, 8)
    query = torch.from_numpy(x[episodes.query.reshape(6, -1)])  # (E, 120, 8)
    ours = fit_heads(support, "linear", steps=300)(query).argmax(2).numpy()
    agree = []
    for e in range(6):
        reference = LogisticRegression(C=10.0, max_iter=2000).fit(
            x[episodes.support[e].reshape(-1)], np.repeat(np.arange(4), 5)
        )
        agree.append((reference.predict(query[e].numpy()) == ours[e]).mean())
    assert np.mean(agree) > 0.9


def test_cosine_head_starts_at_the_nearest_class_mean_by_angle():
    g = torch.Generator().manual_seed(0)
    support, query = torch.randn(3, 4, 2, 6, generator=g), torch.randn(3, 10, 6, generator=g)
    logits = fit_heads(support, "cosine", steps=0)(query)
    means = torch.nn.functional.normalize(torch.nn.functional.normalize(support, dim=3).mean(2), dim=2)
    expected = torch.nn.functional.normalize(query, dim=2) @ means.transpose(1, 2)
    assert torch.allclose(logits, 10.0 * expected, atol=1e-4)
    with pytest.raises(ConfigError, match="unknown head"):
        fit_heads(support, "svm")


def test_fine_tuning_fits_the_supports():
    g = torch.Generator().manual_seed(2)
    support = torch.randn(4, 5, 1, 30, generator=g)
    for kind in ("linear", "cosine"):
        predicted = fit_heads(support, kind)(support.reshape(4, 5, 30)).argmax(2)
        assert torch.equal(predicted, torch.arange(5).expand(4, 5))


def test_decision_plane_regions_agree_with_the_classifier_on_the_plane():
    x, y = blobs(classes=3, per_class=10, dim=2, spread=0.1)  # 2-D features: the plane is the space itself
    means = np.stack([x[y == c].mean(0) for c in range(3)])

    def nearest_mean(points: np.ndarray) -> np.ndarray:
        return ((points[:, None] - means[None]) ** 2).sum(2).argmin(1)

    plane = decision_plane(x, nearest_mean, resolution=30)
    assert plane["coords"].shape == (30, 2) and plane["regions"].shape == (30, 30)
    assert set(np.unique(plane["regions"])) == {0, 1, 2}
    col = np.abs(plane["x"][None] - plane["coords"][:, :1]).argmin(1)  # each point's grid cell
    row = np.abs(plane["y"][None] - plane["coords"][:, 1:]).argmin(1)
    assert (plane["regions"][row, col] == y).mean() > 0.9
    with pytest.raises(ConfigError, match="at least 3 points"):
        decision_plane(x[:2], nearest_mean)
