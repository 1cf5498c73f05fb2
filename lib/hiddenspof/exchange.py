"""Exporting an estate to other tools: the graph as GraphML, "asset unrecoverable" as Open-PSA MEF fault trees.

GraphML lets graph tools (Gephi, yEd, networkx) draw the estate. The Open-PSA
Model Exchange Format (MEF) lets fault-tree engines (SCRAM, XFTA, ...) check
our coupling analysis independently: each asset becomes one static fault tree
whose top event is "the asset is still down once every possible restore is
made", built from one basic event per component ("it fails"), with exactly
the failure and recovery semantics of ``model.py`` (see ``docs/exchange.md``
for the recursion and why it is exact).

Restore rounds are unrolled (a round can only restore assets the asset's
state depends on, so their number is bounded) and dependency cycles are cut
the way a least fixpoint is computed, so every tree is exact. An asset whose
tree would exceed ``MAX_GATES`` gates is skipped instead of emitting a wrong
or unusable tree: the MEF file says so in a comment and ``write_mef`` returns
the reason.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import networkx as nx
import pandas as pd

from .errors import HiddenspofError
from .inventory import is_admin

__all__ = [
    "MAX_GATES",
    "Gate",
    "FaultTree",
    "Skipped",
    "graphml_graph",
    "write_graphml",
    "mef_names",
    "fault_trees",
    "evaluate",
    "mef_document",
    "write_mef",
]


# ---------------------------------------------------------------------------
# GraphML
# ---------------------------------------------------------------------------


def _graphml_value(value: Any) -> Any:
    """A GraphML-typed value (bool, int, float, str), or None when the cell is empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return None if math.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _row_attrs(row: Mapping[str, Any], skip: Iterable[str]) -> dict[str, Any]:
    """The non-empty cells of one table row as GraphML attributes (empty ones left out)."""
    skipped = set(skip)
    attrs = {}
    for key, value in row.items():
        if key in skipped:
            continue
        v = _graphml_value(value)
        if v is not None:
            attrs[str(key)] = v
    return attrs


def graphml_graph(inventory) -> nx.MultiDiGraph:
    """The estate as a directed multigraph ready for GraphML.

    Parameters
    ----------
    inventory : Inventory
        A loaded inventory.

    Returns
    -------
    networkx.MultiDiGraph
        One node per component (backups included) with ``kind`` and every
        non-empty column of its ``components`` row (and, for a backup, of its
        ``backups`` row, prefixed ``backup_``). Edges carry ``relation``:
        ``"depends_on"`` (component -> what it needs; ``kind``, ``group``,
        ``needs`` when given), ``"admin"`` (component -> what can administer
        it: a row of kind ``admin``, which is not a requirement), ``"protects"`` (backup -> asset),
        ``"restore_to"`` (backup -> restore target) and ``"alert_channel"``
        (backup -> where a failed run is reported). Edge keys are stable
        (``dep:<row>``, ``protects:<backup>``, ...), empty cells are left out
        because GraphML attributes are typed and have no null.
    """
    g = nx.MultiDiGraph(name=str(inventory.meta.name), as_of=inventory.meta.as_of.isoformat())
    for row in inventory.components.to_dict("records"):
        g.add_node(str(row["id"]), **_row_attrs(row, skip=("id",)))
    for row in inventory.backups.to_dict("records"):
        bid = str(row["id"])
        attrs = {f"backup_{k}": v for k, v in _row_attrs(row, skip=("id",)).items()}
        g.nodes[bid].update(attrs)
    for i, row in enumerate(inventory.dependencies.to_dict("records")):
        attrs = _row_attrs(row, skip=("component", "depends_on"))
        admin = is_admin(row.get("kind"))
        if "group" not in attrs or admin:
            attrs.pop("needs", None)  # ignored on ungrouped and admin rows (the contract warns)
        if admin:
            attrs.pop("group", None)
        relation = "admin" if admin else "depends_on"
        g.add_edge(str(row["component"]), str(row["depends_on"]), key=f"dep:{i}", relation=relation, **attrs)
    for row in inventory.backups.to_dict("records"):
        bid = str(row["id"])
        g.add_edge(bid, str(row["protects"]), key=f"protects:{bid}", relation="protects")
        for col in ("restore_to", "alert_channel"):
            target = _graphml_value(row.get(col))
            if target is not None:
                g.add_edge(bid, str(target), key=f"{col}:{bid}", relation=col)
    return g


def write_graphml(inventory, out: str | os.PathLike) -> Path:
    """Write the estate graph (see :func:`graphml_graph`) to ``out`` as GraphML; returns the path."""
    path = Path(out)
    try:
        nx.write_graphml(graphml_graph(inventory), path, encoding="utf-8", prettyprint=True)
    except OSError as err:
        raise HiddenspofError(f"cannot write GraphML to {path}: {err.strerror or err}") from None
    return path


# ---------------------------------------------------------------------------
# Fault trees
# ---------------------------------------------------------------------------

TRUE = ("const", True)
FALSE = ("const", False)


@dataclass(frozen=True)
class Gate:
    """One named gate: ``formula`` is a nested tuple over basic events and other gates.

    Formulas: ``("event", component_id)``, ``("gate", gate_name)``,
    ``("or", args)``, ``("and", args)``, ``("atleast", k, args)``.
    """

    name: str
    label: str
    formula: tuple


@dataclass(frozen=True)
class FaultTree:
    """The fault tree of one asset: top event "asset unrecoverable"."""

    asset: str
    name: str
    top: str
    gates: tuple[Gate, ...]
    events: tuple[str, ...]  # component ids used as basic events, sorted


@dataclass(frozen=True)
class Skipped:
    """An asset left out of the MEF export, and why."""

    asset: str
    why: str

    @property
    def reason(self) -> str:
        """A sentence for the user."""
        return f"asset {self.asset!r}: {self.why}"

    def __str__(self) -> str:
        return self.reason


_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


def mef_names(ids: Iterable[str]) -> dict[str, str]:
    """Valid, unique MEF identifiers for component ids (deterministic; case-insensitively unique).

    MEF identifiers are XML NCNames without ``.`` and without a leading,
    trailing or doubled ``-``; ids are free text, so other characters become
    ``_`` and clashes get a numeric suffix, assigned in sorted id order.
    """
    names: dict[str, str] = {}
    taken: set[str] = set()
    for cid in sorted(set(ids)):
        base = _NAME_CHARS.sub("_", cid)
        base = re.sub("-{2,}", "-", base).strip("-") or "_"
        if not re.match("[A-Za-z_]", base):
            base = "c_" + base
        name, n = base, 1
        while name.lower() in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name.lower())
        names[cid] = name
    return names


def _simplify(op: str, args: list, k: int | None = None) -> tuple:
    """Build a formula, folding constants and trivial gates."""
    if op == "atleast":
        trues = sum(1 for a in args if a == TRUE)
        rest = [a for a in args if a not in (TRUE, FALSE)]
        k = k - trues
        if k <= 0:
            return TRUE
        if k > len(rest):
            return FALSE
        if k == 1:
            return _simplify("or", rest)
        if k == len(rest):
            return _simplify("and", rest)
        return ("atleast", k, tuple(rest))
    absorbing, neutral = (TRUE, FALSE) if op == "or" else (FALSE, TRUE)
    out: list = []
    for a in args:
        if a == absorbing:
            return absorbing
        if a == neutral or a in out:
            continue
        if a[0] == op:  # flatten nested gates of the same kind
            out.extend(x for x in a[1] if x not in out)
        else:
            out.append(a)
    if not out:
        return neutral
    if len(out) == 1:
        return out[0]
    return (op, tuple(out))


class _Requirements:
    """Each component's dependency rows: ungrouped targets and groups (needs, members)."""

    def __init__(self, dependencies: pd.DataFrame):
        self.plain: dict[str, list[str]] = {}
        self.groups: dict[str, dict[str, tuple[int, list[str]]]] = {}
        for row in dependencies.to_dict("records"):
            if is_admin(row.get("kind")):
                continue  # an admin row is not a requirement: no part in any fault tree
            comp, target, group = str(row["component"]), str(row["depends_on"]), row.get("group")
            if group is None or (isinstance(group, float) and math.isnan(group)):
                self.plain.setdefault(comp, []).append(target)
            else:
                needs = row.get("needs")
                needs = 1 if needs is None or needs is pd.NA else int(needs)
                _, members = self.groups.setdefault(comp, {}).setdefault(str(group), (needs, []))
                members.append(target)

    def targets(self, comp: str) -> list[str]:
        """Every component ``comp`` has a row on (ungrouped or grouped)."""
        out = list(self.plain.get(comp, ()))
        for _, members in self.groups.get(comp, {}).values():
            out.extend(members)
        return out


class _TreeBuilder:
    """Builds the fault tree of one asset by the round-unrolled recursion of ``docs/exchange.md``."""

    def __init__(self, model, reqs: _Requirements, names: dict[str, str], index: int, limit: int,
                 shared: dict | None = None):
        self.model, self.reqs, self.names = model, reqs, names
        self.prefix, self.limit = f"g{index}", limit
        self.gates: dict[str, Gate] = {}
        self.memo: dict[tuple, tuple] = {}
        self.contexts: dict[frozenset, int] = {frozenset(): 0}
        self.events: set[str] = set()
        # graphs and reachability do not depend on the asset: shared by the builders of one model
        shared = {} if shared is None else shared
        if not shared:
            shared.update(recovery=_recovery_graph(model, reqs), dependency=_dependency_graph(model, reqs),
                          rounds={}, dep_reach={})
        self.recovery, self.dependency = shared["recovery"], shared["dependency"]
        self._rounds: dict[str, int] = shared["rounds"]
        self._dep_reach: dict[str, frozenset] = shared["dep_reach"]

    def rounds(self, comp: str) -> int:
        """How many restore rounds can change ``comp``'s state: the assets its state depends on."""
        if comp not in self._rounds:
            closure = nx.descendants(self.recovery, comp) | {comp}
            self._rounds[comp] = sum(1 for c in closure if self.model.backups_of.get(c))
        return self._rounds[comp]

    def dep_reach(self, comp: str) -> frozenset:
        """Components reachable from ``comp`` along dependency rows (itself included)."""
        if comp not in self._dep_reach:
            self._dep_reach[comp] = frozenset(nx.descendants(self.dependency, comp)) | {comp}
        return self._dep_reach[comp]

    def requirements_fail(self, comp: str, k: int, stack: tuple) -> tuple:
        """Formula: after round ``k``, ``comp``'s rows are not met (an ungrouped target down, or a group short)."""
        args = [self.down(t, k, stack) for t in self.reqs.plain.get(comp, ())]
        for label in sorted(self.reqs.groups.get(comp, {})):
            needs, members = self.reqs.groups[comp][label]
            args.append(_simplify("atleast", [self.down(m, k, stack) for m in sorted(members)], len(members) - needs + 1))
        return _simplify("or", args)

    def down(self, comp: str, k: int, stack: tuple = ()) -> tuple:
        """Formula: ``comp`` is down after ``k`` restore rounds.

        ``stack`` holds the components whose down-ness is being derived in this
        round: meeting one again means a derivation that goes round a cycle,
        which the least fixpoint never uses, hence FALSE.
        """
        if comp in stack:
            return FALSE
        k = min(k, self.rounds(comp))
        context = frozenset(stack) & self.dep_reach(comp)
        key = (comp, k, context)
        if key in self.memo:
            return self.memo[key]
        self.events.add(comp)
        inner = stack + (comp,)
        own = _simplify("or", [("event", comp), self.requirements_fail(comp, k, inner)])
        backups = self.model.backups_of.get(comp, ())
        if k > 0 and backups:
            paths = []
            for b in backups:
                target = self.model.backup[b].restore_to
                via = self.down(target, k - 1) if target else self.requirements_fail(comp, k - 1, ())
                paths.append(_simplify("or", [self.down(b, k - 1), via]))
            formula = _simplify("and", [own] + paths)
        else:
            formula = own
        if formula[0] in ("or", "and", "atleast"):
            if len(self.gates) >= self.limit:
                raise _TooLarge
            ctx = self.contexts.setdefault(context, len(self.contexts))
            name = f"{self.prefix}r{k}" + (f"x{ctx}" if ctx else "") + f"-{self.names[comp]}"
            label = f"{comp} is down " + (f"after {k} restore round{'s' if k != 1 else ''}" if k else "before any restore")
            if ctx:
                label += " (given " + ", ".join(sorted(context)) + " not already down)"
            self.gates[name] = Gate(name, label, formula)
            formula = ("gate", name)
        self.memo[key] = formula
        return formula


class _TooLarge(Exception):
    """Raised inside the builder when a tree exceeds the gate limit."""


def _recovery_graph(model, reqs: _Requirements) -> nx.DiGraph:
    """Edges X -> Y where X's state after restores can depend on Y's: dependency rows, backups, restore targets."""
    g = _dependency_graph(model, reqs)
    for asset, backups in model.backups_of.items():
        for b in backups:
            g.add_edge(asset, b)
            target = model.backup[b].restore_to
            if target:
                g.add_edge(asset, target)
    return g


def _dependency_graph(model, reqs: _Requirements) -> nx.DiGraph:
    """Edges X -> Y for every dependency row of X on Y."""
    g = nx.DiGraph()
    g.add_nodes_from(model.kind)
    for comp in model.kind:
        for t in reqs.targets(comp):
            g.add_edge(comp, t)
    return g


#: Largest number of gates in one asset's tree before the asset is skipped.
MAX_GATES = 20000


def _rename(formula: tuple, old: str, new: str) -> tuple:
    """``formula`` with references to gate ``old`` pointed at ``new``."""
    if formula == ("gate", old):
        return ("gate", new)
    if formula[0] in ("or", "and"):
        return (formula[0], tuple(_rename(a, old, new) for a in formula[1]))
    if formula[0] == "atleast":
        return ("atleast", formula[1], tuple(_rename(a, old, new) for a in formula[2]))
    return formula


def fault_trees(
    model, asset: str | None = None, limit: int = MAX_GATES, restores: bool = True
) -> tuple[list[FaultTree], list[Skipped]]:
    """One fault tree per asset, top event "asset unrecoverable", exactly the model's semantics.

    Parameters
    ----------
    model : Model
        From ``model.build(inventory)``.
    asset : str, optional
        Only this asset (raises :class:`HiddenspofError` if it is not one).
    limit : int
        Skip an asset whose tree would need more gates than this.
    restores : bool
        False gives instead the tree of "the asset is down before any
        restore" (``Model.down``): with the main tree it relates the top-event
        probability to survivability (``docs/exchange.md``).

    Returns
    -------
    (trees, skipped)
        Trees in sorted asset order, and the assets skipped because their
        tree would need more than ``limit`` gates.

    Notes
    -----
    ``down_k(X)``, "X is down after k restore rounds", is
    ``fail(X) OR rows-fail_k(X)``, and for an asset with ``k > 0`` that
    ``AND`` for every backup B ``(down_{k-1}(B) OR down_{k-1}(T))`` (``T`` =
    B's ``restore_to``; with none, ``rows-fail_{k-1}(X)``). A group with
    ``needs`` n of m members fails when at least m-n+1 members are down.
    Within one round a dependency cycle is cut by FALSE (the least fixpoint
    never derives "down" round a cycle). The top event is ``down_K(A)`` with
    K the number of assets A's state depends on (no more rounds can change
    it). ``docs/exchange.md`` proves this equals ``Model.recover``.
    """
    assets = tuple(model.assets)
    if asset is not None and asset not in assets:
        known = ", ".join(assets) if len(assets) <= 20 else ", ".join(assets[:20]) + ", ..."
        raise HiddenspofError(f"--asset {asset!r} is not an asset (a component some backup protects); assets: {known}")
    reqs = _Requirements(model.inventory.dependencies)
    names = mef_names(model.kind)
    trees, skipped, shared = [], [], {}
    for i, a in enumerate(assets):
        if asset is not None and a != asset:
            continue
        b = _TreeBuilder(model, reqs, names, i, limit, shared)
        try:
            formula = b.down(a, b.rounds(a) if restores else 0)
        except (_TooLarge, RecursionError):
            skipped.append(Skipped(a, f"its fault tree would need more than {limit} gates (or nest too deep); analyse it with hiddenspof itself"))
            continue
        top = f"top{i}-{names[a]}"
        gates = dict(b.gates)
        if formula[0] == "gate":  # the root gate becomes the top event
            root = gates.pop(formula[1])
            gates = {n: Gate(g.name, g.label, _rename(g.formula, root.name, top)) for n, g in gates.items()}
            formula = root.formula
        what = "unrecoverable (still down once every possible restore is made)" if restores else "down before any restore"
        ordered = [Gate(top, f"{a} {what}", formula)]
        ordered += [gates[n] for n in sorted(gates)]
        trees.append(FaultTree(a, f"ft{i}-{names[a]}", top, tuple(ordered), tuple(sorted(b.events))))
    return trees, skipped


def evaluate(tree: FaultTree, failed: Iterable[str]) -> bool:
    """Whether the top event of ``tree`` happens when exactly ``failed`` fail (a plain evaluator, for checks)."""
    failed = set(failed)
    gates = {g.name: g.formula for g in tree.gates}
    cache: dict[str, bool] = {}

    def ev(f: tuple) -> bool:
        op = f[0]
        if op == "event":
            return f[1] in failed
        if op == "gate":
            if f[1] not in cache:
                cache[f[1]] = ev(gates[f[1]])
            return cache[f[1]]
        if op == "or":
            return any(ev(a) for a in f[1])
        if op == "and":
            return all(ev(a) for a in f[1])
        if op == "atleast":
            return sum(ev(a) for a in f[2]) >= f[1]
        return bool(f[1])  # constant

    return ev(("gate", tree.top))


# ---------------------------------------------------------------------------
# MEF XML
# ---------------------------------------------------------------------------


def _text(s: str) -> str:
    """A label: printable one-line text, XML-escaped."""
    s = " ".join(str(s).split())
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _comment(s: str) -> str:
    """Text safe inside an XML comment (no ``--``, no trailing ``-``)."""
    s = " ".join(str(s).split())
    while "--" in s:
        s = s.replace("--", "- -")
    return s + (" " if s.endswith("-") else "")


def _formula_xml(f: tuple, names: dict[str, str], indent: str) -> list[str]:
    op = f[0]
    if op == "event":
        return [f'{indent}<basic-event name="e-{names[f[1]]}"/>']
    if op == "gate":
        return [f'{indent}<gate name="{f[1]}"/>']
    head = f'<atleast min="{f[1]}">' if op == "atleast" else f"<{op}>"
    args = f[2] if op == "atleast" else f[1]
    lines = [indent + head]
    for a in args:
        lines += _formula_xml(a, names, indent + "  ")
    lines.append(f"{indent}</{op}>")
    return lines


def mef_document(model, asset: str | None = None, restores: bool = True) -> tuple[str, list[Skipped]]:
    """The Open-PSA MEF XML text of every asset's fault tree (or one asset's), and the skipped assets.

    Basic events are named ``e-<component>`` (see :func:`mef_names`), carry
    the component id as attribute ``component`` and the model's failure
    probability as a ``float``; they are defined once in ``model-data`` and
    shared by the trees. ``restores=False`` exports the "down before any
    restore" trees instead (see :func:`fault_trees`).
    """
    trees, skipped = fault_trees(model, asset, restores=restores)
    names = mef_names(model.kind)
    inv = model.inventory
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<!-- hiddenspof fault trees for {_comment(inv.meta.name)} as of {inv.meta.as_of.isoformat()}:",
        "     one tree per asset, top event: the asset is "
        + ("still down once every possible restore is made;" if restores else "down before any restore;"),
        "     basic events: single component failures (probabilities: failure_probability or the kind's default) -->",
        "<opsa-mef>",
    ]
    for s in skipped:
        lines.append(f"  <!-- skipped {_comment(s.reason)} -->")
    events: set[str] = set()
    for t in trees:
        events.update(t.events)
        lines.append(f'  <define-fault-tree name="{t.name}">')
        lines.append(f"    <label>{_text(t.gates[0].label)}</label>")
        for g in t.gates:
            lines.append(f'    <define-gate name="{g.name}">')
            lines.append(f"      <label>{_text(g.label)}</label>")
            lines += _formula_xml(g.formula, names, "      ")
            lines.append("    </define-gate>")
        lines.append("  </define-fault-tree>")
    if events:
        lines.append("  <model-data>")
        for cid in sorted(events):
            p = float(model.probability[cid])
            lines.append(f'    <define-basic-event name="e-{names[cid]}">')
            lines.append(f"      <label>{_text(cid + ' fails')}</label>")
            lines.append(f"      <attributes><attribute name=\"component\" value={quoteattr(' '.join(cid.split()))}/></attributes>")
            lines.append(f'      <float value="{p!r}"/>')
            lines.append("    </define-basic-event>")
        lines.append("  </model-data>")
    lines.append("</opsa-mef>")
    return "\n".join(lines) + "\n", skipped


def write_mef(inventory, out: str | os.PathLike, asset: str | None = None) -> list[str]:
    """Write the Open-PSA MEF fault trees of ``inventory`` to ``out``.

    Parameters
    ----------
    inventory : Inventory
    out : path
        The XML file to write.
    asset : str, optional
        Only this asset's tree.

    Returns
    -------
    list of str
        One sentence per asset skipped because its tree would exceed
        ``MAX_GATES`` gates (also written as XML comments).

    Raises
    ------
    HiddenspofError
        ``asset`` is not an asset, or ``out`` cannot be written.
    """
    from . import model as model_mod

    text, skipped = mef_document(model_mod.build(inventory), asset)
    path = Path(out)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise HiddenspofError(f"cannot write {path}: {err.strerror or err}") from None
    return [s.reason for s in skipped]
