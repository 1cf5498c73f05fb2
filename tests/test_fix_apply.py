"""``fix.changes`` and ``hiddenspof apply``: the edit vocabulary, applying it, and the command line."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLES, make_inventory
from hiddenspof import analysis, edits, fixapply, inventory, whatif
from hiddenspof.cli import main


def _estate():
    return make_inventory(
        components=[{"id": "site", "kind": "site"}, {"id": "db", "kind": "datastore", "tier": 1, "data_gb": 10},
                    {"id": "nas", "kind": "backup_store"}, {"id": "host", "kind": "other"},
                    {"id": "ad1", "kind": "identity"}, {"id": "ad2", "kind": "identity"}],
        dependencies=[{"component": "db", "depends_on": "site"}, {"component": "nas", "depends_on": "site"},
                      {"component": "bk", "depends_on": "nas"},
                      {"component": "db", "depends_on": "ad1", "group": "dc", "needs": 2},
                      {"component": "db", "depends_on": "ad2", "group": "dc", "needs": 2},
                      {"component": "db", "depends_on": "ad1", "kind": "admin"}],
        backups=[{"id": "bk", "protects": "db", "method": "image"}],
    )


def test_every_op_applies_and_round_trips_through_json(tmp_path):
    """Each op changes exactly what it says; the JSON form applies the same; the result loads back equal."""
    inv = _estate()
    ops = [
        edits.add_component(id="new-vault", kind="backup_store", name="Vault"),
        edits.add_dependency(component="new-vault", depends_on="site", kind="location"),
        edits.add_backup(id="new-copy", protects="db", method="tape", offline=True, immutable=True, restore_to="host"),
        edits.add_dependency(component="new-copy", depends_on="new-vault", kind="storage"),
        edits.remove_dependency(component="db", depends_on="ad1", kind="admin"),
        edits.set_value("backups", "bk", "restore_to", "host"),
        edits.set_value("components", "nas", "throughput_mb_s", 200),
        edits.add_restore_test(backup="bk", tested_at="2026-09-30", result="pass", scope="full"),
    ]
    a = edits.apply_changes(inv, ops)
    b = edits.apply_changes(inv, [json.loads(json.dumps(e.to_json())) for e in ops])
    assert a == b
    assert inv == _estate()  # the input is never modified
    deps = set(zip(a.dependencies["component"], a.dependencies["depends_on"], a.dependencies["kind"]))
    assert ("db", "ad1", "admin") not in deps and ("new-copy", "new-vault", "storage") in deps
    assert ("db", "ad1", None) in {(c, d, None) for c, d, k in deps if k != "admin"}  # the grouped row stays
    row = a.backups.set_index("id").loc["new-copy"]
    assert bool(row["offline"]) and bool(row["immutable"]) and row["restore_to"] == "host"
    assert a.backups.set_index("id").loc["bk", "restore_to"] == "host"
    assert a.components.set_index("id").loc["nas", "throughput_mb_s"] == 200.0
    assert "new-copy" in set(a.components["id"])  # a backup is a component of kind backup
    assert len(a.restore_tests) == 1
    for name in ("components", "dependencies", "backups", "restore_tests"):
        assert list(a.table(name).dtypes) == list(inv.table(name).dtypes), name
    assert inventory.load(inventory.save(a, tmp_path / "out")) == a
    assert edits.new_ids(ops) == ["new-vault", "new-copy"]


@pytest.mark.parametrize(("edit", "message"), [
    (edits.add_component(id="db", kind="service"), "'db' is already a component"),
    (edits.add_component(id="x", kind="castle"), "expected one of service"),
    (edits.add_dependency(component="db", depends_on="ghost"), "'ghost' is not in the inventory"),
    (edits.add_dependency(component="db", depends_on="site"), "already has this row"),
    (edits.add_dependency(component="db", depends_on="db"), "cannot depend on itself"),
    (edits.remove_dependency(component="db", depends_on="host"), "has no such row on 'host'"),
    (edits.remove_dependency(component="db", depends_on="ad1", group="dc"), "group 'dc' of 'db' would have 1"),
    (edits.add_backup(id="bk", protects="db"), "backup 'bk' already exists"),
    (edits.add_backup(id="b2", protects="db", restore_to="db"), "is the asset itself"),
    (edits.set_value("backups", "ghost", "immutable", True), "'ghost' is not in backups"),
    (edits.set_value("backups", "bk", "verification", "prayer"), "expected one of none"),
    (edits.set_value("components", "db", "colour", "red"), "cannot be set"),
    (edits.set_value("components", "db", "tier", 9), "a number <= 4"),
    (edits.add_restore_test(backup="ghost", tested_at="2026-09-30", result="pass"), "'ghost' is not a backup"),
])
def test_an_edit_that_does_not_apply_names_itself_and_what_was_expected(edit, message):
    """Every refusal is an EditError naming the edit, the value and what was expected."""
    with pytest.raises(edits.EditError, match=message) as err:
        edits.apply_changes(_estate(), [edit])
    assert edit.describe() in str(err.value)


def test_whatif_changes_are_compiled_to_edits_and_applied_only_through_them():
    """One vocabulary: every what-if change is its edits; applying them gives the change's inventory."""
    inv = inventory.load(SAMPLES["teaching"])
    changes = [whatif.Repoint("orders-db-nightly", "nas-01", "new-store", new_kind="backup_store"),
               whatif.Repoint("files-nightly", None, "dr-vm"),
               whatif.SetProtection("orders-db-nightly", immutable=True),
               whatif.SetVerification("files-nightly", tested=True),
               whatif.AddOfflineCopy("files-share", restore_to="dr-vm"),
               whatif.ScaleCapacity("bucket-offsite", 1.5),
               whatif.LeaveDomain("nas-01", "ad-harbour")]
    ops, changed = whatif.compile_changes(inv, changes)
    assert {e.op for e in ops} == set(edits.OPS)
    assert edits.apply_changes(inv, ops) == changed == whatif.apply(inv, changes)
    assert all(i.startswith("new-") for i in edits.new_ids(ops))


@pytest.fixture(scope="module")
def teaching_analysis(tmp_path_factory):
    path = tmp_path_factory.mktemp("analysis") / "teaching.json"
    assert main(["analyze", str(SAMPLES["teaching"]), "--json", str(path)]) == 0
    return path


def test_every_fix_with_changes_reapplies_to_what_was_verified(teaching_analysis):
    """fix.changes applied to the inventory and analysed again: the finding a verified fix names is gone."""
    inv = inventory.load(SAMPLES["teaching"])
    result = json.loads(teaching_analysis.read_text())
    fixed = [f for f in result["findings"] if f["fix"] and f["fix"]["verified"]]
    assert fixed
    for f in fixed:
        assert f["fix"]["changes"], f["id"]
        again = analysis.analyze(edits.apply_changes(inv, f["fix"]["changes"]))
        assert f["id"] not in {g["id"] for g in again["findings"]}, f["id"]


def test_apply_command_writes_the_changed_inventory_and_says_the_outcome(teaching_analysis, tmp_path, capsys):
    """apply --fix all-verified: each edit printed, the re-analysed outcome, a loadable CSV folder."""
    out = tmp_path / "fixed"
    assert main(["apply", str(SAMPLES["teaching"]), "--fix", "all-verified", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    result = json.loads(teaching_analysis.read_text())
    by_id = {f["id"]: f for f in result["findings"]}
    # all-verified applies the plan's fixes, cumulatively: a fix's own finding is resolved unless a later step
    # raises its rule again (a new copy not yet restore-tested), and the outcome printed is the plan's end state
    left = {f["id"] for f in result["plan"]["end_state"]["findings"]}
    order = fixapply.verified_in_order(result)
    assert order and all(by_id[fid]["fix"]["verified"] for fid in order)
    for fid in order:
        state = "still open" if fid in left else "resolved"
        assert f"fix of {fid}:" in text and f"{fid}: {state}" in text
        if by_id[fid]["category"] == "coupling":
            assert state == "resolved", fid
        for e in by_id[fid]["fix"]["changes"]:
            assert edits.edit_from_json(e).describe() in text
    changed = inventory.load(out)
    assert len(changed.backups) > len(inventory.load(SAMPLES["teaching"]).backups)


def test_apply_on_a_changed_inventory_fails_cleanly_and_writes_nothing(teaching_analysis, tmp_path, capsys):
    """Fixes from an earlier analysis on an inventory that lost what they edit: exit 1, a clear message, no folder."""
    result = json.loads(teaching_analysis.read_text())
    (fid,) = [f["id"] for f in result["findings"] if f["fix"] and f["fix"]["verified"]][:1]
    target = next(e["row"]["restore_to"] for f in result["findings"] if f["id"] == fid
                  for e in f["fix"]["changes"] if e["op"] == "add_backup")
    inv = inventory.load(SAMPLES["teaching"])
    gone = inventory.save(edits.apply_changes(inv, []), tmp_path / "changed")
    comps = (gone / "components.csv").read_text().splitlines()
    (gone / "components.csv").write_text("\n".join(line for line in comps if not line.startswith(target + ",")) + "\n")
    deps = (gone / "dependencies.csv").read_text().splitlines()
    (gone / "dependencies.csv").write_text("\n".join(line for line in deps if target not in line.split(",")[:2]) + "\n")
    bks = (gone / "backups.csv").read_text().splitlines()
    (gone / "backups.csv").write_text("\n".join(line.replace("," + target + ",", ",,") for line in bks) + "\n")
    inventory.load(gone)  # still a valid inventory, only without the target
    out = tmp_path / "out"
    code = main(["apply", str(gone), "--analysis", str(teaching_analysis), "--fix", fid, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and f"the fix of {fid} no longer applies" in err and repr(target) in err
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_apply_refuses_unknown_findings_and_existing_folders(tmp_path, capsys):
    """An unknown finding id or a non-empty --out: exit 1, nothing written."""
    out = tmp_path / "o"
    assert main(["apply", str(SAMPLES["teaching"]), "--fix", "coupling:domain:nowhere", "--out", str(out)]) == 1
    assert "'coupling:domain:nowhere' is not in the analysis" in capsys.readouterr().err and not out.exists()
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["apply", str(SAMPLES["teaching"]), "--fix", "all-verified", "--out", str(out)]) == 1
    assert "not an empty folder" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
