"""Page-load times of the real app in Chromium: cold (fresh server) and warm (second visit).

Starts `streamlit run` on a free port, opens each page in headless Debian Chromium through Playwright,
and times from navigation until the script run has finished and every element has rendered, using
the browser test's own idle detection.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from common import write_result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402  (one server, one browser)
from tests.browser.test_browser import (  # noqa: E402  (one DOM contract)
    COUNT_FINISHED_RUNS,
    IDLE_AFTER,
    NAV_LINKS,
    NAV_MORE,
)


def _timed(page, action, fresh_document: bool = False) -> float:
    """Seconds from `action` until the script run it caused has finished and rendered (see the browser test).

    A navigation loads a fresh document, whose finished-run counter starts again at 0."""
    before = 0 if fresh_document else page.evaluate("window.__stRunsFinished || 0")
    start = time.perf_counter()
    action()
    page.wait_for_function(IDLE_AFTER, arg=before, timeout=180_000)
    return time.perf_counter() - start


def _show_all_links(page) -> None:
    """With many pages the sidebar lists the first ones and a "View N more" button: every page is timed."""
    more = page.locator(NAV_MORE)
    if more.count() and "more" in more.inner_text():
        more.click()


def _visit_every_page(server_url: str, scenario: str, rows: list[dict]) -> None:
    """Home, then each sidebar link, twice: cold (the server's first visit of each page), then warm."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.add_init_script(COUNT_FINISHED_RUNS)
        for visit in ("cold", "warm"):
            # a fresh document at the root, then each sidebar link, as a user navigates
            seconds = _timed(page, lambda: page.goto(f"{server_url}/"), fresh_document=True)
            rows.append({"scenario": scenario, "page": "Home", "visit": visit, "seconds": seconds})
            _show_all_links(page)
            for index in range(1, page.locator(NAV_LINKS).count()):
                _show_all_links(page)
                link = page.locator(NAV_LINKS).nth(index)
                title = link.inner_text().strip().splitlines()[-1].strip()  # drop the icon line
                seconds = _timed(page, link.click)
                rows.append({"scenario": scenario, "page": title, "visit": visit, "seconds": seconds})
        browser.close()


def run() -> str:
    rows: list[dict] = []
    cache = Path(tempfile.mkdtemp(prefix="dul-bench-pageload-cache-"))
    previous = os.environ.get("DUL_CACHE_DIR")
    os.environ["DUL_CACHE_DIR"] = str(cache)  # the server inherits it: an empty disk cache, then the same one
    try:
        for scenario in ("new machine", "restart"):
            with running_server(Path(tempfile.mkdtemp(prefix="dul-bench-pageload-"))) as server:
                _visit_every_page(server.url, scenario, rows)
    finally:
        if previous is None:
            os.environ.pop("DUL_CACHE_DIR", None)
        else:
            os.environ["DUL_CACHE_DIR"] = previous
    notes = [
        "cold = first visit after the server started (torch import, dataset, model loads, cached results); warm = "
        "the same page again (Streamlit caches hit).",
        "new machine = a server whose disk cache (DUL_CACHE_DIR: projections, the PSNR curve, the GAN scorer's "
        "features and histogram) is empty, while the background warm-up fills it; restart = a second server on "
        "the same disk cache: what every later start of the app sees. The data folder (the parsed mnist5k) is "
        "kept in both.",
        "Measured from navigation (page.goto for Home, a sidebar click for the others) until the script run "
        "finished and every element rendered, in headless Chromium on the same machine.",
    ]
    return str(write_result("pageload", "Page-load times (cold and warm)", rows, notes))
