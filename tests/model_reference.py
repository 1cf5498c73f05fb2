"""The row pass ``Model.__init__`` made before it was built from whole columns, and the down-propagation and
restore rounds as ``Model`` ran them before its reverse rows were split (plain dependants as a set), kept as
the slow references.

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
from hiddenspof.model import Recovery, Restore, _text, _texts

__all__ = ["reference_down", "reference_first_down_steps", "reference_recover", "reference_rows"]


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


# -- down-propagation and restore rounds, one reverse row at a time -------------------------------------------


def _spread(m, down: set[str], stack: list[str], lost: dict, on_target: dict, moved: dict,
            grown: list[str] | None = None) -> None:
    while stack:
        v = stack.pop()
        if grown is not None:
            grown.append(v)
        for u in on_target.get(v, ()):
            if u not in down:
                down.add(u)
                stack.append(u)
        for u, gi in m._rdeps[v]:
            if u in down or (u in moved and moved[u] is not None):
                continue
            if gi < 0:
                down.add(u)
                stack.append(u)
            else:
                _, needs, members = m.groups[u][gi]
                n = lost.get((u, gi), 0) + 1
                lost[(u, gi)] = n
                if len(members) - n < needs:
                    down.add(u)
                    stack.append(u)


def reference_down(m, forced, moved: dict) -> set[str]:
    """``Model._down`` as it was: the least fixpoint from ``forced`` with ``moved`` restores."""
    on_target: dict[str, list[str]] = {}
    for a, t in moved.items():
        if t is not None:
            on_target.setdefault(t, []).append(a)
    down = set(forced)
    _spread(m, down, list(down), {}, on_target, moved)
    return down


def _met(m, component: str, down) -> bool:
    if any(t in down for t in m.requires[component]):
        return False
    return all(sum(1 for x in members if x not in down) >= needs for _, needs, members in m.groups[component])


def _path_up(m, backup: str, down) -> bool:
    info = m.backup[backup]
    if backup in down:
        return False
    if info.restore_to is not None:
        return info.restore_to not in down
    return _met(m, info.protects, down)


def reference_recover(m, failed) -> Recovery:
    """``Model.recover`` as it was."""
    failed = frozenset(failed)
    moved: dict[str, str | None] = {}
    forced = set(failed)
    down = reference_down(m, forced, moved)
    initially = frozenset(down)
    waves = []
    while True:
        wave = []
        for a in sorted(x for x in down if x in m.backups_of):
            alts = [b for b in m._backup_order[a] if _path_up(m, b, down)]
            if alts:
                wave.append(Restore(a, alts[0], len(waves) + 1, tuple(sorted(alts))))
        if not wave:
            break
        for r in wave:
            moved[r.asset] = m.backup[r.backup].restore_to
            forced.discard(r.asset)
        waves.append(tuple(wave))
        down = reference_down(m, forced, moved)
    final = frozenset(down)
    return Recovery(failed, initially, final, tuple(waves), tuple(sorted(a for a in final if a in m.backups_of)))


def reference_first_down_steps(m, failed, moved: dict, undo) -> dict[str, int] | None:
    """``Model.first_down_steps`` as it was."""
    failed = frozenset(failed)
    moved = dict(moved)
    on_target: dict[str, list[str]] = {}
    for a, t in moved.items():
        if t is not None:
            on_target.setdefault(t, []).append(a)
    down = set(failed) - set(moved)
    lost: dict = {}
    _spread(m, down, list(down), lost, on_target, moved)
    first = dict.fromkeys(down, 0)
    for step, batch in enumerate(undo, start=1):
        stack, grown = [], []
        for a in batch:
            target = moved.pop(a, None)
            if a in down:
                if a not in failed and target is not None:
                    return None
                continue
            if a in failed:
                down.add(a)
                stack.append(a)
            elif target is not None:
                for gi, (_, _, members) in enumerate(m.groups[a]):
                    lost[(a, gi)] = sum(1 for x in members if x in down)
                if not _met(m, a, down):
                    down.add(a)
                    stack.append(a)
        _spread(m, down, stack, lost, on_target, moved, grown)
        for c in grown:
            first[c] = step
    return first
