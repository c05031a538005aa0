"""The real app in a real browser: every page in the sidebar renders, reacts to a control, and logs no error.

Runs the Streamlit server (fixture `streamlit_server`) and Debian's Chromium (fixture `chromium`), visits
every page listed in the sidebar navigation by clicking its link, moves the page's first slider with the
keyboard, and saves a full-page screenshot of each page to artifacts/screenshots/<page-slug>.png. On the
denoising page it also uploads a drawn digit and a file that is not an image, box-selects points on the
latent map (the selected images and their label counts appear) and downloads the run as a zip. On the
"Your data" page it uploads a zip of images in class folders, imports it, opens every other page on the
new set and removes it again (the server imports into a temporary data folder). Any exception box, any
unexpected `st.error`, any console error, any uncaught page error and any traceback in the server's log
fails the test.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from PIL import Image, ImageDraw

from .conftest import ROOT, BrowserErrors, Server

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
VIEWPORT = {"width": 1400, "height": 1000}
RUN_TIMEOUT_MS = 120_000  # one script run and its rendering; a cold page takes ~10 s on a busy 2-core box

# Streamlit sets data-test-script-state on the app root: "initial" before the first run, then "running",
# "notRunning", "rerunRequested", ... . A run can start and end between two polls, so a MutationObserver
# installed before any page script counts every run that finished (old value "running"). Waiting for the
# counter to pass its value from before an action, and for the state to read "notRunning", waits for
# exactly the rerun the action caused, without fixed sleeps.
COUNT_FINISHED_RUNS = """
window.__stRunsFinished = 0;
new MutationObserver((records) => {
  for (const record of records) if (record.oldValue === 'running') window.__stRunsFinished += 1;
}).observe(document, {
  subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state'],
});
"""
# A finished run is not yet a rendered page: most element types are code-split, and until an element's
# chunk has loaded (and, on a busy machine, been parsed: Plotly takes seconds) Streamlit draws a
# [data-testid="stSkeleton"] placeholder in its place; an exception box could hide behind one. So "idle"
# also means that no skeleton is left.
IDLE_AFTER = """
(before) => window.__stRunsFinished > before &&
  document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state') === 'notRunning' &&
  !document.querySelector('[data-testid="stSkeleton"]')
"""
PAGE_STATE = """
() => ({
  runsFinished: window.__stRunsFinished,
  scriptState: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state'),
  skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
})
"""

APP = '[data-testid="stApp"]'
NAV_LINKS = '[data-testid="stSidebarNav"] a[data-testid="stSidebarNavLink"]'
NAV_MORE = '[data-testid="stSidebarNav"] [data-testid="stSidebarNavViewButton"]'
MAIN = '[data-testid="stMain"]'
EXCEPTION = '[data-testid="stException"]'
ERROR = '[data-testid="stAlertContentError"]'
SLIDER = f'{MAIN} [data-testid="stSlider"]:visible'  # sliders in a closed expander cannot be moved
SLIDER_VALUE = '[data-testid="stSliderThumbValue"]'
PLOTLY_CHART = f'{MAIN} [data-testid="stPlotlyChart"]'
UPLOAD_INPUT = f'{MAIN} [data-testid="stFileUploader"] input[type="file"]'

UNREADABLE = "could not read this file as an image"


@dataclass
class Driver:
    """One browser tab on the app, with what is needed to explain a failure."""

    page: object  # playwright.sync_api.Page (imported lazily: the package is only needed when this runs)
    server: Server
    errors: BrowserErrors

    def diagnose(self, where: str) -> str:
        state = self.page.evaluate(PAGE_STATE)
        return (
            f"{where}\npage {self.page.url}: {state}\nexceptions: {self.page.locator(EXCEPTION).all_inner_texts()}"
            f"\nconsole errors so far: {self.errors.console}\npage errors so far: {self.errors.page}"
            f"\n--- server log (tail) ---\n{self.server.log()}"
        )

    def act_and_wait(self, where: str, action: Callable[[], object], *, fresh_document: bool = False) -> None:
        """Do `action`, which must cause a script run, and wait until that run has finished and rendered.

        `fresh_document`: the action loads a new document, whose run counter starts again at 0."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        before = 0 if fresh_document else self.page.evaluate("window.__stRunsFinished")
        action()
        try:
            self.page.wait_for_function(IDLE_AFTER, arg=before, timeout=RUN_TIMEOUT_MS)
        except PlaywrightTimeout:
            pytest.fail(self.diagnose(f"{where}: no finished, rendered rerun within {RUN_TIMEOUT_MS} ms"))

    def assert_healthy(self, where: str, expected_errors: tuple[str, ...] = ()) -> None:
        """No exception box; every st.error shown must contain one of `expected_errors`."""
        assert not self.page.locator(EXCEPTION).count(), self.diagnose(f"{where}: an exception is shown")
        errors = self.page.locator(ERROR).all_inner_texts()
        unexpected = [e for e in errors if not any(text in e for text in expected_errors)]
        assert not unexpected, f"{where}: unexpected st.error: {unexpected}"

    def show_all_nav_links(self) -> None:
        """With many pages the sidebar lists the first ones and a "View N more" button: press it."""
        more = self.page.locator(NAV_MORE)
        if more.count() and "more" in more.inner_text():
            more.click()
            self.page.wait_for_function(
                "(s) => !document.querySelector(s)?.innerText.includes('more')", arg=NAV_MORE
            )

    def screenshot(self, name: str) -> None:
        """The whole page. Streamlit scrolls inside its main block, not the document, so `full_page=True`
        alone captures one viewport: grow the viewport to the content's height for the shot."""
        page = self.page
        height = page.evaluate(
            """() => Math.max(window.innerHeight, ...[...document.querySelectorAll(
                 '[data-testid="stMain"], [data-testid="stMainBlockContainer"], [data-testid="stSidebarContent"]'
               )].map((e) => e.scrollHeight))"""
        )
        page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(height) + 100, 16_000)})
        try:
            page.wait_for_function("() => [...document.images].every((image) => image.complete)")
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, animations="disabled")
        finally:
            page.set_viewport_size(VIEWPORT)

    def move_first_slider(self, where: str, label: str | None = None) -> None:
        """Move the main area's first slider two steps with the keyboard, waiting for each rerun.

        One press per rerun on purpose: a second press before the first rerun has finished interrupts it,
        and Streamlit then deletes the images that run had sent while the browser is still fetching them
        ("404 /media/…" and "Image source error" in the console; a Streamlit race, not the app's)."""
        boxes = self.page.locator(SLIDER)
        box = (boxes.filter(has_text=label) if label else boxes).first
        if not box.count():
            pytest.fail(f"{where}: no st.slider {label or ''} in the main area to exercise")
        box.scroll_into_view_if_needed()
        # This Streamlit draws a react-aria <input type="range"> (implicit role "slider"); older ones a
        # baseweb <div role="slider">: get_by_role finds either.
        thumb = box.get_by_role("slider").first
        low, value, high, step = thumb.evaluate(
            """(e) => [...['min', 'now', 'max'].map((k) =>
                 Number(e.getAttribute('aria-value' + k) ?? e[k === 'now' ? 'value' : k])), Number(e.step) || 0]"""
        )
        # Towards the far end, so that both presses move it (also a select_slider with three options).
        key, room = (
            ("ArrowRight", high - value) if value - low <= high - value else ("ArrowLeft", value - low)
        )
        assert room > 0, f"{where}: the first slider cannot move ({low}..{high})"
        presses = 1 if step and room < 2 * step - 1e-9 else 2
        before = box.locator(SLIDER_VALUE).inner_text()
        for _ in range(presses):
            thumb.focus()
            self.act_and_wait(f"{where}, slider {key}", lambda: thumb.press(key))
        after = box.locator(SLIDER_VALUE).inner_text()
        assert after != before, f"{where}: the slider did not move ({before!r} → {after!r})"


def digit_png() -> bytes:
    """A dark '8' on white, 200×300 RGB, as a user would draw or photograph it."""
    image = Image.new("RGB", (200, 300), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((55, 30, 145, 140), outline="black", width=22)
    draw.ellipse((45, 130, 155, 270), outline="black", width=22)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def check_denoising_upload(app: Driver) -> None:
    upload = app.page.locator(UPLOAD_INPUT).first
    png = {"name": "digit.png", "mimeType": "image/png", "buffer": digit_png()}
    app.act_and_wait("denoising, uploading a digit", lambda: upload.set_input_files(png))
    # The grid's caption: st.image's own or an st.caption below it, so match the text, not the element.
    app.page.locator(MAIN).get_by_text("yours · noisy · denoised").first.wait_for()
    app.assert_healthy("denoising, after uploading a digit")
    app.screenshot("denoising-upload")

    fake = {"name": "notes.png", "mimeType": "image/png", "buffer": b"These are notes, not pixels.\n" * 20}
    app.act_and_wait("denoising, uploading a non-image", lambda: upload.set_input_files(fake))
    app.page.locator(ERROR, has_text=UNREADABLE).first.wait_for()
    app.assert_healthy("denoising, after uploading a non-image", (UNREADABLE,))
    app.screenshot("denoising-bad-upload")
    # The page still works: another control reruns it without an exception.
    app.move_first_slider("denoising, after the bad upload")
    app.assert_healthy("denoising, after the bad upload", (UNREADABLE,))


# a lasso around the middle of the map: an octagon, in fractions of the plot area
LASSO = [
    (0.5 + 0.3 * c, 0.5 + 0.3 * s)
    for c, s in ((1, 0), (0.7, 0.7), (0, 1), (-0.7, 0.7), (-1, 0), (-0.7, -0.7), (0, -1), (0.7, -0.7), (1, 0))
]


def box_select(
    app: Driver, chart_text: str, where: str, expected_errors: tuple[str, ...] = (), *, lasso: bool = False
) -> None:
    """Box-select (or lasso) the middle of the map whose text contains `chart_text`; its gallery must appear."""
    page = app.page
    chart = page.locator(PLOTLY_CHART, has_text=chart_text).first
    chart.scroll_into_view_if_needed()
    chart.hover()
    chart.locator(f'.modebar-btn[data-val="{"lasso" if lasso else "select"}"]').first.click()
    box = chart.locator(".nsewdrag").first.bounding_box()
    path = LASSO if lasso else [(0.2, 0.2), (0.8, 0.8)]

    def drag() -> None:
        page.mouse.move(box["x"] + path[0][0] * box["width"], box["y"] + path[0][1] * box["height"])
        page.mouse.down()
        for fx, fy in path[1:]:
            page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"], steps=4)
        page.mouse.up()

    app.act_and_wait(f"{where}, {'lasso' if lasso else 'box'}-selecting on the map", drag)
    page.locator(MAIN).get_by_text("selected (first").first.wait_for()
    app.assert_healthy(f"{where}, after a box selection", expected_errors)
    app.screenshot(f"{where}-selection")


def check_denoising_map_and_run_zip(app: Driver) -> None:
    """Box-select on the latent map (the rows ride in custom_data) and download the run's zip."""
    page = app.page
    box_select(app, "Codes of", "denoising", (UNREADABLE,))  # the bad upload's message is still shown

    button = page.locator(f'{MAIN} [data-testid="stDownloadButton"] button', has_text="Download this run")
    with page.expect_download(timeout=60_000) as download:
        button.click()  # the zip is built on the server on demand (a deferred download)
    with zipfile.ZipFile(download.value.path()) as archive:
        names = archive.namelist()
    assert any(n.endswith("/model.safetensors") for n in names) and any(
        n.endswith("/config.json") for n in names
    ), f"the run's zip holds {names}"
    app.assert_healthy("denoising, after downloading the run", (UNREADABLE,))


def check_denoising(app: Driver) -> None:
    check_denoising_upload(app)
    check_denoising_map_and_run_zip(app)


# Every WebGL map on the page has drawn: its gl-canvas-context holds non-transparent pixels (Plotly keeps
# the drawing buffer, so it can be read back). Shared with benchmarks/bench_explorer_scale.py.
GL_DRAWN = """
(n) => {
  const canvases = [...document.querySelectorAll('[data-testid="stMain"] canvas.gl-canvas-context')];
  if (canvases.length < n) return false;
  return canvases.every((canvas) => {
    const copy = document.createElement('canvas');
    copy.width = canvas.width; copy.height = canvas.height;
    const context = copy.getContext('2d');
    context.drawImage(canvas, 0, 0);
    const pixels = context.getImageData(0, 0, copy.width, copy.height).data;
    for (let i = 3; i < pixels.length; i += 64) if (pixels[i] > 0) return true;
    return false;
  });
}
"""


# page coordinates of the first map's first point
FIRST_POINT = """
() => {
  const gd = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
  const trace = gd._fullData[0], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const drag = gd.querySelector('.nsewdrag').getBoundingClientRect();
  return {x: drag.left + xa.d2p(trace.x[0]), y: drag.top + ya.d2p(trace.y[0])};
}
"""


def check_embeddings(app: Driver) -> None:
    """Click a point: its image (it becomes the neighbours' query). Lasso on the first encoder's map:
    the gallery, its label counts and the linked map update. Then all 5,000 images: above 3,000 points the
    maps are WebGL (scattergl), and both must draw."""
    page = app.page
    chart = page.locator(PLOTLY_CHART, has_text="by PCA").first
    chart.scroll_into_view_if_needed()
    chart.hover()
    point = page.evaluate(FIRST_POINT)
    app.act_and_wait("embeddings, clicking a point", lambda: page.mouse.click(point["x"], point["y"]))
    page.locator(MAIN).get_by_text("1 selected (first 1 shown)").first.wait_for()  # (the point on top there)
    box_select(app, "by PCA", "embeddings", lasso=True)
    assert app.page.locator(PLOTLY_CHART, has_text="selected on the other map").count() == 1
    radio = app.page.locator(f'{MAIN} [data-testid="stRadio"]', has_text="Images").first
    app.act_and_wait("embeddings, all images", radio.get_by_text("all images").click)
    app.page.wait_for_function(GL_DRAWN, arg=2, timeout=RUN_TIMEOUT_MS)
    app.assert_healthy("embeddings, all images (WebGL maps)")
    app.screenshot("embeddings-webgl")


def check_self_supervised(app: Driver) -> None:
    """The InfoNCE game: raising the temperature changes the anchor's loss (computed on the server)."""
    metric = app.page.locator(f'{MAIN} [data-testid="stMetric"]', has_text="Loss of anchor").first
    if not metric.count():
        pytest.fail("self-supervised: no InfoNCE loss shown (is the bundled SimCLR run missing?)")
    before = metric.locator('[data-testid="stMetricValue"]').inner_text()
    app.move_first_slider("self-supervised, temperature", label="Temperature τ")
    after = metric.locator('[data-testid="stMetricValue"]').inner_text()
    assert after != before, f"self-supervised: the loss did not follow the temperature ({before} → {after})"
    app.assert_healthy("self-supervised, after moving the temperature")
    app.screenshot("self-supervised-temperature")


def check_clustering(app: Driver) -> None:
    """Sweep k (three charts, each marking its best k), then switch to a Gaussian mixture: its BIC appears
    and the sweep, cached with its progress bar drawn inside, is replayed on the rerun without an error."""
    page = app.page
    sweep = page.locator(f"{MAIN} button", has_text="Sweep k = 2")
    sweep.scroll_into_view_if_needed()
    app.act_and_wait("clustering, sweeping k", sweep.click)
    best = page.locator(PLOTLY_CHART, has_text="best k =")
    assert best.count() == 3, f"clustering: {best.count()} sweep charts mark a best k, expected 3"
    app.assert_healthy("clustering, after the k-sweep")

    algorithm = page.locator(f'{MAIN} [data-testid="stSelectbox"]', has_text="Algorithm").first
    algorithm.scroll_into_view_if_needed()
    algorithm.click()
    app.act_and_wait(
        "clustering, choosing a Gaussian mixture", page.get_by_role("option", name="Gaussian mixture").click
    )
    page.locator(f'{MAIN} [data-testid="stMetric"]', has_text="BIC").first.wait_for()
    assert page.locator(PLOTLY_CHART, has_text="best k =").count() == 3, "clustering: the sweep was lost"
    app.assert_healthy("clustering, after choosing a Gaussian mixture")
    app.screenshot("clustering-gmm")


def check_semi_supervised(app: Driver) -> None:
    """The label budget slider drives the labelled images shown, and the budget chart's label-propagation
    line is recomputed on the server and drawn (with the benchmark's training lines when it has run)."""
    page = app.page
    budget = page.locator(SLIDER, has_text="Labels per class").first
    value = budget.locator(SLIDER_VALUE).inner_text()
    page.locator(MAIN).get_by_text(f"({value} per class, label seed").first.wait_for()
    button = page.locator(f"{MAIN} button", has_text="Recompute label propagation")
    button.scroll_into_view_if_needed()
    app.act_and_wait("semi-supervised, recomputing the label-propagation line", button.click)
    chart = page.locator(PLOTLY_CHART, has_text="Is unlabelled data worth it?")
    assert chart.count() == 1, "semi-supervised: no accuracy-against-budget chart after the recompute"
    page.locator(MAIN).get_by_text("Dashed: recomputed on this page").first.wait_for()
    app.assert_healthy("semi-supervised, after recomputing the budget chart")
    app.screenshot("semi-supervised-budget-chart")


def check_few_shot(app: Driver) -> None:
    """A new seeded episode is drawn and answered on the server (its regions and distances drawn), then
    the game is submitted unanswered: the person's score (0 %) appears beside the model's."""
    page = app.page
    seed = page.locator(f'{MAIN} [data-testid="stNumberInput"]', has_text="Episode seed").locator("input")
    before = seed.input_value()
    button = page.locator(f"{MAIN} button", has_text="New episode")
    button.scroll_into_view_if_needed()
    app.act_and_wait("few-shot, drawing a new episode", button.click)
    after = seed.input_value()
    assert after == str(int(before) + 1), f"few-shot: the episode seed went {before!r} → {after!r}"
    assert page.locator(PLOTLY_CHART, has_text="Query × prototype distances").count() == 1
    submit = page.locator(f"{MAIN} button", has_text="Submit my answers")
    submit.scroll_into_view_if_needed()
    app.act_and_wait("few-shot, submitting the game", submit.click)
    score = page.locator(f'{MAIN} [data-testid="stMetric"]', has_text="Your accuracy").first
    assert score.locator('[data-testid="stMetricValue"]').inner_text() == "0%"
    app.assert_healthy("few-shot, after a new episode and the game")
    app.screenshot("few-shot-game")


OWN_SET = "browser-shapes"  # the data set the walk imports (into the server's temporary data folder)
OWN_CLASSES = {"discs": "ellipse", "squares": "rectangle", "triangles": "polygon"}
OWN_PER_CLASS = 30


def own_images_zip() -> bytes:
    """A zip as a user makes it (one wrapper folder, one subfolder per class): 30 drawn shapes per class
    in random colours and places, 40×36 pixels, and a note that is no image."""
    import random

    rng = random.Random(0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for folder, shape in OWN_CLASSES.items():
            for i in range(OWN_PER_CLASS):
                image = Image.new("RGB", (40, 36), tuple(rng.randrange(150, 256) for _ in range(3)))
                x, y, r = rng.randrange(8, 28), rng.randrange(8, 24), rng.randrange(5, 9)
                colour = tuple(rng.randrange(0, 120) for _ in range(3))
                draw = ImageDraw.Draw(image)
                if shape == "polygon":
                    draw.polygon([(x - r, y + r), (x + r, y + r), (x, y - r)], fill=colour)
                else:
                    getattr(draw, shape)((x - r, y - r, x + r, y + r), fill=colour)
                png = io.BytesIO()
                image.save(png, format="PNG")
                archive.writestr(f"{OWN_SET}/{folder}/{i:02d}.png", png.getvalue())
        archive.writestr(f"{OWN_SET}/README.txt", "drawn shapes")
    return buffer.getvalue()


def check_your_data(app: Driver) -> None:
    """Upload a zip of class folders: the preview (class counts, images, the skipped note) before anything
    is written; Import (the bar, then the summary); select the set in the sidebar and open every other
    page on it; then remove it, which puts the sidebar back on the default set for the rest of the walk."""
    page = app.page
    here = page.url
    upload = page.locator(UPLOAD_INPUT).first
    archive = {"name": f"{OWN_SET}.zip", "mimeType": "application/zip", "buffer": own_images_zip()}
    app.act_and_wait("your data, uploading a zip", lambda: upload.set_input_files(archive))
    total = OWN_PER_CLASS * len(OWN_CLASSES)
    images = page.locator(f'{MAIN} [data-testid="stMetric"]', has_text="Images").first
    assert images.locator('[data-testid="stMetricValue"]').inner_text() == str(total)
    page.locator(MAIN).get_by_text("Skipped 1 file(s)").first.wait_for()
    assert page.locator(f'{MAIN} [data-testid="stImage"]').count() >= len(OWN_CLASSES)  # a grid per class
    app.assert_healthy("your data, the preview")
    app.screenshot("your-data-preview")

    button = page.locator(f"{MAIN} button", has_text=f"Import {total} images")
    button.scroll_into_view_if_needed()
    app.act_and_wait("your data, importing", button.click)
    page.locator(MAIN).get_by_text(f"Imported {OWN_SET}").first.wait_for(timeout=RUN_TIMEOUT_MS)
    select = page.locator(f"{MAIN} button", has_text="select it in the sidebar")
    select.wait_for(timeout=RUN_TIMEOUT_MS)
    app.act_and_wait("your data, selecting the new set", select.click)
    page.locator(MAIN).get_by_text("is selected in the sidebar").first.wait_for()
    dataset = page.locator(
        '[data-testid="stSidebar"] [data-testid="stSelectbox"] input[aria-label="Dataset"]'
    )
    assert dataset.input_value() == OWN_SET, f"the sidebar shows {dataset.input_value()!r}"
    app.assert_healthy("your data, after the import")
    app.screenshot("your-data-imported")

    app.show_all_nav_links()
    others = [link.get_attribute("href") for link in page.locator(NAV_LINKS).all()]
    for href in [h for h in others if h != here]:
        where = f"page {slug(href)!r} on {OWN_SET}"
        app.show_all_nav_links()
        app.act_and_wait(f"{where}, opening it", page.locator(f'{NAV_LINKS}[href="{href}"]').click)
        page.locator(f"{MAIN} h1").first.wait_for(state="visible")
        app.assert_healthy(where)
        app.screenshot(f"{slug(href)}-on-{OWN_SET}")

    app.show_all_nav_links()
    app.act_and_wait("your data, back", page.locator(f'{NAV_LINKS}[href="{here}"]').click)
    tick = page.locator(f'{MAIN} [data-testid="stCheckbox"]', has_text="Yes, delete it").first
    tick.scroll_into_view_if_needed()
    app.act_and_wait("your data, ticking remove", tick.locator("label").click)
    remove = page.locator(f"{MAIN} button", has_text="Remove").first
    app.act_and_wait("your data, removing the set", remove.click)
    page.locator(MAIN).get_by_text(f"Removed {OWN_SET}").first.wait_for()
    assert dataset.input_value() != OWN_SET, "the sidebar still shows the removed set"
    app.assert_healthy("your data, after removing the set")


EXTRA_CHECKS: dict[str, Callable[[Driver], None]] = {
    "your-data": check_your_data,
    "denoising": check_denoising,
    "embeddings": check_embeddings,
    "self-supervised": check_self_supervised,
    "clustering": check_clustering,
    "semi-supervised": check_semi_supervised,
    "few-shot": check_few_shot,
}


def slug(href: str) -> str:
    return urlparse(href).path.strip("/").replace("/", "-") or "home"


def record_errors(page, errors: BrowserErrors) -> None:
    def on_console(message) -> None:
        if message.type == "error":
            errors.console.append(f"{message.text} (at {message.location.get('url', '?')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.page.append(str(error)))


@pytest.mark.timeout(780)  # 540 s, and the walk over every page on an imported set
def test_every_page_renders_reacts_and_logs_no_error(chromium, streamlit_server: Server) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    errors = BrowserErrors()
    context = chromium.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        page.add_init_script(COUNT_FINISHED_RUNS)
        record_errors(page, errors)
        app = Driver(page, streamlit_server, errors)

        app.act_and_wait(
            "opening the app", lambda: page.goto(streamlit_server.url + "/"), fresh_document=True
        )
        assert page.locator(APP).get_attribute("data-test-connection-state") == "CONNECTED"
        app.show_all_nav_links()
        links = [(link.get_attribute("href"), link.inner_text()) for link in page.locator(NAV_LINKS).all()]
        slugs = [slug(href) for href, _ in links]
        assert "home" in slugs and all(name in slugs for name in EXTRA_CHECKS), f"sidebar links: {links}"

        for href, label in links:
            name = slug(href)
            where = f"page {name!r} ({' '.join(label.split())})"
            if page.url != href:
                # Navigate as a user does: click the sidebar link (client-side; one script run).
                app.show_all_nav_links()
                link = page.locator(f'{NAV_LINKS}[href="{href}"]')
                app.act_and_wait(f"{where}, opening it", link.click)
                assert page.url == href, f"{where}: its link led to {page.url}"
            page.locator(f"{MAIN} h1").first.wait_for(state="visible")
            app.assert_healthy(f"{where}, on arrival")

            app.move_first_slider(where)
            app.assert_healthy(f"{where}, after moving a slider")
            app.screenshot(name)

            if name in EXTRA_CHECKS:
                EXTRA_CHECKS[name](app)
    finally:
        context.close()

    # On this offline machine no console error comes from a missing internet connection (the app loads no
    # fonts, icons or telemetry from outside), so nothing is filtered: every error here is the app's.
    problems = [f"console: {m}" for m in errors.console] + [f"pageerror: {m}" for m in errors.page]
    assert not problems, "the browser logged errors:\n" + "\n".join(problems)
    log = streamlit_server.log(tail=200_000)
    assert "Traceback (most recent call last)" not in log, f"the server logged a traceback:\n{log[-6000:]}"
