from __future__ import annotations

from tests.app.conftest import no_exceptions, train_until_saved

PAGE = "app_pages/denoising.py"


def test_opens_on_bundled_runs_with_results(page):
    assert page.title[0].value.startswith("🧽")
    assert page.sidebar.selectbox(key="run::autoencoder::main").value.endswith(
        "autoencoder-mnist5k-denoising"
    )
    captions = " ".join(c.value for c in page.caption)
    assert "dB" in captions and "denoising AE ·" in captions
    headers = [h.value for h in page.header]
    assert headers[:4] == ["Before and after", "PSNR against noise level", "Your own image", "Latent space"]
    charts = page.get("plotly_chart")
    assert len(charts) >= 2


def test_controls_rerender_without_errors(page):
    page.selectbox(key="dn-kind").set_value("salt_pepper").run()
    page.slider(key="dn-level").set_value(0.8).run()
    page.slider(key="dn-count").set_value(24).run()
    page.radio(key="dn-curve-kind").set_value("masking").run()
    no_exceptions(page)
    # the denoiser must beat the noisy input on salt-and-pepper at 0.8
    captions = {
        c.value.split(" · ")[0]: c.value for c in page.caption if " dB" in c.value and " · " in c.value
    }
    noisy = float(captions["noisy input"].split(" · ")[1].split()[0])
    denoised = float(captions["denoising AE"].split(" · ")[1].split()[0])
    assert denoised > noisy + 3


def test_train_live_start_poll_finish(page):
    page.slider(key="tr-epochs").set_value(1).run()
    page.selectbox(key="tr-kind").set_value("gaussian").run()
    train_until_saved(page, "autoencoder", timeout_s=120)
