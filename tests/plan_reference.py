"""The plan's work packages and ``edits.rebase`` as they were before their speed-ups (main 16e9252): slow,
obviously-right oracles for ``tests/test_plan_equivalence.py``.

Edits are compared here by their fields (what the frozen dataclass' own
equality and hash read), never through ``Edit.__eq__``/``__hash__``, so the
oracle does not lean on the cached hash it checks.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from hiddenspof.edits import _ID_COLUMNS, _ID_VALUES, Edit, _names, _owner, new_ids, staged
from hiddenspof.findings import Finding, severity_rank
from hiddenspof.plan import _anchors

__all__ = ["fields_of", "packages", "packages_by_search", "rebase"]


def fields_of(e: Edit) -> tuple:
    """What the dataclass' generated ``__eq__`` and ``__hash__`` read."""
    return (e.op, e.row, e.table, e.id, e.column, e.value)


def _anchor_key(a: Any) -> Any:
    return ("edit", fields_of(a[1])) if isinstance(a, tuple) and a[:1] == ("edit",) else a


def _renamed(e: Edit, to) -> Edit:
    """A new edit with the ids of ``to`` renamed, whether it names them or not."""
    if e.op == "set":
        return Edit("set", table=e.table, id=to.get(e.id, e.id), column=e.column,
                    value=to.get(e.value, e.value) if e.column in _ID_VALUES else e.value)
    cols = _ID_COLUMNS[e.op]
    return Edit(e.op, tuple((k, to.get(v, v) if k in cols else v) for k, v in e.row))


def rebase(inventory, edits: Iterable[Edit], done: Collection[Edit] = frozenset(),
           earlier: Collection[Any] = frozenset()) -> tuple[list[Edit], list[Edit], dict[Any, str]]:
    """``edits.rebase`` as it was: every owner read again in every pass, every fresh id searched from -2, every edit
    rebuilt, ``done`` looked up twice per edit."""
    done_keys = {fields_of(e) for e in done}

    def made(e: Edit) -> bool:
        return fields_of(e) in done_keys

    edits = list(edits)
    s = staged(inventory)
    mine = new_ids(edits)
    shared = {i for i in mine if i in earlier}
    clash: set = set()
    changed = True
    while changed:
        changed = False
        for e in edits:
            o = _owner(e)
            if o in shared and o not in clash and (not made(e) or _names(e) & clash):
                clash.add(o)
                changed = True
    to: dict[Any, str] = {}
    taken = set(mine)
    for i in mine:
        if i in clash:
            n = 2
            while s.taken(f"{i}-{n}") or f"{i}-{n}" in taken:
                n += 1
            to[i] = f"{i}-{n}"
            taken.add(to[i])
    out = [_renamed(e, to) for e in edits] if to else edits
    return [e for e in out if not made(e)], [e for e in out if made(e)], to


def _fixed(findings: Sequence[Finding]) -> list[Finding]:
    fixed = [f for f in findings if f.fix is not None and f.fix.verified and f.fix.changes]
    fixed.sort(key=lambda f: (severity_rank(f.severity), f.category, f.id))
    return fixed


def packages(findings: Sequence[Finding]) -> list[list[Finding]]:
    """``plan.packages`` as it was: the anchors visited in sorted order (by repr)."""
    fixed = _fixed(findings)
    parent = list(range(len(fixed)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict = {}
    for i, f in enumerate(fixed):
        for a in sorted((_anchor_key(a) for a in _anchors(f.fix)), key=repr):
            if a in owner:
                ri, rj = find(i), find(owner[a])
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
            else:
                owner[a] = i
    groups: dict[int, list[Finding]] = {}
    for i, f in enumerate(fixed):
        groups.setdefault(find(i), []).append(f)
    return [groups[k] for k in sorted(groups)]


def packages_by_search(findings: Sequence[Finding]) -> list[list[Finding]]:
    """The packages as their definition says: fixes sharing an anchor are linked; a package is every fix reached
    from the first one not yet placed (a plain search over all pairs), packages in the order of their first fix."""
    fixed = _fixed(findings)
    anchors = [{_anchor_key(a) for a in _anchors(f.fix)} for f in fixed]
    placed: set[int] = set()
    out: list[list[Finding]] = []
    for start in range(len(fixed)):
        if start in placed:
            continue
        reached, todo = {start}, [start]
        while todo:
            i = todo.pop()
            for j in range(len(fixed)):
                if j not in reached and anchors[i] & anchors[j]:
                    reached.add(j)
                    todo.append(j)
        placed |= reached
        out.append([fixed[i] for i in sorted(reached)])
    return out

