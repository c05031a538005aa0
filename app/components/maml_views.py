"""The Few-shot page's MAML section: which variant a run is, and what each inner step of adaptation does
to the support loss, the query accuracy and the decision regions (from `few_shot_runs.maml_trace`)."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dul_models.models.maml import AdaptationStep
from dul_models.runs.checkpoints import RunInfo


def variant(info: RunInfo) -> tuple[bool, str]:
    """(first_order, the run's variant in words) from its config."""
    first = bool(info.config.get("first_order", False))
    steps = info.config.get("inner_steps", "?")
    if first:
        return (
            True,
            f"first-order MAML (FOMAML): the meta-gradient ignores how the {steps} inner steps depend on θ",
        )
    return False, f"second-order MAML: the meta-gradient goes back through all {steps} inner steps"


def step_chart(trace: list[AdaptationStep], step: int) -> go.Figure:
    """Support loss (nats) and query accuracy (share) after each inner step, the chosen step marked."""
    steps = [s.step for s in trace]
    fig = go.Figure()
    fig.add_scatter(
        x=steps, y=[s.support_loss for s in trace], mode="lines+markers", name="support loss (nats)"
    )
    fig.add_scatter(
        x=steps,
        y=[s.query_acc for s in trace],
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


def step_metrics(trace: list[AdaptationStep], step: int) -> None:
    now, start = trace[step], trace[0]
    a, b = st.columns(2)
    a.metric(
        "Support loss",
        f"{now.support_loss:.3f} nats",
        delta=f"{now.support_loss - start.support_loss:+.3f} since step 0",
        delta_color="inverse",
        help="Cross-entropy of the adapted network on the supports it is fitted to.",
    )
    b.metric(
        "Query accuracy",
        f"{now.query_acc:.0%}",
        delta=f"{(now.query_acc - start.query_acc) * 100:+.0f} points since step 0",
        help="Share of the episode's queries the adapted network gets right.",
    )
