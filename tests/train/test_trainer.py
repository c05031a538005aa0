from __future__ import annotations

import math

import pytest
import torch

from dul_models.core.errors import ConfigError, NonFiniteLossError
from dul_models.models import build_model
from dul_models.runs.checkpoints import load_run, read_run_info
from dul_models.train.trainer import TrainConfig, Trainer


def tiny_model(dataset, **overrides):
    return build_model(
        "autoencoder", {"image_shape": dataset.image_shape, "base_channels": 4, **overrides}, seed=0
    )


def test_total_steps():
    assert TrainConfig(steps=7).total_steps(1000) == 7
    assert TrainConfig(epochs=1, batch_size=100).total_steps(1000) == 10
    assert TrainConfig(batch_size=100).total_steps(1000) == 50  # default 5 epochs
    with pytest.raises(ConfigError):
        TrainConfig(steps=5, epochs=1)
    with pytest.raises(ConfigError, match="batch_size"):
        TrainConfig(batch_size=0)


def test_fit_logs_previews_evaluates_and_saves(digits, tmp_path):
    events = []
    config = TrainConfig(
        steps=30, batch_size=32, log_every=10, eval_every=15, preview_every=10, checkpoint_every=20
    )
    trainer = Trainer(
        tiny_model(digits),
        digits,
        config,
        run_dir=tmp_path / "run",
        callbacks=[lambda t, e: events.append(e)],
    )
    metrics = trainer.fit()
    assert [row["step"] for row in trainer.history] == [10, 20, 30]
    assert all(row["images_per_s"] > 0 and math.isfinite(row["loss"]) for row in trainer.history)
    assert [row["step"] for row in trainer.eval_history] == [15, 30]
    assert events.count("checkpoint") == 2 and events[-1] == "end"
    images, nrow = trainer.preview
    assert nrow == 8 and images.shape == (24, *digits.image_shape)
    info = read_run_info(tmp_path / "run")
    assert info.step == 30 and info.metrics["psnr_clean_db"] == pytest.approx(metrics["psnr_clean_db"])
    assert len(info.metrics["history"]) == 3


def test_same_seed_same_weights(digits):
    def train():
        model = tiny_model(digits)
        Trainer(model, digits, TrainConfig(steps=5, batch_size=16, seed=11)).fit()
        return model.state_dict()

    first, second = train(), train()
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_cosine_lr_schedule_decays_every_optimizer_to_zero(digits):
    model = tiny_model(digits, lr=1e-2)
    config = TrainConfig(steps=8, batch_size=16, lr_schedule="cosine")
    trainer = Trainer(model, digits, config)
    steps_lr = []  # the lr of every param group of every optimizer, as each step sees it
    original = model.train_step

    def spy(batch, optimizers, grad_clip):
        steps_lr.append([group["lr"] for opt in optimizers for group in opt.param_groups])
        return original(batch, optimizers, grad_clip)

    model.train_step = spy
    trainer.fit()
    expected = [1e-2 * 0.5 * (1 + math.cos(math.pi * s / 8)) for s in range(8)]
    assert [row[0] for row in steps_lr] == pytest.approx(expected)
    assert all(len(set(row)) == 1 for row in steps_lr)  # every param group, every optimizer
    with pytest.raises(ConfigError, match="constant, cosine"):
        TrainConfig(lr_schedule="linear")
    assert TrainConfig().lr_schedule == "constant"


def test_should_stop_ends_early_and_saves(digits, tmp_path):
    trainer = Trainer(
        tiny_model(digits), digits, TrainConfig(steps=1000, batch_size=16), run_dir=tmp_path / "r"
    )
    trainer.fit(should_stop=lambda: trainer.step >= 3)
    assert trainer.step == 3 and load_run(tmp_path / "r").info.step == 3


def test_nan_loss_stops_with_clear_error_and_keeps_last_checkpoint(digits, tmp_path):
    model = tiny_model(digits)
    trainer = Trainer(
        model, digits, TrainConfig(steps=50, batch_size=16, checkpoint_every=5), run_dir=tmp_path / "r"
    )
    original = model.train_step

    def poisoned(batch, optimizers, grad_clip):
        metrics = original(batch, optimizers, grad_clip)
        return {**metrics, "loss": float("nan")} if trainer.step >= 7 else metrics

    model.train_step = poisoned
    before = None

    def remember(t, event):
        nonlocal before
        if event == "checkpoint":
            before = (tmp_path / "r" / "model.safetensors").read_bytes()

    trainer.callbacks.append(remember)
    with pytest.raises(NonFiniteLossError, match="loss became nan at step 8.*step 5"):
        trainer.fit()
    assert (tmp_path / "r" / "model.safetensors").read_bytes() == before
    assert load_run(tmp_path / "r").info.step == 5


@pytest.mark.slow
def test_denoising_autoencoder_learns(mnist5k):
    """A short CPU run: loss falls and denoising gains more than 6 dB of PSNR over the noisy input."""
    model = build_model("autoencoder", {"corruption": "gaussian", "noise_level": 0.5})
    trainer = Trainer(model, mnist5k, TrainConfig(steps=300, batch_size=64, eval_every=1000, seed=0))
    metrics = trainer.fit()
    assert trainer.history[-1]["loss"] < 0.6 * trainer.history[0]["loss"]
    assert metrics["psnr_gain_db"] > 6.0, metrics


def test_preview_timeline_is_thinned_but_keeps_first_and_last(digits):
    config = TrainConfig(steps=120, batch_size=16, preview_every=1, eval_every=1000)
    trainer = Trainer(tiny_model(digits), digits, config)
    trainer.fit()
    steps = [step for step, _, _ in trainer.previews]
    assert steps[0] == 0 and steps[-1] == 120 and len(steps) <= 48
    assert steps == sorted(set(steps))
    images, nrow = trainer.preview  # the latest frame is the trained model's own preview
    expected, expected_nrow = trainer.model.eval().preview(trainer.preview_x)
    assert torch.equal(images, expected) and nrow == expected_nrow
    assert not torch.equal(trainer.previews[0][1], images)  # and training changed it


def test_a_family_supplies_its_own_batches(digits):
    """Two-view, episode or labelled + unlabelled batches plug in through `batch_source`, not the loop."""
    from dataclasses import dataclass

    from dul_models.models import Batch

    @dataclass
    class TwoViews(Batch):
        x2: torch.Tensor  # (B, C, H, W) a second view of the same images

    seen = []
    model = tiny_model(digits)
    original_loss = model.loss

    def batch_source(x, y, batch_size, generator):
        while True:
            idx = torch.randint(0, x.shape[0], (batch_size,), generator=generator)
            images = x[idx].float() / 255
            yield TwoViews(x=images, y=y[idx], x2=images.flip(-1))

    def loss(batch):
        seen.append(batch)
        return original_loss(batch)

    model.batch_source, model.loss = batch_source, loss
    Trainer(model, digits, TrainConfig(steps=4, batch_size=8, eval_every=10**6)).fit()
    assert len(seen) == 4 and all(isinstance(b, TwoViews) for b in seen)
    assert all(torch.equal(b.x2, b.x.flip(-1)) and b.x.shape == (8, *digits.image_shape) for b in seen)


def test_uniform_batches_reject_a_batch_larger_than_the_data(digits):
    model = tiny_model(digits)
    trainer = Trainer(model, digits, TrainConfig(steps=1, batch_size=len(digits.train) + 1))
    with pytest.raises(ConfigError, match="larger than the"):
        trainer.fit()


def test_injected_evaluators_run_with_every_evaluation(digits):
    calls = []

    class Recorder:
        name, options = "recorder", ()

        def __call__(self, model, x, y, *, quick, **options):
            calls.append((x.shape[0], quick, model.training))
            return {"recorded_items": float(x.shape[0])}

    trainer = Trainer(
        tiny_model(digits),
        digits,
        TrainConfig(steps=10, batch_size=16, eval_every=5, eval_items=40),
        evaluators=[Recorder()],
    )
    final = trainer.fit()
    assert calls == [(40, True, False), (len(digits.test), False, False)]  # step 5 (quick), then the end
    assert final["recorded_items"] == len(digits.test) and "psnr_clean_db" in final
    assert [row["recorded_items"] for row in trainer.eval_history] == [40.0, float(len(digits.test))]
