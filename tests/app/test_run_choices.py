"""Run choices belong to a page and a role: choosing one never changes another, and survives page switches."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app import state
from dul_models.runs.checkpoints import bundled_dir
from tests.app.conftest import chosen_run, no_exceptions

BUNDLED = str(bundled_dir())


def test_a_choice_on_one_page_changes_no_other_and_survives_a_page_switch(app):
    app.switch_page("app_pages/vae/page.py").run()
    app.sidebar.selectbox(key=state.run_widget_key("vae")).set_value(f"{BUNDLED}/vae-mnist5k-z2").run()
    no_exceptions(app)
    assert chosen_run(app, "vae") == f"{BUNDLED}/vae-mnist5k-z2"

    app.switch_page("app_pages/pixelcnn/page.py").run()
    no_exceptions(app)
    app.sidebar.selectbox(key=state.run_widget_key("pixelcnn")).set_value(
        f"{BUNDLED}/pixelcnn-mnist5k-plain"
    ).run()
    no_exceptions(app)
    assert chosen_run(app, "pixelcnn", "main") == f"{BUNDLED}/pixelcnn-mnist5k-plain"
    assert chosen_run(app, "pixelcnn", "plain") == f"{BUNDLED}/pixelcnn-mnist5k-plain"  # its own default

    app.switch_page("app_pages/denoising/page.py").run()
    no_exceptions(app)
    assert chosen_run(app, "denoising", "main") == f"{BUNDLED}/autoencoder-mnist5k-denoising"
    assert chosen_run(app, "denoising", "plain") == f"{BUNDLED}/autoencoder-mnist5k-plain"

    app.switch_page("app_pages/vae/page.py").run()  # the VAE page's choice outlived its widget
    no_exceptions(app)
    assert chosen_run(app, "vae") == f"{BUNDLED}/vae-mnist5k-z2"
    assert "VAE, 2-D latent" in " ".join(c.value for c in app.caption)
    assert app.session_state[state.run_key("pixelcnn", "main")] == f"{BUNDLED}/pixelcnn-mnist5k-plain"


def two_pages_pick_a_vae() -> None:
    """Two pages that both have a VAE role, drawn in one script (as the embedding explorer will)."""
    from app.components.runs import run_picker

    run_picker("vae", "main", "vae", label="VAE page: VAE run")
    run_picker("embeddings", "encoder", "vae", label="Embeddings page: encoder")


def test_two_pages_with_the_same_family_keep_separate_choices():
    at = AppTest.from_function(two_pages_pick_a_vae, default_timeout=60)
    at.run()
    no_exceptions(at)
    z16, z2 = f"{BUNDLED}/vae-mnist5k-z16", f"{BUNDLED}/vae-mnist5k-z2"
    assert chosen_run(at, "vae") == z16 and chosen_run(at, "embeddings", "encoder") == z16
    at.sidebar.selectbox(key=state.run_widget_key("vae")).set_value(z2).run()
    assert chosen_run(at, "vae") == z2 and chosen_run(at, "embeddings", "encoder") == z16
    at.sidebar.selectbox(key=state.run_widget_key("embeddings", "encoder")).set_value(z2).run()
    at.sidebar.selectbox(key=state.run_widget_key("vae")).set_value(z16).run()
    assert chosen_run(at, "vae") == z16 and chosen_run(at, "embeddings", "encoder") == z2
