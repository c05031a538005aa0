"""The one cache decorator: entries keyed by the runs the arguments name and by the data set's version."""

from __future__ import annotations

import os

from app.resources import cache
from app.resources.cache import cached


def test_a_retrained_run_and_a_reimported_set_get_fresh_entries(tmp_path, monkeypatch):
    calls = []

    @cached(show_spinner=False)
    def count(run: str, dataset_name: str) -> int:
        calls.append((run, dataset_name))
        return len(calls)

    run = tmp_path / "run"
    run.mkdir()
    (run / "model.safetensors").write_bytes(b"weights")
    versions = {"mine": "v1"}
    monkeypatch.setattr(cache, "dataset_version", lambda name: versions[name])

    assert count(str(run), "mine") == 1
    assert count(str(run), "mine") == 1  # same run, same set: from the cache
    os.utime(run / "model.safetensors", (1, 1))  # the run retrained in place
    assert count(str(run), "mine") == 2
    versions["mine"] = "v2"  # the set removed and imported again under its name
    assert count(str(run), "mine") == 3
    assert count(str(run), "mine") == 3
