"""The one caching decorator of the app: Streamlit's caches, keyed also by the runs the arguments name.

Every cached call that reads a run (a path, an `EncoderSpec`, a page's choice holding either) takes it as
a plain argument; `cached` adds the `RunRef` (path + modification time of the weights) of each run it
finds, so a run retrained in place gets fresh entries and no function hand-makes a stamp. A parameter
called `dataset_name` names a data set: its version joins the key too, so a set re-imported under the same
name is never served from the old one's entries.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from dul_models import DULError, dataset_version, run_stamps

F = TypeVar("F", bound=Callable[..., Any])


def cached(*, resource: bool = False, **options: Any) -> Callable[[F], F]:
    """`st.cache_data(**options)` (or `st.cache_resource` when `resource`, for objects shared read-only
    by every session: loaded models, data sets), with the runs named by the arguments in the key."""

    def wrap(fn: F) -> F:
        def keyed(run_refs: tuple, *args: Any, **kwargs: Any) -> Any:  # run_refs: hashed, then dropped
            return fn(*args, **kwargs)

        keyed.__name__ = keyed.__qualname__ = fn.__qualname__  # one cache per decorated function
        keyed.__module__ = fn.__module__
        store = (st.cache_resource if resource else st.cache_data)(**options)(keyed)

        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            keys: tuple = run_stamps((args, kwargs))
            if "dataset_name" in signature.parameters:
                keys += (_version(signature.bind(*args, **kwargs).arguments.get("dataset_name")),)
            return store(keys, *args, **kwargs)

        call.clear = store.clear  # type: ignore[attr-defined]
        return call  # type: ignore[return-value]

    return wrap


def _version(name: Any) -> str:
    """The data set's version ("" for a built-in one); an unknown name is the cached function's to refuse."""
    try:
        return dataset_version(str(name))
    except DULError:
        return ""
