"""The bit-packed closure simulator of ``coupling`` equals the boolean one it replaced.

``tests/closure_reference.py`` keeps the simulator that stored one byte per
(component, failure set); the one in ``hiddenspof.coupling`` packs 64 failure
sets into a machine word. On random estates (groups with quorums, several
groups per component, cycles, restore targets, backups of backups) and random
failure sets of every length around a word boundary, both must give the same
down sets before restores, the same final down sets, and the same watched
rows when closures are simulated side by side.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from closure_reference import BoolClosureSimulator, levels_reference
from hiddenspof import coupling, model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_model import A, B, C, D, inventory_of

KINDS = ["service", "datastore", "site", "identity", "network", "backup_store"]


@st.composite
def estates(draw):
    """Random estates of up to a dozen components: quorum groups (several per component), cycles, restores."""
    n = draw(st.integers(2, 8))
    ids = [f"c{i}" for i in range(n)]
    comps = [C(i, draw(st.sampled_from(KINDS)), failure_probability=0.1) for i in ids]
    nb = draw(st.integers(1, 4))
    bids = [f"b{i}" for i in range(nb)]
    backups = []
    for j, b in enumerate(bids):
        row = B(b, draw(st.sampled_from(ids + bids[:j])))
        if draw(st.booleans()):
            row["restore_to"] = draw(st.sampled_from(ids))
        backups.append(row)
    everyone = ids + bids
    deps = []
    for c in everyone:
        used = {c}  # one row per (component, target)
        for g in range(draw(st.integers(0, 2))):  # groups of this component
            members = [t for t in draw(st.lists(st.sampled_from(everyone), min_size=2, max_size=4, unique=True))
                       if t not in used]
            if len(members) >= 2:
                used.update(members)
                needs = draw(st.integers(1, len(members)))
                deps += [D(c, t, f"g{g}", needs) for t in members]
        for t in draw(st.lists(st.sampled_from(everyone), max_size=3, unique=True)):
            if t not in used:
                used.add(t)
                deps.append(D(c, t))
        spare = [t for t in everyone if t not in used]
        if spare and draw(st.booleans()):
            deps.append(A(c, draw(st.sampled_from(spare))))  # admin rows are never requirements
    return comps, deps, backups


def _failures(rng: np.random.Generator, sets: int, width: int) -> np.ndarray:
    """Failure sets x components: mostly sparse (as sampled), a few dense, the first one empty."""
    p = rng.choice([0.05, 0.2, 0.5], size=(sets, 1))
    failed = rng.random((sets, width)) < p
    failed[0] = False
    return failed


SETS = st.sampled_from([1, 2, 63, 64, 65, 130])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates(), SETS, st.integers(0, 2**32 - 1))
def test_one_closure_equals_the_boolean_simulator(estate, sets, seed):
    """Every closure (and the whole estate): the same down sets before and after restores, every column;
    with a watched column, the same down sets before restores and the same final state of that column."""
    m = model.build(inventory_of(*estate))
    rng = np.random.default_rng(seed)
    for nodes in [sorted(m.closure(a)) for a in m.assets] + [sorted(m.ids)]:
        fast, slow = coupling._ClosureSimulator(m, nodes), BoolClosureSimulator(m, nodes)
        failed = _failures(rng, sets, len(nodes))
        d0, d = fast.run(failed)
        w0, w = slow.run(failed)
        assert np.array_equal(d0, w0) and np.array_equal(d, w)
        for col in sorted({nodes.index(a) for a in m.assets if a in nodes} | {0, len(nodes) - 1}):
            d0, d = fast.run(failed, only_down=col)
            w0, w = slow.run(failed, only_down=col)
            assert np.array_equal(d0, w0)
            assert np.array_equal(d[:, col], w[:, col])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates(), SETS, st.integers(0, 2**32 - 1), st.data())
def test_closures_side_by_side_equal_each_alone(estate, sets, seed, data):
    """Blocks of one bit simulator, some pending with failure sets of their own length, the others idle:
    each watched row is what the boolean simulator gives that closure alone."""
    m = model.build(inventory_of(*estate))
    rng = np.random.default_rng(seed)
    assets = list(m.assets)
    closures = [sorted(m.closure(a)) for a in assets]
    sim = coupling._ClosureSimulator(m, [], blocks=closures)
    pending = sorted(data.draw(st.sets(st.integers(0, len(assets) - 1), min_size=1)))
    lengths = {i: data.draw(st.integers(1, sets)) for i in pending}
    failed = np.zeros((sim.n + 2, sets), dtype=bool)
    failed[sim.n + 1] = True
    own = {}
    for i in pending:
        own[i] = _failures(rng, lengths[i], len(closures[i]))
        failed[sim.offsets[i]:sim.offsets[i] + len(closures[i]), :lengths[i]] = own[i].T
    watch = np.array([sim.offsets[i] + closures[i].index(assets[i]) for i in pending], dtype=np.intp)
    d0, d = sim.run_watched(coupling._pack(failed), watch, np.array(pending, dtype=np.intp))
    d0, d = coupling._unpack(d0, sets), coupling._unpack(d, sets)
    for r, i in enumerate(pending):
        col = closures[i].index(assets[i])
        w0, w = BoolClosureSimulator(m, closures[i]).run(own[i], only_down=col)
        assert np.array_equal(d0[r, :lengths[i]], w0[:, col])
        assert np.array_equal(d[r, :lengths[i]], w[:, col])


def test_pack_round_trips():
    """Packing failure sets into words and back loses nothing, whatever the length."""
    rng = np.random.default_rng(7)
    for sets in (1, 7, 8, 63, 64, 65, 200):
        x = rng.random((5, sets)) < 0.5
        bits = coupling._pack(x)
        assert bits.dtype == np.uint64 and bits.shape == (5, -(-sets // 64))
        assert np.array_equal(coupling._unpack(bits, sets), x)


def test_a_synthetic_estate_equals_the_boolean_simulator(tmp_path):
    """A 300-component synthetic estate: each asset's closure under 300 random failure sets."""
    from hiddenspof import inventory, synth

    synth.write_estate(tmp_path / "estate", 300, seed=11, history_days=2)
    m = model.build(inventory.load(tmp_path / "estate"))
    rng = np.random.default_rng(3)
    closures = {a: sorted(m.closure(a)) for a in m.assets}
    restored = 0
    for a, nodes in closures.items():
        failed = _failures(rng, 300, len(nodes))
        col = nodes.index(a)
        d0, d = coupling._ClosureSimulator(m, nodes).run(failed, only_down=col)
        w0, w = BoolClosureSimulator(m, nodes).run(failed, only_down=col)
        assert np.array_equal(d0, w0) and np.array_equal(d[:, col], w[:, col])
        restored += int((w0[:, col] & ~w[:, col]).sum())
    assert restored > 0  # restores really happened


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates())
def test_levels_equal_the_networkx_condensation(estate):
    """The evaluation levels and cycle members (Tarjan, one pass) equal the networkx condensation's."""
    comps, deps, backups = estate
    m = model.build(inventory_of(comps, deps, backups))
    assert coupling._levels(m) == levels_reference(m)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 30), st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=80))
def test_strong_parts_equal_networkx(n, edges):
    """Strongly connected parts of random graphs (self loops, parallel edges) equal networkx's, successors first."""
    succ = [[] for _ in range(n)]
    for u, v in edges:
        if u < n and v < n:
            succ[u].append(v)
    part, parts = coupling._strong_parts(succ)
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from((u, v) for u in range(n) for v in succ[u])
    assert sorted(map(sorted, parts)) == sorted(map(sorted, nx.strongly_connected_components(g)))
    assert all(part[v] == p for p, members in enumerate(parts) for v in members)
    assert all(part[w] <= part[u] for u in range(n) for w in succ[u])  # successors' parts listed first


def test_levels_of_a_synthetic_estate_equal_the_networkx_condensation(tmp_path):
    """The same on a synthetic estate of 2,000 components."""
    from hiddenspof import inventory, synth

    synth.write_estate(tmp_path / "e", 2000, 3, history_days=1)
    m = model.build(inventory.load(tmp_path / "e"))
    assert coupling._levels(m) == levels_reference(m)


def _recovery_cycles_reference(m, limit: int = coupling.MAX_CYCLES):
    """``coupling.recovery_cycles`` as it was: the edges read from a subgraph view of ``Model.graph``."""
    import itertools

    nodes = coupling._recovery_nodes(m)
    sub = nx.DiGraph()
    sub.add_nodes_from(sorted(nodes))
    sub.add_edges_from(sorted((u, v) for u, v in m.graph.subgraph(nodes).edges))
    out = set()
    for cyc in itertools.islice(nx.simple_cycles(sub), limit):
        i = cyc.index(min(cyc))
        out.add(tuple(cyc[i:] + cyc[:i]))
    return tuple(sorted(out))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates(), st.integers(1, 4))
def test_recovery_cycles_equal_the_subgraph_reference(estate, limit):
    """Recovery cycles read from the model's rows equal those of the graph's subgraph view, cut off or not."""
    comps, deps, backups = estate
    m = model.build(inventory_of(comps, deps, backups))
    assert coupling.recovery_cycles(m, limit) == _recovery_cycles_reference(m, limit)
    assert coupling.recovery_cycles(m) == _recovery_cycles_reference(m)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates(), st.data())
def test_rto_inversions_equal_the_graph_descendants_reference(estate, data):
    """RTO inversions read from the model's rows equal those of ``nx.descendants`` of the dependency graph."""
    comps, deps, backups = estate
    comps = [dict(c, rto_hours=data.draw(st.sampled_from([None, 1, 4, 24]))) for c in comps]
    comps = [{k: v for k, v in c.items() if v is not None} for c in comps]
    m = model.build(inventory_of(comps, deps, backups))
    rto = {c["id"]: float(c["rto_hours"]) for c in comps if "rto_hours" in c}
    want = tuple((a, d) for a in m.assets if a in rto
                 for d in sorted(nx.descendants(m.graph, a)) if d in rto and rto[d] > rto[a])
    assert coupling._rto_inversions(m) == want


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.001, 0.02, 0.05, 0.3, 1.0]), min_size=2, max_size=40), st.integers(1, 900))
def test_first_pairs_follow_the_lazy_probability_order(probs, k):
    """``_first_pairs`` gives the first ``k`` pairs of ``_pairs_by_probability`` (ties by ids: here positions)."""
    import itertools

    names = [f"c{i:02d}" for i in range(len(probs))]
    prob = dict(zip(names, sorted(probs, reverse=True)))
    p = np.array([prob[c] for c in names])
    pi, pj, pp = coupling._first_pairs(p, k)
    want = list(itertools.islice(coupling._pairs_by_probability(names, prob), k))
    assert [(names[i], names[j]) for i, j in zip(pi.tolist(), pj.tolist())] == [(x, y) for _, x, y in want]
    assert pp.tolist() == [q for q, _, _ in want]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 9).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n, unique=True))))
def test_the_cyclic_core_holds_every_cycle_and_every_node_of_it_has_edges_in_and_out_within_it(graph):
    """``_cyclic_core`` (where recovery_cycles enumerates first): every node of every simple cycle is in it
    (networkx's own cycles), and nothing more could be taken away (each node left has an edge in and an edge
    out among the nodes left)."""
    n, pairs = graph
    nodes = [f"v{i}" for i in range(n)]
    edges = sorted((nodes[a], nodes[b]) for a, b in pairs)
    core = coupling._cyclic_core(nodes, edges)
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    on_cycles = {v for cyc in nx.simple_cycles(g) for v in cyc}
    assert on_cycles <= core
    assert all(any(u in core for u in g.pred[v]) and any(w in core for w in g.succ[v]) for v in core)
