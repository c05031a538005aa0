"""Features computed elsewhere on the embedding explorer: an uploaded `.npz` / `.csv` (as `embed` writes it)
becomes an encoder of the session and the first map's; a file that does not describe the chosen images is
one error with the library's reason, and is not offered."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest

from dul_models import ConfigError
from dul_models.data import get_dataset
from dul_models.explore.embeddings_files import add_features_file
from dul_models.features.encoders import EncoderSpec, export_bytes
from tests.app.conftest import no_exceptions

PAGE = "app_pages/embeddings/page.py"
UPLOADER = "emb-features-file"


@pytest.fixture(autouse=True)
def temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sessions' upload folders go to this test's temporary folder (and are removed with it)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def _vectors(rows: int, dims: int = 6) -> np.ndarray:
    """Features a tool elsewhere might have written: a class-dependent offset plus noise, per test image."""
    labels = get_dataset("mnist5k").test.y.numpy()[:rows]
    rng = np.random.default_rng(0)
    return (labels[:, None] * 3.0 + rng.normal(size=(rows, dims))).astype(np.float32)


def _file(fmt: str, vectors: np.ndarray, labels: np.ndarray | None = None) -> bytes:
    labels = get_dataset("mnist5k").test.y.numpy()[: len(vectors)] if labels is None else labels
    (content,) = export_bytes(fmt, vectors, labels, stem="elsewhere").values()
    return content


def _upload(page, name: str, content: bytes):
    mime = "text/csv" if name.endswith(".csv") else "application/octet-stream"
    page.file_uploader(key=UPLOADER).upload(name, content, mime).run()
    no_exceptions(page)
    return page


def _first_map_title(page) -> str:
    return json.dumps(json.loads(page.get("plotly_chart")[0].proto.spec), ensure_ascii=False)


@pytest.mark.parametrize("fmt", [".npz", ".csv"])
def test_a_features_file_becomes_the_first_encoder_of_the_session(page, fmt, temporary_folder):
    vectors = _vectors(1000)
    _upload(page, f"elsewhere{fmt}", _file(fmt, vectors))
    assert not page.error and not page.warning
    spec = page.selectbox(key="emb-a").value
    assert spec.kind == "file" and Path(spec.run).name == f"elsewhere{fmt}"
    assert f"features from elsewhere{fmt}" in page.selectbox(key="emb-a").options
    assert f"features from elsewhere{fmt}" in page.selectbox(key="emb-b").options  # a choice for both maps
    assert "6-D → 2-D by PCA, 1,000 test images" in _first_map_title(page)
    saved = Path(spec.run)  # the upload's bytes in this session's temporary folder
    assert saved.read_bytes() == _file(fmt, vectors)
    assert saved.parents[1].parent == temporary_folder and saved.parents[1].name.startswith("dul-features-")
    page.selectbox(key="emb-a").set_value(EncoderSpec("pixels")).run()  # it stays offered after
    assert f"features from elsewhere{fmt}" in page.selectbox(key="emb-a").options
    assert not page.error


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (
            "short.npz",
            lambda: _file(".npz", _vectors(999)),
            "has 999 rows but the test split of mnist5k has 1000",
        ),
        (
            "holes.csv",
            lambda: _file(".csv", np.where(np.arange(6) == 2, np.nan, _vectors(1000))),
            "NaN or infinite values in 1000 of 1000 rows",
        ),
        (
            "shuffled.npz",
            lambda: _file(".npz", _vectors(1000), (get_dataset("mnist5k").test.y.numpy() + 1) % 10),
            "disagrees with the labels of the test split of mnist5k",
        ),
    ],
)
def test_a_file_that_does_not_fit_the_split_is_one_error_and_not_offered(page, name, content, reason):
    before = page.selectbox(key="emb-a").options
    _upload(page, name, content())
    assert len(page.error) == 1 and reason in page.error[0].value, [e.value for e in page.error]
    assert page.selectbox(key="emb-a").options == before
    assert len(page.get("plotly_chart")) == 2  # the maps are drawn as before


def test_the_check_follows_the_chosen_images(page):
    """A file of the training split is refused on the test split and accepted once the training images
    are chosen."""
    data = get_dataset("mnist5k")
    vectors = np.random.default_rng(0).normal(size=(len(data.train), 3)).astype(np.float32)
    train = export_bytes(".npz", vectors, data.train.y.numpy())
    _upload(page, "train.npz", train["features.npz"])
    assert len(page.error) == 1 and "the test split of mnist5k" in page.error[0].value
    page.radio(key="emb-split").set_value("train").run()
    no_exceptions(page)
    assert page.selectbox(key="emb-a").value.kind == "file"
    assert not page.error


def test_files_are_named_by_their_content(tmp_path):
    """Two files of one name are two encoders (the caches key a file encoder by its path); a refused one
    leaves nothing behind."""
    data = get_dataset("mnist5k")
    first = add_features_file(_file(".npz", _vectors(1000)), "f.npz", data, "test", tmp_path)
    second = add_features_file(_file(".npz", _vectors(1000, dims=4)), "f.npz", data, "test", tmp_path)
    assert first != second and Path(first.run).name == Path(second.run).name == "f.npz"
    with pytest.raises(ConfigError, match="999 rows"):
        add_features_file(_file(".npz", _vectors(999)), "f.npz", data, "test", tmp_path)
    assert sorted(p.parent for p in tmp_path.rglob("*.npz")) == sorted(
        Path(s.run).parent for s in (first, second)
    )
