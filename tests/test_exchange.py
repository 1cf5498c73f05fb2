"""GraphML and Open-PSA MEF export: round trips, names, and fault trees exact against Model.recover."""

from __future__ import annotations

import dataclasses
import itertools
import random
import re
import subprocess
import sys

import networkx as nx
import pytest
from conftest import make_inventory
from hiddenspof import exchange, inventory, model
from hiddenspof.errors import HiddenspofError

KINDS = ("service", "datastore", "site", "account", "identity", "backup_store", "network", "kms")


def estate():
    """A small estate with every feature the exports must carry: groups, a target both grouped and not, restore_to."""
    return make_inventory(
        components=[
            {"id": "orders-db", "kind": "datastore", "tier": 1, "rto_hours": 4, "data_gb": 120.5},
            {"id": "site-a", "kind": "site", "failure_probability": 0.01},
            {"id": "site-b", "kind": "site"},
            {"id": "site-c", "kind": "site"},
            {"id": "vault", "kind": "backup_store", "owner": "ops team"},
            {"id": "idp", "kind": "identity"},
            {"id": "pager", "kind": "alerting"},
        ],
        dependencies=[
            {"component": "orders-db", "depends_on": "site-a", "kind": "location", "group": "sites", "needs": 2},
            {"component": "orders-db", "depends_on": "site-b", "group": "sites", "needs": 2},
            {"component": "orders-db", "depends_on": "site-c", "group": "sites", "needs": 2},
            {"component": "orders-db", "depends_on": "site-a", "kind": "runtime"},
            {"component": "snap", "depends_on": "vault", "kind": "storage"},
            {"component": "vault", "depends_on": "idp", "kind": "identity"},
            {"component": "idp", "depends_on": "site-b"},
        ],
        backups=[
            {"id": "snap", "protects": "orders-db", "method": "snapshot", "immutable": True,
             "restore_to": "site-c", "alert_channel": "pager", "schedule_hours": 24},
            {"id": "idp-export", "protects": "idp", "method": "dump"},
        ],
    )


# -- GraphML -------------------------------------------------------------------------------------


def test_graphml_round_trips_through_networkx(tmp_path):
    """Every component, dependency row and backup edge survives write_graphml + networkx.read_graphml with typed attributes."""
    inv = estate()
    out = exchange.write_graphml(inv, tmp_path / "estate.graphml")
    g = nx.read_graphml(out)
    assert sorted(g.nodes) == sorted(inv.components["id"])
    assert g.nodes["orders-db"]["kind"] == "datastore"
    assert g.nodes["orders-db"]["tier"] == 1 and isinstance(g.nodes["orders-db"]["tier"], int)
    assert g.nodes["orders-db"]["data_gb"] == pytest.approx(120.5)
    assert g.nodes["vault"]["owner"] == "ops team"
    assert "tier" not in g.nodes["vault"]  # empty cells are left out, never written as None
    assert g.nodes["snap"]["backup_immutable"] is True
    assert g.nodes["snap"]["backup_method"] == "snapshot"
    assert g.graph["as_of"] == "2026-09-30"
    edges = [(u, v, d["relation"], d.get("group"), d.get("needs"), d.get("kind")) for u, v, d in g.edges(data=True)]
    assert ("orders-db", "site-a", "depends_on", None, None, "runtime") in edges
    assert ("orders-db", "site-a", "depends_on", "sites", 2, "location") in edges
    assert ("snap", "orders-db", "protects", None, None, None) in edges
    assert ("snap", "site-c", "restore_to", None, None, None) in edges
    assert ("snap", "pager", "alert_channel", None, None, None) in edges
    assert ("idp-export", "idp", "protects", None, None, None) in edges
    assert sum(1 for e in edges if e[2] == "depends_on") == len(inv.dependencies)


def test_graphml_of_each_sample_round_trips(sample_path, tmp_path):
    """A sample estate's GraphML reads back with the same nodes and one edge per dependency row and backup link."""
    inv = inventory.load(sample_path)
    g = nx.read_graphml(exchange.write_graphml(inv, tmp_path / "s.graphml"))
    assert set(g.nodes) == set(inv.components["id"])
    relations = [d["relation"] for _, _, d in g.edges(data=True)]
    admin = int((inv.dependencies["kind"] == "admin").sum())
    assert relations.count("depends_on") == len(inv.dependencies) - admin
    assert relations.count("admin") == admin
    assert relations.count("protects") == len(inv.backups)
    assert relations.count("restore_to") == int(inv.backups["restore_to"].notna().sum())


def test_graphml_shows_admin_rows_as_their_own_relation(tmp_path):
    """A row of kind admin (any case) is an edge of relation 'admin', without group or needs."""
    base = estate()
    deps = base.dependencies.to_dict("records")
    deps += [{"component": "orders-db", "depends_on": "idp", "kind": "Admin", "group": "x", "needs": None},
             {"component": "vault", "depends_on": "idp", "kind": "admin"}]
    inv = make_inventory(components=base.components.to_dict("records"),
                         dependencies=[{k: v for k, v in r.items() if v is not None and v == v} for r in deps],
                         backups=base.backups.to_dict("records"))
    g = nx.read_graphml(exchange.write_graphml(inv, tmp_path / "a.graphml"))
    admin = sorted((u, v, d.get("group"), d.get("kind")) for u, v, d in g.edges(data=True) if d["relation"] == "admin")
    assert admin == [("orders-db", "idp", None, "admin"), ("vault", "idp", None, "admin")]


def test_graphml_is_repeatable(tmp_path):
    """Two exports of the same inventory are byte-identical."""
    a = exchange.write_graphml(estate(), tmp_path / "a.graphml").read_bytes()
    b = exchange.write_graphml(estate(), tmp_path / "b.graphml").read_bytes()
    assert a == b


# -- names ---------------------------------------------------------------------------------------


def test_mef_names_are_valid_unique_identifiers():
    """Free-text ids become MEF identifiers (no '.', no doubled or edge '-'), unique even ignoring case."""
    ids = ["db.prod", "db_prod", "DB_PROD", "9lives", "a--b", "-x-", "naïve name", "ok-id"]
    names = exchange.mef_names(ids)
    assert sorted(names) == sorted(ids)
    assert len({n.lower() for n in names.values()}) == len(ids)
    for n in names.values():
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z0-9_]+)*", n), n
    assert names["ok-id"] == "ok-id"
    assert exchange.mef_names(reversed(ids)) == names


# -- fault trees are exact -------------------------------------------------------------------------


def random_estate(rng: random.Random, n: int, admin: bool = False):
    """A random small estate: dependency rows (cycles allowed), one quorum group, 1-4 backups, some restore_to.

    With ``admin``, also up to four rows of kind ``admin`` (some beside a plain row on the same pair).
    """
    ids = [f"c{i}" for i in range(n)]
    comps = [{"id": c, "kind": rng.choice(KINDS), "failure_probability": round(rng.uniform(0.01, 0.3), 3)} for c in ids]
    deps, seen = [], set()
    for c in ids:
        for _ in range(rng.randint(0, 3)):
            t = rng.choice(ids)
            if t != c and (c, t) not in seen:
                seen.add((c, t))
                deps.append({"component": c, "depends_on": t})
    if rng.random() < 0.6:
        c = rng.choice(ids)
        members = rng.sample([x for x in ids if x != c], 3)
        needs = rng.randint(1, 3)
        deps += [{"component": c, "depends_on": m, "group": "g", "needs": needs} for m in members]
    nb = rng.randint(1, 4)
    backups = []
    for j in range(nb):
        row = {"id": f"b{j}", "protects": rng.choice(ids + [f"b{k}" for k in range(j)])}
        if rng.random() < 0.4:
            row["restore_to"] = rng.choice(ids)
        backups.append(row)
        for _ in range(rng.randint(0, 2)):
            t = rng.choice(ids + [f"b{k}" for k in range(nb) if k != j])
            if (f"b{j}", t) not in seen:
                seen.add((f"b{j}", t))
                deps.append({"component": f"b{j}", "depends_on": t})
    if not deps:
        deps.append({"component": ids[0], "depends_on": ids[1]})
    if admin:
        everyone = ids + [f"b{k}" for k in range(nb)]
        pairs = {(c, t) for c in everyone for t in everyone if c != t}
        for c, t in rng.sample(sorted(pairs), min(4, len(pairs))):
            deps.append({"component": c, "depends_on": t, "kind": "admin"})
    return make_inventory(components=comps, dependencies=deps, backups=backups)


def without_admin_rows(inv):
    """The same inventory with every admin row removed."""
    deps = inv.dependencies[inv.dependencies["kind"] != "admin"].reset_index(drop=True)
    return dataclasses.replace(inv, dependencies=deps)


def assert_exact(m, tree):
    """The tree's top event happens exactly when Model.recover leaves the asset unrecoverable, for every failure set of its events."""
    events = list(tree.events)
    for r in range(len(events) + 1):
        for failed in itertools.combinations(events, r):
            want = tree.asset in m.recover(failed).unrecoverable
            assert exchange.evaluate(tree, failed) == want, (tree.asset, failed)


@pytest.mark.parametrize("seed", range(6))
def test_fault_trees_equal_the_model_on_random_estates(seed):
    """On random estates (cycles, quorums, restore_to, backups of backups) every tree equals recover() on every failure set."""
    rng = random.Random(seed)
    for _ in range(8):
        m = model.build(random_estate(rng, rng.randint(4, 7)))
        trees, skipped = exchange.fault_trees(m)
        assert not skipped
        assert [t.asset for t in trees] == list(m.assets)
        for t in trees:
            assert_exact(m, t)
            assert set(t.events) == set(m.closure(t.asset))


@pytest.mark.parametrize("seed", range(4))
def test_mef_ignores_admin_rows(seed):
    """Admin rows are not requirements: the MEF document is the one of the inventory without them, and still exact."""
    rng = random.Random(100 + seed)
    for _ in range(6):
        inv = random_estate(rng, rng.randint(4, 7), admin=True)
        m = model.build(inv)
        assert exchange.mef_document(m)[0] == exchange.mef_document(model.build(without_admin_rows(inv)))[0]
        for t in exchange.fault_trees(m)[0]:
            assert_exact(m, t)


def test_components_outside_the_tree_cannot_matter():
    """Failing components that are not basic events of an asset's tree never changes that asset's fate."""
    rng = random.Random(99)
    m = model.build(random_estate(rng, 8))
    for t in exchange.fault_trees(m)[0]:
        outside = sorted(set(m.kind) - set(t.events))
        for _ in range(20):
            failed = rng.sample(t.events, rng.randint(0, len(t.events))) + outside
            assert exchange.evaluate(t, failed) == (t.asset in m.recover(failed).unrecoverable)


def test_restore_rounds_unroll_identity_first():
    """An identity restored first opens the path that restores what needs it: the tree needs one round per asset."""
    inv = make_inventory(
        components=[{"id": "app", "kind": "service"}, {"id": "idp", "kind": "identity"}, {"id": "site", "kind": "site"},
                    {"id": "site2", "kind": "site"}],
        dependencies=[{"component": "app", "depends_on": "idp"}, {"component": "app", "depends_on": "site"},
                      {"component": "app-bk", "depends_on": "idp"}, {"component": "idp", "depends_on": "site"}],
        backups=[{"id": "app-bk", "protects": "app", "restore_to": "site2"},
                 {"id": "idp-bk", "protects": "idp", "restore_to": "site2"}],
    )
    m = model.build(inv)
    (tree,) = exchange.fault_trees(m, asset="app")[0]
    assert m.recover(["site"]).unrecoverable == ()
    assert exchange.evaluate(tree, ["site"]) is False  # two rounds: idp, then app
    assert exchange.evaluate(tree, ["site", "idp-bk"]) is True
    assert any("after 1 restore round" in g.label for g in tree.gates)
    assert_exact(m, tree)


def test_quorum_group_becomes_atleast_gate():
    """A 2-of-3 group fails when 2 of its 3 members are down: an ATLEAST gate with min 2."""
    m = model.build(estate())
    (tree,) = exchange.fault_trees(m, asset="orders-db")[0]
    formulas = repr([g.formula for g in tree.gates])
    assert "('atleast', 2," in formulas
    assert_exact(m, tree)


def test_restore_onto_the_asset_itself_never_restores():
    """A backup whose restore_to is the asset it protects gives no recovery: the asset's own failure is a cut set."""
    inv = make_inventory(
        components=[{"id": "db", "kind": "datastore"}, {"id": "st", "kind": "backup_store"}],
        dependencies=[{"component": "bk", "depends_on": "st"}],
        backups=[{"id": "bk", "protects": "db", "restore_to": "db"}],
    )
    m = model.build(inv)
    (tree,) = exchange.fault_trees(m)[0]
    assert exchange.evaluate(tree, ["db"]) is True
    assert exchange.evaluate(tree, ["st"]) is False
    assert_exact(m, tree)


def test_dependency_cycle_is_cut_as_least_fixpoint():
    """identity <-> dns with nothing failed stays up; failing either takes both down and the app with them."""
    inv = make_inventory(
        components=[{"id": "app", "kind": "service"}, {"id": "idp", "kind": "identity"}, {"id": "dns", "kind": "dns"},
                    {"id": "site2", "kind": "site"}],
        dependencies=[{"component": "app", "depends_on": "idp"}, {"component": "idp", "depends_on": "dns"},
                      {"component": "dns", "depends_on": "idp"}, {"component": "bk", "depends_on": "idp"}],
        backups=[{"id": "bk", "protects": "app", "restore_to": "site2"}],
    )
    m = model.build(inv)
    (tree,) = exchange.fault_trees(m)[0]
    assert exchange.evaluate(tree, []) is False
    assert exchange.evaluate(tree, ["dns"]) is True
    assert exchange.evaluate(tree, ["app"]) is False
    assert_exact(m, tree)


# -- the MEF document ------------------------------------------------------------------------------


def test_mef_document_structure():
    """One define-fault-tree per asset, basic events once with probability and component id, names as mapped."""
    m = model.build(estate())
    text, skipped = exchange.mef_document(m)
    assert skipped == []
    assert text.count("<define-fault-tree ") == len(m.assets) == 2
    assert text.count('<define-basic-event name="e-site-a">') == 1
    assert '<float value="0.01"/>' in text
    assert '<attribute name="component" value="orders-db"/>' in text
    assert "<label>orders-db unrecoverable" in text


def test_oversized_tree_is_skipped_with_reason(tmp_path):
    """An asset whose tree exceeds the gate limit is left out, said in an XML comment and in the returned reasons."""
    m = model.build(estate())
    trees, skipped = exchange.fault_trees(m, limit=1)
    assert {s.asset for s in skipped} == {"orders-db"}
    assert "more than 1 gates" in skipped[0].reason
    assert [t.asset for t in trees] == ["idp"]


def test_write_mef_unknown_asset_is_a_clear_error(tmp_path):
    """--asset naming a non-asset raises a HiddenspofError that names it and lists the assets."""
    with pytest.raises(HiddenspofError, match=r"'site-a' is not an asset.*idp, orders-db"):
        exchange.write_mef(estate(), tmp_path / "x.xml", asset="site-a")


def test_write_mef_one_asset(tmp_path):
    """--asset writes only that asset's tree and returns no skips."""
    out = tmp_path / "one.xml"
    assert exchange.write_mef(estate(), out, asset="idp") == []
    text = out.read_text()
    assert text.count("<define-fault-tree ") == 1 and 'name="ft0-idp"' in text


def test_cli_export_both_formats(tmp_path):
    """`hiddenspof export graphml|mef` writes the files and exits 0 on the teaching estate."""
    from conftest import SAMPLES

    src = SAMPLES["teaching"]
    if not src.exists():
        pytest.skip("teaching estate not present")
    for fmt, name in (("graphml", "t.graphml"), ("mef", "t.xml")):
        r = subprocess.run([sys.executable, "-m", "hiddenspof", "export", fmt, str(src), str(tmp_path / name)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / name).stat().st_size > 0
    assert "<opsa-mef>" in (tmp_path / "t.xml").read_text()
