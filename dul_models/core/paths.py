"""Where the library keeps what it downloads and caches (environment variables with defaults)."""

from __future__ import annotations

import os
from pathlib import Path

from dul_models.core.errors import DatasetUnavailableError


def data_dir() -> Path:
    """The folder for downloads and caches: `DUL_DATA_DIR`, else `~/.cache/dul_explorer/data`; created here."""
    configured = os.environ.get("DUL_DATA_DIR", "").strip()
    path = Path(configured).expanduser() if configured else Path.home() / ".cache" / "dul_explorer" / "data"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetUnavailableError(
            f"cannot create the data folder {path}: {exc.strerror or exc}; "
            "set DUL_DATA_DIR to a folder you can write to"
        ) from exc
    return path.resolve()
