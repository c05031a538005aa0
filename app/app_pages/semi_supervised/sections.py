"""The semi-supervised page's sections on the data and a trained run: the label budget, FixMatch's weak
and strong views, and a trained model's pseudo-labels."""

from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages.semi_supervised import cached, views
from app.components.images import image_grid
from app.components.runs import picked_run
from dul_models import DULError, ImageDataset
from dul_models.explore import semi_supervised as explore

VIEW_DRAW = "semi-view-draw"  # how often "New views" was pressed: added to the seed of the views
SEED_HELP = (
    "Which images are labelled (nested: 4 per class include the 1). Bundled runs: 0; train live uses it."
)


def budget(data: ImageDataset) -> tuple[int, int, explore.LabelledSet | None]:
    """The budget and label seed sliders and the labelled images; returns (budget, seed, the draw or None)."""
    st.header("The label budget")
    c1, c2 = st.columns([3, 1])
    per_class = c1.slider(
        "Labels per class", 1, 100, 10, key="semi-budget", help="Label propagation uses this budget."
    )
    seed = int(c2.number_input("Label seed", 0, 2**31 - 1, 0, key="semi-label-seed", help=SEED_HELP))
    try:
        labelled = explore.labelled_set(data, per_class, seed)
    except DULError as exc:
        st.error(f"Cannot label {per_class} images per class of {data.name}: {exc}")
        return per_class, seed, None
    views.labelled_images(data, labelled, per_class, seed, key="semi-labelled")
    return per_class, seed, labelled


def _new_views() -> None:
    st.session_state[VIEW_DRAW] = int(st.session_state.get(VIEW_DRAW, 0)) + 1


def weak_strong(name: str, device: str, seed: int, test_size: int) -> None:
    """FixMatch's weak and strong views of eight test images, redrawn on demand."""
    st.header("Weak and strong views")
    st.markdown(
        "FixMatch's trick: the model's answer on a **weak** view (a small shift) becomes, if confident enough, "
        "the target for a **strong** view of the same image (RandAugment's random operations, then a grey "
        "**cut-out**). It must learn to see the digit through the distortion. The views are drawn on the device."
    )
    c1, c2, c3, c4 = st.columns(4)
    ops = c1.slider(
        "Strong operations per image", 0, 4, 2, key="semi-ops", help="RandAugment's N; FixMatch uses 2."
    )
    magnitude = c2.slider(
        "Strong magnitude", 0.0, 1.0, 1.0, 0.1, key="semi-magnitude", help="1 = FixMatch's."
    )
    cut = c3.slider(
        "Cut-out (largest side)", 0.0, 1.0, 0.5, 0.05, key="semi-cutout", help="Share of the image side."
    )
    shown = explore.VIEWS_SHOWN
    start = int(c4.number_input("First test image", 0, test_size - shown, 0, shown, key="semi-view-start"))
    c4.button("🎲 New views", key="semi-new-views", on_click=_new_views)
    draws = int(st.session_state.get(VIEW_DRAW, 0))
    try:
        drawn = cached.views(name, device, start, ops, magnitude, cut, seed + draws)
    except DULError as exc:
        st.error(f"Cannot draw views: {exc}")
        return
    image_grid(
        drawn.images,
        nrow=drawn.count,
        scale=drawn.scale,
        caption=f"Top: test images {start}–{start + drawn.count - 1} · middle: weak views · bottom: strong views "
        f"({ops} of {', '.join(drawn.operations)}, each at a random strength up to {magnitude:g}, then a cut-out).",
        download_name=f"{name}-weak-strong-views.png",
        key="semi-views-png",
    )


def pseudo_labels(page: str, data: ImageDataset, device: str, seed: int) -> None:
    """The picked run's scores and its gallery of pseudo-labels (opens on the bundled FixMatch run)."""
    st.header("A trained model's pseudo-labels")
    st.markdown(
        "What a trained model says about the images it never saw a label for. FixMatch trains only on those "
        "above its threshold **τ**; the **wrong** ones above τ are what it teaches itself by mistake "
        "(confirmation bias)."
    )
    if opening := explore.opening_run(data.name, state.selected_run(page)):
        state.select_run(page, "main", opening)
    run = picked_run(
        page,
        "main",
        "semisup",
        label="Semi-supervised run",
        what="semi-supervised model",
        missing_hint="label propagation below needs no training, and FixMatch trains live at the bottom of "
        "this page in a few minutes on a CPU",
    )
    if run is None:
        return
    views.run_scores(run.info)
    pick = st.radio(
        "Show", explore.GALLERY_PICKS, horizontal=True, key="semi-pick", help="wrong: most confident first."
    )
    try:
        gallery = cached.pseudo_labels(str(run.info.path), data.name, device, pick, 24, seed)
    except DULError as exc:
        st.error(f"Cannot pseudo-label with {run.info.label}: {exc}")
        return
    st.caption(f"{gallery.count} of the {gallery.n_unlabelled:,} training images this run had no label for.")
    views.gallery_view(gallery, data.name, pick, key="semi-gallery")
