"""The label budget of semi-supervised learning: which training images keep their label, drawn with a seed."""

from __future__ import annotations

import numpy as np
import torch

from dul_models.core.errors import ConfigError

# --- the label budget -------------------------------------------------------------------------------


def budget_draw(y: np.ndarray | torch.Tensor, labels_per_class: int, seed: int) -> np.ndarray:
    """Row indices of the labelled images: `labels_per_class` rows of every class, drawn with `seed`.

    Each class's rows are shuffled once and the first `labels_per_class` kept, so one seed gives nested
    budgets (the 4 labels of a class include its 1): a budget chart then varies only the labels added.
    """
    y = np.asarray(y.cpu() if isinstance(y, torch.Tensor) else y)
    if y.ndim != 1 or y.size == 0:
        raise ConfigError(f"labels must be a non-empty 1-D array, got shape {y.shape}")
    if (y < 0).any():
        raise ConfigError(
            f"semi-supervised learning needs a labelled dataset: {int((y < 0).sum())} of {y.size} images have "
            "no label (-1); choose a dataset with labels (e.g. mnist5k or digits)"
        )
    classes, counts = np.unique(y, return_counts=True)
    if not isinstance(labels_per_class, (int, np.integer)) or labels_per_class < 1:
        raise ConfigError(f"labels_per_class must be an integer >= 1, got {labels_per_class!r}")
    if labels_per_class > counts.min():
        smallest = int(classes[counts.argmin()])
        raise ConfigError(
            f"labels_per_class={labels_per_class} is more than the {int(counts.min())} images of class "
            f"{smallest}; choose 1..{int(counts.min())}"
        )
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.permutation(np.flatnonzero(y == c))[:labels_per_class] for c in classes])


def unlabelled_rows(n: int, labelled_index: np.ndarray | torch.Tensor) -> np.ndarray:
    """The rows 0..n-1 that are not in `labelled_index` (negative entries, "not drawn yet", are ignored)."""
    index = np.asarray(labelled_index.cpu() if isinstance(labelled_index, torch.Tensor) else labelled_index)
    keep = np.ones(n, dtype=bool)
    keep[index[index >= 0]] = False
    return np.flatnonzero(keep)
