"""What-if analysis: apply a change to an inventory, re-run the real analyses, compare, and rank remediations.

Every what-if here is *the same analysis as the report* run on a changed
inventory: a change (:class:`Repoint`, :class:`SetProtection`,
:class:`SetVerification`, :class:`AddOfflineCopy`, :class:`ScaleCapacity`,
:class:`LeaveDomain`, :class:`SeparateAdminAccount`) compiles to the edit
operations of ``fix.changes`` (``hiddenspof.edits``: one vocabulary for the
what-ifs, the advice and ``hiddenspof apply``; :func:`compile_changes`) and
applying those edits is the only way it is applied. It
returns a new ``Inventory`` (the input is never modified; a change checks
the ids it names and keeps the contract's invariants: no duplicate or
self-referencing dependency rows, known kinds and verifications, no
``restore_to`` equal to the asset), and the answers come from ``model.build``, ``Model.recover``,
``coupling`` and ``silent`` exactly as the notebooks and the analysis JSON
use them. The widgets in ``widgets.py`` only call these functions.

Risk measure (used by :func:`roadmap`)
--------------------------------------
The *risk points* of an estate are the sum over its protected assets of::

    tier_weight(tier) * (unrecoverable threat modes + common causes + silent score / 100)

* one point per threat mode (``docs/semantics.md``) that can leave
  the asset unrecoverable,
* one point per hidden single point of failure (common cause),
* up to one point for the asset's silent-failure score (the best backup's
  score / 100: the chance-like risk that no backup would restore),

weighted by tier (``TIER_WEIGHT``: tier 1 counts 4, tier 2 3, tier 3 2,
tier 4 1, unknown 2). A remediation's *risk removed* is risk before minus risk
after. The measure is deliberately simple and additive so that an analyst can
recompute any line of the roadmap by hand from the analysis JSON.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import coupling, silent
from . import edits as edits_mod
from . import model as model_mod
from .inventory import KINDS, Inventory, is_admin
from .model import Model

__all__ = [
    "TIER_WEIGHT",
    "WhatIfError",
    "Change",
    "Repoint",
    "SetProtection",
    "SetVerification",
    "AddOfflineCopy",
    "AddRecoverySite",
    "AddComponent",
    "ScaleCapacity",
    "LeaveDomain",
    "SeparateAdminAccount",
    "attack_changes",
    "apply",
    "compile_changes",
    "AssetView",
    "asset_view",
    "ExplorerResult",
    "failure_explorer",
    "SeparationResult",
    "separation_whatif",
    "CapacityWhatIf",
    "capacity_whatif",
    "constrained_components",
    "EstateRisk",
    "estate_risk",
    "Remediation",
    "candidates",
    "roadmap",
    "roadmap_frame",
]

#: Weight of an asset's risk points by tier (unknown tier counts like tier 3).
TIER_WEIGHT: dict[int | None, float] = {1: 4.0, 2: 3.0, 3: 2.0, 4: 1.0, None: 2.0}

_VERIFICATIONS = ("none", "job_status", "checksum", "restore_test", "dr_drill")


class WhatIfError(edits_mod.EditError):
    """Raised when a change cannot apply to the inventory (unknown id, nothing to re-point, bad factor)."""


# -- table helpers -----------------------------------------------------------------------------------------


_append = edits_mod.append_rows
_set = edits_mod.set_cells


#: what a change reads of the inventory it compiles on: an ``Inventory``, or one with the edits of the changes
#: before it staged on top (``edits.Staged``, how :func:`compile_changes` gives it), read through its index
InventoryLike = Inventory | edits_mod.Staged


def _kind_of(inv: InventoryLike, cid: str) -> str:
    return str(edits_mod.staged(inv).kind_of(cid))


def _require_backup(inv: InventoryLike, backup: str) -> dict:
    row = edits_mod.staged(inv).backup(backup)
    if row is None:
        raise WhatIfError(f"backup {backup!r} is not in the inventory: expected one of the backups' ids")
    return row


def _require_component(inv: InventoryLike, cid: str, what: str = "component") -> None:
    if not edits_mod.staged(inv).has(cid):
        raise WhatIfError(f"{what} {cid!r} is not in the inventory: expected a component id")


def _fresh_id(inv: InventoryLike, base: str, taken: set[str] = frozenset()) -> str:
    """``base`` or ``base-2``, ``base-3``... whichever is not yet an id (of a component, a backup or ``taken``)."""
    s = edits_mod.staged(inv)

    def used(name: str) -> bool:
        return name in taken or s.taken(name)

    if not used(base):
        return base
    n = 2
    while used(f"{base}-{n}"):
        n += 1
    return f"{base}-{n}"


# -- changes ----------------------------------------------------------------------------------------------


class Change:
    """A change to an inventory, written as edit operations (``edits``, the vocabulary of ``fix.changes``).

    ``edits(inv)`` checks the change against the inventory and returns its
    edits (``inv`` may be an ``edits.Staged``: the inventory with the edits of
    the changes before it staged on top, read through an index, so compiling a
    candidate costs what it changes, not the size of the inventory);
    ``apply(inv)`` applies them with ``edits.apply_changes`` (the only
    way a change is applied) and returns a new inventory; ``describe()`` says
    it in words.
    """

    #: the backup (if any) the change is about; separation what-ifs report on its asset
    backup: str | None = None

    def edits(self, inv: Inventory) -> list[edits_mod.Edit]:  # pragma: no cover - interface
        raise NotImplementedError

    def apply(self, inv: Inventory) -> Inventory:
        """The inventory with the change's edits applied (the input is not modified)."""
        try:
            return edits_mod.apply_changes(inv, self.edits(inv))
        except WhatIfError:
            raise
        except edits_mod.EditError as err:
            raise WhatIfError(str(err)) from None

    def describe(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def asset(self, inv: Inventory) -> str | None:
        """The asset the change protects (the changed backup's asset), or None."""
        if self.backup is None:
            return None
        return str(_require_backup(inv, self.backup)["protects"])


def _dep_key(row: Mapping) -> dict:
    """The fields of a dependencies row that tell it apart (for ``remove_dependency``)."""
    out = {"component": row["component"], "depends_on": row["depends_on"]}
    g = row.get("group")
    if g is not None and not (not isinstance(g, str) and pd.isna(g)):
        out["group"] = g
    if is_admin(row.get("kind")):
        out["kind"] = "admin"
    return out


def _dep_fields(row: Mapping) -> dict:
    """A dependencies row as edit fields (missing cells left out)."""
    out = {}
    for k in ("component", "depends_on", "kind", "group", "needs", "notes"):
        v = row.get(k)
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            continue
        out[k] = int(v) if k == "needs" else v
    return out


def _new_component(cid: str, kind: str, name: str, notes: str) -> edits_mod.Edit:
    return edits_mod.add_component(id=cid, name=name, kind=kind, notes=notes)


@dataclass(frozen=True)
class Repoint(Change):
    """Re-point one dependency of ``component`` from ``old`` to ``new``.

    For a backup, ``old`` may name its ``restore_to`` (``None`` meaning "restores
    in place"): then the restore target moves to ``new``. Otherwise every row
    ``component -> old`` (ungrouped or in a group) now points at ``new``.
    With ``new_kind`` set and ``new`` not yet a component, ``new`` is created
    with that kind, placed by a row on each of ``place`` (a site, region,
    account or provider; none: it shares nothing with the estate).
    """

    component: str
    old: str | None
    new: str
    new_kind: str | None = None
    place: tuple[str, ...] = ()

    @property
    def backup(self) -> str | None:  # type: ignore[override]
        return self.component

    def asset(self, inv: Inventory) -> str | None:
        """The protected asset when ``component`` is a backup, else None."""
        row = edits_mod.staged(inv).backup(self.component)
        return None if row is None else str(row["protects"])

    def edits(self, inv: Inventory) -> list[edits_mod.Edit]:
        """The edits: the new component (and its place) if asked, then the re-pointed target or rows."""
        _require_component(inv, self.component)
        if self.new_kind is not None and self.new_kind not in KINDS:
            raise WhatIfError(f"new_kind {self.new_kind!r} is not a component kind: expected one of {', '.join(KINDS)}")
        out: list[edits_mod.Edit] = []
        s = edits_mod.staged(inv)
        if not s.has(self.new):
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
        is_backup = s.is_backup(self.component)
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
        # admin rows are not requirements: never re-pointed
        rows = [r for r in s.dependency_rows(self.component) if not is_admin(r["kind"])]
        hit = [r for r in rows if bool(r["depends_on"] == self.old)]
        if not hit:
            where = " or its restore target" if is_backup else ""
            have = sorted({r["depends_on"] for r in s.dependency_rows(self.component)})
            raise WhatIfError(
                f"{self.component!r} has no dependency row on {self.old!r}{where}: expected one of "
                f"{', '.join(have) or 'none'}"
            )
        have = {(r["group"] if isinstance(r["group"], str) else None) for r in rows
                if bool(r["depends_on"] == self.new)}
        for row in hit:
            out.append(edits_mod.remove_dependency(**_dep_key(row)))
            fields = _dep_fields(row)
            group = fields.get("group")
            if group in have:  # the component already had this row on ``new``: no duplicate rows
                continue
            have.add(group)
            out.append(edits_mod.add_dependency(**{**fields, "depends_on": self.new}))
        return out

    def describe(self) -> str:
        """One sentence."""
        made = f" (a new, separate {self.new_kind.replace('_', ' ')})" if self.new_kind else ""
        if self.old is None:
            return f"restore {self.component} to {self.new}{made} instead of in place"
        return f"re-point {self.component} from {self.old} to {self.new}{made}"


@dataclass(frozen=True)
class SetProtection(Change):
    """Mark a backup immutable and/or offline (``None`` leaves a flag as it is)."""

    backup: str
    immutable: bool | None = None
    offline: bool | None = None

    def edits(self, inv: Inventory) -> list[edits_mod.Edit]:
        """``set`` of the backup's flags."""
        _require_backup(inv, self.backup)
        out = []
        if self.immutable is not None:
            out.append(edits_mod.set_value("backups", self.backup, "immutable", bool(self.immutable)))
        if self.offline is not None:
            out.append(edits_mod.set_value("backups", self.backup, "offline", bool(self.offline)))
        return out

    def describe(self) -> str:
        """One sentence."""
        flags = [n for n, v in (("immutable", self.immutable), ("offline", self.offline)) if v]
        unset = [n for n, v in (("immutable", self.immutable), ("offline", self.offline)) if v is False]
        text = f"make {self.backup} " + " and ".join(flags) if flags else f"leave {self.backup} as it is"
        return text + (f" (no longer {' or '.join(unset)})" if unset else "")


@dataclass(frozen=True)
class SetVerification(Change):
    """Set a backup's ``verification``; with ``tested`` also record a passing full restore test on ``as_of``.

    ``tested=True`` is the what-if "verify this backup now": the evidence a
    successful full restore test would add, dated the assessment day.
    """

    backup: str
    verification: str = "restore_test"
    tested: bool = False

    def edits(self, inv: Inventory) -> list[edits_mod.Edit]:
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
                size = edits_mod.staged(inv).component(row["protects"], "data_gb")
            out.append(edits_mod.add_restore_test(
                backup=self.backup, tested_at=inv.meta.as_of.isoformat(), result="pass",
                scope="dr_drill" if self.verification == "dr_drill" else "full",
                restored_gb=None if pd.isna(size) else float(size),
                notes="What-if: a passing full restore test on the assessment day"))
        return out

    def describe(self) -> str:
        """One sentence."""
        if self.tested:
            return f"verify {self.backup} with a full restore test (verification {self.verification})"
        return f"set the verification of {self.backup} to {self.verification}"


def _schedule_of(inv: InventoryLike, asset: str) -> float:
    """The shortest ``schedule_hours`` of the asset's backups (24 when none is known)."""
    return edits_mod.staged(inv).schedule(asset)


@dataclass(frozen=True)
class AddOfflineCopy(Change):
    """Add an independent offline, immutable copy of ``asset``.

    A new backup ``new-<asset>-offline-copy`` (method ``tape``, offline,
    immutable, verification ``restore_test``) kept on ``store`` (an existing
    store, reused) or on a new backup store ``new-<asset>-offline-vault``
    placed by a row on each of ``place`` (a site, region, account or provider
    outside the failure; none: it depends on nothing in the estate). It
    restores to ``restore_to`` (``None``: in place, so it needs the asset's own
    dependencies, as a tape does). Its size is the asset's ``data_gb``;
    ``restore_mb_s`` its rate (unknown when None).
    """

    asset_id: str
    restore_to: str | None = None
    store: str | None = None
    restore_mb_s: float | None = None
    place: tuple[str, ...] = ()
    #: False for a copy kept immutable (object lock) on an existing online store rather than on a shelf
    offline: bool = True

    def asset(self, inv: Inventory) -> str | None:
        """The asset copied."""
        return self.asset_id

    def edits(self, inv: Inventory) -> list[edits_mod.Edit]:
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

    def describe(self) -> str:
        """One sentence."""
        where = f", restored to {self.restore_to}" if self.restore_to else ""
        kept = f" on {self.store}" if self.store else (f" in a new vault at {', '.join(self.place)}" if self.place else "")
        what = "offline, immutable" if self.offline else "immutable"
        return f"add an independent {what} copy of {self.asset_id}{kept}{where}"


@dataclass(frozen=True)
class AddComponent(Change):
    """A new component ``id`` of ``kind``, placed by a row on each of ``place`` (a new site on its region, a new
    account on its provider): the place other new components of a fix are put on."""

    id: str
    kind: str
    place: tuple[str, ...] = ()
    platform: str | None = None

    def edits(self, inv: Inventory) -> list[edits_mod.Edit]:
        """``add_component`` and its rows on its places."""
        if self.kind not in KINDS:
            raise WhatIfError(f"kind {self.kind!r} is not a component kind: expected one of {', '.join(KINDS)}")
        if edits_mod.staged(inv).has(self.id):
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

    def describe(self) -> str:
        """One sentence."""
        on = f" on {', '.join(self.place)}" if self.place else ""
        return f"a new {self.kind.replace('_', ' ')} {self.id}{on}"


@dataclass(frozen=True)
class AddRecoverySite(Change):
    """A recovery site with its own backup server and keys, holding an offline copy of each of ``assets``.

    The named composite of the advice layer: a new restore target ``name``
    (placed by a row on each of ``place``, a region or provider; none: it
    depends on nothing in the estate: its own servers, credentials and keys),
    and for each asset an independent offline, immutable copy
    (:class:`AddOfflineCopy`) restored there.
    """

    assets: tuple[str, ...]
    name: str = "new-recovery-site"
    place: tuple[str, ...] = ()
    #: ``site`` where the estate has sites (it is struck by site loss like any site), else ``other``
    kind: str = "other"

    def asset(self, inv: Inventory) -> str | None:
        """The first asset copied."""
        return self.assets[0] if self.assets else None

    def edits(self, inv: Inventory) -> list[edits_mod.Edit]:
        """The site, its offline vault, then per asset a copy in the vault.

        Named by the site: ``<site>-vault`` and ``<site>-<asset>-copy``, so every
        change that proposes the same site proposes the same vault and copies, row
        for row (the remediation plan builds them once), and two sites never give
        one asset's copy the same id.
        """
        if not self.assets:
            raise WhatIfError("a recovery site needs at least one asset to hold")
        s = edits_mod.staged(inv)
        missing = [a for a in self.assets if not s.has(a)]
        if missing:
            raise WhatIfError(f"asset {missing[0]!r} is not in the inventory: expected a component id")
        site = _fresh_id(s, self.name)
        vault = _fresh_id(s, f"{site}-vault", {site})
        ids = {site, vault}  # the names this change takes, besides the inventory's ids
        out = [_new_component(site, self.kind, f"Recovery site {site} (proposed)",
                              "Added by a fix: its own backup server, credentials and keys; shares nothing")]
        for p in self.place:
            _require_component(inv, p, "place")
            out.append(edits_mod.add_dependency(component=site, depends_on=p, kind="location"))
        out.append(_new_component(vault, "backup_store", f"offline vault at {site} (proposed)",
                                  f"Added by a fix: air-gapped, kept at {site}"))
        out.append(edits_mod.add_dependency(component=vault, depends_on=site, kind="location"))
        for a in self.assets:
            bid = _fresh_id(s, f"{site}-{a}-copy", ids)
            ids.add(bid)
            out.append(_new_component(bid, "backup", f"Offline copy of {a} (proposed)", "Added by a fix"))
            out.append(edits_mod.add_backup(
                id=bid, protects=a, method="tape", schedule_hours=_schedule_of(inv, a), retention_days=90.0,
                immutable=True, offline=True, verification="restore_test", restore_to=site,
                notes="What-if: independent offline copy at the recovery site"))
            out.append(edits_mod.add_dependency(component=bid, depends_on=vault, kind="storage"))
        return out

    def describe(self) -> str:
        """One sentence."""
        held = ", ".join(self.assets)
        return (f"a recovery site with its own backup server and keys ({self.name}), holding an offline, "
                f"immutable copy of {held} and restoring {'it' if len(self.assets) == 1 else 'them'} there")


@dataclass(frozen=True)
class ScaleCapacity(Change):
    """Multiply a component's ``throughput_mb_s`` and ``max_parallel_restores`` by ``factor`` (parallelism rounded up)."""

    component: str
    factor: float

    def edits(self, inv: Inventory) -> list[edits_mod.Edit]:
        """``set`` of the component's limits."""
        _require_component(inv, self.component)
        if not (isinstance(self.factor, (int, float)) and self.factor > 0 and math.isfinite(self.factor)):
            raise WhatIfError(f"scale factor for {self.component!r} must be a number > 0 (got {self.factor!r})")
        s = edits_mod.staged(inv)
        thr = s.component(self.component, "throughput_mb_s")
        par = s.component(self.component, "max_parallel_restores")
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

    def describe(self) -> str:
        """One sentence."""
        return f"scale the restore capacity of {self.component} by {self.factor:g}"


def _drop_rows(inv: Inventory, component: str, target: str) -> list[edits_mod.Edit]:
    """``remove_dependency`` of every row (plain, grouped or admin) of ``component`` on ``target``.

    A group left with fewer members than its ``needs`` would be invalid: that is an error naming the group.
    """
    rows = edits_mod.staged(inv).dependency_rows(component)
    gone = [r for r in rows if bool(r["depends_on"] == target)]
    if not gone:
        have = sorted({r["depends_on"] for r in rows})
        raise WhatIfError(f"{component!r} has no row on {target!r}: expected one of {', '.join(have) or 'none'}")
    groups: dict[Any, list[dict]] = {}
    for r in rows:
        if not bool(r["depends_on"] == target) and not pd.isna(r["group"]) and not is_admin(r["kind"]):
            groups.setdefault(r["group"], []).append(r)
    for group in sorted(groups):
        members = groups[group]
        needs = int(members[0]["needs"])
        if needs > len(members):
            raise WhatIfError(
                f"dropping {component!r}'s rows on {target!r} leaves group {group!r} with {len(members)} member(s) "
                f"but needs {needs}: expected a group that keeps at least {needs}"
            )
    return [edits_mod.remove_dependency(**_dep_key(row)) for row in gone]


_ESCALATION_KINDS = ("credentials", "identity", "account")


@dataclass(frozen=True)
class LeaveDomain(Change):
    """Take ``component`` out of the domain ``identity``: drop every row (plain, grouped or admin) it has on it.

    The what-if of a backup server, key store or hypervisor that is not
    domain-joined: the domain's administrators can no longer reach it, and
    it no longer needs the domain to run (it keeps local accounts). A
    ``credential_compromise`` of the domain then stops at it.
    """

    component: str
    identity: str

    def asset(self, inv: Inventory) -> str | None:
        """The protected asset when ``component`` is a backup, else None."""
        row = edits_mod.staged(inv).backup(self.component)
        return None if row is None else str(row["protects"])

    def edits(self, inv: Inventory) -> list[edits_mod.Edit]:
        """``remove_dependency`` of ``component``'s rows on ``identity``."""
        _require_component(inv, self.component)
        _require_component(inv, self.identity, "identity")
        kind = _kind_of(inv, self.identity)
        if kind not in _ESCALATION_KINDS:
            raise WhatIfError(
                f"{self.identity!r} is of kind {kind}: expected a domain (an identity, credentials or account) to leave"
            )
        return _drop_rows(inv, self.component, self.identity)

    def describe(self) -> str:
        """One sentence."""
        return f"take {self.component} out of the domain {self.identity} (local accounts; no row on {self.identity})"


@dataclass(frozen=True)
class SeparateAdminAccount(Change):
    """Give the credential ``account`` a life of its own, apart from ``escalates_from``: drop its rows on it.

    The escalation row of ``credential_compromise``: a backup service account
    that is a domain account (``svc-veeam`` on the domain), or a password kept
    on a server (``s3-keys`` on the Veeam server). Without the row, holding
    ``escalates_from`` no longer gives ``account``. Only a ``credentials``,
    ``identity`` or ``account`` component escalates, so only those are separated.
    """

    account: str
    escalates_from: str

    def edits(self, inv: Inventory) -> list[edits_mod.Edit]:
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

    def describe(self) -> str:
        """One sentence."""
        return (f"separate {self.account} from {self.escalates_from} (its own account and secret, "
                f"not reachable through {self.escalates_from})")


def attack_changes(model: Model, asset: str, attack: coupling.Compromise) -> list[Change]:
    """Candidate changes that cut the attack paths reaching ``asset`` (to be verified by re-analysis).

    For every step on a chain to a destroyed component of the asset's
    closure: an escalation (``resets``, ``takes over``, ``reads``) gives
    ``SeparateAdminAccount`` of the escalated component from what it escalated
    through; a destruction through a row on an identity (a domain-joined
    server, store or tool) gives ``LeaveDomain``. Sorted, without repeats.
    """
    out: set[Change] = set()
    for c in attack.destroyed & model.closure(asset):
        for step in attack.path(c):
            if step.via is None or step.action in ("holds", "wipes"):
                continue
            if step.action in ("resets", "takes over", "reads"):
                out.add(SeparateAdminAccount(step.component, step.via))
            elif step.action == "destroys" and model.kind[step.via] == "identity":
                out.add(LeaveDomain(step.component, step.via))
    return sorted(out, key=lambda ch: (type(ch).__name__, repr(ch)))


def apply(inventory: Inventory, changes: Change | Iterable[Change]) -> Inventory:
    """Apply one change or several in order; the input inventory is not modified.

    Parameters
    ----------
    inventory : Inventory
    changes : Change or iterable of Change

    Returns
    -------
    Inventory
        A new inventory (same ``meta``, ``source`` and ``warnings``).

    Raises
    ------
    WhatIfError
        When a change names an unknown id or has nothing to change.
    """
    return compile_changes(inventory, changes)[1]


def compile_changes(inventory: Inventory, changes: Change | Iterable[Change], *,
                    result: bool = True) -> tuple[list[edits_mod.Edit], Inventory | None]:
    """The edits of ``changes`` applied in order (each compiled on the inventory the ones before left), and
    the changed inventory: ``fix.changes`` of a change set, and what applying it gives.

    With ``result=False`` the last change's edits are checked but not applied
    (the changed inventory is None): for callers that only need the edits.

    Raises
    ------
    WhatIfError
        When a change names an unknown id or has nothing to change.
    """
    if isinstance(changes, Change):
        changes = [changes]
    staged = edits_mod.Staged(inventory)  # one staging for all the changes: each reads the ones before it
    out: list[edits_mod.Edit] = []
    for ch in changes:
        step = ch.edits(staged)
        try:
            staged.apply(step)
        except WhatIfError:
            raise
        except edits_mod.EditError as err:
            raise WhatIfError(str(err)) from None
        out.extend(step)
    return out, (staged.result() if result else None)


# -- per-asset verdicts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssetView:
    """One asset's coupling and silent-failure verdicts (as in the analysis JSON)."""

    asset: str
    common_cause: tuple[str, ...]
    threats: dict[str, str]
    survivability: float | None
    silent_score: float | None


def _unrecoverable_by(m: Model) -> dict[str, tuple[str, ...]]:
    """component -> assets its single failure leaves unrecoverable (the input of the threat verdicts)."""
    from . import coupling

    return coupling.single_failures(m)


def asset_view(inventory: Inventory, asset: str, m: Model | None = None) -> AssetView:
    """Common causes, threat verdicts, survivability and silent score of ``asset``.

    Uses the coupling module's own functions (single-failure recovery,
    ``coupling.threat_verdicts`` for the eight threat modes, ``coupling.survivability``)
    and ``silent.score``, computed for this asset only so a what-if answers
    quickly.
    """
    m = m or model_mod.build(inventory)
    if asset not in m.backups_of:
        raise WhatIfError(f"{asset!r} is not a protected asset: expected one of {', '.join(m.assets)}")
    ub = _unrecoverable_by(m)
    verdicts, _ = coupling.threat_verdicts(m, ub)
    surv, _, _ = coupling.survivability(m, asset)
    scores = silent.score(inventory, m).asset_scores
    return AssetView(
        asset=asset,
        common_cause=tuple(x for x in m.ids if asset in ub[x]),
        threats=dict(verdicts[asset]),
        survivability=surv,
        silent_score=scores.get(asset),
    )


# -- failure explorer --------------------------------------------------------------------------------------


def _bfs_path(m: Model, start: str, goals: frozenset[str], allowed: frozenset[str]) -> list[str] | None:
    """Shortest dependency path start -> ... -> a goal through ``allowed`` nodes (neighbours in id order)."""
    if start in goals:
        return [start]
    prev: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(m.graph.successors(v)):
            if w in prev or w not in allowed:
                continue
            prev[w] = v
            if w in goals:
                path = [w]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return path[::-1]
            queue.append(w)
    return None


def _why_down(m: Model, comp: str, failed: frozenset[str], down: frozenset[str]) -> str:
    path = _bfs_path(m, comp, failed, down)
    if path is None:
        return f"{comp} is down"
    if len(path) == 1:
        return f"{comp} failed"
    return " -> ".join(path)


@dataclass(frozen=True)
class ExplorerResult:
    """What a set of failures does: assets down, restores by wave, what stays unrecoverable and why.

    ``explanations`` maps each asset that went down to dependency paths: why it
    went down and, when unrecoverable, why each backup's path is down.
    ``schedule`` is the capacity what-if of the same failures (None when the
    failures need no restore).
    """

    failed: tuple[str, ...]
    down_assets: tuple[str, ...]
    restored: tuple[tuple[str, str, int], ...]  # (asset, backup, wave)
    unrecoverable: tuple[str, ...]
    explanations: dict[str, tuple[str, ...]]
    schedule: CapacityWhatIf | None = None

    def frame(self) -> pd.DataFrame:
        """One row per asset that went down: status, backup, wave and the explaining paths."""
        restored = {a: (b, w) for a, b, w in self.restored}
        rows = []
        for a in self.down_assets:
            if a in restored:
                b, w = restored[a]
                rows.append({"asset": a, "status": "restored", "backup": b, "wave": w,
                             "why": "; ".join(self.explanations[a])})
            else:
                rows.append({"asset": a, "status": "unrecoverable", "backup": None, "wave": None,
                             "why": "; ".join(self.explanations[a])})
        frame = pd.DataFrame(rows, columns=["asset", "status", "backup", "wave", "why"])
        frame["wave"] = frame["wave"].astype("Int64")
        return frame


def failure_explorer(model: Model, failed: Iterable[str], *, schedule: bool = True) -> ExplorerResult:
    """Fail ``failed`` together and explain the outcome asset by asset.

    Parameters
    ----------
    model : Model
    failed : iterable of str
        Component ids that fail at once.
    schedule : bool
        Also simulate the restores of this scenario (:func:`capacity_whatif`).

    Returns
    -------
    ExplorerResult

    Raises
    ------
    UnknownComponentError
        When ``failed`` names an id that is not a component.
    """
    m = model
    rec = m.recover(failed)
    fset = rec.failed
    down = rec.initially_down
    final = rec.final_down
    down_assets = tuple(sorted(a for a in down if a in m.backups_of))
    restored = tuple((r.asset, r.backup, r.wave) for r in rec.restores)
    expl: dict[str, tuple[str, ...]] = {}
    for a in down_assets:
        parts = [_why_down(m, a, fset, down)]
        if a in rec.unrecoverable:
            for b in m.backups_of[a]:
                info = m.backup[b]
                if b in final:
                    parts.append(f"backup {b}: " + _why_down(m, b, fset, final))
                elif info.restore_to is not None:
                    parts.append(f"backup {b} restores to {info.restore_to}: "
                                 + _why_down(m, info.restore_to, fset, final))
                else:
                    parts.append(f"backup {b} restores in place, which needs {a}'s own dependencies: "
                                 + _why_down(m, a, fset, final))
        expl[a] = tuple(parts)
    sched = None
    if schedule and restored:
        sched = capacity_whatif(m, fset, {})
    return ExplorerResult(tuple(sorted(fset)), down_assets, restored, rec.unrecoverable, expl, sched)


# -- separation what-if ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeparationResult:
    """Before and after one change, for the asset the change protects."""

    change: Change
    asset: str
    before: AssetView
    after: AssetView

    @property
    def removed_causes(self) -> tuple[str, ...]:
        """Common causes the change removes."""
        return tuple(c for c in self.before.common_cause if c not in self.after.common_cause)

    @property
    def added_causes(self) -> tuple[str, ...]:
        """Common causes the change introduces."""
        return tuple(c for c in self.after.common_cause if c not in self.before.common_cause)

    def frame(self) -> pd.DataFrame:
        """One row per measure with its value before and after (text, for display)."""

        def fmt(x) -> str:
            if x is None:
                return "n/a"
            return f"{x:.3f}" if isinstance(x, float) else str(x)

        rows = [{"measure": "common causes", "before": ", ".join(self.before.common_cause) or "none",
                 "after": ", ".join(self.after.common_cause) or "none"},
                {"measure": "survivability", "before": fmt(self.before.survivability),
                 "after": fmt(self.after.survivability)},
                {"measure": "silent-failure score", "before": fmt(self.before.silent_score),
                 "after": fmt(self.after.silent_score)}]
        for mode in sorted(self.before.threats):
            rows.append({"measure": f"threat: {mode}", "before": self.before.threats[mode],
                         "after": self.after.threats.get(mode, "n/a")})
        return pd.DataFrame(rows, columns=["measure", "before", "after"])


def separation_whatif(inventory: Inventory, change: Change, asset: str | None = None) -> SeparationResult:
    """The asset's common causes, threat verdicts, survivability and silent score before and after ``change``.

    Parameters
    ----------
    inventory : Inventory
    change : Change
        Usually a :class:`Repoint` of one of the asset's backups, a
        :class:`SetProtection` or an :class:`AddOfflineCopy`.
    asset : str, optional
        The asset to report on; defaults to the asset the change protects.

    Returns
    -------
    SeparationResult

    Raises
    ------
    WhatIfError
        When the change cannot apply or no asset is known.
    """
    asset = asset or change.asset(inventory)
    if asset is None:
        raise WhatIfError(f"say which asset to report on: {change.describe()} protects no asset itself")
    before = asset_view(inventory, asset)
    after = asset_view(apply(inventory, change), asset)
    return SeparationResult(change, asset, before, after)


# -- capacity what-if --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapacityWhatIf:
    """A scenario's restore schedule under scaled limits: one row per restore with its RTO verdict.

    ``scenario`` is the capacity module's own ``ScenarioResult`` (the same
    object the analysis JSON is written from); ``restores`` is it as a table.
    """

    failed: tuple[str, ...]
    scale: dict[str, float]
    restores: pd.DataFrame  # capacity.restores_frame: asset, backup, wave, start/finish/rto hours, meets_rto, verdict...
    makespan_hours: float
    bottlenecks: tuple[str, ...]
    scenario: object = field(default=None, repr=False, compare=False)

    @property
    def misses(self) -> tuple[str, ...]:
        """Assets whose restore finishes after their RTO."""
        r = self.restores
        return tuple(r.loc[r["meets_rto"] == False, "asset"])  # noqa: E712 - nullable booleans


def constrained_components(model: Model) -> tuple[str, ...]:
    """Components with a ``throughput_mb_s`` or ``max_parallel_restores`` (what a slider can scale), sorted."""
    from . import capacity

    return tuple(sorted(capacity.limits(model)))


def capacity_whatif(model: Model, scenario, scale: Mapping[str, float] | float | None = None) -> CapacityWhatIf:
    """Simulate a scenario's mass restore with some components' limits multiplied.

    The jobs and the simulation are the capacity module's
    (``capacity.build_scenario`` and ``capacity.run_scenario``, without the
    headroom bisection so that a slider answers at once).

    Parameters
    ----------
    model : Model
    scenario : Scenario or iterable of str
        An inventory ``Scenario`` (its ``fail`` list) or the failed ids.
    scale : mapping of component id to factor, or one factor for all
        Multipliers of throughput and parallelism (1 = as inventoried).

    Returns
    -------
    CapacityWhatIf

    Raises
    ------
    WhatIfError
        For an unknown or unconstrained component, or a factor that is not > 0.
    """
    from . import capacity

    failed = tuple(sorted(set(getattr(scenario, "fail", scenario))))
    name = getattr(scenario, "name", "what-if")
    lim = capacity.limits(model)
    if isinstance(scale, Mapping):
        bad = sorted(c for c in scale if c not in lim)
        if bad:
            raise WhatIfError(f"cannot scale unknown component(s) or ones without a limit: {', '.join(bad)}; "
                              f"expected one of {', '.join(sorted(lim)) or 'none'}")
        for c, f in scale.items():
            if not (isinstance(f, (int, float)) and f > 0 and math.isfinite(f)):
                raise WhatIfError(f"scale factor for {c!r} must be a number > 0 (got {f!r})")
        scale_map = {c: float(f) for c, f in sorted(scale.items())}
    elif scale is None:
        scale_map = {}
    else:
        if not (float(scale) > 0 and math.isfinite(float(scale))):
            raise WhatIfError(f"scale factor must be a number > 0 (got {scale!r})")
        scale_map = dict.fromkeys(sorted(lim), float(scale))
    built = capacity.build_scenario(model, name, "what-if", failed, lim)
    res = capacity.run_scenario(model, built, scale_map or None, lim, with_headroom=False)
    return CapacityWhatIf(failed, scale_map, capacity.restores_frame(res), res.makespan_hours,
                          tuple(c.component for c in res.bottlenecks), res)


# -- estate risk and the remediation roadmap ---------------------------------------------------------------


@dataclass(frozen=True)
class EstateRisk:
    """The risk points of an estate (see the module docstring) with their parts per asset."""

    total: float
    by_asset: dict[str, float]
    common_cause: dict[str, tuple[str, ...]]
    unrecoverable_threats: dict[str, tuple[str, ...]]
    silent_score: dict[str, float | None]


def estate_risk(inventory: Inventory, m: Model | None = None, *, memo: dict | None = None,
                coupling_result: coupling.CouplingResult | None = None,
                asset_scores: dict[str, float | None] | None = None) -> EstateRisk:
    """Risk points of the estate: tier weight x (unrecoverable threat modes + common causes + silent score / 100).

    Uses the same single-failure recovery, threat verdicts and silent scores
    as the analysis JSON (survivability is left out: it is an estimate and the
    slowest part, and the common causes already carry the single failures).
    ``coupling_result`` (``coupling.analyze(m)``, with or without pairs and
    survivability) and ``asset_scores`` (``silent.score(inventory, m)``), when
    the caller has them, are read instead of being computed again.
    """
    m = m or model_mod.build(inventory)
    if coupling_result is None:
        ub = _unrecoverable_by(m)
        verdicts, _ = coupling.threat_verdicts(m, ub)
    else:
        ub = coupling_result.unrecoverable_by
        verdicts = {a: coupling_result.assets[a].threats for a in m.assets}
    scores = (silent.score(inventory, m, memo=memo, scores_only=True).asset_scores  # memo: see silent.score
              if asset_scores is None else asset_scores)
    comps = inventory.components
    tiers = {str(i): (None if pd.isna(t) else int(t)) for i, t in zip(comps["id"], comps["tier"])}
    common: dict[str, list[str]] = {a: [] for a in m.assets}
    for x in m.ids:
        for a in ub[x]:
            common[a].append(x)
    by_asset, threats = {}, {}
    for a in m.assets:
        lost = tuple(mode for mode, v in sorted(verdicts[a].items()) if v == "unrecoverable")
        s = scores.get(a)
        w = TIER_WEIGHT.get(tiers.get(a), TIER_WEIGHT[None])
        by_asset[a] = w * (len(lost) + len(common[a]) + (s or 0.0) / 100.0)
        threats[a] = lost
    return EstateRisk(
        total=sum(by_asset[a] for a in m.assets),
        by_asset=by_asset,
        common_cause={a: tuple(v) for a, v in common.items()},
        unrecoverable_threats=threats,
        silent_score=dict(scores),
    )


@dataclass(frozen=True)
class Remediation:
    """One ranked candidate: the change, why it was proposed, and what re-running the analysis says it removes."""

    change: Change
    description: str
    findings: tuple[str, ...]
    assets: tuple[str, ...]
    risk_before: float
    risk_after: float
    removed_causes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fixed_threats: dict[str, tuple[str, ...]] = field(default_factory=dict)
    silent_delta: dict[str, float] = field(default_factory=dict)

    @property
    def risk_removed(self) -> float:
        """Risk points removed (before minus after)."""
        return self.risk_before - self.risk_after


_SEPARATE_KINDS = ("account", "identity", "credentials", "kms", "site", "region", "provider", "control_plane")


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text)


def candidates(inventory: Inventory, m: Model | None = None, findings=None) -> list[tuple[Change, tuple[str, ...]]]:
    """Candidate remediations derived from the coupling and silent-failure findings.

    * a failure-domain finding: for each asset A and member X, reached by a backup B through a row ``U -> X``
      of a separable kind (account, identity, credentials, kms, site, region,
      provider, control plane): re-point ``U`` to a new, separate component of
      X's kind; if B restores in place and X takes A down, restore B to an
      existing restore target that X does not take down (the first by id), or
      else to a new separate target;
    * a common cause, an unrecoverable credential-compromise or
      logical-corruption verdict, a replica used as backup, or a 3-2-1-1-0 gap:
      add an independent offline copy of A (for a domain or a stolen credential
      only when A has no offline or immutable copy yet: never ask for what
      exists); for credential compromise also make each non-immutable backup
      of A immutable;
    * a missing, stale, failed or file-only restore test, or weak
      verification: verify the backup with a full restore test.

    Returns ``(change, finding ids)`` pairs, one per distinct change, in a
    stable order.
    """
    m = m or model_mod.build(inventory)
    if findings is None:
        from . import advice

        findings = advice.findings_of(m, coupling.analyze(m, pairs=False, survival=False)) + list(silent.score(inventory, m).findings)
    out: dict[Change, list[str]] = {}
    # existing restore targets (a standby VM, a DR host) are preferred to inventing a new one
    targets = sorted({i.restore_to for i in m.backup.values() if i.restore_to is not None and i.restore_to not in m.backup})

    def kept_safe(asset: str) -> bool:
        """Whether the asset already has an offline or immutable copy: never ask for another (its restore path is
        what the other candidates fix)."""
        return any(m.backup[b].immutable or m.backup[b].offline for b in m.backups_of.get(asset, ()))

    def add(ch: Change, fid: str) -> None:
        out.setdefault(ch, [])
        if fid not in out[ch]:
            out[ch].append(fid)

    for f in sorted(findings, key=lambda f: f.id):
        parts = f.id.split(":")
        rule = parts[1] if len(parts) > 1 else ""
        if f.category == "coupling" and rule == "domain":
            for asset, cause in [(a, c) for a in f.assets for c in f.components]:
                if asset not in m.backups_of or cause not in m.kind:
                    continue
                kind = m.kind[cause]
                if kind in _SEPARATE_KINDS:
                    a_down = m.down((cause,))
                    for b in m.backups_of[asset]:
                        info = m.backup[b]
                        path = _bfs_path(m, b, frozenset({cause}), frozenset(m.ids))
                        if path is not None and len(path) >= 2:
                            holder = path[-2]
                            add(Repoint(holder, cause, _slug(f"{holder}-own-{kind}"), new_kind=kind), f.id)
                        if info.restore_to is None and asset in a_down:
                            spare = [t for t in targets if t not in a_down and t != asset]
                            if spare:
                                add(Repoint(b, None, spare[0]), f.id)
                            else:
                                add(Repoint(b, None, _slug(f"{asset}-restore-target"), new_kind="other"), f.id)
                        elif info.restore_to is not None and info.restore_to in a_down:
                            tpath = _bfs_path(m, info.restore_to, frozenset({cause}), frozenset(m.ids))
                            if tpath is not None and len(tpath) >= 2:
                                holder = tpath[-2]
                                add(Repoint(holder, cause, _slug(f"{holder}-own-{kind}"), new_kind=kind), f.id)
                if not kept_safe(asset):
                    add(AddOfflineCopy(asset), f.id)
        elif f.category == "coupling" and f.assets:
            text = f.id + " " + f.title
            if "credential_compromise" in text or "logical_corruption" in text:
                for asset in f.assets:
                    if asset not in m.backups_of:
                        continue
                    if not kept_safe(asset):
                        add(AddOfflineCopy(asset), f.id)
                    if "credential_compromise" in text:
                        for b in m.backups_of[asset]:
                            if not m.backup[b].immutable and m.backup[b].method != "replica":
                                add(SetProtection(b, immutable=True), f.id)
        elif f.category == "silent_failure":
            if rule in ("replica-as-backup", "3-2-1-1-0"):
                for asset in f.assets:
                    if asset in m.backups_of:
                        add(AddOfflineCopy(asset), f.id)
            elif "restore-test" in rule or "verification" in rule:
                for b in f.components:
                    if b in m.backup:
                        add(SetVerification(b, "restore_test", tested=True), f.id)
    order = sorted(out, key=lambda ch: (type(ch).__name__, repr(ch)))
    return [(ch, tuple(out[ch])) for ch in order]


def roadmap(inventory: Inventory, limit: int = 10) -> list[Remediation]:
    """Remediations ranked by how much risk each removes, each measured by re-running the analysis.

    Parameters
    ----------
    inventory : Inventory
    limit : int
        How many to return (the best first).

    Returns
    -------
    list of Remediation
        Only changes that remove risk, sorted by risk removed (largest
        first), then by description. Each is applied alone to the inventory
        as it is (the gains of two changes need not add up).

    Notes
    -----
    Risk points are defined in the module docstring; the candidates come
    from :func:`candidates`.
    """
    if limit < 0:
        raise WhatIfError(f"limit must be >= 0 (got {limit!r})")
    m = model_mod.build(inventory)
    memo: dict = {}  # the candidates share the job history: summarised once (silent.score)
    before = estate_risk(inventory, m, memo=memo)
    from . import advice

    findings = (advice.findings_of(m, coupling.analyze(m, pairs=False, survival=False))
                + list(silent.score(inventory, m, memo=memo).findings))
    known = {f.id for f in findings}
    out = []
    for ch, fids in candidates(inventory, m, findings):
        try:
            changed = apply(inventory, ch)
        except WhatIfError:
            continue
        after = estate_risk(changed, memo=memo)
        removed = before.total - after.total
        if removed <= 1e-9:
            continue
        assets = tuple(a for a in sorted(before.by_asset) if abs(before.by_asset[a] - after.by_asset.get(a, 0.0)) > 1e-9)
        # the failure-domain findings the change resolves, besides those it was proposed for
        resolved = {f.id for f in findings if f.id.startswith("coupling:domain:")
                    and all(c not in after.common_cause.get(a, ()) for a in f.assets for c in f.components)}
        out.append(Remediation(
            change=ch,
            description=ch.describe(),
            findings=tuple(sorted(set(fids) | (resolved & known))),
            assets=assets,
            risk_before=before.total,
            risk_after=after.total,
            removed_causes={a: tuple(c for c in before.common_cause[a] if c not in after.common_cause.get(a, ()))
                            for a in assets},
            fixed_threats={a: tuple(t for t in before.unrecoverable_threats[a]
                                    if t not in after.unrecoverable_threats.get(a, ())) for a in assets},
            silent_delta={a: (after.silent_score.get(a) or 0.0) - (before.silent_score.get(a) or 0.0)
                          for a in assets},
        ))
    out.sort(key=lambda r: (-round(r.risk_removed, 9), r.description))
    return out[:limit]


def roadmap_frame(items: Sequence[Remediation]) -> pd.DataFrame:
    """The roadmap as a table: rank, change, risk removed, assets, what it fixes, and the findings behind it."""
    rows = []
    for i, r in enumerate(items, 1):
        fixes = []
        for a in r.assets:
            bits = []
            if r.removed_causes.get(a):
                bits.append("no longer fails with " + ", ".join(r.removed_causes[a]))
            if r.fixed_threats.get(a):
                bits.append("survives " + ", ".join(t.replace("_", " ") for t in r.fixed_threats[a]))
            d = r.silent_delta.get(a, 0.0)
            if d < -1e-9:
                bits.append(f"silent score {d:+.0f}")
            if bits:
                fixes.append(f"{a}: " + "; ".join(bits))
        rows.append({"rank": i, "change": r.description, "risk_removed": round(r.risk_removed, 2),
                     "assets": ", ".join(r.assets), "fixes": " | ".join(fixes),
                     "findings": ", ".join(r.findings)})
    return pd.DataFrame(rows, columns=["rank", "change", "risk_removed", "assets", "fixes", "findings"])
