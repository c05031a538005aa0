"""torchvision datasets: files on disk need no network; a failed download is one clear error, fast.

Downloads are exercised against a local HTTP server holding tiny fake archives (with their MD5 sums
patched into torchvision's class attributes), so these tests never touch the internet.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import pickle
import socket
import struct
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.datasets

from dul_models.core.errors import DatasetUnavailableError
from dul_models.data import downloadable, get_dataset, omniglot
from dul_models.data.registry import embedded_names

CLOSED_PORT_URL = "http://127.0.0.1:9/"  # the discard port: nothing listens, the connection is refused


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on localhost: (folder, base URL ending in '/')."""
    folder = tmp_path / "served"
    folder.mkdir()
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder))
    )
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    monkeypatch.setenv("DUL_DATA_DIR", str(root))
    monkeypatch.setattr(downloadable, "DOWNLOAD_TIMEOUT_S", 5.0)
    return root


def _publish_kmnist(
    folder: Path, base_url: str, monkeypatch: pytest.MonkeyPatch, *, wrong_md5: bool = False
) -> dict[str, np.ndarray]:
    """Serve a 6 + 4 image KMNIST in torchvision's idx.gz layout and point torchvision at it."""
    rng = np.random.default_rng(0)
    arrays = {
        "train_x": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "train_y": np.array([0, 1, 2, 3, 4, 9], dtype=np.uint8),
        "test_x": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        "test_y": np.array([5, 6, 7, 8], dtype=np.uint8),
    }
    files = {
        "train-images-idx3-ubyte.gz": struct.pack(">IIII", 0x0803, 6, 28, 28) + arrays["train_x"].tobytes(),
        "train-labels-idx1-ubyte.gz": struct.pack(">II", 0x0801, 6) + arrays["train_y"].tobytes(),
        "t10k-images-idx3-ubyte.gz": struct.pack(">IIII", 0x0803, 4, 28, 28) + arrays["test_x"].tobytes(),
        "t10k-labels-idx1-ubyte.gz": struct.pack(">II", 0x0801, 4) + arrays["test_y"].tobytes(),
    }
    resources = []
    for filename, raw in files.items():
        packed = gzip.compress(raw)
        (folder / filename).write_bytes(packed)
        md5 = "0" * 32 if wrong_md5 else hashlib.md5(packed).hexdigest()
        resources.append((filename, md5))
    monkeypatch.setattr(torchvision.datasets.KMNIST, "mirrors", [base_url])
    monkeypatch.setattr(torchvision.datasets.KMNIST, "resources", resources)
    return arrays


def test_download_then_load_from_disk(
    server: tuple[Path, str], data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, base_url = server
    arrays = _publish_kmnist(folder, base_url, monkeypatch)
    dataset = get_dataset("kmnist")
    assert dataset.image_shape == (1, 28, 28) and not dataset.embedded and dataset.has_labels
    assert dataset.train.x.dtype == torch.uint8 and dataset.train.x.is_contiguous()
    assert np.array_equal(dataset.train.x[:, 0].numpy(), arrays["train_x"])
    assert np.array_equal(dataset.test.x[:, 0].numpy(), arrays["test_x"])
    assert dataset.train.y.dtype == torch.int64 and dataset.train.y.tolist() == [0, 1, 2, 3, 4, 9]
    assert dataset.class_names == ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")
    assert "Kuzushiji" in dataset.source and "CC BY-SA 4.0" in dataset.licence
    raw = data_root / "torchvision" / "KMNIST" / "raw"
    assert (raw / "train-images-idx3-ubyte").is_file()
    assert not [p.name for p in raw.iterdir() if p.name.endswith((".part", ".tmp"))]

    # the files are on disk now: a load in a fresh process needs no network at all
    monkeypatch.setattr(torchvision.datasets.KMNIST, "mirrors", [CLOSED_PORT_URL])
    again = downloadable.load_torchvision(data_root.resolve(), "kmnist")
    assert torch.equal(again.train.x, dataset.train.x) and torch.equal(again.test.y, dataset.test.y)


def test_wrong_checksum_keeps_nothing(
    server: tuple[Path, str], data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, base_url = server
    _publish_kmnist(folder, base_url, monkeypatch, wrong_md5=True)
    with pytest.raises(DatasetUnavailableError) as caught:
        get_dataset("kmnist")
    message = str(caught.value)
    assert message.startswith("could not download 'kmnist': ") and "MD5 mismatch" in message
    assert "no internet" not in message  # the server answered; the file was wrong
    assert list((data_root / "torchvision" / "KMNIST" / "raw").iterdir()) == []


def test_http_error_is_reported(
    server: tuple[Path, str], data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, base_url = server  # serves an empty folder: every file is a 404
    monkeypatch.setattr(torchvision.datasets.KMNIST, "mirrors", [base_url])
    with pytest.raises(DatasetUnavailableError, match=r"could not download 'kmnist': HTTP 404"):
        get_dataset("kmnist")


def test_a_silent_server_times_out_quickly(data_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as silent:  # accepts connections (kernel backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setattr(
            torchvision.datasets.KMNIST, "mirrors", [f"http://127.0.0.1:{silent.getsockname()[1]}/"]
        )
        monkeypatch.setattr(downloadable, "DOWNLOAD_TIMEOUT_S", 0.5)
        started = time.perf_counter()
        with pytest.raises(
            DatasetUnavailableError, match=r"\(no internet connection\?\): no answer within 0.5 s"
        ):
            get_dataset("kmnist")
        assert time.perf_counter() - started < 5


def test_every_mirror_is_tried(
    server: tuple[Path, str], data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, base_url = server
    arrays = _publish_kmnist(folder, base_url, monkeypatch)
    monkeypatch.setattr(torchvision.datasets.KMNIST, "mirrors", [CLOSED_PORT_URL, base_url])
    assert get_dataset("kmnist").test.y.tolist() == arrays["test_y"].tolist()


def test_damaged_files_on_disk_are_a_clear_error(data_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = data_root / "torchvision" / "KMNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        (raw / stem).write_bytes(b"\x00\x00\x08\x03 not an idx file")
    monkeypatch.setattr(torchvision.datasets.KMNIST, "mirrors", [CLOSED_PORT_URL])
    with pytest.raises(
        DatasetUnavailableError, match=r"could not read the 'kmnist' files under .*Delete that folder"
    ):
        get_dataset("kmnist")


def _publish_cifar(folder: Path, base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve a 3 + 2 image CIFAR-10 tarball in torchvision's layout; image 0 is pure (200, 100, 0)."""
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (3, 3, 32, 32), dtype=np.uint8)
    train[0, 0], train[0, 1], train[0, 2] = 200, 100, 0
    test = rng.integers(0, 256, (2, 3, 32, 32), dtype=np.uint8)
    members = {
        "data_batch_1": {"data": train.reshape(3, -1), "labels": [3, 1, 4]},
        "test_batch": {"data": test.reshape(2, -1), "labels": [5, 9]},
        "batches.meta": {"label_names": [f"class{i}" for i in range(10)]},
    }
    blobs = {name: pickle.dumps(content) for name, content in members.items()}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, blob in blobs.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    (folder / "cifar.tar.gz").write_bytes(buffer.getvalue())
    md5 = {name: hashlib.md5(blob).hexdigest() for name, blob in blobs.items()}
    cifar = torchvision.datasets.CIFAR10
    monkeypatch.setattr(cifar, "url", f"{base_url}cifar.tar.gz")
    monkeypatch.setattr(cifar, "tgz_md5", hashlib.md5(buffer.getvalue()).hexdigest())
    monkeypatch.setattr(cifar, "train_list", [["data_batch_1", md5["data_batch_1"]]])
    monkeypatch.setattr(cifar, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(cifar, "meta", {**cifar.meta, "md5": md5["batches.meta"]})


def test_cifar10_is_channels_first(
    server: tuple[Path, str], data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, base_url = server
    _publish_cifar(folder, base_url, monkeypatch)
    dataset = get_dataset("cifar10")
    assert dataset.image_shape == (3, 32, 32)
    assert (len(dataset.train), len(dataset.test)) == (3, 2)
    assert dataset.train.x.dtype == torch.uint8 and dataset.train.x.is_contiguous()
    assert [int(dataset.train.x[0, c].unique().item()) for c in range(3)] == [200, 100, 0]
    assert dataset.train.y.tolist() == [3, 1, 4] and dataset.test.y.tolist() == [5, 9]
    assert dataset.class_names == tuple(f"class{i}" for i in range(10))
    assert dataset.title == "CIFAR-10" and not dataset.embedded


def test_blocked_network_is_one_clear_error(data_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real loaders and URLs, with every connection refused: what a user sees offline."""

    def unreachable(*args: object, **kwargs: object) -> socket.socket:
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    for name in ("mnist", "cifar10"):
        with pytest.raises(DatasetUnavailableError) as caught:
            get_dataset(name)
        message = str(caught.value)
        assert message.startswith(f"could not download {name!r} (no internet connection?): ")
        assert "Network is unreachable" in message
        assert embedded_names()[:3] == ("mnist5k", "digits", "shapes")
        assert f"Embedded datasets that need no download: {', '.join(embedded_names())}." in message
        assert f"place the torchvision files under {data_root.resolve() / 'torchvision'}" in message
        assert "Traceback" not in message and "\n" not in message


def test_real_offline_download_fails_fast(data_root: Path) -> None:
    """No patches at all: on this offline machine the real KMNIST download must fail fast and clearly."""
    try:
        socket.getaddrinfo("codh.rois.ac.jp", 80)
    except OSError:
        pass  # offline, as expected here
    else:
        pytest.skip("this machine is online; the real download would fetch 20 MB")
    started = time.perf_counter()
    with pytest.raises(
        DatasetUnavailableError, match=r"could not download 'kmnist' .*mnist5k, digits, shapes"
    ):
        get_dataset("kmnist")
    assert time.perf_counter() - started < 15


def test_to_split_layouts() -> None:
    class Fake:
        data = np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3)  # (N, H, W, C)
        targets = [1, 0]

    split = downloadable._to_split(Fake())
    assert split.x.shape == (2, 3, 4, 4) and split.x.is_contiguous()
    assert torch.equal(split.x[1, 2], torch.from_numpy(Fake.data[1, :, :, 2]))
    Fake.data = torch.zeros((2, 4, 4), dtype=torch.uint8)  # MNIST keeps (N, H, W) tensors
    assert downloadable._to_split(Fake()).x.shape == (2, 1, 4, 4)


def _publish_omniglot(folder: Path, base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve a tiny Omniglot (3 background + 2 evaluation characters, 20 drawings each) in torchvision's zips."""
    import zipfile

    from PIL import Image

    md5 = {}
    for part, characters in (("images_background", 3), ("images_evaluation", 2)):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for c in range(characters):
                for drawer in range(20):
                    ink = np.full((105, 105), 255, dtype=np.uint8)
                    ink[10 + 20 * c : 30 + 20 * c, 20 + drawer : 40 + drawer] = 0  # black strokes on white
                    png = io.BytesIO()
                    Image.fromarray(ink, mode="L").save(png, format="PNG")
                    archive.writestr(
                        f"{part}/Script_{part[7]}/character{c + 1:02d}/{drawer:02d}.png", png.getvalue()
                    )
        (folder / f"{part}.zip").write_bytes(buffer.getvalue())
        md5[part] = hashlib.md5(buffer.getvalue()).hexdigest()
    monkeypatch.setattr(torchvision.datasets.Omniglot, "download_url_prefix", base_url.rstrip("/"))
    monkeypatch.setattr(torchvision.datasets.Omniglot, "zips_md5", md5)


def test_omniglot_downloads_resizes_inverts_and_keeps_background_first(
    server: tuple[Path, str], data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, base_url = server
    _publish_omniglot(folder, base_url, monkeypatch)
    dataset = get_dataset("omniglot")
    assert dataset.image_shape == (1, 28, 28) and dataset.num_classes == 5 and not dataset.embedded
    assert len(dataset.train) == 5 * 15 and len(dataset.test) == 5 * 5
    assert dataset.class_names[0].startswith("Script_b") and dataset.class_names[3].startswith("Script_e")
    x = dataset.train.x.float()
    assert x.mean() < 128  # inverted: a white pen on black, like every other set here
    # on disk now (unpacked and cached): a load in a fresh process needs no network at all
    monkeypatch.setattr(torchvision.datasets.Omniglot, "download_url_prefix", CLOSED_PORT_URL.rstrip("/"))
    again = omniglot.load_omniglot(data_root.resolve())
    assert torch.equal(again.train.x, dataset.train.x) and again.class_names == dataset.class_names


def test_omniglot_offline_names_glyphs(data_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torchvision.datasets.Omniglot, "download_url_prefix", CLOSED_PORT_URL.rstrip("/"))
    with pytest.raises(DatasetUnavailableError) as caught:
        get_dataset("omniglot")
    message = str(caught.value)
    assert message.startswith("could not download 'omniglot'") and "glyphs" in message
