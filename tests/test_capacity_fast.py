"""The capacity analysis' shortcuts give exactly what the plain computations give.

``_alone_hours`` times one restore without the event loop; ``_Paths`` shares
the restore-path walks (a walk with nothing down answers every down set that
misses it); ``limits`` and ``_objectives`` read whole columns at once;
``findings.consolidate`` lists each recommendation once with a dict. Each is
checked against the slow, obvious computation it replaces.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from hiddenspof import capacity, inventory, model
from hiddenspof.capacity import Job, _alone_hours, _Paths, simulate
from hiddenspof.findings import Finding, consolidate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_capacity import jobs_st, limits_st

DATA = Path(__file__).resolve().parents[1] / "data"
PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(jobs_st(with_after=False), limits_st(), st.floats(0.0, 1e7, allow_nan=False))
def test_one_restore_alone_takes_what_the_simulation_says(jobs, limits, size):
    """Bit for bit: the closed form of one restore equals the event loop's makespan."""
    for job in [*jobs, Job("big", size, jobs[0].components, jobs[0].cap_mb_s)]:
        assert _alone_hours(job, limits) == simulate([job], limits).makespan_hours


def _naive_reach(m, backup, down):
    """The restore-path walk as the capacity model defines it, with nothing shared or remembered."""
    info = m.backup[backup]
    seen, stack = set(), [backup, info.restore_to if info.restore_to is not None else info.protects]
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            stack.extend(d for d in m.dependencies_of(v) if d not in down)
    return seen


@pytest.fixture(scope="module", params=["teaching.yaml", "hybrid-enterprise", "synth"])
def built(request, tmp_path_factory):
    if request.param == "synth":
        from hiddenspof import synth

        folder = tmp_path_factory.mktemp("synth") / "estate"
        synth.write_estate(folder, 300, seed=11, health=0.4)
        return model.build(inventory.load(folder))
    return model.build(inventory.load(DATA / request.param))


def test_shared_path_walks_equal_a_fresh_walk(built):
    """Random down sets (empty, the fixpoints of random failures, random picks): same reach, same limited path."""
    rng = random.Random(26)
    lim = capacity.limits(built)
    paths = _Paths(built)  # shared across every question, as analyze shares it
    ids, backups = list(built.ids), sorted(built.backup)
    for _ in range(300):
        b = rng.choice(backups)
        pick = rng.random()
        if pick < 0.3:
            down = frozenset()
        elif pick < 0.7:
            down = built.recover(rng.sample(ids, rng.randint(1, 3))).final_down
        else:
            down = frozenset(rng.sample(ids, rng.randint(1, max(1, len(ids) // 4))))
        naive = _naive_reach(built, b, down)
        assert set(paths.reach(b, down)) == naive
        assert paths.limited(b, down, lim) == tuple(sorted(c for c in naive if c in lim))
        assert capacity.path_components(built, b, down, lim) == tuple(sorted(c for c in naive if c in lim))


def test_routine_hours_equal_the_simulation_of_each_usable_backup(built):
    """routine_hours: the fastest usable backup, each timed by ``simulate`` as a restore alone."""
    lim = capacity.limits(built)
    for a in built.assets:
        rec = built.recover({a})
        mine = [r for r in rec.restores if r.asset == a]
        best = None
        for b in (mine[0].alternatives if mine else ()):
            info = built.backup[b]
            if info.size_gb is None:
                continue
            job = Job(a, float(info.size_gb), tuple(sorted(c for c in _naive_reach(built, b, rec.final_down - {a})
                                                           if c in lim)), info.restore_mb_s)
            if info.size_gb > 0 and not capacity.is_timed(job, lim):
                continue
            hours = simulate([job], lim).makespan_hours
            if best is None or (hours, b) < best:
                best = (hours, b)
        assert capacity.routine_hours(built, a, lim) == (best if best else (None, None)), a


def test_limits_and_objectives_read_each_cell_as_before(built):
    comps = built.inventory.components
    expected = {}
    for cid, thr, par in zip(comps["id"], comps["throughput_mb_s"], comps["max_parallel_restores"]):
        t = None if capacity._missing(thr) else float(thr)
        p = None if capacity._missing(par) else int(par)
        if t is not None or p is not None:
            expected[str(cid)] = capacity.Limit(t, p)
    assert capacity.limits(built) == dict(sorted(expected.items()))
    tier, rto = capacity._objectives(built)
    assert tier == {str(i): (None if capacity._missing(t) else int(t)) for i, t in zip(comps["id"], comps["tier"])}
    assert rto == {str(i): (None if capacity._missing(r) else float(r)) for i, r in zip(comps["id"], comps["rto_hours"])}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d", "e"]), st.sampled_from(["", "Fix x.", "Fix y.", "Do z."])),
                min_size=1, max_size=8, unique_by=lambda t: t[0]))
def test_consolidate_lists_each_recommendation_once_in_first_seen_order(rows):
    parts = [Finding(id=f"silent_failure:r:{a}", category="silent_failure", severity="medium", title="t",
                     assets=(a,), evidence=f"e {a}", recommendation=rec) for a, rec in rows]
    recs: list[str] = []
    for _, rec in sorted(rows):
        if rec and rec not in recs:
            recs.append(rec)
    f = consolidate("silent_failure:r", parts)
    assert f.recommendation == (" ".join(recs) if len(parts) > 1 else rows[0][1])


def _headroom_by_simulate(jobs, lim):
    """``headroom`` as it was written before plans: ``simulate`` afresh at every factor of the bisection."""
    from hiddenspof.capacity import _HEADROOM_MAX, _HEADROOM_MIN, HEADROOM_TOLERANCE, _tier1_met

    targets = {j.id: j.rto_hours for j in jobs if j.tier == 1 and j.rto_hours is not None}
    if not targets or not _tier1_met(simulate(jobs, {}), targets):
        return "no search"

    def ok(f):
        return _tier1_met(simulate(jobs, lim, scale=f), targets)

    if ok(1.0):
        hi, lo = 1.0, 0.5
        while ok(lo):
            hi, lo = lo, lo / 2
            if lo < _HEADROOM_MIN:
                return 0.0
    else:
        lo, hi = 1.0, 2.0
        while not ok(hi):
            lo, hi = hi, hi * 2
            if hi > _HEADROOM_MAX:
                return None
    while hi > lo * (1 + HEADROOM_TOLERANCE):
        mid = math.sqrt(lo * hi)
        if ok(mid):
            hi = mid
        else:
            lo = mid


    return math.ceil(hi * 1e4) / 1e4


@PROPS
@given(jobs_st(), limits_st())
def test_headroom_with_one_plan_equals_simulating_afresh(jobs, limits):
    factor, _ = capacity.headroom(jobs, limits)
    expected = _headroom_by_simulate(jobs, limits)
    if expected != "no search":
        assert factor == expected


def _rates_to_ask_by_recounting(reach, kind):
    """The greedy cover as first written: recount every uncovered asset after each pick (quadratic)."""
    uncovered, ask = set(reach), []
    while uncovered:
        counts: dict[str, int] = {}
        for a in uncovered:
            for c in reach[a]:
                if kind.get(c) in capacity._RATE_KINDS:
                    counts[c] = counts.get(c, 0) + 1
        if not counts:
            break
        best = min(counts, key=lambda c: (-counts[c], capacity._RATE_KINDS.index(kind[c]), c))
        ask.append(best)
        uncovered -= {a for a in uncovered if best in reach[a]}
    return ask, uncovered


@pytest.mark.parametrize("seed", range(200))
def test_rates_to_ask_equals_recounting_after_every_pick(seed):
    """The heap-driven greedy cover of untimed restores picks the same rates, in the same order, as recounting."""
    rng = random.Random(seed)
    kinds = ["network", "backup_store", "recovery_tool", "service", "site"]
    comps = [f"c{i}" for i in range(rng.randint(1, 25))]
    kind = {c: rng.choice(kinds) for c in comps}
    reach = {f"a{i}": set(rng.sample(comps, rng.randint(0, min(6, len(comps))))) for i in range(rng.randint(1, 30))}
    fast = capacity._rates_to_ask(reach, kind)
    assert fast == _rates_to_ask_by_recounting(reach, kind)
    assert all(kind[c] in capacity._RATE_KINDS for c in fast[0])


# --------------------------------------------------------------------------------------------------
# the event loop against its plain Python form

import bisect  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402

from hiddenspof.capacity import (  # noqa: E402
    _REL,
    MB_PER_GB,
    CapacityError,
    ComponentLoad,
    Schedule,
    ScheduledRestore,
    _allocate,
)


def _run_reference(plan, limits):
    """The event loop as it was before it advanced the running restores in numpy: one Python loop over them
    per event (quadratic on a mass restore), kept as the oracle."""
    jobs = plan.jobs
    thr = {c: float(lim.throughput_mb_s) for c, lim in limits.items() if lim.throughput_mb_s is not None}
    par = {c: int(lim.max_parallel) for c, lim in limits.items() if lim.max_parallel is not None}
    by_id = {j.id: j for j in jobs}
    slots, ckey, rank, dependents = plan.slots, plan.ckey, plan.rank, plan.dependents
    waiting_on = dict(plan.waiting_on)

    # ready restores that need a slot queue in rank order; the others start at once
    ready: list[tuple] = sorted((rank[i], i) for i, n in waiting_on.items() if n == 0 and slots[i])
    free: list[str] = [i for i, n in waiting_on.items() if n == 0 and not slots[i]]
    remaining = {j.id: j.size_gb * MB_PER_GB for j in jobs}
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
        nonlocal ready
        while free:
            i = free.pop()
            running[i] = None
            classes[ckey[i]] += 1
            start[i] = t
        if not ready:
            return
        full = {c for c in par if used[c] >= par[c]}
        if len(full) == len(par):
            return  # every queued restore needs a slot and none is free
        kept = []
        for n, item in enumerate(ready):
            i = item[1]
            if full.isdisjoint(slots[i]):
                for c in slots[i]:
                    used[c] += 1
                    if used[c] >= par[c]:
                        full.add(c)
                running[i] = None
                classes[ckey[i]] += 1
                start[i] = t
                if len(full) == len(par):
                    kept.extend(ready[n + 1 :])
                    break
            else:
                kept.append(item)
        ready = kept

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
                        bisect.insort(ready, (rank[d], d))
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


@PROPS
@given(jobs_st(), limits_st())
def test_event_loop_equals_its_plain_python_form(jobs, limits):
    """Bit for bit: the schedule of restores advanced together in numpy is the one-restore-at-a-time loop's."""
    jobs = sorted(jobs, key=lambda j: j.id)
    try:
        capacity._check(jobs, limits)
    except capacity.CapacityError:
        return
    plan = capacity._Plan(jobs, limits)
    try:
        want = _run_reference(plan, limits)
    except CapacityError as err:
        with pytest.raises(CapacityError, match=str(err).split(":")[0]):
            plan.run(limits)
        return
    assert plan.run(limits) == want


def test_event_loop_equals_its_plain_python_form_on_a_mass_restore(tmp_path):
    """Every scenario of a synthetic estate (hundreds of restores at once, ties, waves): the same schedules."""
    from hiddenspof import synth

    synth.write_estate(tmp_path, 600, 3, history_days=0, health=0.5)
    m = model.build(inventory.load(tmp_path))
    lim = capacity.limits(m)
    compared = 0
    for sc in capacity.scenarios(m):
        jobs = sorted(sc.jobs, key=lambda j: j.id)
        plan = capacity._Plan(jobs, lim)
        assert plan.run(lim) == _run_reference(plan, lim), sc.name
        compared += len(jobs)
    assert compared > 100


def test_event_loop_finishes_near_ties_together_as_its_plain_python_form():
    """Two restores whose finishes differ by less than the loop's relative tolerance end at the same event, in
    both forms (the tolerance is part of the schedule, not noise: without it the second gets an event of its own)."""
    lim = {"link": capacity.Limit(throughput_mb_s=1_000.0)}
    jobs = [Job("a", 100.0, ("link",), cap_mb_s=100.0), Job("b", 100.0 * (1 + 4e-10), ("link",), cap_mb_s=100.0),
            Job("c", 50.0, (), cap_mb_s=25.0), Job("d", 50.0 * (1 - 3e-10), (), cap_mb_s=25.0)]
    plan = capacity._Plan(jobs, lim)
    got, want = plan.run(lim), _run_reference(plan, lim)
    assert got == want
    by = {r.id: r.finish_hours for r in got.restores}
    assert by["a"] == by["b"] and by["c"] == by["d"]
