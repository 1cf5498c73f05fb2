"""Reading and writing the CSV-folder inventory an import produces (deterministic bytes)."""

from __future__ import annotations

import csv
import io
import json
import os

from .draft import dependency_key
from .merge import Key, Table
from .sources import ImportSourceError, csv_rows

__all__ = ["HISTORY", "KEYS", "STATE_FILE", "read_state", "read_table", "write_state", "write_table", "write_text"]

#: key columns of each table the importer writes.
KEYS = {
    "components": ("id",),
    "dependencies": ("component", "depends_on", "group"),
    "backups": ("id",),
    "backup_runs": ("backup", "started_at"),
    "restore_tests": ("backup", "tested_at"),
}
#: job-history tables: a key may repeat in a hand-written file (two tests on one day), so
#: their keys carry a third part, "" for the first row with that key and "#2", "#3"... after.
HISTORY = ("backup_runs", "restore_tests")
#: what the previous import wrote, cell by cell: the base of the three-way merge.
STATE_FILE = "import-state.json"


def read_table(folder: str, table: str) -> Table | None:
    """A table of an existing CSV-folder inventory as text, None when the file is absent."""
    path = os.path.join(folder, f"{table}.csv")
    if not os.path.exists(path):
        return None
    header, rows = csv_rows(path)
    for col in KEYS[table]:
        if col not in header and col != "group":
            raise ImportSourceError(f"{path}: row 1: column '{col}' is missing - expected the header to name it")
    out: dict[Key, dict[str, str]] = {}
    for number, row in rows:
        key = tuple(row.get(c, "") for c in KEYS[table])
        if table == "dependencies":  # an admin row and a plain row on one pair are two rows
            key = dependency_key(*key, row.get("kind"))
        if table in HISTORY:
            n = 1
            while key + (f"#{n}" if n > 1 else "",) in out:
                n += 1
            key = key + (f"#{n}" if n > 1 else "",)
        if key in out:
            raise ImportSourceError(
                f"{path}: row {number}: duplicate row {', '.join(key)} - expected each "
                f"{'/'.join(KEYS[table])} once (run `hiddenspof validate` and fix it first)"
            )
        out[key] = {c: v for c, v in row.items() if c}
    return Table([h for h in header if h], out)


def write_table(folder: str, table: str, data: Table) -> None:
    """Write rows sorted by key (code points), columns in ``data.columns`` order, LF endings."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(data.columns)
    for key in sorted(data.rows):
        row = data.rows[key]
        writer.writerow([row.get(c, "") for c in data.columns])
    write_text(os.path.join(folder, f"{table}.csv"), buf.getvalue())


def write_text(path: str, text: str) -> None:
    """Write UTF-8 text with LF line endings, leaving the file untouched when already equal."""
    data = text.encode("utf-8")
    try:
        with open(path, "rb") as fh:
            if fh.read() == data:
                return
    except FileNotFoundError:
        pass
    with open(path, "wb") as fh:
        fh.write(data)


def read_state(folder: str | None) -> dict[str, dict[Key, dict[str, str]]]:
    """The previous import's cells per table (empty when there is no state file)."""
    if not folder:
        return {t: {} for t in KEYS}
    path = os.path.join(folder, STATE_FILE)
    if not os.path.exists(path):
        return {t: {} for t in KEYS}
    try:
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
        return {t: {tuple(k.split("\t")): v for k, v in raw.get(t, {}).items()} for t in KEYS}
    except (OSError, ValueError, AttributeError) as exc:
        raise ImportSourceError(f"{path}: unreadable import state ({exc}); delete it to treat every cell as hand-edited") from None


def write_state(folder: str, state: dict[str, dict[Key, dict[str, str]]]) -> None:
    """Write the import state as sorted, indented JSON."""
    raw = {t: {"\t".join(k): dict(sorted(v.items())) for k, v in sorted(state[t].items())} for t in KEYS}
    write_text(os.path.join(folder, STATE_FILE), json.dumps(raw, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
