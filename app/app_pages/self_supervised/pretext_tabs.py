"""The four pretext tabs, one function each: what the task asks, the run's answers on test images, and
(rotation, context) a chart of how sure or right it is."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import resources
from app.app_pages.self_supervised import cached
from app.app_pages.self_supervised.pretext_runs import first_image, tab_opening, task_run
from app.components.images import image_grid
from dul_models import DULError, ImageDataset
from dul_models.explore import self_supervised_pretext as explore


def rotation_tab(page: str, data: ImageDataset, images, device: str) -> None:
    intro = (
        "Each test image in all four quarter turns; the network names the turn. To know which way is up it "
        "must recognise the digit — and where a digit looks the same turned (0, 1, 8), it cannot."
    )
    run = tab_opening(page, "rotation", data.name, "Rotation", intro)
    if run is None:
        return
    start = first_image(page, "rotation", len(images))
    task = explore.rotation_task(run.model, images, start)
    image_grid(
        task.turned, nrow=task.count, caption="Rows: turned by 0°, 90°, 180°, 270° (counter-clockwise)"
    )
    st.dataframe(pd.DataFrame(task.table, index=task.turns))
    st.caption("Predicted turn (confidence); ✗ = wrong.")
    try:
        scores = cached.rotation_by_class(str(run.info.path), data.name, device)
    except DULError as exc:
        st.error(f"Could not score the test split: {exc}")
        return
    fig = go.Figure(go.Bar(x=scores.classes, y=scores.values))
    fig.update_layout(
        title="Which digits' turn is hard to tell? (all test images, all four turns)", height=320
    )
    fig.update_xaxes(title="class (never shown to the network)", type="category")
    fig.update_yaxes(title="turns predicted right (share)", range=[scores.axis_floor, 1])  # show the dips
    st.plotly_chart(fig, key=f"{page}-rotation-by-class")


def jigsaw_tab(page: str, data: ImageDataset, images) -> None:
    intro = (
        "The centre of each image is cut into tiles and shuffled by one of a fixed set of orderings chosen to "
        "differ a lot (large Hamming distance); the network sees the tiles one by one and names the ordering."
    )
    run = tab_opening(page, "jigsaw", data.name, "Jigsaw", intro)
    if run is None:
        return
    start = first_image(page, "jigsaw", len(images))
    seed = int(st.number_input("Shuffle seed", 0, 10_000, 0, key=f"{page}-jigsaw-seed"))
    task = explore.jigsaw_task(run.model, images, start, seed=seed)
    image_grid(
        task.rows, nrow=len(task.solved), caption="Rows: shuffled tiles · the model's ordering · the original"
    )
    st.caption(
        "Solved: "
        + ", ".join(
            f"#{start + i} {'✓' if ok else '✗'} ({p:.0%})"
            for i, (ok, p) in enumerate(zip(task.solved, task.confidence, strict=True))
        )
        + f" · {task.orderings} orderings to choose from"
    )


def context_tab(page: str, data: ImageDataset, images) -> None:
    intro = (
        "A centre patch and one of its eight neighbours (with a random gap, so edges cannot simply be "
        "continued); the network says where the neighbour sits. It has to know what digits look like."
    )
    run = tab_opening(page, "context", data.name, "Context", intro)
    if run is None:
        return
    c1, c2 = st.columns(2)
    with c1:
        start = first_image(page, "context", len(images))
    neighbour = c2.selectbox("Neighbour", explore.NEIGHBOUR_CHOICES, key=f"{page}-context-neighbour")
    task = explore.context_task(run.model, images, start, neighbour)
    image_grid(
        task.patches,
        nrow=task.count,
        caption="Top: centre patches · bottom: the neighbour shown with each",
        scale=5,
    )
    which = st.slider("Image for the 3×3 answer", 0, task.count - 1, 0, key=f"{page}-context-which")
    grid = task.grids[which]
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            zmin=0,
            zmax=1,
            colorscale="Blues",
            colorbar={"title": "p(position)"},
            text=[["centre" if v is None else f"{v:.0%}" for v in row] for row in grid],
            texttemplate="%{text}",
        )
    )
    fig.update_layout(
        title=f"Where is the neighbour of #{start + which}? Truth: {task.truths[which]}",
        height=360,
        width=420,
    )
    fig.update_xaxes(showticklabels=False, title="left ← → right")
    fig.update_yaxes(showticklabels=False, title="bottom ← → top", autorange="reversed")
    st.plotly_chart(fig, key=f"{page}-context-grid")


def colorization_tab(page: str, data: ImageDataset, device: str) -> None:
    st.markdown(
        "The network sees only the grey image and paints the colour back (it predicts the two chroma channels). "
        "Regression to the mean colour makes it cautious: expect muted, plausible colours rather than vivid ones."
    )
    name = explore.colour_dataset(data)
    if name != data.name:
        st.caption(f"{data.name} is grey, so this tab uses the colour `{name}` set.")
    run = task_run(page, "colorization", name, "Colorisation")
    if run is None:
        return
    m = run.info.metrics
    if "colorization_mse" in m:
        st.caption(
            f"Run: {run.info.label} · colour MSE {m['colorization_mse']:.4f} vs {m.get('grey_baseline_mse', float('nan')):.4f} "
            "for the grey image alone (per pixel and channel, test split, pixel values in [0, 1])"
        )
    images = resources.test_images(name, device)
    start = first_image(page, "colorization", len(images))
    task = explore.colorization_task(run.model, images, start)
    image_grid(task.rows, nrow=task.count, caption="Rows: grey input · predicted colours · original", scale=3)
