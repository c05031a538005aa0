"""Larger datasets fetched once through torchvision and then held in memory like the embedded ones.

Files already under `data_dir()/torchvision` are used without touching the network. Otherwise the
archives are fetched here, with a socket timeout (torchvision's own download has none and can hang for
minutes behind a firewall), checked against torchvision's MD5 sums, unpacked, and read by torchvision.
Any failure becomes one `DatasetUnavailableError` that names the embedded datasets instead.
"""

from __future__ import annotations

import http.client
import os
import pickle
import shutil
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dul_models.core.errors import DatasetUnavailableError
from dul_models.core.files import temporary_sibling
from dul_models.data.registry import ImageDataset, Split, embedded_names

DOWNLOAD_TIMEOUT_S = 20.0  # per connection attempt and per read; offline fails at once or after this
_USER_AGENT = "dul-explorer (torchvision datasets)"
# What a failed fetch or a damaged file can raise: network, disk, checksum, gzip/tar and pickle errors.
_FAILURES = (OSError, RuntimeError, ValueError, EOFError, http.client.HTTPException, tarfile.TarError)
# What torchvision's readers raise on files that exist but are damaged (its parsers use assert).
_READ_FAILURES = (*_FAILURES, AssertionError, KeyError, IndexError, pickle.UnpicklingError)


@dataclass(frozen=True)
class _Source:
    class_name: str  # torchvision.datasets class
    title: str
    source: str
    licence: str
    class_names: tuple[str, ...] | None = None  # None: torchvision's `classes`


SOURCES: dict[str, _Source] = {
    "mnist": _Source(
        "MNIST",
        "MNIST",
        "MNIST handwritten digits (LeCun, Cortes & Burges), downloaded through torchvision.",
        "CC BY-SA 3.0 (Yann LeCun, Corinna Cortes, Christopher J.C. Burges).",
        tuple(str(digit) for digit in range(10)),  # torchvision says "0 - zero"; the digit is enough
    ),
    "fashion_mnist": _Source(
        "FashionMNIST",
        "Fashion-MNIST",
        "Fashion-MNIST product images (Xiao, Rasul & Vollgraf 2017, Zalando Research), through torchvision.",
        "MIT licence (Zalando SE).",
    ),
    "kmnist": _Source(
        "KMNIST",
        "KMNIST",
        "Kuzushiji-MNIST cursive Japanese (Clanuwat et al. 2018, ROIS-DS CODH), through torchvision.",
        "CC BY-SA 4.0 ('KMNIST Dataset' by ROIS-DS Center for Open Data in the Humanities).",
    ),
    "cifar10": _Source(
        "CIFAR10",
        "CIFAR-10",
        "CIFAR-10 tiny photos (Krizhevsky 2009, University of Toronto), downloaded through torchvision.",
        "No formal licence; published for research use, cite Krizhevsky (2009).",
    ),
}


def _short_cause(exc: BaseException) -> str:
    """One line that says what went wrong, without a traceback."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        if not isinstance(exc.reason, BaseException):
            return str(exc.reason)
        exc = exc.reason  # the socket error underneath says more than "<urlopen error ...>"
    if isinstance(exc, TimeoutError):
        return f"no answer within {DOWNLOAD_TIMEOUT_S:g} s"
    text = (str(exc).strip().splitlines() or [""])[0] or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _network_hint(exc: BaseException) -> str:
    """Suggest a missing connection only when no server answered, not for a bad reply or a bad file."""
    unreachable = isinstance(exc, urllib.error.URLError | TimeoutError | ConnectionError)
    return " (no internet connection?)" if unreachable and not isinstance(exc, urllib.error.HTTPError) else ""


def _fetch(url: str, destination: Path, md5: str | None) -> None:
    """Download `url` to `destination` with a timeout; only a complete file with the right MD5 lands there."""
    from torchvision.datasets.utils import check_integrity

    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with temporary_sibling(destination) as partial:
        with (
            open(partial, "xb") as out,
            urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response,
        ):
            shutil.copyfileobj(response, out, 1 << 20)
        if not check_integrity(str(partial), md5):
            raise RuntimeError(f"{url} arrived damaged (MD5 mismatch)")
        os.replace(partial, destination)


def _download(dataset_class: type, folder: Path) -> None:
    """Fetch and unpack what `dataset_class(folder, download=False)` expects to find."""
    from torchvision.datasets.utils import check_integrity, extract_archive

    if hasattr(dataset_class, "mirrors"):  # MNIST family: one .gz per file, several mirrors
        raw = folder / dataset_class.__name__ / "raw"  # torchvision's `raw_folder`
        raw.mkdir(parents=True, exist_ok=True)
        for filename, md5 in dataset_class.resources:
            if (raw / Path(filename).stem).exists():
                continue
            archive = raw / filename
            if not check_integrity(str(archive), md5):
                errors = []
                for mirror in dataset_class.mirrors:
                    try:
                        _fetch(f"{mirror}{filename}", archive, md5)
                        break
                    except _FAILURES as exc:
                        errors.append(exc)
                else:
                    raise errors[-1]
            extract_archive(str(archive), str(raw))
    else:  # CIFAR: one tarball
        folder.mkdir(parents=True, exist_ok=True)
        archive = folder / dataset_class.filename
        if not check_integrity(str(archive), dataset_class.tgz_md5):
            _fetch(dataset_class.url, archive, dataset_class.tgz_md5)
        extract_archive(str(archive), str(folder))


def _to_split(dataset: Any) -> Split:
    """torchvision's in-memory arrays -> a Split: MNIST keeps (N, H, W) tensors, CIFAR (N, H, W, C) numpy."""
    data = dataset.data
    images = torch.from_numpy(np.asarray(data)) if not isinstance(data, torch.Tensor) else data
    images = images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2)  # (N, C, H, W)
    labels = torch.as_tensor(np.asarray(dataset.targets), dtype=torch.int64)
    return Split(x=images.to(torch.uint8).contiguous(), y=labels.contiguous())


def load_torchvision(root: Path, name: str) -> ImageDataset:
    """Load one of `SOURCES` into memory (official train/test splits), downloading it first if needed."""
    import torchvision.datasets

    info = SOURCES[name]
    dataset_class = getattr(torchvision.datasets, info.class_name)
    folder = Path(root) / "torchvision"
    offline_hint = (
        f"Embedded datasets that need no download: {', '.join(embedded_names())}. "
        f"To use {name} offline, place the torchvision files under {folder}."
    )
    try:
        splits = [dataset_class(str(folder), train=train, download=False) for train in (True, False)]
    except _READ_FAILURES:  # not there yet (or damaged): fetch what is missing
        try:
            _download(dataset_class, folder)
        except _FAILURES as exc:
            raise DatasetUnavailableError(
                f"could not download {name!r}{_network_hint(exc)}: {_short_cause(exc)}. {offline_hint}"
            ) from exc
        try:
            splits = [dataset_class(str(folder), train=train, download=False) for train in (True, False)]
        except _READ_FAILURES as exc:
            raise DatasetUnavailableError(
                f"could not read the {name!r} files under {folder}: {_short_cause(exc)}. "
                f"Delete that folder to download them again. {offline_hint}"
            ) from exc
    train, test = (_to_split(split) for split in splits)
    return ImageDataset(
        name=name,
        train=train,
        test=test,
        class_names=info.class_names or tuple(splits[0].classes),
        title=info.title,
        source=info.source,
        licence=info.licence,
        has_labels=True,
        embedded=False,
    )
