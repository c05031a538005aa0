"""Plotly charts with labelled axes and units, shared by the pages and the training panel."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.express as px
import plotly.graph_objects as go

from dul_models.data.gallery import UNLABELLED, class_name


def line_chart(
    rows: Sequence[dict], x: str, y: str, color: str | None, *, x_title: str, y_title: str, title: str
):
    """A line chart from row dicts; every axis gets a title with its unit."""
    fig = px.line(list(rows), x=x, y=y, color=color, markers=True, title=title)
    fig.update_layout(
        xaxis_title=x_title, yaxis_title=y_title, height=360, margin=dict(t=50, b=40, l=50, r=10)
    )
    return fig


def history_chart(history: Sequence[dict], keys: Sequence[str], *, y_title: str, title: str) -> go.Figure:
    """Training curves: one line per metric key against the step."""
    fig = go.Figure()
    steps = [row["step"] for row in history]
    for key in keys:
        fig.add_trace(go.Scatter(x=steps, y=[row.get(key) for row in history], mode="lines", name=key))
    fig.update_layout(
        title=title,
        xaxis_title="training step",
        yaxis_title=y_title,
        height=320,
        margin=dict(t=50, b=40, l=50, r=10),
    )
    return fig


WEBGL_ABOVE = 3_000  # points; SVG stays smooth below this and needs no WebGL (headless browsers lack it)


def embedding_scatter(
    coords: np.ndarray,
    color: Sequence[str] | np.ndarray,
    hover: Sequence[str],
    *,
    color_title: str,
    categories: Sequence[str] | None,
    axis_titles: tuple[str, str],
    title: str,
) -> go.Figure:
    """(N, 2) points coloured by a categorical (str, in `categories` order) or continuous (float) array.

    The global row index rides in custom_data[0] (plotly's point indices count within each colour trace),
    `hover` (e.g. the label) in custom_data[1]; WebGL (Scattergl) only above WEBGL_ABOVE points.
    """
    continuous = categories is None
    fig = px.scatter(
        x=coords[:, 0],
        y=coords[:, 1],
        color=np.asarray(color, dtype=float) if continuous else list(color),
        custom_data=[np.arange(len(coords)), np.asarray(hover, dtype=object)],
        category_orders=None if continuous else {"color": list(categories)},
        color_continuous_scale="Viridis" if continuous else None,
        # plotly's default 10 colours repeat past 10 categories (cluster 00 and 10 looked the same)
        color_discrete_sequence=None
        if continuous or len(categories) <= 10
        else px.colors.qualitative.Alphabet,
        render_mode="webgl" if len(coords) > WEBGL_ABOVE else "svg",
        title=title,
        opacity=0.7,
    )
    fig.update_traces(
        marker=dict(size=5),
        hovertemplate="index %{customdata[0]} · %{customdata[1]}<br>(%{x:.2f}, %{y:.2f})<extra></extra>",
    )
    fig.update_layout(
        xaxis_title=axis_titles[0],
        yaxis_title=axis_titles[1],
        legend_title=color_title,
        coloraxis_colorbar_title=color_title if continuous else None,
        height=480,
        margin=dict(t=50, b=40),
    )
    return fig


def heatmap(
    z: np.ndarray,
    title: str,
    colorbar: str,
    zrange: tuple[float, float | None] = (0.0, None),
    marker: tuple[int, int] | None = None,
) -> go.Figure:
    """An image-shaped (H, W) heat map, row 0 at the top, with a titled colour bar and an optional marked pixel."""
    fig = go.Figure(
        go.Heatmap(z=z, colorscale="Inferno", zmin=zrange[0], zmax=zrange[1], colorbar={"title": colorbar})
    )
    if marker is not None:
        fig.add_scatter(x=[marker[1]], y=[marker[0]], mode="markers", marker={"color": "cyan", "size": 10})
    fig.update_layout(title=title, height=340, margin={"l": 10, "r": 10, "t": 40, "b": 10}, showlegend=False)
    fig.update_xaxes(title="column (pixel)")
    fig.update_yaxes(title="row (pixel)", autorange="reversed", scaleanchor="x")
    return fig


def scatter_3d(
    coords: np.ndarray, labels: np.ndarray, class_names: Sequence[str], *, title: str, axis: str
) -> go.Figure:
    """A rotatable 3-D map coloured by label (no box/lasso selection in 3-D: Plotly has none)."""
    names = [class_name(class_names, v, UNLABELLED) for v in labels]
    fig = px.scatter_3d(
        x=coords[:, 0],
        y=coords[:, 1],
        z=coords[:, 2],
        color=names,
        category_orders={"color": list(class_names)},
        custom_data=[np.arange(len(coords))],
        title=title,
        opacity=0.7,
    )
    fig.update_traces(marker=dict(size=2.5), hovertemplate="index %{customdata[0]}<extra></extra>")
    fig.update_layout(
        scene=dict(xaxis_title=f"{axis} 1", yaxis_title=f"{axis} 2", zaxis_title=f"{axis} 3"),
        legend_title="label",
        height=520,
        margin=dict(t=50, b=10),
    )
    return fig


def placement_chart(coords: np.ndarray, point: np.ndarray, *, title: str, axis: str) -> go.Figure:
    """The map in grey with one new point (an upload) drawn on it as a star."""
    fig = go.Figure(
        go.Scattergl(
            x=coords[:, 0],
            y=coords[:, 1],
            mode="markers",
            name="test images",
            marker=dict(color="#bbbbbb", size=4),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[point[0]],
            y=[point[1]],
            mode="markers",
            name="your image",
            marker=dict(symbol="star", size=18, color="crimson"),
        )
    )
    fig.update_layout(
        title=title, xaxis_title=f"{axis} 1", yaxis_title=f"{axis} 2", height=360, margin=dict(t=50, b=40)
    )
    return fig
