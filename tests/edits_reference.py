"""The fix search's compile and apply as they were before the staged index (main 70d6068): a slow,
obviously-right oracle for ``edits.apply_changes``/``check_changes`` and ``whatif.compile_changes``.

Every edit is applied to whole frames (masks over every row, a new frame per
change, the dependency index rebuilt from the frame), and every what-if
change reads the frames of the inventory the changes before it left. The
property tests in ``test_edits_staged.py`` check the staged version answers
exactly as this one does: the same edits, the same error text, the same
changed tables.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from hiddenspof import edits as edits_mod
from hiddenspof import whatif
from hiddenspof.edits import (
    _SETTABLE,
    KINDS,
    Edit,
    EditError,
    _DependencyIndex,
    _group_of,
    _LayeredIndex,
    _missing,
    _typed,
    _typed_row,
    append_rows,
    edit_from_json,
    set_cells,
)
from hiddenspof.inventory import Inventory, is_admin

__all__ = ["apply_changes", "check_changes", "compile_changes", "change_edits"]


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
            self._deps = _LayeredIndex(_DependencyIndex(frame))
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


# -- the what-if changes, reading whole frames (whatif.py at 70d6068) --------------------------------------

WhatIfError = whatif.WhatIfError
_dep_key = whatif._dep_key
_dep_fields = whatif._dep_fields
_new_component = whatif._new_component
_VERIFICATIONS = whatif._VERIFICATIONS
_ESCALATION_KINDS = whatif._ESCALATION_KINDS


def _ids(inv: Inventory) -> set[str]:
    return set(inv.components["id"])


def _kind_of(inv: Inventory, cid: str) -> str:
    comps = inv.components
    return str(comps.loc[comps["id"] == cid, "kind"].iloc[0])


def _require_backup(inv: Inventory, backup: str) -> pd.Series:
    bk = inv.backups
    hit = bk.loc[bk["id"] == backup]
    if hit.empty:
        raise WhatIfError(f"backup {backup!r} is not in the inventory: expected one of the backups' ids")
    return hit.iloc[0]


def _require_component(inv: Inventory, cid: str, what: str = "component") -> None:
    if cid not in _ids(inv):
        raise WhatIfError(f"{what} {cid!r} is not in the inventory: expected a component id")


def _fresh_id(inv: Inventory, base: str) -> str:
    """``base`` or ``base-2``, ``base-3``... whichever is not yet an id."""
    ids = _ids(inv) | set(inv.backups["id"])
    if base not in ids:
        return base
    n = 2
    while f"{base}-{n}" in ids:
        n += 1
    return f"{base}-{n}"


def _drop_rows(inv: Inventory, component: str, target: str) -> list[edits_mod.Edit]:
    """``remove_dependency`` of every row (plain, grouped or admin) of ``component`` on ``target``.

    A group left with fewer members than its ``needs`` would be invalid: that is an error naming the group.
    """
    deps = inv.dependencies
    mask = (deps["component"] == component) & (deps["depends_on"] == target)
    if not mask.any():
        have = sorted(set(deps.loc[deps["component"] == component, "depends_on"]))
        raise WhatIfError(f"{component!r} has no row on {target!r}: expected one of {', '.join(have) or 'none'}")
    kept = deps.loc[~mask].reset_index(drop=True)
    admin = kept["kind"].map(is_admin).astype(bool)
    mine = kept[(kept["component"] == component) & kept["group"].notna() & ~admin]
    for group, rows in mine.groupby("group", sort=True):
        needs = int(rows["needs"].iloc[0])
        if needs > len(rows):
            raise WhatIfError(
                f"dropping {component!r}'s rows on {target!r} leaves group {group!r} with {len(rows)} member(s) "
                f"but needs {needs}: expected a group that keeps at least {needs}"
            )
    return [edits_mod.remove_dependency(**_dep_key(row)) for row in deps.loc[mask].to_dict("records")]


def _schedule_of(inv: Inventory, asset: str) -> float:
    """The shortest ``schedule_hours`` of the asset's backups (24 when none is known)."""
    bk = inv.backups
    shortest = pd.to_numeric(bk["schedule_hours"]).groupby(bk["protects"].astype(str)).min().to_dict()
    sched = shortest.get(asset)
    return float(sched) if sched is not None and not pd.isna(sched) else 24.0


def _Repoint_edits(self, inv: Inventory) -> list[edits_mod.Edit]:
    """The edits: the new component (and its place) if asked, then the re-pointed target or rows."""
    _require_component(inv, self.component)
    if self.new_kind is not None and self.new_kind not in KINDS:
        raise WhatIfError(f"new_kind {self.new_kind!r} is not a component kind: expected one of {', '.join(KINDS)}")
    out: list[edits_mod.Edit] = []
    if self.new not in _ids(inv):
        if self.new_kind is None:
            raise WhatIfError(
                f"cannot re-point {self.component!r} to {self.new!r}: it is not a component "
                "(give new_kind to create it)"
            )
        out.append(_new_component(self.new, self.new_kind, f"{self.new} (proposed)",
                                  "Added by a fix: " + ("placed on " + ", ".join(self.place) if self.place
                                                        else "shares no dependency with the estate")))
        for p in self.place:
            _require_component(inv, p, "place")
            out.append(edits_mod.add_dependency(component=self.new, depends_on=p, kind="location"))
    if self.new == self.component:
        raise WhatIfError(f"{self.component!r} cannot depend on itself")
    bk = inv.backups
    is_backup = bool((bk["id"] == self.component).any())
    if is_backup:
        row = _require_backup(inv, self.component)
        target = row["restore_to"]
        if (self.old is None and target is None) or (self.old is not None and self.old == target):
            if self.new == row["protects"]:
                raise WhatIfError(
                    f"restore_to of {self.component!r} cannot be its own asset {self.new!r}: "
                    "such a path never restores it"
                )
            return out + [edits_mod.set_value("backups", self.component, "restore_to", self.new)]
    deps = inv.dependencies
    admin = deps["kind"].map(is_admin).astype(bool)  # admin rows are not requirements: never re-pointed
    mask = (deps["component"] == self.component) & (deps["depends_on"] == self.old) & ~admin
    if not mask.any():
        where = " or its restore target" if is_backup else ""
        raise WhatIfError(
            f"{self.component!r} has no dependency row on {self.old!r}{where}: expected one of "
            f"{', '.join(sorted(set(deps.loc[deps['component'] == self.component, 'depends_on']))) or 'none'}"
        )
    have = {(g if isinstance(g, str) else None) for g in
            deps.loc[(deps["component"] == self.component) & (deps["depends_on"] == self.new) & ~admin, "group"]}
    for row in deps.loc[mask].to_dict("records"):
        out.append(edits_mod.remove_dependency(**_dep_key(row)))
        fields = _dep_fields(row)
        group = fields.get("group")
        if group in have:  # the component already had this row on ``new``: no duplicate rows
            continue
        have.add(group)
        out.append(edits_mod.add_dependency(**{**fields, "depends_on": self.new}))
    return out


def _SetProtection_edits(self, inv: Inventory) -> list[edits_mod.Edit]:
    """``set`` of the backup's flags."""
    _require_backup(inv, self.backup)
    out = []
    if self.immutable is not None:
        out.append(edits_mod.set_value("backups", self.backup, "immutable", bool(self.immutable)))
    if self.offline is not None:
        out.append(edits_mod.set_value("backups", self.backup, "offline", bool(self.offline)))
    return out


def _SetVerification_edits(self, inv: Inventory) -> list[edits_mod.Edit]:
    """``set`` of the verification, and ``add_restore_test`` when ``tested``."""
    row = _require_backup(inv, self.backup)
    if self.verification not in _VERIFICATIONS:
        raise WhatIfError(
            f"verification {self.verification!r} is not allowed: expected one of {', '.join(_VERIFICATIONS)}"
        )
    out = [edits_mod.set_value("backups", self.backup, "verification", self.verification)]
    if self.tested:
        size = row["size_gb"]
        if pd.isna(size):
            comps = inv.components
            size = comps.loc[comps["id"] == row["protects"], "data_gb"].iloc[0]
        out.append(edits_mod.add_restore_test(
            backup=self.backup, tested_at=inv.meta.as_of.isoformat(), result="pass",
            scope="dr_drill" if self.verification == "dr_drill" else "full",
            restored_gb=None if pd.isna(size) else float(size),
            notes="What-if: a passing full restore test on the assessment day"))
    return out


def _AddOfflineCopy_edits(self, inv: Inventory) -> list[edits_mod.Edit]:
    """The new store (placed) unless one is reused, the new backup and its row on the store."""
    _require_component(inv, self.asset_id, "asset")  # any component, a backup included, may be protected
    if self.restore_to is not None:
        _require_component(inv, self.restore_to, "restore target")
    if self.restore_mb_s is not None and not self.restore_mb_s > 0:
        raise WhatIfError(f"restore_mb_s must be > 0 (got {self.restore_mb_s!r})")
    out: list[edits_mod.Edit] = []
    bid = _fresh_id(inv, f"new-{self.asset_id}-{'offline' if self.offline else 'immutable'}-copy")
    store = self.store
    if store is None:
        store = _fresh_id(inv, f"new-{self.asset_id}-offline-vault")
        out.append(_new_component(store, "backup_store", f"Offline vault for {self.asset_id} (proposed)",
                                  "Added by a fix: air-gapped" + (f", kept at {', '.join(self.place)}"
                                                                 if self.place else ", shares nothing")))
        for p in self.place:
            _require_component(inv, p, "place")
            out.append(edits_mod.add_dependency(component=store, depends_on=p, kind="location"))
    else:
        _require_component(inv, store, "store")
    out.append(_new_component(bid, "backup", f"Offline copy of {self.asset_id} (proposed)", "Added by a fix"))
    out.append(edits_mod.add_backup(
        id=bid, protects=self.asset_id, method="tape" if self.offline else "object_copy",
        schedule_hours=_schedule_of(inv, self.asset_id), retention_days=90.0, immutable=True,
        offline=bool(self.offline), verification="restore_test", restore_to=self.restore_to,
        restore_mb_s=self.restore_mb_s,
        notes="What-if: independent " + ("offline copy" if self.offline else "immutable copy")))
    out.append(edits_mod.add_dependency(component=bid, depends_on=store, kind="storage"))
    return out


def _AddComponent_edits(self, inv: Inventory) -> list[edits_mod.Edit]:
    """``add_component`` and its rows on its places."""
    if self.kind not in KINDS:
        raise WhatIfError(f"kind {self.kind!r} is not a component kind: expected one of {', '.join(KINDS)}")
    if self.id in _ids(inv):
        raise WhatIfError(f"{self.id!r} is already a component: expected a new id")
    for p in self.place:
        _require_component(inv, p, "place")
    word = self.kind.replace("_", " ")
    out = [edits_mod.add_component(id=self.id, name=f"{self.id} (proposed)", kind=self.kind,
                                   platform=self.platform,
                                   notes=f"Added by a fix: a new {word}"
                                   + (f" on {', '.join(self.place)}" if self.place else ""))]
    out += [edits_mod.add_dependency(component=self.id, depends_on=p, kind="location") for p in self.place]
    return out


def _AddRecoverySite_edits(self, inv: Inventory) -> list[edits_mod.Edit]:
    """The site, then per asset a vault, a copy and its row on the vault."""
    if not self.assets:
        raise WhatIfError("a recovery site needs at least one asset to hold")
    known = _ids(inv)
    missing = [a for a in self.assets if a not in known]
    if missing:
        raise WhatIfError(f"asset {missing[0]!r} is not in the inventory: expected a component id")
    site = _fresh_id(inv, self.name)
    ids = _ids(inv) | set(inv.backups["id"]) | {site}

    def fresh(base):
        n, name = 2, base
        while name in ids:
            name = f"{base}-{n}"
            n += 1
        ids.add(name)
        return name

    vault = fresh(f"{site}-vault")
    out = [_new_component(site, self.kind, f"Recovery site {site} (proposed)",
                          "Added by a fix: its own backup server, credentials and keys; shares nothing")]
    for p in self.place:
        _require_component(inv, p, "place")
        out.append(edits_mod.add_dependency(component=site, depends_on=p, kind="location"))
    out.append(_new_component(vault, "backup_store", f"offline vault at {site} (proposed)",
                              f"Added by a fix: air-gapped, kept at {site}"))
    out.append(edits_mod.add_dependency(component=vault, depends_on=site, kind="location"))
    for a in self.assets:
        bid = fresh(f"{site}-{a}-copy")
        out.append(_new_component(bid, "backup", f"Offline copy of {a} (proposed)", "Added by a fix"))
        out.append(edits_mod.add_backup(
            id=bid, protects=a, method="tape", schedule_hours=_schedule_of(inv, a), retention_days=90.0,
            immutable=True, offline=True, verification="restore_test", restore_to=site,
            notes="What-if: independent offline copy at the recovery site"))
        out.append(edits_mod.add_dependency(component=bid, depends_on=vault, kind="storage"))
    return out


def _ScaleCapacity_edits(self, inv: Inventory) -> list[edits_mod.Edit]:
    """``set`` of the component's limits."""
    _require_component(inv, self.component)
    if not (isinstance(self.factor, (int, float)) and self.factor > 0 and math.isfinite(self.factor)):
        raise WhatIfError(f"scale factor for {self.component!r} must be a number > 0 (got {self.factor!r})")
    comps = inv.components
    mask = comps["id"] == self.component
    thr = comps.loc[mask, "throughput_mb_s"].iloc[0]
    par = comps.loc[mask, "max_parallel_restores"].iloc[0]
    if pd.isna(thr) and pd.isna(par):
        raise WhatIfError(
            f"{self.component!r} has no throughput_mb_s or max_parallel_restores to scale: "
            "expected a constrained component"
        )
    out = []
    if not pd.isna(thr):
        out.append(edits_mod.set_value("components", self.component, "throughput_mb_s", float(thr) * self.factor))
    if not pd.isna(par):
        out.append(edits_mod.set_value("components", self.component, "max_parallel_restores",
                                       max(1, math.ceil(int(par) * self.factor - 1e-12))))
    return out


def _LeaveDomain_edits(self, inv: Inventory) -> list[edits_mod.Edit]:
    """``remove_dependency`` of ``component``'s rows on ``identity``."""
    _require_component(inv, self.component)
    _require_component(inv, self.identity, "identity")
    kind = _kind_of(inv, self.identity)
    if kind not in _ESCALATION_KINDS:
        raise WhatIfError(
            f"{self.identity!r} is of kind {kind}: expected a domain (an identity, credentials or account) to leave"
        )
    return _drop_rows(inv, self.component, self.identity)


def _SeparateAdminAccount_edits(self, inv: Inventory) -> list[edits_mod.Edit]:
    """``remove_dependency`` of ``account``'s rows on ``escalates_from``."""
    _require_component(inv, self.account, "account")
    _require_component(inv, self.escalates_from)
    kind = _kind_of(inv, self.account)
    if kind not in _ESCALATION_KINDS:
        raise WhatIfError(
            f"{self.account!r} is of kind {kind}: expected a credentials, identity or account component "
            "(only those are escalated to)"
        )
    return _drop_rows(inv, self.account, self.escalates_from)


_EDITS = {whatif.Repoint: _Repoint_edits, whatif.SetProtection: _SetProtection_edits, whatif.SetVerification: _SetVerification_edits, whatif.AddOfflineCopy: _AddOfflineCopy_edits, whatif.AddComponent: _AddComponent_edits, whatif.AddRecoverySite: _AddRecoverySite_edits, whatif.ScaleCapacity: _ScaleCapacity_edits, whatif.LeaveDomain: _LeaveDomain_edits, whatif.SeparateAdminAccount: _SeparateAdminAccount_edits}


def change_edits(change: whatif.Change, inv: Inventory) -> list[Edit]:
    """``change.edits(inv)`` as it was: read from the inventory's frames."""
    return _EDITS[type(change)](change, inv)


def compile_changes(inventory: Inventory, changes, *, result: bool = True):
    """``whatif.compile_changes`` as it was: each change but the last applied to a new inventory."""
    if isinstance(changes, whatif.Change):
        changes = [changes]
    changes = list(changes)
    out: list[Edit] = []
    for i, ch in enumerate(changes):
        step = change_edits(ch, inventory)
        try:
            if result or i < len(changes) - 1:
                inventory = apply_changes(inventory, step)
            else:
                check_changes(inventory, step)
                inventory = None
        except WhatIfError:
            raise
        except EditError as err:
            raise WhatIfError(str(err)) from None
        out.extend(step)
    return out, inventory
