"""The "Your data" page's explore module: uploads staged safely and cleaned up, previews that match the
images, imports that load like any data set, the list and the removal."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pytest
import torch
from PIL import Image

from dul_models.core.errors import ConfigError, DatasetUnavailableError, DULError
from dul_models.data import get_dataset
from dul_models.data.imported_sets import imported_root
from dul_models.explore import your_data as explore

RED, BLUE = (220, 20, 20), (20, 20, 220)


@pytest.fixture(autouse=True)
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Imports into a temporary data folder; staging into a temporary folder this test can inspect."""
    monkeypatch.setenv("DUL_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    return tmp_path


def _png(colour: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def _class_files(prefix: str = "pets/", cats: int = 8, dogs: int = 7) -> list[tuple[str, bytes]]:
    """A directory upload's files: (path within the chosen folder, bytes)."""
    files = [(f"{prefix}cats/{i}.png", _png(RED)) for i in range(cats)]
    files += [(f"{prefix}dogs/{i}.png", _png(BLUE)) for i in range(dogs)]
    return files + [(f"{prefix}cats/readme.txt", b"not an image")]


def _zip(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files:
            archive.writestr(name, content)
    return buffer.getvalue()


def _staging_left(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "tmp").iterdir())


def _nothing_imported() -> bool:
    return not imported_root().exists() or not any(imported_root().iterdir())


def test_upload_path_keeps_relative_folders_and_refuses_escapes() -> None:
    assert explore.upload_path("pets/cats/1.png") == "pets/cats/1.png"
    assert explore.upload_path("pets\\dogs\\2.png") == "pets/dogs/2.png"
    assert explore.upload_path("./a//b.png") == "a/b.png"
    for bad in ("../evil.png", "pets/../../evil.png", "/etc/passwd", "C:/evil.png", "..\\evil.png", "/"):
        with pytest.raises(DULError, match="refused"):
            explore.upload_path(bad)


def test_a_folder_upload_is_staged_with_its_class_folders_then_deleted(folders: Path) -> None:
    files = _class_files()
    with explore.staged_upload(files) as source:
        assert source.name == "pets"  # the folder every file shares is the source itself
        written = sorted(p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file())
        assert written == sorted(name.removeprefix("pets/") for name, _ in files)
        assert (source / "dogs" / "3.png").read_bytes() == files[8 + 3][1]
    assert _staging_left(folders) == []


def test_one_zip_is_staged_as_that_zip_and_same_names_do_not_overwrite(folders: Path) -> None:
    archive = _zip(_class_files())
    with explore.staged_upload([("my pets.zip", archive)]) as source:
        assert source.name == "my pets.zip" and source.read_bytes() == archive
    images = [("a.png", _png(RED)), ("a.png", _png(BLUE)), ("b.png", _png(RED))]
    with explore.staged_upload(images) as source:
        assert sorted(p.name for p in source.iterdir()) == ["a (2).png", "a.png", "b.png"]
        assert (source / "a (2).png").read_bytes() == images[1][1]
    assert _staging_left(folders) == []


def test_a_name_escaping_the_folder_refuses_the_upload_before_anything_is_written(folders: Path) -> None:
    with pytest.raises(DULError, match="points outside its folder"):
        with explore.staged_upload([*_class_files(), ("../evil.png", _png(RED))]):
            pytest.fail("the upload was staged")
    assert _staging_left(folders) == [] and not (folders / "evil.png").exists()


def test_preview_counts_classes_shows_images_as_stored_and_writes_nothing(folders: Path) -> None:
    plan = explore.preview_upload(_class_files(), explore.ImportOptions("pets"))
    assert plan.labelled and plan.source == "pets" and plan.total == 15 and plan.smallest_class == 7
    assert plan.counts == [{"class": "cats", "images": 8}, {"class": "dogs", "images": 7}]
    assert (plan.size, plan.channels) == (32, 3)  # colour images: 32 px by default
    assert plan.skipped_count == 1 and plan.skipped[0]["file"] == "cats/readme.txt"
    assert "not an image" in plan.skipped[0]["why"]
    assert set(plan.previews) == {"cats", "dogs"} and plan.previews["cats"].shape == (4, 3, 32, 32)
    mean = plan.previews["dogs"].mean(dim=(0, 2, 3))  # floats in [0, 1] with the dogs' colour
    assert torch.allclose(mean, torch.tensor(BLUE) / 255, atol=1 / 255)
    assert _nothing_imported() and _staging_left(folders) == []


def test_preview_of_loose_images_is_unlabelled_and_follows_the_options() -> None:
    images = [(f"{i}.png", _png(RED if i % 2 else BLUE)) for i in range(12)]
    plan = explore.preview_upload(images, explore.ImportOptions("loose", size=64, channels=1))
    assert not plan.labelled and plan.counts == [] and plan.total == 12 and plan.smallest_class is None
    assert (plan.size, plan.channels) == (64, 1)
    assert list(plan.previews) == [""] and plan.previews[""].shape == (8, 1, 64, 64)


def test_import_upload_reports_progress_and_loads_like_any_dataset(folders: Path) -> None:
    seen: list[tuple[int, int]] = []
    options = explore.ImportOptions("zipped-pets", test_share=0.25, seed=3)
    report = explore.import_upload(
        [("pets.zip", _zip(_class_files()))], options, progress=lambda d, t: seen.append((d, t))
    )
    assert (report.n_train, report.n_test) == (11, 4)  # round(8 × 0.25) + round(7 × 0.25) test images
    assert report.classes == ("cats", "dogs") and len(report.skipped) == 1
    assert seen[-1] == (15, 15) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    data = get_dataset("zipped-pets")
    assert data.has_labels and data.image_shape == (3, 32, 32) and len(data.train) + len(data.test) == 15
    assert _staging_left(folders) == []
    rows = explore.imported_sets()
    assert [(r["name"], r["images"], r["train"], r["test"], r["labelled"], r["classes"]) for r in rows] == [
        ("zipped-pets", 15, 11, 4, True, 2)
    ]
    assert rows[0]["pixels"] == "32×32 colour" and rows[0]["from"] == "pets.zip"


def test_a_zip_with_an_escaping_entry_fails_and_leaves_nothing_behind(folders: Path) -> None:
    archive = _zip([*_class_files(), ("../evil.png", _png(RED))])
    with pytest.raises(DULError, match="points outside the folder"):
        explore.import_upload([("bad.zip", archive)], explore.ImportOptions("bad"))
    assert _nothing_imported() and _staging_left(folders) == []


def test_a_cancelled_import_leaves_nothing_behind(folders: Path) -> None:
    with pytest.raises(DULError, match="cancelled"):
        explore.import_upload(_class_files(), explore.ImportOptions("stopped"), should_stop=lambda: True)
    assert _nothing_imported() and _staging_left(folders) == []


def test_suggested_name_comes_from_the_upload_and_is_free() -> None:
    assert explore.suggested_name(["holiday photos.zip"]) == "holiday photos"
    assert explore.suggested_name(["pets/cats/1.png", "pets/dogs/2.png"]) == "pets"
    assert explore.suggested_name(["1.png", "2.png"]) == explore.suggested_name([]) == "my-images"
    assert explore.suggested_name(["mnist5k.zip"]) == "my-mnist5k"  # a built-in set's name is taken
    assert explore.suggested_name(["a:b?.zip"]) == "a-b"
    explore.import_upload(_class_files(), explore.ImportOptions(explore.suggested_name(["pets/x/1.png"])))
    assert explore.suggested_name(["pets/cats/1.png"]) == "pets-2"
    with pytest.raises(ConfigError, match="already imported"):
        explore.ImportOptions("pets")


def test_remove_set_deletes_it_and_names_an_unknown_one() -> None:
    explore.import_upload(_class_files(), explore.ImportOptions("short-lived"))
    explore.remove_set("short-lived")
    assert explore.imported_sets() == [] and _nothing_imported()
    with pytest.raises(DatasetUnavailableError, match="no imported data set named 'short-lived'"):
        explore.remove_set("short-lived")
    with pytest.raises(ConfigError, match="built-in"):
        explore.remove_set("mnist5k")
