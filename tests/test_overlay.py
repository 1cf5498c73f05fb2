"""The incremental re-analysis of the fix search equals a rebuild and a full re-analysis of the changed inventory.

For random estates (synthetic ones and hypothesis' small ones) and random
changes (the candidates the fix search itself generates, and random edits),
``overlay.patch`` must give the model ``model.build`` gives of the changed
inventory, and ``overlay.Changed`` the answers the old path gave: whether the
finding is resolved (``advice.resolved`` on the rebuilt model) and which new
critical or high findings the change raises (``serious_findings`` of the
whole rebuilt estate compared claim by claim).
"""

from __future__ import annotations

import random

import pandas as pd
import pytest
from hiddenspof import advice, coupling, edits, inventory, model, overlay, synth
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_coupling import small_estates
from test_model import inventory_of

#: Model attributes the patched model must share with a rebuild.
_ATTRS = ("ids", "kind", "data_gb", "tier", "probability", "requires", "groups", "administered_by", "row_kinds",
          "rows_on", "directory_relation", "_rdeps", "backup", "backups_of", "assets", "_backup_order")


def _same_model(patched: model.Model, full: model.Model) -> None:
    for attr in _ATTRS:
        assert getattr(patched, attr) == getattr(full, attr), attr
    assert sorted(patched.graph.edges(data=True)) == sorted(full.graph.edges(data=True))


def _full_new_findings(m: model.Model, before: frozenset, changed: model.Model) -> tuple[str, ...]:
    """The old path: every single failure and threat strike of the whole rebuilt estate."""
    return tuple(sorted(f.id for f in advice.serious_findings(changed).values() if advice._claims(f) - before))


def _check(m: model.Model, ctx: advice.Context, problem: advice.Problem | None, eds) -> bool:
    """Compare the overlay with the rebuild for one change; False when the change does not apply."""
    try:
        full = model.build(edits.apply_changes(m.inventory, eds))
    except edits.EditError:
        with pytest.raises(edits.EditError):
            overlay.patch(m, eds)
        return False
    changed = ctx.changed(m, eds)
    before = frozenset(m.ids)
    # the answers first, on the patched model as the search gets it (the tables it copies lazily not yet made)
    if problem is not None:
        assert changed.resolved(problem, before) == advice.resolved(full, problem, before)
    serious = ctx.serious_of(m)
    assert changed.new_findings(serious) == _full_new_findings(m, serious, full)
    for x in full.ids:
        assert changed.ub(x) == full.recover((x,)).unrecoverable, x
    _same_model(changed.model, full)
    for x in full.ids:
        assert changed.model.dependencies_of(x) == full.dependencies_of(x), x
    for table in ("components", "dependencies", "backups", "restore_tests"):  # built when first read
        pd.testing.assert_frame_equal(getattr(changed.model.inventory, table), getattr(full.inventory, table))
    return True


def _random_edits(m: model.Model, rnd: random.Random) -> list:
    """A few random edits of every kind a fix makes (rows added and removed, restore targets, protection, new
    components and backups); some do not apply, which both paths must say."""
    ids = list(m.ids)
    out = []
    for _ in range(rnd.randint(1, 3)):
        op = rnd.choice(("add_dep", "remove_dep", "restore_to", "protect", "new", "backup", "admin"))
        if op == "add_dep":
            c, t = rnd.sample(ids, 2)
            out.append(edits.add_dependency(component=c, depends_on=t))
        elif op == "admin":
            c, t = rnd.sample(ids, 2)
            out.append(edits.add_dependency(component=c, depends_on=t, kind="admin"))
        elif op == "remove_dep":
            rows = sorted(m.row_kinds)
            if rows:
                c, t = rnd.choice(rows)
                out.append(edits.remove_dependency(component=c, depends_on=t))
        elif op == "restore_to" and m.backup:
            b = rnd.choice(sorted(m.backup))
            out.append(edits.set_value("backups", b, "restore_to", rnd.choice([None, *ids])))
        elif op == "protect" and m.backup:
            b = rnd.choice(sorted(m.backup))
            out.append(edits.set_value("backups", b, rnd.choice(("immutable", "offline")), rnd.random() < 0.5))
        elif op == "new":
            n = f"new-x{len(out)}"
            out.append(edits.add_component(id=n, kind=rnd.choice(("backup_store", "kms", "credentials", "other"))))
            out.append(edits.add_dependency(component=n, depends_on=rnd.choice(ids)))
            c = rnd.choice(ids)
            if c != n:
                out.append(edits.add_dependency(component=c, depends_on=n))
        elif op == "backup" and m.assets:
            a = rnd.choice(m.assets)
            row = {"id": f"new-bk{len(out)}", "protects": a}
            if rnd.random() < 0.5:
                row["restore_to"] = rnd.choice([x for x in ids if x != a])
            if rnd.random() < 0.5:
                row["immutable"] = True
            out.append(edits.add_backup(**row))
            out.append(edits.add_dependency(component=row["id"], depends_on=rnd.choice(ids)))
    return out


def _search_candidates(m: model.Model, ctx: advice.Context, findings) -> list[tuple[advice.Problem, tuple]]:
    """The candidate change sets the fix search generates for the estate's serious coupling findings."""
    out = []
    for f in findings:
        if f.severity not in advice.FIX_SEVERITIES:
            continue
        problem = advice.problem_of(m, f)
        if problem is None:
            continue
        runs = advice._strike_runs(m, problem)
        for a in problem.assets[:2]:
            for changes in advice._candidates(m, problem, a, runs, ctx)[:6]:
                t = advice._compile(m, changes, ctx)
                if t.edits:
                    out.append((problem, t.edits))
    return out


def _estate(m: model.Model):
    findings = advice.findings_of(m, coupling.analyze(m, pairs=False, survival=False))
    return findings, advice.Context.of(m, findings)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_search_candidates_on_synthetic_estates(seed, tmp_path):
    """Every candidate the search makes on a synthetic estate: patched model, resolved and new findings equal."""
    synth.write_estate(tmp_path, 200, seed, history_days=0)
    m = model.build(inventory.load(tmp_path))
    findings, ctx = _estate(m)
    cands = _search_candidates(m, ctx, findings)
    assert cands, "the estate has serious findings with candidates"
    rnd = random.Random(seed)
    checked = 0
    for problem, eds in rnd.sample(cands, min(len(cands), 25)):
        checked += _check(m, ctx, problem, eds)
    assert checked


@pytest.mark.parametrize("seed", [4, 5])
def test_random_edits_on_synthetic_estates(seed, tmp_path):
    """Random edits of every kind on a synthetic estate: the overlay answers as a rebuild does."""
    synth.write_estate(tmp_path, 200, seed, history_days=0)
    m = model.build(inventory.load(tmp_path))
    findings, ctx = _estate(m)
    problems = [p for p in (advice.problem_of(m, f) for f in findings) if p is not None]
    rnd = random.Random(seed)
    applied = 0
    for _ in range(30):
        applied += _check(m, ctx, rnd.choice(problems) if problems else None, _random_edits(m, rnd))
    assert applied


@pytest.mark.parametrize("replayed", [True, False])
def test_patch_falls_back_to_the_whole_tables_when_the_cut_cannot_replay(tmp_path, monkeypatch, replayed):
    """Where the staged edits cannot cut the tables (``Staged.cut`` says None: an id on two rows), the change is
    replayed on the estate's rows it touches (``overlay._touched_tables``); when that cannot be done either the
    whole changed tables are cut instead. Every path gives the same model."""
    synth.write_estate(tmp_path, 200, 4, history_days=0)
    m = model.build(inventory.load(tmp_path))
    findings, ctx = _estate(m)
    monkeypatch.setattr(edits.Staged, "cut", lambda self, *args, **kw: None)
    if not replayed:
        def refuse(cut, eds):
            raise edits.EditError("not replayed on the cut")

        monkeypatch.setattr(overlay, "_replay", refuse)
    rnd = random.Random(4)
    assert sum(_check(m, ctx, None, _random_edits(m, rnd)) for _ in range(10))


@pytest.mark.parametrize("seed", [8, 9])
def test_cut_from_the_staged_edits_equals_the_replayed_cut(seed, tmp_path, monkeypatch):
    """``Staged.cut`` (the touched rows read from the staged edits) gives the very frames the replay of the edits
    on the touched rows gives (``overlay._touched_tables``, the slower reading it replaced): same rows, order,
    cells and types, for the search's own candidates and random edits; and its columns of values (what the
    search cuts, ``records=True``) build the same model as those frames."""
    synth.write_estate(tmp_path, 200, seed, history_days=0)
    m = model.build(inventory.load(tmp_path))
    findings, ctx = _estate(m)
    compared = []

    def both(inv, staged, eds, t_comp, t_rows, t_bk):
        got = cut(inv, staged, eds, t_comp, t_rows, t_bk)  # the search's: columns of values (RecordTable)
        want = overlay._touched_tables(inv, staged, eds, t_comp, t_rows, t_bk)
        frames = staged.cut(overlay._needed(staged, t_comp, t_rows, t_bk), t_rows, t_bk)
        for table in ("components", "dependencies", "backups", "restore_tests"):
            pd.testing.assert_frame_equal(getattr(frames, table), getattr(want, table))
        light, full = model.Model(got), model.Model(want)
        for attr in _ATTRS:
            assert getattr(light, attr) == getattr(full, attr), attr
        compared.append(len(got.components) + len(got.dependencies) + len(got.backups))
        return got

    cut = overlay._cut
    monkeypatch.setattr(overlay, "_cut", both)
    rnd = random.Random(seed)
    cands = _search_candidates(m, ctx, findings)
    for _, eds in rnd.sample(cands, min(len(cands), 10)):
        _check(m, ctx, None, eds)
    for _ in range(20):
        eds = _random_edits(m, rnd)
        for _ in range(rnd.randint(0, 2)):  # cells set on the estate's components and on added ones
            added = [e.fields["id"] for e in eds if e.op == "add_component"]
            c = rnd.choice([*added, *m.ids])
            column, value = rnd.choice([("tier", rnd.choice([None, 1, 3])), ("data_gb", rnd.choice([None, 12.5])),
                                        ("failure_probability", 0.2), ("kind", "service"), ("owner", "ops")])
            eds.append(edits.set_value("components", c, column, value))
        _check(m, ctx, None, eds)
    assert len(compared) >= 20 and sum(compared)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_estates(), st.integers(0, 10_000))
def test_random_edits_on_small_estates(estate, seed):
    """Hypothesis' small estates (groups, quorums, cycles, restore targets, backups of backups, admin rows)."""
    m = model.build(inventory_of(*estate))
    findings, ctx = _estate(m)
    problems = [p for p in (advice.problem_of(m, f) for f in findings) if p is not None]
    rnd = random.Random(seed)
    for _ in range(3):
        _check(m, ctx, rnd.choice(problems) if problems else None, _random_edits(m, rnd))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_estates(), st.integers(0, 10_000))
def test_recovery_within_a_closure_is_the_whole_recovery(estate, seed):
    """``Model.lost_within`` on an asset's closure (or a union of closures) tells exactly which of its assets the
    whole estate's ``recover`` leaves unrecoverable, for random failure sets."""
    m = model.build(inventory_of(*estate))
    if not m.assets:
        return
    rnd = random.Random(seed)
    for _ in range(4):
        failed = frozenset(rnd.sample(m.ids, rnd.randint(1, min(3, len(m.ids)))))
        whole = set(m.recover(failed).unrecoverable)
        picked = rnd.sample(m.assets, rnd.randint(1, len(m.assets)))
        scope = frozenset().union(*(m.closure(a) for a in picked))
        lost, walked = m.lost_within(failed, scope)
        assert set(lost) == whole & scope
        assert walked >= (len(failed & scope) if lost else 0)


@pytest.mark.parametrize("seed", [6, 7])
def test_judged_on_closures_equals_a_full_recovery(seed, tmp_path):
    """The overlay's per-closure judgement (``Changed._judged``) equals ``recover`` of the rebuilt estate for
    multi-component failure sets (stolen credentials' destroyed sets and random sets)."""
    synth.write_estate(tmp_path, 200, seed, history_days=0)
    m = model.build(inventory.load(tmp_path))
    findings, ctx = _estate(m)
    rnd = random.Random(seed)
    judged = 0
    for _ in range(20):
        eds = _random_edits(m, rnd)
        try:
            full = model.build(edits.apply_changes(m.inventory, eds))
        except edits.EditError:
            continue
        changed = ctx.changed(m, eds)
        sets = [frozenset(rnd.sample(full.ids, 3)) for _ in range(3)]
        sets += [coupling.credential_compromise(full, (k,)).destroyed
                 for k in rnd.sample([k for k in full.ids if full.kind[k] in coupling.ESCALATION_KINDS], 2)]
        for failed in sets:
            got = changed._judged(failed)
            if got is not None:
                judged += 1
                assert got == full.recover(failed).unrecoverable
            assert changed.lost(failed) == full.recover(failed).unrecoverable
    assert judged


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_estates(), st.integers(0, 10_000))
def test_base_claims_anew_equals_the_plain_reading(estate, seed):
    """``Base._claims_anew`` (a tier table and the claims indexed by rule and cause) answers as the plain reading
    ``overlay._claims_anew`` does, for random losses and random claim sets, tiers missing or odd included."""
    m = model.build(inventory_of(*estate))
    rnd = random.Random(seed)
    ids = list(m.ids)
    for x in ids:  # tiers 1 and 2 are serious, the rest not; an unknown tier is medium; the best (lowest) counts
        m.tier[x] = rnd.choice([None, 0, 1, 2, 3, 4, 5])
    base = overlay.Base(m)
    rules = [("domain", x) for x in ids[:3]] + [("scenario", "s"), ("logical_corruption", "")]
    for _ in range(4):
        before = frozenset((r, c, a) for r, c in rules for a in ids if rnd.random() < 0.6)
        for _ in range(6):
            rule, cause = rnd.choice(rules)
            lost = tuple(sorted(rnd.sample(ids, rnd.randint(0, len(ids)))))
            assert base._claims_anew(rule, cause, lost, before) == overlay._claims_anew(m, rule, cause, lost, before)


@given(st.lists(st.sampled_from([f"a{i:02d}" for i in range(80)]), unique=True),
       st.lists(st.sampled_from([f"a{i:02d}" for i in range(80)]), unique=True))
def test_meets_is_the_set_intersection(lost, assets):
    """``overlay._meets`` (binary searches for a few assets, one pass for many) says what ``set(lost) & assets``
    says, on both sides of its switch."""
    lost = tuple(sorted(lost))
    assert overlay._meets(lost, tuple(assets)) == bool(set(lost).intersection(assets))


def test_record_cut_builds_the_model_the_frame_cut_builds(tmp_path, monkeypatch):
    """Every cut the fix search makes on a synthetic estate (``Staged.cut(records=True)``: columns of Python
    values, no frame) builds the same model as the same cut as pandas frames, attribute by attribute."""
    synth.write_estate(tmp_path / "estate", 300, seed=11, history_days=2)
    m = model.build(inventory.load(tmp_path / "estate"))
    original = edits.Staged.cut
    seen = []

    def both(self, components, rows_of, backups, *, records=False):
        got = original(self, components, rows_of, backups, records=records)
        if records and got is not None:
            frames = original(self, components, rows_of, backups)
            assert isinstance(got.components, edits.RecordTable)
            light, full = model.Model(got), model.Model(frames)
            for attr in _ATTRS:
                assert getattr(light, attr) == getattr(full, attr), attr
            seen.append(len(got.components))
        return got

    monkeypatch.setattr(edits.Staged, "cut", both)
    findings = advice.findings_of(m, coupling.analyze(m, pairs=False, survival=False))
    advice.attach_fixes(m, findings)
    assert len(seen) > 20


def test_record_table_reads_cells_as_a_frame_column_does():
    """``RecordTable.of`` gives the values ``Series.tolist`` gives for each column type of the inventory tables
    (empty float NaN, empty integer NA, flags), and declines a cell it does not cover (a frame is built then)."""
    frame = pd.DataFrame({"id": pd.Series([], dtype=object), "size": pd.Series([], dtype="float64"),
                          "needs": pd.Series([], dtype="Int64"), "flag": pd.Series([], dtype=bool)})
    rows = [{"id": "a", "size": 2, "needs": 3, "flag": True}, {"id": "b"}, {"id": None, "size": None, "needs": None}]
    table = edits.RecordTable.of(frame, rows)
    built = edits.append_rows(frame, rows)
    for column in frame.columns:
        light, full = table[column].tolist(), built[column].tolist()
        assert [type(v) for v in light] == [type(v) for v in full], column
        assert [("nan" if v != v else v) if v is not pd.NA else "NA" for v in light] == \
            [("nan" if v != v else v) if v is not pd.NA else "NA" for v in full], column
    assert table["id"].iloc[[2, 0]].tolist() == built["id"].iloc[[2, 0]].tolist()
    assert edits.RecordTable.of(frame, [{"id": "c", "needs": 1.5}]) is None


_COPIED = ("kind", "requires", "groups", "rows_on", "_rdeps", "backup", "backups_of", "_backup_order")


@pytest.mark.parametrize("seed", [10, 11])
def test_reused_copies_equal_fresh_copies_entry_for_entry_and_in_order(seed, tmp_path, monkeypatch):
    """Candidates evicted from the cache hand their dict copies to the next patch (``overlay._copy_of``): each
    patched model's copies equal, in order, those of a patch made from scratch; a candidate still held by a
    caller keeps its own, untouched, however many candidates come after it."""
    synth.write_estate(tmp_path, 200, seed, history_days=0)
    m = model.build(inventory.load(tmp_path))
    findings, ctx = _estate(m)
    reused = []
    real = overlay._copy_of

    def counting(table, name, spares, copied):
        reused.append(bool(spares) and name in spares)
        return real(table, name, spares, copied)

    monkeypatch.setattr(overlay, "_copy_of", counting)
    rnd = random.Random(seed)
    cands = [eds for _, eds in _search_candidates(m, ctx, findings)]
    cands += [e for e in (_random_edits(m, rnd) for _ in range(40)) if e]
    held = None
    for n, eds in enumerate(cands):
        try:
            fresh, _ = overlay.patch(m, eds)
        except edits.EditError:
            continue
        changed = ctx.changed(m, eds)
        for name in _COPIED:
            assert list(getattr(changed.model, name).items()) == list(getattr(fresh, name).items()), (n, name)
        if held is None:
            held, held_items = changed, {name: list(getattr(fresh, name).items()) for name in _COPIED}
    assert any(reused), "evicted candidates' copies were reused"
    for name in _COPIED:
        assert list(getattr(held.model, name).items()) == held_items[name], name
