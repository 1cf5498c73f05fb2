"""Known answers of RPO compliance as the contract defines it, retention-aware and pruned histories, and runs
expected only where a tool logs them (docs/silent-failure-scoring.md, "RPO compliance" and "Pruned history")."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from conftest import make_inventory
from hiddenspof import history, model, silent

AS_OF = "2026-09-30"


def runs_every(backup, start, hours, n, minutes=40, status="success", type=None, skip=()):
    """``n`` runs of ``backup`` every ``hours`` from ``start``, each taking ``minutes``; indexes in ``skip`` left out."""
    t0 = dt.datetime.fromisoformat(start)
    out = []
    for i in range(n):
        if i in skip:
            continue
        s = t0 + dt.timedelta(hours=hours * i)
        row = {"backup": backup, "started_at": s.isoformat(), "finished_at": (s + dt.timedelta(minutes=minutes)).isoformat(),
               "status": status, "size_gb": 10.0}
        if type:
            row["type"] = type
        out.append(row)
    return out


def estate(backups, runs=(), rpo=24.0, tier=2, extra_components=(), extra_deps=()):
    """Asset ``db`` (RPO ``rpo``) with the given backup rows, each stored on ``store`` and restored by ``tool``."""
    comps = [{"id": "db", "kind": "datastore", "tier": tier, "rpo_hours": rpo, "data_gb": 100},
             {"id": "store", "kind": "backup_store"}, {"id": "tool", "kind": "recovery_tool"},
             {"id": "pager", "kind": "alerting"}, *extra_components]
    rows = [{"protects": "db", "verification": "restore_test", "alert_channel": "pager", **b} for b in backups]
    deps = [*({"component": b["id"], "depends_on": "store"} for b in backups if not b.get("_own_tool")),
            *({"component": b["id"], "depends_on": "tool"} for b in backups if not b.get("_own_tool")), *extra_deps]
    for r in rows:
        r.pop("_own_tool", None)
    tables = {"components": comps, "dependencies": deps, "backups": rows}
    if runs:
        tables["backup_runs"] = list(runs)
    return make_inventory({"as_of": AS_OF}, **tables)


def score(inv):
    return silent.score(inv, model.build(inv))


def rpo_findings(res):
    return [f for f in res.findings if f.id == "silent_failure:rpo"]


def factor(res, backup, name):
    b = next(b for b in res.backups if b.id == backup)
    return next(f for f in b.factors if f.name == name)


# -- the contract's known answers -------------------------------------------------------------------


def test_daily_backup_meets_a_24_hour_rpo():
    """A daily job that runs 40 minutes leaves a 24.7 h window: within 24 h plus the 5% grace, so it meets."""
    inv = estate([{"id": "nightly", "schedule_hours": 24}], runs_every("nightly", "2026-08-01T01:00", 24, 60))
    res = score(inv)
    check = res.rpo["db"]
    assert check.window_basis == "history" and round(check.window_hours, 2) == 24.67
    assert check.met and rpo_findings(res) == []


def test_a_full_that_finishes_late_leaves_a_28_hour_window_that_misses():
    """The insurance file server: a cloud copy at 08:00 (usable about 12:20) and a 20:00 backup whose full run
    finished at 13:27 the next day. From the 08:00 point until the next 08:00 point is usable at 12:20 no newer
    point was usable: a 28.3 h window, over 24 h + 5%. Measured start to start it looked like 12 h."""
    cloud = runs_every("cloud", "2026-09-01T08:00", 24, 29, minutes=260)  # usable at 12:20
    veeam = runs_every("veeam", "2026-09-01T20:00", 24, 29, minutes=100, type="incremental")
    full_day = next(r for r in veeam if r["started_at"].startswith("2026-09-14"))
    full_day.update(finished_at="2026-09-15T13:27:00", type="full")
    inv = estate([{"id": "cloud", "schedule_hours": 24}, {"id": "veeam", "schedule_hours": 24}], cloud + veeam)
    res = score(inv)
    check = res.rpo["db"]
    assert round(check.window_hours, 1) == 28.3 and not check.met
    assert (check.worst_gap_from, check.worst_from_backup) == ("2026-09-14T08:00", "cloud")
    assert (check.worst_gap_to, check.worst_to_backup) == ("2026-09-15T12:20", "cloud")
    assert check.worst_late == (("veeam", "2026-09-14T20:00", "2026-09-15T13:27"),)
    [f] = rpo_findings(res)
    assert f.title == "db went 28.3 h without a new recovery point, over its RPO of 24 h"
    assert "veeam's run started 2026-09-14T20:00 was usable only at 2026-09-15T13:27" in f.evidence
    assert "make the recovery point of db usable sooner" in f.recommendation


def test_fifteen_minute_logs_serve_a_daily_full():
    """A daily full and log backups every 15 minutes, judged together, meet a 1 h RPO."""
    full = runs_every("full", "2026-09-20T22:00", 24, 10, minutes=180, type="full")
    logs = runs_every("logs", "2026-09-20T00:00", 0.25, 4 * 24 * 10, minutes=2, type="log")
    inv = estate([{"id": "full", "schedule_hours": 24}, {"id": "logs", "schedule_hours": 0.25}], full + logs, rpo=1)
    res = score(inv)
    assert res.rpo["db"].met and res.rpo["db"].window_hours <= 0.3
    assert rpo_findings(res) == []


def test_point_in_time_recovery_without_runs_meets_one_hour():
    """PITR (a continuous copy every 5 minutes) keeps no job history: judged by its schedule, it meets a 1 h RPO,
    and is not reported as "no runs", even where other backups of the estate have runs."""
    other = [{"id": "nightly", "schedule_hours": 24}, {"id": "pitr", "schedule_hours": 5 / 60, "method": "snapshot"}]
    inv = estate(other, runs_every("nightly", "2026-09-01T01:00", 24, 29), rpo=1)
    res = score(inv)
    check = res.rpo["db"]
    assert check.met and check.window_basis == "schedule" and check.scheduled == (("pitr", 5 / 60),)
    assert "continuous copy" in factor(res, "pitr", "job_history").evidence  # completion unchecked, not "no runs"
    assert not any(f.id.startswith("silent_failure:no-job-history") for f in res.findings)
    # alone, in an inventory without any history, it meets too: the window is its schedule
    res = score(estate([{"id": "pitr", "schedule_hours": 5 / 60, "method": "snapshot"}], rpo=1))
    assert res.rpo["db"].met and res.rpo["db"].window_hours == 5 / 60


def test_without_history_the_best_schedule_is_the_window():
    """No job history at all: the window is the best schedule, and misses when it exceeds the RPO."""
    res = score(estate([{"id": "weekly", "schedule_hours": 168}, {"id": "daily", "schedule_hours": 24}], rpo=24))
    assert res.rpo["db"].window_hours == 24 and res.rpo["db"].met
    res = score(estate([{"id": "daily", "schedule_hours": 24}], rpo=4))
    [f] = rpo_findings(res)
    assert res.rpo["db"].window_basis == "schedule" and f.title.startswith("db cannot meet its RPO of 4 h")


# -- retention and pruned histories ----------------------------------------------------------------------------


def restic_pruned(backup, end="2026-09-29T02:00"):
    """What ``restic forget --keep-daily 7 --keep-weekly 4 --keep-monthly 12`` leaves of a nightly job."""
    last = pd.Timestamp(end)
    days = [last - pd.Timedelta(days=i) for i in range(7)]
    weeks = [last - pd.Timedelta(days=7 * i + 2) for i in range(1, 5)]
    months = [pd.Timestamp(f"{y}-{m:02d}-28 02:00") for y, m in [(2025, 10), (2025, 11), (2025, 12)] + [(2026, k) for k in range(1, 9)]]
    return [{"backup": backup, "started_at": t.isoformat(), "finished_at": (t + pd.Timedelta(minutes=20)).isoformat(),
             "status": "success", "size_gb": 10.0, "type": "full"} for t in sorted(days + weeks + months)]


def test_a_pruned_restic_history_is_not_an_outage():
    """7 daily, 4 weekly and 11 monthly snapshots: no missed runs, no 31-day window, a daily interval inferred."""
    inv = estate([{"id": "restic", "retention_days": 365}], restic_pruned("restic"))
    res = score(inv)
    assert factor(res, "restic", "missed_runs").points == 0.0
    assert factor(res, "restic", "last_success_age").points == 0.0
    check = res.rpo["db"]
    assert check.met and check.history_from == "2026-09-23T02:00" and round(check.window_hours, 1) == 24.3
    assert check.intervals == (("restic", 24.0, "inferred"),)
    assert not [f for f in res.findings if "restore points" in f.evidence or "days without" in f.title]
    # a schedule guessed from the listing's median (monthly) does not make the thinned part look dense either
    inv = estate([{"id": "restic", "schedule_hours": 720}], restic_pruned("restic"))
    res = score(inv)
    assert res.rpo["db"].met and res.rpo["db"].history_from == "2026-09-23T02:00"


def test_a_pruned_history_that_stopped_is_still_stale():
    """Thinning excuses the old part only: a restic job whose last snapshot is 9 days old misses its RPO."""
    inv = estate([{"id": "restic"}], restic_pruned("restic", end="2026-09-21T02:00"))
    res = score(inv)
    [f] = rpo_findings(res)
    assert res.rpo["db"].stale and f.title == "The newest recovery point of db is 8.9 days old, over its RPO of 24 h"


def test_an_outage_between_dense_parts_of_a_job_log_is_judged():
    """A job log with ten days missing in the middle (dense before and after) is an outage, not thinning."""
    inv = estate([{"id": "nightly", "schedule_hours": 24}], runs_every("nightly", "2026-08-01T01:00", 24, 60, skip=range(20, 30)))
    res = score(inv)
    check = res.rpo["db"]
    assert check.history_from == "2026-08-01T01:00" and round(check.worst_gap_hours, 1) == 264.7 and not check.met
    assert factor(res, "nightly", "missed_runs").points == 15.0


def test_runs_are_expected_only_back_to_the_retention_horizon():
    """Retention 14 days: an outage 30 days ago is pruned history, not a miss; a history that starts at the horizon
    is complete; the same outage inside the horizon is judged."""
    runs = runs_every("nightly", "2026-08-01T01:00", 24, 60, skip=range(20, 30))  # missing 08-21 .. 08-30
    res = score(estate([{"id": "nightly", "schedule_hours": 24, "retention_days": 14}], runs))
    assert res.rpo["db"].met and res.rpo["db"].history_from == "2026-09-16T00:00"
    assert factor(res, "nightly", "missed_runs").points == 0.0
    at_horizon = runs_every("nightly", "2026-09-16T01:00", 24, 14)
    res = score(estate([{"id": "nightly", "schedule_hours": 24, "retention_days": 14}], at_horizon))
    assert res.rpo["db"].met and rpo_findings(res) == []
    res = score(estate([{"id": "nightly", "schedule_hours": 24, "retention_days": 60}], runs))
    assert not res.rpo["db"].met and factor(res, "nightly", "missed_runs").points == 15.0


def test_dense_interval_of_a_pruned_listing():
    """The scalar inference an importer can use: the daily spacing of the dense part, not the monthly median."""
    stamps = [pd.Timestamp(r["started_at"]) for r in restic_pruned("x")]
    assert history.dense_interval_hours(stamps) == 24.0
    assert history.dense_interval_hours(stamps[:2]) is None


# -- "no runs" only where runs are expected -------------------------------------------------------------


def test_no_runs_only_where_the_tool_logs_runs():
    """A Veeam job without runs while other Veeam jobs have runs is an evidence gap (medium); Velero schedules known
    only from manifests (no Velero run collected) and a replica are not "no runs" failures."""
    comps = [{"id": "velero", "kind": "recovery_tool"}, {"id": "bucket", "kind": "backup_store"},
             {"id": "app", "kind": "service", "tier": 1, "rpo_hours": 24}]
    deps = [{"component": "velero-daily", "depends_on": "velero"}, {"component": "velero-daily", "depends_on": "bucket"}]
    backups = [{"id": "veeam-a", "schedule_hours": 24}, {"id": "veeam-b", "schedule_hours": 24},
               {"id": "replica", "schedule_hours": 4, "method": "replica"},
               {"id": "velero-daily", "protects": "app", "schedule_hours": 24, "method": "object_copy", "_own_tool": True}]
    inv = estate(backups, runs_every("veeam-a", "2026-09-01T01:00", 24, 29), extra_components=comps, extra_deps=deps)
    res = score(inv)
    assert factor(res, "veeam-b", "job_history").points == 40.0
    assert "while other backups of tool have runs" in factor(res, "veeam-b", "job_history").evidence
    assert factor(res, "velero-daily", "job_history").points == 20.0
    assert "no job history of velero was collected" in factor(res, "velero-daily", "job_history").evidence
    assert "replica, which keeps no job history" in factor(res, "replica", "job_history").evidence
    [gap] = [f for f in res.findings if f.id == "silent_failure:no-job-history"]
    assert gap.severity == "medium" and set(gap.assets) == {"app", "db"}  # an evidence gap, never high
    assert "replica" not in gap.components
    # the Velero app is judged by its schedule: daily meets its 24 h RPO
    assert res.rpo["app"].met and res.rpo["app"].window_basis == "schedule"


# -- as the importers write them ------------------------------------------------------------------------

FIXTURES = __import__("pathlib").Path(__file__).resolve().parent / "fixtures" / "importers"


def _imported(tmp_path, fmt, sources, as_of):
    import io

    from hiddenspof import inventory
    from hiddenspof.importers import run

    out = tmp_path / fmt
    run(fmt, [str(s) for s in sources], str(out), as_of=as_of, stderr=io.StringIO())
    inv = inventory.load(str(out))
    return inv, silent.score(inv, model.build(inv))


def test_a_pruned_borg_repository_imported_raises_no_outage(tmp_path):
    """`borg list --json` of a repository pruned with --keep-daily 7 --keep-weekly 4 --keep-monthly 6: imported and
    scored, the thinned archives are neither missed runs nor a stale job, and nothing says restore points are missing."""
    import json

    listing = json.loads((FIXTURES / "borg" / "borg-list.json").read_text())
    stamps = sorted({pd.Timestamp(r["started_at"]) for r in restic_pruned("x")})[-17:]  # 7 daily, 4 weekly, 6 monthly
    listing["archives"] = [{"archive": f"host-{t:%Y-%m-%d}", "barchive": f"host-{t:%Y-%m-%d}", "id": f"{i:064x}",
                            "name": f"host-{t:%Y-%m-%d}", "start": t.isoformat(), "time": t.isoformat()}
                           for i, t in enumerate(stamps)]
    src = tmp_path / "borg-list.json"
    src.write_text(json.dumps(listing))
    inv, res = _imported(tmp_path, "borg", [src], as_of="2026-09-30")
    [b] = res.backups
    assert len(inv.backup_runs) == 17
    points = {f.name: f.points for f in b.factors}
    assert points["missed_runs"] == 0.0 and points["last_success_age"] == 0.0 and points["job_history"] == 0.0
    assert not [f for f in res.findings if f.id in ("silent_failure:missed-runs", "silent_failure:stale-last-success")]


def test_velero_schedules_known_only_from_manifests_are_not_no_runs_failures(tmp_path):
    """Velero Schedules imported from manifests have no runs: an evidence gap at low severity, never high."""
    inv, res = _imported(tmp_path, "kubernetes", sorted((FIXTURES / "velero").glob("*.yaml")), as_of="2026-09-30")
    assert len(res.backups) and inv.backup_runs.empty
    gaps = [f for f in res.findings if f.id == "silent_failure:no-job-history"]
    assert gaps and all(f.severity == "low" for f in gaps)  # reported as an evidence gap, at low severity


def test_a_history_of_failed_runs_only_has_no_recovery_point():
    """Runs recorded but none completed: no recovery point in the whole recorded history, a stale window from the
    first run to as_of, and the finding says so."""
    runs = runs_every("nightly", "2026-09-20T01:00", 24, 10, status="failed")
    res = score(estate([{"id": "nightly", "schedule_hours": 24}], runs))
    check = res.rpo["db"]
    assert not check.met and check.window_basis == "history" and round(check.window_hours) == 239
    [f] = rpo_findings(res)
    assert "No run of any backup of db completed in its recorded history" in f.evidence
