"""What the embedding explorer shows, computed here so that its page only draws it.

- Encoders: the list, the one a first visit opens on (`default_encoder`), labels, features of a split, and
  a features file uploaded in this session (`add_features_file`, from `embeddings_files`).
- Maps: projections with their parameters, the spinner's time estimate, k-means and kNN-error colours,
  the image map; slow results go through the disk cache under `disk_key`.
- Neighbours of a row or an upload (and where an upload lands on a map), a probe-table row, and the
  NPZ / CSV / TSV export bytes (`dul_models.explore.embeddings_views`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dul_models.core.devices import pick_device
from dul_models.core.disk_cache import cached_array
from dul_models.data import ImageDataset
from dul_models.explore.embeddings_files import FEATURE_FILE_TYPES, add_features_file, features_folder
from dul_models.explore.embeddings_views import (
    IMAGE_MAP_POINTS,
    Neighbours,
    export_file,
    export_files,
    export_stem,
    fit_projector,
    image_map,
    neighbours,
    place_on_map,
    probe_row,
)
from dul_models.features import projections
from dul_models.features.encoders import EXPORT_FORMATS, IMAGE_SPLITS, EncoderSpec, features, image_split
from dul_models.features.encoders import list_encoders as encoders
from dul_models.features.projections import (
    PROJECTIONS,
    Projector,
    cached_projection,
    check_tsne_size,
    estimated_seconds,
    kmeans_labels,
)
from dul_models.metrics.probes import knn_disagreement
from dul_models.runs.checkpoints import run_stamps

__all__ = [
    "COLOURINGS",
    "Colours",
    "DEFAULT_METHOD",
    "EXPORT_FORMATS",
    "FEATURE_FILE_TYPES",
    "FIRST_MAP_RUNS",
    "IMAGE_MAP_POINTS",
    "IMAGE_SPLITS",
    "KNN_VOTERS",
    "METHOD_NAMES",
    "PROJECTIONS",
    "Params",
    "Projector",
    "SPLIT_NAMES",
    "TSNE_DEFAULTS",
    "UMAP_DEFAULTS",
    "EncoderSpec",
    "Neighbours",
    "add_features_file",
    "cluster_colours",
    "default_encoder",
    "disk_key",
    "encoder_label",
    "encoders",
    "estimated_seconds",
    "export_file",
    "export_files",
    "export_stem",
    "factor_colours",
    "features_folder",
    "fit_projector",
    "image_map",
    "kmeans_colours",
    "knn_error_colours",
    "knn_errors",
    "linked_colours",
    "map_coordinates",
    "neighbours",
    "place_on_map",
    "probe_row",
    "projection_note",
    "split_features",
    "split_labels",
    "split_sizes",
    "tsne_limit",
]

Params = tuple[tuple[str, float], ...]  # projection parameters as (name, value) pairs: hashable
METHOD_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
COLOURINGS = ("label", "k-means cluster", "kNN error")  # then the dataset's factors, where it has them
SPLIT_NAMES = {"test": "test split", "train": "training split", "all": "all images"}
UMAP_DEFAULTS = {"min_dist": 0.1, "n_neighbors": 15}  # the sliders start here (and the warm-up uses them)
TSNE_DEFAULTS = {"perplexity": 30.0}
KNN_VOTERS = 10  # the "kNN error" colouring: the neighbours whose vote a point's label must win
# What a first visit opens on: a map that shows at once what a good encoder does, and that is drawn in
# under 5 s on a cold server (beside the raw-pixel map, with the same projection). Measured on mnist5k's
# 1,000 test images, 2-D coordinates scored by a 10-NN vote (5-fold) and the silhouette of the labels:
# under PCA FixMatch-10 gives 0.78 / +0.24, ProtoNet 0.75 / +0.24, the classifier 0.69 / +0.12, DeepCluster
# 0.66 / +0.18, SimCLR 0.35 / -0.07, the denoising AE (the old default) 0.39 / -0.02, raw pixels 0.44 /
# +0.01. t-SNE and UMAP separate far better (SimCLR 0.95, classifier 0.98) but cost 3-4 s a map on a cold
# 2-core server (two maps: 6-8 s) and UMAP ~50 s of numba compile, so the first map is PCA.
DEFAULT_METHOD = "pca"
FIRST_MAP_RUNS = ("semisup-mnist5k-fixmatch-10", "protonet-mnist5k", "classifier-mnist5k")


def default_encoder(specs: Sequence[EncoderSpec]) -> EncoderSpec:
    """The encoder a first visit opens on: the first of FIRST_MAP_RUNS listed, else the first run, else
    the first baseline (a dataset with no runs yet)."""
    runs = [s for s in specs if s.kind == "run"]
    by_folder = {Path(s.run).name: s for s in runs}
    preferred = [by_folder[name] for name in FIRST_MAP_RUNS if name in by_folder]
    return (preferred or runs or list(specs))[0]


def encoder_label(spec: EncoderSpec) -> str:
    """The name a picker shows (a run's is read from its config.json)."""
    return spec.label


def disk_key(spec: EncoderSpec, dataset_name: str, split: str) -> tuple:
    """Where features came from, as the disk cache's key: a retrained run (its weights' new time) misses."""
    stamps = run_stamps(spec)
    return (spec.kind, spec.run, stamps[0].mtime if stamps else 0.0, dataset_name, split)


# ----------------------------------------------------------------------------------------- the images


def split_sizes(data: ImageDataset) -> dict[str, int]:
    """How many images each choice of IMAGE_SPLITS holds (the radio's labels)."""
    return {split: len(image_split(data, split)) for split in IMAGE_SPLITS}


def split_labels(data: ImageDataset, split: str) -> np.ndarray:
    """(N,) int labels of the chosen images, in the maps' row order."""
    return image_split(data, split).y.numpy()


def split_features(spec: EncoderSpec, data: ImageDataset, split: str, device: str) -> np.ndarray:
    """(N, D) features of the chosen images, read-only (one array is shared by every session); raises
    DULError with the reason when the encoder cannot be used."""
    vectors = features(spec, data, split, pick_device(device))
    vectors.flags.writeable = False
    return vectors


# ----------------------------------------------------------------------------------------- maps


def projection_note(method: str, n: int) -> str:
    """What is computed and for about how long: the spinner's text while a map is made."""
    compile_note = " (up to a minute more the first time in this server: numba compiles UMAP)"
    kept = "; the map is kept on disk, so this happens once" if method != "pca" else ""
    return (
        f"{method.upper()} of {n:,} points: about {estimated_seconds(method, n):.0f} s"
        f"{compile_note if method == 'umap' else ''}{kept}…"
    )


def tsne_limit() -> int:
    """The most points a t-SNE map is drawn for (above it the page offers UMAP), read at each call."""
    return projections.TSNE_CPU_LIMIT


def map_coordinates(
    vectors: np.ndarray, key: tuple, method: str, dims: int, params: Params, device: str = "cpu"
) -> np.ndarray:
    """(N, dims) map of the features by PCA, t-SNE or UMAP, through the disk cache under `key`
    (`disk_key`); a t-SNE too large for the CPU is refused with its time and the advice to use UMAP."""
    if method == "tsne":
        check_tsne_size(len(vectors), pick_device(device).type)
    return cached_projection(key, vectors, method, dims, **dict(params))


def kmeans_colours(vectors: np.ndarray, key: tuple, k: int) -> np.ndarray:
    """(N,) k-means cluster ids of the features, kept on disk (73,728 × 784 pixels: ~40 s on a busy CPU)."""
    ids, _ = cached_array(("kmeans", k, *key), vectors, (len(vectors),), lambda: kmeans_labels(vectors, k))
    return ids.astype(np.int64)


def knn_errors(vectors: np.ndarray, labels: np.ndarray, key: tuple) -> np.ndarray:
    """(N,) True where a point's KNN_VOTERS nearest other points vote another label; kept on disk (exact
    kNN of 70,000 points takes minutes; it reports progress through `dul_models.core.progress`)."""
    wrong, _ = cached_array(
        ("knn-disagreement", KNN_VOTERS, *key),
        vectors,
        (len(vectors),),
        lambda: knn_disagreement(vectors, labels, KNN_VOTERS),
    )
    return wrong.astype(bool)


Colours = tuple[np.ndarray | None, str]  # each point's colour (None: by label) and the legend's title


def linked_colours(linked: Sequence[int], n: int) -> Colours:
    """Marks the rows selected on the other map, so one sees whether they stay together on this one."""
    marks = np.full(n, "not selected there", dtype=object)
    marks[list(linked)] = "selected on the other map"
    return marks, "linked selection"


def cluster_colours(ids: np.ndarray, k: int) -> Colours:
    """k-means cluster ids as categories."""
    return np.asarray(ids).astype(str), f"k-means (k = {k})"


def knn_error_colours(wrong: np.ndarray) -> Colours:
    """Two categories: the points whose neighbours vote another label, and the rest."""
    marks = np.where(
        np.asarray(wrong, dtype=bool), f"{KNN_VOTERS} neighbours vote another label", "neighbours agree"
    )
    return marks, "kNN error"


def factor_colours(data: ImageDataset, split: str, colouring: str) -> Colours:
    """A known factor's values (floats: a continuous scale), or (None, "label") for any other colouring."""
    if colouring not in data.factor_names:
        return None, "label"
    factors = image_split(data, split).factors
    return factors[:, data.factor_names.index(colouring)].numpy().astype(float), colouring
