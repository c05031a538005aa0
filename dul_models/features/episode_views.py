"""What a page draws of one episode: its 2-D PCA plane over a solver's decision regions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dul_models.core.errors import ConfigError


def decision_plane(
    points: np.ndarray,
    classify: Callable[[np.ndarray], np.ndarray],
    resolution: int = 60,
    margin: float = 0.15,
) -> dict[str, np.ndarray]:
    """The decision regions of a classifier of D-dim features, seen in the PCA plane of `points` (P, D).

    Grid points of the plane are lifted back to D dimensions (the plane through the points' mean) and
    classified there, so the regions are the true classifier's, cut along the plane the points span
    most; points off the plane may sit in another region than their own prediction.
    Returns the 2-D coordinates of the points, the grid axes and the predicted class on the grid.
    """
    from sklearn.decomposition import PCA

    points = np.asarray(points, dtype=np.float32)
    if points.ndim != 2 or points.shape[0] < 3:
        raise ConfigError(f"need at least 3 points (P, D) to fit a plane, got shape {points.shape}")
    pca = PCA(n_components=2, random_state=0).fit(points)
    coords = pca.transform(points)
    low, high = coords.min(0), coords.max(0)
    pad = (high - low) * margin + 1e-6
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution)
    grid = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)  # (R², 2) row = y, column = x
    lifted = pca.inverse_transform(grid).astype(np.float32)  # (R², D)
    regions = np.asarray(classify(lifted)).reshape(resolution, resolution)
    return {"coords": coords, "x": xs, "y": ys, "regions": regions}
