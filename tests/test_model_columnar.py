"""``Model`` built from whole columns gives the indexes the row pass gave, in the same order; its spread
(plain dependants taken as a set) gives the down sets and restore rounds the row-by-row spread gave.

The oracle is ``tests/model_reference.py`` (the row pass ``Model.__init__``
made before). Every index is compared as an ordered list of items (dict
order and list order both count: the analysis iterates them), and the
``networkx`` graph node by node and edge by edge, with attributes and the
order of successors and predecessors.
"""

from __future__ import annotations

import dataclasses
import random

import pandas as pd
import pytest
from hiddenspof import inventory, model, synth
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_reference import (
    reference_down,
    reference_first_down_steps,
    reference_recover,
    reference_rows,
)
from test_coupling import small_estates
from test_model import C, D, inventory_of

_INDEXES = ("requires", "groups", "administered_by", "row_kinds", "rows_on", "directory_relation", "_rdeps")


def _same_rows(inv) -> None:
    m = model.build(inv)
    want = reference_rows(inv)
    for name in _INDEXES:
        assert list(getattr(m, name).items()) == list(want[name].items()), name
    got, ref = m.graph, want["graph"]
    assert list(got.nodes(data=True)) == list(ref.nodes(data=True))
    assert list(got.edges(data=True)) == list(ref.edges(data=True))
    for v in ref:
        assert list(got.predecessors(v)) == list(ref.predecessors(v)), v
    # the adjacency read without the graph: the graph's neighbours in the graph's order, the same nodes
    fresh = model.build(inv)
    adj = fresh.adjacency
    for v in ref:
        assert v in adj
        assert list(adj.succ[v]) == list(ref.successors(v)), v
        assert list(adj.pred[v]) == list(ref.predecessors(v)), v
    assert "nobody-has-this-id" not in adj
    with pytest.raises(KeyError):
        adj.succ["nobody-has-this-id"]
    assert "_graph" not in fresh.__dict__  # the adjacency never builds the graph


_BASE = inventory_of([C("a")])


@st.composite
def row_tables(draw):
    """Random rows, made as tables (past the loader, which takes each row once and checks ``needs``): ids out
    of code-point order, repeated rows, a target both ungrouped and grouped, several groups per component with
    and without ``needs`` (and disagreeing ``needs``), admin rows with and without directory notes."""
    n = draw(st.integers(1, 7))
    ids = draw(st.lists(st.sampled_from(["a", "B", "b-2", "b10", "b9", "Z", "z", "x.y", "é", "c_1"]),
                        min_size=n, max_size=n, unique=True))
    kinds = [draw(st.sampled_from(["service", "datastore", "backup_store", "identity"])) for _ in ids]
    rows = []
    for _ in range(draw(st.integers(0, 16))):
        c, t = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
        shape = draw(st.sampled_from(["plain", "group", "group-needs", "admin", "admin-note", "kinded"]))
        group = draw(st.sampled_from(["g", "h", "G", " g "])) if shape.startswith("group") else None
        needs = draw(st.integers(1, 3)) if shape == "group-needs" else pd.NA
        kind = {"admin": "admin", "admin-note": "admin", "kinded": draw(st.sampled_from(["network", "keys"]))}
        note = draw(st.sampled_from(["directory: MemberOf", "directory: Owns ", "x", None])) \
            if shape == "admin-note" else None
        rows.append((c, t, kind.get(shape), group, needs, note))
    comps = pd.DataFrame({"id": ids, "kind": kinds, "data_gb": [float("nan")] * n,
                          "tier": pd.array([pd.NA] * n, dtype="Int64"), "failure_probability": [float("nan")] * n})
    deps = pd.DataFrame(rows, columns=["component", "depends_on", "kind", "group", "needs", "notes"]).astype(
        {"component": object, "depends_on": object, "kind": object, "group": object, "notes": object})
    deps["needs"] = pd.array(list(deps["needs"]), dtype="Int64")
    return dataclasses.replace(_BASE, components=comps, dependencies=deps, backups=_BASE.backups.iloc[0:0])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row_tables())
def test_columns_give_the_row_pass_indexes_on_random_rows(inv):
    """Every index and the graph equal the row pass's on random rows (orders included)."""
    _same_rows(inv)


@pytest.mark.parametrize("path", ["teaching.yaml", "hybrid-enterprise", "saas-single-cloud.xlsx"])
def test_columns_give_the_row_pass_indexes_on_the_samples(path):
    """The samples (admin rows, directory notes, groups, quorums) give the row pass's indexes."""
    from conftest import DATA

    _same_rows(inventory.load(DATA / path))


@pytest.mark.parametrize(("size", "seed", "health"), [(300, 3, None), (400, 8, 0.3)])
def test_columns_give_the_row_pass_indexes_on_synthetic_estates(tmp_path, size, seed, health):
    """Synthetic estates (thousands of rows, groups of every size) give the row pass's indexes."""
    synth.write_estate(tmp_path / "estate", size, seed=seed, history_days=0, health=health)
    _same_rows(inventory.load(tmp_path / "estate"))


def test_the_adjacency_follows_the_rows_of_a_patched_model():
    """A model patched from another (its rows changed) answers from its own rows, not the one it was copied from."""
    from hiddenspof import edits, overlay

    base = model.build(inventory_of([C("a"), C("b"), C("c")], [D("a", "b")]))
    assert list(base.adjacency.succ["a"]) == ["b"]
    patched, _ = overlay.patch(base, [edits.add_dependency(component="a", depends_on="c"),
                                      edits.remove_dependency(component="a", depends_on="b")])
    assert list(patched.adjacency.succ["a"]) == list(patched.graph.successors("a")) == ["c"]
    assert list(patched.adjacency.pred["c"]) == list(patched.graph.predecessors("c")) == ["a"]
    assert list(base.adjacency.succ["a"]) == ["b"]


def test_the_graph_is_built_when_first_asked_for():
    """A built model has no graph until one is asked for; then the same graph object is kept."""
    m = model.build(inventory_of([C("a"), C("b")], [D("a", "b")]))
    assert "_graph" not in m.__dict__
    g = m.graph
    assert m.graph is g and list(g.edges) == [("a", "b")]


# -- the spread and the restore rounds equal the row-by-row ones -----------------------------------------------


def _same_recoveries(m: model.Model, rnd: random.Random, sets: int) -> None:
    ids = list(m.ids)
    strikes = [(x,) for x in ids] + [tuple(rnd.sample(ids, min(len(ids), rnd.randint(2, 6)))) for _ in range(sets)]
    for failed in strikes:
        assert m.recover(failed) == reference_recover(m, failed), failed
    for _ in range(sets):
        forced = set(rnd.sample(ids, min(len(ids), rnd.randint(1, 4))))
        moved = {a: rnd.choice([None, *ids]) for a in rnd.sample(list(m.assets), min(len(m.assets), 3))}
        assert m.down_after(forced, moved) == reference_down(m, forced, moved), (forced, moved)
        undo = [[a] for a in moved]
        rnd.shuffle(undo)
        assert m.first_down_steps(forced, moved, undo) == reference_first_down_steps(m, forced, moved, undo)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_estates(), st.randoms(use_true_random=False), st.sampled_from([0, 2, 256]))
def test_recover_equals_the_row_by_row_rounds_on_random_estates(estate, rnd, columns_from):
    """recover, down_after and first_down_steps equal the row-by-row spread on random small estates, down sets
    grown one at a time and level by level over the numbered columns (from 0 or 2 components on)."""
    saved = model._COLUMN_SPREAD_FROM
    model._COLUMN_SPREAD_FROM = columns_from
    try:
        _same_recoveries(model.build(inventory_of(*estate)), rnd, 10)
    finally:
        model._COLUMN_SPREAD_FROM = saved


@pytest.mark.parametrize("columns_from", [0, 256])
@pytest.mark.parametrize(("size", "seed", "health"), [(300, 4, None), (300, 9, 0.2)])
def test_recover_equals_the_row_by_row_rounds_on_synthetic_estates(tmp_path, monkeypatch, size, seed, health,
                                                                  columns_from):
    """Every single failure and random failure sets, on synthetic estates (groups, quorums, shared sites), with
    every down set grown level by level over the numbered columns (0) and the estate's own mix (256)."""
    monkeypatch.setattr(model, "_COLUMN_SPREAD_FROM", columns_from)
    synth.write_estate(tmp_path / "estate", size, seed=seed, history_days=0, health=health)
    _same_recoveries(model.build(inventory.load(tmp_path / "estate")), random.Random(seed), 60)


def test_recover_equals_the_row_by_row_rounds_on_a_patched_model(tmp_path, monkeypatch):
    """A model from ``overlay.patch`` (its changed targets' reverse rows are plain lists) recovers as the
    row-by-row rounds do on it, and as a rebuild of the changed inventory does."""
    from hiddenspof import edits, overlay

    monkeypatch.setattr(model, "_COLUMN_SPREAD_FROM", 0)  # the base's columns must not be read for changed rows
    synth.write_estate(tmp_path / "estate", 300, seed=2, history_days=0, health=0.3)
    m = model.build(inventory.load(tmp_path / "estate"))
    rnd = random.Random(2)
    ids = list(m.ids)
    changes = [edits.add_dependency(component=c, depends_on=t) for c, t in (rnd.sample(ids, 2) for _ in range(6))]
    changes = [e for e in changes if (e.fields["component"], e.fields["depends_on"]) not in m.row_kinds]
    patched, _ = overlay.patch(m, changes)
    assert any(type(patched._rdeps[e.fields["depends_on"]]) is list for e in changes)
    full = model.build(edits.apply_changes(m.inventory, changes))
    for x in ids:
        assert patched.recover((x,)) == reference_recover(patched, (x,)) == full.recover((x,)), x
    # a change of backups only keeps the rows (and the base's numbered columns, which stay valid)
    changes = [edits.set_value("backups", b, "restore_to", rnd.choice(ids)) for b in rnd.sample(sorted(m.backup), 5)]
    patched, _ = overlay.patch(m, changes)
    assert patched._rdeps is m._rdeps
    full = model.build(edits.apply_changes(m.inventory, changes))
    for x in ids:
        assert patched.recover((x,)) == reference_recover(patched, (x,)) == full.recover((x,)), x


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=120))
def test_first_each_keeps_each_value_once(values):
    """``_first_each`` gives the set ``np.unique`` gives (each value once; the order is free)."""
    import numpy as np

    arr = np.array(values, dtype=np.int64)
    got = model._first_each(arr, np.empty(41, dtype=np.int64))
    assert sorted(got.tolist()) == np.unique(arr).tolist()
