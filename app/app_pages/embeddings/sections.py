"""The explorer's sections below the maps: nearest neighbours (of a row or an upload), the probe table of
every encoder, and the export of the first encoder's features."""

from __future__ import annotations

from functools import partial

import streamlit as st

from app.app_pages.embeddings.controls import MapChoice
from app.components.charts import placement_chart
from app.components.images import image_grid
from app.components.probe_table import probe_table
from app.components.uploads import uploaded_image
from app.resources import embeddings as cached
from dul_models import DULError
from dul_models.explore import embeddings as explore


def nearest_neighbours(choice: MapChoice, selected: list[int] | None) -> None:
    """The chosen row's (or an upload's) nearest images under the first encoder, and where an upload
    lands on the first map."""
    st.header("Nearest neighbours")
    n1, n2 = st.columns([1, 3])
    if st.session_state.get("emb-query", 0) >= len(choice.labels):  # kept from a larger choice of images
        st.session_state["emb-query"] = 0
    if selected and st.session_state.get("emb-last-pick") != selected[0]:  # a new selection picks the query
        st.session_state["emb-last-pick"] = st.session_state["emb-query"] = selected[0]
    query = int(
        n1.number_input(
            "Image row (or select points on the first map)", 0, len(choice.labels) - 1, key="emb-query"
        )
    )
    k = n1.slider("Neighbours", 4, 24, 8, key="emb-k-nn")
    upload = uploaded_image(
        "…or upload an image",
        choice.data.image_shape,
        key="emb-upload",
        device=choice.images.device,
        fallback="Using the chosen image instead.",
        container=n1,
    )
    label = choice.label_of[choice.first]
    with n2:
        try:
            bank = cached.encoder_features(choice.first, choice.name, choice.split, choice.device)
            found = explore.neighbours(
                choice.first,
                choice.data,
                choice.images,
                bank,
                k,
                row=query,
                upload=upload,
                device=choice.device,
            )
        except DULError as exc:
            st.error(f"{label}: {exc}")
            return
        image_grid(
            found.images,
            nrow=k + 1,
            scale=3,
            download_name="neighbours.png",
            caption=f"The query ({'your image' if upload is not None else f'row {query}'}), then its {k} "
            f"nearest {choice.what} under {label}; cosine similarity: "
            + ", ".join(f"{s:.2f}" for s in found.similarity),
        )
        if found.query_vector is not None:
            _placement(choice, found.query_vector)


def _placement(choice: MapChoice, vector: object) -> None:
    """Where an uploaded image lands on the first map (t-SNE cannot place new points: say so)."""
    if choice.method == "tsne":
        st.caption(
            "t-SNE cannot place new points on a finished map; switch to PCA or UMAP to see where it lands."
        )
        return
    where = (choice.first, choice.name, choice.split, choice.device, choice.method)
    placed = explore.place_on_map(cached.projector(*where, choice.params), vector)
    coords = cached.projection(*where, 2, choice.params)
    chart = placement_chart(coords, placed, title="Your image on the first map", axis=choice.method_name)
    st.plotly_chart(chart, key="emb-placement")


def probes(choice: MapChoice) -> None:
    """kNN and linear-probe accuracy of every encoder on the dataset."""
    st.header("How good is each encoder?")
    probe_table(choice.data, choice.specs, choice.device, key="emb-probe")


def export(choice: MapChoice) -> None:
    """The first encoder's features of the chosen images as .npz, .csv and .tsv (+ metadata) downloads."""
    st.header("Export")
    label = choice.label_of[choice.first]
    try:
        vectors = cached.encoder_features(choice.first, choice.name, choice.split, choice.device)
    except DULError as exc:
        st.error(f"{label}: {exc}")
        return
    stem = explore.export_stem(choice.name, choice.first.kind, choice.split)
    for column, files in zip(
        st.columns(len(explore.EXPORT_FORMATS)), explore.export_files(stem), strict=True
    ):
        for fmt, file_name in files:
            payload = partial(explore.export_file, fmt, file_name, vectors, choice.labels, stem)
            column.download_button(  # written on click: a 70,000-row CSV takes seconds, not every rerun
                f"⬇ {file_name}", payload, file_name, key=f"emb-export-{file_name}", on_click="ignore"
            )
    st.caption(
        f"{label}, {vectors.shape[0]:,} {choice.what} × {vectors.shape[1]} dimensions. The .tsv pair "
        "loads into TensorBoard's Embedding Projector; the .npz is what `python -m dul_models embed` writes."
    )
