from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dul_models.__main__ import main
from dul_models.checkpoints import bundled_dir

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
