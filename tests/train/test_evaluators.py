from __future__ import annotations

import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.models import build_model
from dul_models.train.evaluators import KNNMonitor, build_evaluators


class Flatten:
    """A stand-in encoder: embed = the pixels themselves."""

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)


def naive_knn(bank_x, bank_y, x, y, k):
    bank = torch.nn.functional.normalize(bank_x.flatten(1).float(), dim=1)
    right = 0
    for image, label in zip(x, y, strict=True):
        query = torch.nn.functional.normalize(image.flatten().float(), dim=0)
        sims = [float(query @ b) for b in bank]
        nearest = sorted(range(len(sims)), key=lambda i: -sims[i])[:k]
        votes = [int(bank_y[i]) for i in nearest]
        winner = min(set(votes), key=lambda v: (-votes.count(v), v))  # ties → smallest label, as torch.mode
        right += winner == int(label)
    return right / len(y)


def test_knn_monitor_matches_a_naive_vote(digits):
    x_bank, y_bank = digits.train.x[:300], digits.train.y[:300]
    x, y = digits.test.x[:60].float() / 255, digits.test.y[:60]
    for k in (1, 5):
        monitor = KNNMonitor(x_bank, y_bank, k=k)
        got = monitor(Flatten(), x, y, quick=True)
        assert got["knn_k"] == k
        assert got["knn_acc"] == pytest.approx(naive_knn(x_bank.float() / 255, y_bank, x, y, k))
    assert got["knn_acc"] > 0.8  # raw 8×8 digits are easy for kNN: the monitor is not random
    with pytest.raises(ConfigError, match="k must be"):
        KNNMonitor(x_bank, y_bank, k=0)


def test_models_get_the_evaluators_they_ask_for(digits, monkeypatch):
    vae = build_model("vae", {"image_shape": digits.image_shape, "latent_dim": 2, "base_channels": 4})
    assert build_evaluators(vae, digits, "cpu") == []
    monkeypatch.setattr(type(vae), "evaluators", ("knn",))
    (monitor,) = build_evaluators(vae, digits, "cpu")
    assert monitor.name == "knn"
    monkeypatch.setattr(type(vae), "evaluators", ("fid_inception",))
    with pytest.raises(ConfigError, match="unknown evaluator 'fid_inception'"):
        build_evaluators(vae, digits, "cpu")
