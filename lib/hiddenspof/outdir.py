"""Writing into a report folder safely: one run at a time, staging folders, swaps, leftovers of dead runs.

A report run owns ``--out DIR`` while it writes: it holds an exclusive
``flock`` on ``DIR/.lock`` (the file keeps the owner, ``pid@host``, for the
message a second run prints when it refuses to start). Every environment is
written into a hidden staging folder ``DIR/.<slug>.tmp-<pid>@<host>-<random>``
and swapped into place when complete (the previous folder is renamed aside as
``DIR/.<slug>.old-<pid>@<host>-<random>`` for the instant of the swap).

A run killed with SIGKILL cannot clean up: the next run, once it holds the
lock, removes the staging folders whose writer is a process of this host
that no longer exists, and puts back a previous report that was renamed
aside but not replaced. Folders of a live process, of another host (a shared
file system) or without an owner in their name are never touched.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import UsageError

__all__ = ["LOCK_NAME", "owner", "staging_dir", "staging_file", "swap_into_place", "remove_stale", "locked"]

LOCK_NAME = ".lock"
# .<slug>.tmp-<pid>@<host>-<random> and .<slug>.old-...; mkdtemp's random part is 8 of [a-z0-9_]
_STAGED = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)@(?P<host>[A-Za-z0-9._-]+)-[a-z0-9_]{8}$")
_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once at import: os.umask is process-wide, not thread-safe
_DIR_MODE = 0o777 & ~_UMASK
_STAGED_FILE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)@(?P<host>[A-Za-z0-9._-]+)-[a-z0-9_]{8}\.tmp$")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "localhost"


def owner() -> str:
    """This process as it appears in lock and staging names: ``pid@host``."""
    return f"{os.getpid()}@{_host()}"


def staging_dir(out: Path, name: str, kind: str = "tmp") -> Path:
    """A new hidden folder ``out/.<name>.<kind>-<pid>@<host>-<random>`` (mode from the umask)."""
    path = Path(tempfile.mkdtemp(prefix=f".{name}.{kind}-{owner()}-", dir=out))
    os.chmod(path, _DIR_MODE)  # mkdtemp makes it private; reports are shared, so follow the umask
    return path


def staging_file(out: Path, name: str) -> tuple[int, str]:
    """A new hidden file ``out/.<name>.<pid>@<host>-<random>.tmp``: ``(fd, path)`` as ``mkstemp``."""
    return tempfile.mkstemp(prefix=f".{name}.{owner()}-", suffix=".tmp", dir=out)


def swap_into_place(tmp: Path, final: Path) -> None:
    """Replace ``final`` by the finished ``tmp`` folder: rename aside, rename in, delete the old one."""
    old = None
    if final.exists():
        old = staging_dir(final.parent, final.name, kind="old")
        os.rmdir(old)
        os.rename(final, old)
    os.rename(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Whether a process of this host has this pid (one we may not signal is alive too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError as exc:  # pragma: no cover - e.g. EINVAL on odd platforms: assume alive
        return exc.errno != errno.ESRCH
    return True


def remove_stale(out: Path) -> list[str]:
    """Remove the staging leftovers of dead runs of this host in ``out``; return their names.

    A ``.old-`` folder whose report was never replaced (the run died between
    the two renames of a swap) is renamed back instead of deleted.
    """
    host = _host()
    removed = []
    for entry in sorted(out.iterdir(), key=lambda p: p.name):
        match = _STAGED.match(entry.name) if entry.is_dir() else _STAGED_FILE.match(entry.name)
        if not match or match.group("host") != host or _alive(int(match.group("pid"))):
            continue
        if entry.is_dir() and match.group("kind") == "old" and not (out / match.group("name")).exists():
            os.rename(entry, out / match.group("name"))
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
        removed.append(entry.name)
    return removed


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold ``out/.lock`` exclusively for the block; refuse (UsageError) when another run holds it.

    The lock is an ``flock`` on the open file: the kernel releases it when
    the owner exits, however it exits, so a killed run never blocks the next.
    Where ``fcntl`` does not exist (Windows) the block runs unlocked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "unknown"
            pid, _, host = holder.partition("@")
            raise UsageError(
                f"another hiddenspof report run (pid {pid} on {host or 'this host'}) is writing into {out}; "
                "wait for it to finish or choose another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, (owner() + "\n").encode())
        yield
    finally:
        os.close(fd)  # releases the flock
