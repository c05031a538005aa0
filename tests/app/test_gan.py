from __future__ import annotations

import json
from pathlib import Path

from tests.app.conftest import chosen_run, no_exceptions, train_until_saved

PAGE = "app_pages/gan/page.py"


def test_opens_on_bundled_run_with_results(page):
    assert page.title[0].value.startswith("🎭")
    assert chosen_run(page, "gan").endswith("dcgan-mnist5k")
    captions = " ".join(c.value for c in page.caption)
    assert "FID (classifier features)" in captions and "classifier-mnist5k" in captions
    assert "Inception weights cannot be fetched offline" in page.markdown[0].value
    headers = [h.value for h in page.header]
    assert headers[:5] == [
        "Sample",
        "Latent interpolation",
        "Is it copying?",
        "Class histogram of samples",
        "Train live",
    ]
    assert len(page.get("plotly_chart")) == 1
    assert "nats vs log 10" in captions


def test_controls_rerender_without_errors(page):
    before = page.number_input(key="gan-seed").value
    page.button[0].click().run()  # 🎲 Regenerate: the next seed
    assert page.number_input(key="gan-seed").value == before + 1
    page.slider(key="gan-temp").set_value(0.5).run()
    page.slider(key="gan-count").set_value(16).run()
    page.number_input(key="gan-to").set_value(15).run()
    page.slider(key="gan-steps").set_value(6).run()
    page.number_input(key="gan-pick").set_value(3).run()
    page.select_slider(key="gan-hist-n").set_value(200).run()
    no_exceptions(page)
    captions = " ".join(c.value for c in page.caption)
    assert "16 samples" in captions and "T = 0.5" in captions and "from sample 0 to sample 15" in captions
    assert "Predicted classes of 200 samples" in page.get("plotly_chart")[0].proto.spec
    page.slider(key="gan-count").set_value(8).run()  # shrinking the batch resets out-of-range picks
    no_exceptions(page)
    assert page.number_input(key="gan-to").value == 0


def test_train_live_start_poll_finish(page):
    page.select_slider(key="tr-gan-steps").set_value(100).run()
    page.select_slider(key="tr-gan-eval").set_value(50).run()
    page.select_slider(key="tr-gan-width").set_value(8).run()
    page.selectbox(key="tr-gan-loss").set_value("hinge").run()
    page.slider(key="tr-gan-dsteps").set_value(2).run()
    page.selectbox(key="tr-gan-up").set_value("nearest").run()
    page.checkbox(key="tr-gan-ema").check().run()
    page.checkbox(key="tr-gan-aug").check().run()
    page.select_slider(key="tr-gan-r1").set_value(1.0).run()
    page.select_slider(key="tr-gan-depth").set_value(1).run()
    run = train_until_saved(page, "gan", timeout_s=120)
    config = json.loads((Path(run) / "config.json").read_text())["config"]
    assert (config["upsampling"], config["ema_decay"], config["diff_augment"]) == ("nearest", 0.999, True)
    assert (config["r1_gamma"], config["depth"]) == (1.0, 1)
    assert any(s.label.startswith("Timeline") for s in page.select_slider)
    assert "hinge loss" in " ".join(c.value for c in page.caption)


def test_conditional_run_draws_the_chosen_class(page):
    page.select_slider(key="tr-gan-steps").set_value(100).run()
    page.select_slider(key="tr-gan-eval").set_value(50).run()
    page.select_slider(key="tr-gan-width").set_value(8).run()
    page.checkbox(key="tr-gan-cond").check().run()
    run = train_until_saved(page, "gan", timeout_s=120)
    assert json.loads((Path(run) / "config.json").read_text())["config"]["num_classes"] == 10
    captions = " ".join(c.value for c in page.caption)
    assert "one class per column" in captions
    assert "label accuracy" in " ".join(m.value for m in page.markdown)
    page.selectbox(key="gan-class").set_value("7").run()
    no_exceptions(page)
    assert "class 7" in " ".join(c.value for c in page.caption)
