from __future__ import annotations

import math

import pytest

from dul_models.runs.checkpoints import list_runs
from tests.app.conftest import no_exceptions, texts, train_until_saved

PAGE = "app_pages/self_supervised/page.py"


def test_views_follow_the_strength_sliders(page):
    assert page.title[0].value.startswith("🔁")
    headers = [h.value for h in page.header]
    assert headers[:2] == ["Two views of one image", "The InfoNCE game"] and headers[-1] == "Train live"
    before = page.get("imgs")[0].proto.imgs[0].url if page.get("imgs") else None
    page.slider(key="ssl-aug-rotation").set_value(90.0).run()
    no_exceptions(page)
    assert "slant" in texts(page)
    page.slider(key="ssl-aug-crop_scale").set_value(
        0.05
    ).run()  # below the slider's range: refused by streamlit
    assert before is None or page.get("imgs")


@pytest.mark.skipif(not list_runs(family="simclr", dataset="mnist5k"), reason="no bundled SimCLR run")
def test_infonce_game_shows_the_loss_of_the_chosen_anchor(page):
    assert not page.error
    (metric,) = [m for m in page.metric if m.label.startswith("Loss of anchor")]
    sharp = float(metric.value.split()[0])
    page.slider(key="ssl-game-t").set_value(2.0).run()
    (metric,) = [m for m in page.metric if m.label.startswith("Loss of anchor")]
    flat = float(metric.value.split()[0])
    batch = page.slider(key="ssl-game-batch").value
    assert flat == pytest.approx(math.log(batch), rel=0.2)  # a high temperature ≈ chance: ln B
    assert sharp < flat  # a trained run at its own τ does better than chance


def test_train_live_simclr_saves_a_run_with_a_map_timeline(page):
    page.selectbox(key="ssl-family").set_value("simclr").run()
    page.number_input(key="ssl-steps").set_value(20).run()
    page.select_slider(key="ssl-width").set_value(8).run()
    page.select_slider(key="ssl-batch").set_value(64).run()
    saved = train_until_saved(page, "self_supervised")
    assert "simclr" in saved
    no_exceptions(page)
    charts = " ".join(c.proto.spec for c in page.get("plotly_chart"))
    assert "test images in the features at step" in charts  # the map organising itself
    assert "Collapse check" in charts and "Alignment and uniformity" in charts
    (timeline,) = [s for s in page.select_slider if s.label == "Map timeline: step"]
    assert timeline.options[0] == "0" and len(timeline.options) >= 2


def test_break_it_preset_and_bad_queue_are_explained(page):
    page.selectbox(key="ssl-family").set_value("moco").run()
    page.select_slider(key="ssl-batch").set_value(128).run()
    page.number_input(key="ssl-train-k").set_value(1000).run()  # not a multiple of 128
    page.button(key="train::self_supervised::start").click().run()
    no_exceptions(page)
    assert any("queue_size 1000 is not a multiple of batch_size 128" in e.value for e in page.error)
    page.selectbox(key="ssl-family").set_value("simclr").run()
    page.selectbox(key="ssl-preset").set_value("break it: temperature 5").run()
    assert page.slider(key="ssl-train-t").value == 0.2  # the preset overrides it when the run starts
    no_exceptions(page)
