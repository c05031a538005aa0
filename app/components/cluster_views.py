"""What the clustering page draws: algorithm controls, scores, the k-sweep, a cluster's images, the
cluster × label counts and the encoder comparison (DeepCluster's rounds: deepcluster_views.py). Numbers come from the library."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import torch

from app.components.charts import line_chart
from app.components.images import image_grid
from app.resources import clustering as cached
from dul_models.core.errors import DULError
from dul_models.data import ImageDataset
from dul_models.data.gallery import class_name
from dul_models.features.cluster_analysis import best_k, cluster_members
from dul_models.features.clustering import ALGORITHM_TITLES, ALGORITHMS, ClusterResult
from dul_models.features.encoders import EncoderSpec
from dul_models.metrics.clusters import cluster_confusion

HELP = {
    "acc": "Share of images whose cluster, matched one-to-one to a label (Hungarian assignment), is their "
    "label. 1 = the labels exactly; about 1 / (number of classes) by chance.",
    "nmi": "Normalised mutual information of clusters and labels: 0 = independent, 1 = the same partition. "
    "Needs no matching of clusters to labels.",
    "ari": "Adjusted Rand index: how often two images are grouped alike (both together or both apart) in the "
    "clusters and in the labels, corrected for chance: 0 ≈ random, 1 = the same partition.",
    "silhouette": "No labels needed. Per point (b − a) / max(a, b), a = mean distance to its own cluster, "
    "b = to the nearest other one; averaged over up to 2,000 points. −1 … 1, higher = tighter, separated.",
    "inertia": "No labels needed (k-means only): sum of squared distances of the points to their centre, in "
    "squared feature units. It always falls as k grows: look for the elbow, not the minimum.",
    "bic": "No labels needed (Gaussian mixture only): Bayesian information criterion, −2 × log-likelihood "
    "plus a penalty per parameter. Lower is better.",
    "noise": "Share of the points HDBSCAN put in no cluster; the scores above count them as one more group.",
}
NOISE = "noise"  # HDBSCAN's points in no cluster (id −1)


def algorithm_controls(key: str) -> tuple[str, int, dict]:
    """The algorithm, k and the algorithm's main parameters (names as `dul_models.features.clustering.PARAMS`)."""
    c1, c2, c3, c4 = st.columns(4)
    algorithm = c1.selectbox("Algorithm", ALGORITHMS, format_func=ALGORITHM_TITLES.get, key=f"{key}-algo")
    finds_k = algorithm == "hdbscan"
    hint = "HDBSCAN ignores k: it finds the number of clusters itself." if finds_k else None
    k = c2.slider("Clusters k", 2, 30, 10, key=f"{key}-k", disabled=finds_k, help=hint)
    if algorithm == "kmeans":
        return algorithm, k, {"n_init": c3.number_input("Restarts (n_init)", 1, 20, 4, key=f"{key}-n-init")}
    if algorithm == "gmm":
        covariance = c3.selectbox(
            "Covariance",
            ("diag", "spherical", "tied", "full"),
            key=f"{key}-cov",
            help="Full covariances in hundreds of dimensions overfit a few thousand points; diag is the default.",
        )
        restarts = c4.number_input("Restarts (n_init)", 1, 10, 2, key=f"{key}-gmm-init")
        return algorithm, k, {"covariance_type": covariance, "n_init": restarts}
    if algorithm == "agglomerative":
        linkage = c3.selectbox("Linkage", ("ward", "average", "complete", "single"), key=f"{key}-linkage")
        return algorithm, k, {"linkage": linkage}
    if algorithm == "spectral":
        return algorithm, k, {"n_neighbors": c3.slider("Graph neighbours", 2, 50, 10, key=f"{key}-graph")}
    size = c3.slider("Min cluster size", 2, 200, 25, key=f"{key}-min-size")
    samples = c4.number_input("Min samples (0 = min cluster size)", 0, 200, 0, key=f"{key}-min-samples")
    st.caption("HDBSCAN finds the number of clusters itself (k is ignored) and may call some points noise.")
    return algorithm, k, {"min_cluster_size": size, "min_samples": samples or None}


def _number(value: float | None) -> str:
    """Three decimals for scores; thousands separators for inertia and BIC, which run to six figures."""
    if value is None:
        return "—"
    return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"


def score_metrics(result: ClusterResult, row: dict) -> None:
    """ACC / NMI / ARI against the hidden labels, then the label-free scores, as st.metric."""
    shown = [(name.upper(), _number(row.get(name)), HELP[name]) for name in ("acc", "nmi", "ari")]
    shown.append(("Silhouette", _number(result.silhouette), HELP["silhouette"]))
    if result.inertia is not None:
        shown.append(("Inertia", _number(result.inertia), HELP["inertia"]))
    if result.bic is not None:
        shown.append(("BIC", _number(result.bic), HELP["bic"]))
    shown.append(("Clusters found", str(result.k), f"Found in {result.seconds:.2f} s."))
    if result.noise_share:
        shown.append(("Noise", f"{result.noise_share:.0%}", HELP["noise"]))
    for column, (label, text, help_text) in zip(st.columns(len(shown)), shown, strict=True):
        column.metric(label, text, help=help_text)
    if "acc" not in row:
        st.caption("This dataset has no labels: only the label-free scores are shown.")


def cluster_names(clusters: np.ndarray) -> np.ndarray:
    """Zero-padded ids ("03") that sort in order on a legend; HDBSCAN's −1 is "noise"."""
    return np.where(clusters < 0, NOISE, np.char.zfill(clusters.astype(str), 2))


def assignments_download(labels: np.ndarray | None, clusters: np.ndarray, file_name: str, key: str) -> None:
    frame = pd.DataFrame({"index": np.arange(len(clusters)), "label": labels, "cluster": clusters})
    label = "⬇ Cluster assignments CSV (index, label, cluster)"
    st.download_button(label, frame.to_csv(index=False), file_name, "text/csv", key=key)


def k_sweep_section(choice: cached.FeatureChoice, *, key: str) -> None:
    """A button that sweeps k = 2 … 20 (with a progress bar), then silhouette, inertia and BIC vs k."""
    if st.button("Sweep k = 2 … 20", type="primary", key=key):
        try:
            st.session_state[f"{key}-rows"] = (choice, cached.sweep(choice))
        except DULError as exc:
            st.error(f"Cannot sweep k: {exc}")
    stored = st.session_state.get(f"{key}-rows")
    if not (stored and stored[0] == choice):
        return
    rows, picks = stored[1], best_k(stored[1])
    charts = (
        ("silhouette", "silhouette", "mean silhouette (−1 … 1, higher is better)", "Silhouette"),
        ("inertia", "elbow", "inertia (squared feature units)", "Inertia (k-means): the elbow"),
        ("bic", "bic", "BIC (lower is better)", "BIC (diagonal Gaussian mixture)"),
    )
    for column, (measure, pick, y_title, title) in zip(st.columns(3), charts, strict=True):
        fig = line_chart(
            rows, "k", measure, None, x_title="k (number of clusters)", y_title=y_title, title=title
        )
        if pick in picks:
            fig.add_vline(x=picks[pick], line_dash="dash", annotation_text=f"best k = {picks[pick]}")
        column.plotly_chart(fig, key=f"{key}-{measure}")
    st.caption(
        "Best k: "
        + " · ".join(f"{name} {value}" for name, value in picks.items())
        + ". The criteria often disagree; the number of classes is only one of the answers a dataset allows."
    )


def _rows(images: torch.Tensor, rows: np.ndarray) -> torch.Tensor:
    """images[rows] for a NumPy index array."""
    return images[torch.as_tensor(rows, device=images.device)]


def cluster_gallery(
    vectors: np.ndarray, result: ClusterResult, images: torch.Tensor, cluster: int, *, key: str
) -> None:
    """Images of one cluster: nearest its centre, a random sample, and its outliers."""
    members = cluster_members(vectors, result, cluster, n=16)
    titles = {"nearest": "Nearest its centre", "random": "Random members", "outliers": "Outliers (farthest)"}
    for column, (kind, rows) in zip(st.columns(3), members.items(), strict=True):
        with column:
            st.markdown(f"**{titles[kind]}**")
            image_grid(
                _rows(images, rows),
                nrow=8,
                scale=2,
                download_name=f"cluster-{cluster}-{kind}.png",
                key=f"{key}-{kind}",
            )


def confusion_view(
    labels: np.ndarray,
    clusters: np.ndarray,
    class_names: Sequence[str],
    images: torch.Tensor,
    cluster: int,
    *,
    key: str,
) -> None:
    """The cluster × label counts as a heat map, and the images of one cell (this cluster, a chosen label)."""
    counts, cluster_ids, label_ids = cluster_confusion(labels, clusters)
    order = np.lexsort((-counts.max(1), counts.argmax(1)))  # rows grouped by their most common label
    names = [class_name(class_names, v) for v in label_ids]
    rows = [f"cluster {c}" if c >= 0 else NOISE for c in cluster_ids[order]]
    fig = go.Figure(
        go.Heatmap(
            z=counts[order],
            x=names,
            y=rows,
            colorscale="Blues",
            texttemplate="%{z}",
            colorbar={"title": "images"},
            hovertemplate="%{y} · label %{x}: %{z} images<extra></extra>",
        )
    )
    fig.update_layout(
        title="Clusters × labels (counts of images)",
        height=max(320, 60 + 24 * len(rows)),
        margin={"t": 50, "b": 40},
    )
    fig.update_xaxes(title="true label (never seen by the clustering)", type="category")
    fig.update_yaxes(
        title="cluster (grouped by its most common label)", type="category", autorange="reversed"
    )
    left, right = st.columns([3, 2])
    left.plotly_chart(fig, key=f"{key}-heatmap")
    with right:
        label = st.selectbox("Label", range(len(names)), format_func=names.__getitem__, key=f"{key}-label")
        cell = np.flatnonzero((clusters == cluster) & (labels == label_ids[label]))
        if not cell.size:
            st.caption(f"No image labelled {names[label]} is in cluster {cluster}.")
            return
        image_grid(
            _rows(images, cell[:48]),
            nrow=8,
            scale=2,
            download_name=f"cluster-{cluster}-label-{names[label]}.png",
            caption=f"{cell.size:,} images labelled {names[label]} in cluster {cluster} (first 48)",
            key=f"{key}-cell",
        )


def compare_table(
    data: ImageDataset, specs: Sequence[EncoderSpec], split: str, device: str, seed: int, *, key: str
) -> None:
    """k-means (k = number of classes) on every encoder, optionally after UMAP-10: a table and a CSV."""
    if not data.has_labels:
        st.info(f"{data.name} has no labels, so there is nothing to compare the clusters with.")
        return
    umap = st.toggle(
        "Reduce each encoder's features with UMAP to 10 dimensions first",
        key=f"{key}-umap",
        help="N2D (McConville et al. 2020): UMAP before clustering helps a lot. The first UMAP in "
        "this server compiles for about a minute.",
    )
    k, name = data.num_classes, data.name
    reduction, dims, step = ("umap", 10, "UMAP-10 and k-means") if umap else ("none", 0, "k-means")
    if st.button("Compute the comparison", type="primary", key=key):
        bar, rows = st.progress(0.0, text="clustering…"), []
        for i, spec in enumerate(specs):
            bar.progress(i / len(specs), text=f"{step} on {spec.label} ({i + 1} of {len(specs)})")
            choice = cached.FeatureChoice(spec, name, split, device, reduction, dims, seed)
            try:
                rows.append({"encoder": spec.label, **cached.compare_row(choice, k)})
            except DULError as exc:
                st.warning(f"{spec.label} skipped: {exc}")
        bar.empty()
        st.session_state[f"{key}-table"] = ((name, split, umap, seed), rows)
    stored = st.session_state.get(f"{key}-table")
    if not (stored and stored[0] == (name, split, umap, seed) and stored[1]):
        return
    frame = pd.DataFrame(stored[1])
    st.dataframe(
        frame, hide_index=True, column_config={"seconds": st.column_config.NumberColumn(format="%.2f s")}
    )
    file_name = f"{name}-{split}-kmeans{'-umap10' if umap else ''}.csv"
    st.download_button("⬇ Comparison CSV", frame.to_csv(index=False), file_name, "text/csv", key=f"{key}-csv")
