"""The Few-shot page's "See the decision" and "Benchmark" sections: what the chosen solver does with the
built episode (regions, distances, an uploaded query), and every method on the same seeded episodes."""

from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages.few_shot import cached, views
from app.app_pages.few_shot.builder import ROLE_TITLES, Built
from app.app_pages.few_shot.charts import distance_heatmap
from app.app_pages.few_shot.regions import decision_chart
from app.components.uploads import uploaded_image
from dul_models import DULError, EncoderSpec, RunInfo
from dul_models.explore import few_shot


def _regions(built: Built) -> None:
    if built.method == "maml":
        st.info("MAML's regions change with every inner step: see them in the MAML section below.")
        return
    try:
        view = cached.regions(built.choice(), built.episode)
    except DULError as exc:
        st.error(f"Cannot draw the decision regions: {exc}")
        return
    title = f"{built.method_title} on {built.spec.label}: regions in the episode's plane"
    st.plotly_chart(decision_chart(view, built.labels, title=title))
    st.caption(
        "★ prototype (mean of the supports) · ◆ support · ● query, ✗ answered wrong; a colour = "
        "the class the solver gives that point of the plane (the PCA plane of the episode's features)."
    )


def _own_query(built: Built) -> None:
    st.subheader("Your own query")
    image = uploaded_image(
        "Upload an image to classify against this episode's supports",
        built.data.image_shape,
        key="fs-upload",
        fallback="The episode above is unchanged.",
    )
    if image is None:
        return
    try:
        upload = few_shot.classify_upload(built.solver, built.episode, image, built.spec, built.data)
    except DULError as exc:
        st.error(f"Cannot classify the upload: {exc}")
    else:
        views.upload_answer(upload, built.labels)


def decision(built: Built) -> None:
    """The "See the decision" section: the episode's score, the answered queries, the regions in the
    episode's plane, the query × class table and an uploaded query."""
    st.header("See the decision")
    answer = built.answer
    if answer is None:
        return
    a, b, c = st.columns(3)
    a.metric("Accuracy on this episode", f"{answer.acc:.0%}", help="Share of its queries answered right.")
    b.metric(
        "Episode", f"{built.way}-way {built.episode.shape[2]}-shot", help=f"{len(answer.truth)} queries."
    )
    c.metric("Solver", built.method_title, help=built.solver.title)
    views.query_tiles(built.pool, built.episode, answer, built.labels)
    left, right = st.columns(2)
    with left:
        _regions(built)
    with right:
        st.plotly_chart(distance_heatmap(answer, built.labels))
    _own_query(built)


def benchmark(built: Built, maml_info: RunInfo | None) -> None:
    """The "Benchmark" section: every feature method on the builder's encoder (and MAML when there is a
    run) over the same seeded episodes; the table stays while its settings do."""
    st.header("Benchmark: every method on the same episodes")
    c1, c2, c3 = st.columns([2, 2, 3])
    count = int(c1.number_input("Episodes", 10, 5000, 600, 50, key="fs-bench-episodes"))
    queries = int(c2.number_input("Queries per class", 1, 50, 15, key="fs-bench-queries"))
    choices = tuple(built.choice(method=m) for m in few_shot.FEATURE_METHODS)
    if maml_info is not None:
        choices += (built.choice(EncoderSpec("run", str(maml_info.path)), "maml"),)
    way, shot, seed = built.way, built.shot, built.seed
    settings = (choices, way, shot, queries, count, seed)
    text = f"{way}-way {shot}-shot, {queries} queries per class, {count} episodes of the {ROLE_TITLES[built.role]}"
    pressed = c3.button(f"▶ Run the benchmark ({len(choices)} methods)", key="fs-bench-run")
    if maml_info is None:
        st.caption("No MAML run on this dataset, so MAML has no row: train one live below.")
    if not (pressed or state.few_shot_benchmark() == settings):
        return
    try:
        rows = cached.benchmark_rows(choices, way, shot, queries, count, seed)
    except DULError as exc:
        st.error(f"Cannot run the benchmark: {exc}.")
        return
    state.set_few_shot_benchmark(settings)
    views.benchmark_view(rows, text, f"{built.name}-few-shot-{way}way-{shot}shot.csv", key="fs-bench")
    st.caption(
        f"Same {count} episodes (seed {seed}) for every method; ProtoNet to cosine on {built.spec.label}."
    )
