"""The backup infrastructure and its attack paths as BloodHound CE OpenGraph JSON.

BloodHound CE ingests generic graphs in its *OpenGraph* shape::

    {"metadata": {"source_kind": "HiddenSPOF"},
     "graph": {"nodes": [{"id", "kinds": [...], "properties": {...}}],
               "edges": [{"kind", "start": {"value", "match_by"}, "end": {...}, "properties": {...}}]}}

so the backup graph can be explored next to the directory: a component the directory
import wrote keeps its SID (``object_id``) as node id, so BloodHound adds our kinds to the
directory object it already has; the others get ``hiddenspof:<id>``.

What is exported (see ``docs/exchange.md``): the *backup infrastructure* (every protected
asset, backup, backup store, recovery tool and key store, and everything a backup has a
row on) and every component on an *attack path* to it: those from which the
``credential_compromise`` closure can reach it through rows (admin rows, and the plain rows
by which a secret is read or a component destroyed). Edges point the way BloodHound reads
them: requirements from the one that needs to what it needs (``HSRestoresFrom``,
``HSStoredOn``, ``HSRestoresTo``, ``HSDependsOn``), attacks from the holder to what it
gains (``HSAdministers`` for an admin row, ``HSExposes`` for a plain row through which a
held or destroyed component gives a credential, ``HSCanDestroy`` for a plain row through
which a held credential destroys what needs it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from . import coupling
from .model import build

__all__ = ["BACKUP_KINDS", "SOURCE_KIND", "opengraph", "write_opengraph"]

SOURCE_KIND = "HiddenSPOF"
#: Component kinds that are backup infrastructure in their own right.
BACKUP_KINDS = frozenset({"backup", "backup_store", "recovery_tool", "kms"})
_NODE_KIND = {
    "service": "HSService", "datastore": "HSDatastore", "backup": "HSBackup", "backup_store": "HSBackupStore",
    "recovery_tool": "HSRecoveryTool", "identity": "HSIdentity", "credentials": "HSCredentials",
    "network": "HSNetwork", "dns": "HSDns", "control_plane": "HSControlPlane", "kms": "HSKms",
    "monitoring": "HSMonitoring", "alerting": "HSAlerting", "site": "HSSite", "region": "HSRegion",
    "account": "HSAccount", "provider": "HSProvider", "team": "HSTeam", "other": "HSOther",
}


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    try:
        if value != value:  # NaN / NA
            return None
    except (TypeError, ValueError):
        return None
    text = str(value).strip()
    return text or None


def _infrastructure(model) -> set[str]:
    out = set(model.assets) | set(model.backup)
    out |= {c for c in model.ids if model.kind[c] in BACKUP_KINDS}
    for b, info in model.backup.items():
        out |= set(model.dependencies_of(b))
        if info.restore_to:
            out.add(info.restore_to)
    return out


def _attack_edges(model) -> dict[tuple[str, str], str]:
    """(holder, gained) -> edge kind, for every row the credential-compromise closure can follow."""
    edges: dict[tuple[str, str], str] = {}
    esc, destroyable = coupling.ESCALATION_KINDS, coupling.DESTROYABLE_KINDS
    for (comp, target), kinds in sorted(model.row_kinds.items()):
        ck = model.kind[comp]
        if "admin" in kinds and (ck in esc or ck in destroyable):
            edges[(target, comp)] = "HSAdministers"
        elif ck in esc:
            edges[(target, comp)] = "HSExposes"
        elif ck in destroyable and model.kind[target] in esc:
            edges[(target, comp)] = "HSCanDestroy"
    return edges


def opengraph(inventory) -> dict:
    """The OpenGraph document of an inventory's backup infrastructure and its attack paths (deterministic)."""
    model = build(inventory)
    infra = _infrastructure(model)
    attacks = _attack_edges(model)
    into: dict[str, set[str]] = {}
    for (holder, gained) in attacks:
        into.setdefault(gained, set()).add(holder)
    keep, stack = set(infra), list(infra)
    while stack:
        for h in into.get(stack.pop(), ()):
            if h not in keep:
                keep.add(h)
                stack.append(h)
    comps = inventory.components
    extra = {c: comps[c] for c in ("name", "object_id") if c in comps}
    names = {str(i): _cell(n) for i, n in zip(comps["id"], extra["name"])}
    object_ids = ({str(i): _cell(o) for i, o in zip(comps["id"], extra["object_id"])}
                  if "object_id" in extra else {})
    node_id = {c: (object_ids.get(c) or f"hiddenspof:{c}") for c in keep}
    verdicts = _credential_verdicts(model)
    nodes = []
    for c in sorted(keep):
        kinds = [_NODE_KIND.get(model.kind[c], "HSOther")]
        if c in model.backups_of:
            kinds.append("HSAsset")
        props: dict[str, Any] = {"name": names.get(c) or c, "hs_id": c, "hs_kind": model.kind[c],
                                 "hs_backup_infrastructure": c in infra}
        if model.tier.get(c) is not None:
            props["hs_tier"] = int(model.tier[c])
        if c in verdicts:
            props["hs_credential_compromise"] = verdicts[c]
        nodes.append({"id": node_id[c], "kinds": kinds, "properties": props})
    edges = []

    def edge(kind: str, start: str, end: str, **props: Any) -> None:
        edges.append({"kind": kind, "start": {"value": node_id[start], "match_by": "id"},
                      "end": {"value": node_id[end], "match_by": "id"},
                      "properties": {k: v for k, v in props.items() if v not in (None, "")}})

    for asset in model.assets:
        if asset in keep:
            for b in model.backups_of[asset]:
                edge("HSRestoresFrom", asset, b)
    for b, info in sorted(model.backup.items()):
        if info.restore_to and info.restore_to in keep:
            edge("HSRestoresTo", b, info.restore_to)
    for (comp, target), kinds in sorted(model.row_kinds.items()):
        if comp not in keep or target not in keep:
            continue
        plain = [k for k in kinds if k != "admin"]
        if plain:
            kind = "HSStoredOn" if comp in model.backup and model.kind[target] == "backup_store" else "HSDependsOn"
            edge(kind, comp, target, hs_rows=", ".join(plain))
        attack = attacks.get((target, comp))
        if attack is not None:
            edge(attack, target, comp, hs_rows=", ".join(kinds),
                 hs_directory=model.directory_relation.get((comp, target)))
    return {"metadata": {"source_kind": SOURCE_KIND}, "graph": {"nodes": nodes, "edges": edges}}


def _credential_verdicts(model) -> dict[str, str]:
    """Each asset's ``credential_compromise`` verdict, as the analysis JSON gives it."""
    kinds = coupling.THREAT_MODES["credential_compromise"]
    holders = [k for k in model.ids if model.kind[k] in kinds]
    if not holders:
        return {a: "not_applicable" for a in model.assets}
    lost: set[str] = set()
    for k in holders:
        lost |= set(coupling.compromise_recovery(model, k).unrecoverable)
    return {a: ("unrecoverable" if a in lost else "recoverable") for a in model.assets}


def write_opengraph(inventory, out: str | os.PathLike) -> Path:
    """Write :func:`opengraph` as JSON (sorted keys, UTF-8, LF) to ``out`` atomically."""
    path = Path(out)
    text = json.dumps(opengraph(inventory), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)
    return path
