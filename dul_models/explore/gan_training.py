"""The GANs page's train-live defaults, fitted to the chosen data set (the rest of the page: `gan`)."""

from __future__ import annotations

from dataclasses import dataclass

from dul_models.data import ImageDataset
from dul_models.explore.live_defaults import batch_choice

__all__ = ["BATCH_SIZES", "LiveDefaults", "live_defaults"]

BATCH_SIZES = (32, 64, 128)  # the batch-size slider's choices, before those the set cannot fill
LIVE_BATCH = 64
WIDE_IMAGE = 64  # pixels from which D's two stride-2 layers see too little of the image (below)


@dataclass(frozen=True)
class LiveDefaults:
    """What the controls start at on this set."""

    batch_sizes: list[int]  # the choices the set can fill
    batch_size: int
    depth: int  # extra 3×3 convolutions per resolution in G and D


def live_defaults(data: ImageDataset) -> LiveDefaults:
    """The DCGAN here has two resolutions whatever the image size: D's two 4×4 stride-2 layers see 10-pixel
    patches, plenty for a 28-pixel digit but a sixth of a 64-pixel image, so from 64 pixels one extra 3×3
    convolution per resolution (depth 1) more than doubles what each of D's features sees. The batch is one
    the set can fill."""
    options, batch = batch_choice(data, BATCH_SIZES, LIVE_BATCH)
    depth = 1 if min(data.image_shape[1:]) >= WIDE_IMAGE else 0
    return LiveDefaults(batch_sizes=options, batch_size=batch, depth=depth)
