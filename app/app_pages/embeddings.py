"""Embedding explorer: maps of any encoder with the images on them, two encoders side by side with linked
selection, selection → gallery, neighbours of any image, and how good each encoder is (kNN / linear probe)."""

from __future__ import annotations

from functools import partial

import numpy as np
import streamlit as st
import torch

from app import resources, state
from app.components.charts import WEBGL_ABOVE, placement_chart, scatter_3d
from app.components.embedding_map import LINK_LIVE_UP_TO, embedding_map, selected_rows
from app.components.images import image_grid
from app.components.probe_table import probe_table
from app.components.sidebar import chosen_dataset
from app.components.uploads import uploaded_image
from app.components.webgl import webgl_missing
from app.resources import embeddings as cached
from dul_models.core.errors import DULError
from dul_models.core.images import png_bytes
from dul_models.features.encoders import (
    EXPORT_FORMATS,
    IMAGE_SPLITS,
    EncoderSpec,
    encode_images,
    export_bytes,
    export_file_names,
    image_split,
    list_encoders,
)
from dul_models.features.projections import PROJECTIONS, TSNE_CPU_LIMIT, estimated_seconds
from dul_models.metrics.probes import nearest_neighbours, neighbours_of_row

METHOD = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
COLOURINGS = ("label", "k-means cluster", "kNN error")
IMAGES = {"test": "test split", "train": "training split", "all": "all images"}
MAPS = ("emb-map-a", "emb-map-b")  # the two charts' keys: their selections live in session_state

st.title("🗺️ Embedding explorer")
st.markdown(
    "An *encoder* turns each image into a vector; a good one puts images that mean the same thing close "
    "together. Pick an encoder — raw pixels, PCA, a random network or any trained run — and see its vectors "
    "of the images (the test split, the training split or all of them) projected to a map, with the images on it. Select points to see what you circled, "
    "compare two encoders on the same images, find any image's neighbours, and measure every encoder with a "
    "k-nearest-neighbour vote and a linear probe trained on 1, 10 or 100 labels per class."
)

name, device = state.dataset_name(), state.device_name()
data = chosen_dataset()
specs = list_encoders(name)
label_of = {spec: cached.encoder_label(spec) for spec in specs}
first_run = next((s for s in specs if s.kind == "run"), specs[0])

c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
spec_a = c1.selectbox("Encoder", specs, index=specs.index(first_run), format_func=label_of.get, key="emb-a")
compare = c4.toggle("Compare two encoders", value=True, key="emb-compare")
spec_b = c2.selectbox("Second encoder", specs, format_func=label_of.get, key="emb-b", disabled=not compare)
split = c3.radio(
    "Images",
    IMAGE_SPLITS,
    format_func=lambda s: f"{IMAGES[s]} ({len(image_split(data, s)):,})",
    horizontal=True,
    key="emb-split",
    help="Every map, colouring, gallery, neighbour search and export follows this choice. The test split "
    "is quickest; all images = the training split, then the test split (WebGL draws the larger maps).",
)
chosen_images = image_split(data, split)
images, labels = resources.split_images(name, split, device), chosen_images.y.numpy()
what = "test images" if split == "test" else "training images" if split == "train" else "images"
p1, p2, p3, p4 = st.columns(4)
method = p1.radio(
    "Projection",
    PROJECTIONS,
    format_func=METHOD.get,
    horizontal=True,
    key="emb-method",
    help="PCA is instant and linear; t-SNE and UMAP keep neighbourhoods (UMAP compiles once per server).",
)
dims = p2.radio("Dimensions", (2, 3), horizontal=True, key="emb-dims")
colouring = p3.selectbox("Colour by", COLOURINGS + tuple(data.factor_names), key="emb-colour")
clusters = int(p4.number_input("k-means clusters", 2, 50, max(2, len(data.class_names)), key="emb-k"))
with st.expander("Projection parameters"):
    q1, q2, q3 = st.columns(3)
    umap_params = (
        (
            "min_dist",
            q2.slider("UMAP min_dist", 0.0, 1.0, cached.UMAP_DEFAULTS["min_dist"], 0.05, key="emb-min-dist"),
        ),
        (
            "n_neighbors",
            q1.slider("UMAP n_neighbors", 2, 200, cached.UMAP_DEFAULTS["n_neighbors"], key="emb-neighbours"),
        ),
    )
    tsne_params = (
        ("perplexity", q3.slider("t-SNE perplexity", 2.0, 100.0, 30.0, 1.0, key="emb-perplexity")),
    )
params = {"umap": umap_params, "tsne": tsne_params}.get(method, ())


def colours(spec: EncoderSpec, linked: list[int]) -> tuple[np.ndarray | None, str]:
    """The colour of every point and the legend's title: the other map's selection wins when there is one."""
    if linked:
        marks = np.full(len(labels), "not selected there", dtype=object)
        marks[linked] = "selected on the other map"
        return marks, "linked selection"
    if colouring == "k-means cluster":
        colour = cached.kmeans_colours(spec, name, split, device, clusters)
        return colour.astype(str), f"k-means (k = {clusters})"
    if colouring == "kNN error":
        wrong = cached.knn_errors(spec, name, split, device)
        return np.where(wrong, "10 neighbours vote another label", "neighbours agree"), "kNN error"
    if colouring in data.factor_names:
        return chosen_images.factors[:, data.factor_names.index(colouring)].numpy().astype(float), colouring
    return None, "label"


def draw(spec: EncoderSpec, key: str, linked: list[int]) -> list[int] | None:
    """One map (None after one clear error); returns the rows selected on it."""
    try:
        vectors = cached.encoder_features(spec, name, split, device)
        coords = cached.projection(spec, name, split, device, method, dims, params)
        colour, colour_title = colours(spec, linked)
    except DULError as exc:
        st.error(f"{label_of[spec]}: {exc}")
        return None
    st.markdown(f"**{label_of[spec]}**")  # above the chart: a long run name would run under its toolbar
    title = f"{vectors.shape[1]}-D → {dims}-D by {METHOD[method]}, {len(labels):,} {what}"
    if dims == 3:
        st.plotly_chart(
            scatter_3d(coords, labels, data.class_names, title=title, axis=METHOD[method]), key=key
        )
        st.caption("Drag to rotate. Box and lasso selection work on 2-D maps.")
        return []
    return embedding_map(
        coords,
        images,
        labels,
        data.class_names,
        key=key,
        title=title,
        axis_titles=(f"{METHOD[method]} 1", f"{METHOD[method]} 2"),
        color=colour,
        color_title=colour_title,
        file_stem=f"{name}-{split}-{spec.kind}-{method}",
        encoder=label_of[spec],
        webgl=webgl,
    )


def export_file(fmt: str, file_name: str, vectors: np.ndarray, labels: np.ndarray, stem: str) -> bytes:
    return export_bytes(fmt, vectors, labels, stem=stem)[file_name]


def use_umap() -> None:
    st.session_state["emb-method"] = "umap"


st.header("Maps")
webgl = None  # WebGL above charts.WEBGL_ABOVE points, unless the browser said it has none
if dims == 2 and len(labels) > WEBGL_ABOVE and webgl_missing():
    webgl = False
    st.info(f"This browser has no WebGL, so the maps are drawn as SVG: slow with {len(labels):,} points.")
if method == "tsne" and len(labels) > TSNE_CPU_LIMIT:  # refused by the library; say why and offer UMAP
    st.warning(
        f"t-SNE of {len(labels):,} points runs on the CPU and would take about "
        f"{estimated_seconds('tsne', len(labels)) / 60:.0f} min (this page draws t-SNE up to "
        f"{TSNE_CPU_LIMIT:,} points). UMAP keeps neighbourhoods too, in about "
        f"{estimated_seconds('umap', len(labels)):.0f} s, and its map is kept on disk after."
    )
    st.button("Use UMAP instead", on_click=use_umap, key="emb-use-umap", type="primary")
    selected = None
elif compare:
    link = len(labels) <= LINK_LIVE_UP_TO or st.toggle(
        f"Mark each map's selection on the other (redraws the other map: several seconds at {len(labels):,} "
        "points where WebGL runs without a GPU)",
        value=False,
        key="emb-link-big",
        help=f"Up to {LINK_LIVE_UP_TO:,} points the maps are always linked. Above that a selection shows its "
        "gallery without redrawing the second map, unless you switch this on.",
    )
    left, right = st.columns(2)
    with left:  # the second map's selection marks the first; the first's (drawn, so known) marks the second
        linked = selected_rows(st.session_state.get(MAPS[1]), len(labels)) if link else []
        selected = draw(spec_a, MAPS[0], linked)
    with right:  # (reading session_state copies a selection: 10,000 points took 0.5 s a copy)
        draw(spec_b, MAPS[1], (selected or []) if link else [])
    st.caption(
        "Linked selection: the points you select on one map are marked on the other, so you see whether the "
        "same images stay together under the other encoder. Double-click a map to clear its selection."
    )
else:
    selected = draw(spec_a, MAPS[0], [])

image_map_box = None
if selected is not None and dims == 2:  # drawn only while open: a 1,600 px picture on every rerun cost time
    image_map_box = st.expander(
        f"Image map: the {what} drawn at their places on the first map",
        key="emb-image-map",
        on_change="rerun",
    )
if image_map_box is not None and image_map_box.open:
    with image_map_box:
        try:
            picture, drawn = cached.image_map(spec_a, name, split, device, method, params)
        except DULError as exc:
            st.error(str(exc))
        else:
            shown = (
                f"all {drawn:,}"
                if drawn == len(labels)
                else f"a fixed sample of {drawn:,} of {len(labels):,}"
            )
            st.image(
                picture,
                caption=f"{label_of[spec_a]} · {METHOD[method]} · x right, y up · {shown} {what}",
                width="stretch",
            )
            picture_png = partial(png_bytes, picture)  # encoded on click
            st.download_button(
                "⬇ Image map PNG", picture_png, f"{name}-image-map.png", "image/png", on_click="ignore"
            )

st.header("Nearest neighbours")
n1, n2 = st.columns([1, 3])
if st.session_state.get("emb-query", 0) >= len(labels):  # kept from a larger choice of images
    st.session_state["emb-query"] = 0
if selected and st.session_state.get("emb-last-pick") != selected[0]:  # a new selection picks the query
    st.session_state["emb-last-pick"] = st.session_state["emb-query"] = selected[0]
query = int(
    n1.number_input("Image row (or select points on the first map)", 0, len(labels) - 1, key="emb-query")
)
k = n1.slider("Neighbours", 4, 24, 8, key="emb-k-nn")
upload = uploaded_image(
    "…or upload an image",
    data.image_shape,
    key="emb-upload",
    device=images.device,
    fallback="Using the chosen image instead.",
    container=n1,
)
with n2:
    try:
        bank = cached.encoder_features(spec_a, name, split, device)
        if upload is None:
            indices, similarity = neighbours_of_row(bank, query, k)
            shown = images[query : query + 1]
        else:
            mine = encode_images(spec_a, data, upload[None].cpu(), device)
            found, sims = nearest_neighbours(bank, mine, k)
            indices, similarity, shown = found[0], sims[0], upload[None]
    except DULError as exc:
        st.error(f"{label_of[spec_a]}: {exc}")
    else:
        image_grid(
            torch.cat([shown, images[torch.as_tensor(indices, device=images.device)]]),
            nrow=k + 1,
            scale=3,
            download_name="neighbours.png",
            caption=f"The query ({'your image' if upload is not None else f'row {query}'}), then its {k} "
            f"nearest {what} under {label_of[spec_a]}; cosine similarity: "
            + ", ".join(f"{s:.2f}" for s in similarity),
        )
        if upload is not None and method != "tsne":
            placed = cached.projector(spec_a, name, split, device, method, params).transform(mine)[0]
            coords = cached.projection(spec_a, name, split, device, method, 2, params)
            chart = placement_chart(coords, placed, title="Your image on the first map", axis=METHOD[method])
            st.plotly_chart(chart, key="emb-placement")
        elif upload is not None:
            st.caption(
                "t-SNE cannot place new points on a finished map; switch to PCA or UMAP to see where it lands."
            )

st.header("How good is each encoder?")
probe_table(data, specs, device, key="emb-probe")

st.header("Export")
try:
    vectors = cached.encoder_features(spec_a, name, split, device)
except DULError as exc:
    st.error(f"{label_of[spec_a]}: {exc}")
else:
    stem = f"{name}-{spec_a.kind}" if split == "test" else f"{name}-{split}-{spec_a.kind}"
    for column, fmt in zip(st.columns(len(EXPORT_FORMATS)), EXPORT_FORMATS, strict=True):
        for file_name in export_file_names(fmt, stem):
            payload = partial(export_file, fmt, file_name, vectors, labels, stem)
            column.download_button(  # written on click: a 70,000-row CSV takes seconds, not every rerun
                f"⬇ {file_name}", payload, file_name, key=f"emb-export-{file_name}", on_click="ignore"
            )
    st.caption(
        f"{label_of[spec_a]}, {vectors.shape[0]:,} {what} × {vectors.shape[1]} dimensions. The .tsv pair "
        "loads into TensorBoard's Embedding Projector; the .npz is what `python -m dul_models embed` writes."
    )
