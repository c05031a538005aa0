"""Semi-supervised learning: the label budget, FixMatch's weak and strong views, a trained model's
pseudo-labels, label propagation in seconds, accuracy against the budget, and training live."""

from __future__ import annotations

import streamlit as st
import torch

from app import resources, state
from app.components.embedding_map import embedding_map
from app.components.images import image_grid
from app.components.runs import picked_run
from app.components.semisup_views import (
    budget_section,
    labelled_images,
    propagation_colours,
    propagation_csv,
    propagation_scores,
    pseudo_label_gallery_view,
    run_scores,
)
from app.components.sidebar import chosen_dataset
from app.components.training_panel import PanelLabels, TrainRequest, live_train_config, train_live
from app.pages import page_of
from app.resources import semi_supervised as cached
from dul_models.core.errors import DULError
from dul_models.data.label_budget import budget_draw
from dul_models.data.strong_views import COLOUR_OPS, GEOMETRIC_OPS, INTENSITY_OPS
from dul_models.features.encoders import list_encoders
from dul_models.features.label_propagation import GALLERY_PICKS
from dul_models.models.semisup import METHODS
from dul_models.runs.checkpoints import list_runs

PAGE = page_of(__file__).key
METHOD_TITLES = {
    "supervised": "Supervised only (the baseline)",
    "pseudo_label": "Pseudo-label (Lee 2013)",
    "fixmatch": "FixMatch (Sohn et al. 2020)",
    "mean_teacher": "Mean Teacher (Tarvainen & Valpola 2017)",
}
VIEW_DRAW = "semi-view-draw"  # how often "New views" was pressed: added to the seed of the views
SEED_HELP = (
    "Which images are labelled (nested: 4 per class include the 1). Bundled runs: 0; train live uses it."
)

st.title("🏷️ Semi-supervised learning")
st.markdown(
    "Labels are expensive; images are not. Here a classifier gets **a few labelled images per class** and "
    "every other training image **without its label**, and the question is how much those unlabelled "
    "images add. **FixMatch** trusts its own confident answers on gently shifted images as targets for "
    "heavily distorted ones; **label propagation** trains nothing and lets the few labels spread to "
    "neighbouring images in an encoder's feature space. The hidden labels are used only to score."
)
name, device, seed = state.dataset_name(), state.device_name(), state.seed()
data = chosen_dataset()

# --- The label budget ------------------------------------------------------------------------------
st.header("The label budget")
c1, c2 = st.columns([3, 1])
budget = c1.slider(
    "Labels per class", 1, 100, 10, key="semi-budget", help="Label propagation uses this budget."
)
label_seed = int(c2.number_input("Label seed", 0, 2**31 - 1, 0, key="semi-label-seed", help=SEED_HELP))
try:
    labelled = budget_draw(data.train.y, budget, label_seed)
except DULError as exc:
    st.error(f"Cannot label {budget} images per class of {name}: {exc}")
    labelled = None
else:
    labelled_images(data, labelled, budget, label_seed, key="semi-labelled")

# --- Weak and strong views -------------------------------------------------------------------------
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
magnitude = c2.slider("Strong magnitude", 0.0, 1.0, 1.0, 0.1, key="semi-magnitude", help="1 = FixMatch's.")
cut = c3.slider(
    "Cut-out (largest side)", 0.0, 1.0, 0.5, 0.05, key="semi-cutout", help="Share of the image side."
)
x_test = resources.test_images(name, device)
start = int(c4.number_input("First test image", 0, len(x_test) - 8, 0, 8, key="semi-view-start"))


def _new_views() -> None:
    st.session_state[VIEW_DRAW] = int(st.session_state.get(VIEW_DRAW, 0)) + 1


c4.button("🎲 New views", key="semi-new-views", on_click=_new_views)
draws = int(st.session_state.get(VIEW_DRAW, 0))
x = x_test[start : start + 8]
try:
    model = cached.view_model(data.image_shape, max(2, data.num_classes), ops, magnitude, cut)
    weak, strong = model.seeded_views(x, seed + draws)
except DULError as exc:
    st.error(f"Cannot draw views: {exc}")
else:
    names = INTENSITY_OPS + GEOMETRIC_OPS + (COLOUR_OPS if data.image_shape[0] == 3 else ())
    image_grid(
        torch.cat([x, weak, strong]),
        nrow=len(x),
        scale=max(1, round(56 / x.shape[-1])),
        caption=f"Top: test images {start}–{start + len(x) - 1} · middle: weak views · bottom: strong views "
        f"({ops} of {', '.join(names)}, each at a random strength up to {magnitude:g}, then a cut-out).",
        download_name=f"{name}-weak-strong-views.png",
        key="semi-views-png",
    )

# --- A trained model's pseudo-labels ---------------------------------------------------------------
st.header("A trained model's pseudo-labels")
st.markdown(
    "What a trained model says about the images it never saw a label for. FixMatch trains only on those "
    "above its threshold **τ**; the **wrong** ones above τ are what it teaches itself by mistake "
    "(confirmation bias)."
)
semisup_runs = list_runs("semisup", name)
if state.selected_run(PAGE) not in {str(r.path) for r in semisup_runs}:  # open on bundled FixMatch if any
    fixmatch = [r for r in semisup_runs if r.bundled and r.config.get("method") == "fixmatch"]
    if fixmatch:
        state.select_run(PAGE, "main", str(fixmatch[0].path))
run = picked_run(
    PAGE,
    "main",
    "semisup",
    label="Semi-supervised run",
    what="semi-supervised model",
    missing_hint="label propagation below needs no training, and FixMatch trains live at the bottom of "
    "this page in a few minutes on a CPU",
)
if run is not None:
    run_scores(run.info)
    pick = st.radio(
        "Show", GALLERY_PICKS, horizontal=True, key="semi-pick", help="wrong: most confident first."
    )
    try:
        found, rows, n_unlabelled = cached.pseudo_labels(str(run.info.path), name, device, pick, 24, seed)
    except DULError as exc:
        st.error(f"Cannot pseudo-label with {run.info.label}: {exc}")
    else:
        st.caption(f"{len(rows)} of the {n_unlabelled:,} training images this run had no label for.")
        pseudo_label_gallery_view(found, rows, data, pick, key="semi-gallery")

# --- Label propagation ----------------------------------------------------------------------------
st.header("Label propagation: no training at all")
st.markdown(
    "Label propagation (Zhou et al. 2004) links every image to its nearest neighbours in an encoder's "
    "features (training and test images together) and lets the labels of the budget above diffuse along "
    "the links. It takes seconds, and it is only as good as the features' neighbourhoods."
)
specs = list_encoders(name)
label_of = {s: s.label for s in specs}
c1, c2, c3 = st.columns([3, 1, 2])
spec = c1.selectbox("Encoder", specs, format_func=label_of.get, key="semi-encoder")
neighbours = c2.slider("Neighbours", 2, 50, 10, key="semi-neighbours", help="Links per image in the graph.")
colour_by = c3.radio("Colour the map by", ("propagated label", "right or wrong"), key="semi-colour")
if labelled is None:
    st.info("Label propagation needs the label budget above.")
else:
    try:
        result = cached.propagation(spec, name, device, budget, label_seed, neighbours)
        coords = cached.train_map(spec, name, device)
    except DULError as exc:
        st.error(f"{label_of[spec]}: {exc}")
    else:
        propagation_scores(result)
        train_y = data.train.y.numpy()
        embedding_map(
            coords,
            resources.split_images(name, "train", device),
            train_y,
            data.class_names,
            key="semi-map",
            title=f"{len(coords):,} training images, PCA of {label_of[spec]}: {len(labelled)} given labels, "
            "the rest propagated",
            axis_titles=("PC 1", "PC 2"),
            color=propagation_colours(result, labelled, train_y, data.class_names, colour_by),
            color_title=colour_by,
            file_stem=f"{name}-propagation-map",
            encoder=label_of[spec],
        )
        propagation_csv(
            result, labelled, data, f"{name}-propagated-labels-{budget}-per-class.csv", key="semi-lp-csv"
        )

# --- Accuracy against the label budget ------------------------------------------------------------
st.header("Accuracy against the label budget")
st.markdown(
    "The picture that answers *is unlabelled data worth it here?*: where the semi-supervised lines rise "
    "above the supervised one, the unlabelled images paid; where they meet, labels alone would have done."
)
budget_section(spec, name, device, label_seed, neighbours, key="semi-curve")


# --- Train live -----------------------------------------------------------------------------------
def controls() -> TrainRequest:
    c1, c2, c3, c4 = st.columns(4)
    method = c1.selectbox(
        "Method", METHODS, index=METHODS.index("fixmatch"), format_func=METHOD_TITLES.get, key="semi-method"
    )
    per_class = c2.number_input(
        "Labels per class", 1, None, 10, key="semi-train-labels", help="With the label seed."
    )
    tau = c3.number_input(
        "Threshold τ",
        value=0.95,
        step=0.01,
        format="%.2f",
        key="semi-tau",
        help="A pseudo-label counts only when its probability reaches τ; in (0, 1].",
        disabled=method in ("supervised", "mean_teacher"),
    )
    weight = c4.number_input(
        "Unlabelled weight λ",
        value=1.0,
        step=0.5,
        key="semi-lambda",
        disabled=method == "supervised",
        help="≥ 0; ramps up over the first 200 steps. Mean Teacher's squared error is about 10× smaller "
        "than a cross-entropy: its recipe uses λ = 10.",
    )
    c1, c2, c3, c4, c5 = st.columns(5)
    ratio = c1.number_input(
        "Unlabelled ratio μ",
        1,
        15,
        3,
        key="semi-mu",
        disabled=method == "supervised",
        help="Unlabelled images per labelled image in a batch. FixMatch's 7 costs twice the CPU time of 3.",
    )
    decay = c2.number_input(
        "EMA decay",
        value=0.99,
        step=0.001,
        format="%.3f",
        key="semi-ema",
        disabled=method != "mean_teacher",
        help="Mean Teacher's teacher: in [0, 1).",
    )
    steps = c3.number_input("Steps", 10, 20_000, 800, 50, key="semi-steps")
    batch = c4.select_slider("Labelled batch", [16, 32, 64, 128], 32, key="semi-batch")
    width = c5.select_slider(
        "Backbone width", [4, 8, 16, 32], 16, key="semi-width", help="16 is quick on a CPU."
    )
    config = {
        "method": method,
        "labels_per_class": int(per_class),
        "label_seed": label_seed,
        "threshold": float(tau),
        "unlabelled_weight": float(weight),
        "unlabelled_ratio": int(ratio),
        "ema_decay": float(decay),
        "width": width,
        **({"num_classes": data.num_classes} if data.has_labels else {}),
    }
    train = live_train_config(steps, batch, seed, device)
    return TrainRequest(
        config, train, title=f"{METHOD_TITLES[method].split(' (')[0]} live, {int(per_class)} labels per class"
    )


train_live(
    PAGE,
    "semisup",
    "Train on the sidebar's dataset from a few labels and watch the **test accuracy**, the **pseudo-label "
    "accuracy** (against the hidden labels) and the **share of unlabelled images above τ** climb, and **λ** "
    "ramp up. The defaults (FixMatch, 32 labelled + 96 unlabelled images a step) reach about 0.93 test "
    "accuracy on mnist5k after 250 steps and 0.95 after 500, a few minutes on a CPU.",
    controls,
    labels=PanelLabels(
        loss_keys=("sup_loss", "unsup_loss", "unlabelled_weight"),
        loss_title="loss (nats; Mean Teacher's: squared error) · λ in effect",
        eval_keys=("test_acc", "pseudo_label_acc", "mask_rate"),
        eval_title="share (test images; unlabelled training images)",
        preview="test images above their weak and their strong views",
    ),
)
