"""Every page opens on an imported set, labelled or not, without an exception or an error box: the
representation pages on the baselines, the model pages on "no run yet", what needs labels switched off
in one sentence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.pages import PAGES
from dul_models.data.imported import ImportOptions, plan_import, run_import
from tests.app.conftest import ENTRY, AppTest


def _write_images(root: Path, classes: dict[str, int], size: int, mode: str) -> Path:
    rng = np.random.default_rng(0)
    for name, count in classes.items():
        folder = root / name if name else root
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            shape = (size, size + i % 7, 3) if mode == "RGB" else (size, size + i % 7)
            Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8), mode).save(folder / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A labelled colour set (three class folders) and an unlabelled grey one (a flat folder)."""
    data_dir = tmp_path_factory.mktemp("data")
    patch = pytest.MonkeyPatch()
    patch.setenv("DUL_DATA_DIR", str(data_dir))
    sources = tmp_path_factory.mktemp("sources")
    labelled = _write_images(sources / "pets", {"cat": 30, "dog": 30, "fox": 30}, 40, "RGB")
    flat = _write_images(sources / "scans", {"": 60}, 36, "L")
    run_import(plan_import(labelled, ImportOptions("apptest-pets")))
    run_import(plan_import(flat, ImportOptions("apptest-scans")))
    yield {"labelled": "apptest-pets", "unlabelled": "apptest-scans"}
    patch.undo()


@pytest.mark.parametrize("kind", ["labelled", "unlabelled"])
def test_every_page_opens_on_an_imported_set(imported: dict[str, str], kind: str) -> None:
    name = imported[kind]
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.session_state["dataset"] = name
    at.run()
    opened = {}
    for spec in PAGES:
        at.switch_page(spec.file).run()
        opened[spec.key] = ([e.value for e in at.exception], [e.value for e in at.error])
    assert {key: found for key, found in opened.items() if found != ([], [])} == {}
    if kind == "unlabelled":  # what needs labels says so in one sentence
        at.switch_page("app_pages/semi_supervised/page.py").run()
        assert any("has no labels" in info.value for info in at.info)
