"""Tests of hiddenspof.asset_pages: one page per tier-1/2 asset from the analysis JSON and the model."""

from __future__ import annotations

import pytest
from conftest import DATA
from hiddenspof import analysis, asset_pages, inventory, model


@pytest.fixture(scope="module")
def teaching():
    inv = inventory.load(DATA / "teaching.yaml")
    return inv, analysis.analyze(inv), model.build(inv)


def test_teaching_has_one_page_for_its_tier_1_asset(teaching):
    """Only orders-db is tier 1 or 2; files-share (tier 3) gets no page."""
    inv, result, m = teaching
    names = dict(zip(inv.components["id"], inv.components["name"]))
    (page,) = asset_pages.build(result, m, names)
    assert page.asset == "orders-db" and page.tier == 1 and page.rto_hours == 8.0
    assert page.title == f"{names['orders-db']} (orders-db), tier 1"
    # the model restores it from the nightly dump when it fails alone; the offsite copy is the alternative
    assert page.best_backup == "orders-db-nightly" and page.alternatives == ("orders-db-offsite",)
    assert page.common_causes == () and page.threats == ()
    # the analysis's own numbers, not recomputed
    entry = next(a for a in result["assets"] if a["id"] == "orders-db")
    assert page.routine_hours == entry["restore_hours"]["routine"]
    assert page.disaster_hours == entry["restore_hours"]["disaster"]
    everything = next(s for s in result["capacity"]["scenarios"] if s["kind"] == "restore_all")
    assert page.restore_all_hours == next(r["finish_hours"] for r in everything["restores"] if r["asset"] == "orders-db")
    # the best backup (lowest score) decides the silent risk, with the evidence of each factor that scored
    assert page.silent_score == entry["silent_failure_score"] and page.silent_backup == "orders-db-offsite"
    assert [f["name"] for f in page.factors] == ["alerting"] and "dc-harbour" in page.factors[0]["evidence"]


def test_facts_answer_the_five_questions(teaching):
    """The facts table has one sentence per question, with the hours and the RTO verdict."""
    _, result, m = teaching
    (page,) = asset_pages.build(result, m)
    facts = asset_pages.facts_frame(page).set_index("question")["answer"]
    assert list(facts.index) == ["What takes it down", "How it comes back", "How long", "Silent-failure risk", "Fixes"]
    assert facts["What takes it down"].startswith("No single failure leaves it down")
    assert facts["How it comes back"] == "Restored from orders-db-nightly in place. Alternatives: orders-db-offsite."
    assert "Alone: 0.417 h" in facts["How long"] and "RTO 8 h" in facts["How long"]
    assert facts["How long"].endswith("Within its RTO wherever a time is known.")
    assert facts["Silent-failure risk"].startswith("10 / 100 for its best backup orders-db-offsite")


def _json(**finding_extra):
    """A minimal analysis JSON: one tier-2 asset with two backups, a coupling finding, a restore_all scenario."""
    finding = {"id": "coupling:common-cause:db:site", "category": "coupling", "severity": "high",
               "title": "site takes down db and every way of recovering it", "assets": ["db"], "components": ["site"],
               "evidence": "e", "recommendation": "r", **finding_extra}
    return {
        "assets": [
            {"id": "db", "tier": 2, "rto_hours": 1.0, "backups": ["db-a", "db-b"], "common_cause": ["db", "site"],
             "threats": {"site_loss": "unrecoverable", "account_loss": "recoverable"},
             "silent_failure_score": 20.0, "restore_hours": {"routine": 0.5, "disaster": None}},
            {"id": "wiki", "tier": 4, "backups": [], "common_cause": [], "threats": {}},
        ],
        "backups": [
            {"id": "db-a", "protects": "db", "silent_failure_score": 20.0,
             "factors": [{"name": "missed_runs", "points": 20.0, "evidence": "2 missed"},
                         {"name": "alerting", "points": 0.0, "evidence": "fine"}]},
            {"id": "db-b", "protects": "db", "silent_failure_score": 60.0, "factors": []},
        ],
        "components": [{"id": "site", "kind": "site", "blast_radius": 1}, {"id": "db", "kind": "datastore", "blast_radius": 0}],
        "capacity": {"scenarios": [{"name": "restore_all", "kind": "restore_all", "failed": ["db"],
                                    "unrecoverable": [], "restores": [{"asset": "db", "finish_hours": 2.5}]}]},
        "findings": [finding],
    }


def test_fields_missing_from_the_json_are_handled():
    """Without blockers or fix in the findings (older JSON) the page says unknown/none, never fails."""
    (page,) = asset_pages.build(_json())
    assert page.blockers == () and page.fixes == ()
    assert page.common_causes == (("site", "site"),)  # the asset itself is not its own cause
    assert page.threats == ("Site loss",)
    assert page.domains == ("site takes down db and every way of recovering it",)
    assert page.best_backup == "db-a" and page.alternatives == ("db-b",)  # without a model: lowest score
    facts = asset_pages.facts_frame(page).set_index("question")["answer"]
    assert "worst disaster scenario: unknown" in facts["How long"] and facts["How long"].endswith("Misses its RTO.")
    assert facts["Fixes"] == "No fix has been proposed for this asset."
    assert list(asset_pages.factors_frame(page)["factor"]) == ["missed runs"]  # zero-point factors left out


def test_blockers_and_verified_fixes_are_shown():
    """The findings' blockers and fixes reach the page; a verified fix reads verified."""
    fix = {"change": "move db-a to site-b", "verified": True, "effect": "db survives site loss"}
    (page,) = asset_pages.build(_json(blockers=["kms-1"], fix=fix))
    assert page.blockers == ("kms-1",)
    assert page.fixes == ({"finding": "site takes down db and every way of recovering it",
                           "change": "move db-a to site-b", "verified": True, "effect": "db survives site loss"},)
    facts = asset_pages.facts_frame(page).set_index("question")["answer"]
    assert "In the way of recovery: kms-1." in facts["How it comes back"]
    assert facts["Fixes"].startswith("1 of 1 proposed change(s) verified")
    assert list(asset_pages.fixes_frame(page)["fix"]) == ["verified"]


def test_tiers_select_the_pages():
    """Only the requested tiers get a page."""
    assert [p.asset for p in asset_pages.build(_json(), tiers=(4,))] == ["wiki"]
    assert asset_pages.build(_json(), tiers=(1,)) == []
