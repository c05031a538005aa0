"""The embedding explorer's views of one encoder beyond its map: the nearest neighbours of a row or an
upload (and where the upload lands on the map), the image map, a probe-table row and the export files.

Split from `dul_models.explore.embeddings` (the page's entry, which re-exports all of it) by role: these
take features already computed and answer one question each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from dul_models.core.errors import ConfigError
from dul_models.core.images import thumbnail_map
from dul_models.data import ImageDataset
from dul_models.features.encoders import (
    EXPORT_FORMATS,
    EncoderSpec,
    encode_images,
    export_bytes,
    export_file_names,
)
from dul_models.features.projections import Projector
from dul_models.metrics.probes import nearest_neighbours, neighbours_of_row, probe_report

IMAGE_MAP_POINTS = 5_000  # thumbnails pasted on the image map; more only hide each other (a sample above)


# ----------------------------------------------------------------------------------------- neighbours


@dataclass(frozen=True)
class Neighbours:
    """A query and its nearest images under one encoder, ready to draw."""

    images: torch.Tensor  # (1 + k, C, H, W): the query, then its neighbours, most similar first
    rows: np.ndarray  # (k,) the neighbours' rows among the chosen images
    similarity: np.ndarray  # (k,) their cosine similarity to the query
    query_vector: np.ndarray | None  # (1, D) an upload's features (to place it on a map); None for a row


def neighbours(
    spec: EncoderSpec,
    data: ImageDataset,
    images: torch.Tensor,
    bank: np.ndarray,
    k: int,
    *,
    row: int = 0,
    upload: torch.Tensor | None = None,
    device: str | torch.device = "cpu",
) -> Neighbours:
    """The k images of `images` (features `bank`, row for row) nearest by cosine to row `row` (itself left
    out) or, when given, to an uploaded (C, H, W) image encoded by `spec`. A small imported set has fewer
    images than the page asks for: all the others are shown then."""
    k = max(1, min(k, len(bank) - (1 if upload is None else 0)))
    if upload is None:
        rows, similarity = neighbours_of_row(bank, row, k)
        query, vector = images[row : row + 1], None
    else:
        query = upload[None].to(images.device)  # (1, C, H, W)
        vector = encode_images(spec, data, query.cpu(), device)  # (1, D)
        found, sims = nearest_neighbours(bank, vector, k)
        rows, similarity = found[0], sims[0]
    picked = images[torch.as_tensor(rows, device=images.device)]  # (k, C, H, W)
    return Neighbours(torch.cat([query, picked]), rows, similarity, vector)


def fit_projector(vectors: np.ndarray, method: str, params: tuple[tuple[str, float], ...]) -> Projector:
    """A 2-D projector fitted on the chosen images' features, to place a new image on their map (PCA and
    UMAP can; t-SNE cannot, and says so)."""
    if method == "tsne":
        raise ConfigError("t-SNE cannot place new points on a finished map; use PCA or UMAP")
    return Projector(method, 2, **dict(params)).fit(vectors)


def place_on_map(projector: Projector, vector: np.ndarray) -> np.ndarray:
    """(2,) where one feature vector (1, D) lands on the projector's map."""
    return projector.transform(vector)[0]


# ----------------------------------------------------------------------------------------- pictures, tables


def image_map(
    coords: np.ndarray, images: torch.Tensor, limit: int = IMAGE_MAP_POINTS
) -> tuple[np.ndarray, int]:
    """Each image pasted at its place on a 2-D map, (1600, 1600, 3) uint8, and how many are drawn: at most
    `limit`, a fixed-seed sample above it (70,000 28-px tiles on 1,600 px hide each other, paste slowly)."""
    rows = np.arange(len(coords))
    if len(rows) > limit:
        rows = np.sort(np.random.default_rng(0).choice(len(rows), limit, replace=False))
    picked = images[torch.as_tensor(rows, device=images.device)].cpu()
    return thumbnail_map(np.asarray(coords)[rows], picked), len(rows)


def probe_row(data: ImageDataset, train: np.ndarray, test: np.ndarray) -> dict:
    """kNN (k = 20) and linear-probe accuracy at 1, 10, 100 labels per class (5 draws) of one encoder's
    training and test features, scored on the test split."""
    return probe_report(train, data.train.y.numpy(), test, data.test.y.numpy())


# ----------------------------------------------------------------------------------------- export


def export_stem(dataset_name: str, kind: str, split: str) -> str:
    """The downloads' file stem: `mnist5k-run` for the test split, `mnist5k-train-run` otherwise."""
    return f"{dataset_name}-{kind}" if split == "test" else f"{dataset_name}-{split}-{kind}"


def export_files(stem: str) -> list[list[tuple[str, str]]]:
    """Per export format (EXPORT_FORMATS), its (format, file name) pairs: known before any byte is written,
    so the downloads can write theirs on click."""
    return [[(fmt, name) for name in export_file_names(fmt, stem)] for fmt in EXPORT_FORMATS]


def export_file(fmt: str, file_name: str, vectors: np.ndarray, labels: np.ndarray, stem: str) -> bytes:
    """One export file's bytes (`.npz`, `.csv`, `.tsv` or its `-metadata.tsv`), as `embed` writes them."""
    return export_bytes(fmt, vectors, labels, stem=stem)[file_name]
