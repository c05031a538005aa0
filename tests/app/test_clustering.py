from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app import state
from dul_models.data import get_dataset
from dul_models.features.clustering import clustering_report
from dul_models.features.encoders import EncoderSpec, features, list_encoders
from dul_models.runs.checkpoints import bundled_dir, list_runs, runs_dir
from tests.app.conftest import charts, metrics, no_exceptions, select_rows, texts, train_until_saved

PAGE = "app_pages/clustering/page.py"
SIMCLR = bundled_dir() / "simclr-mnist5k"


def on_digits(at) -> None:
    """The sidebar's dataset set to scikit-learn's 360 test digits: every computation takes a moment."""
    at.sidebar.selectbox(key=state.DATASET).set_value("digits").run()
    # raw pixels, whatever runs on digits other tests have left in the session's runs folder
    at.selectbox(key="clu-encoder").set_value(EncoderSpec("pixels")).run()
    no_exceptions(at)


@pytest.mark.skipif(not SIMCLR.is_dir(), reason="no bundled SimCLR run")
def test_opens_on_kmeans_of_simclr_with_the_library_scores(page):
    assert page.title[0].value.startswith("🧮")
    assert [h.value for h in page.header] == [
        "Cluster the features",
        "How many clusters?",
        "Look at the clusters",
        "Which encoder clusters best?",
        "Deep clustering: DeepCluster's rounds",
        "Train live",
    ]
    assert page.selectbox(key="clu-encoder").value == EncoderSpec("run", str(SIMCLR)) and not page.error
    data = get_dataset("mnist5k")
    _, row = clustering_report(features(EncoderSpec("run", str(SIMCLR)), data, "test"), data.test.y.numpy())
    shown = metrics(page)
    assert {"ACC", "NMI", "ARI", "Silhouette", "Inertia"} <= set(shown) and "BIC" not in shown
    assert float(shown["ACC"]) == pytest.approx(row["acc"], abs=1e-3)
    assert float(shown["NMI"]) == pytest.approx(row["nmi"], abs=1e-3) and shown["Clusters found"] == "10"
    assert any(b.label.startswith("⬇ Cluster assignments CSV") for b in page.get("download_button"))
    assert "Clusters × labels (counts of images)" in charts(page) and "PCA of the 576-D features" in charts(
        page
    )
    if not list_runs(family="deepcluster", dataset="mnist5k"):
        assert any("No DeepCluster run on mnist5k yet" in i.value for i in page.info)
    else:
        assert "Cluster sizes per round" in charts(page)


def test_algorithm_k_cells_and_map_selection(page):
    page.selectbox(key="clu-algo").set_value("gmm").run()
    page.slider(key="clu-k").set_value(5).run()
    no_exceptions(page)
    shown = metrics(page)
    assert shown["Clusters found"] == "5" and "BIC" in shown and "Inertia" not in shown and not page.error
    assert len(page.selectbox(key="clu-cluster").options) == 5
    page.selectbox(key="clu-cluster").set_value(3).run()
    page.selectbox(key="clu-cells-label").set_value(7).run()
    no_exceptions(page)
    assert "in cluster 3" in texts(page)  # the cell's images, or a note that it is empty
    select_rows(page, "clu-map", [0, 1, 2, 3])
    assert "4 selected (first 4 shown)" in texts(page)


def test_bad_choices_give_one_error_each_and_the_page_keeps_working(page):
    on_digits(page)
    page.selectbox(key="clu-algo").set_value("hdbscan").run()
    no_exceptions(page)
    assert [e.value for e in page.error if "reduce them to at most 50 dimensions" in e.value]
    assert page.slider(key="clu-k").proto.disabled  # HDBSCAN finds k itself
    page.radio(key="clu-reduce").set_value("pca").run()
    page.slider(key="clu-min-size").set_value(150).run()
    no_exceptions(page)
    assert len(page.error) == 1 and "labelled all 360 points as noise" in page.error[0].value
    assert "Nothing to look at until the clustering above succeeds" in texts(page)
    page.slider(key="clu-min-size").set_value(25).run()
    no_exceptions(page)
    assert not page.error, [e.value for e in page.error]
    assert "ACC" in metrics(page)
    assert '"noise"' in charts(page)  # HDBSCAN's unclustered points have their own colour on the map


def test_a_broken_run_is_one_error(page):
    broken = runs_dir() / "autoencoder-mnist5k-broken-clu"
    shutil.copytree(bundled_dir() / "autoencoder-mnist5k-plain", broken, dirs_exist_ok=True)
    (broken / "model.safetensors").write_bytes(b"\0" * 64)  # truncated weights
    try:
        page.run()
        page.selectbox(key="clu-encoder").set_value(EncoderSpec("run", str(broken))).run()
        no_exceptions(page)
        assert len(page.error) == 1 and "corrupt" in page.error[0].value
        assert page.header[-1].value == "Train live"  # the rest of the page is still drawn
        page.selectbox(key="clu-encoder").set_value(EncoderSpec("pixels")).run()
        no_exceptions(page)
        assert not page.error and "ACC" in metrics(page)
    finally:
        shutil.rmtree(broken)


def test_k_sweep_and_encoder_comparison_on_digits(page):
    on_digits(page)
    before = len(page.get("plotly_chart"))
    page.button(key="clu-sweep").click().run()
    no_exceptions(page)
    assert len(page.get("plotly_chart")) == before + 3
    drawn = charts(page)
    assert "k (number of clusters)" in drawn and "best k = " in drawn and "BIC (lower is better)" in drawn
    assert any(c.value.startswith("Best k: silhouette") for c in page.caption)
    page.run()  # the cached sweep replays (its progress bar was drawn inside the cached function)
    no_exceptions(page)
    assert len(page.get("plotly_chart")) == before + 3
    page.button(key="clu-compare").click().run()
    no_exceptions(page)
    (table,) = [d.value for d in page.dataframe if "acc" in d.value.columns]
    baselines = ["raw pixels", "PCA-50 of pixels", "random backbone (seed 0)"]
    expected = [spec.label for spec in list_encoders("digits")]  # + runs other tests trained on digits
    assert table["encoder"].tolist() == expected and expected[:3] == baselines
    assert table[["acc", "nmi", "ari"]].stack().between(-1.0, 1.0).all() and (table["k"] == 10).all()
    assert any(b.label == "⬇ Comparison CSV" for b in page.get("download_button"))


def test_train_live_deepcluster_shows_its_rounds(page):
    on_digits(page)
    assert any("No DeepCluster run on digits yet" in i.value for i in page.info)
    page.selectbox(key="clu-preset").set_value("no guards").run()
    page.number_input(key="clu-steps").set_value(20).run()
    page.number_input(key="clu-per-round").set_value(5).run()
    page.select_slider(key="clu-width").set_value(4).run()
    page.select_slider(key="clu-batch").set_value(64).run()
    saved = train_until_saved(page, "clustering")
    config = json.loads((Path(saved) / "config.json").read_text())["config"]
    assert (config["reseed_empty"], config["balanced"], config["steps_per_round"]) == (False, False, 5)
    metrics_path = Path(saved) / "metrics.json"
    metrics = json.loads(metrics_path.read_text())
    assert [e["round"] for e in metrics["events"]] == [0, 1, 2, 3]  # rounds start at steps 0, 5, 10, 15
    drawn = charts(page)
    assert drawn.count("Cluster sizes per round") == 2  # the live panel's and the saved run's
    assert "Each round's clusters against the labels" in drawn and "largest cluster share" in drawn
    assert any(c.value.startswith("Run: DeepCluster live (no guards)") for c in page.caption)

    # Each guard, as the saved run's rounds would record it firing, is named on the page.
    events = metrics["events"]
    events[1]["reseeded"] = [[3, 7]]
    events[2]["empty"] = [4, 5]
    events[3]["warning"] = "cluster 2 holds 61% of the images: the trivial solution is taking over"
    metrics_path.write_text(json.dumps(metrics))
    page.run()
    no_exceptions(page)
    assert any("round 1: cluster 3 was empty, re-seeded from cluster 7" in i.value for i in page.info)
    warnings = " ".join(w.value for w in page.warning)
    assert "round 2: cluster(s) 4, 5 left empty (re-seeding is off)" in warnings
    assert "round 3: cluster 2 holds 61% of the images" in warnings
