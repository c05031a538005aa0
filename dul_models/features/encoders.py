"""Encoders: the one question the representation pages ask of a model — what vector does it give an image?

An `EncoderSpec` names an encoder (raw pixels, PCA-50 of pixels, a randomly initialised conv net, a
trained run whose family has `embed`, or a file of features computed elsewhere, aligned with a split); it
is hashable, so it is the cache key every page shares.
`features(spec, dataset, split, device)` is the one entry point the pages and the CLI use. The three
baselines come free and stand beside every trained encoder in every results table.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dul_models.core.devices import eval_mode, pick_device
from dul_models.core.errors import ConfigError, DULError
from dul_models.core.files import atomic_write_bytes
from dul_models.data import ImageDataset, to_float
from dul_models.data.large_splits import is_large, row_parts, rows_that_fit
from dul_models.data.registry import SPLIT_NAMES, Split
from dul_models.features.feature_files import (
    FILE_FORMATS,
    FeatureFile,
    is_feature_file,
    read_feature_file,
    rows_of_images,
)
from dul_models.models import DULModel, get_family
from dul_models.models.backbone import Backbone
from dul_models.runs.checkpoints import list_runs, load_run, read_run_info

KINDS = ("pixels", "pca", "random", "run", "file")
PATH_KINDS = ("run", "file")  # the kinds whose `run` names a path: a run folder, a features file
PCA_COMPONENTS = 50  # the usual pixel baseline: keeps ~80 % of MNIST's variance in a 16× smaller vector
RANDOM_SEED, RANDOM_WIDTH = 0, 16  # the untrained backbone, at the families' default size
CHUNK = 500  # images per forward pass: bounded memory on any device
EXPORT_FORMATS = (".npz", ".csv", ".tsv")
# The images a map can show: the test split (small, the default), the training split, or every image ("all":
# the training split, then the test split, so that a 60,000 + 10,000 dataset gives one 70,000-point map).
IMAGE_SPLITS = ("test", "train", "all")


@dataclass(frozen=True)
class EncoderSpec:
    """Names an encoder; `run` is the run folder (kind "run") or the features file (kind "file"), as a string."""

    kind: str
    run: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"unknown encoder kind {self.kind!r}; choose from: {', '.join(KINDS)}")
        if (self.kind in PATH_KINDS) != (self.run is not None):
            raise ConfigError(
                "an encoder of kind 'run' needs a run folder, one of kind 'file' a features file, and only "
                "those kinds take a path"
            )

    @property
    def label(self) -> str:
        if self.kind == "pixels":
            return "raw pixels"
        if self.kind == "pca":
            return f"PCA-{PCA_COMPONENTS} of pixels"
        if self.kind == "random":
            return f"random backbone (seed {RANDOM_SEED})"
        if self.kind == "file":
            return f"features from {Path(self.run).name}"
        try:
            return read_run_info(Path(self.run)).label
        except DULError:  # an unreadable run still needs a name in a picker; loading it will say why
            return Path(self.run).name


def parse_encoder(text: str) -> EncoderSpec:
    """`pixels`, `pca`, `random`, a run folder or a features file (.npz / .csv), as typed on the command line."""
    if text in ("pixels", "pca", "random"):
        return EncoderSpec(text)
    if Path(text).is_dir():
        return EncoderSpec("run", str(Path(text).resolve()))
    if is_feature_file(text):
        read_feature_file(text)  # a missing or broken file fails here, before any dataset loads
        return EncoderSpec("file", str(Path(text).resolve()))
    raise ConfigError(
        f"unknown encoder {text!r}: give pixels, pca, random or a run folder, or a features file ending in "
        f"{' or '.join(FILE_FORMATS)}"
    )


def embeds(family: str) -> bool:
    return "embed" in get_family(family).capabilities


def list_encoders(dataset_name: str) -> list[EncoderSpec]:
    """The three baselines, then every bundled and user run on this dataset whose family embeds."""
    runs = [
        EncoderSpec("run", str(info.path)) for info in list_runs(dataset=dataset_name) if embeds(info.family)
    ]
    return [EncoderSpec("pixels"), EncoderSpec("pca"), EncoderSpec("random"), *runs]


@functools.lru_cache(maxsize=8)
def pixel_pca(dataset: ImageDataset):
    """PCA-50 fitted once per dataset on its training pixels (datasets are cached objects, hashed by identity),
    so the train and test features, and every upload, share one fit. A split too large to convert whole is
    fitted on its first `rows_that_fit` rows (an imported set is stored shuffled, so they are a sample)."""
    from sklearn.decomposition import PCA

    train = _pixels(dataset.train.x[: rows_that_fit(dataset.train.x)])
    return PCA(n_components=min(PCA_COMPONENTS, *train.shape), random_state=0).fit(train)


def random_encoder(image_shape: tuple[int, int, int]) -> Backbone:
    """The self-supervised families' backbone with fixed-seed random weights (their default width): the
    baseline every self-supervised run must beat, since it shows what the architecture alone gives."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_SEED)
        return Backbone(image_shape[0], RANDOM_WIDTH).eval()


@torch.no_grad()
def embed_in_chunks(embed, x: torch.Tensor, device: torch.device, chunk: int = CHUNK) -> np.ndarray:
    """`embed` over images x (uint8 or float, any device) in chunks, as a float32 (N, D) CPU array."""
    chunks = [embed(to_float(x[s : s + chunk]).to(device)).float().cpu() for s in range(0, x.shape[0], chunk)]
    return torch.cat(chunks).numpy().astype(np.float32, copy=False)


def extract_features(model: DULModel, x: torch.Tensor, batch_size: int = CHUNK) -> np.ndarray:
    """`model.embed` of a model already in memory (a live-trained one), in eval mode, then its mode restored."""
    if not hasattr(model, "embed"):
        raise ConfigError(f"family {model.family!r} has no embedding (no `embed` method)")
    with eval_mode(model):
        return embed_in_chunks(model.embed, x, model.device, batch_size)


@functools.lru_cache(maxsize=2)
def _all_images(dataset: ImageDataset) -> Split:
    train, test = dataset.train, dataset.test
    factors = None if train.factors is None else torch.cat([train.factors, test.factors])
    return Split(torch.cat([train.x, test.x]), torch.cat([train.y, test.y]), factors)


def image_split(dataset: ImageDataset, split: str) -> Split:
    """The images a map shows: "train", "test", or "all" (train then test; row len(train) + i is test row i).

    "all" is built once per dataset (datasets are cached objects, hashed by identity) and shared: read-only.
    """
    if split == "all":
        return _all_images(dataset)
    if split not in SPLIT_NAMES:
        raise ConfigError(f"unknown split {split!r}; choose from: {', '.join(IMAGE_SPLITS)}")
    return getattr(dataset, split)


def _pixels(x: torch.Tensor) -> np.ndarray:
    return to_float(x).flatten(1).numpy().astype(np.float32, copy=False)


def features(
    spec: EncoderSpec, dataset: ImageDataset, split: str, device: str | torch.device = "cpu"
) -> np.ndarray:
    """(N, D) float32 features of one split of a dataset under an encoder (rows in the split's order);
    `split` may also be "all" (the training rows, then the test rows), for a map of every image."""
    if spec.kind == "file":
        return file_features(read_feature_file(spec.run), dataset, split)
    if split == "all" and (is_large(dataset.train.x) or is_large(dataset.test.x)):
        # each split apart: concatenating the images would copy a memory-mapped set whole into memory
        parts = (dataset.train.x, dataset.test.x)
        return np.concatenate([encode_images(spec, dataset, x, device) for x in parts])
    return encode_images(spec, dataset, image_split(dataset, split).x, device)


def split_labels(dataset: ImageDataset, split: str) -> np.ndarray:
    """The labels of `image_split(dataset, split)`, without concatenating the images for "all"."""
    if split == "all":
        return torch.cat([dataset.train.y, dataset.test.y]).numpy()
    return image_split(dataset, split).y.numpy()


def file_features(table: FeatureFile, dataset: ImageDataset, split: str) -> np.ndarray:
    """A file's vectors of one split, checked against it; a file of every image ("all") serves each split."""
    part = image_split(dataset, split)
    remedy = (
        f"use it with the split it was written for, or write it again with `embed ENCODER --dataset "
        f"{dataset.name} --split {split}` (a file of every image, --split all, serves each split)"
    )
    every = len(dataset.train) + len(dataset.test)
    if split != "all" and table.rows == every != len(part):
        vectors = table.aligned(image_split(dataset, "all").y, f"every image of {dataset.name}", remedy)
        start = 0 if split == "train" else len(dataset.train)
        return vectors[start : start + len(part)].copy()
    what = f"every image of {dataset.name}" if split == "all" else f"the {split} split of {dataset.name}"
    return table.aligned(part.y, what, remedy).copy()


def _file_split(table: FeatureFile, dataset: ImageDataset) -> str:
    """The split a file describes, known by its row count and labels (the test split first, as `embed`)."""
    for split in IMAGE_SPLITS:
        part = image_split(dataset, split)
        if len(part) == table.rows and not table.disagreements(part.y).size:
            return split
    sizes = ", ".join(f"{s} {len(image_split(dataset, s))}" for s in IMAGE_SPLITS)
    raise ConfigError(
        f"{table.name} ({table.rows} rows) matches no split of {dataset.name} ({sizes} images, labels "
        f"agreeing): write it again with `embed ENCODER --dataset {dataset.name} --split all`"
    )


def encode_images(
    spec: EncoderSpec, dataset: ImageDataset, x: torch.Tensor, device: str | torch.device = "cpu"
) -> np.ndarray:
    """(N, D) float32 features of any images shaped like the dataset's (an upload, a selection).

    PCA is fitted on the dataset's training split, as a probe would be; a run must have been trained on
    this dataset (its features of other images would mean little).
    """
    if tuple(x.shape[1:]) != tuple(dataset.image_shape):
        raise ConfigError(f"images must be shaped {dataset.image_shape}, got {tuple(x.shape[1:])}")
    if spec.kind == "pixels":
        return _pixels(x)
    if spec.kind == "pca":  # a large split in pieces, each converted to float on its own
        parts = [pixel_pca(dataset).transform(_pixels(part)) for part in row_parts(x)]
        return np.concatenate(parts).astype(np.float32)
    if spec.kind == "file":  # no model to run: the file's rows of these very images
        table = read_feature_file(spec.run)
        split = _file_split(table, dataset)
        what = "the images of both splits" if split == "all" else f"the {split} images"
        rows = rows_of_images(image_split(dataset, split).x, x, table.name, f"{what} of {dataset.name}")
        return table.vectors[rows]
    target = pick_device(device) if isinstance(device, str) else device
    if spec.kind == "random":
        net = random_encoder(dataset.image_shape).to(target)
        return embed_in_chunks(net, x, target)
    info = read_run_info(Path(spec.run))
    if not embeds(info.family):
        raise ConfigError(f"run {info.name} is a {info.family}, which has no embedding (no `embed` method)")
    if info.dataset != dataset.name:
        raise ConfigError(
            f"run {info.name} was trained on {info.dataset}, not {dataset.name}: its features of other images "
            "would mean little; pick a run trained on this dataset"
        )
    model = load_run(info.path, device=target).model
    return embed_in_chunks(model.embed, x, target)


def export_file_names(fmt: str, stem: str = "features") -> list[str]:
    """The files `export_bytes(fmt, ..., stem)` writes, known before any is written (for deferred downloads)."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; choose from: {', '.join(EXPORT_FORMATS)}")
    return [f"{stem}{fmt}", *([f"{stem}-metadata.tsv"] if fmt == ".tsv" else [])]


def export_bytes(
    fmt: str, vectors: np.ndarray, labels: np.ndarray, stem: str = "features"
) -> dict[str, bytes]:
    """File name → bytes for one export format: `.npz` (features, labels, index), `.csv` (index, label,
    then one column per dimension) or `.tsv` (vectors + a `-metadata.tsv` with a header, the pair
    TensorBoard's Embedding Projector loads). Shared by the CLI's `embed` and the pages' downloads."""
    vectors = np.asarray(vectors, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.int64)
    if vectors.ndim != 2 or labels.shape != (vectors.shape[0],):
        raise ConfigError(f"need vectors (N, D) and labels (N,), got {vectors.shape} and {labels.shape}")
    index = np.arange(vectors.shape[0], dtype=np.int64)
    if fmt == ".npz":
        buffer = io.BytesIO()
        np.savez_compressed(buffer, features=vectors, labels=labels, index=index)
        return {f"{stem}.npz": buffer.getvalue()}
    if fmt == ".csv":
        header = ",".join(["index", "label", *(f"f{d}" for d in range(vectors.shape[1]))])
        rows = [
            f"{i},{label}," + ",".join(f"{v:.6g}" for v in row)
            for i, label, row in zip(index, labels, vectors, strict=True)
        ]
        return {f"{stem}.csv": "\n".join([header, *rows, ""]).encode()}
    if fmt == ".tsv":
        vector_lines = ["\t".join(f"{v:.6g}" for v in row) for row in vectors]
        metadata = ["index\tlabel", *(f"{i}\t{label}" for i, label in zip(index, labels, strict=True))]
        return {
            f"{stem}.tsv": "\n".join([*vector_lines, ""]).encode(),
            f"{stem}-metadata.tsv": "\n".join([*metadata, ""]).encode(),
        }
    raise ConfigError(f"unknown export format {fmt!r}; choose from: {', '.join(EXPORT_FORMATS)}")


def write_features(path: Path, vectors: np.ndarray, labels: np.ndarray) -> list[Path]:
    """Write the export whose format the file's ending names (a `.tsv` also writes its metadata file)."""
    path = Path(path)
    written = []
    for name, data in export_bytes(path.suffix.lower(), vectors, labels, stem=path.stem).items():
        atomic_write_bytes(path.with_name(name), data)
        written.append(path.with_name(name))
    return written
