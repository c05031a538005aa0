"""The Few-shot page's other figures, drawn from the plain data `dul_models.explore.few_shot` returns: the
query × class table, an upload's probabilities, the benchmark's bars and MAML's adaptation curve (the decision
regions: regions.py). Nothing here computes a number."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from app.app_pages.few_shot.regions import palette
from dul_models.explore.few_shot import Adaptation, AnswerView


def distance_heatmap(answer: AnswerView, labels: Sequence[str]) -> go.Figure:
    """Query × prototype squared distances (features), or the probabilities when there are none (MAML);
    the solver's choice in each row marked ✓ or ✗."""
    unit = "squared distance (feature units²)" if answer.distances else "probability"
    short = [lab.split(" · ")[0] for lab in labels]
    rows = [f"q{i + 1} (class {short[t]})" for i, t in enumerate(answer.truth)]
    columns = [f"class {s}" for s in short]
    fig = go.Figure(
        go.Heatmap(
            z=answer.table,
            x=columns,
            y=rows,
            colorscale="Viridis",
            colorbar={"title": {"text": unit, "side": "right"}},
        )
    )
    fig.add_scatter(
        x=[columns[p] for p in answer.predicted],
        y=rows,
        mode="text",
        text=["✓" if c else "✗" for c in answer.correct],
        textfont=dict(color="white", size=14),
        hoverinfo="skip",
        showlegend=False,
    )
    what = "Query × prototype distances" if answer.distances else "Query × class probabilities"
    fig.update_layout(title=f"{what} (mark: the solver's choice)", height=max(460, 22 * len(rows) + 120))
    fig.update_xaxes(title="prototype (mean of the class's supports)", side="bottom")
    fig.update_yaxes(title="query (true class)", autorange="reversed")
    return fig


def upload_chart(probabilities: Sequence[float], labels: Sequence[str]) -> go.Figure:
    """The solver's probability of each episode class for an uploaded image."""
    fig = go.Figure(
        go.Bar(x=[f"class {lab}" for lab in labels], y=list(probabilities), marker_color=palette(len(labels)))
    )
    fig.update_layout(title="Where the solver puts your image", height=320, margin=dict(t=50, b=40))
    fig.update_yaxes(title="probability", range=[0, 1])
    fig.update_xaxes(title="episode class")
    return fig


def benchmark_chart(rows: Sequence[dict], settings: str) -> go.Figure:
    """Mean accuracy per method with its 95 % interval as error bars."""
    fig = go.Figure(
        go.Bar(
            x=[r["title"] for r in rows],
            y=[r["acc"] for r in rows],
            error_y=dict(type="data", array=[r["ci95"] for r in rows]),
            hovertext=[r["encoder"] for r in rows],
        )
    )
    fig.update_layout(title=f"Accuracy ± 95 % interval: {settings}", height=380, margin=dict(t=50, b=40))
    fig.update_yaxes(title="query accuracy (share, mean over episodes)", range=[0, 1])
    fig.update_xaxes(title="method")
    return fig


def step_chart(adaptation: Adaptation, step: int) -> go.Figure:
    """Support loss (nats) and query accuracy (share) after each inner step, the chosen step marked."""
    fig = go.Figure()
    fig.add_scatter(
        x=adaptation.steps, y=adaptation.support_loss, mode="lines+markers", name="support loss (nats)"
    )
    fig.add_scatter(
        x=adaptation.steps,
        y=adaptation.query_acc,
        mode="lines+markers",
        name="query accuracy (share)",
        yaxis="y2",
    )
    fig.add_vline(x=step, line_dash="dash", line_color="grey")
    fig.update_layout(
        title="Adapting to this episode's supports, step by step",
        height=380,
        xaxis=dict(title="inner gradient step (0 = the meta-learned initialisation)", dtick=1),
        yaxis=dict(title="support cross-entropy (nats)"),
        yaxis2=dict(title="query accuracy (share)", overlaying="y", side="right", range=[0, 1.05]),
        legend=dict(orientation="h", y=-0.25),
        margin=dict(t=50, b=40),
    )
    return fig
