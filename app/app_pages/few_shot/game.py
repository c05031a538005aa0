"""The Few-shot page's game: the person sorts an episode's queries into its support classes before seeing
the model's answers, then both scores side by side with the queries each got wrong (`few_shot.score_game`)."""

from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages.few_shot import views
from app.app_pages.few_shot.builder import Built
from app.components.images import captioned_tiles
from dul_models.explore import few_shot

MAX_PLAY = 40  # queries a person is asked at most


def section(built: Built) -> None:
    """The "Play it yourself" section: the supports, then the game (when the builder has an answer)."""
    st.header("Play it yourself")
    if built.answer is None:
        st.info("Build a valid episode above to play it.")
        return
    st.markdown("The support images: each column's caption is its class. Learn them, then sort the queries.")
    views.support_tiles(built.pool, built.episode, built.labels)
    play(built)


def _form(built: Built, game: few_shot.Game) -> None:
    """One radio per query, shown in the game's shuffled order; the answers are kept on submit."""
    with st.form(f"fs-play-form-{game.token}"):
        st.markdown("Which support class is each query? (numbers as under the support images above)")
        given: dict[int, int | None] = {}
        for start in range(0, len(game.order), 5):
            for column, (shown, i) in zip(
                st.columns(5), list(enumerate(game.order))[start : start + 5], strict=False
            ):
                with column:
                    image = few_shot.query_images(built.pool, built.episode, [i])
                    captioned_tiles(image, [f"query {shown + 1}"], size=64)
                    given[i] = st.radio(
                        f"query {shown + 1}",
                        list(range(game.way)),
                        index=None,
                        format_func=lambda n: str(n + 1),
                        horizontal=True,
                        key=f"fs-play-{game.token}-{i}",
                        label_visibility="collapsed",
                    )
        if st.form_submit_button("Submit my answers", type="primary"):
            state.few_shot_played()[game.token] = [given[i] for i in range(len(game.truth))]


def play(built: Built) -> None:
    """The person labels every query (shuffled, so class order gives nothing away), then both scores."""
    game, answer = few_shot.new_game(built.episode), built.answer
    if len(game.truth) > MAX_PLAY:
        st.info(f"{len(game.truth)} queries is a lot to play: set queries per class to 1 or 2 above.")
        return
    _form(built, game)
    answers = state.few_shot_played().get(game.token)
    if answers is None:
        st.caption("The model's score on this game appears when you submit.")
        return
    score = few_shot.score_game(answers, built.episode, answer)
    you, it = st.columns(2)
    total = len(game.truth)
    unanswered = f", {score.unanswered} unanswered" if score.unanswered else ""
    you.metric("Your accuracy", f"{score.acc:.0%}", help=f"{score.right} of {total} right{unanswered}")
    it.metric(
        f"Model's accuracy ({built.method_title})",
        f"{answer.acc:.0%}",
        help=f"{answer.right} of {total} right",
    )
    short = [lab.split(" · ")[0] for lab in built.labels]
    for column, missed, said, who in (
        (you, score.wrong, answers, "you"),
        (it, score.model_wrong, answer.predicted, "model"),
    ):
        with column:
            if not missed:
                st.success(f"No query wrong ({who}).")
                continue
            st.markdown(f"**Wrong ({who})**: {len(missed)}")
            captioned_tiles(
                few_shot.query_images(built.pool, built.episode, missed),
                [f"{'—' if said[i] is None else short[said[i]]}, is {short[game.truth[i]]}" for i in missed],
                size=56,
            )
