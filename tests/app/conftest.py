from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import state

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


def select_rows(at: AppTest, chart_key: str, rows: list[int]) -> None:
    """Put a box/lasso selection of these global rows on a map, as the browser would, and rerun."""
    points = [{"customdata": [r, "?"]} for r in rows]
    at.session_state[chart_key] = {
        "selection": {"points": points, "point_indices": [], "box": [], "lasso": []}
    }
    at.run()
    no_exceptions(at)


def selection_table(at: AppTest):
    """The embedding map's "label, count, share" table of the selection (the page's only such table)."""
    (table,) = [d.value for d in at.dataframe if list(d.value.columns) == ["label", "count", "share"]]
    return table


def chosen_run(at: AppTest, page: str, role: str = "main") -> str:
    """The run folder chosen for `role` on `page` (app.state's key), checked against its sidebar picker."""
    chosen = at.session_state[state.run_key(page, role)]
    assert at.sidebar.selectbox(key=state.run_widget_key(page, role)).value == chosen
    return chosen


def train_until_saved(at: AppTest, page: str, timeout_s: float = 150) -> str:
    """Press Start, rerun as the panel's fragment would until the run is saved, open it; return its path."""
    at.button(key=state.train_button_key(page, "start")).click().run()
    no_exceptions(at)
    deadline = time.time() + timeout_s
    while time.time() < deadline and not any(s.value.startswith("Saved run") for s in at.success):
        time.sleep(0.5)
        at.run()
        no_exceptions(at)
    saved = [s.value for s in at.success if s.value.startswith("Saved run")]
    assert saved, "the job did not finish in time"
    use = next(b.key for b in at.button if b.key and b.key.startswith(state.train_button_key(page, "use-")))
    at.button(key=use).click().run()
    no_exceptions(at)
    chosen = chosen_run(at, page)
    assert chosen.startswith(os.environ["DUL_RUNS_DIR"])  # the user's new run, not a bundled one
    assert f"`{chosen}`" in saved[0]  # the run the panel saved is the one the page now shows
    return chosen


def texts(at: AppTest) -> str:
    """Every caption, markdown, error, info and warning on the page, as one string to search."""
    return " ".join(str(e.value) for e in [*at.caption, *at.markdown, *at.error, *at.info, *at.warning])


def charts(at: AppTest) -> str:
    """Every Plotly chart's JSON, its text readable (the proto escapes non-ASCII characters)."""
    return " ".join(json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in at.get("plotly_chart"))


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}
