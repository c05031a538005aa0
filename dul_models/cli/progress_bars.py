"""The commands' progress: one tqdm bar per task on stderr, so stdout stays clean for --json."""

from __future__ import annotations

import sys
from typing import Any


def progress_bars() -> Any:
    """A `dul_models.core.progress` listener: one tqdm bar per task on stderr, so stdout stays clean for --json."""
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def listener(what: str, done: int, total: int) -> None:
        if what not in bars:
            bars[what] = tqdm(total=total, desc=what, dynamic_ncols=True, file=sys.stderr)
        bars[what].update(done - bars[what].n)
        if done >= total:
            bars.pop(what).close()

    return listener
