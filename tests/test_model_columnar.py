"""``Model`` built from whole columns gives the indexes the row pass gave, in the same order.

The oracle is ``tests/model_reference.py`` (the row pass ``Model.__init__``
made before). Every index is compared as an ordered list of items (dict
order and list order both count: the analysis iterates them), and the
``networkx`` graph node by node and edge by edge, with attributes and the
order of successors and predecessors.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from hiddenspof import inventory, model, synth
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_reference import reference_rows
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


def test_the_graph_is_built_when_first_asked_for():
    """A built model has no graph until one is asked for; then the same graph object is kept."""
    m = model.build(inventory_of([C("a"), C("b")], [D("a", "b")]))
    assert "_graph" not in m.__dict__
    g = m.graph
    assert m.graph is g and list(g.edges) == [("a", "b")]
