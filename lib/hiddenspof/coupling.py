"""Coupling analysis: what fails together with the backups meant to survive it.

Everything here is a question put to ``Model.recover``:

* **common cause** of asset A: every component X (any kind, A and its
  backups included) such that after X alone fails and every possible
  restore is made, A is still down. X that does not take A down is not one.
* **order-2 cut sets**: pairs {X, Y}, neither a common cause of A, whose joint
  failure leaves A unrecoverable; ranked by ``p(X) * p(Y)``, top ten.
* **survivability**: P(A not in ``recover(F).final_down`` | A in ``down(F)``)
  over random failure sets F with independent failures of probability
  ``Model.probability``.
* **threats**: the eight threat modes of ``docs/semantics.md``.
* **cycles** a recovery path runs through, **blast radius**, the
  **Fussell-Vesely importance**, **unprotected keystones** and **RTO
  inversions**, and the coupling ``Finding`` objects with their severities.

Speed: a failure only touches what depends on it, so ``recover({X})`` costs
the part of the estate X reaches. Single failures are computed once per
component for every asset at once; pair and probability questions about A
are restricted to A's relevant closure (``Model.closure``): components
outside it cannot change A's final state, because nothing in the closure
depends on them nor restores through them. Inside a closure, many failure
sets are simulated at once (``_ClosureSimulator``), 64 to a machine word, a
whole dependency level per numpy call; the levels and cycles come from one pass over the whole
estate (``_levels``); the closures of neighbouring assets are simulated side
by side as blocks of one simulator (``_batched``), and the chunks of assets
are shared out between two processes (``HIDDENSPOF_WORKERS``), each asset's
draws still its own seeded ones. Cut-pair candidates are generated in probability order
in bulk, and a pair with neither member below the asset is never simulated
(it cannot take the asset down). Evidence paths reuse one breadth-first
search per source. None of this changes a result: the slow reference
(``tests/reference.py``) and the property tests are the oracle.
"""

from __future__ import annotations

import dataclasses
import functools
import heapq
import itertools
import math
import os
import pickle
import weakref
import zlib
from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from . import lanes
from .collector import paused
from .findings import Finding
from .model import Model

__all__ = [
    "DESTROYABLE_KINDS",
    "EXACT_LIMIT",
    "MAX_CYCLES",
    "MC_MAX_SAMPLES",
    "MC_MIN_DOWN",
    "PAIR_BUDGET",
    "THREAT_MODES",
    "AssetCoupling",
    "CouplingResult",
    "analyze",
    "Compromise",
    "CompromiseStep",
    "ESCALATION_KINDS",
    "compromise_chains",
    "compromise_destroyed_sets",
    "compromise_evidence",
    "compromise_reach",
    "compromise_recovery",
    "credential_compromise",
    "credential_compromise_destroys",
    "common_cause_evidence",
    "common_cause_table",
    "cut_pairs",
    "most_exposed",
    "recovery_cycles",
    "recovery_of",
    "scenario_failures",
    "recovery_reach",
    "release_single_downs",
    "single_failure_down",
    "severity_for_tier",
    "simulate",
    "single_failures",
    "survivability",
    "survivability_monte_carlo",
    "threat_verdicts",
    "with_simulation",
    "worst_compromise",
]

#: Threat mode -> component kinds struck one at a time (``logical_corruption`` strikes each asset).
THREAT_MODES: dict[str, tuple[str, ...]] = {
    "site_loss": ("site",),
    "region_loss": ("region",),
    "provider_loss": ("provider",),
    "account_loss": ("account",),
    "identity_outage": ("identity", "credentials"),
    "control_plane_outage": ("control_plane",),
    "credential_compromise": ("credentials", "identity", "account"),
    "logical_corruption": (),
}
#: Kinds an attacker holding a credential destroys when they have a row on it.
DESTROYABLE_KINDS = frozenset({"service", "datastore", "backup", "backup_store", "recovery_tool", "kms"})

#: Survivability is exact (enumeration) when at most this many closure components may fail.
EXACT_LIMIT = 14
#: Monte Carlo stops once this many sampled failure sets took the asset down ...
MC_MIN_DOWN = 1000
#: ... or after this many samples,
MC_MAX_SAMPLES = 200000
#: drawn in batches of this many.
MC_BATCH = 2000
#: Pairs examined per asset, in decreasing probability order, for the order-2 cut sets.
PAIR_BUDGET = 2000
#: Pairs examined per step of the search (the stopping rule is checked after each) ...
PAIR_BATCH = 256
#: ... and steps simulated together on the closure simulator.
PAIR_AHEAD = 4
#: Top cut pairs kept per asset.
TOP_PAIRS = 10
#: Cycles listed at most (enumeration is exponential in the worst case).
MAX_CYCLES = 1000
#: A keystone is needed by at least this many assets.
KEYSTONE_MIN_ASSETS = 2

_TIER_SEVERITY = {1: "critical", 2: "high", 3: "medium", 4: "low"}
_SEVERITIES = ("critical", "high", "medium", "low", "info")


def severity_for_tier(tier: int | None, raise_by: int = 0) -> str:
    """The severity rule: tier 1 critical, 2 high, 3 medium, 4 low, unknown medium; ``raise_by`` steps more severe."""
    base = _TIER_SEVERITY.get(tier, "medium") if tier is not None else "medium"
    return _SEVERITIES[max(0, _SEVERITIES.index(base) - raise_by)]


@dataclass(frozen=True)
class AssetCoupling:
    """The coupling verdicts of one asset."""

    asset: str
    common_cause: tuple[str, ...]
    cut_pairs: tuple[tuple[str, str, float], ...]  # (x, y, p(x) p(y)), most likely first
    cut_pairs_exhaustive: bool  # True when the list is known to be the exact top (False: PAIR_BUDGET ran out first)
    survivability: float | None
    survivability_method: str  # "exact", "monte_carlo", "none" (the asset never goes down) or "not estimated"
    survivability_error: float | None  # 0 when exact; the 95 % half-width of the Monte Carlo estimate; None not estimated
    threats: dict[str, str]
    threat_causes: dict[str, tuple[str, ...]]  # mode -> strikes that leave the asset unrecoverable
    importance: dict[str, float]  # component -> Fussell-Vesely importance for this asset


@dataclass(frozen=True)
class CouplingResult:
    """Everything ``analyze`` found; ``findings`` are the coupling findings."""

    assets: dict[str, AssetCoupling]
    unrecoverable_by: dict[str, tuple[str, ...]]  # component -> assets it alone leaves unrecoverable
    blast_radius: dict[str, int]
    importance: dict[str, float]  # component -> max Fussell-Vesely importance over the assets
    cycles: tuple[tuple[str, ...], ...]
    keystones: dict[str, tuple[str, ...]]  # unprotected component -> assets it is a common cause of
    rto_inversions: tuple[tuple[str, str], ...]  # (asset, dependency with a longer RTO)
    findings: tuple[Finding, ...] = field(default_factory=tuple)


# -- probability ----------------------------------------------------------------------------------


def _seed(asset: str) -> int:
    return zlib.crc32(asset.encode("utf-8"))


def survivability_monte_carlo(
    model: Model, asset: str, samples: int = MC_MAX_SAMPLES, seed: int | None = None, min_down: int | None = None
) -> tuple[float | None, float, int]:
    """Seeded Monte Carlo estimate of survivability.

    Samples independent failures of every component of the asset's closure,
    keeps the samples where the asset is down and counts those where it is
    recovered. Stops after ``samples`` samples or, when ``min_down`` is given,
    once that many samples took the asset down.

    Returns
    -------
    (estimate or None, 95 % half-width, number of samples with the asset down)
    """
    closure = sorted(model.closure(asset))
    p = np.array([model.probability[c] for c in closure])
    rng = np.random.default_rng(_seed(asset) if seed is None else seed)
    n_down = n_saved = 0
    batch = 1000
    drawn = 0
    while drawn < samples and (min_down is None or n_down < min_down):
        k = min(batch, samples - drawn)
        draws = rng.random((k, len(closure))) < p
        drawn += k
        for row in draws:
            failed = [closure[i] for i in np.flatnonzero(row)]
            if not failed:
                continue
            if asset not in model.down(failed):
                continue
            n_down += 1
            n_saved += asset not in model.recover(failed).final_down
    if n_down == 0:
        return None, 1.0, 0
    s = n_saved / n_down
    half = 1.96 * math.sqrt(max(s * (1 - s), 0.25 / n_down) / n_down)
    return s, half, n_down


_LEVELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> (level, cyclic) per component


def _levels(model: Model) -> tuple[dict[str, int], frozenset[str]]:
    """Evaluation levels of the whole estate, computed once per model.

    The graph has an edge from each component to everything it has a row on
    and from each asset to the restore targets of its backups (a restore may
    close a new cycle). A component's level is one more than the highest level
    of its strongly connected part's successors, so every component depends
    only on lower levels or on its own cycle; the second value is the set of
    components on a cycle (a strongly connected part of two or more).
    Because a closure contains every successor of its members, the levels and
    cycles of the whole estate are those of any closure.
    """
    cached = _LEVELS.get(model)
    if cached is not None:
        return cached
    ids = model.ids
    position = {c: i for i, c in enumerate(ids)}
    succ = [[position[t] for t in model.dependencies_of(c)] for c in ids]
    for a, bs in model.backups_of.items():
        succ[position[a]].extend(position[model.backup[b].restore_to] for b in bs
                                 if model.backup[b].restore_to is not None)
    part, parts = _strong_parts(succ)
    # parts come out successors first (Tarjan), so each part's successors already have their level
    part_level = [0] * len(parts)
    for p, members in enumerate(parts):
        top = -1
        for v in members:
            for w in succ[v]:
                q = part[w]
                if q != p and part_level[q] > top:
                    top = part_level[q]
        part_level[p] = top + 1
    level = {c: part_level[part[i]] for i, c in enumerate(ids)}
    cyclic = frozenset(ids[v] for members in parts if len(members) > 1 for v in members)
    _LEVELS[model] = (level, cyclic)
    return level, cyclic


def _strong_parts(succ: list[list[int]]) -> tuple[list[int], list[list[int]]]:
    """Strongly connected parts of the graph ``succ`` (node -> successors), Tarjan's algorithm without recursion.

    Returns (node -> its part, the parts' members); a part is listed only after
    every part it reaches (successors first), which is a reverse topological
    order of the condensation.
    """
    n = len(succ)
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    part = [-1] * n
    parts: list[list[int]] = []
    stack: list[int] = []
    counter = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        work = [(root, 0)]
        while work:
            v, i = work[-1]
            edges = succ[v]
            while i < len(edges):
                w = edges[i]
                i += 1
                if index[w] < 0:
                    work[-1] = (v, i)
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, 0))
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            else:
                work.pop()
                if low[v] == index[v]:
                    members = []
                    while True:
                        w = stack.pop()
                        on_stack[w] = False
                        part[w] = len(parts)
                        members.append(w)
                        if w == v:
                            break
                    parts.append(members)
                if work:
                    u = work[-1][0]
                    if low[v] < low[u]:
                        low[u] = low[v]
    return part, parts


#: Failure sets packed into one machine word of the bit-parallel simulator.
_WORD = 64


def _pack(failed: np.ndarray) -> np.ndarray:
    """Rows x failure sets of booleans -> rows x words (bit ``b`` of word ``w`` is failure set ``64 w + b``)."""
    rows, sets = failed.shape
    words = max(1, -(-sets // _WORD))
    out = np.zeros((rows, words * 8), dtype=np.uint8)
    out[:, :-(-sets // 8)] = np.packbits(failed, axis=1, bitorder="little")
    return out.view("<u8")


def _count(bits: np.ndarray, sets: int) -> int:
    """How many of the first ``sets`` failure sets of a row of words have their bit set."""
    full, rest = divmod(sets, _WORD)
    count = int(np.bitwise_count(bits[:full]).sum())
    if rest:
        count += int(np.bitwise_count(bits[full] & np.uint64((1 << rest) - 1)))
    return count


def _unpack(bits: np.ndarray, sets: int) -> np.ndarray:
    """The inverse of ``_pack``: rows x words -> rows x ``sets`` booleans."""
    return np.unpackbits(bits.view(np.uint8), axis=1, count=sets, bitorder="little").view(bool)


def _or_first(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ``x`` (rows x choices x words): each bit kept only in the first choice that has it, and their union."""
    if x.shape[1] == 1:
        return x, x[:, 0]
    seen = np.bitwise_or.accumulate(x, axis=1)
    first = x.copy()
    first[:, 1:] &= ~seen[:, :-1]
    return first, seen[:, -1]


def _ragged(ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The items of rows ``rows`` of a ragged table (row ``r`` holds items ``ptr[r]`` to ``ptr[r + 1]``):
    for each item, in row order, (position of its row in ``rows``, its rank in the row, its index)."""
    start = ptr[rows]
    count = ptr[rows + 1] - start
    pos = np.repeat(np.arange(len(rows)), count)
    rank = np.arange(len(pos)) - np.repeat(np.cumsum(count) - count, count)
    return pos, rank, start[pos] + rank


def _rect(pos: np.ndarray, rank: np.ndarray, values: np.ndarray, rows: int, pad: int) -> np.ndarray:
    """Ragged rows (as ``_ragged`` gives them) padded with ``pad`` into a rows x widest matrix."""
    out = np.full((rows, int(rank.max()) + 1 if len(rank) else 0), pad, dtype=np.intp)
    out[pos, rank] = values
    return out


def _ptr(counts: np.ndarray) -> np.ndarray:
    return np.concatenate(([0], np.cumsum(counts))).astype(np.intp)


class _Plan:
    """The simulator's view of a set of components closed under rows and restores: integer ids, ragged tables.

    Built once for the whole estate (``_estate_plan``, shared by every chunk
    of ``_batched``) or for one closure; components are numbered in id order
    (the order of a sorted closure), so a closure's numbers increase. Tables:
    ungrouped targets (``req``), groups (``grp``: their needs, their members
    ``mem``), recovery paths in choice order (``path``: backup, restore
    target or -2 for in place), and each component's evaluation level and
    whether it is on a cycle (``_levels``).
    """

    def __init__(self, model: Model, ids: list[str]) -> None:
        self.ids = ids
        self.index = index = {c: i for i, c in enumerate(ids)}
        requires, groups, order, backup = model.requires, model.groups, model._backup_order, model.backup
        req = [[index[t] for t in requires[c]] for c in ids]
        grp = [groups[c] for c in ids]
        mem = [[index[t] for t in members] for g in grp for _, _, members in g]
        path = [[(index[b], -2 if backup[b].restore_to is None else index[backup[b].restore_to]) for b in order[c]]
                if c in order else [] for c in ids]
        self.req_ptr = _ptr([len(x) for x in req])
        self.req = np.fromiter(itertools.chain.from_iterable(req), dtype=np.intp, count=int(self.req_ptr[-1]))
        self.grp_ptr = _ptr([len(g) for g in grp])
        self.grp_needs = np.array([needs for g in grp for _, needs, _ in g], dtype=np.int64)
        self.mem_ptr = _ptr([len(m) for m in mem])
        self.mem = np.fromiter(itertools.chain.from_iterable(mem), dtype=np.intp, count=int(self.mem_ptr[-1]))
        self.path_ptr = _ptr([len(p) for p in path])
        flat = list(itertools.chain.from_iterable(path))
        self.path_b = np.array([b for b, _ in flat], dtype=np.intp)
        self.path_t = np.array([t for _, t in flat], dtype=np.intp)
        level, cyclic = _levels(model)
        self.level = np.array([level[c] for c in ids], dtype=np.int64)
        self.cyclic = np.array([c in cyclic for c in ids], dtype=bool)


_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> its estate-wide _Plan


def _estate_plan(model: Model) -> _Plan:
    """The ``_Plan`` of the whole estate, built once per model."""
    plan = _PLANS.get(model)
    if plan is None:
        plan = _PLANS[model] = _Plan(model, list(model.ids))
    return plan


class _Rows:
    """The rows of one simulator in its own numbering: ungrouped targets, groups and their members (ragged)."""

    def __init__(self, n: int, req_ptr, req, grp_ptr, needs, mem_ptr, mem) -> None:
        self.n = n
        self.req_ptr, self.req, self.grp_ptr, self.needs, self.mem_ptr, self.mem = (
            req_ptr, req, grp_ptr, needs, mem_ptr, mem)


class _MetPlan:
    """Whether the own dependency rows of a list of columns are met, for every failure set at once.

    Works on bit matrices (components x words, one failure set per bit) of
    the components that are up, with two extra rows at the end: ``n``
    always up and ``n + 1`` always down. Each component's ungrouped targets
    are padded to a rectangle with the always-up row and reduced with one
    AND; group members are padded with the always-down row and ORed (every
    group needs one) or counted bit by bit ("at least ``needs`` up", one
    AND/OR per member and count); a handful of numpy calls whatever the
    number of components.
    """

    def __init__(self, cols: np.ndarray, rows: _Rows) -> None:
        n = rows.n
        cols = np.asarray(cols, dtype=np.intp)
        self.k = len(cols)
        ucount = rows.req_ptr[cols + 1] - rows.req_ptr[cols]
        self.u_pos = np.flatnonzero(ucount)
        self.u_all = len(self.u_pos) == self.k
        pos, rank, item = _ragged(rows.req_ptr, cols[self.u_pos])
        self.u_idx = _rect(pos, rank, rows.req[item], len(self.u_pos), n)
        gcount = rows.grp_ptr[cols + 1] - rows.grp_ptr[cols]
        self.g_pos = np.flatnonzero(gcount)
        gpos, grank, group = _ragged(rows.grp_ptr, cols[self.g_pos])
        mpos, mrank, item = _ragged(rows.mem_ptr, group)
        self.g_idx = _rect(mpos, mrank, rows.mem[item], len(group), n + 1)
        needs = rows.needs[group]
        self.g_any = bool((needs == 1).all())
        # "at least j up" is kept for j = 1 .. the largest need; a need above the group's size is never met
        self.g_max = int(needs.max()) if len(needs) else 1
        self.g_need = (needs - 1).astype(np.intp)
        self.g_rows = np.arange(len(needs), dtype=np.intp)
        self.g_single = bool((gcount[self.g_pos] == 1).all())
        self.g_comp = _rect(gpos, grank, np.arange(len(group)), len(self.g_pos), len(group))  # padded: always met

    def met(self, up: np.ndarray) -> np.ndarray:
        """len(cols) x words: whether each column's own rows are met when ``up`` are up."""
        if self.u_all:
            met = np.bitwise_and.reduce(up[self.u_idx], axis=1)
        else:
            met = np.full((self.k, up.shape[1]), _ONES, dtype=np.uint64)
            if len(self.u_pos):
                met[self.u_pos] = np.bitwise_and.reduce(up[self.u_idx], axis=1)
        if len(self.g_pos):
            if self.g_any:
                ok = np.bitwise_or.reduce(up[self.g_idx], axis=1)
            else:
                # at_least[j] = "at least j + 1 members up", grown one member at a time
                at_least = np.zeros((self.g_max, len(self.g_idx), up.shape[1]), dtype=np.uint64)
                for m in range(self.g_idx.shape[1]):
                    x = up[self.g_idx[:, m]]
                    for j in range(self.g_max - 1, 0, -1):
                        at_least[j] |= at_least[j - 1] & x
                    at_least[0] |= x
                ok = at_least[self.g_need, self.g_rows]
            if self.g_single:
                met[self.g_pos] &= ok
            else:
                ok = np.concatenate([ok, np.full((1, up.shape[1]), _ONES, dtype=np.uint64)])
                met[self.g_pos] &= np.bitwise_and.reduce(ok[self.g_comp], axis=1)
        return met


_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)


class _ClosureSimulator:
    """Many failure sets of one closure at once: the model's semantics on bit matrices.

    Failure sets are bits of machine words (64 per ``uint64``), components
    are rows (the closure's, sorted), so one AND or OR of two rows evaluates
    64 failure sets. The closure is self-contained (nothing in it depends on
    or restores through anything outside), so its rows evolve as they would
    in the whole estate. Down sets are the least fixpoint, computed level by
    level in dependency order (what is needed first; ``_levels``), all the
    components of a level at once; a level holding a cycle (including one
    that a restore target could close) is iterated from the forced failures
    upwards until nothing changes, so a cycle nothing forces down stays up
    (iterating from below reaches the least fixpoint whatever the order of
    evaluation inside the level). Restores happen in simultaneous rounds
    exactly as ``Model.recover`` makes them, every asset of a round at once,
    each taking its first recovery path that is up (in choice order).
    ``tests/closure_reference.py`` keeps the one-byte-per-failure-set
    simulator this replaced, as the reference it is tested against.
    """

    def __init__(self, model: Model, nodes: list[str], blocks: list[list[str]] | None = None,
                 plan: _Plan | None = None) -> None:
        """Simulate ``nodes`` (a sorted closure); or, with ``blocks``, several sorted closures side by side.

        Blocks are disjoint copies (a component in two closures gets a row in
        each), so each block evolves exactly as its closure would alone, and one
        failure set of the simulator carries one failure set of every block:
        block ``i`` starts at row ``offsets[i]`` (``nodes`` is then ignored).
        ``plan`` is a ``_Plan`` holding every block (default: one of just them).
        """
        blocks = [nodes] if blocks is None else blocks
        if plan is None:
            plan = _Plan(model, list(blocks[0]) if len(blocks) == 1 else sorted(set().union(*blocks)))
        sizes = [len(b) for b in blocks]
        self.offsets: list[int] = [0, *itertools.accumulate(sizes)][:-1]
        self.nodes = nodes = list(itertools.chain.from_iterable(blocks))
        self.n = n = len(nodes)
        index, big = plan.index, len(plan.ids)
        g = np.fromiter((index[c] for c in nodes), dtype=np.intp, count=n)
        bid = np.repeat(np.arange(len(blocks), dtype=np.int64), sizes)
        key = bid * big + g  # increasing: blocks in order, each a sorted closure

        def local(row: np.ndarray, target: np.ndarray) -> np.ndarray:
            """The row, in the block of row ``row``, of the component ``target`` (plan numbering)."""
            return np.searchsorted(key, bid[row] * big + target)

        # the rows of every component in this simulator's numbering
        pos, _, item = _ragged(plan.req_ptr, g)
        ucount = plan.req_ptr[g + 1] - plan.req_ptr[g]
        req = local(pos, plan.req[item])
        gpos, _, group = _ragged(plan.grp_ptr, g)
        gcount = plan.grp_ptr[g + 1] - plan.grp_ptr[g]
        mpos, _, item = _ragged(plan.mem_ptr, group)
        mem = local(gpos[mpos], plan.mem[item])
        rows = _Rows(n, _ptr(ucount), req, _ptr(gcount), plan.grp_needs[group],
                     _ptr(plan.mem_ptr[group + 1] - plan.mem_ptr[group]), mem)
        # restore plan: assets, their paths flattened in choice order
        self.p_assets = np.flatnonzero(plan.path_ptr[g + 1] - plan.path_ptr[g])
        self.p_block = bid[self.p_assets].astype(np.intp)
        ppos, prank, item = _ragged(plan.path_ptr, g[self.p_assets])
        arow = self.p_assets[ppos]
        self.npaths = npaths = len(ppos)
        self.p_pos = ppos
        self.p_b = local(arow, plan.path_b[item])
        target = plan.path_t[item]
        onto = np.flatnonzero(target >= 0)  # paths onto a restore target, in row order
        self.p_tcol = np.zeros(npaths, dtype=np.intp)
        self.p_tcol[onto] = local(arow[onto], target[onto])
        self.p_inplace = np.flatnonzero(target < 0)
        inplace = np.unique(ppos[self.p_inplace])
        self.p_own = np.searchsorted(inplace, ppos[self.p_inplace])
        # asset x choice rank: index of the path (npaths = a row of no failure set) ...
        self.p_rect = _rect(ppos, prank, np.arange(npaths), len(self.p_assets), npaths)
        # ... and where each path sits in that rectangle, flattened
        self.p_flat = np.flatnonzero(self.p_rect.ravel() < npaths)
        self.own_plan = _MetPlan(self.p_assets[inplace], rows) if len(inplace) else None
        onto_count = np.bincount(arow[onto], minlength=n)
        onto_ptr = _ptr(onto_count)
        t_ext = np.append(self.p_tcol, n)  # the padding path's target: the always-up row (never chosen anyway)
        # a component with no row and no restore target is down exactly when it failed (already so in ``_up``)
        sel = np.flatnonzero((ucount > 0) | (gcount > 0) | (onto_count > 0))
        lv = plan.level[g[sel]]
        order = np.argsort(lv, kind="stable")
        sel, lv = sel[order], lv[order]
        self.levels = []  # (rows, met plan, iterate?, positions of assets with a target path, their paths, targets)
        for cols in np.split(sel, np.flatnonzero(np.diff(lv)) + 1):
            if not len(cols):
                continue
            tpos = np.flatnonzero(onto_count[cols])
            tp, tr, item = _ragged(onto_ptr, cols[tpos])
            trect = _rect(tp, tr, onto[item], len(tpos), npaths)
            self.levels.append((cols, _MetPlan(cols, rows), bool(plan.cyclic[g[cols]].any()), tpos, trect,
                                t_ext[trect]))

    def _up(self, forced: np.ndarray, chosen: np.ndarray | None) -> np.ndarray:
        """The up bits of the least fixpoint down sets; ``chosen`` the restore made of each path (None: none yet).

        ``forced`` (rows x words, the failed bits) has the two extra rows of
        ``_MetPlan`` (never failed, always failed); ``chosen`` has one row per
        path and one more that is all zero. An asset restored onto a target is
        up exactly when the target is (its own rows no longer apply).
        """
        up = ~forced
        for cols, plan, iterate, tpos, trect, ttarget in self.levels:
            free = up[cols]  # not forced down
            cur = free
            while True:
                met = plan.met(up)
                if chosen is not None and len(tpos):
                    moved = chosen[trect]
                    on = np.bitwise_or.reduce(moved, axis=1)
                    val = np.bitwise_or.reduce(moved & up[ttarget], axis=1)
                    met[tpos] = (met[tpos] & ~on) | val
                new = free & met
                if not iterate:
                    up[cols] = new
                    break
                if np.array_equal(new, cur):
                    break
                up[cols] = cur = new
        return up

    def _restore(self, forced: np.ndarray, up: np.ndarray, watch: np.ndarray | None = None,
                 watch_of: np.ndarray | None = None) -> np.ndarray:
        """The restore rounds from the up bits ``up`` of failure sets ``forced``; the final up bits.

        With ``watch`` (rows), a failure set is followed in a block only while
        the block's watched row (``watch[watch_of[block]]``; -1: none, never
        followed) is down: an up row stays up (restores only shrink the down
        set), so only the watched rows of the result are then complete.
        Rounds stop when no followed failure set restores anything.
        """
        if not len(self.p_assets):
            return up
        forced = forced.copy()
        words = up.shape[1]
        pa = self.p_assets
        restored = np.zeros((len(pa), words), dtype=np.uint64)
        chosen = np.zeros((self.npaths + 1, words), dtype=np.uint64)
        no = np.zeros((1, words), dtype=np.uint64)
        follow = None if watch is None else watch_of[self.p_block]
        while True:
            cand = ~up[pa] & ~restored
            if follow is not None:
                live = np.concatenate([~up[watch], no])
                cand &= live[follow]
            if not cand.any():
                break
            second = up[self.p_tcol]
            if self.own_plan is not None:
                second[self.p_inplace] = self.own_plan.met(up)[self.p_own]
            ok = up[self.p_b] & second & cand[self.p_pos]
            if not ok.any():
                break
            first, done = _or_first(np.concatenate([ok, no])[self.p_rect])
            chosen[:-1] |= first.reshape(-1, words)[self.p_flat]
            restored |= done
            forced[pa] &= ~done
            up = self._up(forced, chosen)
        return up

    def run(self, failed: np.ndarray, only_down: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(down before restores, down after every restore) for each row of ``failed`` (failure sets x rows).

        With ``only_down`` = a row, only that column of the second matrix is
        computed to the end: restores are only followed in the failure sets
        where it is down (it stays up once up); the other columns of the second
        matrix are then not the final down sets.
        """
        n, sets = self.n, failed.shape[0]
        f = np.zeros((n + 2, sets), dtype=bool)
        f[:n] = failed.T
        f[n + 1] = True  # the always-down row
        forced = _pack(f)
        up0 = self._up(forced, None)
        if only_down is None:
            up = self._restore(forced, up0)
        else:
            up = self._restore(forced, up0, np.array([only_down], dtype=np.intp),
                               np.zeros(len(self.offsets) + 1, dtype=np.intp))
        return ~_unpack(up0[:n], sets).T, ~_unpack(up[:n], sets).T

    def run_watched(self, failed: np.ndarray, watch: np.ndarray, blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``run(only_down=...)`` for several watched rows at once, one in each of ``blocks``.

        ``failed`` is already packed: rows x words with the two extra rows of
        ``_MetPlan``. Returns (down before restores, down after every restore),
        both watched rows x words; a watched row is followed only in its block.
        """
        watch_of = np.full(len(self.offsets) + 1, -1, dtype=np.intp)
        watch_of[blocks] = np.arange(len(blocks))
        up0 = self._up(failed, None)
        up = self._restore(failed, up0, watch, watch_of)
        return ~up0[watch], ~up[watch]


def survivability(
    model: Model, asset: str, exact_limit: int = EXACT_LIMIT, sim: _ClosureSimulator | None = None
) -> tuple[float | None, str, float]:
    """P(some recovery path is up | the asset is down), with independent failures.

    Precisely: over random failure sets F (each component fails independently
    with ``model.probability``), P(asset not in ``recover(F).final_down`` |
    asset in ``down(F)``). Only the asset's closure matters. When at most
    ``exact_limit`` closure components have a probability strictly between 0
    and 1 the value is exact (every failure set enumerated); otherwise it is a
    seeded Monte Carlo estimate (seed = CRC-32 of the asset id; at least
    ``MC_MIN_DOWN`` samples with the asset down or ``MC_MAX_SAMPLES`` samples)
    whose stated error is the 95 % half-width (at most 0.031 at 1000 samples, about 0.02 when survivability is near 0.9).
    The samples are drawn conditionally on at least one failure among the
    asset and its dependencies (the only failures that can take it down),
    which leaves the conditional probability unchanged.
    Both evaluate many failure sets at once on boolean matrices.

    Returns
    -------
    (value or None when the asset can never go down, method, error)
    """
    sim = sim or _ClosureSimulator(model, sorted(model.closure(asset)))
    return _alone(sim, _survivability_steps(model, asset, sim.nodes, exact_limit), sim.nodes.index(asset))


def _alone(sim: _ClosureSimulator, steps, col: int):
    """Drive the steps of one asset (``_survivability_steps``, ``_cut_pair_steps``) on its own simulator."""
    n = sim.n
    try:
        failed, _ = next(steps)
        while True:
            forced = np.zeros((n + 2, failed.shape[1]), dtype=np.uint64)
            forced[:n] = failed
            forced[n + 1] = _ONES  # the always-down row
            d0, d = sim.run_watched(forced, np.array([col], dtype=np.intp),
                                    np.searchsorted(sim.offsets, [col], side="right") - 1)
            failed, _ = steps.send((d0[0], d[0]))
    except StopIteration as stop:
        return stop.value


#: Closure columns simulated side by side in one batched pass (``_batched``).
BATCH_COLUMNS = 2048


#: Processes the batched simulation runs in (``HIDDENSPOF_WORKERS``; default: up to two, the cores of the
#: benchmark machine). Chunks are independent, so where one ran never changes an answer.
WORKERS_ENV = "HIDDENSPOF_WORKERS"
#: Fewer assets than this are simulated in this process only (a fork costs more than it saves).
_FORK_MIN_ASSETS = 32


def _workers() -> int:
    text = os.environ.get(WORKERS_ENV, "").strip()
    if text.isdigit() and int(text) >= 1:
        return int(text)
    return max(1, min(2, os.cpu_count() or 1))


def _batched(model: Model, jobs: list[tuple[str, list[str], list]], columns: int = BATCH_COLUMNS,
             workers: int | None = None) -> dict:
    """Run the steps of many assets together: asset -> the value each of its steps returned.

    ``jobs`` holds (asset, sorted closure, steps run one after the other).
    Assets are taken in order into chunks of about ``columns`` closure
    columns; each chunk gets one simulator with a block per closure, and
    every round stacks the failure sets each pending step asks for (one per
    block, padded with failure sets where nothing fails) into one pass. A
    block evolves exactly as its closure alone, so each step is sent what
    ``_alone`` would send it: the same result, many numpy calls fewer.
    With ``workers`` > 1 (default ``_workers()``) the chunks are shared out
    among forked processes (chunk ``i`` to worker ``i mod workers``) and
    their answers gathered; a worker that fails has its chunks run here.
    """
    chunks: list[list[tuple[str, list[str], list]]] = []
    chunk: list[tuple[str, list[str], list]] = []
    size = 0
    for job in jobs:
        chunk.append(job)
        size += len(job[1])
        if size >= columns:
            chunks.append(chunk)
            chunk, size = [], 0
    if chunk:
        chunks.append(chunk)
    workers = _workers() if workers is None else workers
    workers = min(workers, len(chunks))
    out: dict[str, list] = {}
    if workers > 1 and len(jobs) >= _FORK_MIN_ASSETS and hasattr(os, "fork"):
        _estate_plan(model)  # once, before the workers copy the model
        _forked(model, chunks, workers, out)
    else:
        for chunk in chunks:
            _run_chunk(model, chunk, out)
    return out


def _forked(model: Model, chunks: list, workers: int, out: dict) -> None:
    """``_run_chunk`` of every chunk, chunk ``i`` in worker ``i mod workers`` (worker 0 is this process)."""
    children = []
    def share(w: int) -> dict[str, list]:  # a worker's chunks, run in the forked process
        mine: dict[str, list] = {}
        for chunk in chunks[w::workers]:
            _run_chunk(model, chunk, mine)
        return mine

    for w in range(1, workers):
        pid, read = lanes.fork_answer(functools.partial(share, w))
        children.append((w, pid, read))
    try:
        for chunk in chunks[0::workers]:
            _run_chunk(model, chunk, out)
    finally:
        answers = []
        for w, pid, read in children:
            with os.fdopen(read, "rb") as pipe:
                data = pipe.read()
            _, status = os.waitpid(pid, 0)
            answers.append((w, data if status == 0 else None))
    for w, data in answers:
        got = None
        if data:
            try:
                got = pickle.loads(data)
            except Exception:  # a worker cut short: do its share here
                got = None
        if got is None:
            got = {}
            for chunk in chunks[w::workers]:
                _run_chunk(model, chunk, got)
        out.update(got)


def _run_chunk(model: Model, chunk: list[tuple[str, list[str], list]], out: dict) -> None:
    sim = _ClosureSimulator(model, [], blocks=[nodes for _, nodes, _ in chunk], plan=_estate_plan(model))
    watch_of = [off + nodes.index(a) for off, (a, nodes, _) in zip(sim.offsets, chunk)]
    for stage in range(max(len(steps) for _, _, steps in chunk)):
        pending: dict[int, tuple[np.ndarray, int]] = {}
        gens = {}
        for i, (a, _, steps) in enumerate(chunk):
            if stage >= len(steps):
                continue
            gens[i] = steps[stage]
            try:
                pending[i] = next(gens[i])
            except StopIteration as stop:
                out.setdefault(a, []).append(stop.value)
        while pending:
            words = max(f.shape[1] for f, _ in pending.values())
            failed = np.zeros((sim.n + 2, words), dtype=np.uint64)
            failed[sim.n + 1] = _ONES  # the always-down row
            for i, (f, _) in pending.items():
                off = sim.offsets[i]
                failed[off:off + f.shape[0], :f.shape[1]] = f
            order = list(pending)
            d0, d = sim.run_watched(failed, np.array([watch_of[i] for i in order], dtype=np.intp),
                                    np.array(order, dtype=np.intp))
            for r, i in enumerate(order):
                try:
                    pending[i] = gens[i].send((d0[r], d[r]))
                except StopIteration as stop:
                    del pending[i]
                    out.setdefault(chunk[i][0], []).append(stop.value)


def _survivability_steps(model: Model, asset: str, nodes: list[str], exact_limit: int = EXACT_LIMIT,
                         needed: set[str] | None = None):
    """``survivability`` as steps: yields failure sets and is sent back, for each, whether the asset is
    down before restores and after every restore; returns the result.

    A step yields (failed bits, count): ``nodes`` (the sorted closure) x words,
    failure set ``s`` in bit ``s mod 64`` of word ``s // 64`` (``_pack``), and the
    number of failure sets; it is sent the two answers as words likewise (bits
    past the count are not read). ``needed`` is ``_needed(model, asset)`` when
    the caller has it already.
    """
    p = np.array([model.probability[c] for c in nodes])
    uncertain = np.flatnonzero((p > 0.0) & (p < 1.0))
    if len(uncertain) > exact_limit:
        # Only failures among the asset and what it depends on can take it down,
        # so sample conditionally on at least one of those failing (first
        # failure drawn exactly, the rest independently): the conditional
        # probability of "recovered | down" is unchanged, far fewer samples wasted.
        needed = _needed(model, asset) if needed is None else needed
        below = np.array([i for i, c in enumerate(nodes) if c in needed])
        pb = p[below]
        first = pb * np.concatenate(([1.0], np.cumprod(1.0 - pb)[:-1]))
        q = first.sum()
        if q <= 0.0:
            return None, "none", 0.0
        cum = np.cumsum(first) / q
        rng = np.random.default_rng(_seed(asset))
        drawn_t = np.empty((len(nodes), MC_BATCH), dtype=bool)
        n_down = n_saved = drawn = 0
        while drawn < MC_MAX_SAMPLES and n_down < MC_MIN_DOWN:
            k = min(MC_BATCH, MC_MAX_SAMPLES - drawn)
            failed = _pack(np.less(rng.random((k, len(nodes))).T, p[:, None], out=drawn_t[:, :k]))
            j = np.minimum(np.searchsorted(cum, rng.random(k), side="right"), len(below) - 1)
            first = np.zeros((len(below), k), dtype=bool)
            first[j, np.arange(k)] = True
            first = _pack(first)  # the first failure among ``below``
            before = np.zeros_like(first)
            np.bitwise_or.accumulate(first[:-1], axis=0, out=before[1:])  # the first failure is earlier
            failed[below] = (failed[below] & before) | first  # none before j, j itself failed
            drawn += k
            d0, d = yield failed, k
            n_down += _count(d0, k)
            n_saved += _count(d0 & ~d, k)
        if n_down == 0:
            return None, "none", 0.0
        s = n_saved / n_down
        half = 1.96 * math.sqrt(max(s * (1 - s), 0.25 / n_down) / n_down)
        return s, "monte_carlo", half
    u = len(uncertain)
    bits = ((np.arange(2**u)[:, None] >> np.arange(u)[None, :]) & 1).astype(bool)
    failed = np.repeat((p >= 1.0)[None, :], 2**u, axis=0)
    failed[:, uncertain] = bits
    pu = p[uncertain]
    weight = np.prod(np.where(bits, pu, 1.0 - pu), axis=1)
    d0, d = yield _pack(failed.T), 2**u
    d0, d = _unpack(np.stack([d0, d]), 2**u)
    p_down = float(weight[d0].sum())
    p_lost = float(weight[d0 & d].sum())
    if p_down <= 0.0:
        return None, "none", 0.0
    return min(1.0, max(0.0, 1.0 - p_lost / p_down)), "exact", 0.0


# -- cut sets ---------------------------------------------------------------------------------------


def _pairs_by_probability(cands: list[str], prob: dict[str, float]) -> Iterable[tuple[float, str, str]]:
    """Every pair of ``cands`` in decreasing p(x) p(y), ties by ids; lazily (best-first)."""
    order = sorted(cands, key=lambda c: (-prob[c], c))
    n = len(order)
    if n < 2:
        return
    heap = [(-prob[order[0]] * prob[order[1]], 0, 1)]
    seen = {(0, 1)}
    while heap:
        negp, i, j = heapq.heappop(heap)
        x, y = sorted((order[i], order[j]))
        yield -negp, x, y
        for a, b in ((i + 1, j), (i, j + 1)):
            if a < b < n and (a, b) not in seen:
                seen.add((a, b))
                heapq.heappush(heap, (-prob[order[a]] * prob[order[b]], a, b))


def _first_pairs(p: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first ``k`` pairs (i < j) of ``p`` (sorted decreasing) in the order of ``_pairs_by_probability``.

    That order is by ``(-p[i] * p[j], i, j)``. At least ``(i + 1) j - i (i + 1) / 2``
    pairs (i' <= i, j' <= j) come no later than (i, j), so only that
    staircase of pairs needs sorting: about ``k log k`` of them, not ``n^2 / 2``.
    Returns (i, j, p[i] * p[j]) as arrays.
    """
    n = len(p)
    i = np.arange(n - 1)
    jmax = np.minimum(n - 1, (k + i * (i + 1) // 2) // (i + 1))
    keep = jmax > i
    i, jmax = i[keep], jmax[keep]
    counts = jmax - i
    ii = np.repeat(i, counts)
    jj = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + ii + 1
    prod = p[ii] * p[jj]
    # the pairs are made in (i, j) order, so a stable sort by -p[i] p[j] alone breaks ties by (i, j)
    keep = np.argsort(-prod, kind="stable")[:k]
    return ii[keep], jj[keep], prod[keep]


def cut_pairs(
    model: Model, asset: str, common: Iterable[str], budget: int = PAIR_BUDGET, top: int = TOP_PAIRS,
    sim: _ClosureSimulator | None = None,
) -> tuple[tuple[tuple[str, str, float], ...], bool]:
    """The most likely order-2 cut sets of ``asset``: pairs that leave it unrecoverable where neither alone does.

    Pairs of closure components (common causes excluded) are examined in
    decreasing ``p(x) p(y)`` order (ties by ids, as ``_pairs_by_probability``),
    at most ``budget`` of them, in batches of ``PAIR_BATCH`` on the closure
    simulator. Because the order is by probability, the pairs returned are
    exactly the most likely ones whenever ``top`` were found; the boolean
    says whether the list is known to be exact. A pair with neither member
    among the asset and what it depends on cannot take the asset down, so
    it is not simulated (it is not a cut set).
    """
    sim = sim or _ClosureSimulator(model, sorted(model.closure(asset)))
    return _alone(sim, _cut_pair_steps(model, asset, common, sim.nodes, budget, top), sim.nodes.index(asset))


def _cut_pair_steps(model: Model, asset: str, common: Iterable[str], nodes: list[str],
                    budget: int = PAIR_BUDGET, top: int = TOP_PAIRS, needed: set[str] | None = None):
    """``cut_pairs`` as steps (as ``_survivability_steps``: yields failure sets, is sent the asset's states)."""
    common = set(common)
    idx = {c: i for i, c in enumerate(nodes)}
    cands = [c for c in nodes if c not in common]
    total = len(cands) * (len(cands) - 1) // 2
    if total == 0:
        return (), True
    prob = model.probability
    order = sorted(cands, key=lambda c: (-prob[c], c))
    p = np.array([prob[c] for c in order], dtype=float)
    ocol = np.array([idx[c] for c in order], dtype=np.intp)
    needed = _needed(model, asset) if needed is None else needed
    oneed = np.array([c in needed for c in order], dtype=bool)
    limit = min(budget, total)
    pi, pj, pp = _first_pairs(p, min(limit, PAIR_BATCH * PAIR_AHEAD))
    cut = np.zeros(0, dtype=bool)  # whether each pair of the order, as far as simulated, is a cut set
    found: list[tuple[str, str, float]] = []
    examined = 0
    exact = False
    while examined < budget:
        size = min(PAIR_BATCH, budget - examined, total - examined)
        if size <= 0:
            exact = True
            break
        if examined + size > len(cut):
            # simulate the next few batches at once (fewer, larger numpy calls); the
            # stopping rule below still reads them batch by batch
            hi = min(limit, examined + PAIR_BATCH * PAIR_AHEAD)
            if hi > len(pi):
                pi, pj, pp = _first_pairs(p, min(limit, max(hi, 2 * len(pi))))
            ci, cj = pi[len(cut):hi], pj[len(cut):hi]
            more = np.zeros(len(ci), dtype=bool)
            live = np.flatnonzero(oneed[ci] | oneed[cj])
            if len(live):
                failed = np.zeros((len(nodes), len(live)), dtype=bool)  # closure x failure sets
                rows = np.arange(len(live))
                failed[ocol[ci[live]], rows] = True
                failed[ocol[cj[live]], rows] = True
                _, down = yield _pack(failed), len(live)
                more[live] = _unpack(down[None, :], len(live))[0]
            cut = np.concatenate([cut, more])
        hits = np.flatnonzero(cut[examined:examined + size])
        if len(hits):
            for t in (hits + examined).tolist():
                x, y = sorted((order[pi[t]], order[pj[t]]))
                found.append((x, y, float(pp[t])))
            found.sort(key=lambda t: (-t[2], t[0], t[1]))
        last = float(pp[examined + size - 1])
        examined += size
        if len(found) >= top and last < found[top - 1][2]:
            exact = True  # every pair not examined is less likely than the top ones found
            break
    return tuple(found[:top]), exact or examined >= total


def _needed(model: Model, asset: str) -> set[str]:
    """The asset and everything it depends on, transitively: the only failures that can take it down."""
    seen = {asset}
    stack = [asset]
    while stack:
        v = stack.pop()
        for t in model.dependencies_of(v):
            if t not in seen:
                seen.add(t)
                stack.append(t)
    return seen


# -- threats ------------------------------------------------------------------------------------------


_SPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> what credential theft spares

#: Kinds the attacker escalates to when they have a row on something held or destroyed.
ESCALATION_KINDS = frozenset({"credentials", "identity", "account"})


@dataclass(frozen=True)
class CompromiseStep:
    """One step of an attack: how ``component`` came to be held or destroyed.

    ``action`` is ``"holds"`` (a starting holder), ``"resets"`` (escalation
    to a credential through a row on a held component; ``"takes over"`` for
    an identity or account), ``"reads"`` (escalation through a row
    on a destroyed component: a secret kept there), ``"destroys"`` (a row on a
    held component) or ``"wipes"`` (a held identity, destroyed itself).
    ``via`` is what ``component`` has its rows on (itself for ``wipes``,
    None for ``holds``) and ``rows`` the kinds of those rows
    (``admin``, ``grouped``, ``plain``).
    """

    component: str
    action: str
    via: str | None
    rows: tuple[str, ...] = ()
    #: the directory relation behind the admin row, in BloodHound's words (``MemberOf``), or ""
    relation: str = ""

    def text(self) -> str:
        """This step in words: ``resets `svc` (row: svc on domain-admin)``; ``...; directory: MemberOf)``."""
        c = f"`{self.component}`"
        if self.action == "holds":
            return f"holding {c}"
        if self.action == "wipes":
            return f"wipes {c} (a held identity: the directory must be rebuilt)"
        row = _row_text(self.component, self.via, self.rows)
        if self.relation:
            row += f"; directory: {self.relation}"
        if self.action == "reads":
            return f"reads {c} stored on `{self.via}` ({row})"
        return f"{self.action} {c} ({row})"


def _row_text(component: str, via: str | None, kinds: tuple[str, ...]) -> str:
    """``row: x on k``, ``admin row: x on k``, ``admin and plain rows: x on k``."""
    named = [k for k in kinds if k != "plain"] if len(kinds) == 1 else list(kinds)
    label = " and ".join(named)
    plural = "rows" if len(kinds) > 1 else "row"
    return f"{label + ' ' if label else ''}{plural}: {component} on {via}"


@dataclass(frozen=True)
class Compromise:
    """What an attacker holding ``holders`` ends up holding and destroying, and how (``credential_compromise``)."""

    holders: tuple[str, ...]
    held: frozenset[str]
    destroyed: frozenset[str]
    steps: tuple[CompromiseStep, ...]  # in the order found (breadth-first: shortest chains)

    @functools.cached_property
    def _by_component(self) -> dict[str, CompromiseStep]:
        """The step that reached each component (computed once: paths are asked for many components)."""
        return {s.component: s for s in self.steps if s.action != "wipes"}

    def path(self, component: str) -> tuple[CompromiseStep, ...]:
        """The chain of steps from a holder to ``component`` (held or destroyed); empty when it is neither."""
        by = self._by_component
        if component not in by:
            return ()
        chain = []
        if component in self.destroyed and by[component].action != "destroys":
            chain.append(CompromiseStep(component, "wipes", component))
        v: str | None = component
        while v is not None:
            step = by[v]
            chain.append(step)
            v = step.via
        return tuple(reversed(chain))

    def explain(self, component: str) -> str:
        """The attack path to ``component`` as one readable chain (``holding `k` -> resets ... -> destroys ...``)."""
        return " -> ".join(step.text() for step in self.path(component))

    def graph(self) -> nx.DiGraph:
        """The attack graph: an edge ``via -> component`` per step (attrs ``action``, ``rows``); nodes carry ``state``."""
        g = nx.DiGraph()
        for c in sorted(self.held | self.destroyed):
            state = "held and destroyed" if c in self.held and c in self.destroyed else (
                "held" if c in self.held else "destroyed")
            g.add_node(c, state=state)
        for s in self.steps:
            if s.via is not None and s.action != "wipes":
                g.add_edge(s.via, s.component, action=s.action, rows=", ".join(s.rows))
        return g


def _spared(model: Model) -> frozenset[str]:
    """Immutable or offline backups and every backup store one of them has a plain or grouped row on."""
    spared = _SPARED.get(model)
    if spared is None:
        protected = {b for b, info in model.backup.items() if info.immutable or info.offline}
        stores = {t for b in protected for t in model.dependencies_of(b) if model.kind.get(t) == "backup_store"}
        spared = _SPARED[model] = frozenset(protected | stores)
    return spared


_COMPROMISES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> holders -> Compromise


def credential_compromise(model: Model, holder: str | Iterable[str]) -> Compromise:
    """The contract's ``credential_compromise`` closure for an attacker who starts holding ``holder``.

    **Escalation**: the attacker also holds every ``credentials``,
    ``identity`` or ``account`` component with a row (plain, grouped or
    ``admin``) on something held or destroyed, until nothing is added.
    **Destruction**: every held ``identity`` is destroyed, and so is every
    component of a ``DESTROYABLE_KINDS`` kind with a row (of any kind,
    whatever ``needs`` says) on a held component; except immutable or
    offline backups and the backup stores *any* such backup has a plain or
    grouped row on (our reading of "such a backup": the store keeps what a
    protected backup keeps, whether or not that backup has a row on the
    stolen credential). Nothing is destroyed through a chain of
    requirements, and held credentials and accounts are not failed.

    One breadth-first pass over the reverse rows (``Model.rows_on``) from the
    holders: the held and destroyed sets grow together, each component is
    visited once, so the cost is the part of the estate the attack reaches.
    Several holders give the union of their closures (every rule fires on a
    single held or destroyed component).

    Raises
    ------
    UnknownComponentError
        When ``holder`` names an id that is not a component.
    """
    holders = (holder,) if isinstance(holder, str) else tuple(sorted(set(holder)))
    cache = _COMPROMISES.get(model)
    if cache is None:
        cache = _COMPROMISES[model] = {}
    hit = cache.get(holders)
    if hit is not None:
        return hit
    cache[holders] = out = _compromise(model, holders)
    return out


def _compromise(model: Model, holders: tuple[str, ...], explain: bool = True) -> Compromise:
    """The closure of ``credential_compromise`` (not cached). Without ``explain`` its steps are left out (empty):
    the fix search asks only what a changed estate's attack holds and destroys, for many candidates."""
    model._check(holders)
    kind, rows_on = model.kind, model.rows_on
    row_kinds = model.row_kinds if explain else None
    relation = model.directory_relation if explain else None
    spared = _spared(model)
    held: set[str] = set(holders)
    destroyed: set[str] = set()
    steps = [CompromiseStep(k, "holds", None) for k in holders] if explain else []
    queue = list(holders)
    for k in holders:
        if kind[k] == "identity":
            destroyed.add(k)
    i = 0
    while i < len(queue):
        v = queue[i]
        i += 1
        v_held = v in held
        for c in rows_on[v]:
            ck = kind[c]
            if ck in ESCALATION_KINDS:
                if c not in held:
                    held.add(c)
                    if ck == "identity":
                        destroyed.add(c)
                    if explain:
                        verb = ("resets" if ck == "credentials" else "takes over") if v_held else "reads"
                        steps.append(CompromiseStep(c, verb, v, row_kinds[(c, v)], relation.get((c, v), "")))
                    queue.append(c)
            elif v_held and ck in DESTROYABLE_KINDS and c not in destroyed and c not in spared:
                destroyed.add(c)
                if explain:
                    steps.append(CompromiseStep(c, "destroys", v, row_kinds[(c, v)], relation.get((c, v), "")))
                queue.append(c)
    return Compromise(holders, frozenset(held), frozenset(destroyed), tuple(steps))


def compromise_reach(model: Model, holder: str) -> Compromise:
    """``credential_compromise(model, holder)`` without its steps (``steps`` empty), not cached: what a changed
    estate's attack holds and destroys, asked once per fix-search candidate (the explanation is never read)."""
    return _compromise(model, (holder,), explain=False)


_DESTROYED_SETS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> holder -> destroyed


def compromise_destroyed_sets(model: Model) -> dict[str, frozenset[str]]:
    """``credential_compromise(model, K).destroyed`` for every credentials, identity and account K at once.

    The same closure without the explanation, shared between holders: holding
    ``v`` (of an escalation kind) destroys ``d1[v]`` (the destructible
    components with a row on it, spared ones left out) and leads to holding
    every escalation-kind component with a row on ``v`` or on one of
    ``d1[v]``. So the held set of K is what K reaches in that small graph of
    credentials, identities and accounts, and its destroyed set the union of
    their ``d1`` plus the held identities: a set union per held component
    instead of a walk over every destroyed component's rows, which matters when
    escalation reaches most of the estate from many holders.
    """
    cached = _DESTROYED_SETS.get(model)
    if cached is not None:
        return cached
    kind, rows_on = model.kind, model.rows_on
    spared = _spared(model)
    holders = [c for c in model.ids if kind[c] in ESCALATION_KINDS]
    d1 = {v: frozenset(c for c in rows_on[v] if kind[c] in DESTROYABLE_KINDS and c not in spared) for v in holders}
    succ = {
        v: {c for c in rows_on[v] if kind[c] in ESCALATION_KINDS}
        | {c for d in d1[v] for c in rows_on[d] if kind[c] in ESCALATION_KINDS}
        for v in holders
    }
    out: dict[str, frozenset[str]] = {}
    for k in holders:
        held = {k}
        stack = [k]
        while stack:
            for c in succ[stack.pop()]:
                if c not in held:
                    held.add(c)
                    stack.append(c)
        destroyed = {v for v in held if kind[v] == "identity"}
        for v in held:
            destroyed |= d1[v]
        out[k] = frozenset(destroyed)
    _DESTROYED_SETS[model] = out
    return out


_RECOVERIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> destroyed set -> Recovery


def compromise_recovery(model: Model, holder: str):
    """``model.recover`` of what holding ``holder`` destroys, computed once per distinct destroyed set.

    Holders that escalate alike destroy alike, and findings ask the same
    question for every asset a holder defeats, so the restore simulation is shared.
    """
    return recovery_of(model, scenario_failures(model, (holder,), "credential_compromise"))


def recovery_of(model: Model, destroyed: frozenset[str]):
    """``model.recover(destroyed)``, computed once per model and distinct set (stolen credentials repeat)."""
    cache = _RECOVERIES.get(model)
    if cache is None:
        cache = _RECOVERIES[model] = {}
    hit = cache.get(destroyed)
    if hit is None:
        hit = cache[destroyed] = model.recover(destroyed)
    return hit


def credential_compromise_destroys(model: Model, holder: str) -> frozenset[str]:
    """What an attacker holding ``holder`` destroys (``credential_compromise(model, holder).destroyed``)."""
    return credential_compromise(model, holder).destroyed


def compromise_chains(model: Model, asset: str, compromise: Compromise, limit: int | None = None) -> list[str]:
    """The attack paths that matter to ``asset``: one chain per destroyed component of its closure, sorted by id.

    Components destroyed outside the asset's closure cannot change its fate.
    With ``limit``, at most that many chains, then one line counting the rest.
    """
    relevant = sorted(compromise.destroyed & model.closure(asset))
    if not relevant:
        return [f"holding {', '.join(compromise.holders)} destroys nothing {asset} needs"]
    shown = relevant if limit is None else relevant[:limit]
    chains = [compromise.explain(c) for c in shown]
    if len(relevant) > len(shown):
        chains.append(f"and {len(relevant) - len(shown)} more destroyed component(s) {asset} needs")
    return chains


def compromise_evidence(model: Model, asset: str, compromise: Compromise, limit: int = 6) -> str:
    """``compromise_chains`` as one evidence string (chains separated by ``; ``, at most ``limit``)."""
    return "; ".join(compromise_chains(model, asset, compromise, limit))


def worst_compromise(model: Model, asset: str) -> Compromise | None:
    """The stolen credential, identity or account that hurts ``asset`` most, with its closure.

    Among the strikes of ``credential_compromise``: first those that leave the
    asset unrecoverable, then the most destroyed components the asset's
    recovery runs through (its closure), then the id. None when the estate
    has nothing to steal or no strike destroys anything the asset needs.
    """
    if asset not in model.backups_of:
        raise ValueError(f"{asset!r} is not a protected asset: expected one of {', '.join(model.assets)}")
    kinds = THREAT_MODES["credential_compromise"]
    closure = model.closure(asset)
    best, best_key = None, None
    for k in model.ids:
        if model.kind[k] not in kinds:
            continue
        attack = credential_compromise(model, k)
        hit = len(attack.destroyed & closure)
        if not hit:
            continue
        lost = asset in model.recover(attack.destroyed).unrecoverable
        key = (not lost, -hit, k)
        if best_key is None or key < best_key:
            best, best_key = attack, key
    return best


def scenario_failures(model: Model, fail: Iterable[str], mode: str | None = None) -> frozenset[str]:
    """The failed set of a declared scenario, read through its threat ``mode``.

    ``credential_compromise``: the listed components are the stolen
    credentials, identities or accounts; what fails is everything each one
    destroys (``credential_compromise_destroys``). ``logical_corruption``: the
    listed components fail and so do the replica backups of each of them.
    Any other mode (or none): the listed components fail.
    """
    fail = sorted(set(fail))
    if mode == "credential_compromise":
        sets = compromise_destroyed_sets(model)
        if all(k in sets for k in fail):  # the union of single closures (every rule fires on one component)
            return frozenset().union(*(sets[k] for k in fail))
        return credential_compromise(model, fail).destroyed
    if mode == "logical_corruption":
        extra = {b for a in fail for b in model.backups_of.get(a, ()) if model.backup[b].method == "replica"}
        return frozenset(fail) | extra
    return frozenset(fail)


_SINGLE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> component -> what it alone takes
_SINGLE_DOWN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> common cause -> its final down set


def single_failures(model: Model) -> dict[str, tuple[str, ...]]:
    """Component -> the assets its failure alone leaves unrecoverable (``recover((x,))`` of every component),
    computed once per model: the common causes, the threat verdicts, the fix search's base answers and the
    estate risk all read it. Read-only for the callers. The final down set of each component that leaves
    some asset unrecoverable is kept for ``single_failure_down`` (the failure-domain findings read it)."""
    got = _SINGLE.get(model)
    if got is None:
        got = {}
        kept = _SINGLE_DOWN[model] = {}
        for x in model.ids:
            rec = model.recover((x,))
            got[x] = rec.unrecoverable
            if rec.unrecoverable:  # a common cause: the failure-domain findings read its final down set
                kept[x] = rec.final_down
        _SINGLE[model] = got
    return got


def single_failure_down(model: Model, x: str) -> frozenset[str]:
    """``model.recover((x,)).final_down``: kept by ``single_failures`` for every common cause, else computed."""
    kept = _SINGLE_DOWN.get(model)
    hit = None if kept is None else kept.get(x)
    return model.recover((x,)).final_down if hit is None else hit


def release_single_downs(model: Model) -> None:
    """Let go of the final down sets ``single_failures`` kept (``single_failure_down`` computes them again)."""
    _SINGLE_DOWN.pop(model, None)


def threat_verdicts(model: Model, unrecoverable_by: dict[str, tuple[str, ...]]):
    """Verdicts of the eight threat modes: (asset -> mode -> verdict, asset -> mode -> striking components).

    ``unrecoverable_by`` maps each asset to its common causes (the single
    failures that leave it unrecoverable), which settle the plain strikes.
    """
    present = {k for k in model.kind.values()}
    verdict: dict[str, dict[str, str]] = {a: {} for a in model.assets}
    causes: dict[str, dict[str, tuple[str, ...]]] = {a: {} for a in model.assets}
    for mode, kinds in THREAT_MODES.items():
        if mode == "logical_corruption":
            for a in model.assets:
                replicas = {b for b in model.backups_of[a] if model.backup[b].method == "replica"}
                if replicas:
                    lost = a in model.recover({a} | replicas).final_down
                else:  # the asset alone fails: its single failure, already recovered
                    lost = a in unrecoverable_by[a]
                verdict[a][mode] = "unrecoverable" if lost else "recoverable"
                causes[a][mode] = (a,) if lost else ()
            continue
        if not present.intersection(kinds):
            for a in model.assets:
                verdict[a][mode] = "not_applicable"
                causes[a][mode] = ()
            continue
        strikes = sorted(c for c in model.ids if model.kind[c] in kinds)
        hit: dict[str, list[str]] = {a: [] for a in model.assets}
        for k in strikes:
            if mode == "credential_compromise":
                lost = compromise_recovery(model, k).unrecoverable  # shared by holders that destroy alike
            else:
                lost = unrecoverable_by[k]
            for a in lost:
                hit[a].append(k)
        for a in model.assets:
            verdict[a][mode] = "unrecoverable" if hit[a] else "recoverable"
            causes[a][mode] = tuple(hit[a])
    return verdict, causes


# -- structure ------------------------------------------------------------------------------------------


def _recovery_nodes(model: Model) -> set[str]:
    """Every component some recovery path runs through (backups, targets and their dependencies)."""
    starts: set[str] = set()
    for a in model.assets:
        for b in model.backups_of[a]:
            starts.add(b)
            t = model.backup[b].restore_to
            starts.update([t] if t is not None else model.dependencies_of(a))
    seen: set[str] = set()
    stack = sorted(starts)
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            stack.extend(model.dependencies_of(v))
    return seen


def recovery_reach(model: Model, asset: str) -> frozenset[str]:
    """Every component a recovery path of ``asset`` runs through (through dependency rows)."""
    seen: set[str] = set()
    stack = list(model.recovery_targets(asset))
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            stack.extend(model.dependencies_of(v))
    return frozenset(seen)


def recovery_cycles(model: Model, limit: int = MAX_CYCLES) -> tuple[tuple[str, ...], ...]:
    """Dependency cycles that a recovery path runs through.

    A cycle counts when a recovery path (the backup, its restore target, or
    the asset's own dependencies for a restore in place) reaches it through
    dependency rows. Each cycle is rotated to start at its smallest id; the
    list is sorted. At most ``limit`` cycles are enumerated.
    """
    nodes = _recovery_nodes(model)
    # the dependency graph's edges among ``nodes`` (its successors are the rows' targets), read from the
    # model's indexes rather than a subgraph view of the whole graph
    edges = sorted((u, v) for u in nodes for v in model.dependencies_of(u) if v in nodes)
    # Every cycle lies in the graph's cyclic core: enumerated there, up to one past the limit. Within the limit
    # that is every cycle of the graph, the set the whole graph's enumeration gives too; past it, which cycles
    # count depends on the order the whole graph is enumerated in, so it is enumerated as always.
    core = _cyclic_core(nodes, edges)
    found = _enumerated(core, [(u, v) for u, v in edges if u in core and v in core], limit + 1) if core else set()
    if len(found) > limit:
        found = _enumerated(nodes, edges, limit)
    return tuple(sorted(found))


def _enumerated(nodes: Collection[str], edges: list[tuple[str, str]], limit: int) -> set[tuple[str, ...]]:
    """The first ``limit`` simple cycles of the graph (networkx's order), each rotated to start at its smallest id."""
    sub = nx.DiGraph()
    sub.add_nodes_from(sorted(nodes))
    sub.add_edges_from(edges)
    out = set()
    for cyc in itertools.islice(nx.simple_cycles(sub), limit):
        i = cyc.index(min(cyc))
        out.add(tuple(cyc[i:] + cyc[:i]))
    return out


def _cyclic_core(nodes: Collection[str], edges: list[tuple[str, str]]) -> set[str]:
    """What is left of the graph once every node without an edge in or without an edge out (among those left)
    is taken away, again and again: no cycle runs through a node taken away, so every cycle is in it (and, on
    a dependency graph, little else)."""
    succ: dict[str, set[str]] = {v: set() for v in nodes}
    pred: dict[str, set[str]] = {v: set() for v in nodes}
    for u, v in edges:
        succ[u].add(v)
        pred[v].add(u)
    stack = [v for v in nodes if not succ[v] or not pred[v]]
    gone: set[str] = set()
    while stack:
        v = stack.pop()
        if v in gone:
            continue
        gone.add(v)
        for w in succ[v]:
            pred[w].discard(v)
            if not pred[w]:
                stack.append(w)
        for w in pred[v]:
            succ[w].discard(v)
            if not succ[w]:
                stack.append(w)
    return {v for v in nodes if v not in gone}


def _rto_inversions(model: Model) -> tuple[tuple[str, str], ...]:
    """(asset, dependency) where the dependency (transitively) has a longer declared RTO."""
    comps = model.inventory.components
    rto = {str(i): float(r) for i, r in zip(comps["id"], comps["rto_hours"]) if r == r and r is not None}
    out = []
    for a in model.assets:
        if a not in rto:
            continue
        for d in sorted(_needed(model, a) - {a}):  # what a depends on, transitively (the graph's descendants)
            if d in rto and rto[d] > rto[a]:
                out.append((a, d))
    return tuple(out)


# -- evidence and findings ------------------------------------------------------------------------------


_BFS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> recent breadth-first searches
_BFS_KEEP = 512  # sources kept per model (evidence is written asset by asset, so recent ones repeat)


def _bfs(model: Model, src: str) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Distances from ``src`` along dependency rows and, per node, its predecessors on shortest paths."""
    cache = _BFS.get(model)
    if cache is None:
        cache = _BFS[model] = OrderedDict()
    hit = cache.get(src)
    if hit is not None:
        cache.move_to_end(src)
        return hit
    succ = model.dependencies_of  # the graph's successors, as a sorted tuple kept by the model
    dist = {src: 0}
    preds: dict[str, list[str]] = {src: []}
    frontier = [src]
    while frontier:
        nxt = []
        for u in frontier:
            du = dist[u] + 1
            for w in succ(u):
                dw = dist.get(w)
                if dw is None:
                    dist[w] = du
                    preds[w] = [u]
                    nxt.append(w)
                elif dw == du:
                    preds[w].append(u)
        frontier = nxt
    cache[src] = (dist, preds)
    if len(cache) > _BFS_KEEP:
        cache.popitem(last=False)
    return dist, preds


def _path(model: Model, src: str, dst: str) -> list[str] | None:
    """A shortest dependency path src -> ... -> dst (lexicographically smallest among the shortest).

    One breadth-first search from ``src`` (kept for the next questions about
    the same source), then the smallest next id at every step among the
    nodes that lie on some shortest path to ``dst``: the same answer as the
    smallest of ``networkx.all_shortest_paths`` without enumerating them.
    """
    if src == dst:
        return [src]
    if src not in model.kind:
        return None
    dist, preds = _bfs(model, src)
    if dst not in dist:
        return None
    on = {dst}
    stack = [dst]
    while stack:
        for u in preds[stack.pop()]:
            if u not in on:
                on.add(u)
                stack.append(u)
    path = [src]
    for step in range(1, dist[dst] + 1):
        path.append(min(w for w in model.dependencies_of(path[-1]) if w in on and dist[w] == step))
    return path


def _arrow(path: list[str]) -> str:
    return " -> ".join(path)


def common_cause_evidence(model: Model, asset: str, cause: str) -> str:
    """How ``cause`` reaches production and every recovery path of ``asset``, as dependency paths."""
    parts = []
    prod = _path(model, asset, cause)
    parts.append(f"production: {_arrow(prod)}" if prod else f"production: {asset} goes down with {cause}")
    for b in model.backups_of[asset]:
        info = model.backup[b]
        via = _path(model, b, cause)
        if info.restore_to is not None:
            tgt = _path(model, info.restore_to, cause)
            shown = via or tgt
            where = f"restore to {info.restore_to}"
        else:
            tgt = prod
            shown = via or prod
            where = "restore in place (needs the asset's own dependencies)"
        text = _arrow(shown) if shown else "down (through a component that cannot be restored)"
        parts.append(f"recovery via {b}, {where}: {text}")
    return "; ".join(parts)


def _tier(model: Model, asset: str) -> int | None:
    return model.tier.get(asset)


def _cycle_findings(model: Model, cycles) -> list[Finding]:
    out = []
    reach = {a: recovery_reach(model, a) for a in model.assets} if cycles else {}
    for cyc in cycles:
        users = tuple(a for a in model.assets if cyc[0] in reach[a])
        out.append(
            Finding(
                id="coupling:cycle:" + ">".join(cyc),
                category="coupling",
                severity="medium",
                title=f"Recovery of {len(users)} asset(s) runs through a dependency cycle of {len(cyc)} components",
                assets=users,
                components=cyc,
                evidence=_arrow([*cyc, cyc[0]]),
                recommendation=(
                    "Break the cycle for recovery: a bootstrap path (break-glass credentials, static DNS, "
                    "a local key) that lets one member start without the others."
                ),
            )
        )
    return out


def _rto_findings(model: Model, inversions) -> list[Finding]:
    comps = model.inventory.components
    rto = dict(zip(comps["id"], comps["rto_hours"]))
    out = []
    for a, d in inversions:
        tier = _tier(model, a)
        out.append(
            Finding(
                id=f"coupling:rto-inversion:{a}:{d}",
                category="coupling",
                severity="medium" if tier in (1, 2) else "low",
                title=f"{a} (RTO {rto[a]:g} h) depends on {d} (RTO {rto[d]:g} h)",
                assets=(a,),
                components=(d,),
                evidence=_arrow(_path(model, a, d) or [a, d]),
                recommendation=f"Bring {d}'s RTO down to at most {rto[a]:g} h, or remove {a}'s need for it.",
            )
        )
    return out


# -- the whole analysis ----------------------------------------------------------------------------------


@paused  # millions of short-lived arrays and tuples: no collection walking the estate meanwhile
def analyze(model: Model, *, pairs: bool = True, survival: bool = True,
            unrecoverable_by: Mapping[str, tuple[str, ...]] | None = None,
            simulated: Mapping[str, list] | None = None) -> CouplingResult:
    """Run every coupling analysis on ``model``.

    Parameters
    ----------
    model : Model
    pairs : bool
        Compute order-2 cut sets (and the importance that uses them).
    survival : bool
        Estimate survivability (None when False: the findings never read it, so
        the re-analyses of a changed estate skip the simulation).
    unrecoverable_by : mapping, optional
        ``single_failures(model)``, when already computed.
    simulated : mapping, optional
        ``simulate(model, unrecoverable_by, pairs, survival)``, when already
        computed (the analysis runs it beside the fix search: no finding and
        no fix reads the cut pairs, survivability or importance).

    Returns
    -------
    CouplingResult
        Per-asset verdicts, per-component blast radius and importance, cycles,
        keystones, RTO inversions and the coupling findings.

    Notes
    -----
    Importance is **Fussell-Vesely**: for asset A and component X, the share of
    A's unrecoverability risk carried by the minimal cut sets containing X,
    over the cut sets of order 1 and 2 found, with the rare-event
    approximation (P(cut set) = product of its probabilities). A component's
    ``importance`` is its largest value over the assets.

    Severity rule: common causes by the asset's tier (1 critical, 2 high,
    3 medium, 4 low, unknown medium); credential compromise and logical
    corruption one step more severe (they are how backups are lost in
    practice: ransomware); keystones by the most critical tier they affect;
    recovery cycles medium; RTO inversions medium for tier 1-2, low otherwise.
    """
    unrecoverable_by = single_failures(model) if unrecoverable_by is None else unrecoverable_by
    common = _common_causes(model, unrecoverable_by)
    verdicts, causes = threat_verdicts(model, unrecoverable_by)
    if simulated is None:
        simulated = simulate(model, unrecoverable_by, pairs=pairs, survival=survival)
    assets, importance = _assets(model, common, verdicts, causes, simulated, pairs, survival)
    keystones = {}
    for x in model.ids:
        if x in model.backups_of or model.kind[x] == "backup":
            continue
        hit = tuple(a for a in unrecoverable_by[x] if a != x)
        if len(hit) >= KEYSTONE_MIN_ASSETS:
            keystones[x] = hit
    cycles = recovery_cycles(model)
    inversions = _rto_inversions(model)
    # the verdicts' own findings; the consolidated ones (failure domains, stolen credentials, corruption,
    # declared scenarios) are the advice layer's, which reads this result (advice.findings_of)
    findings = _cycle_findings(model, cycles) + _rto_findings(model, inversions)
    return CouplingResult(
        assets=assets,
        unrecoverable_by=unrecoverable_by,
        blast_radius={x: len(v) for x, v in unrecoverable_by.items()},
        importance=importance,
        cycles=cycles,
        keystones=keystones,
        rto_inversions=inversions,
        findings=tuple(findings),
    )


def with_simulation(result: CouplingResult, model: Model, simulated: Mapping[str, list]) -> CouplingResult:
    """``result`` (of ``analyze(model, pairs=False, survival=False)``) with the cut pairs, survivability and
    importance of ``simulated`` (``simulate(model, result.unrecoverable_by)``): what ``analyze(model)`` gives."""
    verdicts = {a: ac.threats for a, ac in result.assets.items()}
    causes = {a: ac.threat_causes for a, ac in result.assets.items()}
    common = _common_causes(model, result.unrecoverable_by)
    assets, importance = _assets(model, common, verdicts, causes, simulated, True, True)
    return dataclasses.replace(result, assets=assets, importance=importance)


def _common_causes(model: Model, unrecoverable_by: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    common: dict[str, list[str]] = {a: [] for a in model.assets}
    for x in model.ids:
        for a in unrecoverable_by[x]:
            common[a].append(x)
    return common


@paused  # the batched simulation's many short-lived arrays: no collection walking the estate meanwhile
def simulate(model: Model, unrecoverable_by: Mapping[str, tuple[str, ...]], *, pairs: bool = True,
             survival: bool = True, workers: int | None = None) -> dict[str, list]:
    """The simulated part of the coupling analysis, asset -> its answers: the order-2 cut sets (``pairs``),
    then the survivability (``survival``), by the batched closure simulation (``_batched``; each asset's draws
    seeded by its own id, so where and with how many ``workers`` it runs changes nothing)."""
    if not pairs and not survival:
        return {}
    common = _common_causes(model, unrecoverable_by)
    jobs = []
    for a in model.assets:
        nodes = sorted(model.closure(a))
        needed = _needed(model, a) if pairs or survival else set()
        steps = [_cut_pair_steps(model, a, common[a], nodes, needed=needed)] if pairs else []
        if survival:
            steps.append(_survivability_steps(model, a, nodes, needed=needed))
        if steps:
            jobs.append((a, nodes, steps))
    return _batched(model, jobs, workers=workers)


def _assets(model: Model, common: Mapping[str, list[str]], verdicts: Mapping, causes: Mapping,
            done: Mapping[str, list], pairs: bool, survival: bool) -> tuple[dict[str, AssetCoupling], dict[str, float]]:
    """Each asset's verdicts with its simulated answers, and each component's Fussell-Vesely importance."""
    prob = model.probability
    assets: dict[str, AssetCoupling] = {}
    importance: dict[str, float] = {c: 0.0 for c in model.ids}
    for a in model.assets:
        cc = tuple(common[a])
        answers = iter(done.get(a, ()))
        cps, exhaustive = next(answers) if pairs else ((), False)
        surv, method, err = next(answers) if survival else (None, "not estimated", None)
        risk: dict[str, float] = {}
        total = sum(prob[x] for x in cc) + sum(p for _, _, p in cps)
        if total > 0:
            for x in cc:
                risk[x] = risk.get(x, 0.0) + prob[x] / total
            for x, y, p in cps:
                risk[x] = risk.get(x, 0.0) + p / total
                risk[y] = risk.get(y, 0.0) + p / total
        for x, v in risk.items():
            importance[x] = max(importance[x], v)
        assets[a] = AssetCoupling(
            asset=a,
            common_cause=cc,
            cut_pairs=cps,
            cut_pairs_exhaustive=exhaustive,
            survivability=surv,
            survivability_method=method,
            survivability_error=err,
            threats=verdicts[a],
            threat_causes=causes[a],
            importance=dict(sorted(risk.items())),
        )
    return assets, importance


# -- views for the notebook ---------------------------------------------------------------------------------


def most_exposed(result: CouplingResult) -> str | None:
    """The asset to explain first: most threat modes unrecoverable, then most common causes, lowest survivability, id."""
    def key(a: str):
        ac = result.assets[a]
        lost = sum(v == "unrecoverable" for v in ac.threats.values())
        surv = ac.survivability if ac.survivability is not None else 1.0
        return (-lost, -len(ac.common_cause), surv, a)

    return min(result.assets, key=key) if result.assets else None


def common_cause_table(model: Model, result: CouplingResult, asset: str):
    """One row per common cause of ``asset``: kind, probability, blast radius and the evidence paths."""
    import pandas as pd

    if asset not in result.assets:
        raise ValueError(f"{asset!r} is not a protected asset: expected one of {', '.join(result.assets)}")
    rows = [
        {
            "cause": x,
            "kind": model.kind[x],
            "probability": model.probability[x],
            "blast_radius": result.blast_radius[x],
            "evidence": common_cause_evidence(model, asset, x),
        }
        for x in result.assets[asset].common_cause
    ]
    return pd.DataFrame(rows, columns=["cause", "kind", "probability", "blast_radius", "evidence"])
