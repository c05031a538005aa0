"""Self-supervised learning: views, the InfoNCE game, MoCo's queue, pretext tasks, and training live."""

from __future__ import annotations

import dataclasses

import streamlit as st
import torch

from app import resources, state
from app.components.contrastive_views import infonce_section
from app.components.images import image_grid
from app.components.pretext_views import pretext_section
from app.components.probe_table import probe_table
from app.components.runs import picked_run
from app.components.sidebar import chosen_dataset
from app.components.training_panel import PanelLabels, TrainRequest, live_train_config, train_live
from app.components.uploads import uploaded_image
from app.pages import page_of
from dul_models.core.errors import DULError
from dul_models.data.augment import VIEW_NOTES, ViewStrength
from dul_models.explore.self_supervised import (
    CONTRASTIVE,
    collapse_warning,
    self_supervised_families,
    view_pairs,
)
from dul_models.features.encoders import list_encoders
from dul_models.models import get_family

PAGE = page_of(__file__).key

st.title("🔁 Self-supervised learning")
st.markdown(
    "No labels: the network invents its own task. **Contrastive** methods (SimCLR, MoCo) must recognise two "
    "random views of the same image among many others; **pretext tasks** ask it to undo something done to the "
    "image (a rotation, shuffled tiles, a missing neighbour, removed colour). Either way the backbone's "
    "features end up organising the images — the probes below measure how well, with labels used only to score."
)
name, device, seed = state.dataset_name(), state.device_name(), state.seed()
data = chosen_dataset()
x_test = resources.test_images(name, device)

# --- Views ---------------------------------------------------------------------------------------------
st.header("Two views of one image")
st.markdown(
    "Each pair below is what one training step shows the network: it must map both views of a pair close "
    "together, so it learns to **ignore** whatever the augmentations change. Too weak, and the task is trivial; "
    "too strong, and the views no longer show the same thing."
)
defaults = ViewStrength()
c1, c2 = st.columns([1, 3])
last = len(x_test) - 1
index = int(c1.number_input("Test image", 0, last, 0, key="ssl-index", help=f"0 … {last}"))
upload = uploaded_image(
    "…or upload an image",
    data.image_shape,
    key="ssl-upload",
    device=x_test.device,
    fallback=f"Using test image {index} instead.",
    container=c1,
)
image = x_test[index] if upload is None else upload
limits = {
    "crop_scale": (0.1, 1.0, 0.05),
    "rotation": (0.0, 90.0, 5.0),
    "translate": (0.0, 0.4, 0.05),
    "erasing": (0.0, 1.0, 0.05),
    "noise": (0.0, 0.5, 0.05),
    "jitter": (0.0, 1.0, 0.1),
}
chosen = {}
slider_cols = c2.columns(3)
for i, (field, (low, high, step)) in enumerate(limits.items()):
    chosen[field] = slider_cols[i % 3].slider(
        field.replace("_", " "),
        low,
        high,
        float(getattr(defaults, field)),
        step,
        key=f"ssl-aug-{field}",
        help=VIEW_NOTES[field],
    )
try:
    first, second = view_pairs(image, ViewStrength(**chosen), pairs=8, seed=seed)
except DULError as exc:
    st.error(f"Cannot draw views: {exc}")
else:
    c2.markdown("**Top row: view 1 · bottom row: view 2 of the same image** (crop scale 1 = no crop)")
    with c2:
        image_grid(torch.cat([first, second]), nrow=8, download_name="views.png", key="ssl-views-dl")
    c2.caption(
        " · ".join(f"**{VIEW_NOTES[f].split(':')[0]}** —{VIEW_NOTES[f].split(':', 1)[1]}" for f in limits)
    )

# --- The InfoNCE game ----------------------------------------------------------------------------------
st.header("The InfoNCE game")
run = picked_run(
    PAGE,
    "main",
    None,
    label="Contrastive run (SimCLR / MoCo)",
    what="contrastive",
    where=lambda info: info.family in CONTRASTIVE,
)
if run is not None:
    infonce_section(run, x_test, seed)

# --- Pretext tasks -------------------------------------------------------------------------------------
st.header("Pretext tasks doing their task")
pretext_section(PAGE, data, x_test, device)

# --- Which features are best? -------------------------------------------------------------------------
st.header("Which method learns the best features?")
specs = list_encoders(name)
probe_table(data, specs, device, key="ssl-probe")
st.page_link(
    "app_pages/embeddings.py", label="Open any of these encoders in the Embedding explorer", icon="🗺️"
)

# --- Train live ----------------------------------------------------------------------------------------
families = self_supervised_families()
PRESETS = {
    "default": {},
    "break it: no negatives (SimCLR)": {"negatives": False},
    "break it: no projection head (SimCLR)": {"projection": False},
    "break it: temperature 5": {"temperature": 5.0},
}


def controls() -> TrainRequest:
    family = st.selectbox("Method", families, key="ssl-family", format_func=lambda f: get_family(f).title)
    c1, c2, c3, c4 = st.columns(4)
    preset = c1.selectbox(
        "Preset",
        list(PRESETS),
        key="ssl-preset",
        help="The 'break it' presets show collapse or a diverging loss on purpose.",
    )
    steps = c2.number_input("Steps", 10, 20_000, 800, 50, key="ssl-steps")
    batch = c3.select_slider("Batch size", [32, 64, 128, 256, 512], 128, key="ssl-batch")
    width = c4.select_slider(
        "Backbone width",
        [8, 16, 32, 64],
        16,
        key="ssl-width",
        help="Channels of the first stage; 16 is quick on a CPU, 32–64 want a GPU.",
    )
    config: dict = {"width": width}
    fields = {f.name for f in dataclasses.fields(get_family(family).config_cls)}
    if "temperature" in fields:
        config["temperature"] = st.slider("Temperature τ", 0.05, 2.0, 0.2, 0.05, key="ssl-train-t")
    if "momentum" in fields:
        k1, k2 = st.columns(2)
        config["momentum"] = k1.slider(
            "Momentum m", 0.0, 0.999, 0.99, 0.001, key="ssl-train-m", format="%.3f"
        )
        config["queue_size"] = int(
            k2.number_input("Queue size K", batch, 65_536, 4096, batch, key="ssl-train-k")
        )
    config.update({k: v for k, v in PRESETS[preset].items() if k in fields})
    train = live_train_config(steps, batch, seed, device)
    return TrainRequest(config, train, title=f"{family} live ({preset})", callbacks=("map_timeline",))


train_live(
    PAGE,
    st.session_state.get("ssl-family", families[0]),
    "Train the chosen method on the sidebar's dataset and watch the **kNN accuracy** (20 neighbours, cosine, "
    "labels used only to score), the **embedding spread** and the **map of the test set organise itself**. "
    "Raw pixels score 0.931 kNN on mnist5k: the default SimCLR settings overtake them within about a minute on a CPU.",
    controls,
    labels=PanelLabels(
        loss_keys=("loss",),
        loss_title="loss (nats)",
        eval_keys=("knn_acc", "pretext_acc"),
        eval_title="accuracy (share of test images)",
        preview="each test image above two of its views",
        eval_warning=collapse_warning,
        more_eval_charts=(
            (
                ("embedding_std", "healthy_std", "projection_std", "healthy_projection_std"),
                "std of normalised vectors (healthy ≈ 1/√D)",
                "Collapse check: spread of the embeddings",
            ),
            (
                ("alignment", "uniformity"),
                "lower is better (alignment: squared distance; uniformity: log)",
                "Alignment and uniformity (Wang & Isola 2020)",
            ),
        ),
    ),
)
