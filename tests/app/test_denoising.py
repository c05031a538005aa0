from __future__ import annotations

import torch

from dul_models.data import get_dataset, to_float
from dul_models.data.augment import corrupt
from dul_models.data.gallery import label_counts
from dul_models.metrics.images import psnr
from dul_models.runs.checkpoints import bundled_dir, load_run
from tests.app.conftest import chosen_run, no_exceptions, select_rows, selection_table, train_until_saved

PAGE = "app_pages/denoising/page.py"


def test_opens_on_bundled_runs_with_results(page):
    assert page.title[0].value.startswith("🧽")
    assert chosen_run(page, "denoising").endswith("autoencoder-mnist5k-denoising")
    assert chosen_run(page, "denoising", "plain").endswith("autoencoder-mnist5k-plain")
    captions = " ".join(c.value for c in page.caption)
    assert "dB" in captions and "denoising AE ·" in captions and "plain AE ·" in captions
    headers = [h.value for h in page.header]
    assert headers == [
        "Before and after",
        "PSNR against noise level",
        "Your own image",
        "Latent space",
        "Train live",
    ]
    assert len(page.get("plotly_chart")) == 2  # the PSNR curve and the latent map
    assert not page.error and not page.info


def test_before_and_after_shows_the_library_psnr(page):
    page.selectbox(key="dn-kind").set_value("salt_pepper").run()
    page.slider(key="dn-level").set_value(0.8).run()
    page.slider(key="dn-count").set_value(24).run()
    page.radio(key="dn-curve-kind").set_value("masking").run()
    no_exceptions(page)
    # the same images and noise as the page (sidebar seed 0), through the library
    x = to_float(get_dataset("mnist5k").test.x)[
        torch.randperm(1000, generator=torch.Generator().manual_seed(0))[:24]
    ]
    noisy = corrupt(x, "salt_pepper", 0.8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        denoised = load_run(bundled_dir() / "autoencoder-mnist5k-denoising").model.reconstruct(noisy)
    noisy_db, denoised_db = psnr(noisy, x).mean().item(), psnr(denoised, x).mean().item()
    assert denoised_db > noisy_db + 3  # the denoiser beats its input on salt-and-pepper at 0.8
    captions = [c.value for c in page.caption]
    assert f"noisy input · {noisy_db:.1f} dB" in captions
    assert f"denoising AE · {denoised_db:.1f} dB" in captions


def test_latent_map_selection_shows_images_and_their_labels(page):
    labels = get_dataset("mnist5k").test.y.numpy()
    rows = [1, 4, 9, 16, 25]
    select_rows(page, "dn-latent", rows)
    expected = label_counts(labels[rows], [str(d) for d in range(10)])
    table = selection_table(page)
    assert table.to_dict("records") == expected
    captions = [c.value for c in page.caption]
    assert "5 selected (first 5 shown)" in captions
    top = expected[0]
    assert f"{top['count']} of 5 selected ({top['share']:.0%}) are labelled {top['label']}" in captions
    page.session_state["dn-latent"] = {
        "selection": {"points": [], "point_indices": [], "box": [], "lasso": []}
    }
    page.run()
    assert any(c.value.startswith("Draw a box or a lasso") for c in page.caption)
    assert not page.error


def test_train_live_start_poll_finish(page):
    page.slider(key="tr-epochs").set_value(1).run()
    page.selectbox(key="tr-kind").set_value("gaussian").run()
    train_until_saved(page, "denoising", timeout_s=120)
    assert "Run: AE gaussian 0.6, z=32 (yours" in " ".join(c.value for c in page.caption)
