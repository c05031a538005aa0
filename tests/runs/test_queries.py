from __future__ import annotations

import torch

from dul_models.models import build_model
from dul_models.runs.checkpoints import save_run
from dul_models.runs.queries import find_run, find_runs


def test_finds_bundled_runs_by_config():
    z2 = find_run("vae", "mnist5k", latent_dim=2)
    assert z2 is not None and z2.config["latent_dim"] == 2 and z2.bundled
    pair = {b: find_run("vae", "shapes-dense", bundled=True, beta=b) for b in (1.0, 2.0)}
    assert {b: run.config["decoder"] for b, run in pair.items()} == {1.0: "conv", 2.0: "broadcast"}
    assert find_run("vae", "mnist5k", latent_dim=3) is None
    assert find_run("vae", "mnist5k", no_such_field=1) is None
    assert all(r.family == "vae" and r.dataset == "mnist5k" for r in find_runs("vae", "mnist5k"))


def test_bundled_first_then_the_users_runs(isolated_runs_dir):
    torch.manual_seed(0)
    config = {"image_shape": (1, 8, 8), "latent_dim": 3, "base_channels": 4, "corruption": "none"}
    mine = save_run(
        isolated_runs_dir / "autoencoder-digits-query-test",
        build_model("autoencoder", config),
        dataset="digits",
        seed=0,
        step=1,
    )
    try:
        found = find_runs("autoencoder", "digits", latent_dim=3, corruption="none")
        assert [r.path for r in found] == [mine]
        assert find_run("autoencoder", "digits", bundled=True, latent_dim=3) is None
        assert find_run("autoencoder", "digits", bundled=False, latent_dim=3).path == mine
    finally:
        for path in mine.iterdir():
            path.unlink()
        mine.rmdir()
