"""Clustering: group any encoder's features without labels, score the groups against the labels they never
saw, choose k, look inside the clusters, compare encoders, and watch DeepCluster's rounds live."""

from __future__ import annotations

import streamlit as st

from app import resources, state
from app.app_pages.clustering import cached, compare, gallery, rounds, scores, sweep
from app.components.embedding_map import embedding_map
from app.components.sidebar import chosen_dataset
from app.pages import page_of
from app.resources.embeddings import encoder_label
from dul_models import DULError, EncoderSpec, ImageDataset
from dul_models.explore import clustering as explore

PAGE = page_of(__file__).key
REDUCTION_TITLES = {"none": "none", "pca": "PCA", "umap": "UMAP"}


def _features(
    name: str, specs: list[EncoderSpec], default: int, device: str, seed: int
) -> cached.FeatureChoice:
    """The encoder, split and reduction whose features every section below clusters."""
    c1, c2, c3, c4 = st.columns([3, 1, 2, 2])
    spec = c1.selectbox("Encoder", specs, default, format_func=encoder_label, key="clu-encoder")
    split = c2.radio("Split", ("test", "train"), key="clu-split", help="The labels are used only to score.")
    reduction = c3.radio(
        "Reduce first",
        explore.REDUCTIONS,
        format_func=REDUCTION_TITLES.get,
        horizontal=True,
        key="clu-reduce",
        help="N2D (McConville et al. 2020): UMAP before a mixture model helps a lot. PCA is instant.",
    )
    dims = c4.number_input("…to dimensions", 2, 50, 10, key="clu-dims", disabled=reduction == "none")
    dims = int(dims) if reduction != "none" else 0
    return cached.FeatureChoice(spec, name, split, device, reduction, dims, seed)


def _cluster(choice: cached.FeatureChoice) -> explore.ClusterReport | None:
    """Cluster with the chosen algorithm; its scores and the assignments CSV, or the reason it failed."""
    default_k = explore.default_k(resources.dataset(choice.dataset_name), choice.split)
    algorithm, k, params = scores.algorithm_controls("clu", default_k)
    try:
        cached.reduced_features(choice)  # says what is reduced (UMAP compiles) before the clustering
        report = cached.clustering(choice, algorithm, k, tuple(sorted(params.items())))
    except DULError as exc:
        st.error(f"{encoder_label(choice.spec)}: {exc}")
        return None
    scores.score_metrics(report)
    file_name = f"{choice.dataset_name}-{choice.split}-{algorithm}-clusters.csv"
    scores.assignments_download(report, file_name, "clu-assign")
    return report


def _look_inside(
    choice: cached.FeatureChoice, report: explore.ClusterReport | None, data: ImageDataset
) -> None:
    """One cluster's images, which labels went where, and the map coloured by cluster."""
    if report is None:
        st.info("Nothing to look at until the clustering above succeeds.")
        return
    images = resources.split_images(choice.dataset_name, choice.split, choice.device)
    sizes = report.sizes
    cluster = st.selectbox(
        "Cluster", list(sizes), format_func=lambda c: f"cluster {c} · {sizes[c]:,} images", key="clu-cluster"
    )
    gallery.cluster_gallery(cached.features(choice), report, images, cluster, key="clu-gallery")
    if report.labels is not None:
        st.markdown("**Which labels went where**: pick a label to see the images of that cell.")
        gallery.confusion_view(report, data.class_names, images, cluster, key="clu-cells")
    embedding_map(
        cached.map_coords(choice),
        images,
        report.map_labels,
        data.class_names,
        key="clu-map",
        title=f"{len(report.names):,} {choice.split} images, PCA of the {report.feature_dims}-D features clustered",
        axis_titles=("PC 1", "PC 2"),
        color=report.names,
        color_title="cluster",
        file_stem=f"{choice.dataset_name}-{choice.split}-cluster-map",
        encoder=encoder_label(choice.spec),
    )


st.title("🧮 Clustering")
st.markdown(
    "Group the images by their features alone — no labels — and then ask how well the groups match the "
    "labels the clustering never saw (**ACC, NMI, ARI**), and how good they look without labels (silhouette, "
    "inertia, BIC). Below: how many clusters the data suggests, the images inside each cluster, which encoder "
    "clusters best, and **DeepCluster**, which trains a network on its own clusters, round after round."
)
name, device, seed = state.dataset_name(), state.device_name(), state.seed()
data = chosen_dataset()
specs, default = explore.encoder_choices(name)

st.header("Cluster the features")
choice = _features(name, specs, default, device, seed)
report = _cluster(choice)

st.header("How many clusters?")
st.markdown(
    "Without labels, k has to be chosen from the features: the **silhouette** (highest), a mixture's **BIC** "
    "(lowest) or the **elbow** of k-means' inertia. The sweep runs k-means and a Gaussian mixture for every "
    "k from 2 to 20 on the features chosen above."
)
sweep.k_sweep_section(choice, key="clu-sweep")

st.header("Look at the clusters")
_look_inside(choice, report, data)

st.header("Which encoder clusters best?")
st.markdown(
    f"k-means with k = {data.num_classes} (the number of classes) on every encoder's {choice.split} features, "
    "scored against the labels. The pixel, PCA and random baselines show what training added."
)
compare.compare_table(data, specs, choice.split, device, seed, key="clu-compare")

st.header("Deep clustering: DeepCluster's rounds")
st.markdown(
    "DeepCluster (Caron et al. 2018) alternates k-means on the network's features with training the network "
    "to predict each image's cluster. Two things go wrong, each with a guard: a cluster ends up **empty** "
    "(re-seeded from a big one) and one cluster **takes over** (balanced sampling over clusters)."
)
rounds.saved_rounds(PAGE, name)
rounds.train_section(PAGE, data, seed, device)
