"""The shared "train live" panel: start/stop a TrainingJob and watch it (progress, curves, previews).

The job runs in the library's JobManager; this panel only polls its snapshot, every second while it
runs, through a fragment so the rest of the page does not rerun. When the job has finished, a slider
scrubs through the previews saved during training (the timeline).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import streamlit as st

from app import resources, state
from app.components.charts import embedding_scatter, history_chart
from app.components.images import image_grid
from dul_models import DULError, TrainConfig, live_train_config
from dul_models.train.jobs import JobSnapshot, TrainingJob


@dataclass(frozen=True)
class TrainRequest:
    """The one train-live request a page's controls return: which family, the page role the finished run
    is offered as, the family's config, the loop's (`live_train_config`), a run title, and what the job
    should watch besides the metrics (`callbacks`, e.g. "map_timeline")."""

    family: str
    model_config: dict
    train_config: TrainConfig
    title: str = ""
    role: str = "main"
    callbacks: tuple[str, ...] = ()


def representation_train_config(*, seed: int, device: str, steps: int, batch_size: int) -> TrainConfig:
    """The live loop of the representation pages (self-supervised, clustering, semi-supervised, few-shot):
    the library's preset with a preview every 50 steps, 500 test images per evaluation and no checkpoint
    before the end of a run that lasts minutes."""
    return live_train_config(
        seed=seed,
        device=device,
        steps=int(steps),
        batch_size=int(batch_size),
        eval_items=500,
        preview_every=50,
        checkpoint_every=0,
    )


@dataclass(frozen=True)
class PanelLabels:
    """What the charts and the preview of one family show, in words and units."""

    loss_keys: Sequence[str] = ("loss",)
    loss_title: str = "loss"
    eval_keys: Sequence[str] = ()
    eval_title: str = ""
    preview: str = "preview"
    # a check of the evaluation history whose message is shown with the progress (e.g. mode collapse)
    eval_warning: Callable[[Sequence[dict]], str | None] | None = None
    # more evaluation charts, each (metric keys, y-axis title, chart title): metrics on another scale
    more_eval_charts: Sequence[tuple[Sequence[str], str, str]] = ()
    # draws the family's training events (`JobSnapshot.events`, e.g. DeepCluster's rounds) when there are any
    events_view: Callable[[list[dict]], None] | None = None


def _render_snapshot(snap: JobSnapshot, labels: PanelLabels) -> None:
    rate = snap.history[-1]["images_per_s"] if snap.history else 0.0
    text = (
        f"{snap.status} · step {snap.step:,} / {snap.total_steps:,} · epoch {snap.epoch:.2f} · "
        f"{rate:,.0f} images/s · {snap.elapsed_s:.0f} s on {snap.device}"
    )
    st.progress(snap.progress, text=text)
    if snap.status == "failed":
        st.error(f"Training failed: {snap.error}")
    if labels.eval_warning is not None and (warning := labels.eval_warning(snap.eval_history)):
        st.warning(warning)
    left, right = st.columns([3, 2])
    with left:
        if snap.history:
            keys = [k for k in labels.loss_keys if k in snap.history[-1]]
            fig = history_chart(snap.history, keys, y_title=labels.loss_title, title="Training loss")
            st.plotly_chart(fig, key=f"loss-{snap.job_id}-{snap.step}")
        keys = [k for k in labels.eval_keys if snap.eval_history and k in snap.eval_history[-1]]
        if keys:
            fig = history_chart(
                snap.eval_history, keys, y_title=labels.eval_title, title="Test-set evaluation"
            )
            st.plotly_chart(fig, key=f"eval-{snap.job_id}-{snap.step}")
        for i, (chart_keys, y_title, title) in enumerate(labels.more_eval_charts):
            present = [k for k in chart_keys if snap.eval_history and k in snap.eval_history[-1]]
            if present:
                fig = history_chart(snap.eval_history, present, y_title=y_title, title=title)
                st.plotly_chart(fig, key=f"eval{i}-{snap.job_id}-{snap.step}")
    if snap.maps:
        _live_map(snap)
    if labels.events_view is not None and snap.events:
        labels.events_view(snap.events)
    with right:
        if not snap.previews:
            return
        index = len(snap.previews) - 1
        if snap.finished and len(snap.previews) > 1:
            steps = [step for step, _, _ in snap.previews]
            chosen = st.select_slider(
                "Timeline: preview at step", steps, value=steps[-1], key=f"tl-{snap.job_id}"
            )
            index = steps.index(chosen)
        step, images, nrow = snap.previews[index]
        image_grid(images, nrow=nrow, caption=f"Step {step}: {labels.preview}")


def _live_map(snap: JobSnapshot) -> None:
    """The test images' map at each evaluation (PCA, each frame rotated onto the previous one)."""
    index = len(snap.maps) - 1
    if snap.finished and len(snap.maps) > 1:
        steps = [step for step, _ in snap.maps]
        chosen = st.select_slider("Map timeline: step", steps, value=steps[-1], key=f"map-tl-{snap.job_id}")
        index = steps.index(chosen)
    step, coords = snap.maps[index]
    labels = snap.map_labels if snap.map_labels is not None else np.zeros(len(coords), dtype=int)
    names = [str(int(v)) for v in labels]
    fig = embedding_scatter(
        coords,
        names,
        names,
        color_title="label",
        categories=sorted(set(names), key=int),
        axis_titles=("PC 1 (aligned)", "PC 2 (aligned)"),
        title=f"{len(coords)} test images in the features at step {step:,} (PCA; labels never used)",
    )
    st.plotly_chart(fig, key=f"map-{snap.job_id}-{step}")


def training_panel(
    page: str, request: TrainRequest, *, labels: PanelLabels = PanelLabels()
) -> TrainingJob | None:
    """Start/stop controls and a live view of this page's latest job; offers the finished run as `role`."""
    manager = resources.job_manager()
    job = manager.get(state.job_id(page))
    running = job is not None and not job.snapshot().finished
    start, stop = st.columns(2)
    if start.button(
        "▶ Start training", type="primary", disabled=running, key=state.train_button_key(page, "start")
    ):
        try:
            job = manager.submit(
                request.family,
                state.dataset_name(),
                request.model_config,
                request.train_config,
                title=request.title,
                callbacks=request.callbacks,
            )
        except DULError as exc:
            st.error(f"Cannot start training: {exc}")
            return None
        state.set_job_id(page, job.job_id)
        running = True
    if job is None:
        st.caption(
            "No training job yet. Choose settings above and press Start; it keeps running if you switch pages."
        )
        return None
    if stop.button("■ Stop", disabled=not running, key=state.train_button_key(page, "stop")):
        job.cancel()

    @st.fragment(run_every=1.0 if running else None)
    def live_view() -> None:
        snap = job.snapshot()
        _render_snapshot(snap, labels)
        seen = state.jobs_seen_finished()
        if snap.finished and snap.job_id not in seen:
            seen.add(snap.job_id)
            st.rerun()  # once: rebuild the page so the new run appears and polling stops

    live_view()
    snap = job.snapshot()
    if snap.finished and snap.run_dir:
        st.success(f"Saved run: `{snap.run_dir}`")
        st.button(
            "Show this run on the page",
            key=state.train_button_key(page, f"use-{snap.job_id}"),
            on_click=state.select_run,  # a callback runs before the sidebar picker is drawn
            args=(page, request.role, snap.run_dir),
        )
    return job


def train_live(
    page: str,
    intro: str,
    controls: Callable[[], TrainRequest],
    *,
    labels: PanelLabels | Callable[[str], PanelLabels] = PanelLabels(),
) -> TrainingJob | None:
    """The "Train live" section every page ends with: header, a one-line intro, the page's own controls
    (`controls` draws them, family choice included, and returns the request), then the shared panel.
    `labels` may depend on the family the controls chose. Returns the page's job."""
    st.header("Train live")
    st.markdown(intro)
    request = controls()
    return training_panel(page, request, labels=labels(request.family) if callable(labels) else labels)
