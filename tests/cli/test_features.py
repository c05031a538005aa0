"""`python -m dul_models probe | cluster`: one JSON row of a results table, one error line for bad input."""

from __future__ import annotations

import json

import pytest

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


CLUSTER_KEYS = {"encoder", "dataset", "split", "algorithm", "reduce", "acc", "nmi", "ari", "silhouette", "k"}


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "agglomerative", "spectral"])
def test_cluster_pixels_json(algorithm, capsys):
    assert main(["cluster", "pixels", "--dataset", "digits", "--algorithm", algorithm, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert CLUSTER_KEYS | {"seconds", "reduce_seconds"} == set(result)
    assert result["k"] == 10 and result["algorithm"] == algorithm and result["split"] == "test"
    assert 0.5 < result["acc"] <= 1.0 and 0.4 < result["nmi"] <= 1.0  # 8×8 digits cluster well in pixels
    assert result["seconds"] > 0


def test_cluster_with_reduction_and_hdbscan(capsys):
    args = [
        "cluster",
        "pixels",
        "--dataset",
        "digits",
        "--algorithm",
        "hdbscan",
        "--reduce",
        "pca:5",
        "--json",
    ]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["reduce"] == "pca:5" and result["k"] >= 2 and 0 <= result["noise_share"] < 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--k", "1"], "k must be an integer in 2..360"),
        (["--k", "361"], "k must be an integer in 2..360"),
        (["--reduce", "umap"], "--reduce expects none, pca:D or umap:D"),
        (["--reduce", "pca:500"], "dims must be an integer in 2..64"),
        (["--algorithm", "hdbscan"], "reduce them to at most 50 dimensions"),
        (["--split", "val"], "unknown split 'val'"),
    ],
)
def test_cluster_bad_input_exits_2_with_one_line(args, message, capsys):
    assert main(["cluster", "pixels", "--dataset", "digits", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1


EPISODE_KEYS = {
    "acc",
    "ci95",
    "episodes",
    "seconds",
    "method",
    "answer_seconds",
    "encoder",
    "dataset",
    "pool",
    "way",
    "shot",
    "queries",
    "seed",
}


@pytest.mark.parametrize("method", ["protonet", "cosine"])
def test_episodes_json(method, capsys):
    args = ["episodes", "pixels", "--dataset", "digits", "--way", "5", "--shot", "1", "--episodes", "50"]
    assert main([*args, "--method", method, "--device", "cpu", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == EPISODE_KEYS and result["episodes"] == 50 and result["method"] == method
    assert 0.2 < result["acc"] <= 1.0 and 0 < result["ci95"] < 0.1 and result["pool"] == "novel"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--way", "8"], "only 5 classes"),
        (["--shot", "100", "--queries", "100"], "has only"),
        (["--method", "maml"], "needs a MAML run"),
    ],
)
def test_episodes_bad_input_exits_2_with_one_line(args, message, capsys):
    assert main(["episodes", "pixels", "--dataset", "digits", "--episodes", "5", *args]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert message in lines[-1]
