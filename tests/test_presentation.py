"""Tests of hiddenspof.presentation: designed tables, colours and human labels used by every format."""

from __future__ import annotations

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from hiddenspof import presentation as p
from hiddenspof.findings import SEVERITIES, Finding, Fix
from hiddenspof.inventory import KINDS, THREAT_MODES


def _frame():
    return pd.DataFrame({
        "asset": ["<script>alert(1)</script>", "files"],
        "severity": ["high", "critical"],
        "rto_hours": [1.5, None],
        "tier": pd.array([1, None], dtype="Int64"),
        "utilisation": [0.5, 1.0],
        "size_known": [True, False],
        "evidence": ["x" * 400, float("nan")],
        "headroom_factor": [1.853, None],
    }, index=[7, 9])


def test_headers_are_humanised():
    """Snake-case names become words, acronyms stay upper case, units move into the cells."""
    assert p.header("rto_hours") == "RTO"
    assert p.header("tier1_misses") == "Tier-1 misses"
    assert p.header("makespan_hours") == "Makespan"
    assert p.header("credential_compromise") == "Credential compromise"
    assert p.header("rto_hours", units=False) == "RTO hours"


@pytest.mark.parametrize(("column", "value", "text"), [
    ("finish_hours", 4.4444, "4.44 h"),
    ("size_gb", 20000.0, "20,000 GB"),
    ("utilisation", 0.25, "25 %"),
    ("headroom_factor", 1.8519, "1.85x"),
    ("tier", 2, "2"),
    ("rto_hours", None, p.MISSING),
    ("rto_hours", float("nan"), p.MISSING),
    ("tier", pd.NA, p.MISSING),
    ("assets", ["a", "b"], "a; b"),
    ("assets", [], p.MISSING),
    ("size_known", True, "yes"),
    ("mode", "credential_compromise", "Credential compromise"),
    ("kind", "backup_store", "backup store"),
    ("title", "  ", p.MISSING),
])
def test_cell_text(column, value, text):
    """Each cell is formatted by its column: units, percentages, em dash for missing, words for codes."""
    assert p.cell_text(column, value) == text


def test_table_has_no_index_no_missing_markers_and_escapes_client_text():
    """The HTML has the humanised header only (no index), em dashes, the whole text, escaped markup."""
    t = p.table(_frame(), "demo", empty="unused")
    soup = BeautifulSoup(t.html, "html.parser")
    headers = [th.get_text(strip=True) for th in soup.select("thead th")]
    assert headers == ["Asset", "Severity", "RTO", "Tier", "Utilisation", "Size known", "Evidence", "Headroom factor"]
    cells = [[td.get_text(strip=True) for td in tr.select("td")] for tr in soup.select("tbody tr")]
    assert cells[0][0] == "<script>alert(1)</script>" and "<script>alert" not in t.html
    assert cells[0][6] == "x" * 400  # never truncated
    assert cells[1][2] == p.MISSING and cells[1][3] == p.MISSING and cells[1][6] == p.MISSING
    assert not any(c in ("NaN", "None", "<NA>", "nan", "7", "9") for row in cells for c in row[:1])
    text = soup.get_text()
    for marker in ("NaN", "None", "<NA>"):
        assert marker not in text


def test_table_aligns_numbers_right_text_left_and_colours_severity():
    """Numeric columns are right-aligned, text left; a severity is a coloured label."""
    t = p.table(_frame(), "demo", empty="unused")
    soup = BeautifulSoup(t.html, "html.parser")
    first = soup.select("tbody tr")[0].select("td")
    assert "gt_left" in first[0]["class"] and "gt_right" in first[2]["class"] and "gt_right" in first[4]["class"]
    label = first[1].select_one("span.hs-label")
    assert label.get_text() == "high" and p.SEVERITY_COLOURS["high"] in label["style"]
    css = soup.select_one("style").get_text()
    assert "white-space: normal" in css  # text wraps


def test_table_is_repeatable():
    """The same frame gives the same bytes (the id is the key, no random uuid)."""
    assert p.table(_frame(), "demo", empty="x").html == p.table(_frame(), "demo", empty="x").html


def test_empty_table_is_one_sentence():
    """A frame with no rows is replaced by the sentence that says so."""
    out = p.table(_frame().iloc[:0], "empty", empty="No dependency cycle runs through a recovery path.")
    assert not isinstance(out, p.Table)
    assert out.data == "No dependency cycle runs through a recovery path."


def test_findings_table_shows_fix_verdicts():
    """Findings read as severity, title, assets, evidence, recommendation and the verified fix."""
    found = [
        Finding("coupling:x:a", "coupling", "critical", "a & b share site", ("a",), evidence="e",
                recommendation="r", fix=Fix("move a-bk", True, "a survives site loss")),
        Finding("silent_failure:y:b", "silent_failure", "low", "untested", ("b",), evidence="e2", recommendation="r2"),
    ]
    t = p.findings_table(found, "f", empty="none")
    assert list(t.text.columns) == ["Severity", "Title", "Assets", "Evidence", "Recommendation", "Fix",
                                    "What the fix changed"]
    assert list(t.text["Fix"]) == ["verified", p.MISSING]
    assert "hs-label-verified" in t.html
    json_form = p.findings_table([f.to_json() for f in found], "f", empty="none")
    assert json_form.html == t.html


def test_colours_are_distinct_and_cover_every_kind_severity_and_threat():
    """One colour per component kind (no two alike), per severity; a human label per threat mode."""
    assert set(p.KIND_COLOURS) == set(KINDS)
    assert len(set(p.KIND_COLOURS.values())) == len(KINDS)
    assert tuple(p.SEVERITY_COLOURS) == SEVERITIES
    assert set(p.THREAT_LABELS) == set(THREAT_MODES)
    assert all("_" not in label for label in p.THREAT_LABELS.values())


def test_chart_theme_never_truncates_and_long_labels_have_no_overlapping_title():
    """With the report's theme, labels and legends are never cut; a y axis of names carries no title to overlap."""
    import altair as alt
    from hiddenspof import summary
    from hiddenspof.charts import THEME, use_offline_renderer
    from hiddenspof.charts import summary as summary_charts

    before = alt.theme.active
    use_offline_renderer()
    try:
        result = {"assets": [{"id": "db", "tier": 1, "threats": {"site_loss": "unrecoverable"}}], "findings": []}
        spec = summary_charts.threat_heatmap(summary.threat_matrix(result, {"db": "A very long database name " * 4})).to_dict()
    finally:
        alt.theme.enable(before)
    assert alt.theme.names() and THEME in alt.theme.names()
    assert spec["config"]["axis"]["labelLimit"] == 0 and spec["config"]["legend"]["labelLimit"] == 0
    assert spec["encoding"]["y"]["title"] is None
    rows = next(iter(spec["datasets"].values()))
    assert rows[0]["threat"] == "Site loss"
