from __future__ import annotations

from app.pages import cards
from dul_models.data import get_dataset
from dul_models.data.gallery import class_gallery
from tests.app.conftest import no_exceptions


def test_home_shows_pages_gallery_and_device(app):
    assert app.title[0].value.startswith("🔬 DUL Explorer")
    markdown = " ".join(m.value for m in app.markdown)
    assert "4,000 training and 1,000 test images of 1×28×28" in markdown
    counts = app.dataframe[0].value
    assert counts.to_dict("records") == class_gallery(get_dataset("mnist5k"), 1)[1]
    assert counts["train"].sum() == 4000 and counts["test"].sum() == 1000
    assert "Device: **cpu**" in markdown
    assert len(app.get("image")) == 1  # the class gallery


def test_home_has_one_card_per_registered_page(app):
    links = [(link.proto.page, link.proto.label, link.proto.icon) for link in app.get("page_link")]
    assert len(links) == len(cards())  # one each: the cards sit in columns, so compare them unordered
    assert sorted(links) == sorted((spec.url_path, spec.title, spec.icon) for spec in cards())
    card_texts = {c.value for c in app.caption}
    assert all(spec.card in card_texts for spec in cards())


def test_home_follows_the_sidebar_dataset(app):
    app.sidebar.selectbox(key="dataset").set_value("digits").run()
    no_exceptions(app)
    assert "of 1×8×8 pixels" in " ".join(m.value for m in app.markdown)
    app.slider(key="home-per-class").set_value(12).run()
    no_exceptions(app)
    assert app.dataframe[0].value.to_dict("records") == class_gallery(get_dataset("digits"), 1)[1]


def test_offline_dataset_shows_a_clear_error_and_the_app_keeps_running(app, tmp_path, monkeypatch):
    monkeypatch.setenv("DUL_DATA_DIR", str(tmp_path))
    app.sidebar.selectbox(key="dataset").set_value("kmnist").run()
    no_exceptions(app)
    assert len(app.error) == 1 and "mnist5k" in app.error[0].value
    app.sidebar.selectbox(key="dataset").set_value("mnist5k").run()
    no_exceptions(app)
    assert not app.error
