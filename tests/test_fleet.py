"""The fleet index: natural order, risk ranking, baseline deltas, roll-up, CSV/JSON/HTML agreement."""

from __future__ import annotations

import csv
import io
import json

import lxml.html
import pytest
from conftest import SAMPLES
from hiddenspof import analysis, fleet, inventory, report, whatif

HOSTILE = "<script>alert(1)</script>"


def analysed(inv) -> dict:
    """The analysis JSON of an inventory, as read back from analysis.json."""
    return json.loads(analysis.dumps(analysis.analyze(inv)))


@pytest.fixture(scope="module")
def samples() -> dict[str, dict]:
    return {name: analysed(inventory.load(path)) for name, path in SAMPLES.items()}


def entry(result: dict, slug: str, baseline: dict | None = None, expected: bool = False) -> dict:
    return dict(fleet.environment_entry(result, baseline, baseline_expected=expected), slug=slug)


def test_natural_key_orders_numbers_as_numbers():
    names = ["seed 10", "seed 2", "Seed 1", "seed 1b", "alpha", "seed 1a", "Alpha 03"]
    assert sorted(names, key=fleet.natural_key) == ["alpha", "Alpha 03", "Seed 1", "seed 1a", "seed 1b", "seed 2", "seed 10"]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_risk_points_from_the_json_equal_the_roadmap_measure(name, samples):
    """Oracle: the fleet risk read from analysis.json is whatif.estate_risk of the inventory (the roadmap's measure)."""
    inv = inventory.load(SAMPLES[name])
    assert fleet.risk_points(samples[name]) == pytest.approx(whatif.estate_risk(inv).total, abs=1e-4)
    assert fleet.risk_points(samples[name]) > 0


def test_rank_by_risk_then_critical_then_natural_name():
    def e(name, risk, critical):
        return {"name": name, "slug": name.replace(" ", "-"), "risk_points": risk, "findings": {"critical": critical}}

    entries = [e("seed 10", 5.0, 1), e("seed 2", 5.0, 1), e("seed 3", 5.0, 4), e("seed 1", 9.5, 0), e("seed 11", 0.0, 0)]
    assert [x["name"] for x in fleet.rank(entries)] == ["seed 1", "seed 3", "seed 2", "seed 10", "seed 11"]
    document = fleet.index_document(entries_full(entries), [], None)
    assert [x["rank"] for x in document["environments"]] == [1, 2, 3, 4, 5]
    assert [x["name"] for x in document["environments"]] == ["seed 1", "seed 3", "seed 2", "seed 10", "seed 11"]


def entries_full(entries):
    """Minimal complete entries for index_document from name/risk/critical."""
    out = []
    for x in entries:
        out.append({**x, "as_of": "2026-09-30", "assets": 1, "unrecoverable_assets": 0, "risk_per_asset": x["risk_points"],
                    "findings": {"critical": x["findings"]["critical"], "high": 0, "medium": 0, "low": 0, "info": 0},
                    "worst_silent": None, "worst_capacity_miss": None, "unrecoverable_by_mode": {},
                    "common_causes": {}, "change": None})
    return out


def improved_teaching():
    """The teaching estate and the same estate after the roadmap's best change (applied and re-analysed)."""
    inv = inventory.load(SAMPLES["teaching"])
    best = whatif.roadmap(inv, limit=1)[0]
    return inv, whatif.apply(inv, best.change)


def test_baseline_deltas_on_a_pair_of_runs():
    """Old run -> improved run: resolved critical findings and better verdicts, risk down; reversed, the mirror image."""
    old_inv, new_inv = improved_teaching()
    old, new = analysed(old_inv), analysed(new_inv)
    forward = entry(new, "t", old)["change"]
    crit = {f["id"] for f in old["findings"] if f["severity"] == "critical"}
    crit_new = {f["id"] for f in new["findings"] if f["severity"] == "critical"}
    assert set(forward["resolved_critical"]) == crit - crit_new
    assert set(forward["new_critical"]) == crit_new - crit
    flips = {(a["id"], m) for a in old["assets"] for m, v in a["threats"].items()
             if {x["id"]: x for x in new["assets"]}[a["id"]]["threats"].get(m) != v}
    assert {(v["asset"], v["mode"]) for v in forward["verdicts_worse"] + forward["verdicts_better"]} == flips
    assert forward["risk_change"] == pytest.approx(fleet.risk_points(new) - fleet.risk_points(old))
    assert forward["risk_change"] < 0
    assert forward["resolved_critical"] or forward["verdicts_better"]
    backward = entry(old, "t", new)["change"]
    assert backward["new_critical"] == forward["resolved_critical"]
    assert backward["resolved_critical"] == forward["new_critical"]
    assert len(backward["verdicts_worse"]) == len(forward["verdicts_better"])
    assert backward["risk_change"] == pytest.approx(-forward["risk_change"])
    # unchanged run: nothing to report
    same = entry(old, "t", old)["change"]
    assert same["new_critical"] == same["resolved_critical"] == same["verdicts_worse"] == same["verdicts_better"] == []
    assert entry(old, "t", None, expected=True)["change"] == {"new_environment": True}
    assert entry(old, "t")["change"] is None


def test_rollup_counts_environments_per_threat_mode_and_shared_component(samples):
    entries = [entry(r, s) for s, r in samples.items()]
    entries.append(entry(samples["teaching"], "teaching-copy"))
    roll = fleet.rollup(entries)
    for line in roll["threat_modes"]:
        hit = [e for e in entries if e["unrecoverable_by_mode"].get(line["mode"])]
        assert line["environments"] == len(hit)
        assert line["assets"] == sum(e["unrecoverable_by_mode"][line["mode"]] for e in hit)
    envs = [x["environments"] for x in roll["threat_modes"]]
    assert envs == sorted(envs, reverse=True)
    # the teaching estate twice: each of its common causes is shared by (at least) two environments
    teaching_causes = set(entries[-1]["common_causes"])
    assert teaching_causes and all(c["environments"] >= 2 for c in roll["shared_components"])
    assert {c["component"] for c in roll["shared_components"]} & teaching_causes


def test_html_csv_json_agree_and_escape_client_text(samples):
    entries = [entry(r, s) for s, r in samples.items()]
    hostile = dict(entries[0], name=f"=cmd {HOSTILE}", slug="hostile")
    entries.append(hostile)
    failed = [{"slug": "broken", "name": None, "given_path": "in/broken.yaml", "reason": "invalid inventory: 1 problem",
               "problems": [f"row 2: {HOSTILE}"]}]
    document = fleet.index_document(entries, failed, None)
    page = fleet.index_html(document)
    tree = lxml.html.fromstring(page)
    rows = tree.xpath("//table[@id='fleet']/tbody/tr")
    assert [r.get("data-slug") for r in rows] == [e["slug"] for e in document["environments"]]
    assert HOSTILE not in page and "&lt;script&gt;alert(1)" in page
    assert page.count("<script") == 1  # the sorter; client text never becomes markup
    assert "http://" not in page and "https://" not in page
    table = list(csv.reader(io.StringIO(fleet.index_csv(document))))
    assert len(table) == 1 + len(entries) + 1
    by_slug = {row[1]: dict(zip(table[0], row)) for row in table[1:]}
    assert by_slug["hostile"]["name"].startswith("'=")  # spreadsheet-safe
    assert by_slug["broken"]["status"] == "failed"
    for e in document["environments"]:
        assert float(by_slug[e["slug"]]["risk_points"]) == pytest.approx(e["risk_points"])
        assert int(by_slug[e["slug"]]["rank"]) == e["rank"]
        risk_cell = [r for r in rows if r.get("data-slug") == e["slug"]][0].xpath("td")[3]
        assert float(risk_cell.get("data-v")) == pytest.approx(e["risk_points"])
    assert json.loads(fleet.to_json(document)) == json.loads(json.dumps(document))
    assert fleet.to_json(document) == fleet.to_json(fleet.index_document(list(reversed(entries)), failed, None))


def test_baseline_columns_only_with_a_baseline(samples):
    old_inv, new_inv = improved_teaching()
    old, new = analysed(old_inv), analysed(new_inv)
    with_base = fleet.index_document([entry(new, "t", old), entry(samples["saas-single-cloud"], "s", None, True)],
                                     [], "previous")
    page = fleet.index_html(with_base)
    assert "Changes since the baseline" in page and "New since the baseline" in page
    header = next(csv.reader(io.StringIO(fleet.index_csv(with_base))))
    assert "risk_change" in header and "new_critical" in header
    plain = fleet.index_document([entry(new, "t")], [], None)
    assert "Changes since the baseline" not in fleet.index_html(plain)
    assert "risk_change" not in next(csv.reader(io.StringIO(fleet.index_csv(plain))))


@pytest.mark.slow
def test_two_report_runs_with_baseline_show_what_changed(tmp_path):
    """End to end: run 1, then run 2 with --baseline run 1: the index records the baseline, finds each
    environment's previous analysis.json by slug and shows the (here: empty) change in JSON, CSV and HTML."""
    first = tmp_path / "run1"
    assert report.render([SAMPLES["teaching"]], first, progress=False, notebooks_dir=_summary_only(tmp_path)) == 0
    base_entry = json.loads((first / "index.json").read_text())["environments"][0]
    assert base_entry["change"] is None and base_entry["rank"] == 1
    # run 2 compares with run 1's analysis.json of the same slug (here: the same estate, so nothing changed)
    second = tmp_path / "run2"
    assert report.render([SAMPLES["teaching"]], second, baseline=first, progress=False,
                         notebooks_dir=_summary_only(tmp_path)) == 0
    index = json.loads((second / "index.json").read_text())
    change = index["environments"][0]["change"]
    assert change["new_critical"] == [] and change["verdicts_worse"] == [] and change["risk_change"] == 0
    assert index["baseline"] == str(first)
    assert "risk_change" in (second / "index.csv").read_text().splitlines()[0]
    assert "Nothing changed." in (second / "index.html").read_text()


def _summary_only(tmp_path):
    """A notebooks folder with just the summary and the comparison (enough for the index, quicker)."""
    import shutil

    from conftest import NOTEBOOKS

    folder = tmp_path / "nbs"
    if not folder.exists():
        folder.mkdir()
        for name in ("05_summary.ipynb", "06_compare.ipynb"):
            shutil.copy(NOTEBOOKS / name, folder / name)
    return folder
