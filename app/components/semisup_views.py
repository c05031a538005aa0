"""What the semi-supervised page draws: the labelled images, a run's scores and its pseudo-label gallery,
label propagation's scores, colours and CSV, and the accuracy-against-budget chart. Numbers come from
the library (`dul_models.features.label_propagation`) or the benchmark's file; nothing here computes a metric."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import torch

from app.components.images import captioned_tiles, image_grid
from app.resources import semi_supervised as cached
from dul_models.core.errors import DULError
from dul_models.core.images import grid_array, png_bytes
from dul_models.data import ImageDataset, to_float
from dul_models.data.gallery import class_name
from dul_models.features.encoders import EncoderSpec
from dul_models.features.label_propagation import Propagation, PseudoLabels
from dul_models.runs.checkpoints import RunInfo

COLUMNS = 16  # labelled images shown per class (one row each); the CSV lists them all
GIVEN = "given label"  # the map's colour for the images whose label was known
TILE = 72  # pixels: the gallery's images, each with its own caption


def labelled_images(data: ImageDataset, rows: np.ndarray, budget: int, seed: int, *, key: str) -> None:
    """The labelled training images, one row per class (`rows` is class after class, `budget` each)."""
    shown = min(budget, COLUMNS)
    per_class = rows.reshape(-1, budget)[:, :shown]  # (classes, shown)
    images = to_float(data.train.x[torch.as_tensor(per_class.ravel())])
    more = f" (the first {shown} of each class shown; the CSV lists all)" if budget > shown else ""
    image_grid(
        images,
        nrow=shown,
        scale=max(1, round(56 / images.shape[-1])),  # 8×8 digits enlarged to about 56 pixels
        caption=f"{len(rows):,} labelled images ({budget} per class, label seed {seed}), one row per class: "
        f"{', '.join(data.class_names)}{more}. The other {len(data.train.y) - len(rows):,} training images "
        "are unlabelled.",
        download_name=f"{data.name}-labelled-{budget}-per-class.png",
        key=f"{key}-png",
    )
    labels = data.train.y.numpy()[rows]
    frame = pd.DataFrame({"index": rows, "label": [class_name(data.class_names, v) for v in labels]})
    st.download_button(
        "⬇ Labelled images CSV (training-split index, label)",
        frame.to_csv(index=False),
        f"{data.name}-labelled-{budget}-per-class-seed{seed}.csv",
        "text/csv",
        key=f"{key}-csv",
    )


def _number(value: object, template: str = "{:.3f}") -> str:
    return template.format(value) if isinstance(value, (int, float)) else "—"


def run_scores(info: RunInfo) -> None:
    """The run's final test accuracy and pseudo-label scores (metrics.json), and what it was trained with."""
    m, c = info.metrics, info.config
    shown = (
        ("Test accuracy", m.get("test_acc"), "Share of the test images classified right."),
        (
            "Pseudo-label accuracy",
            m.get("pseudo_label_acc"),
            "Of the unlabelled training images whose top probability reaches τ, the share whose "
            "pseudo-label matches the hidden label (of all of them when none reaches τ).",
        ),
        (
            "Unlabelled images above τ",
            m.get("mask_rate"),
            "Share of the unlabelled training images confident enough to be trained on (mask rate).",
        ),
    )
    for column, (label, value, help_text) in zip(st.columns(len(shown)), shown, strict=True):
        column.metric(label, _number(value, "{:.1%}" if "τ" in label else "{:.3f}"), help=help_text)
    st.caption(
        f"Run: {info.label} · method {c.get('method', '?')} · {c.get('labels_per_class', '?')} labels per class "
        f"(label seed {c.get('label_seed', '?')}) · τ = {c.get('threshold', '?')} · "
        f"λ = {c.get('unlabelled_weight', '?')} · {info.step:,} steps. Scores measured at the end of training."
    )


def _tiles(found: PseudoLabels, rows: np.ndarray, data: ImageDataset, keep: np.ndarray) -> None:
    """One tile per image, all of one size, captioned "pseudo-label (confidence)" and, when wrong, the truth."""
    if not keep.any():
        st.caption("None in this pick.")
        return
    images = to_float(data.train.x[torch.as_tensor(rows[keep])])
    hidden = data.train.y.numpy()[rows[keep]]
    # confidence rounded down, so that 0.9496 (below τ = 0.95) never reads "0.95"
    captions = [
        f"{class_name(data.class_names, p)} ({np.floor(c * 100) / 100:.2f}{'' if above else ', < τ'})"
        + ("" if right else f" · is {class_name(data.class_names, h)}")
        for p, c, above, right, h in zip(
            found.predicted[keep],
            found.confidence[keep],
            found.above_threshold[keep],
            found.correct[keep],
            hidden,
            strict=True,
        )
    ]
    captioned_tiles(images, captions, size=TILE)


def pseudo_label_gallery_view(
    found: PseudoLabels, rows: np.ndarray, data: ImageDataset, pick: str, *, key: str
) -> None:
    """Right and wrong pseudo-labels side by side, captioned "label (confidence)", and a CSV of them."""
    if not len(rows):
        st.info("Not one of the unlabelled images is pseudo-labelled wrong: nothing to show in this pick.")
        return
    right, wrong = st.columns(2)
    with right:
        st.markdown(f"**Right** · {int(found.correct.sum())} of {len(rows)}")
        _tiles(found, rows, data, found.correct)
    with wrong:
        st.markdown(
            f'**:red[Wrong]** · {int((~found.correct).sum())} of {len(rows)} ("is" = the hidden label)'
        )
        _tiles(found, rows, data, ~found.correct)
    st.caption(
        f'Caption: pseudo-label (the model\'s confidence); "< τ" marks those below τ = {found.threshold:g}, '
        "which FixMatch would not train on. Most confident first."
    )
    hidden = data.train.y.numpy()[rows]
    frame = pd.DataFrame(
        {
            "index": rows,
            "pseudo_label": [class_name(data.class_names, v) for v in found.predicted],
            "confidence": found.confidence,
            "hidden_label": [class_name(data.class_names, v) for v in hidden],
            "correct": found.correct,
            "above_threshold": found.above_threshold,
        }
    )
    c1, c2 = st.columns(2)
    c1.download_button(
        "⬇ Gallery CSV (index, pseudo-label, confidence, hidden label, …)",
        frame.to_csv(index=False),
        f"{data.name}-pseudo-labels-{pick}.csv",
        "text/csv",
        key=f"{key}-csv",
    )
    c2.download_button(
        "⬇ Gallery PNG",
        png_bytes(grid_array(to_float(data.train.x[torch.as_tensor(rows)]), nrow=8)),
        f"{data.name}-pseudo-labels-{pick}.png",
        "image/png",
        key=f"{key}-png",
    )


def propagation_scores(result: Propagation) -> None:
    """Accuracy on the test split and on the unlabelled training images, and the time it took."""
    shown = (
        (
            "Propagated: test accuracy",
            f"{result.test_acc:.3f}",
            "Share of the test images given their label.",
        ),
        (
            "Propagated: unlabelled training images",
            f"{result.unlabelled_acc:.3f}",
            "Share of the training images that had no label and received the right one.",
        ),
        ("Labelled images", f"{result.n_labelled:,}", "Labels spread from (the budget above)."),
        ("Time", f"{result.seconds:.2f} s", "Graph and spreading, features already computed."),
    )
    for column, (label, text, help_text) in zip(st.columns(len(shown)), shown, strict=True):
        column.metric(label, text, help=help_text)


def propagation_colours(
    result: Propagation, labelled: np.ndarray, train_y: np.ndarray, class_names: Sequence[str], by: str
) -> np.ndarray:
    """Per training image: its propagated label ("right or wrong" when `by` says so); GIVEN where known."""
    if by == "right or wrong":
        colours = np.where(result.train_labels == train_y, "right", "wrong").astype(object)
    else:
        colours = np.array([class_name(class_names, v) for v in result.train_labels], dtype=object)
    colours[labelled] = GIVEN
    return colours


def propagation_csv(
    result: Propagation, labelled: np.ndarray, data: ImageDataset, file_name: str, *, key: str
) -> None:
    """Every image's propagated label beside its true one, train and test splits, labelled rows marked."""
    given = np.zeros(len(result.train_labels), dtype=bool)
    given[labelled] = True
    frames = [
        pd.DataFrame(
            {
                "split": split,
                "index": np.arange(len(labels)),
                "label": [class_name(data.class_names, v) for v in truth],
                "propagated": [class_name(data.class_names, v) for v in labels],
                "given": mask,
            }
        )
        for split, labels, truth, mask in (
            ("train", result.train_labels, data.train.y.numpy(), given),
            ("test", result.test_labels, data.test.y.numpy(), np.zeros(len(result.test_labels), bool)),
        )
    ]
    st.download_button(
        "⬇ Propagated labels CSV (split, index, label, propagated, given)",
        pd.concat(frames).to_csv(index=False),
        file_name,
        "text/csv",
        key=key,
    )


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


def _machine(results: dict) -> str:
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


def budget_section(
    spec: EncoderSpec, name: str, device: str, label_seed: int, neighbours: int, *, key: str
) -> None:
    """The benchmark's lines (or why there are none), a button that recomputes label propagation's line
    on `spec`, then the chart, where its numbers came from, and its rows as a CSV."""
    results, why = cached.budget_results()
    rows, note = cached.curve_rows(results, name) if results else ([], "")
    if results is None:
        st.info(
            f"The semi-supervised benchmark has not been run on this machine ({why}): `python "
            "benchmarks/run_all.py semi_supervised` writes its training lines. The label-propagation line "
            "can still be recomputed here."
        )
    elif note:
        st.info(note)
    budgets = ", ".join(map(str, cached.CURVE_BUDGETS))
    choice = (name, spec, label_seed, neighbours)
    if st.button(f"Recompute label propagation on {spec.label} at {budgets} labels per class", key=key):
        try:
            st.session_state[f"{key}-rows"] = (
                choice,
                cached.propagation_curve(spec, name, device, label_seed, neighbours),
            )
        except DULError as exc:
            st.error(f"Cannot recompute the curve: {exc}")
    stored = st.session_state.get(f"{key}-rows")
    mine = stored[1] if stored and stored[0] == choice else []
    if not (rows or mine):
        return
    st.plotly_chart(budget_chart(rows + mine, cached.CURVE_BUDGETS), key=f"{key}-chart")
    notes = [_machine(results)] if rows else []
    if mine:
        notes.append(
            f"Dashed: recomputed on this page on {name} (label seed {label_seed}, {neighbours} neighbours) in "
            f"{sum(r['seconds'] for r in mine):.1f} s for the four budgets."
        )
    st.caption(" ".join(notes))
    st.download_button(
        "⬇ Chart rows CSV (method, labels per class, test accuracy)",
        pd.DataFrame(rows + mine).to_csv(index=False),
        f"{name}-accuracy-vs-label-budget.csv",
        "text/csv",
        key=f"{key}-csv",
    )
