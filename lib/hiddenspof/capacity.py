"""Capacity stress: mass-restore scenarios simulated as an event-driven fluid model against RTOs."""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

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
        done = [
            key
            for key in unfrozen
            if (key[1] is not None and key[1] <= level * (1 + _REL)) or any(c in full for c in key[0])
        ]
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

    thr = {c: float(lim.throughput_mb_s) for c, lim in limits.items() if lim.throughput_mb_s is not None}
    par = {c: int(lim.max_parallel) for c, lim in limits.items() if lim.max_parallel is not None}
    by_id = {j.id: j for j in jobs}
    links = {j.id: tuple(sorted(c for c in set(j.components) if c in thr)) for j in jobs}
    slots = {j.id: tuple(sorted(c for c in set(j.components) if c in par)) for j in jobs}
    ckey = {j.id: (links[j.id], j.cap_mb_s) for j in jobs}
    rank = {j.id: priority_key(j.tier, j.rto_hours, j.id) for j in jobs}

    waiting_on = {j.id: len(set(j.after)) for j in jobs}
    dependents: dict[str, list[str]] = defaultdict(list)
    for j in jobs:
        for a in sorted(set(j.after)):
            dependents[a].append(j.id)

    # ready restores that need a slot wait in a heap by rank; the others start at once
    ready: list[tuple] = [(rank[i], i) for i, n in waiting_on.items() if n == 0 and slots[i]]
    heapq.heapify(ready)
    free: list[str] = [i for i, n in waiting_on.items() if n == 0 and not slots[i]]
    remaining = {j.id: j.size_gb * MB_PER_GB for j in jobs}
    running: dict[str, None] = {}  # insertion-ordered set
    classes: Counter = Counter()
    used = dict.fromkeys(par, 0)
    start: dict[str, float] = {}
    finish: dict[str, float] = {}
    carried = dict.fromkeys(sorted({c for j in jobs for c in j.components if c in limits}), 0.0)
    slot_seconds = dict.fromkeys(carried, 0.0)
    saturated = dict.fromkeys(carried, 0.0)
    t = 0.0

    def admit() -> None:
        skipped = []
        while free:
            i = free.pop()
            running[i] = None
            classes[ckey[i]] += 1
            start[i] = t
        while ready:
            item = heapq.heappop(ready)
            i = item[1]
            if all(used[c] < par[c] for c in slots[i]):
                for c in slots[i]:
                    used[c] += 1
                running[i] = None
                classes[ckey[i]] += 1
                start[i] = t
            else:
                skipped.append(item)
                if par and all(used[c] >= par[c] for c in par):
                    break
        for item in skipped:
            heapq.heappush(ready, item)

    def complete(done: list[str]) -> None:
        for i in sorted(done):
            del running[i]
            classes[ckey[i]] -= 1
            if classes[ckey[i]] == 0:
                del classes[ckey[i]]
            for c in slots[i]:
                used[c] -= 1
            finish[i] = t
            remaining[i] = 0.0
            for d in dependents[i]:
                waiting_on[d] -= 1
                if waiting_on[d] == 0:
                    if slots[d]:
                        heapq.heappush(ready, (rank[d], d))
                    else:
                        free.append(d)

    while True:
        admit()
        if not running:
            break
        rates = _allocate(dict(classes), thr)
        instant = [i for i in running if remaining[i] <= 0 or math.isinf(rates[ckey[i]])]
        if instant:
            complete(instant)
            continue
        dt = min(remaining[i] / rates[ckey[i]] for i in running)
        done = [i for i in running if remaining[i] / rates[ckey[i]] <= dt * (1 + _REL)]
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
        for i in running:
            remaining[i] -= rates[ckey[i]] * dt
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
