"""Progress of slow library work (long evaluations, bundle steps) as plain data: (what, done, total).

The library never prints: a slow loop calls `report(what, done, total)`, and whoever started the work
(the CLI's progress bar on stderr, a page's spinner, a test) decides what to show by wrapping the call
in `reporting(callback)`. The hook is ambient rather than a parameter because `evaluate` has one
signature across every family and is reached through evaluators and the Trainer; a context variable
keeps it per thread, so a background training job never reports into another thread's bar.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

Progress = Callable[[str, int, int], None]  # (what is being done, units done, units in total)

_CURRENT: contextvars.ContextVar[Progress | None] = contextvars.ContextVar("dul_progress", default=None)


@contextlib.contextmanager
def reporting(callback: Progress | None) -> Iterator[None]:
    """Send every `report` made inside the block (in this thread) to `callback`; None silences them."""
    token = _CURRENT.set(callback)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def report(what: str, done: int, total: int) -> None:
    """Tell the current listener, if any, that `done` of `total` units of `what` are finished."""
    callback = _CURRENT.get()
    if callback is not None:
        callback(what, int(done), int(total))
