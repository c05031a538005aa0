"""The page registry (app/pages.py) is the one list of pages: every page file is in it once, and has an AppTest."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from app.pages import PAGES, cards, groups, page_of

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"


def page_files() -> list[str]:
    return sorted(str(path.relative_to(APP)) for path in (APP / "app_pages").glob("*/page.py"))


def test_every_page_file_is_registered_exactly_once():
    registered = Counter(spec.file for spec in PAGES)
    assert {f: n for f, n in registered.items() if n > 1} == {}
    assert sorted(registered) == page_files()


def test_every_registered_file_exists():
    missing = [spec.file for spec in PAGES if not (APP / spec.file).is_file()]
    assert missing == []


def test_every_page_has_an_apptest_module():
    missing = [spec.file for spec in PAGES if not (ROOT / "tests" / "app" / f"test_{spec.key}.py").is_file()]
    assert missing == []


def test_registry_entries_are_unique_and_complete():
    assert len({spec.url_path for spec in PAGES}) == len(PAGES)
    assert len({spec.title for spec in PAGES}) == len(PAGES)
    assert len({spec.key for spec in PAGES}) == len(PAGES)
    assert [spec.file for spec in PAGES if spec.default] == ["app_pages/home/page.py"]
    for spec in PAGES:
        assert spec.icon and not spec.icon.startswith(":"), f"{spec.file}: use an emoji, not a Material icon"
        assert spec.url_path == spec.url_path.lower().strip("/"), spec.url_path
    assert all(spec.card for spec in cards()) and len(cards()) == len(PAGES) - 1


def test_groups_keep_registry_order_and_every_page():
    grouped = groups()
    assert list(grouped)[0] == "Explore"
    assert [spec for members in grouped.values() for spec in members] == sorted(
        PAGES, key=lambda s: list(grouped).index(s.group)
    )


def test_a_page_finds_its_own_entry():
    assert page_of(APP / "app_pages" / "vae" / "page.py").key == "vae"
    assert page_of(str(APP / "app_pages" / ".." / "app_pages" / "gan" / "page.py")).title == "GANs"


def test_an_unregistered_script_is_named_in_the_error():
    import pytest

    with pytest.raises(KeyError, match="not registered"):
        page_of(APP / "app_pages" / "nowhere.py")
