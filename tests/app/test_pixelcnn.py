from __future__ import annotations

import base64
import json

import numpy as np

from dul_models.metrics.likelihood import bits_per_dim
from tests.app.conftest import chosen_run, no_exceptions, train_until_saved

PAGE = "app_pages/pixelcnn/page.py"


def test_opens_on_bundled_runs_with_results(page):
    assert page.title[0].value.startswith("🧩")
    assert chosen_run(page, "pixelcnn").endswith("pixelcnn-mnist5k-gated")
    assert chosen_run(page, "pixelcnn", "plain").endswith("pixelcnn-mnist5k-plain")
    headers = [h.value for h in page.header]
    assert headers[:4] == [
        "Sampling, pixel by pixel",
        "Completion",
        "Likelihood heat-map",
        "Receptive field: the blind spot",
    ]
    captions = " ".join(c.value for c in page.caption)
    assert "nats per image" in captions and "threshold 0.5" in captions
    charts = page.get("plotly_chart")
    assert len(charts) == 5  # three NLL maps + two receptive fields
    # the titles total the maps they title (nats and bits per dimension of a 28×28 image)
    nats = [float(heat(chart).sum()) for chart in charts[:3]]
    for chart, total in zip(charts[:3], nats, strict=True):
        assert title(chart) == f"{total:.0f} nats · {bits_per_dim(total, 28 * 28):.3f} bits/dim"
    # noise must cost far more than the digit and the shape (the shape may well cost less than the digit)
    assert nats[2] > 5 * max(nats[:2]), nats


def title(chart) -> str:
    return json.loads(chart.proto.spec)["layout"]["title"]["text"]


def heat(chart) -> np.ndarray:
    """The heat map's z values; plotly stores numpy arrays as base64 typed arrays."""
    z = json.loads(chart.proto.spec)["data"][0]["z"]
    if isinstance(z, dict):
        shape = tuple(int(v) for v in str(z["shape"]).split(","))  # e.g. "28, 28"
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(shape)
    return np.array(z, dtype=float)


def test_receptive_field_shows_the_blind_spot(page):
    row, col = 10, 12
    page.slider(key="px-rf-row").set_value(row).run()
    page.slider(key="px-rf-col").set_value(col).run()
    no_exceptions(page)
    maps = {title(c).split(":")[0]: heat(c) for c in page.get("plotly_chart")[3:]}
    assert set(maps) == {"gated", "plain"}
    # just above and to the right: unseen by masked convolutions (NaN = zero gradient), seen by gated
    assert np.isnan(maps["plain"][row - 1, col + 4])
    assert not np.isnan(maps["gated"][row - 1, col + 4])
    assert not np.isnan(maps["plain"][row, col - 1])  # both see the pixel to the left
    assert np.isnan(maps["gated"][row, col:]).all()  # nor the pixel itself or later
    for chart in page.get("plotly_chart")[3:]:  # "sees N of M": N = the map's non-blank earlier pixels
        seen = int((~np.isnan(heat(chart))).ravel()[: row * 28 + col].sum())
        assert title(chart).endswith(f"sees {seen} of {row * 28 + col} earlier pixels")
    assert heat(page.get("plotly_chart")[3]).shape == (28, 28)


def test_sample_and_complete_buttons(page):
    page.slider(key="px-count").set_value(2).run()
    page.button(key="px-sample").click().run()
    no_exceptions(page)
    assert "Samples" in [c.value for c in page.caption]
    page.slider(key="px-rows").set_value(20).run()
    page.slider(key="px-ncomp").set_value(2).run()
    page.button(key="px-complete").click().run()
    no_exceptions(page)
    assert "Completions" in [c.value for c in page.caption]
    page.radio(key="px-model").set_value("plain").run()  # the comparison run
    no_exceptions(page)
    assert "Samples" not in [c.value for c in page.caption]  # samples belong to the other run


def test_train_live_start_poll_finish(page):
    page.select_slider(key="px-tr-epochs").set_value(0.25).run()
    page.selectbox(key="px-tr-variant").set_value("plain").run()
    page.slider(key="px-tr-layers").set_value(1).run()
    train_until_saved(page, "pixelcnn", timeout_s=150)
