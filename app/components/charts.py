"""Plotly charts with labelled axes and units, shared by the pages and the training panel."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.express as px
import plotly.graph_objects as go


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


def scatter_2d(coords: np.ndarray, labels: np.ndarray, class_names: Sequence[str], *, title: str, axis: str):
    """Points coloured by class; the global row index rides in custom_data for hover and selection."""
    names = [class_names[int(v)] if 0 <= int(v) < len(class_names) else "unlabelled" for v in labels]
    fig = px.scatter(
        x=coords[:, 0],
        y=coords[:, 1],
        color=names,
        custom_data=[np.arange(len(coords))],
        category_orders={"color": list(class_names)},
        title=title,
        opacity=0.7,
    )
    fig.update_traces(marker=dict(size=5), hovertemplate="index %{customdata[0]}<br>(%{x:.2f}, %{y:.2f})")
    fig.update_layout(
        xaxis_title=f"{axis} 1",
        yaxis_title=f"{axis} 2",
        legend_title="label",
        height=480,
        margin=dict(t=50, b=40),
    )
    return fig
