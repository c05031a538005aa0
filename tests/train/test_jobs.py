from __future__ import annotations

import time

import pytest

from dul_models.core.errors import ConfigError
from dul_models.runs.checkpoints import load_run
from dul_models.train.jobs import JobManager, TrainingJob
from dul_models.train.trainer import TrainConfig

SMALL = {"base_channels": 4, "latent_dim": 4}


def test_job_runs_in_background_and_publishes_snapshot():
    job = TrainingJob(
        "autoencoder", "digits", SMALL, TrainConfig(steps=20, batch_size=32, log_every=5)
    ).start()
    snap = job.wait(120)
    assert snap.status == "done", snap.error
    assert snap.step == snap.total_steps == 20 and snap.progress == 1.0
    assert [row["step"] for row in snap.history] == [5, 10, 15, 20]
    assert snap.preview is not None and snap.eval_history and snap.elapsed_s > 0
    assert load_run(snap.run_dir).info.step == 20


def test_cancel_stops_and_keeps_what_was_trained():
    job = TrainingJob("autoencoder", "digits", SMALL, TrainConfig(steps=100_000, batch_size=16)).start()
    while job.snapshot().step < 3:
        time.sleep(0.01)
    job.cancel()
    snap = job.wait(60)
    assert snap.status == "cancelled" and 3 <= snap.step < 100_000
    assert load_run(snap.run_dir).info.step == snap.step


def test_bad_config_fails_before_the_thread():
    with pytest.raises(ConfigError, match="corruption"):
        TrainingJob("autoencoder", "digits", {"corruption": "blur"})


def test_failure_in_thread_is_reported_not_raised(monkeypatch):
    job = TrainingJob("autoencoder", "digits", SMALL, TrainConfig(steps=5, batch_size=16))

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(job.model, "train_step", boom)
    snap = job.start().wait(60)
    assert snap.status == "failed" and "kaboom" in snap.error


def test_manager_queues_jobs_on_one_device():
    manager = JobManager()
    first = manager.submit("autoencoder", "digits", SMALL, TrainConfig(steps=15, batch_size=16))
    second = manager.submit("autoencoder", "digits", SMALL, TrainConfig(steps=15, batch_size=16))
    assert manager.get(first.job_id) is first and len(manager.jobs()) == 2 and manager.get(None) is None
    a, b = first.wait(120), second.wait(120)
    assert a.status == b.status == "done"
    # the queue ran them one after the other: their running intervals do not overlap
    assert first._ended <= second._started or second._ended <= first._started


def test_snapshot_carries_the_family_training_events(tmp_path):
    """DeepCluster's rounds reach the app live, and are empty for families that keep none."""
    config = {"width": 4, "clusters": 3, "steps_per_round": 3}
    job = TrainingJob(
        "deepcluster", "digits", config, TrainConfig(steps=7, batch_size=16), run_dir=tmp_path / "dc"
    )
    snap = job.start().wait(timeout=120)
    assert snap.status == "done"
    assert [event["round"] for event in snap.events] == [0, 1, 2]
    assert {"sizes", "reseeded", "empty", "largest_share", "warning", "scores"} <= set(snap.events[0])
    plain = TrainingJob(
        "autoencoder", "digits", {}, TrainConfig(steps=2, batch_size=16), run_dir=tmp_path / "ae"
    )
    assert plain.start().wait(timeout=120).events == []


def test_a_meta_learner_trains_in_a_job(tmp_path):
    """Episodic families draw their batches from the class split: the job prepares them before its checks."""
    train = TrainConfig(steps=3, checkpoint_every=0, full_final_eval=False)
    config = {"train_way": 3, "train_queries": 2, "width": 4}
    snap = TrainingJob("protonet", "digits", config, train, run_dir=tmp_path / "run").start().wait(120)
    assert snap.status == "done", snap.error
    assert "val_acc" in load_run(tmp_path / "run").info.metrics
