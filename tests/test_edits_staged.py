"""The staged compile and apply (``edits.Staged``) answer exactly as the frame-by-frame version did.

``edits_reference`` keeps the version of main 70d6068: every edit applied to
whole frames, every change but the last of a candidate applied to a new
inventory, every what-if change reading frames. Random change sets and raw
edits (many of them wrong on purpose) must give the same edits, the same
error text, and the same changed tables, cell for cell.
"""

from __future__ import annotations

import random

import edits_reference as ref
import pandas as pd
import pytest
from hiddenspof import edits, inventory, synth, whatif
from hiddenspof.inventory import KINDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_coupling import small_estates
from test_model import inventory_of

_TABLES = ("components", "dependencies", "backups", "restore_tests")


def _cells(frame: pd.DataFrame) -> list[tuple]:
    """Every cell with its type (None, NaN and NA told apart), row by row."""
    return [tuple((type(v).__name__, repr(v)) for v in row) for row in frame.itertuples(index=False)]


def _same_inventory(got, want) -> None:
    assert got.meta == want.meta and got.backup_runs is want.backup_runs
    for t in _TABLES:
        g, w = getattr(got, t), getattr(want, t)
        assert list(g.columns) == list(w.columns), t
        assert g.dtypes.to_dict() == w.dtypes.to_dict(), t
        assert g.index.equals(w.index), t
        pd.testing.assert_frame_equal(g, w, check_exact=True)
        assert _cells(g) == _cells(w), t


def _outcome(fn, *args, **kw):
    try:
        return "ok", fn(*args, **kw)
    except Exception as err:  # noqa: BLE001 - the error (type and text) is what is compared
        return "error", (type(err).__name__, str(err))


def _same_compile(inv, changes, result: bool) -> None:
    got = _outcome(whatif.compile_changes, inv, changes, result=result)
    want = _outcome(ref.compile_changes, inv, changes, result=result)
    assert got[0] == want[0], (got, want)
    if got[0] == "error":
        assert got[1] == want[1]
        return
    assert got[1][0] == want[1][0]
    if result:
        _same_inventory(got[1][1], want[1][1])
    else:
        assert got[1][1] is None and want[1][1] is None


def _same_apply(inv, todo) -> None:
    got = _outcome(edits.apply_changes, inv, todo)
    want = _outcome(ref.apply_changes, inv, todo)
    assert got[0] == want[0], (got, want)
    if got[0] == "error":
        assert got[1] == want[1]
        assert _outcome(edits.check_changes, inv, todo) == ("error", want[1])
    else:
        _same_inventory(got[1], want[1])
        assert edits.check_changes(inv, todo) is None


def _palette(inv, rnd: random.Random, k: int) -> list:
    """``k`` random what-if changes naming the inventory's ids, the ids earlier changes add, and ids that are
    not there."""
    comps = list(inv.components["id"])
    bks = list(inv.backups["id"])
    deps = inv.dependencies
    pairs = list(zip(deps["component"], deps["depends_on"]))
    names = comps + bks + ["ghost", "new-site", "new-vault"]
    names += [f"new-{a}-offline-copy" for a in comps[:3]] + [f"new-{a}-offline-vault" for a in comps[:3]]
    kinds = list(KINDS)

    def name() -> str:
        return rnd.choice(names)

    def pair() -> tuple[str, str]:
        return rnd.choice(pairs) if pairs and rnd.random() < 0.8 else (name(), name())

    makers = [
        lambda: whatif.Repoint(*pair(), new=name()),
        lambda: whatif.Repoint(pair()[0], rnd.choice([None, name()]), rnd.choice(["new-site", name()]),
                               new_kind=rnd.choice([None, "site", "backup_store", "nope"]),
                               place=tuple(rnd.sample(names, rnd.randint(0, 2)))),
        lambda: whatif.Repoint(rnd.choice(bks or names), rnd.choice([None, name()]), name()),
        lambda: whatif.SetProtection(rnd.choice(bks + ["ghost"]), rnd.choice([None, True, False]),
                                     rnd.choice([None, True, False])),
        lambda: whatif.SetVerification(rnd.choice(bks + ["ghost", "new-c0-offline-copy"]),
                                       rnd.choice(["restore_test", "dr_drill", "checksum", "bogus"]),
                                       rnd.random() < 0.7),
        lambda: whatif.AddOfflineCopy(name(), restore_to=rnd.choice([None, name()]),
                                      store=rnd.choice([None, None, name()]),
                                      restore_mb_s=rnd.choice([None, 100.0, -1.0]),
                                      place=tuple(rnd.sample(names, rnd.randint(0, 2))),
                                      offline=rnd.random() < 0.7),
        lambda: whatif.AddComponent(rnd.choice(["new-site", "new-vault", name()]), rnd.choice(kinds + ["nope"]),
                                    place=tuple(rnd.sample(names, rnd.randint(0, 2))),
                                    platform=rnd.choice([None, "aws"])),
        lambda: whatif.AddRecoverySite(tuple(rnd.sample(names, rnd.randint(0, 3))),
                                       name=rnd.choice(["new-recovery-site", name()]),
                                       place=tuple(rnd.sample(names, rnd.randint(0, 1))),
                                       kind=rnd.choice(["site", "other"])),
        lambda: whatif.ScaleCapacity(name(), rnd.choice([2.0, 0.5, -1.0, 3])),
        lambda: whatif.LeaveDomain(*pair()),
        lambda: whatif.SeparateAdminAccount(*pair()),
    ]
    return [rnd.choice(makers)() for _ in range(k)]


def _raw_edits(inv, rnd: random.Random, k: int) -> list:
    """``k`` random edits, right or wrong, on the inventory's ids."""
    comps = list(inv.components["id"]) + ["ghost", "x-new"]
    bks = list(inv.backups["id"]) + ["ghost", "bk-new"]
    deps = inv.dependencies.to_dict("records")
    out = []
    for _ in range(k):
        op = rnd.choice(["add_component", "add_dependency", "remove_dependency", "add_backup", "set",
                         "add_restore_test"])
        if op == "add_component":
            out.append(edits.add_component(id=rnd.choice(comps), kind=rnd.choice(["site", "service", "nope"])))
        elif op == "add_dependency":
            row = dict(component=rnd.choice(comps), depends_on=rnd.choice(comps),
                       kind=rnd.choice([None, "admin", "storage"]))
            if rnd.random() < 0.4:
                row["group"] = rnd.choice(["g", "h"])
                if rnd.random() < 0.5:
                    row["needs"] = rnd.randint(1, 3)
            out.append(edits.add_dependency(**{k: v for k, v in row.items() if v is not None}))
        elif op == "remove_dependency":
            if deps and rnd.random() < 0.8:
                r = rnd.choice(deps)
                row = {"component": r["component"], "depends_on": r["depends_on"]}
                if rnd.random() < 0.5 and isinstance(r["group"], str):
                    row["group"] = r["group"]
                if rnd.random() < 0.3:
                    row["kind"] = rnd.choice(["admin", "storage"])
            else:
                row = {"component": rnd.choice(comps), "depends_on": rnd.choice(comps)}
            out.append(edits.remove_dependency(**row))
        elif op == "add_backup":
            row = dict(id=rnd.choice(bks + comps), protects=rnd.choice(comps))
            if rnd.random() < 0.5:
                row["restore_to"] = rnd.choice(comps)
            if rnd.random() < 0.5:
                row["schedule_hours"] = rnd.choice([1.0, 12.0, 48.0])
            out.append(edits.add_backup(**row))
        elif op == "set":
            table = rnd.choice(["components", "backups", "dependencies"])
            column = rnd.choice({"components": ["kind", "tier", "throughput_mb_s", "max_parallel_restores", "name",
                                                "id", "nope"],
                                 "backups": ["immutable", "offline", "restore_to", "protects", "schedule_hours",
                                             "verification"],
                                 "dependencies": ["kind"]}[table])
            value = rnd.choice({"kind": ["site", "nope"], "tier": [1, 2, None], "throughput_mb_s": [50.0, -1, None],
                                "max_parallel_restores": [2, 1.5], "name": ["x", None], "id": ["y"], "nope": [1],
                                "immutable": [True, "no", "maybe"], "offline": [False, True],
                                "restore_to": [None, rnd.choice(comps)], "protects": [rnd.choice(comps)],
                                "schedule_hours": [6.0, None], "verification": ["checksum", "bogus"]}[column])
            out.append(edits.set_value(table, rnd.choice(bks if table == "backups" else comps), column, value))
        else:
            out.append(edits.add_restore_test(backup=rnd.choice(bks), tested_at="2024-01-02",
                                              result=rnd.choice(["pass", "fail", "bogus"])))
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_estates(), st.integers(0, 2**32 - 1), st.integers(1, 5), st.booleans())
def test_staged_compile_equals_the_frame_by_frame_compile(estate, seed, k, result):
    """Random what-if change sets compile to the same edits, errors and changed inventory as before."""
    inv = inventory_of(*estate)
    changes = _palette(inv, random.Random(seed), k)
    _same_compile(inv, changes, result)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_estates(), st.integers(0, 2**32 - 1), st.integers(1, 8))
def test_staged_apply_equals_the_frame_by_frame_apply(estate, seed, k):
    """Random edit lists (many wrong on purpose) apply to the same tables, or fail with the same text."""
    inv = inventory_of(*estate)
    _same_apply(inv, _raw_edits(inv, random.Random(seed), k))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("staged") / "estate"
    synth.write_estate(folder, 200, seed=7, history_days=2, health=0.5)
    return inventory.load(folder)


@pytest.mark.parametrize("seed", range(4))
def test_the_search_candidates_compile_as_before_on_a_synthetic_estate(synthetic, seed):
    """The advice's own candidates, alone and in random sets of up to four, compile as before (twice on one
    inventory, so the cached index of its rows is read again)."""
    inv = synthetic
    cands = [ch for ch, _ in whatif.candidates(inv)]
    assert cands
    rnd = random.Random(seed)
    sets = [[ch] for ch in cands[seed::4]]
    sets += [rnd.sample(cands, min(len(cands), rnd.randint(2, 4))) for _ in range(20)]
    sets += [_palette(inv, rnd, rnd.randint(1, 4)) for _ in range(20)]
    for changes in sets:
        for result in (False, True):
            _same_compile(inv, changes, result)
    for _ in range(20):
        _same_apply(inv, _raw_edits(inv, rnd, rnd.randint(1, 6)))


@pytest.mark.parametrize("name", ["hybrid-enterprise", "synthetic"])
def test_backup_rows_read_at_once_equal_one_iloc_per_row(name, synthetic):
    """_Base.read_backup_rows (what Staged.apply does before thousands of set edits) caches every row with the
    cells, and their types, that one ``iloc`` per row gives."""
    from conftest import SAMPLES

    inv = synthetic if name == "synthetic" else inventory.load(SAMPLES[name])
    base = edits._Base(inv.components, inv.dependencies, inv.backups)
    positions = list(range(len(inv.backups)))
    base.read_backup_rows(positions[::2] + positions[::3])
    want = [inv.backups.iloc[i].to_dict() for i in positions]
    got = [base.backup_row(i) for i in positions]
    assert [[(k, type(v).__name__, repr(v)) for k, v in r.items()] for r in got] == \
        [[(k, type(v).__name__, repr(v)) for k, v in r.items()] for r in want]


def _typed(row: dict) -> dict:
    """A row's cells with their types (None, NaN, NA and NaT told apart)."""
    return {k: (type(v).__name__, repr(v)) for k, v in row.items()}


@pytest.mark.parametrize("source", ["hybrid-enterprise", "saas-single-cloud.xlsx", "teaching.yaml", "synth"])
def test_rows_read_by_position_are_the_records_of_the_frame(source, tmp_path):
    """``edits._RowReader`` gives each row exactly as ``iloc[positions].to_dict("records")`` does (same cells,
    same types), for the components and dependencies the fix search reads, on the samples and a synthetic estate."""
    from pathlib import Path

    if source == "synth":
        synth.write_estate(tmp_path, 300, 5, history_days=0)
        inv = inventory.load(tmp_path)
    else:
        inv = inventory.load(Path(__file__).resolve().parents[1] / "data" / source)
    for frame in (inv.components, inv.dependencies, inv.backups):
        reader = edits._RowReader(frame)
        positions = list(range(len(frame)))[::-1]
        expected = frame.iloc[positions].to_dict("records")
        assert [_typed(reader.row(i)) for i in positions] == [_typed(r) for r in expected]


def test_rows_read_by_position_keep_the_types_of_every_kind_of_column():
    """Missing cells of every column type come back as ``to_dict("records")`` gives them: NaN in a float column,
    NA in a nullable integer one, NaT for a date, None or NaN as stored in an object column; booleans as bools."""
    frame = pd.DataFrame({
        "text": pd.Series(["a", None, float("nan")], dtype=object),
        "number": [1.5, float("nan"), 3.0],
        "count": pd.array([1, None, 3], dtype="Int64"),
        "flag": [True, False, True],
        "when": pd.to_datetime(["2026-01-01", None, "2026-03-01"]),
        "words": pd.array(["x", None, "z"], dtype="string"),
        "level": pd.Categorical(["lo", "hi", None]),
        "whole": [1, 2, 3],
    })
    reader = edits._RowReader(frame)
    for positions in ([0, 1, 2], [2, 0], [1]):
        expected = frame.iloc[positions].to_dict("records")
        assert [_typed(reader.row(i)) for i in positions] == [_typed(r) for r in expected]
