"""Fixes of silent-failure findings: edits in the contract's vocabulary, verified by scoring the changed estate again."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import SAMPLES, make_inventory
from hiddenspof import analysis, edits, inventory, model, silent, silentfix
from hiddenspof.findings import Finding

AS_OF = "2026-09-30"


def small(alert_db="pager-a", alert_web="pager-a", extra_components=(), extra_deps=(), tests=()):
    """db and web at site-a, each with one backup on a store at site-b; pager-a runs at site-a."""
    return make_inventory(
        {"as_of": AS_OF},
        components=[{"id": "db", "kind": "datastore", "data_gb": 50, "tier": 1},
                    {"id": "web", "kind": "service", "data_gb": 5, "tier": 2},
                    {"id": "site-a", "kind": "site"}, {"id": "site-b", "kind": "site"},
                    {"id": "store-b", "kind": "backup_store"}, {"id": "pager-a", "kind": "alerting"},
                    *extra_components],
        dependencies=[{"component": "db", "depends_on": "site-a"}, {"component": "web", "depends_on": "site-a"},
                      {"component": "pager-a", "depends_on": "site-a"}, {"component": "store-b", "depends_on": "site-b"},
                      {"component": "db-bk", "depends_on": "store-b"}, {"component": "web-bk", "depends_on": "store-b"},
                      *extra_deps],
        backups=[{"id": "db-bk", "protects": "db", "method": "dump", "alert_channel": alert_db},
                 {"id": "web-bk", "protects": "web", "method": "dump", "alert_channel": alert_web}],
        **({"restore_tests": list(tests)} if tests else {}),
    )


def finding(inv, fid):
    res = silent.score(inv, model.build(inv))
    return res.findings, next(f for f in res.findings if f.id == fid)


def rescored(inv, fix):
    """The silent findings of ``inv`` with the fix's edits applied (an independent re-run, not the fix's own)."""
    changed = edits.apply_changes(inv, list(fix.changes))
    return {f.id: f for f in silent.score(changed, model.build(changed)).findings}


def test_never_tested_backups_get_a_passing_full_restore_test_each():
    """restore-test-missing over two assets: one add_restore_test per backup, dated as_of, passing, full scope;
    applied and scored again, the rule no longer lists either asset."""
    inv = small()
    before, f = finding(inv, "silent_failure:restore-test-missing")
    assert f.assets == ("db", "web")
    fix = silentfix.silent_fix(model.build(inv), f, before)
    assert fix.verified and fix.new_findings == ()
    assert [e.to_json() for e in fix.changes] == [
        {"op": "add_restore_test", "row": {"backup": b, "tested_at": AS_OF, "result": "pass", "scope": "full",
                                           "restored_gb": gb, "notes": e.fields["notes"]}}
        for b, gb, e in (("db-bk", 50.0, fix.changes[0]), ("web-bk", 5.0, fix.changes[1]))]
    assert "silent_failure:restore-test-missing" not in rescored(inv, fix)


def test_a_coupled_alert_channel_is_rerouted_to_an_existing_independent_one():
    """pager-a dies with site-a, where db runs: the fix re-points both backups to pager-c (site-c), reused."""
    inv = small(extra_components=[{"id": "site-c", "kind": "site"}, {"id": "pager-c", "kind": "alerting"}],
                extra_deps=[{"component": "pager-c", "depends_on": "site-c"}])
    before, f = finding(inv, "silent_failure:alert-channel")
    assert f.assets == ("db", "web")
    fix = silentfix.silent_fix(model.build(inv), f, before)
    assert fix.verified and fix.reuses == ("pager-c",)
    assert [e.to_json() for e in fix.changes] == [
        {"op": "set", "table": "backups", "id": b, "column": "alert_channel", "value": "pager-c"}
        for b in ("db-bk", "web-bk")]
    assert "silent_failure:alert-channel" not in rescored(inv, fix)


def test_without_an_independent_channel_a_new_one_is_placed():
    """No channel survives site-a and no provider exists: a new channel on a new provider, both new- ids, placed."""
    inv = small(alert_db=None, alert_web=None)
    before, f = finding(inv, "silent_failure:alert-channel")
    fix = silentfix.silent_fix(model.build(inv), f, before)
    assert fix.verified and fix.reuses == ()
    ops = [(e.op, e.fields.get("id") or e.fields.get("component") or e.id) for e in fix.changes]
    assert ops[:3] == [("add_component", "new-alerting-provider"), ("add_component", "new-alert-channel"),
                       ("add_dependency", "new-alert-channel")]
    assert edits.new_ids(fix.changes) == ["new-alerting-provider", "new-alert-channel"]
    assert "silent_failure:alert-channel" not in rescored(inv, fix)


def test_a_history_finding_says_why_no_edit_fixes_it():
    """A rule whose evidence is the job history (no runs) gets no edits and an effect saying why."""
    inv = small()
    f = Finding("silent_failure:no-job-history", "silent_failure", "high", "No runs of db-bk on record",
                          ("db",), ("db-bk",), recommendation="Export the job history of db-bk.")
    fix = silentfix.silent_fix(model.build(inv), f, [f])
    assert not fix.verified and fix.changes == ()
    assert fix.effect.startswith("no change to the inventory tried: the finding is missing evidence")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_serious_finding_has_a_fix_or_a_reason(name):
    """Every critical or high finding of every sample carries a fix; an unverified one says what was tried; a
    verified silent fix's edits, applied and scored again, take its assets off its rule."""
    inv = inventory.load(SAMPLES[name])
    result = analysis.analyze(inv)
    for f in result["findings"]:
        if f["severity"] not in ("critical", "high"):
            continue
        assert f["fix"] is not None, f["id"]
        assert f["fix"]["verified"] or f["fix"]["effect"], f["id"]
        if f["category"] == "silent_failure" and f["fix"]["verified"]:
            changed = edits.apply_changes(inv, [edits.edit_from_json(e) for e in f["fix"]["changes"]])
            after = {g.id: g for g in silent.score(changed, model.build(changed)).findings}
            assert f["id"] not in after or not set(after[f["id"]].assets) & set(f["assets"]), f["id"]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_fixes_re_scored_in_part_equal_fixes_re_scored_whole(name):
    """With a memo, each fix is re-scored from the estate's own scoring (silent.rescore); without one, the changed
    inventory is scored whole: the same change, verdict, effect and new findings for every silent finding."""
    inv = inventory.load(SAMPLES[name])
    m = model.build(inv)
    before = silent.score(inv, m).findings
    memo: dict = {}
    tried = 0
    for f in before:
        whole = silentfix.silent_fix(m, f, before)
        part = silentfix.silent_fix(m, f, before, memo)
        assert part == whole, f.id
        tried += bool(whole.changes)
    assert tried  # some fix was applied and re-scored


def test_a_seeded_memo_starts_from_the_assessment_scoring_without_scoring_again(monkeypatch):
    """With the assessment's own scoring handed over (seeded_memo), the fixes equal those re-scored whole and the
    estate is not scored a second time; a scoring made without a memo (no basis to start from) is refused."""
    inv = inventory.load(SAMPLES["hybrid-enterprise"])
    m = model.build(inv)
    memo: dict = {}
    res = silent.score(inv, m, memo=memo)
    before = res.findings
    whole = [silentfix.silent_fix(m, f, before) for f in before]
    calls = []
    monkeypatch.setattr(silent, "score", lambda *a, **k: calls.append(1))
    seeded = silentfix.seeded_memo(m, res, memo)
    assert [silentfix.silent_fix(m, f, before, seeded) for f in before] == whole
    assert any(f.changes for f in whole)
    assert not calls
    with pytest.raises(ValueError):
        silentfix.seeded_memo(m, dataclasses.replace(res, basis=None), {})
