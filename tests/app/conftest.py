from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.run()
    no_exceptions(at)
    return at


@pytest.fixture
def page(app: AppTest, request: pytest.FixtureRequest) -> AppTest:
    """The app switched to the page named by the test module's `PAGE`, rendered without exceptions."""
    app.switch_page(request.module.PAGE).run()
    no_exceptions(app)
    return app


def train_until_saved(at: AppTest, family: str, timeout_s: float = 150) -> str:
    """Press Start, rerun as the panel's fragment would until the run is saved, open it; return its path."""
    at.button(key=f"start-{family}").click().run()
    no_exceptions(at)
    deadline = time.time() + timeout_s
    while time.time() < deadline and not any(s.value.startswith("Saved run") for s in at.success):
        time.sleep(0.5)
        at.run()
        no_exceptions(at)
    assert any(s.value.startswith("Saved run") for s in at.success), "the job did not finish in time"
    use = next(b.key for b in at.button if b.key and b.key.startswith(f"use-{family}"))
    at.button(key=use).click().run()
    no_exceptions(at)
    chosen = at.sidebar.selectbox(key=f"run::{family}::main").value
    assert chosen.startswith(os.environ["DUL_RUNS_DIR"])  # the user's new run, not a bundled one
    return chosen
