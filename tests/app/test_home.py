from __future__ import annotations

from tests.app.conftest import no_exceptions


def test_home_shows_pages_gallery_and_device(app):
    assert app.title[0].value.startswith("🔬 DUL Explorer")
    markdown = " ".join(m.value for m in app.markdown)
    assert "4,000 training and 1,000 test images of 1×28×28" in markdown
    counts = app.dataframe[0].value
    assert list(counts["class"]) == [str(d) for d in range(10)] and counts["train"].sum() == 4000
    assert "Device: **cpu**" in markdown
    assert len(app.get("image")) >= 1 and len(app.get("page_link")) >= 1


def test_home_follows_the_sidebar_dataset(app):
    app.sidebar.selectbox(key="dataset").set_value("digits").run()
    no_exceptions(app)
    assert "of 1×8×8 pixels" in " ".join(m.value for m in app.markdown)
    app.slider(key="home-per-class").set_value(12).run()
    no_exceptions(app)


def test_offline_dataset_shows_a_clear_error_and_the_app_keeps_running(app, tmp_path, monkeypatch):
    monkeypatch.setenv("DUL_DATA_DIR", str(tmp_path))
    app.sidebar.selectbox(key="dataset").set_value("kmnist").run()
    no_exceptions(app)
    assert "mnist5k" in app.error[0].value
    app.sidebar.selectbox(key="dataset").set_value("mnist5k").run()
    no_exceptions(app)
    assert not app.error
