"""ProtoNet (and the shared episodic base): episodes in, a metric that generalises to unseen digits out."""

from __future__ import annotations

import pytest
import torch

from dul_models.data import to_float
from dul_models.data.episode_batches import gather_episodes
from dul_models.data.episodes import episode_pool, sample_episodes
from dul_models.models import build_model
from dul_models.train.trainer import TrainConfig, Trainer

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_loss_is_cross_entropy_of_prototypical_logits(digits):
    model = build_model("protonet", {"image_shape": (1, 8, 8), "width": 4}, seed=0)
    pool = episode_pool(digits, "base")
    batch = gather_episodes(pool.x, sample_episodes(pool.y, pool.classes, 3, 2, 4, episodes=2, seed=0))
    loss, metrics = model.loss(batch)
    features = model.backbone(torch.cat([batch.x, batch.query_x]))
    support, query = features[:12].reshape(2, 3, 2, -1), features[12:].reshape(2, 12, -1)
    distances = ((query[:, :, None] - support.mean(2)[:, None]) ** 2).sum(3)  # (2, 12, 3)
    expected = torch.nn.functional.cross_entropy(-distances.reshape(-1, 3), batch.query_y)
    assert torch.isclose(loss, expected, atol=1e-4) and 0 <= metrics["episode_acc"] <= 1


@pytest.fixture(scope="module")
def glyphs():
    from dul_models.data import get_dataset

    return get_dataset("glyphs")


def test_meta_training_on_base_glyphs_helps_on_novel_glyphs(glyphs):
    """Meta-trained on base glyph classes only, the metric beats its own untrained start on unseen classes."""
    config = {"width": 8, "train_way": 10, "train_queries": 5}
    untrained = build_model("protonet", config, seed=0)
    untrained.prepare(glyphs)
    before = untrained.eval().evaluate(None, None, episodes=100)
    model = build_model("protonet", config, seed=0)
    trainer = Trainer(
        model, glyphs, TrainConfig(steps=120, eval_every=1000, full_final_eval=False, log_every=40)
    )
    trainer.fit()
    after = model.eval().evaluate(None, None, episodes=100)
    assert after["acc_5way_1shot"] > before["acc_5way_1shot"] + 0.05
    assert after["acc_20way_1shot"] > before["acc_20way_1shot"] + 0.05
    assert set(after) >= {
        "val_acc",
        "val_ci95",
        "acc_5way_1shot_ci95",
        "acc_20way_5shot",
        "acc_20way_5shot_ci95",
    }


def test_five_novel_digits_give_no_twenty_way_setting(digits):
    model = build_model("protonet", {"image_shape": (1, 8, 8), "width": 4}, seed=0).eval()
    model.prepare(digits)
    final = model.evaluate(None, None, episodes=20)
    assert "acc_5way_5shot" in final and "acc_20way_1shot" not in final


def test_quick_evaluation_scores_validation_episodes_and_preview_pairs_images(digits):
    model = build_model("protonet", {"image_shape": (1, 8, 8), "width": 4}, seed=0).eval()
    model.prepare(digits)
    quick = model.evaluate(None, None, quick=True)
    assert set(quick) == {"val_acc", "val_ci95"}
    x = to_float(digits.test.x[:6])
    images, nrow = model.preview(x)
    assert images.shape == (12, 1, 8, 8) and nrow == 6 and torch.equal(images[:6], x)


def test_matching_network_answers_with_attention(digits):
    model = build_model("matching", {"image_shape": (1, 8, 8), "width": 4, "temperature": 0.2}, seed=0).eval()
    model.prepare(digits)
    pool = model.pool("novel")
    episodes = sample_episodes(pool.y, pool.classes, 5, 1, 3, episodes=4, seed=0)
    probs = model.episode_probabilities(pool.x, episodes)
    assert probs.shape == (4, 15, 5) and torch.allclose(torch.from_numpy(probs).sum(2), torch.ones(4, 15))
    assert model.temperature == 0.2
