"""The explorer's controls: which encoders (a features file uploaded in this session among them), which
images, which projection and colouring. Every section of the page reads the one `MapChoice` they make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from app import resources
from app.app_pages.embeddings.feature_files import feature_files
from app.resources import embeddings as cached
from dul_models import EncoderSpec, ImageDataset
from dul_models.explore import embeddings as explore


@dataclass(frozen=True)
class MapChoice:
    """What the controls chose, with the chosen images; plain values and the shared (read-only) batch."""

    data: ImageDataset
    name: str  # the dataset's name
    device: str
    specs: list[EncoderSpec]
    label_of: dict[EncoderSpec, str]
    first: EncoderSpec
    second: EncoderSpec
    compare: bool
    split: str
    images: Any  # (N, C, H, W) floats on the device, shared: index it, never write to it
    labels: Any  # (N,) labels of the same rows
    method: str
    dims: int
    colouring: str
    clusters: int
    params: cached.Params

    @property
    def what(self) -> str:
        """How captions name the chosen images."""
        return {"test": "test images", "train": "training images"}.get(self.split, "images")

    @property
    def method_name(self) -> str:
        return explore.METHOD_NAMES[self.method]


def map_choice(data: ImageDataset, name: str, device: str) -> MapChoice:
    """The encoder, images, projection and colouring widgets, in two rows and an expander."""
    sizes = explore.split_sizes(data)
    c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
    split = c3.radio(
        "Images",
        explore.IMAGE_SPLITS,
        format_func=lambda s: f"{explore.SPLIT_NAMES[s]} ({sizes[s]:,})",
        horizontal=True,
        key="emb-split",
        help="Every map, colouring, gallery, neighbour search and export follows this choice. The test split "
        "is quickest; all images = the training split, then the test split (WebGL draws the larger maps).",
    )
    files, new_file = feature_files(data, name, split)  # the files are checked on `split`
    specs = explore.encoders(name) + files
    label_of = {spec: cached.encoder_label(spec) for spec in specs}
    index = specs.index(explore.default_encoder(specs))
    if new_file is not None:  # the first map shows a file's features as soon as it is added
        st.session_state["emb-a"], index = new_file, 0  # (index 0: Streamlit warns of a default beside it)
    first = c1.selectbox("Encoder", specs, index=index, format_func=label_of.get, key="emb-a")
    compare = c4.toggle("Compare two encoders", value=True, key="emb-compare")
    second = c2.selectbox(
        "Second encoder", specs, format_func=label_of.get, key="emb-b", disabled=not compare
    )
    p1, p2, p3, p4 = st.columns(4)
    method = p1.radio(
        "Projection",
        explore.PROJECTIONS,
        index=explore.PROJECTIONS.index(explore.DEFAULT_METHOD),
        format_func=explore.METHOD_NAMES.get,
        horizontal=True,
        key="emb-method",
        help="PCA is instant and linear; t-SNE and UMAP keep neighbourhoods (UMAP compiles once per server).",
    )
    dims = p2.radio("Dimensions", (2, 3), horizontal=True, key="emb-dims")
    colouring = p3.selectbox("Colour by", explore.COLOURINGS + tuple(data.factor_names), key="emb-colour")
    clusters = int(p4.number_input("k-means clusters", 2, 50, max(2, len(data.class_names)), key="emb-k"))
    return MapChoice(
        data,
        name,
        device,
        specs,
        label_of,
        first,
        second,
        compare,
        split,
        resources.split_images(name, split, device),
        explore.split_labels(data, split),
        method,
        dims,
        colouring,
        clusters,
        _projection_parameters(method),
    )


def _projection_parameters(method: str) -> cached.Params:
    """The sliders of the chosen method's parameters (all drawn, so each keeps its value when switching)."""
    with st.expander("Projection parameters"):
        q1, q2, q3 = st.columns(3)
        umap = explore.UMAP_DEFAULTS
        umap_params = (
            ("min_dist", q2.slider("UMAP min_dist", 0.0, 1.0, umap["min_dist"], 0.05, key="emb-min-dist")),
            ("n_neighbors", q1.slider("UMAP n_neighbors", 2, 200, umap["n_neighbors"], key="emb-neighbours")),
        )
        perplexity = explore.TSNE_DEFAULTS["perplexity"]
        tsne_params = (
            ("perplexity", q3.slider("t-SNE perplexity", 2.0, 100.0, perplexity, 1.0, key="emb-perplexity")),
        )
    return {"umap": umap_params, "tsne": tsne_params}.get(method, ())
