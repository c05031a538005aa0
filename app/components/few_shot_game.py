"""The Few-shot page's game: the person sorts an episode's queries into its support classes before seeing
the model's answers, then both scores side by side with the queries each got wrong (`few_shot.player_score`)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

import streamlit as st

from app import state
from app.components.few_shot_views import pool_images
from app.components.images import captioned_tiles
from dul_models.data.episodes import EpisodePool, EpisodeSet
from dul_models.features.episode_views import player_score
from dul_models.features.few_shot import EpisodeAnswer
from dul_models.models.episode_solvers import query_targets

MAX_PLAY = 40  # queries a person is asked at most


def token(episode: EpisodeSet) -> str:
    """A short name for an episode: its answers, widgets and score belong to it alone."""
    return hashlib.sha1(episode.support.tobytes() + episode.query.tobytes()).hexdigest()[:12]


def play(
    pool: EpisodePool, episode: EpisodeSet, answer: EpisodeAnswer, labels: Sequence[str], model: str
) -> None:
    """The person labels every query (shuffled, so class order gives nothing away), then both scores."""
    truth = query_targets(episode)[0]
    if len(truth) > MAX_PLAY:
        st.info(f"{len(truth)} queries is a lot to play: set queries per class to 1 or 2 above.")
        return
    name = token(episode)
    order = random.Random(name).sample(range(len(truth)), len(truth))
    way = episode.shape[1]
    images = pool_images(pool, episode.query[0])
    with st.form(f"fs-play-form-{name}"):
        st.markdown("Which support class is each query? (numbers as under the support images above)")
        given: dict[int, int | None] = {}
        for start in range(0, len(order), 5):
            for column, (shown, i) in zip(
                st.columns(5), list(enumerate(order))[start : start + 5], strict=False
            ):
                with column:
                    captioned_tiles(images[i : i + 1], [f"query {shown + 1}"], size=64)
                    given[i] = st.radio(
                        f"query {shown + 1}",
                        list(range(way)),
                        index=None,
                        format_func=lambda n: str(n + 1),
                        horizontal=True,
                        key=f"fs-play-{name}-{i}",
                        label_visibility="collapsed",
                    )
        if st.form_submit_button("Submit my answers", type="primary"):
            state.few_shot_played()[name] = [given[i] for i in range(len(truth))]
    answers = state.few_shot_played().get(name)
    if answers is None:
        st.caption("The model's score on this game appears when you submit.")
        return
    score = player_score(answers, episode)
    you, it = st.columns(2)
    unanswered = f", {score['unanswered']} unanswered" if score["unanswered"] else ""
    you.metric(
        "Your accuracy",
        f"{score['acc']:.0%}",
        help=f"{int(score['right'].sum())} of {len(truth)} right{unanswered}",
    )
    it.metric(
        f"Model's accuracy ({model})",
        f"{answer.acc:.0%}",
        help=f"{int(answer.correct.sum())} of {len(truth)} right",
    )
    short = [lab.split(" · ")[0] for lab in labels]
    for column, wrong, said, who in (
        (you, ~score["right"], answers, "you"),
        (it, ~answer.correct, answer.predicted.tolist(), "model"),
    ):
        with column:
            missed = [i for i in order if wrong[i]]
            if not missed:
                st.success(f"No query wrong ({who}).")
                continue
            st.markdown(f"**Wrong ({who})**: {len(missed)}")
            captioned_tiles(
                images[missed],
                [f"{'—' if said[i] is None else short[said[i]]}, is {short[truth[i]]}" for i in missed],
                size=56,
            )
