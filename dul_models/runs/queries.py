"""Finding runs by what their config says, e.g. "the bundled 2-D VAE on mnist5k" or "β = 4 on shapes".

Pages and recipes ask for a run with given settings rather than a folder name, so a retrained or renamed
run is still found. Order follows `list_runs`: bundled runs first, then the user's newest first.
"""

from __future__ import annotations

from typing import Any

from dul_models.runs.checkpoints import RunInfo, list_runs


def find_runs(family: str, dataset: str, *, bundled: bool | None = None, **config: Any) -> list[RunInfo]:
    """Every run of `family` on `dataset` whose config has each given value (and, if set, bundled or not)."""
    return [
        run
        for run in list_runs(family=family, dataset=dataset)
        if (bundled is None or run.bundled == bundled)
        and all(key in run.config and run.config[key] == value for key, value in config.items())
    ]


def find_run(family: str, dataset: str, *, bundled: bool | None = None, **config: Any) -> RunInfo | None:
    """The first run `find_runs` gives (bundled before the user's, newest user run first), or None."""
    runs = find_runs(family, dataset, bundled=bundled, **config)
    return runs[0] if runs else None
