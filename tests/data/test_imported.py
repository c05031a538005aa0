"""Importing your own images: layouts, every bad input with its message, nothing left behind, memory maps."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import stat
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dul_models.core.errors import ConfigError, DatasetUnavailableError, DULError
from dul_models.data import get_dataset, image_folder, image_sources, imported, list_datasets
from dul_models.data.image_folder import decode_square
from dul_models.data.image_sources import ImportSourceError
from dul_models.data.imported import (
    ImportCancelledError,
    ImportOptions,
    ImportStorageError,
    list_imported,
    plan_import,
    remove_imported,
    run_import,
    split_indices,
)
from dul_models.data.imported_sets import imported_root

RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (20, 200, 20)


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DUL_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _save(path: Path, image: Image.Image, fmt: str | None = None, **options: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, fmt, **options)
    return path


def _folder(root: Path, classes: dict[str, tuple[int, tuple[int, int, int]]], size=(40, 30)) -> Path:
    """class name → (count, colour): one solid-colour PNG per image, so a label can be read off its pixels."""
    for name, (count, colour) in classes.items():
        for i in range(count):
            _save(root / name / f"{i:03d}.png", Image.new("RGB", size, colour))
    return root


def _zip(folder: Path, archive: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out.write(path, prefix + path.relative_to(folder).as_posix())
    return archive


def _nothing_left() -> bool:
    root = imported_root()
    return not root.exists() or list(root.iterdir()) == []


def _import(source: Path, name: str = "mine", **options: object):
    plan = plan_import(source, ImportOptions(name, **options))
    return plan, run_import(plan)


def _colour_of(x: torch.Tensor) -> tuple[int, ...]:
    return tuple(int(v) for v in x.float().mean(dim=(-2, -1)).round())


# ---------------------------------------------------------------------------------------------------
# Layouts
# ---------------------------------------------------------------------------------------------------


def test_labelled_folder_plans_imports_and_loads_like_any_dataset(tmp_path: Path) -> None:
    source = _folder(tmp_path / "src", {"dogs": (12, BLUE), "cats": (10, RED)})
    _save(source / "cats" / "kittens" / "deep.png", Image.new("RGB", (30, 30), RED))  # recursive
    (source / "cats" / "notes.txt").write_text("not an image")
    (source / ".DS_Store").write_bytes(b"\0")
    _save(source / ".thumbs" / "t.png", Image.new("RGB", (8, 8)))
    (source / "__MACOSX").mkdir()
    (source / "empty").mkdir()

    plan = plan_import(source, ImportOptions("pets"))
    assert plan.labelled and plan.classes == ("cats", "dogs")  # sorted
    assert plan.counts == {"cats": 11, "dogs": 12} and plan.total == 23 and plan.smallest_class == 11
    assert (plan.size, plan.channels) == (32, 3)
    assert dict(plan.skipped) == {
        ".DS_Store": "hidden file",
        ".thumbs/": "hidden folder",
        "__MACOSX/": "hidden folder",
        "cats/notes.txt": image_folder._NOT_IMAGE,
        "empty/": "empty folder",
    }
    assert set(plan.previews) == {"cats", "dogs"}
    assert plan.previews["cats"].shape == (4, 3, 32, 32) and plan.previews["cats"].dtype == np.uint8
    assert _colour_of(torch.from_numpy(plan.previews["dogs"][0])) == BLUE
    assert _nothing_left()  # planning writes nothing

    report = run_import(plan)
    assert (report.n_train, report.n_test) == (19, 4)  # round(11 × 0.2) + round(12 × 0.2)
    assert report.counts == {"cats": {"train": 9, "test": 2}, "dogs": {"train": 10, "test": 2}}
    data = get_dataset("pets")
    assert data.has_labels and data.class_names == ("cats", "dogs") and data.image_shape == (3, 32, 32)
    assert data.embedded and "imported from src" in data.source
    for split in (data.train, data.test):
        assert split.x.dtype == torch.uint8 and split.y.dtype == torch.int64
        for image, label in zip(split.x, split.y.tolist(), strict=True):
            assert _colour_of(image) == (RED, BLUE)[label]
    spec = next(s for s in list_datasets() if s.name == "pets")
    assert spec.imported and "23 (19 train / 4 test), 2 classes, 32×32 colour" in spec.description
    assert not any(s.imported for s in list_datasets() if s.name != "pets")

    folder = imported_root() / "pets"
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.json",
        "x_test.npy",
        "x_train.npy",
        "y_test.npy",
        "y_train.npy",
    ]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["source"] == str(source.resolve()) and manifest["split_seed"] == 0
    assert manifest["classes"] == ["cats", "dogs"] and manifest["size"] == 32 and manifest["channels"] == 3
    assert manifest["counts"]["train"] == 19 and manifest["skipped_count"] == 5 and manifest["created"]
    for file, digest in manifest["checksums"].items():
        assert digest == "sha256:" + hashlib.sha256((folder / file).read_bytes()).hexdigest()
    assert np.array_equal(np.load(folder / "x_train.npy"), data.train.x.numpy())  # plain .npy files


def test_flat_greyscale_folder_is_unlabelled_28px_grey(tmp_path: Path) -> None:
    for i in range(12):
        _save(tmp_path / "src" / f"{i}.png", Image.new("L", (20, 50), 40 + 10 * i))
    plan, report = _import(tmp_path / "src", "scans")
    assert not plan.labelled and plan.classes == () and plan.counts == {} and plan.smallest_class is None
    assert (plan.size, plan.channels) == (28, 1) and list(plan.previews) == [""]
    assert plan.previews[""].shape == (8, 1, 28, 28)
    assert any("no class folders" in note for note in plan.notes)
    assert any("enlarged" in note for note in plan.notes)  # 20 px wide < 28
    data = get_dataset("scans")
    assert not data.has_labels and data.class_names == () and data.num_classes == 0
    assert (data.train.y == -1).all() and (data.test.y == -1).all()
    assert (len(data.train), len(data.test)) == (10, 2) and data.image_shape == (1, 28, 28)


def test_options_override_size_and_channels(tmp_path: Path) -> None:
    source = _folder(tmp_path / "src", {"a": (6, RED), "b": (6, BLUE)})
    plan = plan_import(source, ImportOptions("small", size=64, channels=1))
    assert (plan.size, plan.channels) == (64, 1)
    assert any("converted to greyscale" in note for note in plan.notes)
    run_import(plan)
    assert get_dataset("small").image_shape == (1, 64, 64)


def test_metadata_csv_overrides_folder_labels_and_lists_missing_files(tmp_path: Path) -> None:
    source = _folder(tmp_path / "src", {"a": (6, RED), "b": (6, BLUE)})
    for i in range(4):
        _save(source / f"loose{i}.png", Image.new("RGB", (30, 30), GREEN))
    (source / "metadata.csv").write_text(
        "file_name,label,extra\n"
        + "".join(f"loose{i}.png,c,x\n" for i in range(4))
        + "a/000.png,b,x\n"  # relabelled: a red image now counts as b
        + "missing.png,a,x\n"
        + "a/001.png,,x\n"  # no label: ignored, its folder label stands
    )
    plan = plan_import(source, ImportOptions("meta"))
    assert plan.classes == ("a", "b", "c") and plan.counts == {"a": 5, "b": 7, "c": 4}
    assert ("missing.png", "listed in metadata.csv but not found") in plan.skipped
    assert any("1 rows without a file name or label" in note for note in plan.notes)
    run_import(plan)
    data = get_dataset("meta")
    labels = torch.cat([data.train.y, data.test.y])
    assert torch.bincount(labels).tolist() == [5, 7, 4]


def test_metadata_csv_labels_a_flat_folder_and_skips_unlisted_files(tmp_path: Path) -> None:
    for i in range(12):
        _save(tmp_path / "src" / f"{i}.png", Image.new("RGB", (30, 30), RED if i % 2 else BLUE))
    (tmp_path / "src" / "metadata.csv").write_text(
        "file_name,label\n" + "".join(f"{i}.png,{'red' if i % 2 else 'blue'}\n" for i in range(11))
    )
    plan = plan_import(tmp_path / "src", ImportOptions("flatmeta"))
    assert plan.classes == ("blue", "red") and plan.total == 11
    assert ("11.png", "not named in metadata.csv: labelled set, so it has no class") in plan.skipped


def test_metadata_csv_without_the_columns_is_refused(tmp_path: Path) -> None:
    source = _folder(tmp_path / "src", {"a": (6, RED), "b": (6, BLUE)})
    (source / "metadata.csv").write_text("name,class\nx.png,a\n")
    with pytest.raises(ImportSourceError, match="needs a header line with the columns file_name and label"):
        plan_import(source, ImportOptions("badcsv"))


def test_images_beside_class_folders_are_skipped_with_why(tmp_path: Path) -> None:
    source = _folder(tmp_path / "src", {"a": (6, RED), "b": (6, BLUE)})
    _save(source / "stray.png", Image.new("RGB", (30, 30), GREEN))
    plan = plan_import(source, ImportOptions("stray"))
    assert ("stray.png", "outside any class folder: labelled set, so it has no class") in plan.skipped


def test_zip_with_a_wrapper_folder_and_macos_extras(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "src", {"dogs": (7, BLUE), "cats": (7, RED)})
    archive = _zip(folder, tmp_path / "pets.zip", prefix="pets/")
    with zipfile.ZipFile(archive, "a") as out:
        out.writestr("__MACOSX/pets/cats/._000.png", b"resource fork")
        out.writestr("pets/.DS_Store", b"\0")
    plan, report = _import(archive, "zipped")
    assert plan.kind == "zip" and plan.classes == ("cats", "dogs") and plan.counts == {"cats": 7, "dogs": 7}
    assert dict(plan.skipped) == {"__MACOSX/": "hidden folder", "pets/.DS_Store": "hidden file"}
    data = get_dataset("zipped")
    for image, label in zip(data.train.x, data.train.y.tolist(), strict=True):
        assert _colour_of(image) == (RED, BLUE)[label]


# ---------------------------------------------------------------------------------------------------
# Unsafe zips: refused whole, before anything is decompressed
# ---------------------------------------------------------------------------------------------------


def _good_zip(path: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for i in range(12):
            buffer = io.BytesIO()
            Image.new("RGB", (20, 20), RED).save(buffer, "PNG")
            out.writestr(f"{i}.png", buffer.getvalue())
        for info, data in extra:
            out.writestr(info, data)
    return path


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # unix, where the mode bits mean what they say
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(
    "entry, message",
    [
        ("../evil.png", "its entry '../evil.png' points outside the folder"),
        ("a/../../evil.png", "its entry 'a/../../evil.png' points outside the folder"),
        ("/etc/evil.png", "its entry '/etc/evil.png' points outside the folder"),
        ("C:/evil.png", "its entry 'C:/evil.png' points outside the folder"),
        (_symlink("link.png"), "its entry 'link.png' is a symbolic link"),
    ],
)
def test_zip_entries_that_escape_or_link_refuse_the_whole_zip(
    entry, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _good_zip(tmp_path / "bad.zip", [(entry, b"/etc/passwd")])
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("an entry was decompressed"))
    with pytest.raises(ImportSourceError, match="bad.zip is refused: " + message.replace("(", r"\(")):
        plan_import(archive, ImportOptions("evil"))
    assert _nothing_left()


def test_zip_bomb_is_refused_on_its_compression_ratio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _good_zip(tmp_path / "bomb.zip", [("zeros.png", bytes(20_000_000))])
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("an entry was decompressed"))
    with pytest.raises(ImportSourceError, match=r"its entry 'zeros.png' unpacks .* \(more than 100:1"):
        plan_import(archive, ImportOptions("bomb"))
    assert _nothing_left()


@pytest.mark.parametrize(
    "limit, value, message",
    [
        ("MAX_ZIP_ENTRIES", 5, "bomb.zip has 12 entries; the limit is 5: unpack it and import the folder"),
        ("MAX_ZIP_BYTES", 1000, r"bomb.zip unpacks to 0.0 GB; the limit is 1e-06 GB"),
    ],
)
def test_zip_bomb_is_refused_on_entry_count_or_total_size(
    limit: str, value: int, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _good_zip(tmp_path / "bomb.zip", [])
    monkeypatch.setattr(image_sources, limit, value)
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("an entry was decompressed"))
    with pytest.raises(ImportSourceError, match=message):
        plan_import(archive, ImportOptions("bomb"))
    assert _nothing_left()


def test_a_file_that_is_no_zip_or_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ImportSourceError, match="broken.zip is not a readable zip file"):
        plan_import(tmp_path / "broken.zip", ImportOptions("x"))
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ImportSourceError, match="is neither a folder nor a .zip file"):
        plan_import(tmp_path / "notes.txt", ImportOptions("x"))
    with pytest.raises(ImportSourceError, match="no file or folder at"):
        plan_import(tmp_path / "nowhere", ImportOptions("x"))


# ---------------------------------------------------------------------------------------------------
# Bad images among good ones, and every image mode
# ---------------------------------------------------------------------------------------------------


def test_corrupt_truncated_and_empty_images_are_skipped_and_listed(tmp_path: Path) -> None:
    source = _folder(tmp_path / "src", {"a": (6, RED), "b": (6, BLUE)})
    (source / "a" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (source / "a" / "empty.jpg").write_bytes(b"")
    full = io.BytesIO()
    Image.effect_noise((64, 64), 50).convert("RGB").save(full, "JPEG")
    (source / "b" / "truncated.jpg").write_bytes(full.getvalue()[: len(full.getvalue()) // 2])

    plan = plan_import(source, ImportOptions("mixed"))
    skipped = dict(plan.skipped)
    assert skipped["a/corrupt.png"].startswith("could not read this file as an image")
    assert skipped["a/empty.jpg"] == "the file is empty"
    assert "b/truncated.jpg" not in skipped and plan.total == 13  # its header is fine

    report = run_import(plan)
    assert dict(report.skipped)["b/truncated.jpg"].endswith("the file seems damaged or truncated")
    assert report.n_train + report.n_test == 12 and len(report.skipped) == 3
    manifest = json.loads((imported_root() / "mixed" / "manifest.json").read_text())
    assert {row["path"] for row in manifest["skipped"]} == {"a/corrupt.png", "a/empty.jpg", "b/truncated.jpg"}


def _modes_folder(root: Path) -> Path:
    """Ten images each: CMYK JPEG, 16-bit grey PNG, palette PNG with transparency, animated GIF."""
    for i in range(10):
        _save(root / "cmyk" / f"{i}.jpg", Image.new("CMYK", (40, 40), (0, 255, 255, 0)), quality=95)
        grey16 = Image.fromarray(np.full((40, 40), 32768, dtype=np.uint16))
        assert grey16.mode.startswith("I;16")
        _save(root / "grey16" / f"{i}.png", grey16)
        palette = Image.new("P", (40, 40), 0)
        palette.putpalette([0, 0, 0, 220, 20, 20] + [0] * 762)
        palette.paste(1, (0, 0, 40, 20))  # top half red, bottom half index 0: transparent
        _save(root / "palette" / f"{i}.png", palette, transparency=0)
        frames = [Image.new("RGB", (40, 40), c).convert("P") for c in (GREEN, BLUE)]
        _save(root / "gif" / f"{i}.gif", frames[0], save_all=True, append_images=frames[1:], duration=100)
    return root


def test_cmyk_16bit_palette_transparency_and_animated_gif(tmp_path: Path) -> None:
    plan, report = _import(_modes_folder(tmp_path / "src"), "modes")
    assert plan.classes == ("cmyk", "gif", "grey16", "palette") and plan.channels == 3 and not report.skipped
    data = get_dataset("modes")
    x, y = torch.cat([data.train.x, data.test.x]), torch.cat([data.train.y, data.test.y])
    for image in x[y == 0]:
        assert np.allclose(_colour_of(image), (255, 0, 0), atol=12)  # CMYK: cyan 0, magenta and yellow full
    for image in x[y == 1]:
        assert np.allclose(_colour_of(image), GREEN, atol=12)  # the first frame, not the last
    for image in x[y == 2]:
        assert _colour_of(image) == (128, 128, 128)  # 32768 / 65535 scaled, not clipped to white
    for image in x[y == 3]:
        assert _colour_of(image[:, :8]) == RED and _colour_of(image[:, -8:]) == (255, 255, 255)  # on white


def test_16bit_greys_alone_make_a_greyscale_set(tmp_path: Path) -> None:
    for i in range(10):
        _save(
            tmp_path / "src" / f"{i}.png", Image.fromarray(np.full((30, 30), 65535 * i // 9, dtype=np.uint16))
        )
    plan, _ = _import(tmp_path / "src", "grey16")
    assert plan.channels == 1 and plan.size == 28
    data = get_dataset("grey16")
    values = sorted(int(image.float().mean()) for image in torch.cat([data.train.x, data.test.x]))
    assert values == [round(255 * i / 9) for i in range(10)]


def test_exif_rotation_is_applied(tmp_path: Path) -> None:
    image = Image.new("RGB", (60, 40), RED)
    image.paste(BLUE, (0, 20, 60, 40))  # top red, bottom blue
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    for i in range(10):
        _save(tmp_path / "src" / f"{i}.jpg", image, exif=exif.tobytes(), quality=95)
    _import(tmp_path / "src", "rotated")
    x = get_dataset("rotated").train.x[0]  # (3, 32, 32)
    assert np.allclose(_colour_of(x[:, :, :6]), BLUE, atol=15)  # the bottom turned to the left
    assert np.allclose(_colour_of(x[:, :, -6:]), RED, atol=15)


def test_big_jpegs_decode_in_draft_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import JpegImagePlugin

    buffer = io.BytesIO()
    Image.new("RGB", (2400, 1600), GREEN).save(buffer, "JPEG")
    asked = []
    original = JpegImagePlugin.JpegImageFile.draft
    monkeypatch.setattr(
        JpegImagePlugin.JpegImageFile,
        "draft",
        lambda self, mode, size: asked.append((mode, size, self.size)) or original(self, mode, size),
    )
    out = decode_square(buffer.getvalue(), 32, 3)
    assert out.shape == (3, 32, 32) and np.allclose(_colour_of(torch.from_numpy(out)), GREEN, atol=5)
    assert asked == [(None, (32, 32), (2400, 1600))]


# ---------------------------------------------------------------------------------------------------
# Too little to import, and classes too small
# ---------------------------------------------------------------------------------------------------


def test_folder_without_images_is_refused_with_what_was_skipped(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    for i in range(3):
        (tmp_path / "src" / f"{i}.txt").write_text("no")
    with pytest.raises(
        ImportSourceError,
        match=r"found no images in src \(at least 10 are needed\); skipped: 3 × not an image",
    ):
        plan_import(tmp_path / "src", ImportOptions("none"))
    assert _nothing_left()


def test_fewer_than_ten_images_are_refused(tmp_path: Path) -> None:
    source = _folder(tmp_path / "src", {"a": (5, RED), "b": (4, BLUE)})
    with pytest.raises(ImportSourceError, match=r"found only 9 images in src \(at least 10 are needed\)"):
        plan_import(source, ImportOptions("few"))
    assert _nothing_left()


def test_too_few_images_left_after_decoding_is_refused(tmp_path: Path) -> None:
    source = _folder(tmp_path / "src", {"a": (5, RED), "b": (4, BLUE)})
    full = io.BytesIO()
    Image.effect_noise((64, 64), 50).convert("RGB").save(full, "JPEG")
    (source / "b" / "truncated.jpg").write_bytes(full.getvalue()[: len(full.getvalue()) // 2])
    plan = plan_import(source, ImportOptions("few"))
    with pytest.raises(ImportSourceError, match="found only 9 images"):
        run_import(plan)
    assert _nothing_left()


def test_a_class_of_one_image_goes_to_train_only(tmp_path: Path) -> None:
    source = _folder(tmp_path / "src", {"many": (10, RED), "one": (1, BLUE)})
    plan, report = _import(source, "lonely")
    assert plan.smallest_class == 1
    assert "class 'one' has a single image: it goes to the train split only" in report.notes
    assert report.counts["one"] == {"train": 1, "test": 0} and report.counts["many"] == {
        "train": 8,
        "test": 2,
    }


def test_every_class_of_one_image_is_refused(tmp_path: Path) -> None:
    source = _folder(tmp_path / "src", {f"c{i}": (1, RED) for i in range(12)})
    with pytest.raises(
        ImportSourceError, match="every class has a single image, so no test split is possible"
    ):
        plan_import(source, ImportOptions("singles"))


def test_one_class_only_is_unlabelled_and_the_plan_says_so(tmp_path: Path) -> None:
    source = _folder(tmp_path / "src", {"cats": (12, RED)})
    plan, _ = _import(source, "onlycats")
    assert not plan.labelled and plan.classes == ()
    assert any("one class only ('cats'): imported as unlabelled" in note for note in plan.notes)
    assert not get_dataset("onlycats").has_labels


# ---------------------------------------------------------------------------------------------------
# Names and options
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": ""}, "the data set needs a name"),
        ({"name": "  "}, "the data set needs a name"),
        ({"name": " pets"}, "must have no leading or trailing spaces"),
        ({"name": "x" * 65}, "at most 64 characters"),
        ({"name": "a/b"}, "may not contain '/'"),
        ({"name": "a\\b"}, "may not contain '/'"),
        ({"name": ".."}, "may not contain '/'"),
        ({"name": ".hidden"}, "start with '.'"),
        ({"name": "mnist5k"}, "'mnist5k' is the name of a built-in data set"),
        ({"name": "CIFAR10"}, "'CIFAR10' is the name of a built-in data set"),
        ({"size": 30}, "size must be one of 28, 32, 64 pixels, got 30"),
        ({"channels": 2}, "channels must be 1 (greyscale) or 3 (colour), got 2"),
        ({"test_share": 0.9}, "test_share must be between 0.05 and 0.5, got 0.9"),
        ({"seed": -1}, "seed must be a whole number >= 0, got -1"),
    ],
)
def test_bad_options_are_refused_with_what_is_allowed(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ImportOptions(**{"name": "pets", **changes})
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert _nothing_left()


def test_a_taken_name_is_refused_unless_replaced(tmp_path: Path) -> None:
    _import(_folder(tmp_path / "one", {"a": (6, RED), "b": (6, BLUE)}), "pets")
    first = get_dataset("pets")
    with pytest.raises(ConfigError, match="a data set named 'pets' is already imported; choose another name"):
        ImportOptions("pets")
    plan = plan_import(
        _folder(tmp_path / "two", {"x": (8, GREEN), "y": (8, BLUE), "z": (8, RED)}),
        ImportOptions("pets", replace=True),
    )
    run_import(plan)
    second = get_dataset("pets")
    assert second is not first and second.class_names == ("x", "y", "z")
    assert [p.name for p in imported_root().iterdir()] == ["pets"]  # the old one is gone, no temporary left


def test_a_name_taken_between_plan_and_import_is_refused(tmp_path: Path) -> None:
    source = _folder(tmp_path / "src", {"a": (6, RED), "b": (6, BLUE)})
    plan = plan_import(source, ImportOptions("race"))
    _import(source, "race")
    with pytest.raises(ConfigError, match="already imported"):
        run_import(plan)
    assert [p.name for p in imported_root().iterdir()] == ["race"]


# ---------------------------------------------------------------------------------------------------
# Cancel and failures leave nothing behind
# ---------------------------------------------------------------------------------------------------


def test_cancel_halfway_leaves_nothing_behind(tmp_path: Path) -> None:
    plan = plan_import(_folder(tmp_path / "src", {"a": (20, RED), "b": (20, BLUE)}), ImportOptions("stopped"))
    seen: list[tuple[int, int]] = []
    asked = iter(range(1000))
    with pytest.raises(ImportCancelledError, match="the import of 'stopped' was cancelled; nothing was kept"):
        run_import(
            plan,
            progress=lambda done, total: seen.append((done, total)),
            should_stop=lambda: next(asked) >= 20,
        )
    assert seen and seen[-1] == (20, 40)
    assert _nothing_left()
    with pytest.raises(DatasetUnavailableError, match="unknown dataset 'stopped'"):
        get_dataset("stopped")


def test_a_full_disk_leaves_nothing_behind_and_keeps_the_old_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _folder(tmp_path / "src", {"a": (6, RED), "b": (6, BLUE)})
    plan = plan_import(source, ImportOptions("full"))

    def full_disk(*args: object) -> str:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(imported, "save_array", full_disk)
        with pytest.raises(
            ImportStorageError,
            match="could not write the data set to .*: No space left on device; free some disk space or set DUL_DATA_DIR",
        ):
            run_import(plan)
    assert _nothing_left()

    run_import(plan)
    replace = plan_import(source, ImportOptions("full", replace=True))
    monkeypatch.setattr(imported, "save_array", full_disk)
    with pytest.raises(ImportStorageError):
        run_import(replace)
    assert [p.name for p in imported_root().iterdir()] == ["full"]  # the old set stands, complete
    assert len(get_dataset("full").train) == 10


def test_every_error_is_a_dul_error() -> None:
    for error in (ImportSourceError, ImportCancelledError, ImportStorageError):
        assert issubclass(error, DULError)


# ---------------------------------------------------------------------------------------------------
# Stored sets: memory maps, listing, removal, damage
# ---------------------------------------------------------------------------------------------------


def test_images_are_memory_mapped_not_read_and_batches_index(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for i in range(300):
        pixels = rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
        _save(tmp_path / "src" / f"c{i % 3}" / f"{i}.png", Image.fromarray(pixels))
    _import(tmp_path / "src", "mapped")
    data = get_dataset("mapped")
    path = imported_root() / "mapped" / "x_train.npy"
    maps = [
        line.split() for line in Path("/proc/self/maps").read_text().splitlines() if line.endswith(str(path))
    ]
    assert maps, "x_train.npy is not memory-mapped"
    pointer = data.train.x.data_ptr()
    assert any(int(m[0].split("-")[0], 16) <= pointer < int(m[0].split("-")[1], 16) for m in maps)
    assert data.train.x.is_contiguous() and len(data.train) == 240

    on_disk = np.load(path)
    batch = data.train.x[torch.tensor([5, 0, 239, 17])]  # what a trainer does: a copy of a few rows
    assert np.array_equal(batch.numpy(), on_disk[[5, 0, 239, 17]])
    assert batch.float().div(255).shape == (4, 3, 32, 32)
    data.train.x[0] = 0  # copy-on-write: the process's page changes, the file does not
    assert np.array_equal(np.load(path)[0], on_disk[0])


def test_list_and_remove(tmp_path: Path) -> None:
    assert list_imported() == []
    source = _folder(tmp_path / "src", {"a": (6, RED), "b": (6, BLUE)})
    _import(source, "one")
    _import(source, "two")
    listed = list_imported()
    assert [entry.name for entry in listed] == ["one", "two"]
    assert (
        listed[0].labelled
        and listed[0].classes == ("a", "b")
        and (listed[0].n_train, listed[0].n_test) == (10, 2)
    )
    get_dataset("one")
    remove_imported("one")
    assert [entry.name for entry in list_imported()] == ["two"]
    with pytest.raises(
        DatasetUnavailableError,
        match="unknown dataset 'one'; choose from: mnist5k.*, or an imported one: two",
    ):
        get_dataset("one")
    with pytest.raises(DatasetUnavailableError, match="no imported data set named 'one'; imported ones: two"):
        remove_imported("one")
    with pytest.raises(
        ConfigError, match="'mnist5k' is a built-in data set; only imported ones can be removed"
    ):
        remove_imported("mnist5k")
    with pytest.raises(ConfigError, match="may not contain"):
        remove_imported("../data")


def test_half_written_and_damaged_sets(tmp_path: Path) -> None:
    source = _folder(tmp_path / "src", {"a": (6, RED), "b": (6, BLUE)})
    _import(source, "ok")
    killed = imported_root() / ".tmp-killed-123"  # an import killed outright, two days ago
    killed.mkdir()
    os.utime(killed, (time.time() - 2 * 86400,) * 2)
    running = imported_root() / ".tmp-running-456"  # one still running in another process
    running.mkdir()
    (imported_root() / "nomanifest").mkdir()
    assert [entry.name for entry in list_imported()] == ["ok"]
    _import(source, "another")  # an import sweeps old leftovers only
    assert not killed.exists() and running.exists()
    (imported_root() / "ok" / "x_test.npy").unlink()
    with pytest.raises(DatasetUnavailableError, match="the imported data set 'ok' is damaged .*remove it"):
        get_dataset("ok")


def test_split_indices_are_seeded_stratified_and_disjoint() -> None:
    labels = np.repeat(np.arange(3), [10, 5, 1])
    train, test = split_indices(labels, 0.2, seed=3)
    again = split_indices(labels, 0.2, seed=3)
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])
    assert not np.array_equal(train, split_indices(labels, 0.2, seed=4)[0])
    assert sorted([*train, *test]) == list(range(16))
    assert np.bincount(labels[test], minlength=3).tolist() == [2, 1, 0]
    unlabelled_train, unlabelled_test = split_indices(np.full(10, -1), 0.2, seed=0)
    assert (len(unlabelled_train), len(unlabelled_test)) == (8, 2)
