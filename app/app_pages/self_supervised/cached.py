"""The self-supervised page's slow calls, cached (the run's modification time is in every key by itself)."""

from __future__ import annotations

from app import resources
from app.resources.cache import cached
from dul_models.explore import self_supervised_pretext as pretext


@cached(show_spinner="Turning every test image four ways…", max_entries=8)
def rotation_by_class(path: str, dataset_name: str, device: str) -> pretext.ClassScores:
    """Per-class share of turns predicted right over all four turns of every test image."""
    return pretext.rotation_by_class(
        resources.loaded_run(path, device).model,
        resources.test_images(dataset_name, device),
        resources.dataset(dataset_name),
    )
