"""Charts of coupling: the shared dependency graph, threat heat map, blast radius, restore waves."""

from __future__ import annotations

import altair as alt
import networkx as nx
import pandas as pd

from ..coupling import THREAT_MODES, CouplingResult, recovery_reach
from ..model import Model, Recovery
from . import kind_scale

__all__ = [
    "ROLE_COLOURS",
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


def threat_frame(result: CouplingResult) -> pd.DataFrame:
    """One row per (asset, threat mode): verdict and the strikes that leave the asset unrecoverable."""
    rows = []
    for a in sorted(result.assets):
        ac = result.assets[a]
        for mode in THREAT_MODES:
            rows.append({"asset": a, "mode": mode, "verdict": ac.threats[mode],
                         "strikes": ", ".join(ac.threat_causes.get(mode, ()))})
    return pd.DataFrame(rows, columns=["asset", "mode", "verdict", "strikes"])


def threat_heatmap(result: CouplingResult) -> alt.Chart:
    """Asset x threat mode, red where some strike of the mode leaves the asset unrecoverable."""
    from ..presentation import threat_label

    frame = threat_frame(result)
    frame["threat"] = frame["mode"].map(threat_label)
    frame["verdict"] = frame["verdict"].str.replace("_", " ")
    verdicts = list(VERDICT_COLOURS)
    return alt.Chart(frame).mark_rect(stroke="white").encode(
        x=alt.X("threat:N", sort=[threat_label(m) for m in THREAT_MODES], title="threat mode",
                axis=alt.Axis(labelAngle=-40, labelAlign="right", labelOverlap=False)),
        y=alt.Y("asset:N", sort=sorted(result.assets), title="asset"),
        color=alt.Color("verdict:N", scale=alt.Scale(domain=[v.replace("_", " ") for v in verdicts],
                                                     range=[VERDICT_COLOURS[v] for v in verdicts])),
        tooltip=["asset:N", "threat:N", "verdict:N", "strikes:N"],
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
