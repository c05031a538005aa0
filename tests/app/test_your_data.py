"""The "Your data" page: upload a zip or a folder, see the preview (nothing written), import, select the
set in the sidebar, open another page on it, remove it; a bad upload is one error and leaves nothing."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from app import state
from dul_models import DEFAULT_DATASET
from tests.app.conftest import AppTest, no_exceptions

PAGE = "app_pages/your_data/page.py"
RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (20, 200, 20)


@pytest.fixture(autouse=True)
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Imports go to a temporary data folder, staged uploads to a temporary folder the test can inspect."""
    monkeypatch.setenv("DUL_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    return tmp_path


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (36, 30), colour).save(buffer, "PNG")
    return buffer.getvalue()


def _files(prefix: str = "shapes-of-mine/") -> list[tuple[str, bytes]]:
    """Three class folders of 6, 5 and 4 images, and one file that is no image."""
    files = [(f"{prefix}{name}/{i}.png", _png(colour)) for name, colour, n in
             (("red", RED, 6), ("blue", BLUE, 5), ("green", GREEN, 4)) for i in range(n)]  # fmt: skip
    return [*files, (f"{prefix}notes.txt", b"these are notes")]


def _zip(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files:
            archive.writestr(name, content)
    return buffer.getvalue()


def _nothing_left(root: Path) -> bool:
    imported = root / "data" / "imported"
    return (not imported.exists() or not any(imported.iterdir())) and not any((root / "tmp").iterdir())


def _counts(at: AppTest) -> dict[str, int]:
    (table,) = [d.value for d in at.dataframe if list(d.value.columns) == ["class", "images"]]
    return dict(zip(table["class"], table["images"], strict=True))


def _upload(at: AppTest, files, kind: str = "zip") -> None:
    at.radio(key="your_data::kind").set_value(kind).run()
    (uploader,) = at.get("file_uploader")
    uploader.set_value(files).run()
    no_exceptions(at)


def test_a_zip_is_previewed_imported_selected_used_and_removed(page: AppTest, folders: Path) -> None:
    assert [u.accept_directory for u in page.get("file_uploader")] == [False]
    _upload(page, ("shapes-of-mine.zip", _zip(_files()), "application/zip"))
    assert [e.value for e in page.error] == []
    assert _counts(page) == {"blue": 5, "green": 4, "red": 6}
    assert {m.label: m.value for m in page.metric} == {
        "Images": "15", "Classes": "3", "Stored as": "32×32 colour", "Skipped": "1"
    }  # fmt: skip
    assert page.text_input[0].value == "shapes-of-mine"  # named after the zip
    assert _nothing_left(folders)  # the preview writes nothing, and its staged copy is gone

    page.slider(key="your_data::test-share").set_value(0.4).run()
    page.button(key="your_data::import").click().run()
    no_exceptions(page)
    (success,) = [s.value for s in page.success]
    assert "**shapes-of-mine**: 9 train / 6 test images, 3 classes (blue, green, red)" in success
    assert not page.get("file_uploader")[0].value  # a fresh uploader for the next set
    assert not any((folders / "tmp").iterdir())
    sidebar = page.sidebar.selectbox(key=state.DATASET)
    assert "shapes-of-mine" in sidebar.options and sidebar.value == DEFAULT_DATASET

    page.button(key="your_data::select").click().run()  # its callback runs before the sidebar is drawn
    no_exceptions(page)
    assert page.sidebar.selectbox(key=state.DATASET).value == "shapes-of-mine"
    assert any("is selected in the sidebar" in i.value for i in page.info)
    page.switch_page("app_pages/home/page.py").run()
    no_exceptions(page)
    assert [e.value for e in page.error] == []
    assert any("shapes-of-mine" in m.value and "9 training and 6 test" in m.value for m in page.markdown)

    page.switch_page(PAGE).run()
    remove = page.button(key="your_data::remove::shapes-of-mine")
    assert remove.disabled  # a tick first
    page.checkbox(key="your_data::confirm::shapes-of-mine").check().run()
    page.button(key="your_data::remove::shapes-of-mine").click().run()
    no_exceptions(page)
    assert any("Removed **shapes-of-mine**" in s.value for s in page.success)
    assert page.sidebar.selectbox(key=state.DATASET).value == DEFAULT_DATASET
    assert "shapes-of-mine" not in page.sidebar.selectbox(key=state.DATASET).options
    assert _nothing_left(folders) and any("None yet" in c.value for c in page.caption)


def test_a_folder_upload_keeps_its_class_folders(page: AppTest, folders: Path) -> None:
    _upload(page, [(name, content, "image/png") for name, content in _files()], kind="folder")
    assert page.get("file_uploader")[0].accept_directory
    assert _counts(page) == {"blue": 5, "green": 4, "red": 6} and [e.value for e in page.error] == []
    assert page.text_input[0].value == "shapes-of-mine"
    page.selectbox(key="your_data::size").set_value(64).run()
    page.selectbox(key="your_data::channels").set_value(1).run()
    assert {m.label: m.value for m in page.metric}["Stored as"] == "64×64 greyscale"
    assert _nothing_left(folders)


@pytest.mark.parametrize(
    ("kind", "upload", "message"),
    [
        (
            "zip",
            ("bad.zip", _zip([*_files(), ("../evil.png", _png(RED))]), "application/zip"),
            "points outside",
        ),
        ("images", [("1.png", _png(RED), "image/png"), ("../evil.png", _png(RED), "image/png")], "outside"),
        ("zip", ("broken.zip", b"PK\x03\x04 not really a zip", "application/zip"), "not a readable zip"),
    ],
)
def test_a_bad_upload_is_one_error_and_leaves_nothing(page: AppTest, folders: Path, kind, upload, message):
    _upload(page, upload, kind=kind)
    assert len(page.error) == 1 and message in page.error[0].value
    assert not [b for b in page.button if b.key == "your_data::import"]
    assert _nothing_left(folders) and not (folders / "evil.png").exists()
    page.slider(key="your_data::test-share").set_value(0.3).run()  # the page keeps working
    no_exceptions(page)


def test_a_taken_name_is_one_error_naming_it(page: AppTest) -> None:
    _upload(page, ("mine.zip", _zip(_files()), "application/zip"))
    page.button(key="your_data::import").click().run()
    _upload(page, ("mine.zip", _zip(_files()), "application/zip"))
    assert page.text_input[0].value == "mine-2"  # the suggestion avoids the taken name
    page.text_input[0].set_value("mine").run()
    assert len(page.error) == 1 and "already imported" in page.error[0].value
