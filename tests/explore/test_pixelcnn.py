"""dul_models.explore.pixelcnn against naive computations on the bundled mnist5k PixelCNNs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dul_models.core.errors import ConfigError
from dul_models.data import get_dataset, to_float
from dul_models.explore import pixelcnn as explore
from dul_models.runs.checkpoints import bundled_dir, load_run


@pytest.fixture(scope="module")
def images():
    return to_float(get_dataset("mnist5k").test.x[:4])


@pytest.fixture(scope="module")
def gated():
    return load_run(bundled_dir() / "pixelcnn-mnist5k-gated")


@pytest.fixture(scope="module")
def plain():
    return load_run(bundled_dir() / "pixelcnn-mnist5k-plain")


def test_facts_name_the_image_size_and_binarisation(gated):
    assert explore.facts(gated) == explore.ModelFacts(28, 28, "threshold 0.5")


def test_sampling_sends_one_frame_per_row_and_repeats_by_seed(plain):
    frames = []
    first = explore.sample_images(plain, 2, temperature=1.0, seed=4, nrow=2, on_frame=frames.append)
    assert first.shape == (2, 1, 28, 28)
    assert set(first.unique().tolist()) <= {0.0, 1.0}  # binary pixels
    assert [f.pixels_done for f in frames] == [28 * (row + 1) for row in range(28)]
    assert all(f.total == 784 for f in frames) and frames[-1].fraction == 1.0
    assert frames[0].grid.dtype == np.uint8 and frames[0].grid.shape[1] > frames[0].grid.shape[0]  # 2 across
    again = explore.sample_images(plain, 2, temperature=1.0, seed=4, nrow=2)
    assert torch.equal(first, again)


def test_completion_keeps_the_known_rows_of_the_binarised_start(plain, images):
    done = explore.sample_images(plain, 3, temperature=1.0, seed=0, nrow=3, start=images[0], rows_known=20)
    binary = (images[0] > 0.5).float()
    assert done.shape == (3, 1, 28, 28)
    assert torch.equal(done[:, :, :20], binary[None, :, :20].expand(3, 1, 20, 28))


def test_completion_inputs_grey_out_the_rows_to_complete(gated, images):
    pair = explore.completion_inputs(gated, images[1], rows_known=12)
    binary = (images[1] > 0.5).float()
    assert pair.shape == (2, 1, 28, 28)
    assert torch.equal(pair[0], binary)
    assert torch.equal(pair[1, :, :12], binary[:, :12])
    assert (pair[1, :, 12:] == explore.UNKNOWN_GREY).all()


def test_likelihood_maps_total_the_exact_log_likelihood(gated, images):
    found = explore.likelihood_maps(gated, {"digit": images[0], "missing": None, "other": images[1]}, seed=2)
    assert [m.label for m in found.maps] == ["digit", "other", "uniform noise"]  # None skipped, noise last
    noise = torch.rand((1, 28, 28), generator=torch.Generator().manual_seed(2))
    log_prob = gated.model.log_prob(torch.stack([images[0], images[1], noise]))  # (3,) nats
    for found_map, lp in zip(found.maps, log_prob, strict=True):
        assert found_map.nll.shape == (28, 28) and found_map.nll.dtype == np.float32
        assert found_map.nats == pytest.approx(-float(lp), rel=1e-5)
        assert found_map.bits_per_dim == pytest.approx(found_map.nats / (784 * math.log(2)))
        assert torch.equal(found_map.image, (found_map.image > 0.5).float())  # binarised
    stacked = np.stack([m.nll for m in found.maps])
    assert found.zmax == pytest.approx(float(np.percentile(stacked, 99)))
    assert found.maps[2].nats > 3 * max(found.maps[0].nats, found.maps[1].nats)  # noise is expensive
    assert len(found.table["input"]) == 3 * 784
    digit_rows = found.table["input"] == "digit"
    assert found.table["nll_nats"][digit_rows].sum() == pytest.approx(found.maps[0].nats, rel=1e-5)


def test_likelihood_maps_need_an_image_besides_the_noise(gated):
    with pytest.raises(ConfigError, match="at least one image"):
        explore.likelihood_maps(gated, {"shape": None}, seed=0)


def test_receptive_fields_show_the_plain_blind_spot(gated, plain, images):
    row, col = 10, 12
    fields = explore.receptive_fields({"main": gated, "plain": plain}, images[0], (row, col))
    assert [(f.role, f.variant) for f in fields] == [("main", "gated"), ("plain", "plain")]
    by_variant = {f.variant: f for f in fields}
    assert np.isnan(by_variant["plain"].log_gradient[row - 1, col + 4])  # above-right: the blind spot
    assert not np.isnan(by_variant["gated"].log_gradient[row - 1, col + 4])
    for field in fields:
        earlier = ~np.isnan(field.log_gradient).ravel()[: row * 28 + col]
        assert (field.seen, field.total) == (int(earlier.sum()), row * 28 + col)
        assert np.nanmax(field.log_gradient) == 0.0  # relative to the largest gradient
        assert np.isnan(field.log_gradient[row, col:]).all()  # never the pixel itself or later ones
