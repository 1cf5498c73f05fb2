"""The remediation plan: verified fixes applied cumulatively in work packages, each re-analysed, down to an end state
that is the analysis of ``hiddenspof apply --fix all-verified``."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SAMPLES
from hiddenspof import analysis, edits, fixapply, inventory, plan, whatif
from hiddenspof.findings import Finding, Fix


@pytest.fixture(scope="module")
def analysed():
    out = {}
    for name in ("teaching", "saas-single-cloud"):
        inv = inventory.load(SAMPLES[name])
        parts: dict = {}
        out[name] = (inv, analysis.analyze(inv, parts), parts["plan"])
    return out


@pytest.mark.parametrize("name", ["teaching", "saas-single-cloud"])
def test_end_state_is_the_analysis_of_apply_all_verified(analysed, name):
    """Oracle: apply --fix all-verified (fixapply, its own loop) and a full re-analysis give the plan's end state:
    the same inventory, the same findings (id, severity, title, assets) and the same estate risk."""
    inv, result, the_plan = analysed[name]
    applied = fixapply.apply_fixes(inv, result, [fixapply.ALL_VERIFIED])
    assert [f.finding for f in applied.fixes] == [fid for s in the_plan.steps for fid in s.findings]
    for table in ("components", "dependencies", "backups", "restore_tests"):
        pd.testing.assert_frame_equal(getattr(applied.inventory, table), getattr(the_plan.inventory, table))
    after = applied.analysis["findings"]
    assert [(f.id, f.severity, f.title, f.assets) for f in the_plan.end.findings] == \
        [(f["id"], f["severity"], f["title"], tuple(f["assets"])) for f in after]
    assert the_plan.end.risk == pytest.approx(whatif.estate_risk(applied.inventory).total)
    assert result["plan"]["end_state"]["severity_counts"] == {
        s: sum(f["severity"] == s for f in after) for s in ("critical", "high", "medium", "low", "info")}


@pytest.mark.parametrize("name", ["teaching", "saas-single-cloud"])
def test_each_step_is_re_analysed_on_top_of_the_ones_before(analysed, name):
    """Each step's residual risk is the estate risk of the inventory with every step up to it applied, computed
    here from the findings' own fix.changes; the plan removes risk; assets are named, never finding ids."""
    inv, result, the_plan = analysed[name]
    by_id = {f["id"]: f for f in result["findings"]}
    assert the_plan.steps and the_plan.risk_before == pytest.approx(whatif.estate_risk(inv).total)
    done: set = set()
    changed = inv
    names = dict(zip(inv.components["id"], inv.components["name"]))
    for step in the_plan.steps:
        for fid in step.findings:
            todo = [e for e in map(edits.edit_from_json, by_id[fid]["fix"]["changes"]) if e not in done]
            changed = edits.apply_changes(changed, todo)
            done.update(todo)
        assert step.risk_after == pytest.approx(whatif.estate_risk(changed).total), step.title
        assert step.assets == tuple(names[a] for a in step.asset_ids)
        assert not any(fid in step.title for fid in by_id)
        assert step.title.endswith(f": {len(step.assets)} asset{'s' if len(step.assets) != 1 else ''}")
    assert the_plan.end.risk < the_plan.risk_before
    frame = the_plan.frame()
    assert list(frame["step"]) == list(range(1, len(the_plan.steps) + 1))
    assert list(frame["residual_risk"]) == [round(s.risk_after, 2) for s in the_plan.steps]
    assert result["plan"]["steps"][0]["assets"] == list(the_plan.steps[0].assets)


def _fix(*changes, reuses=()):
    return Fix("change", True, "effect", changes=tuple(changes), reuses=reuses)


def test_fixes_that_serve_many_assets_through_one_thing_are_one_work_package():
    """Two findings whose fixes restore to the same existing target are one package named by it; a fix sharing
    nothing is its own; packages go by their most severe finding."""
    to_dr = [Finding(f"coupling:domain:{a}", "coupling", sev, "t", (a,),
                     fix=_fix(edits.set_value("backups", f"{a}-bk", "restore_to", "dr-vm"), reuses=("dr-vm",)))
             for a, sev in (("db", "high"), ("web", "critical"))]
    other = Finding("silent_failure:restore-test-missing", "silent_failure", "critical", "t", ("files",),
                    fix=_fix(edits.add_restore_test(backup="files-bk", tested_at="2026-09-30", result="pass")))
    unverified = Finding("coupling:domain:x", "coupling", "critical", "t", ("x",),
                         fix=Fix("c", False, "tried", changes=(edits.set_value("backups", "x-bk", "immutable", True),)))
    groups = plan.packages([*to_dr, other, unverified])
    assert [[f.id for f in g] for g in groups] == [
        ["coupling:domain:web", "coupling:domain:db"], ["silent_failure:restore-test-missing"]]
    title = plan._title([e for f in groups[0] for e in f.fix.changes], ("db", "web"), {"dr-vm": "DR VM"},
                        {"dr-vm": "service"})
    assert title == "Restore to DR VM: 2 assets"


def _resolved_later_case():
    """A site that takes db and its store (a verified fix restores a copy at s2), and a second verified finding
    about db whose own fix is not needed once the first is made (it is gone from the re-analysis)."""
    from conftest import make_inventory

    inv = make_inventory(
        components=[{"id": "s1", "kind": "site"}, {"id": "s2", "kind": "site"},
                    {"id": "db", "kind": "datastore", "tier": 1}, {"id": "st1", "kind": "backup_store"},
                    {"id": "st2", "kind": "backup_store"}, {"id": "host2", "kind": "other"},
                    {"id": "app", "kind": "service", "tier": 3}],
        dependencies=[{"component": c, "depends_on": t} for c, t in (
            ("db", "s1"), ("st1", "s1"), ("bk", "st1"), ("st2", "s2"), ("host2", "s2"), ("app", "s2"),
            ("app-bk", "st1"))],
        backups=[{"id": "bk", "protects": "db"}, {"id": "app-bk", "protects": "app", "restore_to": "host2"}])
    result = analysis.analyze(inv)
    findings = [Finding.from_json(f) for f in result["findings"]]
    later = Finding("coupling:scenario:s1-fire", "coupling", "high", "t", ("db",),
                    fix=_fix(edits.set_value("backups", "bk", "immutable", True)))
    return inv, findings, later


def test_a_fix_resolved_by_an_earlier_step_is_left_out_and_apply_follows_the_plan(analysed):
    """A finding that the steps before resolve is listed under not_applied with the reason (its own fix is not
    made); on the SaaS sample every fix left out says why, and all-verified applies exactly the plan's fixes."""
    inv, findings, later = _resolved_later_case()
    built = plan.build(inv, [*findings, later])
    assert ("coupling:scenario:s1-fire", "resolved by the steps before it: its own fix is not needed") \
        in built.not_applied
    assert all(e not in built.steps[0].changes for e in later.fix.changes)
    inv, result, the_plan = analysed["saas-single-cloud"]
    left_out = {fid for fid, _ in the_plan.not_applied}
    assert all("resolved" in why or "no longer applies" in why for _, why in the_plan.not_applied)
    assert not left_out & set(fixapply.verified_in_order(result))
    end_ids = {f.id for f in the_plan.end.findings}
    assert all(fid not in end_ids for fid, why in the_plan.not_applied if "resolved" in why)


def test_summary_notebook_shows_the_plan_and_its_end_state(tmp_path):
    """papermill runs 05_summary on the teaching estate: the plan's steps (work packages with asset names and
    residual risk) and what is left when the plan is done, read from the analysis JSON's plan."""
    import json

    import papermill as pm
    from conftest import NOTEBOOKS

    out = tmp_path / "summary.ipynb"
    pm.execute_notebook(str(NOTEBOOKS / "05_summary.ipynb"), str(out),
                        parameters={"inventory_path": str(SAMPLES["teaching"]), "interactive": False},
                        cwd=str(NOTEBOOKS), progress_bar=False, kernel_name="python3")
    cells = {c.get("id"): c for c in json.loads(out.read_text())["cells"]}
    steps = json.dumps(cells["plan"]["outputs"])
    the_plan = analysis.analyze(inventory.load(SAMPLES["teaching"]))["plan"]
    assert "Residual risk" in steps and "Work package" in steps
    # the tables are HTML: quotes and ampersands of titles and names are escaped there
    import html

    for step in the_plan["steps"]:
        assert html.escape(step["title"]) in steps and html.escape(step["assets"][0]) in steps
    end = json.dumps(cells["plan-end"]["outputs"])
    assert the_plan["summary"] in end
    assert all(html.escape(f["title"]) in end or f["title"] in end for f in the_plan["end_state"]["findings"])


def test_without_a_verified_fix_the_plan_has_no_step_and_the_end_state_is_the_estate(analysed):
    """Findings whose fixes are all unverified: no step, nothing left out, the end state is the estate as analysed
    (its findings and risk), and apply --fix all-verified has nothing to apply."""
    import dataclasses

    inv, result, _ = analysed["teaching"]
    findings = [Finding.from_json(f) for f in result["findings"]]
    unverified = [dataclasses.replace(f, fix=dataclasses.replace(f.fix, verified=False)) if f.fix else f
                  for f in findings]
    empty = plan.build(inv, unverified)
    assert empty.steps == () and empty.not_applied == ()
    assert [f.id for f in empty.end.findings] == [f["id"] for f in result["findings"]]
    assert empty.end.risk == pytest.approx(empty.risk_before)
    assert fixapply.verified_in_order({**result, "plan": empty.to_json()}) == []
    assert empty.summary().startswith("0 steps take the estate risk from")


def _two_sites_for_one_asset():
    """db at s1; two verified fixes, each found alone, build their own recovery site (new-site-a on r1 and
    new-site-b on r2) with an offline vault for db: both name it new-db-offline-vault and new-db-offline-copy,
    and both add the same new provider row (identical, meant to be shared)."""
    from conftest import make_inventory

    inv = make_inventory(
        components=[{"id": "r1", "kind": "region"}, {"id": "r2", "kind": "region"}, {"id": "s1", "kind": "site"},
                    {"id": "db", "kind": "datastore", "tier": 1}, {"id": "st", "kind": "backup_store"},
                    {"id": "web", "kind": "service", "tier": 1}],
        dependencies=[{"component": c, "depends_on": t} for c, t in (
            ("s1", "r1"), ("db", "s1"), ("st", "s1"), ("bk", "st"), ("web", "db"))],
        backups=[{"id": "bk", "protects": "db"}])

    def site_fix(site, region, assets):
        return whatif.compile_changes(inv, [
            whatif.AddComponent("new-recovery-provider", "provider"),
            whatif.AddComponent(site, "site", place=(region,)),
            *[whatif.AddOfflineCopy(a, place=(site,)) for a in assets]], result=False)[0]

    a = Finding("coupling:domain:r1", "coupling", "critical", "t", ("db",),
                fix=_fix(*site_fix("new-site-a", "r2", ["db"])))
    b = Finding("coupling:domain:s1", "coupling", "high", "t", ("db", "web"),
                fix=_fix(*site_fix("new-site-b", "r1", ["db", "web"])))
    return inv, a, b


def test_rebase_renames_a_later_fixs_new_ids_an_earlier_fix_used_for_other_components():
    """On top of fix a, fix b's vault (same id, kept at another site) and its copy (same row, but stored in the
    renamed vault) get fresh ids in every edit that names them; the identical shared provider and web's copy
    (an id no earlier fix used) keep theirs; an id the inventory had before any fix is never renamed."""
    inv, a, b = _two_sites_for_one_asset()
    after_a = edits.apply_changes(inv, a.fix.changes)
    todo, skipped, renamed = edits.rebase(after_a, b.fix.changes, set(a.fix.changes), edits.new_ids(a.fix.changes))
    assert renamed == {"new-db-offline-vault": "new-db-offline-vault-2", "new-db-offline-copy": "new-db-offline-copy-2"}
    assert [e.describe() for e in skipped] == ["add component new-recovery-provider (provider)"]
    rows = {(e.fields.get("component"), e.fields.get("depends_on")) for e in todo if e.op == "add_dependency"}
    assert ("new-db-offline-vault-2", "new-site-b") in rows and ("new-db-offline-copy-2", "new-db-offline-vault-2") in rows
    assert not any("new-db-offline-vault" in _ids(e) or "new-db-offline-copy" in _ids(e) for e in todo)
    assert "new-web-offline-copy" in edits.new_ids(todo)
    both = edits.apply_changes(after_a, todo)  # applies; fix a's components are untouched
    deps = both.dependencies
    assert set(deps[deps["component"] == "new-db-offline-vault"]["depends_on"]) == {"new-site-a"}
    assert set(deps[deps["component"] == "new-db-offline-copy"]["depends_on"]) == {"new-db-offline-vault"}
    # without ``earlier`` (the ids came with the inventory, not from a fix of this run) nothing is renamed
    todo, _, renamed = edits.rebase(after_a, b.fix.changes, set(a.fix.changes))
    assert renamed == {}
    with pytest.raises(edits.EditError, match="already a component"):
        edits.apply_changes(after_a, todo)


def _ids(e):
    return {v for _, v in e.row} | {e.id, e.value}


def test_a_fix_whose_new_ids_an_earlier_step_used_is_applied_under_fresh_ids_and_apply_does_the_same():
    """Two verified fixes that both name a new vault new-db-offline-vault (at different new sites): the plan
    applies both (nothing left out as clashing), says which ids it renamed, and hiddenspof apply's own loop
    gives the same inventory."""
    inv, a, b = _two_sites_for_one_asset()
    built = plan.build(inv, [a, b])
    assert built.not_applied == ()
    assert [s.findings for s in built.steps] == [(a.id, b.id)]
    assert "new-db-offline-vault as new-db-offline-vault-2" in built.steps[0].detail
    comps = set(built.inventory.components["id"])
    assert {"new-db-offline-vault", "new-db-offline-vault-2", "new-site-a", "new-site-b"} <= comps
    result = {"findings": [f.to_json() for f in (a, b)]}
    applied = fixapply.apply_fixes(inv, result, [a.id, b.id])
    for table in ("components", "dependencies", "backups", "restore_tests"):
        pd.testing.assert_frame_equal(getattr(applied.inventory, table), getattr(built.inventory, table))
    assert applied.fixes[1].renamed == {"new-db-offline-vault": "new-db-offline-vault-2",
                                        "new-db-offline-copy": "new-db-offline-copy-2"}
    assert any("adds new-db-offline-vault as new-db-offline-vault-2" in line for line in applied.lines())


def test_fixes_that_propose_a_recovery_site_in_one_place_propose_one_site_and_the_plan_builds_it_once(tmp_path):
    """The fix search names a new recovery site by where it stands, never by the finding it serves: the findings
    whose sites stand in one place propose one site, its vault and their copies are equal row for row, and the plan
    builds each site and its vault once with one copy of each asset there (a client builds one recovery site, not one per
    finding); what each fix was verified to do still holds in the plan's end state."""
    import collections

    from hiddenspof import advice, coupling, inventory, model, synth

    synth.write_estate(tmp_path, 200, 3, history_days=0)
    inv = inventory.load(tmp_path)
    m = model.build(inv)
    findings = advice.attach_fixes(m, advice.findings_of(m, coupling.analyze(m, pairs=False, survival=False)))
    sites = [x for f in findings if f.fix is not None and f.fix.verified
             for x in f.fix.steps or () if isinstance(x, whatif.AddRecoverySite)]
    names = {x.name for x in sites}
    assert len(names) < len(sites), "several findings' fixes propose the same recovery site"
    assert all(x.name == "new-recovery-site-" + advice._slug(x.place[0]) for x in sites if x.place)
    built = plan.build(inv, findings)
    added = [e.fields for s in built.steps for e in s.changes if e.op == "add_component"]
    assert {r["id"] for r in added if r["kind"] in ("site", "other")} == names, "no site is built twice"
    copies = collections.Counter((e.fields["protects"], e.fields["restore_to"])
                                 for s in built.steps for e in s.changes if e.op == "add_backup")
    assert copies and max(copies.values()) == 1, "one copy of an asset at each site"
    vaults = [r["id"] for r in added if r["kind"] == "backup_store"]
    assert sorted(vaults) == sorted(f"{x}-vault" for x in names), "one vault at each site"
    fixed = {a for f in findings if f.fix is not None and f.fix.verified and f.category == "coupling" for a in f.assets}
    left = {a for f in built.end.findings if f.category == "coupling" and f.severity in ("critical", "high")
            for a in f.assets}
    assert fixed and not fixed & left, "no asset a verified coupling fix served is left in a serious finding"
