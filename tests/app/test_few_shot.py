from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path

import pytest
from PIL import Image

from app import state
from dul_models.data import get_dataset
from dul_models.data.episodes import episode_pool, sample_episodes
from dul_models.features.encoders import EncoderSpec
from dul_models.features.few_shot import answer_episode, make_solver
from dul_models.models import build_model
from dul_models.runs import checkpoints
from tests.app.conftest import charts, metrics, no_exceptions, texts

PAGE = "app_pages/few_shot/page.py"
KEY = "few_shot"  # the page's key in app.state
HEADERS = [
    "Episode builder",
    "Play it yourself",
    "See the decision",
    "MAML: adaptation, step by step",
    "Benchmark: every method on the same episodes",
    "Train live",
]


def on_digits(at) -> None:
    """scikit-learn's 8×8 digits: novel classes 5–9 (five), every answer instant."""
    at.sidebar.selectbox(key=state.DATASET).set_value("digits").run()
    no_exceptions(at)
    at.selectbox(key="fs-encoder").set_value(EncoderSpec("pixels")).run()  # whatever runs exist
    no_exceptions(at)


@pytest.fixture(scope="module")
def maml_run():
    """A tiny untrained MAML run on digits in the tests' runs folder (the page only needs its weights)."""
    model = build_model("maml", {"image_shape": (1, 8, 8), "width": 4, "eval_inner_steps": 3}, seed=0)
    path = Path(os.environ["DUL_RUNS_DIR"]) / "maml-digits-page-test"
    checkpoints.save_run(path, model, dataset="digits", seed=0, step=0, title="tiny MAML")
    yield str(path)
    shutil.rmtree(path, ignore_errors=True)


def test_opens_on_a_seeded_answered_episode(page):
    assert page.title[0].value.startswith("🎯") and [h.value for h in page.header] == HEADERS
    assert not page.error
    shown = metrics(page)
    assert shown["Episode"] == "5-way 1-shot" and shown["Accuracy on this episode"].endswith("%")
    assert "regions in the episode's plane" in charts(page) and "Query × prototype distances" in charts(page)
    assert "pick **glyphs** in the sidebar" in texts(page)


def test_answer_matches_the_library_and_follows_n_and_k(page):
    on_digits(page)
    page.number_input(key="fs-way").set_value(3).run()
    page.slider(key="fs-shot").set_value(2).run()
    no_exceptions(page)
    data = get_dataset("digits")
    pool = episode_pool(data, "novel")
    expected = answer_episode(
        make_solver(EncoderSpec("pixels"), data), sample_episodes(pool.y, pool.classes, 3, 2, 2, seed=0)
    )
    shown = metrics(page)
    assert shown["Episode"] == "3-way 2-shot" and shown["Accuracy on this episode"] == f"{expected.acc:.0%}"


def test_a_bad_n_shows_one_error_and_the_page_stays_usable(page):
    on_digits(page)
    page.number_input(key="fs-way").set_value(6).run()
    no_exceptions(page)
    assert len(page.error) == 1 and "N = 6 ways, but this pool has only 5 classes" in page.error[0].value
    assert "Build a valid episode above" in texts(page)
    page.number_input(key="fs-way").set_value(4).run()
    no_exceptions(page)
    assert not page.error and metrics(page)["Episode"] == "4-way 1-shot"


def test_play_then_both_scores_side_by_side(page):
    on_digits(page)
    radios = [r for r in page.radio if r.key and r.key.startswith("fs-play-")]
    assert len(radios) == 10  # 5 classes × 2 queries
    for radio in radios:
        radio.set_value(0)  # "class 1" for every query: right for its 2 queries only
    next(b for b in page.button if b.label == "Submit my answers").click().run()
    no_exceptions(page)
    shown = metrics(page)
    assert shown["Your accuracy"] == "20%" and "Model's accuracy (ProtoNet)" in shown
    assert "Wrong (you)" in texts(page)


def picks(at) -> list:
    """The support checkboxes, class after class (8 candidates each)."""
    return [c for c in at.checkbox if c.key and c.key.startswith("fs-pick-")]


def test_hand_picked_supports_survive_and_bad_picks_are_one_error(page):
    on_digits(page)
    page.radio(key="fs-mode").set_value("Hand-pick the supports").run()
    no_exceptions(page)
    assert [c.value for c in picks(page)] == ([True] + [False] * 7) * 5  # opens valid: 1 per class
    assert not page.error and metrics(page)["Episode"] == "5-way 1-shot"
    picks(page)[0].uncheck().run()
    no_exceptions(page)
    assert len(page.error) == 1 and "class 1 of the episode has no support image" in page.error[0].value
    page.radio(key="fs-mode").set_value("Draw at random").run()  # the checkboxes are not drawn now
    page.radio(key="fs-mode").set_value("Hand-pick the supports").run()
    no_exceptions(page)
    assert len(page.error) == 1 and not picks(page)[0].value  # kept in app.state, not reset by Streamlit
    picks(page)[1].check().run()
    no_exceptions(page)
    assert not page.error and "Play it yourself" in [h.value for h in page.header]
    picks(page)[2].check().run()
    assert len(page.error) == 1 and "same number of support images for every class" in page.error[0].value


@pytest.mark.parametrize("good", [False, True])
def test_uploaded_query(page, good):
    on_digits(page)
    buffer = io.BytesIO()
    Image.new("L", (8, 8), 0).save(buffer, format="PNG")
    page.get("file_uploader")[0].upload("q.png", buffer.getvalue() if good else b"no", "image/png").run()
    no_exceptions(page)
    assert (len(page.error) == 1) != good and metrics(page)["Episode"] == "5-way 1-shot"
    assert ("Where the solver puts your image" in charts(page)) == good


def test_maml_steps_and_the_benchmark_with_maml(page, maml_run):
    on_digits(page)
    page.session_state[state.run_key(KEY, "maml")] = maml_run
    page.run()
    no_exceptions(page)
    assert "tiny MAML" in texts(page) and "second-order MAML" in texts(page)
    page.slider(key="fs-maml-step").set_value(3).run()
    no_exceptions(page)
    assert {"Support loss", "Query accuracy"} <= set(metrics(page))
    assert "MAML after 3 inner steps" in charts(page) and "inner gradient step" in charts(page)
    page.button(key="fs-other-variant").click().run()
    assert page.selectbox(key="fs-family").value == "maml" and page.checkbox(key="fs-first-order").value
    page.number_input(key="fs-bench-episodes").set_value(20).run()
    page.button(key="fs-bench-run").click().run()
    no_exceptions(page)
    (table,) = [d.value for d in page.dataframe]
    assert (
        len(table) == 5
        and list(table["episodes"]) == [20] * 5
        and table["method"].iloc[-1].startswith("MAML")
    )
    assert any(b.label == "⬇ Benchmark table CSV" for b in page.get("download_button"))
    page.slider(key="fs-maml-step").set_value(0).run()  # the table stays after another rerun
    assert len(page.dataframe) == 1 and not page.error


def test_meta_training_live_offers_the_run_as_the_encoder(page):
    """ProtoNet meta-trained in the shared panel; "Show this run" makes it the page's encoder (a selectbox
    that also offers the baselines, so not conftest's train_until_saved, which expects a sidebar picker)."""
    on_digits(page)
    page.number_input(key="fs-train-steps").set_value(10).run()
    page.select_slider(key="fs-train-width").set_value(4).run()
    page.button(key=state.train_button_key(KEY, "start")).click().run()
    deadline = time.time() + 120
    while time.time() < deadline and not any(s.value.startswith("Saved run") for s in page.success):
        time.sleep(0.5)
        page.run()
        no_exceptions(page)
    assert "val_acc" in charts(page)  # the validation-episode accuracy, the panel's evaluation chart
    use = next(b.key for b in page.button if b.key and b.key.startswith(state.train_button_key(KEY, "use-")))
    page.button(key=use).click().run()
    no_exceptions(page)
    chosen = page.selectbox(key="fs-encoder").value
    assert chosen.kind == "run" and chosen.run.startswith(os.environ["DUL_RUNS_DIR"])
    assert page.selectbox(key="fs-method").value == "protonet" and not page.error
