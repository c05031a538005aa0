from __future__ import annotations

import math

import numpy as np
import pytest

from dul_models.metrics.likelihood import (
    bits_per_dim,
    earlier_pixels_seen,
    log_relative_gradient,
    per_pixel_table,
)


def test_bits_per_dim_is_nats_over_dims_times_ln2():
    assert bits_per_dim(784 * math.log(2), 784) == pytest.approx(1.0)
    assert bits_per_dim(0.0, 10) == 0.0
    assert bits_per_dim(np.float32(2.0), 4) == pytest.approx(2.0 / (4 * 0.6931471805599453))
    with pytest.raises(ValueError, match="positive"):
        bits_per_dim(1.0, 0)


def test_earlier_pixels_seen_counts_only_pixels_before_in_raster_order():
    gradient = np.zeros((3, 4))
    gradient[0, :] = 1.0  # the whole first row
    gradient[1, 0] = 0.5  # left of the pixel
    gradient[1, 3] = 2.0  # right of the pixel: later, never counted
    gradient[2, 2] = 1.0  # a later row: never counted
    assert earlier_pixels_seen(gradient, (1, 2)) == (5, 6)  # 4 + 1 seen of 4 + 2 earlier
    assert earlier_pixels_seen(gradient, (0, 0)) == (0, 0)  # the first pixel has nothing before it
    assert earlier_pixels_seen(np.ones((3, 4)), (2, 3)) == (11, 11)


def test_earlier_pixels_seen_rejects_bad_input():
    with pytest.raises(ValueError, match="outside"):
        earlier_pixels_seen(np.ones((3, 4)), (3, 0))
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        earlier_pixels_seen(np.ones((1, 3, 4)), (0, 0))


def test_log_relative_gradient_is_zero_at_the_max_and_nan_where_unseen():
    z = log_relative_gradient(np.array([[0.0, 1e-3], [1e-1, 1.0]]))
    assert np.isnan(z[0, 0])
    np.testing.assert_allclose(z[[0, 1, 1], [1, 0, 1]], [-3.0, -1.0, 0.0])
    assert np.isnan(log_relative_gradient(np.zeros((2, 2)))).all()


def test_per_pixel_table_is_long_format():
    table = per_pixel_table({"a": np.array([[1.0, 2.0]]), "b": np.array([[3.0], [4.0]])}, "nll_nats")
    assert list(table["input"]) == ["a", "a", "b", "b"]
    assert list(table["row"]) == [0, 0, 0, 1] and list(table["col"]) == [0, 1, 0, 0]
    assert list(table["nll_nats"]) == [1.0, 2.0, 3.0, 4.0]
