"""The plan's faster parts answer exactly as their slow, obvious forms (``tests/plan_reference.py``): the Edit hash
computed once, ``edits.rebase`` with one look-up per edit, the work packages without sorting their anchors."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import random

import pytest
from conftest import make_inventory
from hiddenspof import edits, plan
from hiddenspof.findings import Finding, Fix
from plan_reference import fields_of, packages_by_search
from plan_reference import packages as packages_reference
from plan_reference import rebase as rebase_reference

_IDS = ["db", "web", "st", "new-a", "new-b", "new-c", "new-a-2", "vault", "chan"]


def _random_edit(rnd: random.Random) -> edits.Edit:
    pick = rnd.choice
    op = rnd.randrange(6)
    if op == 0:
        return edits.add_component(id=pick(_IDS), kind=pick(["service", "backup_store", "site"]))
    if op == 1:
        return edits.add_dependency(component=pick(_IDS), depends_on=pick(_IDS), **({"group": "g"} if rnd.random() < .3 else {}))
    if op == 2:
        return edits.remove_dependency(component=pick(_IDS), depends_on=pick(_IDS))
    if op == 3:
        return edits.add_backup(id=pick(_IDS), protects=pick(_IDS), **({"restore_to": pick(_IDS)} if rnd.random() < .5 else {}))
    if op == 4:
        column = pick(["restore_to", "alert_channel", "immutable", "schedule_hours"])
        value = pick(_IDS) if column in ("restore_to", "alert_channel") else pick([True, 6.0, None])
        return edits.set_value(pick(["backups", "components"]), pick(_IDS), column, value)
    return edits.add_restore_test(backup=pick(_IDS), tested_at="2026-09-30", result=pick(["pass", "fail"]))


def test_edit_hash_and_equality_are_the_dataclass_fields():
    """Two edits are equal (and hash alike) exactly when their fields are; the cached hash never travels in a
    pickle or a copy (a string's hash differs between processes), and a replaced edit hashes its new fields."""
    rnd = random.Random(7)
    pool = [_random_edit(rnd) for _ in range(400)]
    twins = [dataclasses.replace(e) for e in pool]  # new objects, fields equal
    for a, b in zip(pool, twins):
        assert a is not b and a == b and hash(a) == hash(b) == hash(fields_of(a))
    for a, b in zip(pool, pool[1:]):
        assert (a == b) == (fields_of(a) == fields_of(b))
        assert (a != b) == (fields_of(a) != fields_of(b))
    assert len(set(pool)) == len({fields_of(e) for e in pool})
    assert pool[0].__eq__("not an edit") is NotImplemented
    e = pool[0]
    hash(e)
    for other in (pickle.loads(pickle.dumps(e)), copy.deepcopy(e), copy.copy(e)):
        assert "_hash" not in other.__dict__ and other == e and hash(other) == hash(e)
    moved = dataclasses.replace(e, row=(*e.row, ("extra", 1)))
    assert hash(moved) == hash(fields_of(moved)) and moved != e
    assert repr(e).startswith("Edit(op=") and "_hash" not in repr(e)


@pytest.mark.parametrize("seed", range(40))
def test_rebase_equals_the_reference(seed):
    """Random fixes on top of random earlier ones (shared ids, edits made before, names already taken): the same
    edits to apply, the same left out, the same renames, in the same order."""
    rnd = random.Random(seed)
    inv = make_inventory(components=[{"id": i, "kind": "service"} for i in ("db", "web", "new-a-3")])
    s = edits.Staged(inv)
    pool = [_random_edit(rnd) for _ in range(30)]
    for _ in range(5):
        fix = [rnd.choice(pool) if rnd.random() < .5 else _random_edit(rnd) for _ in range(rnd.randrange(1, 25))]
        done = set(rnd.sample(pool, rnd.randrange(len(pool))))
        earlier = set(rnd.sample(_IDS, rnd.randrange(len(_IDS))))
        got = edits.rebase(s, fix, done, earlier)
        want = rebase_reference(s, fix, done, earlier)
        assert [fields_of(e) for e in got[0]] == [fields_of(e) for e in want[0]]
        assert [fields_of(e) for e in got[1]] == [fields_of(e) for e in want[1]]
        assert got[2] == want[2]


def _random_findings(rnd: random.Random, n: int) -> list[Finding]:
    sev = ["critical", "high", "medium", "low"]
    pool = [_random_edit(rnd) for _ in range(3 * n)]
    out = []
    for k in range(n):
        changes = tuple(rnd.choice(pool) for _ in range(rnd.randrange(0, 4)))
        reuses = tuple(rnd.sample(_IDS, rnd.randrange(0, 2)))
        verified = rnd.random() < .85
        out.append(Finding(f"{rnd.choice(['coupling', 'silent_failure'])}:f{k:03d}", rnd.choice(["coupling", "capacity"]),
                           rnd.choice(sev), "t", ("a",),
                           fix=None if rnd.random() < .1 else Fix("c", verified, "e", changes=changes, reuses=reuses)))
    return out


@pytest.mark.parametrize("seed", range(30))
def test_packages_equal_the_reference_and_the_plain_search(seed):
    """The packages do not depend on the order the anchors are visited in: the same packages, in the same order,
    as the old anchor order (sorted by repr) and as a plain search for fixes linked by shared anchors."""
    rnd = random.Random(seed)
    findings = _random_findings(rnd, rnd.randrange(1, 60))
    got = [[f.id for f in g] for g in plan.packages(findings)]
    assert got == [[f.id for f in g] for g in packages_reference(findings)]
    assert got == [[f.id for f in g] for g in packages_by_search(findings)]


def test_rebase_on_top_of_many_fixes_that_used_one_id_renames_as_the_reference():
    """Eight fixes, each adding its own new-vault (on another site) on one staged inventory that already has
    new-vault-4: each gets the next free name (-2, -3, -5, ...), as the reference that searches from -2 on a
    fresh copy each time says (also when a rebase is not applied), and the edits that do not name a renamed id
    are passed on unchanged."""
    inv = make_inventory(components=[{"id": i, "kind": k} for i, k in (
        ("db", "datastore"), ("new-vault-4", "backup_store"), *((f"site{k}", "site") for k in range(8)))])
    s = edits.Staged(inv)
    applied: list = []
    done: set = set()
    added: set = set()
    names = []
    for k in range(8):
        fix = [edits.add_component(id="new-vault", kind="backup_store"),
               edits.add_dependency(component="new-vault", depends_on=f"site{k}"),
               edits.set_value("components", "db", "tier", 1)]
        got = edits.rebase(s, fix, done, added)
        if k % 2:  # a rebase whose edits are not applied leaves the next one the same names
            assert edits.rebase(s, fix, done, added) == got
        want = rebase_reference(edits.Staged(inv).apply(applied), fix, done, added)
        assert [fields_of(e) for e in got[0]] == [fields_of(e) for e in want[0]]
        assert [fields_of(e) for e in got[1]] == [fields_of(e) for e in want[1]] and got[2] == want[2]
        assert all(e is fix[2] for e in got[0] + got[1] if e.op == "set")
        s.apply(got[0])
        applied.extend(got[0])
        done.update(got[0])
        added.update(edits.new_ids(got[0]))
        names.append(got[2].get("new-vault", "new-vault"))
    assert names == ["new-vault", "new-vault-2", "new-vault-3", "new-vault-5", "new-vault-6", "new-vault-7",
                     "new-vault-8", "new-vault-9"]


def test_the_plan_rescores_from_the_analysis_job_history_summaries_and_answers_as_without(tmp_path):
    """``silent.history_memo`` keeps only what the scoring read from the inventory's own job history and restore
    tests (not the fix search's variants); a variant scored from it (a new copy and a new restore test, as a plan
    step makes) reads the job-history summaries from it and equals a scoring from nothing; so does the plan."""
    from hiddenspof import analysis, inventory, silent, synth
    from hiddenspof import model as model_mod

    synth.write_estate(tmp_path / "estate", 200, seed=3, history_days=3, health=0.4)
    inv = inventory.load(tmp_path / "estate")
    m = model_mod.build(inv)
    memo: dict = {}
    silent.score(inv, m, memo=memo)
    backup = str(inv.backups["id"].iat[0])
    tested = edits.apply_changes(inv, [edits.add_restore_test(backup=backup, tested_at="2026-09-01", result="pass")])
    silent.score(tested, model_mod.build(tested), memo=memo)  # a fix candidate's own entries
    kept = silent.history_memo(memo, inv)
    assert kept and set(kept) < set(memo)
    assert all(f is inv.backup_runs or f is inv.restore_tests for k, (frames, _) in kept.items()
               if k[0] in silent._TABLE_ENTRIES for f in frames)
    assert not any(f is tested.restore_tests for frames, _ in kept.values() for f in frames)
    asset = str(inv.backups["protects"].iat[0])
    variant = edits.apply_changes(tested, [edits.add_backup(id="new-copy", protects=asset, immutable=True)])
    vm = model_mod.build(variant)
    reused = dict(kept)
    want = silent.score(variant, vm, memo={})
    got = silent.score(variant, vm, memo=reused)
    prepared = [v[1] for k, v in kept.items() if k[0] == "prepared"]
    assert prepared and any(v[1] is prepared[0] for k, v in reused.items() if k[0] == "prepared")
    assert len([k for k in reused if k[0] == "prepared"]) == 1  # read, not computed again
    assert got.to_json() == want.to_json() and got.asset_scores == want.asset_scores
    assert [f.to_json() for f in got.findings] == [f.to_json() for f in want.findings]
    # the plan of this estate, with and without the summaries
    parts: dict = {}
    result = analysis.analyze(inv, parts)
    found = [Finding.from_json(f) for f in result["findings"]]
    base = {"model": parts["model"], "coupling": parts["coupling"], "silent": parts["silent"]}
    assert plan.build(inv, found, base={**base, "history": kept}).to_json() == result["plan"]
    assert plan.build(inv, found, base=base).to_json() == result["plan"]


@pytest.mark.parametrize("seed", range(10))
def test_the_anchors_packages_look_up_are_the_anchors(seed):
    """``_anchor_keys`` yields the anchors of ``_anchors``, an edit standing for ``("edit", edit)``."""
    for f in _random_findings(random.Random(seed), 40):
        if f.fix is not None:
            got = {("edit", a) if isinstance(a, edits.Edit) else a for a in plan._anchor_keys(f.fix)}
            assert got == plan._anchors(f.fix)


def test_the_summaries_handed_back_by_a_forked_scoring_score_a_variant_as_from_nothing_without_sorting_the_runs(
        tmp_path, monkeypatch):
    """``silent.history_export`` (pickled, as a forked lane hands it back) and ``history_import``: the memo entries
    of ``history_memo`` bar the prepared runs and the summaries' rows, keyed by the inventory's own tables; a
    variant as the plan makes (a new copy, a new restore test) scored from them equals a scoring from nothing,
    and the job history is not prepared again (the summaries it reads are all there)."""
    from hiddenspof import inventory, silent, synth
    from hiddenspof import model as model_mod

    synth.write_estate(tmp_path / "estate", 200, seed=4, history_days=5, health=0.4)
    inv = inventory.load(tmp_path / "estate")
    memo: dict = {}
    silent.score(inv, model_mod.build(inv), memo=memo)
    kept = silent.history_memo(memo, inv)
    handed = pickle.loads(pickle.dumps(silent.history_export(memo, inv)))
    got = silent.history_import(handed, inv)
    assert set(got) == {k for k in kept if k[0] in silent._TABLE_ENTRIES and k[0] != "prepared"}
    assert {"spans", "runs", "points"} <= {k[0] for k in got}
    assert all(f is inv.backup_runs or f is inv.restore_tests for frames, _ in got.values() for f in frames)
    backup, asset = str(inv.backups["id"].iat[0]), str(inv.backups["protects"].iat[0])
    variant = edits.apply_changes(inv, [edits.add_restore_test(backup=backup, tested_at="2026-09-01", result="pass"),
                                        edits.add_backup(id="new-copy", protects=asset, immutable=True)])
    vm = model_mod.build(variant)
    want = silent.score(variant, vm, memo={})
    prepared = []
    real = silent._prepare_runs
    monkeypatch.setattr(silent, "_prepare_runs", lambda *a, **k: prepared.append(1) or real(*a, **k))
    scored = silent.score(variant, vm, memo=got)
    assert not prepared, "the summaries were all handed back: the job history is not sorted again"
    assert scored.to_json() == want.to_json() and scored.asset_scores == want.asset_scores
    assert [f.to_json() for f in scored.findings] == [f.to_json() for f in want.findings]
    assert scored.rpo == want.rpo and scored.rule_32110 == want.rule_32110
