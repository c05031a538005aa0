"""Clustering: group any encoder's features without labels, score the groups against the labels they never
saw, choose k, look inside the clusters, compare encoders, and watch DeepCluster's rounds live."""

from __future__ import annotations

from functools import partial

import numpy as np
import streamlit as st

from app import resources, state
from app.components.cluster_views import (
    algorithm_controls,
    assignments_download,
    cluster_gallery,
    cluster_names,
    compare_table,
    confusion_view,
    k_sweep_section,
    score_metrics,
)
from app.components.deepcluster_views import rounds_view
from app.components.embedding_map import embedding_map
from app.components.runs import run_picker
from app.components.sidebar import chosen_dataset
from app.components.training_panel import PanelLabels, TrainRequest, live_train_config, train_live
from app.pages import page_of
from app.resources import clustering as cached
from dul_models.core.errors import DULError
from dul_models.features.clustering import REDUCTIONS
from dul_models.features.encoders import list_encoders
from dul_models.runs.checkpoints import list_runs

PAGE = page_of(__file__).key
REDUCTION_TITLES = {"none": "none", "pca": "PCA", "umap": "UMAP"}

st.title("🧮 Clustering")
st.markdown(
    "Group the images by their features alone — no labels — and then ask how well the groups match the "
    "labels the clustering never saw (**ACC, NMI, ARI**), and how good they look without labels (silhouette, "
    "inertia, BIC). Below: how many clusters the data suggests, the images inside each cluster, which encoder "
    "clusters best, and **DeepCluster**, which trains a network on its own clusters, round after round."
)
name, device, seed = state.dataset_name(), state.device_name(), state.seed()
data = chosen_dataset()
specs = list_encoders(name)
label_of = {s: s.label for s in specs}
simclr = {str(r.path) for r in list_runs(family="simclr", dataset=name)}
default = next((s for s in specs if s.run in simclr), next((s for s in specs if s.kind == "run"), specs[0]))

# --- Cluster ---------------------------------------------------------------------------------------------
st.header("Cluster the features")
c1, c2, c3, c4 = st.columns([3, 1, 2, 2])
spec = c1.selectbox("Encoder", specs, specs.index(default), format_func=label_of.get, key="clu-encoder")
split = c2.radio("Split", ("test", "train"), key="clu-split", help="The labels are used only to score.")
reduction = c3.radio(
    "Reduce first",
    REDUCTIONS,
    format_func=REDUCTION_TITLES.get,
    horizontal=True,
    key="clu-reduce",
    help="N2D (McConville et al. 2020): UMAP before a mixture model helps a lot. PCA is instant.",
)
dims = c4.number_input("…to dimensions", 2, 50, 10, key="clu-dims", disabled=reduction == "none")
algorithm, k, params = algorithm_controls("clu")
choice = cached.FeatureChoice(
    spec, name, split, device, reduction, int(dims) if reduction != "none" else 0, seed
)
labels = choice.labels()
try:
    vectors = cached.reduced_features(choice)
    result, row = cached.clustering(choice, algorithm, k, tuple(sorted(params.items())))
except DULError as exc:
    st.error(f"{label_of[spec]}: {exc}")
    result = None
else:
    score_metrics(result, row)
    assignments_download(labels, result.labels_, f"{name}-{split}-{algorithm}-clusters.csv", "clu-assign")

# --- How many clusters? ----------------------------------------------------------------------------------
st.header("How many clusters?")
st.markdown(
    "Without labels, k has to be chosen from the features: the **silhouette** (highest), a mixture's **BIC** "
    "(lowest) or the **elbow** of k-means' inertia. The sweep runs k-means and a Gaussian mixture for every "
    "k from 2 to 20 on the features chosen above."
)
k_sweep_section(choice, key="clu-sweep")

# --- Look inside ------------------------------------------------------------------------------------------
st.header("Look at the clusters")
if result is None:
    st.info("Nothing to look at until the clustering above succeeds.")
else:
    images = resources.split_images(name, split, device)
    found = [int(c) for c in np.unique(result.labels_[result.labels_ >= 0])]
    cluster = st.selectbox(
        "Cluster",
        found,
        format_func=lambda c: f"cluster {c} · {int((result.labels_ == c).sum()):,} images",
        key="clu-cluster",
    )
    cluster_gallery(vectors, result, images, cluster, key="clu-gallery")
    if labels is not None:
        st.markdown("**Which labels went where**: pick a label to see the images of that cell.")
        confusion_view(labels, result.labels_, data.class_names, images, cluster, key="clu-cells")
    embedding_map(
        cached.map_coords(choice),
        images,
        labels if labels is not None else np.full(len(result.labels_), -1),
        data.class_names,
        key="clu-map",
        title=f"{len(result.labels_):,} {split} images, PCA of the {vectors.shape[1]}-D features clustered",
        axis_titles=("PC 1", "PC 2"),
        color=cluster_names(result.labels_),
        color_title="cluster",
        file_stem=f"{name}-{split}-cluster-map",
        encoder=label_of[spec],
    )

# --- Compare encoders -------------------------------------------------------------------------------------
st.header("Which encoder clusters best?")
st.markdown(
    f"k-means with k = {data.num_classes} (the number of classes) on every encoder's {split} features, "
    "scored against the labels. The pixel, PCA and random baselines show what training added."
)
compare_table(data, specs, split, device, seed, key="clu-compare")

# --- DeepCluster ------------------------------------------------------------------------------------------
st.header("Deep clustering: DeepCluster's rounds")
st.markdown(
    "DeepCluster (Caron et al. 2018) alternates k-means on the network's features with training the network "
    "to predict each image's cluster. Two things go wrong, each with a guard: a cluster ends up **empty** "
    "(re-seeded from a big one) and one cluster **takes over** (balanced sampling over clusters)."
)
info = run_picker(PAGE, "main", "deepcluster", label="DeepCluster run")
if info is None:
    st.info(f"No DeepCluster run on {name} yet: train one live below and watch its rounds.")
else:
    m = info.metrics
    scores = [
        f"{s} {m[s]:.3f}" for s in ("cluster_acc", "nmi", "ari", "largest_cluster_share", "knn_acc") if s in m
    ]
    st.caption(f"Run: {info.label} · " + " · ".join(scores) + " (test split)")
    if m.get("events"):
        rounds_view(m["events"], key="clu-saved")
    else:
        st.info("This run saved no rounds (it predates round records); train one live below.")

PRESETS = {"with guards": {}, "no guards": {"reseed_empty": False, "balanced": False}}


def controls() -> TrainRequest:
    c1, c2, c3, c4, c5 = st.columns(5)
    preset = c1.selectbox(
        "Preset",
        list(PRESETS),
        key="clu-preset",
        help="No guards: watch clusters go empty and one take over.",
    )
    steps = c2.number_input("Steps", 10, 20_000, 600, 50, key="clu-steps")
    per_round = c3.number_input("Steps per round", 1, 2_000, 100, 10, key="clu-per-round")
    batch = c4.select_slider("Batch size", [32, 64, 128, 256, 512], 256, key="clu-batch")
    width = c5.select_slider(
        "Backbone width", [4, 8, 16, 32, 64], 16, key="clu-width", help="16 is quick on a CPU."
    )
    clusters = st.slider("Clusters per round", 2, 30, data.num_classes or 10, key="clu-train-k")
    config = {"width": width, "clusters": clusters, "steps_per_round": int(per_round), **PRESETS[preset]}
    train = live_train_config(steps, batch, seed, device)
    return TrainRequest(config, train, title=f"DeepCluster live ({preset})")


train_live(
    PAGE,
    "deepcluster",
    "Train DeepCluster on the sidebar's dataset and watch each round's clusters against the hidden labels, "
    "the cluster sizes, and the guards firing; the **no guards** preset shows what they prevent.",
    controls,
    labels=PanelLabels(
        loss_keys=("loss",),
        loss_title="cross-entropy on the round's pseudo-labels (nats)",
        eval_keys=("cluster_acc", "nmi", "ari", "knn_acc", "largest_cluster_share"),
        eval_title="score / share of test images (labels used only to score)",
        preview="each test image above two of its views",
        events_view=partial(rounds_view, key="clu-live"),
    ),
)
