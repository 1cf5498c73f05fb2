"""The Finding type shared by every analysis, with severity rules and JSON/CSV export."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "AssetLine",
    "CATEGORIES",
    "Fix",
    "SEVERITIES",
    "Finding",
    "consolidate",
    "severity_rank",
    "sort_findings",
    "findings_frame",
    "findings_csv",
    "neutralise_cell",
]

CATEGORIES = ("coupling", "silent_failure", "capacity", "data_quality")
SEVERITIES = ("critical", "high", "medium", "low", "info")


def severity_rank(severity: str) -> int:
    """0 for critical ... 4 for info; raises ValueError for an unknown severity."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        raise ValueError(
            f"unknown severity {severity!r}: expected one of {', '.join(SEVERITIES)}"
        ) from None


@dataclass(frozen=True)
class Fix:
    """A change that was applied to a copy of the inventory and re-analysed.

    ``verified`` is true only when the re-analysis shows the finding resolved
    and raises no new critical or high finding; ``effect`` says what changed
    (or, unverified, what was tried). ``changes`` are the same change as edit
    operations (``hiddenspof.edits.Edit``; ``hiddenspof apply`` applies them),
    ``reuses`` the existing components it relies on, ``new_findings`` the
    critical or high findings it would raise, ``production`` whether it
    changes a production asset's own requirements.
    """

    change: str
    verified: bool
    effect: str
    #: the edits (``edits.Edit``) of ``fix.changes``, in order
    changes: tuple = field(default=(), compare=False, repr=False)
    reuses: tuple[str, ...] = ()
    new_findings: tuple[str, ...] = ()
    production: bool = False
    #: the what-if changes (``whatif.Change``) the edits were compiled from; not part of the JSON
    steps: tuple = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if any(not hasattr(e, "op") for e in self.changes):  # read back from the JSON: dicts
            from .edits import edit_from_json

            object.__setattr__(self, "changes", tuple(e if hasattr(e, "op") else edit_from_json(e)
                                                      for e in self.changes))
        object.__setattr__(self, "reuses", tuple(self.reuses))
        object.__setattr__(self, "new_findings", tuple(self.new_findings))

    def to_json(self) -> dict:
        return {"change": self.change, "verified": bool(self.verified), "effect": self.effect,
                "changes": [e.to_json() for e in self.changes], "reuses": list(self.reuses),
                "new_findings": list(self.new_findings), "production": bool(self.production)}


@dataclass(frozen=True)
class AssetLine:
    """One asset's row in the per-asset table of a finding that applies one rule to many assets."""

    asset: str
    severity: str
    components: tuple[str, ...] = ()
    evidence: str = ""
    recommendation: str = ""

    def to_json(self) -> dict:
        return {"asset": self.asset, "severity": self.severity, "components": list(self.components),
                "evidence": self.evidence, "recommendation": self.recommendation}


@dataclass(frozen=True)
class Finding:
    """One thing the analyst should act on, explained by its evidence.

    ``id`` is a stable key (``category:rule:subject``) so that two assessments
    can be compared finding by finding without relying on the wording.
    """

    id: str
    category: str
    severity: str
    title: str
    assets: tuple[str, ...] = field(default_factory=tuple)
    components: tuple[str, ...] = field(default_factory=tuple)
    evidence: str = ""
    recommendation: str = ""
    #: What stands between the asset and recovery (coupling/capacity); empty otherwise.
    blockers: tuple[str, ...] = field(default_factory=tuple)
    #: The verified (or tried) change behind the recommendation; None when not applicable.
    fix: Fix | None = None
    #: One row per asset when the finding applies one rule to many assets (``consolidate``); empty otherwise.
    per_asset: tuple[AssetLine, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown finding category {self.category!r}: expected one of {CATEGORIES}")
        severity_rank(self.severity)
        object.__setattr__(self, "assets", tuple(sorted(set(self.assets))))
        object.__setattr__(self, "components", tuple(sorted(set(self.components))))
        object.__setattr__(self, "blockers", tuple(sorted(set(self.blockers))))
        if isinstance(self.fix, dict):  # read back from the JSON
            object.__setattr__(self, "fix", Fix(**{k: v for k, v in self.fix.items() if k in Fix.__dataclass_fields__}))
        if any(isinstance(x, dict) for x in self.per_asset):  # read back from the JSON
            object.__setattr__(self, "per_asset", tuple(
                x if isinstance(x, AssetLine) else AssetLine(**{**x, "components": tuple(x.get("components", ()))})
                for x in self.per_asset))

    @classmethod
    def from_json(cls, data: dict) -> Finding:
        """The Finding of one entry of the JSON's ``findings`` (unknown keys ignored)."""
        fields = set(cls.__dataclass_fields__)
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in fields})

    def to_json(self) -> dict:
        """The contract's JSON form (lists, not tuples)."""
        return {
            "id": self.id, "category": self.category, "severity": self.severity, "title": self.title,
            "assets": list(self.assets), "components": list(self.components),
            "evidence": self.evidence, "recommendation": self.recommendation,
            "blockers": list(self.blockers), "fix": None if self.fix is None else self.fix.to_json(),
            "per_asset": [x.to_json() for x in self.per_asset],
        }


def _listed(items: Sequence[str], limit: int = 4) -> str:
    """``a``, ``a and b``, ``a, b, c, d and 3 more``."""
    items = list(items)
    if len(items) > limit:
        return f"{', '.join(items[:limit])} and {len(items) - limit} more"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def consolidate(rule_id: str, per_asset: Sequence[Finding], title: str | None = None,
                recommendation: str | None = None) -> Finding:
    """One finding for one rule applied to many assets, from the rule's per-asset findings.

    The id is ``rule_id`` (``category:rule``, no asset: it stays the same
    however many assets the rule catches, so assessments compare finding by
    finding), the severity the worst, the assets and components the union;
    ``per_asset`` keeps each asset's severity, components, evidence and
    recommendation (the per-asset table), and the evidence says them asset by
    asset. With one asset the finding keeps its own title and wording.
    ``title``'s ``{n}`` is the number of assets and ``{assets}`` names them.
    """
    parts = sorted(per_asset, key=lambda f: (severity_rank(f.severity), f.assets))
    if not parts:
        raise ValueError(f"nothing to consolidate for {rule_id!r}")
    lines = tuple(sorted((AssetLine(a, f.severity, f.components, f.evidence, f.recommendation)
                          for f in parts for a in f.assets), key=lambda x: x.asset))
    assets = sorted({x.asset for x in lines})
    first = parts[0]
    if len(parts) == 1:
        return dataclasses.replace(first, id=rule_id, per_asset=lines)
    evidence = " ".join(f"{x.asset} ({x.severity}): {x.evidence}" for x in lines)
    recs = dict.fromkeys(x.recommendation for x in lines if x.recommendation)  # first-seen order, each once
    return Finding(
        id=rule_id, category=first.category, severity=first.severity,
        title=(title or "{n} assets: " + first.title).format(n=len(assets), assets=_listed(assets)),
        assets=tuple(assets), components=tuple(c for f in parts for c in f.components),
        evidence=evidence, recommendation=recommendation or " ".join(recs),
        blockers=tuple(b for f in parts for b in f.blockers), per_asset=lines,
    )


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by category and id: a total, repeatable order."""
    return sorted(findings, key=lambda f: (severity_rank(f.severity), f.category, f.id))


def findings_frame(findings: Iterable[Finding]):
    """A pandas DataFrame, one row per finding, lists joined with '; '."""
    import pandas as pd

    rows = []
    for f in sort_findings(findings):
        d = f.to_json()
        d["assets"] = "; ".join(f.assets)
        d["components"] = "; ".join(f.components)
        d["blockers"] = "; ".join(f.blockers)
        d["fix_verified"] = None if f.fix is None else f.fix.verified
        d["fix_effect"] = "" if f.fix is None else f.fix.effect
        del d["fix"]
        rows.append(d)
    columns = ["id", "category", "severity", "title", "assets", "components", "evidence", "recommendation",
               "blockers", "fix_verified", "fix_effect"]
    return pd.DataFrame(rows, columns=columns)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with a quote (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def findings_csv(findings: Iterable[Finding]) -> str:
    """CSV text of the findings, safe to open in a spreadsheet."""
    frame = findings_frame(findings)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        writer.writerow([neutralise_cell(v) for v in row])
    return buf.getvalue()
