"""The VAE page's slow calls, cached: the test set's posterior means in 2-D and a shapes run's MIG.

Runs are passed as folder paths, so `cached` keys each entry by the run's weights' modification time too.
"""

from __future__ import annotations

from app import resources
from app.resources.cache import cached
from dul_models.explore import vae as explore


@cached(show_spinner="Encoding the test set…", max_entries=16)
def latent_map(path: str, dataset_name: str, device: str) -> explore.LatentMap:
    """The run's posterior means of the test set in 2-D (PCA above two latents) and their labels."""
    images = resources.test_images(dataset_name, device)
    labels = resources.dataset(dataset_name).test.y
    return explore.latent_map(resources.loaded_run(path, device), images, labels)


@cached(show_spinner="Encoding the shapes test set and scoring disentanglement (MIG)…", max_entries=8)
def vae_mig(path: str, device: str) -> dict:
    """MIG of a VAE run on its (shapes) dataset's test split: per-factor gaps and each latent's factor."""
    run = resources.loaded_run(path, device)
    return explore.mig_score(run, resources.dataset(run.info.dataset))
