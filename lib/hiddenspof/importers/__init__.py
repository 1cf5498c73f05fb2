"""Importers: what a client already has (compose, Kubernetes, Backstage, CMDB; Veeam, AWS Backup,
Terraform, restic, Borg and Velero history) -> a CSV-folder inventory."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

import yaml

from .aws_backup import import_aws_backup
from .backstage import import_backstage
from .borg import import_borg
from .cmdb import import_cmdb
from .compose import import_compose
from .draft import (
    BACKUP_COLUMNS,
    COMPONENT_COLUMNS,
    DEPENDENCY_COLUMNS,
    PROVENANCE,
    RUN_COLUMNS,
    TEST_COLUMNS,
    Draft,
)
from .fields import parse_date_format, reading_dates
from .kubernetes import import_kubernetes
from .merge import MergeOutcome, merge_table
from .report import render_report
from .restic import import_restic
from .sharphound import import_sharphound
from .sources import ImportSourceError
from .terraform import import_terraform
from .veeam import import_veeam
from .velero_history import import_velero
from .writer import (
    HISTORY,
    KEYS,
    STATE_FILE,
    read_state,
    read_table,
    write_state,
    write_table,
    write_text,
)

__all__ = [
    "AS_OF_PLACEHOLDER",
    "FORMATS",
    "ImportResult",
    "ImportSourceError",
    "build_draft",
    "report_name",
    "run",
]

#: format name -> importer (paths -> Draft).
FORMATS: dict[str, Callable[[list[str]], Draft]] = {
    "compose": import_compose,
    "kubernetes": import_kubernetes,
    "backstage": import_backstage,
    "cmdb": import_cmdb,
    "veeam": import_veeam,
    "aws-backup": import_aws_backup,
    "terraform": import_terraform,
    "restic": import_restic,
    "borg": import_borg,
    "velero": import_velero,
    "sharphound": import_sharphound,
}
#: formats whose importer also reads the inventory it merges into (``existing=`` folder or None).
READS_INVENTORY = frozenset({"sharphound"})
#: ``as_of`` of a fresh import when none is given: a valid date no one could take for a real
#: assessment date (ages measured from it are absurd), flagged in the report and the YAML.
AS_OF_PLACEHOLDER = "1970-01-01"
_EXTRA = {
    "components": ("namespace", "system", "source_type", "sys_id", "object_id", PROVENANCE),
    "dependencies": (PROVENANCE,),
    "backups": (PROVENANCE,),
    "backup_runs": (PROVENANCE,),
    "restore_tests": (PROVENANCE,),
}
_COLUMNS = {
    "components": list(COMPONENT_COLUMNS) + list(_EXTRA["components"]),
    "dependencies": list(DEPENDENCY_COLUMNS) + list(_EXTRA["dependencies"]),
    "backups": list(BACKUP_COLUMNS) + list(_EXTRA["backups"]),
    "backup_runs": list(RUN_COLUMNS) + list(_EXTRA["backup_runs"]),
    "restore_tests": list(TEST_COLUMNS) + list(_EXTRA["restore_tests"]),
}


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: the folder, the report and the changes (by table)."""

    out_dir: str
    report_path: str
    merged_into: str | None
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for the command line: rows added and updated per table, the report."""
        counts = ", ".join(f"{t} {self.added[t]} added, {self.updated[t]} updated" for t in self.added)
        return f"wrote {self.out_dir}: {counts}; see {self.report_path}"


def report_name(fmt: str) -> str:
    """The file name of a format's import report: each format keeps its own (``import-report-veeam.md``).

    A later import of another format into the same folder leaves it alone; a later import of the
    same format replaces it, since the report describes the inventory that import's sources now give.
    """
    return f"import-report-{fmt}.md"


def build_draft(fmt: str, sources: list[str], *, date_format: str | None = None,
                existing: str | None = None) -> Draft:
    """Run one importer on its sources (no files written); raises ImportSourceError.

    ``date_format`` (``--date-format``, e.g. ``DD/MM/YYYY``) declares the order of day and
    month where the source writes dates like ``06/03/2026``; without it such a date is read
    only when the source itself settles the order, and refused otherwise.

    ``existing``: the CSV-folder inventory the import merges into, for the formats in
    :data:`READS_INVENTORY` (the directory import matches computers to its components).
    """
    if fmt not in FORMATS:
        raise ImportSourceError(f"unknown import format '{fmt}' - expected one of {', '.join(FORMATS)}")
    if not sources:
        raise ImportSourceError(f"import {fmt}: no source file given")
    order = parse_date_format(date_format) if date_format else None
    with reading_dates(order):
        if fmt in READS_INVENTORY:
            return FORMATS[fmt]([os.fspath(s) for s in sources], existing=existing)
        return FORMATS[fmt]([os.fspath(s) for s in sources])


def _keep_backup_stores(draft: Draft, existing) -> None:
    """A component another format's import wrote as a ``backup_store`` stays one when this source
    sees only a ``datastore`` (the bucket Velero writes its backups to, imported again from Terraform
    as a plain S3 bucket): the source that knows what the store holds wins, whatever the order of
    the imports, so the bucket is not reported as a datastore that "has no backup"."""
    if existing is None:
        return
    for (cid,), row in existing.rows.items():
        mine = draft.components.get(cid)
        if mine is None or mine.get("kind") != "datastore" or row.get("kind") != "backup_store":
            continue
        sources = [src for src in row.get(PROVENANCE, "").split(";") if src]
        if not sources or any(not src.startswith(f"{draft.fmt}:") for src in sources):
            mine["kind"] = "backup_store"
            draft.mapped.add(f"`{cid}`: kept a `backup_store`, as an earlier import ({row.get(PROVENANCE, '')}) names it;"
                             " this source sees a datastore")


def _yaml_text(name: str, as_of: str | None, draft: Draft) -> str:
    quoted = name.replace("'", "''")
    lines = [f"name: '{quoted}'"]
    if as_of is None:
        lines.append("# as_of is a placeholder written by `hiddenspof import`: set the assessment date.")
        lines.append(f"as_of: {AS_OF_PLACEHOLDER}")
    else:
        lines.append(f"as_of: {as_of}")
    desc = f"Imported from {draft.fmt}: " + ", ".join(s.split(":", 1)[1] for s in draft.sources)
    lines.append(f"description: '{desc.replace(chr(39), chr(39) * 2)}'")
    return "\n".join(lines) + "\n"


def _as_of_note(path: str) -> str:
    """The report's line on ``as_of``, from the written ``inventory.yaml`` (not from the run)."""
    try:
        with open(path, encoding="utf-8") as fh:
            meta = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError):
        meta = {}
    value = str(meta.get("as_of", "")) if isinstance(meta, dict) else ""
    if value in ("", AS_OF_PLACEHOLDER):
        return (f"**as_of is a placeholder ({AS_OF_PLACEHOLDER})**: sources carry no assessment date and"
                " the importer never reads the clock. Set `as_of` in `inventory.yaml` before analysing.")
    return f"`as_of` is {value} (from `inventory.yaml`)."


def run(fmt: str, sources: list[str], out_dir: str, into: str | None = None, *,
        as_of: str | dt.date | None = None, stderr: TextIO | None = None,
        date_format: str | None = None) -> ImportResult:
    """Import ``sources`` of format ``fmt`` into the CSV-folder inventory ``out_dir``.

    Writes ``inventory.yaml``, ``components.csv``, ``dependencies.csv``, ``backups.csv``
    (rows sorted by key, columns in contract order then extras), ``import-report-<fmt>.md``
    (each format its own, see :func:`report_name`) and
    ``import-state.json`` (the cells this import wrote: the base for the next merge).

    ``as_of``: with ``into`` (or when ``out_dir`` already holds an inventory) the existing
    ``inventory.yaml`` is kept byte for byte, its ``as_of`` included; otherwise ``as_of``
    if given, else :data:`AS_OF_PLACEHOLDER` with a comment asking the analyst to set it
    (no clock is read). When ``out_dir`` already holds an inventory and ``into`` is not
    given, the import merges into it rather than overwrite hand edits.

    Parameters
    ----------
    fmt : str
        A key of :data:`FORMATS`.
    sources : list of str
        Source files.
    out_dir : str
        Folder to write (created if needed).
    into : str, optional
        Existing CSV-folder inventory to merge into (may be ``out_dir``). Its other files
        (``backup_runs.csv``, ``restore_tests.csv``...) are copied unchanged.
    as_of : str or date, optional
        Assessment date for a fresh import.
    stderr : file, optional
        Where removals and the change summary are printed (default ``sys.stderr``).
    date_format : str, optional
        The order of day and month of the source's dates (``DD/MM/YYYY``, ``MM/DD/YYYY``),
        where the source does not settle it itself; see :func:`build_draft`.

    Returns
    -------
    ImportResult

    Raises
    ------
    ImportSourceError
        Unreadable or malformed source, or an EXISTING that is not a CSV-folder inventory.
    """
    err = sys.stderr if stderr is None else stderr
    draft = build_draft(fmt, list(sources), date_format=date_format) if fmt not in READS_INVENTORY else None
    out_dir = os.fspath(out_dir)
    if into is None and os.path.exists(os.path.join(out_dir, "components.csv")):
        into = out_dir
        print(f"{out_dir} already holds an inventory: merging into it (hand edits are kept)", file=err)
    if into is not None:
        into = os.fspath(into)
        if not os.path.isdir(into) or not os.path.exists(os.path.join(into, "components.csv")):
            raise ImportSourceError(f"{into}: not a CSV-folder inventory (expected a folder with components.csv and inventory.yaml)")
        if not os.path.exists(os.path.join(into, "inventory.yaml")):
            raise ImportSourceError(f"{into}: inventory.yaml is missing (expected the inventory's metadata)")
    if draft is None:
        draft = build_draft(fmt, list(sources), date_format=date_format, existing=into)
    if as_of is not None and into is None:
        try:
            as_of = dt.date.fromisoformat(str(as_of)).isoformat()
        except ValueError:
            raise ImportSourceError(f"as_of '{as_of}' - expected an ISO date (YYYY-MM-DD)") from None
    state = read_state(into)
    run_sources = set(draft.sources)
    imported = {
        "components": {(k,): v for k, v in draft.components.items()},
        "dependencies": {k: v for k, v in draft.dependencies.items()},
        "backups": {(k,): v for k, v in draft.backups.items()},
        "backup_runs": {k + ("",): v for k, v in draft.runs.items()},
        "restore_tests": {k + ("",): v for k, v in draft.tests.items()},
    }
    if into is not None:
        _keep_backup_stores(draft, read_table(into, "components"))
    outcomes: dict[str, MergeOutcome] = {}
    for table in KEYS:
        if table in HISTORY and not imported[table]:
            continue  # this format writes no job history: an existing file is kept as it is
        existing = read_table(into, table) if into else None
        outcomes[table] = merge_table(existing, imported[table], state[table], run_sources,
                                       _COLUMNS[table], len(_COLUMNS[table]) - len(_EXTRA[table]))
    # Job history accumulates: runs an earlier bundle had and this one does not are kept
    # and counted, not listed one by one as if they had vanished from the estate.
    history_kept = {t: len(outcomes[t].removed) for t in HISTORY if t in outcomes}
    for t in history_kept:
        outcomes[t].removed = []
    os.makedirs(out_dir, exist_ok=True)
    if into is not None and os.path.abspath(into) != os.path.abspath(out_dir):
        for entry in sorted(os.listdir(into)):
            src = os.path.join(into, entry)
            if os.path.isfile(src) and entry not in {f"{t}.csv" for t in outcomes} | {report_name(fmt), STATE_FILE}:
                shutil.copyfile(src, os.path.join(out_dir, entry))
    if into is None:
        write_text(os.path.join(out_dir, "inventory.yaml"), _yaml_text(draft.name or fmt, as_of, draft))
    for table, outcome in outcomes.items():
        write_table(out_dir, table, outcome.table)
    write_state(out_dir, {t: outcomes[t].state if t in outcomes else state[t] for t in KEYS})
    note = _as_of_note(os.path.join(out_dir, "inventory.yaml"))
    if draft.runs and "placeholder" in note:
        latest = max(k[1] for k in draft.runs)[:10]
        note += (f" The latest job run in the sources started on {latest}: runs after `as_of` are ignored by the"
                 " analysis, so an `as_of` on or after that date counts every run.")
    report_path = os.path.join(out_dir, report_name(fmt))
    report = render_report(draft, outcomes, note, history_kept)
    if draft.after_merge is not None:
        report += "\n".join(draft.after_merge(out_dir)) + "\n"
    write_text(report_path, report)
    removed = tuple(f"{t}: {' -> '.join(x for x in k if x)}" for t, o in outcomes.items() for k in o.removed)
    kept = tuple(f"{t}: {'/'.join(x for x in k if x)} {c}: kept '{cur}' over '{new}'"
                 for t, o in outcomes.items() for k, c, cur, new in o.kept)
    for line in removed:
        print(f"no longer in the source, kept (delete by hand if gone): {line}", file=err)
    for line in kept:
        print(f"hand edit kept: {line}", file=err)
    result = ImportResult(
        out_dir=out_dir, report_path=report_path, merged_into=into,
        added={t: len(o.added) for t, o in outcomes.items()},
        updated={t: len(o.updated) for t, o in outcomes.items()},
        removed=removed, kept=kept,
    )
    return result
