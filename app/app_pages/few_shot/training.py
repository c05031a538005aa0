"""The Few-shot page's "Train live": ProtoNet, a matching network or MAML (first or second order)
meta-trained on episodes of the base classes in the shared panel, scored on validation-class episodes."""

from __future__ import annotations

import streamlit as st

from app.components.training_panel import PanelLabels, TrainRequest, representation_train_config, train_live

FAMILY_TITLES = {"protonet": "ProtoNet", "matching": "Matching network", "maml": "MAML"}
FAMILY = "fs-family"  # widget keys the MAML section sets to offer the other variant
FIRST_ORDER = "fs-first-order"
LABELS = PanelLabels(
    loss_keys=("loss", "episode_acc"),
    loss_title="query loss (nats) · training-episode accuracy (share)",
    eval_keys=("val_acc",),
    eval_title="5-way 1-shot accuracy, validation classes (share)",
    preview="each image above the one the model finds most alike",
)


def _set_variant(first_order: bool) -> None:
    st.session_state[FAMILY] = "maml"
    st.session_state[FIRST_ORDER] = first_order


def train_other_variant(first_order: bool) -> None:
    """A button that sets Train live to MAML in the variant the shown run is not."""
    other = "second-order" if first_order else "first-order"
    if st.button(
        f"Set up the {other} variant in Train live ↓",
        key="fs-other-variant",
        on_click=_set_variant,
        args=(not first_order,),
    ):
        st.caption(f"Done: Train live at the bottom of the page is set to {other} MAML; press Start there.")


def _controls(seed: int, device: str) -> TrainRequest:
    """The meta-learner and its episode shape, width and (MAML) inner loop; the representation pages'
    live loop (batches of 32, an evaluation every 100 steps, a preview every 50)."""
    c1, c2, c3, c4 = st.columns(4)
    family = c1.selectbox("Meta-learner", tuple(FAMILY_TITLES), format_func=FAMILY_TITLES.get, key=FAMILY)
    maml = family == "maml"
    way = c2.number_input(
        "Training N", 2, 60, 5, key="fs-train-way", help="Capped at the number of base classes (5 on digits)."
    )
    shot = c3.number_input("Training K", 1, 10, 1, key="fs-train-shot", help="Train with the K you test.")
    queries = c4.number_input("Training queries per class", 1, 15, 5, key="fs-train-queries")
    c1, c2, c3, c4, c5 = st.columns(5)
    steps = c1.number_input(
        "Steps", 10, 20_000, 500, 50, key="fs-train-steps", help="One step = one episode."
    )
    width = c2.select_slider("Width", [4, 8, 16, 32], 16, key="fs-train-width", help="Channels; 16 is quick.")
    inner = c3.number_input("Inner steps", 1, 10, 5, key="fs-inner-steps", disabled=not maml)
    inner_lr = c4.number_input(
        "Inner α", value=0.4, step=0.05, format="%.2f", key="fs-inner-lr", disabled=not maml, help="> 0."
    )
    first_order = c5.checkbox(
        "First order",
        key=FIRST_ORDER,
        disabled=not maml,
        help="FOMAML: cheaper, no gradients through the inner steps.",
    )
    config = {"train_way": int(way), "train_shot": int(shot), "train_queries": int(queries), "width": width}
    if maml:
        config |= {"inner_steps": int(inner), "inner_lr": float(inner_lr), "first_order": bool(first_order)}
    variant = (" first-order" if first_order else " second-order") if maml else ""
    title = f"{FAMILY_TITLES[family]}{variant} live, {int(way)}-way {int(shot)}-shot"
    train_config = representation_train_config(seed=seed, device=device, steps=steps, batch_size=32)
    return TrainRequest(
        family=family,
        model_config=config,
        train_config=train_config,
        title=title,
        role="maml" if family == "maml" else "main",  # MAML → the MAML section's run; others → the encoder
    )


def section(page: str, seed: int, device: str, base_classes: int) -> None:
    """The "Train live" section: controls, the shared panel; a finished run is offered as the encoder
    (ProtoNet, matching) or as the MAML section's run. Meta-training needs two base classes or more."""
    if base_classes < 2:
        st.header("Train live")
        st.info(
            f"Meta-training draws episodes of the base classes, and this set has {base_classes}: it needs two or "
            "more (import one with more class folders; the encoders above still answer its novel classes)."
        )
        return
    train_live(
        page,
        "Meta-train on episodes of the **base** classes and watch the **episode accuracy on validation "
        "classes** (100 seeded 5-way 1-shot episodes every 100 steps) climb beside the training loss. "
        "The finished run joins the encoders above (MAML: the MAML section's run in the sidebar).",
        lambda: _controls(seed, device),
        labels=LABELS,
    )
