"""Intake overview and data-quality gaps: what the inventory says, and what it leaves unknown.

An assessment is only as good as its inventory. Before any analysis the analyst
should see what is there (counts by kind, the protected assets with their
objectives) and what is missing (assets without a backup, backups whose
restore needs are not recorded, assets without RTO/RPO, components nothing
depends on). Missing facts are reported as ``data_quality`` findings.
"""

from __future__ import annotations

import pandas as pd

from .findings import Finding
from .inventory import KINDS, Inventory

__all__ = ["counts_by_kind", "asset_table", "gaps", "quality_findings"]

# Kinds that hold data or run business logic: if nothing protects one that has
# a tier, that is worth asking about.
_PROTECTABLE = ("service", "datastore")


def counts_by_kind(inv: Inventory) -> pd.DataFrame:
    """How many components of each kind, in the contract's kind order (zeros omitted)."""
    counts = inv.components["kind"].value_counts()
    rows = [(k, int(counts[k])) for k in KINDS if k in counts.index]
    return pd.DataFrame(rows, columns=["kind", "components"])


def asset_table(inv: Inventory) -> pd.DataFrame:
    """Every protected asset with tier, RTO, RPO, data size and its backups (sorted by id)."""
    comps = inv.components.set_index("id")
    backups = inv.backups.dropna(subset=["protects"])
    by_asset = backups.groupby("protects")["id"].apply(lambda s: sorted(s))
    rows = []
    for asset in sorted(by_asset.index):
        c = comps.loc[asset] if asset in comps.index else None
        rows.append({
            "asset": asset,
            "name": c["name"] if c is not None else asset,
            "kind": c["kind"] if c is not None else None,
            "tier": c["tier"] if c is not None else pd.NA,
            "rto_hours": c["rto_hours"] if c is not None else float("nan"),
            "rpo_hours": c["rpo_hours"] if c is not None else float("nan"),
            "data_gb": c["data_gb"] if c is not None else float("nan"),
            "backups": len(by_asset[asset]),
            "backup_ids": "; ".join(by_asset[asset]),
        })
    frame = pd.DataFrame(rows, columns=["asset", "name", "kind", "tier", "rto_hours", "rpo_hours", "data_gb", "backups", "backup_ids"])
    frame["tier"] = frame["tier"].astype("Int64")
    return frame


def gaps(inv: Inventory) -> pd.DataFrame:
    """One row per data-quality gap: ``gap``, ``component``, ``detail`` (sorted, repeatable).

    Gaps: a tiered service or datastore without any backup, or an untiered one
    whose ``source_type`` (the extra column importers write: "VMware VM",
    "Hyper-V VM"...) other protected components share, as when a backup tool
    lists some VMs as unprotected beside protected ones; a backup with no
    dependency rows (its restore needs are unknown, so it looks independent
    when it may not be); a protected asset without RTO or RPO; a component
    that nothing depends on and that is neither protected nor a backup (often
    a forgotten dependency row).
    """
    comps = inv.components
    deps = inv.dependencies
    protected = set(inv.backups["protects"].dropna())
    backup_ids = set(inv.backups["id"].dropna())
    # an admin row says who can administer a backup, not what its restore needs
    has_deps = set(deps.loc[deps["kind"] != "admin", "component"].dropna())
    needed = set(deps["depends_on"].dropna()) | set(inv.backups["restore_to"].dropna()) | set(inv.backups["alert_channel"].dropna())
    stype = comps["source_type"] if "source_type" in comps.columns else pd.Series([None] * len(comps), index=comps.index)
    stype = stype.where(stype.notna() & (stype.astype(str).str.strip() != ""), None)
    covered = {t for t, cid in zip(stype, comps["id"]) if t is not None and cid in protected}
    rows = []
    for row, source_type in zip(comps.itertuples(index=False), stype):
        cid, kind = row.id, row.kind
        if kind in _PROTECTABLE and not pd.isna(row.tier) and cid not in protected:
            rows.append(("no backup", cid, f"tier {int(row.tier)} {kind} that no backup protects"))
        elif kind in _PROTECTABLE and cid not in protected and source_type in covered:
            rows.append(("no backup", cid, f"{kind} that no backup protects, while other components of type"
                         f" '{source_type}' are protected"))
        if cid in protected:
            missing = [name for name, value in (("rto_hours", row.rto_hours), ("rpo_hours", row.rpo_hours)) if pd.isna(value)]
            if missing:
                rows.append(("missing objective", cid, "protected asset without " + " and ".join(missing)))
        if cid in backup_ids and cid not in has_deps:
            rows.append(("backup without dependencies", cid, "no dependency rows: where it is stored and what a restore needs are unknown"))
        if cid not in needed and cid not in protected and cid not in backup_ids and kind not in _PROTECTABLE:
            rows.append(("nothing depends on it", cid, f"{kind} that no dependency row, restore target or alert channel names"))
    frame = pd.DataFrame(rows, columns=["gap", "component", "detail"])
    return frame.sort_values(["gap", "component"], kind="stable").reset_index(drop=True)


_GAP_RULES = {
    "no backup": ("no-backup", "medium", "{c} has no backup", "Add a backup of {c}, or record why it needs none (stateless, rebuilt from code)."),
    "missing objective": ("missing-objective", "low", "{c} has no recovery objective", "Agree RTO and RPO for {c} with its owner: capacity and freshness checks need them."),
    "backup without dependencies": ("backup-without-dependencies", "medium", "Restore needs of {c} are not recorded", "Record where {c} is stored and what a restore needs (store, account, identity, keys, tool): unrecorded, it looks independent."),
    "nothing depends on it": ("orphan", "info", "Nothing depends on {c}", "Check for a missing dependency row, or remove {c} from the inventory."),
}


def quality_findings(inv: Inventory) -> list[Finding]:
    """``data_quality`` findings, one per gap, with stable ids."""
    out = []
    protected = set(inv.backups["protects"].dropna())
    for gap in gaps(inv).itertuples(index=False):
        rule, severity, title, rec = _GAP_RULES[gap.gap]
        out.append(Finding(
            id=f"data_quality:{rule}:{gap.component}",
            category="data_quality",
            severity=severity,
            title=title.format(c=gap.component),
            assets=(gap.component,) if gap.component in protected else (),
            components=(gap.component,),
            evidence=f"{gap.component}: {gap.detail}.",
            recommendation=rec.format(c=gap.component),
        ))
    return out
