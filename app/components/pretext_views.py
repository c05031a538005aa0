"""The four pretext tasks doing their task, one tab each: what the network was asked and what it answered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import torch

from app import resources
from app.components.images import image_grid
from app.components.runs import load_or_explain
from app.resources import self_supervised as cached
from dul_models.core.errors import DULError
from dul_models.data import ImageDataset
from dul_models.models.context import POSITIONS
from dul_models.models.rotation import ANGLES, rotate
from dul_models.runs.checkpoints import list_runs

SHOWN = 8  # images per task


def _run(page: str, family: str, dataset: str, what: str):
    """A picker over `family`'s runs on `dataset` (bundled first), loaded; None after saying why."""
    runs = list_runs(family=family, dataset=dataset)
    if not runs:
        st.info(f"No {what} run on {dataset} yet: pick “{what}” under Train live below and train one.")
        return None
    by_path = {str(r.path): r for r in runs}
    path = st.selectbox(
        f"{what} run", list(by_path), format_func=lambda p: by_path[p].label, key=f"{page}-{family}-run"
    )
    return load_or_explain(by_path[path], what, advice="Pick another run or train one below.")


def _start(page: str, family: str, size: int) -> int:
    last = max(0, size - SHOWN)
    return int(
        st.number_input("First test image", 0, last, 0, key=f"{page}-{family}-start", help=f"0 … {last}")
    )


def _task_run(page: str, family: str, dataset: str, what: str, intro: str):
    """A tab's opening: what the task asks, the run picker, and the run's scores; None if no run."""
    st.markdown(intro)
    run = _run(page, family, dataset, what)
    if run is not None:
        m = run.info.metrics
        parts = [f"{k} {m[k]:.3f}" for k in ("pretext_acc", "knn_acc", "linear_probe_acc_10") if k in m]
        st.caption(f"Run: {run.info.label} · " + " · ".join(parts) + " (test split)")
    return run


def _rotation(page: str, data: ImageDataset, x_test: torch.Tensor, device: str) -> None:
    intro = (
        "Each test image in all four quarter turns; the network names the turn. To know which way is up it "
        "must recognise the digit — and where a digit looks the same turned (0, 1, 8), it cannot."
    )
    run = _task_run(page, "rotation", data.name, "Rotation", intro)
    if run is None:
        return
    start = _start(page, "rotation", len(x_test))
    images = x_test[start : start + SHOWN]
    turned = torch.cat([rotate(images, k) for k in range(4)])  # (4·SHOWN, C, H, W): one row per turn
    probabilities = run.model.predict_rotation(turned.to(run.model.device)).cpu().numpy().reshape(4, -1, 4)
    image_grid(
        turned.cpu(), nrow=len(images), caption="Rows: turned by 0°, 90°, 180°, 270° (counter-clockwise)"
    )
    table = pd.DataFrame(
        {
            f"#{start + i}": [
                f"{ANGLES[int(p.argmax())]}° ({p.max():.0%})" + ("" if int(p.argmax()) == k else " ✗")
                for k, p in enumerate(probabilities[:, i])
            ]
            for i in range(len(images))
        },
        index=[f"turned {a}°" for a in ANGLES],
    )
    st.dataframe(table)
    st.caption("Predicted turn (confidence); ✗ = wrong.")
    try:
        by_class = cached.rotation_by_class(str(run.info.path), data.name, device)
    except DULError as exc:
        st.error(f"Could not score the test split: {exc}")
        return
    fig = go.Figure(go.Bar(x=list(data.class_names), y=by_class))
    fig.update_layout(
        title="Which digits' turn is hard to tell? (all test images, all four turns)", height=320
    )
    fig.update_xaxes(title="class (never shown to the network)", type="category")
    low = float(np.nanmin(by_class)) if np.isfinite(by_class).any() else 0.0
    fig.update_yaxes(title="turns predicted right (share)", range=[max(0.0, low - 0.05), 1])  # show the dips
    st.plotly_chart(fig, key=f"{page}-rotation-by-class")


def _jigsaw(page: str, data: ImageDataset, x_test: torch.Tensor) -> None:
    intro = (
        "The centre of each image is cut into tiles and shuffled by one of a fixed set of orderings chosen to "
        "differ a lot (large Hamming distance); the network sees the tiles one by one and names the ordering."
    )
    run = _task_run(page, "jigsaw", data.name, "Jigsaw", intro)
    if run is None:
        return
    start = _start(page, "jigsaw", len(x_test))
    seed = int(st.number_input("Shuffle seed", 0, 10_000, 0, key=f"{page}-jigsaw-seed"))
    solved = run.model.solve(x_test[start : start + SHOWN], seed=seed)
    rows = torch.cat([solved["shuffled"], solved["reassembled"], solved["original"]])
    right = (solved["predicted_permutation"] == solved["true_permutation"]).tolist()
    image_grid(rows, nrow=len(right), caption="Rows: shuffled tiles · the model's ordering · the original")
    st.caption(
        "Solved: "
        + ", ".join(
            f"#{start + i} {'✓' if ok else '✗'} ({p:.0%})"
            for i, (ok, p) in enumerate(zip(right, solved["probability"].tolist(), strict=True))
        )
        + f" · {len(solved['permutations'])} orderings to choose from"
    )


def _context(page: str, data: ImageDataset, x_test: torch.Tensor) -> None:
    intro = (
        "A centre patch and one of its eight neighbours (with a random gap, so edges cannot simply be "
        "continued); the network says where the neighbour sits. It has to know what digits look like."
    )
    run = _task_run(page, "context", data.name, "Context", intro)
    if run is None:
        return
    c1, c2 = st.columns(2)
    with c1:
        start = _start(page, "context", len(x_test))
    choice = c2.selectbox("Neighbour", ["random", *POSITIONS], key=f"{page}-context-neighbour")
    neighbour = None if choice == "random" else POSITIONS.index(choice)
    result = run.model.predict_position(x_test[start : start + SHOWN], neighbour=neighbour)
    image_grid(
        torch.cat([result["centre"], result["neighbour"]]),
        nrow=result["centre"].shape[0],
        caption="Top: centre patches · bottom: the neighbour shown with each",
        scale=5,
    )
    which = st.slider(
        "Image for the 3×3 answer", 0, result["centre"].shape[0] - 1, 0, key=f"{page}-context-which"
    )
    grid = np.insert(result["probabilities"][which].numpy(), 4, np.nan).reshape(3, 3)  # centre cell empty
    truth = int(result["position"][which])
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            zmin=0,
            zmax=1,
            colorscale="Blues",
            colorbar={"title": "p(position)"},
            text=[[f"{v:.0%}" if v == v else "centre" for v in row] for row in grid],
            texttemplate="%{text}",
        )
    )
    fig.update_layout(
        title=f"Where is the neighbour of #{start + which}? Truth: {POSITIONS[truth]}", height=360, width=420
    )
    fig.update_xaxes(showticklabels=False, title="left ← → right")
    fig.update_yaxes(showticklabels=False, title="bottom ← → top", autorange="reversed")
    st.plotly_chart(fig, key=f"{page}-context-grid")


def _colorization(page: str, data: ImageDataset, device: str) -> None:
    st.markdown(
        "The network sees only the grey image and paints the colour back (it predicts the two chroma channels). "
        "Regression to the mean colour makes it cautious: expect muted, plausible colours rather than vivid ones."
    )
    name = data.name if data.image_shape[0] == 3 else "photos"
    if name != data.name:
        st.caption(f"{data.name} is grey, so this tab uses the colour `photos` set.")
    run = _run(page, "colorization", name, "Colorisation")
    if run is None:
        return
    m = run.info.metrics
    if "colorization_mse" in m:
        st.caption(
            f"Run: {run.info.label} · colour MSE {m['colorization_mse']:.4f} vs {m.get('grey_baseline_mse', float('nan')):.4f} "
            "for the grey image alone (per pixel and channel, test split, pixel values in [0, 1])"
        )
    x_test = resources.test_images(name, device)
    start = _start(page, "colorization", len(x_test))
    result = run.model.colorize(x_test[start : start + SHOWN])
    rows = torch.cat([result["grey"], result["predicted"], result["original"]])
    image_grid(
        rows, nrow=result["grey"].shape[0], caption="Rows: grey input · predicted colours · original", scale=3
    )


def pretext_section(page: str, data: ImageDataset, x_test: torch.Tensor, device: str) -> None:
    """Tabs for rotation, jigsaw, context and colorisation runs (each with its own run picker)."""
    tabs = st.tabs(["Rotation", "Jigsaw", "Context", "Colorisation"])
    with tabs[0]:
        _rotation(page, data, x_test, device)
    with tabs[1]:
        _jigsaw(page, data, x_test)
    with tabs[2]:
        _context(page, data, x_test)
    with tabs[3]:
        _colorization(page, data, device)
