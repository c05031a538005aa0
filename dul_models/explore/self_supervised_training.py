"""The self-supervised page's train-live choices fitted to the chosen set (the rest: `self_supervised`).

Not every method fits every set: colourisation needs colour images to take the colour from. The method
picker offers the methods that can train on the set and the page names the others in one sentence each,
before the Start button rather than in an error after it.
"""

from __future__ import annotations

from dataclasses import dataclass

from dul_models.data import ImageDataset
from dul_models.explore.live_defaults import batch_choice, refusal
from dul_models.explore.self_supervised import family_titles

__all__ = ["BATCH_SIZES", "LiveChoices", "live_choices"]

BATCH_SIZES = (32, 64, 128, 256, 512)  # the batch-size slider's choices, before those the set cannot fill
LIVE_BATCH = 128


@dataclass(frozen=True)
class LiveChoices:
    """What the train-live controls offer on one set."""

    titles: dict[str, str]  # family → title, for the methods that can train on the set
    refused: list[str]  # one sentence per method that cannot, with its reason
    batch_sizes: list[int]  # the batch sizes the set can fill
    batch_size: int  # the default among them


def live_choices(data: ImageDataset) -> LiveChoices:
    """The methods that accept `data` (their configs checked against its image shape), why the others do
    not, and the batch sizes its training split can fill."""
    titles: dict[str, str] = {}
    refused: list[str] = []
    for family, title in family_titles().items():
        reason = refusal(family, data)
        if reason is None:
            titles[family] = title
        else:
            refused.append(f"{title} cannot train on {data.name}: {reason.rstrip('.')}.")
    options, batch = batch_choice(data, BATCH_SIZES, LIVE_BATCH)
    return LiveChoices(titles=titles, refused=refused, batch_sizes=options, batch_size=batch)
