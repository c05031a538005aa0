"""The Few-shot page's first section: pick an encoder, a method and a pool, build an N-way K-shot episode
(drawn at random or with hand-picked supports) and answer it; the later sections draw what it built."""

from __future__ import annotations

from dataclasses import dataclass, replace

import streamlit as st

from app import state
from app.app_pages.few_shot import cached, views
from app.app_pages.few_shot.cached import SolverChoice
from dul_models import DULError, EncoderSpec, ImageDataset
from dul_models.explore import few_shot

ROLE_TITLES = {
    "novel": "novel classes (never trained on)",
    "val": "validation classes",
    "base": "base classes (meta-training)",
}
MODES = ("Draw at random", "Hand-pick the supports")


@dataclass(frozen=True)
class Built:
    """What the episode builder chose and built: the later sections read it."""

    name: str  # the sidebar's dataset
    device: str
    data: ImageDataset
    spec: EncoderSpec
    method: str
    role: str
    way: int
    shot: int
    seed: int
    pool: few_shot.EpisodePool
    episode: few_shot.EpisodeSet | None  # None when the settings cannot build one (the error is shown)
    labels: list[str]  # "1 · 7", "2 · 3", …: each episode class's number and the dataset's class name
    solver: few_shot.Solver | None = None
    answer: few_shot.AnswerView | None = None  # None when the solver cannot answer (the error is shown)

    @property
    def method_title(self) -> str:
        """The method's short name ("ProtoNet"), without the words in brackets."""
        return few_shot.METHOD_TITLES[self.method].split(" (")[0]

    def choice(self, spec: EncoderSpec | None = None, method: str | None = None) -> SolverChoice:
        """The solver choice of this builder's dataset, pool and device (its own encoder and method)."""
        return SolverChoice(spec or self.spec, method or self.method, self.name, self.role, self.device)


def _new_episode() -> None:
    st.session_state["fs-seed"] = int(st.session_state.get("fs-seed", 0)) + 1


def _encoder_changed() -> None:
    st.session_state.pop("fs-method", None)  # the new encoder opens on its own rule


def _solver_widgets(page: str, name: str) -> tuple[EncoderSpec, str, str]:
    """Encoder, method and pool role; a protonet/matching run just trained live becomes the encoder."""
    specs, first = few_shot.encoder_choices(name)
    trained = state.take_selected_run(page)
    if trained and EncoderSpec("run", trained) in specs:
        st.session_state["fs-encoder"] = EncoderSpec("run", trained)
        _encoder_changed()
    c1, c2, c3 = st.columns([3, 3, 2])
    spec = c1.selectbox(
        "Encoder", specs, first, format_func=lambda s: s.label, key="fs-encoder", on_change=_encoder_changed
    )
    own, methods = few_shot.method_choices(spec)
    if st.session_state.get("fs-method") not in methods:
        st.session_state["fs-method"] = own
    method = c2.selectbox(
        "Method",
        methods,
        format_func=few_shot.METHOD_TITLES.get,
        key="fs-method",
        help="A meta-learner run opens on its own rule; the others work on any encoder's frozen features.",
    )
    role = c3.selectbox("Classes", few_shot.ROLES[::-1], format_func=ROLE_TITLES.get, key="fs-role")
    return spec, method, role


def episode_builder(page: str, name: str, device: str, data: ImageDataset) -> Built:
    """The "Episode builder" section: its widgets, the episode, and the chosen solver's answer."""
    st.header("Episode builder")
    spec, method, role = _solver_widgets(page, name)
    pool = cached.pool(name, role)
    if len(pool.classes) < 2:
        st.info(f"The {pool.description} holds {len(pool.classes)} class: an episode needs two or more.")
        return Built(name, device, data, spec, method, role, 2, 1, 0, pool, None, [])
    c1, c2, c3, c4 = st.columns([2, 2, 2, 2])
    way = int(
        c1.number_input(
            "N (classes per episode)",
            2,
            100,
            min(5, len(pool.classes)),  # a small imported set may have fewer than five classes
            key="fs-way",
            help="At most the classes of the pool.",
        )
    )
    shot = c2.slider("K (supports per class)", 1, 10, 1, key="fs-shot")
    queries = c3.slider(
        "Queries per class", 1, 15, 2, key="fs-queries", help="2 keeps the game below playable."
    )
    seed = int(c4.number_input("Episode seed", 0, 2**31 - 1, 0, key="fs-seed"))
    c4.button("🎲 New episode", on_click=_new_episode, key="fs-new")
    mode = st.radio("Supports", MODES, horizontal=True, key="fs-mode")

    st.caption(f"Episodes are drawn from the {pool.description}: {len(pool):,} images.")
    built = Built(name, device, data, spec, method, role, way, shot, seed, pool, None, [])
    try:
        episode = few_shot.draw_episodes(pool, way, shot, queries, 1, seed)
        if mode == MODES[1]:
            st.markdown("Tick the support images of each class (the classes are those of the drawn episode).")
            picks = views.hand_pick(pool, few_shot.episode_classes(episode), data.class_names, name)
            episode = few_shot.picked_episode(pool, picks, queries, seed)
    except DULError as exc:
        st.error(f"Cannot build this episode: {exc}.")
        return built
    labels = views.class_labels(data.class_names, few_shot.episode_classes(episode))
    built = replace(built, episode=episode, labels=labels)
    try:
        solver = cached.solver(built.choice())
        answer = cached.answer(built.choice(), episode)
    except DULError as exc:
        st.error(f"{few_shot.METHOD_TITLES[method]} on {spec.label} cannot answer: {exc}")
        return built
    return replace(built, solver=solver, answer=answer)
