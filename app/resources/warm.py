"""Warm the disk cache once per server process: the bundled encoders' default UMAP maps (the explorer) and
their UMAP-10 reductions (the clustering page's comparison), on the default dataset's test split.

UMAP compiles with numba for about a minute in every new process and then takes seconds per encoder; done
in one background thread that the server's first session starts (Streamlit runs no app code before a
visit), at the lowest CPU priority Linux gives a thread, a UMAP view opened a little later finds its map
on disk and the compile already paid. `DUL_PREWARM=0` turns it off
(the tests do: they time pages, not the warm-up).
"""

from __future__ import annotations

import os
import sys
import threading
import time

import streamlit as st

from app.resources.embeddings import UMAP_DEFAULTS, disk_key
from dul_models.core.devices import pick_device
from dul_models.data import DEFAULT_DATASET, get_dataset
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
    """Compute (or find) each encoder's default UMAP map and UMAP-10 reduction in the disk cache; returns
    what failed, one line each (a run that does not load is the page's to explain, not the warm-up's)."""
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


def _lowest_priority() -> None:
    try:  # on Linux a thread has its own nice value
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass


@st.cache_resource(show_spinner=False)
def start_warming() -> threading.Thread | None:
    """Start the warm-up once per server process (cache_resource), unless DUL_PREWARM=0."""
    if os.environ.get("DUL_PREWARM", "1").strip() == "0":
        return None

    def run() -> None:
        _lowest_priority()
        start = time.perf_counter()
        specs = bundled_encoders(DEFAULT_DATASET)
        failed = warm(DEFAULT_DATASET, specs)
        print(  # the server's log: what was warmed, and what could not be
            f"dul-prewarm: {len(specs) - len(failed)} of {len(specs)} bundled encoders' UMAP maps ready in "
            f"{time.perf_counter() - start:.0f} s" + "".join(f"\n  skipped {line}" for line in failed),
            file=sys.stderr,
            flush=True,
        )

    thread = threading.Thread(target=run, name="dul-prewarm", daemon=True)
    thread.start()
    return thread
