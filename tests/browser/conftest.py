"""Browser-test fixtures: the real Streamlit server on a free port, and Debian's Chromium via Playwright."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# Flags for a headless browser in a sandboxed container without internet: no sandbox (no user namespaces),
# no GPU, and nothing that phones home (QUIC, component updates, sync, background networking).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SERVER_START_TIMEOUT_S = 60


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self, tail: int = 6000) -> str:
        """The last `tail` characters of the server's stdout and stderr."""
        text = self.log_path.read_text(errors="replace")
        return text[-tail:]


@dataclass
class BrowserErrors:
    """Console messages of type "error" and uncaught page errors, for the whole session."""

    console: list[str] = field(default_factory=list)
    page: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen) -> None:
    """Terminate the server's whole process group (streamlit may start children), then kill if needed."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


class ServerFailed(RuntimeError):
    """The app server exited or did not answer its health check in time (the message holds its log)."""


def isolated_data_dir(workdir: Path) -> Path:
    """`workdir/data`: a data folder whose imports stay in it, holding links to everything else of the
    user's data folder (datasets already converted, the disk cache of projections), so the server starts
    as warm as with the user's own folder but nothing is ever imported into it."""
    from dul_models.core.paths import data_dir

    folder = workdir / "data"
    folder.mkdir()
    for entry in data_dir().iterdir():
        if entry.name != "imported" and not entry.name.startswith("."):
            (folder / entry.name).symlink_to(entry)
    return folder


@contextlib.contextmanager
def running_server(workdir: Path, data_dir: Path | None = None) -> Iterator[Server]:
    """`streamlit run app/streamlit_app.py` from the repo root on a free port, until the block ends.

    User runs go to `workdir/runs` and the server's output to `workdir/server.log`; with `data_dir`,
    the server's `DUL_DATA_DIR` is that folder (the browser test imports a data set there), else the
    environment's. Shared by the browser test and the page-load benchmark, so both measure the same server.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = workdir / "server.log"
    env = {**os.environ, "DUL_RUNS_DIR": str(workdir / "runs"), "PYTHONUNBUFFERED": "1"}
    if data_dir is not None:
        env["DUL_DATA_DIR"] = str(data_dir)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app/streamlit_app.py",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(url=url, process=process, log_path=log_path)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _healthy(url):
            if process.poll() is not None:
                raise ServerFailed(f"streamlit exited with code {process.returncode}:\n{server.log()}")
            if time.monotonic() > deadline:
                raise ServerFailed(
                    f"streamlit did not answer {url}/_stcore/health within 60 s:\n{server.log()}"
                )
            time.sleep(0.3)
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def streamlit_server(tmp_path_factory) -> Iterator[Server]:
    """The real app server for the browser test, importing into a temporary data folder; a failed start
    fails the test with the server's log."""
    workdir = tmp_path_factory.mktemp("browser-server")
    try:
        with running_server(workdir, data_dir=isolated_data_dir(workdir)) as server:
            yield server
    except ServerFailed as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium driven by the playwright pip package (its own browsers are never downloaded)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium (Playwright's own download is not used)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
