"""Page-load times of the real app in Chromium: cold (fresh server) and warm (second visit).

Starts `streamlit run` on a free port, opens each page in headless Debian Chromium through Playwright,
and times from navigation until the script run has finished and every element has rendered, using
the browser test's own idle detection.
"""

from __future__ import annotations

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


def run() -> str:
    from playwright.sync_api import sync_playwright

    rows = []
    with running_server(Path(tempfile.mkdtemp(prefix="dul-bench-pageload-"))) as server:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.add_init_script(COUNT_FINISHED_RUNS)
            for visit in ("cold", "warm"):
                # a fresh document at the root, then each sidebar link, as a user navigates
                seconds = _timed(page, lambda: page.goto(f"{server.url}/"), fresh_document=True)
                rows.append({"page": "Home", "visit": visit, "seconds": seconds})
                _show_all_links(page)
                for index in range(1, page.locator(NAV_LINKS).count()):
                    _show_all_links(page)
                    link = page.locator(NAV_LINKS).nth(index)
                    title = link.inner_text().strip().splitlines()[-1].strip()  # drop the icon line
                    rows.append({"page": title, "visit": visit, "seconds": _timed(page, link.click)})
            browser.close()
    notes = [
        "cold = first visit after the server started (torch import, dataset cache, model loads, PSNR curve and "
        "latent map computed); warm = the same page again (Streamlit caches hit).",
        "Measured from navigation (page.goto for Home, a sidebar click for the others) until the script run "
        "finished and every element rendered, in headless Chromium on the same machine.",
    ]
    return str(write_result("pageload", "Page-load times (cold and warm)", rows, notes))
