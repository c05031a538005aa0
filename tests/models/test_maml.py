"""MAML: the functional inner loop against a hand-written reference, first vs second order, the trace."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from dul_models.core.errors import ConfigError
from dul_models.data import to_float
from dul_models.data.episode_batches import gather_episodes
from dul_models.data.episodes import episode_pool, sample_episodes
from dul_models.models import build_model

pytestmark = pytest.mark.usefixtures("one_torch_thread")
CONFIG = {"image_shape": (1, 8, 8), "width": 4, "inner_steps": 2, "inner_lr": 0.3}


@pytest.fixture
def episode(digits):
    pool = episode_pool(digits, "base")
    return gather_episodes(pool.x, sample_episodes(pool.y, pool.classes, 3, 2, 3, episodes=1, seed=0))


def naive_meta_gradient(model, batch, second_order: bool) -> list[torch.Tensor]:
    """MAML by hand: torch.autograd.grad with create_graph, on an explicit copy of every weight."""
    params = dict(model.trunk.named_parameters())
    params["head.weight"] = model.head_weight.expand(batch.way, -1)
    params["head.bias"] = model.head_bias.expand(batch.way)
    for _ in range(model.config.inner_steps):
        loss = F.cross_entropy(model.logits(params, batch.x), batch.y)
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=second_order)
        params = {k: p - model.config.inner_lr * g for (k, p), g in zip(params.items(), grads, strict=True)}
    outer = F.cross_entropy(model.logits(params, batch.query_x), batch.query_y)
    return list(torch.autograd.grad(outer, list(model.parameters())))


@pytest.mark.parametrize("first_order", [False, True])
def test_meta_gradient_matches_the_hand_written_reference(episode, first_order):
    model = build_model("maml", {**CONFIG, "first_order": first_order}, seed=0)
    loss, _ = model.loss(episode)
    ours = torch.autograd.grad(loss, list(model.parameters()))
    reference = naive_meta_gradient(model, episode, second_order=not first_order)
    for a, b in zip(ours, reference, strict=True):
        assert torch.allclose(a, b, atol=1e-5), (a - b).abs().max()


def test_second_order_differs_from_first_order(episode):
    model = build_model("maml", CONFIG, seed=0)
    second = naive_meta_gradient(model, episode, second_order=True)
    first = naive_meta_gradient(model, episode, second_order=False)
    assert any(not torch.allclose(a, b, atol=1e-6) for a, b in zip(second, first, strict=True))


def test_inner_steps_lower_the_support_loss_and_the_trace_records_each(digits):
    model = build_model("maml", {**CONFIG, "width": 8}, seed=0).eval()
    pool = episode_pool(digits, "novel")
    episodes = sample_episodes(pool.y, pool.classes, 5, 1, 4, episodes=1, seed=0)
    support = to_float(pool.x[episodes.support[0].reshape(-1)])
    query = to_float(pool.x[episodes.query[0].reshape(-1)])
    trace = model.adaptation_trace(support, query, 5, steps=6)
    assert [s.step for s in trace] == list(range(7))
    assert trace[-1].support_loss < trace[0].support_loss
    assert trace[0].query_probs.shape == (20, 5) and trace[0].head_weight.shape == (5, model.feature_dim)
    assert abs(trace[0].support_loss - torch.log(torch.tensor(5.0)).item()) < 1e-4  # zero head: uniform
    with pytest.raises(ConfigError, match="inner steps"):
        model.adaptation_trace(support, query, 5, steps=99)


def test_one_model_answers_any_number_of_ways(digits):
    model = build_model("maml", CONFIG, seed=0).eval()
    pool = episode_pool(digits, "novel")
    for way in (2, 5):
        episodes = sample_episodes(pool.y, pool.classes, way, 1, 2, episodes=2, seed=0)
        assert model.episode_probabilities(pool.x, episodes).shape == (2, 2 * way, way)


def test_vmapped_episodes_answer_like_one_episode_at_a_time(digits):
    model = build_model("maml", CONFIG, seed=0).eval()
    pool = episode_pool(digits, "novel")
    episodes = sample_episodes(pool.y, pool.classes, 3, 2, 2, episodes=3, seed=1)
    batched = model.episode_probabilities(pool.x, episodes)
    labels = torch.arange(3).repeat_interleave(2)
    for e in range(3):
        support = to_float(pool.x[episodes.support[e].reshape(-1)])
        query = to_float(pool.x[episodes.query[e].reshape(-1)])
        with torch.no_grad():
            adapted = model.adapt(support, labels, 3, model.config.eval_inner_steps)
            alone = model.logits(adapted, query).softmax(1)
        assert torch.allclose(torch.from_numpy(batched[e]), alone, atol=1e-5)
