"""Train live on an imported set with each model page's default controls: Start starts a job that trains
(its first step done, then stopped with the page's Stop button), or the page says in one line, before any
Start button, why the set cannot be trained on. The sets are small on purpose (48 and 40 training images):
the defaults chosen for mnist5k (batches of 128 or 256) must shrink to fit them."""

from __future__ import annotations

import time

import pytest

from app import resources, state
from dul_models import EncoderSpec
from dul_models.data import get_dataset
from dul_models.data.imported import ImportOptions, plan_import, run_import
from dul_models.explore import clustering as explore_clustering
from dul_models.explore import live_defaults
from dul_models.explore.self_supervised import family_titles
from tests.app.conftest import ENTRY, AppTest, train_until_saved
from tests.app.test_imported_sets import _write_images

COLOUR, GREY = "traintest-pets", "traintest-scans"
MODEL_PAGES = {  # page key → its script
    "denoising": "app_pages/denoising/page.py",
    "vae": "app_pages/vae/page.py",
    "gan": "app_pages/gan/page.py",
    "pixelcnn": "app_pages/pixelcnn/page.py",
    "self_supervised": "app_pages/self_supervised/page.py",
    "clustering": "app_pages/clustering/page.py",
    "semi_supervised": "app_pages/semi_supervised/page.py",
}
REFUSED = {  # (set, page) → what the page says instead of offering Start
    (COLOUR, "pixelcnn"): "--channels 1",
    (GREY, "semi_supervised"): "has no labels",
}


@pytest.fixture(scope="module", autouse=True)
def imported(tmp_path_factory: pytest.TempPathFactory):
    """A 32×32 colour set in three class folders and a 64×64 greyscale one without labels."""
    patch = pytest.MonkeyPatch()
    patch.setenv("DUL_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    sources = tmp_path_factory.mktemp("sources")
    pets = _write_images(sources / "pets", {"cat": 20, "dog": 20, "fox": 20}, 40, "RGB")
    scans = _write_images(sources / "scans", {"": 50}, 70, "L")
    run_import(plan_import(pets, ImportOptions(COLOUR, size=32)))
    run_import(plan_import(scans, ImportOptions(GREY, size=64)))
    yield
    patch.undo()


def _open(name: str, page: str) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.session_state[state.DATASET] = name
    at.run()
    at.switch_page(MODEL_PAGES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _start_buttons(at: AppTest, page: str) -> list:
    return [b for b in at.button if b.key == state.train_button_key(page, "start")]


@pytest.mark.parametrize("name", [COLOUR, GREY])
@pytest.mark.parametrize("page", list(MODEL_PAGES))
def test_start_with_the_default_controls_trains_or_the_page_says_why_not(name: str, page: str) -> None:
    at = _open(name, page)
    if (name, page) in REFUSED:
        assert not _start_buttons(at, page)
        assert any(REFUSED[name, page] in info.value for info in at.info), [i.value for i in at.info]
        return
    at.button(key=state.train_button_key(page, "start")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    job = resources.job_manager().get(at.session_state[state.job_key(page)])
    assert job is not None and job.dataset_name == name
    deadline = time.time() + 120
    while time.time() < deadline and job.snapshot().step < 1 and not job.snapshot().finished:
        time.sleep(0.2)
    assert job.snapshot().step >= 1, job.snapshot().error  # it trained, not only queued
    at.button(key=state.train_button_key(page, "stop")).click().run()
    snap = job.wait(120)
    assert snap.status in ("cancelled", "done"), snap.error
    at.run()
    assert not at.error, [e.value for e in at.error]
    data = get_dataset(name)
    assert tuple(job.model.config.image_shape) == tuple(data.image_shape)
    assert job.train_config.batch_size <= len(data.train.x)


def test_the_defaults_follow_the_image_shape() -> None:
    """What the explore modules derive lands in the controls: a 64-pixel GAN gets an extra conv per
    resolution, a colour VAE the continuous Bernoulli likelihood, larger images a larger code."""
    at = _open(GREY, "gan")
    assert at.select_slider(key="tr-gan-depth").value == 1
    assert at.select_slider(key="tr-gan-batch").options == ["32"]  # 40 training images: 64 does not fit
    at = _open(COLOUR, "vae")
    assert at.selectbox(key="vae-tr-lik").value == "continuous_bernoulli"
    assert at.select_slider(key="vae-tr-latent").value == 32
    at = _open(COLOUR, "denoising")
    assert at.select_slider(key="tr-latent").value == 64
    at.switch_page("app_pages/gan/page.py").run()
    assert at.select_slider(key="tr-gan-depth").value == 0  # 32 pixels: the classic depth


def test_a_method_that_cannot_train_on_the_set_is_named_not_offered() -> None:
    titles = family_titles()
    at = _open(GREY, "self_supervised")
    methods = at.selectbox(key="ssl-family").options  # the titles shown
    assert titles["colorization"] not in methods and titles["simclr"] in methods
    (refused,) = [info.value for info in at.info if "cannot train on" in info.value]
    assert refused.startswith(titles["colorization"]) and "needs a colour dataset" in refused
    at = _open(COLOUR, "self_supervised")
    assert titles["colorization"] in at.selectbox(key="ssl-family").options
    assert not any("cannot train on" in info.value for info in at.info)


ENCODER_PICKERS = {  # representation page → its encoder selectbox
    "app_pages/embeddings/page.py": "emb-a",
    "app_pages/clustering/page.py": "clu-encoder",
    "app_pages/few_shot/page.py": "fs-encoder",
    "app_pages/semi_supervised/page.py": "semi-encoder",
}


def _encoder_options(at: AppTest) -> dict[str, list[str]]:
    """Each representation page's encoder choices (as the picker shows them), visiting each page."""
    found = {}
    for file, key in ENCODER_PICKERS.items():
        at.switch_page(file).run()
        assert not at.exception, [e.value for e in at.exception]
        found[file] = list(at.selectbox(key=key).options)
    return found


def test_a_run_trained_live_is_an_encoder_at_once_on_every_representation_page() -> None:
    at = _open(COLOUR, "clustering")
    before = _encoder_options(at)  # every page has drawn (and cached whatever it caches) its list
    at.switch_page(MODEL_PAGES["clustering"]).run()
    at.number_input(key="clu-steps").set_value(10)
    at.number_input(key="clu-per-round").set_value(5).run()
    path = train_until_saved(at, "clustering")
    label = EncoderSpec("run", path).label
    after = _encoder_options(at)
    added = {file: after[file].count(label) - before[file].count(label) for file in ENCODER_PICKERS}
    assert added == dict.fromkeys(ENCODER_PICKERS, 1)


def test_batch_sizes_and_clusters_fit_a_small_set() -> None:
    """The explore helpers behind the controls, on the 40 training images of the grey set: the options no
    larger than the split, the split itself when even the smallest option is too large; k from the classes."""
    grey, colour = get_dataset(GREY), get_dataset(COLOUR)
    assert len(grey.train.x) == 40 and len(colour.train.x) == 48
    assert live_defaults.batch_choice(grey, (16, 32, 64), 64) == ([16, 32], 32)
    assert live_defaults.batch_choice(grey, (64, 128), 128) == ([40], 40)
    assert live_defaults.fitting_batch(grey, 128) == 40 and live_defaults.fitting_batch(grey, 32) == 32
    assert explore_clustering.deepcluster_live_defaults(colour).clusters == 3  # its classes
    unlabelled = explore_clustering.deepcluster_live_defaults(grey)
    assert (unlabelled.clusters, unlabelled.max_clusters, unlabelled.batch_sizes) == (10, 30, [32])
