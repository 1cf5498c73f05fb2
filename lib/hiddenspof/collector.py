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
import functools
import gc

__all__ = ["collection_paused", "paused"]


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
