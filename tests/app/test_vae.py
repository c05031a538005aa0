from __future__ import annotations

import io

import pytest
from PIL import Image

from dul_models.data import get_dataset
from dul_models.data.gallery import label_counts
from tests.app.conftest import chosen_run, no_exceptions, selection_table, train_until_saved

PAGE = "app_pages/vae/page.py"


def text_of(at) -> str:
    parts = [c.value for c in at.caption] + [m.value for m in at.markdown] + [e.value for e in at.error]
    return " ".join(str(p) for p in parts)


def test_opens_on_the_bundled_z16_run_with_every_section(page):
    assert page.title[0].value.startswith("🌀")
    assert chosen_run(page, "vae").endswith("vae-mnist5k-z16")
    captions = text_of(page)
    assert "IWAE, k = 1000" in captions and "dynamic, fixed seed 0" in captions
    assert [t.label for t in page.tabs] == [
        "Traversals",
        "Latent map",
        "Interpolation",
        "Samples",
        "ELBO anatomy",
        "Disentanglement",
    ]
    assert "Rows (KL nats): z" in captions  # the traversal grid
    assert "decoded on the server in" in captions  # the live sliders
    assert "inverse normal CDF" in captions  # the z2 run's manifold on the latent-map tab
    assert len(page.get("plotly_chart")) >= 3  # map, anatomy, KL bars
    migs = [m for m in page.metric if "MIG" in m.label]
    assert len(migs) == 2 and all(0.0 <= float(m.value) <= 1.0 for m in migs)
    assert not page.error


def test_controls_and_bad_input_give_clear_messages(page):
    page.number_input(key="vae-index").set_value(7).run()
    page.slider(key="vae-steps").set_value(5).run()
    page.slider(key="vae-temp").set_value(0.5).run()
    page.number_input(key="vae-to").set_value(20).run()
    no_exceptions(page)
    assert "test image 0 → 20" in text_of(page)
    live = [s for s in page.slider if s.key and s.key.startswith("vae-live-")]
    assert len(live) == 16
    live[0].set_value(2.5).run()
    no_exceptions(page)

    # a selection as plotly sends it: the same point twice (it lies in a box and a lasso) counts once
    points = [{"customdata": [3, "label 5"]}, {"customdata": [10, "label 0"]}, {"customdata": [3, "label 5"]}]
    page.session_state["vae-map"] = {
        "selection": {"points": points, "point_indices": [], "box": [], "lasso": []}
    }
    page.run()
    assert "2 selected (first 2 shown)" in text_of(page)
    expected = label_counts(get_dataset("mnist5k").test.y[[3, 10]], [str(d) for d in range(10)])
    assert selection_table(page).to_dict("records") == expected

    page.text_input(key="vae-dims").input("3, 99").run()
    assert any("out of range" in e.value and "0…15" in e.value for e in page.error)
    page.text_input(key="vae-dims").input("two").run()
    assert any("whole number" in e.value for e in page.error)
    page.text_input(key="vae-dims").input("3, 1").run()
    page.number_input(key="vae-span").set_value(8.0).run()
    assert any("traversal range" in e.value for e in page.error)
    page.number_input(key="vae-span").set_value(2.0).run()
    assert not page.error
    no_exceptions(page)


@pytest.mark.parametrize("good", [False, True])
def test_upload_good_and_bad_files(page, good):
    buffer = io.BytesIO()
    Image.new("L", (40, 40), 255).save(buffer, format="PNG")  # ink on paper: inverted to MNIST style
    content = buffer.getvalue() if good else b"not an image"
    uploader = page.get("file_uploader")[0]
    assert uploader.label.startswith("…or upload")
    uploader.upload("x.png", content, "image/png").run()
    no_exceptions(page)
    bad_file = any("Using test image" in e.value for e in page.error)
    assert bad_file != good
    assert "Rows (KL nats): z" in text_of(page)  # the traversal is drawn either way


def test_train_live_start_poll_finish(page):
    page.sidebar.selectbox(key="dataset").set_value("digits").run()  # no VAE run on digits yet
    assert any("No VAE has been trained on digits" in i.value for i in page.info)
    page.slider(key="vae-tr-epochs").set_value(2).run()
    page.select_slider(key="vae-tr-latent").set_value(4).run()
    train_until_saved(page, "vae", timeout_s=90)
    assert "latent size 4" in text_of(page)
