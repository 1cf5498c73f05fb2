"""Charts of coupling: the shared dependency graph, threat heat map, blast radius, restore waves."""

from __future__ import annotations

import altair as alt
import networkx as nx
import pandas as pd

from ..coupling import (
    THREAT_MODES,
    Compromise,
    CouplingResult,
    compromise_chains,
    credential_compromise,
    recovery_reach,
)
from ..model import Model, Recovery
from . import kind_scale

__all__ = [
    "ATTACK_COLOURS",
    "ROLE_COLOURS",
    "attack_frames",
    "attack_graph",
    "VERDICT_COLOURS",
    "blast_radius_ranking",
    "dependency_graph",
    "graph_frames",
    "restore_waves",
    "threat_heatmap",
    "threat_frame",
]

#: node colour by role: what production and recovery share is the point of the picture
ROLE_COLOURS = {
    "shared": "#c0392b",
    "production": "#2980b9",
    "recovery": "#27ae60",
    "asset": "#2c3e50",
    "other": "#bdc3c7",
}
#: node colour by what the attacker did to it
ATTACK_COLOURS = {
    "held": "#e67e22",
    "held and destroyed": "#7b241c",
    "destroyed": "#c0392b",
    "down": "#95a5a6",
    "asset": "#2c3e50",
}
VERDICT_COLOURS = {"unrecoverable": "#c0392b", "recoverable": "#27ae60", "not_applicable": "#ecf0f1"}


def _production(model: Model, asset: str) -> set[str]:
    return set(nx.descendants(model.graph, asset))


def graph_frames(model: Model, asset: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes (id, kind, role, layer, x, y) and edges (source, target, x, y, x2, y2, shared) of the graph.

    ``role``: ``asset`` (a protected asset, or the chosen one), ``shared``
    (needed both by an asset's production and by one of its recovery paths),
    ``production``, ``recovery`` or ``other``. With ``asset`` only that asset's
    closure is drawn. Layout: layer = longest dependency chain below the node
    (layer 0 needs nothing and is drawn at the top), nodes ordered by id within a layer.
    """
    assets = [asset] if asset else list(model.assets)
    prod: set[str] = set()
    rec: set[str] = set()
    shared: set[str] = set()
    for a in assets:
        p, r = _production(model, a), set(recovery_reach(model, a))
        prod |= p
        rec |= r
        shared |= p & r
    nodes = sorted(model.closure(asset)) if asset else list(model.ids)
    g = model.graph.subgraph(nodes)
    cond = nx.condensation(g)
    depth: dict[int, int] = {}
    for n in reversed(list(nx.topological_sort(cond))):
        depth[n] = 1 + max((depth[s] for s in cond.successors(n)), default=-1)
    layer = {v: depth[cond.graph["mapping"][v]] for v in nodes}
    rows = []
    for lv in sorted(set(layer.values())):
        members = sorted(v for v in nodes if layer[v] == lv)
        for i, v in enumerate(members):
            if v in assets or (asset is None and v in model.backups_of):
                role = "asset"
            elif v in shared:
                role = "shared"
            elif v in prod:
                role = "production"
            elif v in rec:
                role = "recovery"
            else:
                role = "other"
            rows.append({"id": v, "kind": model.kind[v], "role": role, "layer": lv,
                         "x": (i + 1) / (len(members) + 1), "y": lv})
    nf = pd.DataFrame(rows, columns=["id", "kind", "role", "layer", "x", "y"])
    pos = {r["id"]: (r["x"], r["y"]) for r in rows}
    edges = []
    for u, v in sorted(g.edges):
        edges.append({"source": u, "target": v, "x": pos[u][0], "y": pos[u][1], "x2": pos[v][0],
                      "y2": pos[v][1], "shared": u in shared and v in shared})
    ef = pd.DataFrame(edges, columns=["source", "target", "x", "y", "x2", "y2", "shared"])
    return nf, ef


def dependency_graph(model: Model, asset: str | None = None, width: int = 720, height: int = 480) -> alt.LayerChart:
    """The dependency graph, what production and recovery share in red; arrows point at what is needed."""
    nodes, edges = graph_frames(model, asset)
    roles = list(ROLE_COLOURS)
    base = alt.Chart(edges).encode(
        x=alt.X("x:Q", axis=None), y=alt.Y("y:Q", axis=None, scale=alt.Scale(reverse=True)),
        x2="x2:Q", y2="y2:Q", tooltip=["source:N", "target:N"],
    )
    links = base.transform_filter("!datum.shared").mark_rule(color="#bdc3c7", opacity=0.6)
    shared_links = base.transform_filter("datum.shared").mark_rule(color=ROLE_COLOURS["shared"], strokeWidth=2)
    points = alt.Chart(nodes).mark_circle(size=180, opacity=0.95).encode(
        x="x:Q", y=alt.Y("y:Q", scale=alt.Scale(reverse=True)),
        color=alt.Color("role:N", scale=alt.Scale(domain=roles, range=[ROLE_COLOURS[r] for r in roles]),
                        legend=alt.Legend(title="role")),
        tooltip=["id:N", "kind:N", "role:N"],
    )
    labels = alt.Chart(nodes).mark_text(dy=-11, fontSize=9).encode(
        x="x:Q", y=alt.Y("y:Q", scale=alt.Scale(reverse=True)), text="id:N",
    )
    title = f"Dependencies of {asset}" if asset else "Dependency graph: production and recovery"
    return (links + shared_links + points + labels).properties(width=width, height=height, title=title)


def threat_frame(result: CouplingResult, model: Model | None = None) -> pd.DataFrame:
    """One row per (asset, threat mode): verdict and the strikes that leave the asset unrecoverable.

    With ``model``, an unrecoverable ``credential_compromise`` row also carries
    ``attack_path``: the attack chains of its first strike to what the asset
    needs (at most three); empty elsewhere.
    """
    attacks: dict[str, Compromise] = {}
    rows = []
    for a in sorted(result.assets):
        ac = result.assets[a]
        for mode in THREAT_MODES:
            strikes = ac.threat_causes.get(mode, ())
            path = ""
            if model is not None and mode == "credential_compromise" and strikes:
                k = strikes[0]
                if k not in attacks:
                    attacks[k] = credential_compromise(model, k)
                path = " | ".join(compromise_chains(model, a, attacks[k], limit=3))
            rows.append({"asset": a, "mode": mode, "verdict": ac.threats[mode],
                         "strikes": ", ".join(strikes), "attack_path": path})
    return pd.DataFrame(rows, columns=["asset", "mode", "verdict", "strikes", "attack_path"])


def threat_heatmap(result: CouplingResult, model: Model | None = None) -> alt.Chart:
    """Asset x threat mode, red where some strike of the mode leaves the asset unrecoverable.

    With ``model``, hovering an unrecoverable credential-compromise cell shows the attack path.
    """
    from ..presentation import threat_label

    frame = threat_frame(result, model)
    frame["threat"] = frame["mode"].map(threat_label)
    frame["verdict"] = frame["verdict"].str.replace("_", " ")
    verdicts = list(VERDICT_COLOURS)
    return alt.Chart(frame).mark_rect(stroke="white").encode(
        x=alt.X("threat:N", sort=[threat_label(m) for m in THREAT_MODES], title="threat mode",
                axis=alt.Axis(labelAngle=-40, labelAlign="right", labelOverlap=False)),
        y=alt.Y("asset:N", sort=sorted(result.assets), title=None),
        color=alt.Color("verdict:N", scale=alt.Scale(domain=[v.replace("_", " ") for v in verdicts],
                                                     range=[VERDICT_COLOURS[v] for v in verdicts])),
        tooltip=["asset:N", "threat:N", "verdict:N", "strikes:N", alt.Tooltip("attack_path:N", title="attack path")],
    ).properties(title="Which threats leave which assets unrecoverable", width=alt.Step(48), height=alt.Step(22))


def blast_radius_ranking(result: CouplingResult, model: Model, top: int = 20) -> alt.Chart:
    """The components that alone leave the most assets unrecoverable (zero-radius ones left out)."""
    rows = [{"component": c, "kind": model.kind[c], "blast_radius": n,
             "assets": ", ".join(result.unrecoverable_by[c])}
            for c, n in result.blast_radius.items() if n > 0]
    frame = pd.DataFrame(rows, columns=["component", "kind", "blast_radius", "assets"])
    frame = frame.sort_values(["blast_radius", "component"], ascending=[False, True]).head(top)
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("blast_radius:Q", title="assets left unrecoverable", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("component:N", sort=list(frame["component"]), title=None),
        color=alt.Color("kind:N", scale=kind_scale(sorted(set(frame["kind"])))),
        tooltip=["component:N", "kind:N", "blast_radius:Q", "assets:N"],
    ).properties(title=f"Blast radius (top {top})")


def restore_waves(recovery: Recovery, title: str = "Restore waves") -> alt.Chart:
    """One mark per restore: wave on x, asset on y, labelled with the chosen backup; unrecoverable assets at wave 0."""
    rows = [{"asset": r.asset, "wave": r.wave, "backup": r.backup, "alternatives": ", ".join(r.alternatives),
             "outcome": "restored"} for r in recovery.restores]
    rows += [{"asset": a, "wave": 0, "backup": "", "alternatives": "", "outcome": "unrecoverable"}
             for a in recovery.unrecoverable]
    frame = pd.DataFrame(rows, columns=["asset", "wave", "backup", "alternatives", "outcome"])
    base = alt.Chart(frame).encode(
        x=alt.X("wave:O", title="wave (0 = never restored)"),
        y=alt.Y("asset:N", sort=sorted(frame["asset"]), title=None),
    )
    marks = base.mark_square(size=220).encode(
        color=alt.Color("outcome:N", scale=alt.Scale(domain=["restored", "unrecoverable"],
                                                     range=["#27ae60", "#c0392b"])),
        tooltip=["asset:N", "wave:O", "backup:N", "alternatives:N", "outcome:N"],
    )
    text = base.mark_text(dx=14, align="left", fontSize=9).encode(text="backup:N")
    return (marks + text).properties(title=title)


def attack_frames(model: Model, attack: Compromise, asset: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes (id, kind, state, step, x, y, path) and edges (source, target, action, rows, x, y, x2, y2) of an attack.

    With ``asset``, only the chains to destroyed components its recovery runs
    through (its closure), plus the asset itself (state ``destroyed``,
    ``down`` when it merely depends on something destroyed, or ``asset``).
    ``step`` is the number of steps from the holder (x); nodes of one step are
    spread by id (y). ``path`` is the chain in words.
    """
    if asset is None:
        keep = set(attack.held | attack.destroyed)
    else:
        keep = {asset}
        for c in attack.destroyed & model.closure(asset):
            keep.update(s.component for s in attack.path(c))
    step = {}
    for c in sorted(keep):
        path = attack.path(c)
        step[c] = len([s for s in path if s.action != "wipes"]) - 1 if path else None
    deepest = max((v for v in step.values() if v is not None), default=0)
    for c, v in step.items():
        if v is None:
            step[c] = deepest + 1  # the asset, down by the usual rule
    down = model.down(attack.destroyed) if asset is not None else frozenset()
    rows = []
    for lv in sorted(set(step.values())):
        members = sorted(c for c in keep if step[c] == lv)
        for i, c in enumerate(members):
            if c in attack.held:
                state = "held and destroyed" if c in attack.destroyed else "held"
            elif c in attack.destroyed:
                state = "destroyed"
            elif c in down:
                state = "down"
            else:
                state = "asset"
            rows.append({"id": c, "kind": model.kind[c], "state": state, "step": lv,
                         "x": lv, "y": (i + 1) / (len(members) + 1), "path": attack.explain(c)})
    nodes = pd.DataFrame(rows, columns=["id", "kind", "state", "step", "x", "y", "path"])
    pos = {r["id"]: (r["x"], r["y"]) for r in rows}
    edges = [{"source": s.via, "target": s.component, "action": s.action, "rows": ", ".join(s.rows),
              "x": pos[s.via][0], "y": pos[s.via][1], "x2": pos[s.component][0], "y2": pos[s.component][1]}
             for s in attack.steps if s.via is not None and s.action != "wipes" and s.component in keep and s.via in keep]
    return nodes, pd.DataFrame(edges, columns=["source", "target", "action", "rows", "x", "y", "x2", "y2"])


def attack_graph(model: Model, attack: Compromise, asset: str | None = None, width: int = 720,
                 height: int = 360) -> alt.LayerChart:
    """The attack path as a picture: from the stolen credential (left) through every escalation to what is destroyed."""
    nodes, edges = attack_frames(model, attack, asset)
    states = list(ATTACK_COLOURS)
    base = alt.Chart(edges).encode(
        x=alt.X("x:Q", axis=alt.Axis(title="steps from the stolen credential", tickMinStep=1)),
        y=alt.Y("y:Q", axis=None), x2="x2:Q", y2="y2:Q",
        tooltip=["source:N", "action:N", "target:N", "rows:N"],
    )
    links = base.mark_rule(color="#7f8c8d", opacity=0.7).encode(
        strokeDash=alt.StrokeDash("action:N", legend=alt.Legend(title="step")),
    )
    points = alt.Chart(nodes).mark_circle(size=200, opacity=0.95).encode(
        x="x:Q", y="y:Q",
        color=alt.Color("state:N", scale=alt.Scale(domain=states, range=[ATTACK_COLOURS[s] for s in states]),
                        legend=alt.Legend(title="state")),
        tooltip=["id:N", "kind:N", "state:N", "path:N"],
    )
    labels = alt.Chart(nodes).mark_text(dy=-12, fontSize=9).encode(x="x:Q", y="y:Q", text="id:N")
    who = ", ".join(attack.holders)
    title = f"Attack path: holding {who}" + (f", as it reaches {asset}" if asset else "")
    return (links + points + labels).properties(width=width, height=height, title=title)
