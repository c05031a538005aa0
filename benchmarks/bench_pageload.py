"""Page-load times of the real app in Chromium: cold (fresh server) and warm (second visit).

Starts `streamlit run` on a free port, opens each page in headless Debian Chromium through Playwright,
and times from navigation until the script run has finished (the running indicator is gone and the
page's title is drawn).
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
PAGES = (("Home", ""), ("Denoising autoencoders", "denoising"))
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


def _wait_idle(page, timeout_ms: int = 180_000) -> None:
    page.wait_for_selector("h1", timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(300)  # let a rerun that was just queued show its indicator
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=timeout_ms,
    )


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
            for visit in ("cold", "warm"):
                for title, path in PAGES:
                    start = time.perf_counter()
                    page.goto(f"http://127.0.0.1:{port}/{path}")
                    _wait_idle(page)
                    rows.append({"page": title, "visit": visit, "seconds": time.perf_counter() - start})
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
    notes = [
        "cold = first visit after the server started (torch import, dataset cache, model loads, PSNR curve and "
        "latent map computed); warm = the same page again (Streamlit caches hit).",
        "Measured from page.goto until the script run finished, in headless Chromium on the same machine.",
    ]
    return str(write_result("pageload", "Page-load times (cold and warm)", rows, notes))
