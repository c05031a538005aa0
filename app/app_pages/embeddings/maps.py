"""The explorer's maps: one or two encoders' maps with linked selection (or why t-SNE is refused), and the
image map of the first one."""

from __future__ import annotations

from functools import partial

import streamlit as st

from app.app_pages.embeddings.controls import MapChoice
from app.app_pages.embeddings.webgl import webgl_missing
from app.components import embedding_map as map_component  # read at each call: LINK_LIVE_UP_TO
from app.components.charts import WEBGL_ABOVE, scatter_3d
from app.resources import embeddings as cached
from dul_models import DULError, EncoderSpec, png_bytes
from dul_models.explore import embeddings as explore

MAPS = ("emb-map-a", "emb-map-b")  # the two charts' keys: their selections live in session_state


def maps(choice: MapChoice) -> list[int] | None:
    """The maps; returns the rows selected on the first (None when it could not be drawn)."""
    st.header("Maps")
    n = len(choice.labels)
    webgl = None  # WebGL above charts.WEBGL_ABOVE points, unless the browser said it has none
    if choice.dims == 2 and n > WEBGL_ABOVE and webgl_missing():
        webgl = False
        st.info(f"This browser has no WebGL, so the maps are drawn as SVG: slow with {n:,} points.")
    draw = partial(_draw, choice, webgl=webgl)
    tsne_limit = explore.tsne_limit()
    if choice.method == "tsne" and n > tsne_limit:  # refused by the library; say why and offer UMAP
        st.warning(
            f"t-SNE of {n:,} points runs on the CPU and would take about "
            f"{explore.estimated_seconds('tsne', n) / 60:.0f} min (this page draws t-SNE up to "
            f"{tsne_limit:,} points). UMAP keeps neighbourhoods too, in about "
            f"{explore.estimated_seconds('umap', n):.0f} s, and its map is kept on disk after."
        )
        st.button("Use UMAP instead", on_click=_use_umap, key="emb-use-umap", type="primary")
        return None
    if not choice.compare:
        return draw(choice.first, MAPS[0], [])
    live = map_component.LINK_LIVE_UP_TO
    link = n <= live or st.toggle(
        f"Mark each map's selection on the other (redraws the other map: several seconds at {n:,} "
        "points where WebGL runs without a GPU)",
        value=False,
        key="emb-link-big",
        help=f"Up to {live:,} points the maps are always linked. Above that a selection shows its "
        "gallery without redrawing the second map, unless you switch this on.",
    )
    left, right = st.columns(2)
    with left:  # the second map's selection marks the first; the first's (drawn, so known) marks the second
        linked = map_component.selected_rows(st.session_state.get(MAPS[1]), n) if link else []
        selected = draw(choice.first, MAPS[0], linked)
    with right:  # (reading session_state copies a selection: 10,000 points took 0.5 s a copy)
        draw(choice.second, MAPS[1], (selected or []) if link else [])
    st.caption(
        "Linked selection: the points you select on one map are marked on the other, so you see whether the "
        "same images stay together under the other encoder. Double-click a map to clear its selection."
    )
    return selected


def _use_umap() -> None:
    st.session_state["emb-method"] = "umap"


def _colours(choice: MapChoice, spec: EncoderSpec, linked: list[int]) -> explore.Colours:
    """The colour of every point and the legend's title: the other map's selection wins when there is one."""
    if linked:
        return explore.linked_colours(linked, len(choice.labels))
    if choice.colouring == "k-means cluster":
        ids = cached.kmeans_colours(spec, choice.name, choice.split, choice.device, choice.clusters)
        return explore.cluster_colours(ids, choice.clusters)
    if choice.colouring == "kNN error":
        return explore.knn_error_colours(cached.knn_errors(spec, choice.name, choice.split, choice.device))
    return explore.factor_colours(choice.data, choice.split, choice.colouring)


def _draw(
    choice: MapChoice, spec: EncoderSpec, key: str, linked: list[int], *, webgl: bool | None
) -> list[int] | None:
    """One map (None after one clear error); returns the rows selected on it."""
    label, method = choice.label_of[spec], choice.method_name
    try:
        vectors = cached.encoder_features(spec, choice.name, choice.split, choice.device)
        coords = cached.projection(
            spec, choice.name, choice.split, choice.device, choice.method, choice.dims, choice.params
        )
        colour, colour_title = _colours(choice, spec, linked)
    except DULError as exc:
        st.error(f"{label}: {exc}")
        return None
    st.markdown(f"**{label}**")  # above the chart: a long run name would run under its toolbar
    title = f"{vectors.shape[1]}-D → {choice.dims}-D by {method}, {len(choice.labels):,} {choice.what}"
    if choice.dims == 3:
        figure = scatter_3d(coords, choice.labels, choice.data.class_names, title=title, axis=method)
        st.plotly_chart(figure, key=key)
        st.caption("Drag to rotate. Box and lasso selection work on 2-D maps.")
        return []
    return map_component.embedding_map(
        coords,
        choice.images,
        choice.labels,
        choice.data.class_names,
        key=key,
        title=title,
        axis_titles=(f"{method} 1", f"{method} 2"),
        color=colour,
        color_title=colour_title,
        file_stem=f"{choice.name}-{choice.split}-{spec.kind}-{choice.method}",
        encoder=label,
        webgl=webgl,
    )


def image_map(choice: MapChoice, selected: list[int] | None) -> None:
    """The first map's images pasted at their places, in an expander drawn only while open (a 1,600 px
    picture on every rerun cost time)."""
    if selected is None or choice.dims != 2:
        return
    box = st.expander(
        f"Image map: the {choice.what} drawn at their places on the first map",
        key="emb-image-map",
        on_change="rerun",
    )
    if not box.open:
        return
    with box:
        try:
            picture, drawn = cached.image_map(
                choice.first, choice.name, choice.split, choice.device, choice.method, choice.params
            )
        except DULError as exc:
            st.error(str(exc))
            return
        n = len(choice.labels)
        shown = f"all {drawn:,}" if drawn == n else f"a fixed sample of {drawn:,} of {n:,}"
        st.image(
            picture,
            caption=f"{choice.label_of[choice.first]} · {choice.method_name} · x right, y up · {shown} "
            f"{choice.what}",
            width="stretch",
        )
        picture_png = partial(png_bytes, picture)  # encoded on click
        st.download_button(
            "⬇ Image map PNG", picture_png, f"{choice.name}-image-map.png", "image/png", on_click="ignore"
        )
