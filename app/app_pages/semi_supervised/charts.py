"""The semi-supervised page's accuracy-against-budget chart and where its numbers came from (the
benchmark's file, or label propagation recomputed on the page); nothing here computes a metric."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go


def budget_chart(rows: Sequence[dict], budgets: Sequence[int]) -> go.Figure:
    """Test accuracy against labels per class (log axis), one line per method; recomputed lines dashed."""
    fig = go.Figure()
    for method in dict.fromkeys(r["method"] for r in rows):
        line = sorted((r for r in rows if r["method"] == method), key=lambda r: r["labels_per_class"])
        fig.add_trace(
            go.Scatter(
                x=[r["labels_per_class"] for r in line],
                y=[r["test_acc"] for r in line],
                mode="lines+markers",
                name=method,
                line={"dash": "dash" if "recomputed" in method else "solid"},
                hovertemplate="%{x} labels per class: %{y:.3f}<extra>" + method + "</extra>",
            )
        )
    fig.update_layout(
        title="Is unlabelled data worth it? Test accuracy against the label budget",
        height=420,
        legend_title="method",
        showlegend=True,  # also for one line: its name says where it came from
        margin={"t": 50, "b": 40},
    )
    fig.update_xaxes(title="labels per class (log scale)", type="log", tickvals=list(budgets))
    fig.update_yaxes(title="test accuracy (share of test images)")
    return fig


def machine_note(results: dict) -> str:
    """Where the benchmark's numbers came from: its title, date and machine."""
    m = results.get("machine") or {}
    gpu = f", {m['cuda']}" if m.get("cuda") else ""
    return (
        f"Solid lines: {results.get('title') or 'the semi-supervised benchmark'} "
        f"(benchmarks/results/semi_supervised.json), measured {m.get('date', '(no date)')} on "
        f"{m.get('cpu', 'an unnamed machine')} ({m.get('cores', '?')} cores, torch {m.get('torch', '?')}{gpu}). "
        "Training twelve networks takes too long for a page on a CPU, so the training lines are the "
        "benchmark's; label propagation takes seconds, so its line can be recomputed here (dashed)."
    )
