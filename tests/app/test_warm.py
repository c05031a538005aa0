"""The server-start warm-up fills the disk cache with exactly the entries the pages ask for."""

from __future__ import annotations

import numpy as np

from app.resources.embeddings import UMAP_DEFAULTS, disk_key
from app.resources.warm import bundled_encoders, warm
from dul_models.data import get_dataset
from dul_models.features.clustering import reduce_features
from dul_models.features.encoders import EncoderSpec, features
from dul_models.features.projections import cached_projection


def test_warm_up_leaves_the_pages_maps_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("DUL_CACHE_DIR", str(tmp_path))
    spec = EncoderSpec("pixels")
    assert warm("digits", [spec]) == []
    assert len(list(tmp_path.glob("*.npz"))) == 2  # the 2-D map and the 10-D reduction
    heard = []
    vectors = features(spec, get_dataset("digits"), "test")
    key = disk_key(spec, "digits", "test")
    cached_projection(key, vectors, "umap", 2, progress=lambda *a: heard.append(a[2]), **UMAP_DEFAULTS)
    assert heard == ["umap map loaded from the disk cache"]  # the page's call: no recomputation
    reduced = reduce_features(vectors, "umap", 10, random_state=0, cache_key=key)
    assert reduced.shape == (360, 10) and np.isfinite(reduced).all()
    assert len(list(tmp_path.glob("*.npz"))) == 2  # found, not written again


def test_warm_up_reports_a_broken_encoder_and_goes_on(tmp_path, monkeypatch):
    monkeypatch.setenv("DUL_CACHE_DIR", str(tmp_path))
    broken = EncoderSpec("run", str(tmp_path / "gone"))
    failed = warm("digits", [broken, EncoderSpec("pixels")])
    assert len(failed) == 1 and failed[0].startswith("gone:")
    assert len(list(tmp_path.glob("*.npz"))) == 2


def test_only_bundled_runs_are_warmed():
    specs = bundled_encoders("mnist5k")
    assert specs and all(s.kind == "run" and "/checkpoints/" in s.run for s in specs)
