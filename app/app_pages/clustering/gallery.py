"""Look inside the clusters: one cluster's images, and the cluster × label counts with the images of a cell."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import streamlit as st

from app.components.images import image_grid
from dul_models.explore import clustering as explore

GALLERY_TITLES = {
    "nearest": "Nearest its centre",
    "random": "Random members",
    "outliers": "Outliers (farthest)",
}


def cluster_gallery(
    vectors: explore.Vectors, report: explore.ClusterReport, images: explore.Images, cluster: int, *, key: str
) -> None:
    """Images of one cluster: nearest its centre, a random sample, and its outliers."""
    members = explore.cluster_gallery(vectors, report.result, images, cluster, n=16)
    for column, (kind, picked) in zip(st.columns(3), members.items(), strict=True):
        with column:
            st.markdown(f"**{GALLERY_TITLES[kind]}**")
            image_grid(
                picked, nrow=8, scale=2, download_name=f"cluster-{cluster}-{kind}.png", key=f"{key}-{kind}"
            )


def confusion_view(
    report: explore.ClusterReport,
    class_names: Sequence[str],
    images: explore.Images,
    cluster: int,
    *,
    key: str,
) -> None:
    """The cluster × label counts as a heat map, and the images of one cell (this cluster, a chosen label)."""
    clusters = report.result.labels_
    table = explore.confusion(report.labels, clusters, class_names)
    fig = go.Figure(
        go.Heatmap(
            z=table.counts,
            x=table.columns,
            y=table.rows,
            colorscale="Blues",
            texttemplate="%{z}",
            colorbar={"title": "images"},
            hovertemplate="%{y} · label %{x}: %{z} images<extra></extra>",
        )
    )
    fig.update_layout(
        title="Clusters × labels (counts of images)",
        height=max(320, 60 + 24 * len(table.rows)),
        margin={"t": 50, "b": 40},
    )
    fig.update_xaxes(title="true label (never seen by the clustering)", type="category")
    fig.update_yaxes(
        title="cluster (grouped by its most common label)", type="category", autorange="reversed"
    )
    names = table.columns
    left, right = st.columns([3, 2])
    left.plotly_chart(fig, key=f"{key}-heatmap")
    with right:
        label = st.selectbox("Label", range(len(names)), format_func=names.__getitem__, key=f"{key}-label")
        cell, count = explore.confusion_cell(report.labels, clusters, images, cluster, table.label_ids[label])
        if not count:
            st.caption(f"No image labelled {names[label]} is in cluster {cluster}.")
            return
        image_grid(
            cell,
            nrow=8,
            scale=2,
            download_name=f"cluster-{cluster}-label-{names[label]}.png",
            caption=f"{count:,} images labelled {names[label]} in cluster {cluster} (first 48)",
            key=f"{key}-cell",
        )
