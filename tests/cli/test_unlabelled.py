"""The feature commands on a set imported from a flat folder (no labels): what needs labels says so in one
line and exits 2; clustering reports only what needs none."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dul_models.__main__ import main
from dul_models.data import get_dataset


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DUL_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def flat(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """40 generated colour images in one flat folder, imported with `datasets import` (unlabelled)."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "flat"
    folder.mkdir()
    for i in range(40):
        colour = np.array([(60 * i) % 256, 120, 255 - (60 * i) % 256], dtype=np.float32)
        pixels = np.clip(colour + rng.normal(0, 20, (24, 24, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{i:02d}.png")
    assert main(["datasets", "import", str(folder), "--name", "flat", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["labelled"] is False
    dataset = get_dataset("flat")
    assert not dataset.has_labels and (dataset.train.y == -1).all() and (dataset.test.y == -1).all()
    return "flat"


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 1, captured.err
    return lines[0]


@pytest.mark.parametrize("command", ["probe", "episodes"])
def test_what_needs_labels_exits_2_saying_why_and_what_gives_labels(flat, command, capsys):
    assert main([command, "pixels", "--dataset", flat, "--device", "cpu"]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"error: {command} needs labels") and "'flat' has none" in line
    assert "one subfolder per class" in line and "metadata.csv" in line and "--replace" in line


def test_cluster_json_reports_only_what_needs_no_labels(flat, capsys):
    argv = ["cluster", "pixels", "--dataset", flat, "--k", "3", "--device", "cpu", "--json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert not {"acc", "nmi", "ari"} & set(result)
    assert result["k"] == 3 and -1.0 <= result["silhouette"] <= 1.0 and result["seconds"] >= 0
    assert result["dataset"] == "flat" and result["split"] == "test"
    assert "has no labels: ACC, NMI and ARI are not computed" in captured.err


def test_cluster_of_a_labelled_set_still_scores_against_its_labels(capsys):
    argv = ["cluster", "pixels", "--dataset", "digits", "--k", "10", "--device", "cpu", "--json"]
    assert main(argv) == 0
    assert {"acc", "nmi", "ari", "silhouette", "k", "seconds"} <= set(json.loads(capsys.readouterr().out))


def test_embed_writes_minus_one_labels_for_an_unlabelled_set(flat, tmp_path, capsys):
    out = tmp_path / "flat.npz"
    assert main(["embed", "pixels", "--dataset", flat, "--split", "all", "--out", str(out)]) == 0
    with np.load(out) as saved:
        assert saved["features"].shape == (40, 3 * 32 * 32) and (saved["labels"] == -1).all()
