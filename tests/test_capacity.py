"""Tests of hiddenspof.capacity: the fluid restore simulator, scenarios, headroom and the JSON."""

from __future__ import annotations

import pytest
from hiddenspof.capacity import (
    CapacityError,
    Job,
    Limit,
    fair_rates,
    simulate,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# --------------------------------------------------------------------------
# known answers for the simulator
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 5, 17])
def test_equal_restores_on_one_store(n):
    """n equal restores sharing one store finish together at n x size / throughput."""
    jobs = [Job(f"a{i:02d}", 36.0, ("store",)) for i in range(n)]
    s = simulate(jobs, {"store": Limit(throughput_mb_s=100.0)})
    expected = n * 36.0 * 1000 / 100.0 / 3600.0
    assert s.makespan_hours == pytest.approx(expected, rel=1e-12)
    assert all(r.start_hours == 0.0 for r in s.restores)
    assert all(r.finish_hours == pytest.approx(expected, rel=1e-12) for r in s.restores)
    (load,) = s.loads
    assert load.utilisation == pytest.approx(1.0)
    assert load.carried_gb == pytest.approx(n * 36.0)


def test_per_restore_cap_below_fair_share():
    """A restore capped below its fair share runs at its cap; the other takes the rest of the store."""
    jobs = [Job("slow", 36.0, ("store",), cap_mb_s=20.0), Job("fast", 36.0, ("store",))]
    limits = {"store": Limit(throughput_mb_s=100.0)}
    assert fair_rates(jobs, limits) == {"fast": pytest.approx(80.0), "slow": pytest.approx(20.0)}
    s = simulate(jobs, limits).by_id()
    assert s["fast"].finish_hours == pytest.approx(36000 / 80 / 3600)
    # after 'fast' is done, 'slow' stays at its cap: 36000 MB at 20 MB/s
    assert s["slow"].finish_hours == pytest.approx(36000 / 20 / 3600)


def test_concurrency_limit_makes_batches():
    """max_parallel_restores = 2 on a team runs six equal restores in three batches."""
    jobs = [Job(f"a{i}", 3.6, ("team", "store"), cap_mb_s=1.0) for i in range(6)]
    limits = {"team": Limit(max_parallel=2), "store": Limit(throughput_mb_s=1000.0)}
    s = simulate(jobs, limits)
    starts = sorted(r.start_hours for r in s.restores)
    assert starts == pytest.approx([0, 0, 1, 1, 2, 2])
    assert s.makespan_hours == pytest.approx(3.0)
    team = {c.component: c for c in s.loads}["team"]
    assert team.utilisation == pytest.approx(1.0)
    assert team.saturated_hours == pytest.approx(3.0)


def test_textbook_max_min_fair_on_two_links():
    """Two links (capacity 1 and 2), flows A over both, B over link 1, C over link 2: rates 1/2, 1/2, 3/2."""
    jobs = [Job("A", 1.0, ("L1", "L2")), Job("B", 1.0, ("L1",)), Job("C", 1.0, ("L2",))]
    limits = {"L1": Limit(throughput_mb_s=1.0), "L2": Limit(throughput_mb_s=2.0)}
    assert fair_rates(jobs, limits) == {"A": pytest.approx(0.5), "B": pytest.approx(0.5), "C": pytest.approx(1.5)}


def test_max_min_fair_on_a_line_of_three_links():
    """A long flow over three unit links shares the first with two others: 1/3 each; the short flows take 2/3."""
    jobs = [Job("s0", 1.0, ("ab", "bc", "cd")), Job("s1", 1.0, ("ab",)), Job("s2", 1.0, ("ab",)),
            Job("s3", 1.0, ("bc",)), Job("s4", 1.0, ("cd",))]
    limits = {"ab": Limit(1.0), "bc": Limit(1.0), "cd": Limit(1.0)}
    rates = fair_rates(jobs, limits)
    assert rates == {
        "s0": pytest.approx(1 / 3), "s1": pytest.approx(1 / 3), "s2": pytest.approx(1 / 3),
        "s3": pytest.approx(2 / 3), "s4": pytest.approx(2 / 3),
    }


def test_priority_order_respected():
    """With one slot, restores run in tier order, then RTO, then id; a missing tier goes last."""
    jobs = [
        Job("z-tier1", 3.6, ("tool",), cap_mb_s=1.0, tier=1, rto_hours=8),
        Job("a-notier", 3.6, ("tool",), cap_mb_s=1.0, tier=None, rto_hours=1),
        Job("b-tier2", 3.6, ("tool",), cap_mb_s=1.0, tier=2, rto_hours=1),
        Job("c-tier1", 3.6, ("tool",), cap_mb_s=1.0, tier=1, rto_hours=2),
        Job("d-tier1", 3.6, ("tool",), cap_mb_s=1.0, tier=1, rto_hours=2),
        Job("e-tier1-nort", 3.6, ("tool",), cap_mb_s=1.0, tier=1),
    ]
    s = simulate(jobs, {"tool": Limit(max_parallel=1)})
    order = [r.id for r in s.restores]
    assert order == ["c-tier1", "d-tier1", "z-tier1", "e-tier1-nort", "b-tier2", "a-notier"]
    assert [r.start_hours for r in s.restores] == pytest.approx([0, 1, 2, 3, 4, 5])


def test_lower_rank_not_held_back_by_blocked_higher_rank():
    """A restore waiting for a busy slot does not stop a lower-ranked one that needs other components."""
    jobs = [
        Job("first", 3.6, ("tool",), cap_mb_s=1.0, tier=1),
        Job("second", 3.6, ("tool",), cap_mb_s=1.0, tier=1),
        Job("third", 3.6, ("other",), cap_mb_s=1.0, tier=3),
    ]
    s = simulate(jobs, {"tool": Limit(max_parallel=1), "other": Limit(max_parallel=1)}).by_id()
    assert s["second"].start_hours == pytest.approx(1.0)
    assert s["third"].start_hours == 0.0


def test_restore_waves_wait_for_dependencies():
    """Nothing starts before the restores it waits for have finished."""
    jobs = [
        Job("idp", 7.2, ("store",)),
        Job("db", 3.6, ("store",), after=("idp",)),
        Job("app", 3.6, ("store",), after=("db", "idp")),
        Job("other", 36.0, ("store",)),
    ]
    s = simulate(jobs, {"store": Limit(throughput_mb_s=2.0)}).by_id()
    # idp and other share the store at 1 MB/s each: idp (7200 MB) is done after 2 h
    assert s["idp"].finish_hours == pytest.approx(2.0)
    assert s["db"].start_hours == pytest.approx(s["idp"].finish_hours)
    assert s["app"].start_hours == pytest.approx(s["db"].finish_hours)
    for j in jobs:
        for a in j.after:
            assert s[j.id].start_hours >= s[a].finish_hours


def test_unconstrained_or_empty_restore_takes_no_time():
    """A restore that crosses no limit and has no cap, or moves nothing, finishes when it starts."""
    s = simulate([Job("free", 100.0), Job("empty", 0.0, ("store",)), Job("next", 0.0, after=("free",))],
                 {"store": Limit(1.0)})
    assert s.makespan_hours == 0.0
    assert {r.id: r.finish_hours for r in s.restores} == {"empty": 0.0, "free": 0.0, "next": 0.0}


def test_no_restores_gives_empty_schedule():
    """An empty job list is a zero makespan, not an error."""
    s = simulate([], {"store": Limit(1.0)})
    assert s.makespan_hours == 0.0 and s.restores == () and s.loads == ()


def test_scale_mapping_only_scales_named_components():
    """scale={'a': 2} doubles component a's throughput and leaves b alone."""
    jobs = [Job("x", 3.6, ("a",)), Job("y", 3.6, ("b",))]
    limits = {"a": Limit(1.0), "b": Limit(1.0)}
    s = simulate(jobs, limits, scale={"a": 2.0}).by_id()
    assert s["x"].finish_hours == pytest.approx(0.5)
    assert s["y"].finish_hours == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("jobs", "limits", "match"),
    [
        ([Job("a", 1.0), Job("a", 2.0)], {}, "duplicate restore ids: a"),
        ([Job("a", 1.0, after=("ghost",))], {}, "'a' waits for unknown restores: ghost"),
        ([Job("a", 1.0, after=("b",)), Job("b", 1.0, after=("a",))], {}, "cycle: a, b"),
        ([Job("a", -1.0)], {}, r"size_gb must be a finite number >= 0 \(got -1.0\)"),
        ([Job("a", 1.0, ("s",))], {"s": Limit(0.0)}, r"component 's': throughput_mb_s must be > 0 \(got 0.0\)"),
        ([Job("a", 1.0, ("s",))], {"s": Limit(max_parallel=0)}, r"max_parallel must be >= 1 \(got 0\)"),
    ],
)
def test_bad_input_is_named(jobs, limits, match):
    """Inconsistent simulator input raises CapacityError naming the restore or component and the value."""
    with pytest.raises(CapacityError, match=match):
        simulate(jobs, limits)


# --------------------------------------------------------------------------
# properties of the simulator
# --------------------------------------------------------------------------

COMPONENTS = ("c0", "c1", "c2", "c3")


@st.composite
def limits_st(draw):
    """Limits on a few components: throughput, parallelism, both, or neither."""
    limits = {}
    for c in COMPONENTS:
        thr = draw(st.one_of(st.none(), st.integers(1, 200).map(float)))
        par = draw(st.one_of(st.none(), st.integers(1, 3)))
        limits[c] = Limit(thr, par)
    return limits


@st.composite
def jobs_st(draw, with_after=True):
    """A handful of restores over those components, with optional caps, tiers and waits on earlier ones."""
    n = draw(st.integers(1, 7))
    jobs = []
    for i in range(n):
        comps = tuple(draw(st.sets(st.sampled_from(COMPONENTS), max_size=3)))
        after = ()
        if with_after and i:
            after = tuple(sorted(draw(st.sets(st.sampled_from([f"j{k}" for k in range(i)]), max_size=2))))
        jobs.append(
            Job(
                f"j{i}",
                float(draw(st.integers(0, 500))),
                comps,
                cap_mb_s=draw(st.one_of(st.none(), st.integers(1, 100).map(float))),
                tier=draw(st.one_of(st.none(), st.integers(1, 4))),
                rto_hours=draw(st.one_of(st.none(), st.integers(0, 10).map(float))),
                after=after,
            )
        )
    return jobs


def solo_hours(job, limits):
    """Hours the job takes alone: its size over the tightest of its cap and its throughput limits."""
    rates = [limits[c].throughput_mb_s for c in job.components if limits[c].throughput_mb_s is not None]
    if job.cap_mb_s is not None:
        rates.append(job.cap_mb_s)
    if not rates or job.size_gb == 0:
        return 0.0
    return job.size_gb * 1000 / min(rates) / 3600


PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(jobs_st(), limits_st())
def test_makespan_at_least_bytes_over_tightest_bottleneck(jobs, limits):
    """No schedule beats the busiest component (bytes / throughput) or any single restore alone."""
    s = simulate(jobs, limits)
    bound = 0.0
    for c, lim in limits.items():
        if lim.throughput_mb_s is not None:
            gb = sum(j.size_gb for j in jobs if c in j.components)
            bound = max(bound, gb * 1000 / lim.throughput_mb_s / 3600)
    bound = max([bound] + [solo_hours(j, limits) for j in jobs])
    assert s.makespan_hours >= bound * (1 - 1e-9)


@PROPS
@given(jobs_st(), limits_st())
def test_makespan_at_most_serial_sum_of_routine_times(jobs, limits):
    """Sharing never does worse than running every restore alone, one after the other."""
    s = simulate(jobs, limits)
    assert s.makespan_hours <= sum(solo_hours(j, limits) for j in jobs) * (1 + 1e-9) + 1e-12


@PROPS
@given(jobs_st(), limits_st())
def test_schedule_is_consistent(jobs, limits):
    """Every restore starts after what it waits for, finishes after it starts, and respects slot limits."""
    s = simulate(jobs, limits)
    by = s.by_id()
    assert set(by) == {j.id for j in jobs}
    for j in jobs:
        assert by[j.id].finish_hours >= by[j.id].start_hours
        assert by[j.id].finish_hours >= by[j.id].start_hours + solo_hours(j, limits) * (1 - 1e-9)
        for a in j.after:
            assert by[j.id].start_hours >= by[a].finish_hours
    for c, lim in limits.items():
        if lim.max_parallel is None:
            continue
        spans = [(by[j.id].start_hours, by[j.id].finish_hours) for j in jobs
                 if c in j.components and by[j.id].finish_hours > by[j.id].start_hours]
        for t, _ in spans:
            assert sum(1 for a, b in spans if a <= t < b) <= lim.max_parallel


@PROPS
@given(jobs_st(with_after=False), limits_st(), st.sampled_from([1.01, 1.5, 2.0, 3.0]))
def test_more_capacity_never_lengthens_independent_restores(jobs, limits, factor):
    """Multiplying every throughput by the same factor never lengthens the makespan of restores that wait for nothing and queue for no slot."""
    limits = {c: Limit(lim.throughput_mb_s, None) for c, lim in limits.items()}
    before = simulate(jobs, limits).makespan_hours
    after = simulate(jobs, limits, scale=factor).makespan_hours
    assert after <= before * (1 + 1e-9)


def test_documented_anomaly_an_extra_slot_can_delay_a_capped_restore():
    """The second anomaly in docs/capacity-model.md: a second slot lengthens 1333 s to 1500 s without any wait."""
    jobs = [
        Job("j0", 1.0, ("slot", "store")),
        Job("j1", 2.0, ("store",), cap_mb_s=2.0),
        Job("j3", 1.0, ("slot", "store")),
    ]
    limits = {"store": Limit(throughput_mb_s=3.0, max_parallel=None), "slot": Limit(throughput_mb_s=None, max_parallel=1)}
    before = simulate(jobs, limits)
    after = simulate(jobs, limits, scale={"slot": 2.0})
    assert before.makespan_hours == pytest.approx(4000 / 3 / 3600)
    assert after.makespan_hours == pytest.approx(1500 / 3600)
    # both slot restores now share the store with the capped one, which cannot catch up later
    assert after.by_id()["j1"].finish_hours > before.by_id()["j1"].finish_hours


def test_documented_anomaly_more_capacity_can_delay_a_wave():
    """The anomaly in docs/capacity-model.md: 1.5x capacity lengthens a two-wave schedule from 2000 s to 2333 s."""
    jobs = [
        Job("j0", 1.0, ("link",)),
        Job("j4", 1.0, ("link",)),
        Job("j2", 1.0, cap_mb_s=1.0, after=("j0",)),
    ]
    limits = {"link": Limit(throughput_mb_s=1.0, max_parallel=1)}
    before = simulate(jobs, limits)
    after = simulate(jobs, limits, scale=1.5)
    assert before.makespan_hours == pytest.approx(2000 / 3600)
    assert after.makespan_hours == pytest.approx(7000 / 3 / 3600)
    # with two slots j4 shares the link with j0, so j0 (which j2 waits for) finishes later
    assert after.by_id()["j0"].finish_hours > before.by_id()["j0"].finish_hours


# --------------------------------------------------------------------------
# scenarios, headroom and the analysis on inventories
# --------------------------------------------------------------------------


def test_limit_scaling_rounds_parallelism_up():
    """Scaling multiplies throughput and rounds parallelism up, never below one slot."""
    assert Limit(100.0, 3).scaled(1.5) == Limit(150.0, 5)
    assert Limit(None, 2).scaled(0.1) == Limit(None, 1)
    assert Limit(None, 2).scaled(2.0) == Limit(None, 4)


def _estate(**extra):
    """A small estate: a site with identity, a database needing identity, an app, backups offsite."""
    mapping = {
        "components": [
            {"id": "site-a", "kind": "site"},
            {"id": "site-b", "kind": "site"},
            {"id": "idp", "kind": "identity", "tier": 1, "rto_hours": 1, "data_gb": 36},
            {"id": "db", "kind": "datastore", "tier": 1, "rto_hours": 2, "data_gb": 72},
            {"id": "files", "kind": "datastore", "tier": 3, "rto_hours": 48, "data_gb": 360},
            {"id": "store-b", "kind": "backup_store", "throughput_mb_s": 100},
            {"id": "wan", "kind": "network", "throughput_mb_s": 1000},
            {"id": "ops", "kind": "team", "max_parallel_restores": 2},
            {"id": "vm-b", "kind": "service"},
        ],
        "dependencies": [
            {"component": "idp", "depends_on": "site-a"},
            {"component": "db", "depends_on": "site-a"},
            {"component": "db", "depends_on": "idp"},
            {"component": "files", "depends_on": "site-a"},
            {"component": "store-b", "depends_on": "site-b"},
            {"component": "store-b", "depends_on": "wan"},
            {"component": "vm-b", "depends_on": "site-b"},
            {"component": "idp-bk", "depends_on": "store-b"},
            {"component": "db-bk", "depends_on": "store-b"},
            {"component": "db-bk", "depends_on": "ops"},
            {"component": "db-bk", "depends_on": "idp"},
            {"component": "files-bk", "depends_on": "store-b"},
        ],
        "backups": [
            {"id": "idp-bk", "protects": "idp", "restore_to": "vm-b", "restore_mb_s": 500},
            {"id": "db-bk", "protects": "db", "restore_to": "vm-b", "restore_mb_s": 500},
            {"id": "files-bk", "protects": "files", "restore_to": "vm-b"},
        ],
    }
    for k, v in extra.items():
        mapping[k] = mapping.get(k, []) + v if isinstance(v, list) and k in mapping else v
    return mapping


def _model(mapping):
    from conftest import make_inventory
    from hiddenspof import model

    return model.build(make_inventory(mapping))


def test_scenarios_declared_then_sites_that_take_assets_down():
    """Declared scenarios come first in file order, then one per site/region that takes an asset down, then restore_all."""
    from hiddenspof import capacity

    m = _model(_estate(scenarios=[{"name": "idp lost", "fail": ["idp"]}]))
    names = [(n, k, f) for n, k, f in capacity.scenario_failures(m)]
    # site-b holds only backups and a spare VM: it takes no asset down
    assert names == [("idp lost", "declared", ("idp",)), ("site:site-a", "site", ("site-a",)),
                     ("restore_all", "restore_all", ("db", "files", "idp"))]


def test_site_loss_restores_in_waves_and_waits_for_identity():
    """Losing the site restores idp first; db waits for idp's restore; throughput shared on the store."""
    from hiddenspof import capacity

    m = _model(_estate())
    (sc,) = [s for s in capacity.scenarios(m) if s.name == "site:site-a"]
    assert sc.wave == {"idp": 1, "files": 1, "db": 2}
    jobs = {j.id: j for j in sc.jobs}
    assert jobs["db"].after == ("idp",)
    assert jobs["idp"].after == () and jobs["files"].after == ()
    assert jobs["db"].components == ("ops", "store-b", "wan")
    res = capacity.run_scenario(m, sc)
    r = {x.asset: x for x in res.restores}
    # idp (36 GB) and files (360 GB) share store-b (100 MB/s): 50 MB/s each, idp done at 720 s
    assert r["idp"].finish_hours == pytest.approx(720 / 3600)
    assert r["db"].start_hours == pytest.approx(r["idp"].finish_hours)
    # then db and files share 50/50 until db's 72 GB are done: 1440 s later
    assert r["db"].finish_hours == pytest.approx((720 + 1440) / 3600)
    assert r["idp"].meets_rto is True and r["db"].meets_rto is True
    assert res.makespan_hours == pytest.approx((36 + 72 + 360) * 1000 / 100 / 3600)
    assert [b.component for b in res.bottlenecks][0] == "store-b"


def test_waits_for_only_one_of_redundant_earlier_restores():
    """When either of two restored identity providers opens the path, the restore waits for just one."""
    from hiddenspof import capacity

    mapping = _estate()
    mapping["components"].append({"id": "idp2", "kind": "identity", "data_gb": 1})
    mapping["dependencies"] = [d for d in mapping["dependencies"] if d != {"component": "db-bk", "depends_on": "idp"}]
    mapping["dependencies"] += [
        {"component": "idp2", "depends_on": "site-a"},
        {"component": "db-bk", "depends_on": "idp", "group": "id", "needs": 1},
        {"component": "db-bk", "depends_on": "idp2", "group": "id", "needs": 1},
    ]
    mapping["backups"].append({"id": "idp2-bk", "protects": "idp2", "restore_to": "vm-b"})
    sc = capacity.build_scenario(_model(mapping), "site", "site", ["site-a"])
    assert sc.wave == {"db": 2, "files": 1, "idp": 1, "idp2": 1}
    # both identity restores are in wave 1; one is enough, the first by id is kept
    assert {j.id: j.after for j in sc.jobs}["db"] == ("idp",)
    # with a quorum of both, db waits for both
    for d in mapping["dependencies"]:
        if d.get("group") == "id":
            d["needs"] = 2
    sc = capacity.build_scenario(_model(mapping), "site", "site", ["site-a"])
    assert {j.id: j.after for j in sc.jobs}["db"] == ("idp", "idp2")


def test_path_skips_components_that_stay_down():
    """A restore crosses the up member of a redundancy group, not the failed one."""
    from hiddenspof import capacity

    mapping = _estate()
    mapping["components"] += [{"id": "link-1", "kind": "network", "throughput_mb_s": 10},
                              {"id": "link-2", "kind": "network", "throughput_mb_s": 20}]
    mapping["dependencies"] += [
        {"component": "link-1", "depends_on": "site-a"},
        {"component": "vm-b", "depends_on": "link-1", "group": "uplink", "needs": 1},
        {"component": "vm-b", "depends_on": "link-2", "group": "uplink", "needs": 1},
    ]
    m = _model(mapping)
    assert capacity.path_components(m, "files-bk") == ("link-1", "link-2", "store-b", "wan")
    sc = capacity.build_scenario(m, "site", "site", ["site-a"])
    assert {j.id: j.components for j in sc.jobs}["files"] == ("link-2", "store-b", "wan")


def test_headroom_known_answer():
    """Two tier-1 restores of 36 GB on a 100 MB/s store with a 0.1 h RTO need twice the throughput."""
    from hiddenspof.capacity import HEADROOM_TOLERANCE, headroom

    jobs = [Job(i, 36.0, ("store",), tier=1, rto_hours=0.1) for i in ("a", "b")]
    factor, reason = headroom(jobs, {"store": Limit(100.0)})
    assert 2.0 <= factor <= 2.0 * (1 + HEADROOM_TOLERANCE) + 1e-4
    assert "2" in reason and "tier-1" in reason


def test_headroom_below_one_when_already_met():
    """With a 0.4 h RTO the same restores already fit: the factor (0.5) says half the capacity would do."""
    from hiddenspof.capacity import HEADROOM_TOLERANCE, headroom

    jobs = [Job(i, 36.0, ("store",), tier=1, rto_hours=0.4) for i in ("a", "b")]
    factor, reason = headroom(jobs, {"store": Limit(100.0)})
    assert 0.5 <= factor <= 0.5 * (1 + HEADROOM_TOLERANCE) + 1e-4
    assert "met with the current capacity" in reason


def test_headroom_none_when_the_cap_alone_is_too_slow():
    """A backup whose own restore rate is too slow for the RTO cannot be fixed by shared capacity."""
    from hiddenspof.capacity import headroom

    jobs = [Job("a", 36.0, ("store",), cap_mb_s=10.0, tier=1, rto_hours=0.5)]
    factor, reason = headroom(jobs, {"store": Limit(100.0)})
    assert factor is None
    assert "a (1 h > RTO 0.5 h)" in reason and "restore rate" in reason


def test_headroom_counts_parallelism_and_skips_lower_tiers():
    """Slots scale too (rounded up), and only tier-1 RTOs decide the factor."""
    from hiddenspof.capacity import headroom

    jobs = [Job(f"t1-{i}", 3.6, ("team",), cap_mb_s=1.0, tier=1, rto_hours=1.0) for i in range(3)]
    jobs.append(Job("t3", 3600.0, ("team",), cap_mb_s=1.0, tier=3, rto_hours=1.0))
    factor, _ = headroom(jobs, {"team": Limit(max_parallel=1)})
    # three tier-1 restores of 1 h each need three slots at once: factor 3 (ceil(1 x f) >= 3 from f > 2)
    assert 2.0 < factor <= 2.01
    assert headroom([Job("x", 1.0, tier=2, rto_hours=0.0)], {}) == (None, "no tier-1 restore with an RTO in this scenario")


def test_analyze_routine_disaster_and_findings():
    """Routine and disaster hours per asset; findings for a scenario miss and a routine miss, stable ids."""
    from hiddenspof import capacity

    mapping = _estate()
    for c in mapping["components"]:
        if c["id"] == "files":
            c["rto_hours"] = 0.5  # 360 GB at 100 MB/s is 1 h even alone
            c["tier"] = 2
        if c["id"] == "db":
            c["rto_hours"] = 0.5  # alone 720 s; in the site loss it ends at 2160 s
    m = _model(mapping)
    res = capacity.analyze(m)
    h = res.restore_hours
    assert h["files"]["routine"] == pytest.approx(1.0)
    assert h["db"]["routine"] == pytest.approx(0.2)
    assert h["db"]["disaster"] == pytest.approx(2160 / 3600)
    assert h["idp"]["disaster"] == pytest.approx(0.2)
    ids = [f.id for f in res.findings]
    # restoring every asset at once (site-a up) takes the same restores through store-b as the site loss
    assert ids == ["capacity:routine-rto-miss:files", "capacity:rto-miss:restore_all", "capacity:rto-miss:site:site-a"]
    miss = res.findings[2]
    assert miss.severity == "high" and miss.assets == ("db", "files")
    assert "store-b" in miss.evidence and "bottleneck" in miss.evidence and "after idp" in miss.evidence
    assert "x" in miss.evidence.split("tier-1 RTOs need ")[1]
    routine = res.findings[0]
    assert routine.severity == "high" and "store-b (100 MB/s)" in routine.evidence
    # equal misses and makespan in both scenarios: the tie goes to the name
    assert res.worst().name == "restore_all"
    assert res.scenario("restore_all").makespan_hours == pytest.approx(res.scenario("site:site-a").makespan_hours)


def test_unknown_size_is_a_lower_bound_with_a_note():
    """A restore of unknown size moves nothing, gets no RTO verdict and a data-quality finding."""
    from hiddenspof import capacity

    mapping = _estate()
    for c in mapping["components"]:
        if c["id"] == "files":
            del c["data_gb"]
    m = _model(mapping)
    res = capacity.analyze(m)
    sc = res.scenario("site:site-a")
    r = {x.asset: x for x in sc.restores}["files"]
    assert r.finish_hours == r.start_hours == 0.0 and r.meets_rto is None and r.size_known is False
    assert res.restore_hours["files"] == {"routine": None, "disaster": None}
    assert "data_quality:restore-size-unknown:files" in [f.id for f in res.findings]


def test_unrecoverable_asset_has_no_disaster_time():
    """An asset left unrecoverable by some scenario has disaster None and is listed, not scheduled."""
    from hiddenspof import capacity

    mapping = _estate(scenarios=[{"name": "both sites", "fail": ["site-a", "site-b"]}])
    m = _model(mapping)
    res = capacity.analyze(m)
    both = res.scenario("both sites")
    assert both.restores == () and both.unrecoverable == ("db", "files", "idp")
    assert both.headroom_factor is None
    assert all(v["disaster"] is None for v in res.restore_hours.values())
    with pytest.raises(CapacityError, match="no capacity scenario named 'nope'; expected one of: 'both sites'"):
        res.scenario("nope")


def _pacs(link_mb_s: float):
    """A hospital: PACS (20 TB, tier 1, RTO 24 h) backed up to a store behind one link; a RIS whose only copy is local."""
    return {
        "components": [
            {"id": "site-a", "kind": "site"},
            {"id": "site-b", "kind": "site"},
            {"id": "pacs", "kind": "datastore", "tier": 1, "rto_hours": 24, "data_gb": 20000},
            {"id": "ris", "kind": "datastore", "tier": 2, "rto_hours": 8, "data_gb": 500},
            {"id": "store-b", "kind": "backup_store"},
            {"id": "link", "kind": "network", "throughput_mb_s": link_mb_s},
        ],
        "dependencies": [
            {"component": "pacs", "depends_on": "site-a"},
            {"component": "ris", "depends_on": "site-a"},
            {"component": "store-b", "depends_on": "site-b"},
            {"component": "pacs", "depends_on": "link"},
            {"component": "pacs-bk", "depends_on": "store-b"},
            {"component": "ris-snap", "depends_on": "ris"},
        ],
        "backups": [
            {"id": "pacs-bk", "protects": "pacs"},
            {"id": "ris-snap", "protects": "ris", "method": "snapshot"},
        ],
        "scenarios": [{"name": "both sites", "fail": ["site-a", "site-b"]}],
    }


def test_restore_all_answers_when_every_declared_scenario_is_unrecoverable():
    """PACS, 20 TB over a 10 Gbit link (1250 MB/s), is back in 20e6 MB / 1250 MB/s = 4.44 h: within its 24 h RTO.

    The only declared scenario loses both sites (nothing comes back), yet the
    restore_all scenario still schedules PACS and lists the RIS, whose only
    copy lives on the RIS itself, as unrecoverable.
    """
    import json

    from hiddenspof import capacity

    res = capacity.analyze(_model(_pacs(1250.0)))
    assert res.scenario("both sites").restores == ()
    everything = res.scenario("restore_all")
    assert everything.kind == "restore_all" and everything.failed == ("pacs", "ris")
    assert everything.unrecoverable == ("ris",)
    (pacs,) = everything.restores
    assert pacs.asset == "pacs" and pacs.backup == "pacs-bk" and pacs.components == ("link",)
    assert pacs.finish_hours == pytest.approx(20000 * 1000 / 1250 / 3600)
    assert pacs.meets_rto is True
    assert everything.headroom_factor <= 1.0
    data = capacity.analyze(_model(_pacs(1250.0))).to_json()["scenarios"]
    assert [(s["name"], s["kind"], s["unrecoverable"]) for s in data] == [
        ("both sites", "declared", ["pacs", "ris"]), ("site:site-a", "site", ["pacs", "ris"]),
        ("restore_all", "restore_all", ["ris"])]
    json.dumps(data)


def test_restore_all_over_a_1_gbit_link_misses_and_names_the_headroom():
    """Over 1 Gbit (125 MB/s) the same restore takes 44.4 h; 24 h needs 20e6 / (24 x 3600) = 231.5 MB/s, 1.85x."""
    from hiddenspof import capacity
    from hiddenspof.capacity import HEADROOM_TOLERANCE

    res = capacity.analyze(_model(_pacs(125.0)))
    everything = res.scenario("restore_all")
    (pacs,) = everything.restores
    assert pacs.finish_hours == pytest.approx(20000 * 1000 / 125 / 3600)
    assert pacs.meets_rto is False
    need = 20000 * 1000 / (24 * 3600) / 125
    assert need <= everything.headroom_factor <= need * (1 + HEADROOM_TOLERANCE) + 1e-4
    assert [b.component for b in everything.bottlenecks] == ["link"]
    assert "capacity:rto-miss:restore_all" in [f.id for f in res.findings]


def test_restore_all_is_not_a_disaster_scenario():
    """disaster hours come from declared, site and region scenarios only (contract), never from restore_all."""
    from hiddenspof import capacity

    mapping = _pacs(1250.0)
    mapping["scenarios"] = []
    mapping["components"] = [c for c in mapping["components"] if c["id"] != "site-a"]
    mapping["dependencies"] = [d for d in mapping["dependencies"] if d["depends_on"] != "site-a"]
    res = capacity.analyze(_model(mapping))
    assert [s.kind for s in res.scenarios] == ["restore_all"]
    # nothing but restore_all takes PACS down, so it has no disaster time, only a routine one
    assert res.restore_hours["pacs"] == {"routine": pytest.approx(20000 * 1000 / 1250 / 3600), "disaster": None}


def test_restore_all_is_present_with_no_asset_at_all():
    """An estate with no protected asset still has its (empty) restore_all scenario."""
    from hiddenspof import capacity

    res = capacity.analyze(_model({"components": [{"id": "site-a", "kind": "site"}]}))
    (only,) = res.scenarios
    assert (only.name, only.kind, only.failed, only.restores, only.unrecoverable) == (
        "restore_all", "restore_all", (), (), ())


def test_json_matches_the_contract_and_is_repeatable():
    """to_json has the contract's keys and types, and two runs give identical JSON."""
    import json

    from hiddenspof import capacity

    m = _model(_estate())
    a = json.dumps(capacity.analyze(m).to_json(), sort_keys=True)
    b = json.dumps(capacity.analyze(_model(_estate())).to_json(), sort_keys=True)
    assert a == b
    data = json.loads(a)
    assert [sc["kind"] for sc in data["scenarios"]] == ["site", "restore_all"]
    sc = data["scenarios"][0]
    assert {"name", "failed", "makespan_hours", "restores", "headroom_factor"} <= set(sc)
    for r in sc["restores"]:
        assert {"asset", "backup", "start_hours", "finish_hours", "rto_hours", "meets_rto"} <= set(r)
        assert isinstance(r["start_hours"], float) and isinstance(r["meets_rto"], bool)


def test_scaled_rerun_for_what_if():
    """run_scenario with a per-component scale shortens the bottleneck and rejects unknown components."""
    from hiddenspof import capacity

    m = _model(_estate())
    (sc,) = [s for s in capacity.scenarios(m) if s.name == "site:site-a"]
    base = capacity.run_scenario(m, sc, with_headroom=False)
    fast = capacity.run_scenario(m, sc, scale={"store-b": 2.0}, with_headroom=False)
    assert fast.makespan_hours == pytest.approx(base.makespan_hours / 2)
    with pytest.raises(CapacityError, match="cannot scale components without a limit: db"):
        capacity.run_scenario(m, sc, scale={"db": 2.0})


def test_samples_have_a_scenario_with_schedule_and_headroom(sample_path):
    """Every sample estate has a scenario with restores, RTO verdicts and a headroom figure or reason."""
    import json

    from hiddenspof import capacity, inventory, model

    res = capacity.analyze(model.build(inventory.load(sample_path)))
    scheduled = [s for s in res.scenarios if s.restores]
    assert scheduled
    assert any(r.meets_rto is not None for s in scheduled for r in s.restores)
    assert all(s.headroom_factor is not None or s.headroom_reason for s in res.scenarios)
    json.dumps(res.to_json())


# --------------------------------------------------------------------------
# charts
# --------------------------------------------------------------------------


def _analysed():
    """The test estate with tight RTOs, analysed (one scenario with misses)."""
    from hiddenspof import capacity

    mapping = _estate()
    for c in mapping["components"]:
        if c["id"] in ("files", "db"):
            c["rto_hours"] = 0.5
    m = _model(mapping)
    return m, capacity.analyze(m)


def test_gantt_chart_bars_verdicts_and_rto_ticks():
    """The Gantt has start-to-finish bars coloured by verdict, in start order, and an RTO tick layer."""
    from hiddenspof import capacity
    from hiddenspof.charts import capacity as cc

    _, res = _analysed()
    frame = capacity.restores_frame(res.worst())
    spec = cc.restore_gantt(frame, "site").to_dict()
    bars, starts, ticks = spec["layer"]
    assert bars["mark"]["type"] == "bar"
    assert bars["encoding"]["x"]["field"] == "start_hours" and bars["encoding"]["x2"]["field"] == "finish_hours"
    assert bars["encoding"]["y"]["sort"] == ["files", "idp", "db"]
    assert bars["encoding"]["color"]["scale"]["domain"] == ["meets RTO", "misses RTO", "no verdict", "unknown (not timed)"]
    assert ticks["mark"]["type"] == "tick" and ticks["encoding"]["x"]["field"] == "rto_hours"
    rows = spec["datasets"][next(iter(spec["datasets"]))]
    assert {r["asset"]: r["verdict"] for r in rows} == {"files": "misses RTO", "idp": "meets RTO", "db": "misses RTO"}


def test_routine_vs_disaster_chart_points_and_rto():
    """Routine and worst-scenario points per asset, a rule between them and the RTO tick."""
    from hiddenspof import capacity
    from hiddenspof.charts import capacity as cc

    m, res = _analysed()
    spec = cc.routine_vs_disaster(capacity.hours_frame(res, m)).to_dict()
    span, points, rto = spec["layer"]
    assert span["mark"]["type"] == "rule" and points["mark"]["type"] == "point" and rto["mark"]["type"] == "tick"
    data = spec["datasets"][points["data"]["name"]]
    got = {(r["asset"], r["when"]): round(r["hours"], 4) for r in data}
    assert got[("files", "alone (routine)")] == 1.0
    assert got[("db", "worst scenario")] == round(2160 / 3600, 4)


def test_utilisation_and_headroom_charts():
    """Utilisation bars flag bottlenecks in red; headroom bars show the factor and a rule at 1x."""
    from hiddenspof import capacity
    from hiddenspof.charts import capacity as cc

    _, res = _analysed()
    util = cc.utilisation_bars(capacity.loads_frame(res.worst())).to_dict()
    assert util["encoding"]["x"]["field"] == "utilisation"
    rows = util["datasets"][util["data"]["name"]]
    assert {r["component"]: r["role"] for r in rows}["store-b"] == "bottleneck (full at times)"
    head = cc.headroom_bars(capacity.scenarios_frame(res)).to_dict()
    bars, labels, one = head["layer"]
    assert one["mark"]["type"] == "rule"
    data = head["datasets"][bars.get("data", head.get("data"))["name"]]
    assert [r["scenario"] for r in data] == ["site:site-a", "restore_all"]
    for row in data:
        assert row["status"] == "needs more" and row["shown"] > 1 and row["label"].endswith("x")


def test_charts_reject_frames_of_the_wrong_shape():
    """A chart given the wrong table names the missing columns and the builder to use."""
    import pandas as pd
    from hiddenspof.charts import capacity as cc

    with pytest.raises(ValueError, match=r"restores lacks columns .*capacity.restores_frame"):
        cc.restore_gantt(pd.DataFrame({"asset": []}))


# --------------------------------------------------------------------------
# notebook
# --------------------------------------------------------------------------


@pytest.mark.slow
def test_capacity_notebook_runs_on_every_sample(sample_path, tmp_path):
    """papermill executes 04_capacity_stress on each sample: scenario table, Gantt or no-restore note, charts."""
    import json

    import papermill as pm
    from conftest import NOTEBOOKS

    out = tmp_path / "04.ipynb"
    pm.execute_notebook(
        str(NOTEBOOKS / "04_capacity_stress.ipynb"), str(out),
        parameters={"inventory_path": str(sample_path), "interactive": False},
        cwd=str(NOTEBOOKS), progress_bar=False, kernel_name="python3",
    )
    text = json.dumps([c.get("outputs") for c in json.loads(out.read_text())["cells"]])
    assert "The charted scenario is" in text and "Headroom factor" in text and "restore_all" in text
    assert text.count("image/svg+xml") >= 3  # Gantt, routine vs disaster, headroom at least


def test_schedule_does_not_depend_on_hash_seed():
    """The same restores give bit-identical schedules under different PYTHONHASHSEED values."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    script = (
        "import sys; sys.path.insert(0, 'benchmarks');"
        "from bench_capacity import workload; from hiddenspof.capacity import simulate;"
        "j, l = workload(300, 12, seed=7); s = simulate(j, l);"
        "print(repr([(r.id, r.start_hours, r.finish_hours) for r in s.restores]), repr(s.loads))"
    )
    outs = {
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outs) == 1


def test_restore_all_answer_names_misses_bottleneck_and_lost_assets():
    """The one-paragraph answer: makespan, who misses (with finish and RTO), the bottleneck, what never comes back."""
    from hiddenspof import capacity

    slow = capacity.restore_all_answer(capacity.analyze(_model(_pacs(125.0))))
    assert slow.startswith("If all 2 protected assets must be restored at once, the last is back after 44.4 h.")
    assert "1 restore misses its RTO: pacs (tier 1) back at 44.4 h against an RTO of 24 h." in slow
    assert "The bottleneck is link (full for 44.4 h)." in slow
    assert "Tier 1 needs 1.85" in slow and slow.endswith("Cannot be restored at all: ris.")
    fast = capacity.restore_all_answer(capacity.analyze(_model(_pacs(1250.0))))
    assert "Every restore with an RTO meets it." in fast and "4.44 h" in fast
    empty = capacity.analyze(_model({"components": [{"id": "site-a", "kind": "site"}]}))
    assert capacity.restore_all_answer(empty) == "The inventory protects no asset, so there is nothing to restore."


def test_waits_for_the_restore_its_earlier_restores_landed_on():
    """A restore waits for what its earlier restores run on: the directory is restored onto a host that is itself
    restored first, so the database waits for both (without the host the restored directory is down again)."""
    from hiddenspof import capacity

    mapping = _estate()
    mapping["components"] += [
        {"id": "hyp", "kind": "service", "tier": 1, "rto_hours": 1, "data_gb": 10},
        {"id": "vm-c", "kind": "service"},
    ]
    mapping["dependencies"] += [
        {"component": "hyp", "depends_on": "site-a"},
        {"component": "vm-c", "depends_on": "hyp"},
        {"component": "hyp-bk", "depends_on": "store-b"},
    ]
    mapping["backups"] = [b for b in mapping["backups"] if b["id"] != "idp-bk"] + [
        {"id": "idp-bk", "protects": "idp", "restore_to": "vm-c", "restore_mb_s": 500},
        {"id": "hyp-bk", "protects": "hyp", "restore_to": "vm-b", "restore_mb_s": 500},
    ]
    sc = capacity.build_scenario(_model(mapping), "site", "site", ["site-a"])
    assert sc.wave == {"hyp": 1, "files": 1, "idp": 2, "db": 3}
    assert {j.id: j.after for j in sc.jobs}["db"] == ("hyp", "idp")
