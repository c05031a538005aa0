"""Features from a model and their 2-D projections (PCA, t-SNE, UMAP) for the embedding maps."""

from __future__ import annotations

import numpy as np
import torch

from dul_models.devices import eval_mode
from dul_models.errors import ConfigError
from dul_models.models import DULModel

PROJECTIONS = ("pca", "tsne", "umap")


def extract_features(model: DULModel, x: torch.Tensor, batch_size: int = 500) -> np.ndarray:
    """`model.embed` over x (float in [0, 1]) in chunks, returned as a float32 (N, D) array."""
    if not hasattr(model, "embed"):
        raise ConfigError(f"family {model.family!r} has no embedding (no `embed` method)")
    device = model.device
    chunks = []
    with eval_mode(model):
        for start in range(0, x.shape[0], batch_size):
            chunks.append(model.embed(x[start : start + batch_size].to(device)).float().cpu())
    return torch.cat(chunks).numpy()


def project_2d(features: np.ndarray, method: str = "pca", random_state: int = 0) -> np.ndarray:
    """(N, D) → (N, 2). PCA is instant; t-SNE and UMAP take seconds (UMAP compiles with numba once)."""
    if method not in PROJECTIONS:
        raise ConfigError(f"unknown projection {method!r}; choose from: {', '.join(PROJECTIONS)}")
    features = np.asarray(features, dtype=np.float32)
    if features.ndim != 2 or features.shape[0] < 3:
        raise ConfigError(f"need at least 3 feature vectors shaped (N, D), got {features.shape}")
    if features.shape[1] == 2 and method == "pca":
        return features.copy()  # already 2-D: show the latent space itself, not a rotation of it
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=random_state).fit_transform(features).astype(np.float32)
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = min(30.0, (features.shape[0] - 1) / 3)
        return TSNE(2, perplexity=perplexity, init="pca", random_state=random_state).fit_transform(features)
    import umap

    return umap.UMAP(n_components=2, random_state=random_state).fit_transform(features).astype(np.float32)
