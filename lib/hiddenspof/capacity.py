"""Capacity stress: mass-restore scenarios simulated as an event-driven fluid model against RTOs."""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from hiddenspof.collector import paused
from hiddenspof.errors import HiddenspofError

__all__ = [
    "MB_PER_GB",
    "CapacityError",
    "Limit",
    "Job",
    "ScheduledRestore",
    "ComponentLoad",
    "Schedule",
    "fair_rates",
    "simulate",
    "priority_key",
    "StressScenario",
    "RestoreResult",
    "ScenarioResult",
    "CapacityResult",
    "HEADROOM_TOLERANCE",
    "limits",
    "path_components",
    "RESTORE_ALL",
    "restore_all_answer",
    "is_timed",
    "scenario_failures",
    "build_scenario",
    "scenarios",
    "headroom",
    "run_scenario",
    "routine_hours",
    "analyze",
    "restores_frame",
    "loads_frame",
    "hours_frame",
    "scenarios_frame",
]

#: Decimal units throughout: 1 GB = 1000 MB, rates in MB per second (SI, as storage vendors quote them).
MB_PER_GB = 1000.0

_REL = 1e-9  # relative tolerance for "saturated" and "finishes at the same instant"


class CapacityError(HiddenspofError, ValueError):
    """Raised when a restore simulation is given inconsistent input (unknown ids, cycles, bad limits)."""


@dataclass(frozen=True)
class Limit:
    """The restore capacity of one component: a throughput (MB/s) and/or a number of concurrent restores."""

    throughput_mb_s: float | None = None
    max_parallel: int | None = None

    def scaled(self, factor: float) -> Limit:
        """This limit multiplied by ``factor`` (parallelism rounded up, never below 1)."""
        if not factor > 0:
            raise CapacityError(f"scale factor must be > 0 (got {factor!r})")
        thr = None if self.throughput_mb_s is None else self.throughput_mb_s * factor
        par = None if self.max_parallel is None else max(1, math.ceil(self.max_parallel * factor - 1e-12))
        return Limit(thr, par)


@dataclass(frozen=True)
class Job:
    """One restore to schedule.

    ``size_gb`` is the data it moves; ``components`` the constrained components it
    crosses (those missing from the limits are ignored); ``cap_mb_s`` its own
    rate limit (the backup's ``restore_mb_s``); ``after`` the jobs that must
    finish before it may start. ``tier`` and ``rto_hours`` set its queue rank.
    """

    id: str
    size_gb: float
    components: tuple[str, ...] = ()
    cap_mb_s: float | None = None
    tier: int | None = None
    rto_hours: float | None = None
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScheduledRestore:
    """When one job ran: start and finish in hours from the moment of the disaster."""

    id: str
    start_hours: float
    finish_hours: float


@dataclass(frozen=True)
class ComponentLoad:
    """What a constrained component carried during a simulation.

    ``utilisation`` is the larger of its mean throughput use and its mean slot
    use over the makespan (0..1); ``saturated_hours`` is how long it was full
    (all its throughput or all its restore slots in use).
    """

    component: str
    carried_gb: float
    utilisation: float
    saturated_hours: float


@dataclass(frozen=True)
class Schedule:
    """The result of :func:`simulate`: one entry per job (sorted by start, then id), makespan, loads."""

    restores: tuple[ScheduledRestore, ...]
    makespan_hours: float
    loads: tuple[ComponentLoad, ...] = field(default_factory=tuple)

    def by_id(self) -> dict[str, ScheduledRestore]:
        """Entries keyed by job id."""
        return {r.id: r for r in self.restores}

    def bottlenecks(self) -> tuple[ComponentLoad, ...]:
        """Components that were full at some moment, most utilised first (then by id)."""
        full = [c for c in self.loads if c.saturated_hours > 0]
        return tuple(sorted(full, key=lambda c: (-c.utilisation, c.component)))


def priority_key(tier: int | None, rto_hours: float | None, ident: str) -> tuple:
    """Queue rank: tier (missing last), then RTO (missing last), then id by code point."""
    t = (0, int(tier)) if tier is not None else (1, 0)
    r = (0, float(rto_hours)) if rto_hours is not None else (1, 0.0)
    return (t, r, ident)


def _check(jobs: list[Job], limits: Mapping[str, Limit]) -> None:
    """Reject duplicate ids, unknown or cyclic ``after`` references, negative sizes and bad limits."""
    ids = [j.id for j in jobs]
    dup = sorted(k for k, n in Counter(ids).items() if n > 1)
    if dup:
        raise CapacityError(f"duplicate restore ids: {', '.join(dup)}")
    known = set(ids)
    for j in jobs:
        if not (j.size_gb >= 0) or math.isinf(j.size_gb):
            raise CapacityError(f"restore {j.id!r}: size_gb must be a finite number >= 0 (got {j.size_gb!r})")
        if j.cap_mb_s is not None and not (j.cap_mb_s > 0):
            raise CapacityError(f"restore {j.id!r}: cap_mb_s must be > 0 (got {j.cap_mb_s!r})")
        missing = sorted(set(j.after) - known)
        if missing:
            raise CapacityError(f"restore {j.id!r} waits for unknown restores: {', '.join(missing)}")
        if j.id in j.after:
            raise CapacityError(f"restore {j.id!r} waits for itself")
    for c, lim in sorted(limits.items()):
        if lim.throughput_mb_s is not None and not (lim.throughput_mb_s > 0):
            raise CapacityError(f"component {c!r}: throughput_mb_s must be > 0 (got {lim.throughput_mb_s!r})")
        if lim.max_parallel is not None and not (int(lim.max_parallel) >= 1):
            raise CapacityError(f"component {c!r}: max_parallel must be >= 1 (got {lim.max_parallel!r})")


def _class_order(key: tuple) -> tuple:
    """A total order on class keys ``(links, cap)`` (cap None first)."""
    return (key[0], key[1] is not None, key[1] or 0.0)


def _allocate(classes: dict[tuple, int], thr: Mapping[str, float]) -> dict[tuple, float]:
    """Max-min fair rates (MB/s) by progressive filling, per class of identical restores.

    A class key is ``(links, cap)``: the throughput-limited components crossed
    and the per-restore cap (``None`` for none). Every restore of a class gets
    the same rate. All unfrozen restores rise together; a link freezes its
    restores when full, a cap freezes its restore when reached. Restores that
    cross no link and have no cap get ``math.inf``.
    """
    rate: dict[tuple, float] = {}
    unfrozen = set(classes)
    frozen_load: dict[str, float] = defaultdict(float)
    crossing: dict[str, int] = defaultdict(int)
    for key, n in classes.items():
        for c in key[0]:
            crossing[c] += n
    while unfrozen:
        level = math.inf
        for c, n in crossing.items():
            if n > 0:
                level = min(level, max(0.0, thr[c] - frozen_load[c]) / n)
        for key in unfrozen:
            if key[1] is not None:
                level = min(level, key[1])
        if math.isinf(level):
            for key in unfrozen:
                rate[key] = math.inf
            break
        full = {
            c
            for c, n in crossing.items()
            if n > 0 and max(0.0, thr[c] - frozen_load[c]) / n <= level * (1 + _REL)
        }
        done = sorted(
            (
                key
                for key in unfrozen
                if (key[1] is not None and key[1] <= level * (1 + _REL)) or any(c in full for c in key[0])
            ),
            key=_class_order,
        )  # sorted: the sums below must not depend on set order (string hashes vary between runs)
        for key in done:
            unfrozen.discard(key)
            rate[key] = level
            n = classes[key]
            for c in key[0]:
                crossing[c] -= n
                frozen_load[c] += level * n
    return rate


def fair_rates(jobs: Iterable[Job], limits: Mapping[str, Limit]) -> dict[str, float]:
    """Max-min fair rate (MB/s) of each job if all ran at once (parallelism ignored).

    The allocation :func:`simulate` uses between two events; exposed so the
    fairness rule can be checked and shown on its own.
    """
    jobs = list(jobs)
    _check(jobs, limits)
    thr = {c: float(lim.throughput_mb_s) for c, lim in limits.items() if lim.throughput_mb_s is not None}
    keys = {j.id: (tuple(sorted(c for c in set(j.components) if c in thr)), j.cap_mb_s) for j in jobs}
    rates = _allocate(dict(Counter(keys.values())), thr)
    return {i: rates[k] for i, k in sorted(keys.items())}


def simulate(
    jobs: Iterable[Job],
    limits: Mapping[str, Limit],
    scale: Mapping[str, float] | float | None = None,
) -> Schedule:
    """Simulate concurrent restores sharing constrained components (exact event times).

    A fluid model: between two events every running restore moves data at a
    constant rate, so the next event (a restore finishing) is computed exactly,
    never by time stepping. Rules:

    * a restore becomes *ready* when every job in its ``after`` has finished
      (at time 0 when it has none);
    * ready restores are admitted in queue order (:func:`priority_key`: tier,
      then RTO, then id); one is admitted when every component it crosses that
      has ``max_parallel`` still has a free slot, and it holds that slot until
      it finishes. A restore that cannot be admitted does not hold back a
      lower-ranked one that can (no reservation of slots);
    * running restores share every throughput-limited component they cross
      max-min fairly (progressive filling), each also capped by its
      ``cap_mb_s``;
    * a restore that moves nothing, or crosses no throughput limit and has no
      cap, finishes at the instant it starts.

    Parameters
    ----------
    jobs : iterable of Job
        The restores; ids must be unique.
    limits : mapping of component id to Limit
        Throughput and parallelism of each constrained component.
    scale : mapping of component id to factor, or one factor for all, optional
        Multiplies the limits (parallelism rounded up) for what-if runs; the
        per-restore caps are not scaled.

    Returns
    -------
    Schedule
        Start and finish of every job in hours, the makespan, and the load of
        every constrained component that some job crosses.

    Raises
    ------
    CapacityError
        For duplicate ids, unknown or cyclic ``after`` references, negative
        sizes or non-positive limits.

    Examples
    --------
    >>> s = simulate([Job("a", 36.0, ("store",)), Job("b", 36.0, ("store",))],
    ...              {"store": Limit(throughput_mb_s=100.0)})
    >>> s.makespan_hours
    0.2

    References
    ----------
    D. Bertsekas and R. Gallager, *Data Networks*, 2nd ed., section 6.5.2
    (max-min fairness and the progressive filling algorithm).
    """
    jobs = sorted(jobs, key=lambda j: j.id)
    limits = dict(limits)
    if scale is not None:
        if isinstance(scale, Mapping):
            limits = {c: (lim.scaled(scale[c]) if c in scale else lim) for c, lim in limits.items()}
        else:
            limits = {c: lim.scaled(float(scale)) for c, lim in limits.items()}
    _check(jobs, limits)
    return _Plan(jobs, limits).run(limits)


class _Plan:
    """What a simulation of some jobs knows before it runs: each job's links, slots, class, rank and waits.

    It depends on the limits only through which components have a
    throughput and which a parallelism, so one plan serves every scaling of
    the same limits (the headroom bisection). ``jobs`` sorted by id and
    already checked (:func:`_check`).
    """

    def __init__(self, jobs: list[Job], limits: Mapping[str, Limit]) -> None:
        has_thr = {c for c, lim in limits.items() if lim.throughput_mb_s is not None}
        has_par = {c for c, lim in limits.items() if lim.max_parallel is not None}
        self.keys = (frozenset(has_thr), frozenset(has_par))
        self.jobs = jobs
        self.links = {j.id: tuple(sorted(c for c in set(j.components) if c in has_thr)) for j in jobs}
        self.slots = {j.id: tuple(sorted(c for c in set(j.components) if c in has_par)) for j in jobs}
        self.ckey = {j.id: (self.links[j.id], j.cap_mb_s) for j in jobs}
        self.rank = {j.id: priority_key(j.tier, j.rto_hours, j.id) for j in jobs}
        self.waiting_on = {j.id: len(set(j.after)) for j in jobs}
        self.dependents: dict[str, list[str]] = defaultdict(list)
        for j in jobs:
            for a in sorted(set(j.after)):
                self.dependents[a].append(j.id)
        self.carried = sorted({c for j in jobs for c in j.components if c in limits})

    def fits(self, limits: Mapping[str, Limit]) -> bool:
        """Whether ``limits`` limit the same components the same ways as the limits the plan was made with."""
        return self.keys == (frozenset(c for c, lim in limits.items() if lim.throughput_mb_s is not None),
                             frozenset(c for c, lim in limits.items() if lim.max_parallel is not None))

    def run(self, limits: Mapping[str, Limit]) -> Schedule:
        """The schedule under ``limits`` (checked; see :meth:`fits`)."""
        return _run(self, limits)


def _run(plan: _Plan, limits: Mapping[str, Limit]) -> Schedule:
    """The event loop of :func:`simulate` on a plan."""
    jobs = plan.jobs
    thr = {c: float(lim.throughput_mb_s) for c, lim in limits.items() if lim.throughput_mb_s is not None}
    par = {c: int(lim.max_parallel) for c, lim in limits.items() if lim.max_parallel is not None}
    by_id = {j.id: j for j in jobs}
    slots, ckey, rank, dependents = plan.slots, plan.ckey, plan.rank, plan.dependents
    waiting_on = dict(plan.waiting_on)

    # ready restores that need a slot queue in (rank, id) order, grouped by the slots they need (sorted tuples):
    # once one of its slots is full a group waits as a whole, so an admission walks the heads of the groups
    # that can start, not every queued restore; the others start at once
    queued: dict[tuple, list[tuple]] = {}
    for i, n in waiting_on.items():
        if n == 0 and slots[i]:
            queued.setdefault(slots[i], []).append((rank[i], i))
    for q in queued.values():
        heapq.heapify(q)
    free: list[str] = [i for i, n in waiting_on.items() if n == 0 and not slots[i]]
    # what is left of each restore (MB), by position; the running ones are advanced together in numpy, with
    # the very float operations (a rate times the step, subtracted; a division; a minimum) a loop over them does
    ids = [j.id for j in jobs]
    at = {i: k for k, i in enumerate(ids)}
    remaining = np.array([j.size_gb * MB_PER_GB for j in jobs], dtype=float)
    active = np.zeros(len(jobs), dtype=bool)
    class_keys = sorted(set(ckey.values()), key=_class_order)
    class_at = {key: n for n, key in enumerate(class_keys)}
    class_of = np.array([class_at[ckey[i]] for i in ids], dtype=np.int64)
    class_rate = np.zeros(len(class_keys), dtype=float)
    running: dict[str, None] = {}  # insertion-ordered set
    classes: Counter = Counter()
    used = dict.fromkeys(par, 0)
    start: dict[str, float] = {}
    finish: dict[str, float] = {}
    carried = dict.fromkeys(plan.carried, 0.0)
    slot_seconds = dict.fromkeys(carried, 0.0)
    saturated = dict.fromkeys(carried, 0.0)
    t = 0.0

    def admit() -> None:
        """Start the free restores, then the queued ones in (rank, id) order whose slots are all free: as a
        walk down the whole queue that skips a restore with a full slot does (a slot only fills meanwhile)."""
        while free:
            i = free.pop()
            running[i] = None
            active[at[i]] = True
            classes[ckey[i]] += 1
            start[i] = t
        if not queued:
            return
        full = {c for c in par if used[c] >= par[c]}
        if len(full) == len(par):
            return  # every queued restore needs a slot and none is free
        heads = [(q[0], key) for key, q in queued.items() if full.isdisjoint(key)]
        heapq.heapify(heads)
        while heads:
            (_, i), key = heapq.heappop(heads)
            if not full.isdisjoint(key):  # a slot of this group filled during this admission
                continue
            q = queued[key]
            heapq.heappop(q)
            for c in key:
                used[c] += 1
                if used[c] >= par[c]:
                    full.add(c)
            running[i] = None
            active[at[i]] = True
            classes[ckey[i]] += 1
            start[i] = t
            if q:
                heapq.heappush(heads, (q[0], key))
            else:
                del queued[key]
            if len(full) == len(par):
                break

    def complete(done: list[str]) -> None:
        for i in sorted(done):
            del running[i]
            classes[ckey[i]] -= 1
            if classes[ckey[i]] == 0:
                del classes[ckey[i]]
            for c in slots[i]:
                used[c] -= 1
            finish[i] = t
            remaining[at[i]] = 0.0
            active[at[i]] = False
            for d in dependents[i]:
                waiting_on[d] -= 1
                if waiting_on[d] == 0:
                    if slots[d]:
                        heapq.heappush(queued.setdefault(slots[d], []), (rank[d], d))
                    else:
                        free.append(d)

    while True:
        admit()
        if not running:
            break
        rates = _allocate(dict(classes), thr)
        for key, r in rates.items():
            class_rate[class_at[key]] = r
        run = np.flatnonzero(active)
        rate = class_rate[class_of[run]]
        left = remaining[run]
        now = (left <= 0) | np.isinf(rate)
        if now.any():
            complete([ids[k] for k in run[now].tolist()])
            continue
        ahead = left / rate
        dt = float(ahead.min())
        done = [ids[k] for k in run[ahead <= dt * (1 + _REL)].tolist()]
        load: dict[str, float] = defaultdict(float)
        for key, n in classes.items():
            for c in key[0]:
                load[c] += rates[key] * n
        for c in carried:
            carried[c] += load.get(c, 0.0) * dt
            if c in par:
                slot_seconds[c] += used[c] * dt
            full = (c in thr and load.get(c, 0.0) >= thr[c] * (1 - 1e-6)) or (c in par and used[c] >= par[c])
            if full:
                saturated[c] += dt
        t += dt
        remaining[run] = left - rate * dt
        complete(done)

    unfinished = sorted(set(by_id) - set(finish))
    if unfinished:
        raise CapacityError(f"restores wait for each other in a cycle: {', '.join(unfinished)}")

    makespan = max(finish.values(), default=0.0)
    loads = []
    for c in carried:
        util = 0.0
        if makespan > 0:
            if c in thr:
                util = max(util, carried[c] / (thr[c] * makespan))
            if c in par:
                util = max(util, slot_seconds[c] / (par[c] * makespan))
        loads.append(ComponentLoad(c, carried[c] / MB_PER_GB, min(1.0, util), saturated[c] / 3600.0))
    entries = sorted(
        (ScheduledRestore(i, start[i] / 3600.0, finish[i] / 3600.0) for i in by_id),
        key=lambda r: (r.start_hours, r.id),
    )
    return Schedule(tuple(entries), makespan / 3600.0, tuple(loads))


# --------------------------------------------------------------------------------------------------
# scenarios from the model
# --------------------------------------------------------------------------------------------------

_EPS_HOURS = 1e-9  # a finish this close to the RTO meets it (floating-point noise, not time)


@dataclass(frozen=True)
class StressScenario:
    """One mass-restore scenario: the failures, the recovery fixpoint and the restore jobs it needs.

    ``jobs`` has one :class:`Job` per restore of the fixpoint (id = asset);
    ``backup`` and ``wave`` say which backup and round each uses;
    ``size_known`` is False where neither the backup's ``size_gb`` nor the
    asset's ``data_gb`` is known (the job then moves 0 GB: a lower bound).
    ``timed`` is False where the restore's duration cannot be estimated: it
    moves data (or an unknown amount) but crosses no component with a
    throughput and its backup has no ``restore_mb_s`` (see :func:`is_timed`).
    """

    name: str
    kind: str  # "declared", "site", "region" or "restore_all"
    failed: tuple[str, ...]
    recovery: object  # model.Recovery
    jobs: tuple[Job, ...]
    backup: dict[str, str]
    wave: dict[str, int]
    size_known: dict[str, bool]
    timed: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class RestoreResult:
    """One restore of a scenario with its RTO verdict.

    ``meets_rto`` is None when the asset has no RTO, when its size is unknown
    and it is not already late, or when its finish is unknown
    (``finish_hours`` None: the restore could not be timed, or it waits for
    one that could not; ``timed`` says which).
    """

    asset: str
    backup: str
    wave: int
    tier: int | None
    start_hours: float
    finish_hours: float | None
    rto_hours: float | None
    meets_rto: bool | None
    waits_for: tuple[str, ...]
    components: tuple[str, ...]
    size_known: bool
    #: False when this restore's own duration cannot be estimated (no throughput on its path)
    timed: bool = True


@dataclass(frozen=True)
class ScenarioResult:
    """The simulated mass restore of one scenario.

    ``bottlenecks`` are the constrained components that were full at some
    moment, most utilised first. ``headroom_factor`` is the factor all
    component limits need for every tier-1 restore to meet its RTO (see
    :func:`headroom`); when it is None, ``headroom_reason`` says why.
    """

    name: str
    kind: str
    failed: tuple[str, ...]
    makespan_hours: float
    restores: tuple[RestoreResult, ...]
    bottlenecks: tuple[ComponentLoad, ...]
    loads: tuple[ComponentLoad, ...]
    headroom_factor: float | None
    headroom_reason: str
    unrecoverable: tuple[str, ...]

    @property
    def misses(self) -> tuple[RestoreResult, ...]:
        """The restores that finish after their RTO."""
        return tuple(r for r in self.restores if r.meets_rto is False)

    @property
    def untimed(self) -> tuple[RestoreResult, ...]:
        """The restores whose finish is unknown (not timed themselves, or waiting for one that is not)."""
        return tuple(r for r in self.restores if r.finish_hours is None)

    def to_json(self) -> dict:
        """The contract's scenario object, with extra fields (kind, waves, bottlenecks, reasons)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "failed": list(self.failed),
            "makespan_hours": _r(self.makespan_hours),
            "restores": [
                {
                    "asset": r.asset,
                    "backup": r.backup,
                    "wave": r.wave,
                    "tier": r.tier,
                    "start_hours": _r(r.start_hours),
                    "finish_hours": _r(r.finish_hours),
                    "timed": r.timed,
                    "rto_hours": r.rto_hours,
                    "meets_rto": r.meets_rto,
                    "waits_for": list(r.waits_for),
                    "size_known": r.size_known,
                }
                for r in self.restores
            ],
            "bottlenecks": [
                {"component": b.component, "utilisation": _r(b.utilisation), "saturated_hours": _r(b.saturated_hours)}
                for b in self.bottlenecks
            ],
            "utilisation": [
                {"component": c.component, "utilisation": _r(c.utilisation), "carried_gb": _r(c.carried_gb),
                 "saturated_hours": _r(c.saturated_hours)}
                for c in sorted(self.loads, key=lambda c: (-c.utilisation, c.component))
            ],
            "headroom_factor": self.headroom_factor,
            "headroom_reason": self.headroom_reason,
            "unrecoverable": list(self.unrecoverable),
            # restores whose finish is unknown: the makespan is then a lower bound
            "untimed": [r.asset for r in self.untimed],
        }


def _r(x: float | None) -> float | None:
    """Round hours and ratios to 6 decimals for the JSON (far below any meaningful precision); None stays None."""
    return None if x is None else round(float(x), 6)


def is_timed(job: Job, lim: Mapping[str, Limit]) -> bool:
    """Whether a restore's duration can be estimated: it moves nothing, or something on its path sets a rate.

    A restore with data to move (or an unknown amount) that crosses no
    component with ``throughput_mb_s`` and whose backup has no
    ``restore_mb_s`` would take no time in the fluid model: that is not a
    duration but the absence of one. Unknown is not zero.
    """
    if job.cap_mb_s is not None:
        return True
    return any(c in lim and lim[c].throughput_mb_s is not None for c in job.components)


def limits(model) -> dict[str, Limit]:
    """Every component with ``throughput_mb_s`` and/or ``max_parallel_restores``, as :class:`Limit`."""
    comps = model.inventory.components
    out: dict[str, Limit] = {}
    thr_col = _column(comps["throughput_mb_s"], float)
    par_col = _column(comps["max_parallel_restores"], int)
    for cid, t, p in zip(comps["id"], thr_col, par_col):
        if t is not None or p is not None:
            out[str(cid)] = Limit(t, p)
    return dict(sorted(out.items()))


def _missing(value) -> bool:
    """True for None, NaN and pandas' NA."""
    if value is None:
        return True
    try:
        return bool(value != value) or str(value) == "<NA>"
    except TypeError:
        return True


def _column(series, convert) -> list:
    """``[None if _missing(v) else convert(v) for v in series]``, with one mask instead of a test per cell.

    The mask (``isna``) answers exactly as :func:`_missing` for numeric columns
    (NaN, pandas' NA); other columns are tested cell by cell.
    """
    import pandas as pd

    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        gone = series.isna().to_numpy().tolist()
        values = series.to_numpy(dtype=object).tolist()
        return [None if g else convert(v) for v, g in zip(values, gone)]
    return [None if _missing(v) else convert(v) for v in series]


def _objectives(model) -> tuple[dict[str, int | None], dict[str, float | None]]:
    """tier and rto_hours per component id."""
    comps = model.inventory.components
    ids = [str(i) for i in comps["id"]]
    tier = dict(zip(ids, _column(comps["tier"], int)))
    rto = dict(zip(ids, _column(comps["rto_hours"], float)))
    return tier, rto


class _Paths:
    """The restore-path walks of one model, answered from a per-component dependency table built as asked.

    ``reach(backup, down)`` is every component a restore from ``backup``
    reaches: from the backup and its restore target (``restore_to``, or the
    asset itself in place), every dependency row followed transitively except
    through components in ``down``. The walk with nothing down is kept per
    backup: when ``down`` misses all of it, that walk is the answer (the walk
    only ever skips what is down), so most walks are asked once.
    """

    def __init__(self, model) -> None:
        self.model = model
        self._deps: dict[str, tuple[str, ...]] = {}
        self._open: dict[str, frozenset[str]] = {}
        self._limited: dict[str, tuple[str, ...]] = {}
        self._lim: Mapping[str, Limit] | None = None  # the limits self._limited was made with

    def _walk(self, backup: str, down) -> set[str]:
        model, table = self.model, self._deps
        info = model.backup[backup]
        seen: set[str] = set()
        stack = [backup, info.restore_to if info.restore_to is not None else info.protects]
        while stack:
            v = stack.pop()
            if v in seen:
                continue
            seen.add(v)
            deps = table.get(v)
            if deps is None:
                deps = table[v] = model.dependencies_of(v)
            stack.extend(d for d in deps if d not in down and d not in seen)
        return seen

    def reach(self, backup: str, down) -> frozenset[str] | set[str]:
        """The components a restore from ``backup`` reaches with ``down`` down (a set not to be changed)."""
        full = self._open.get(backup)
        if full is None:
            full = self._open[backup] = frozenset(self._walk(backup, ()))
        if not down or full.isdisjoint(down):
            return full
        return self._walk(backup, down)

    def limited(self, backup: str, down, lim: Mapping[str, Limit]) -> tuple[str, ...]:
        """:func:`path_components`: the components of ``reach`` that have a limit, sorted."""
        full = self._open.get(backup)
        if full is None:
            full = self._open[backup] = frozenset(self._walk(backup, ()))
        if not down or full.isdisjoint(down):
            if lim is not self._lim:
                self._limited, self._lim = {}, lim
            hit = self._limited.get(backup)
            if hit is None:
                hit = self._limited[backup] = tuple(sorted(c for c in full if c in lim))
            return hit
        return tuple(sorted(c for c in self._walk(backup, down) if c in lim))


def path_components(model, backup: str, down: Iterable[str] = (), lim: Mapping[str, Limit] | None = None,
                    paths: _Paths | None = None) -> tuple[str, ...]:
    """The constrained components a restore from ``backup`` crosses, sorted.

    Starting points: the backup and the restore target (``restore_to``, or the
    asset itself in place when it is empty). From them every dependency row
    is followed transitively, except through components in ``down`` (traffic
    cannot cross what is still down; in a redundancy group it takes the
    members that are up). Of what is reached, those with a limit count.
    ``paths`` shares the walks between calls on the same model and limits.
    """
    lim = limits(model) if lim is None else lim
    down = down if isinstance(down, (set, frozenset)) else set(down)
    return (paths or _Paths(model)).limited(backup, down, lim)


def _down_after(model, failed: Iterable[str], restores: Iterable, scope: set[str] | None = None,
                rdeps=None) -> frozenset[str]:
    """The down set once ``restores`` (model Restore objects) are made after ``failed`` fail (seen on ``scope``,
    grown inside it, when given: ``Model.down_after``)."""
    moved = {r.asset: model.backup[r.backup].restore_to for r in restores}
    forced = set(failed) - set(moved)
    return model.down_after(forced, moved, scope, rdeps)  # the model's own least fixpoint with restores applied


def _waits_for(model, rec, restore, earlier: list, by_asset: Mapping | None = None) -> tuple[str, ...]:
    """A smallest set of earlier restores that, once done, make ``restore``'s path up (docs/capacity-model.md).

    Only earlier restores of assets reachable from the path can matter. Starting
    from all of them, each is dropped in turn (latest wave first, then id
    descending) when the path stays up without it, so what remains is
    subset-minimal and favours the earliest waves.

    The reachable set is closed under dependency rows and the restore targets
    of earlier restores, so every state the path reads is decided inside it:
    each trial's down set is the least fixpoint grown inside that set alone
    (as :meth:`Model.lost_within` does), which equals the whole estate's
    ``down_after`` seen on it, at the cost of the set instead of the estate.
    ``by_asset``: the earlier restores by asset, when the caller keeps it as
    the waves go (else it is made from ``earlier``).
    """
    if not earlier:
        return ()
    if by_asset is None:
        by_asset = {r.asset: r for r in earlier}
    reach: set[str] = set()
    info = model.backup[restore.backup]
    stack = [restore.backup, info.restore_to if info.restore_to is not None else info.protects]
    while stack:
        v = stack.pop()
        if v in reach:
            continue
        reach.add(v)
        stack.extend(model.dependencies_of(v))
        made = by_asset.get(v)
        if made is not None and model.backup[made.backup].restore_to is not None:
            stack.append(model.backup[made.backup].restore_to)
    keep = [by_asset[a] for a in reach if a in by_asset]  # the order is the drop order's, sorted below
    if not keep:
        return ()
    rdeps = model.scope_rdeps(reach)
    failed = [x for x in reach if x in rec.failed]
    for r in sorted(keep, key=lambda x: (-x.wave, _desc(x.asset))):
        trial = [k for k in keep if k is not r]
        if model.path_up(restore.backup, _down_after(model, failed, trial, reach, rdeps)):
            keep = trial
    return tuple(sorted(r.asset for r in keep))


def _desc(s: str) -> tuple[int, ...]:
    """A key that sorts strings in descending code-point order."""
    return tuple(-ord(ch) for ch in s) + (1,)


#: Name and kind of the scenario in which every protected asset must come back at once.
RESTORE_ALL = "restore_all"


def scenario_failures(model) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, kind, failed) of every scenario: the declared ones in file order, each site and region, restore_all.

    A declared scenario is read through its threat ``mode`` exactly as the
    coupling analysis reads it (a ``credential_compromise`` fails what the
    stolen credential destroys). A site or region scenario is kept only when
    it takes at least one asset down. Its name is ``site:<id>`` or ``region:<id>``.
    The ``restore_all`` scenario (contract) is always there: every protected
    asset fails at once and nothing else (as after ransomware or a rebuild),
    so every asset is restored from its best backup. It answers "if
    everything must come back, who misses the RTO" on any estate.
    """
    from .coupling import scenario_failures as declared_failures

    out = [(s.name, "declared", tuple(sorted(declared_failures(model, s.fail, s.mode))))
           for s in model.inventory.meta.scenarios]
    assets = set(model.assets)
    for kind in ("site", "region"):
        for cid in sorted(c for c, k in model.kind.items() if k == kind):
            if model.down({cid}) & assets:
                out.append((f"{kind}:{cid}", kind, (cid,)))
    out.append((RESTORE_ALL, RESTORE_ALL, tuple(sorted(assets))))
    return out


def _but(down: frozenset[str], asset: str) -> frozenset[str]:
    """``down - {asset}``, without copying a large down set when ``asset`` is not in it."""
    return down - {asset} if asset in down else down


def build_scenario(
    model, name: str, kind: str, failed: Iterable[str], lim: Mapping[str, Limit] | None = None, objectives=None,
    paths: _Paths | None = None,
) -> StressScenario:
    """The restore jobs of one scenario: the fixpoint's restores with their sizes, caps, paths and waits."""
    lim = limits(model) if lim is None else lim
    tier, rto = _objectives(model) if objectives is None else objectives
    failed = tuple(sorted(set(failed)))
    rec = model.recover(failed)
    paths = paths or _Paths(model)
    jobs, backup, wave, known, timed = [], {}, {}, {}, {}
    done: list = []
    by_asset: dict = {}  # the restores of the waves done, by asset
    for w in rec.waves:
        for r in w:
            info = model.backup[r.backup]
            size = info.size_gb
            known[r.asset] = size is not None
            jobs.append(
                Job(
                    r.asset,
                    float(size) if size is not None else 0.0,
                    paths.limited(r.backup, _but(rec.final_down, r.asset), lim),
                    info.restore_mb_s,
                    tier.get(r.asset),
                    rto.get(r.asset),
                    _waits_for(model, rec, r, done, by_asset),
                )
            )
            timed[r.asset] = (size is not None and float(size) == 0.0) or is_timed(jobs[-1], lim)
            backup[r.asset] = r.backup
            wave[r.asset] = r.wave
        done.extend(w)
        by_asset.update((r.asset, r) for r in w)
    return StressScenario(name, kind, failed, rec, tuple(jobs), backup, wave, known, timed)


def scenarios(model) -> tuple[StressScenario, ...]:
    """Every capacity scenario of the model, built (see :func:`scenario_failures`)."""
    lim, obj, paths = limits(model), _objectives(model), _Paths(model)
    return tuple(build_scenario(model, n, k, f, lim, obj, paths) for n, k, f in scenario_failures(model))


# --------------------------------------------------------------------------------------------------
# headroom, routine restores, the whole analysis
# --------------------------------------------------------------------------------------------------

#: Bisection stops when the bracket [lo, hi] satisfies hi <= lo * (1 + HEADROOM_TOLERANCE);
#: the factor reported is hi rounded up to 4 decimals (so it is never below a factor that was seen to work).
HEADROOM_TOLERANCE = 1e-3
_HEADROOM_MAX = 2.0**30
_HEADROOM_MIN = 2.0**-20


def _tier1_met(sched: Schedule, targets: Mapping[str, float]) -> bool:
    by = sched.by_id()
    return all(by[i].finish_hours <= rto + _EPS_HOURS for i, rto in targets.items())


def headroom(jobs: Iterable[Job], lim: Mapping[str, Limit]) -> tuple[float | None, str]:
    """The smallest factor on every component limit for all tier-1 restores to meet their RTO.

    Every throughput is multiplied by the factor and every parallelism limit
    by the factor rounded up; per-restore caps (``restore_mb_s``) are not
    scaled, since they belong to one restore, not to shared capacity.
    Tier-1 restores of unknown size take part with their 0 GB lower bound.

    Returns
    -------
    (factor, reason)
        ``factor`` above 1 is the capacity multiple needed; 1.0 or below means
        the RTOs are already met (a factor below 1 says how much capacity is
        spare); 0.0 means they are met whatever the limits (tier-1 restores
        cross no limited component, or only ones they never wait for).
        ``factor`` is None when there is no tier-1 restore with an RTO, or
        when even unlimited component capacity cannot do it (a cap, or the
        waves alone, are too slow); ``reason`` then says which.

    Notes
    -----
    Bisection in the factor (geometric midpoints) to a relative tolerance
    of ``HEADROOM_TOLERANCE``. It assumes that more capacity never delays a
    tier-1 restore; docs/capacity-model.md shows a case where, with restores
    in waves, that fails, so the factor is the threshold the bisection
    brackets, not necessarily the smallest factor that would work.
    """
    jobs = list(jobs)
    targets = {j.id: j.rto_hours for j in jobs if j.tier == 1 and j.rto_hours is not None}
    if not targets:
        return None, "no tier-1 restore with an RTO in this scenario"
    unlimited = simulate(jobs, {})
    if not _tier1_met(unlimited, targets):
        by = unlimited.by_id()
        late = sorted(i for i, rto in targets.items() if by[i].finish_hours > rto + _EPS_HOURS)
        detail = ", ".join(f"{i} ({by[i].finish_hours:.3g} h > RTO {targets[i]:g} h)" for i in late)
        return None, (
            "no capacity factor is enough: even with unlimited shared capacity "
            f"{detail}, limited by its backup's own restore rate or by the restores it waits for"
        )

    ordered = sorted(jobs, key=lambda j: j.id)
    plans: list[_Plan] = []

    def ok(f: float) -> bool:  # simulate(jobs, lim, scale=f), the jobs planned and checked once
        scaled = {c: v.scaled(f) for c, v in lim.items()}
        if plans and plans[0].fits(scaled):
            _check([], scaled)
        else:
            _check(ordered, scaled)
            plans[:] = [_Plan(ordered, scaled)]
        return _tier1_met(plans[0].run(scaled), targets)

    if ok(1.0):
        hi, lo = 1.0, 0.5
        while ok(lo):
            hi, lo = lo, lo / 2
            if lo < _HEADROOM_MIN:
                return 0.0, "tier-1 restores meet their RTO whatever the component limits"
    else:
        lo, hi = 1.0, 2.0
        while not ok(hi):
            lo, hi = hi, hi * 2
            if hi > _HEADROOM_MAX:
                return None, "tier-1 RTOs are met only in the limit of unlimited capacity"
    while hi > lo * (1 + HEADROOM_TOLERANCE):
        mid = math.sqrt(lo * hi)
        if ok(mid):
            hi = mid
        else:
            lo = mid
    factor = math.ceil(hi * 1e4) / 1e4
    if factor <= 1.0:
        return factor, "tier-1 RTOs are met with the current capacity"
    return factor, f"every throughput and parallelism limit must be {factor:g}x for tier-1 RTOs"


def run_scenario(
    model,
    scenario: StressScenario,
    scale: Mapping[str, float] | float | None = None,
    lim: Mapping[str, Limit] | None = None,
    with_headroom: bool = True,
    objectives=None,
) -> ScenarioResult:
    """Simulate one scenario (limits optionally scaled per component) and judge each restore against its RTO.

    ``with_headroom=False`` skips the bisection, for quick what-if re-runs.
    """
    lim = limits(model) if lim is None else dict(lim)
    if scale is not None:
        if isinstance(scale, Mapping):
            unknown = sorted(set(scale) - set(lim))
            if unknown:
                raise CapacityError(f"cannot scale components without a limit: {', '.join(unknown)}")
            lim = {c: (v.scaled(scale[c]) if c in scale else v) for c, v in lim.items()}
        else:
            lim = {c: v.scaled(float(scale)) for c, v in lim.items()}
    sched = simulate(scenario.jobs, lim)
    by = sched.by_id()
    # unknown is not zero: an untimed restore, and every restore that waits for one, has no known finish
    timed = {j.id: scenario.timed.get(j.id, True) for j in scenario.jobs}
    unknown = {i for i, t in timed.items() if not t}
    changed = True
    while changed:
        changed = False
        for j in scenario.jobs:
            if j.id not in unknown and any(a in unknown for a in j.after):
                unknown.add(j.id)
                changed = True
    rows = []
    for j in scenario.jobs:
        s = by[j.id]
        known = scenario.size_known[j.id]
        finish = None if j.id in unknown else s.finish_hours
        start = s.start_hours  # after an untimed restore: the earliest it could start (a lower bound)
        if j.rto_hours is None or finish is None:
            verdict = None
        elif finish <= j.rto_hours + _EPS_HOURS:
            verdict = True if known else None
        else:
            verdict = False
        rows.append(
            RestoreResult(j.id, scenario.backup[j.id], scenario.wave[j.id], j.tier, start, finish,
                          j.rto_hours, verdict, j.after, j.components, known, timed[j.id])
        )
    rows.sort(key=lambda r: (r.start_hours, r.wave, r.asset))
    blind = sorted(j.id for j in scenario.jobs if j.id in unknown and j.tier == 1 and j.rto_hours is not None)
    if blind:
        factor, reason = None, (f"tier-1 restore(s) {', '.join(blind)} could not be timed (no throughput on their "
                                "path, or they wait for one that has none): capacity headroom is unknown")
    else:
        factor, reason = headroom(scenario.jobs, lim) if with_headroom else (None, "not computed")
    tier, _ = _objectives(model) if objectives is None else objectives
    lost = [a for a in scenario.recovery.unrecoverable if tier.get(a) == 1]
    if factor is None and lost:
        reason = (f"tier-1 asset(s) {', '.join(lost)} cannot be restored at all in this scenario: "
                  "no capacity brings them back; " + reason)
    return ScenarioResult(
        scenario.name, scenario.kind, scenario.failed, sched.makespan_hours, tuple(rows),
        sched.bottlenecks(), sched.loads, factor, reason, tuple(scenario.recovery.unrecoverable),
    )


def routine_hours(model, asset: str, lim: Mapping[str, Limit] | None = None) -> tuple[float | None, str | None]:
    """Hours to restore ``asset`` alone (only it failed, nothing else restoring), by its fastest backup.

    Returns ``(hours, backup)``; ``(None, None)`` when it cannot be restored
    on its own failure or when the size or the rate (no throughput on its
    path, no ``restore_mb_s``) of every usable backup is unknown.
    """
    lim = limits(model) if lim is None else lim
    return _routine(model, asset, lim, _Paths(model), checked=False)


def _routine(model, asset: str, lim: Mapping[str, Limit], paths: _Paths,
             checked: bool = True) -> tuple[float | None, str | None]:
    """:func:`routine_hours` with the path walks shared (``checked``: the limits passed :func:`_check`)."""
    rec = model.recover({asset})
    mine = [r for r in rec.restores if r.asset == asset]
    if not mine:
        return None, None
    best: tuple[float, str] | None = None
    down = _but(rec.final_down, asset)
    for b in mine[0].alternatives:
        info = model.backup[b]
        if info.size_gb is None:
            continue
        job = Job(asset, float(info.size_gb), paths.limited(b, down, lim), info.restore_mb_s)
        if info.size_gb > 0 and not is_timed(job, lim):
            continue  # no rate on its path: its duration is unknown, not zero
        if not checked:
            _check([], lim)  # as simulate would, the first time a restore is timed
            checked = True
        hours = _alone_hours(job, lim)
        if best is None or (hours, b) < best:
            best = (hours, b)
    return (best[0], best[1]) if best else (None, None)


def _alone_hours(job: Job, lim: Mapping[str, Limit]) -> float:
    """``simulate([job], lim).makespan_hours`` for one job and limits already checked, without the event loop.

    Alone, the job gets the smallest throughput on its path or its cap
    (parallelism never binds one restore), so it takes size / rate with the
    same floating-point operations as :func:`simulate`; anything the checks
    of :func:`simulate` would reject goes to it.
    """
    size = job.size_gb
    if not (size >= 0) or math.isinf(size) or (job.cap_mb_s is not None and not (job.cap_mb_s > 0)) or job.after:
        return simulate([job], lim).makespan_hours
    rate = math.inf
    for c in set(job.components):
        limit = lim.get(c)
        if limit is not None and limit.throughput_mb_s is not None:
            rate = min(rate, max(0.0, float(limit.throughput_mb_s) - 0.0) / 1)
    if job.cap_mb_s is not None:
        rate = min(rate, job.cap_mb_s)
    remaining = size * MB_PER_GB
    if remaining <= 0 or math.isinf(rate):
        return 0.0 / 3600.0
    return (0.0 + remaining / rate) / 3600.0


def _back_up_times(model, scenario: StressScenario, result: ScenarioResult) -> dict[str, float]:
    """When each initially-down asset is up again: its restore's finish, or the moment what it needs is back."""
    rec = scenario.recovery
    finish = {r.asset: r.finish_hours for r in result.restores if r.finish_hours is not None}
    out = dict(finish)
    pending = sorted(a for a in model.assets if a in rec.initially_down and a not in finish and a not in rec.final_down)
    if not pending or not finish:
        return out
    by_asset = {r.asset: r for r in rec.restores}
    times = sorted(set(finish.values()))
    for a, k in _first_up(model, rec, finish, by_asset, times, pending).items():
        if k is not None:
            out[a] = times[k]  # else it waits for a restore of unknown finish: its time is unknown too
    return out


def _first_up(model, rec, finish: dict[str, float], by_asset: dict, times: list[float],
              pending: list[str]) -> dict[str, int | None]:
    """For each pending asset, the first index ``k`` of ``times`` at which it is up once every restore
    finished by ``times[k]`` is made (None: down at every one of them).

    The down set only shrinks as restores finish, so it is computed once with
    every restore made and then grown backwards in time, taking back the
    restores finishing at each moment (``Model.first_down_steps``): one sweep
    instead of a down set per bisection step. When taking a restore back could
    bring something up again (see there), the schedule is answered by
    bisection over down sets computed afresh (``_first_up_bisect``), as it
    always was.
    """
    moved = {a: model.backup[by_asset[a].backup].restore_to for a in finish}
    at: dict[float, list[str]] = {}
    for a, f in sorted(finish.items()):
        at.setdefault(f, []).append(a)
    last = len(times) - 1
    undo = [at[times[k]] for k in range(last, 0, -1)]  # step j takes back the restores finishing at times[last - j + 1]
    first = model.first_down_steps(rec.failed, moved, undo)
    if first is None:
        return _first_up_bisect(model, rec, finish, by_asset, times, pending)
    out: dict[str, int | None] = {}
    for a in pending:
        step = first.get(a)
        out[a] = 0 if step is None else (None if step == 0 else last - step + 1)
    return out


def _first_up_bisect(model, rec, finish, by_asset, times, pending) -> dict[str, int | None]:
    """``_first_up`` by bisection over down sets computed afresh at each step (any schedule)."""
    cache: dict[int, frozenset[str]] = {}

    def down_at(k: int) -> frozenset[str]:  # down set once every restore finished by times[k] is made
        if k not in cache:
            made = [by_asset[a] for a, f in sorted(finish.items()) if f <= times[k]]
            cache[k] = _down_after(model, rec.failed, made)
        return cache[k]

    out: dict[str, int | None] = {}
    for a in pending:
        lo, hi = 0, len(times) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if a in down_at(mid):
                lo = mid + 1
            else:
                hi = mid
        out[a] = None if a in down_at(lo) else lo
    return out


@dataclass(frozen=True)
class CapacityResult:
    """Everything the capacity analysis produces (see :func:`analyze`)."""

    scenarios: tuple[ScenarioResult, ...]
    restore_hours: dict[str, dict[str, float | None]]
    routine_backup: dict[str, str | None]
    findings: tuple  # of findings.Finding

    def worst(self) -> ScenarioResult | None:
        """The scenario with the most tier-1 misses, then most misses, then longest makespan (then name)."""
        if not self.scenarios:
            return None
        return min(
            self.scenarios,
            key=lambda s: (
                -sum(1 for r in s.misses if r.tier == 1),
                -len(s.misses),
                -s.makespan_hours,
                s.name,
            ),
        )

    def scenario(self, name: str) -> ScenarioResult:
        """The scenario called ``name`` (CapacityError naming the known ones otherwise)."""
        for s in self.scenarios:
            if s.name == name:
                return s
        known = ", ".join(repr(s.name) for s in self.scenarios) or "none"
        raise CapacityError(f"no capacity scenario named {name!r}; expected one of: {known}")

    def to_json(self) -> dict:
        """The contract's ``capacity`` object."""
        return {"scenarios": [s.to_json() for s in self.scenarios]}


@paused  # no cyclic collection while thousands of restores are scheduled (1.6-2.5 s of it at 100k); exact
def analyze(model) -> CapacityResult:
    """Run every capacity scenario, the routine restores and the findings.

    Parameters
    ----------
    model : Model
        The failure model (``model.build(inventory)``).

    Returns
    -------
    CapacityResult
        ``scenarios`` (declared, then per site and region, then
        ``restore_all``, see :func:`scenario_failures`), ``restore_hours`` for
        every asset (``routine``: alone, fastest backup; ``disaster``: latest
        moment it is back over the declared, site and region scenarios that
        take it down, ``restore_all`` excluded as the contract defines it, None when one of them
        leaves it unrecoverable, when none takes it down, or when its size is
        unknown), and ``findings``.
    """
    from .findings import sort_findings

    lim = limits(model)
    tier, rto = obj = _objectives(model)
    paths = _Paths(model)
    built = tuple(build_scenario(model, n, k, f, lim, obj, paths) for n, k, f in scenario_failures(model))
    results = [run_scenario(model, sc, lim=lim, objectives=obj) for sc in built]

    routine: dict[str, float | None] = {}
    routine_backup: dict[str, str | None] = {}
    _check([], lim)  # run_scenario has simulated with these limits: they pass
    for a in model.assets:
        routine[a], routine_backup[a] = _routine(model, a, lim, paths)

    disaster: dict[str, float | None] = {}
    spoiled: set[str] = set()
    for sc, res in zip(built, results):
        if sc.kind == RESTORE_ALL:
            continue  # the contract's `disaster` is over declared, site and region scenarios only
        back = _back_up_times(model, sc, res)
        for a in model.assets:
            if a not in sc.recovery.initially_down:
                continue
            if a in sc.recovery.final_down or (a in sc.size_known and not sc.size_known[a]) or a not in back:
                spoiled.add(a)  # unrecoverable, of unknown size, or back at an unknown time (an untimed restore)
                continue
            disaster[a] = max(disaster.get(a, 0.0), back[a])
    hours = {
        a: {"routine": routine[a], "disaster": None if a in spoiled or a not in disaster else disaster[a]}
        for a in model.assets
    }
    found = _findings(model, built, results, routine, routine_backup, tier, rto, lim, paths)
    return CapacityResult(tuple(results), hours, routine_backup, tuple(sort_findings(found)))


def _fmt_h(x: float | None) -> str:
    return "unknown" if x is None else f"{x:.3g} h"


def _limiting(job: Job, lim: Mapping[str, Limit]) -> str:
    """What limits a restore on its own: the slowest throughput component or its own cap."""
    cands = [(lim[c].throughput_mb_s, c) for c in job.components if c in lim and lim[c].throughput_mb_s is not None]
    if job.cap_mb_s is not None:
        cands.append((job.cap_mb_s, "its backup's restore rate"))
    if not cands:
        return "nothing recorded (no throughput on its path)"
    rate, what = min(cands)
    return f"{what} ({rate:g} MB/s)"


def _findings(model, built, results, routine, routine_backup, tier, rto, lim, paths: _Paths | None = None) -> list:
    """Findings: scenarios whose restores miss RTO, routine restores missing RTO, restores of unknown size."""
    from .findings import Finding

    out = []
    for res in results:
        misses = res.misses
        if not misses:
            continue
        t1 = [r for r in misses if r.tier == 1]
        severity = "high" if t1 else "medium"
        worst = max(misses, key=lambda r: (r.finish_hours - (r.rto_hours or 0.0), r.asset))
        parts = []
        for r in sorted(misses, key=lambda r: (r.tier is None, r.tier or 0, r.asset)):
            waits = f", after {', '.join(r.waits_for)}" if r.waits_for else ""
            parts.append(
                f"{r.asset} (tier {r.tier if r.tier is not None else '?'}, RTO {r.rto_hours:g} h) back at "
                f"{r.finish_hours:.3g} h via {r.backup}{waits}"
            )
        if res.bottlenecks:
            neck = "; bottleneck: " + ", ".join(
                f"{b.component} ({b.utilisation:.0%} used, full for {b.saturated_hours:.3g} h)" for b in res.bottlenecks[:3]
            )
        else:
            neck = "; no shared component was full: each restore ran at its own cap"
        if res.headroom_factor is not None and res.headroom_factor > 1:
            head = f"; tier-1 RTOs need {res.headroom_factor:g}x the throughput and parallelism of every limited component"
            rec = (
                f"Raise the restore capacity of {', '.join(b.component for b in res.bottlenecks[:3]) or 'the restore path'} "
                f"(about {res.headroom_factor:g}x), restore tier 1 on separate capacity, or agree RTOs that this capacity can meet."
            )
        elif res.headroom_factor is not None:
            head = "; tier-1 RTOs are met, the misses are below tier 1"
            rec = "Add restore capacity for the lower tiers on the bottleneck, or agree RTOs that a mass restore can meet."
        else:
            head = f"; headroom: {res.headroom_reason}"
            rec = (
                "Capacity alone cannot fix this: speed up the backups' own restore rate (faster media, "
                "parallel streams, smaller restore units) or break the wait for earlier restores."
            )
        out.append(
            Finding(
                id=f"capacity:rto-miss:{res.name}",
                category="capacity",
                severity=severity,
                title=f"{len(misses)} restore(s) miss their RTO in scenario '{res.name}' (worst: {worst.asset})",
                assets=tuple(r.asset for r in misses),
                components=tuple(b.component for b in res.bottlenecks),
                blockers=tuple(b.component for b in res.bottlenecks),  # what holds the restores back
                evidence=(
                    f"Failed: {', '.join(res.failed)}; {len(res.restores)} restores, all done after "
                    f"{res.makespan_hours:.3g} h" + (f" (at least: {len(res.untimed)} could not be timed)"
                                                     if res.untimed else "")
                    + ". Late: " + "; ".join(parts) + neck + head + "."
                ),
                recommendation=rec,
            )
        )
    for a in model.assets:
        hours, b = routine[a], routine_backup[a]
        target = rto.get(a)
        if hours is None or target is None or hours <= target + _EPS_HOURS:
            continue
        info = model.backup[b]
        job = Job(a, float(info.size_gb), path_components(model, b, (), lim, paths), info.restore_mb_s)
        t = tier.get(a)
        out.append(
            Finding(
                id=f"capacity:routine-rto-miss:{a}",
                category="capacity",
                severity={1: "critical", 2: "high"}.get(t, "medium"),
                title=f"Restoring {a} alone already misses its RTO ({hours:.3g} h > {target:g} h)",
                assets=(a,),
                components=tuple(c for c in job.components),
                blockers=tuple(c for _, c in sorted((lim[c].throughput_mb_s, c) for c in job.components
                                                     if c in lim and lim[c].throughput_mb_s is not None))[:1],
                evidence=(
                    f"Fastest backup {b}: {info.size_gb:g} GB limited by {_limiting(job, lim)} takes "
                    f"{hours:.3g} h with nothing else restoring; RTO {target:g} h."
                ),
                recommendation=(
                    f"Make one restore of {a} faster (a faster copy such as a snapshot or replica, more restore "
                    "throughput on that path, smaller restore units) or agree an RTO it can meet."
                ),
            )
        )
    out.extend(_untimed_findings(model, built, results, tier, rto, paths))
    unknown = sorted({a for sc in built for a, k in sc.size_known.items() if not k})
    for a in unknown:
        out.append(
            Finding(
                id=f"data_quality:restore-size-unknown:{a}",
                category="data_quality",
                severity="low",
                title=f"Restore size of {a} is unknown",
                assets=(a,),
                evidence=(
                    f"Neither the backups of {a} give size_gb nor {a} gives data_gb: its restores are simulated as "
                    "moving nothing, so their times are lower bounds and their RTO verdicts unknown unless already late."
                ),
                recommendation=f"Record data_gb for {a} (or size_gb on its backups).",
            )
        )
    return out


#: kinds that usually carry a restore's traffic, in the order a consultant asks for their throughput
_RATE_KINDS = ("network", "backup_store", "recovery_tool")


def _rates_to_ask(reach: Mapping[str, Iterable[str]], kind: Mapping[str, str]) -> tuple[list[str], set[str]]:
    """Greedy cover of the untimed assets by the rates to ask for: (components in the order picked, assets left).

    Each pick is the component of a rate kind that the most still-uncovered
    assets reach (ties: ``_RATE_KINDS`` order, then id); the assets it
    reaches are covered. Counts only ever fall, so the picks come from a heap
    whose stale entries are refreshed when they surface: the same picks as
    recounting every uncovered asset after each pick, in time that grows
    with the reach sets instead of their square.
    """
    import heapq

    uncovered = set(reach)
    members: dict[str, list[str]] = defaultdict(list)
    for a in sorted(reach):
        for c in set(reach[a]):
            if kind.get(c) in _RATE_KINDS:
                members[c].append(a)
    count = {c: len(v) for c, v in members.items()}
    heap = [(-n, _RATE_KINDS.index(kind[c]), c) for c, n in count.items()]
    heapq.heapify(heap)
    ask: list[str] = []
    while uncovered and heap:
        n, rank, c = heapq.heappop(heap)
        if -n != count[c]:  # stale: re-file under its current count
            if count[c] > 0:
                heapq.heappush(heap, (-count[c], rank, c))
            continue
        if count[c] <= 0:
            continue
        ask.append(c)
        for a in members[c]:
            if a in uncovered:
                uncovered.discard(a)
                for d in set(reach[a]):
                    if d in count:
                        count[d] -= 1
    return ask, uncovered


def _reach(model, backup: str, down: Iterable[str], paths: _Paths | None = None) -> set[str]:
    """Every component a restore from ``backup`` reaches (as :func:`path_components`, limited or not)."""
    down = down if isinstance(down, (set, frozenset)) else set(down)
    return set((paths or _Paths(model)).reach(backup, down))


def _untimed_findings(model, built, results, tier, rto, paths: _Paths | None = None) -> list:
    """One finding for every restore that could not be timed, naming the throughputs that would time them.

    The components to ask about are chosen greedily among what the untimed
    restores cross (networks first, then backup stores, then recovery tools):
    each time the one crossed by the most restores not yet covered. A restore
    that crosses none of them needs its backup's ``restore_mb_s``.
    """
    from .findings import Finding

    pairs: dict[str, tuple[str, set[str]]] = {}
    for sc, res in zip(built, results):
        for r in res.restores:
            if not r.timed and r.asset not in pairs:
                pairs[r.asset] = (r.backup, _reach(model, r.backup, _but(sc.recovery.final_down, r.asset), paths))
    if not pairs:
        return []
    assets = sorted(pairs)
    ask, uncovered = _rates_to_ask({a: pairs[a][1] for a in assets}, model.kind)
    bare = sorted(pairs[a][0] for a in uncovered)
    wants = [f"the throughput_mb_s of {c} ({model.kind[c].replace('_', ' ')})" for c in ask]
    if bare:
        wants.append("the restore_mb_s of " + ", ".join(bare))
    n = len(assets)
    with_rto = [a for a in assets if rto.get(a) is not None]
    listing = "; ".join(f"{a} via {pairs[a][0]}" + (f" (RTO {rto[a]:g} h)" if rto.get(a) is not None else "")
                        for a in assets)
    title = (f"{n} restore{'s' if n > 1 else ''} could not be timed: give " + " and ".join(wants))
    return [Finding(
        id="data_quality:restore-untimed",
        category="data_quality",
        severity="medium" if any(tier.get(a) == 1 for a in with_rto) else "low",
        title=title,
        assets=tuple(assets),
        components=tuple(ask) + tuple(bare),
        evidence=(f"No component on the restore path has a throughput_mb_s and the backup has no restore_mb_s, so the "
                  f"duration of these restores is unknown (not zero): {listing}. Their finish and RTO verdicts are "
                  f"unknown, and so is every restore that waits for them"
                  + (f"; {len(with_rto)} of them have an RTO that cannot be judged." if with_rto else ".")),
        recommendation=("Record " + " and ".join(wants) + " in the inventory (a measured restore rate, the line's "
                        "bandwidth or a restore test's duration), then analyse again."),
    )]


def restore_all_answer(result: CapacityResult) -> str:
    """One paragraph answering "if everything must come back at once": who misses the RTO, the bottleneck, what never comes back."""
    sc = next((s for s in result.scenarios if s.kind == RESTORE_ALL), None)
    if sc is None or not sc.failed:
        return "The inventory protects no asset, so there is nothing to restore."
    parts = [f"If all {len(sc.failed)} protected assets must be restored at once"]
    if sc.restores:
        if sc.untimed:
            parts[0] += f", the last timed one is back after {sc.makespan_hours:.3g} h (at least)."
        else:
            parts[0] += f", the last is back after {sc.makespan_hours:.3g} h."
        misses = sorted(sc.misses, key=lambda r: (r.tier is None, r.tier or 0, r.asset))
        if misses:
            shown = "; ".join(f"{r.asset} (tier {r.tier if r.tier is not None else '?'}) back at "
                              f"{r.finish_hours:.3g} h against an RTO of {r.rto_hours:g} h" for r in misses[:8])
            more = f" and {len(misses) - 8} more" if len(misses) > 8 else ""
            verb = "restore misses its" if len(misses) == 1 else "restores miss their"
            parts.append(f"{len(misses)} {verb} RTO: {shown}{more}.")
        untimed = sorted(r.asset for r in sc.untimed)
        if untimed:
            shown = ", ".join(untimed[:8]) + (f" and {len(untimed) - 8} more" if len(untimed) > 8 else "")
            verb = "restore" if len(untimed) == 1 else "restores"
            parts.append(f"{len(untimed)} {verb} could not be timed (no throughput on the path): {shown}; "
                         "when they finish, and whether they meet their RTO, is unknown.")
            if not misses:
                parts.append("No timed restore misses its RTO.")
        elif not misses:
            parts.append("Every restore with an RTO meets it.")
        if sc.bottlenecks:
            parts.append("The bottleneck is " + ", ".join(
                f"{b.component} (full for {b.saturated_hours:.3g} h)" for b in sc.bottlenecks[:3]) + ".")
        else:
            parts.append("No shared component is full: each restore runs at its own rate.")
        if sc.headroom_factor is not None and sc.headroom_factor > 1:
            parts.append(f"Tier 1 needs {sc.headroom_factor:g}x today's restore capacity.")
    else:
        parts[0] += ", none of them can be restored."
    if sc.unrecoverable:
        parts.append(f"Cannot be restored at all: {', '.join(sc.unrecoverable)}.")
    return " ".join(parts)


# --------------------------------------------------------------------------------------------------
# tables for notebooks and charts
# --------------------------------------------------------------------------------------------------


def restores_frame(result: ScenarioResult):
    """One row per restore of a scenario: asset, backup, wave, tier, start/finish/RTO hours, verdict, lateness."""
    import pandas as pd

    verdict = {True: "meets RTO", False: "misses RTO", None: "no verdict"}
    rows = [
        {
            "asset": r.asset, "backup": r.backup, "wave": r.wave, "tier": r.tier,
            "start_hours": r.start_hours, "finish_hours": r.finish_hours, "rto_hours": r.rto_hours,
            "meets_rto": r.meets_rto, "verdict": "unknown (not timed)" if r.finish_hours is None else verdict[r.meets_rto],
            "late_hours": None if r.rto_hours is None or r.finish_hours is None else max(0.0, r.finish_hours - r.rto_hours),
            "waits_for": "; ".join(r.waits_for), "size_known": r.size_known, "timed": r.finish_hours is not None,
        }
        for r in result.restores
    ]
    cols = ["asset", "backup", "wave", "tier", "start_hours", "finish_hours", "rto_hours", "meets_rto",
            "verdict", "late_hours", "waits_for", "size_known", "timed"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["tier"] = frame["tier"].astype("Int64")
    frame["meets_rto"] = frame["meets_rto"].astype("boolean")
    for c in ("finish_hours", "rto_hours", "late_hours"):
        frame[c] = frame[c].astype("float64")  # an unknown finish is NaN, never 0
    return frame


def loads_frame(result: ScenarioResult):
    """One row per constrained component a scenario's restores cross: utilisation, GB carried, hours full."""
    import pandas as pd

    names = {b.component for b in result.bottlenecks}
    rows = [
        {"component": c.component, "utilisation": c.utilisation, "carried_gb": c.carried_gb,
         "saturated_hours": c.saturated_hours, "bottleneck": c.component in names}
        for c in sorted(result.loads, key=lambda c: (-c.utilisation, c.component))
    ]
    return pd.DataFrame(rows, columns=["component", "utilisation", "carried_gb", "saturated_hours", "bottleneck"])


def hours_frame(result: CapacityResult, model):
    """One row per asset: tier, RTO, routine and disaster restore hours (NaN when unknown), sorted by id."""
    import pandas as pd

    tier, rto = _objectives(model)
    rows = [
        {"asset": a, "tier": tier.get(a), "rto_hours": rto.get(a),
         "routine_hours": h["routine"], "disaster_hours": h["disaster"], "routine_backup": result.routine_backup.get(a)}
        for a, h in sorted(result.restore_hours.items())
    ]
    frame = pd.DataFrame(rows, columns=["asset", "tier", "rto_hours", "routine_hours", "disaster_hours", "routine_backup"])
    frame["tier"] = frame["tier"].astype("Int64")
    for c in ("rto_hours", "routine_hours", "disaster_hours"):
        frame[c] = frame[c].astype("float64")
    return frame


def scenarios_frame(result: CapacityResult):
    """One row per scenario: failed ids, restores, misses, makespan, top bottleneck, headroom and its reason."""
    import pandas as pd

    rows = [
        {"scenario": s.name, "kind": s.kind, "failed": "; ".join(s.failed), "restores": len(s.restores),
         "misses": len(s.misses), "tier1_misses": sum(1 for r in s.misses if r.tier == 1),
         "unrecoverable": len(s.unrecoverable), "makespan_hours": s.makespan_hours,
         "bottleneck": s.bottlenecks[0].component if s.bottlenecks else None,
         "headroom_factor": s.headroom_factor, "headroom_reason": s.headroom_reason}
        for s in result.scenarios
    ]
    cols = ["scenario", "kind", "failed", "restores", "misses", "tier1_misses", "unrecoverable", "makespan_hours",
            "bottleneck", "headroom_factor", "headroom_reason"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["headroom_factor"] = frame["headroom_factor"].astype("float64")
    return frame
