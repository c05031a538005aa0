"""dul_models.explore.vae against the model's own verbs and naive computations, on the bundled VAE runs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import get_dataset, to_float
from dul_models.explore import vae as explore
from dul_models.models.vae_recipes import LIVE_MODEL, LIVE_TRAIN
from dul_models.runs.checkpoints import bundled_dir, load_run


@pytest.fixture(scope="module")
def run():
    return load_run(bundled_dir() / "vae-mnist5k-z16")


@pytest.fixture(scope="module")
def images():
    return to_float(get_dataset("mnist5k").test.x[:64])


def test_parse_dimensions_keeps_order_drops_repeats_and_names_the_bad_entry():
    assert explore.parse_dimensions("3, 1; 3,", 5) == [3, 1]
    assert explore.parse_dimensions("  ", 5) is None
    with pytest.raises(ConfigError, match="out of range.*0…4"):
        explore.parse_dimensions("1, 5", 5)
    with pytest.raises(ConfigError, match="'two' is not a whole number"):
        explore.parse_dimensions("two", 5)


def test_the_live_preset_is_the_recipes_one():
    assert explore.LIVE_MODEL is LIVE_MODEL and explore.LIVE_TRAIN is LIVE_TRAIN
    assert explore.LIKELIHOODS == ("bernoulli", "continuous_bernoulli")


def test_kl_per_dim_reads_the_saved_kl_or_zeros(run):
    assert explore.kl_per_dim(run.info) == run.info.metrics["kl_per_dim"]
    bare = dataclasses.replace(run.info, metrics={})
    assert explore.kl_per_dim(bare) == [0.0] * 16


def test_pick_image_prefers_the_upload(images):
    assert torch.equal(explore.pick_image(images, 5), images[5:6])
    upload = torch.rand(1, 28, 28)
    assert torch.equal(explore.pick_image(images, 5, upload), upload[None])


def test_encode_and_decode_code_are_the_posterior_mean_and_the_decoder(run, images):
    code = explore.encode(run, images[:1])
    assert len(code) == 16 and all(isinstance(v, float) for v in code)
    assert torch.allclose(torch.tensor(code), run.model.embed(images[:1])[0])
    decoded, took_ms = explore.decode_code(run, code)
    assert decoded.shape == (1, 1, 28, 28) and took_ms >= 0
    assert torch.allclose(decoded, run.model.decode(torch.tensor([code])))


def test_traversal_sweeps_the_chosen_latents_in_kl_order(run, images):
    code, kl = explore.encode(run, images[:1]), explore.kl_per_dim(run.info)
    grid = explore.traversal(run, code, kl, span=2.0, steps=5, dims_text="0, 3")
    assert sorted(grid.dims) == [0, 3] and grid.kl == sorted(grid.kl, reverse=True)
    assert grid.images.shape == (10, 1, 28, 28)
    first = grid.dims[0]
    assert torch.allclose(
        grid.images[:5], run.model.traverse(torch.tensor(code), first, torch.linspace(-2, 2, 5))
    )
    with pytest.raises(ConfigError, match="out of range"):
        explore.traversal(run, code, kl, span=2.0, steps=5, dims_text="99")
    with pytest.raises(ConfigError, match="traversal range"):
        explore.traversal(run, code, kl, span=8.0, steps=5)


def test_interpolations_start_and_end_at_the_two_images_codes(run, images):
    strips = explore.interpolations(run, images, 2, 7, steps=6)
    assert list(strips) == ["linear", "spherical (slerp)"]
    ends = run.model.decode(run.model.embed(images[[2, 7]]))
    for strip in strips.values():
        assert strip.shape == (6, 1, 28, 28)
        assert torch.allclose(strip[0], ends[0], atol=1e-5) and torch.allclose(strip[-1], ends[1], atol=1e-5)
    assert not torch.allclose(strips["linear"][2], strips["spherical (slerp)"][2])


def test_samples_are_seeded_and_temperature_zero_decodes_the_prior_mean(run):
    a, b = explore.samples(run, 8, seed=4, temperature=1.0), explore.samples(run, 8, seed=4, temperature=1.0)
    assert a.shape == (8, 1, 28, 28) and torch.equal(a, b)
    assert not torch.equal(a, explore.samples(run, 8, seed=5, temperature=1.0))
    flat = explore.samples(run, 3, seed=4, temperature=0.0)
    assert torch.allclose(flat, run.model.decode(torch.zeros(3, 16)))


def test_reconstructions_are_the_inputs_then_what_the_vae_rebuilds(run, images):
    both = explore.reconstructions(run, images, 4)
    assert both.shape == (8, 1, 28, 28) and torch.equal(both[:4], images[:4])
    assert torch.allclose(both[4:], run.model.reconstruct(images[:4]))


def test_elbo_history_keeps_only_rows_with_the_reconstruction_term():
    metrics = {"history": [{"step": 1, "recon": 3.0, "kl": 1.0}, {"step": 2, "loss": 4.0}]}
    assert explore.elbo_history(metrics, "history") == [{"step": 1, "recon": 3.0, "kl": 1.0}]
    assert explore.elbo_history(metrics, "eval_history") == []


def test_kl_bars_are_sorted_most_informative_first():
    rows = explore.kl_bars([0.5, 3.0, 0.0, 1.5])
    assert [r["dimension"] for r in rows] == ["z1", "z3", "z0", "z2"]
    assert [r["KL (nats)"] for r in rows] == [3.0, 1.5, 0.5, 0.0]


def test_latent_map_is_the_pca_of_the_posterior_means(run, images):
    labels = torch.arange(64) % 10
    found = explore.latent_map(run, images, labels)
    assert found.coords.shape == (64, 2) and np.array_equal(found.labels, labels.numpy())
    means = run.model.embed(images).numpy().astype(np.float64)
    centred = means - means.mean(0)
    top = np.linalg.svd(centred, full_matrices=False)[2][:2]  # the first two principal axes
    naive = centred @ top.T
    for axis in range(2):  # equal up to the sign of each axis
        assert abs(np.corrcoef(found.coords[:, axis], naive[:, axis])[0, 1]) == pytest.approx(1.0, abs=1e-4)


def test_manifold_decodes_an_n_by_n_grid_of_the_2d_vae():
    z2 = load_run(bundled_dir() / "vae-mnist5k-z2")
    grid = explore.manifold(z2, 5)
    assert grid.shape == (25, 1, 28, 28)
    assert not torch.allclose(grid[0], grid[-1])  # opposite corners of the prior decode differently


def test_disentangling_runs_are_the_two_bundled_shapes_runs():
    runs = explore.disentangling_runs()
    assert [title for title, _ in runs] == [title for title, _ in explore.DISENTANGLING]
    assert [info.path.name for _, info in runs] == ["vae-shapes-beta1", "vae-shapes-beta2"]
    assert all(info.dataset == explore.SHAPES and info.bundled for _, info in runs)


def test_mig_score_reproduces_the_saved_mig_and_labels_each_traversal_row():
    data = get_dataset(explore.SHAPES)
    run = load_run(bundled_dir() / "vae-shapes-beta2")
    score = explore.mig_score(run, data)
    assert score["mig"] == pytest.approx(run.info.metrics["mig"], abs=1e-9)
    assert len(score["latent_factor"]) == run.model.config.latent_dim
    images, rows = explore.factor_traversal(
        run, to_float(data.test.x[:1]), score["latent_factor"], max_rows=3
    )
    assert images.shape == (27, 1, 28, 28) and len(rows) == 3
    kl = run.info.metrics["kl_per_dim"]
    top = sorted(range(len(kl)), key=lambda d: -kl[d])[:3]
    assert rows == [
        f"z{d} (KL {kl[d]:.2f}) moves {score['latent_factor'][d] or 'no single factor'}" for d in top
    ]
