"""The pretext tasks as the self-supervised page shows them (dul_models.explore.self_supervised_pretext)."""

from __future__ import annotations

import numpy as np

from dul_models.data import get_dataset
from dul_models.models import build_model


def test_rotation_report_scores_every_image_in_every_turn():
    from dul_models.explore.self_supervised_pretext import rotation_report

    data = get_dataset("digits")
    model = build_model("rotation", {"image_shape": data.image_shape, "width": 4, "hidden_dim": 8}, seed=0)
    report = rotation_report(model, data.test.x[:30], data.test.y[:30], chunk=7)
    assert report.probabilities.shape == (30, 4, 4)
    assert np.allclose(report.probabilities.sum(2), 1.0, atol=1e-5)
    by_class = report.accuracy_by_class(10)
    right = report.probabilities.argmax(2) == np.arange(4)
    present = np.unique(report.labels)
    assert np.allclose(by_class[present], [right[report.labels == c].mean() for c in present])
