"""Plotly charts with labelled axes and units, shared by the pages and the training panel."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.express as px
import plotly.graph_objects as go

from dul_models import UNLABELLED, class_name


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
MAP_COLOURS = px.colors.qualitative.Plotly  # plotly's 10; past 10 categories they repeat, so then:
MANY_COLOURS = px.colors.qualitative.Alphabet  # 26 (cluster 00 and 10 looked the same with 10)


def embedding_scatter(
    coords: np.ndarray,
    color: Sequence[str] | np.ndarray,
    hover: Sequence[str] | None,
    *,
    color_title: str,
    categories: Sequence[str] | None,
    axis_titles: tuple[str, str],
    title: str,
    webgl: bool | None = None,
) -> go.Figure:
    """(N, 2) points coloured by a categorical (str, in `categories` order) or continuous (float) array.

    The global row index rides in custom_data[0] (plotly's point indices count within each colour trace);
    `hover` (e.g. the label) is shown on hover, or the colour's name when None. WebGL (Scattergl) above
    WEBGL_ABOVE points unless `webgl` says otherwise (False: SVG, for a browser without WebGL).

    Built from graph objects with NumPy arrays, not plotly express: at 70,000 points express took 0.5-2.6 s
    and its JSON (strings in custom_data) 1.1 s per map; numeric arrays travel as base64 in ~0.1 s.
    """
    coords = np.asarray(coords, dtype=np.float32)
    rows = np.arange(len(coords), dtype=np.int32)
    trace = go.Scattergl if (len(coords) > WEBGL_ABOVE if webgl is None else webgl) else go.Scatter
    texts = None if hover is None else np.asarray(hover, dtype=object)
    hover_line = "%{hovertext}" if texts is not None else "%{fullData.name}"
    template = f"index %{{customdata[0]}} · {hover_line}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>"

    def points(keep: np.ndarray | slice, **marker) -> dict:
        return dict(
            x=coords[keep, 0],
            y=coords[keep, 1],
            customdata=rows[keep, None],  # (n, 1) int32: base64 in the JSON; {"0": row} in a selection
            hovertext=None if texts is None else texts[keep],
            hovertemplate=template,
            mode="markers",
            marker=dict(size=5, opacity=0.7, **marker),
        )

    fig = go.Figure()
    if categories is None:
        values = np.asarray(color, dtype=float)
        colorbar = dict(title=dict(text=color_title))
        fig.add_trace(
            trace(**points(slice(None), color=values, colorscale="Viridis", colorbar=colorbar), name="")
        )
    else:
        found, codes = np.unique(np.asarray(color).astype(str), return_inverse=True)
        code_of = {str(name): code for code, name in enumerate(found)}
        palette = MAP_COLOURS if len(categories) <= 10 else MANY_COLOURS
        for i, category in enumerate(categories):
            keep = np.flatnonzero(codes == code_of.get(str(category), -1))
            if keep.size:
                colour = palette[i % len(palette)]
                fig.add_trace(trace(**points(keep, color=colour), name=str(category), legendgroup=category))
    fig.update_layout(
        title=title,
        xaxis_title=axis_titles[0],
        yaxis_title=axis_titles[1],
        legend_title=color_title,
        legend=dict(itemsizing="constant"),
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
