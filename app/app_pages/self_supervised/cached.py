"""The self-supervised page's slow calls, cached (the run's modification time is in every key by itself)."""

from __future__ import annotations

from app import resources
from app.resources.cache import cached
from dul_models.explore import self_supervised_pretext as pretext
from dul_models.explore import self_supervised_training


@cached(show_spinner="Turning every test image four ways…", max_entries=8)
def rotation_by_class(path: str, dataset_name: str, device: str) -> pretext.ClassScores:
    """Per-class share of turns predicted right over all four turns of every test image."""
    return pretext.rotation_by_class(
        resources.loaded_run(path, device).model,
        resources.test_images(dataset_name, device),
        resources.dataset(dataset_name),
    )


@cached(show_spinner=False, max_entries=16)
def live_choices(dataset_name: str) -> self_supervised_training.LiveChoices:
    """The methods that can train on the set (each is built once to ask it) and the batch sizes it fills."""
    return self_supervised_training.live_choices(resources.dataset(dataset_name))
