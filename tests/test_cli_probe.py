"""`python -m dul_models probe`: one JSON row of the results table, and one error line for a bad encoder."""

from __future__ import annotations

import json

from dul_models.__main__ import main

KEYS = {
    "encoder",
    "dataset",
    "knn_acc",
    "knn_acc_std",
    "linear_probe_acc_1",
    "linear_probe_acc_1_std",
    "linear_probe_acc_10",
    "linear_probe_acc_10_std",
    "linear_probe_acc_100",
    "linear_probe_acc_100_std",
    "dim",
}


def test_probe_pixels_json(capsys):
    assert main(["probe", "pixels", "--dataset", "digits", "--device", "cpu", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == KEYS
    assert result["dataset"] == "digits" and result["dim"] == 64
    for key in KEYS - {"encoder", "dataset", "dim"}:
        assert 0.0 <= result[key] <= 1.0, key
    assert result["knn_acc"] > 0.9  # raw 8x8 pixels already separate digits well
    assert result["linear_probe_acc_1"] < result["linear_probe_acc_100"]


def test_probe_bad_encoder_exits_2_with_one_error_line(capsys, tmp_path):
    assert main(["probe", str(tmp_path / "missing-run"), "--dataset", "digits"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "pixels, pca, random" in lines[0]
    assert captured.out == ""
