"""The Few-shot page's MAML section: which variant a run is, and what each inner step of adaptation does
to the support loss, the query accuracy and the decision regions (`few_shot.maml_adaptation`)."""

from __future__ import annotations

import streamlit as st

from app.app_pages.few_shot import cached
from app.app_pages.few_shot.builder import Built
from app.app_pages.few_shot.charts import step_chart
from app.app_pages.few_shot.regions import decision_chart
from app.app_pages.few_shot.training import train_other_variant
from app.components.runs import run_picker
from dul_models import DULError, EncoderSpec, RunInfo
from dul_models.explore import few_shot

MAML_STEPS = 10  # the inner-step slider's range


def variant(info: RunInfo) -> tuple[bool, str]:
    """(first_order, the run's variant in words) from its config."""
    first = bool(info.config.get("first_order", False))
    steps = info.config.get("inner_steps", "?")
    if first:
        return (
            True,
            f"first-order MAML (FOMAML): the meta-gradient ignores how the {steps} inner steps depend on θ",
        )
    return False, f"second-order MAML: the meta-gradient goes back through all {steps} inner steps"


def step_metrics(adaptation: few_shot.Adaptation, step: int) -> None:
    """The support loss and query accuracy after `step` inner steps, each with its change since step 0."""
    a, b = st.columns(2)
    a.metric(
        "Support loss",
        f"{adaptation.support_loss[step]:.3f} nats",
        delta=f"{adaptation.loss_change(step):+.3f} since step 0",
        delta_color="inverse",
        help="Cross-entropy of the adapted network on the supports it is fitted to.",
    )
    b.metric(
        "Query accuracy",
        f"{adaptation.query_acc[step]:.0%}",
        delta=f"{adaptation.acc_change(step):+.0f} points since step 0",
        help="Share of the episode's queries the adapted network gets right.",
    )


def section(page: str, built: Built) -> RunInfo | None:
    """The "MAML" section: the picked MAML run adapting to the built episode, inner step by inner step.
    Returns the run (the benchmark adds its row)."""
    st.header("MAML: adaptation, step by step")
    st.markdown(
        "MAML meta-learns an **initialisation** from which a few gradient steps on the supports fit a new "
        "episode. Slide through the inner steps: the support loss falls, the query accuracy (usually) rises, "
        "and the regions move."
    )
    info = run_picker(page, "maml", "maml", label="MAML run")
    if info is None:
        st.info(
            f"No MAML run on {built.name} yet: train one live at the bottom of this page (meta-learner: MAML)."
        )
        return None
    if built.episode is None:
        return info
    first_order, words = variant(info)
    st.caption(f"Run: {info.label} · {words}.")
    train_other_variant(first_order)
    choice = built.choice(EncoderSpec("run", str(info.path)), "maml")
    step = st.slider("Inner steps", 0, MAML_STEPS, 5, key="fs-maml-step")
    try:
        adaptation = cached.adaptation(choice, built.episode, MAML_STEPS)
        view = cached.step_regions(choice, built.episode, MAML_STEPS, step)
    except DULError as exc:
        st.error(f"Cannot adapt {info.label}: {exc}")
        return info
    step_metrics(adaptation, step)
    left, right = st.columns(2)
    left.plotly_chart(step_chart(adaptation, step))
    title = f"MAML after {step} inner step{'s' * (step != 1)}: regions of the adapted head"
    right.plotly_chart(decision_chart(view, built.labels, title=title))
    return info
