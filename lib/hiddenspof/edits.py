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
import functools
import math
import weakref
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
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
    "rebase",
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

    # The dataclass' own hash and equality, with the hash computed once: the plan looks tens of thousands of
    # edits up in the set of those made before, and hashing the row's pairs again each time was most of it.
    def __hash__(self) -> int:
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash((self.op, self.row, self.table, self.id, self.column, self.value))
            object.__setattr__(self, "_hash", h)
        return h

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if other.__class__ is not self.__class__:
            return NotImplemented
        mine, theirs = self.__dict__.get("_hash"), other.__dict__.get("_hash")
        if mine is not None and theirs is not None and mine != theirs:
            return False
        return ((self.op, self.row, self.table, self.id, self.column, self.value)
                == (other.op, other.row, other.table, other.id, other.column, other.value))

    def __getstate__(self) -> dict:
        """The fields only: a string's hash differs between processes, so the cached one is never pickled."""
        state = dict(self.__dict__)
        state.pop("_hash", None)
        return state

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


_COLUMNS: dict[str, dict[str, Any]] = {}


def _columns(table: str) -> dict[str, Any]:
    """column name -> its ``Column`` of ``table``, in the table's order (read once per table)."""
    if table not in _COLUMNS:
        _COLUMNS[table] = {c.name: c for c in TABLES[table]}
    return _COLUMNS[table]


def _row(table: str, values: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    order = _columns(table)
    extra = sorted(k for k in values if k not in order)
    out = []
    for k in [*order, *extra]:
        if k in values:
            v = _plain(values[k])
            if v is not None:
                out.append((k, v))
    return tuple(out)


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
    out: dict[str, None] = {}  # ordered and without repeats (a composite fix adds thousands of ids)
    for e in edits:
        if e.op in ("add_component", "add_backup"):
            i = e.fields.get("id")
            if i is not None:
                out.setdefault(i)
    return list(out)


# -- one fix on top of others ---------------------------------------------------------------------------------

#: The columns of each edit's row that name a component or backup id (what a renamed new id must follow).
_ID_COLUMNS = {"add_component": ("id",), "add_dependency": ("component", "depends_on"),
               "remove_dependency": ("component", "depends_on"),
               "add_backup": ("id", "protects", "alert_channel", "restore_to"), "add_restore_test": ("backup",)}
_ID_VALUES = ("restore_to", "alert_channel")  # set edits whose value is an id


def _owner(e: Edit) -> Any:
    """The row an edit adds to or changes: the new id, the dependent component, the tested backup, the set row."""
    if e.op == "set":
        return e.id
    return e.fields.get({"add_dependency": "component", "remove_dependency": "component",
                         "add_restore_test": "backup"}.get(e.op, "id"))


def _names(e: Edit) -> set:
    """Every component or backup id the edit names."""
    if e.op == "set":
        return {e.id, e.value} if e.column in _ID_VALUES else {e.id}
    return {v for k, v in e.row if k in _ID_COLUMNS[e.op]}


def _renamed(e: Edit, to: Mapping[Any, str]) -> Edit:
    """``e`` with the ids of ``to`` renamed (``e`` itself when it names none of them)."""
    if e.op == "set":
        if e.id not in to and (e.column not in _ID_VALUES or e.value not in to):
            return e
        return Edit("set", table=e.table, id=to.get(e.id, e.id), column=e.column,
                    value=to.get(e.value, e.value) if e.column in _ID_VALUES else e.value)
    cols = _ID_COLUMNS[e.op]
    if not any(k in cols and v in to for k, v in e.row):
        return e
    return Edit(e.op, tuple((k, to.get(v, v) if k in cols else v) for k, v in e.row))


def rebase(inventory: Inventory | Staged, edits: Iterable[Edit], done: Collection[Edit] = frozenset(),
           earlier: Collection[Any] = frozenset()) -> tuple[list[Edit], list[Edit], dict[Any, str]]:
    """One fix's edits, ready to apply on top of fixes applied before it, and the new ids it had to rename.

    Every fix is found alone, on the estate as it is, so two fixes may name
    a new component alike (``new-<asset>-offline-vault``) and mean two
    different things (a vault at one new recovery site or at another). On
    top of the earlier fixes (``inventory``, with ``done`` the edits they
    made and ``earlier`` the ids they added):

    - an edit an earlier fix already made is not made again (the same new
      vault, the same alert channel: shared, as the fixes meant);
    - a new id this fix adds that an earlier fix already added, with a
      different row or with edits of this fix that the earlier fixes did not
      make (another dependency, another store), is renamed to a fresh id
      (``-2``, ``-3``...), in every edit of this fix that names it, and so is
      any of this fix's new ids whose edits name a renamed one. The fix then
      adds its own components beside the earlier ones instead of failing or
      silently changing theirs.

    An id the inventory had before any of the fixes is never renamed: adding
    it fails as usual (the inventory changed since the fix was found, or the
    fix was applied already).

    Returns the edits to apply (renamed, without those already made), the
    edits left out as already made, and ``{old id: new id}``.
    """
    edits = list(edits)
    s = staged(inventory)
    mine = new_ids(edits)
    shared = {i for i in mine if i in earlier}  # ids of this fix that an earlier fix already added
    made = [e in done for e in edits]  # each edit looked up once (it is the same edit in every pass below)
    clash: set = set()
    # the edits of shared ids (no shared id: nothing can clash), with the ids each names, read once when asked
    owned = [(k, o) for k, o in enumerate(map(_owner, edits)) if o in shared] if shared else []
    names: dict[int, set] = {}
    changed = bool(owned)
    while changed:  # until no shared id gains an edit (or a reference to a renamed id) the earlier fixes lack
        changed = False
        for k, o in owned:
            if o not in clash:
                if made[k]:
                    named = names.get(k)
                    if named is None:
                        named = names[k] = _names(edits[k])
                    if named.isdisjoint(clash):
                        continue
                clash.add(o)
                changed = True
    to: dict[Any, str] = {}
    taken = set(mine)
    for i in mine:
        if i in clash:
            to[i] = s.fresh_id(i, taken)
            taken.add(to[i])
    out = [_renamed(e, to) for e in edits] if to else edits
    todo: list[Edit] = []
    kept: list[Edit] = []
    for e, before, was in zip(out, edits, made):  # an edit the renaming left as it was is looked up already
        (kept if (was if e is before else e in done) else todo).append(e)
    return todo, kept, to


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
    # the types read once and the new columns built on one shared index: reading a column of the frame and
    # aligning the columns' indexes was most of the cost on the small frames the fix search builds per candidate
    index = pd.RangeIndex(len(rows))
    add = pd.DataFrame({c: pd.Series([r.get(c, gap) for r in rows], dtype=dtype, index=index)
                        for c, dtype in zip(frame.columns, frame.dtypes) for gap in (_missing(dtype),)},
                       index=index)
    if frame.empty:
        return add
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
    col = _columns(table).get(column)
    if type(value) is str and (col is None or col.type in ("id", "text")) and value.strip():
        return value  # most cells of a fix's rows: text as it is (``str`` of it below)
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


def _first_positions(ids) -> dict[Any, int]:
    """id -> position of its first row in ``ids``."""
    out: dict[Any, int] = {}
    for i, x in enumerate(ids):
        out.setdefault(x, i)
    return out


class _RowReader:
    """Rows of a frame by position, each the dict ``frame.iloc[positions].to_dict("records")`` gives for it, read
    from the frame's columns (no frame made per read: a fix search reads a few rows per candidate, thousands of
    times, and pandas' fixed cost per ``iloc`` and ``to_dict`` was a tenth of it at 100,000 components).

    The values are the ones ``to_dict("records")`` takes: each column's iteration (``Series.__iter__``: ``item``
    of a numpy array, the elements of an extension array), boxed by ``maybe_box_native`` where pandas boxes them
    (object and extension columns). Numpy columns are kept as the frame's arrays; only extension columns (nullable
    integers, dates) are read into lists, once."""

    def __init__(self, frame: pd.DataFrame) -> None:
        from pandas.core.dtypes.cast import maybe_box_native

        self.names = frame.columns.tolist()
        self.cells: list[Callable[[int], Any]] = []
        for k in range(len(self.names)):
            col = frame.iloc[:, k]
            dtype = col.dtype
            if isinstance(dtype, np.dtype) and dtype.kind not in "mM":
                values = col.to_numpy()
                if dtype.kind == "O":
                    self.cells.append(lambda i, v=values, box=maybe_box_native: box(v.item(i)))
                else:
                    self.cells.append(values.item)
            else:
                self.cells.append([maybe_box_native(v) for v in col].__getitem__)

    def row(self, i: int) -> dict:
        """The row at position ``i``."""
        return dict(zip(self.names, [cell(i) for cell in self.cells]))


class _Base:
    """What the edits and the what-ifs ask of one inventory's own tables, each part built on first use and
    never changed: a long run of candidates compiled on one inventory reads its rows once, not once per
    candidate (:class:`Staged` keeps the candidate's edits on top)."""

    def __init__(self, components: pd.DataFrame, dependencies: pd.DataFrame, backups: pd.DataFrame) -> None:
        self.components, self.dependencies, self.backups = components, dependencies, backups
        self._records: dict[Any, list[dict]] = {}
        self._backup_rows: dict[int, dict] = {}
        self._component_rows: dict[int, dict] = {}

    @functools.cached_property
    def kind(self) -> dict[Any, Any]:
        """component id -> kind (the last row of an id, as ``dict(zip(...))`` reads it)."""
        return dict(zip(self.components["id"], self.components["kind"]))

    @functools.cached_property
    def component_at(self) -> dict[Any, int]:
        """component id -> position of its first row."""
        return _first_positions(self.components["id"])

    @functools.cached_property
    def backup_at(self) -> dict[Any, int]:
        """backup id -> position of its first row."""
        return _first_positions(self.backups["id"])

    @functools.cached_property
    def backups_of(self) -> dict[str, list[int]]:
        """``str(protects)`` -> positions of the backups rows protecting it."""
        out: dict[str, list[int]] = defaultdict(list)
        for i, a in enumerate(self.backups["protects"].astype(str)):
            out[a].append(i)
        return dict(out)

    @functools.cached_property
    def shortest(self) -> dict[str, float]:
        """asset -> the shortest ``schedule_hours`` of its backups (missing when none is known)."""
        bk = self.backups
        return pd.to_numeric(bk["schedule_hours"]).groupby(bk["protects"].astype(str)).min().to_dict()

    @functools.cached_property
    def rows_at(self) -> dict[Any, list[int]]:
        """component -> positions of its dependency rows, in frame order."""
        out: dict[Any, list[int]] = defaultdict(list)
        for i, c in enumerate(self.dependencies["component"]):
            out[c].append(i)
        return dict(out)

    @functools.cached_property
    def gaps(self) -> dict[str, dict[str, Any]]:
        """table -> column -> the missing value of its type (what ``append_rows`` fills a missing cell with)."""
        return {t: {c: _missing(dtype) for c, dtype in f.dtypes.items()} for t, f in
                (("components", self.components), ("dependencies", self.dependencies), ("backups", self.backups))}

    @functools.cached_property
    def index(self) -> _DependencyIndex:
        return _DependencyIndex(self.dependencies)

    @functools.cached_property
    def _dependency_reader(self) -> _RowReader:
        return _RowReader(self.dependencies)

    @functools.cached_property
    def _component_reader(self) -> _RowReader:
        return _RowReader(self.components)

    def records(self, comp: Any) -> list[dict]:
        """``comp``'s dependency rows as ``to_dict("records")`` gives them, in frame order."""
        if comp not in self._records:
            at = self.rows_at.get(comp, [])
            read = self._dependency_reader.row
            self._records[comp] = [read(i) for i in at]
        return self._records[comp]

    def backup_row(self, i: int) -> dict:
        """The backups row at position ``i`` as ``frame.loc[mask].iloc[0]`` gives it (a copy)."""
        if i not in self._backup_rows:
            self._backup_rows[i] = self.backups.iloc[i].to_dict()
        return dict(self._backup_rows[i])

    def component_rows(self, positions: Sequence[int]) -> list[dict]:
        """The components rows at ``positions`` as ``to_dict("records")`` gives them (each read once)."""
        rows, read = self._component_rows, None
        for i in positions:
            if i not in rows:
                read = read or self._component_reader.row
                rows[i] = read(i)
        return [rows[i] for i in positions]

    def backup_rows(self, positions: Sequence[int]) -> list[dict]:
        """The backups rows at ``positions`` as ``to_dict("records")`` gives them (each read once)."""
        self.read_backup_rows(positions)
        return [self._backup_rows[i] for i in positions]

    def read_backup_rows(self, positions: Iterable[int]) -> None:
        """Read the backups rows at ``positions`` in one step (``backup_row`` then copies them): the same cells
        as one ``iloc`` per row, a tenth of the time when edits set thousands of backups."""
        todo = sorted({i for i in positions if i not in self._backup_rows})
        if todo:
            self._backup_rows.update(zip(todo, self.backups.iloc[todo].to_dict("records")))


#: id of an inventory's components frame -> (weak references to its three frames, their index)
_BASES: dict[int, tuple[tuple[weakref.ref, ...], _Base]] = {}
_BASES_KEPT = 4


def _base_of(inv: Inventory) -> _Base:
    """The (cached) index of ``inv``'s components, dependencies and backups frames."""
    frames = (inv.components, inv.dependencies, inv.backups)
    hit = _BASES.get(id(frames[0]))
    if hit is None or any(ref() is not f for ref, f in zip(hit[0], frames)):
        for key in [k for k, (refs, _) in _BASES.items() if any(r() is None for r in refs)]:
            del _BASES[key]
        while len(_BASES) >= _BASES_KEPT:
            del _BASES[next(iter(_BASES))]
        hit = _BASES[id(frames[0])] = (tuple(weakref.ref(f) for f in frames), _Base(*frames))
    return hit[1]


def _blank(gaps: Mapping[str, Any], row: Mapping[str, Any]) -> dict:
    """``row`` as a row of a frame reads once appended: every column, a missing cell as ``append_rows`` fills
    it (``gaps``: column -> its missing value)."""
    return {c: row.get(c, gap) for c, gap in gaps.items()}


class Staged:
    """An inventory with edits applied to it, kept as the edits on top of the inventory's own (indexed) rows.

    Applying an edit, and asking what the staged inventory holds (the questions
    a what-if change asks to compile itself: :meth:`has`, :meth:`kind_of`,
    :meth:`backup`, :meth:`component`, :meth:`dependency_rows`,
    :meth:`schedule`), cost what the edits touch, not the size of the
    inventory; the changed tables are built only by :meth:`result`, in the
    same steps, one edit after another, that applying to frames would take.
    The input inventory is never modified.
    """

    def __init__(self, inv: Inventory, index: _Base | None = None) -> None:
        self.inv = inv
        self.meta = inv.meta
        # ``index``: the inventory's own, for a short-lived inventory kept out of the shared cache (``_base_of``)
        self._b = _base_of(inv) if index is None else index
        self._ops: dict[str, list[tuple]] = {"components": [], "backups": []}
        self._tests: list[dict] = []
        self._new_ids: set = set()
        self._kind: dict[Any, Any] = {}
        self._new_components: dict[Any, dict] = {}
        self._new_backups: dict[Any, dict] = {}
        self._set: dict[tuple[str, Any], dict[str, Any]] = {}
        self._removed: set[int] = set()
        self._added: list[dict] = []
        self._added_gone: set[int] = set()
        self._added_of: dict[Any, list[int]] = {}  # component -> positions of its rows in ``_added``
        self._deps: _LayeredIndex | None = None
        self._moved: set[str] = set()
        self._free_from: dict[Any, int] = {}  # id -> n with every "<id>-k", 2 <= k < n, taken here (``fresh_id``)

    # -- what the staged inventory holds -----------------------------------------------------------------

    def has(self, cid: Any) -> bool:
        """Whether ``cid`` is a component."""
        return cid in self._new_ids or cid in self._b.kind

    def is_backup(self, bid: Any) -> bool:
        """Whether ``bid`` is a backup."""
        return bid in self._new_backups or bid in self._b.backup_at

    def taken(self, name: Any) -> bool:
        """Whether ``name`` is a component or backup id."""
        return self.has(name) or self.is_backup(name)

    def fresh_id(self, base: Any, also_taken: Collection[Any] = frozenset()) -> str:
        """``<base>-<n>`` with the smallest n >= 2 that is neither :meth:`taken` nor in ``also_taken``.

        Ids are only ever added, so the names found taken stay taken: the search starts past them (a plan
        renames one id on top of a hundred fixes that used it)."""
        n = self._free_from.get(base, 2)
        while self.taken(f"{base}-{n}"):
            n += 1
        self._free_from[base] = n
        while f"{base}-{n}" in also_taken or self.taken(f"{base}-{n}"):
            n += 1
        return f"{base}-{n}"

    def kind_of(self, cid: Any) -> Any:
        """The kind of component ``cid`` (KeyError when it is none)."""
        return self._kind[cid] if cid in self._kind else self._b.kind[cid]

    def backup(self, bid: Any) -> dict | None:
        """The backups row ``bid`` (column -> cell), None when there is none."""
        if bid in self._new_backups:
            row = dict(self._new_backups[bid])
        elif bid in self._b.backup_at:
            row = self._b.backup_row(self._b.backup_at[bid])
        else:
            return None
        row.update(self._set.get(("backups", bid), {}))
        return row

    def component(self, cid: Any, column: str) -> Any:
        """One cell of component ``cid``'s row (KeyError when it is none)."""
        over = self._set.get(("components", cid), {})
        if column in over:
            return over[column]
        if cid in self._new_components:
            return self._new_components[cid][column]
        return self._b.components[column].iat[self._b.component_at[cid]]

    def dependency_rows(self, comp: Any) -> list[dict]:
        """``comp``'s dependency rows (column -> cell) in the order the changed frame holds them."""
        return [r for _, r in self.located_rows(comp)]

    def schedule(self, asset: str) -> float:
        """The shortest ``schedule_hours`` of ``asset``'s backups (24 when none is known)."""
        if asset in self._moved:  # an edit added or moved a backup of it, or changed a schedule: read its rows
            bids = [self._b.backups["id"].iat[i] for i in self._b.backups_of.get(asset, [])]
            bids += [b for t, b in self._set if t == "backups"] + list(self._new_backups)
            hours = [row["schedule_hours"] for row in map(self.backup, dict.fromkeys(bids))
                     if str(row["protects"]) == asset]
            known = [float(h) for h in hours if not pd.isna(h)]
            return min(known) if known else 24.0
        sched = self._b.shortest.get(asset)
        return float(sched) if sched is not None and not pd.isna(sched) else 24.0

    @property
    def deps(self) -> _LayeredIndex:
        if self._deps is None:
            self._deps = _LayeredIndex(self._b.index)
        return self._deps

    # -- changing it ---------------------------------------------------------------------------------------

    def apply(self, edits: Iterable[Edit | Mapping[str, Any]]) -> Staged:
        """Apply ``edits`` in order (EditError on the first that does not apply, the staged edits before it
        kept); returns self."""
        parsed: list[Edit] = []
        error = None
        for e in edits:
            try:
                parsed.append(e if isinstance(e, Edit) else edit_from_json(e))
            except EditError as err:  # raised after the edits before it are staged, as one by one
                error = err
                break
        self._read_rows_set(parsed)
        for e in parsed:
            _APPLY[e.op](self, e)
        if error is not None:
            raise error
        return self

    def _read_rows_set(self, edits: Sequence[Edit]) -> None:
        """Read the rows of the existing backups that ``set`` edits change, in one step (see ``_Base.read_backup_rows``)."""
        ids = [e.id for e in edits if e.op == "set" and e.table == "backups" and isinstance(e.id, str)]
        if ids:
            at = self._b.backup_at
            self._b.read_backup_rows(at[b] for b in ids if b in at)

    def require(self, edit: Edit, cid: Any, what: str) -> None:
        if not self.has(cid):
            raise EditError(f"{edit.describe()}: {what} {cid!r} is not in the inventory: expected a component id "
                            "(the inventory changed since the fix was found?)")

    def add_component_row(self, row: dict) -> None:
        self._ops["components"].append(("append", row))
        self._new_components[row["id"]] = _blank(self._b.gaps["components"], row)
        self._new_ids.add(row["id"])
        self._kind[row["id"]] = row["kind"]

    def add_backup_row(self, row: dict) -> None:
        self._ops["backups"].append(("append", row))
        self._new_backups[row["id"]] = _blank(self._b.gaps["backups"], row)
        self._moved.add(str(row["protects"]))

    def add_dependency_row(self, row: dict) -> None:
        self._added_of.setdefault(row["component"], []).append(len(self._added))
        self._added.append(_blank(self._b.gaps["dependencies"], row))

    def add_test_row(self, row: dict) -> None:
        self._tests.append(row)

    def added_tests(self) -> list[dict]:
        """The restore_tests rows the edits add, in order, as :meth:`result` appends them."""
        return list(self._tests)

    def set_cell(self, table: str, rid: Any, column: str, value: Any) -> None:
        if table == "backups" and column in ("protects", "schedule_hours"):
            self._moved.add(str(self.backup(rid)["protects"]))
            if column == "protects":
                self._moved.add(str(value))
        self._ops[table].append(("set", rid, column, value))
        self._set.setdefault((table, rid), {})[column] = value

    def remove_dependency_rows(self, gone: Sequence[tuple[bool, int]]) -> None:
        for added, i in gone:
            (self._added_gone if added else self._removed).add(i)

    def located_rows(self, comp: Any) -> list[tuple[tuple[bool, int], dict]]:
        """``comp``'s dependency rows with where each is kept ((added?, position)), in frame order."""
        mine = self._b.rows_at.get(comp, [])
        out = [((False, i), r) for i, r in zip(mine, self._b.records(comp)) if i not in self._removed]
        return out + [((True, j), self._added[j]) for j in self._added_of.get(comp, ())
                      if j not in self._added_gone]

    # -- the changed inventory -----------------------------------------------------------------------------

    def _table(self, table: str) -> pd.DataFrame:
        """``table`` changed: the appended rows joined in one step, then every set cell, in order (a cell is set
        only after its row is there, so this is what applying the edits one by one to frames gives)."""
        frame = getattr(self.inv, table)
        ops = self._ops[table]
        out = append_rows(frame, [op[1] for op in ops if op[0] == "append"])
        sets = [op[1:] for op in ops if op[0] == "set"]
        if not sets:
            return out
        at = self._b.component_at if table == "components" else self._b.backup_at
        if len(at) != len(frame):  # an id on two rows: set every row of it, as a mask over the frame does
            for rid, column, value in sets:
                out = set_cells(out, out["id"] == rid, column, value)
            return out
        added = {op[1]["id"]: len(frame) + k for k, op in enumerate(o for o in ops if o[0] == "append")}
        return _set_at(out, sets, lambda rid: added[rid] if rid in added else at[rid], frame)

    def cut(self, components: Collection[Any], rows_of: Collection[Any], backups: Collection[Any], *,
            records: bool = False) -> Inventory | None:
        """The changed inventory cut to the rows of ``components``, the dependency rows of the components
        ``rows_of`` and the rows of ``backups`` (no restore test): the rows :meth:`result` holds for them, in its
        order, with its types and cells (each kept row read from the inventory's own, the added rows appended
        and every set cell set as :meth:`_table` does), without building the whole changed tables; None when
        an id is on two rows of its table (then only the whole tables say which row a cell set lands on).

        What the fix search's incremental re-analysis reads per candidate (``overlay.patch``): its cost is the
        rows cut, not the estate. ``records``: the three tables as :class:`RecordTable` (the column values
        ``Series.tolist`` gives, no frame built), which is all ``model.build`` reads of them; building a few
        pandas frames per candidate was most of a candidate's cut."""
        b, inv = self._b, self.inv
        if len(b.component_at) != len(inv.components) or len(b.backup_at) != len(inv.backups):
            return None
        at_c, at_b = b.component_at, b.backup_at
        rows = [i for comp in rows_of for i in b.rows_at.get(comp, ()) if i not in self._removed]
        recs = {i: r for comp in rows_of for i, r in zip(b.rows_at.get(comp, ()), b.records(comp))}
        deps = [recs[i] for i in sorted(rows)]
        deps += [r for j, r in enumerate(self._added) if j not in self._added_gone and r["component"] in rows_of]
        kept_c = b.component_rows(sorted(at_c[x] for x in components if x in at_c))
        kept_b = b.backup_rows(sorted(at_b[x] for x in backups if x in at_b))
        no_tests = inv.restore_tests.iloc[0:0].reset_index(drop=True)
        if records:
            tables = (RecordTable.of(inv.components, self._cut_rows("components", kept_c, components)),
                      RecordTable.of(inv.dependencies, deps),
                      RecordTable.of(inv.backups, self._cut_rows("backups", kept_b, backups)))
            if all(t is not None for t in tables):
                return dataclasses.replace(inv, components=tables[0], dependencies=tables[1], backups=tables[2],
                                           restore_tests=no_tests)
        return dataclasses.replace(inv, components=self._cut_table("components", kept_c, components),
                                   dependencies=self._frame("dependencies", deps),
                                   backups=self._cut_table("backups", kept_b, backups), restore_tests=no_tests)

    def _cut_ops(self, table: str, kept: list[dict], ids: Collection[Any]) -> tuple[list[dict], list[tuple]]:
        """``kept`` (the inventory's own rows of ``ids`` in ``table``, in frame order) with the rows added for
        ``ids`` appended, and the ``(row id, column, value)`` cells set on them, in order."""
        ops = self._ops[table]
        return (kept + [op[1] for op in ops if op[0] == "append" and op[1]["id"] in ids],
                [op[1:] for op in ops if op[0] == "set" and op[1] in ids])

    def _cut_rows(self, table: str, kept: list[dict], ids: Collection[Any]) -> list[dict]:
        """:meth:`_cut_table` as rows (each a copy where a cell is set; the column types are
        :class:`RecordTable`'s)."""
        rows, sets = self._cut_ops(table, kept, ids)
        if sets:
            at = {rid: i for i, rid in enumerate(r.get("id") for r in rows)}
            rows = list(rows)
            for rid, column, value in sets:
                i = at[rid]
                rows[i] = {**rows[i], column: value}
        return rows

    def _frame(self, table: str, rows: list[dict]) -> pd.DataFrame:
        """A frame of ``table``'s columns and types holding ``rows``."""
        return append_rows(getattr(self.inv, table).iloc[0:0], rows).reset_index(drop=True)

    def _cut_table(self, table: str, kept: list[dict], ids: Collection[Any]) -> pd.DataFrame:
        """``kept`` with the rows added for ``ids`` appended and the cells set on them set, in the steps of
        :meth:`_table` (``_cut_ops``)."""
        rows, sets = self._cut_ops(table, kept, ids)
        out = self._frame(table, rows)
        if not sets:
            return out
        at = {rid: i for i, rid in enumerate(out["id"])}
        return _set_at(out, sets, at.__getitem__, getattr(self.inv, table))

    def result(self) -> Inventory:
        """The changed inventory (new frames; the input is not modified)."""
        d = self.inv.dependencies
        if self._removed:
            keep = np.ones(len(d), dtype=bool)
            keep[list(self._removed)] = False
            d = d.loc[keep]
        d = append_rows(d, [r for j, r in enumerate(self._added) if j not in self._added_gone])
        tables = {"components": self._table("components"), "dependencies": d, "backups": self._table("backups"),
                  "restore_tests": append_rows(self.inv.restore_tests, self._tests)}
        return dataclasses.replace(self.inv, **{t: f.reset_index(drop=True) for t, f in tables.items()})


def staged(inv: Inventory | Staged) -> Staged:
    """``inv`` itself when it is already staged, else ``inv`` with no edits yet (a :class:`Staged`)."""
    return inv if isinstance(inv, Staged) else Staged(inv)


def _add_component(s: Staged, e: Edit) -> None:
    row = _typed_row(e, "components")
    cid = row["id"]
    if row["kind"] not in KINDS:
        raise EditError(f"{e.describe()}: kind {row['kind']!r} is unknown: expected one of {', '.join(KINDS)}")
    if s.has(cid):
        raise EditError(f"{e.describe()}: id {cid!r} is already a component: expected a new id "
                        "(the inventory changed since the fix was found, or the fix was applied already)")
    row.setdefault("name", cid)
    s.add_component_row(row)


def _row_matches(r: Mapping[str, Any], target: Any, group: Any = ..., admin: Any = ...) -> bool:
    """Whether the dependency row ``r`` (of the component asked about) is on ``target`` with ``group``/``admin``
    (``...``: any), as the old frame mask read it."""
    if not bool(r["depends_on"] == target):
        return False
    if group is not ...:
        if group is None:
            if not pd.isna(r["group"]):
                return False
        elif not (not _isna_scalar(r["group"]) and bool(r["group"] == group)):
            return False
    return True


def _isna_scalar(v: Any) -> bool:
    return v is None or (not isinstance(v, str) and bool(pd.isna(v)))


def _check_groups(s: Staged, e: Edit, comp: str) -> None:
    for group, cells in s.deps.groups_of(comp):
        needs = [int(n) for n in cells if not pd.isna(n)]
        if len(set(needs)) > 1:
            raise EditError(f"{e.describe()}: rows of group {group!r} of {comp!r} disagree on needs "
                            f"({', '.join(str(n) for n in sorted(set(needs)))}): expected one value")
        n = needs[0] if needs else 1
        if n > len(cells):
            raise EditError(f"{e.describe()}: group {group!r} of {comp!r} would have {len(cells)} member(s) but needs "
                            f"{n}: expected a group that keeps at least {n}")


def _add_dependency(s: Staged, e: Edit) -> None:
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
    s.add_dependency_row(row)
    s.deps.add(comp, target, group, admin, row.get("needs"))
    if group is not None:
        _check_groups(s, e, comp)


def _remove_dependency(s: Staged, e: Edit) -> None:
    r = e.fields
    comp, target = r.get("component"), r.get("depends_on")
    if comp is None or target is None:
        raise EditError(f"{e.describe()}: expected a component and a depends_on")
    group = r["group"] if "group" in r else ...
    admin = is_admin(r["kind"]) if "kind" in r else ...
    deps = s.deps
    rows = s.located_rows(comp)
    gone = [(at, row) for at, row in rows if _row_matches(row, target, group)]
    if admin is not ... and gone:
        gone = [(at, row) for at, row in gone if is_admin(row["kind"]) == bool(admin)]
    if not gone:
        have = sorted({row["depends_on"] for _, row in rows})
        raise EditError(f"{e.describe()}: {comp!r} has no such row on {target!r}: expected one of its rows "
                        f"({', '.join(have) or 'none'}) (the inventory changed since the fix was found?)")
    for _, row in gone:
        deps.remove(comp, target, _group_of(row["group"]), is_admin(row["kind"]), row["needs"])
    s.remove_dependency_rows([at for at, _ in gone])
    _check_groups(s, e, comp)


def _check_backup_refs(s: Staged, e: Edit, row: Mapping[str, Any]) -> None:
    s.require(e, row["protects"], "protected asset")
    for col in ("restore_to", "alert_channel"):
        if row.get(col) is not None:
            s.require(e, row[col], col)
    if row["protects"] == row["id"]:
        raise EditError(f"{e.describe()}: a backup cannot protect itself")
    if row.get("restore_to") is not None and row["restore_to"] == row["protects"]:
        raise EditError(f"{e.describe()}: restore_to {row['restore_to']!r} is the asset itself: expected a target "
                        "other than the asset (such a path never restores it)")


def _add_backup(s: Staged, e: Edit) -> None:
    row = _typed_row(e, "backups")
    bid = row["id"]
    if s.is_backup(bid):
        raise EditError(f"{e.describe()}: backup {bid!r} already exists: expected a new id "
                        "(the fix was applied already?)")
    if s.has(bid) and s.kind_of(bid) != "backup":
        raise EditError(f"{e.describe()}: {bid!r} is a component of kind {s.kind_of(bid)}: expected a new id")
    _check_backup_refs(s, e, row)
    if not s.has(bid):
        s.add_component_row({"id": bid, "name": bid, "kind": "backup"})
    row.setdefault("immutable", False)
    row.setdefault("offline", False)
    s.add_backup_row(row)


def _set(s: Staged, e: Edit) -> None:
    if e.table not in _SETTABLE:
        raise EditError(f"{e.describe()}: table {e.table!r} cannot be set: expected one of {', '.join(_SETTABLE)}")
    columns = getattr(s.inv, e.table).columns
    if e.column in ("id",) or e.column not in columns:
        cols = [c for c in columns if c != "id"]
        raise EditError(f"{e.describe()}: column {e.column!r} cannot be set: expected one of {', '.join(cols)}")
    if not (s.has(e.id) if e.table == "components" else s.is_backup(e.id)):
        raise EditError(f"{e.describe()}: {e.id!r} is not in {e.table}: expected an existing id "
                        "(the inventory changed since the fix was found?)")
    value = _typed(e, e.table, e.column, e.value)
    if e.table == "components" and e.column == "kind":
        if value not in KINDS:
            raise EditError(f"{e.describe()}: expected one of {', '.join(KINDS)}")
        s._kind[e.id] = value
    if e.table == "backups":
        row = s.backup(e.id)
        row = {k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in row.items() if k in
               ("id", "protects", "restore_to", "alert_channel")}
        row[e.column] = value
        _check_backup_refs(s, e, row)
    if value is None:
        value = _missing(getattr(s.inv, e.table)[e.column].dtype)
    s.set_cell(e.table, e.id, e.column, value)


def _add_restore_test(s: Staged, e: Edit) -> None:
    row = _typed_row(e, "restore_tests")
    if not s.is_backup(row["backup"]):
        raise EditError(f"{e.describe()}: {row['backup']!r} is not a backup: expected a backup id "
                        "(the inventory changed since the fix was found?)")
    s.add_test_row(row)


_APPLY = {"add_component": _add_component, "add_dependency": _add_dependency,
          "remove_dependency": _remove_dependency, "add_backup": _add_backup, "set": _set,
          "add_restore_test": _add_restore_test}


def apply_changes(inventory: Inventory, edits: Iterable[Edit | Mapping[str, Any]]) -> Inventory:
    """The inventory with ``edits`` applied in order (``Edit`` objects or their JSON form); the input is not modified.

    Raises :class:`EditError` on the first edit that does not apply, naming
    it and what was expected.
    """
    return Staged(inventory).apply(edits).result()


def check_changes(inventory: Inventory, edits: Iterable[Edit | Mapping[str, Any]]) -> None:
    """Raise :class:`EditError` exactly where :func:`apply_changes` would, without building the changed tables.

    The advice search compiles many candidates only to read their edits; this
    keeps the check and skips the copy.
    """
    Staged(inventory).apply(edits)


class RecordColumn:
    """One column of a :class:`RecordTable`: ``tolist`` and ``iloc[positions]``, as a ``Series`` gives them."""

    __slots__ = ("_values",)

    def __init__(self, values: list) -> None:
        self._values = values

    def tolist(self) -> list:
        return list(self._values)

    def __len__(self) -> int:
        return len(self._values)

    @property
    def iloc(self) -> _RecordPositions:
        return _RecordPositions(self._values)


class _RecordPositions:
    __slots__ = ("_values",)

    def __init__(self, values: list) -> None:
        self._values = values

    def __getitem__(self, positions) -> RecordColumn:
        return RecordColumn([self._values[i] for i in np.asarray(positions, dtype=np.int64).tolist()])


class RecordTable:
    """A few rows of an inventory table as columns of the Python values its frame's ``Series.tolist`` gives
    (NaN for an empty float, ``pd.NA`` for an empty integer, ``False`` for an empty flag), without a frame:
    what ``model.build`` reads of a fix-search candidate's cut tables (``Staged.cut(records=True)``)."""

    __slots__ = ("columns", "_data", "_n")

    def __init__(self, data: dict[str, list], n: int) -> None:
        self.columns, self._data, self._n = list(data), data, n

    def __getitem__(self, column: str) -> RecordColumn:
        return RecordColumn(self._data[column])

    def __len__(self) -> int:
        return self._n

    @classmethod
    def of(cls, frame: pd.DataFrame, rows: Sequence[Mapping]) -> RecordTable | None:
        """``rows`` in ``frame``'s columns and types (what ``append_rows(frame.iloc[0:0], rows)`` would hold);
        None when a column's type or a cell is one this reading does not cover (then a frame is built)."""
        data = {}
        for column, dtype in zip(frame.columns, frame.dtypes):
            gap = _missing(dtype)
            values = _tolist_values(dtype, [r.get(column, gap) for r in rows])
            if values is None:
                return None
            data[column] = values
        return cls(data, len(rows))


def _tolist_values(dtype, values: list) -> list | None:
    """``pd.Series(values, dtype=dtype).tolist()`` for the column types of the normalised inventory tables
    (object, float64, Int64, bool) and the cells a typed edit or the table itself holds; None otherwise."""
    if not isinstance(dtype, np.dtype):
        return _int64_values(values) if isinstance(dtype, pd.Int64Dtype) else None
    if dtype == np.dtype(object):
        return values
    if dtype == np.float64:
        out = []
        for v in values:
            if v is None or v is pd.NA:
                out.append(math.nan)
            elif type(v) in (float, int) or isinstance(v, (np.floating, np.integer)):
                out.append(float(v))
            else:
                return None
        return out
    if dtype == np.bool_:
        out = []
        for v in values:
            if type(v) is bool or isinstance(v, np.bool_):
                out.append(bool(v))
            else:
                return None
        return out
    return None


def _int64_values(values: list) -> list | None:
    """``_tolist_values`` of an ``Int64`` column: ints, ``pd.NA`` for an empty cell."""
    out = []
    for v in values:
        if v is None or v is pd.NA or (type(v) is float and v != v):
            out.append(pd.NA)
        elif type(v) is int or isinstance(v, np.integer):
            out.append(int(v))
        else:
            return None
    return out


def _set_at(out: pd.DataFrame, sets: list[tuple], position: Callable[[Any], int], frame: pd.DataFrame) -> pd.DataFrame:
    """``out`` with each ``(row id, column, value)`` of ``sets`` set, in order, on the row at ``position(row id)``;
    each column set is cast back to ``frame``'s type (what setting the cells one by one on frames gives)."""
    by_column: dict[str, list[tuple[Any, Any]]] = {}
    for rid, column, value in sets:
        by_column.setdefault(column, []).append((rid, value))
    out = out.copy()
    for column, cells in by_column.items():
        col = out[column].copy()
        for rid, value in cells:
            mask = np.zeros(len(out), dtype=bool)
            mask[position(rid)] = True
            col[mask] = value
        out[column] = col.astype(frame[column].dtype)
    return out
