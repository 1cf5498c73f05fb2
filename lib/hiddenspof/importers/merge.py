"""Merging an import into an existing inventory: three-way, keeping every hand edit."""

from __future__ import annotations

from dataclasses import dataclass, field

from .draft import PROVENANCE

__all__ = ["MergeOutcome", "Table", "merge_table"]

Key = tuple[str, ...]


@dataclass
class Table:
    """A table as text: column order and rows keyed by the table's key columns."""

    columns: list[str]
    rows: dict[Key, dict[str, str]]


@dataclass
class MergeOutcome:
    """The merged table and what the merge did (for the report and stderr)."""

    table: Table
    state: dict[Key, dict[str, str]]
    added: list[Key] = field(default_factory=list)
    updated: list[Key] = field(default_factory=list)
    removed: list[Key] = field(default_factory=list)
    kept: list[tuple[Key, str, str, str]] = field(default_factory=list)


def merge_table(existing: Table | None, imported: dict[Key, dict[str, str]],
                base: dict[Key, dict[str, str]], run_sources: set[str],
                columns: list[str], contract: int) -> MergeOutcome:
    """Merge imported rows into an existing table.

    A three-way merge per cell, ``base`` being what the previous import wrote (kept in
    ``import-state.json``): an imported non-empty value replaces the current cell when the
    cell is empty (and was never imported), still equals what the previous import wrote,
    or equals the new value; otherwise the analyst changed it and their value is kept
    (listed in ``kept``). A cell the source leaves empty never changes anything. Rows and
    columns only the analyst has are kept. A row an earlier run of one of these sources
    imported (its ``imported_from`` names one of ``run_sources``) that this run no longer
    produces is kept and listed in ``removed``: removals are reported, never applied.

    Parameters
    ----------
    existing : Table or None
        The current table (None for a fresh import).
    imported : dict
        Key -> row of this import.
    base : dict
        Key -> the values the previous import wrote.
    run_sources : set of str
        ``format:file`` labels of this run.
    columns : list of str
        Column order for a fresh table (contract columns, then the importer's extras).
    contract : int
        How many leading ``columns`` are contract columns, always written; an extra
        column is added only when some imported row fills it.
    """
    if existing is None:
        existing = Table(list(columns[:contract]), {})
    cols = list(existing.columns)
    for col in columns:
        if col not in cols and any(col in row for row in imported.values()):
            cols.append(col)
    rows = {k: dict(v) for k, v in existing.rows.items()}
    state = {k: dict(v) for k, v in base.items()}
    out = MergeOutcome(Table(cols, rows), state)
    for key in sorted(imported):
        new = imported[key]
        if key not in rows:
            rows[key] = {c: v for c, v in new.items()}
            out.added.append(key)
            state[key] = {c: v for c, v in new.items() if c != PROVENANCE}
            continue
        row = rows[key]
        before = dict(row)
        old_base = base.get(key, {})
        for col, val in new.items():
            if col == PROVENANCE or not val:
                continue
            cur = row.get(col, "")
            if cur == val:
                continue
            if (col in old_base and cur == old_base[col]) or (col not in old_base and cur == ""):
                row[col] = val
            else:
                out.kept.append((key, col, cur, val))
        mine = {e for e in row.get(PROVENANCE, "").split(";") if e and e not in run_sources}
        mine |= {e for e in new.get(PROVENANCE, "").split(";") if e}
        row[PROVENANCE] = ";".join(sorted(mine))
        merged_state = dict(old_base)
        merged_state.update({c: v for c, v in new.items() if c != PROVENANCE and v})
        state[key] = merged_state
        if row != before:
            out.updated.append(key)
    for key in sorted(rows):
        if key in imported:
            continue
        entries = {e for e in rows[key].get(PROVENANCE, "").split(";") if e}
        if entries & run_sources:
            out.removed.append(key)
    return out
