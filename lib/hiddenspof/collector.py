"""Pausing Python's cyclic garbage collector around the stages that allocate millions of objects.

Each full collection walks every object alive, the estate's own included
(hundreds of thousands of ids, rows and down sets at 100,000 components), so
a stage that allocates a lot pays for the whole estate again and again: at
that size the collections took seconds of the coupling analysis, the
failure-domain findings and the model build. Pausing them changes no result:
reference counting still frees what has no cycle, and the next collection
after the stage frees the rest.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc

__all__ = ["collection_paused", "paused", "release_free_memory"]


@contextlib.contextmanager
def collection_paused():
    """No cyclic garbage collection inside (the collector's state restored after)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def paused(fn):
    """``fn`` run with the collector paused (``collection_paused``)."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        with collection_paused():
            return fn(*args, **kwargs)

    return run


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


def release_free_memory() -> None:
    """Hand the memory the C allocator holds free back to the system (glibc's ``malloc_trim``; nothing elsewhere).

    Why: freed memory stays in the process until it is reused, and while two
    lanes of an analysis run at once (``lanes``) the system holds both. At
    100,000 components the forked lane gives back about 390 MB once it lets
    the prepared job history go (the coupling lane, when done, only about
    25 MB). Changes no result: only free pages are returned.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
