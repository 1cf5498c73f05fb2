"""Comparing two assessments: constructed before/after pairs, JSON and inventory inputs, text and CLI."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
from conftest import make_inventory
from hiddenspof import compare, inventory
from hiddenspof.errors import HiddenspofError


def asset(aid, **kw):
    """One asset entry of the analysis JSON, with neutral defaults."""
    entry = {
        "id": aid, "tier": 1, "rto_hours": 4.0, "rpo_hours": 24.0, "backups": [f"{aid}-bk"],
        "common_cause": [], "survivability": 0.9,
        "threats": {"site_loss": "recoverable", "account_loss": "recoverable"},
        "silent_failure_score": 20.0, "restore_hours": {"routine": 2.0, "disaster": 5.0},
    }
    entry.update(kw)
    return entry


def finding(fid, severity="high", title=None):
    """One finding entry of the analysis JSON."""
    return {"id": fid, "category": fid.split(":")[0], "severity": severity, "title": title or fid,
            "assets": ["db"], "components": [], "evidence": "", "recommendation": ""}


def result(assets, findings, as_of="2026-06-30"):
    """A minimal schema-1 analysis JSON."""
    return {"schema_version": 1, "environment": {"name": "Acme", "as_of": as_of}, "assets": assets,
            "backups": [], "components": [], "cycles": [], "capacity": {"scenarios": []}, "findings": findings}


def write(tmp_path, name, data):
    """Write ``data`` as JSON and return the path."""
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


# -- on analysis JSON ---------------------------------------------------------------------------------


def test_identical_results_are_unchanged():
    """Comparing a result with itself: nothing added, removed or changed; verdict unchanged."""
    r = result([asset("db"), asset("web")], [finding("coupling:common-cause:db:site-a")])
    c = compare.compare_results(r, copy.deepcopy(r))
    assert c["headline"]["verdict"] == "unchanged"
    assert c["assets"] == {"added": [], "removed": [], "changed": [], "unchanged": ["db", "web"]}
    assert c["findings"]["unchanged"] == ["coupling:common-cause:db:site-a"]
    assert c["findings"]["new"] == c["findings"]["resolved"] == []


def test_every_kind_of_change_is_classified():
    """Common causes, threat flips, survivability, silent score, restore time and findings each count the right way."""
    old = result(
        [asset("db", common_cause=["site-a", "kms"], threats={"site_loss": "unrecoverable", "account_loss": "recoverable"}),
         asset("gone")],
        [finding("coupling:common-cause:db:site-a", "critical"), finding("silent_failure:stale:db-bk", "medium"),
         finding("capacity:rto-miss:db", "high")],
    )
    new = result(
        [asset("db", common_cause=["kms", "vault"], threats={"site_loss": "recoverable", "account_loss": "unrecoverable"},
               survivability=0.95, silent_failure_score=35.0, restore_hours={"routine": 2.0, "disaster": 3.0}),
         asset("fresh")],
        [finding("coupling:common-cause:db:vault", "critical", "reworded"), finding("silent_failure:stale:db-bk", "low"),
         finding("capacity:rto-miss:db", "high", "a new wording of the same finding")],
        as_of="2026-09-30",
    )
    c = compare.compare_results(old, new)
    assert c["assets"]["added"] == ["fresh"] and c["assets"]["removed"] == ["gone"]
    (db,) = c["assets"]["changed"]
    assert db["common_cause"] == {"gained": ["vault"], "lost": ["site-a"]}
    assert [(t["mode"], t["direction"]) for t in db["threats"]] == [("account_loss", "regressed"), ("site_loss", "improved")]
    assert db["survivability"]["direction"] == "improved"
    assert db["survivability"]["delta"] == pytest.approx(0.05)
    assert db["silent_failure_score"]["direction"] == "regressed"
    assert db["restore_hours"]["disaster"]["direction"] == "improved"
    assert db["restore_hours"]["routine"]["direction"] == "same"
    # lost cc + site flip + survivability + disaster time = 4; gained cc + account flip + score = 3
    assert (db["improved"], db["regressed"], db["verdict"]) == (4, 3, "mixed")
    f = c["findings"]
    assert [x["id"] for x in f["new"]] == ["coupling:common-cause:db:vault"]
    assert [x["id"] for x in f["resolved"]] == ["coupling:common-cause:db:site-a"]
    assert f["unchanged"] == ["capacity:rto-miss:db"]  # matched by id, not by its reworded title
    assert [(x["id"], x["old_severity"], x["severity"], x["direction"]) for x in f["severity_changed"]] == [
        ("silent_failure:stale:db-bk", "medium", "low", "improved")]
    assert c["headline"] == {"verdict": "mixed", "improved": 6, "regressed": 4, "text": c["headline"]["text"]}
    assert c["headline"]["text"].startswith("Mixed: 6 improvements, 4 regressions")


def test_changes_within_tolerance_are_not_counted():
    """Monte Carlo-sized survivability wobble and sub-point score drift are shown but count neither way."""
    old = result([asset("db", survivability=0.900, silent_failure_score=20.0)], [])
    new = result([asset("db", survivability=0.905, silent_failure_score=20.4)], [])
    (db,) = compare.compare_results(old, new)["assets"]["changed"]
    assert db["survivability"]["direction"] == db["silent_failure_score"]["direction"] == "same"
    assert db["verdict"] == "unchanged"


def test_value_appearing_has_no_direction():
    """A restore time that becomes known (null -> number) is listed without counting as better or worse."""
    old = result([asset("db", restore_hours={"routine": None, "disaster": None})], [])
    new = result([asset("db", restore_hours={"routine": 3.0, "disaster": None})], [])
    c = compare.compare_results(old, new)
    (db,) = c["assets"]["changed"]
    assert db["restore_hours"]["routine"] == {"old": None, "new": 3.0, "delta": None, "direction": None}
    assert c["headline"]["verdict"] == "unchanged"


def test_compare_reads_json_files_and_is_serialisable(tmp_path):
    """compare() on two JSON files gives a JSON-serialisable dict naming its sources; repeatable."""
    old = write(tmp_path, "old.json", result([asset("db", common_cause=["site-a"])], [finding("coupling:x:db")]))
    new = write(tmp_path, "new.json", result([asset("db")], []))
    c = compare.compare(old, new)
    assert c["old"]["source"] == str(old) and c["headline"]["verdict"] == "improved"
    assert json.dumps(c, sort_keys=True) == json.dumps(compare.compare(old, new), sort_keys=True)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"schema_version": 1,\n "assets": [', r"line 2, column \d+: not valid JSON"),
        ('{"schema_version": 2, "environment": {}, "assets": [], "findings": []}', r"'schema_version': value 2 - expected 1"),
        ('{"schema_version": 1, "environment": {}, "assets": {}, "findings": []}', r"key 'assets': expected a list"),
        ('{"schema_version": 1, "environment": {}, "assets": [{"x": 1}], "findings": []}', r"assets\[0\]: expected a mapping with a text 'id'"),
    ],
)
def test_bad_json_is_a_clear_error(tmp_path, text, match):
    """Malformed or foreign JSON raises a HiddenspofError naming the file and what is wrong."""
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    good = write(tmp_path, "good.json", result([], []))
    with pytest.raises(HiddenspofError, match=match):
        compare.compare(bad, good)


def test_missing_path_is_a_clear_error(tmp_path):
    """A path that does not exist is named in the error."""
    with pytest.raises(HiddenspofError, match="no such file or folder"):
        compare.compare(tmp_path / "nope.json", tmp_path / "nope2.json")


def test_format_text_lists_what_changed():
    """The terminal text has the headline, the asset's changes and the new and resolved findings."""
    old = result([asset("db", common_cause=["site-a"])], [finding("coupling:common-cause:db:site-a", "critical")])
    new = result([asset("db", survivability=0.5)], [finding("silent_failure:untested:db-bk", "high")], as_of="2026-09-30")
    text = compare.format_text(compare.compare_results(old, new))
    assert "Comparing Acme (2026-06-30) -> Acme (2026-09-30)" in text
    assert "Mixed: 2 improvements, 2 regressions" in text  # cc lost + resolved; survivability + new
    assert "common causes removed: site-a" in text
    assert "survivability 0.900 -> 0.500 (-0.400) [worse]" in text
    assert "new      [high] silent_failure:untested:db-bk" in text
    assert "resolved [critical] coupling:common-cause:db:site-a" in text


def test_frames_for_the_notebook():
    """The asset and finding frames have one row per asset and per changed finding, most severe first."""
    old = result([asset("db", common_cause=["site-a"]), asset("gone")], [finding("a:b:c", "low")])
    new = result([asset("db"), asset("fresh")], [finding("x:y:z", "critical")])
    c = compare.compare_results(old, new)
    assets = compare.asset_changes_frame(c)
    assert list(assets["asset"]) == ["db", "fresh", "gone"]
    assert list(assets["status"]) == ["changed", "added", "removed"]
    assert assets.loc[0, "common_causes_removed"] == "site-a"
    found = compare.finding_changes_frame(c)
    assert list(found["id"]) == ["x:y:z", "a:b:c"] and list(found["change"]) == ["new", "resolved"]


# -- on inventories (analysed first) -----------------------------------------------------------------


def estate(vault_account="acct-prod", test_result="pass"):
    """An estate whose backup vault lives in ``vault_account``, with a restore test of result ``test_result``."""
    return {
        "name": "Acme", "as_of": "2026-09-30",
        "components": [
            {"id": "db", "kind": "datastore", "tier": 1, "rto_hours": 8, "data_gb": 50},
            {"id": "acct-prod", "kind": "account"}, {"id": "acct-vault", "kind": "account"},
            {"id": "vault", "kind": "backup_store", "throughput_mb_s": 200},
            {"id": "site", "kind": "site"}, {"id": "site-dr", "kind": "site"},
        ],
        "dependencies": [
            {"component": "db", "depends_on": "acct-prod"}, {"component": "db", "depends_on": "site"},
            {"component": "db-bk", "depends_on": "vault"}, {"component": "vault", "depends_on": vault_account},
            {"component": "vault", "depends_on": "site-dr"},
        ],
        "backups": [{"id": "db-bk", "protects": "db", "method": "object_copy", "restore_to": "site-dr",
                     "schedule_hours": 24, "verification": "restore_test", "restore_mb_s": 100}],
        "backup_runs": [{"backup": "db-bk", "started_at": f"2026-09-{d:02d}T01:00:00", "finished_at": f"2026-09-{d:02d}T02:00:00",
                         "status": "success", "size_gb": 50} for d in range(20, 30)],
        "restore_tests": [{"backup": "db-bk", "tested_at": "2026-09-15", "result": test_result, "scope": "full"}],
    }


def save(tmp_path, name, mapping):
    """Write an inventory mapping as a YAML inventory and return its path."""
    path = tmp_path / f"{name}.yaml"
    inventory.save(make_inventory(mapping), path)
    return path


def test_backup_moved_to_another_account_removes_a_common_cause(tmp_path):
    """Moving the backup vault out of the production account removes that account as a common cause: improved."""
    old = save(tmp_path, "before", estate(vault_account="acct-prod"))
    new = save(tmp_path, "after", estate(vault_account="acct-vault"))
    c = compare.compare(old, new)
    (db,) = c["assets"]["changed"]
    assert db["common_cause"]["lost"] == ["acct-prod"]
    assert db["common_cause"]["gained"] == []
    assert any(f["id"].startswith("coupling:") and "acct-prod" in f["id"] for f in c["findings"]["resolved"])
    assert not any(f["id"].startswith("coupling:") for f in c["findings"]["new"])
    assert c["headline"]["verdict"] == "improved"


def test_failed_restore_test_raises_the_silent_score(tmp_path):
    """A restore test that now fails raises the backup's silent-failure score: regressed."""
    old = save(tmp_path, "before", estate(test_result="pass"))
    new = save(tmp_path, "after", estate(test_result="fail"))
    c = compare.compare(old, new)
    (db,) = c["assets"]["changed"]
    score = db["silent_failure_score"]
    assert score["new"] > score["old"] and score["direction"] == "regressed"
    assert db["common_cause"] == {"gained": [], "lost": []}
    assert c["headline"]["regressed"] >= 1 and c["headline"]["verdict"] in ("regressed", "mixed")


def test_inventory_against_its_own_analysis_json(tmp_path):
    """An inventory compared with the JSON of its own analysis is unchanged: both inputs go through the same analysis."""
    from hiddenspof import analysis

    inv_path = save(tmp_path, "estate", estate())
    js = tmp_path / "analysis.json"
    js.write_text(analysis.dumps(analysis.analyze(inventory.load(inv_path))))
    c = compare.compare(js, inv_path)
    assert c["headline"]["verdict"] == "unchanged" and c["assets"]["changed"] == []


def test_cli_compare_text_and_json(tmp_path):
    """`hiddenspof compare OLD NEW --json OUT` prints the text, writes the JSON and exits 0; bad input exits non-zero."""
    old = save(tmp_path, "before", estate(vault_account="acct-prod"))
    new = save(tmp_path, "after", estate(vault_account="acct-vault"))
    out = tmp_path / "cmp.json"
    r = subprocess.run([sys.executable, "-m", "hiddenspof", "compare", str(old), str(new), "--json", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "Improved:" in r.stdout and "common causes removed: acct-prod" in r.stdout
    assert json.loads(out.read_text())["headline"]["verdict"] == "improved"
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    r = subprocess.run([sys.executable, "-m", "hiddenspof", "compare", str(bad), str(new)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and "not valid JSON" in r.stderr and "Traceback" not in r.stderr


def test_measure_change_chart():
    """The dumbbell chart plots old and new survivability of assets known on both sides, coloured by direction."""
    from hiddenspof.charts import compare as charts

    old = result([asset("db", survivability=0.5), asset("web", survivability=0.9), asset("x", survivability=None)], [])
    new = result([asset("db", survivability=0.8), asset("web", survivability=0.7), asset("x", survivability=0.3)], [])
    spec = charts.measure_change(compare.asset_changes_frame(compare.compare_results(old, new))).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [(r["asset"], r["old"], r["new"], r["change"]) for r in rows] == [("db", 0.5, 0.8, "better"), ("web", 0.9, 0.7, "worse")]
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["rule", "point", "point"]
    assert spec["layer"][2]["encoding"]["color"]["scale"]["domain"] == ["better", "same", "worse"]
    with pytest.raises(ValueError, match="unknown measure 'speed'"):
        charts.measure_change(compare.asset_changes_frame(compare.compare_results(old, new)), "speed")


@pytest.mark.slow
def test_compare_notebook_runs_on_a_before_after_pair(tmp_path):
    """papermill runs 06_compare (interactive off) on two analysis JSON files and shows headline, tables and charts."""
    import papermill as pm
    from conftest import NOTEBOOKS

    old = write(tmp_path, "old.json", result([asset("db", common_cause=["site-a"], survivability=0.4), asset("gone")],
                                             [finding("coupling:common-cause:db:site-a", "critical")]))
    new = write(tmp_path, "new.json", result([asset("db", survivability=0.9), asset("fresh")], [], as_of="2026-09-30"))
    out = tmp_path / "06.ipynb"
    pm.execute_notebook(
        str(NOTEBOOKS / "06_compare.ipynb"), str(out),
        parameters={"inventory_path": str(new), "baseline_path": str(old), "interactive": False},
        cwd=str(NOTEBOOKS), progress_bar=False, kernel_name="python3",
    )
    text = json.dumps([c.get("outputs") for c in json.loads(out.read_text())["cells"]])
    assert "Improved: 3 improvements, 0 regressions" in text
    assert "coupling:common-cause:db:site-a" in text and "fresh" in text and "gone" in text
    assert "svg" in text


def test_old_finding_ids_map_to_the_consolidated_findings():
    """An assessment from before the consolidation compares with one after it: old ids matched to their domain."""
    old = result([asset("db"), asset("web")], [
        finding("coupling:common-cause:db:site-a", "critical"), finding("coupling:common-cause:web:san", "high"),
        finding("coupling:keystone:san", "critical"), finding("coupling:threat:credential_compromise:db", "critical"),
    ])
    new = result([asset("db"), asset("web")], [
        {**finding("coupling:domain:site-a", "critical"), "assets": ["db", "web"], "components": ["san", "site-a"]},
        {**finding("coupling:threat:credential_compromise:ad", "high"), "assets": ["db"], "components": ["ad"]},
    ])
    assert compare.successors(old["findings"], new["findings"]) == {
        "coupling:common-cause:db:site-a": "coupling:domain:site-a",
        "coupling:common-cause:web:san": "coupling:domain:site-a",
        "coupling:keystone:san": "coupling:domain:site-a",
        "coupling:threat:credential_compromise:db": "coupling:threat:credential_compromise:ad",
    }
    f = compare.compare_results(old, new)["findings"]
    assert f["new"] == [] and f["resolved"] == []  # nothing appeared or went away: it was renamed
    assert f["unchanged"] == ["coupling:domain:site-a"]
    assert [(s["id"], s["old_severity"], s["direction"]) for s in f["severity_changed"]] == [
        ("coupling:threat:credential_compromise:ad", "critical", "improved")]
    assert {"old_id": "coupling:keystone:san", "id": "coupling:domain:site-a"} in f["renamed"]
    text = compare.format_text(compare.compare_results(old, new))
    assert "renamed  coupling:keystone:san -> coupling:domain:site-a" in text


def test_per_asset_silent_ids_map_to_the_finding_of_their_rule():
    """Silent-failure findings became one per rule: old per-asset (and per-backup) ids are carried by the
    rule's finding listing the asset; between two assessments of the new form, an asset leaving a rule's
    finding is reported under assets_changed while the id stays."""
    old = result([asset("db"), asset("web")], [
        {**finding("silent_failure:restore-test-missing:db", "critical"), "assets": ["db"], "components": ["db-bk"]},
        {**finding("silent_failure:restore-test-missing:web", "high"), "assets": ["web"], "components": ["web-bk"]},
        {**finding("silent_failure:3-2-1-1-0:web", "medium"), "assets": ["web"], "components": ["web-bk"]},
    ])
    new = result([asset("db"), asset("web")], [
        {**finding("silent_failure:restore-test-missing", "critical"), "assets": ["db", "web"],
         "components": ["db-bk", "web-bk"]},
        {**finding("silent_failure:3-2-1-1-0:one_offsite", "medium"), "assets": ["web"], "components": ["web-bk"]},
    ])
    assert compare.successors(old["findings"], new["findings"]) == {
        "silent_failure:restore-test-missing:db": "silent_failure:restore-test-missing",
        "silent_failure:restore-test-missing:web": "silent_failure:restore-test-missing",
        "silent_failure:3-2-1-1-0:web": "silent_failure:3-2-1-1-0:one_offsite",
    }
    f = compare.compare_results(old, new)["findings"]
    assert f["new"] == [] and f["resolved"] == [] and f["assets_changed"] == []
    later = result([asset("db"), asset("web")], [
        {**finding("silent_failure:restore-test-missing", "critical"), "assets": ["db"], "components": ["db-bk"]},
    ])
    f = compare.compare_results(new, later)["findings"]
    assert [(x["id"], x["severity"], x["gained"], x["lost"]) for x in f["assets_changed"]] == [
        ("silent_failure:restore-test-missing", "critical", [], ["web"])]
    rows = compare.finding_changes_frame(compare.compare_results(new, later))
    assert rows.loc[rows["change"] == "assets changed", "assets"].tolist() == ["-web"]
    assert [x["id"] for x in f["resolved"]] == ["silent_failure:3-2-1-1-0:one_offsite"]
    assert "assets   silent_failure:restore-test-missing: -web" in compare.format_text(compare.compare_results(new, later))
