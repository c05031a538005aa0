"""Training in the background: `TrainingJob` (one Trainer in a thread) and `JobManager` (all of them).

A job publishes a plain-data snapshot (step, metrics history, preview images, status, error) that the
app polls; the manager is process-wide so a job survives page switches and reruns, and jobs on one
device queue behind a lock instead of fighting for it. No streamlit in here.
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dul_models.core.devices import configure_threads, pick_device
from dul_models.core.errors import ConfigError, DULError
from dul_models.data import get_dataset
from dul_models.models import build_model, get_family
from dul_models.runs import checkpoints
from dul_models.train.callbacks import CALLBACKS, MapTimeline
from dul_models.train.evaluators import build_evaluators
from dul_models.train.trainer import TrainConfig, Trainer

JOB_STATES = ("queued", "running", "done", "cancelled", "failed")


@dataclass(frozen=True)
class JobSnapshot:
    """Everything the app shows about a job, as plain data copied under the job's lock."""

    job_id: str
    family: str
    dataset: str
    status: str
    step: int
    total_steps: int
    epoch: float
    elapsed_s: float
    device: str
    history: list[dict[str, float]] = field(default_factory=list)
    eval_history: list[dict[str, float]] = field(default_factory=list)
    previews: list[tuple[int, torch.Tensor, int]] = field(default_factory=list)  # (step, images, nrow)
    error: str | None = None
    run_dir: str | None = None
    maps: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (step, (N, 2)) when asked for
    map_labels: np.ndarray | None = None  # (N,) labels of the mapped test images
    events: list[dict[str, Any]] = field(default_factory=list)  # the family's `training_events()`

    @property
    def finished(self) -> bool:
        return self.status in ("done", "cancelled", "failed")

    @property
    def preview(self) -> tuple[torch.Tensor, int] | None:
        """The latest preview images and their grid row length."""
        return self.previews[-1][1:] if self.previews else None

    @property
    def progress(self) -> float:
        return min(1.0, self.step / max(1, self.total_steps))


class TrainingJob:
    """A Trainer in a background thread: start, poll `snapshot()`, `cancel()`, `wait()`."""

    def __init__(
        self,
        family: str,
        dataset: str,
        model_config: dict[str, Any] | None = None,
        train_config: TrainConfig | None = None,
        *,
        run_dir: Path | None = None,
        title: str = "",
        device_lock: threading.Lock | None = None,
        callbacks: Sequence[str] = (),
    ) -> None:
        self.family, self.dataset_name, self.title = family, dataset, title
        self.train_config = train_config or TrainConfig()
        self.device = pick_device(self.train_config.device)  # fail now, not in the thread
        self.train_config = replace(self.train_config, device=self.device.type)
        # validate the config in the caller's thread so a bad value is an immediate, clear error
        self.dataset = get_dataset(dataset)
        config = dict(model_config or {}, image_shape=self.dataset.image_shape)
        self.model = build_model(get_family(family).name, config, seed=self.train_config.seed)
        # a family's batch source checks the batch size against its own settings (MoCo's queue) eagerly;
        # `prepare` first, as the Trainer does: the meta-learners' batches come from the dataset's class split
        self.model.prepare(self.dataset)
        split = self.dataset.train
        self.model.batch_source(split.x, split.y, self.train_config.batch_size, torch.Generator())
        self.run_dir = run_dir or checkpoints.new_run_dir(family, dataset)
        self.job_id = uuid.uuid4().hex[:8]
        self._lock = threading.Lock()
        self._device_lock = device_lock
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._status, self._error = "queued", None
        self._started: float | None = None
        self._ended: float | None = None
        self._trainer: Trainer | None = None
        unknown = sorted(set(callbacks) - set(CALLBACKS))
        if unknown:
            raise ConfigError(f"unknown callback(s) {', '.join(unknown)}; known: {', '.join(CALLBACKS)}")
        # what the caller asked to watch besides the metrics (the self-supervised page: the map timeline)
        self._watchers = [CALLBACKS[name]() for name in callbacks]
        self._map = next((w for w in self._watchers if isinstance(w, MapTimeline)), None)
        self._snap = JobSnapshot(self.job_id, family, dataset, "queued", 0, 0, 0.0, 0.0, self.device.type)

    def start(self) -> TrainingJob:
        self._thread = threading.Thread(target=self._run, name=f"train-{self.job_id}", daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the loop to stop after the current step; it saves what it has trained."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> JobSnapshot:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.snapshot()

    def _publish(self, trainer: Trainer | None = None, event: str = "") -> None:
        with self._lock:
            t = trainer or self._trainer
            now = time.perf_counter()
            elapsed = 0.0 if self._started is None else (self._ended or now) - self._started
            self._snap = JobSnapshot(
                job_id=self.job_id,
                family=self.family,
                dataset=self.dataset_name,
                status=self._status,
                step=t.step if t else 0,
                total_steps=t.total_steps if t else 0,
                epoch=t.epoch if t else 0.0,
                elapsed_s=elapsed,
                device=self.device.type,
                history=list(t.history) if t else [],
                eval_history=list(t.eval_history) if t else [],
                previews=list(t.previews) if t else [],
                error=self._error,
                run_dir=str(self.run_dir) if t and t.last_checkpoint_step is not None else None,
                maps=list(self._map.frames) if self._map else [],
                map_labels=self._map.labels if self._map else None,
                events=self.model.training_events(),
            )

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            return self._snap

    def _run(self) -> None:
        lock = self._device_lock or threading.Lock()
        with lock:  # jobs on one device queue instead of fighting for it
            if self._cancel.is_set():
                self._status = "cancelled"
                self._publish()
                return
            self._status, self._started = "running", time.perf_counter()
            if self.device.type == "cpu":
                configure_threads()
            try:
                self._trainer = Trainer(
                    self.model,
                    self.dataset,
                    self.train_config,
                    run_dir=self.run_dir,
                    title=self.title,
                    callbacks=[*self._watchers, self._publish],
                    evaluators=build_evaluators(self.model, self.dataset, self.device),
                )
                self._trainer.fit(should_stop=self._cancel.is_set)
                self._status = "cancelled" if self._cancel.is_set() else "done"
            except DULError as exc:
                self._status, self._error = "failed", str(exc)
            except torch.OutOfMemoryError:
                self._status = "failed"
                self._error = "out of memory: lower the batch size or the model width, or train on the CPU"
            except Exception as exc:  # the thread must never die silently: show the cause
                self._status = "failed"
                self._error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
            finally:
                self._ended = time.perf_counter()
                self._publish()


class JobManager:
    """Process-wide registry of jobs (survives page switches) with one queue per device."""

    def __init__(self) -> None:
        self._jobs: dict[str, TrainingJob] = {}
        self._device_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def submit(
        self, family: str, dataset: str, model_config=None, train_config=None, **kwargs
    ) -> TrainingJob:
        job = TrainingJob(family, dataset, model_config, train_config, **kwargs)
        with self._lock:
            job._device_lock = self._device_locks.setdefault(job.device.type, threading.Lock())
            self._jobs[job.job_id] = job
        return job.start()

    def get(self, job_id: str | None) -> TrainingJob | None:
        return self._jobs.get(job_id) if job_id else None

    def jobs(self) -> list[TrainingJob]:
        return list(self._jobs.values())
