"""dul_models.explore.denoising against naive computations on the bundled mnist5k autoencoders."""

from __future__ import annotations

import os
import shutil
import time

import numpy as np
import pytest
import torch

from dul_models.data import get_dataset, to_float
from dul_models.data.augment import corrupt
from dul_models.explore import denoising as explore
from dul_models.runs.checkpoints import bundled_dir, load_run


@pytest.fixture(scope="module")
def data():
    return get_dataset("mnist5k")


@pytest.fixture(scope="module")
def runs():
    return {
        "denoising AE": load_run(bundled_dir() / "autoencoder-mnist5k-denoising"),
        "plain AE": load_run(bundled_dir() / "autoencoder-mnist5k-plain"),
    }


def naive_psnr(x_hat: torch.Tensor, x: torch.Tensor) -> float:
    mse = ((x_hat.double() - x.double()) ** 2).flatten(1).mean(1)
    return float((10 * torch.log10(1 / (mse + 1e-10))).mean())


def test_before_after_panels_are_the_seeded_images_noise_and_outputs(data, runs):
    images = to_float(data.test.x)
    panels = explore.before_after(images, runs, "salt_pepper", 0.6, 8, seed=3)
    assert [p.label for p in panels] == ["clean", "noisy input", "denoising AE", "plain AE"]
    x = images[torch.randperm(len(images), generator=torch.Generator().manual_seed(3))[:8]]
    noisy = corrupt(x, "salt_pepper", 0.6, generator=torch.Generator().manual_seed(3))
    assert torch.equal(panels[0].images, x) and panels[0].psnr_db is None
    assert torch.equal(panels[1].images, noisy)
    assert torch.allclose(panels[2].images, runs["denoising AE"].model.reconstruct(noisy))
    for panel in panels[1:]:
        assert panel.images.shape == (8, 1, 28, 28)
        assert panel.psnr_db == pytest.approx(naive_psnr(panel.images, x), abs=1e-3)
    assert panels[2].psnr_db > panels[1].psnr_db + 3  # the denoiser beats its input


def test_psnr_curve_rows_equal_a_naive_curve_and_come_back_from_disk(data, runs, tmp_path, monkeypatch):
    levels = (0.2, 0.5)
    rows = explore.psnr_curve_rows(runs, data, "gaussian", "cpu", levels, n=40, cache_dir=tmp_path)
    methods = ["noisy input", "denoising AE", "plain AE", explore.MEDIAN_FILTER]
    assert [(r["level"], r["method"]) for r in rows] == [(lv, m) for lv in levels for m in methods]
    x = to_float(data.test.x[:40])
    for level in levels:
        noisy = corrupt(x, "gaussian", level, generator=torch.Generator().manual_seed(0))
        got = {r["method"]: r["psnr_db"] for r in rows if r["level"] == level}
        assert got["noisy input"] == pytest.approx(naive_psnr(noisy, x), abs=1e-3)
        denoised = runs["denoising AE"].model.reconstruct(noisy)
        assert got["denoising AE"] == pytest.approx(naive_psnr(denoised, x), abs=1e-3)
    assert len(list(tmp_path.glob("*.npz"))) == 1

    def no_measuring(*args, **kwargs):
        raise AssertionError("the curve was measured again instead of read from the disk cache")

    monkeypatch.setattr(explore, "psnr_curve", no_measuring)
    assert explore.psnr_curve_rows(runs, data, "gaussian", "cpu", levels, n=40, cache_dir=tmp_path) == rows
    with pytest.raises(AssertionError, match="measured again"):  # another corruption is another entry
        explore.psnr_curve_rows(runs, data, "masking", "cpu", levels, n=40, cache_dir=tmp_path)
    with pytest.raises(AssertionError, match="measured again"):  # so is another n
        explore.psnr_curve_rows(runs, data, "gaussian", "cpu", levels, n=41, cache_dir=tmp_path)


def test_psnr_curve_is_measured_again_when_a_run_is_retrained_in_place(data, tmp_path, monkeypatch):
    folder = tmp_path / "run"
    shutil.copytree(bundled_dir() / "autoencoder-mnist5k-plain", folder)
    runs = {"plain AE": load_run(folder)}
    cache = tmp_path / "cache"
    explore.psnr_curve_rows(runs, data, "gaussian", "cpu", (0.3,), n=20, cache_dir=cache)
    weights = folder / "model.safetensors"
    later = time.time() + 60
    os.utime(weights, (later, later))
    explore.psnr_curve_rows(runs, data, "gaussian", "cpu", (0.3,), n=20, cache_dir=cache)
    assert len(list(cache.glob("*.npz"))) == 2


def test_default_curve_levels_run_from_a_tenth_to_one():
    assert explore.CURVE_LEVELS == (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def test_denoise_own_returns_image_noisy_copy_and_output(data, runs):
    image = to_float(data.test.x[5])
    trio = explore.denoise_own(runs["denoising AE"], image, "masking", 0.4, seed=7)
    assert trio.shape == (3, 1, 28, 28)
    noisy = corrupt(image[None], "masking", 0.4, generator=torch.Generator().manual_seed(7))
    assert torch.equal(trio[0], image) and torch.equal(trio[1], noisy[0])
    assert torch.allclose(trio[2], runs["denoising AE"].model.reconstruct(noisy)[0])


def test_latent_map_is_the_pca_of_the_codes(data, runs):
    run = runs["denoising AE"]
    found = explore.latent_map(run, data, "pca")
    n = len(data.test)
    assert found.coords.shape == (n, 2)
    assert np.array_equal(found.labels, data.test.y.numpy())
    codes = run.model.embed(to_float(data.test.x)).numpy().astype(np.float64)
    centred = codes - codes.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    naive = centred @ vt[:2].T  # (N, 2), each axis up to its sign
    for axis in range(2):
        sign = np.sign(naive[:, axis] @ found.coords[:, axis])
        assert np.allclose(found.coords[:, axis], sign * naive[:, axis], atol=1e-3 * np.abs(naive).max())
