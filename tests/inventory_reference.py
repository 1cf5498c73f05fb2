"""The inventory loader as it was before the columnar reader: a slow, obviously-right oracle.

pandas reads every CSV cell into a Python string, each column is converted
cell by cell, and the cross-table checks walk the rows one by one. This is the
code hiddenspof shipped before issue 26, kept verbatim (only the helpers it
shares with ``hiddenspof.inventory`` are imported), so tests can assert the
columnar loader gives equal tables and the same problems in the same order.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pandas as pd
from hiddenspof.errors import InventoryError, Problem
from hiddenspof.inventory import (
    _FALSE,
    _TRUE,
    ADMIN,
    EXTENSION_COLUMNS,
    REQUIRED_TABLES,
    TABLES,
    Column,
    Inventory,
    _check_meta,
    _iso,
    _problem_key,
    _Raw,
    _Read,
    _read_meta_yaml,
    _short,
    _type_expected,
    is_admin,
)

__all__ = ["load_folder"]


def load_folder(path: str | Path) -> Inventory:
    """Load a CSV-folder inventory the old way (metadata through the shipped code)."""
    path = Path(path)
    problems: list[Problem] = []
    meta_path = path / "inventory.yaml"
    meta: dict = {}
    if not meta_path.exists():
        problems.append(Problem(str(meta_path), None, None, None, "an inventory.yaml file with name and as_of (metadata of the folder)"))
    else:
        meta, _ = _read_meta_yaml(meta_path, str(meta_path), problems)
    tables: dict[str, _Raw] = {}
    for name in TABLES:
        csv_path = path / f"{name}.csv"
        if not csv_path.exists():
            if name in REQUIRED_TABLES:
                problems.append(Problem(str(csv_path), None, None, None, f"the required table '{name}' (a CSV file with a header row; it may have no data rows)"))
            continue
        raw = _read_csv(csv_path, str(csv_path), problems)
        if raw is not None:
            tables[name] = raw
    for name in TABLES:
        if name in meta:
            problems.append(Problem(str(meta_path), None, None, name, f"only metadata keys in inventory.yaml; table '{name}' belongs in {name}.csv", severity="warning"))
            meta.pop(name)
    return _build(_Read(meta, str(meta_path), {}, tables, problems), str(path))


def _read_csv(path: Path, display: str, problems: list[Problem]) -> _Raw | None:
    try:
        frame = pd.read_csv(  # object columns of Python str: pandas' own string dtype is iterated cell by cell
            path, dtype=object, keep_default_na=False, na_filter=False, encoding="utf-8-sig",
            skip_blank_lines=True, skipinitialspace=False,
        )
    except pd.errors.EmptyDataError:
        problems.append(Problem(display, None, None, None, "a header row naming the columns (the file is empty)"))
        return None
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        problems.append(Problem(display, None, None, None, f"a readable UTF-8 CSV file ({_short(exc)})"))
        return None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return _Raw(frame, np.arange(len(frame)) + 2, display)  # cells are stripped where they are converted


_STRIP = np.frompyfunc(str.strip, 1, 1)  # str.strip over an object array in one C loop


def _stripped(column: pd.Series) -> pd.Series:
    """The column's cells as stripped text, "" for a missing one (one C-level pass when every cell is text)."""
    column = column.astype(object)
    if pd.api.types.infer_dtype(column, skipna=False) in ("string", "empty"):
        return pd.Series(_STRIP(column.to_numpy(dtype=object)).astype(object), index=column.index, dtype=object)
    return column.map(lambda v: "" if v is None else str(v).strip())


def _convert(raw: _Raw, col: Column, problems: list[Problem]) -> pd.Series:
    """Typed values of one column; bad cells are reported and become missing."""
    text = _stripped(raw.frame[col.name])
    empty = text == ""
    bad = pd.Series(False, index=text.index)
    expected = _type_expected(col)
    if col.type in ("text", "id"):
        out = text.where(~empty, None)
    elif col.type == "enum":
        lowered = text.str.lower().astype(object)
        bad = ~empty & ~lowered.isin(col.choices)
        out = lowered.where(~empty & ~bad, None)
        for idx in np.flatnonzero(bad.to_numpy()):
            value = text.iloc[idx]
            hint = difflib.get_close_matches(value.lower(), col.choices, n=1, cutoff=0.5)
            exp = expected + (f" (did you mean '{hint[0]}'?)" if hint else "")
            problems.append(Problem(raw.file, int(raw.rows[idx]), col.name, value, exp, raw.sheet))
        bad[:] = False  # already reported
    elif col.type == "bool":
        lowered = text.str.lower()
        is_true = lowered.isin(_TRUE)
        is_false = lowered.isin(_FALSE)
        bad = ~empty & ~is_true & ~is_false
        out = pd.Series(is_true.to_numpy(), index=text.index, dtype=bool)
    elif col.type in ("float", "int"):
        numbers = pd.to_numeric(text.where(~empty, None), errors="coerce").astype("float64")
        finite = np.isfinite(numbers.to_numpy())
        bad = ~empty & ~pd.Series(finite, index=text.index)
        ok = ~empty & ~bad
        if col.type == "int":
            bad |= ok & (numbers != np.floor(numbers))
        if col.minimum is not None:
            below = numbers <= col.minimum if col.exclusive_minimum else numbers < col.minimum
            bad |= ok & below
        if col.maximum is not None:
            bad |= ok & (numbers > col.maximum)
        numbers = numbers.where(~empty & ~bad)
        out = numbers.round().astype("Int64") if col.type == "int" else numbers
    elif col.type == "datetime":
        stamps = pd.to_datetime(text.where(~empty, None), format="ISO8601", errors="coerce", utc=True)
        bad = ~empty & stamps.isna()
        out = stamps.dt.tz_convert(None).astype("datetime64[ns]")
    elif col.type == "date":
        stamps = pd.to_datetime(text.where(~empty, None), format="ISO8601", errors="coerce", utc=True)
        bad = ~empty & stamps.isna()
        out = stamps.dt.tz_convert(None).dt.floor("D").astype("datetime64[ns]")
    else:  # pragma: no cover - programming error
        raise AssertionError(col.type)
    for idx in np.flatnonzero(bad.to_numpy()):
        problems.append(Problem(raw.file, int(raw.rows[idx]), col.name, text.iloc[idx], expected, raw.sheet))
    if col.required:
        for idx in np.flatnonzero(empty.to_numpy()):
            problems.append(Problem(raw.file, int(raw.rows[idx]), col.name, "", expected + " (this column is required)", raw.sheet))
    out.index = range(len(out))
    return out


def _empty_table(name: str) -> pd.DataFrame:
    raw = _Raw(pd.DataFrame({c.name: pd.Series([], dtype=object) for c in TABLES[name]}), np.array([], dtype=int), "")
    return _normalise(name, raw, [])


def _normalise(name: str, raw: _Raw, problems: list[Problem]) -> pd.DataFrame:
    """Typed DataFrame of a table with every contract column, extra columns kept as text."""
    columns = TABLES[name]
    known = {c.name for c in columns}
    present = list(raw.frame.columns)
    seen: set[str] = set()
    for col in present:
        if col in seen:
            problems.append(Problem(raw.file, 1, col, col, "each column once (this header appears twice)", raw.sheet))
        seen.add(col)
    if len(seen) != len(present):
        raw.frame = raw.frame.loc[:, ~raw.frame.columns.duplicated()]
    for col in columns:
        if col.required and col.name not in seen:
            problems.append(Problem(raw.file, 1, col.name, None, f"the required column '{col.name}' ({col.help})", raw.sheet))
    for col in present:
        if col not in known and col != "" and col not in EXTENSION_COLUMNS:
            hint = difflib.get_close_matches(col, sorted(known), n=1, cutoff=0.7)
            problems.append(Problem(
                raw.file, 1, col, None,
                "a known column (this one is kept as text but not used" + (f"; did you mean '{hint[0]}'?)" if hint else ")"),
                raw.sheet, severity="warning",
            ))
    data: dict[str, pd.Series] = {}
    n = len(raw.frame)
    for col in columns:
        if col.name in seen:
            data[col.name] = _convert(raw, col, problems)
        else:
            filler = _Raw(pd.DataFrame({col.name: [""] * n}, dtype=object), raw.rows, raw.file, raw.sheet)
            data[col.name] = _convert(filler, Column(col.name, col.type, False, col.help, col.choices, col.minimum, col.maximum, col.exclusive_minimum), [])
    for col in present:
        if col not in known and col != "":
            data[col] = pd.Series([None if v is None or str(v).strip() == "" else str(v).strip() for v in raw.frame[col]], dtype=object)
    frame = pd.DataFrame(data, index=range(n))
    return frame


def _check_tables(tables: dict[str, pd.DataFrame], raws: dict[str, _Raw], problems: list[Problem]) -> None:
    comps = tables["components"]
    craw = raws.get("components")
    backups = tables["backups"]
    braw = raws.get("backups")

    def where(raw: _Raw | None, i: int) -> tuple[str, int | None, str | None]:
        if raw is None:
            return "", None, None
        return raw.file, int(raw.rows[i]), raw.sheet

    # duplicate component ids
    first_row: dict[str, int] = {}
    comp_kind: dict[str, str | None] = {}
    for i, (cid, kind) in enumerate(zip(comps["id"], comps["kind"])):
        if cid is None:
            continue
        f, r, s = where(craw, i)
        if cid in first_row:
            problems.append(Problem(f, r, "id", cid, f"a unique id (already used on row {first_row[cid]})", s))
        else:
            first_row[cid] = r
            comp_kind[cid] = kind
    # backups: duplicate ids, kind clashes
    backup_first: dict[str, int] = {}
    for i, bid in enumerate(backups["id"]):
        if bid is None:
            continue
        f, r, s = where(braw, i)
        if bid in backup_first:
            problems.append(Problem(f, r, "id", bid, f"a unique backup id (already used on row {backup_first[bid]})", s))
            continue
        backup_first[bid] = r
        if bid in comp_kind and comp_kind[bid] not in (None, "backup"):
            problems.append(Problem(f, r, "id", bid, f"a backup id that is not also a component of kind '{comp_kind[bid]}' in components (a backup is a component of kind 'backup')", s))
    all_ids = set(comp_kind) | set(backup_first)
    backup_ids = set(backup_first)

    def check_refs(table: str, column: str, universe: set[str], what: str) -> None:
        frame = tables[table]
        raw = raws.get(table)
        if column not in frame or raw is None:
            return
        values = frame[column]
        missing = values.notna() & ~values.isin(universe)
        for i in np.flatnonzero(missing.to_numpy()):
            value = values.iloc[i]
            hint = difflib.get_close_matches(value, sorted(universe), n=1, cutoff=0.8)
            f, r, s = where(raw, i)
            problems.append(Problem(f, r, column, value, what + (f" (did you mean '{hint[0]}'?)" if hint else ""), s))

    check_refs("dependencies", "component", all_ids, "the id of a component or backup")
    check_refs("dependencies", "depends_on", all_ids, "the id of a component or backup")
    check_refs("backups", "protects", all_ids, "the id of an existing component (the asset this backup restores)")
    check_refs("backups", "alert_channel", all_ids, "the id of a component (where failed runs are reported)")
    check_refs("backups", "restore_to", all_ids, "the id of a component (where a restore lands)")
    check_refs("backup_runs", "backup", backup_ids, "the id of a backup in the backups table")
    check_refs("restore_tests", "backup", backup_ids, "the id of a backup in the backups table")

    # backups: restore_to the asset itself, protecting itself
    for i, (bid, prot, target) in enumerate(zip(backups["id"], backups["protects"], backups["restore_to"])):
        f, r, s = where(braw, i)
        if bid is not None and prot == bid:
            problems.append(Problem(f, r, "protects", prot, "an asset other than the backup itself", s))
        if target is not None and target == prot:
            problems.append(Problem(f, r, "restore_to", target, "a restore target other than the asset itself (a path that needs the asset up never restores it)", s, severity="warning"))

    # dependencies
    deps = tables["dependencies"]
    draw = raws.get("dependencies")
    seen_rows: dict[tuple, int] = {}
    group_needs: dict[tuple[str, str], tuple[int, int]] = {}
    group_size: dict[tuple[str, str], int] = {}
    group_first: dict[tuple[str, str], int] = {}
    for i, (comp, target, dkind, group, needs) in enumerate(zip(deps["component"], deps["depends_on"], deps["kind"], deps["group"], deps["needs"])):
        f, r, s = where(draw, i)
        if comp is None or target is None:
            continue
        admin = is_admin(dkind)
        if comp == target:
            problems.append(Problem(f, r, "depends_on", target, "a component other than the one that depends on it (a component cannot depend on itself)", s))
        key = (comp, target, group, admin)
        if key in seen_rows:
            what = "an admin row" if admin else "a row that is not admin"
            problems.append(Problem(f, r, "depends_on", target, f"each dependency once (same component, depends_on and group, and {what}, as row {seen_rows[key]})", s))
        else:
            seen_rows[key] = r
        if admin:
            # an admin row is not a requirement: group and needs mean nothing on it
            if group is not None:
                problems.append(Problem(f, r, "group", group, "no group on an admin row (an admin row is not a requirement; the group is ignored)", s, severity="warning"))
            if needs is not pd.NA and not pd.isna(needs):
                problems.append(Problem(f, r, "needs", str(needs), "no needs on an admin row (an admin row is not a requirement; needs is ignored)", s, severity="warning"))
            continue
        if group is None:
            if needs is not pd.NA and not pd.isna(needs):
                problems.append(Problem(f, r, "needs", str(needs), "needs only on rows with a group (ignored here)", s, severity="warning"))
            continue
        gk = (comp, group)
        group_size[gk] = group_size.get(gk, 0) + 1
        group_first.setdefault(gk, r)
        if not pd.isna(needs):
            if gk in group_needs and group_needs[gk][0] != int(needs):
                problems.append(Problem(f, r, "needs", str(int(needs)), f"the same needs on every row of group '{group}' of '{comp}' (row {group_needs[gk][1]} says {group_needs[gk][0]})", s))
            group_needs.setdefault(gk, (int(needs), r))
    for gk, (needs, row) in group_needs.items():
        if needs > group_size[gk]:
            f, _, s = where(draw, 0)
            problems.append(Problem(f, row, "needs", str(needs), f"at most {group_size[gk]}, the number of members of group '{gk[1]}' of '{gk[0]}'", s))

    # runs: finished before started
    runs = tables["backup_runs"]
    rraw = raws.get("backup_runs")
    if rraw is not None and len(runs):
        negative = (runs["finished_at"] < runs["started_at"]).fillna(False).to_numpy(dtype=bool)
        for i in np.flatnonzero(negative):
            f, r, s = where(rraw, i)
            problems.append(Problem(f, r, "finished_at", _iso(runs["finished_at"].iloc[i]), f"a time at or after started_at ({_iso(runs['started_at'].iloc[i])}): a run cannot take negative time", s))


def _build(read: _Read, source: str) -> Inventory:
    problems = list(read.problems)
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        raw = read.tables.get(name)
        tables[name] = _empty_table(name) if raw is None else _normalise(name, raw, problems)
    # fill defaults: name defaults to id; backups added as components
    comps = tables["components"]
    comps["name"] = pd.Series([n if n is not None else i for n, i in zip(comps["name"], comps["id"])], dtype=object)
    _check_tables(tables, read.tables, problems)
    known = set(comps["id"].dropna())
    backups = tables["backups"]
    extra_ids = [b for b in dict.fromkeys(backups["id"].dropna()) if b not in known]
    if extra_ids:
        add = _empty_table("components").reindex(range(len(extra_ids)))
        for col in add.columns:
            add[col] = add[col].astype(comps[col].dtype) if col in comps else add[col]
        add["id"] = pd.Series(extra_ids, dtype=object)
        add["name"] = pd.Series(extra_ids, dtype=object)
        add["kind"] = "backup"
        comps = pd.concat([comps, add.reindex(columns=comps.columns)], ignore_index=True)
        for col in TABLES["components"]:
            comps[col.name] = comps[col.name].astype(tables["components"][col.name].dtype)
        tables["components"] = comps
    deps = tables["dependencies"]
    admin = pd.Series([is_admin(k) for k in deps["kind"]], index=deps.index, dtype=bool)
    if admin.any():
        deps.loc[admin, "kind"] = ADMIN  # one spelling, whatever the case in the file
    grouped = deps["group"].notna() & ~admin
    deps["needs"] = deps["needs"].fillna(1).where(grouped, pd.NA).astype("Int64")
    meta = _check_meta(read.meta, read.meta_file, set(comps["id"].dropna()), problems)
    errors = [p for p in problems if p.severity == "error"]
    if errors or meta is None:
        raise InventoryError(sorted(problems, key=_problem_key))
    warnings = tuple(sorted((p for p in problems if p.severity == "warning"), key=_problem_key))
    return Inventory(meta, tables["components"], deps, tables["backups"], tables["backup_runs"], tables["restore_tests"], source, warnings)
