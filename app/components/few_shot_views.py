"""What the Few-shot page draws: hand-picking supports, an episode's supports and answered queries, the
decision regions in 2-D, the query × prototype distances, and the benchmark.
Every number comes from `dul_models.models.episode_solvers` / `few_shot_runs`; nothing here computes a metric."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st
import torch

from app import state
from app.components.images import captioned_tiles
from dul_models.data import to_float
from dul_models.data.episodes import EpisodePool, EpisodeSet
from dul_models.data.gallery import class_name
from dul_models.features.episode_views import prototype_coords
from dul_models.features.few_shot import EpisodeAnswer, class_candidates

CANDIDATES = 8  # images offered per class to pick supports from
MAX_SHOWN = 60  # query tiles drawn at most (a 20-way 15-query episode has 300)


def class_labels(names: Sequence[str], classes: np.ndarray) -> list[str]:
    """ "1 · 7", "2 · 3", …: the episode's class number (what the answers use) and the dataset's name."""
    return [f"{n + 1} · {class_name(names, c)}" for n, c in enumerate(classes)]


def palette(way: int) -> list[str]:
    colours = px.colors.qualitative.Plotly if way <= 10 else px.colors.qualitative.Alphabet
    return [colours[n % len(colours)] for n in range(way)]


def pool_images(pool: EpisodePool, rows: np.ndarray) -> torch.Tensor:
    return to_float(pool.x[torch.as_tensor(np.asarray(rows).reshape(-1))])


# --- the episode builder's hand-picking ------------------------------------------------------------


def _toggle(key: tuple[str, str, int], row: int) -> None:
    picks = state.few_shot_picks()
    chosen = picks.setdefault(key, [])
    picks[key] = sorted(set(chosen) ^ {row})


def hand_pick(
    pool: EpisodePool, classes: np.ndarray, names: Sequence[str], dataset_name: str
) -> list[list[int]]:
    """Candidate images per class, each with a checkbox; returns the ticked pool rows per class.

    Each class's candidates are drawn on their own with seed 0, so they (and the ticks, kept in app.state)
    stay put when the other classes of the episode change. The first candidate starts ticked."""
    picks = state.few_shot_picks()
    chosen_rows = []
    for n, c in enumerate(classes):
        rows = class_candidates(pool, [int(c)], CANDIDATES, seed=0)[0]
        key = (dataset_name, pool.role, int(c))
        chosen = [r for r in picks.setdefault(key, [int(rows[0])]) if r in set(rows.tolist())]
        st.markdown(f"**Class {n + 1}** ({class_name(names, c)}): {len(chosen)} ticked")
        images = pool_images(pool, rows)
        for column, row, image in zip(st.columns(len(rows)), rows.tolist(), images, strict=True):
            with column:
                captioned_tiles(image[None], [f"#{row}"], size=56)
                st.checkbox(
                    "support",
                    value=row in chosen,
                    key=f"fs-pick-{dataset_name}-{pool.role}-{c}-{row}",
                    on_change=_toggle,
                    args=(key, row),
                )
        chosen_rows.append(chosen)
    return chosen_rows


# --- one episode, answered -------------------------------------------------------------------------


def support_tiles(pool: EpisodePool, episode: EpisodeSet, labels: Sequence[str]) -> None:
    """The support images, class after class, each captioned with its episode class."""
    _, _, k, _ = episode.shape
    captioned_tiles(
        pool_images(pool, episode.support[0]), [f"class {lab}" for lab in labels for _ in range(k)]
    )


def query_tiles(pool: EpisodePool, episode: EpisodeSet, answer: EpisodeAnswer, labels: Sequence[str]) -> None:
    """The queries with the solver's answer and confidence, ✓ or ✗ (the first MAX_SHOWN)."""
    shown = min(len(answer.truth), MAX_SHOWN)
    captions = [
        f"{'✓' if right else '✗'} → {labels[p].split(' · ')[0]} ({conf:.2f})"
        + ("" if right else f", is {labels[t].split(' · ')[0]}")
        for p, t, conf, right in zip(
            answer.predicted[:shown],
            answer.truth[:shown],
            answer.confidence[:shown],
            answer.correct[:shown],
            strict=True,
        )
    ]
    captioned_tiles(pool_images(pool, episode.query[0])[:shown], captions)
    more = (
        f" The first {shown} of {len(answer.truth)} queries are shown." if shown < len(answer.truth) else ""
    )
    st.caption(
        f"Caption: ✓/✗ → the class the solver chose (its probability), and the true class when wrong.{more}"
    )


def decision_chart(
    plane: dict[str, np.ndarray],
    episode: EpisodeSet,
    labels: Sequence[str],
    *,
    title: str,
    correct: np.ndarray | None = None,
) -> go.Figure:
    """Regions (the class the solver gives each point of the plane), supports (◆), prototypes (★), queries
    (●, coloured by their true class; ✗ when answered wrong)."""
    _, way, shot, q = episode.shape
    colours = palette(way)
    scale = [[edge / way, colours[n]] for n in range(way) for edge in (n, n + 1)]
    fig = go.Figure(
        go.Heatmap(
            x=plane["x"],
            y=plane["y"],
            z=plane["regions"],
            colorscale=scale,
            zmin=-0.5,
            zmax=way - 0.5,
            opacity=0.3,
            showscale=False,
            hoverinfo="skip",
        )
    )
    coords, prototypes = plane["coords"], prototype_coords(plane["coords"], way, shot)
    queries = coords[way * shot :]
    for n in range(way):
        group = dict(legendgroup=str(n), marker_color=colours[n])
        own = queries[n * q : (n + 1) * q]
        wrong = np.zeros(q, bool) if correct is None else ~correct[n * q : (n + 1) * q]
        fig.add_scatter(
            x=own[:, 0],
            y=own[:, 1],
            mode="markers",
            name=f"class {labels[n]}",
            marker=dict(
                size=[13 if w else 9 for w in wrong],
                symbol=["x" if w else "circle" for w in wrong],
                line=dict(color="black", width=1),
            ),
            hovertemplate=f"query of class {labels[n]}<extra></extra>",
            **group,
        )
        fig.add_scatter(
            x=coords[n * shot : (n + 1) * shot, 0],
            y=coords[n * shot : (n + 1) * shot, 1],
            mode="markers",
            showlegend=False,
            marker=dict(size=11, symbol="diamond", line=dict(color="white", width=1)),
            hovertemplate=f"support of class {labels[n]}<extra></extra>",
            **group,
        )
        fig.add_scatter(
            x=prototypes[n : n + 1, 0],
            y=prototypes[n : n + 1, 1],
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


def distance_heatmap(answer: EpisodeAnswer, labels: Sequence[str]) -> go.Figure:
    """Query × prototype squared distances (features), or the probabilities when there are none (MAML);
    the solver's choice in each row marked ✓ or ✗."""
    values = answer.distances if answer.distances is not None else answer.probabilities
    unit = "squared distance (feature units²)" if answer.distances is not None else "probability"
    short = [lab.split(" · ")[0] for lab in labels]
    rows = [f"q{i + 1} (class {short[t]})" for i, t in enumerate(answer.truth)]
    columns = [f"class {s}" for s in short]
    fig = go.Figure(
        go.Heatmap(
            z=values,
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
    what = "Query × prototype distances" if answer.distances is not None else "Query × class probabilities"
    fig.update_layout(title=f"{what} (mark: the solver's choice)", height=max(460, 22 * len(rows) + 120))
    fig.update_xaxes(title="prototype (mean of the class's supports)", side="bottom")
    fig.update_yaxes(title="query (true class)", autorange="reversed")
    return fig


def upload_answer(image: torch.Tensor, probs: np.ndarray, labels: Sequence[str]) -> None:
    """An uploaded image beside the solver's probability for each class of the episode."""
    left, right = st.columns([1, 3])
    with left:
        captioned_tiles(image[None].cpu(), ["your image, as the model sees it"], size=112)
    fig = go.Figure(go.Bar(x=[f"class {lab}" for lab in labels], y=probs, marker_color=palette(len(labels))))
    fig.update_layout(title="Where the solver puts your image", height=320, margin=dict(t=50, b=40))
    fig.update_yaxes(title="probability", range=[0, 1])
    fig.update_xaxes(title="episode class")
    right.plotly_chart(fig)


# --- the benchmark -----------------------------------------------------------------------------------


def benchmark_view(rows: list[dict], settings: str, file_name: str, *, key: str) -> None:
    """Mean accuracy ± 95 % interval per method, as a table, a bar chart and a CSV."""
    frame = pd.DataFrame(
        {
            "method": [r["title"] for r in rows],
            "encoder": [r["encoder"] for r in rows],
            "accuracy": [r["acc"] for r in rows],
            "ci95": [r["ci95"] for r in rows],
            "episodes": [r["episodes"] for r in rows],
            "seconds": [r["seconds"] for r in rows],
        }
    )
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            "accuracy": st.column_config.NumberColumn("accuracy (mean)", format="%.3f"),
            "ci95": st.column_config.NumberColumn("± 95 % interval", format="%.3f"),
            "seconds": st.column_config.NumberColumn("time (s)", format="%.1f"),
        },
        key=f"{key}-table",
    )
    fig = go.Figure(
        go.Bar(
            x=frame["method"],
            y=frame["accuracy"],
            error_y=dict(type="data", array=frame["ci95"]),
            hovertext=frame["encoder"],
        )
    )
    fig.update_layout(title=f"Accuracy ± 95 % interval: {settings}", height=380, margin=dict(t=50, b=40))
    fig.update_yaxes(title="query accuracy (share, mean over episodes)", range=[0, 1])
    fig.update_xaxes(title="method")
    st.plotly_chart(fig, key=f"{key}-chart")
    st.download_button(
        "⬇ Benchmark table CSV", frame.to_csv(index=False), file_name, "text/csv", key=f"{key}-csv"
    )
