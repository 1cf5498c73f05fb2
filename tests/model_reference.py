"""The row pass ``Model.__init__`` made before it was built from whole columns, kept as the slow reference.

One Python pass over the dependency rows, then a dict comprehension per
component, and the ``networkx`` graph built edge by edge. ``hiddenspof.model``
now numbers the components and sorts whole columns instead; the two must
give the same indexes, in the same order, and the same graph
(``tests/test_model_columnar.py`` checks that on random estates).
"""

from __future__ import annotations

import networkx as nx
import pandas as pd
from hiddenspof.inventory import DIRECTORY_NOTE, is_admin
from hiddenspof.model import _text, _texts

__all__ = ["reference_rows"]


def reference_rows(inventory) -> dict:
    """The row indexes of ``inventory``'s model as the row pass made them: ``requires``, ``groups``,
    ``administered_by``, ``row_kinds``, ``rows_on``, ``directory_relation``, ``_rdeps`` and ``graph``."""
    comps = inventory.components
    comp_ids = [str(i) for i in comps["id"].tolist()]
    kind = dict(zip(comp_ids, [str(k) for k in comps["kind"].tolist()]))
    ids = tuple(sorted(comp_ids))
    requires: dict[str, list[str]] = {c: [] for c in ids}
    groups: dict[str, dict[str, list]] = {c: {} for c in ids}
    deps = inventory.dependencies
    admin_of: dict[str, set[str]] = {c: set() for c in ids}
    row_kinds: dict[tuple[str, str], set[str]] = {}
    directory_relation: dict[tuple[str, str], str] = {}
    edges: dict[tuple[str, str], dict] = {}
    kinds = deps["kind"].tolist()
    admin_kind = {k: is_admin(k) for k in set(kinds)}
    kind_text = {k: _text(k) for k in admin_kind}
    for comp, target, dkind, group, needs, note in zip(
        deps["component"].tolist(), deps["depends_on"].tolist(), kinds,
        _texts(deps["group"]), deps["needs"].tolist(), deps["notes"].tolist(),
    ):
        comp, target = str(comp), str(target)
        if admin_kind[dkind]:
            admin_of[comp].add(target)
            row_kinds.setdefault((comp, target), set()).add("admin")
            note = _text(note)
            if note and note.startswith(DIRECTORY_NOTE):
                directory_relation[(comp, target)] = note[len(DIRECTORY_NOTE):].strip()
            continue
        row_kinds.setdefault((comp, target), set()).add("plain" if group is None else "grouped")
        if needs is pd.NA:
            needs = None
        if group is None:
            requires[comp].append(target)
        else:
            entry = groups[comp].setdefault(group, [1, []])
            if needs is not None:
                entry[0] = int(needs)
            entry[1].append(target)
        if (comp, target) not in edges:
            edges[(comp, target)] = {
                "kind": kind_text[dkind],
                "group": group,
                "needs": None if group is None else int(needs) if needs is not None else 1,
            }
    graph = nx.DiGraph()
    graph.add_nodes_from((c, {"kind": kind[c]}) for c in ids)
    graph.add_edges_from((u, v, attrs) for (u, v), attrs in edges.items())
    for c in ids:
        requires[c].sort()
    kinds_of = {k: tuple(sorted(v)) for k, v in row_kinds.items()}
    reach: dict[str, list[str]] = {c: [] for c in ids}
    for comp, target in kinds_of:
        reach[target].append(comp)
    group_table = {
        c: tuple((g, n, tuple(sorted(m))) for g, (n, m) in sorted(groups[c].items()))
        for c in ids
    }
    rdeps: dict[str, list[tuple[str, int]]] = {c: [] for c in ids}
    for c in ids:
        for t in requires[c]:
            rdeps[t].append((c, -1))
        for gi, (_, _, members) in enumerate(group_table[c]):
            for t in members:
                rdeps[t].append((c, gi))
    return {
        "requires": requires,
        "groups": group_table,
        "administered_by": {c: tuple(sorted(admin_of[c])) for c in ids},
        "row_kinds": kinds_of,
        "rows_on": {c: tuple(sorted(v)) for c, v in reach.items()},
        "directory_relation": directory_relation,
        "_rdeps": rdeps,
        "graph": graph,
    }
