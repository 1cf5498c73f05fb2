"""Controls: every rule's known answers, the built-in frameworks, policy errors, the CLI, the naive oracle."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import pytest
from conftest import SAMPLES, make_inventory
from controls_oracle import naive_asset_status, naive_places, naive_rule
from hiddenspof import analysis, cli, controls
from hiddenspof.inventory import load
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]


def _estate(tests=True, **extra):
    """Three assets on site s1 (region r1):

    * A: its copy bA is on st2 at site s2 and restores to t2 there; immutable, checksum-verified, alerting
      through an independent pager, scheduled daily (RPO 24 h), a passing full restore test 10 days old,
      fast restore (RTO 10 h met).
    * B: its copy bB is on st1 at s1 (dies with the site); neither immutable nor offline, job-status only,
      alerts by a mail server in s1, weekly for a 24 h RPO, last passing test 263 days old, slow (RTO 1 h missed).
    * C: its copy bC is on st0, which has no place on record; no verification, no alert channel,
      no schedule and no runs (RPO unknowable), no RTO, no restore test.
    """
    comps = [
        {"id": "s1", "kind": "site"}, {"id": "s2", "kind": "site"}, {"id": "r1", "kind": "region"},
        {"id": "st1", "kind": "backup_store"}, {"id": "st2", "kind": "backup_store"}, {"id": "st0", "kind": "backup_store"},
        {"id": "t2", "kind": "service"}, {"id": "pager", "kind": "alerting"}, {"id": "mail", "kind": "alerting"},
        {"id": "A", "kind": "datastore", "tier": 1, "rto_hours": 10, "rpo_hours": 24, "data_gb": 10},
        {"id": "B", "kind": "datastore", "tier": 2, "rto_hours": 1, "rpo_hours": 24, "data_gb": 5000},
        {"id": "C", "kind": "datastore", "rpo_hours": 24, "data_gb": 10},
    ]
    deps = [
        {"component": "s1", "depends_on": "r1"}, {"component": "s2", "depends_on": "r1"},
        {"component": "A", "depends_on": "s1"}, {"component": "B", "depends_on": "s1"}, {"component": "C", "depends_on": "s1"},
        {"component": "st1", "depends_on": "s1"}, {"component": "st2", "depends_on": "s2"},
        {"component": "t2", "depends_on": "s2"}, {"component": "mail", "depends_on": "s1"},
        {"component": "bA", "depends_on": "st2"}, {"component": "bB", "depends_on": "st1"},
        {"component": "bC", "depends_on": "st0"},
    ]
    backups = [
        {"id": "bA", "protects": "A", "restore_to": "t2", "immutable": True, "verification": "checksum",
         "alert_channel": "pager", "schedule_hours": 24, "restore_mb_s": 500},
        {"id": "bB", "protects": "B", "immutable": False, "offline": False, "verification": "job_status",
         "alert_channel": "mail", "schedule_hours": 168, "restore_mb_s": 10},
        {"id": "bC", "protects": "C"},
    ]
    restore_tests = [{"backup": "bA", "tested_at": "2026-09-20", "result": "pass", "scope": "full"},
                     {"backup": "bB", "tested_at": "2026-01-10", "result": "pass", "scope": "full"}] if tests else []
    tables = {"components": comps, "dependencies": deps, "backups": backups, "restore_tests": restore_tests}
    for k, v in extra.items():
        tables[k] = tables[k] + v
    return make_inventory(**tables)


@pytest.fixture(scope="module")
def estate_result():
    return analysis.analyze(_estate())


@pytest.fixture(scope="module")
def untested_result():
    return analysis.analyze(_estate(tests=False))


def _judge(result, rule_yaml: dict, asset: str) -> str:
    fw = controls.parse_framework(json.dumps({"name": "t", "version": "1", "source": "test", "controls": [
        {"id": "T-1", "title": "t", "reference": "r", "require": [rule_yaml]}]}), "t.yaml", "t")
    rule = fw.controls[0].require[0]
    ix = controls._Index(result)
    return controls.judge_rule(rule, ix.assets[asset], ix)[0]


# -- known answers: an asset that passes, one that fails, one with no evidence, for every rule --------------

def test_recoverable_under(estate_result):
    rule = {"recoverable_under": ["site_loss"]}
    assert _judge(estate_result, rule, "A") == "holds"
    assert _judge(estate_result, rule, "B") == "fails"
    # no evidence: an analysis without the verdict (an older JSON, or a mode it did not judge)
    old = copy.deepcopy(estate_result)
    for a in old["assets"]:
        a["threats"].pop("site_loss")
    assert _judge(old, rule, "A") == "no_evidence"
    # not_applicable counts as holding (nothing of that class in the inventory)
    assert _judge(estate_result, {"recoverable_under": ["provider_loss"]}, "B") == "holds"
    assert _judge(estate_result, {"recoverable_under": ["site_loss", "region_loss"]}, "A") == "fails"


def test_no_common_cause(estate_result):
    rule = {"no_common_cause": True}
    small = analysis.analyze(make_inventory(
        components=[{"id": "db", "kind": "datastore"}, {"id": "st", "kind": "backup_store"}],
        backups=[{"id": "b", "protects": "db"}], dependencies=[{"component": "b", "depends_on": "st"}]))
    assert _judge(small, rule, "db") == "holds"
    assert _judge(estate_result, rule, "B") == "fails"  # s1 and r1 take B and its only copy
    old = copy.deepcopy(estate_result)
    old["assets"][1]["common_cause"] = None
    assert _judge(old, rule, "B") == "no_evidence"


def test_copy_in_other(estate_result):
    rule = {"copy_in_other": "site"}
    assert _judge(estate_result, rule, "A") == "holds"  # st2 in s2, A in s1
    assert _judge(estate_result, rule, "B") == "fails"  # st1 in s1 like B
    assert _judge(estate_result, rule, "C") == "no_evidence"  # st0 has no site on record
    # region: st2's site s2 lies in r1, as does A's site: the places pass through sites to their region
    assert _judge(estate_result, {"copy_in_other": "region"}, "A") == "fails"


def test_places_follow_rows_through_what_a_component_runs_on_not_networks_or_admin_rows():
    inv = make_inventory(
        components=[{"id": "db", "kind": "datastore"}, {"id": "vm", "kind": "service"}, {"id": "s1", "kind": "site"},
                    {"id": "net", "kind": "network"}, {"id": "s9", "kind": "site"}, {"id": "acct", "kind": "account"},
                    {"id": "st", "kind": "backup_store"}, {"id": "s2", "kind": "site"}, {"id": "aws", "kind": "provider"}],
        dependencies=[{"component": "db", "depends_on": "vm"}, {"component": "vm", "depends_on": "s1"},
                      {"component": "db", "depends_on": "net"}, {"component": "net", "depends_on": "s9"},
                      {"component": "db", "depends_on": "acct", "kind": "admin"},
                      {"component": "b", "depends_on": "st"}, {"component": "st", "depends_on": "s2"},
                      {"component": "s2", "depends_on": "aws"}],
        backups=[{"id": "b", "protects": "db"}])
    result = analysis.analyze(inv)
    db = result["assets"][0]
    assert db["places"] == {"site": ["s1"], "region": [], "account": [], "provider": []}
    assert result["backups"][0]["stores"] == [{"id": "st", "places": {"site": ["s2"], "region": [], "account": [],
                                                                       "provider": ["aws"]}}]
    assert db["places"] == naive_places(inv, "db")
    # the asset's place of a class unknown, the copy's known: the contract's rule holds (nothing is shared)
    assert _judge(result, {"copy_in_other": "provider"}, "db") == "holds"


def test_copy_offline_or_immutable(estate_result):
    rule = {"copy_offline_or_immutable": True}
    assert _judge(estate_result, rule, "A") == "holds"
    assert _judge(estate_result, rule, "B") == "fails"
    assert _judge(estate_result, rule, "C") == "fails"  # an empty cell reads as "no", as everywhere in the inventory
    old = copy.deepcopy(estate_result)
    for b in old["backups"]:
        del b["immutable"], b["offline"]
    assert _judge(old, rule, "C") == "no_evidence"


def test_restore_test_within_days(estate_result, untested_result):
    rule = {"restore_test_within_days": 90, "scope": "full"}
    assert _judge(estate_result, rule, "A") == "holds"
    assert _judge(estate_result, rule, "B") == "fails"  # 263 days old
    assert _judge(estate_result, {"restore_test_within_days": 300, "scope": "full"}, "B") == "holds"
    assert _judge(estate_result, rule, "C") == "fails"  # the estate records tests, none for C
    assert _judge(untested_result, rule, "A") == "no_evidence"  # no restore test recorded at all
    assert _judge(estate_result, {"restore_test_within_days": 90, "scope": "dr_drill"}, "A") == "fails"


def test_restore_test_scope_order_and_empty_scope():
    def result_with(scope, restored_gb=None):
        return analysis.analyze(make_inventory(
            components=[{"id": "db", "kind": "datastore", "data_gb": 100}],
            backups=[{"id": "b", "protects": "db"}],
            restore_tests=[{"backup": "b", "tested_at": "2026-09-01", "result": "pass", "scope": scope,
                            "restored_gb": restored_gb}]))
    full = {"restore_test_within_days": 60, "scope": "full"}
    assert _judge(result_with("dr_drill"), full, "db") == "holds"  # a drill is at least a full restore
    assert _judge(result_with("file"), full, "db") == "fails"
    assert _judge(result_with(None), full, "db") == "holds"  # empty scope, size unknown: full (as the scoring reads it)
    assert _judge(result_with(None, restored_gb=5), full, "db") == "fails"  # 5 of 100 GB: a file restore
    assert _judge(result_with(None, restored_gb=5), {"restore_test_within_days": 60}, "db") == "holds"
    failed = analysis.analyze(make_inventory(
        components=[{"id": "db", "kind": "datastore"}], backups=[{"id": "b", "protects": "db"}],
        restore_tests=[{"backup": "b", "tested_at": "2026-09-01", "result": "fail", "scope": "full"}]))
    assert _judge(failed, full, "db") == "fails"


def test_rpo_met(estate_result):
    rule = {"rpo_met": True}
    assert _judge(estate_result, rule, "A") == "holds"
    assert _judge(estate_result, rule, "B") == "fails"  # weekly for a daily RPO
    assert _judge(estate_result, rule, "C") == "no_evidence"  # no schedule, no runs
    no_rpo = analysis.analyze(make_inventory(components=[{"id": "db", "kind": "datastore"}],
                                             backups=[{"id": "b", "protects": "db"}]))
    assert _judge(no_rpo, rule, "db") == "holds"  # the contract: holds when the asset has no RPO


def test_rto_met(estate_result):
    rule = {"rto_met": "restore_all"}
    assert _judge(estate_result, rule, "A") == "holds"
    assert _judge(estate_result, rule, "B") == "fails"  # 5000 GB at 10 MB/s against 1 h
    assert _judge(estate_result, rule, "C") == "no_evidence"  # no RTO: nothing to meet
    unknown = copy.deepcopy(estate_result)
    for s in unknown["capacity"]["scenarios"]:
        for r in s["restores"]:
            if r["asset"] == "A":
                r["finish_hours"], r["meets_rto"] = None, None
    assert _judge(unknown, rule, "A") == "no_evidence"  # unknown duration: not met, no evidence
    no_throughput = analysis.analyze(make_inventory(
        components=[{"id": "db", "kind": "datastore", "rto_hours": 4, "data_gb": 100}],
        backups=[{"id": "b", "protects": "db"}]))
    assert _judge(no_throughput, rule, "db") == "no_evidence"  # nothing on its path says how fast it restores
    disaster = {"rto_met": "disaster"}
    assert _judge(estate_result, disaster, "A") == "fails"  # losing r1 takes both sites: unrecoverable
    assert _judge(estate_result, disaster, "B") == "fails"  # unrecoverable when s1 burns
    two_sites = analysis.analyze(make_inventory(
        components=[{"id": "s1", "kind": "site"}, {"id": "s2", "kind": "site"}, {"id": "st2", "kind": "backup_store"},
                    {"id": "t2", "kind": "service"},
                    {"id": "db", "kind": "datastore", "rto_hours": 4, "data_gb": 10},
                    {"id": "nobody", "kind": "datastore", "rto_hours": 4, "data_gb": 10}],
        dependencies=[{"component": "db", "depends_on": "s1"}, {"component": "st2", "depends_on": "s2"},
                      {"component": "t2", "depends_on": "s2"}, {"component": "b", "depends_on": "st2"},
                      {"component": "b2", "depends_on": "st2"}],
        backups=[{"id": "b", "protects": "db", "restore_to": "t2", "restore_mb_s": 100},
                 {"id": "b2", "protects": "nobody", "restore_mb_s": 100}]))
    assert _judge(two_sites, disaster, "db") == "holds"  # restored at t2 in s2 when s1 burns
    assert _judge(two_sites, disaster, "nobody") == "no_evidence"  # no site or scenario takes it down


def test_verification_at_least(estate_result):
    rule = {"verification_at_least": "checksum"}
    assert _judge(estate_result, rule, "A") == "holds"
    assert _judge(estate_result, rule, "B") == "fails"
    assert _judge(estate_result, rule, "C") == "no_evidence"
    assert _judge(estate_result, {"verification_at_least": "restore_test"}, "A") == "fails"


def test_alert_path_independent(estate_result):
    rule = {"alert_path_independent": True}
    assert _judge(estate_result, rule, "A") == "holds"
    assert _judge(estate_result, rule, "B") == "fails"  # the mail server sits in s1 with the copy
    assert _judge(estate_result, rule, "C") == "no_evidence"  # no alert channel named


# -- controls, statuses, findings -----------------------------------------------------------------------------

POLICY = """
name: Test policy
version: "1"
source: tests
controls:
  - id: P-1
    title: tier 1 copies elsewhere
    reference: policy 1
    scope: {tier: [1]}
    require: [{copy_in_other: site}, {rpo_met: true}]
  - id: P-2
    title: everything tested
    reference: policy 2
    require:
      - restore_test_within_days: 90
        scope: full
  - id: P-3
    title: verified
    reference: policy 3
    scope: {tier: [1, 2]}
    require: [{verification_at_least: checksum}]
  - id: P-4
    title: a governance item
    reference: policy 4
    out_of_scope: a document
"""


def test_control_status_scope_and_unknown_tier(estate_result, tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(POLICY, encoding="utf-8")
    doc = controls.evaluate(estate_result, [controls.load_framework(path)])
    by_id = {c["id"]: c for c in doc["controls"]}
    assert by_id["P-1"]["status"] == "met" and by_id["P-1"]["assets"] == ["A"]
    assert by_id["P-1"]["unknown_tier"] == ["C"]  # tier-scoped control, C's tier unknown: listed, not judged
    assert by_id["P-2"]["status"] == "not_met"
    assert {f["asset"] for f in by_id["P-2"]["failing"]} == {"B", "C"}
    assert by_id["P-3"]["status"] == "not_met"
    assert by_id["P-4"]["status"] == "no_evidence" and by_id["P-4"]["out_of_scope"] == "a document"
    assert all(c["framework"] == "acme" for c in doc["controls"])


def test_no_evidence_status_when_nothing_fails_but_data_lacks(estate_result):
    fw = controls.parse_framework(json.dumps({"name": "n", "version": "1", "source": "s", "controls": [
        {"id": "V", "title": "t", "reference": "r", "require": [{"verification_at_least": "checksum"}]},
        {"id": "E", "title": "t", "reference": "r", "scope": {"tier": [4]}, "require": [{"rpo_met": True}]}]}),
        "n.yaml", "n")
    doc = controls.evaluate(estate_result, [fw])
    v, e = doc["controls"]
    assert v["status"] == "not_met"  # B fails; C's missing evidence does not hide it
    assert e["status"] == "no_evidence" and e["assets"] == []  # nothing in scope shows nothing met
    only_c = copy.deepcopy(estate_result)
    only_c["assets"] = [a for a in only_c["assets"] if a["id"] in ("A", "C")]
    assert controls.evaluate(only_c, [fw])["controls"][0]["status"] == "no_evidence"


def test_findings_name_the_controls_they_bear_on(estate_result):
    by_id = {f["id"]: f for f in estate_result["findings"]}
    assert all(isinstance(f["controls"], list) for f in estate_result["findings"])
    doc = controls.evaluate(estate_result, [controls.builtin(n) for n in controls.BUILTIN])
    # both directions agree: a finding names a control exactly when that control's failing entries name it
    expected: dict[str, set] = {fid: set() for fid in by_id}
    for c in doc["controls"]:
        for fail in c["failing"]:
            for fid in fail["findings"]:
                expected[fid].add(f"{c['framework']} {c['id']}")
    assert {fid: set(f["controls"]) for fid, f in by_id.items()} == expected
    rpo = [f for f in estate_result["findings"] if f["id"].startswith("silent_failure:rpo") and "B" in f["assets"]]
    assert rpo and "cis-v8 11.2" in rpo[0]["controls"] and "dora 12(1)" in rpo[0]["controls"]


def test_analysis_json_stays_schema_1_and_repeatable():
    inv = load(SAMPLES["teaching"])
    a, b = analysis.dumps(analysis.analyze(inv)), analysis.dumps(analysis.analyze(inv))
    assert a == b
    assert json.loads(a)["schema_version"] == 1


# -- the built-in frameworks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", controls.BUILTIN)
def test_builtin_framework_validates_and_each_control_has_a_reference_and_rules_or_a_reason(name):
    fw = controls.builtin(name)
    assert fw.key == name and fw.name and fw.source and fw.version
    ids = [c.id for c in fw.controls]
    assert len(ids) == len(set(ids))
    assert any(c.require for c in fw.controls)
    for c in fw.controls:
        assert c.reference.strip() and c.title.strip()
        assert bool(c.require) != bool(c.out_of_scope), c.id
        if c.out_of_scope:
            assert len(c.out_of_scope) > 20, c.id  # a reason, not a placeholder


def test_every_rule_of_the_table_is_used_by_some_builtin_framework():
    used = {r.name for n in controls.BUILTIN for c in controls.builtin(n).controls for r in c.require}
    assert used == set(controls.RULES)


def test_docs_page_covers_every_builtin_control():
    text = (ROOT / "docs" / "controls.md").read_text(encoding="utf-8")
    for n in controls.BUILTIN:
        for c in controls.builtin(n).controls:
            assert f"`{c.id}`" in text, (n, c.id)


def test_sample_policy_in_data_validates():
    fw = controls.load_framework(ROOT / "data" / "sample-policy.yaml")
    assert fw.controls and all(c.require or c.out_of_scope for c in fw.controls)


# -- policy files with mistakes ---------------------------------------------------------------------------------

BAD = {
    "unknown rule": ("require: [{copy_elsewhere: site}]", ":10:", "key 'require[1].copy_elsewhere'", "a rule name"),
    "bad place": ("require: [{copy_in_other: zone}]", ":10:", "value 'zone'", "one of site, region, account, provider"),
    "bad mode": ("require: [{recoverable_under: [site_los]}]", ":10:", "value 'site_los'", "did you mean 'site_loss'"),
    "false flag": ("require: [{rpo_met: false}]", ":10:", "value 'false'", "expected true"),
    "bad days": ("require: [{restore_test_within_days: -3, scope: full}]", ":10:", "value '-3'", "whole number of days"),
    "bad scope": ("require: [{restore_test_within_days: 30, scope: whole}]", ":10:", "value 'whole'", "file, full, dr_drill"),
    "bad view": ("require: [{rto_met: fast}]", ":10:", "value 'fast'", "restore_all or disaster"),
    "bad level": ("require: [{verification_at_least: job_status}]", ":10:", "value 'job_status'", "checksum, restore_test, dr_drill"),
    "two rules in one item": ("require: [{rpo_met: true, no_common_cause: true}]", ":10:", "key 'require[1]'", "exactly one rule"),
    "empty require": ("require: []", ":10:", "key 'require'", "non-empty list of rules"),
    "bad tier": ("scope: {tier: [0]}\n    require: [{rpo_met: true}]", ":10:", "key 'scope.tier'", "tiers 1..4"),
    "typo key": ("requires: [{rpo_met: true}]", ":10:", "key 'requires'", "did you mean 'require'"),
    "both": ("require: [{rpo_met: true}]\n    out_of_scope: governance", ":10:", "key 'require'", "not both"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_policy_mistakes_give_precise_errors(case, tmp_path):
    body, line, key, expected = BAD[case]
    # the mistake is on line 10, in the second control
    text = ("name: Acme\nversion: '1'\nsource: tests\ncontrols:\n  - id: OK-1\n    title: fine\n    reference: r\n"
            "    require: [{rpo_met: true}]\n  - id: BP-2\n    " + body + "\n    title: t\n    reference: r\n")
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(controls.FrameworkError) as info:
        controls.load_framework(path)
    message = str(info.value)
    assert f"{path}{line}" in message, message
    assert "control 2 (id 'BP-2')" in message and key in message and expected in message


def test_policy_file_errors_reach_the_cli_without_traceback(tmp_path, capsys):
    bad = tmp_path / "p.yaml"
    bad.write_text("name: x\nversion: 1\nsource: s\ncontrols:\n  - id: A\n    title: t\n    reference: r\n"
                   "    require: [{copy_in_other: campus}]\n", encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    before = bad.read_bytes()
    code = cli.main(["controls", str(SAMPLES["teaching"]), "--framework", str(bad), "--framework", str(broken),
                     "--framework", "dorra", "--json", str(tmp_path / "out.json")])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    assert f"{bad}:8: control 1 (id 'A'): key 'require[1].copy_in_other': value 'campus'" in err
    assert f"{broken}:2:" in err and "valid YAML" in err
    assert "dorra:" in err and "did you mean 'dora'" in err
    assert not (tmp_path / "out.json").exists()  # nothing half written
    assert bad.read_bytes() == before


def test_top_level_mistakes(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nsource: s\ncontrol: []\n", encoding="utf-8")
    with pytest.raises(controls.FrameworkError) as info:
        controls.load_framework(path)
    text = str(info.value)
    assert "key 'control'" in text and "did you mean 'controls'" in text
    assert "key 'version': expected a top-level 'version'" in text
    assert "key 'controls': expected a non-empty list of controls" in text


# -- the command ---------------------------------------------------------------------------------------------------

def test_cli_controls_json_csv_and_fail_on(tmp_path, capsys):
    out_json, out_csv = tmp_path / "c.json", tmp_path / "c.csv"
    code = cli.main(["controls", str(SAMPLES["teaching"]), "--framework", "dora", "--framework", "cis-v8",
                     "--json", str(out_json), "--csv", str(out_csv)])
    assert code == 0
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    assert {c["framework"] for c in doc["controls"]} == {"dora", "cis-v8"}
    for c in doc["controls"]:
        assert c["status"] in ("met", "not_met", "no_evidence")
        assert set(c) >= {"framework", "id", "title", "reference", "status", "assets", "failing"}
        for f in c["failing"]:
            assert set(f) >= {"asset", "rule", "evidence", "findings"}
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8"))))
    assert [(r["framework"], r["id"], r["status"]) for r in rows] == [(c["framework"], c["id"], c["status"]) for c in doc["controls"]]
    assert "not met" in capsys.readouterr().out
    failing = any(c["status"] == "not_met" for c in doc["controls"])
    assert cli.main(["controls", str(SAMPLES["teaching"]), "--framework", "cis-v8", "--fail-on", "not_met"]) == (3 if failing else 0)


def test_cli_controls_invalid_inventory(tmp_path, capsys):
    bad = tmp_path / "inv.yaml"
    bad.write_text("name: x\nas_of: '2026-01-01'\ncomponents: [{id: a, kind: bogus}]\ndependencies: []\nbackups: []\n",
                   encoding="utf-8")
    assert cli.main(["controls", str(bad)]) == 1
    assert "Traceback" not in capsys.readouterr().err


# -- the property: an asset's status is the conjunction of its rules, read naively ----------------------------------

RULE_CHOICES = [
    {"recoverable_under": ["site_loss"]}, {"recoverable_under": ["credential_compromise", "logical_corruption"]},
    {"recoverable_under": ["region_loss", "account_loss", "identity_outage"]},
    {"no_common_cause": True}, {"copy_in_other": "site"}, {"copy_in_other": "region"}, {"copy_in_other": "account"},
    {"copy_in_other": "provider"}, {"copy_offline_or_immutable": True},
    {"restore_test_within_days": 90, "scope": "full"}, {"restore_test_within_days": 400, "scope": "file"},
    {"restore_test_within_days": 365, "scope": "dr_drill"}, {"rpo_met": True}, {"rto_met": "restore_all"},
    {"rto_met": "disaster"}, {"verification_at_least": "checksum"}, {"verification_at_least": "restore_test"},
    {"alert_path_independent": True},
]


@pytest.fixture(scope="module")
def sample_results(tmp_path_factory):
    """The three samples and a synthetic estate none of the rules were written against."""
    from hiddenspof import synth

    out = {name: (load(path), analysis.analyze(load(path))) for name, path in SAMPLES.items()}
    folder = tmp_path_factory.mktemp("synth") / "estate"
    synth.write_estate(folder, 200, seed=7, health=0.5)
    inv = load(folder)
    out["synth-200"] = (inv, analysis.analyze(inv))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rules=st.lists(st.sampled_from(range(len(RULE_CHOICES))), min_size=1, max_size=4, unique=True),
       tiers=st.one_of(st.none(), st.lists(st.integers(1, 4), min_size=1, max_size=3, unique=True)),
       sample=st.sampled_from([*sorted(SAMPLES), "synth-200"]))
def test_asset_status_is_the_conjunction_of_its_rules_read_naively(sample_results, rules, tiers, sample):
    _, result = sample_results[sample]
    chosen = [RULE_CHOICES[i] for i in rules]
    control = {"id": "X", "title": "t", "reference": "r", "require": chosen}
    if tiers is not None:
        control["scope"] = {"tier": tiers}
    fw = controls.parse_framework(json.dumps({"name": "p", "version": "1", "source": "s", "controls": [control]}),
                                  "p.yaml", "p")
    entry = controls.evaluate(result, [fw])["controls"][0]
    statuses = {}
    for f in entry["failing"]:
        prev = statuses.get(f["asset"], "met")
        statuses[f["asset"]] = "not_met" if "not_met" in (prev, f["status"]) else "no_evidence"
    in_scope = [a for a in result["assets"] if tiers is None or (a["tier"] is not None and a["tier"] in tiers)]
    assert entry["assets"] == sorted(a["id"] for a in in_scope)
    for a in in_scope:
        assert statuses.get(a["id"], "met") == naive_asset_status(result, a, chosen), a["id"]
    naive = [naive_asset_status(result, a, chosen) for a in in_scope]
    expected = ("not_met" if "not_met" in naive else "no_evidence" if "no_evidence" in naive or not naive else "met")
    assert entry["status"] == expected


def test_places_in_the_analysis_match_a_naive_walk_of_the_rows(sample_results):
    for inv, result in sample_results.values():
        for a in result["assets"]:
            assert a["places"] == naive_places(inv, a["id"]), a["id"]
        for b in result["backups"]:
            for s in b["stores"]:
                assert s["places"] == naive_places(inv, s["id"]), s["id"]


def test_every_builtin_rule_agrees_with_the_naive_reading_on_the_samples(sample_results):
    for _, result in sample_results.values():
        ix = controls._Index(result)
        for n in controls.BUILTIN:
            for c in controls.builtin(n).controls:
                for rule in c.require:
                    raw = {rule.name: list(rule.value) if isinstance(rule.value, tuple) else rule.value}
                    if rule.scope:
                        raw["scope"] = rule.scope
                    for a in result["assets"]:
                        mine = controls.judge_rule(rule, a, ix)[0]
                        naive = naive_rule(result, a, raw)
                        assert mine == {True: "holds", False: "fails", None: "no_evidence"}[naive], (n, c.id, a["id"])


# -- compare: controls that changed status -----------------------------------------------------------------------

def test_compare_lists_controls_that_changed_status(tmp_path):
    from hiddenspof import compare

    old = analysis.analyze(load(SAMPLES["teaching"]))
    inv = load(SAMPLES["teaching"])
    inv.backups.loc[inv.backups["id"] == "files-nightly", "immutable"] = True
    new = analysis.analyze(inv)
    result = compare.compare_results(json.loads(analysis.dumps(old)), json.loads(analysis.dumps(new)))
    changes = {(c["framework"], c["id"]): c for c in result["controls"]}
    cis = controls.evaluate(new, [controls.builtin("cis-v8")])["controls"]
    assert [c["status"] for c in cis if c["id"] == "11.4"] == ["met"]
    assert changes[("cis-v8", "11.4")]["old"] == "not_met" and changes[("cis-v8", "11.4")]["new"] == "met"
    assert changes[("cis-v8", "11.4")]["direction"] == "improved"
    assert changes[("cis-v8", "11.4")]["no_longer_failing"] == ["files-share"]
    # only controls whose status moved are listed
    every = {(c["framework"], c["id"]): c["status"] for c in controls.evaluate(old, [controls.builtin(n) for n in controls.BUILTIN])["controls"]}
    after = {(c["framework"], c["id"]): c["status"] for c in controls.evaluate(new, [controls.builtin(n) for n in controls.BUILTIN])["controls"]}
    assert set(changes) == {k for k in every if every[k] != after[k]}
    assert "cis-v8 11.4: not met -> met [better]" in compare.format_text(result)


# -- the report and the fleet index ------------------------------------------------------------------------------

def test_fleet_index_gains_a_column_per_chosen_framework(sample_results):
    from hiddenspof import fleet

    entries = []
    for name, (_, result) in sorted(sample_results.items()):
        entry = dict(fleet.environment_entry(result), slug=name)
        entry["controls"] = controls.fleet_counts(result, ["dora", "cis-v8"])
        entries.append(entry)
    doc = fleet.index_document(entries, [], None)
    assert doc["frameworks"] == ["dora", "cis-v8"]
    teaching = controls.evaluate(sample_results["teaching"][1], [controls.builtin("dora")])
    met = sum(c["status"] == "met" for c in teaching["controls"] if c["out_of_scope"] is None)
    total = sum(c["out_of_scope"] is None for c in teaching["controls"])
    rows = {r["slug"]: r for r in csv.DictReader(io.StringIO(fleet.index_csv(doc)))}
    assert rows["teaching"]["controls_met_dora"] == f"{met}/{total}"
    assert all(r["controls_met_cis-v8"] for r in rows.values())
    page = fleet.index_html(doc)
    assert "dora controls met" in page and f"{met} / {total}" in page
    # without --framework the index is as before
    plain = fleet.index_document([{k: v for k, v in e.items() if k != "controls"} for e in entries], [], None)
    assert plain["frameworks"] == [] and "controls_met" not in fleet.index_csv(plain)


def test_report_notebook_list_has_controls_only_with_a_framework():
    from hiddenspof import report

    names = [p.name for p in report.notebook_list(ROOT / "notebooks")]
    assert not any(n.startswith("08_") for n in names)
    assert [p.name for p in report.notebook_list(ROOT / "notebooks", with_controls=True)][-1] == "08_controls.ipynb"
    assert controls.notebook_parameters("08_controls.ipynb", ("dora",)) == {"frameworks": ["dora"]}
    assert controls.notebook_parameters("05_summary.ipynb", ("dora",)) == {}


def test_report_refuses_a_bad_policy_before_rendering(tmp_path):
    from hiddenspof import report

    bad = tmp_path / "p.yaml"
    bad.write_text("name: x\nversion: 1\nsource: s\ncontrols: [{id: A, title: t, reference: r, require: [{rto_met: soon}]}]\n",
                   encoding="utf-8")
    with pytest.raises(controls.FrameworkError, match="value 'soon'"):
        report.render([str(SAMPLES["teaching"])], tmp_path / "out", frameworks=[str(bad)], progress=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_report_controls_section_and_fleet_column(tmp_path):
    """The Controls notebook renders in the report with the chosen frameworks; the index shows met / total."""
    import shutil

    from hiddenspof import report

    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    shutil.copy(ROOT / "notebooks" / "08_controls.ipynb", notebooks / "08_controls.ipynb")
    out = tmp_path / "out"
    assert report.render([str(SAMPLES["teaching"])], out, notebooks_dir=notebooks, progress=False,
                         frameworks=["cis-v8", str(ROOT / "data" / "sample-policy.yaml")]) == 0
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "Controls by status" in page and "Controls not met" in page
    assert "CIS Critical Security Controls v8" in page and "backup policy 2027 (sample)" in page
    result = json.loads((folder / "analysis.json").read_text(encoding="utf-8"))
    doc = controls.evaluate(result, [controls.builtin("cis-v8")])
    names = dict(zip(load(SAMPLES["teaching"]).components["id"], load(SAMPLES["teaching"]).components["name"]))
    for c in doc["controls"]:
        if c["status"] == "not_met":
            for f in c["failing"]:
                assert names[f["asset"]] in page  # the assets by name
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["frameworks"][0] == "cis-v8"
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert index["frameworks"] == ["cis-v8", "sample-policy"]
    counts = controls.summary_counts(doc)["cis-v8"]
    assert index["environments"][0]["controls"]["cis-v8"] == {"met": counts["met"], "total": counts["assessed"]}


def test_rpo_verdict_agrees_with_the_rpo_findings(sample_results):
    """An asset misses its RPO in the controls' evidence exactly when the silent-failure analysis reports it."""
    for _, result in sample_results.values():
        missed = {a["id"] for a in result["assets"] if a["rpo"]["met"] is False}
        reported = {x for f in result["findings"] if f["id"].startswith("silent_failure:rpo") for x in f["assets"]}
        assert missed == reported
        assert all(a["rpo"]["met"] is True for a in result["assets"] if a["rpo_hours"] is None)


def test_cli_controls_judges_a_stored_analysis_json_like_the_inventory(tmp_path, capsys):
    stored = tmp_path / "analysis.json"
    assert cli.main(["analyze", str(SAMPLES["teaching"]), "--json", str(stored)]) == 0
    from_json, from_inventory = tmp_path / "a.json", tmp_path / "b.json"
    assert cli.main(["controls", str(stored), "--framework", "nis2", "--json", str(from_json)]) == 0
    assert cli.main(["controls", str(SAMPLES["teaching"]), "--framework", "nis2", "--json", str(from_inventory)]) == 0
    assert from_json.read_text(encoding="utf-8") == from_inventory.read_text(encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert cli.main(["controls", str(broken)]) == 1
    assert "line 1" in capsys.readouterr().err


def test_indexed_lookups_equal_a_plain_scan_of_the_analysis(sample_results):
    """The index's restores by scenario and findings by rule give what a scan of the whole JSON gives."""
    for _, result in sample_results.values():
        ix = controls._Index(result)
        scenarios = result["capacity"]["scenarios"]
        for (s, is_all, lost, by_asset), raw in zip(ix.restores_by_scenario(), scenarios):
            assert s is raw and is_all == (raw["kind"] == "restore_all") and lost == set(raw["unrecoverable"])
            for a in ix.order:
                assert by_asset.get(a, []) == [r for r in raw["restores"] if r["asset"] == a]
        rules = {r for n in controls.BUILTIN for c in controls.builtin(n).controls for r in c.require}
        for rule in sorted(rules, key=lambda r: r.label):
            for a in ix.order:
                plain = sorted(f["id"] for f in result["findings"] if a in f["assets"] and controls._bears_on(rule, f))
                assert ix.bearing(rule, a) == plain, (rule.label, a)
