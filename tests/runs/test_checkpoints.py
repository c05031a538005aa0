from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

from dul_models.core.errors import CheckpointError
from dul_models.models import build_model
from dul_models.runs import checkpoints
from dul_models.runs.checkpoints import list_runs, load_run, read_run_info, save_run
from dul_models.train.bundled import verify_manifest, write_manifest

CONFIG = {"image_shape": (1, 8, 8), "latent_dim": 3, "base_channels": 4}


@pytest.fixture
def model():
    torch.manual_seed(0)
    return build_model("autoencoder", CONFIG)


@pytest.fixture
def run(tmp_path, model):
    return save_run(
        tmp_path / "run",
        model,
        dataset="digits",
        seed=3,
        step=7,
        metrics={"psnr_clean_db": 20.0},
        preview=(torch.rand(4, 1, 8, 8), 2),
        title="tiny",
    )


def test_round_trip(run, model):
    assert sorted(p.name for p in run.iterdir()) == [
        "config.json",
        "metrics.json",
        "model.safetensors",
        "preview.png",
    ]
    loaded = load_run(run)
    assert not loaded.model.training
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value)
    meta = json.loads((run / "config.json").read_text())
    assert meta["family"] == "autoencoder" and meta["seed"] == 3 and meta["step"] == 7
    assert meta["torch_version"] == torch.__version__ and meta["dul_models_version"]
    assert loaded.info.metrics["psnr_clean_db"] == 20.0 and loaded.info.title == "tiny"


def test_no_temporary_files_left_and_no_pickle(run):
    assert not [p for p in run.iterdir() if p.name.startswith(".")]
    assert (run / "model.safetensors").read_bytes()[8:9] == b"{"  # safetensors header, not a pickle


def _edit_config(run, **changes):
    meta = json.loads((run / "config.json").read_text())
    for key, value in changes.items():
        if key.startswith("config."):
            meta["config"][key.split(".", 1)[1]] = value
        else:
            meta[key] = value
    (run / "config.json").write_text(json.dumps(meta))


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda r: (r / "config.json").write_text("{not json"), "not valid JSON"),
        (lambda r: (r / "config.json").unlink(), "has no config.json"),
        (lambda r: (r / "model.safetensors").unlink(), "has no model.safetensors"),
        (lambda r: (r / "model.safetensors").write_bytes(b"\x00" * 10), "corrupt or truncated"),
        (
            lambda r: (r / "model.safetensors").write_bytes((r / "model.safetensors").read_bytes()[:200]),
            "corrupt or truncated",
        ),
        (lambda r: _edit_config(r, family="gan9000"), "unknown family 'gan9000'"),
        (lambda r: _edit_config(r, **{"config.latent_dim": 4}), "tensor 'decoder.fc.weight' has shape"),
        (lambda r: _edit_config(r, **{"config.corruption": "blur"}), "unknown corruption 'blur'"),
        (lambda r: _edit_config(r, **{"config.colour": 1}), "unknown config field 'colour'"),
        (lambda r: _edit_config(r, format=99), "checkpoint format 99"),
        (lambda r: _edit_config(r, dataset=None), "field 'dataset'"),
    ],
)
def test_rejections_name_what_is_wrong(run, mutate, message):
    mutate(run)
    with pytest.raises(CheckpointError, match=message):
        load_run(run)


def test_missing_and_unexpected_tensors(run, model):
    state = {k: v for k, v in model.state_dict().items() if k != "encoder.fc.bias"}
    state["extra"] = torch.zeros(1)
    save_file(state, str(run / "model.safetensors"))
    with pytest.raises(CheckpointError, match="tensor 'encoder.fc.bias' is missing"):
        load_run(run)


def test_no_run_folder(tmp_path):
    with pytest.raises(CheckpointError, match="no run folder"):
        load_run(tmp_path / "nope")


def test_failed_write_keeps_previous_checkpoint(run, model, monkeypatch):
    before = (run / "model.safetensors").read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(checkpoints.os, "replace", explode)
    with pytest.raises(OSError):
        save_run(run, model, dataset="digits", seed=0, step=99)
    assert (run / "model.safetensors").read_bytes() == before
    assert not [p for p in run.iterdir() if p.name.startswith(".")]
    assert read_run_info(run).step == 7


def test_bundled_runs_are_read_only(tmp_path, model, monkeypatch):
    monkeypatch.setenv("DUL_BUNDLED_DIR", str(tmp_path / "bundled"))
    with pytest.raises(CheckpointError, match="read-only"):
        save_run(tmp_path / "bundled" / "x", model, dataset="digits", seed=0, step=1)
    save_run(tmp_path / "bundled" / "x", model, dataset="digits", seed=0, step=1, allow_bundled=True)
    assert read_run_info(tmp_path / "bundled" / "x").bundled


def test_list_runs_and_manifest(tmp_path, model, monkeypatch):
    monkeypatch.setenv("DUL_BUNDLED_DIR", str(tmp_path / "bundled"))
    monkeypatch.setenv("DUL_RUNS_DIR", str(tmp_path / "user"))
    save_run(tmp_path / "bundled" / "b1", model, dataset="digits", seed=0, step=1, allow_bundled=True)
    save_run(tmp_path / "user" / "u1", model, dataset="digits", seed=0, step=2)
    save_run(tmp_path / "user" / "u2", model, dataset="mnist5k", seed=0, step=2)
    (tmp_path / "user" / "broken").mkdir()
    (tmp_path / "user" / "broken" / "config.json").write_text("{")
    runs = list_runs(dataset="digits")
    assert [(r.name, r.bundled) for r in runs] == [("b1", True), ("u1", False)]
    write_manifest()
    assert verify_manifest() == []
    (tmp_path / "bundled" / "b1" / "metrics.json").write_text("{}")
    assert any("differs" in p for p in verify_manifest())


def test_new_run_dir_is_unique(tmp_path):
    first = checkpoints.new_run_dir("autoencoder", "digits", root=tmp_path)
    first.mkdir()
    assert checkpoints.new_run_dir("autoencoder", "digits", root=tmp_path) != first


def test_shipped_bundled_runs_are_intact_and_load():
    assert verify_manifest() == []
    runs = [r for r in list_runs() if r.bundled]
    assert {"autoencoder-mnist5k-denoising", "autoencoder-mnist5k-plain"} <= {r.name for r in runs}
    for info in runs:
        load_run(info.path)
