"""Self-supervised losses against naive Python-loop references, plus their invariances and rejections."""

from __future__ import annotations

import math

import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.models.losses import (
    alignment,
    contrastive_logits,
    embedding_std,
    info_nce,
    nt_xent,
    positive_share,
    uniformity,
)

# ---------------------------------------------------------------------------------------------------
# Naive references: lists of floats and plain loops, one formula per line
# ---------------------------------------------------------------------------------------------------


def _unit(row: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in row))
    return [v / norm for v in row]


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def _cos(a: list[float], b: list[float]) -> float:
    return _dot(_unit(a), _unit(b))


def _naive_directional(anchors: list, others: list, temperature: float) -> float:
    """Mean over anchors i of −log softmax at partner i, over negatives in both views (self excluded)."""
    batch = len(anchors)
    total = 0.0
    for i in range(batch):
        positive = math.exp(_cos(anchors[i], others[i]) / temperature)
        denominator = positive
        for j in range(batch):
            if j != i:
                denominator += math.exp(_cos(anchors[i], anchors[j]) / temperature)
                denominator += math.exp(_cos(anchors[i], others[j]) / temperature)
        total += -math.log(positive / denominator)
    return total / batch


def _naive_nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> float:
    a, b = z1.tolist(), z2.tolist()
    return (_naive_directional(a, b, temperature) + _naive_directional(b, a, temperature)) / 2


def _naive_info_nce(q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor, temperature: float) -> float:
    total = 0.0
    for q_row, k_row in zip(q.tolist(), k.tolist(), strict=True):
        q_unit = _unit(q_row)
        positive = math.exp(_dot(q_unit, _unit(k_row)) / temperature)
        denominator = positive
        for negative in queue.tolist():  # rows already unit length, as info_nce assumes
            denominator += math.exp(_dot(q_unit, negative) / temperature)
        total += -math.log(positive / denominator)
    return total / q.shape[0]


def _random_pair(batch: int = 6, dim: int = 5, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    return torch.randn(batch, dim), torch.randn(batch, dim)


# ---------------------------------------------------------------------------------------------------
# NT-Xent
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [0.1, 0.5, 2.0])
def test_nt_xent_matches_mean_of_two_naive_directional_losses(temperature):
    z1, z2 = _random_pair()
    expected = _naive_nt_xent(z1, z2, temperature)
    assert nt_xent(z1, z2, temperature).item() == pytest.approx(expected, rel=1e-5)


def test_nt_xent_is_symmetric_and_invariant_to_scaling_the_inputs():
    z1, z2 = _random_pair()
    loss = nt_xent(z1, z2, 0.5)
    assert nt_xent(z2, z1, 0.5).item() == pytest.approx(loss.item(), rel=1e-6)
    scaled = nt_xent(7.0 * z1, 0.01 * z2, 0.5)
    assert scaled.item() == pytest.approx(loss.item(), rel=1e-5)


def test_nt_xent_low_for_identical_views_and_higher_for_random_views():
    torch.manual_seed(1)
    z = torch.randn(8, 32)
    identical = nt_xent(z, z.clone(), 0.05).item()
    random = nt_xent(z, torch.randn(8, 32), 0.05).item()
    assert identical < 0.05
    assert random > 1.0 and random > 20 * identical


def test_nt_xent_gives_gradients_to_both_views():
    z1, z2 = _random_pair()
    z1.requires_grad_(True)
    z2.requires_grad_(True)
    nt_xent(z1, z2, 0.5).backward()
    assert torch.isfinite(z1.grad).all() and z1.grad.abs().sum() > 0
    assert torch.isfinite(z2.grad).all() and z2.grad.abs().sum() > 0


def test_nt_xent_and_info_nce_stay_float32_under_autocast():
    z1, z2 = _random_pair(batch=16, dim=32)
    queue = torch.nn.functional.normalize(torch.randn(20, 32), dim=1)
    expected_nt, expected_nce = nt_xent(z1, z2, 0.1), info_nce(z1, z2, queue, 0.1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        under_nt, under_nce = nt_xent(z1, z2, 0.1), info_nce(z1, z2, queue, 0.1)
    assert under_nt.dtype == torch.float32 and under_nce.dtype == torch.float32
    assert under_nt.item() == pytest.approx(expected_nt.item(), rel=1e-6)
    assert under_nce.item() == pytest.approx(expected_nce.item(), rel=1e-6)


# ---------------------------------------------------------------------------------------------------
# InfoNCE (MoCo)
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [0.07, 0.2, 1.0])
def test_info_nce_matches_naive_reference(temperature):
    q, k = _random_pair(batch=5, dim=4)
    queue = torch.nn.functional.normalize(torch.randn(9, 4), dim=1)
    expected = _naive_info_nce(q, k, queue, temperature)
    assert info_nce(q, k, queue, temperature).item() == pytest.approx(expected, rel=1e-5)


def test_info_nce_with_empty_queue_is_zero():
    q, k = _random_pair(batch=4, dim=3)
    loss = info_nce(q, k, torch.empty(0, 3), 0.2)
    assert loss.item() == pytest.approx(0.0, abs=1e-7)


def test_info_nce_sends_gradients_into_q_only():
    q, k = _random_pair(batch=4, dim=3)
    queue = torch.nn.functional.normalize(torch.randn(6, 3), dim=1)
    for t in (q, k, queue):
        t.requires_grad_(True)
    info_nce(q, k, queue, 0.2).backward()
    assert q.grad is not None and q.grad.abs().sum() > 0
    assert k.grad is None and queue.grad is None


# ---------------------------------------------------------------------------------------------------
# The InfoNCE game: logits and the positive's share
# ---------------------------------------------------------------------------------------------------


def test_contrastive_logits_match_naive_cosines():
    z1, z2 = _random_pair(batch=4, dim=3)
    logits = contrastive_logits(z1, z2, 0.5)
    assert logits.shape == (4, 4)
    a, b = z1.tolist(), z2.tolist()
    for i in range(4):
        for j in range(4):
            assert logits[i, j].item() == pytest.approx(_cos(a[i], b[j]) / 0.5, rel=1e-5, abs=1e-6)


def test_positive_share_matches_naive_softmax_and_gives_one_directional_loss():
    z1, z2 = _random_pair(batch=5, dim=4)
    share = positive_share(z1, z2, 0.3)
    assert share.shape == (5,)
    a, b = z1.tolist(), z2.tolist()
    for i in range(5):
        row = [math.exp(_cos(a[i], b[j]) / 0.3) for j in range(5)]
        assert share[i].item() == pytest.approx(row[i] / sum(row), rel=1e-5)
    one_directional = torch.nn.functional.cross_entropy(contrastive_logits(z1, z2, 0.3), torch.arange(5))
    assert (-share.log()).mean().item() == pytest.approx(one_directional.item(), rel=1e-5)


# ---------------------------------------------------------------------------------------------------
# Alignment, uniformity, embedding std
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [1.0, 2.0, 3.5])
def test_alignment_matches_naive_reference(alpha):
    z1, z2 = _random_pair()
    expected = 0.0
    for a, b in zip(z1.tolist(), z2.tolist(), strict=True):
        a, b = _unit(a), _unit(b)
        expected += math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True))) ** alpha
    expected /= z1.shape[0]
    assert alignment(z1, z2, alpha).item() == pytest.approx(expected, rel=1e-5)
    assert alignment(z1, z1.clone(), alpha).item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("t", [0.5, 2.0])
def test_uniformity_matches_naive_reference(t):
    torch.manual_seed(0)
    z = torch.randn(7, 5)
    rows = [_unit(r) for r in z.tolist()]
    terms = []
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            squared = sum((x - y) ** 2 for x, y in zip(rows[i], rows[j], strict=True))
            terms.append(math.exp(-t * squared))
    expected = math.log(sum(terms) / len(terms))
    assert uniformity(z, t).item() == pytest.approx(expected, rel=1e-5)


def test_embedding_std_matches_naive_reference():
    torch.manual_seed(0)
    z = torch.randn(6, 4)
    rows = [_unit(r) for r in z.tolist()]
    stds = []
    for d in range(4):
        column = [row[d] for row in rows]
        mean = sum(column) / len(column)
        stds.append(math.sqrt(sum((v - mean) ** 2 for v in column) / (len(column) - 1)))
    assert embedding_std(z).item() == pytest.approx(sum(stds) / len(stds), rel=1e-5)


def test_collapsed_embeddings_have_zero_std_and_zero_uniformity():
    torch.manual_seed(0)
    z = torch.randn(1, 16).repeat(10, 1)  # every row the same point
    assert embedding_std(z).item() == pytest.approx(0.0, abs=1e-6)
    assert uniformity(z).item() == pytest.approx(0.0, abs=1e-6)


def test_random_gaussian_embeddings_have_std_near_one_over_root_dim():
    torch.manual_seed(0)
    z = torch.randn(512, 64)
    assert embedding_std(z).item() == pytest.approx(1 / 8, rel=0.2)
    assert uniformity(z).item() < -3.0  # spread out: close to the −2t = −4 of a uniform sphere


# ---------------------------------------------------------------------------------------------------
# Rejections
# ---------------------------------------------------------------------------------------------------

_PAIR_LOSSES = {
    "nt_xent": lambda a, b, t: nt_xent(a, b, t),
    "info_nce": lambda a, b, t: info_nce(a, b, torch.empty(0, a.shape[1]), t),
    "contrastive_logits": lambda a, b, t: contrastive_logits(a, b, t),
    "positive_share": lambda a, b, t: positive_share(a, b, t),
}


@pytest.mark.parametrize("name", sorted(_PAIR_LOSSES))
@pytest.mark.parametrize("temperature", [0.0, -1.0, math.nan, math.inf, True, "0.1"])
def test_bad_temperature_is_rejected(name, temperature):
    z1, z2 = _random_pair(batch=4, dim=3)
    with pytest.raises(ConfigError, match="temperature"):
        _PAIR_LOSSES[name](z1, z2, temperature)


@pytest.mark.parametrize("name", sorted(_PAIR_LOSSES))
def test_mismatched_views_are_rejected(name):
    with pytest.raises(ConfigError, match="same shape"):
        _PAIR_LOSSES[name](torch.randn(4, 3), torch.randn(5, 3), 0.5)
    with pytest.raises(ConfigError, match="same shape"):
        _PAIR_LOSSES[name](torch.randn(4, 3), torch.randn(4, 2), 0.5)


def test_other_bad_arguments_are_rejected():
    z = torch.randn(4, 3)
    with pytest.raises(ConfigError, match="same shape"):
        alignment(z, torch.randn(4, 2))
    with pytest.raises(ConfigError, match="alpha"):
        alignment(z, z, alpha=0.0)
    with pytest.raises(ConfigError, match="t must be"):
        uniformity(z, t=math.nan)
    with pytest.raises(ConfigError, match="queue"):
        info_nce(z, z, torch.randn(5, 2), 0.5)
    with pytest.raises(ConfigError, match="at least 2"):
        nt_xent(z[:1], z[:1], 0.5)
    with pytest.raises(ConfigError, match="at least 2"):
        embedding_std(z[:1])
    with pytest.raises(ConfigError, match=r"\(B, D\)"):
        uniformity(torch.randn(4))
    with pytest.raises(ConfigError, match="floating-point"):
        contrastive_logits(torch.ones(4, 3, dtype=torch.long), torch.ones(4, 3, dtype=torch.long), 0.5)


# --- Few-shot ----------------------------------------------------------------------------------------


def test_prototypical_logits_match_a_loop_over_classes():
    from dul_models.models.losses import prototypical_logits

    g = torch.Generator().manual_seed(0)
    support, query = torch.randn(2, 3, 4, 5, generator=g), torch.randn(2, 6, 5, generator=g)
    logits = prototypical_logits(support, query)
    for e in range(2):
        for m in range(6):
            for n in range(3):
                mean = support[e, n].mean(0)
                assert torch.isclose(logits[e, m, n], -((query[e, m] - mean) ** 2).sum(), atol=1e-4)


def test_matching_logits_are_log_attention_summed_per_class():
    from dul_models.models.losses import matching_logits

    g = torch.Generator().manual_seed(1)
    support, query = torch.randn(1, 3, 2, 4, generator=g), torch.randn(1, 5, 4, generator=g)
    log_probs = matching_logits(support, query, temperature=0.5)
    for m in range(5):
        q = query[0, m] / query[0, m].norm()
        cosines = [[float(q @ (s / s.norm())) for s in support[0, n]] for n in range(3)]
        weights = torch.tensor(cosines).div(0.5).flatten().softmax(0).reshape(3, 2).sum(1)
        assert torch.allclose(log_probs[0, m].exp(), weights, atol=1e-5)
    assert torch.allclose(log_probs.exp().sum(2), torch.ones(1, 5))
    with pytest.raises(ConfigError, match="temperature"):
        matching_logits(support, query, temperature=0.0)
