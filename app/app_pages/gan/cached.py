"""The GANs page's slow calls, cached: the checked run, the classifier that scores samples, and the two
measurements a cold server spends its first visit on (also on disk, in the library).

Runs are passed as folder paths, so `cached` keys each entry by the run's weights' modification time too.
"""

from __future__ import annotations

from app import resources
from app.resources.cache import cached
from dul_models import LoadedRun
from dul_models.explore import gan as explore


@cached(resource=True, show_spinner="Loading the GAN…", max_entries=8)
def prepared_gan(path: str, dataset_name: str, device: str) -> LoadedRun:
    """A DCGAN run checked against the dataset (labels for a conditional GAN), loaded once per process."""
    return explore.prepared(resources.loaded_run(path, device), resources.dataset(dataset_name))


@cached(
    resource=True, show_spinner="Loading the dataset's classifier and its training features…", max_entries=4
)
def sample_scorer(dataset_name: str, device: str) -> explore.Scorer:
    """The dataset's classifier as a fitted scorer (FID, class histogram, neighbours), or None and why."""
    return explore.load_scorer(resources.dataset(dataset_name), device)


@cached(show_spinner="Classifying samples…", max_entries=32)
def gan_class_histogram(
    path: str, dataset_name: str, device: str, n: int, seed: int, temperature: float
) -> explore.ClassHistogramView:
    """Predicted classes of n samples of the run (seed, temperature), read from disk when measured before."""
    data = resources.dataset(dataset_name)
    run = prepared_gan(path, dataset_name, device)
    return explore.class_histogram(run, sample_scorer(dataset_name, device), data, n, seed, temperature)


@cached(show_spinner="Measuring how far real test digits are from the training set…", max_entries=8)
def gan_reference_distance(dataset_name: str, device: str) -> float:
    """Median classifier-feature distance of a real test image to its nearest training image."""
    return explore.reference_distance(sample_scorer(dataset_name, device), resources.dataset(dataset_name))
