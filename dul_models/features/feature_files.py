"""Features computed elsewhere, read back: an `.npz` or `.csv` of vectors aligned with a dataset's split.

The layout is the one `embed` writes (`.npz`: `features` (N, D), `labels`, `index` = row in the split;
`.csv`: index, label, then one column per dimension), so a file from another tool (or another machine)
stands beside the project's encoders. Everything that could make its numbers silently wrong — another
split, another dataset, shuffled rows, NaNs, a truncated file — is refused here with a message that names
the file and says what to do.
"""

from __future__ import annotations

import functools
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dul_models.core.errors import ConfigError

FILE_FORMATS = (".npz", ".csv")
REWRITE = (
    "write it again with `embed ENCODER --out FILE` or np.savez(FILE, features=..., labels=..., index=...)"
)


@dataclass(frozen=True, eq=False)
class FeatureFile:
    """A features file, checked and put in split order (its `index` applied); arrays are read-only."""

    name: str  # the file's name, for messages
    vectors: np.ndarray  # (N, D) float32
    labels: np.ndarray | None  # (N,) int64, when the file has them

    @property
    def rows(self) -> int:
        return self.vectors.shape[0]

    def aligned(self, y: torch.Tensor, what: str, remedy: str) -> np.ndarray:
        """The vectors, once the file is known to describe the images whose labels are `y` (`what`, in
        words): same count, and the same label wherever both have one."""
        if self.rows != len(y):
            raise ConfigError(
                f"{self.name} has {self.rows} rows but {what} has {len(y)} images: the file belongs to "
                f"another split or data set; {remedy}"
            )
        wrong = self.disagreements(y)
        if wrong.size:
            first = int(wrong[0])
            raise ConfigError(
                f"{self.name} disagrees with the labels of {what} in {wrong.size} of {self.rows} rows (row "
                f"{first}: {self.labels[first]} in the file, {int(y[first])} in the split): the file belongs "
                f"to another split or data set; {remedy}"
            )
        return self.vectors

    def disagreements(self, y: torch.Tensor) -> np.ndarray:
        """Rows (split order) whose file label differs from a known label of `y` (same length)."""
        if self.labels is None:
            return np.empty(0, dtype=np.int64)
        known = y.numpy()
        return np.flatnonzero((known >= 0) & (self.labels != known))


def is_feature_file(text: str) -> bool:
    return Path(text).suffix.lower() in FILE_FORMATS


def read_feature_file(path: str | Path) -> FeatureFile:
    """The checked file; read once while its size and modification time stay the same."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise ConfigError(f"no features file at {path}: give an .npz or .csv as `embed` writes it") from None
    return _read(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=2)  # up to N × D floats each (70,000 × 784: 220 MB); a probe reads one twice
def _read(path: str, mtime_ns: int, size: int) -> FeatureFile:
    name = Path(path).name
    if size == 0:
        raise ConfigError(f"{name} is empty (0 bytes): {REWRITE}")
    read = _read_npz if name.lower().endswith(".npz") else _read_csv
    vectors, labels, index = read(Path(path), name)
    if vectors.shape[0] == 0:
        raise ConfigError(f"{name} holds no rows of features: {REWRITE}")
    with np.errstate(over="ignore"):  # values beyond float32's range become inf, refused next
        vectors = vectors.astype(np.float32)
    bad = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
    if bad.size:
        raise ConfigError(
            f"{name} has NaN or infinite values in {bad.size} of {vectors.shape[0]} rows (first: data row "
            f"{bad[0]}): recompute those rows or replace the values, then load it again"
        )
    labels = None if labels is None else _integers(labels, "labels", name, vectors.shape[0])
    if index is not None:
        order = np.argsort(
            _permutation(_integers(index, "index", name, vectors.shape[0]), name), kind="stable"
        )
        vectors, labels = vectors[order], None if labels is None else labels[order]
    for array in (vectors, labels):
        if array is not None:
            array.flags.writeable = False
    return FeatureFile(name, vectors, labels)


def _read_npz(path: Path, name: str) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    broken = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error)
    try:
        archive = np.load(path, allow_pickle=False)
    except broken as exc:
        raise ConfigError(f"{name} is not a readable .npz ({_one_line(exc)}): {REWRITE}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ConfigError(f"{name} is a single .npy array, not an .npz archive: {REWRITE}")
    with archive:
        if "features" not in archive.files:
            raise ConfigError(f"{name} has no `features` array (it holds {archive.files}): {REWRITE}")
        try:
            arrays = {key: archive[key] for key in ("features", "labels", "index") if key in archive.files}
        except broken as exc:
            raise ConfigError(f"{name} is a damaged .npz ({_one_line(exc)}): {REWRITE}") from None
    vectors = arrays["features"]
    if vectors.ndim != 2 or not _is_real(vectors):
        raise ConfigError(
            f"{name}: `features` must be a 2-D array of numbers (N, D), got {vectors.dtype} {vectors.shape}"
        )
    return vectors, arrays.get("labels"), arrays.get("index")


def _read_csv(path: Path, name: str) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Columns named `index` and `label` are the rows' place and class; every other one is a dimension. The
    header is optional (a first line of numbers is data)."""
    try:
        lines = [line for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    except UnicodeDecodeError:
        raise ConfigError(f"{name} is not a text CSV (not UTF-8): {REWRITE}") from None
    if not lines:
        raise ConfigError(f"{name} holds no rows of features: {REWRITE}")
    first = [cell.strip() for cell in lines[0].split(",")]
    has_header = not all(_number(cell) for cell in first)
    header = first if has_header else [f"column {i + 1}" for i in range(len(first))]
    body = lines[1:] if has_header else lines
    if not body:
        raise ConfigError(f"{name} holds no rows of features (only a header): {REWRITE}")
    try:
        table = np.loadtxt(io.StringIO("\n".join(body)), delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError:
        raise ConfigError(_csv_problem(body, header, name, has_header)) from None
    if table.shape[1] != len(header):
        raise ConfigError(
            f"{name}: the header names {len(header)} columns but the rows have {table.shape[1]}"
        )
    named = {cell.lower(): i for i, cell in enumerate(header)}
    dims = [i for i, cell in enumerate(header) if cell.lower() not in ("index", "label")]
    if not dims:
        raise ConfigError(f"{name} has no feature columns (only {', '.join(header)})")
    index, label = named.get("index"), named.get("label")
    return (
        table[:, dims],
        None if label is None else table[:, label],
        None if index is None else table[:, index],
    )


def _csv_problem(body: list[str], header: list[str], name: str, has_header: bool) -> str:
    """Where a CSV stops being a table of numbers, in words (only asked once loading has failed)."""
    for row, line in enumerate(body):
        cells = line.split(",")
        line_no = row + 1 + has_header
        if len(cells) != len(header):
            return f"{name}: line {line_no} has {len(cells)} columns, the first line {len(header)}"
        for column, cell in zip(header, cells, strict=True):
            if not _number(cell.strip()):
                return (
                    f"{name}: column {column!r} is not numeric (line {line_no} has {cell.strip()!r}): every "
                    "column but the header must hold numbers; drop or encode text columns first"
                )
    return f"{name} is not a CSV of numbers: {REWRITE}"


def _integers(values: np.ndarray, what: str, name: str, rows: int) -> np.ndarray:
    if values.shape != (rows,) or not _is_real(values):
        raise ConfigError(f"{name}: `{what}` must hold one number per row ({rows}), got {values.shape}")
    as_int = values.astype(np.int64)
    if not np.array_equal(as_int, values):
        raise ConfigError(f"{name}: `{what}` must hold whole numbers")
    return as_int


def _permutation(index: np.ndarray, name: str) -> np.ndarray:
    """The index must name every row of the split exactly once: 0..N-1 in any order."""
    n = index.size
    if index.min() < 0 or index.max() >= n:
        raise ConfigError(
            f"{name}: `index` must hold rows 0..{n - 1} of the split, found {index.min()}..{index.max()}"
        )
    counts = np.bincount(index, minlength=n)
    if (counts != 1).any():
        twice, missing = np.flatnonzero(counts > 1)[0], np.flatnonzero(counts == 0)[0]
        raise ConfigError(
            f"{name}: `index` is not a permutation of 0..{n - 1} (row {twice} appears "
            f"{counts[twice]} times, row {missing} never): each row of the split must appear exactly once"
        )
    return index


def rows_of_images(images: torch.Tensor, x: torch.Tensor, name: str, what: str) -> np.ndarray:
    """The rows of `images` (a split) that hold each image of `x`, by content; a file's features cover
    only the images they were computed for, so any other image (an upload) is refused."""
    table = _row_table(images)
    x = x.cpu()
    wanted = x if x.dtype == images.dtype else (x * 255).round().clamp(0, 255).to(images.dtype)
    flat, source = wanted.reshape(wanted.shape[0], -1).numpy(), images.reshape(images.shape[0], -1).numpy()
    rows = np.array([table.get(hash(row.tobytes()), -1) for row in flat], dtype=np.int64)
    found = rows >= 0
    found[found] = (source[rows[found]] == flat[found]).all(axis=1)  # a hash is a clue, not proof
    if x.dtype != images.dtype:  # float images: only exact copies of the split's own
        found &= (wanted.float() / 255 == x.float()).reshape(x.shape[0], -1).all(dim=1).numpy()
    if not found.all():
        raise ConfigError(
            f"{(~found).sum()} of {len(found)} images are not among {what}, whose features {name} holds: "
            "features from a file cover only those images (not uploads or other splits); write "
            "features of every image with `embed ENCODER --split all`, or pick an encoder that computes them"
        )
    return rows


@functools.lru_cache(maxsize=2)
def _row_table(images: torch.Tensor) -> dict[int, int]:
    """Hash of an image's bytes → its first row (tensors hash by identity; a split's images never change)."""
    flat = images.reshape(images.shape[0], -1).numpy()
    table: dict[int, int] = {}
    for row, image in enumerate(flat):
        table.setdefault(hash(image.tobytes()), row)
    return table


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_real(values: np.ndarray) -> bool:
    return np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
