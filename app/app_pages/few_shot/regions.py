"""The Few-shot page's decision-regions figure: the episode's plane coloured by the class the solver gives
each point, with the supports, prototypes and queries on it; and the class palette the page's figures share.
Drawn from the plain data `dul_models.explore.few_shot` returns; nothing here computes a number."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.express as px
import plotly.graph_objects as go

from dul_models.explore.few_shot import DecisionView


def palette(way: int) -> list[str]:
    """One colour per episode class (the regions, the points and the upload's bars share it)."""
    colours = px.colors.qualitative.Plotly if way <= 10 else px.colors.qualitative.Alphabet
    return [colours[n % len(colours)] for n in range(way)]


def decision_chart(view: DecisionView, labels: Sequence[str], *, title: str) -> go.Figure:
    """Regions (the class the solver gives each point of the plane), supports (◆), prototypes (★), queries
    (●, coloured by their true class; ✗ when answered wrong)."""
    way = len(view.classes)
    colours = palette(way)
    scale = [[edge / way, colours[n]] for n in range(way) for edge in (n, n + 1)]
    fig = go.Figure(
        go.Heatmap(
            x=view.x,
            y=view.y,
            z=view.regions,
            colorscale=scale,
            zmin=-0.5,
            zmax=way - 0.5,
            opacity=0.3,
            showscale=False,
            hoverinfo="skip",
        )
    )
    for n, points in enumerate(view.classes):
        group = dict(legendgroup=str(n), marker_color=colours[n])
        fig.add_scatter(
            x=points.query_x,
            y=points.query_y,
            mode="markers",
            name=f"class {labels[n]}",
            marker=dict(
                size=[13 if w else 9 for w in points.query_wrong],
                symbol=["x" if w else "circle" for w in points.query_wrong],
                line=dict(color="black", width=1),
            ),
            hovertemplate=f"query of class {labels[n]}<extra></extra>",
            **group,
        )
        fig.add_scatter(
            x=points.support_x,
            y=points.support_y,
            mode="markers",
            showlegend=False,
            marker=dict(size=11, symbol="diamond", line=dict(color="white", width=1)),
            hovertemplate=f"support of class {labels[n]}<extra></extra>",
            **group,
        )
        fig.add_scatter(
            x=[points.prototype[0]],
            y=[points.prototype[1]],
            mode="markers",
            showlegend=False,
            marker=dict(size=20, symbol="star", line=dict(color="black", width=1.5)),
            hovertemplate=f"prototype (support mean) of class {labels[n]}<extra></extra>",
            **group,
        )
    fig.update_layout(title=title, height=460, legend_title="true class", margin=dict(t=50, b=40))
    fig.update_xaxes(title="PC 1 of the episode's features (feature units)")
    fig.update_yaxes(title="PC 2 of the episode's features (feature units)")
    return fig
