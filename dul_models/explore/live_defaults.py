"""What every train-live section needs so that its default controls fit the chosen data set.

An imported set may hold a few dozen images, be in colour or grey, 28, 32 or 64 pixels wide: the pages'
defaults were chosen for mnist5k. Here the choices a set can fill (batch sizes no larger than its training
split: uniform batches are drawn without replacement) and a family's refusal of the set in one sentence,
so a page can say it before the Start button instead of failing after it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dul_models.core.errors import ConfigError
from dul_models.data import ImageDataset
from dul_models.models import build_model

__all__ = ["batch_choice", "fitting_batch", "image_values", "refusal", "training_images"]


def training_images(data: ImageDataset) -> int:
    """The number of images in the set's training split: what one batch can hold at most."""
    return len(data.train.x)


def image_values(image_shape: Sequence[int]) -> int:
    """Values per image (C·H·W): 784 for MNIST, 3,072 for a 32×32 colour set, 4,096 for 64×64 grey."""
    channels, height, width = image_shape
    return int(channels) * int(height) * int(width)


def fitting_batch(data: ImageDataset, preferred: int) -> int:
    """`preferred`, or the whole training split when the set is smaller than one such batch."""
    return max(1, min(int(preferred), training_images(data)))


def batch_choice(data: ImageDataset, options: Sequence[int], preferred: int) -> tuple[list[int], int]:
    """The batch sizes of `options` the set can fill and the default among them: the largest one no larger
    than `preferred`. A set smaller than every option gets one choice, its whole training split."""
    n = training_images(data)
    fitting = [int(o) for o in options if o <= n] or [n]
    default = max((o for o in fitting if o <= preferred), default=fitting[0])
    return fitting, default


def refusal(family: str, data: ImageDataset, model_config: Mapping[str, Any] | None = None) -> str | None:
    """Why `family` cannot be trained on `data` with this config, in the family's own words (colourisation
    on a greyscale set, PixelCNN on a colour one), or None when it can. The model is built and prepared
    for the set as a training job does before its first step (some families check the image shape only
    there); with the small widths of live training that takes milliseconds."""
    config = dict(model_config or {}, image_shape=tuple(data.image_shape))
    try:
        build_model(family, config, seed=0).prepare(data)
    except ConfigError as exc:
        return str(exc)
    return None
