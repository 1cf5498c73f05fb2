"""Rendering on a Dask cluster whose workers share no file with the client.

Each environment travels as one task holding everything it needs, as bytes:
the inventory (a file, or every file of a CSV folder), the notebooks to run,
the baseline and the Word template. The worker writes them into a fresh folder of its own
(inside the Dask worker's scratch space, which Dask cleans even after a
crash), renders there with :func:`hiddenspof.report.render_environment`, and
returns the finished report folder as ``{relative path: bytes}``. The client
writes it under ``--out`` the way a local run does (staging folder, then an
atomic swap), holding the folder's lock.

Repeatable: paths of the worker's folder never reach the client. Wherever
the rendered files record an input (papermill's parameters and notebook
path, the manifest), the worker puts back the path the client named, so a
report rendered on the cluster is the one a local run writes (the
``duration_seconds`` of the manifest aside).

Progress is reported as locally: each worker sends a Dask event per finished
notebook, and the bar's postfix counts the environments done.

A worker that dies while rendering (killed, out of memory) makes Dask retry
the task on another worker, up to the scheduler's
``distributed.scheduler.allowed-failures``; after that the environment is
marked failed in the index with that reason, and the others go on.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import html
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from . import outdir
from .errors import UsageError
from .report import FILE_MODE, Job, Outcome, _crashed, render_environment

__all__ = ["Shipment", "pack", "render_shipped", "write_report", "run"]

#: how long to try reaching the scheduler before giving up with a usage error
CONNECT_SECONDS = 30


@dataclasses.dataclass(frozen=True)
class Shipment:
    """One environment packed for a worker: the job as planned on the client, and its input files' bytes."""

    job: Job
    inventory: tuple[tuple[str, bytes], ...]  # (path relative to the inventory, bytes); ("", bytes) for a file
    notebooks: tuple[tuple[str, bytes], ...]  # (file name, bytes), in the job's order
    baseline: bytes | None = None
    docx_template: bytes | None = None  # the firm's Word template, when the job asks for one
    progress_topic: str | None = None  # Dask event topic the worker reports each finished notebook on


def pack(job: Job) -> Shipment:
    """Read every file a worker needs for ``job`` (on the client)."""
    source = Path(job.inventory_path)
    if source.is_dir():
        files = sorted((p for p in source.rglob("*") if p.is_file()), key=lambda p: p.relative_to(source).as_posix())
        inventory = tuple((p.relative_to(source).as_posix(), p.read_bytes()) for p in files)
    else:
        inventory = (("", source.read_bytes()),)
    notebooks = tuple((Path(p).name, Path(p).read_bytes()) for p in job.notebooks)
    baseline = Path(job.baseline_path).read_bytes() if job.baseline_path is not None else None
    template = job.docx_template
    docx = Path(template).read_bytes() if template is not None else None
    return Shipment(job, inventory, notebooks, baseline, docx)


def _scratch() -> str:
    """The Dask worker's local directory (cleaned by Dask), or the system's temporary folder."""
    try:
        from distributed import get_worker

        return get_worker().local_directory
    except (ImportError, ValueError):
        return tempfile.gettempdir()


def _safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise ValueError(f"refusing a file outside its folder: {name!r}")
    return path


def _unpack(shipment: Shipment, work: Path) -> tuple[Job, list[tuple[str, str]]]:
    """Write the shipment's files under ``work``; return the job for them and the (worker path, client path) pairs."""
    job = shipment.job
    inventory = work / "input" / Path(job.inventory_path).name
    if len(shipment.inventory) == 1 and shipment.inventory[0][0] == "":
        inventory.parent.mkdir(parents=True)
        inventory.write_bytes(shipment.inventory[0][1])
    else:
        for name, data in shipment.inventory:
            target = inventory / _safe_relative(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        inventory.mkdir(parents=True, exist_ok=True)  # an empty folder stays a folder
    notebooks_dir = work / "notebooks"
    notebooks_dir.mkdir()
    notebooks = []
    pairs = [(str(inventory), job.inventory_path), (str(work / "out"), job.out_dir)]
    for (name, data), client_path in zip(shipment.notebooks, job.notebooks):
        path = notebooks_dir / _safe_relative(name).name
        path.write_bytes(data)
        notebooks.append(str(path))
        pairs.append((str(path), client_path))
    client_dirs = {str(Path(p).parent) for p in job.notebooks}
    if len(client_dirs) == 1:
        pairs.append((str(notebooks_dir), client_dirs.pop()))
    baseline = None
    if shipment.baseline is not None and job.baseline_path is not None:
        path = work / "baseline" / Path(job.baseline_path).name
        path.parent.mkdir()
        path.write_bytes(shipment.baseline)
        baseline = str(path)
        pairs.append((baseline, job.baseline_path))
    changes = {}
    if shipment.docx_template is not None and job.docx_template is not None:
        path = work / "docx-template" / Path(job.docx_template).name
        path.parent.mkdir()
        path.write_bytes(shipment.docx_template)
        changes["docx_template"] = str(path)
        pairs.append((str(path), job.docx_template))
    local = dataclasses.replace(job, inventory_path=str(inventory), out_dir=str(work / "out"),
                                notebooks=tuple(notebooks), baseline_path=baseline, **changes)
    # longest first: a path is replaced before any folder that contains it
    return local, sorted(pairs, key=lambda pair: -len(pair[0]))


def _relocate_text(text: str, pairs: Sequence[tuple[str, str]], escape=lambda s: s) -> str:
    for worker, client in pairs:
        text = text.replace(worker, escape(client))
    return text


def _relocate_value(value, pairs: Sequence[tuple[str, str]]):
    """``value`` (parsed JSON or a notebook node) with every worker path replaced, in place for containers."""
    if isinstance(value, str):
        return _relocate_text(value, pairs)
    if isinstance(value, dict):
        for key in list(value):
            value[key] = _relocate_value(value[key], pairs)
    elif isinstance(value, list):
        value[:] = [_relocate_value(v, pairs) for v in value]
    return value


_JSON_STYLES = (
    {"indent": 2, "sort_keys": True},
    {"indent": 2, "sort_keys": True, "ensure_ascii": False},
    {"indent": 2},
    {"indent": 2, "ensure_ascii": False},
    {"indent": 1, "sort_keys": True, "ensure_ascii": False},
)


def _relocate_file(name: str, data: bytes, pairs: Sequence[tuple[str, str]]) -> bytes:
    """A rendered file with the worker's paths replaced by the client's, written as its writer would."""
    if not any(worker.encode() in data for worker, _ in pairs):
        return data
    text = data.decode("utf-8")
    if name.endswith(".ipynb"):
        import nbformat

        nb = nbformat.reads(text, as_version=4)
        if nbformat.writes(nb) == text:  # the report's own writer: rewrite the parsed notebook
            return nbformat.writes(_relocate_value(nb, pairs)).encode("utf-8")
    if name.endswith((".json", ".ipynb")):
        parsed = json.loads(text)
        for style in _JSON_STYLES:
            for end in ("\n", ""):
                if json.dumps(parsed, **style) + end == text:
                    return (json.dumps(_relocate_value(parsed, pairs), **style) + end).encode("utf-8")
        return _relocate_text(text, pairs, lambda s: json.dumps(s, ensure_ascii=False)[1:-1]).encode("utf-8")
    if name.endswith((".html", ".htm", ".svg", ".xml")):
        return _relocate_text(text, pairs, html.escape).encode("utf-8")
    return _relocate_text(text, pairs).encode("utf-8")


def _notebook_done(topic: str | None, slug: str, notebook: str) -> None:
    """Tell the client a notebook finished (a Dask event; nothing outside a worker or without a topic)."""
    if topic is None:
        return
    try:
        from distributed import get_worker

        get_worker().log_event(topic, {"slug": slug, "notebook": notebook})
    except (ImportError, ValueError):
        pass


def render_shipped(shipment: Shipment) -> tuple[Outcome, dict[str, bytes]]:
    """Render a shipment in a folder of this machine (on the worker); return the outcome and the report's files.

    The files map paths relative to the report folder to their bytes; empty
    when the environment failed (its outcome says why).
    """
    with tempfile.TemporaryDirectory(prefix="hiddenspof-render-", dir=_scratch()) as folder:
        work = Path(folder)
        local, pairs = _unpack(shipment, work)
        outcome = render_environment(local, functools.partial(_notebook_done, shipment.progress_topic))
        files: dict[str, bytes] = {}
        if outcome.ok:
            rendered = work / "out" / local.slug
            for path in sorted(p for p in rendered.rglob("*") if p.is_file()):
                name = path.relative_to(rendered).as_posix()
                files[name] = _relocate_file(name, path.read_bytes(), pairs)
        outcome = dataclasses.replace(
            outcome,
            reason=_relocate_text(outcome.reason, pairs),
            problems=[_relocate_text(p, pairs) for p in outcome.problems],
        )
        return outcome, files


def write_report(out: Path, slug: str, files: dict[str, bytes]) -> None:
    """Write a report folder received from a worker into ``out/<slug>`` atomically (staging folder, swap)."""
    tmp = outdir.staging_dir(out, slug)
    try:
        for name, data in sorted(files.items()):
            target = tmp / _safe_relative(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            os.chmod(target, FILE_MODE)
        outdir.swap_into_place(tmp, out / slug)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _died(job: Job, exc: BaseException) -> Outcome:
    """The outcome of an environment whose task failed outside render_environment (a worker died)."""
    from distributed import KilledWorker

    if isinstance(exc, KilledWorker):
        address = getattr(exc.last_worker, "address", "a worker")
        return Outcome(
            slug=job.slug, given_path=job.given_path, name=job.name, ok=False,
            reason=(f"worker died while rendering: {exc.allowed_failures + 1} worker(s) died running this "
                    f"environment, the last one {address} (see the workers' logs: memory, a kill)"),
        )
    return _crashed(job, exc)


def run(jobs: Sequence[Job], scheduler, bar) -> list[Outcome]:
    """Render ``jobs`` on the Dask cluster at ``scheduler`` (an address or a ``distributed.Client``).

    ``bar`` is the report's progress (``environment(slug)`` after each one).
    Raises UsageError when the scheduler cannot be reached.
    """
    from distributed import Client, as_completed

    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout=CONNECT_SECONDS) if own else scheduler
    except Exception as exc:
        raise UsageError(f"cannot connect to the Dask scheduler {scheduler!r}: {exc}") from None
    outcomes = []
    token = hashlib.sha256(repr((time.time_ns(), os.getpid())).encode()).hexdigest()[:8]
    topic = f"hiddenspof-progress-{token}"
    try:
        # the bar advances per notebook as locally: workers report each one as a Dask event
        client.subscribe_topic(topic, lambda event: bar.notebook(event[1]["slug"], event[1]["notebook"]))
        futures = {}
        for job in jobs:
            try:
                shipment = pack(job)
            except OSError as exc:  # gone since it was planned: that environment fails, not the run
                outcomes.append(dataclasses.replace(_crashed(job, exc), reason=f"cannot read the input: {exc}"))
                bar.environment(job.slug)
                continue
            key = f"hiddenspof-report-{job.slug}-{token}"
            shipment = dataclasses.replace(shipment, progress_topic=topic)
            futures[client.submit(render_shipped, shipment, key=key, pure=False)] = job
        for fut in as_completed(list(futures)):
            job = futures[fut]
            try:
                outcome, files = fut.result()
            except Exception as exc:  # the worker died (or the task could not be run at all)
                outcome = _died(job, exc)
            finally:
                fut.release()
            if outcome.ok:
                try:
                    write_report(Path(job.out_dir), job.slug, files)
                except OSError as exc:  # e.g. the disk filled up: this environment fails, the previous report stays
                    outcome = dataclasses.replace(outcome, ok=False, headline=None,
                                                  reason=f"the finished report could not be written here: {exc}")
            outcomes.append(outcome)
            bar.environment(job.slug)
    finally:
        client.unsubscribe_topic(topic)
        if own:
            client.close()
    return outcomes
