"""The embedding explorer at scale, in headless Chromium against the real server (issue #11's targets).

- 73,728 points: shapes-dense with "all images" (train + test), PCA, both maps (the page's default
  encoders there: the first bundled run, the β = 1 shapes VAE, and raw pixels), projection warm (cached):
  from choosing "all images" until the script run has finished and both WebGL canvases hold drawn pixels
  (target ≤ 5 s).
- A box selection of ≈ 10,000 of those points on the first map, from mouse-up until its gallery shows
  (target ≤ 2 s); then the same selection marked on the second map on request.
- 5,000 points: mnist5k with "all images" (4,000 train + 1,000 test), warm, the same way (target ≤ 2 s);
  and the page as it opens (1,000 test images), reached from the sidebar, warm.

Each warm time is measured REPEATS times (the machine is shared: see the load average in the notes).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import write_result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402  (one server, one browser)
from tests.browser.test_browser import COUNT_FINISHED_RUNS, GL_DRAWN, IDLE_AFTER, NAV_LINKS  # noqa: E402  (one DOM contract)

REPEATS = 3
SHOTS = ROOT / "artifacts" / "screenshots"  # git-ignored, beside the browser test's
BIG_TARGET_S, LASSO_TARGET_S, PAGE_TARGET_S, SELECT_N = 5.0, 2.0, 2.0, 10_000
MAIN = '[data-testid="stMain"]'
MAPS = f'{MAIN} [data-testid="stPlotlyChart"]:has(.js-plotly-plot)'
# A box around the centre of the first map holding about `n` points, in page pixels (binary search on its
# half-size in data units over the points Plotly holds; the row count inside is returned too).
BOX_FOR = """
(n) => {
  const gd = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
  const xs = gd._fullData.flatMap((t) => Array.from(t.x)), ys = gd._fullData.flatMap((t) => Array.from(t.y));
  const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
  const cx = med(xs), cy = med(ys), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const sx = xa.range[1] - xa.range[0], sy = ya.range[1] - ya.range[0];
  const inside = (h) => xs.filter((x, i) => Math.abs(x - cx) <= h * sx && Math.abs(ys[i] - cy) <= h * sy).length;
  let lo = 0, hi = 0.5;
  for (let step = 0; step < 30; step++) { const mid = (lo + hi) / 2; if (inside(mid) < n) lo = mid; else hi = mid; }
  const drag = gd.querySelector('.nsewdrag').getBoundingClientRect();
  const px = (x) => drag.left + xa.d2p(x), py = (y) => drag.top + ya.d2p(y);
  return {x0: px(cx - hi * sx), x1: px(cx + hi * sx), y0: py(cy + hi * sy), y1: py(cy - hi * sy), n: inside(hi)};
}
"""


def _idle(page, before: int, timeout_ms: int = 600_000) -> None:
    page.wait_for_function(IDLE_AFTER, arg=before, timeout=timeout_ms)


def _act(page, action, *, drawn_maps: int = 0, timeout_ms: int = 600_000) -> float:
    """Seconds from `action` until its script run finished and rendered (and `drawn_maps` WebGL maps drew)."""
    before = page.evaluate("window.__stRunsFinished || 0")
    start = time.perf_counter()
    action()
    _idle(page, before, timeout_ms)
    if drawn_maps:
        page.wait_for_function(GL_DRAWN, arg=drawn_maps, timeout=timeout_ms, polling=50)
    return time.perf_counter() - start


def _choose_dataset(page, title: str) -> None:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]', has_text="Dataset").first
    box.click()
    _act(page, page.get_by_role("option", name=title).click)


def _images(page, which: str, drawn_maps: int) -> float:
    radio = page.locator(f'{MAIN} [data-testid="stRadio"]', has_text="Images").first
    return _act(page, radio.get_by_text(which).click, drawn_maps=drawn_maps)


def _warm_draws(page, which: str, maps: int) -> list[float]:
    """REPEATS times (`which` already chosen once, so the caches are full): away to the test split, and
    back (timed)."""
    times = []
    for _ in range(REPEATS):
        _images(page, "test split", 0)
        times.append(_images(page, which, maps))
        print(f"   {which}, warm: {times[-1]:.2f} s", flush=True)
    return times


def _box_select(page, n: int) -> tuple[float, float, int, str]:
    """Box-select about n points on the first map. Returns the seconds from mouse-up until the gallery's run
    finished, the seconds the drag itself took (8 mouse moves: Plotly selects and redraws live on each),
    the rows in the box and the gallery's caption."""
    chart = page.locator(MAPS).first
    chart.scroll_into_view_if_needed()
    chart.hover()
    chart.locator('.modebar-btn[data-val="select"]').first.click()
    box = page.evaluate(BOX_FOR, n)
    page.mouse.move(box["x0"], box["y0"])
    page.mouse.down()
    start = time.perf_counter()
    page.mouse.move(box["x1"], box["y1"], steps=8)
    dragged = time.perf_counter() - start
    seconds = _act(page, page.mouse.up)
    caption = page.locator(MAIN).get_by_text("selected (first").first
    caption.wait_for()
    return seconds, dragged, box["n"], caption.inner_text()


def _row(measurement: str, times: list[float], target: float, detail: str) -> dict:
    best, median = min(times), statistics.median(times)
    return {
        "measurement": measurement,
        "seconds": median,
        "runs": ", ".join(f"{t:.2f}" for t in times),
        "target": f"≤ {target:g} s",
        "met": median <= target,
        "detail": detail + f" (median of {len(times)}; best {best:.2f} s)",
    }


def run() -> str:
    from playwright.sync_api import sync_playwright

    rows, load = [], [os.getloadavg()[0]]
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_server(Path(tempfile.mkdtemp(prefix="dul-bench-explorer-"))) as server:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.add_init_script(COUNT_FINISHED_RUNS)
            page.goto(f"{server.url}/embeddings")
            _idle(page, 0)
            start = time.perf_counter()
            _images(page, "all images", 2)  # mnist5k, cold: features and maps of 5,000 computed
            cold_5k = time.perf_counter() - start
            small = _warm_draws(page, "all images", 2)
            rows.append(
                _row(
                    "explorer, 5,000 points (mnist5k all images), warm draw",
                    small,
                    PAGE_TARGET_S,
                    f"2 WebGL maps (denoising AE, raw pixels), PCA cached; cold {cold_5k:.1f} s",
                )
            )
            opened = []
            for _ in range(REPEATS):  # the page as a user opens it from the sidebar: 1,000 test images, SVG
                _act(page, page.locator(NAV_LINKS).first.click)  # Home
                link = page.locator(f'{NAV_LINKS}[href$="/embeddings"]')
                opened.append(_act(page, link.click))
                print(f"   page from the sidebar: {opened[-1]:.2f} s", flush=True)
            rows.append(
                _row(
                    "explorer page opened from the sidebar (1,000 test images), warm",
                    opened,
                    PAGE_TARGET_S,
                    "2 SVG maps (denoising AE, raw pixels), probes not run",
                )
            )
            load.append(os.getloadavg()[0])

            _choose_dataset(page, "Shapes, dense grid (dSprites-like)")
            start = time.perf_counter()
            _images(page, "all images", 2)  # cold: pixel features of 73,728 images and their PCA
            cold_big = time.perf_counter() - start
            print(f"   73,728 points, cold: {cold_big:.1f} s", flush=True)
            page.screenshot(path=str(SHOTS / "explorer-70k.png"))
            big = _warm_draws(page, "all images", 2)
            rows.append(
                _row(
                    "explorer, 73,728 points (shapes-dense all images), warm first draw",
                    big,
                    BIG_TARGET_S,
                    f"2 WebGL maps (the page's defaults there: the bundled β = 1 shapes VAE, 10-D, and raw pixels, 784-D; both → 2-D by PCA), until both canvases drew; cold {cold_big:.1f} s",
                )
            )
            selections, drags, caption, chosen = [], [], "", 0
            for _ in range(REPEATS):
                _images(page, "test split", 0)  # clears the selection: a fresh map each time
                _images(page, "all images", 2)
                seconds, dragged, chosen, caption = _box_select(page, SELECT_N)
                selections.append(seconds)
                drags.append(dragged)
                print(
                    f"   box selection of {chosen:,}: {seconds:.2f} s, drag {dragged:.2f} s ({caption})",
                    flush=True,
                )
            page.screenshot(path=str(SHOTS / "explorer-70k-selection.png"))
            rows.append(
                _row(
                    f"box selection of ≈ {SELECT_N:,} of 73,728 points → gallery",
                    selections,
                    LASSO_TARGET_S,
                    f"from mouse-up; {chosen:,} points in the box; the page said: {caption!r}; the drag before "
                    f"it (8 mouse moves) took {statistics.median(drags):.2f} s (median)",
                )
            )
            toggle = page.locator(f'{MAIN} [data-testid="stCheckbox"]', has_text="Mark each map").first
            marked = [_act(page, toggle.click, drawn_maps=2)]  # on: the selection is marked on the second map
            for _ in range(REPEATS - 1):
                _act(page, toggle.click)
                marked.append(_act(page, toggle.click, drawn_maps=2))
            print(f"   marked on the other map: {marked}", flush=True)
            rows.append(
                _row(
                    "the same selection marked on the second map (on request above 20,000 points)",
                    marked,
                    BIG_TARGET_S,
                    "switching 'Mark each map's selection on the other' on until both maps drew again "
                    "(no separate target; held to the first-draw target)",
                )
            )
            load.append(os.getloadavg()[0])
            browser.close()
    notes = [
        "Headless Debian Chromium (the browser test's flags, WebGL through SwiftShader) against `streamlit run`; "
        "times from the click until the script run finished, every element rendered and, for WebGL maps, "
        "both canvases held drawn pixels. Warm = features and projection already cached in the server; each "
        "warm time is the median of "
        f"{REPEATS} (switching to the test split and back to all images between them).",
        "Box selection: a box around the first map's centre sized (in the browser, from Plotly's own points) "
        "to hold about 10,000 points, dragged with the mouse in 8 moves; timed from mouse-up until the run it "
        "starts finished and the gallery's caption shows (label counts, the first 64 images, the selection "
        "CSV button). Above 20,000 points the second map is not redrawn for a selection unless 'Mark each "
        "map's selection on the other' is on (timed separately): before that change the selection with "
        "both maps redrawn took 9.1-13.3 s including the drag (load 5-7).",
        "Where the time goes at 73,728 points (profiled apart with AppTest, same machine): the page script "
        "itself reruns warm in 0.3 s (it was 2.3 s before features moved to st.cache_resource: st.cache_data "
        "unpickled 231 MB of pixel features six times a rerun) and in 1.35 s with 10,000 points selected "
        "(Streamlit deep-copies the selection's 10,000 point records); the rest is the browser: parsing two "
        "1.8 MB figures and drawing 2 × 73,728 WebGL points with SwiftShader, i.e. on the same 2 CPU cores. "
        "Standalone, Plotly.react took 0.3-0.6 s per map and the first two animation frames 1.3-5 s.",
        "Box selection timeline (separate runs, one map, the page's script-state attribute watched in the "
        "browser): each mouse move of the drag cost 0.3-0.4 s (Plotly selects among 73,728 points and redraws "
        "the canvas with the selection on every move); from mouse-up 0.5-1.0 s until the browser starts the "
        "rerun (Plotly's selection event and Streamlit's 10,000-point JSON of it), then 0.8-1.7 s until the "
        "run finished. With both maps redrawn the run took 4.3-6.3 s instead: a Chrome DevTools CPU profile "
        "of those seconds put 65-70 % of the page's main thread in native code ('(program)': WebGL calls "
        "into SwiftShader), 5 % in Plotly's JS.",
        "1-minute load average during the run: "
        + ", ".join(f"{v:.1f}" for v in load)
        + " (2 cores, shared).",
    ]
    return str(write_result("explorer_scale", "Embedding explorer at 70,000 points (Chromium)", rows, notes))
