"""The training loop: `Trainer` and its `TrainConfig` (background jobs live in `dul_models.train.jobs`).

The Trainer moves the whole dataset to the device once and the model's `batch_source` draws batches by
index from it, so no per-image Python runs in the loop. A split too large for that (`data.large_splits`:
an imported set, memory-mapped) stays on the CPU: batches are drawn from it by index and moved one by one,
and evaluations convert only the test rows they use. Evaluators that need outside resources are
handed in by the caller (`dul_models.train.evaluators`); callbacks let a job publish progress without the
loop knowing about it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from dul_models.core.devices import eval_mode, pick_device, seed_everything
from dul_models.core.errors import ConfigError, NonFiniteLossError
from dul_models.data import ImageDataset, to_float
from dul_models.data.large_splits import batch_to, first_rows, held_on, is_large
from dul_models.models import DULModel
from dul_models.runs import checkpoints
from dul_models.train.evaluators import Evaluator

LR_SCHEDULES = ("constant", "cosine")


@dataclass
class TrainConfig:
    """How long and how to train; the model's own hyper-parameters live in its family config."""

    steps: int | None = None  # exactly one of steps / epochs; neither means 5 epochs
    epochs: float | None = None
    batch_size: int = 128  # large enough to keep a CPU busy, small enough for many steps per epoch
    grad_clip: float | None = (
        100.0  # losses are summed per image, so normal norms are tens; this catches blow-ups
    )
    seed: int = 0
    device: str = "auto"
    log_every: int = 10  # steps averaged into one history row
    eval_every: int = 200  # steps between evaluations on a test subset
    eval_items: int = 500  # test images per periodic evaluation (the final one uses the whole split)
    preview_every: int = 25
    checkpoint_every: int = 500  # 0 = only at the end
    full_final_eval: bool = True  # the thorough metrics at the end; live runs in the app skip them for speed
    lr_schedule: str = "constant"  # or "cosine": each optimizer's lr decays to 0 (Loshchilov & Hutter 2017)

    def __post_init__(self) -> None:
        if self.steps is not None and self.epochs is not None:
            raise ConfigError("give either steps or epochs, not both")
        for name in ("steps", "batch_size", "log_every", "eval_every", "eval_items", "preview_every"):
            value = getattr(self, name)
            if value is not None and int(value) < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if self.epochs is not None and not self.epochs > 0:
            raise ConfigError(f"epochs must be > 0, got {self.epochs!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(
                f"unknown lr_schedule {self.lr_schedule!r}; choose from: {', '.join(LR_SCHEDULES)}"
            )

    def total_steps(self, n_train: int) -> int:
        if self.steps is not None:
            return int(self.steps)
        epochs = 5.0 if self.epochs is None else float(self.epochs)
        return max(1, math.ceil(epochs * n_train / self.batch_size))


def live_train_config(*, seed: int, device: str, **settings: Any) -> TrainConfig:
    """The one preset of a run trained live in the app: an evaluation every 100 steps (on `eval_items`
    test images) for the charts and the quick final evaluation (the thorough one takes minutes); the
    page's own length, batch and cadence in `settings`."""
    return TrainConfig(**{"eval_every": 100, "full_final_eval": False, **settings}, seed=seed, device=device)


Callback = Callable[["Trainer", str], None]
MAX_PREVIEWS = 48  # previews kept for the timeline; a long run keeps every 2nd, 4th, ... one


class Trainer:
    """Owns the loop: device, seeding, optimisers, NaN detection, evaluation, previews, checkpoints."""

    def __init__(
        self,
        model: DULModel,
        dataset: ImageDataset,
        config: TrainConfig,
        *,
        run_dir: Path | None = None,
        title: str = "",
        callbacks: list[Callback] | tuple[Callback, ...] = (),
        evaluators: Sequence[Evaluator] = (),
        allow_bundled: bool = False,
    ) -> None:
        self.config, self.dataset, self.run_dir, self.title = config, dataset, run_dir, title
        self.callbacks = list(callbacks)
        self.evaluators = list(evaluators)
        self.allow_bundled = allow_bundled
        self.device = pick_device(config.device)
        self.generator = seed_everything(config.seed)
        self.model = model.to(self.device)
        self.model.prepare(dataset)
        self.streaming = is_large(dataset.train.x)  # then batches are moved one by one
        self.x_train = held_on(dataset.train.x, self.device)  # uint8 on device: 4× smaller than float
        self.y_train = dataset.train.y if self.streaming else dataset.train.y.to(self.device)
        self.large_test = is_large(dataset.test.x)  # then kept uint8 where it is; evaluations take rows
        self.x_test = dataset.test.x if self.large_test else to_float(dataset.test.x).to(self.device)
        self.y_test = dataset.test.y.to(self.device)
        self.preview_x = to_float(self.x_test[:8]).to(self.device)
        self.total_steps = config.total_steps(len(dataset.train))
        self.step = 0
        self.history: list[dict[str, float]] = []
        self.eval_history: list[dict[str, float]] = []
        self.previews: list[tuple[int, torch.Tensor, int]] = []  # (step, images, nrow): the timeline
        self.last_checkpoint_step: int | None = None
        self.final_metrics: dict[str, float] = {}

    @property
    def epoch(self) -> float:
        return self.step * self.config.batch_size / len(self.dataset.train)

    def _emit(self, event: str) -> None:
        for callback in self.callbacks:
            callback(self, event)

    def evaluate(self, items: int | None = None, quick: bool = True) -> dict[str, float]:
        """The model's own metrics and every injected evaluator's, on the first `items` test images (of a
        large test split, at most as many as `first_rows` converts at once, and a note saying so)."""
        note = None
        if self.large_test:
            x, y, note = first_rows(self.x_test, self.y_test, self.device, items)
        else:
            x, y = self.x_test[:items], self.y_test[:items]
        self.model.refresh()
        with eval_mode(self.model):
            metrics = self.model.evaluate(x, y, quick=quick)
            for evaluator in self.evaluators:
                metrics.update(evaluator(self.model, x, y, quick=quick))
        return {**metrics, "eval_note": note} if note else metrics

    @property
    def preview(self) -> tuple[torch.Tensor, int] | None:
        """The latest preview images and their grid row length."""
        return self.previews[-1][1:] if self.previews else None

    def _update_preview(self) -> None:
        self.model.refresh()
        with eval_mode(self.model):
            images, nrow = self.model.preview(self.preview_x)
        if self.previews and self.previews[-1][0] == self.step:
            self.previews.pop()
        self.previews.append((self.step, images, nrow))
        if len(self.previews) > MAX_PREVIEWS:  # thin evenly but keep the first and the latest
            self.previews = self.previews[:-1:2] + self.previews[-1:]
        self._emit("preview")

    def save(self, metrics: dict[str, Any] | None = None) -> Path | None:
        if self.run_dir is None:
            return None
        self.model.refresh()
        with eval_mode(self.model):
            preview = self.model.preview(self.preview_x)
        checkpoints.save_run(
            self.run_dir,
            self.model,
            dataset=self.dataset.name,
            seed=self.config.seed,
            step=self.step,
            metrics={
                **(metrics or {}),
                "history": self.history,
                "eval_history": self.eval_history,
                **({"events": events} if (events := self.model.training_events()) else {}),
            },
            train_config=asdict(self.config),
            preview=preview,
            title=self.title,
            allow_bundled=self.allow_bundled,
        )
        self.last_checkpoint_step = self.step
        self._emit("checkpoint")
        return self.run_dir

    def _schedulers(
        self, optimizers: list[torch.optim.Optimizer]
    ) -> list[torch.optim.lr_scheduler.LRScheduler]:
        """One per optimizer: cosine decay from each optimizer's lr to 0 at `total_steps`, or none."""
        if self.config.lr_schedule == "constant":
            return []
        total = self.total_steps

        def cosine(step: int) -> float:
            return 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))

        return [torch.optim.lr_scheduler.LambdaLR(opt, cosine) for opt in optimizers]

    def fit(self, should_stop: Callable[[], bool] = lambda: False) -> dict[str, float]:
        """Train to `total_steps` or until `should_stop()`; returns the final metrics on the test split."""
        cfg = self.config
        optimizers = self.model.make_optimizers()
        schedulers = self._schedulers(optimizers)
        self.model.train()
        self._update_preview()
        window: dict[str, list[float]] = {}
        t_window = time.perf_counter()
        batches = self.model.batch_source(self.x_train, self.y_train, cfg.batch_size, self.generator)
        while self.step < self.total_steps and not should_stop():
            batch = batch_to(next(batches), self.device) if self.streaming else next(batches)
            metrics = self.model.train_step(batch, optimizers, cfg.grad_clip)
            self.step += 1
            for scheduler in schedulers:
                scheduler.step()
            bad = {k: v for k, v in metrics.items() if not math.isfinite(v)}
            if bad:
                name, value = next(iter(bad.items()))
                kept = (
                    f"the last good checkpoint (step {self.last_checkpoint_step}) is kept in {self.run_dir}"
                    if self.last_checkpoint_step is not None
                    else "no checkpoint was written for this run"
                )
                raise NonFiniteLossError(
                    f"{name} became {value} at step {self.step}: training stopped. Try a lower learning rate "
                    f"(now {self.model.config.lr}) or gradient clipping; {kept}."
                )
            for key, value in metrics.items():
                window.setdefault(key, []).append(value)
            if self.step % cfg.log_every == 0 or self.step == self.total_steps:
                elapsed = time.perf_counter() - t_window
                row = {k: sum(v) / len(v) for k, v in window.items()}
                n_steps = len(next(iter(window.values())))
                row.update(
                    step=self.step,
                    epoch=self.epoch,
                    images_per_s=n_steps * cfg.batch_size / max(elapsed, 1e-9),
                )
                self.history.append(row)
                window, t_window = {}, time.perf_counter()
                self._emit("log")
            if self.step % cfg.preview_every == 0:
                self._update_preview()
            if self.step % cfg.eval_every == 0 and self.step < self.total_steps:
                self.eval_history.append({"step": self.step, **self.evaluate(cfg.eval_items)})
                self._emit("eval")
            if (
                cfg.checkpoint_every
                and self.step % cfg.checkpoint_every == 0
                and self.step < self.total_steps
            ):
                self.save()
        self.final_metrics = self.evaluate(quick=not cfg.full_final_eval)
        self.eval_history.append({"step": self.step, **self.final_metrics})
        self._update_preview()
        self.save(self.final_metrics)
        self._emit("end")
        return self.final_metrics
