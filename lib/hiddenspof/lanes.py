"""Two independent parts of one analysis at once: one of them in a forked process beside this one.

Why: the machine has two cores, and the analysis of a large estate has parts
that read the same built model but not each other's answers (the coupling
analysis with its fix search; the silent-failure scoring and the capacity
analysis with theirs). A fork shares the built model without copying or
pickling it; only the other part's answer comes back, pickled through a pipe
that this process drains while it works, so the forked process can end as
soon as it is done.

The answers are the ones of running both parts here, one after the other:
the parts must not depend on each other's side effects (the callers say why
theirs do not). With ``HIDDENSPOF_WORKERS=1``, without ``os.fork``, or below
``FORK_MIN_COMPONENTS``, the parts simply run one after the other. If the
forked part fails for any reason (an error, memory, a signal) it is run again
here, so an error surfaces exactly as it would without the fork. So is a
forked part that has **stalled**: once this part is done, a forked process
whose CPU time has not moved for ``STALL_SECONDS`` is killed (a fork can
inherit a lock that another thread of this process held at the fork, and
wait on it for ever; a working part is pure computation, so its CPU time
always moves).
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from .collector import release_free_memory

__all__ = ["FORK_MIN_COMPONENTS", "STALL_SECONDS", "beside", "fork_answer"]

#: Below this many components the parts run one after the other: a fork and a pickled answer cost more
#: than they save on a small estate.
FORK_MIN_COMPONENTS = 5_000
#: A forked part whose CPU time has not moved for this long, while this process waits for it, is taken as stalled.
STALL_SECONDS = 60.0


def _workers() -> int:
    from .coupling import _workers as workers

    return workers()


def fork_answer(work: Callable[[], Any]) -> tuple[int, int]:
    """Fork a process that runs ``work``, pickles its answer down a pipe and ends without cleanup (exit status 0
    only when the whole answer was written). Returns the process id and the pipe's read end (a file descriptor)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read)
            data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def beside(other: Callable[[], Any], here: Callable[[], Any], size: int) -> tuple[Any, Any]:
    """``(other(), here())``, with ``other`` run in a forked process while ``here`` runs in this one.

    ``size`` is the estate's component count (see ``FORK_MIN_COMPONENTS``).
    ``other``'s answer must pickle; ``here``'s stays in this process.
    """
    if size < FORK_MIN_COMPONENTS or _workers() < 2 or not hasattr(os, "fork"):
        return other(), here()
    pid, read = fork_answer(other)
    chunks: list[bytes] = []

    def drain() -> None:  # read as the answer comes, so the forked process never waits on a full pipe
        with os.fdopen(read, "rb") as pipe:
            while True:
                block = pipe.read(1 << 20)
                if not block:
                    break
                chunks.append(block)

    reader = threading.Thread(target=drain, name="hiddenspof-lane", daemon=True)
    reader.start()
    try:
        mine = here()
        release_free_memory()  # this part's freed memory, no longer held while the other part still works
    except BaseException:  # this part failed: the other's answer is not wanted
        os.kill(pid, signal.SIGKILL)
        reader.join()
        os.waitpid(pid, 0)
        raise
    status = _wait(pid, reader)
    answer = None
    if status == 0 and chunks:
        data = b"".join(chunks)
        chunks.clear()
        try:
            answer = (pickle.loads(data),)
        except Exception:  # cut short or unreadable: run it here
            answer = None
        del data
    if answer is None:
        answer = (other(),)
    return answer[0], mine


def _cpu_ticks(pid: int) -> int | None:
    """The CPU time (user and system, in clock ticks) process ``pid`` has used; None where /proc cannot say."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime and stime, the 14th and 15th fields of the line
    except (OSError, IndexError, ValueError):
        return None


def _wait(pid: int, reader: threading.Thread) -> int:
    """The exit status of the forked process ``pid`` once ``reader`` has its whole answer; a process whose CPU time
    stands still for ``STALL_SECONDS`` is killed first (its status is then not 0, so its part is run here)."""
    ticks, since = _cpu_ticks(pid), time.monotonic()
    while True:
        reader.join(timeout=0.5)
        if not reader.is_alive():
            break
        now_ticks = _cpu_ticks(pid)
        if now_ticks is None or now_ticks != ticks:
            ticks, since = now_ticks, time.monotonic()
        elif time.monotonic() - since >= STALL_SECONDS:
            os.kill(pid, signal.SIGKILL)  # the pipe closes with it: the reader ends
            reader.join()
            break
    _, status = os.waitpid(pid, 0)
    return status
