"""Trainer callbacks a job's caller can ask for.

`MapTimeline` keeps a 2-D PCA map of the test images at every evaluation, each rotated onto the previous
one (orthogonal Procrustes) so the points do not jump between frames.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from dul_models.core.devices import eval_mode
from dul_models.data import to_float

if TYPE_CHECKING:
    from dul_models.train.trainer import Trainer


def procrustes_align(previous: np.ndarray, current: np.ndarray) -> np.ndarray:
    """`current` (N, 2) centred, scaled to previous's spread, rotated/reflected onto `previous` (N, 2)."""
    from scipy.linalg import orthogonal_procrustes

    current = current - current.mean(0)
    target = previous - previous.mean(0)
    scale = np.linalg.norm(target) / max(np.linalg.norm(current), 1e-12)
    rotation, _ = orthogonal_procrustes(current, target)
    return current @ rotation * scale + previous.mean(0)


class MapTimeline:
    """Trainer callback: at every evaluation, the test images' features projected by PCA to 2-D.

    PCA (not UMAP) because it is deterministic and takes milliseconds for 500 points; each frame is
    aligned to the one before so the eye follows the same points while the clusters form.
    """

    def __init__(self, items: int = 500) -> None:
        self.items = items
        self.frames: list[tuple[int, np.ndarray]] = []  # (step, coords (N, 2))
        self.labels: np.ndarray | None = None

    def __call__(self, trainer: Trainer, event: str) -> None:
        if not (event in ("eval", "end") or (event == "preview" and not self.frames)):
            return  # a frame at the start (first preview), at every evaluation and at the end
        x, y = trainer.x_test[: self.items], trainer.y_test[: self.items]
        x = to_float(x).to(trainer.device)  # the same tensor, unless the test split is large (kept uint8)
        with eval_mode(trainer.model), torch.no_grad():
            features = torch.cat([trainer.model.embed(x[s : s + 250]) for s in range(0, x.shape[0], 250)])
        from dul_models.features.projections import project  # scikit-learn: imported once a frame is drawn

        coords = project(features.float().cpu().numpy(), "pca", 2)
        if self.frames and self.frames[-1][0] == trainer.step:
            self.frames.pop()  # the end of training after its last evaluation: one frame per step
        if self.frames:
            coords = procrustes_align(self.frames[-1][1], coords)
        self.frames.append((trainer.step, coords.astype(np.float32)))
        self.labels = y.cpu().numpy()


# the callbacks a job's caller may ask for by name (`TrainingJob(callbacks=...)`): each built fresh per job
CALLBACKS = {"map_timeline": MapTimeline}
