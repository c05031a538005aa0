from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dul_models.__main__ import main
from dul_models.runs.checkpoints import bundled_dir

BUNDLED = bundled_dir()


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dul_models", *args], capture_output=True, text=True, timeout=300
    )


def test_datasets_one_line_each(capsys):
    assert main(["datasets"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("mnist5k") and "embedded" in lines[0]
    assert any(line.startswith("cifar10") and "download" in line for line in lines)


def test_train_eval_list_round_trip(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "autoencoder",
            "--dataset",
            "digits",
            "--steps",
            "12",
            "--seed",
            "1",
            "--out",
            str(out),
            "--set",
            "base_channels=4",
            "--set",
            "batch_size=32",
            "--set",
            "corruption=salt_pepper",
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out)  # path printed last
    assert main(["eval", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["family"] == "autoencoder" and result["n_images"] > 300 and "psnr_gain_db" in result
    assert main(["list", "--json"]) == 0
    assert any(row["bundled"] for row in json.loads(capsys.readouterr().out))


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["train", "autoencoder", "--dataset", "imagenet"],
            "unknown dataset 'imagenet'; choose from: mnist5k",
        ),
        (
            ["train", "autoencoder", "--set", "colour=red"],
            "unknown key 'colour' for family 'autoencoder'; allowed:",
        ),
        (["train", "autoencoder", "--set", "latent_dim=big"], "field 'latent_dim' expects int"),
        (["train", "autoencoder", "--set", "noise_level=3"], "noise_level must be in [0, 1]"),
        (["train", "autoencoder", "--set", "oops"], "--set expects key=value"),
        (["eval", "/nonexistent/run"], "no run folder at /nonexistent/run"),
        (
            ["eval", str(BUNDLED / "autoencoder-mnist5k-plain"), "--set", "k=5"],
            "unknown evaluation option 'k'",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1


def test_unknown_family_via_subprocess():
    result = run_cli("train", "gpt")
    assert result.returncode == 2 and "invalid choice: 'gpt'" in result.stderr


def test_corrupt_run_exits_2(tmp_path):
    (tmp_path / "config.json").write_text("{broken")
    result = run_cli("eval", str(tmp_path))
    assert result.returncode == 2 and "not valid JSON" in result.stderr and "Traceback" not in result.stderr


EMBEDDING_RUNS = {"vae-mnist5k-z16": 16, "autoencoder-mnist5k-denoising": 32, "classifier-mnist5k": 128}


@pytest.mark.parametrize("encoder", ["pixels", "pca", "random", *(str(BUNDLED / r) for r in EMBEDDING_RUNS)])
def test_embed_writes_all_three_formats(encoder, tmp_path, capsys):
    import numpy as np

    run = encoder.rsplit("/", 1)[-1]
    dataset = "mnist5k" if run in EMBEDDING_RUNS else "digits"
    for ending in (".npz", ".csv", ".tsv"):
        out = tmp_path / f"features{ending}"
        assert main(["embed", encoder, "--dataset", dataset, "--out", str(out)]) == 0
        assert out.is_file()
    arrays = np.load(tmp_path / "features.npz")
    n, dim = arrays["features"].shape
    assert n == (1000 if dataset == "mnist5k" else 360) and arrays["index"].tolist() == list(range(n))
    assert dim == {"pixels": 64, "pca": 50, "random": 576, **EMBEDDING_RUNS}[run]
    csv_lines = (tmp_path / "features.csv").read_text().splitlines()
    assert len(csv_lines) == n + 1 and csv_lines[0].startswith("index,label,f0")
    assert len((tmp_path / "features.tsv").read_text().splitlines()) == n
    metadata = (tmp_path / "features-metadata.tsv").read_text().splitlines()
    assert metadata[0] == "index\tlabel" and len(metadata) == n + 1
    assert [int(line.split("\t")[1]) for line in metadata[1:]] == arrays["labels"].tolist()


@pytest.mark.parametrize(
    "args, message",
    [
        (["embed", "sift", "--out", "x.npz"], "unknown encoder 'sift'"),
        (["embed", "pixels", "--dataset", "imagenet", "--out", "x.npz"], "unknown dataset 'imagenet'"),
        (["embed", "pixels", "--split", "val", "--out", "x.npz"], "unknown split 'val'"),
        (["embed", "pixels", "--out", "x.json"], "--out must end in one of .npz, .csv, .tsv"),
        (["embed", str(BUNDLED / "dcgan-mnist5k"), "--out", "x.npz"], "has no embedding"),
    ],
)
def test_embed_bad_input_exits_2_with_one_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("family", ["simclr", "moco"])
def test_self_supervised_eval_json_has_the_representation_keys(family, tmp_path, capsys):
    out = tmp_path / family
    settings = (
        ["width=4", "batch_size=32", "queue_size=64"] if family == "moco" else ["width=4", "batch_size=32"]
    )
    args = ["train", family, "--dataset", "digits", "--steps", "4", "--out", str(out)]
    assert main([*args, *(a for s in settings for a in ("--set", s))]) == 0
    capsys.readouterr()
    assert main(["eval", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("knn_acc", "linear_probe_acc_10", "pretext_acc", "alignment", "uniformity", "embedding_std"):
        assert 0 <= abs(result[key]) < 10, key
    assert result["linear_probe_acc_10"] > 0.1  # above chance on 10 classes even for a barely trained net


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "simclr", "--set", "temperature=0"], "temperature must be a positive number"),
        (
            ["train", "moco", "--set", "queue_size=1000"],
            "queue_size 1000 is not a multiple of batch_size 128",
        ),
        (["train", "simclr", "--set", "crop_scale=0"], "augmentation crop_scale must be in [0.05, 1.0]"),
    ],
)
def test_self_supervised_bad_settings_exit_2(args, message, capsys):
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_deepcluster_eval_json_has_the_cluster_scores(tmp_path, capsys):
    out = tmp_path / "deepcluster"
    settings = ["width=4", "batch_size=32", "steps_per_round=4"]
    args = ["train", "deepcluster", "--dataset", "digits", "--steps", "8", "--out", str(out)]
    assert main([*args, *(a for s in settings for a in ("--set", s))]) == 0
    capsys.readouterr()
    assert main(["eval", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("cluster_acc", "nmi", "ari", "knn_acc", "largest_cluster_share"):
        assert 0 <= result[key] <= 1, key
    assert result["cluster_acc"] > 0.2  # whitened features of a barely trained net already group digits


def test_semisup_eval_json_has_the_label_budget_and_pseudo_label_scores(tmp_path, capsys):
    out = tmp_path / "semisup"
    settings = ["width=4", "batch_size=16", "unlabelled_ratio=2", "labels_per_class=4"]
    args = ["train", "semisup", "--dataset", "digits", "--steps", "6", "--out", str(out)]
    assert main([*args, *(a for s in settings for a in ("--set", s))]) == 0
    capsys.readouterr()
    assert main(["eval", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["method"] == "fixmatch" and result["labels_per_class"] == 4
    for key in ("test_acc", "pseudo_label_acc", "mask_rate"):
        assert 0 <= result[key] <= 1, key


def test_semisup_budget_larger_than_a_class_exits_2(tmp_path, capsys):
    args = ["train", "semisup", "--dataset", "digits", "--steps", "2", "--out", str(tmp_path / "run")]
    assert main([*args, "--set", "labels_per_class=500"]) == 2
    assert "labels_per_class=500 is more than the" in capsys.readouterr().err
