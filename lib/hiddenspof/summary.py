"""Executive-summary figures drawn from the analysis JSON: headline, scorecard, top findings, threat matrix.

Everything here reads the contract's JSON (``analysis.analyze``), so the
summary notebook and the report index show the same numbers, computed once
and the same way. Ties are broken by id (Unicode code point order), never by
dictionary order.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .findings import SEVERITIES, severity_rank

__all__ = [
    "THREAT_ORDER",
    "VERDICTS",
    "headline",
    "scorecard",
    "top_findings",
    "threat_matrix",
    "severity_counts",
    "styled",
]

THREAT_ORDER = (
    "site_loss",
    "region_loss",
    "provider_loss",
    "account_loss",
    "identity_outage",
    "control_plane_outage",
    "credential_compromise",
    "logical_corruption",
)
VERDICTS = ("unrecoverable", "recoverable", "not_applicable")


def _worst_silent(result: Mapping) -> dict | None:
    """The asset whose best backup is most likely broken unnoticed (highest asset score)."""
    scored = [
        (a["silent_failure_score"], a["id"])
        for a in result.get("assets", [])
        if a.get("silent_failure_score") is not None
    ]
    if not scored:
        return None
    score, asset = min(scored, key=lambda s: (-s[0], s[1]))
    return {"asset": asset, "score": float(score)}


def _worst_capacity_miss(result: Mapping) -> dict | None:
    """The restore that finishes furthest past its RTO over every capacity scenario."""
    misses = []
    for scenario in result.get("capacity", {}).get("scenarios", []):
        for r in scenario.get("restores", []):
            if r.get("meets_rto") is False and r.get("rto_hours") is not None:
                late = float(r["finish_hours"]) - float(r["rto_hours"])
                misses.append((late, r["asset"], scenario["name"], float(r["finish_hours"]), float(r["rto_hours"])))
    if not misses:
        return None
    late, asset, name, finish, rto = min(misses, key=lambda m: (-m[0], m[1], m[2]))
    return {"asset": asset, "scenario": name, "hours_late": late, "finish_hours": finish, "rto_hours": rto}


def _untimed_restores(result: Mapping) -> list[str]:
    """Assets whose restore could not be timed in some capacity scenario (``finish_hours`` null), sorted."""
    return sorted({r["asset"] for scenario in result.get("capacity", {}).get("scenarios", [])
                   for r in scenario.get("restores", []) if r.get("finish_hours") is None})


def headline(result: Mapping) -> dict:
    """The headline figures of one assessment, as shown on the report index.

    Parameters
    ----------
    result : Mapping
        The analysis JSON (``schema_version`` 1).

    Returns
    -------
    dict
        ``assets`` (count), ``unrecoverable_assets`` (assets that some threat
        mode leaves unrecoverable), ``worst_silent`` (``{"asset", "score"}``:
        the highest asset-level silent-failure score, i.e. the asset whose
        *best* backup is most likely broken unnoticed; None when nothing is
        scored), ``worst_capacity_miss`` (``{"asset", "scenario",
        "hours_late", "finish_hours", "rto_hours"}``: the restore finishing
        furthest past its RTO in any capacity scenario; None when no timed
        restore misses its RTO), ``untimed_restores`` (assets whose restore
        could not be timed, no throughput on its path: their verdict is
        unknown, never "met") and ``findings`` (count per severity, every
        severity present).
    """
    assets = result.get("assets", [])
    unrecoverable = sum(
        1 for a in assets if "unrecoverable" in (a.get("threats") or {}).values()
    )
    counts = severity_counts(result)
    return {
        "assets": len(assets),
        "unrecoverable_assets": unrecoverable,
        "worst_silent": _worst_silent(result),
        "worst_capacity_miss": _worst_capacity_miss(result),
        "untimed_restores": _untimed_restores(result),
        "findings": counts,
    }


def severity_counts(result: Mapping) -> dict[str, int]:
    """Number of findings per severity, most severe first, zero where none."""
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in result.get("findings", []):
        counts[f["severity"]] += 1
    return counts


def scorecard(result: Mapping) -> pd.DataFrame:
    """The scorecard table: one row per headline measure, its value and what it means.

    Returns
    -------
    pandas.DataFrame
        Columns ``measure``, ``value`` (text, for display), ``meaning``.
    """
    h = headline(result)
    silent = h["worst_silent"]
    miss = h["worst_capacity_miss"]
    unrec = result.get("assets", [])
    single_spof = sum(1 for a in unrec if len(a.get("common_cause", [])) > 0)
    rows = [
        ("Assets assessed", str(h["assets"]), "components that at least one backup protects"),
        (
            "Unrecoverable under some threat",
            f"{h['unrecoverable_assets']} of {h['assets']}",
            "assets that at least one threat mode (site, region, account loss, credential compromise, ...) leaves with no working backup",
        ),
        (
            "Assets with a hidden single point of failure",
            f"{single_spof} of {h['assets']}",
            "assets that one component failing alone leaves unrecoverable",
        ),
        (
            "Worst silent-failure score",
            "n/a" if silent is None else f"{silent['score']:.0f} / 100 ({silent['asset']})",
            "risk that even the asset's best backup would not restore, with nobody knowing",
        ),
        (
            "Worst capacity miss",
            _miss_text(miss, h["untimed_restores"]),
            "the restore finishing furthest past its RTO when many restores compete for the same resources"
            + ("; restores with no throughput on their path cannot be timed, so their RTO verdict is unknown"
               if h["untimed_restores"] else ""),
        ),
        (
            "Findings",
            ", ".join(f"{n} {s}" for s, n in h["findings"].items() if n) or "none",
            "findings by severity",
        ),
    ]
    return pd.DataFrame(rows, columns=["measure", "value", "meaning"])


def _miss_text(miss: Mapping | None, untimed: list[str]) -> str:
    """The scorecard's capacity value: the worst miss, and how many restores could not be timed (unknown, not met)."""
    late = None if miss is None else f"{miss['hours_late']:.1f} h late ({miss['asset']}, {miss['scenario']})"
    if not untimed:
        return late or "none"
    n = len(untimed)
    unknown = f"{n} restore{'s' if n > 1 else ''} could not be timed"
    return f"{late}; {unknown}" if late else f"unknown: {unknown}"


def _is_ransomware(f: Mapping, tiers: Mapping[str, int | None]) -> bool:
    """A credential-compromise finding that leaves a tier-1 asset unrecoverable."""
    return ":credential_compromise" in f["id"] and any(tiers.get(a) == 1 for a in f.get("assets", []))


def top_findings(result: Mapping, n: int = 10) -> pd.DataFrame:
    """The ``n`` findings to read first, ranked by risk, covering every category that matters.

    Rank: severity, then the most critical tier the finding touches
    (findings about no tiered asset after tiered ones), then how many assets
    it takes (more first), then category and id. The list always holds the
    best-ranked finding of each category that has a critical or high one, and
    the best credential-compromise (ransomware) finding whenever one leaves a
    tier-1 asset unrecoverable; the rest of the places go by rank. Because
    findings are one per root cause, a story repeated for many components
    counts once.

    Returns
    -------
    pandas.DataFrame
        Columns ``severity``, ``tier`` (nullable int), ``category``, ``title``,
        ``assets`` (``; ``-joined), ``recommendation``, ``id``; in rank order.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0 (got {n!r})")
    tiers = {a["id"]: a.get("tier") for a in result.get("assets", [])}

    def tier_of(f: Mapping) -> int | None:
        known = [tiers[a] for a in f.get("assets", []) if tiers.get(a) is not None]
        return min(known) if known else None

    def key(f: Mapping) -> tuple:
        tier = tier_of(f)
        return (severity_rank(f["severity"]), 99 if tier is None else tier, -len(f.get("assets", [])),
                f["category"], f["id"])

    ranked = sorted(result.get("findings", []), key=key)
    must: list[Mapping] = []
    ransom = [f for f in ranked if _is_ransomware(f, tiers)]
    if ransom:
        must.append(ransom[0])
    for cat in sorted({f["category"] for f in ranked if severity_rank(f["severity"]) <= 1}):
        best = next(f for f in ranked if f["category"] == cat)
        if best not in must:
            must.append(best)
    chosen = sorted(must, key=key)[:n]
    for f in ranked:
        if len(chosen) >= n:
            break
        if f not in chosen:
            chosen.append(f)
    rows = [
        {
            "severity": f["severity"],
            "tier": tier_of(f),
            "category": f["category"],
            "title": f["title"],
            "assets": "; ".join(sorted(f.get("assets", []))),
            "recommendation": f.get("recommendation", ""),
            "id": f["id"],
        }
        for f in sorted(chosen, key=key)
    ]
    columns = ["severity", "tier", "category", "title", "assets", "recommendation", "id"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["tier"] = frame["tier"].astype("Int64")
    return frame


def threat_matrix(result: Mapping, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The asset x threat verdicts in long form, for the heat map.

    Parameters
    ----------
    result : Mapping
        The analysis JSON.
    names : Mapping[str, str], optional
        Component id -> display name; an asset whose name differs from its id
        is labelled ``"name (id)"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``asset``, ``label``, ``tier``, ``threat``, ``verdict``; assets
        sorted by id, threats in the contract's order (unknown modes after,
        sorted).
    """
    names = names or {}
    modes = {m for a in result.get("assets", []) for m in (a.get("threats") or {})}
    order = [m for m in THREAT_ORDER if m in modes] + sorted(modes - set(THREAT_ORDER))
    rows = []
    for a in sorted(result.get("assets", []), key=lambda a: a["id"]):
        name = names.get(a["id"], a["id"])
        label = a["id"] if name in (None, a["id"]) else f"{name} ({a['id']})"
        for m in order:
            verdict = (a.get("threats") or {}).get(m, "not_applicable")
            rows.append((a["id"], label, a.get("tier"), m, verdict))
    frame = pd.DataFrame(rows, columns=["asset", "label", "tier", "threat", "verdict"])
    frame["tier"] = frame["tier"].astype("Int64")
    return frame


def styled(frame: pd.DataFrame, key: str):
    """A summary table for display: no index, text left-aligned, every cell HTML-escaped.

    ``key`` names the table's CSS scope, so the HTML is the same on every run
    (pandas would otherwise pick a random id).
    """
    return (
        frame.style.hide(axis="index")
        .format(escape="html", na_rep="")
        .set_uuid(key)
        .set_table_styles([{"selector": "th, td", "props": [("text-align", "left")]}])
    )
