"""Charts of the intake notebook: what the inventory holds, and a first picture of its graph."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from ..inventory import Inventory

__all__ = ["LAYERS", "graph_layout", "dependency_graph", "arrowheads", "kind_counts", "asset_objectives"]

# Vertical layers of the graph picture: what the business sees at the top,
# what everything stands on at the bottom. Edges mostly point downwards.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("service",),
    ("datastore",),
    ("backup",),
    ("backup_store", "recovery_tool", "team"),
    ("identity", "credentials", "kms", "monitoring", "alerting"),
    ("network", "dns", "control_plane", "other"),
    ("site", "account"),
    ("region", "provider"),
)


def graph_layout(inv: Inventory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Node positions (layer by kind, evenly spaced, sorted by id) and edge segments.

    Returns ``nodes`` (id, name, kind, x, y) and ``edges`` (source, target,
    relation, x, y, x2, y2) where relation is ``depends on``, ``administered by`` (an admin row) or ``protects``.
    Deterministic: no force layout, no random seed.
    """
    layer_of = {kind: depth for depth, kinds in enumerate(LAYERS) for kind in kinds}
    comps = inv.components[["id", "name", "kind"]].copy()
    comps["layer"] = comps["kind"].map(lambda k: layer_of.get(k, len(LAYERS) - 3))
    rows = []
    for layer, group in comps.groupby("layer", sort=True):
        ids = sorted(group["id"])
        n = len(ids)
        by_id = group.set_index("id")
        for i, cid in enumerate(ids):
            rows.append({
                "id": cid, "name": by_id.loc[cid, "name"], "kind": by_id.loc[cid, "kind"],
                "x": (i + 0.5) / n, "y": float(layer),
            })
    nodes = pd.DataFrame(rows, columns=["id", "name", "kind", "x", "y"])
    pos = nodes.set_index("id")[["x", "y"]]
    edge_rows = []
    for src, dst, kind in zip(inv.dependencies["component"], inv.dependencies["depends_on"], inv.dependencies["kind"]):
        edge_rows.append((src, dst, "administered by" if kind == "admin" else "depends on"))
    for bid, asset in zip(inv.backups["id"], inv.backups["protects"]):
        edge_rows.append((bid, asset, "protects"))
    edges = pd.DataFrame(edge_rows, columns=["source", "target", "relation"])
    edges = edges[edges["source"].isin(pos.index) & edges["target"].isin(pos.index)].reset_index(drop=True)
    edges["x"] = edges["source"].map(pos["x"])
    edges["y"] = edges["source"].map(pos["y"])
    edges["x2"] = edges["target"].map(pos["x"])
    edges["y2"] = edges["target"].map(pos["y"])
    return nodes, edges


def dependency_graph(nodes: pd.DataFrame, edges: pd.DataFrame, *, highlight: pd.DataFrame | None = None,
                     title: str = "Dependency graph", width: int = 760, height: int = 420) -> alt.Chart:
    """The graph as a layered picture: solid edges depend, dashed edges protect; arrowheads point at what is needed.

    ``highlight`` (optional) has columns ``id`` and ``role``; highlighted nodes
    are drawn larger with the role as colour, others greyed. Two components
    that need each other show as one line with an arrowhead at each end.
    """
    y_top = max(len(LAYERS) - 0.5, float(nodes["y"].max()) + 0.5 if len(nodes) else 0.5)
    y_scale = alt.Scale(reverse=True, domain=[-0.5, y_top])
    x_scale = alt.Scale(domain=[0, 1])
    base_edges = alt.Chart(edges).mark_rule(opacity=0.35).encode(
        x=alt.X("x:Q", scale=x_scale, axis=None),
        y=alt.Y("y:Q", scale=y_scale, axis=None),
        x2="x2:Q",
        y2="y2:Q",
        strokeDash=alt.StrokeDash("relation:N", scale=alt.Scale(domain=["depends on", "administered by", "protects"], range=[[1, 0], [1, 3], [4, 3]]),
                                  legend=alt.Legend(title="edge")),
        tooltip=[alt.Tooltip("source:N"), alt.Tooltip("relation:N"), alt.Tooltip("target:N")],
    )
    data = nodes.copy()
    if highlight is not None and len(highlight):
        data = data.merge(highlight[["id", "role"]], on="id", how="left")
        data["role"] = data["role"].fillna("other")
        colour = alt.Color("role:N", legend=alt.Legend(title="role"))
        size = alt.condition(alt.datum.role != "other", alt.value(220), alt.value(50))
    else:
        from . import kind_scale

        colour = alt.Color("kind:N", scale=kind_scale(sorted(set(data["kind"]))), legend=alt.Legend(title="kind", columns=2))
        size = alt.value(120)
    points = alt.Chart(data).mark_circle(opacity=0.9, stroke="white", strokeWidth=1).encode(
        x=alt.X("x:Q", scale=x_scale, axis=None),
        y=alt.Y("y:Q", scale=y_scale, axis=None),
        color=colour,
        size=size,
        tooltip=[alt.Tooltip("id:N"), alt.Tooltip("name:N"), alt.Tooltip("kind:N")],
    )
    labels = alt.Chart(data).mark_text(dy=-10, fontSize=9, color="#333").encode(
        x=alt.X("x:Q", scale=x_scale, axis=None),
        y=alt.Y("y:Q", scale=y_scale, axis=None),
        text="id:N",
    )
    heads = alt.Chart(arrowheads(edges, width, height, y_top + 0.5)).mark_point(
        shape="triangle-up", filled=True, size=70, opacity=0.75, color="#444",
    ).encode(
        x=alt.X("hx:Q", scale=x_scale, axis=None),
        y=alt.Y("hy:Q", scale=y_scale, axis=None),
        angle=alt.Angle("angle:Q", scale=None),
        tooltip=[alt.Tooltip("source:N"), alt.Tooltip("relation:N"), alt.Tooltip("target:N")],
    )
    layers = base_edges + heads + points
    if len(nodes) <= 120:
        layers = layers + labels
    return layers.properties(title=title, width=width, height=height).configure_view(stroke=None)


def arrowheads(edges: pd.DataFrame, width: float, height: float, y_span: float, gap_px: float = 9.0) -> pd.DataFrame:
    """Where each edge's arrowhead sits (``hx``, ``hy``: just short of the target node) and its angle.

    The angle is in degrees clockwise from "up" on screen, computed in pixels
    (x spans ``width`` over 0..1, y spans ``height`` over ``y_span`` layers,
    drawn top-down), so a ``triangle-up`` symbol rotated by it points along
    the edge at the target.
    """
    out = edges[["source", "target", "relation"]].copy()
    hx, hy, angle = [], [], []
    for x, y, x2, y2 in zip(edges["x"], edges["y"], edges["x2"], edges["y2"]):
        dx_px, dy_px = (x2 - x) * width, (y2 - y) * height / y_span  # screen y grows downwards with the layer
        length = math.hypot(dx_px, dy_px) or 1.0
        back = min(gap_px, length / 2) / length
        hx.append(x2 - (x2 - x) * back)
        hy.append(y2 - (y2 - y) * back)
        angle.append(round(math.degrees(math.atan2(dx_px, -dy_px)) % 360, 3))
    out["hx"], out["hy"], out["angle"] = hx, hy, angle
    return out


def kind_counts(counts: pd.DataFrame) -> alt.Chart:
    """Horizontal bars: components per kind (``counts`` from ``quality.counts_by_kind``)."""
    from . import kind_scale

    return alt.Chart(counts).mark_bar().encode(
        y=alt.Y("kind:N", sort=list(counts["kind"]), title=None),
        x=alt.X("components:Q", title="components", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("kind:N", scale=kind_scale(list(counts["kind"])), legend=None),
        tooltip=["kind:N", "components:Q"],
    ).properties(title="Components by kind", width=360)


def asset_objectives(assets: pd.DataFrame) -> alt.Chart:
    """RTO against RPO per protected asset, coloured by tier (assets without both are left out)."""
    data = assets.dropna(subset=["rto_hours", "rpo_hours"]).copy()
    data["tier"] = data["tier"].astype("float").fillna(0).astype(int).astype(str).replace("0", "none")
    return alt.Chart(data).mark_point(filled=True, size=80).encode(
        x=alt.X("rpo_hours:Q", title="RPO (hours of data you may lose)"),
        y=alt.Y("rto_hours:Q", title="RTO (hours until it must be back)"),
        color=alt.Color("tier:N", title="tier"),
        tooltip=["asset:N", "name:N", "tier:N", "rto_hours:Q", "rpo_hours:Q", "backups:Q"],
    ).properties(title="Recovery objectives of the protected assets", width=360, height=260)
