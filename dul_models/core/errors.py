"""Errors the library raises on bad input.

Every error a user can cause derives from `DULError`, so the CLI and the app can catch one type and show
its message (which always says what was wrong and what is allowed) instead of a traceback.
"""


class DULError(Exception):
    """Base class for every user-facing error of `dul_models`."""


class ConfigError(DULError, ValueError):
    """A config field, family name or CLI option has a value that is not allowed."""


class DatasetUnavailableError(DULError):
    """A dataset cannot be loaded here (unknown name, or a download that failed while offline)."""


class CheckpointError(DULError):
    """A run folder is missing, corrupt, or does not match the model its config describes."""


class ImageInputError(DULError, ValueError):
    """An uploaded file is not an image the app can use (not an image, too large, empty)."""


class NonFiniteLossError(DULError, FloatingPointError):
    """Training produced a NaN or infinite loss; the last good checkpoint is kept."""
