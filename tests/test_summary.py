"""Executive-summary figures and charts: known answers on a hand-written analysis result."""

from __future__ import annotations

import pandas as pd
import pytest
from hiddenspof import summary
from hiddenspof.charts import summary as summary_charts


def finding(fid, severity, assets, category="coupling"):
    """A finding in the contract's JSON form."""
    return {"id": fid, "category": category, "severity": severity, "title": fid, "assets": assets,
            "components": [], "evidence": "", "recommendation": "do it"}


RESULT = {
    "schema_version": 1,
    "environment": {"name": "t", "as_of": "2026-09-30"},
    "assets": [
        {"id": "web", "tier": 2, "common_cause": [], "silent_failure_score": 55.0,
         "threats": {"site_loss": "recoverable", "logical_corruption": "unrecoverable", "weird_mode": "recoverable"}},
        {"id": "db", "tier": 1, "common_cause": ["site-a"], "silent_failure_score": 55.0,
         "threats": {"site_loss": "unrecoverable", "logical_corruption": "recoverable"}},
        {"id": "files", "tier": None, "common_cause": [], "silent_failure_score": None,
         "threats": {"site_loss": "recoverable", "logical_corruption": "recoverable", "weird_mode": "not_applicable"}},
    ],
    "capacity": {"scenarios": [
        {"name": "site-a down", "failed": ["site-a"], "makespan_hours": 30.0, "headroom_factor": 2.0, "restores": [
            {"asset": "db", "backup": "b1", "start_hours": 0.0, "finish_hours": 10.0, "rto_hours": 4.0, "meets_rto": False},
            {"asset": "web", "backup": "b2", "start_hours": 0.0, "finish_hours": 30.0, "rto_hours": 24.0, "meets_rto": False},
            {"asset": "files", "backup": "b3", "start_hours": 0.0, "finish_hours": 99.0, "rto_hours": None, "meets_rto": None},
        ]},
        {"name": "all fine", "failed": [], "makespan_hours": 1.0, "headroom_factor": None, "restores": [
            {"asset": "db", "backup": "b1", "start_hours": 0.0, "finish_hours": 1.0, "rto_hours": 4.0, "meets_rto": True},
        ]},
    ]},
    "findings": [
        finding("c:low:web", "low", ["web"]),
        finding("c:high:web", "high", ["web"]),
        finding("c:high:db", "high", ["db"]),
        finding("c:high:none", "high", []),
        finding("s:critical:files", "critical", ["files"], "silent_failure"),
    ],
}


def test_headline_known_answer():
    """Counts, the worst silent score (ties by id) and the worst capacity miss (hours past RTO)."""
    h = summary.headline(RESULT)
    assert h["assets"] == 3
    assert h["unrecoverable_assets"] == 2
    assert h["worst_silent"] == {"asset": "db", "score": 55.0}
    assert h["worst_capacity_miss"] == {"asset": "db", "scenario": "site-a down", "hours_late": 6.0,
                                        "finish_hours": 10.0, "rto_hours": 4.0}
    assert h["findings"] == {"critical": 1, "high": 3, "medium": 0, "low": 1, "info": 0}


def test_headline_of_an_empty_estate():
    """Nothing scored and nothing late gives None, not zero or an error."""
    h = summary.headline({"assets": [], "findings": [], "capacity": {"scenarios": []}})
    assert h["assets"] == 0 and h["worst_silent"] is None and h["worst_capacity_miss"] is None


def test_top_findings_by_severity_then_tier():
    """Critical first; among highs the tier-1 asset's finding, then tier 2, then the one without a tier."""
    top = summary.top_findings(RESULT, n=4)
    assert list(top["id"]) == ["s:critical:files", "c:high:db", "c:high:web", "c:high:none"]
    assert list(top["tier"].astype("object").where(top["tier"].notna(), None)) == [None, 1, 2, None]
    assert len(summary.top_findings(RESULT, n=0)) == 0
    with pytest.raises(ValueError, match="n must be >= 0"):
        summary.top_findings(RESULT, n=-1)


def test_top_findings_cover_categories_and_ransomware():
    """A short list still holds the best of each category with a critical/high finding and tier-1 ransomware."""
    result = dict(RESULT, findings=[
        *(finding(f"coupling:domain:x{i}", "critical", ["db", "web"]) for i in range(5)),
        finding("capacity:rto-miss:site-a", "high", ["web"], "capacity"),
        finding("coupling:threat:credential_compromise:ad", "high", ["db"]),
        finding("silent_failure:stale:files", "medium", ["files"], "silent_failure"),
    ])
    top = summary.top_findings(result, n=3)
    assert list(top["id"]) == ["coupling:domain:x0", "coupling:threat:credential_compromise:ad",
                               "capacity:rto-miss:site-a"]
    # more assets taken ranks first at equal severity and tier
    wide = dict(RESULT, findings=[finding("c:one", "high", ["db"]), finding("c:two", "high", ["db", "web"])])
    assert list(summary.top_findings(wide, n=2)["id"]) == ["c:two", "c:one"]


def test_threat_matrix_order_and_labels():
    """Assets by id, threats in contract order then unknown ones sorted; missing verdicts are not_applicable."""
    m = summary.threat_matrix(RESULT, names={"db": "Orders <db>", "web": "web"})
    assert list(dict.fromkeys(m["asset"])) == ["db", "files", "web"]
    assert list(dict.fromkeys(m["threat"])) == ["site_loss", "logical_corruption", "weird_mode"]
    assert m.loc[(m.asset == "db") & (m.threat == "weird_mode"), "verdict"].item() == "not_applicable"
    assert set(m.loc[m.asset == "db", "label"]) == {"Orders <db> (db)"}
    assert set(m.loc[m.asset == "web", "label"]) == {"web"}


def test_scorecard_rows():
    """The scorecard names each headline measure with a readable value."""
    card = summary.scorecard(RESULT).set_index("measure")["value"]
    assert card["Unrecoverable under some threat"] == "2 of 3"
    assert card["Worst capacity miss"] == "6.0 h late (db, site-a down)"
    assert card["Assets with a hidden single point of failure"] == "1 of 3"


def test_threat_heatmap_spec():
    """The heat map encodes threat x label with fixed verdict colours and keeps the matrix order."""
    spec = summary_charts.threat_heatmap(summary.threat_matrix(RESULT)).to_dict()
    enc = spec["encoding"]
    assert spec["mark"]["type"] == "rect"
    assert enc["x"]["field"] == "threat" and enc["y"]["field"] == "label"
    assert enc["y"]["sort"] == ["db", "files", "web"]
    assert enc["color"]["scale"]["domain"] == ["unrecoverable", "recoverable", "not applicable"]
    # threat modes read as words in the chart
    rows = next(iter(spec["datasets"].values()))
    assert {r["threat"] for r in rows} == {"Site loss", "Logical corruption", "Weird mode"}
    with pytest.raises(ValueError, match="threat_matrix"):
        summary_charts.threat_heatmap(pd.DataFrame({"asset": []}))


def test_findings_by_severity_spec():
    """Bars count findings per category, coloured by severity with the report's severity colours."""
    from hiddenspof.presentation import SEVERITY_COLOURS

    frame = pd.DataFrame(RESULT["findings"])
    spec = summary_charts.findings_by_severity(frame).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert {(r["severity"], r["category"], r["findings"]) for r in rows} == {
        ("critical", "silent failure", 1), ("high", "coupling", 3), ("low", "coupling", 1)}
    assert spec["encoding"]["color"]["field"] == "severity"
    assert spec["encoding"]["color"]["scale"]["domain"][0] == "critical"
    assert spec["encoding"]["color"]["scale"]["range"] == list(SEVERITY_COLOURS.values())
    empty = summary_charts.findings_by_severity(pd.DataFrame(columns=["severity", "category"])).to_dict()
    assert next(iter(empty["datasets"].values())) == []


def test_styled_table_escapes_and_is_repeatable():
    """Summary tables escape client text, hide the index and render the same HTML twice."""
    frame = pd.DataFrame({"title": ["<script>alert(1)</script>", None], "n": [1, 2]})
    first = summary.styled(frame, "t").to_html()
    assert first == summary.styled(frame, "t").to_html()
    assert "<script>" not in first and "&lt;script&gt;alert(1)&lt;/script&gt;" in first
    assert "row_heading" not in first
