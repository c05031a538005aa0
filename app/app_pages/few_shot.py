"""Few-shot learning: build an N-way K-shot episode (drawn or hand-picked), play it against the model, see
its decision (regions, distances), watch MAML adapt step by step, benchmark every method, train live."""

from __future__ import annotations

import streamlit as st

from app import state
from app.components import few_shot_views as views
from app.components.few_shot_game import play
from app.components.few_shot_training import few_shot_train_live, train_other_variant
from app.components.maml_views import step_chart, step_metrics, variant
from app.components.runs import run_picker
from app.components.sidebar import chosen_dataset
from app.components.uploads import uploaded_image
from app.pages import page_of
from app.resources import few_shot as cached
from app.resources.few_shot import SolverChoice
from dul_models.core.errors import DULError
from dul_models.data.episodes import ROLES, hand_picked_episode, sample_episodes
from dul_models.features.encoders import EncoderSpec, list_encoders
from dul_models.features.few_shot import classify_uploads, default_method
from dul_models.models.episode_solvers import FEATURE_METHODS, METHOD_TITLES, METHODS
from dul_models.runs.checkpoints import list_runs

PAGE = page_of(__file__).key
ROLE_TITLES = {
    "novel": "novel classes (never trained on)",
    "val": "validation classes",
    "base": "base classes (meta-training)",
}
MODES = ("Draw at random", "Hand-pick the supports")
MAML_STEPS = 10  # the inner-step slider's range


def _new_episode() -> None:
    st.session_state["fs-seed"] = int(st.session_state.get("fs-seed", 0)) + 1


def _encoder_changed() -> None:
    st.session_state.pop("fs-method", None)  # the new encoder opens on its own rule


st.title("🎯 Few-shot learning")
st.markdown(
    "Can a model learn a class from **one or five examples**? Classes are split into **base** classes, "
    "which meta-learners train on, and **novel** classes no model has seen labels of. Each test is an "
    "**episode**: N novel classes, K labelled **support** images of each, and **query** images to sort "
    "into those N classes; the score is the share of queries placed right, averaged over many episodes."
)
name, device = state.dataset_name(), state.device_name()
data = chosen_dataset()
if name != "glyphs":
    st.caption(
        f"{name} has {data.num_classes} classes. For the real thing pick **glyphs** in the sidebar: 400 "
        "procedurally drawn classes (240 base, 60 validation, 100 novel) of 20 images each: Omniglot's role."
    )

# --- Episode builder -------------------------------------------------------------------------------
st.header("Episode builder")
specs = list_encoders(name)
trained = state.take_selected_run(PAGE)  # a protonet/matching run just trained live on this page
if trained and EncoderSpec("run", trained) in specs:
    st.session_state["fs-encoder"] = EncoderSpec("run", trained)
    _encoder_changed()
protonets = {str(r.path) for r in list_runs("protonet", name)}
first = next((i for i, s in enumerate(specs) if s.run in protonets), 0)  # a ProtoNet run when there is one
c1, c2, c3 = st.columns([3, 3, 2])
spec = c1.selectbox(
    "Encoder", specs, first, format_func=lambda s: s.label, key="fs-encoder", on_change=_encoder_changed
)
own = default_method(spec)
methods = METHODS if own == "maml" else FEATURE_METHODS
if st.session_state.get("fs-method") not in methods:
    st.session_state["fs-method"] = own
method = c2.selectbox(
    "Method",
    methods,
    format_func=METHOD_TITLES.get,
    key="fs-method",
    help="A meta-learner run opens on its own rule; the others work on any encoder's frozen features.",
)
role = c3.selectbox("Classes", ROLES[::-1], format_func=ROLE_TITLES.get, key="fs-role")
c1, c2, c3, c4 = st.columns([2, 2, 2, 2])
way = int(
    c1.number_input(
        "N (classes per episode)", 2, 100, 5, key="fs-way", help="At most the classes of the pool."
    )
)
shot = c2.slider("K (supports per class)", 1, 10, 1, key="fs-shot")
queries = c3.slider("Queries per class", 1, 15, 2, key="fs-queries", help="2 keeps the game below playable.")
seed = int(c4.number_input("Episode seed", 0, 2**31 - 1, 0, key="fs-seed"))
c4.button("🎲 New episode", on_click=_new_episode, key="fs-new")
mode = st.radio("Supports", MODES, horizontal=True, key="fs-mode")

pool = cached.pool(name, role)
st.caption(f"Episodes are drawn from the {pool.description}: {len(pool):,} images.")
episode = None
try:
    drawn = sample_episodes(pool.y, pool.classes, way, shot, queries, 1, seed)
    if mode == MODES[0]:
        episode = drawn
    else:
        st.markdown("Tick the support images of each class (the classes are those of the drawn episode).")
        picks = views.hand_pick(pool, drawn.classes[0], data.class_names, name)
        episode = hand_picked_episode(pool.y, picks, queries, seed)
except DULError as exc:
    st.error(f"Cannot build this episode: {exc}.")

choice = SolverChoice(spec, method, name, role, device)
answer = None
if episode is not None:
    labels = views.class_labels(data.class_names, episode.classes[0])
    try:
        solver = cached.solver(choice)
        answer = cached.answer(choice, episode)
    except DULError as exc:
        st.error(f"{METHOD_TITLES[method]} on {spec.label} cannot answer: {exc}")

# --- Play it yourself ------------------------------------------------------------------------------
st.header("Play it yourself")
if answer is None:
    st.info("Build a valid episode above to play it.")
else:
    st.markdown("The support images: each column's caption is its class. Learn them, then sort the queries.")
    views.support_tiles(pool, episode, labels)
    play(pool, episode, answer, labels, METHOD_TITLES[method].split(" (")[0])

# --- See the decision ------------------------------------------------------------------------------
st.header("See the decision")
if answer is not None:
    a, b, c = st.columns(3)
    a.metric("Accuracy on this episode", f"{answer.acc:.0%}", help="Share of its queries answered right.")
    b.metric("Episode", f"{way}-way {episode.shape[2]}-shot", help=f"{len(answer.truth)} queries.")
    c.metric("Solver", METHOD_TITLES[method].split(" (")[0], help=solver.title)
    views.query_tiles(pool, episode, answer, labels)
    left, right = st.columns(2)
    with left:
        if method == "maml":
            st.info("MAML's regions change with every inner step: see them in the MAML section below.")
        else:
            try:
                plane = cached.regions(choice, episode)
            except DULError as exc:
                st.error(f"Cannot draw the decision regions: {exc}")
            else:
                title = (
                    f"{METHOD_TITLES[method].split(' (')[0]} on {spec.label}: regions in the episode's plane"
                )
                st.plotly_chart(
                    views.decision_chart(plane, episode, labels, title=title, correct=answer.correct)
                )
                st.caption(
                    "★ prototype (mean of the supports) · ◆ support · ● query, ✗ answered wrong; a colour = "
                    "the class the solver gives that point of the plane (the PCA plane of the episode's features)."
                )
    with right:
        st.plotly_chart(views.distance_heatmap(answer, labels))
    st.subheader("Your own query")
    image = uploaded_image(
        "Upload an image to classify against this episode's supports",
        data.image_shape,
        key="fs-upload",
        fallback="The episode above is unchanged.",
    )
    if image is not None:
        try:
            probs = classify_uploads(solver, episode, image[None], spec, data)[0]
        except DULError as exc:
            st.error(f"Cannot classify the upload: {exc}")
        else:
            views.upload_answer(image, probs, labels)

# --- MAML ------------------------------------------------------------------------------------------
st.header("MAML: adaptation, step by step")
st.markdown(
    "MAML meta-learns an **initialisation** from which a few gradient steps on the supports fit a new "
    "episode. Slide through the inner steps: the support loss falls, the query accuracy (usually) rises, "
    "and the regions move."
)
maml_info = run_picker(PAGE, "maml", "maml", label="MAML run")
if maml_info is None:
    st.info(f"No MAML run on {name} yet: train one live at the bottom of this page (meta-learner: MAML).")
elif episode is not None:
    first_order, words = variant(maml_info)
    st.caption(f"Run: {maml_info.label} · {words}.")
    train_other_variant(first_order)
    maml_choice = SolverChoice(EncoderSpec("run", str(maml_info.path)), "maml", name, role, device)
    step = st.slider("Inner steps", 0, MAML_STEPS, 5, key="fs-maml-step")
    try:
        trace = cached.trace(maml_choice, episode, MAML_STEPS)
        plane = cached.step_regions(maml_choice, episode, MAML_STEPS, step)
    except DULError as exc:
        st.error(f"Cannot adapt {maml_info.label}: {exc}")
    else:
        step_metrics(trace, step)
        left, right = st.columns(2)
        left.plotly_chart(step_chart(trace, step))
        title = f"MAML after {step} inner step{'s' * (step != 1)}: regions of the adapted head"
        right.plotly_chart(views.decision_chart(plane, episode, labels, title=title))

# --- Benchmark -------------------------------------------------------------------------------------
st.header("Benchmark: every method on the same episodes")
c1, c2, c3 = st.columns([2, 2, 3])
count = int(c1.number_input("Episodes", 10, 5000, 600, 50, key="fs-bench-episodes"))
bench_queries = int(c2.number_input("Queries per class", 1, 50, 15, key="fs-bench-queries"))
choices = tuple(SolverChoice(spec, m, name, role, device) for m in FEATURE_METHODS)
if maml_info is not None:
    choices += (SolverChoice(EncoderSpec("run", str(maml_info.path)), "maml", name, role, device),)
settings = (choices, way, shot, bench_queries, count, seed)
text = (
    f"{way}-way {shot}-shot, {bench_queries} queries per class, {count} episodes of the {ROLE_TITLES[role]}"
)
pressed = c3.button(f"▶ Run the benchmark ({len(choices)} methods)", key="fs-bench-run")
if maml_info is None:
    st.caption("No MAML run on this dataset, so MAML has no row: train one live below.")
if pressed or state.few_shot_benchmark() == settings:
    try:
        episodes = sample_episodes(pool.y, pool.classes, way, shot, bench_queries, count, seed)
        rows = cached.benchmark_rows(choices, episodes)
    except DULError as exc:
        st.error(f"Cannot run the benchmark: {exc}.")
    else:
        state.set_few_shot_benchmark(settings)
        views.benchmark_view(rows, text, f"{name}-few-shot-{way}way-{shot}shot.csv", key="fs-bench")
        st.caption(
            f"Same {count} episodes (seed {seed}) for every method; ProtoNet to cosine on {spec.label}."
        )

few_shot_train_live(PAGE, seed, device)
