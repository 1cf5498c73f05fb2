"""The edit operations a fix is made of (``fix.changes``): one vocabulary for the advice, ``apply`` and the what-ifs.

A fix changes the world; the inventory follows. Written down, the change is
a list of edits, applied in order to a copy of the inventory:

| ``op`` | fields | meaning |
|---|---|---|
| ``add_component`` | ``row``: a components row | a new component |
| ``add_dependency`` | ``row``: a dependencies row | |
| ``remove_dependency`` | ``row``: ``component``, ``depends_on``, and ``group``/``kind`` where they tell rows apart | |
| ``add_backup`` | ``row``: a backups row | a new copy |
| ``set`` | ``table`` (``components`` or ``backups``), ``id``, ``column``, ``value`` | |
| ``add_restore_test`` | ``row``: a restore_tests row | a test to perform |

Every what-if change (``whatif.Change``) compiles to edits and is applied
only through :func:`apply_changes`, so the advice search, ``hiddenspof
apply``, the widgets and the plan speak one language. An edit that no longer
fits the inventory (an id that is gone or already taken, a row that is not
there, a group left with fewer members than it needs) raises
:class:`EditError` naming the edit and what was expected; the input
inventory is never modified.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import weakref
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .errors import HiddenspofError
from .inventory import KINDS, TABLES, Inventory, is_admin

__all__ = [
    "OPS",
    "Edit",
    "EditError",
    "add_component",
    "add_dependency",
    "remove_dependency",
    "add_backup",
    "set_value",
    "add_restore_test",
    "apply_changes",
    "check_changes",
    "edits_json",
    "edit_from_json",
    "new_ids",
]

OPS = ("add_component", "add_dependency", "remove_dependency", "add_backup", "set", "add_restore_test")
_ROW_TABLE = {"add_component": "components", "add_dependency": "dependencies", "remove_dependency": "dependencies",
              "add_backup": "backups", "add_restore_test": "restore_tests"}
_SETTABLE = ("components", "backups")


class EditError(HiddenspofError, ValueError):
    """An edit does not apply to the inventory (it changed since the fix was found, or the edit is malformed)."""


def _plain(value: Any) -> Any:
    """A JSON-ready cell value: None for missing, floats, ints, bools, text; dates as ISO text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return pd.Timestamp(value).date().isoformat() if pd.Timestamp(value) == pd.Timestamp(value).normalize() \
            else pd.Timestamp(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    return value


@dataclass(frozen=True)
class Edit:
    """One edit operation of ``fix.changes`` (hashable; :meth:`to_json` is its contract form).

    ``row`` holds (column, value) pairs in the table's column order, missing
    cells left out.
    """

    op: str
    row: tuple[tuple[str, Any], ...] = ()
    table: str | None = None
    id: str | None = None
    column: str | None = None
    value: Any = None

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise EditError(f"edit op {self.op!r} is unknown: expected one of {', '.join(OPS)}")

    @property
    def fields(self) -> dict[str, Any]:
        """The row as a dict."""
        return dict(self.row)

    def to_json(self) -> dict:
        """The contract's form: ``{"op": ..., "row": {...}}`` or ``{"op": "set", "table", "id", "column", "value"}``."""
        if self.op == "set":
            return {"op": "set", "table": self.table, "id": self.id, "column": self.column, "value": self.value}
        return {"op": self.op, "row": dict(self.row)}

    def describe(self) -> str:
        """The edit in one line (what ``hiddenspof apply`` prints)."""
        r = self.fields
        if self.op == "set":
            return f"set {self.table}.{self.column} of {self.id} to {'(empty)' if self.value is None else self.value}"
        if self.op == "add_component":
            return f"add component {r.get('id')} ({r.get('kind')})"
        if self.op in ("add_dependency", "remove_dependency"):
            extra = ", ".join(f"{k} {r[k]}" for k in ("kind", "group", "needs") if r.get(k) is not None)
            verb = "add" if self.op == "add_dependency" else "remove"
            return f"{verb} row {r.get('component')} -> {r.get('depends_on')}" + (f" ({extra})" if extra else "")
        if self.op == "add_backup":
            flags = [f for f in ("immutable", "offline") if r.get(f)]
            to = f", restored to {r['restore_to']}" if r.get("restore_to") else ""
            return f"add backup {r.get('id')} of {r.get('protects')}" + (f" ({', '.join(flags)})" if flags else "") + to
        return f"record a {r.get('scope') or 'full'} restore test of {r.get('backup')} on {r.get('tested_at')}: {r.get('result')}"


def _row(table: str, values: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    order = [c.name for c in TABLES[table]]
    extra = sorted(k for k in values if k not in order)
    return tuple((k, _plain(values[k])) for k in [*order, *extra] if k in values and _plain(values[k]) is not None)


def add_component(**row: Any) -> Edit:
    """``add_component`` of a components row (``id`` and ``kind`` at least)."""
    return Edit("add_component", _row("components", row))


def add_dependency(**row: Any) -> Edit:
    """``add_dependency`` of a dependencies row (``component``, ``depends_on``; ``kind``, ``group``, ``needs``)."""
    return Edit("add_dependency", _row("dependencies", row))


def remove_dependency(**row: Any) -> Edit:
    """``remove_dependency``: ``component``, ``depends_on``; ``group``/``kind`` narrow it to the rows they tell apart."""
    return Edit("remove_dependency", _row("dependencies", row))


def add_backup(**row: Any) -> Edit:
    """``add_backup`` of a backups row (``id``, ``protects`` at least)."""
    return Edit("add_backup", _row("backups", row))


def set_value(table: str, id: str, column: str, value: Any) -> Edit:  # noqa: A002 - the contract's field name
    """``set`` one cell of a components or backups row."""
    return Edit("set", table=table, id=id, column=column, value=_plain(value))


def add_restore_test(**row: Any) -> Edit:
    """``add_restore_test`` of a restore_tests row (``backup``, ``tested_at``, ``result``)."""
    return Edit("add_restore_test", _row("restore_tests", row))


def edit_from_json(data: Mapping[str, Any]) -> Edit:
    """The :class:`Edit` of one entry of ``fix.changes``."""
    if not isinstance(data, Mapping) or "op" not in data:
        raise EditError(f"an edit must be a mapping with an 'op' (got {data!r})")
    op = data["op"]
    if op == "set":
        missing = [k for k in ("table", "id", "column") if k not in data]
        if missing:
            raise EditError(f"a set edit needs {', '.join(missing)} (got {dict(data)!r})")
        return Edit("set", table=data["table"], id=data["id"], column=data["column"], value=data.get("value"))
    if op not in _ROW_TABLE:
        raise EditError(f"edit op {op!r} is unknown: expected one of {', '.join(OPS)}")
    row = data.get("row")
    if not isinstance(row, Mapping):
        raise EditError(f"a {op} edit needs a 'row' mapping (got {row!r})")
    return Edit(op, _row(_ROW_TABLE[op], row))


def edits_json(edits: Iterable[Edit]) -> list[dict]:
    """``fix.changes``: the edits in their contract form."""
    return [e.to_json() for e in edits]


def new_ids(edits: Iterable[Edit]) -> list[str]:
    """The ids the edits add (components and backups), in order."""
    out: list[str] = []
    for e in edits:
        if e.op in ("add_component", "add_backup"):
            i = e.fields.get("id")
            if i is not None and i not in out:
                out.append(i)
    return out


# -- applying ------------------------------------------------------------------------------------------------


def _missing(dtype) -> object:
    """The missing value of a normalised column type."""
    if pd.api.types.is_bool_dtype(dtype):
        return False
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return pd.NaT
    if pd.api.types.is_float_dtype(dtype):
        return math.nan
    if pd.api.types.is_extension_array_dtype(dtype):
        return pd.NA
    return None


def append_rows(frame: pd.DataFrame, rows: Sequence[Mapping]) -> pd.DataFrame:
    """``frame`` with ``rows`` appended, every column keeping its normalised dtype (unknown keys dropped)."""
    if not rows:
        return frame
    data = {}
    for c in frame.columns:
        gap = _missing(frame[c].dtype)
        data[c] = [r.get(c, gap) for r in rows]
    add = pd.DataFrame({c: pd.Series(v, dtype=frame[c].dtype) for c, v in data.items()})
    if frame.empty:
        return add.reset_index(drop=True)
    return pd.concat([frame, add], ignore_index=True)


def set_cells(frame: pd.DataFrame, mask, column: str, value) -> pd.DataFrame:
    """A copy of ``frame`` with ``column`` set to ``value`` where ``mask``, dtype kept."""
    out = frame.copy()
    col = out[column].copy()
    col[mask] = value
    out[column] = col.astype(frame[column].dtype)
    return out


def _typed(edit: Edit, table: str, column: str, value: Any) -> Any:
    """``value`` converted to the column's type, or EditError naming the edit, column, value and what was expected."""
    cols = {c.name: c for c in TABLES[table]}
    col = cols.get(column)
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if col is not None and col.required:
            raise EditError(f"{edit.describe()}: column {column!r} is required: expected a value")
        return None
    if col is None:
        return str(value)

    def bad(expected: str) -> EditError:
        return EditError(f"{edit.describe()}: column {column!r} has {value!r}: expected {expected}")

    if col.type in ("id", "text"):
        return str(value)
    if col.type == "enum":
        v = str(value).strip().lower()
        if v not in col.choices:
            raise bad(f"one of {', '.join(col.choices)}")
        return v
    if col.type == "bool":
        if isinstance(value, bool):
            return value
        v = str(value).strip().lower()
        if v in ("true", "yes", "1"):
            return True
        if v in ("false", "no", "0"):
            return False
        raise bad("true or false")
    if col.type in ("float", "int"):
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise bad("a number") from None
        if not math.isfinite(x):
            raise bad("a finite number")
        if col.minimum is not None and (x < col.minimum or (col.exclusive_minimum and x <= col.minimum)):
            raise bad(f"a number {'>' if col.exclusive_minimum else '>='} {col.minimum:g}")
        if col.maximum is not None and x > col.maximum:
            raise bad(f"a number <= {col.maximum:g}")
        if col.type == "int":
            if x != int(x):
                raise bad("a whole number")
            return int(x)
        return x
    if col.type in ("date", "datetime"):
        try:
            ts = pd.Timestamp(value)
        except (TypeError, ValueError):
            raise bad("an ISO date") from None
        return ts.normalize() if col.type == "date" else ts
    return value


def _typed_row(edit: Edit, table: str) -> dict[str, Any]:
    row = {k: _typed(edit, table, k, v) for k, v in edit.row}
    for c in TABLES[table]:
        if c.required and row.get(c.name) is None:
            raise EditError(f"{edit.describe()}: the row has no {c.name!r}: expected a value ({c.help})")
    return {k: v for k, v in row.items() if v is not None}


def _group_of(value: Any) -> Any:
    """A dependency row's ``group`` cell, None when empty (as ``Series.isna`` reads it)."""
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


class _DependencyIndex:
    """What the edits ask of the dependency rows, kept up to date as rows come and go.

    ``rows`` counts rows by (component, depends_on, group, admin); ``needs`` holds the
    ``needs`` cells of each (component, group), admin rows included; ``plain`` the same
    without admin rows (the groups validation checks). Built once per application, so a
    long list of edits costs one pass over the rows, not one per edit.
    """

    def __init__(self, deps: pd.DataFrame) -> None:
        self.rows: Counter = Counter()
        self.needs: dict[tuple, list] = defaultdict(list)
        self.plain: dict[str, dict[Any, list]] = defaultdict(lambda: defaultdict(list))
        for comp, target, group, kind, needs in zip(deps["component"], deps["depends_on"], deps["group"],
                                                     deps["kind"], deps["needs"]):
            self.add(comp, target, _group_of(group), is_admin(kind), needs)

    def add(self, comp: str, target: str, group: Any, admin: bool, needs: Any) -> None:
        self.rows[(comp, target, group, admin)] += 1
        if group is not None:
            self.needs[(comp, group)].append(needs)
            if not admin:
                self.plain[comp][group].append(needs)

    def remove(self, comp: str, target: str, group: Any, admin: bool, needs: Any) -> None:
        self.rows[(comp, target, group, admin)] -= 1
        if group is not None:
            for cells in ((self.needs[(comp, group)], self.plain[comp][group]) if not admin
                          else (self.needs[(comp, group)],)):
                for i, n in enumerate(cells):
                    if (pd.isna(n) and pd.isna(needs)) or (not pd.isna(n) and not pd.isna(needs) and n == needs):
                        del cells[i]
                        break

    def groups_of(self, comp: str) -> list[tuple[Any, list]]:
        """The (group, needs cells) of ``comp``'s non-admin grouped rows, by group."""
        return sorted(((g, cells) for g, cells in self.plain.get(comp, {}).items() if cells), key=lambda item: item[0])


class _LayeredIndex:
    """A :class:`_DependencyIndex` of the inventory's own rows (built once per inventory, never changed) with the
    rows the edits add and remove kept on top: applying a few edits to a large inventory costs the edits, not a
    pass over every row (the fix search compiles and applies many candidates to one inventory)."""

    def __init__(self, base: _DependencyIndex) -> None:
        self._b = base
        self._rows: Counter = Counter()
        self._needs: dict[tuple, list] = {}
        self._plain: dict[str, dict[Any, list]] = {}

    def count(self, key: tuple) -> int:
        return self._b.rows.get(key, 0) + self._rows.get(key, 0)

    def needs_of(self, key: tuple) -> list:
        return self._needs[key] if key in self._needs else self._b.needs.get(key, [])

    def _own_needs(self, key: tuple) -> list:
        if key not in self._needs:
            self._needs[key] = list(self._b.needs.get(key, ()))
        return self._needs[key]

    def _own_plain(self, comp: str) -> dict[Any, list]:
        if comp not in self._plain:
            self._plain[comp] = {g: list(cells) for g, cells in self._b.plain.get(comp, {}).items()}
        return self._plain[comp]

    def add(self, comp: str, target: str, group: Any, admin: bool, needs: Any) -> None:
        self._rows[(comp, target, group, admin)] += 1
        if group is not None:
            self._own_needs((comp, group)).append(needs)
            if not admin:
                self._own_plain(comp).setdefault(group, []).append(needs)

    def remove(self, comp: str, target: str, group: Any, admin: bool, needs: Any) -> None:
        self._rows[(comp, target, group, admin)] -= 1
        if group is not None:
            lists = [self._own_needs((comp, group))]
            if not admin:
                lists.append(self._own_plain(comp).setdefault(group, []))
            for cells in lists:
                _drop_needs(cells, needs)

    def groups_of(self, comp: str) -> list[tuple[Any, list]]:
        plain = self._plain[comp] if comp in self._plain else self._b.plain.get(comp, {})
        return sorted(((g, cells) for g, cells in plain.items() if cells), key=lambda item: item[0])


def _drop_needs(cells: list, needs: Any) -> None:
    """Remove one ``needs`` cell equal to ``needs`` (missing equals missing) from ``cells``."""
    for i, n in enumerate(cells):
        if (pd.isna(n) and pd.isna(needs)) or (not pd.isna(n) and not pd.isna(needs) and n == needs):
            del cells[i]
            break


#: id of an inventory's dependency frame -> (a weak reference to it, the index of its rows)
_BASE_INDEX: dict[int, tuple[weakref.ref, _DependencyIndex]] = {}
_BASE_INDEX_KEPT = 4


def _index_of(deps: pd.DataFrame) -> _LayeredIndex:
    """A fresh layered index over the (cached) index of ``deps``, an inventory's unchanged dependency frame."""
    hit = _BASE_INDEX.get(id(deps))
    if hit is None or hit[0]() is not deps:
        for key in [k for k, (ref, _) in _BASE_INDEX.items() if ref() is None]:
            del _BASE_INDEX[key]
        while len(_BASE_INDEX) >= _BASE_INDEX_KEPT:
            del _BASE_INDEX[next(iter(_BASE_INDEX))]
        hit = _BASE_INDEX[id(deps)] = (weakref.ref(deps), _DependencyIndex(deps))
    return _LayeredIndex(hit[1])


class _State:
    """The inventory's tables while edits are applied (frames replaced, never modified in place).

    Appended rows wait in a list per table and join their frame once, when a frame is
    next read (one concat per table, not one per edit).
    """

    def __init__(self, inv: Inventory) -> None:
        self.inv = inv
        self._frames = {"components": inv.components, "dependencies": inv.dependencies,
                        "backups": inv.backups, "restore_tests": inv.restore_tests}
        self._pending: dict[str, list[dict]] = {t: [] for t in self._frames}
        self._deps: _LayeredIndex | None = None
        self.ids = set(inv.components["id"])
        self.backup_ids = set(inv.backups["id"])
        self.kind = dict(zip(inv.components["id"], inv.components["kind"]))

    def frame(self, table: str) -> pd.DataFrame:
        if self._pending[table]:
            self._frames[table] = append_rows(self._frames[table], self._pending[table])
            self._pending[table] = []
        return self._frames[table]

    def replace(self, table: str, frame: pd.DataFrame) -> None:
        self.frame(table)
        self._frames[table] = frame

    def append(self, table: str, row: dict) -> None:
        self._pending[table].append(row)

    @property
    def deps(self) -> _DependencyIndex:
        if self._deps is None:
            frame = self.frame("dependencies")
            self._deps = _index_of(frame) if frame is self.inv.dependencies else _LayeredIndex(_DependencyIndex(frame))
        return self._deps

    def require(self, edit: Edit, cid: Any, what: str) -> None:
        if cid not in self.ids:
            raise EditError(f"{edit.describe()}: {what} {cid!r} is not in the inventory: expected a component id "
                            "(the inventory changed since the fix was found?)")

    def result(self) -> Inventory:
        return dataclasses.replace(self.inv, **{t: self.frame(t).reset_index(drop=True) for t in self._frames})


def _add_component(s: _State, e: Edit) -> None:
    row = _typed_row(e, "components")
    cid = row["id"]
    if row["kind"] not in KINDS:
        raise EditError(f"{e.describe()}: kind {row['kind']!r} is unknown: expected one of {', '.join(KINDS)}")
    if cid in s.ids:
        raise EditError(f"{e.describe()}: id {cid!r} is already a component: expected a new id "
                        "(the inventory changed since the fix was found, or the fix was applied already)")
    row.setdefault("name", cid)
    s.append("components", row)
    s.ids.add(cid)
    s.kind[cid] = row["kind"]


def _dep_mask(d: pd.DataFrame, comp: str, target: str, group: Any = ..., admin: Any = ...):
    mask = (d["component"] == comp) & (d["depends_on"] == target)
    if group is not ...:
        mask &= d["group"].isna() if group is None else (d["group"] == group)
    if admin is not ... and mask.any():
        mask &= d["kind"].map(is_admin).astype(bool) == bool(admin)
    return mask


def _check_groups(s: _State, e: Edit, comp: str) -> None:
    for group, cells in s.deps.groups_of(comp):
        needs = [int(n) for n in cells if not pd.isna(n)]
        if len(set(needs)) > 1:
            raise EditError(f"{e.describe()}: rows of group {group!r} of {comp!r} disagree on needs "
                            f"({', '.join(str(n) for n in sorted(set(needs)))}): expected one value")
        n = needs[0] if needs else 1
        if n > len(cells):
            raise EditError(f"{e.describe()}: group {group!r} of {comp!r} would have {len(cells)} member(s) but needs "
                            f"{n}: expected a group that keeps at least {n}")


def _add_dependency(s: _State, e: Edit) -> None:
    row = _typed_row(e, "dependencies")
    comp, target = row["component"], row["depends_on"]
    s.require(e, comp, "component")
    s.require(e, target, "depends_on")
    if comp == target:
        raise EditError(f"{e.describe()}: a component cannot depend on itself")
    admin = is_admin(row.get("kind"))
    group = None if admin else row.get("group")
    if admin:
        row.pop("group", None)
        row.pop("needs", None)
        row["kind"] = "admin"
    if s.deps.count((comp, target, group, admin)) > 0:
        raise EditError(f"{e.describe()}: {comp!r} already has this row on {target!r}: expected a row not yet there "
                        "(the fix was applied already?)")
    if group is None:
        row.pop("needs", None)
    else:
        same = [n for n in s.deps.needs_of((comp, group)) if not pd.isna(n)]
        row.setdefault("needs", int(same[0]) if same else 1)
    s.append("dependencies", row)
    s.deps.add(comp, target, group, admin, row.get("needs"))
    if group is not None:
        _check_groups(s, e, comp)


def _remove_dependency(s: _State, e: Edit) -> None:
    r = e.fields
    comp, target = r.get("component"), r.get("depends_on")
    if comp is None or target is None:
        raise EditError(f"{e.describe()}: expected a component and a depends_on")
    group = r["group"] if "group" in r else ...
    admin = is_admin(r["kind"]) if "kind" in r else ...
    d = s.frame("dependencies")
    deps = s.deps
    mask = _dep_mask(d, comp, target, group, admin)
    if not mask.any():
        have = sorted(set(d.loc[d["component"] == comp, "depends_on"]))
        raise EditError(f"{e.describe()}: {comp!r} has no such row on {target!r}: expected one of its rows "
                        f"({', '.join(have) or 'none'}) (the inventory changed since the fix was found?)")
    gone = d.loc[mask]
    for g, kind, needs in zip(gone["group"], gone["kind"], gone["needs"]):
        deps.remove(comp, target, _group_of(g), is_admin(kind), needs)
    s.replace("dependencies", d.loc[~mask].reset_index(drop=True))
    _check_groups(s, e, comp)


def _check_backup_refs(s: _State, e: Edit, row: Mapping[str, Any]) -> None:
    s.require(e, row["protects"], "protected asset")
    for col in ("restore_to", "alert_channel"):
        if row.get(col) is not None:
            s.require(e, row[col], col)
    if row["protects"] == row["id"]:
        raise EditError(f"{e.describe()}: a backup cannot protect itself")
    if row.get("restore_to") is not None and row["restore_to"] == row["protects"]:
        raise EditError(f"{e.describe()}: restore_to {row['restore_to']!r} is the asset itself: expected a target "
                        "other than the asset (such a path never restores it)")


def _add_backup(s: _State, e: Edit) -> None:
    row = _typed_row(e, "backups")
    bid = row["id"]
    if bid in s.backup_ids:
        raise EditError(f"{e.describe()}: backup {bid!r} already exists: expected a new id "
                        "(the fix was applied already?)")
    if bid in s.ids and s.kind[bid] != "backup":
        raise EditError(f"{e.describe()}: {bid!r} is a component of kind {s.kind[bid]}: expected a new id")
    _check_backup_refs(s, e, row)
    if bid not in s.ids:
        s.append("components", {"id": bid, "name": bid, "kind": "backup"})
        s.ids.add(bid)
        s.kind[bid] = "backup"
    row.setdefault("immutable", False)
    row.setdefault("offline", False)
    s.append("backups", row)
    s.backup_ids.add(bid)


def _set(s: _State, e: Edit) -> None:
    if e.table not in _SETTABLE:
        raise EditError(f"{e.describe()}: table {e.table!r} cannot be set: expected one of {', '.join(_SETTABLE)}")
    frame = s.frame(e.table)
    if e.column in ("id",) or e.column not in frame.columns:
        cols = [c for c in frame.columns if c != "id"]
        raise EditError(f"{e.describe()}: column {e.column!r} cannot be set: expected one of {', '.join(cols)}")
    mask = frame["id"] == e.id
    if not mask.any():
        raise EditError(f"{e.describe()}: {e.id!r} is not in {e.table}: expected an existing id "
                        "(the inventory changed since the fix was found?)")
    value = _typed(e, e.table, e.column, e.value)
    if e.table == "components" and e.column == "kind":
        if value not in KINDS:
            raise EditError(f"{e.describe()}: expected one of {', '.join(KINDS)}")
        s.kind[e.id] = value
    if e.table == "backups":
        row = dict(zip(frame.columns, frame.loc[mask].iloc[0]))
        row = {k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in row.items() if k in
               ("id", "protects", "restore_to", "alert_channel")}
        row[e.column] = value
        _check_backup_refs(s, e, row)
    if value is None:
        value = _missing(frame[e.column].dtype)
    s.replace(e.table, set_cells(frame, mask, e.column, value))


def _add_restore_test(s: _State, e: Edit) -> None:
    row = _typed_row(e, "restore_tests")
    if row["backup"] not in s.backup_ids:
        raise EditError(f"{e.describe()}: {row['backup']!r} is not a backup: expected a backup id "
                        "(the inventory changed since the fix was found?)")
    s.append("restore_tests", row)


_APPLY = {"add_component": _add_component, "add_dependency": _add_dependency,
          "remove_dependency": _remove_dependency, "add_backup": _add_backup, "set": _set,
          "add_restore_test": _add_restore_test}


def _applied(inventory: Inventory, edits: Iterable[Edit | Mapping[str, Any]]) -> _State:
    s = _State(inventory)
    for e in edits:
        if not isinstance(e, Edit):
            e = edit_from_json(e)
        _APPLY[e.op](s, e)
    return s


def apply_changes(inventory: Inventory, edits: Iterable[Edit | Mapping[str, Any]]) -> Inventory:
    """The inventory with ``edits`` applied in order (``Edit`` objects or their JSON form); the input is not modified.

    Raises :class:`EditError` on the first edit that does not apply, naming
    it and what was expected.
    """
    return _applied(inventory, edits).result()


def check_changes(inventory: Inventory, edits: Iterable[Edit | Mapping[str, Any]]) -> None:
    """Raise :class:`EditError` exactly where :func:`apply_changes` would, without building the changed tables.

    The advice search compiles many candidates only to read their edits; this
    keeps the check and skips the copy.
    """
    _applied(inventory, edits)
