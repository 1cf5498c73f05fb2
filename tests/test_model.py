"""Known-answer tests of the failure model: down-propagation, groups, cycles, restore rounds."""

from __future__ import annotations

import dataclasses
import math

import pytest
from conftest import make_inventory
from hiddenspof import model


def C(id_, kind="service", **kw):
    """A component row."""
    return {"id": id_, "kind": kind, **kw}


def D(comp, on, group=None, needs=None):
    """A dependency row."""
    row = {"component": comp, "depends_on": on}
    if group is not None:
        row["group"] = group
    if needs is not None:
        row["needs"] = needs
    return row


def A(comp, on):
    """An admin row: ``on`` can administer ``comp`` (not a requirement)."""
    return {"component": comp, "depends_on": on, "kind": "admin"}


def B(id_, protects, **kw):
    """A backup row."""
    return {"id": id_, "protects": protects, **kw}


_TMP = ("zz-tmp-a", "zz-tmp-b", "zz-tmp-bk")


def inventory_of(components, dependencies=(), backups=(), **tables):
    """An Inventory from rows; empty tables are allowed.

    The loader currently rejects an empty YAML list (no columns), so a
    placeholder row is added to each table and removed again after loading.
    """
    inv = make_inventory(
        components=[*components, C(_TMP[0]), C(_TMP[1])],
        dependencies=[*dependencies, D(_TMP[0], _TMP[1])],
        backups=[*backups, B(_TMP[2], _TMP[0])],
        **tables,
    )
    comps = inv.components[~inv.components["id"].isin(_TMP)].reset_index(drop=True)
    deps = inv.dependencies[~inv.dependencies["component"].isin(_TMP)].reset_index(drop=True)
    bks = inv.backups[~inv.backups["id"].isin(_TMP)].reset_index(drop=True)
    return dataclasses.replace(inv, components=comps, dependencies=deps, backups=bks)


def build(components, dependencies=(), backups=()):
    """A model from component, dependency and backup rows."""
    return model.build(inventory_of(components, dependencies, backups))


def test_plain_dependencies_propagate_transitively():
    """A failure takes down everything that depends on it, directly or not, and nothing else."""
    m = build([C("a"), C("b"), C("c"), C("x")], [D("a", "b"), D("b", "c")])
    assert m.down({"c"}) == {"a", "b", "c"}
    assert m.down({"b"}) == {"a", "b"}
    assert m.down(set()) == frozenset()


def test_group_needs_one_of_two():
    """A 1-of-2 group survives one member failing and goes down when both fail."""
    m = build([C("a"), C("n1"), C("n2")], [D("a", "n1", "g"), D("a", "n2", "g")])
    assert m.down({"n1"}) == {"n1"}
    assert m.down({"n1", "n2"}) == {"a", "n1", "n2"}


def test_quorum_two_of_three():
    """A 2-of-3 quorum survives one loss and goes down at the second."""
    m = build(
        [C("db"), C("z1"), C("z2"), C("z3")],
        [D("db", "z1", "q", 2), D("db", "z2", "q", 2), D("db", "z3", "q", 2)],
    )
    assert "db" not in m.down({"z1"})
    assert "db" in m.down({"z1", "z3"})


def test_same_target_ungrouped_and_grouped_counts_twice():
    """A target both ungrouped and in a group: its failure breaks the ungrouped row at once."""
    m = build([C("a"), C("n1"), C("n2")], [D("a", "n1"), D("a", "n1", "g"), D("a", "n2", "g")])
    assert "a" in m.down({"n1"})
    assert "a" not in m.down({"n2"})


def test_cycle_with_nothing_forced_stays_up_and_falls_together():
    """identity <-> dns: up when nothing fails; both down when either fails."""
    m = build([C("idp", "identity"), C("dns", "dns"), C("app")], [D("idp", "dns"), D("dns", "idp"), D("app", "idp")])
    assert m.down(set()) == frozenset()
    assert m.down({"dns"}) == {"dns", "idp", "app"}


def test_unknown_id_is_a_clear_error():
    """A failure set naming an unknown id raises UnknownComponentError naming it."""
    m = build([C("a")])
    with pytest.raises(model.UnknownComponentError, match="'nope'"):
        m.down({"nope"})


def test_restore_in_place_needs_own_requirements():
    """Empty restore_to: a failed asset is restored while its own dependencies are up, not when they are down."""
    m = build([C("db", "datastore"), C("site", "site"), C("st", "backup_store")], [D("db", "site")], [B("bk", "db")])
    r = m.recover({"db"})
    assert r.unrecoverable == () and r.final_down == frozenset()
    assert r.waves == ((model.Restore("db", "bk", 1, ("bk",)),),)
    assert m.recover({"site"}).unrecoverable == ("db",)


def test_restore_target_replaces_own_rows():
    """With restore_to T the restored asset runs on T: it is up although its own site stays failed."""
    m = build(
        [C("db", "datastore"), C("s1", "site"), C("s2", "site")],
        [D("db", "s1")],
        [B("bk", "db", restore_to="s2")],
    )
    r = m.recover({"s1"})
    assert r.unrecoverable == ()
    assert r.final_down == {"s1"}
    assert m.recover({"s2", "db"}).unrecoverable == ("db",)


def test_restored_asset_brings_up_dependents_and_opens_paths():
    """Restore order: identity restored in wave 1 opens the path of an asset restored in wave 2."""
    m = build(
        [C("idp", "identity"), C("app", "datastore"), C("tool", "recovery_tool"), C("dr", "site")],
        [D("app", "idp"), D("app-bk", "idp"), D("idp-bk", "dr")],
        [B("idp-bk", "idp", restore_to="dr"), B("app-bk", "app", restore_to="dr")],
    )
    r = m.recover({"idp", "app"})
    assert r.unrecoverable == ()
    assert [[x.asset for x in w] for w in r.waves] == [["idp"], ["app"]]
    assert r.initially_down == {"idp", "app", "app-bk"}


def test_failed_non_asset_stays_failed_and_what_needs_it_stays_down():
    """A failed site without backups stays failed; a service on it (not protected) stays down."""
    m = build([C("s", "site"), C("web")], [D("web", "s")])
    assert m.recover({"s"}).final_down == {"s", "web"}


def test_restore_to_the_asset_itself_never_restores():
    """A backup whose restore_to is the asset cannot restore it."""
    m = build([C("db", "datastore")], [], [B("bk", "db", restore_to="db")])
    assert m.recover({"db"}).unrecoverable == ("db",)


def test_backup_of_a_backup():
    """A backup protected by another backup is an asset and is restored like one."""
    m = build(
        [C("db", "datastore"), C("st", "backup_store"), C("vault", "backup_store")],
        [D("bk1", "st"), D("bk2", "vault")],
        [B("bk1", "db"), B("bk2", "bk1")],
    )
    assert m.assets == ("bk1", "db")
    assert m.recover({"bk1", "db"}).unrecoverable == ()
    assert m.recover({"st", "db"}).unrecoverable == ("bk1", "db")


def test_choice_shortest_solo_restore_then_id_and_alternatives_kept():
    """The chosen backup is the fastest alone (size falls back to data_gb), alternatives are all up paths."""
    m = build(
        [C("db", "datastore", data_gb=100)],
        [],
        [B("slow", "db", restore_mb_s=10), B("fast", "db", restore_mb_s=1000), B("a-unknown", "db")],
    )
    assert m.backup["slow"].size_gb == 100
    assert math.isclose(m.backup["fast"].solo_restore_hours, 100 * 1024 / 1000 / 3600)
    (r,) = m.recover({"db"}).restores
    assert r.backup == "fast" and r.alternatives == ("a-unknown", "fast", "slow")


def test_probability_defaults_by_kind_and_explicit_value():
    """failure_probability is used when given, DEFAULT_PROBABILITY by kind otherwise."""
    m = build([C("s", "site"), C("x", "service", failure_probability=0.5)])
    assert m.probability == {"s": model.DEFAULT_PROBABILITY["site"], "x": 0.5}


def test_graph_edges_and_backups_of():
    """The graph has one edge per depends-on pair with its group, and backups_of is sorted."""
    m = build([C("a"), C("n")], [D("a", "n", "g", 1)], [B("z", "a"), B("y", "a")])
    assert m.graph.edges["a", "n"]["group"] == "g"
    assert m.backups_of == {"a": ("y", "z")}
    assert m.kind["y"] == "backup"


def test_admin_rows_are_not_requirements():
    """An admin row plays no part in down sets, recovery paths, closures or the dependency graph."""
    m = build(
        [C("srv"), C("rmm", "credentials"), C("st", "backup_store")],
        [A("srv", "rmm"), A("bk", "rmm"), D("bk", "st")],
        [B("bk", "srv")],
    )
    assert m.down({"rmm"}) == {"rmm"}
    assert m.recover({"srv", "rmm"}).unrecoverable == ()
    assert m.dependencies_of("srv") == () and m.dependencies_of("bk") == ("st",)
    assert "rmm" not in m.closure("srv")
    assert not m.graph.has_edge("srv", "rmm")
    assert m.administered_by["srv"] == ("rmm",) and m.rows_on["rmm"] == ("bk", "srv")
    assert m.row_kinds[("bk", "st")] == ("plain",) and m.row_kinds[("srv", "rmm")] == ("admin",)


def test_admin_row_beside_a_plain_row_keeps_the_requirement():
    """A pair with both an admin and a plain row: the plain row still takes the component down."""
    m = build([C("srv"), C("ad", "identity")], [A("srv", "ad"), D("srv", "ad")])
    assert m.down({"ad"}) == {"ad", "srv"}
    assert m.row_kinds[("srv", "ad")] == ("admin", "plain")
