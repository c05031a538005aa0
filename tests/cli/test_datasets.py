"""`python -m dul_models datasets [import | remove]`: listing, importing your own images, removing them."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dul_models.__main__ import main
from dul_models.data import get_dataset, registry
from dul_models.data.imported_sets import imported_root


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DUL_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _images(root: Path, classes: dict[str, int], mode: str = "RGB") -> Path:
    for name, count in classes.items():
        for i in range(count):
            folder = root / name if name else root
            folder.mkdir(parents=True, exist_ok=True)
            Image.new(mode, (24, 24), 30 * i if mode == "L" else (10 * i, 100, 200)).save(folder / f"{i}.png")
    return root


def _nothing_left() -> bool:
    root = imported_root()
    return not root.exists() or list(root.iterdir()) == []


def test_listing_without_imports_is_exactly_as_before(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    expected = [
        f"{spec.name:<14} {'embedded' if spec.embedded else 'download':<9} {spec.title} — {spec.description}"
        for spec in registry.DATASETS.values()
    ]
    assert lines == expected


def test_import_json_then_listed_marked_then_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _images(tmp_path / "src", {"circles": 8, "squares": 6})
    for i in range(25):
        (source / "squares" / f"note{i:02d}.txt").write_text("not an image")
    assert main(["datasets", "import", str(source), "--name", "shapes-mine", "--json", "--seed", "3"]) == 0
    out = capsys.readouterr()
    result = json.loads(out.out)
    assert result["labelled"] and result["classes"] == ["circles", "squares"]
    assert result["counts"]["train"] + result["counts"]["test"] == 14
    assert result["counts"]["per_class"]["squares"] == {"train": 5, "test": 1}
    assert result["skipped_count"] == 25 and len(result["skipped"]) == 20
    assert result["skipped"][0] == {"path": "squares/note00.txt", "why": result["skipped"][0]["why"]}
    assert result["skipped"][0]["why"].startswith("not an image")
    assert result["seconds"] >= 0 and (result["size"], result["channels"]) == (32, 3)
    assert "importing shapes-mine" in out.err  # the progress bar, on stderr

    assert main(["datasets"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(
        "shapes-mine    imported  shapes-mine — your images: 14 (11 train / 3 test), 2 classes"
    )
    assert get_dataset("shapes-mine").has_labels

    assert main(["datasets", "remove", "shapes-mine"]) == 0
    assert "removed 'shapes-mine'" in capsys.readouterr().err
    assert main(["datasets"]) == 0
    assert "shapes-mine" not in capsys.readouterr().out
    assert _nothing_left()


def test_import_a_zip_with_options_prints_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _images(tmp_path / "src", {"": 12}, mode="L")
    archive = tmp_path / "scans.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(folder.iterdir()):
            out.write(path, f"scans/{path.name}")
    args = ["datasets", "import", str(archive), "--name", "scans", "--size", "64", "--channels", "3"]
    assert main([*args, "--test-share", "0.25"]) == 0
    out = capsys.readouterr().out
    assert "imported 'scans': 9 train / 3 test images, unlabelled, 64×64×3" in out
    assert "note: one class only ('scans'): imported as unlabelled" in out and out.strip().endswith(
        str(imported_root() / "scans")
    )
    assert get_dataset("scans").image_shape == (3, 64, 64)


def test_replace_swaps_an_imported_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _images(tmp_path / "one", {"a": 6, "b": 6})
    _images(tmp_path / "two", {"a": 6, "b": 6, "c": 6})
    assert main(["datasets", "import", str(tmp_path / "one"), "--name", "abc"]) == 0
    assert main(["datasets", "import", str(tmp_path / "two"), "--name", "abc"]) == 2
    assert "already imported" in capsys.readouterr().err
    assert main(["datasets", "import", str(tmp_path / "two"), "--name", "abc", "--replace"]) == 0
    assert get_dataset("abc").class_names == ("a", "b", "c")


def _bad_zip(tmp_path: Path) -> Path:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("../outside.png", b"x")
    return archive


@pytest.mark.parametrize(
    "make_args, message",
    [
        (
            lambda p: ["import", str(p / "src"), "--name", "mnist5k"],
            "'mnist5k' is the name of a built-in data set",
        ),
        (lambda p: ["import", str(p / "src"), "--name", "a/b"], "data set name 'a/b' may not contain '/'"),
        (lambda p: ["import", str(p / "src"), "--name", ""], "the data set needs a name"),
        (
            lambda p: ["import", str(p / "src"), "--name", "x", "--test-share", "0.9"],
            "test_share must be between",
        ),
        (lambda p: ["import", str(p / "nowhere"), "--name", "x"], "no file or folder at"),
        (
            lambda p: ["import", str(p / "few"), "--name", "x"],
            "found only 4 images in few (at least 10 are needed)",
        ),
        (
            lambda p: ["import", str(_bad_zip(p)), "--name", "x"],
            "its entry '../outside.png' points outside the folder",
        ),
        (lambda p: ["remove", "nothing"], "no imported data set named 'nothing'; imported ones: none"),
        (
            lambda p: ["remove", "cifar10"],
            "'cifar10' is a built-in data set; only imported ones can be removed",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_and_leaves_nothing(
    make_args, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _images(tmp_path / "src", {"a": 6, "b": 6})
    _images(tmp_path / "few", {"a": 2, "b": 2})
    assert main(["datasets", *make_args(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1
    assert _nothing_left()


def test_a_bad_size_is_refused_by_argparse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["datasets", "import", str(tmp_path), "--name", "x", "--size", "30"])
    assert caught.value.code == 2 and "invalid choice: 30" in capsys.readouterr().err


def test_an_imported_set_trains_and_embeds_from_the_command_line(tmp_path: Path, data_folder: Path) -> None:
    _images(tmp_path / "src", {"a": 12, "b": 12}, mode="L")
    env = {"DUL_DATA_DIR": str(data_folder)}

    def cli(*args: str) -> subprocess.CompletedProcess:
        import os

        return subprocess.run(
            [sys.executable, "-m", "dul_models", *args],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, **env},
        )

    assert cli("datasets", "import", str(tmp_path / "src"), "--name", "mine").returncode == 0
    run = tmp_path / "run"
    trained = cli(
        "train",
        "autoencoder",
        "--dataset",
        "mine",
        "--steps",
        "3",
        "--out",
        str(run),
        "--set",
        "base_channels=4",
        "--set",
        "batch_size=8",
    )
    assert trained.returncode == 0, trained.stderr
    embedded = cli("embed", "pixels", "--dataset", "mine", "--out", str(tmp_path / "f.npz"))
    assert embedded.returncode == 0, embedded.stderr


@pytest.mark.parametrize("layout", ["class-folder zip", "flat folder"])
def test_an_imported_set_embeds_clusters_and_trains_simclr_and_a_vae(
    tmp_path: Path, data_folder: Path, layout: str
) -> None:
    """The issue's path from a clean clone: import, then embed, cluster, train simclr and train vae."""
    import os

    rng = np.random.default_rng(0)
    source = tmp_path / "src"
    for k, name in enumerate(("a", "b", "c")):  # three classes of different brightness, noisy
        folder = source / name if layout == "class-folder zip" else source
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(12):
            pixels = np.clip(60 * k + rng.normal(40, 20, (20, 26)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels, "L").save(folder / f"{name}{i}.png")
    if layout == "class-folder zip":
        with zipfile.ZipFile(tmp_path / "src.zip", "w") as archive:
            for path in sorted(source.rglob("*.png")):
                archive.write(path, path.relative_to(source).as_posix())
        source = tmp_path / "src.zip"

    def cli(*args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "DUL_DATA_DIR": str(data_folder), "DUL_RUNS_DIR": str(tmp_path / "runs")}
        done = subprocess.run(
            [sys.executable, "-m", "dul_models", *args], capture_output=True, text=True, timeout=300, env=env
        )
        assert done.returncode == 0, done.stderr
        return done

    summary = json.loads(cli("datasets", "import", str(source), "--name", "own", "--json").stdout)
    assert summary["labelled"] is (layout == "class-folder zip")
    cli("embed", "pixels", "--dataset", "own", "--out", str(tmp_path / "own.npz"))
    assert np.load(tmp_path / "own.npz")["features"].shape == (summary["counts"]["test"], 28 * 28)
    clustered = json.loads(cli("cluster", "pixels", "--dataset", "own", "--k", "3", "--json").stdout)
    assert clustered["k"] == 3 and ("acc" in clustered) is (layout == "class-folder zip")
    for family, settings in (
        ("simclr", ("width=4", "projection_dim=4")),
        ("vae", ("latent_dim=3", "base_channels=4")),
    ):
        out = tmp_path / f"run-{family}"
        sets = [arg for value in (*settings, "batch_size=8") for arg in ("--set", value)]
        cli("train", family, "--dataset", "own", "--steps", "3", "--out", str(out), *sets)
        assert (out / "model.safetensors").is_file() and json.loads((out / "config.json").read_text())[
            "dataset"
        ] == "own"
