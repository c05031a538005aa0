"""Projections, the Projector, the disk cache, the t-SNE size guard and k-means labels."""

from __future__ import annotations

import numpy as np
import pytest

from dul_models.core.errors import ConfigError
from dul_models.features import projections
from dul_models.features.projections import (
    Projector,
    cached_projection,
    check_tsne_size,
    estimated_seconds,
    kmeans_labels,
    project,
    project_2d,
)


def blobs(
    n_per_class: int = 20, dim: int = 8, classes: int = 3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(classes), n_per_class)
    x = rng.normal(size=(classes, dim))[y] * 6 + rng.normal(size=(y.size, dim))
    return x.astype(np.float32), y


def test_pca_projection_matches_sklearn():
    from sklearn.decomposition import PCA

    x, _ = blobs()
    for dims in (2, 3):
        got = project(x, "pca", dims)
        assert got.shape == (60, dims) and got.dtype == np.float32
        np.testing.assert_allclose(got, PCA(dims, random_state=0).fit_transform(x), atol=1e-4)


@pytest.mark.parametrize("method", ["tsne", "umap"])
def test_nonlinear_projections_keep_the_blobs_apart(method):
    x, y = blobs()
    got = project(x, method, 2, n_neighbors=10, perplexity=10.0)
    assert got.shape == (60, 2) and got.dtype == np.float32 and np.isfinite(got).all()
    centres = np.stack([got[y == c].mean(0) for c in range(3)])
    within = max(np.linalg.norm(got[y == c] - centres[c], axis=1).mean() for c in range(3))
    between = min(np.linalg.norm(centres[a] - centres[b]) for a in range(3) for b in range(a + 1, 3))
    assert between > 2 * within


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "lda"}, "pca, tsne, umap"),
        ({"dims": 4}, "2 or 3"),
        ({"n_neighbors": 1}, r"2\.\.200"),
        ({"n_neighbors": 201}, r"2\.\.200"),
        ({"method": "umap", "n_neighbors": 60}, r"2\.\.59"),
        ({"min_dist": 1.5}, r"0\.\.1"),
        ({"perplexity": 1.0}, r"2\.\.100"),
        ({"method": "tsne", "perplexity": 25.0}, "N/3 = 20.0"),
    ],
)
def test_project_names_the_allowed_range(kwargs, message):
    x, _ = blobs()
    with pytest.raises(ConfigError, match=message):
        project(x, **kwargs)


def test_project_2d_keeps_its_old_contract():
    x, _ = blobs(n_per_class=3)
    assert project_2d(x[:, :2], "pca") == pytest.approx(x[:, :2])
    assert project_2d(x, "tsne").shape == (9, 2)  # perplexity shrunk to fit 9 points
    with pytest.raises(ConfigError, match="pca, tsne, umap"):
        project_2d(x, "mds")


@pytest.mark.parametrize("method", ["pca", "umap"])
def test_projector_places_new_points(method):
    x, _ = blobs()
    projector = Projector(method, n_neighbors=10)
    assert projector.fit(x) is projector
    assert projector.embedding_.shape == (60, 2)
    placed = projector.transform(x[:5] + 0.01)
    assert placed.shape == (5, 2)
    scale = np.ptp(projector.embedding_, axis=0).max()
    assert np.linalg.norm(placed - projector.embedding_[:5], axis=1).max() < 0.2 * scale
    with pytest.raises(ConfigError, match="fitted on 8-D"):
        projector.transform(x[:5, :4])


def test_tsne_cannot_place_new_points():
    x, _ = blobs()
    projector = Projector("tsne", perplexity=5.0).fit(x)
    with pytest.raises(ConfigError, match="t-SNE cannot place new points; use PCA or UMAP"):
        projector.transform(x[:3])


def counting_project(monkeypatch):
    calls = []
    real = projections.project

    def fake(*args, **kwargs):
        calls.append((args[1:], kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(projections, "project", fake)
    return calls


def test_cached_projection_computes_once(monkeypatch, tmp_path):
    calls = counting_project(monkeypatch)
    x, _ = blobs()
    first = cached_projection(("pixels", "digits", "test"), x, "pca", cache_dir=tmp_path)
    second = cached_projection(("pixels", "digits", "test"), x, "pca", cache_dir=tmp_path)
    assert len(calls) == 1 and len(list(tmp_path.glob("*.npz"))) == 1
    np.testing.assert_array_equal(first, second)


def test_cached_projection_misses_on_any_change(monkeypatch, tmp_path):
    calls = counting_project(monkeypatch)
    x, _ = blobs()
    cached_projection(("a",), x, "umap", cache_dir=tmp_path, n_neighbors=10)
    cached_projection(("a",), x, "umap", cache_dir=tmp_path, n_neighbors=11)  # a parameter
    cached_projection(("b",), x, "umap", cache_dir=tmp_path, n_neighbors=10)  # the key
    cached_projection(("a",), x + 1, "umap", cache_dir=tmp_path, n_neighbors=10)  # the features
    cached_projection(("a",), x, "umap", 3, cache_dir=tmp_path, n_neighbors=10)  # dims
    assert len(calls) == 5
    cached_projection(("a",), x, "umap", cache_dir=tmp_path, n_neighbors=10)
    assert len(calls) == 5


def test_corrupt_cache_file_is_recomputed(monkeypatch, tmp_path):
    calls = counting_project(monkeypatch)
    x, _ = blobs()
    expected = cached_projection(("k",), x, "pca", cache_dir=tmp_path)
    (path,) = tmp_path.glob("*.npz")
    path.write_bytes(b"not a zip file")
    np.testing.assert_allclose(cached_projection(("k",), x, "pca", cache_dir=tmp_path), expected)
    assert len(calls) == 2
    np.testing.assert_allclose(cached_projection(("k",), x, "pca", cache_dir=tmp_path), expected)
    assert len(calls) == 2  # rewritten whole


def test_cached_projection_default_folder_and_bad_parameter(monkeypatch, tmp_path):
    monkeypatch.setenv("DUL_CACHE_DIR", str(tmp_path / "cache"))
    x, _ = blobs()
    cached_projection(("k",), x, "pca")
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    with pytest.raises(ConfigError, match="allowed: n_neighbors"):
        cached_projection(("k",), x, "pca", neighbours=5)


def test_cached_projection_reports_progress_as_plain_data(tmp_path):
    x, _ = blobs()
    heard = []
    cached_projection(("k",), x, "pca", cache_dir=tmp_path, progress=lambda *a: heard.append(a))
    assert [(done, total) for done, total, _ in heard] == [(0, 1), (1, 1)]
    assert "pca of 60 points, about 0 s" in heard[0][2] and "computed" in heard[1][2]
    heard.clear()
    cached_projection(("k",), x, "pca", cache_dir=tmp_path, progress=lambda *a: heard.append(a))
    assert heard == [(1, 1, "pca map loaded from the disk cache")]


def test_estimated_seconds_grow_with_n_and_order_the_methods():
    for method in ("pca", "umap", "tsne"):
        assert 0 <= estimated_seconds(method, 1_000) < estimated_seconds(method, 10_000)
    assert estimated_seconds("pca", 70_000) < 1 < estimated_seconds("umap", 70_000)
    assert estimated_seconds("umap", 70_000) < estimated_seconds("tsne", 70_000)
    assert estimated_seconds("umap", 5_000, include_compile=True) > estimated_seconds("umap", 5_000) + 10
    with pytest.raises(ConfigError, match="pca, tsne, umap"):
        estimated_seconds("mds", 10)


def test_tsne_size_guard_states_the_time_and_suggests_umap():
    check_tsne_size(20_000)
    message = r"70,000 points runs on the CPU and would take about \d+ min.*use UMAP \(about \d+ s\)"
    for device_type in ("cpu", "cuda"):  # scikit-learn's t-SNE is CPU-only whatever the device
        with pytest.raises(ConfigError, match=message):
            check_tsne_size(70_000, device_type)
    big = np.random.default_rng(0).normal(size=(20_001, 2)).astype(np.float32)
    with pytest.raises(ConfigError, match="20,001 points"):
        project(big, "tsne")  # refused before any work
    assert project(big, "pca").shape == (20_001, 2)


def test_kmeans_labels_find_the_blobs():
    from sklearn.metrics import adjusted_rand_score

    x, y = blobs()
    labels = kmeans_labels(x, 3)
    assert labels.shape == (60,) and labels.dtype == np.int64
    assert adjusted_rand_score(y, labels) == pytest.approx(1.0)
    with pytest.raises(ConfigError, match=r"1\.\.60"):
        kmeans_labels(x, 61)


def test_thumbnail_map_resizes_thumbnails_and_fills_the_background():
    import torch

    from dul_models.core.images import thumbnail_map

    images = torch.zeros(2, 1, 4, 4, dtype=torch.uint8)
    images[0] = 255
    images[1, 0, :2, :2] = 100  # top-left quarter grey: becomes a 4x4 block at thumb_px 8
    canvas = thumbnail_map(
        np.array([[0.0, 0.0], [1.0, 1.0]]), images, size_px=20, thumb_px=8, background=0, margin_px=0
    )
    assert (canvas[12:20, 0:8] == 255).all()  # 8x8 white thumbnail at the bottom-left
    assert (canvas[0:4, 12:16] == 100).all() and (canvas[4:8, 12:20] == 0).all()  # enlarged blockily
    assert (canvas[0:8, 0:8] == 0).all()  # background 0 where nothing is drawn
    small = thumbnail_map(np.zeros((1, 2)), images[:1], size_px=6, thumb_px=2, background=(1, 2, 3))
    assert small[2:4, 2:4].tolist() == [[[255] * 3] * 2] * 2 and small[0, 0].tolist() == [1, 2, 3]
    with pytest.raises(ConfigError, match="positive integer"):
        thumbnail_map(np.zeros((2, 2)), images, thumb_px=0)
    with pytest.raises(ConfigError, match="grey level 0..255"):
        thumbnail_map(np.zeros((2, 2)), images, background=300)
    with pytest.raises(ConfigError, match="RGB triple"):
        thumbnail_map(np.zeros((2, 2)), images, background=(1, 2))
