"""Sets larger than memory: a large split stays memory-mapped, batches and evaluations convert only their
rows, and the numbers are the in-memory path's on the same seed (`data/large_splits.py`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dul_models.__main__ import main
from dul_models.data import get_dataset, large_splits
from dul_models.data.imported import ImportOptions, plan_import, run_import
from dul_models.features import encoders
from dul_models.features.encoders import EncoderSpec, features
from dul_models.models import base, build_model
from dul_models.train import trainer as trainer_module
from dul_models.train.trainer import TrainConfig, Trainer

N_IMAGES, SIZE = 700, 28  # 560 train / 140 test: more training rows than one embedding chunk (500)
EVAL_ROWS = 10  # the lowered threshold holds this many images as float32


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DUL_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def imported(tmp_path: Path):
    """A generated 28×28 colour set in two class folders, imported (stored as memory-mapped .npy files)."""
    rng = np.random.default_rng(0)
    for i in range(N_IMAGES):
        folder = tmp_path / "src" / f"class{i % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        base_colour = np.array([200, 40, 40] if i % 2 else [40, 40, 200], dtype=np.float32)
        pixels = np.clip(base_colour + rng.normal(0, 40, (SIZE, SIZE, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{i:04d}.png")
    run_import(plan_import(tmp_path / "src", ImportOptions("big", size=SIZE, channels=3)))
    return get_dataset("big")


def lower_threshold(monkeypatch: pytest.MonkeyPatch, dataset) -> None:
    """Every split of `dataset` counts as large; EVAL_ROWS images fit at once."""
    per_image = large_splits.float32_bytes(dataset.test.x[:1])
    monkeypatch.setattr(large_splits, "LARGE_SPLIT_BYTES", EVAL_ROWS * per_image)
    assert large_splits.is_large(dataset.train.x) and large_splits.is_large(dataset.test.x)


def spy_conversions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Rows of every uint8 → float conversion the trainer, the batches and the encoders make."""
    rows: list[int] = []
    original = large_splits.to_float

    def spy(x: torch.Tensor) -> torch.Tensor:
        if x.dtype == torch.uint8:
            rows.append(x.shape[0])
        return original(x)

    for module in (large_splits, base, trainer_module, encoders):
        monkeypatch.setattr(module, "to_float", spy)
    return rows


def mapped_file(tensor: torch.Tensor) -> str | None:
    """The file whose memory mapping holds the tensor's first byte (Linux), or None."""
    address = tensor.data_ptr()
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split()
        start, end = (int(v, 16) for v in fields[0].split("-"))
        if start <= address < end:
            return fields[5] if len(fields) > 5 else None
    return None


def train(dataset, tmp_path: Path, name: str) -> Trainer:
    model = build_model("autoencoder", {"image_shape": dataset.image_shape, "base_channels": 4}, seed=0)
    config = TrainConfig(
        steps=12, batch_size=16, seed=3, device="cpu", eval_every=6, eval_items=100, preview_every=4
    )
    trainer = Trainer(model, dataset, config, run_dir=tmp_path / name)
    trainer.fit()
    return trainer


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the process's memory map (Linux)")
def test_the_imported_set_stays_memory_mapped_and_trains_as_in_memory(imported, tmp_path, monkeypatch):
    in_memory = train(imported, tmp_path, "in-memory")
    expected_final = in_memory.evaluate(EVAL_ROWS, quick=False)
    lower_threshold(monkeypatch, imported)
    conversions = spy_conversions(monkeypatch)
    streamed = train(imported, tmp_path, "streamed")

    # the trainer draws from the very memory maps of the .npy files: nothing was copied whole
    assert streamed.streaming and streamed.large_test
    assert streamed.x_train is imported.train.x and streamed.x_test is imported.test.x
    assert mapped_file(streamed.x_train).endswith("/imported/big/x_train.npy")
    assert mapped_file(streamed.x_test).endswith("/imported/big/x_test.npy")
    assert conversions and max(conversions) <= 16  # batches (16), previews (8), evaluations (EVAL_ROWS)

    # the same weights, losses, previews and metrics (on the first EVAL_ROWS test images) as in memory
    for key, value in in_memory.model.state_dict().items():
        assert torch.equal(value, streamed.model.state_dict()[key]), key
    assert [row["loss"] for row in streamed.history] == [row["loss"] for row in in_memory.history]
    assert torch.equal(streamed.preview[0], in_memory.preview[0])
    final = dict(streamed.final_metrics)
    assert final.pop("eval_note").startswith(f"evaluated on the first {EVAL_ROWS} of 140 test images")
    assert final == expected_final


def test_embedding_a_large_split_converts_it_chunk_by_chunk(imported, tmp_path, monkeypatch):
    run_dir = train(imported, tmp_path, "run").run_dir
    spec = EncoderSpec("run", str(run_dir))
    expected = {split: features(spec, imported, split) for split in ("train", "test", "all")}
    lower_threshold(monkeypatch, imported)
    conversions = spy_conversions(monkeypatch)
    encoders._all_images.cache_clear()
    for split in ("train", "test"):
        np.testing.assert_array_equal(features(spec, imported, split), expected[split])
    # train then test, encoded apart (chunks of 500 either way): no concatenation of the images
    np.testing.assert_allclose(features(spec, imported, "all"), expected["all"], rtol=1e-5, atol=1e-6)
    assert encoders._all_images.cache_info().currsize == 0
    assert max(conversions) <= encoders.CHUNK < len(imported.train)

    out = tmp_path / "all.npz"
    assert (
        main(
            [
                "embed",
                str(run_dir),
                "--dataset",
                "big",
                "--split",
                "all",
                "--device",
                "cpu",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    with np.load(out) as saved:
        np.testing.assert_allclose(saved["features"], expected["all"], rtol=1e-5, atol=1e-6)
        assert saved["labels"].tolist() == [*imported.train.y.tolist(), *imported.test.y.tolist()]
    assert encoders._all_images.cache_info().currsize == 0


def test_pca_of_a_large_split_is_fitted_on_the_rows_that_fit(imported, monkeypatch):
    lower_threshold(monkeypatch, imported)
    conversions = spy_conversions(monkeypatch)
    encoders.pixel_pca.cache_clear()
    vectors = features(EncoderSpec("pca"), imported, "test")
    pca = encoders.pixel_pca(imported)
    assert pca.n_samples_ == EVAL_ROWS and vectors.shape == (len(imported.test), EVAL_ROWS)
    assert max(conversions) <= EVAL_ROWS  # the fit's rows, then the test split in pieces of as many
    pixels = imported.test.x.flatten(1).numpy().astype(np.float32) / 255
    np.testing.assert_allclose(vectors, pca.transform(pixels), rtol=1e-4, atol=1e-4)
    encoders.pixel_pca.cache_clear()


def test_batches_of_a_split_on_the_cpu_are_moved_one_by_one():
    x = torch.randint(0, 256, (40, 3, 4, 4), dtype=torch.uint8)
    y = torch.arange(40)
    batch = next(base.uniform_batches(x, y, 8, torch.Generator().manual_seed(0), "meta"))
    assert batch.x.device.type == "meta" and batch.x.dtype == torch.float32 and batch.y.device.type == "meta"
    batch = next(base.uniform_batches(x, y, 8, torch.Generator().manual_seed(0), "cpu"))
    assert torch.equal(batch.x, x[batch.y].float() / 255)  # the rows drawn, converted alone
    assert large_splits.batch_to(batch, "cpu") is batch  # nothing to move: the same object
    moved = large_splits.batch_to(batch, "meta")
    assert moved.x.device.type == "meta" and moved.y.device.type == "meta" and batch.x.device.type == "cpu"
    assert large_splits.batch_to(y, "meta") is y  # not a batch: passed through
