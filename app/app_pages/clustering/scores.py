"""The clustering page's first section: the algorithm and its parameters, the scores of the clusters found
(against the hidden labels and without them) and the assignments CSV. Numbers come from
`dul_models.explore.clustering`, through cached.py."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dul_models.explore import clustering as explore

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


def algorithm_controls(key: str, default_k: int = 10) -> tuple[str, int, dict]:
    """The algorithm, k and the algorithm's main parameters (names as `dul_models.features.clustering.PARAMS`)."""
    c1, c2, c3, c4 = st.columns(4)
    algorithm = c1.selectbox(
        "Algorithm", explore.ALGORITHMS, format_func=explore.ALGORITHM_TITLES.get, key=f"{key}-algo"
    )
    finds_k = algorithm == "hdbscan"
    hint = "HDBSCAN ignores k: it finds the number of clusters itself." if finds_k else None
    k = c2.slider("Clusters k", 2, 30, default_k, key=f"{key}-k", disabled=finds_k, help=hint)
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


def score_metrics(report: explore.ClusterReport) -> None:
    """ACC / NMI / ARI against the hidden labels, then the label-free scores, as st.metric."""
    result, row = report.result, report.row
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


def assignments_download(report: explore.ClusterReport, file_name: str, key: str) -> None:
    csv = pd.DataFrame(report.assignment_rows()).to_csv(index=False)
    st.download_button(
        "⬇ Cluster assignments CSV (index, label, cluster)", csv, file_name, "text/csv", key=key
    )
