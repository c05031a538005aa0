"""The thread count a command-line batch job picks: the idle cores, or what DUL_TORCH_THREADS says."""

from __future__ import annotations

import pytest

from dul_models.core import devices


@pytest.mark.parametrize("load, expected", [(0.0, 4), (0.4, 4), (1.0, 3), (2.6, 1), (9.5, 1)])
def test_batch_jobs_take_the_idle_cores(monkeypatch, load, expected):
    monkeypatch.delenv("DUL_TORCH_THREADS", raising=False)
    monkeypatch.setattr(devices.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(devices.os, "getloadavg", lambda: (load, load, load))
    assert devices.batch_thread_count() == expected


def test_the_environment_variable_wins(monkeypatch):
    monkeypatch.setenv("DUL_TORCH_THREADS", "3")
    monkeypatch.setattr(devices.os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    assert devices.batch_thread_count() == 3
