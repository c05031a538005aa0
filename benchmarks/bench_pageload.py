"""Page-load times of the real app in Chromium: cold (fresh server) and warm (second visit).

Starts `streamlit run` on a free port, opens each page in headless Debian Chromium through Playwright,
and times from navigation until the script run has finished and every element has rendered, using
the browser test's own idle detection.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import write_result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.browser.test_browser import COUNT_FINISHED_RUNS, IDLE_AFTER, NAV_LINKS  # noqa: E402  (one DOM contract)

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _timed(page, action, fresh_document: bool = False) -> float:
    """Seconds from `action` until the script run it caused has finished and rendered (see the browser test).

    A navigation loads a fresh document, whose finished-run counter starts again at 0."""
    before = 0 if fresh_document else page.evaluate("window.__stRunsFinished || 0")
    start = time.perf_counter()
    action()
    page.wait_for_function(IDLE_AFTER, arg=before, timeout=180_000)
    return time.perf_counter() - start


def run() -> str:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, "DUL_RUNS_DIR": tempfile.mkdtemp(prefix="dul-bench-runs-")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app/streamlit_app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows = []
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if (
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read()
                    == b"ok"
                ):
                    break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.add_init_script(COUNT_FINISHED_RUNS)
            for visit in ("cold", "warm"):
                # a fresh document at the root, then each sidebar link, as a user navigates
                seconds = _timed(page, lambda: page.goto(f"http://127.0.0.1:{port}/"), fresh_document=True)
                rows.append({"page": "Home", "visit": visit, "seconds": seconds})
                for index in range(1, page.locator(NAV_LINKS).count()):
                    link = page.locator(NAV_LINKS).nth(index)
                    title = link.inner_text().strip().splitlines()[-1].strip()  # drop the icon line
                    rows.append({"page": title, "visit": visit, "seconds": _timed(page, link.click)})
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
    notes = [
        "cold = first visit after the server started (torch import, dataset cache, model loads, PSNR curve and "
        "latent map computed); warm = the same page again (Streamlit caches hit).",
        "Measured from navigation (page.goto for Home, a sidebar click for the others) until the script run "
        "finished and every element rendered, in headless Chromium on the same machine.",
    ]
    return str(write_result("pageload", "Page-load times (cold and warm)", rows, notes))
