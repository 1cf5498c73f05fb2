"""The analysis JSON: every contract key present, sorted, deterministic across containers and runs."""

from __future__ import annotations

import json

import pytest
from hiddenspof import analysis, inventory
from hiddenspof.findings import severity_rank
from test_model import B, C, D, inventory_of

ASSET_KEYS = {
    "id", "tier", "rto_hours", "rpo_hours", "backups", "common_cause", "survivability",
    "threats", "silent_failure_score", "restore_hours",
}
MODES = {
    "site_loss", "region_loss", "provider_loss", "account_loss", "identity_outage",
    "control_plane_outage", "credential_compromise", "logical_corruption",
}


def _inv():
    """A small estate with a shared site, a quorum, a cycle and an immutable offsite copy."""
    return inventory_of(
        [
            C("db", "datastore", tier=1, rto_hours=4, data_gb=50),
            C("web", "service", tier=2),
            C("s1", "site", failure_probability=0.02),
            C("s2", "site"),
            C("idp", "identity", rto_hours=12),
            C("dns", "dns"),
            C("z1", "network"), C("z2", "network"), C("z3", "network"),
            C("nas", "backup_store"),
        ],
        [
            D("db", "s1"), D("web", "db"), D("db", "idp"), D("idp", "dns"), D("dns", "idp"),
            D("web", "z1", "q", 2), D("web", "z2", "q", 2), D("web", "z3", "q", 2),
            D("nas", "s1"), D("nas", "idp"), D("db-nas", "nas"),
            D("db-off", "idp"),
        ],
        [B("db-nas", "db"), B("db-off", "db", immutable=True, restore_to="s2"), B("web-img", "web", method="image")],
        backup_runs=[
            {"backup": "db-nas", "started_at": "2026-09-29T01:00:00", "finished_at": "2026-09-29T01:20:00",
             "status": "success", "size_gb": 48.5},
        ],
        restore_tests=[{"backup": "db-off", "tested_at": "2026-08-01", "result": "pass", "scope": "full"}],
    )


def test_every_contract_key_is_present_and_typed():
    """Top-level keys, asset keys, the eight threat modes and component entries all follow the contract."""
    r = analysis.analyze(_inv())
    assert r["schema_version"] == 1
    assert r["environment"] == {"name": "test estate", "as_of": "2026-09-30"}
    assert {"assets", "backups", "components", "cycles", "capacity", "findings"} <= set(r)
    assert [a["id"] for a in r["assets"]] == ["db", "web"]
    for a in r["assets"]:
        assert ASSET_KEYS <= set(a)
        assert set(a["threats"]) == MODES
        assert set(a["restore_hours"]) == {"routine", "disaster"}
        assert a["survivability"] is None or 0 <= a["survivability"] <= 1
    assert [c["id"] for c in r["components"]] == sorted(c["id"] for c in r["components"])
    assert all({"id", "kind", "blast_radius"} <= set(c) for c in r["components"])
    assert isinstance(r["capacity"]["scenarios"], list) and isinstance(r["backups"], list)


def test_coupling_verdicts_in_json():
    """Identity (and DNS through the cycle) are db's common causes; the site is not (the offsite copy restores to s2)."""
    r = analysis.analyze(_inv())
    db = next(a for a in r["assets"] if a["id"] == "db")
    assert db["common_cause"] == ["dns", "idp"]
    assert db["backups"] == ["db-nas", "db-off"]
    assert r["cycles"] == [["dns", "idp"]]
    blast = {c["id"]: c["blast_radius"] for c in r["components"]}
    assert blast["idp"] == 2 and blast["s1"] == 0  # web goes with db: restoring web in place needs db


def test_findings_sorted_most_severe_first():
    """Findings are ordered by severity, then category and id."""
    fs = analysis.analyze(_inv())["findings"]
    keys = [(severity_rank(f["severity"]), f["category"], f["id"]) for f in fs]
    assert fs and keys == sorted(keys)


def test_dumps_rounds_and_sorts():
    """dumps sorts keys, rounds floats to FLOAT_DIGITS, writes -0.0 as 0.0 and non-finite as null."""
    text = analysis.dumps({"b": 1 / 3, "a": [-0.0, float("inf")], "c": (1, 2)})
    assert json.loads(text) == {"a": [0.0, None], "b": round(1 / 3, analysis.FLOAT_DIGITS), "c": [1, 2]}
    assert text.index('"a"') < text.index('"b"')


@pytest.mark.parametrize("container", ["inv.yaml", "inv.xlsx", "inv-folder"])
def test_same_json_across_containers(tmp_path, container):
    """The same inventory saved as YAML, workbook or CSV folder gives byte-identical JSON."""
    inv = _inv()
    expected = analysis.dumps(analysis.analyze(inv))
    path = inventory.save(inv, tmp_path / container)
    assert analysis.dumps(analysis.analyze(inventory.load(path))) == expected


def test_repeated_runs_identical():
    """Two runs on the same inventory give the same bytes."""
    inv = _inv()
    assert analysis.dumps(analysis.analyze(inv)) == analysis.dumps(analysis.analyze(inv))


def test_samples_analyze(sample_path):
    """Every sample estate analyzes into valid JSON with a verdict for each asset and mode, identically twice."""
    inv = inventory.load(sample_path)
    text = analysis.dumps(analysis.analyze(inv))
    assert analysis.dumps(analysis.analyze(inv)) == text  # seeded Monte Carlo included
    r = json.loads(text)
    assert r["assets"]
    for a in r["assets"]:
        assert set(a["threats"]) == MODES
        assert set(a["threats"].values()) <= {"recoverable", "unrecoverable", "not_applicable"}
