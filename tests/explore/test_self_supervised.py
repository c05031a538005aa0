"""What the self-supervised page computes (dul_models.explore.self_supervised*), on tiny models and digits."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import get_dataset, to_float
from dul_models.data.augment import ViewStrength
from dul_models.explore import self_supervised as explore
from dul_models.explore import self_supervised_pretext as pretext
from dul_models.explore.self_supervised import (
    InfoNCEGame,
    collapse_warning,
    infonce_game,
    self_supervised_families,
    view_pairs,
)
from dul_models.models import FAMILIES, build_model
from dul_models.models.losses import positive_share
from dul_models.models.rotation import rotate
from dul_models.runs.checkpoints import LoadedRun, RunInfo


def tiny(name: str, dataset, seed: int = 0):
    return build_model(name, {**FAMILIES[name].tiny_config, "image_shape": dataset.image_shape}, seed=seed)


def loaded(model, family: str, config: dict, metrics: dict | None = None) -> LoadedRun:
    info = RunInfo(
        path=Path("/nonexistent"),
        family=family,
        dataset="digits",
        config=config,
        seed=0,
        step=0,
        title="tiny",
        created="",
        bundled=False,
        metrics=metrics or {},
    )
    return LoadedRun(info=info, model=model.eval())


@pytest.fixture(scope="module")
def test_images(digits):
    return to_float(digits.test.x[:40])


# --- views -------------------------------------------------------------------------------------------


def test_two_views_stack_view_pairs_of_the_chosen_image_or_the_upload(test_images):
    strengths = dict(explore.VIEW_DEFAULTS, rotation=30.0)
    grid = explore.two_views(test_images, 5, strengths, pairs=3, seed=2)
    first, second = explore.view_pairs(test_images[5], ViewStrength(**strengths), pairs=3, seed=2)
    assert grid.shape == (6, 1, 8, 8) and torch.equal(grid, torch.cat([first, second]))
    upload = torch.rand(1, 8, 8)
    identity = dict(crop_scale=1.0, rotation=0.0, translate=0.0, erasing=0.0, noise=0.0, jitter=0.0)
    same = explore.two_views(test_images, 5, identity, upload=upload, pairs=2)
    assert all(torch.allclose(view, upload) for view in same)  # every strength off: the upload itself
    with pytest.raises(ConfigError, match="crop_scale"):
        explore.two_views(test_images, 0, dict(identity, crop_scale=0.0))


def test_view_defaults_sit_inside_the_slider_limits_and_the_legend_names_every_field():
    assert set(explore.VIEW_LIMITS) == set(explore.VIEW_DEFAULTS)
    for field, (low, high, _) in explore.VIEW_LIMITS.items():
        assert low <= explore.VIEW_DEFAULTS[field] <= high, field
    legend = explore.view_legend()
    assert legend.count(" · ") == len(explore.VIEW_LIMITS) - 1
    assert legend.startswith("**crop** — which part") and "**noise** — pixel-level" in legend


# --- the InfoNCE game ----------------------------------------------------------------------------------


def test_infonce_round_reads_the_game_at_the_temperature_and_row(test_images, digits):
    model = tiny("simclr", digits)
    game = explore.infonce_game(model, test_images[:6], seed=4)
    shown = explore.infonce_round(model, test_images, batch=6, temperature=0.5, row=2, seed=4)
    assert np.allclose(shown.logits, game.similarity / 0.5)
    logits = game.similarity[2] / 0.5
    naive = np.exp(logits) / np.exp(logits).sum()
    assert np.allclose(shown.softmax, naive) and shown.loss == pytest.approx(-math.log(naive[2]))
    assert shown.mean_loss == pytest.approx(game.mean_loss(0.5)) and shown.chance_loss == pytest.approx(
        math.log(6)
    )
    negatives = game.hardest_negatives(2, 4)
    assert shown.strip.shape == (6, 1, 8, 8)
    assert torch.equal(shown.strip[0], game.view1[2]) and torch.equal(shown.strip[1], game.view2[2])
    assert torch.equal(shown.strip[2:], game.view2[negatives])


def test_moco_queue_ages_bins_and_drift(digits):
    model = tiny("moco", digits)
    model.queue_step[:5] = torch.tensor([0, 1, 2, 3, 3])  # five keys filled, the rest still empty
    model.step.fill_(7)
    history = [{"step": 10, "loss": 1.0, "key_drift": 0.01}]
    queue = explore.moco_queue(
        loaded(model, "moco", {"queue_size": 16, "momentum": 0.99}, {"history": history})
    )
    assert sorted(queue.ages.tolist()) == [4, 4, 5, 6, 7] and queue.bins == 8
    assert (queue.queue_size, queue.momentum, queue.drift_history) == (16, 0.99, history)
    no_drift = explore.moco_queue(
        loaded(model, "moco", {"queue_size": 16, "momentum": 0.9}, {"history": [{"loss": 1}]})
    )
    assert no_drift.drift_history == []
    with pytest.raises(ConfigError, match="only a MoCo run"):
        explore.moco_queue(loaded(tiny("simclr", digits), "simclr", {}))


# --- train-live choices --------------------------------------------------------------------------------


def test_train_model_config_keeps_the_family_fields_and_lets_the_preset_win():
    settings = {"width": 8, "temperature": 0.3, "momentum": 0.9, "queue_size": 256}
    assert explore.train_model_config("simclr", "default", settings) == {"width": 8, "temperature": 0.3}
    assert explore.train_model_config("simclr", "break it: temperature 5", settings)["temperature"] == 5.0
    assert (
        explore.train_model_config("simclr", "break it: no negatives (SimCLR)", settings)["negatives"]
        is False
    )
    moco = explore.train_model_config("moco", "break it: no negatives (SimCLR)", settings)
    assert moco["queue_size"] == 256 and moco["momentum"] == 0.9 and "negatives" not in moco
    assert explore.train_model_config("rotation", "default", settings) == {"width": 8}
    with pytest.raises(ConfigError, match="unknown preset"):
        explore.train_model_config("simclr", "gentle", settings)


def test_family_titles_and_fields_follow_the_registry():
    titles = explore.family_titles()
    assert list(titles) == explore.self_supervised_families()
    assert titles["simclr"] == FAMILIES["simclr"].title
    assert {"temperature", "momentum", "queue_size"} <= explore.config_fields("moco")
    assert "momentum" not in explore.config_fields("simclr")


# --- pretext tasks ---------------------------------------------------------------------------------------


def test_rotation_task_table_agrees_with_the_model(test_images, digits):
    model = tiny("rotation", digits).eval()
    task = pretext.rotation_task(model, test_images, 3, shown=4)
    assert task.count == 4 and task.turns == ["turned 0°", "turned 90°", "turned 180°", "turned 270°"]
    x = test_images[3:7]
    assert torch.equal(task.turned, torch.cat([rotate(x, k) for k in range(4)]))
    probabilities = model.predict_rotation(task.turned).reshape(4, 4, 4)
    for i in range(4):
        for k in range(4):
            guess = int(probabilities[k, i].argmax())
            cell = task.table[f"#{3 + i}"][k]
            assert cell.startswith(f"{pretext.ANGLES[guess]}° (") and cell.endswith(" ✗") == (guess != k)


def test_rotation_by_class_is_the_share_of_turns_right_per_class(digits):
    model = tiny("rotation", digits).eval()
    images = to_float(digits.test.x)
    scores = pretext.rotation_by_class(model, images, digits)
    turned = torch.stack([model.predict_rotation(rotate(images, k)).argmax(1) for k in range(4)], 1)
    right = (turned == torch.arange(4)).numpy()
    labels = digits.test.y.numpy()
    naive = [right[labels == c].mean() for c in range(10)]
    assert scores.classes == list(digits.class_names) and np.allclose(scores.values, naive)
    assert scores.axis_floor == pytest.approx(max(0.0, min(naive) - 0.05))


def test_jigsaw_task_rows_and_solved_flags(test_images, digits):
    model = tiny("jigsaw", digits).eval()
    task = pretext.jigsaw_task(model, test_images, 2, seed=1, shown=5)
    solved = model.solve(test_images[2:7], seed=1)
    assert task.rows.shape[0] == 15 and torch.equal(task.rows[:5], solved["shuffled"])
    assert task.solved == (solved["predicted_permutation"] == solved["true_permutation"]).tolist()
    assert np.allclose(task.confidence, solved["probability"].numpy()) and task.orderings == 4


def test_context_task_grid_has_an_empty_centre_and_the_model_probabilities():
    data = get_dataset(FAMILIES["context"].model_cls.tiny_dataset)
    model = tiny("context", data).eval()
    images = to_float(data.test.x[:6])
    task = pretext.context_task(model, images, 0, "top-right", shown=6)
    assert task.count == 6 and task.patches.shape[0] == 12 and task.truths == ["top-right"] * 6
    expected = model.predict_position(images, neighbour=pretext.POSITIONS.index("top-right"))["probabilities"]
    for grid, p in zip(task.grids, expected.tolist(), strict=True):
        assert grid[1][1] is None
        cells = [v for row in grid for v in row if v is not None]
        assert np.allclose(cells, p) and sum(cells) == pytest.approx(1.0, abs=1e-5)
    assert (
        pretext.NEIGHBOUR_CHOICES[0] == "random" and len(pretext.context_task(model, images, 0).truths) == 6
    )


def test_colorization_task_rows_and_the_colour_set():
    photos = get_dataset("photos")
    model = tiny("colorization", photos).eval()
    images = to_float(photos.test.x[:10])
    task = pretext.colorization_task(model, images, 4, shown=3)
    assert task.count == 3 and task.rows.shape == (9, *photos.image_shape)
    assert torch.equal(task.rows[6:], images[4:7])  # the last row: the originals
    grey = task.rows[:3]
    assert torch.equal(grey[:, 0], grey[:, 1]) and torch.equal(grey[:, 1], grey[:, 2])
    assert (
        pretext.colour_dataset(photos) == "photos"
        and pretext.colour_dataset(get_dataset("digits")) == "photos"
    )


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


def test_self_supervised_families_are_the_backbone_families():
    families = self_supervised_families()
    assert families[:2] == ["simclr", "moco"] and "vae" not in families
