"""What the Few-shot page draws of an episode: hand-picking supports, the supports and the answered queries,
an uploaded query's answer, and the benchmark table. Every number and image comes from
`dul_models.explore.few_shot`; nothing here computes a metric."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from app import state
from app.app_pages.few_shot.charts import benchmark_chart, upload_chart
from app.components.images import captioned_tiles
from dul_models import class_name
from dul_models.explore import few_shot

CANDIDATES = 8  # images offered per class to pick supports from
MAX_SHOWN = 60  # query tiles drawn at most (a 20-way 15-query episode has 300)


def class_labels(names: Sequence[str], classes: Sequence[int]) -> list[str]:
    """ "1 · 7", "2 · 3", …: the episode's class number (what the answers use) and the dataset's name."""
    return [f"{n + 1} · {class_name(names, c)}" for n, c in enumerate(classes)]


# --- the episode builder's hand-picking ------------------------------------------------------------


def _toggle(key: tuple[str, str, int], row: int) -> None:
    picks = state.few_shot_picks()
    chosen = picks.setdefault(key, [])
    picks[key] = sorted(set(chosen) ^ {row})


def hand_pick(
    pool: few_shot.EpisodePool, classes: Sequence[int], names: Sequence[str], dataset_name: str
) -> list[list[int]]:
    """Candidate images per class, each with a checkbox; returns the ticked pool rows per class.

    Each class's candidates are drawn on their own with seed 0, so they (and the ticks, kept in app.state)
    stay put when the other classes of the episode change. The first candidate starts ticked."""
    picks = state.few_shot_picks()
    chosen_rows = []
    for n, c in enumerate(classes):
        rows, images = few_shot.support_candidates(pool, c, CANDIDATES, seed=0)
        key = (dataset_name, pool.role, c)
        chosen = [r for r in picks.setdefault(key, [rows[0]]) if r in rows]
        st.markdown(f"**Class {n + 1}** ({class_name(names, c)}): {len(chosen)} ticked")
        for column, row, image in zip(st.columns(len(rows)), rows, images, strict=True):
            with column:
                captioned_tiles(image, [f"#{row}"], size=56)
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


def support_tiles(pool: few_shot.EpisodePool, episode: few_shot.EpisodeSet, labels: Sequence[str]) -> None:
    """The support images, class after class, each captioned with its episode class."""
    _, _, k, _ = episode.shape
    captioned_tiles(
        few_shot.support_images(pool, episode), [f"class {lab}" for lab in labels for _ in range(k)]
    )


def query_tiles(
    pool: few_shot.EpisodePool,
    episode: few_shot.EpisodeSet,
    answer: few_shot.AnswerView,
    labels: Sequence[str],
) -> None:
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
    captioned_tiles(few_shot.query_images(pool, episode, range(shown)), captions)
    more = (
        f" The first {shown} of {len(answer.truth)} queries are shown." if shown < len(answer.truth) else ""
    )
    st.caption(
        f"Caption: ✓/✗ → the class the solver chose (its probability), and the true class when wrong.{more}"
    )


def upload_answer(upload: few_shot.UploadAnswer, labels: Sequence[str]) -> None:
    """An uploaded image beside the solver's probability for each class of the episode."""
    left, right = st.columns([1, 3])
    with left:
        captioned_tiles(upload.image, ["your image, as the model sees it"], size=112)
    right.plotly_chart(upload_chart(upload.probabilities, labels))


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
    st.plotly_chart(benchmark_chart(rows, settings), key=f"{key}-chart")
    st.download_button(
        "⬇ Benchmark table CSV", frame.to_csv(index=False), file_name, "text/csv", key=f"{key}-csv"
    )
