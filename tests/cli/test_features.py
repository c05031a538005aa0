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


def _json(capsys, args):
    assert main(args) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _without(result, *keys):
    return {k: v for k, v in result.items() if k not in {"encoder", "seconds", *keys}}


def test_a_file_embed_writes_is_an_encoder_with_the_same_numbers(capsys, tmp_path):
    every, test = tmp_path / "pixels-all.npz", tmp_path / "pixels-test.csv"
    assert main(["embed", "pixels", "--dataset", "digits", "--split", "all", "--out", str(every)]) == 0
    assert main(["embed", str(every), "--dataset", "digits", "--out", str(test)]) == 0  # a file re-exported
    assert capsys.readouterr().out.split() == [str(every), str(test)]
    assert len(test.read_text().splitlines()) == 1 + 360

    probe = ["probe", "--dataset", "digits", "--device", "cpu", "--json"]
    from_file = _json(capsys, [probe[0], str(every), *probe[1:]])
    assert from_file["encoder"] == "features from pixels-all.npz"
    assert _without(from_file) == _without(_json(capsys, [probe[0], "pixels", *probe[1:]]))

    for split in ("test", "train"):
        cluster = ["cluster", "--dataset", "digits", "--split", split, "--json"]
        from_file = _json(capsys, [cluster[0], str(every), *cluster[1:]])
        assert from_file["encoder"] == "features from pixels-all.npz" and from_file["split"] == split
        expected = _json(capsys, [cluster[0], "pixels", *cluster[1:]])
        assert _without(from_file, "reduce_seconds") == _without(expected, "reduce_seconds")

    episodes = ["episodes", "--dataset", "digits", "--episodes", "30", "--device", "cpu", "--json"]
    from_file = _json(capsys, [episodes[0], str(every), *episodes[1:]])
    expected = _json(capsys, [episodes[0], "pixels", *episodes[1:]])
    assert _without(from_file, "answer_seconds") == _without(expected, "answer_seconds")


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["probe"], "pixels-test.npz has 360 rows but the train split of digits has 1437 images"),
        (["cluster", "--split", "train"], "has 360 rows but the train split of digits has 1437 images"),
        (["episodes", "--episodes", "5"], "images are not among the test images of digits"),
    ],
)
def test_a_file_of_another_split_exits_2_with_one_line(command, message, capsys, tmp_path):
    path = tmp_path / "pixels-test.npz"
    assert main(["embed", "pixels", "--dataset", "digits", "--out", str(path)]) == 0
    capsys.readouterr()
    assert main([command[0], str(path), "--dataset", "digits", *command[1:]]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("error: ") and message in lines[-1] and "--split all" in lines[-1]
