"""Warm the disk cache once per server process: the bundled encoders' default UMAP maps (the explorer) and
their UMAP-10 reductions (the clustering page's comparison), on the default dataset's test split.

UMAP compiles with numba for about a minute in every new process and then takes seconds per encoder; done
in one background thread that the server's first session starts (Streamlit runs no app code before a
visit), at the lowest CPU priority Linux gives a thread, a UMAP view opened a little later finds its map
on disk and the compile already paid. The work itself is `dul_models.explore.embeddings_warm`.
`DUL_PREWARM=0` turns it off (the tests do: they time pages, not the warm-up).
"""

from __future__ import annotations

import os
import sys
import threading
import time

from app.resources.cache import cached
from dul_models import DEFAULT_DATASET
from dul_models.explore.embeddings_warm import bundled_encoders, warm

START_DELAY_S = 20.0  # the first visit's pages load in 1-8 s each; the warm-up's model loads would slow them


def _lowest_priority() -> None:
    try:  # on Linux a thread has its own nice value
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass


@cached(resource=True, show_spinner=False)
def start_warming() -> threading.Thread | None:
    """Start the warm-up once per server process (cache_resource), unless DUL_PREWARM=0."""
    if os.environ.get("DUL_PREWARM", "1").strip() == "0":
        return None

    def run() -> None:
        _lowest_priority()
        # nice does not share out the GIL: wait while the newcomer's first pages load, then warm
        time.sleep(START_DELAY_S)
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
