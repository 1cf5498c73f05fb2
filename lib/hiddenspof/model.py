"""The failure model of an inventory: down-propagation, recovery paths and the restore-order fixpoint.

Semantics (``docs/inventory-format.md``, implemented exactly):

* A component's *requirements are met* when every ungrouped dependency row
  points at an up component and every group of its rows has at least
  ``needs`` members up. The same target may appear ungrouped and in a group:
  each row counts.
* ``down(failed)`` is the **least** fixpoint: the smallest set containing
  ``failed`` and every component whose requirements are not met by the
  components outside it. It is computed by propagation from the failed set
  along reverse dependency rows, so a cycle that nothing forces down stays
  up, and the cost is proportional to the part of the graph the failures
  reach, not to the size of the estate.
* Rows of kind ``admin`` (any case) are **not requirements**: they play no
  part in down sets, recovery paths or anything built on them. They are kept
  apart (``Model.administered_by``, ``Model.rows_on``) for the credential
  compromise threat, where they give the holder of the target reach.
* A recovery path via backup ``B`` of asset ``A`` is up when ``B`` is up and
  either ``B.restore_to`` is up or, with no ``restore_to``, ``A``'s own
  requirements are met.
* ``recover(failed)`` runs restore rounds: in each round every down asset
  with an up path is restored (simultaneously). A restored asset with a
  ``restore_to`` ``T`` is up exactly while ``T`` is up (its own rows stop
  applying); with no ``restore_to`` it is no longer failed and is up while its
  own requirements are met. Failed components that are not restored stay
  failed. Rounds repeat until no restore is possible. Each round only shrinks
  the down set (a restore replaces a down component's requirements by ones
  that are met), so the up paths of a round stay up and the final state does
  not depend on which path is chosen.

**Choice of backup.** When several paths are up for an asset in a round, the
model records every alternative and chooses the one with the shortest *solo
restore time* (``size_gb`` / ``restore_mb_s``, unknown counts as infinitely
slow), ties broken by backup id (Unicode code points). The choice only changes
where the asset runs (what the capacity simulation charges), never what ends
up, because every alternative's target stays up.

**Default failure probabilities** (chance of failing within a year, used when
``failure_probability`` is empty) are in ``DEFAULT_PROBABILITY``: order-of-
magnitude figures of the kind reliability engineers use for screening
(single services and jobs fail often; shared platforms rarely; whole regions
and providers very rarely). They are deliberately coarse: an analyst who
knows better fills the column.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from .collector import paused
from .errors import HiddenspofError
from .inventory import DIRECTORY_NOTE, is_admin

__all__ = [
    "DEFAULT_PROBABILITY",
    "BackupInfo",
    "Model",
    "Recovery",
    "Restore",
    "UnknownComponentError",
    "build",
]

#: Yearly failure probability by kind, used when ``failure_probability`` is empty.
DEFAULT_PROBABILITY: dict[str, float] = {
    "service": 0.05,
    "datastore": 0.03,
    "backup": 0.05,
    "backup_store": 0.02,
    "recovery_tool": 0.05,
    "identity": 0.01,
    "credentials": 0.02,
    "network": 0.02,
    "dns": 0.01,
    "control_plane": 0.01,
    "kms": 0.005,
    "monitoring": 0.05,
    "alerting": 0.05,
    "site": 0.01,
    "region": 0.002,
    "account": 0.005,
    "provider": 0.001,
    "team": 0.02,
    "other": 0.02,
}
_FALLBACK_PROBABILITY = 0.02
#: Closures kept per model (the most recently asked): findings ask again for the asset at hand.
_CLOSURES_KEPT = 1024


class UnknownComponentError(HiddenspofError, KeyError):
    """Raised when a failure set names an id that is not a component of the inventory."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class BackupInfo:
    """What the model knows about one backup (``size_gb`` falls back to the asset's ``data_gb``)."""

    id: str
    protects: str
    method: str | None
    restore_to: str | None
    immutable: bool
    offline: bool
    size_gb: float | None
    restore_mb_s: float | None
    verification: str | None
    alert_channel: str | None
    schedule_hours: float | None = None
    retention_days: float | None = None

    @property
    def solo_restore_hours(self) -> float:
        """Hours to restore from this backup alone (``inf`` when size or rate is unknown); 1 GB = 1024 MB."""
        if self.size_gb is None or self.restore_mb_s is None or self.restore_mb_s <= 0:
            return math.inf
        return self.size_gb * 1024.0 / self.restore_mb_s / 3600.0


@dataclass(frozen=True)
class Restore:
    """One restore made in a round: ``backup`` chosen among ``alternatives`` (every backup whose path was up)."""

    asset: str
    backup: str
    wave: int
    alternatives: tuple[str, ...]


@dataclass(frozen=True)
class Recovery:
    """The outcome of ``Model.recover``: what went down, the restore waves, and what stayed down."""

    failed: frozenset[str]
    initially_down: frozenset[str]
    final_down: frozenset[str]
    waves: tuple[tuple[Restore, ...], ...]
    unrecoverable: tuple[str, ...]

    @property
    def restores(self) -> tuple[Restore, ...]:
        """Every restore, wave by wave, sorted by asset within a wave."""
        return tuple(r for wave in self.waves for r in wave)


def _text(value) -> str | None:
    """A clean text cell or None for missing."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def _number(value) -> float | None:
    """A float cell or None for missing."""
    if value is None or value is pd.NA:
        return None
    x = float(value)
    return None if math.isnan(x) else x


def _numbers(column) -> list[float | None]:
    """``_number`` of every cell of a column, in one pass over its Python values."""
    return [None if v is None or v is pd.NA or v != v else float(v) for v in column.tolist()]


def _texts(column) -> list[str | None]:
    """``_text`` of every cell of a column; each distinct cell is cleaned once (few distinct values repeat)."""
    seen: dict = {}
    out = []
    for v in column.tolist():
        try:
            t = seen[v]
        except KeyError:
            t = seen[v] = _text(v)
        except TypeError:  # unhashable: clean it where it stands
            t = _text(v)
        out.append(t)
    return out


#: The sorted kinds of a component's rows on one target, by bit set (1 admin, 2 grouped, 4 plain).
_ROW_KIND_SETS = tuple(
    tuple(name for bit, name in ((1, "admin"), (2, "grouped"), (4, "plain")) if mask & bit) for mask in range(8)
)


def _codes(position: dict[str, int], column: pd.Series) -> np.ndarray:
    """The position of each cell's id among the sorted component ids: numbers that sort as the ids do
    (``KeyError`` for an id that is not a component)."""
    values = column.tolist()
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        values = [str(x) for x in values]
    return np.fromiter(map(position.__getitem__, values), dtype=np.int64, count=len(values))


def _split(ids: tuple[str, ...], values: tuple | list, counts: np.ndarray) -> dict:
    """``{ids[i]: the next counts[i] values}``: slices of ``values`` (tuples of a tuple, lists of a list)."""
    ends = np.cumsum(counts).tolist()
    return dict(zip(ids, [values[a:b] for a, b in zip([0, *ends[:-1]], ends)]))


def _requirement_rows(deps: pd.DataFrame) -> tuple[list, list, np.ndarray, list[str | None]]:
    """The ``kind`` cells, their text, which rows are ``admin`` rows, and the cleaned ``group`` cells."""
    kinds = deps["kind"].tolist()
    admin_kind = {k: is_admin(k) for k in set(kinds)}  # few distinct kind cells
    kind_text = {k: _text(k) for k in admin_kind}
    admin = np.fromiter((admin_kind[k] for k in kinds), dtype=bool, count=len(kinds))
    return kinds, kind_text, admin, _texts(deps["group"])


class _Neighbours:
    """Component -> its neighbours in one direction of ``_Adjacency``, as a dict (keys only, in order), made when
    first asked for; ``KeyError`` for an id that is not a component, as the graph's adjacency gives."""

    __slots__ = ("_position", "_names", "_ends", "_made")

    def __init__(self, position: dict[str, int], names: list[str], ends: list[int]) -> None:
        self._position, self._names, self._ends = position, names, ends
        self._made: dict[str, dict[str, None]] = {}

    def __getitem__(self, c: str) -> dict[str, None]:
        hit = self._made.get(c)
        if hit is None:
            i = self._position[c]
            hit = self._made[c] = dict.fromkeys(self._names[self._ends[i - 1] if i else 0: self._ends[i]])
        return hit


class _Adjacency:
    """The adjacency of ``Model.graph`` without building the graph: ``succ[c]`` the targets of ``c``'s
    requirement rows, ``pred[c]`` the components with a requirement row on ``c``, each in the graph's order (row
    order of the first row of each pair); ``c in adjacency`` for a component. Made from the same rows as
    ``_dependency_graph``, each component's neighbours written out only when asked for: the analysis reads a few
    paths and stores, and the whole graph (its attribute dicts, both directions) is hundreds of MB at 100,000
    components."""

    def __init__(self, ids: tuple[str, ...], deps: pd.DataFrame) -> None:
        self._position = position = dict(zip(ids, range(len(ids))))
        empty = [0] * len(ids)
        if not len(deps):
            self.succ = _Neighbours(position, [], empty)
            self.pred = _Neighbours(position, [], empty)
            return
        ci, ti, rows = _first_requirement_rows(ids, position, deps)
        id_arr = np.array(ids, dtype=object)
        u, v = ci[rows], ti[rows]
        made = []
        for key, other in ((u, v), (v, u)):
            order = np.argsort(key, kind="stable")
            made.append(_Neighbours(position, id_arr[other[order]].tolist(),
                                    np.cumsum(np.bincount(key, minlength=len(ids))).tolist()))
        self.succ, self.pred = made

    def __contains__(self, c) -> bool:
        return c in self._position


def _first_requirement_rows(ids: tuple[str, ...], position: dict[str, int], deps: pd.DataFrame):
    """(component code of each row, target code of each row, the first requirement row of each pair in row order)."""
    ci, ti = _codes(position, deps["component"]), _codes(position, deps["depends_on"])
    _, _, admin, _ = _requirement_rows(deps)
    req = np.flatnonzero(~admin)
    _, first = np.unique(ci[req] * len(ids) + ti[req], return_index=True)
    return ci, ti, req[np.sort(first)]


def _dependency_graph(ids: tuple[str, ...], kind: dict[str, str], deps: pd.DataFrame) -> nx.DiGraph:
    """The requirement rows as a ``networkx.DiGraph`` (see ``Model.graph``): nodes in id order, an edge per
    (component, depends_on) pair with the attributes of its first requirement row, in the order of the rows.

    The graph ``add_nodes_from`` and ``add_edges_from`` would build, written
    straight into its adjacency dicts (``_node``, ``_succ``, ``_pred``; the
    same attribute dict shared by both directions, as networkx does): the
    successors of a node are the targets of its rows in row order, its
    predecessors the components with a row on it in row order.
    """
    graph = nx.DiGraph()
    node, succ, pred = graph._node, graph._succ, graph._pred
    node.update(zip(ids, [{"kind": kind[c]} for c in ids]))
    succ.update(zip(ids, [{} for _ in ids]))
    pred.update(zip(ids, [{} for _ in ids]))
    if not len(deps):
        return graph
    position = dict(zip(ids, range(len(ids))))
    ci, ti = _codes(position, deps["component"]), _codes(position, deps["depends_on"])
    kinds, kind_text, admin, group_txt = _requirement_rows(deps)
    req = np.flatnonzero(~admin)
    _, first = np.unique(ci[req] * len(ids) + ti[req], return_index=True)
    rows = req[np.sort(first)]  # the first requirement row of each pair, in row order
    needs = deps["needs"].iloc[rows].tolist()
    attrs = [
        {"kind": kind_text[kinds[i]], "group": group_txt[i],
         "needs": None if group_txt[i] is None else 1 if n is None or n is pd.NA else int(n)}
        for i, n in zip(rows.tolist(), needs)
    ]
    id_arr = np.array(ids, dtype=object)
    u, v = ci[rows], ti[rows]
    for out, key, other in ((succ, u, v), (pred, v, u)):
        order = np.argsort(key, kind="stable")
        names = id_arr[other[order]].tolist()
        values = [attrs[i] for i in order.tolist()]
        ends = np.cumsum(np.bincount(key, minlength=len(ids))).tolist()
        for c, a, b in zip(ids, [0, *ends[:-1]], ends):
            if a != b:
                out[c].update(zip(names[a:b], values[a:b]))
    return graph

class _Columns:
    """The reverse rows as numbered columns (CSR: ``*_ptr[t]:*_ptr[t + 1]`` indexes the rows on ``t``):
    ungrouped dependants, and the group slots a row on ``t`` counts against (``owner`` goes down when more
    than ``room`` of a slot's member rows are down). Valid for the model whose ``_rdeps``, ``groups`` and
    ``ids`` it was made with (a patched model has its own: it spreads row by row)."""

    __slots__ = ("groups", "id_arr", "ids", "owner", "plain_idx", "plain_ptr", "position", "rdeps", "room",
                 "slot_idx", "slot_ptr")

    def __init__(self, rdeps, groups, ids, id_arr, position, plain_ptr, plain_idx, slot_ptr, slot_idx,
                 owner, room) -> None:
        self.rdeps, self.groups, self.ids, self.id_arr, self.position = rdeps, groups, ids, id_arr, position
        self.plain_ptr, self.plain_idx, self.slot_ptr, self.slot_idx = plain_ptr, plain_idx, slot_ptr, slot_idx
        self.owner, self.room = owner, room


def _gather(ptr: np.ndarray, idx: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``idx[ptr[r]:ptr[r + 1]]`` for every r of ``rows``, concatenated."""
    starts = ptr[rows]
    lens = ptr[rows + 1] - starts
    total = int(lens.sum())
    if not total:
        return idx[:0]
    return idx[np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total)]


def _first_each(values: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """``values`` (indexes below ``len(slot)``) with each value kept once, in no particular order: the set
    ``np.unique`` gives, without its sort (``slot`` is scratch space, overwritten). Each value's slot ends up
    holding one of its positions, so exactly one copy of each matches it."""
    if len(values) < 2:
        return values
    at = np.arange(len(values))
    slot[values] = at
    return values[slot[values] == at]


#: Components a down set is grown to one at a time before it is grown level by level over numbered columns.
_COLUMN_SPREAD_FROM = 256


class _Reverse(list):
    """A component's reverse rows, ``[(dependant, group index or -1)]``, carrying the split the spread reads:
    ``plain``, the dependants with an ungrouped row on it (a set: one C-level difference with the down set
    finds the new ones), and ``grouped``, its group rows in order. A plain list (what ``overlay.patch`` writes
    for a changed target) is split where it is read."""

    __slots__ = ("grouped", "plain")


_NO_DEPENDANTS: frozenset[str] = frozenset()


def _riders(moved: Mapping[str, str | None]) -> dict[str, list[str]]:
    """Restore target -> the assets restored onto it (they are up exactly while it is up)."""
    out: dict[str, list[str]] = {}
    for a, t in moved.items():
        if t is not None:
            out.setdefault(t, []).append(a)
    return out


class Model:
    """The failure model of one inventory; build it with ``build(inventory)``.

    Attributes
    ----------
    inventory : Inventory
    graph : networkx.DiGraph
        Node = component id (attr ``kind``); edge ``u -> v``: u depends on v
        (attrs ``kind``, ``group``, ``needs`` of the first row between them).
        Only requirement rows: ``admin`` rows are not requirements and are
        kept apart (``administered_by``, ``rows_on``, ``row_kinds``); they
        count only for credential compromise. Built when first asked for
        (drawing and path-finding read it; the analysis reads the plain
        indexes ``requires``, ``groups`` and ``dependencies_of``).
    kind : dict[str, str]
    tier : dict[str, int | None]
    assets : tuple[str, ...]
        Sorted ids of the components some backup protects.
    backups_of : dict[str, tuple[str, ...]]
        Asset -> sorted backup ids.
    backup : dict[str, BackupInfo]
    probability : dict[str, float]
        ``failure_probability`` or ``DEFAULT_PROBABILITY`` by kind.
    """

    def __init__(self, inventory) -> None:
        self.inventory = inventory
        comps = inventory.components
        # whole columns at once (``tolist`` gives Python scalars, NaN for empty floats, None or pd.NA for empty cells)
        comp_ids = [str(i) for i in comps["id"].tolist()]
        comp_kinds = [str(k) for k in comps["kind"].tolist()]
        self.ids: tuple[str, ...] = tuple(sorted(comp_ids))
        self.kind: dict[str, str] = dict(zip(comp_ids, comp_kinds))
        self.data_gb: dict[str, float | None] = dict(zip(comp_ids, _numbers(comps["data_gb"])))
        self.tier: dict[str, int | None] = {
            i: (None if t is None else int(t)) for i, t in zip(comp_ids, _numbers(comps["tier"]))
        }
        self.probability: dict[str, float] = {
            i: (q if q is not None else DEFAULT_PROBABILITY.get(k, _FALLBACK_PROBABILITY))
            for i, k, q in zip(comp_ids, comp_kinds, _numbers(comps["failure_probability"]))
        }

        self._rows(inventory.dependencies)

        # backups
        self.backup: dict[str, BackupInfo] = {}
        bk = inventory.backups
        cols = {name: bk[name].tolist() for name in ("id", "protects", "immutable", "offline")}
        for name in ("method", "restore_to", "verification", "alert_channel"):
            cols[name] = _texts(bk[name])
        for name in ("size_gb", "restore_mb_s", "schedule_hours", "retention_days"):
            cols[name] = _numbers(bk[name])
        for (bid, asset, immutable, offline, method, restore_to, verification, alert_channel,
             size, restore_mb_s, schedule_hours, retention_days) in zip(
            cols["id"], cols["protects"], cols["immutable"], cols["offline"], cols["method"], cols["restore_to"],
            cols["verification"], cols["alert_channel"], cols["size_gb"], cols["restore_mb_s"],
            cols["schedule_hours"], cols["retention_days"],
        ):
            bid, asset = str(bid), str(asset)
            if size is None:
                size = self.data_gb.get(asset)
            self.backup[bid] = BackupInfo(
                id=bid,
                protects=asset,
                method=method,
                restore_to=restore_to,
                immutable=bool(immutable),
                offline=bool(offline),
                size_gb=size,
                restore_mb_s=restore_mb_s,
                verification=verification,
                alert_channel=alert_channel,
                schedule_hours=schedule_hours,
                retention_days=retention_days,
            )
        by_asset: dict[str, list[str]] = {}
        for b, info in self.backup.items():
            by_asset.setdefault(info.protects, []).append(b)
        self.backups_of: dict[str, tuple[str, ...]] = {a: tuple(sorted(bs)) for a, bs in by_asset.items()}
        self.assets: tuple[str, ...] = tuple(sorted(by_asset))
        self._asset_set = frozenset(self.assets)
        self._backup_order: dict[str, tuple[str, ...]] = {
            a: tuple(sorted(bs, key=lambda b: (self.backup[b].solo_restore_hours, b)))
            for a, bs in self.backups_of.items()
        }

        self._dependencies: dict[str, tuple[str, ...]] = {}  # dependencies_of, filled as asked
        self._closures: OrderedDict[str, frozenset[str]] = OrderedDict()  # recent closures (asked again and again)

    def _rows(self, deps: pd.DataFrame) -> None:
        """The dependency rows, indexed: requirements, groups, reverse rows, admin rows and row kinds.

        Made from whole columns: components are numbered in id order, so
        that sorting numbers sorts ids (by code point), and every
        per-component list is a slice of one sorted column. Same content and
        order as a pass over the rows: ``requires`` sorted with each row
        counted; a group's ``needs`` from its last row that gives one (else
        1), its members sorted; reverse rows by dependant, its ungrouped rows
        first, then its groups in order; ``row_kinds`` and
        ``directory_relation`` in the order of the first row of each pair.
        """
        ids = self.ids
        n_ids = len(ids)
        id_arr = np.array(ids, dtype=object)
        position = dict(zip(ids, range(n_ids)))
        ci, ti = _codes(position, deps["component"]), _codes(position, deps["depends_on"])
        _, _, admin, group_txt = _requirement_rows(deps)
        grouped = np.fromiter((g is not None for g in group_txt), dtype=bool, count=len(group_txt))
        plain = ~admin & ~grouped
        pair = ci * n_ids + ti

        #: (component, depends_on) -> the sorted kinds of its rows: "admin", "grouped", "plain"
        uniq, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
        bits = np.zeros(len(uniq), dtype=np.int8)
        for bit, rows in ((1, admin), (2, ~admin & grouped), (4, plain)):
            bits[inverse[rows]] |= bit
        order = np.argsort(first, kind="stable")
        pairs = uniq[order]
        self.row_kinds: dict[tuple[str, str], tuple[str, ...]] = dict(zip(
            zip(id_arr[pairs // n_ids].tolist(), id_arr[pairs % n_ids].tolist()),
            [_ROW_KIND_SETS[b] for b in bits[order].tolist()],
        ))
        #: component -> sorted ids that have a row of any kind (plain, grouped or admin) on it
        back = np.sort((uniq % n_ids) * n_ids + uniq // n_ids)
        self.rows_on: dict[str, tuple[str, ...]] = _split(
            ids, tuple(id_arr[back % n_ids].tolist()), np.bincount(back // n_ids, minlength=n_ids))

        #: (component, depends_on) -> the directory relation an ``admin`` row names in its notes
        #: (``directory: MemberOf``, written by the directory import); the attack path quotes it
        self.directory_relation: dict[tuple[str, str], str] = {}
        if admin.any():
            rows = np.flatnonzero(admin)
            notes = deps["notes"].iloc[rows].tolist()
            for c, t, note in zip(ci[rows].tolist(), ti[rows].tolist(), notes):
                note = _text(note)
                if note and note.startswith(DIRECTORY_NOTE):
                    self.directory_relation[(ids[c], ids[t])] = note[len(DIRECTORY_NOTE):].strip()
            held = np.unique(pair[rows])
            #: component -> sorted ids it has an ``admin`` row on (what can administer it)
            self.administered_by: dict[str, tuple[str, ...]] = _split(
                ids, tuple(id_arr[held % n_ids].tolist()), np.bincount(held // n_ids, minlength=n_ids))
        else:
            self.administered_by = dict.fromkeys(ids, ())

        # requirements: ungrouped targets, sorted, each row counted
        req = np.sort(pair[plain])
        self.requires: dict[str, list[str]] = _split(
            ids, id_arr[req % n_ids].tolist(), np.bincount(req // n_ids, minlength=n_ids))

        # groups: (label, needs, sorted members) per component, by label; labels numbered in code-point order
        rows = np.flatnonzero(~admin & grouped)
        labels = np.array([group_txt[i] for i in rows.tolist()], dtype=object)
        label_no, label_index = pd.factorize(labels, sort=True)
        label_names = label_index.tolist()
        n_labels = max(len(label_names), 1)
        gkey = ci[rows] * n_labels + label_no  # one number per (component, group), in (id, label) order
        needs = deps["needs"].iloc[rows].tolist()
        given = dict(zip(gkey.tolist(), needs))  # a group's needs: from its last row that gives one
        given.update((k, n) for k, n in zip(gkey.tolist(), needs) if n is not None and n is not pd.NA)
        o = np.lexsort((ti[rows], gkey))
        keys, starts, counts = np.unique(gkey[o], return_index=True, return_counts=True)
        members = tuple(id_arr[ti[rows][o]].tolist())
        owner = keys // n_labels
        firsts = np.unique(owner, return_index=True)[1]
        slot = np.arange(len(keys)) - np.repeat(firsts, np.diff(np.append(firsts, len(keys))))
        per: dict[int, list] = {}
        for k, c, a, n in zip(keys.tolist(), owner.tolist(), starts.tolist(), counts.tolist()):
            need = given[k]
            per.setdefault(c, []).append((label_names[k % n_labels], 1 if need is None or need is pd.NA else int(need),
                                          members[a:a + n]))
        #: component -> sorted tuple of (group label, needs, sorted members)
        self.groups: dict[str, tuple[tuple[str, int, tuple[str, ...]], ...]] = dict.fromkeys(ids, ())
        self.groups.update((ids[c], tuple(entries)) for c, entries in per.items())

        # reverse rows: target -> [(component, group index or -1)], by component, its ungrouped rows first
        gi = slot[np.searchsorted(keys, gkey)] if len(rows) else np.zeros(0, dtype=np.int64)
        rt = np.concatenate([ti[plain], ti[rows]])
        rc = np.concatenate([ci[plain], ci[rows]])
        rg = np.concatenate([np.full(int(plain.sum()), -1, dtype=np.int64), gi.astype(np.int64)])
        o = np.lexsort((rg, rc, rt))
        entries = list(zip(id_arr[rc[o]].tolist(), rg[o].tolist()))
        ends = np.cumsum(np.bincount(rt, minlength=n_ids)).tolist()
        pt = ti[plain]
        po = np.argsort(pt, kind="stable")
        plain_names = id_arr[ci[plain][po]].tolist()
        plain_ends = np.cumsum(np.bincount(pt, minlength=n_ids)).tolist()
        go = np.lexsort((gi, ci[rows], ti[rows]))
        group_rows = list(zip(id_arr[ci[rows][go]].tolist(), gi[go].tolist()))
        group_ends = np.cumsum(np.bincount(ti[rows], minlength=n_ids)).tolist()
        self._rdeps: dict[str, list[tuple[str, int]]] = {}
        a = pa = ga = 0
        for c, b, pb, gb in zip(ids, ends, plain_ends, group_ends):
            r = self._rdeps[c] = _Reverse(entries[a:b])
            r.plain = frozenset(plain_names[pa:pb]) if pb != pa else _NO_DEPENDANTS
            r.grouped = tuple(group_rows[ga:gb])
            a, pa, ga = b, pb, gb
        # the same reverse rows as numbered columns, for the spread of large down sets (``_down_columns``)
        slots = np.searchsorted(keys, gkey)
        room = counts - np.array([1 if given[k] is None or given[k] is pd.NA else int(given[k])
                                  for k in keys.tolist()], dtype=np.int64)
        gt = ti[rows]
        gpo = np.argsort(gt, kind="stable")
        self._columns = _Columns(
            self._rdeps, self.groups, ids, id_arr, position,
            np.concatenate([[0], np.cumsum(np.bincount(pt, minlength=n_ids))]), ci[plain][po],
            np.concatenate([[0], np.cumsum(np.bincount(gt, minlength=n_ids))]), slots[gpo],
            owner, room,
        )

    @property
    def adjacency(self) -> _Adjacency:
        """``graph``'s successors and predecessors in its order (``adjacency.succ[c]``, ``adjacency.pred[c]``,
        ``c in adjacency``) without building the graph; made when first asked for, from the inventory's rows."""
        deps = self.inventory.dependencies
        got = self.__dict__.get("_adjacency")
        if got is None or got[0] is not deps:  # a model patched from this one has other rows
            got = self.__dict__["_adjacency"] = (deps, _Adjacency(self.ids, deps))
        return got[1]

    @property
    def graph(self) -> nx.DiGraph:
        """The requirement rows as a ``networkx.DiGraph`` (see the class), built when first asked for: the
        analysis itself reads the plain indexes (``requires``, ``groups``, ``dependencies_of``)."""
        g = self.__dict__.get("_graph")
        if g is None:
            g = self.__dict__["_graph"] = _dependency_graph(self.ids, self.kind, self.inventory.dependencies)
        return g

    # -- down-propagation ------------------------------------------------------------

    def _check(self, failed: Iterable[str]) -> frozenset[str]:
        failed = frozenset(failed)
        unknown = sorted(f for f in failed if f not in self.kind)
        if unknown:
            raise UnknownComponentError(
                f"unknown component id(s) in failure set: {', '.join(repr(u) for u in unknown)}; "
                "expected ids listed in components or backups"
            )
        return failed

    def down_after(self, forced: Iterable[str], moved: dict[str, str | None],
                   scope: frozenset[str] | set[str] | None = None,
                   rdeps: Mapping[str, Sequence[tuple[str, int]]] | None = None) -> frozenset[str]:
        """The down set once some restores are made: ``forced`` stay failed, ``moved`` maps
        each restored asset to its restore target (None: restored in place).

        ``scope``, when given, is closed as :meth:`lost_within` needs (every row and every
        ``moved`` target of a member is a member; ``forced`` and ``moved`` are inside it): the
        answer is the down set seen on it, grown inside it alone (``rdeps``: its
        :meth:`scope_rdeps`), at the cost of the scope instead of the estate."""
        if scope is None:
            return frozenset(self._down(forced, moved))
        down = set(forced)
        self._spread(down, list(down), {}, _riders(moved), moved, scope=scope,
                     rdeps=self.scope_rdeps(scope) if rdeps is None else rdeps)
        return frozenset(down)

    def _down(self, forced: Iterable[str], moved: dict[str, str | None]) -> set[str]:
        """Least fixpoint of down-propagation from ``forced``.

        ``moved`` maps restored assets to their restore target (their own rows no
        longer apply, they are up exactly while the target is up) or to None
        (restored in place: own rows apply).
        """
        on_target = _riders(moved)
        down: set[str] = set(forced)
        columns = self.__dict__.get("_columns")
        if (columns is None or columns.rdeps is not self._rdeps or columns.groups is not self.groups
                or columns.ids is not self.ids):
            self._spread(down, list(down), {}, on_target, moved)
            return down
        if self._spread_few(down, list(down), on_target, moved, _COLUMN_SPREAD_FROM):
            return down
        return self._down_columns(columns, forced, moved, on_target)

    def _spread_few(self, down: set[str], stack: list[str], on_target: dict[str, list[str]],
                    moved: dict[str, str | None], limit: int) -> bool:
        """``_spread`` from scratch, given up (False) once more than ``limit`` components are taken."""
        reverse, groups = self._rdeps, self.groups
        lost: dict[tuple[str, int], int] = {}
        taken = 0
        while stack:
            taken += 1
            if taken > limit:
                return False
            v = stack.pop()
            if on_target:
                for u in on_target.get(v, ()):
                    if u not in down:
                        down.add(u)
                        stack.append(u)
            r = reverse[v]
            plain = r.plain
            if plain:
                new = plain - down
                if new:
                    if moved:
                        new = [u for u in new if moved.get(u) is None]
                    down.update(new)
                    stack.extend(new)
            for u, gi in r.grouped:
                if u in down or (moved and moved.get(u) is not None):
                    continue
                _, needs, members = groups[u][gi]
                n = lost.get((u, gi), 0) + 1
                lost[(u, gi)] = n
                if len(members) - n < needs:
                    down.add(u)
                    stack.append(u)
        return True

    def _down_columns(self, columns: _Columns, forced: Iterable[str], moved: dict[str, str | None],
                      on_target: dict[str, list[str]]) -> set[str]:
        """``_down`` level by level over the numbered reverse rows: each level takes the ungrouped
        dependants and the group slots of every component found down in the level before at once; the
        least fixpoint is the same (a component's rows are counted once, when it goes down)."""
        position = columns.position
        n = len(columns.ids)
        down = np.zeros(n, dtype=bool)
        pinned = np.zeros(n, dtype=bool)  # restored onto a target: its own rows no longer apply
        pinned_ids = [position[u] for u, t in moved.items() if t is not None]
        pinned[pinned_ids] = True
        targets = np.array([position[t] for t, us in on_target.items() for _ in us], dtype=np.int64)
        riders = np.array([position[u] for us in on_target.values() for u in us], dtype=np.int64)
        lost = np.zeros(len(columns.room), dtype=np.int64)
        frontier = np.unique(np.fromiter((position[x] for x in forced), dtype=np.int64))
        down[frontier] = True
        found = [frontier]
        slot = np.empty(n, dtype=np.int64)  # scratch: each level's new components taken once (``_first_each``)
        while frontier.size:
            new = _gather(columns.plain_ptr, columns.plain_idx, frontier)
            new = new[~pinned[new]]
            hit = _gather(columns.slot_ptr, columns.slot_idx, frontier)
            if hit.size:
                np.add.at(lost, hit, 1)
                fell = columns.owner[hit[lost[hit] > columns.room[hit]]]
                new = np.concatenate([new, fell[~pinned[fell]]])
            if targets.size:
                new = np.concatenate([new, riders[np.isin(targets, frontier)]])
            new = _first_each(new[~down[new]], slot)
            down[new] = True
            frontier = new
            found.append(new)
        return set(columns.id_arr[np.concatenate(found)].tolist())

    def _spread(self, down: set[str], stack: list[str], lost: dict[tuple[str, int], int],
                on_target: dict[str, list[str]], moved: dict[str, str | None],
                grown: list[str] | None = None, scope: frozenset[str] | set[str] | None = None,
                rdeps: Mapping[str, Sequence[tuple[str, int]]] | None = None) -> None:
        """Grow ``down`` in place to the least fixpoint, propagating from the components on ``stack``.

        ``lost`` counts the down members of each (component, group) seen so
        far; kept by the caller, it lets a down set grow again from new
        failures without starting over (``first_down_steps``). ``grown``, when
        given, receives every component taken from the stack (the seeds and
        each component found down), once each. ``scope``, when given, stops
        the spread at its border (``lost_within``); ``rdeps``, when given, are
        the reverse rows to follow instead of the estate's (:meth:`scope_rdeps`).

        The ungrouped dependants of a component are taken all at once (a set
        difference with the down set); the order components are taken in
        changes neither the fixpoint nor the counts of a group that stays up.
        """
        if scope is not None or rdeps is not None:
            self._spread_rows(down, stack, lost, on_target, moved, grown, scope, rdeps)
            return
        reverse, groups = self._rdeps, self.groups
        while stack:
            v = stack.pop()
            if grown is not None:
                grown.append(v)
            if on_target:
                for u in on_target.get(v, ()):
                    if u not in down:
                        down.add(u)
                        stack.append(u)
            r = reverse[v]
            try:
                plain, grouped = r.plain, r.grouped
            except AttributeError:  # a plain list of reverse rows (a patched model's changed target)
                plain = frozenset(u for u, gi in r if gi < 0)
                grouped = tuple(e for e in r if e[1] >= 0)
            if plain:
                new = plain - down
                if new:
                    if moved:  # restored onto a target: its own rows no longer apply
                        new = [u for u in new if moved.get(u) is None]
                    down.update(new)
                    stack.extend(new)
            for u, gi in grouped:
                if u in down or (moved and moved.get(u) is not None):
                    continue
                _, needs, members = groups[u][gi]
                n = lost.get((u, gi), 0) + 1
                lost[(u, gi)] = n
                if len(members) - n < needs:
                    down.add(u)
                    stack.append(u)

    def _spread_rows(self, down: set[str], stack: list[str], lost: dict[tuple[str, int], int],
                     on_target: dict[str, list[str]], moved: dict[str, str | None], grown: list[str] | None,
                     scope: frozenset[str] | set[str] | None,
                     rdeps: Mapping[str, Sequence[tuple[str, int]]] | None) -> None:
        """``_spread`` one reverse row at a time, stopping at the border of ``scope`` (when given) and following
        ``rdeps`` (when given) instead of the estate's reverse rows."""
        rdeps = self._rdeps if rdeps is None else rdeps
        groups = self.groups
        while stack:
            v = stack.pop()
            if grown is not None:
                grown.append(v)
            for u in on_target.get(v, ()):
                if u not in down:
                    down.add(u)
                    stack.append(u)
            for u, gi in rdeps[v]:
                if u in down or (u in moved and moved[u] is not None):
                    continue  # already down, or restored onto a target: own rows no longer apply
                if scope is not None and u not in scope:
                    continue
                if gi < 0:
                    down.add(u)
                    stack.append(u)
                else:
                    _, needs, members = groups[u][gi]
                    n = lost.get((u, gi), 0) + 1
                    lost[(u, gi)] = n
                    if len(members) - n < needs:
                        down.add(u)
                        stack.append(u)

    def first_down_steps(self, failed: Iterable[str], moved: dict[str, str | None],
                         undo: Iterable[Iterable[str]]) -> dict[str, int] | None:
        """Down sets as restores are taken back one batch after the other, in one sweep.

        Starts from ``down_after(failed - moved, moved)`` (step 0); step ``i``
        takes back the restores of the assets in the ``i``-th batch of
        ``undo`` (each no longer moved; forced down again when it failed).
        Returns, for every component down at some step, the first step at
        which it is down; each step's down set is
        ``down_after(failed - still moved, still moved)`` exactly.

        The down set is grown in place instead of recomputed, which is exact
        while it only grows. It can shrink in one case: taking back the
        restore, onto another target, of an asset that did not fail and is
        down at that moment (its own rows apply again, and a cycle through
        them may be up). Then the answer is None: ask ``down_after`` step by step.
        """
        failed = frozenset(failed)
        moved = dict(moved)
        on_target = _riders(moved)
        down: set[str] = set(failed) - set(moved)
        lost: dict[tuple[str, int], int] = {}
        self._spread(down, list(down), lost, on_target, moved)
        first = dict.fromkeys(down, 0)
        for step, batch in enumerate(undo, start=1):
            stack, grown = [], []
            for a in batch:
                target = moved.pop(a, None)
                if a in down:
                    if a not in failed and target is not None:
                        return None
                    continue
                if a in failed:
                    down.add(a)
                    stack.append(a)
                elif target is not None:  # its own rows apply again: count what they lose now
                    for gi, (_, _, members) in enumerate(self.groups[a]):
                        lost[(a, gi)] = sum(1 for m in members if m in down)
                    if not self.requirements_met(a, down):
                        down.add(a)
                        stack.append(a)
            self._spread(down, stack, lost, on_target, moved, grown)
            for c in grown:
                first[c] = step
        return first

    def requirements_met(self, component: str, down: Iterable[str] | set[str]) -> bool:
        """Whether ``component``'s own dependency rows are satisfied when ``down`` are down."""
        return self._met(component, down if isinstance(down, (set, frozenset)) else set(down))

    def _met(self, component: str, down: set[str] | frozenset[str]) -> bool:
        for t in self.requires[component]:
            if t in down:
                return False
        for _, needs, members in self.groups[component]:
            up = len(members)
            for m in members:
                if m in down:
                    up -= 1
            if up < needs:
                return False
        return True

    def down(self, failed: Iterable[str]) -> frozenset[str]:
        """The down set after ``failed`` fail, with no restores (least fixpoint).

        Raises
        ------
        UnknownComponentError
            When ``failed`` names an id that is not a component.
        """
        return frozenset(self._down(self._check(failed), {}))

    # -- recovery ----------------------------------------------------------------------

    def path_up(self, backup: str, down: set[str] | frozenset[str]) -> bool:
        """Whether the recovery path via ``backup`` is up when ``down`` are down."""
        info = self.backup[backup]
        if backup in down:
            return False
        if info.restore_to is not None:
            return info.restore_to not in down
        return self._met(info.protects, down)

    def _up_paths(self, asset: str, down: set[str]) -> list[str]:
        """The backups of ``asset`` whose recovery path is up (``path_up``), fastest first (``_backup_order``);
        the asset's own rows, read by every backup restoring in place, are read once."""
        met = None
        out = []
        backup = self.backup
        for b in self._backup_order[asset]:
            if b in down:
                continue
            t = backup[b].restore_to
            if t is not None:
                if t in down:
                    continue
            else:
                if met is None:
                    met = self._met(asset, down)
                if not met:
                    continue
            out.append(b)
        return out

    def recover(self, failed: Iterable[str]) -> Recovery:
        """Fail ``failed``, then restore in rounds until no restore is possible.

        Parameters
        ----------
        failed : iterable of str
            Component ids that fail (any kind).

        Returns
        -------
        Recovery
            ``initially_down`` (= ``down(failed)``), the restore ``waves``
            (wave numbers start at 1), ``final_down`` and the sorted
            ``unrecoverable`` assets.

        Raises
        ------
        UnknownComponentError
            When ``failed`` names an id that is not a component.
        """
        failed = self._check(failed)
        moved: dict[str, str | None] = {}
        forced = set(failed)
        down = self._down(forced, moved)
        initially = frozenset(down)
        waves: list[tuple[Restore, ...]] = []
        assets = self._asset_set
        while True:
            wave: list[Restore] = []
            for a in sorted(down.intersection(assets)):
                alts = self._up_paths(a, down)
                if alts:
                    wave.append(Restore(a, alts[0], len(waves) + 1, tuple(sorted(alts))))
            if not wave:
                break
            for r in wave:
                moved[r.asset] = self.backup[r.backup].restore_to
                forced.discard(r.asset)
            waves.append(tuple(wave))
            down = self._down(forced, moved)
        final = frozenset(down) if waves else initially  # no restore: the same set, kept once
        return Recovery(
            failed=failed,
            initially_down=initially,
            final_down=final,
            waves=tuple(waves),
            unrecoverable=tuple(sorted(final.intersection(assets))),
        )

    def scope_rdeps(self, scope: Iterable[str]) -> dict[str, list[tuple[str, int]]]:
        """The reverse rows inside ``scope``: component -> [(member of ``scope`` with a row on it, group index
        or -1)]. What :meth:`lost_within` follows: a shared directory or site has rows from the whole estate,
        of which a small scope holds a few; walking only those costs the scope, not the estate."""
        out: dict[str, list[tuple[str, int]]] = {u: [] for u in scope}
        for u in scope:
            for t in self.requires.get(u, ()):
                out.setdefault(t, []).append((u, -1))
            for gi, (_, _, members) in enumerate(self.groups.get(u, ())):
                for t in members:
                    out.setdefault(t, []).append((u, gi))
        return out

    def lost_within(self, failed: Iterable[str], scope: frozenset[str] | set[str],
                    rdeps: Mapping[str, Sequence[tuple[str, int]]] | None = None) -> tuple[tuple[str, ...], int]:
        """The assets of ``scope`` that ``recover(failed)`` leaves unrecoverable, and the components walked.

        ``scope`` must be closed as :meth:`closure` is (a union of closures):
        every row, backup and restore target of a member is a member. A
        member's state reads only members, so the recovery run inside
        ``scope`` alone, wave by wave, is the whole estate's recovery seen
        on ``scope``: exact, at the cost of the scope instead of the estate
        (the fix search judges a changed asset on its own closure).
        ``rdeps``: :meth:`scope_rdeps` of ``scope``, when the caller keeps it
        for many calls on one scope.
        """
        forced = {x for x in failed if x in scope}
        if not forced:
            return (), 0
        if rdeps is None:
            rdeps = self.scope_rdeps(scope)
        moved: dict[str, str | None] = {}
        on_target: dict[str, list[str]] = {}
        down: set[str] = set(forced)
        self._spread(down, list(down), {}, on_target, moved, scope=scope, rdeps=rdeps)
        walked = len(down)
        while True:
            wave = []
            for a in sorted(x for x in down if x in self._asset_set):
                for b in self._backup_order[a]:
                    if self.path_up(b, down):
                        wave.append((a, self.backup[b].restore_to))
                        break
            if not wave:
                break
            for a, target in wave:
                moved[a] = target
                forced.discard(a)
                if target is not None:
                    on_target.setdefault(target, []).append(a)
            down = set(forced)
            self._spread(down, list(down), {}, on_target, moved, scope=scope, rdeps=rdeps)
            walked += len(down)
        return tuple(sorted(a for a in down if a in self._asset_set)), walked

    # -- structure -----------------------------------------------------------------------

    def dependencies_of(self, component: str) -> tuple[str, ...]:
        """Every component ``component`` has a row on (ungrouped or in a group), sorted.

        Computed once per component (asked millions of times by closures, evidence and blockers;
        a built model does not change).
        """
        hit = self._dependencies.get(component)
        if hit is None:
            deps = set(self.requires[component])
            for _, _, members in self.groups[component]:
                deps.update(members)
            hit = self._dependencies[component] = tuple(sorted(deps))
        return hit

    def recovery_targets(self, asset: str) -> tuple[str, ...]:
        """What the recovery paths of ``asset`` rest on: its backups and their targets (or the asset's own rows)."""
        out: set[str] = set()
        for b in self.backups_of.get(asset, ()):
            out.add(b)
            t = self.backup[b].restore_to
            if t is not None:
                out.add(t)
            else:
                out.update(self.dependencies_of(asset))
        return tuple(sorted(out))

    def closure(self, asset: str) -> frozenset[str]:
        """The relevant closure of ``asset``: every component whose failure can change its final state.

        The asset, its dependencies transitively, its backups with their
        dependencies and restore targets, and recursively the same for every
        asset inside (a restore target or dependency may itself be restored).
        """
        hit = self._closures.get(asset)
        if hit is not None:
            self._closures.move_to_end(asset)
            return hit
        seen: set[str] = set()
        stack = [asset]
        while stack:
            v = stack.pop()
            if v in seen:
                continue
            seen.add(v)
            stack.extend(self.dependencies_of(v))
            for b in self.backups_of.get(v, ()):
                stack.append(b)
                t = self.backup[b].restore_to
                if t is not None:
                    stack.append(t)
        out = self._closures[asset] = frozenset(seen)
        if len(self._closures) > _CLOSURES_KEPT:
            self._closures.popitem(last=False)
        return out


@paused  # the indexes are millions of tuples and strings: no collection walks them while they are made
def build(inventory) -> Model:
    """Build the failure model of a loaded ``Inventory``.

    Parameters
    ----------
    inventory : Inventory
        As returned by ``inventory.load``; it is assumed valid.

    Returns
    -------
    Model
    """
    return Model(inventory)
