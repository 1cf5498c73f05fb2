"""Unknown is not zero: restores without any throughput on their path are "unknown", never 0 h and never "met"."""

from __future__ import annotations

import json

from conftest import make_inventory
from hiddenspof import analysis, capacity, model, summary


def wan_estate(wan_mb_s=None):
    """Two on-prem assets restored over one WAN line from a cloud repository; rates only if ``wan_mb_s`` is given."""
    comps = [
        {"id": "site", "kind": "site"}, {"id": "cloud", "kind": "site"},
        {"id": "wan", "kind": "network", **({"throughput_mb_s": wan_mb_s} if wan_mb_s else {})},
        {"id": "repo", "kind": "backup_store"},
        {"id": "erp", "kind": "datastore", "tier": 1, "rto_hours": 8, "data_gb": 900},
        {"id": "mail", "kind": "datastore", "tier": 2, "rto_hours": 24, "data_gb": 3500},
        {"id": "portal", "kind": "service", "tier": 2, "rto_hours": 12, "data_gb": 50},
    ]
    deps = [
        {"component": "erp", "depends_on": "site"}, {"component": "mail", "depends_on": "site"},
        {"component": "portal", "depends_on": "erp"},
        {"component": "repo", "depends_on": "cloud"},
        *({"component": b, "depends_on": d} for b in ("erp-bk", "mail-bk", "portal-bk") for d in ("repo", "wan")),
    ]
    backups = [{"id": "erp-bk", "protects": "erp", "schedule_hours": 24},
               {"id": "mail-bk", "protects": "mail", "schedule_hours": 24},
               {"id": "portal-bk", "protects": "portal", "schedule_hours": 24}]
    return make_inventory({"as_of": "2026-09-30"}, components=comps, dependencies=deps, backups=backups)


def test_no_throughput_means_unknown_not_met():
    """Without any rate on the path every restore is unknown: finish null, meets_rto null, restore_hours null,
    the answer and the finding say "could not be timed" and name the WAN line, and nothing says "meets"."""
    inv = wan_estate()
    m = model.build(inv)
    res = capacity.analyze(m)
    sc = next(s for s in res.scenarios if s.kind == capacity.RESTORE_ALL)
    assert {r.asset: (r.finish_hours, r.meets_rto, r.timed) for r in sc.restores} == {
        "erp": (None, None, False), "mail": (None, None, False), "portal": (None, None, False)}
    assert sc.misses == () and sc.headroom_factor is None and "could not be timed" in sc.headroom_reason
    assert all(h == {"routine": None, "disaster": None} for h in res.restore_hours.values())
    answer = capacity.restore_all_answer(res)
    assert "3 restores could not be timed" in answer and "meets it" not in answer
    [f] = [f for f in res.findings if f.id == "data_quality:restore-untimed"]
    assert f.title == "3 restores could not be timed: give the throughput_mb_s of wan (network)"
    assert f.severity == "medium" and f.assets == ("erp", "mail", "portal") and f.components == ("wan",)
    frame = capacity.restores_frame(sc)
    assert frame["finish_hours"].isna().all() and set(frame["verdict"]) == {"unknown (not timed)"}
    # the analysis JSON: null, never 0
    doc = json.loads(json.dumps(analysis.analyze(inv)))
    restore_all = next(s for s in doc["capacity"]["scenarios"] if s["kind"] == "restore_all")
    assert all(r["finish_hours"] is None and r["meets_rto"] is None for r in restore_all["restores"])
    assert sorted(restore_all["untimed"]) == ["erp", "mail", "portal"]
    assert all(a["restore_hours"] == {"routine": None, "disaster": None} for a in doc["assets"])
    # the summary's scorecard does not call it met
    card = summary.scorecard(doc)
    text = card.to_json()
    value = card.set_index("measure").loc["Worst capacity miss", "value"]
    assert value == "unknown: 3 restores could not be timed" and "meets" not in text.lower()


def test_with_the_wan_throughput_the_restores_are_timed():
    """Give the WAN line a rate and the same estate is timed: finishes, verdicts and no untimed finding."""
    res = capacity.analyze(model.build(wan_estate(62.5)))
    sc = next(s for s in res.scenarios if s.kind == capacity.RESTORE_ALL)
    assert all(r.finish_hours is not None and r.timed for r in sc.restores)
    assert not [f for f in res.findings if f.id == "data_quality:restore-untimed"]
    assert all(r.meets_rto is not None for r in sc.restores)
    assert res.restore_hours["erp"]["routine"] == 900 * 1000 / 62.5 / 3600  # 4 h over the line alone


def test_a_restore_waiting_for_an_untimed_one_is_unknown_too():
    """portal needs erp to run, so its restore waits for erp's: with erp untimed, portal's finish is unknown as
    well, though portal's own backup has a restore rate (it is timed)."""
    inv = wan_estate()
    backups = inv.backups.copy()
    backups.loc[backups["id"] == "portal-bk", "restore_mb_s"] = 100.0
    m = model.build(inv.replace(backups=backups) if hasattr(inv, "replace") else _with(inv, backups))
    res = capacity.analyze(m)
    sc = next(s for s in res.scenarios if s.kind == capacity.RESTORE_ALL)
    by = {r.asset: r for r in sc.restores}
    assert by["portal"].waits_for == ("erp",) and by["portal"].timed and by["portal"].finish_hours is None
    assert by["portal"].meets_rto is None and not by["erp"].timed
    assert res.restore_hours["portal"]["routine"] is not None  # alone (erp up), its own rate times it


def _with(inv, backups):
    import dataclasses
    return dataclasses.replace(inv, backups=backups)


def test_gantt_and_what_if_show_untimed_restores_as_unknown():
    """The Gantt draws an untimed restore as its start only and names it in the subtitle; the what-if widget's
    text says which restores were not timed, never that they met their RTO."""
    from hiddenspof import whatif, widgets
    from hiddenspof.charts import capacity as cc

    m = model.build(wan_estate())
    res = capacity.analyze(m)
    sc = next(s for s in res.scenarios if s.kind == capacity.RESTORE_ALL)
    spec = cc.restore_gantt(capacity.restores_frame(sc), "restore_all").to_dict()
    subtitle = spec["title"]["subtitle"]
    assert any("Not timed" in line and "erp, mail, portal" in line for line in subtitle)
    html = widgets.capacity_html(whatif.capacity_whatif(m, ["erp", "mail", "portal"]), chart=False)
    assert "not timed" in html and "erp, mail, portal" in html and "RTO missed by: none" in html
