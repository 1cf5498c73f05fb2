"""One page per critical asset (tier 1 and 2): what takes it down, how it comes back, how long, silent risk, fixes.

The page answers the five questions a client's IT lead asks about one
system, from the analysis JSON (and the model, for the recovery path):

* **what takes it down**: its common causes (single failures that leave it
  down after every restore) and the threat modes that leave it unrecoverable,
  plus the failure domains (coupling findings) that name it;
* **how it comes back**: the backup the model restores it from when it fails
  alone, the alternatives, and what stands in the way (the findings'
  ``blockers``, when the analysis provides them);
* **how long**: routine and disaster restore hours, its finish in the
  ``restore_all`` scenario, against its RTO;
* **silent-failure risk**: the score of its best backup with the evidence of
  each factor that earned points;
* **verified fixes**: the findings' ``fix`` entries, verified or not.

Fields the analysis does not (yet) provide are shown as unknown, never
invented. The same :class:`AssetPage` feeds the HTML report and the Word
document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from .presentation import MISSING, threat_label

__all__ = ["CRITICAL_TIERS", "AssetPage", "build", "facts_frame", "factors_frame", "fixes_frame"]

#: Tiers that get a page of their own.
CRITICAL_TIERS = (1, 2)


@dataclass(frozen=True)
class AssetPage:
    """Everything one asset page shows (plain data; formatting is the presentation module's job)."""

    asset: str
    name: str
    tier: int | None
    rto_hours: float | None
    rpo_hours: float | None
    common_causes: tuple[tuple[str, str], ...]  # (component, kind)
    threats: tuple[str, ...]  # human labels of the threat modes that leave it unrecoverable
    domains: tuple[str, ...]  # titles of the coupling findings that name it
    best_backup: str | None
    alternatives: tuple[str, ...]
    restore_to: str | None
    blockers: tuple[str, ...]
    routine_hours: float | None
    disaster_hours: float | None
    restore_all_hours: float | None
    restore_all_unrecoverable: bool
    silent_score: float | None
    silent_backup: str | None
    factors: tuple[dict, ...] = field(default_factory=tuple)  # {"name", "points", "evidence"} with points > 0
    fixes: tuple[dict, ...] = field(default_factory=tuple)  # {"finding", "change", "verified", "effect"}

    @property
    def title(self) -> str:
        """``Name (id), tier N``."""
        label = self.asset if not self.name or self.name == self.asset else f"{self.name} ({self.asset})"
        return f"{label}, tier {self.tier}" if self.tier is not None else label


def _hours(x: float | None) -> str:
    return "unknown" if x is None else f"{x:.3g} h"


def build(result: Mapping, model=None, names: Mapping[str, str] | None = None,
          tiers: tuple[int, ...] = CRITICAL_TIERS) -> list[AssetPage]:
    """The pages of every asset whose tier is in ``tiers``, most critical first, then by id.

    Parameters
    ----------
    result : mapping
        The analysis JSON (``analysis.analyze``).
    model : Model, optional
        The failure model, for the backup the asset is restored from when it
        fails alone; without it the best path is the backup with the lowest
        silent-failure score.
    names : mapping, optional
        Component id -> display name.
    """
    names = dict(names or {})
    kinds = {c["id"]: c.get("kind", "") for c in result.get("components", [])}
    backups = {b["id"]: b for b in result.get("backups", [])}
    findings = list(result.get("findings", []))
    restore_all = next((s for s in result.get("capacity", {}).get("scenarios", []) if s.get("kind") == "restore_all"), None)
    pages = []
    chosen = sorted((a for a in result.get("assets", []) if a.get("tier") in tiers),
                    key=lambda a: (a.get("tier"), a["id"]))
    for a in chosen:
        aid = a["id"]
        mine = [f for f in findings if aid in f.get("assets", [])]
        causes = tuple((c, kinds.get(c, "")) for c in a.get("common_cause", []) if c != aid)
        threats = tuple(threat_label(m) for m, v in a.get("threats", {}).items() if v == "unrecoverable")
        domains = tuple(f["title"] for f in mine if f.get("category") == "coupling")
        blockers = tuple(sorted({b for f in mine for b in (f.get("blockers") or [])}))
        best, alternatives, restore_to = _best_path(aid, a, backups, model)
        # silent-failure: the backup with the best (lowest) score is the one that decides
        scored = sorted((backups[b] for b in a.get("backups", []) if b in backups),
                        key=lambda b: (b.get("silent_failure_score", 0.0), b["id"]))
        silent = scored[0] if scored else None
        factors = tuple(
            {"name": f["name"], "points": f["points"], "evidence": f.get("evidence", "")}
            for f in (silent.get("factors", []) if silent else []) if f.get("points", 0) > 0
        )
        fixes = tuple(
            {"finding": f["title"], "change": f["fix"].get("change", ""), "verified": bool(f["fix"].get("verified")),
             "effect": f["fix"].get("effect", "")}
            for f in mine if isinstance(f.get("fix"), Mapping)
        )
        all_hours, lost = None, False
        if restore_all is not None:
            lost = aid in restore_all.get("unrecoverable", [])
            r = next((r for r in restore_all.get("restores", []) if r["asset"] == aid), None)
            all_hours = None if r is None else r.get("finish_hours")
        hours = a.get("restore_hours") or {}
        pages.append(AssetPage(
            asset=aid, name=names.get(aid, ""), tier=a.get("tier"), rto_hours=a.get("rto_hours"),
            rpo_hours=a.get("rpo_hours"), common_causes=causes, threats=threats, domains=domains,
            best_backup=best, alternatives=alternatives, restore_to=restore_to, blockers=blockers,
            routine_hours=hours.get("routine"), disaster_hours=hours.get("disaster"),
            restore_all_hours=all_hours, restore_all_unrecoverable=lost,
            silent_score=a.get("silent_failure_score"), silent_backup=silent["id"] if silent else None,
            factors=factors, fixes=fixes,
        ))
    return pages


def _best_path(asset: str, entry: Mapping, backups: Mapping, model) -> tuple[str | None, tuple[str, ...], str | None]:
    """(backup restored from when the asset fails alone, other usable backups, restore target)."""
    if model is not None:
        rec = model.recover({asset})
        mine = [r for r in rec.restores if r.asset == asset]
        if not mine:
            return None, (), None
        r = mine[0]
        target = model.backup[r.backup].restore_to
        return r.backup, tuple(b for b in r.alternatives if b != r.backup), target
    usable = sorted((backups[b] for b in entry.get("backups", []) if b in backups),
                    key=lambda b: (b.get("silent_failure_score", 0.0), b["id"]))
    if not usable:
        return None, (), None
    return usable[0]["id"], tuple(b["id"] for b in usable[1:]), None


def facts_frame(page: AssetPage) -> pd.DataFrame:
    """The page's answers as a two-column table (question, answer), every answer a sentence."""
    if page.common_causes:
        down = "Single failures that leave it down after every restore: " + ", ".join(
            f"{c} ({k.replace('_', ' ')})" if k else c for c, k in page.common_causes) + "."
    else:
        down = "No single failure leaves it down after every restore."
    if page.threats:
        down += " Threats that leave it unrecoverable: " + ", ".join(page.threats) + "."
    if page.domains:
        down += " Failure domains: " + "; ".join(page.domains) + "."
    if page.best_backup is None:
        back = "No backup can restore it when it fails on its own."
    else:
        back = f"Restored from {page.best_backup}"
        back += f" onto {page.restore_to}." if page.restore_to else " in place."
        if page.alternatives:
            back += " Alternatives: " + ", ".join(page.alternatives) + "."
    back += (" In the way of recovery: " + ", ".join(page.blockers) + ".") if page.blockers else ""
    rto = "no RTO recorded" if page.rto_hours is None else f"RTO {page.rto_hours:g} h"
    if page.restore_all_unrecoverable:
        everything = "cannot be restored when everything restores at once"
    elif page.restore_all_hours is None:
        everything = "when everything restores at once its restore cannot be timed (no throughput on its path)"
    else:
        everything = f"back after {_hours(page.restore_all_hours)} when everything restores at once"
    late = [x for x in (page.routine_hours, page.disaster_hours, page.restore_all_hours) if x is not None]
    verdict = ""
    if page.rto_hours is not None and late:
        verdict = " Misses its RTO." if max(late) > page.rto_hours + 1e-9 else " Within its RTO wherever a time is known."
    elif page.rto_hours is not None:
        verdict = " Whether it meets its RTO is unknown: no restore time is known."
    long = (f"Alone: {_hours(page.routine_hours)}; worst disaster scenario: {_hours(page.disaster_hours)}; "
            f"{everything}; {rto}.{verdict}")
    if page.silent_score is None:
        silent = "No backup to score."
    else:
        silent = (f"{page.silent_score:g} / 100 for its best backup {page.silent_backup}"
                  + (f", from {len(page.factors)} factor(s) listed below." if page.factors else ", with no evidence against it."))
    if page.fixes:
        ok = sum(1 for f in page.fixes if f["verified"])
        fixes = f"{ok} of {len(page.fixes)} proposed change(s) verified by re-analysis (listed below)."
    else:
        fixes = "No fix has been proposed for this asset."
    return pd.DataFrame({
        "question": ["What takes it down", "How it comes back", "How long", "Silent-failure risk", "Fixes"],
        "answer": [down, back, long, silent, fixes],
    })


def factors_frame(page: AssetPage) -> pd.DataFrame:
    """The silent-failure factors of the asset's best backup that earned points, most points first."""
    rows = sorted(page.factors, key=lambda f: (-f["points"], f["name"]))
    return pd.DataFrame([{"factor": f["name"].replace("_", " "), "points": f["points"],
                          "evidence": f["evidence"] or MISSING} for f in rows],
                        columns=["factor", "points", "evidence"])


def fixes_frame(page: AssetPage) -> pd.DataFrame:
    """The changes proposed for the asset: what, verified or not, and what the re-analysis showed."""
    rows = [{"finding": f["finding"], "change": f["change"], "fix": "verified" if f["verified"] else "not verified",
             "effect": f["effect"]} for f in page.fixes]
    return pd.DataFrame(rows, columns=["finding", "change", "fix", "effect"])
