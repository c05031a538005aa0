"""The warm-up's work: the bundled encoders' default UMAP maps (the embedding explorer) and their UMAP-10
reductions (the clustering page's comparison), written to the disk cache under the keys the pages use.

UMAP compiles with numba for about a minute in every new process, then takes seconds per encoder; the app
runs this once per server in a background thread (`app/resources/warm.py`), so a UMAP view opened a little
later finds its map on disk and the compile already paid.
"""

from __future__ import annotations

from dul_models.core.devices import pick_device
from dul_models.data import get_dataset
from dul_models.explore.embeddings import UMAP_DEFAULTS, disk_key
from dul_models.features.clustering import reduce_features
from dul_models.features.encoders import EncoderSpec, features, list_encoders
from dul_models.features.projections import cached_projection
from dul_models.runs.checkpoints import bundled_dir

COMPARE_DIMS = 10  # the clustering page's "UMAP to 10 dimensions first" comparison


def bundled_encoders(dataset_name: str) -> list[EncoderSpec]:
    """The bundled runs that embed, on this dataset: what every fresh install opens on."""
    root = str(bundled_dir())
    return [s for s in list_encoders(dataset_name) if s.run is not None and s.run.startswith(root)]


def warm(dataset_name: str, specs: list[EncoderSpec], device: str = "auto") -> list[str]:
    """Compute (or find) each encoder's default UMAP map and UMAP-10 reduction of the test split in the
    disk cache; returns what failed, one line each (a run that does not load is the page's to explain)."""
    data, target, failed = get_dataset(dataset_name), pick_device(device), []
    for spec in specs:
        try:
            vectors = features(spec, data, "test", target)
            key = disk_key(spec, dataset_name, "test")
            cached_projection(key, vectors, "umap", 2, **UMAP_DEFAULTS)
            if vectors.shape[1] > COMPARE_DIMS:  # a 2-D latent has nothing to reduce (the page says so)
                reduce_features(vectors, "umap", COMPARE_DIMS, random_state=0, cache_key=key)
        except Exception as exc:  # noqa: BLE001 - a warm-up must never take the server down
            failed.append(f"{spec.label}: {exc}")
    return failed
