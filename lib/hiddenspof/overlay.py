"""Incremental re-analysis for the fix search: a candidate change patched into the built model, and only the
strikes whose outcome it can change analysed again.

A candidate fix is a handful of edits (``edits``): a new store, a row moved,
a backup made immutable. Rebuilding the model and striking every component
of the changed estate again costs the whole estate per candidate; this module
makes the cost follow the change instead, and answers exactly what the
rebuild answers (the property tests in ``tests/test_overlay.py`` compare the
two on random estates and random changes).

* :func:`patch` builds the changed :class:`~hiddenspof.model.Model` from the
  built one: the edits are applied to the inventory, a small model of the
  touched components (their rows, their backups, what those rows point at)
  is built, and its entries replace the base's; reverse rows and the
  ``rows_on`` index are redone only for the targets of changed rows. The
  dependency graph (``Model.graph``) is built only when asked for.
* **Which strikes can change.** A failure set ``F`` is read, during
  ``recover(F)``, only through the components its failure reaches: those
  with a row on a down component, assets whose backup or restore target is
  down, transitively. A change alters what a component reads only at the
  *touched* components (new ones, those whose rows, backup or settings
  changed, the targets of changed rows and restore targets, the assets of
  changed backups). So ``recover(F)`` can differ only when ``F`` meets a
  component from which a touched one is reached: the touched components and
  everything they depend on, with their backups and restore targets
  (``Model.closure``'s walk, from every touched component). Every other
  single failure keeps its base answer.
* **Credential theft.** The attack from a holder reads the ``rows_on`` of
  what it holds or destroys and the kind and spared state of what has a
  row there; a holder whose base attack meets none of the touched entries
  destroys the same set. Affected holders are found backwards through the
  escalation graph; their attacks run again on the changed model.
* :class:`Base` keeps the base estate's answers (every single failure, every
  holder's destroyed set and recovery, corruption, scenarios), computed once
  and shared by every candidate of every finding. :class:`Changed` is one
  candidate's answers: ``resolved`` (the finding's own strikes) and
  ``new_findings`` (the critical or high coupling findings of the changed
  estate that claim something the estate's did not, with their ids).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import itertools
import sys
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from . import coupling
from .model import Model

__all__ = ["JUDGED_LIMIT", "Base", "Changed", "PatchedModel", "patch"]

_ESC = coupling.ESCALATION_KINDS
_SERIOUS = ("critical", "high")
#: Components walked up from a change before the per-asset closures are given up (every strike then re-analysed).
_UPWARD_LIMIT = 2_000
#: Above every tier (``Base._claims_anew``'s best tier of assets none of which has one).
_NO_TIER = float("inf")
#: Assets whose closure a change alters, above which a strike is recovered on the whole changed estate instead of
#: on their closures (many closures cost more than one recovery).
JUDGED_LIMIT = 64


class PatchedModel(Model):
    """A model made by :func:`patch`: the same answers as ``model.build`` of the changed inventory (the
    dependency graph is ``Model.graph``'s, built from the changed tables when first asked for).

    Its ``inventory`` (the changed tables) is built when first read: the re-analysis reads the model's indexes,
    and copying every table of a large estate per candidate would cost the estate, not the change.
    """

    @property
    def inventory(self):
        inv = self.__dict__.get("_inventory")
        if inv is None:
            inv = self.__dict__["_inventory"] = self.__dict__["_staged"].result()
        return inv

    def __getattr__(self, name: str):
        """A table :func:`patch` left to be made when first read (``_pending``: name -> its maker): the estate's
        table copied with the change's entries put in, the very dict an eager copy gives. Most candidates never
        read their copies of the failure data, tiers and row kinds, and each is a copy of the whole estate."""
        pending = self.__dict__.get("_pending")
        if pending and name in pending:
            value = self.__dict__[name] = pending.pop(name)()
            return value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def dependencies_of(self, component: str) -> tuple[str, ...]:
        """``Model.dependencies_of``: the estate's answer (cached on the estate's model) for a component whose
        rows the change left alone, computed here for the others (no copy of the estate's cache)."""
        hit = self._dependencies.get(component)
        if hit is None:
            base = self._patched_from
            if component in self._rows_changed or component not in base.kind:
                hit = Model.dependencies_of(self, component)
            else:
                hit = self._dependencies[component] = base.dependencies_of(component)
        return hit


@dataclasses.dataclass
class Delta:
    """What a change touched, in the terms the re-analysis needs."""

    new: frozenset[str]
    #: components whose own entries (rows, kind, backup settings, backups) changed, and what points at them anew
    touched: frozenset[str]
    #: components whose ``rows_on`` or neighbours' kind or spared state changed (credential theft)
    attack_touched: frozenset[str]
    #: components whose kind or tier changed (then severities may move everywhere: analysed in full)
    relabelled: bool
    #: components whose own entries changed (rows, backups, settings; new ones): what an asset's closure reads
    local: frozenset[str] = frozenset()


def _with(table: dict, steps: Iterable[tuple]) -> dict:
    """A copy of ``table`` with ``steps`` done in order: ``(key, value)`` sets, ``(key,)`` takes a key out."""
    out = dict(table)
    for step in steps:
        if len(step) == 2:
            out[step[0]] = step[1]
        else:
            out.pop(step[0], None)
    return out


def _targets(m: Model, c: str) -> set[str]:
    """Every component ``c`` has a row on (requirement or admin)."""
    if c not in m.kind:
        return set()
    return set(m.dependencies_of(c)) | set(m.administered_by[c])


def _spared_in(m: Model, s: str) -> bool:
    """Whether ``s`` is spared by credential theft in ``m`` (``coupling._spared``, asked of one component)."""
    info = m.backup.get(s)
    if info is not None and (info.immutable or info.offline):
        return True
    if m.kind.get(s) != "backup_store":
        return False
    for b in m.rows_on.get(s, ()):
        i = m.backup.get(b)
        if i is not None and (i.immutable or i.offline) and s in m.dependencies_of(b):
            return True
    return False


def _copy_of(table: dict, name: str, spares: dict | None, copied: dict) -> dict:
    """``dict(table)``, recorded in ``copied`` (name -> the copy, the keys the patch sets or takes out of it).

    From ``spares`` (name -> a copy of ``table`` an evicted candidate's patched model no longer needs, with the
    keys that patch changed: :meth:`Base.changed`) when there is one: those keys put back as ``table`` has them,
    at the cost of that change instead of the estate (a copy of a 100,000-entry dict, and freeing it again, was
    a fifth of the fix search at that size). Keys of ``table`` keep their places and keys it lacks are taken
    out, so the order is a fresh copy's; a spare whose patch took one of ``table``'s keys out is not used (put
    back, that key would come last)."""
    spare = spares.pop(name, None) if spares else None
    if spare is not None and any(k in table and k not in spare[0] for k in spare[1]):
        spare = None  # that patch took a key of ``table`` out
    if spare is None:
        out = dict(table)
    else:
        out, keys = spare
        for k in keys:
            if k in table:
                out[k] = table[k]
            else:
                out.pop(k, None)
    copied[name] = (out, set())
    return out


def patch(base: Model, edits: Sequence, spares: dict | None = None) -> tuple[Model, Delta]:
    """The model of ``base``'s inventory with ``edits`` applied, built from ``base`` (see the module), and what
    the change touched. Raises ``edits.EditError`` as ``apply_changes`` does. ``spares``: dict copies to reuse
    (:func:`_copy_of`)."""
    from .edits import Staged

    staged = Staged(base.inventory).apply(edits)  # EditError as apply_changes raises it; no table is built
    new: set[str] = set()
    comp_set: set[str] = set()
    row_comps: set[str] = set()
    bk: set[str] = set()
    relabel = False
    for e in edits:
        r = e.fields
        if e.op == "add_component":
            new.add(r["id"])
        elif e.op in ("add_dependency", "remove_dependency"):
            row_comps.add(r["component"])
        elif e.op == "add_backup":
            bk.add(r["id"])
            if r["id"] not in base.kind:
                new.add(r["id"])
        elif e.op == "set" and e.table == "backups":
            bk.add(e.id)
        elif e.op == "set" and e.table == "components":
            comp_set.add(e.id)
            relabel = relabel or e.column in ("kind", "tier")
    t_comp = new | comp_set
    t_rows = row_comps | new
    t_bk = bk | {b for c in comp_set for b in base.backups_of.get(c, ())}

    mm = Model(_cut(base.inventory, staged, edits, t_comp, t_rows, t_bk))

    m = object.__new__(PatchedModel)
    m.__dict__.update({k: v for k, v in base.__dict__.items()
                       if k not in ("graph", "_graph", "inventory", "_inventory", "_staged", "_pending")})
    m._staged = staged
    pending: dict[str, Callable[[], dict]] = {}  # the tables copied when first read (``PatchedModel.__getattr__``)
    m._pending = pending
    m._dependencies = {}  # dependencies_of: the estate's model answers for the components whose rows are its own
    m._patched_from, m._rows_changed = base, frozenset(t_rows)
    copied: dict[str, tuple[dict, set]] = {}  # the estate's dicts copied for this model, and the keys set in each
    m._copied = copied
    if new:  # the estate's sorted ids with the new ones put in place (no sort of the whole estate)
        ids = list(base.ids)
        for x in sorted(x for x in new if x not in base.kind):
            bisect.insort(ids, x)
        m.ids = tuple(ids)
    if t_comp:
        m.kind = kind = _copy_of(base.kind, "kind", spares, copied)
        for x in t_comp:
            kind[x] = mm.kind[x]
        copied["kind"][1].update(t_comp)
        for attr in ("data_gb", "tier", "probability"):
            m.__dict__.pop(attr, None)
            pending[attr] = functools.partial(_with, getattr(base, attr), [(x, getattr(mm, attr)[x]) for x in t_comp])
    old_targets: set[str] = set()
    old_req: set[str] = set()
    for x in t_rows:
        if x in base.kind:
            old_req |= set(base.dependencies_of(x))
            old_targets |= _targets(base, x)
    new_targets: set[str] = set()
    new_req: set[str] = set()
    admin: dict[str, tuple[str, ...]] = {}  # the admin rows of the components whose rows changed

    def targets_after(c: str) -> set[str]:
        """``_targets(m, c)``, its admin rows read without making ``m.administered_by``."""
        if c not in m.kind:
            return set()
        return set(m.dependencies_of(c)) | set(admin[c] if c in admin else base.administered_by[c])

    if t_rows:
        requires, groups = _copy_of(base.requires, "requires", spares, copied), _copy_of(base.groups, "groups", spares, copied)
        row_kinds: list[tuple] = []  # the edits of the row kinds and directory relations, in order (made lazily)
        relation: list[tuple] = []
        for x in t_rows:
            if x in base.kind:
                for t in _targets(base, x):
                    row_kinds.append(((x, t),))
                    relation.append(((x, t),))
            requires[x] = mm.requires[x]
            groups[x] = mm.groups[x]
            admin[x] = mm.administered_by[x]  # read only by credential theft's rows (made lazily)
            new_req |= set(mm.dependencies_of(x))
            new_targets |= _targets(mm, x)
            for t in _targets(mm, x):
                row_kinds.append(((x, t), mm.row_kinds[(x, t)]))
                if (x, t) in mm.directory_relation:
                    relation.append(((x, t), mm.directory_relation[(x, t)]))
        copied["requires"][1].update(t_rows)
        copied["groups"][1].update(t_rows)
        rows_on, rdeps = _copy_of(base.rows_on, "rows_on", spares, copied), _copy_of(base._rdeps, "_rdeps", spares, copied)
        copied["rows_on"][1].update(new, old_targets, new_targets)
        copied["_rdeps"][1].update(new, old_req, new_req)
        for x in new:
            rows_on[x] = ()
            rdeps[x] = []
        for t in old_targets | new_targets:
            rows_on[t] = tuple(sorted((set(base.rows_on.get(t, ())) - t_rows)
                                      | {x for x in mm.rows_on.get(t, ()) if x in t_rows}))
        for t in old_req | new_req:
            kept = [e for e in base._rdeps.get(t, ()) if e[0] not in t_rows]
            kept += [e for e in mm._rdeps.get(t, ()) if e[0] in t_rows]
            rdeps[t] = sorted(kept, key=lambda e: e[0])
        m.requires, m.groups = requires, groups
        m.__dict__.pop("administered_by", None)
        pending["administered_by"] = functools.partial(_with, base.administered_by, list(admin.items()))
        m.rows_on, m._rdeps = rows_on, rdeps
        for attr, steps in (("row_kinds", row_kinds), ("directory_relation", relation)):
            m.__dict__.pop(attr, None)
            pending[attr] = functools.partial(_with, getattr(base, attr), steps)
    restore_ends: set[str] = set()
    assets_hit: set[str] = set()
    if t_bk:
        backup = _copy_of(base.backup, "backup", spares, copied)
        copied["backup"][1].update(t_bk)
        for x in t_bk:
            old = base.backup.get(x)
            if old is not None:
                assets_hit.add(old.protects)
                if old.restore_to is not None:
                    restore_ends.add(old.restore_to)
            info = mm.backup[x]
            backup[x] = info
            assets_hit.add(info.protects)
            if info.restore_to is not None:
                restore_ends.add(info.restore_to)
        backups_of = _copy_of(base.backups_of, "backups_of", spares, copied)
        order = _copy_of(base._backup_order, "_backup_order", spares, copied)
        copied["backups_of"][1].update(assets_hit)
        copied["_backup_order"][1].update(assets_hit)
        changed_of: dict[str, set[str]] = {}  # asset -> the changed backups protecting it (grouped once: a
        for y in t_bk:                         # composite fix adds thousands)
            changed_of.setdefault(backup[y].protects, set()).add(y)
        for a in assets_hit:
            bs = tuple(sorted({y for y in base.backups_of.get(a, ()) if backup[y].protects == a}
                              | changed_of.get(a, set())))
            if bs:
                backups_of[a] = bs
                order[a] = tuple(sorted(bs, key=lambda y: (backup[y].solo_restore_hours, y)))
            else:
                backups_of.pop(a, None)
                order.pop(a, None)
        m.backup, m.backups_of, m._backup_order = backup, backups_of, order
        if any((a in backups_of) != (a in base.backups_of) for a in assets_hit):  # an asset gained or lost all
            m.assets = tuple(sorted(backups_of))
            m._asset_set = frozenset(m.assets)
        restore_ends |= assets_hit
    m._closures = OrderedDict()

    touched = set(t_comp) | set(t_rows) | set(t_bk) | old_req | new_req | restore_ends
    # credential theft: whose rows_on changed, and the row targets of what changed kind or spared state
    spared_cands = set(t_bk) | set(comp_set) | {x for x in t_rows if x in m.backup}
    for x in list(spared_cands):
        if x in m.backup:
            spared_cands |= {t for t in _targets(base, x) | targets_after(x) if m.kind.get(t) == "backup_store"}
    flipped = {s for s in spared_cands if _spared_in(base, s) != _spared_in(m, s)}
    attack = set(old_targets | new_targets | new)
    for s in flipped | comp_set | new:
        attack |= _targets(base, s) | targets_after(s)
    local = frozenset(set(t_comp) | set(t_rows) | set(t_bk) | assets_hit)
    return m, Delta(frozenset(new), frozenset(touched), frozenset(attack), relabel, local)


def _cut(inv, staged, edits: Sequence, t_comp: set[str], t_rows: set[str], t_bk: set[str]):
    """The changed inventory cut to what the change touched: the rows of ``t_rows``, the backups ``t_bk``, and
    the components they and ``t_comp`` name, as the whole changed tables hold them (same order, same types).

    Read from the staged edits (``edits.Staged.cut``: the estate's own rows of those components and backups,
    the rows the edits add, the cells they set), so it costs the change, not the estate; an estate with an id on
    two rows is cut by :func:`_touched_tables` instead."""
    need = _needed(staged, t_comp, t_rows, t_bk)
    got = staged.cut(need, t_rows, t_bk, records=True)
    return _touched_tables(inv, staged, edits, t_comp, t_rows, t_bk, need) if got is None else got


def _needed(staged, t_comp: set[str], t_rows: set[str], t_bk: set[str]) -> set[str]:
    """The components a cut keeps: the touched ones, what the changed rows ``t_rows`` depend on, and what the
    changed backups ``t_bk`` protect, restore to and alert through (as the staged edits leave them)."""
    need = set(t_comp) | set(t_rows) | set(t_bk)
    for comp in t_rows:
        need.update(str(r["depends_on"]) for r in staged.dependency_rows(comp))
    for bid in t_bk:
        row = staged.backup(bid)
        if row is not None:
            need.update(row[col] for col in ("protects", "restore_to", "alert_channel") if isinstance(row[col], str))
    return need


def _touched_tables(inv, staged, edits: Sequence, t_comp: set[str], t_rows: set[str], t_bk: set[str],
                    need: set[str] | None = None):
    """The changed inventory cut to what the change touched: the rows of ``t_rows``, the backups ``t_bk``, and
    the components they and ``t_comp`` name, as the whole changed tables hold them (same order, same types).

    Built by applying the edits to the estate's own rows of those components and backups (read by position),
    so it costs the change, not the estate; the edits were checked on the whole inventory (``staged``), and an
    edit that cannot be replayed on the cut (one naming a row outside it) falls back to the whole tables."""
    from .edits import EditError

    sb = staged._b
    need = _needed(staged, t_comp, t_rows, t_bk) if need is None else need
    # the edits are replayed one by one, each checked against the rows as they stand then: every component an
    # edit or a replaced cell names is kept on the cut too, and the cut's components are trimmed to ``need`` after
    named = set(need)
    for e in edits:
        named.update(v for v in e.fields.values() if isinstance(v, str))
    for comp in t_rows:
        named.update(str(r["depends_on"]) for r in sb.records(comp))
    for bid in t_bk:
        if bid in sb.backup_at:
            row = sb.backup_row(sb.backup_at[bid])
            named.update(row[col] for col in ("protects", "restore_to", "alert_channel") if isinstance(row[col], str))
    c, d, b = inv.components, inv.dependencies, inv.backups
    cut = dataclasses.replace(
        inv,
        components=c.iloc[sorted(sb.component_at[x] for x in named if x in sb.component_at)],
        dependencies=d.iloc[sorted(i for comp in t_rows for i in sb.rows_at.get(comp, ()))],
        backups=b.iloc[sorted(sb.backup_at[x] for x in t_bk if x in sb.backup_at)],
        restore_tests=inv.restore_tests.iloc[0:0],  # the model reads no restore test
    )
    try:
        out = _replay(cut, edits)
        comps = out.components
        return dataclasses.replace(out, components=comps.loc[comps["id"].isin(need)].reset_index(drop=True))
    except EditError:
        whole = staged.result()
        d, b, c = whole.dependencies, whole.backups, whole.components
        rows = d.loc[d["component"].isin(t_rows)]
        bks = b.loc[b["id"].isin(t_bk)]
        return dataclasses.replace(whole, components=c.loc[c["id"].isin(need)].reset_index(drop=True),
                                   dependencies=rows.reset_index(drop=True), backups=bks.reset_index(drop=True))


def _replay(cut, edits: Sequence):
    """``apply_changes`` on a cut of the inventory, its index kept out of the shared cache (it is used once)."""
    from .edits import Staged, _Base

    return Staged(cut, _Base(cut.components, cut.dependencies, cut.backups)).apply(edits).result()


# -- the base estate's answers, once ------------------------------------------------------------------------


def _in_sorted(items: Sequence[str], x: str) -> bool:
    """Whether ``x`` is in the sorted ``items`` (a binary search)."""
    i = bisect.bisect_left(items, x)
    return i < len(items) and items[i] == x


def _meets(lost: Sequence[str], assets: Sequence[str]) -> bool:
    """Whether the sorted ``lost`` holds one of ``assets`` (``set(lost) & set(assets)``): a binary search per
    asset when they are few, else one pass over ``lost``; never a set of a loss of thousands per strike."""
    if len(assets) <= 32:
        return any(_in_sorted(lost, a) for a in assets)
    return not frozenset(assets).isdisjoint(lost)


def _closure_walk(m: Model, starts: Iterable[str]) -> set[str]:
    """Every component from which one of ``starts`` is reached (``Model.closure``'s walk from all at once)."""
    seen: set[str] = set()
    stack = [s for s in starts if s in m.kind]
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        stack.extend(m.dependencies_of(v))
        for b in m.backups_of.get(v, ()):
            stack.append(b)
            t = m.backup[b].restore_to
            if t is not None:
                stack.append(t)
    return seen


def _group_claims(groups: dict[tuple[str, ...], list[str]], tier: dict) -> dict[tuple[str, ...], bool]:
    """Whether each stolen-credential group's finding is critical or high (best tier of its assets, raised)."""
    out = {}
    for holders, assets in groups.items():
        tiers = [tier.get(a) for a in assets if tier.get(a) is not None]
        out[holders] = coupling.severity_for_tier(min(tiers) if tiers else None, raise_by=1) in _SERIOUS
    return out


def _claims_anew(m: Model, rule: str, cause: str, lost: Sequence[str], before: frozenset[tuple]) -> bool:
    """Whether the assets ``lost`` make a serious finding of ``rule`` and ``cause`` claiming a pair not in ``before``."""
    return _serious_tier(m, lost) and any((rule, cause, a) not in before for a in lost)


def _serious_tier(m: Model, assets: Iterable[str], raise_by: int = 0) -> bool:
    tiers = [m.tier.get(a) for a in assets if m.tier.get(a) is not None]
    return coupling.severity_for_tier(min(tiers) if tiers else None, raise_by) in _SERIOUS


class Base:
    """The base estate's strike answers, computed once and shared by every candidate (see the module)."""

    def __init__(self, m: Model) -> None:
        self.model = m
        self.ub: dict[str, tuple[str, ...]] = coupling.single_failures(m)
        self.holders = [k for k in m.ids if m.kind[k] in _ESC]
        self.destroyed = coupling.compromise_destroyed_sets(m)
        self.cc_lost: dict[str, tuple[str, ...]] = {
            k: coupling.compromise_recovery(m, k).unrecoverable for k in self.holders}
        self._cc_lost_sets: dict[str, frozenset[str]] = {}  # ``cc_lost_set``
        self.hit: dict[str, tuple[str, ...]] = {a: () for a in m.assets}
        acc: dict[str, list[str]] = {a: [] for a in m.assets}
        for k in self.holders:
            for a in self.cc_lost[k]:
                acc[a].append(k)
        self.hit = {a: tuple(v) for a, v in acc.items()}
        self.groups: dict[tuple[str, ...], list[str]] = {}
        for a in m.assets:
            if self.hit[a]:
                self.groups.setdefault(self.hit[a], []).append(a)
        self.corrupt: dict[str, bool] = {a: a in m.recover(self._corruption(m, a)).final_down for a in m.assets}
        # what each holder's destroyed set leaves unrecoverable is known already (``compromise_recovery``)
        self._recoveries: dict[frozenset[str], tuple[str, ...]] = {
            self.destroyed[k]: self.cc_lost[k] for k in self.holders if self.destroyed[k]}
        # escalation graph (``coupling.compromise_destroyed_sets``), reversed: who comes to hold whom
        kind, rows_on = m.kind, m.rows_on
        spared = coupling._spared(m)
        d1 = {v: [c for c in rows_on[v] if kind[c] in coupling.DESTROYABLE_KINDS and c not in spared]
              for v in self.holders}
        self.pred: dict[str, set[str]] = {}
        for v in self.holders:
            for c in rows_on[v]:
                if kind[c] in _ESC:
                    self.pred.setdefault(c, set()).add(v)
            for x in d1[v]:
                for c in rows_on[x]:
                    if kind[c] in _ESC:
                        self.pred.setdefault(c, set()).add(v)
        self._changed: OrderedDict[_EditsKey, Changed] = OrderedDict()
        #: dict copies of evicted candidates' patched models, for the next patch (``_copy_of``)
        self._spares: dict[str, tuple[dict, set]] = {}
        self._fresh_before: frozenset[tuple] | None = None  # the claims ``_fresh`` was read against
        self._fresh: dict[str, bool] = {}
        self._claims_before: frozenset[tuple] | None = None  # the claims ``_claims`` was read against
        self._claims: dict[tuple, bool] = {}
        self._known_tier = {a: t for a, t in m.tier.items() if t is not None}  # ``_claims_anew``'s tier table
        self._index_before: frozenset[tuple] | None = None  # the claims ``_index`` indexes
        self._index: dict[tuple[str, str], set[str]] = {}
        #: restore target -> the backups restoring onto it (the upward walk of ``Changed.affected_assets``)
        self.restored_on: dict[str, list[str]] = {}
        for bid, info in m.backup.items():
            if info.restore_to is not None:
                self.restored_on.setdefault(info.restore_to, []).append(bid)

    @staticmethod
    def _corruption(m: Model, a: str) -> frozenset[str]:
        return frozenset({a} | {b for b in m.backups_of[a] if m.backup[b].method == "replica"})

    def cc_lost_set(self, k: str) -> frozenset[str]:
        """``cc_lost[k]`` as a set, made once per holder: a candidate that moves a holder's loss diffs against it
        (a stolen domain credential loses thousands of assets)."""
        got = self._cc_lost_sets.get(k)
        if got is None:
            got = self._cc_lost_sets[k] = frozenset(self.cc_lost.get(k, ()))
        return got

    def recovery(self, failed: frozenset[str], spent: list[int] | None = None) -> tuple[str, ...]:
        """The base estate's unrecoverable assets after ``failed`` fail (each distinct set once); ``spent``, when
        given, receives the work of a recovery run for it (one plus every component it took down)."""
        hit = self._recoveries.get(failed)
        if hit is None:
            if len(failed) == 1:
                (x,) = failed
                hit = self.ub[x]
            else:
                rec = self.model.recover(failed)
                hit = rec.unrecoverable
                if spent is not None:
                    spent.append(1 + len(rec.initially_down))
            self._recoveries[failed] = hit
        return hit

    def fresh_domain_claim(self, x: str, before: frozenset[tuple]) -> bool:
        """Whether ``x``'s single failure, leaving the estate's assets unrecoverable (``ub[x]``), is serious and
        claims a pair not in ``before``: read once per component and ``before``, as most candidates leave most
        single failures as they were (the kinds and tiers are the estate's: a relabelling change is analysed
        in full)."""
        if self._fresh_before is not before:
            self._fresh_before, self._fresh = before, {}
        hit = self._fresh.get(x)
        if hit is None:
            hit = self._fresh[x] = self._claims_anew("domain", x, self.ub[x], before)
        return hit

    def fresh_claim(self, rule: str, cause: str, lost: tuple[str, ...], before: frozenset[tuple]) -> bool:
        """Whether assets ``lost`` (the estate's own components, read with their estate tiers) make a serious
        finding of ``rule`` and ``cause`` that claims a pair not in ``before``: read once per question and
        ``before``, as many candidates leave a scenario's or a failure's loss as another left it."""
        if self._claims_before is not before:
            self._claims_before, self._claims = before, {}
        key = (rule, cause, lost)
        hit = self._claims.get(key)
        if hit is None:
            hit = self._claims[key] = self._claims_anew(rule, cause, lost, before)
        return hit

    def _claims_anew(self, rule: str, cause: str, lost: tuple[str, ...], before: frozenset[tuple]) -> bool:
        """``_claims_anew`` on the estate, in C-level passes over ``lost``: its best tier through a table of the
        known tiers, and whether ``before`` claims all of it through ``before``'s claims indexed by rule and
        cause (built once per ``before``). A scenario or a failure domain can lose thousands of assets, and
        each candidate that moves one of them asks again."""
        if not lost:
            return False
        if self._index_before is not before:
            index: dict[tuple[str, str], set[str]] = {}
            for r, c, a in before:
                index.setdefault((r, c), set()).add(a)
            self._index_before, self._index = before, index
        # the claims first: most losses are claimed already (one pass, no tier read), and a fresh one is found
        # at its first unclaimed asset
        claimed = self._index.get((rule, cause))
        if claimed is not None and claimed.issuperset(lost):
            return False
        best = min(map(self._known_tier.get, lost, itertools.repeat(_NO_TIER)))
        return coupling.severity_for_tier(None if best is _NO_TIER else best) in _SERIOUS

    def changed(self, edits: Sequence) -> Changed:
        """The changed estate's answers under ``edits`` (the same edits asked again are answered once)."""
        edits = tuple(edits)
        for k, hit in self._changed.items():  # the same candidate asked again: found without hashing its edits
            if k.edits is edits:
                return hit
        key = _EditsKey(edits)
        hit = self._changed.get(key)
        if hit is None:
            hit = self._changed[key] = Changed(self, edits)
            if len(self._changed) > 8:  # each holds a patched model: a few, not many
                self._take_back(self._changed.popitem(last=False)[1])
        return hit

    def _take_back(self, old: Changed) -> None:
        """Keep the dict copies of ``old``'s patched model (just evicted from the cache) as spares for the next
        patch, when nothing else held ``old``, its model or the copy: then they are out of use, and a copy is
        made into the estate's dict again at the cost of its change (``_copy_of``). Anything still holding one
        (a caller's variable, a view of the model) keeps it as it is, and the next patch copies afresh."""
        copied = old.model.__dict__.get("_copied")
        if not copied:
            return
        alive = weakref.ref(old), weakref.ref(old.model)
        del old  # the last reference when the cache held the only one: the candidate and its model are freed
        if alive[0]() is not None or alive[1]() is not None:
            return
        for name, (d, keys) in copied.items():
            # held only by ``copied``, this loop's ``d`` and getrefcount's argument: no one else can read it
            if name not in self._spares and sys.getrefcount(d) == 3:
                self._spares[name] = (d, keys)


class _EditsKey:
    """A candidate's edits as a cache key, hashed once (a composite fix has thousands of edits)."""

    __slots__ = ("edits", "_hash")

    def __init__(self, edits: tuple) -> None:
        self.edits = edits
        self._hash = hash(edits)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _EditsKey) and (self.edits is other.edits or self.edits == other.edits)


class Changed:
    """One candidate change's answers on the whole changed estate, re-analysing only what it can change.

    ``work`` counts what was analysed again: the components touched, and per strike recovered again one plus
    every component it took down (what ``recover`` walks), per attack run again what it held and destroyed.
    """

    def __init__(self, base: Base, edits: tuple) -> None:
        self.base = base
        self.model, self.delta = patch(base.model, edits, base._spares)
        m, b, delta = self.model, base.model, self.delta
        #: single failures (base components) whose outcome can change
        self.reach = _closure_walk(b, delta.touched)
        self.work = len(delta.touched) + 1
        #: the part of ``work`` a budget was already charged for
        self.charged = 0
        self._ub: dict[str, tuple[str, ...]] = {}
        self._destroyed: dict[str, frozenset[str]] = {}
        # holders whose attack can change: they come to hold something next to a touched entry
        z = {v for v in delta.attack_touched if b.kind.get(v) in _ESC}
        for y in delta.attack_touched:
            z |= {v for v in _targets(b, y) if b.kind.get(v) in _ESC}
        stack, hit = list(z), set()
        while stack:
            v = stack.pop()
            if v in hit:
                continue
            hit.add(v)
            stack.extend(base.pred.get(v, ()))
        if delta.relabelled:  # a kind changed: read every component again
            self.holders = [k for k in m.ids if m.kind[k] in _ESC]
        else:  # the estate's holders and the new ones (components are only ever added)
            self.holders = sorted([*base.holders, *(k for k in delta.new if m.kind.get(k) in _ESC)])
        self._attack_changed = hit | {k for k in self.holders if k not in base.destroyed}
        self._claims_done: tuple[str, ...] | None = None
        self._closures: dict[str, tuple[set[str], set[str]]] | None = None
        #: (assets whose changed closure a strike reaches, the failed part of those closures) -> those of them
        #: it leaves unrecoverable
        self._fate: dict[tuple[tuple[str, ...], frozenset[str]], frozenset[str]] = {}
        #: assets whose changed closure a strike reaches -> (the union of those closures, its reverse rows)
        self._scopes: dict[tuple[str, ...], tuple[frozenset[str], dict]] = {}

    def closures(self) -> dict[str, tuple[set[str], set[str]]] | None:
        """Asset -> (its closure in the estate, in the changed estate) for every asset whose fate under some
        strike can change: those whose closure holds a component whose own entries changed (an asset's final
        state is read only through its closure, ``Model.closure``). None when there are too many to be worth it."""
        if self._closures is None:
            b, m = self.base.model, self.model
            seen: set[str] = set()
            stack = [x for x in self.delta.local if x in b.kind]
            while stack:
                v = stack.pop()
                if v in seen:
                    continue
                seen.add(v)
                stack.extend(u for u, _ in b._rdeps.get(v, ()))
                info = b.backup.get(v)
                if info is not None:
                    stack.append(info.protects)
                stack.extend(self.base.restored_on.get(v, ()))
                if len(seen) > _UPWARD_LIMIT:
                    self._closures = {}
                    return None
            assets = {a for a in seen if a in m.backups_of or a in b.backups_of}
            assets |= {a for a in self.delta.local if a in m.backups_of}
            self._closures = {a: (_closure_walk(b, [a]), _closure_walk(m, [a])) for a in sorted(assets)}
            self.work += sum(len(c0) + len(c1) for c0, c1 in self._closures.values())
        return self._closures or None

    def _unchanged(self, failed: frozenset[str]) -> bool:
        """Whether ``failed`` (base components) leaves every asset as in the estate: it reaches no asset whose
        closure changed (then the recovery is the estate's, exactly)."""
        cl = self.closures()
        return cl is not None and not any(failed & c0 or failed & c1 for c0, c1 in cl.values())

    def _no_new_loss(self, x: str) -> bool:
        """Whether the failure of ``x`` alone can leave no asset unrecoverable that the estate recovers: every
        asset whose closure changed is lost in the estate already or out of reach of ``x`` in the changed one."""
        cl = self.closures()
        if cl is None:
            return False
        lost = self.base.ub[x]  # sorted
        return not any(x in c1 and not _in_sorted(lost, a) for a, (_, c1) in cl.items())

    # -- strikes ------------------------------------------------------------------------------------------

    def ub(self, x: str) -> tuple[str, ...]:
        """The assets left unrecoverable by ``x`` alone in the changed estate."""
        hit = self._ub.get(x)
        if hit is None:
            if x in self.base.ub and (x not in self.reach or self._unchanged(frozenset((x,)))):
                hit = self.base.ub[x]
            else:
                hit = self._recover(frozenset((x,)))
            self._ub[x] = hit
        return hit

    def _judged(self, failed: frozenset[str]) -> tuple[str, ...] | None:
        """The changed estate's unrecoverable assets after ``failed`` fail, judged on the changed closures; None
        when the change touched too many assets for that to be cheaper than one whole recovery.

        An asset's final state reads only its closure. An asset whose closure
        holds no changed entry has the same closure, the same entries and so
        the same fate as in the estate: the estate's answer for the failed
        components it has (``Base.recovery``; a new component is in no such
        closure). The assets whose changed closure ``failed`` reaches are
        recovered inside the union of those closures (``Model.lost_within``,
        closed as each closure is): exact, and it costs those closures, not
        the estate.
        """
        cl = self.closures()
        if cl is None or len(cl) > JUDGED_LIMIT:
            return None
        # the estate's components (none is ever removed); the set itself when it has no new one (its hash is kept)
        old = failed if type(failed) is frozenset and failed.isdisjoint(self.delta.new) \
            else frozenset(failed).difference(self.delta.new)
        spent: list[int] = []
        before = self.base.recovery(old, spent) if old else ()
        self.work += sum(spent)
        # the estate's answer for the assets whose closure changed does not hold (``before`` is sorted)
        changed = [a for a in cl if _in_sorted(before, a)]
        hit = [a for a, (_, c1) in cl.items() if not failed.isdisjoint(c1)]
        fates: frozenset[str] = frozenset()
        if hit:
            scope, rdeps = self._scope(tuple(hit))
            key = (tuple(hit), frozenset(failed & scope))
            fates = self._fate.get(key)
            if fates is None:
                lost, walked = self.model.lost_within(key[1], scope, rdeps)
                fates = self._fate[key] = frozenset(lost).intersection(hit)
                self.work += 1 + walked
        if not changed and not fates:
            return before  # sorted already
        out = list(before)  # sorted: a few taken out and put in keep it sorted without a sort of the whole
        for a in changed:
            if a not in fates:
                del out[bisect.bisect_left(out, a)]
        for a in fates:
            if not _in_sorted(before, a):
                bisect.insort(out, a)
        return tuple(out)

    def _scope(self, hit: tuple[str, ...]) -> tuple[frozenset[str], dict]:
        """The union of the changed closures of ``hit`` and its reverse rows (``Model.scope_rdeps``), built once
        per set of assets: many strikes reach the same ones."""
        got = self._scopes.get(hit)
        if got is None:
            cl = self._closures
            scope = frozenset(cl[hit[0]][1]) if len(hit) == 1 else frozenset().union(*(cl[a][1] for a in hit))
            got = self._scopes[hit] = (scope, self.model.scope_rdeps(scope))
        return got

    def destroyed(self, k: str) -> frozenset[str]:
        """What holding ``k`` destroys in the changed estate."""
        hit = self._destroyed.get(k)
        if hit is None:
            if k in self._attack_changed:
                attack = coupling.compromise_reach(self.model, k)
                hit = attack.destroyed
                self.work += 1 + len(attack.held) + len(hit)
            else:
                hit = self.base.destroyed[k]
            self._destroyed[k] = hit
        return hit

    def failures(self, fail: Iterable[str], mode: str | None) -> frozenset[str]:
        """``coupling.scenario_failures`` of the changed estate."""
        if mode == "credential_compromise":
            fail = sorted(set(fail))
            if all(self.model.kind.get(k) in _ESC for k in fail):
                if len(fail) == 1:  # the holder's own set: its hash is kept, and the estate's recoveries are
                    return self.destroyed(fail[0])  # found by it without comparing the sets element by element
                return frozenset().union(*(self.destroyed(k) for k in fail))
            return coupling.credential_compromise(self.model, fail).destroyed
        return coupling.scenario_failures(self.model, fail, mode)

    def lost(self, failed: frozenset[str]) -> tuple[str, ...]:
        """The changed estate's unrecoverable assets after ``failed`` fail."""
        if len(failed) == 1:
            (x,) = failed
            if x in self.model.kind:
                return self.ub(x)
        if failed.isdisjoint(self.delta.new) and (not (failed & self.reach) or self._unchanged(failed)):
            return self.base.recovery(failed)
        return self._recover(failed)

    def _recover(self, failed: frozenset[str]) -> tuple[str, ...]:
        """The changed estate's unrecoverable assets after ``failed`` fail (``recover``), its work counted: per
        asset whose closure changed, what its own recovery walked (:meth:`_judged`), else one per strike and per
        component the whole recovery took down."""
        judged = self._judged(failed)
        if judged is not None:
            return judged
        rec = self.model.recover(failed)
        self.work += 1 + len(rec.initially_down)
        return rec.unrecoverable

    def resolved(self, problem, before: Iterable[str] | None = None) -> bool:
        """``advice.resolved`` of the changed estate."""
        strikes = list(problem.strikes)
        if problem.mode == "credential_compromise" and before is not None:
            before = before if isinstance(before, (set, frozenset)) else set(before)
            strikes += [(c,) for c in self.holders if c not in before]
        for s in strikes:
            if not all(c in self.model.kind for c in s):
                continue
            failed = self.failures(s, problem.mode)
            if failed and _meets(self.lost(failed), problem.assets):
                return False
        return True

    # -- findings -----------------------------------------------------------------------------------------

    def new_findings(self, before: frozenset[tuple]) -> tuple[str, ...]:
        """The ids of the critical or high coupling findings of the changed estate that claim something not in
        ``before`` (``advice.Context.new_findings``)."""
        if self._claims_done is not None and self._claims_done[0] is before:
            return self._claims_done[1]
        out = self._new_findings(before)
        self._claims_done = (before, out)
        return out

    def _new_findings(self, before: frozenset[tuple]) -> tuple[str, ...]:
        m, base = self.model, self.base
        if self.delta.relabelled:
            from .advice import _claims, serious_findings

            self.work += len(m.ids)
            return tuple(sorted(f.id for f in serious_findings(m).values() if _claims(f) - before))
        ids: set[str] = set()
        # failure domains: every single failure that can change, and the new components
        cand = sorted({x for x in self.reach if x in m.kind} | self.delta.new)
        fresh_groups = set()
        for x in cand:
            if x not in self.delta.new and x not in self._ub:
                if self._unchanged(frozenset((x,))):
                    self._ub[x] = base.ub[x]
                    continue
                if self._no_new_loss(x):
                    continue  # its unrecoverable assets are some of the estate's: it claims nothing new
            lost = self.ub(x)
            if lost and (base.fresh_domain_claim(x, before) if lost == base.ub.get(x) else self._fresh_claim(
                    "domain", x, lost, before)):
                fresh_groups.add(lost)
        if fresh_groups:
            from .advice import failure_domains

            full = {x: (self.ub(x) if x in self.reach or x in self.delta.new else base.ub[x]) for x in m.ids}
            only = {x: (v if v in fresh_groups else ()) for x, v in full.items()}
            for dom in failure_domains(m, only):
                if any(("domain", x, a) not in before for x in dom.members for a in dom.assets):
                    ids.add(f"coupling:domain:{dom.root}")
        # stolen credentials: the holders whose attack or recovery can change, and the groups they move
        lost_of: dict[str, tuple[str, ...]] = {}
        moved: set[str] = set()
        for k in self.holders:
            if k in self._attack_changed:
                d = self.destroyed(k)
            else:
                d = base.destroyed[k]
                if not (d & self.reach) or self._unchanged(d):
                    continue
            lost_of[k] = self.lost(d) if d else m.recover(d).unrecoverable
            if lost_of[k] != base.cc_lost.get(k, ()):
                moved |= base.cc_lost_set(k).symmetric_difference(lost_of[k])
        cc_ids = set()
        hit: dict[str, tuple[str, ...]] = {}
        if moved:
            for a in moved:
                if a not in m.backups_of:
                    continue
                hit[a] = tuple(k for k in self.holders  # each holder's loss is a sorted tuple
                               if _in_sorted(lost_of[k] if k in lost_of else base.cc_lost.get(k, ()), a))
            touched_groups = {base.hit.get(a, ()) for a in moved} | set(hit.values())
            touched_groups.discard(())
            groups: dict[tuple[str, ...], list[str]] = {}
            for g in touched_groups:
                groups[g] = [a for a in base.groups.get(g, ()) if a not in hit]
            for a, g in hit.items():
                if g:
                    groups.setdefault(g, []).append(a)
            for g, members in groups.items():
                if members and _serious_tier(m, members, 1) and any(
                        ("credential_compromise", k, a) not in before for k in g for a in members):
                    cc_ids.add("coupling:threat:credential_compromise:" + "+".join(g))
        ids |= cc_ids
        # corruption: the assets whose corruption strike can change (the asset or one of its replicas is reached
        # from a change, its backups changed, or it is newly protected)
        maybe = {a for a in self.reach if a in m.backups_of}
        maybe |= {m.backup[x].protects for x in self.reach if x in m.backup and m.backup[x].method == "replica"}
        maybe |= {a for a in self.delta.local if a in m.backups_of}
        if m.assets is not base.model.assets:
            maybe |= {a for a in m.assets if a not in base.corrupt}
        for a in sorted(maybe):
            failed = base._corruption(m, a)
            if a in base.corrupt and a not in self.reach and not (failed & self.reach) \
                    and failed == base._corruption(base.model, a):
                continue
            closure = m.closure(a)
            lost, walked = m.lost_within(failed, closure)  # its fate reads its closure only
            self.work += 1 + walked + len(closure)
            if a in lost and _serious_tier(m, (a,), 1) \
                    and ("logical_corruption", "", a) not in before:
                ids.add(f"coupling:threat:logical_corruption:{a}")
        ids |= self._scenario_ids(before, hit)
        return tuple(sorted(ids))

    def _scenario_ids(self, before: frozenset[tuple], hit: dict[str, tuple[str, ...]]) -> set[str]:
        from .advice import _slug

        m = self.model
        out: set[str] = set()
        seen: set[str] = set()
        for s in self.base.model.inventory.meta.scenarios:  # an edit never changes the scenarios (the meta)
            failed = self.failures(s.fail, s.mode)
            if not failed:
                continue
            lost = self.lost(failed)
            if not lost:
                continue
            fail = tuple(sorted(s.fail))
            if len(fail) == 1:
                (x,) = fail
                if x in m.kind and self.ub(x) == lost:
                    continue
                if self._covered_by_holder(x, lost, hit):
                    continue
            slug = _slug(s.name)
            if slug in seen:
                continue
            seen.add(slug)
            if self._fresh_claim("scenario", slug, lost, before):
                out.add(f"coupling:scenario:{slug}")
        return out

    def _fresh_claim(self, rule: str, cause: str, lost: tuple[str, ...], before: frozenset[tuple]) -> bool:
        """``Base.fresh_claim`` of the changed estate: the estate's memo while ``lost`` holds no new component
        (the tiers are the estate's: a relabelling change is analysed in full)."""
        if self.delta.new.isdisjoint(lost):
            return self.base.fresh_claim(rule, cause, lost, before)
        return _claims_anew(self.model, rule, cause, lost, before)

    def _covered_by_holder(self, x: str, lost: tuple[str, ...], hit: dict[str, tuple[str, ...]]) -> bool:
        """Whether a stolen-credential finding of the changed estate holds ``x`` and claims exactly ``lost``
        (``hit``: the holders of the assets whose holders changed)."""
        m, base = self.model, self.base
        if m.kind.get(x) not in _ESC:
            return False
        g = hit.get(lost[0], base.hit.get(lost[0], ()))
        if x not in g:
            return False
        members = [a for a in base.groups.get(g, ()) if a not in hit] + [a for a, h in hit.items() if h == g]
        return tuple(sorted(members)) == lost
