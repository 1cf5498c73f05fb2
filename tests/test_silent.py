"""Tests of silent-failure scoring: known-answer job histories per factor, monotonicity, 3-2-1-1-0, speed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import statistics
import time

import numpy as np
import pandas as pd
import pytest
from conftest import make_inventory
from hiddenspof import model, silent
from hiddenspof.findings import Finding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

AS_OF = "2026-09-30"
BACKUP_IDS = ("b-ok", "b-tiny", "b-never", "b-collapse", "b-gap", "b-stale", "b-streak", "b-slow")


def daily(backup, start, n, size=100.0, status="success", hours=1.0, type=None):
    """``n`` daily runs of ``backup`` from ``start``; ``size``, ``hours`` and ``type`` may be functions of the run index."""
    t0 = dt.datetime.fromisoformat(start)
    out = []
    for i in range(n):
        s = t0 + dt.timedelta(days=i)
        h = hours(i) if callable(hours) else hours
        out.append({
            "backup": backup, "started_at": s.isoformat(),
            "finished_at": (s + dt.timedelta(hours=h)).isoformat(), "status": status,
            "size_gb": size(i) if callable(size) else size,
        })
        kind = type(i) if callable(type) else type
        if kind is not None:
            out[-1]["type"] = kind
    return out


def wobble(i):
    """A healthy size series: 100-102 GB."""
    return 100.0 + i % 3


def estate(runs=None, backups=None, tests=None, components=(), dependencies=(), as_of=AS_OF, asset=None, **overrides):
    """A small estate: asset db (120 GB, RPO 24 h) at site-a, a backup store at site-b, pager at site-c.

    Every backup in ``backups`` (ids) depends on the store, runs daily, is
    verified by restore tests, alerts to pager; ``overrides`` maps a backup id
    to column changes; ``asset`` changes columns of db.
    """
    backups = list(backups or BACKUP_IDS)
    rows = []
    for b in backups:
        row = {"id": b, "protects": "db", "schedule_hours": 24, "verification": "restore_test",
               "alert_channel": "pager", "method": "dump", "immutable": True}
        row.update(overrides.get(b, {}))
        rows.append({k: v for k, v in row.items() if v is not None})
    comps = [
        {"id": "db", "kind": "datastore", "data_gb": 120, "tier": 1, "rpo_hours": 24, **(asset or {})},
        {"id": "site-a", "kind": "site"}, {"id": "site-b", "kind": "site"}, {"id": "site-c", "kind": "site"},
        {"id": "pager", "kind": "alerting"}, {"id": "store", "kind": "backup_store"},
        *components,
    ]
    deps = [
        {"component": "db", "depends_on": "site-a"},
        {"component": "pager", "depends_on": "site-c"},
        {"component": "store", "depends_on": "site-b"},
        *[{"component": b, "depends_on": "store"} for b in backups],
        *dependencies,
    ]
    if tests is None:
        tests = [{"backup": b, "tested_at": "2026-09-01", "result": "pass", "scope": "full"} for b in backups]
    optional = {k: v for k, v in (("backup_runs", runs), ("restore_tests", tests)) if v}  # empty tables: absent
    return make_inventory({"as_of": as_of}, components=comps, dependencies=deps, backups=rows, **optional)


def known_runs():
    """The known-answer histories: healthy, tiny, never ran, collapse, gap, stale, failure streak, slow."""
    start = "2026-08-02T01:00:00"  # 60 daily runs end on 2026-09-30 01:00
    runs = daily("b-ok", start, 60, size=wobble)
    runs += daily("b-tiny", start, 60, size=0.00001, type="full")  # every full run "succeeded" with ~10 kB
    runs += daily("b-collapse", start, 57, size=wobble) + daily("b-collapse", "2026-09-28T01:00:00", 3, size=2.0)
    runs += [r for r in daily("b-gap", start, 60, size=wobble) if not "2026-09-10" <= r["started_at"][:10] < "2026-09-20"]
    runs += daily("b-stale", "2026-07-23T01:00:00", 60, size=wobble)  # last run 2026-09-20
    runs += daily("b-streak", start, 56, size=wobble) + daily("b-streak", "2026-09-27T01:00:00", 4, status="failed", size=0.0)
    runs += daily("b-slow", start, 59, size=wobble) + daily("b-slow", "2026-09-30T01:00:00", 1, size=101, hours=12)
    return runs


@pytest.fixture(scope="module")
def known():
    """The score of the known-answer estate (computed once)."""
    inv = estate(known_runs())
    return silent.score(inv, model.build(inv))


def by_id(result):
    """Backup id -> BackupScore."""
    return {b.id: b for b in result.backups}


def points(result, backup):
    """Factor name -> points of one backup."""
    return {f.name: f.points for f in by_id(result)[backup].factors}


def nonzero(result, backup):
    """The factors of one backup that carry points."""
    return {k: v for k, v in points(result, backup).items() if v > 0}


def test_healthy_backup_scores_zero(known):
    """A daily, size-stable, restore-tested, independently alerted backup has no points at all."""
    assert nonzero(known, "b-ok") == {}
    assert by_id(known)["b-ok"].score == 0.0


def test_every_factor_is_listed_with_evidence(known):
    """Every backup lists every factor in FACTOR_NAMES order, each with a sentence of evidence."""
    for b in known.backups:
        assert tuple(f.name for f in b.factors) == silent.FACTOR_NAMES
        assert all(f.points >= 0 and f.evidence.strip() for f in b.factors)


def test_tiny_success_runs(known):
    """Full runs that all 'succeed' with a few kB of a 120 GB asset give tiny_success and nothing else."""
    assert nonzero(known, "b-tiny") == {"tiny_success": 40.0}
    assert "1e-05 GB" in dict((f.name, f.evidence) for f in by_id(known)["b-tiny"].factors)["tiny_success"]


def test_never_ran(known):
    """A backup with no recorded run while others have runs scores job_history 40."""
    assert nonzero(known, "b-never") == {"job_history": 40.0}


def test_size_collapse(known):
    """Three 2 GB runs after weeks of ~100 GB are a collapse against the backup's own median (not tiny: 2 GB > 1.2 GB)."""
    assert nonzero(known, "b-collapse") == {"size_collapse": 25.0}


def test_gap_counts_missed_runs(known):
    """A 10-day hole in a daily schedule is 10 missed restore points (points capped at 15)."""
    s = silent.summarise_runs(estate(known_runs()).backup_runs, dt.date(2026, 9, 30), {"b-gap": 24})
    assert s.loc["b-gap", "missed_runs"] == 10
    assert nonzero(known, "b-gap") == {"missed_runs": 15.0}


def test_stale_last_success(known):
    """A daily backup last completed ~10 days before as_of is stale against twice the schedule and the RPO, and misses 9 runs."""
    p = nonzero(known, "b-stale")
    assert set(p) == {"last_success_age", "missed_runs"}
    # 238 h old against the 24 h RPO: ratio 9.9 -> 15 + 15 * min(1, 8.9 / 3) = 30
    assert p["last_success_age"] == 30.0
    assert p["missed_runs"] == 15.0
    assert "RPO of db" in dict((f.name, f.evidence) for f in by_id(known)["b-stale"].factors)["last_success_age"]


def test_failure_streak(known):
    """Four failed runs in a row at the end give failure_streak 20 and a stale last success."""
    p = nonzero(known, "b-streak")
    assert p["failure_streak"] == 20.0
    assert p["last_success_age"] > 0
    assert "tiny_success" not in p and "size_collapse" not in p  # failed runs are loud, not silent


def test_duration_anomaly(known):
    """A run that takes 12 h after weeks of 1 h is a duration anomaly worth 10."""
    assert nonzero(known, "b-slow") == {"duration_anomaly": 10.0}


def test_known_scores_rank_healthy_lowest(known):
    """The healthy backup is the asset's best, and asset_scores holds that minimum."""
    assert known.asset_scores == {"db": 0.0}
    scores = {b.id: b.score for b in known.backups}
    assert min(scores, key=lambda b: (scores[b], b)) == "b-ok"
    assert [b.id for b in known.backups] == sorted(BACKUP_IDS)


def test_run_anomalies_mark_the_timeline(known):
    """The per-run table flags exactly the 3 collapsed, 60 tiny and 1 slow runs and agrees with the summary."""
    r = known.runs
    assert r.loc[r["collapse"], "backup"].value_counts().to_dict() == {"b-collapse": 3}
    assert r.loc[r["tiny"], "backup"].value_counts().to_dict() == {"b-tiny": 60}
    assert r.loc[r["duration_anomaly"], "backup"].tolist() == ["b-slow"]
    assert not r.loc[~r["completed"], ["tiny", "collapse", "duration_anomaly"]].any().any()


# -- run types: like with like ---------------------------------------------------------


def weekly_chain(backup, start="2026-08-02T01:00:00", n=60, full=lambda i: 118.0 + i % 3, incr=lambda i: 0.6 + 0.01 * (i % 5),
                 typed=True):
    """Daily runs of a 120 GB asset: a full every 7th day (10 h), incrementals in between (30 min), typed or not."""
    def size(i):
        return full(i) if i % 7 == 0 else incr(i)

    return daily(backup, start, n, size=size, hours=lambda i: 10.0 if i % 7 == 0 else 0.5,
                 type=(lambda i: "full" if i % 7 == 0 else "incremental") if typed else None)


def score_runs(runs, backups, method="image"):
    """Score the small estate holding ``runs`` for ``backups`` (image jobs by default: chains are possible)."""
    inv = estate(runs, backups=backups, **{b: {"method": method} for b in backups})
    return silent.score(inv, model.build(inv))


def test_typed_incremental_chain_raises_no_size_alarm():
    """Weekly 120 GB fulls and daily 0.6 GB incrementals (0.5% of the data), typed: no size or duration alarm,
    whether the latest run is an incremental or a full that took 20 times as long as the incrementals."""
    runs = weekly_chain("inc-last") + weekly_chain("full-last", start="2026-08-05T01:00:00", n=57)  # its latest is a full
    res = score_runs(runs, ("inc-last", "full-last"))
    assert nonzero(res, "inc-last") == {} and nonzero(res, "full-last") == {}
    ev = dict((f.name, f.evidence) for f in by_id(res)["inc-last"].factors)["tiny_success"]
    assert "incremental, differential and log runs copy only changes" in ev
    flags = res.runs
    assert not flags[["tiny", "collapse", "duration_anomaly", "chain"]].any().any()
    # the baseline of an incremental is made of incrementals only
    last = flags[flags["backup"] == "inc-last"].iloc[-1]
    assert last["type"] == "incremental" and 0.6 <= last["baseline_median_gb"] <= 0.65


def test_full_run_of_one_percent_is_tiny():
    """The same chain whose latest full reported 1.2 GB (1% of 120 GB) is tiny, even with incrementals after it;
    an incremental of 1% is not."""
    runs = weekly_chain("bad-full", full=lambda i: 1.2 if i == 56 else 119.0)  # the full of day 56, then 3 incrementals
    res = score_runs(runs, ("bad-full",))
    p = nonzero(res, "bad-full")
    assert p["tiny_success"] == 40.0
    assert p["size_collapse"] == 25.0  # and it collapsed against the earlier fulls
    assert set(p) == {"tiny_success", "size_collapse"}
    ev = dict((f.name, f.evidence) for f in by_id(res)["bad-full"].factors)
    assert "bad-full's full run on 2026-09-27 reported 1.2 GB" in ev["tiny_success"]
    assert "full run on 2026-09-27" in ev["size_collapse"] and "median of 119 GB" in ev["size_collapse"]
    flags = res.runs
    assert flags.loc[flags["tiny"], "started_at"].dt.date.astype(str).tolist() == ["2026-09-27"]
    # just above 1%: not tiny (but still a collapse against the fulls)
    runs = weekly_chain("ok-full", full=lambda i: 1.21 if i == 56 else 119.0)
    assert nonzero(score_runs(runs, ("ok-full",)), "ok-full") == {"size_collapse": 25.0}


def test_incremental_collapse_is_judged_against_incrementals():
    """Typed incrementals that drop from 0.6 GB to 1 MB collapse against the incrementals (not the fulls); never tiny."""
    runs = weekly_chain("dying", incr=lambda i: 0.001 if i >= 57 else 0.6)
    p = nonzero(score_runs(runs, ("dying",)), "dying")
    assert p == {"size_collapse": 25.0}


def test_untyped_small_history_is_a_chain_until_it_collapses():
    """The same chain without types is consistently small (median 0.6 GB of 120 GB): no alarm. When its
    latest runs collapse against that history it raises a collapse and, no longer excused, tiny_success."""
    res = score_runs(weekly_chain("chain", typed=False), ("chain",))
    assert nonzero(res, "chain") == {}
    ev = dict((f.name, f.evidence) for f in by_id(res)["chain"].factors)["tiny_success"]
    assert "read as an incremental chain" in ev and "120 GB" in ev
    assert res.runs.loc[res.runs["backup"] == "chain", "chain"].iloc[-1]
    # its weekly full, 200 times the usual size and 20 times as long, is a bigger run, not a duration anomaly
    res = score_runs(weekly_chain("chain-full", typed=False, start="2026-08-05T01:00:00", n=57), ("chain-full",))
    assert nonzero(res, "chain-full") == {}
    collapsed = weekly_chain("gone", typed=False, incr=lambda i: 0.0001 if i >= 57 else 0.6)
    p = nonzero(score_runs(collapsed, ("gone",)), "gone")
    assert p == {"size_collapse": 25.0, "tiny_success": 40.0}


def test_untyped_runs_of_a_dump_are_full_copies():
    """A dump copies the whole data set every time: its consistently small untyped runs are tiny, not a chain."""
    runs = weekly_chain("dumped", typed=False)
    res = score_runs(runs, ("dumped",), method="dump")
    assert nonzero(res, "dumped") == {"tiny_success": 40.0}
    ev = dict((f.name, f.evidence) for f in by_id(res)["dumped"].factors)["tiny_success"]
    assert "dumped's run on 2026-09-30 (a dump: a full copy) reported 0.64 GB" in ev
    assert nonzero(score_runs(runs, ("dumped",), method="image"), "dumped") == {}  # an image job's chain is excused


def test_untyped_history_of_fulls_still_catches_a_tiny_run():
    """Untyped runs that normally hold the data are judged like fulls: a 1 GB run after weeks of 100 GB is tiny."""
    runs = daily("shrunk", "2026-08-02T01:00:00", 59, size=wobble) + daily("shrunk", "2026-09-30T01:00:00", 1, size=1.0)
    p = nonzero(score_runs(runs, ("shrunk",)), "shrunk")
    assert p == {"tiny_success": 40.0, "size_collapse": 25.0}


def test_untyped_empty_runs_are_not_a_chain():
    """A history whose typical run moved nothing (0 GB) is an empty job, not an incremental chain."""
    runs = daily("empty", "2026-08-02T01:00:00", 60, size=0.0)
    assert nonzero(score_runs(runs, ("empty",)), "empty") == {"tiny_success": 40.0}


# -- RPO compliance -----------------------------------------------------------------------


def rpo_result(runs, backups, rpo, tier=1, **overrides):
    """Score the small estate with db's RPO set to ``rpo`` hours; return (result, db's RPO findings)."""
    inv = estate(runs, backups=backups, asset={"rpo_hours": rpo, "tier": tier}, **overrides)
    res = silent.score(inv, model.build(inv))
    return res, [f for f in res.findings if f.id == "silent_failure:rpo"]


def test_daily_backups_against_one_hour_rpo_raise_an_rpo_finding():
    """Two daily backups of a tier-1 asset with a 1 h RPO: one critical finding naming both backups and the numbers."""
    runs = daily("b-ok", "2026-08-02T01:00:00", 60, size=wobble) + daily("b-copy", "2026-08-02T03:00:00", 60, size=wobble)
    res, found = rpo_result(runs, ("b-copy", "b-ok"), rpo=1)
    assert [f.id for f in found] == ["silent_failure:rpo"]
    f = found[0]
    assert f.severity == "critical" and f.category == "silent_failure" and f.assets == ("db",)
    assert f.components == ("b-copy", "b-ok")
    assert f.title == "db cannot meet its RPO of 1 h: its most frequent backup runs every 24 h"
    assert "b-copy every 24 h; b-ok every 24 h" in f.evidence and "23 h more than agreed" in f.evidence
    assert "at least every 1 h" in f.recommendation and "agree an RPO of 24 h" in f.recommendation
    check = res.rpo["db"]
    assert check.schedule_meets is False and check.schedule_gap
    # the two backups interleave: from b-copy's point of 03:00 until b-ok's 01:00 run is usable at 02:00 next day
    assert check.worst_gap_hours == 23.0 and check.window_hours == 23.0
    # the same estate at tier 2 is high, not critical; one finding per asset whatever the number of backups
    _, found = rpo_result(runs, ("b-copy", "b-ok"), rpo=1, tier=2)
    assert [f.severity for f in found] == ["high"]


def test_rpo_met_by_one_frequent_backup():
    """An hourly backup next to a daily one meets a 1 h RPO: no RPO finding."""
    hourly = []
    t0 = dt.datetime(2026, 9, 20, 0, 30)
    for i in range(24 * 10 + 2):  # up to 01:30 on the as_of day, past the daily run at 01:00
        s = t0 + dt.timedelta(hours=i)
        hourly.append({"backup": "b-hourly", "started_at": s.isoformat(), "status": "success", "size_gb": 1.0, "type": "log"})
    runs = daily("b-ok", "2026-08-02T01:00:00", 60, size=wobble) + hourly
    res, found = rpo_result(runs, ("b-hourly", "b-ok"), rpo=1, **{"b-hourly": {"schedule_hours": 1}})
    assert found == [] and res.rpo["db"].met and res.rpo["db"].schedule_meets is True
    assert res.rpo_frame().set_index("asset").loc["db", "fastest_backup"] == "b-hourly"


def test_stale_recovery_point_raises_an_rpo_finding():
    """A daily backup whose last completed run is 3 days old against a 24 h RPO: the newest point is 71 h old."""
    runs = daily("b-ok", "2026-07-30T01:00:00", 60, size=wobble)  # the last run starts 2026-09-27 01:00
    _, found = rpo_result(runs, ("b-ok",), rpo=24)
    assert len(found) == 1 and found[0].severity == "high"
    assert found[0].title == "The newest recovery point of db is 71 h old, over its RPO of 24 h"
    assert "b-ok, started 2026-09-27T01:00" in found[0].evidence
    assert "longest stretch" not in found[0].evidence  # the worst gap is this trailing one: said once


def test_worst_gap_in_history_raises_an_rpo_finding():
    """One missed night in a daily history is a 49 h window against a 24 h RPO: a medium finding with its dates."""
    runs = [r for r in daily("b-ok", "2026-08-02T01:00:00", 60, size=wobble) if r["started_at"][:10] != "2026-09-10"]
    res, found = rpo_result(runs, ("b-ok",), rpo=24)
    assert len(found) == 1 and found[0].severity == "medium"
    # the window runs from the point of 09-09 01:00 until the next one is usable, at 02:00 on 09-11 (contract)
    assert found[0].title == "db went 49 h without a new recovery point, over its RPO of 24 h"
    assert ("49 h from the recovery point of 2026-09-09T01:00 (b-ok) until the next one, b-ok's run started "
            "2026-09-11T01:00, became usable at 2026-09-11T02:00") in found[0].evidence
    assert "alert when no backup of db has completed within 24 h" in found[0].recommendation
    assert not res.rpo["db"].stale and res.rpo["db"].schedule_meets is True


def test_rpo_unknown_schedule_and_no_history_raise_nothing():
    """Without a schedule or runs nothing shows the RPO missed: no finding; an inferred daily interval does."""
    _, found = rpo_result([], ("b-ok",), rpo=1, **{"b-ok": {"schedule_hours": None}})
    assert found == []
    runs = daily("b-ok", "2026-08-02T01:00:00", 60, size=wobble)
    _, found = rpo_result(runs, ("b-ok",), rpo=4, **{"b-ok": {"schedule_hours": None}})
    assert len(found) == 1 and "b-ok every 24 h (inferred from its runs)" in found[0].evidence


def _complete_from_oracle(starts, schedule=None):
    """Where a backup's history is complete, by a plain loop: the start of its oldest stretch of three dense gaps."""
    gaps = [(b - a).total_seconds() / 3600 for a, b in zip(starts, starts[1:])]
    inferred = None
    if len(gaps) >= 3:
        base = min(statistics.median(gaps[i:i + 3]) for i in range(len(gaps) - 2))
        family = [g for g in gaps if g <= 2 * base]
        inferred = statistics.median(family) if family else statistics.median(gaps)
    elif len(gaps) >= 2:
        inferred = statistics.median(gaps)
    steps = [x for x in (schedule, inferred) if x]
    if not steps:
        return starts[0]
    step = min(steps)
    for j in range(len(gaps) - 2):
        if all(g <= 1.5 * step for g in gaps[j:j + 3]):
            return starts[j]
    return starts[0]


def _points_oracle(runs, as_of, protects, retention=None):
    """Per asset, by a plain loop over time: the newest completed start, its age, and the worst data-loss window
    (from a point becoming usable back to the newest point usable before it, or from the newest to as_of) over the
    complete part of every backup's history."""
    now = pd.Timestamp(as_of)
    retention = retention or {}
    out = {}
    for asset in sorted(set(protects.values())):
        rows = [(b, t, f, st_) for b, t, f, st_ in zip(runs["backup"], runs["started_at"], runs["finished_at"], runs["status"])
                if protects.get(b) == asset and t < now + pd.Timedelta(days=1)]
        points = sorted((t, f if not pd.isna(f) else t) for _, t, f, st_ in rows if st_ in silent.COMPLETED)
        if not points:
            continue
        mine = sorted({b for b, _, _, _ in rows})
        since = max(_complete_from_oracle(sorted(t for b2, t, _, _ in rows if b2 == b)) for b in mine)
        if all(b in retention for b in mine):
            since = max(since, min(now - pd.Timedelta(days=retention[b]) for b in mine))
        worst = max(0.0, (now - points[-1][0]).total_seconds() / 3600)
        seen = [(t, u) for t, u in points if t >= since]
        for t, u in seen:
            before = [t2 for t2, u2 in seen if u2 < u or (u2 == u and t2 < t)]
            if before and max(before) < t:
                worst = max(worst, (u - max(before)).total_seconds() / 3600)
        out[asset] = (points[-1][0], max(0.0, (now - points[-1][0]).total_seconds() / 3600), worst)
    return out


def test_recovery_points_agree_with_a_loop():
    """recovery_points matches a per-asset loop on a random history of 40 backups over 8 assets (some starting late,
    some runs finishing a day and a half later, retention horizons on all but one asset)."""
    rng = np.random.default_rng(11)
    n = 2000
    runs = pd.DataFrame({
        "backup": rng.choice([f"b{i:02d}" for i in range(40)], n).astype(object),
        "started_at": pd.Timestamp("2026-06-01") + pd.to_timedelta(rng.integers(0, 130 * 24 * 60, n), unit="min"),
        "status": rng.choice(["success", "warning", "failed"], n).astype(object),
    })
    runs = runs[~((runs["backup"] < "b05") & (runs["started_at"] < pd.Timestamp("2026-08-15")))]  # added later
    # most runs take an hour, some run for a day and a half (a long full leaves the window open), some have no finish
    runs["finished_at"] = runs["started_at"] + pd.to_timedelta(rng.choice([1.0, 1.0, 1.0, 36.0], len(runs)), unit="h")
    runs.loc[rng.random(len(runs)) < 0.05, "finished_at"] = pd.NaT
    runs["size_gb"] = 1.0
    protects = {f"b{i:02d}": f"a{i % 8}" for i in range(40)}
    retention = {f"b{i:02d}": 45.0 for i in range(40) if i % 8 != 3}  # asset a3 has a backup without retention
    got = silent.recovery_points(runs, dt.date(2026, 9, 30), protects, retention_days=retention)
    want = _points_oracle(runs, dt.date(2026, 9, 30), protects, retention)
    assert sorted(got.index) == sorted(want)
    for asset, (last, age, worst) in want.items():
        assert got.at[asset, "last_point_at"] == last
        assert got.at[asset, "last_point_age_hours"] == pytest.approx(age)
        assert got.at[asset, "worst_gap_hours"] == pytest.approx(worst)


def test_restore_test_factors():
    """Never tested, stale (how much older), failed, partial and file-only tests each score as documented."""
    runs = [r for b in ("never", "stale", "failed", "partial", "files") for r in daily(b, "2026-08-02T01:00:00", 60, size=wobble)]
    tests = [
        {"backup": "stale", "tested_at": "2026-03-04", "result": "pass", "scope": "full"},
        {"backup": "failed", "tested_at": "2026-08-01", "result": "pass", "scope": "full"},
        {"backup": "failed", "tested_at": "2026-09-15", "result": "fail", "scope": "full"},
        {"backup": "partial", "tested_at": "2026-09-15", "result": "partial", "scope": "full"},
        {"backup": "files", "tested_at": "2026-09-15", "result": "pass", "scope": "file"},
        {"backup": "files", "tested_at": "2026-10-15", "result": "pass", "scope": "full"},  # after as_of: ignored
    ]
    inv = estate(runs, backups=("never", "stale", "failed", "partial", "files"), tests=tests)
    res = silent.score(inv, model.build(inv))
    assert nonzero(res, "never") == {"restore_test_recency": 30.0, "restore_test_scope": 10.0}
    age = (dt.date(2026, 9, 30) - dt.date(2026, 3, 4)).days  # 210 days, 120 past the limit
    assert nonzero(res, "stale") == {"restore_test_recency": round(10.0 + 15.0 * (age - 90) / 270, 1),
                                     "restore_test_scope": 10.0}
    assert nonzero(res, "failed") == {"restore_test_result": 20.0}  # last pass 60 days ago: still fresh
    assert nonzero(res, "partial") == {"restore_test_recency": 30.0, "restore_test_result": 10.0,
                                       "restore_test_scope": 10.0}
    assert nonzero(res, "files") == {"restore_test_scope": 10.0}


def test_verification_alerting_and_replica():
    """Weak verification, no alert channel, an alert channel sharing a site with the asset, and a replica."""
    runs = [r for b in ("weak", "mute", "coupled", "mirror") for r in daily(b, "2026-08-02T01:00:00", 60, size=wobble)]
    inv = estate(
        runs, backups=("weak", "mute", "coupled", "mirror"),
        components=[{"id": "pager-a", "kind": "alerting"}],
        dependencies=[{"component": "pager-a", "depends_on": "site-a"}],
        weak={"verification": "job_status"}, mute={"alert_channel": None},
        coupled={"alert_channel": "pager-a"}, mirror={"method": "replica"},
    )
    res = silent.score(inv, model.build(inv))
    assert nonzero(res, "weak") == {"verification_strength": 15.0}
    assert nonzero(res, "mute") == {"alerting": 15.0}
    assert nonzero(res, "coupled") == {"alerting": 10.0}
    ev = dict((f.name, f.evidence) for f in by_id(res)["coupled"].factors)["alerting"]
    assert "site-a" in ev and "pager-a -> site-a" in ev and "db -> site-a" in ev
    assert nonzero(res, "mirror") == {"method_replica": 25.0}


def test_no_job_history_in_inventory():
    """Without any job history the job_history factor says so (20 points), and no run factor fires."""
    inv = estate([], backups=("b1",))
    res = silent.score(inv, model.build(inv))
    assert nonzero(res, "b1") == {"job_history": 20.0}


def test_unverified_empty_never_run_scores_high():
    """An unverified, unalerted backup whose runs are empty scores far above a healthy one."""
    runs = daily("bad", "2026-08-02T01:00:00", 60, size=0.0) + daily("good", "2026-08-02T01:00:00", 60, size=wobble)
    inv = estate(runs, backups=("bad", "good"), tests=[{"backup": "good", "tested_at": "2026-09-01", "result": "pass"}],
                 bad={"verification": "job_status", "alert_channel": None})
    res = silent.score(inv, model.build(inv))
    s = {b.id: b.score for b in res.backups}
    assert s["good"] == 0.0 and s["bad"] == 100.0  # 30 + 10 + 15 + 40 + 15 = 110, capped


def test_runs_after_as_of_are_ignored():
    """Runs that start after the as_of day do not rescue a backup that had stopped."""
    runs = daily("b1", "2026-08-02T01:00:00", 40, size=wobble) + daily("b1", "2026-10-01T01:00:00", 5, size=wobble)
    inv = estate(runs, backups=("b1",))
    res = silent.score(inv, model.build(inv))
    assert nonzero(res, "b1")["last_success_age"] > 0


def test_findings_are_stable_and_actionable():
    """Findings carry stable ids, the category, the asset, and a concrete recommendation."""
    inv = estate([], backups=("b1",), tests=[], b1={"verification": "job_status"})
    res = silent.score(inv, model.build(inv))
    ids = [f.id for f in res.findings]
    assert "silent_failure:restore-test-missing" in ids  # one per rule, listing its assets
    f = next(f for f in res.findings if f.id == "silent_failure:restore-test-missing")
    assert isinstance(f, Finding) and f.category == "silent_failure" and f.assets == ("db",)
    assert "quarterly full restore test of db" in f.recommendation
    assert all(f.category == "silent_failure" for f in res.findings)
    # tier-1 asset whose only backup scores >= 50 with a 35-point factor: critical
    assert f.severity == "critical"
    again = silent.score(inv, model.build(inv))
    assert [x.to_json() for x in again.findings] == [x.to_json() for x in res.findings]


def test_never_tested_backups_make_one_finding_per_asset():
    """Three never-tested backups of db: one restore-test-missing finding listing them, and no 'files only' finding."""
    runs = [r for b in ("b1", "b2", "b3") for r in daily(b, "2026-08-02T01:00:00", 60, size=wobble)]
    inv = estate(runs, backups=("b1", "b2", "b3"), tests=[])
    res = silent.score(inv, model.build(inv))
    missing = [f for f in res.findings if ":restore-test-missing" in f.id]
    assert [f.id for f in missing] == ["silent_failure:restore-test-missing"]
    f = missing[0]
    assert f.title == "3 backups of db have no recent passing restore test: b1, b2 and b3"
    assert f.components == ("b1", "b2", "b3") and f.assets == ("db",)
    assert all(f"{b} has never been restore-tested" in f.evidence for b in ("b1", "b2", "b3"))
    assert f.recommendation.startswith("Schedule a quarterly full restore test of db from each of b1, b2 and b3")
    assert not [f for f in res.findings if ":restore-test-files-only" in f.id]


def test_files_only_finding_names_only_backups_tested_at_file_level():
    """A backup whose recent passing tests restored files only gets 'files only'; the never-tested one does not."""
    runs = [r for b in ("files", "never") for r in daily(b, "2026-08-02T01:00:00", 60, size=wobble)]
    tests = [{"backup": "files", "tested_at": "2026-09-15", "result": "pass", "scope": "file"}]
    inv = estate(runs, backups=("files", "never"), tests=tests)
    res = silent.score(inv, model.build(inv))
    by_rule = {f.id.split(":")[1]: f for f in res.findings}
    assert by_rule["restore-test-files-only"].components == ("files",)
    assert by_rule["restore-test-files-only"].title == "Restore tests of files cover files only"
    assert by_rule["restore-test-missing"].components == ("never",)


def test_grouped_finding_takes_the_most_severe_member():
    """Two backups of db with no alert channel and one coupled: one alert-channel finding, both channels' evidence."""
    runs = [r for b in ("mute", "coupled") for r in daily(b, "2026-08-02T01:00:00", 60, size=wobble)]
    inv = estate(runs, backups=("mute", "coupled"), components=[{"id": "pager-a", "kind": "alerting"}],
                 dependencies=[{"component": "pager-a", "depends_on": "site-a"}],
                 mute={"alert_channel": None, "verification": "none"},
                 coupled={"alert_channel": "pager-a", "verification": "none"})  # 35 and 30: neither is a healthy alternative
    res = silent.score(inv, model.build(inv))
    alerts = [f for f in res.findings if ":alert-channel" in f.id]
    assert len(alerts) == 1
    f = alerts[0]
    assert f.components == ("coupled", "mute", "pager-a")
    assert f.severity == "medium"  # mute: 15 points -> medium; coupled: 10 -> low; the group is the worse
    assert "mute has no alert channel" in f.evidence and "pager-a -> site-a" in f.evidence
    assert f.title == "Failures of 2 backups of db may reach nobody: coupled and mute"


def test_stale_asset_tells_one_story():
    """The only backup of db stopped 10 days ago: the RPO finding tells it; no separate stale or missed-runs finding."""
    runs = daily("b-stale", "2026-07-23T01:00:00", 60, size=wobble)
    inv = estate(runs, backups=("b-stale",))
    res = silent.score(inv, model.build(inv))
    rules = sorted(f.id.split(":")[1] for f in res.findings)
    assert "rpo" in rules and "stale-last-success" not in rules and "missed-runs" not in rules
    f = next(f for f in res.findings if f.id == "silent_failure:rpo")
    assert "Last completed run of each backup: b-stale 9.9 days before." in f.evidence
    # the factors still carry the points: grouping changes findings, never scores
    assert nonzero(res, "b-stale") == {"last_success_age": 30.0, "missed_runs": 15.0}


def _no_duplicate_stories(findings):
    """No two findings share category, assets and recommendation; one finding per rule (its id), the asset
    rows of its per-asset table naming each asset once."""
    keys = [(f.category, f.assets, f.recommendation) for f in findings]
    assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]
    ids = [f.id for f in findings]
    assert len(ids) == len(set(ids))
    for f in findings:
        assert [x.asset for x in f.per_asset] == list(f.assets), f.id


def test_no_duplicate_stories_in_known_estate(known):
    """The known-answer estate's findings are one per (asset, rule), with distinct recommendations."""
    _no_duplicate_stories(known.findings)


def test_no_duplicate_stories_in_samples(sample_path):
    """Every sample estate: no two silent findings with the same category, assets and recommendation."""
    from hiddenspof import inventory

    inv = inventory.load(sample_path)
    res = silent.score(inv, model.build(inv))
    _no_duplicate_stories(res.findings)
    assert not any(":restore-test-files-only" in f.id and "never been restore-tested" in f.evidence for f in res.findings)


def test_to_json_matches_contract(known):
    """to_json gives the contract's backups list: id, protects, score, factors with name/points/evidence."""
    out = known.to_json()
    assert [b["id"] for b in out] == sorted(BACKUP_IDS)
    for b in out:
        assert set(b) == {"id", "protects", "silent_failure_score", "factors"}
        assert 0 <= b["silent_failure_score"] <= 100
        assert all(set(f) == {"name", "points", "evidence"} for f in b["factors"])
    json.dumps(out)  # plain JSON types only


# -- 3-2-1-1-0 ---------------------------------------------------------------------------


def test_rule_32110_met_and_not_met():
    """An asset with snapshot + offsite immutable store copy + offline tape meets all five; a lone snapshot meets none but media."""
    tests = [{"backup": "vault", "tested_at": "2026-09-01", "result": "pass", "scope": "full"}]
    inv = make_inventory(
        {"as_of": AS_OF},
        components=[
            {"id": "db", "kind": "datastore", "data_gb": 10}, {"id": "web", "kind": "service", "data_gb": 1},
            {"id": "site-a", "kind": "site"}, {"id": "site-b", "kind": "site"},
            {"id": "store-b", "kind": "backup_store"}, {"id": "lib-b", "kind": "backup_store"},
        ],
        dependencies=[
            {"component": "db", "depends_on": "site-a"}, {"component": "web", "depends_on": "site-a"},
            {"component": "store-b", "depends_on": "site-b"}, {"component": "lib-b", "depends_on": "site-b"},
            {"component": "snap", "depends_on": "site-a"}, {"component": "vault", "depends_on": "store-b"},
            {"component": "tape", "depends_on": "lib-b"}, {"component": "websnap", "depends_on": "site-a"},
        ],
        backups=[
            {"id": "snap", "protects": "db", "method": "snapshot"},
            {"id": "vault", "protects": "db", "method": "object_copy", "immutable": True},
            {"id": "tape", "protects": "db", "method": "tape", "offline": True},
            {"id": "websnap", "protects": "web", "method": "snapshot"},
        ],
        restore_tests=tests,
    )
    res = silent.score(inv, model.build(inv))
    db = res.rule_32110["db"]
    assert db.met and [p.name for p in db.parts] == list(silent.RULE_PARTS)
    assert "vault" in db.part("one_offsite").reason
    web = res.rule_32110["web"]
    assert {p.name: p.met for p in web.parts} == {
        "three_copies": False, "two_media": False, "one_offsite": False,
        "one_offline_or_immutable": False, "zero_errors": False,
    }
    assert "site-a" in web.part("one_offsite").reason
    # one finding per missing part, listing the assets that miss it; db misses none
    parts = {f.id.split(":")[2]: f for f in res.findings if f.id.startswith("silent_failure:3-2-1-1-0:")}
    # (zero errors: web is untested, a story its restore-test finding tells)
    assert set(parts) == {"three_copies", "two_media", "one_offsite", "one_offline_or_immutable"}
    assert all(f.assets == ("web",) for f in parts.values())
    f = parts["one_offsite"]
    # never ask for what exists: the estate already has stores outside site-a, the remedy names one
    assert f.severity == "medium" and "keep one copy on the existing backup store lib-b" in f.recommendation
    assert "another site or region" not in f.recommendation
    assert "lib-b, where immutable or offline copies are already kept" in parts["one_offline_or_immutable"].recommendation
    table = res.rule_frame()
    assert table["asset"].tolist() == ["db", "web"] and table["all_met"].tolist() == [True, False]


def test_offsite_copy_whose_restore_needs_the_site_is_not_asked_for_again():
    """A copy stored at site-b whose restore needs the backup server at site-a: offsite is not met, and the
    recommendation is to free its restore from site-a, not to keep a copy in another site (it exists)."""
    inv = make_inventory(
        {"as_of": AS_OF},
        components=[{"id": "db", "kind": "datastore", "data_gb": 10}, {"id": "site-a", "kind": "site"},
                    {"id": "site-b", "kind": "site"}, {"id": "colo-store", "kind": "backup_store"},
                    {"id": "veeam", "kind": "recovery_tool"}, {"id": "local-repo", "kind": "backup_store"}],
        dependencies=[{"component": "db", "depends_on": "site-a"}, {"component": "veeam", "depends_on": "site-a"},
                      {"component": "local-repo", "depends_on": "site-a"},
                      {"component": "colo-store", "depends_on": "site-b"},
                      {"component": "local", "depends_on": "local-repo"}, {"component": "local", "depends_on": "veeam"},
                      {"component": "copy", "depends_on": "colo-store"}, {"component": "copy", "depends_on": "veeam"}],
        backups=[{"id": "local", "protects": "db", "method": "image"},
                 {"id": "copy", "protects": "db", "method": "object_copy"}],
    )
    res = silent.score(inv, model.build(inv))
    part = res.rule_32110["db"].part("one_offsite")
    assert not part.met
    assert "copy is stored on colo-store, outside site-a, but restoring it needs veeam, lost with site-a" in part.reason
    assert "local shares site-a" in part.reason
    f = next(f for f in res.findings if f.id == "silent_failure:3-2-1-1-0:one_offsite")
    assert f.assets == ("db",) and "another site or region" not in f.recommendation
    assert ("make the restore of copy work without site-a (keep veeam, or a stand-in, outside site-a; "
            "the copy itself is already kept elsewhere)") in f.recommendation


def test_zero_errors_is_left_to_the_restore_test_finding():
    """An asset whose backups are untested gets the restore-test finding; its 3-2-1-1-0 finding does not
    repeat 'pass a full restore test', and an asset missing only that part gets no 3-2-1-1-0 finding."""
    inv = make_inventory(
        {"as_of": AS_OF},
        components=[{"id": "db", "kind": "datastore", "data_gb": 10}, {"id": "web", "kind": "service"},
                    {"id": "site-a", "kind": "site"}, {"id": "site-b", "kind": "site"},
                    {"id": "store-b", "kind": "backup_store"}],
        dependencies=[{"component": "db", "depends_on": "site-a"}, {"component": "web", "depends_on": "site-a"},
                      {"component": "store-b", "depends_on": "site-b"}, {"component": "vault", "depends_on": "store-b"},
                      {"component": "tape", "depends_on": "store-b"}, {"component": "snap", "depends_on": "site-a"}],
        backups=[{"id": "snap", "protects": "db", "method": "snapshot"},
                 {"id": "vault", "protects": "db", "method": "object_copy", "immutable": True},
                 {"id": "tape", "protects": "db", "method": "tape", "offline": True},
                 {"id": "websnap", "protects": "web", "method": "snapshot"}],
    )
    res = silent.score(inv, model.build(inv))
    assert not res.rule_32110["db"].part("zero_errors").met and res.rule_32110["db"].part("one_offsite").met
    ids = {f.id for f in res.findings}
    assert "silent_failure:restore-test-missing" in ids
    assert not any(f.id.startswith("silent_failure:3-2-1-1-0:") and "db" in f.assets for f in res.findings)
    parts = {f.id.split(":")[2]: f for f in res.findings if f.id.startswith("silent_failure:3-2-1-1-0:")}
    assert parts["three_copies"].title == "web has fewer than three copies (3-2-1-1-0)"
    # web is untested too: its zero-errors story is the restore-test finding's, listing it
    restore = next(f for f in res.findings if f.id == "silent_failure:restore-test-missing")
    assert "zero_errors" not in parts and restore.assets == ("db", "web")


# -- monotonicity ------------------------------------------------------------------------

VERIF = ["dr_drill", "restore_test", "checksum", "job_status", "none"]  # better -> worse


@st.composite
def evidence_pairs(draw):
    """An Evidence and a copy where every measure is equal or worse."""
    hist = draw(st.sampled_from(["some", "by_design", "unknown", "none"]))
    age = draw(st.one_of(st.none(), st.floats(0, 1000)))
    thr = draw(st.one_of(st.none(), st.floats(1, 500)))
    ls = draw(st.one_of(st.none(), st.floats(0, 5000)))
    base = silent.Evidence(
        backup="b", asset="a", restore_tests=1, last_pass_age_days=age,
        fresh_pass=age is not None and age <= 90 and draw(st.booleans()),
        fresh_full_pass=False, last_result=draw(st.sampled_from([None, "pass", "partial", "fail"])),
        verification=draw(st.sampled_from(VERIF)), history=hist, runs=5, completed=3,
        last_success_age_hours=ls, success_threshold_hours=thr, missed_runs=draw(st.integers(0, 20)),
        interval_hours=24.0, streak_runs=3, streak_weight=draw(st.floats(0, 10)),
        tiny=draw(st.booleans()), collapse=draw(st.booleans()), duration_anomaly=draw(st.booleans()),
        alert=draw(st.sampled_from(["ok", "coupled", "none"])), replica=draw(st.booleans()),
    )
    base = dataclasses.replace(base, fresh_full_pass=base.fresh_pass and draw(st.booleans()))
    worse = {}
    if draw(st.booleans()):
        worse["last_pass_age_days"] = None if age is None or draw(st.booleans()) else age + draw(st.floats(0, 500))
    new_age = worse.get("last_pass_age_days", age)
    worse["fresh_pass"] = base.fresh_pass and new_age is not None and new_age <= 90 and draw(st.booleans())
    worse["fresh_full_pass"] = base.fresh_full_pass and worse["fresh_pass"] and draw(st.booleans())
    if base.fresh_pass and not worse["fresh_pass"] and new_age is not None and new_age <= 90:
        worse["fresh_pass"] = True  # a pass within 90 days is still a pass within 90 days
    order = [None, "pass", "partial", "fail"]
    worse["last_result"] = draw(st.sampled_from(order[max(1, order.index(base.last_result)):])) if base.last_result else draw(st.sampled_from(order))
    if base.last_result is None and worse["last_result"] == "pass":
        worse["last_result"] = None
    worse["verification"] = draw(st.sampled_from(VERIF[VERIF.index(base.verification):]))
    if hist == "some":
        worse["last_success_age_hours"] = None if ls is None or draw(st.booleans()) else ls + draw(st.floats(0, 500))
        worse["missed_runs"] = base.missed_runs + draw(st.integers(0, 5))
        worse["streak_weight"] = base.streak_weight + draw(st.floats(0, 3))
    worse["tiny"] = base.tiny or draw(st.booleans())
    worse["collapse"] = base.collapse or draw(st.booleans())
    worse["duration_anomaly"] = base.duration_anomaly or draw(st.booleans())
    alerts = ["ok", "coupled", "none"]
    worse["alert"] = draw(st.sampled_from(alerts[alerts.index(base.alert):]))
    worse["replica"] = base.replica or draw(st.booleans())
    if base.history != "some":
        order = ["by_design", "unknown", "none"]  # no runs: kept none by design < not collected < expected and missing
        worse["history"] = draw(st.sampled_from(order[order.index(hist):]))
    return base, dataclasses.replace(base, **worse)


@settings(max_examples=300, deadline=None)
@given(evidence_pairs())
def test_points_and_score_monotone_in_evidence(pair):
    """Making any measure worse never lowers a factor's points nor the capped total."""
    base, worse = pair
    fb, fw = silent.factors_from_evidence(base), silent.factors_from_evidence(worse)
    for a, b in zip(fb, fw):
        assert b.points >= a.points, (a, b)
    assert silent._total(fw) >= silent._total(fb)
    assert 0 <= silent._total(fw) <= 100


@st.composite
def histories(draw):
    """A random daily-ish history (typed, untyped or mixed) and restore tests for backup b1 (plus a healthy b0)."""
    n = draw(st.integers(0, 25))
    statuses = draw(st.lists(st.sampled_from(["success", "success", "warning", "failed"]), min_size=n, max_size=n))
    sizes = draw(st.lists(st.one_of(st.none(), st.floats(0, 200)), min_size=n, max_size=n))
    gaps = draw(st.lists(st.floats(0.2, 5), min_size=n, max_size=n))
    kinds = draw(st.lists(st.sampled_from([None, None, "full", "incremental", "log"]), min_size=n, max_size=n))
    t = dt.datetime(2026, 9, 29, 1)
    runs = []
    for status, size, gap, kind in zip(statuses, sizes, gaps, kinds):
        row = {"backup": "b1", "started_at": t.isoformat(), "finished_at": (t + dt.timedelta(hours=1)).isoformat(), "status": status}
        if size is not None:
            row["size_gb"] = size
        if kind is not None:
            row["type"] = kind
        runs.append(row)
        t -= dt.timedelta(days=gap)
    runs += daily("b0", "2026-09-01T01:00:00", 29, size=wobble)
    k = draw(st.integers(0, 3))
    tests = [{"backup": "b1", "tested_at": (dt.date(2026, 9, 30) - dt.timedelta(days=draw(st.integers(0, 400)))).isoformat(),
              "result": draw(st.sampled_from(["pass", "partial", "fail"])),
              "scope": draw(st.sampled_from(["file", "full", "dr_drill"]))} for _ in range(k)]
    over = {"verification": draw(st.sampled_from(VERIF)),
            "alert_channel": draw(st.sampled_from(["pager", "pager-a", None])),
            "method": draw(st.sampled_from(["dump", "snapshot", "replica"])),
            "schedule_hours": draw(st.sampled_from([24, 12, None]))}
    return runs, tests, over


def worsen(draw, runs, tests, over):
    """One operation that makes b1's evidence worse, per the documented list."""
    op = draw(st.sampled_from(["verification", "alert", "replica", "test_result", "tests_older", "as_of_later",
                               "append_failed", "shrink_latest"]))
    runs, tests, over, as_of = [dict(r) for r in runs], [dict(t) for t in tests], dict(over), AS_OF
    mine = [r for r in runs if r["backup"] == "b1"]
    if op == "verification":
        over["verification"] = draw(st.sampled_from(VERIF[VERIF.index(over["verification"]):]))
    elif op == "alert":
        over["alert_channel"] = None
    elif op == "replica":
        over["method"] = "replica"
    elif op == "test_result" and tests:
        t = tests[draw(st.integers(0, len(tests) - 1))]
        t["result"] = draw(st.sampled_from(["pass", "partial", "fail"][["pass", "partial", "fail"].index(t["result"]):]))
    elif op == "tests_older":
        d = draw(st.integers(0, 300))
        for t in tests:
            t["tested_at"] = (dt.date.fromisoformat(t["tested_at"]) - dt.timedelta(days=d)).isoformat()
    elif op == "as_of_later":
        as_of = (dt.date(2026, 9, 30) + dt.timedelta(days=draw(st.integers(0, 200)))).isoformat()
    elif op == "append_failed":
        last = max((dt.datetime.fromisoformat(r["started_at"]) for r in mine), default=dt.datetime(2026, 9, 1))
        at = min(last + dt.timedelta(hours=draw(st.integers(1, 20))), dt.datetime(2026, 9, 30, 23))
        runs.append({"backup": "b1", "started_at": at.isoformat(), "status": "failed"})
    elif op == "shrink_latest":
        done = [r for r in mine if r["status"] in ("success", "warning")]
        if done:
            latest = max(done, key=lambda r: r["started_at"])
            if "size_gb" in latest:
                latest["size_gb"] = latest["size_gb"] * draw(st.floats(0, 1))
    return op, runs, tests, over, as_of


def _score_b1(runs, tests, over, as_of):
    """b1's score in the small estate (b0 healthy, pager-a shares site-a with db)."""
    inv = estate(runs, backups=("b0", "b1"), tests=tests, as_of=as_of,
                 components=[{"id": "pager-a", "kind": "alerting"}],
                 dependencies=[{"component": "pager-a", "depends_on": "site-a"}],
                 b1=over)
    return by_id(silent.score(inv, model.build(inv)))["b1"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(histories(), st.data())
def test_score_monotone_under_worse_inventory(history, data):
    """Each documented worsening of an inventory (weaker verification, no alert, replica, worse or older tests,
    later as_of, an extra failed run, a smaller latest run) never lowers the backup's score."""
    runs, tests, over = history
    before = _score_b1(runs, tests, over, AS_OF)
    op, runs2, tests2, over2, as_of = worsen(data.draw, runs, tests, over)
    after = _score_b1(runs2, tests2, over2, as_of)
    assert after.score >= before.score, (op, before, after)


# -- vectorised summary: agrees with a slow oracle, and is fast --------------------------


def _oracle(runs: pd.DataFrame, as_of: dt.date, backup: str) -> dict:
    """The slow, obvious computation of a few summary columns for one backup."""
    now = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    r = runs[(runs["backup"] == backup) & (runs["started_at"] < now)].sort_values("started_at", kind="mergesort")
    rows = list(r.itertuples(index=False))
    streak = 0.0
    for row in reversed(rows):
        if row.status == "success":
            break
        streak += silent.STATUS_WEIGHT[row.status]
    done = [row for row in rows if row.status in silent.COMPLETED]
    kind = [row.type if isinstance(row.type, str) else None for row in done]
    same = [row for row, k in zip(done, kind) if k == kind[-1]] if done else []  # like with like, untyped with untyped
    base = [row.size_gb for row in same[-1 - silent.BASELINE_RUNS:-1] if not np.isnan(row.size_gb)]
    med = float(np.median(base)) if base else float("nan")
    return {"runs": len(rows), "streak_weight": streak, "size_median_gb": med,
            "last_size_gb": done[-1].size_gb if done else float("nan")}


def test_summary_agrees_with_oracle():
    """summarise_runs matches a per-backup loop on a random multi-backup history with mixed run types."""
    rng = np.random.default_rng(7)
    n = 3000
    runs = pd.DataFrame({
        "backup": rng.choice([f"b{i:02d}" for i in range(40)], n).astype(object),
        "started_at": pd.Timestamp("2026-06-01") + pd.to_timedelta(rng.integers(0, 130 * 24, n), unit="h"),
        "status": rng.choice(["success", "success", "success", "warning", "failed"], n).astype(object),
        "size_gb": np.where(rng.random(n) < 0.1, np.nan, rng.gamma(5, 20, n)),
        "type": rng.choice(np.array(["full", "incremental", None], dtype=object), n),
    })
    runs["finished_at"] = runs["started_at"] + pd.Timedelta(hours=1)
    s = silent.summarise_runs(runs, dt.date(2026, 9, 30))
    for b in sorted(runs["backup"].unique()):
        o = _oracle(runs, dt.date(2026, 9, 30), b)
        assert s.loc[b, "runs"] == o["runs"]
        assert s.loc[b, "streak_weight"] == pytest.approx(o["streak_weight"])
        assert s.loc[b, "size_median_gb"] == pytest.approx(o["size_median_gb"], nan_ok=True)
        assert s.loc[b, "last_size_gb"] == pytest.approx(o["last_size_gb"], nan_ok=True)


def test_summary_scales_to_a_year_of_daily_runs():
    """A year of daily runs for 2,000 backups (730,000 rows) summarises in a few seconds."""
    nb, days = 2000, 365
    ids = np.repeat([f"bk-{i:05d}" for i in range(nb)], days).astype(object)
    start = pd.Timestamp("2025-10-01 01:00") + pd.to_timedelta(np.tile(np.arange(days), nb), unit="D")
    runs = pd.DataFrame({"backup": ids, "started_at": start, "finished_at": start + pd.Timedelta(hours=1),
                         "status": np.where(np.arange(nb * days) % 97 == 0, "failed", "success").astype(object),
                         "size_gb": 100.0 + np.arange(nb * days) % 5})
    t0 = time.perf_counter()
    s = silent.summarise_runs(runs, dt.date(2026, 9, 30), {f"bk-{i:05d}": 24.0 for i in range(nb)})
    elapsed = time.perf_counter() - t0
    assert len(s) == nb and (s["missed_runs"] >= 0).all()
    assert elapsed < 10, f"summarise_runs took {elapsed:.1f} s"


# -- charts --------------------------------------------------------------------------------


def test_run_timeline_chart(known):
    """The timeline facets by backup, plots size over start time, and colours runs by MARKERS."""
    from hiddenspof.charts import silent as charts

    spec = charts.run_timeline(known.runs, ["b-collapse", "b-tiny"]).to_dict()
    assert spec["facet"]["row"]["field"] == "backup"
    layers = spec["spec"]["layer"]
    points = layers[2]["encoding"]
    assert points["x"]["field"] == "started_at" and points["y"]["field"] == "size_shown_gb"
    assert points["color"]["scale"]["domain"] == list(charts.MARKERS)
    rows = next(iter(spec["datasets"].values()))
    markers = {(r["backup"], r["marker"]) for r in rows}
    assert markers == {("b-collapse", "success"), ("b-collapse", "size collapse"), ("b-tiny", "tiny")}
    with pytest.raises(ValueError, match="silent.run_anomalies"):
        charts.run_timeline(known.runs.drop(columns=["tiny"]))


def test_run_timeline_tells_run_types_apart():
    """A typed weekly-full chain: shapes by type, one line and one baseline per type, and no 'tiny' marker at all."""
    from hiddenspof.charts import silent as charts

    res = score_runs(weekly_chain("chain") + daily("plain", "2026-08-02T01:00:00", 60, size=wobble), ("chain", "plain"))
    spec = charts.run_timeline(res.runs).to_dict()
    line, baseline, points = spec["spec"]["layer"]
    assert line["encoding"]["detail"]["field"] == "run_type" and baseline["encoding"]["detail"]["field"] == "run_type"
    assert line["encoding"]["y"]["scale"]["type"] == "symlog"
    assert points["encoding"]["shape"]["field"] == "run_type"
    assert points["encoding"]["shape"]["scale"]["domain"] == list(charts.RUN_SHAPES)
    rows = next(iter(spec["datasets"].values()))
    kinds = {(r["backup"], r["run_type"]) for r in rows}
    assert kinds == {("chain", "full"), ("chain", "incremental"), ("plain", "untyped")}
    assert {r["marker"] for r in rows} == {"success"}  # no purple wall: incrementals are not tiny


def test_score_breakdown_chart(known):
    """Stacked bars sum factor points per backup, sorted by score, with empty rows for 0-point backups."""
    from hiddenspof.charts import silent as charts

    scores = known.score_frame()
    spec = charts.score_breakdown(known.factor_frame(), scores[["backup", "score"]]).to_dict()
    bars = spec["layer"][0]["encoding"]
    assert bars["x"]["aggregate"] == "sum" and bars["x"]["field"] == "points"
    assert bars["y"]["sort"][0] == scores["backup"].iloc[0] and bars["y"]["sort"][-1] == "b-ok"
    rows = next(iter(spec["datasets"].values()))
    assert {"backup": "b-ok", "score": 0.0, "factor": charts.NO_POINTS, "points": 0.0,
            "evidence": "no factor carries points"} in rows
    assert spec["layer"][1]["mark"]["type"] == "rule"


def test_restore_recency_chart():
    """Recency bars mark never-passed backups and draw the 90-day rule."""
    from hiddenspof.charts import silent as charts

    frame = pd.DataFrame({"backup": ["a", "b", "c"], "protects": ["x", "x", "y"],
                          "days_since_pass": [10.0, 200.0, float("nan")],
                          "status": ["within 90 days", "overdue", "never passed"]})
    spec = charts.restore_recency(frame).to_dict()
    data = {d["backup"]: d for d in next(iter(spec["datasets"].values())) if "backup" in d}
    assert data["c"]["days_shown"] == 365.0 and data["b"]["days_shown"] == 200.0
    rule = [v for k, v in spec["datasets"].items() if v and "days" in v[0]]
    assert rule == [[{"days": 90.0}]]
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["c", "b", "a"]


def test_rule_grid_chart():
    """The 3-2-1-1-0 grid has one cell per asset and part, coloured met / not met, reason in the tooltip."""
    from hiddenspof.charts import silent as charts

    res = rule_estate_result()
    spec = charts.rule_32110_grid(res.rule_frame()).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 2 * len(silent.RULE_PARTS)
    assert {r["met"] for r in rows if r["asset"] == "db"} == {"met"}
    assert spec["encoding"]["x"]["sort"] == list(silent.RULE_PARTS)
    assert {"field": "reason", "type": "nominal"} in spec["encoding"]["tooltip"]


def rule_estate_result():
    """A small 3-2-1-1-0 estate scored: db meets the rule (snapshot, offsite immutable copy, offline tape), web does not."""
    inv = make_inventory(
        {"as_of": AS_OF},
        components=[{"id": "db", "kind": "datastore", "data_gb": 10}, {"id": "web", "kind": "service"},
                    {"id": "site-a", "kind": "site"}, {"id": "site-b", "kind": "site"},
                    {"id": "store-b", "kind": "backup_store"}],
        dependencies=[{"component": "db", "depends_on": "site-a"}, {"component": "web", "depends_on": "site-a"},
                      {"component": "store-b", "depends_on": "site-b"}, {"component": "vault", "depends_on": "store-b"},
                      {"component": "tape", "depends_on": "store-b"}, {"component": "snap", "depends_on": "site-a"}],
        backups=[{"id": "snap", "protects": "db", "method": "snapshot"},
                 {"id": "vault", "protects": "db", "method": "object_copy", "immutable": True},
                 {"id": "tape", "protects": "db", "method": "tape", "offline": True},
                 {"id": "websnap", "protects": "web", "method": "snapshot"}],
        restore_tests=[{"backup": "vault", "tested_at": "2026-09-01", "result": "pass", "scope": "full"}],
    )
    return silent.score(inv, model.build(inv))


def test_score_frame_and_factor_table(known):
    """score_frame ranks highest first with the main factor; factor_table lists one backup's factors or names the unknown one."""
    frame = known.score_frame()
    assert frame["score"].is_monotonic_decreasing
    row = frame.set_index("backup").loc["b-tiny"]
    assert row["main_factor"] == "tiny_success"
    assert known.factor_table("b-ok")["name"].tolist() == list(silent.FACTOR_NAMES)
    with pytest.raises(KeyError, match="'nope' is not in this result"):
        known.factor_table("nope")


# -- notebook ------------------------------------------------------------------------------

NOTEBOOK = "03_silent_failures.ipynb"


def _execute(tmp_path, inventory_path):
    """Run notebook 03 under papermill with interactive off; return the executed notebook."""
    import papermill as pm
    from conftest import NOTEBOOKS

    out = tmp_path / "out.ipynb"
    return pm.execute_notebook(str(NOTEBOOKS / NOTEBOOK), str(out), cwd=str(NOTEBOOKS), progress_bar=False,
                               parameters={"inventory_path": str(inventory_path), "interactive": False})


def test_notebook_parameters_cell():
    """The notebook has exactly one parameters cell with typed, documented inventory_path and interactive."""
    import papermill as pm
    from conftest import NOTEBOOKS

    params = pm.inspect_notebook(str(NOTEBOOKS / NOTEBOOK))
    assert {"inventory_path", "interactive", "timeline_backups"} <= set(params)
    assert params["interactive"]["inferred_type_name"] == "bool" and params["interactive"]["help"]
    import nbformat

    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    assert sum("parameters" in c.metadata.get("tags", []) for c in nb.cells) == 1
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # stored without outputs


@pytest.mark.slow
def test_notebook_runs_on_built_inventory(tmp_path):
    """Notebook 03 executes on a YAML inventory written by the test and shows the collapsed backup."""
    import yaml

    inv_path = tmp_path / "estate.yaml"
    data = {"name": "notebook test", "as_of": AS_OF,
            "components": [{"id": "db", "kind": "datastore", "data_gb": 120}, {"id": "site-a", "kind": "site"}],
            "dependencies": [{"component": "db", "depends_on": "site-a"}],
            "backups": [{"id": b, "protects": "db", "schedule_hours": 24} for b in ("b-ok", "b-collapse")],
            "backup_runs": [r for r in known_runs() if r["backup"] in ("b-ok", "b-collapse")]}
    inv_path.write_text(yaml.safe_dump(data))
    nb = _execute(tmp_path, inv_path)
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     + str(o.get("data", {}).get("text/markdown", "")) + str(o.get("data", {}).get("text/html", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "2 backups assessed as of 2026-09-30" in text
    assert "size_collapse" in text
    charts = [o for c in nb.cells for o in c.get("outputs", []) if 'class="hs-chart"' in o.get("data", {}).get("text/html", "")]
    assert len(charts) == 4  # ranking, timeline, restore recency, 3-2-1-1-0 grid, each rendered offline


@pytest.mark.slow
def test_notebook_runs_on_sample_estates(tmp_path, sample_path):
    """Notebook 03 executes under papermill on every sample estate."""
    nb = _execute(tmp_path, sample_path)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_rolling_baseline_chunks_agree():
    """The chunked sliding-window baseline gives the same medians, MADs and counts whatever the chunk size."""
    rng = np.random.default_rng(3)
    values = np.where(rng.random(500) < 0.2, np.nan, rng.normal(100, 10, 500))
    codes = np.sort(rng.integers(0, 12, 500))
    big = silent._rolling_baseline(values, codes)
    small = silent._rolling_baseline(values, codes, chunk=7)
    for a, b in zip(big, small):
        np.testing.assert_array_equal(a, b)
    # row 20 of group 0 (if long enough) sees exactly the previous 14 values of its own group
    first = np.flatnonzero(codes == codes[0])
    if len(first) > 20:
        prev = values[first[20] - 14:first[20]]
        assert big[0][first[20]] == pytest.approx(np.nanmedian(prev))


def test_a_copy_whose_medium_and_place_are_unrecorded_is_not_asked_for_again():
    """db's dump has no store row and no site: two media and offsite are not shown, and the remedies ask to record
    where the copy is kept (it may already be elsewhere), not for another copy."""
    inv = make_inventory(
        {"as_of": AS_OF},
        components=[{"id": "db", "kind": "datastore", "data_gb": 10}, {"id": "site-a", "kind": "site"}],
        dependencies=[{"component": "db", "depends_on": "site-a"}],
        backups=[{"id": "dump", "protects": "db", "method": "dump"}],
    )
    res = silent.score(inv, model.build(inv))
    parts = {f.id.split(":")[2]: f for f in res.findings if f.id.startswith("silent_failure:3-2-1-1-0:")}
    assert "record where dump is kept" in parts["two_media"].recommendation
    assert "record the site or region of dump" in parts["one_offsite"].recommendation
    assert "another site or region" not in parts["one_offsite"].recommendation
    assert "different storage system" not in parts["two_media"].recommendation
