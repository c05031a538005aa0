from __future__ import annotations

import io
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from app import state
from app.components.embedding_map import selected_rows
from dul_models.data import get_dataset
from dul_models.data.gallery import label_counts
from dul_models.features.encoders import EncoderSpec, features, list_encoders
from dul_models.metrics.probes import knn_accuracy
from dul_models.runs.checkpoints import bundled_dir, runs_dir
from tests.app.conftest import no_exceptions, select_rows, selection_table, texts

PAGE = "app_pages/embeddings/page.py"


def chart_json(at, index: int) -> str:
    """The chart's Plotly JSON with its text readable (the proto escapes non-ASCII characters)."""
    return json.dumps(json.loads(at.get("plotly_chart")[index].proto.spec), ensure_ascii=False)


def test_opens_on_two_linked_maps_neighbours_and_exports(page):
    assert page.title[0].value.startswith("🗺️")
    assert page.selectbox(key="emb-a").value == EncoderSpec(
        "run", str(bundled_dir() / "semisup-mnist5k-fixmatch-10")
    )
    assert [h.value for h in page.header] == [
        "Maps",
        "Nearest neighbours",
        "How good is each encoder?",
        "Export",
    ]
    assert len(page.get("plotly_chart")) == 2 and not page.error
    assert "576-D → 2-D by PCA, 1,000 test images" in chart_json(page, 0)
    assert "Draw a box or a lasso" in texts(page)  # no selection yet: an invitation, not an error
    assert "cosine similarity:" in texts(page)  # test image 0's neighbours
    names = sorted(b.label for b in page.get("download_button") if b.label.startswith("⬇ mnist5k-run"))
    assert names == [
        "⬇ mnist5k-run-metadata.tsv",
        "⬇ mnist5k-run.csv",
        "⬇ mnist5k-run.npz",
        "⬇ mnist5k-run.tsv",
    ]


def test_a_selection_shows_its_images_counts_and_is_linked_to_the_other_map(page):
    labels = get_dataset("mnist5k").test.y.numpy()
    rows = [2, 3, 5, 7, 11, 13]
    select_rows(page, "emb-map-a", rows)
    expected = label_counts(labels[rows], get_dataset("mnist5k").class_names)
    assert selection_table(page)["count"].tolist() == [r["count"] for r in expected]
    assert "6 selected (first 6 shown)" in texts(page)
    assert "selected on the other map" in chart_json(page, 1)  # the second map marks the same images
    assert page.number_input(key="emb-query").value == 2  # the selection's first image is the query
    buttons = [b.label for b in page.get("download_button")]
    assert "⬇ Selection CSV (index, label, coordinates, encoder)" in buttons  # says which encoder placed them


def test_above_the_live_link_limit_the_other_map_is_marked_on_request(page, monkeypatch):
    monkeypatch.setattr("app.components.embedding_map.LINK_LIVE_UP_TO", 500)  # 1,000 test images: "large"
    page.run()
    rows = [2, 3, 5, 7, 11, 13]
    select_rows(page, "emb-map-a", rows)
    assert "6 selected (first 6 shown)" in texts(page)  # the gallery comes without the other map's redraw
    assert "selected on the other map" not in chart_json(page, 1)
    page.toggle(key="emb-link-big").set_value(True).run()
    assert "selected on the other map" in chart_json(page, 1)
    assert "6 selected (first 6 shown)" in texts(page) and not page.error


def test_projection_dimensions_and_colourings(page):
    page.radio(key="emb-method").set_value("tsne").run()
    no_exceptions(page)
    assert "2-D by t-SNE" in chart_json(page, 0)
    page.selectbox(key="emb-colour").set_value("kNN error").run()
    assert "neighbours vote another label" in chart_json(page, 0)
    page.selectbox(key="emb-colour").set_value("k-means cluster").run()
    assert "k-means (k = 10)" in chart_json(page, 0)
    page.radio(key="emb-method").set_value("pca").run()
    page.radio(key="emb-dims").set_value(3).run()
    no_exceptions(page)
    assert '"scatter3d"' in chart_json(page, 0) and "Drag to rotate" in texts(page)
    page.toggle(key="emb-compare").set_value(False).run()
    assert len([c for c in page.get("plotly_chart")]) == 1 and not page.error


def test_probe_table_lists_every_encoder_with_library_numbers(page):
    page.button(key="emb-probe").click().run()
    no_exceptions(page)
    (table,) = [d.value for d in page.dataframe if "knn_acc" in d.value.columns]
    assert table["encoder"].tolist()[:3] == ["raw pixels", "PCA-50 of pixels", "random backbone (seed 0)"]
    assert len(table) == len(list_encoders("mnist5k")) >= 8  # 3 baselines, 5 bundled runs, any of yours
    assert table["knn_acc"].between(0.0, 1.0).all()
    classifier = table[table["encoder"].str.startswith("CNN classifier")].iloc[0]
    assert classifier["knn_acc"] > table.loc[0, "knn_acc"]  # trained with labels: beats raw pixels
    data = get_dataset("mnist5k")
    train, test = (features(EncoderSpec("pixels"), data, split) for split in ("train", "test"))
    expected = knn_accuracy(train, data.train.y.numpy(), test, data.test.y.numpy(), k=20)
    assert table.loc[0, "knn_acc"] == pytest.approx(expected)
    assert len(page.get("plotly_chart")) == 3  # the two maps and the probe chart


@pytest.mark.parametrize("good", [False, True])
def test_uploads_find_neighbours_and_a_place_on_the_map(page, good):
    buffer = io.BytesIO()
    Image.new("L", (28, 28), 0).save(buffer, format="PNG")
    content = buffer.getvalue() if good else b"not an image"
    uploader = next(u for u in page.get("file_uploader") if u.label.startswith("…or upload"))
    uploader.upload("x.png", content, "image/png").run()
    no_exceptions(page)
    assert any("Using the chosen image instead" in e.value for e in page.error) != good
    assert ("your image" in texts(page)) == good
    charts = page.get("plotly_chart")
    assert (len(charts) == 3) == good and (not good or "Your image on the first map" in chart_json(page, 2))


def test_a_broken_run_gets_one_error_and_the_page_keeps_working(page):
    broken = runs_dir() / "autoencoder-mnist5k-broken"
    shutil.copytree(bundled_dir() / "autoencoder-mnist5k-plain", broken, dirs_exist_ok=True)
    (broken / "model.safetensors").write_bytes(b"\0" * 64)  # truncated weights
    config = json.loads((broken / "config.json").read_text())
    (broken / "config.json").write_text(json.dumps({**config, "title": "Broken AE"}))
    try:
        page.run()
        page.selectbox(key="emb-a").set_value(EncoderSpec("run", str(broken))).run()
        no_exceptions(page)
        assert any("Broken AE" in e.value and "corrupt" in e.value for e in page.error)
        assert len(page.get("plotly_chart")) == 1  # the second map is still drawn
        page.selectbox(key="emb-a").set_value(EncoderSpec("pixels")).run()
        no_exceptions(page)
        assert not page.error
    finally:
        shutil.rmtree(broken)


def test_images_choice_drives_maps_gallery_neighbours_and_export(page):
    """digits: the training split, then all images (train then test); everything follows the choice."""
    page.sidebar.selectbox(key=state.DATASET).set_value("digits").run()
    page.selectbox(key="emb-a").set_value(EncoderSpec("pixels")).run()
    data = get_dataset("digits")
    every = len(data.train) + len(data.test)
    page.radio(key="emb-split").set_value("train").run()
    no_exceptions(page)
    assert f"{len(data.train):,} training images" in chart_json(page, 0) and not page.error
    page.radio(key="emb-split").set_value("all").run()
    no_exceptions(page)
    assert f"2-D by PCA, {every:,} images" in chart_json(page, 0)
    rows = [0, len(data.train) + 1]  # a training image and a test image
    select_rows(page, "emb-map-a", rows)
    labels = np.concatenate([data.train.y.numpy(), data.test.y.numpy()])
    expected = label_counts(labels[rows], data.class_names)
    assert selection_table(page)["count"].tolist() == [r["count"] for r in expected]
    assert "2 selected (first 2 shown)" in texts(page)
    assert page.number_input(key="emb-query").value == 0
    assert f"{every:,} images × 64 dimensions" in texts(page)  # the export follows the images too
    assert "⬇ digits-all-pixels.npz" in [b.label for b in page.get("download_button")]
    page.selectbox(key="emb-colour").set_value("kNN error").run()
    no_exceptions(page)
    assert "neighbours vote another label" in chart_json(page, 0)
    page.radio(key="emb-split").set_value("test").run()  # back to fewer images: the old selection is dropped
    no_exceptions(page)
    assert f"{len(data.test):,} test images" in chart_json(page, 0) and not page.error


def test_a_selection_of_zero_points_says_so(page):
    page.session_state["emb-map-a"] = {
        "selection": {"points": [], "point_indices": [], "box": [{"x": [0, 1], "y": [0, 1]}], "lasso": []}
    }
    page.run()
    no_exceptions(page)
    assert "Your selection holds no points" in texts(page) and not page.error


def test_tsne_of_too_many_points_warns_with_the_time_and_offers_umap(page, monkeypatch):
    monkeypatch.setattr(
        "dul_models.features.projections.TSNE_CPU_LIMIT", 500
    )  # mnist5k's 1,000 test images: too many
    page.radio(key="emb-method").set_value("tsne").run()
    no_exceptions(page)
    (warning,) = [w.value for w in page.warning if "t-SNE of 1,000 points" in w.value]
    assert "min" in warning and "UMAP" in warning
    assert page.button(key="emb-use-umap").label == "Use UMAP instead"
    assert not page.get("plotly_chart")  # no maps drawn; the rest of the page still works
    assert "cosine similarity:" in texts(page)


def test_selected_rows_reads_every_form_of_custom_data():
    """A browser sends a typed-array row as {"0": row}; AppTest and older charts send lists."""
    points = [
        {"customdata": {"0": 5}},
        {"customdata": [3, "label 1"]},
        {"customdata": 9},
        {"customdata": [5]},
    ]
    assert selected_rows({"selection": {"points": points}}, n=9) == [3, 5]  # row 9 is past this map's end
    assert selected_rows(None, n=9) == [] and selected_rows({"selection": None}, n=9) == []
