"""Comparing two assessments of one estate: what the last round of remediation fixed and what regressed.

Either side is an analysis JSON file (``docs/command-line.md``,
``schema_version`` 1) or an inventory, which is analysed first
(``analysis.analyze``). Assets are matched by id and findings by their stable
``id`` (``category:rule:subject``), never by wording, so a reworded title or
evidence is not a change.

Every change gets a direction. Improvements: a common cause lost, a threat
verdict ``unrecoverable`` -> ``recoverable`` (or ``not_applicable``), a higher
survivability, a lower silent-failure score, a shorter restore time, a
finding resolved, a finding's severity lowered. Regressions are the
opposites. Changes within ``TOLERANCE`` (Monte Carlo noise, ages that grow
with ``as_of``) are reported as values but not counted. A value that appears
or disappears (``null`` on one side) is listed without a direction: it
changed what is known, not how good it is. Assets added or removed are
listed, not counted. The headline is ``improved`` (improvements only),
``regressed`` (regressions only), ``mixed`` or ``unchanged``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from .errors import HiddenspofError
from .findings import SEVERITIES

__all__ = [
    "TOLERANCE",
    "load_assessment",
    "compare_results",
    "compare",
    "format_text",
    "asset_changes_frame",
    "finding_changes_frame",
    "RENAMED_RULES",
    "successors",
]

#: Smallest change counted as an improvement or regression, per measure.
TOLERANCE: dict[str, float] = {
    "survivability": 0.01,  # about half the 95 % half-width of the Monte Carlo estimate
    "silent_failure_score": 1.0,  # points out of 100; ages grow a little with as_of
    "restore_hours": 0.01,  # relative (1 %)
}

_THREAT_BAD = {"unrecoverable": 1, "recoverable": 0, "not_applicable": 0}


def _is_json(path: Path) -> bool:
    """Whether ``path`` is an analysis JSON file (by suffix, or a file whose text starts with ``{``)."""
    if not path.is_file():
        return False
    if path.suffix.lower() == ".json":
        return True
    if path.suffix.lower() in (".yaml", ".yml", ".xlsx", ".csv"):
        return False
    with path.open("rb") as fh:
        return fh.read(64).lstrip().startswith(b"{")


def load_assessment(path: str | os.PathLike) -> dict:
    """The analysis JSON of ``path``: read from an analysis JSON file, or computed from an inventory.

    Raises
    ------
    HiddenspofError
        The path does not exist, the JSON is malformed (with line and
        column), has another ``schema_version`` or lacks a required key; or
        the inventory is invalid (``InventoryError``, every problem listed).
    """
    p = Path(path)
    if not p.exists():
        raise HiddenspofError(f"{p}: no such file or folder; expected an analysis JSON file or an inventory")
    if _is_json(p):
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise HiddenspofError(f"{p}: line {err.lineno}, column {err.colno}: not valid JSON ({err.msg})") from None
        except UnicodeDecodeError:
            raise HiddenspofError(f"{p}: not UTF-8 text; expected an analysis JSON file") from None
        _check_analysis(data, str(p))
        return data
    from . import analysis, assessment, inventory

    # through the JSON text, so an inventory and its saved analysis compare equal (same rounding);
    # in a report the environment's analysis is already there (hiddenspof.assessment)
    found = assessment.preloaded(p)
    return json.loads(analysis.dumps(found.result if found is not None else analysis.analyze(inventory.load(p))))


def _check_analysis(data: Any, where: str) -> None:
    """Raise a clear error unless ``data`` looks like schema-1 analysis JSON."""
    if not isinstance(data, dict):
        raise HiddenspofError(f"{where}: expected a JSON object (analysis output), got {type(data).__name__}")
    version = data.get("schema_version")
    if version != 1:
        raise HiddenspofError(f"{where}: key 'schema_version': value {version!r} - expected 1 (analysis output of this hiddenspof)")
    for key, kind in (("environment", dict), ("assets", list), ("findings", list)):
        if not isinstance(data.get(key), kind):
            raise HiddenspofError(f"{where}: key {key!r}: expected a {'list' if kind is list else 'mapping'}")
    for i, a in enumerate(data["assets"]):
        if not isinstance(a, dict) or not isinstance(a.get("id"), str):
            raise HiddenspofError(f"{where}: assets[{i}]: expected a mapping with a text 'id'")
    for i, f in enumerate(data["findings"]):
        if not isinstance(f, dict) or not isinstance(f.get("id"), str):
            raise HiddenspofError(f"{where}: findings[{i}]: expected a mapping with a text 'id'")


def _number(v: Any) -> float | None:
    """A finite float, or None for null/NaN."""
    if v is None or isinstance(v, bool):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _measure(old: Any, new: Any, higher_is_better: bool, tol: float, relative: bool = False) -> dict:
    """One numeric measure on both sides: values, delta and direction (``improved``, ``regressed``, ``same`` or None)."""
    a, b = _number(old), _number(new)
    out = {"old": a, "new": b, "delta": None, "direction": None}
    if a is None or b is None:
        if (a is None) != (b is None):
            out["direction"] = None  # appeared or disappeared: a change of knowledge, not of quality
        else:
            out["direction"] = "same"
        return out
    if math.isinf(a) or math.isinf(b):  # e.g. a restore time that cannot finish
        out["direction"] = "same" if a == b else (
            "improved" if (b > a) == higher_is_better else "regressed"
        )
        return out
    delta = b - a
    out["delta"] = delta
    scale = max(abs(a), abs(b)) if relative else 1.0
    if abs(delta) <= tol * scale:
        out["direction"] = "same"
    else:
        better = delta > 0 if higher_is_better else delta < 0
        out["direction"] = "improved" if better else "regressed"
    return out


def _asset_changes(old: dict, new: dict) -> dict:
    """How one asset changed between two assessments."""
    cc_old, cc_new = set(old.get("common_cause") or ()), set(new.get("common_cause") or ())
    flips = []
    t_old, t_new = old.get("threats") or {}, new.get("threats") or {}
    for mode in sorted(set(t_old) | set(t_new)):
        a, b = t_old.get(mode), t_new.get(mode)
        if a == b:
            continue
        ra, rb = _THREAT_BAD.get(a, 0), _THREAT_BAD.get(b, 0)
        direction = "improved" if rb < ra else "regressed" if rb > ra else None
        flips.append({"mode": mode, "old": a, "new": b, "direction": direction})
    rh_old, rh_new = old.get("restore_hours") or {}, new.get("restore_hours") or {}
    tol = TOLERANCE["restore_hours"]
    change = {
        "id": new.get("id", old.get("id")),
        "common_cause": {"gained": sorted(cc_new - cc_old), "lost": sorted(cc_old - cc_new)},
        "threats": flips,
        "survivability": _measure(old.get("survivability"), new.get("survivability"), True, TOLERANCE["survivability"]),
        "silent_failure_score": _measure(
            old.get("silent_failure_score"), new.get("silent_failure_score"), False, TOLERANCE["silent_failure_score"]
        ),
        "restore_hours": {
            k: _measure(rh_old.get(k), rh_new.get(k), False, tol, relative=True) for k in ("routine", "disaster")
        },
    }
    improved = len(change["common_cause"]["lost"]) + sum(f["direction"] == "improved" for f in flips)
    regressed = len(change["common_cause"]["gained"]) + sum(f["direction"] == "regressed" for f in flips)
    for m in (change["survivability"], change["silent_failure_score"], *change["restore_hours"].values()):
        improved += m["direction"] == "improved"
        regressed += m["direction"] == "regressed"
    change["improved"], change["regressed"] = improved, regressed
    change["verdict"] = _verdict(improved, regressed)
    return change


def _verdict(improved: int, regressed: int) -> str:
    """improved / regressed / mixed / unchanged from the two counts."""
    if improved and regressed:
        return "mixed"
    if improved:
        return "improved"
    if regressed:
        return "regressed"
    return "unchanged"


def _finding_brief(f: dict) -> dict:
    """The fields of a finding a comparison shows."""
    return {k: f.get(k) for k in ("id", "category", "severity", "title", "assets", "components")}


def _severity_rank(s: Any) -> int:
    return SEVERITIES.index(s) if s in SEVERITIES else len(SEVERITIES)


def _by_severity(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda f: (_severity_rank(f.get("severity")), f["id"]))


#: Rules renamed when findings became one per root cause (old rule -> the rule that carries it now).
RENAMED_RULES = {"common-cause": "domain", "keystone": "domain"}


def _rule_key(fid: str) -> tuple[str, ...]:
    """(category, rule[, threat mode]) of a finding id, with renamed rules mapped to their successor."""
    parts = fid.split(":")
    if len(parts) < 2:
        return (fid,)
    rule = RENAMED_RULES.get(parts[1], parts[1])
    return (parts[0], rule, parts[2]) if rule == "threat" and len(parts) > 2 else (parts[0], rule)


def _subject(fid: str) -> list[str]:
    """The ids an old-style finding id names after its category, rule (and threat mode)."""
    parts = fid.split(":")
    return parts[3:] if len(parts) > 2 and parts[1] == "threat" else parts[2:]


def successors(old_findings: list[dict], new_findings: list[dict]) -> dict[str, str]:
    """Old finding id -> the new finding that now carries it, for ids the new assessment no longer has.

    Findings became one per root cause: ``coupling:common-cause:A:X`` and
    ``coupling:keystone:X`` are carried by the failure domain
    ``coupling:domain:R`` that lists A among its assets and X among its
    components; a per-asset ``coupling:threat:MODE:A`` by the ``MODE``
    finding that lists A; a per-backup finding by the per-asset finding of
    the same rule that lists the backup. In general: same category and
    (renamed) rule, and every id the old one names is among the new one's
    assets or components; the first such new id in sort order. New ids that
    the old assessment also has are not candidates.
    """
    old_ids = {f["id"] for f in old_findings}
    new_ids = {f["id"] for f in new_findings}
    fresh: dict[tuple[str, ...], list[dict]] = {}
    for f in sorted(new_findings, key=lambda f: f["id"]):
        if f["id"] not in old_ids:
            fresh.setdefault(_rule_key(f["id"]), []).append(f)
    out = {}
    for f in old_findings:
        fid = f["id"]
        if fid in new_ids:
            continue
        names = _subject(fid)
        for cand in fresh.get(_rule_key(fid), []):
            held = set(cand.get("assets") or ()) | set(cand.get("components") or ())
            if names and all(n in held for n in names):
                out[fid] = cand["id"]
                break
    return out


def compare_results(old: dict, new: dict) -> dict:
    """Compare two analysis results (the contract's JSON as dicts).

    Parameters
    ----------
    old, new : dict
        Analysis JSON (``schema_version`` 1) of the earlier and the later
        assessment.

    Returns
    -------
    dict
        ``old``/``new`` (environment name and ``as_of``), ``assets`` (``added``,
        ``removed``: sorted ids; ``changed``: one entry per asset present on
        both sides with any difference, with ``common_cause`` gained/lost,
        ``threats`` flipped, ``survivability``, ``silent_failure_score``,
        ``restore_hours`` (each old/new/delta/direction), counts and a
        ``verdict``; ``unchanged``: ids), ``findings`` (``new``, ``resolved``,
        ``severity_changed``, ``unchanged`` ids; matched by ``id``, an old id
        that a consolidated finding now carries matched to it: ``renamed``
        lists those as ``{"old_id", "id"}``, see :func:`successors`;
        ``assets_changed``: the finding (id, severity, title...) with its
        ``gained`` and ``lost`` assets, for a finding on both
        sides whose assets differ, as when a rule's one finding now lists
        fewer assets), ``controls`` (the built-in controls whose status
        changed, see ``controls.compare_controls``) and
        ``headline`` (``verdict``, ``improved``, ``regressed``, ``text``).
        Pure: the same inputs give the same dict, lists sorted.
    """
    _check_analysis(old, "old assessment")
    _check_analysis(new, "new assessment")
    a_old = {a["id"]: a for a in old["assets"]}
    a_new = {a["id"]: a for a in new["assets"]}
    changed, unchanged = [], []
    for aid in sorted(set(a_old) & set(a_new)):
        ch = _asset_changes(a_old[aid], a_new[aid])
        differs = (
            ch["common_cause"]["gained"] or ch["common_cause"]["lost"] or ch["threats"]
            or any(m["old"] != m["new"] for m in (ch["survivability"], ch["silent_failure_score"],
                                                  *ch["restore_hours"].values()))
        )
        (changed if differs else unchanged).append(ch if differs else aid)
    f_new = {f["id"]: f for f in new["findings"]}
    # old ids that a consolidated finding now carries are compared with it (the most severe of them)
    moved = successors(old["findings"], new["findings"])
    f_old: dict[str, dict] = {}
    old_assets: dict[str, set] = {}
    for f in sorted(old["findings"], key=lambda f: (_severity_rank(f.get("severity")), f["id"])):
        key = moved.get(f["id"], f["id"])
        old_assets.setdefault(key, set()).update(f.get("assets") or ())
        if key not in f_old:
            f_old[key] = {**f, "id": key}
    # a finding of one rule lists every asset it catches: assets may leave it or join it while its id stays
    assets_changed = []
    for fid in sorted(set(f_old) & set(f_new)):
        now = set(f_new[fid].get("assets") or ())
        if now != old_assets[fid]:
            assets_changed.append({**_finding_brief(f_new[fid]), "gained": sorted(now - old_assets[fid]),
                                   "lost": sorted(old_assets[fid] - now)})
    severity_changed = []
    for fid in sorted(set(f_old) & set(f_new)):
        so, sn = f_old[fid].get("severity"), f_new[fid].get("severity")
        if so != sn:
            direction = "improved" if _severity_rank(sn) > _severity_rank(so) else "regressed"
            severity_changed.append({**_finding_brief(f_new[fid]), "old_severity": so, "direction": direction})
    findings = {
        "new": _by_severity([_finding_brief(f_new[i]) for i in set(f_new) - set(f_old)]),
        "resolved": _by_severity([_finding_brief(f_old[i]) for i in set(f_old) - set(f_new)]),
        "severity_changed": severity_changed,
        "unchanged": sorted(i for i in set(f_old) & set(f_new) if f_old[i].get("severity") == f_new[i].get("severity")),
        "renamed": [{"old_id": o, "id": n} for o, n in sorted(moved.items())],
        "assets_changed": assets_changed,
    }
    improved = sum(c["improved"] for c in changed) + len(findings["resolved"])
    regressed = sum(c["regressed"] for c in changed) + len(findings["new"])
    improved += sum(s["direction"] == "improved" for s in severity_changed)
    regressed += sum(s["direction"] == "regressed" for s in severity_changed)
    result = {
        "old": {"name": old["environment"].get("name"), "as_of": old["environment"].get("as_of")},
        "new": {"name": new["environment"].get("name"), "as_of": new["environment"].get("as_of")},
        "assets": {
            "added": sorted(set(a_new) - set(a_old)),
            "removed": sorted(set(a_old) - set(a_new)),
            "changed": changed,
            "unchanged": unchanged,
        },
        "findings": findings,
    }
    from .controls import compare_controls  # the controls whose status changed (docs/controls.md)

    result["controls"] = compare_controls(old, new)
    result["headline"] = {
        "verdict": _verdict(improved, regressed),
        "improved": improved,
        "regressed": regressed,
        "text": _headline_text(result, improved, regressed),
    }
    return result


def _headline_text(result: dict, improved: int, regressed: int) -> str:
    """One sentence: the verdict and what drives it."""
    verdict = _verdict(improved, regressed)
    changed = result["assets"]["changed"]
    gained = sum(len(c["common_cause"]["gained"]) for c in changed)
    lost = sum(len(c["common_cause"]["lost"]) for c in changed)
    f = result["findings"]
    parts = [
        f"{lost} common cause{'s' if lost != 1 else ''} removed, {gained} added",
        f"{len(f['resolved'])} finding{'s' if len(f['resolved']) != 1 else ''} resolved, {len(f['new'])} new",
    ]
    head = {
        "improved": "Improved",
        "regressed": "Regressed",
        "mixed": "Mixed",
        "unchanged": "Unchanged",
    }[verdict]
    return f"{head}: {improved} improvement{'s' if improved != 1 else ''}, {regressed} regression{'s' if regressed != 1 else ''} ({'; '.join(parts)})."


def compare(old_path: str | os.PathLike, new_path: str | os.PathLike) -> dict:
    """Compare two assessments given as analysis JSON files or inventories (see :func:`compare_results`).

    Raises
    ------
    HiddenspofError
        Either side cannot be read (see :func:`load_assessment`).
    """
    result = compare_results(load_assessment(old_path), load_assessment(new_path))
    result["old"]["source"] = str(old_path)
    result["new"]["source"] = str(new_path)
    return result


def _fmt(v: float | None, digits: int = 2) -> str:
    return "unknown" if v is None else f"{v:.{digits}f}"


def _measure_line(label: str, m: dict, digits: int = 2) -> str | None:
    """``label old -> new (+delta) [direction]``, or None when nothing changed."""
    if m["old"] == m["new"]:
        return None
    delta = f" ({m['delta']:+.{digits}f})" if m["delta"] is not None and math.isfinite(m["delta"]) else ""
    tag = {"improved": " [better]", "regressed": " [worse]", "same": " [within tolerance]"}.get(m["direction"], "")
    return f"{label} {_fmt(m['old'], digits)} -> {_fmt(m['new'], digits)}{delta}{tag}"


def format_text(result: dict) -> str:
    """The comparison as plain text for a terminal: headline, assets, then findings."""
    o, n = result["old"], result["new"]
    lines = [
        f"Comparing {o.get('name')} ({o.get('as_of')}) -> {n.get('name')} ({n.get('as_of')})",
        result["headline"]["text"],
        "",
    ]
    assets = result["assets"]
    if assets["added"]:
        lines.append("Assets added: " + ", ".join(assets["added"]))
    if assets["removed"]:
        lines.append("Assets removed: " + ", ".join(assets["removed"]))
    if assets["changed"]:
        lines.append("Assets changed:")
        for c in assets["changed"]:
            lines.append(f"  {c['id']} [{c['verdict']}]")
            if c["common_cause"]["lost"]:
                lines.append("    common causes removed: " + ", ".join(c["common_cause"]["lost"]))
            if c["common_cause"]["gained"]:
                lines.append("    common causes added: " + ", ".join(c["common_cause"]["gained"]))
            for f in c["threats"]:
                tag = {"improved": " [better]", "regressed": " [worse]"}.get(f["direction"], "")
                lines.append(f"    threat {f['mode']}: {f['old'] or 'absent'} -> {f['new'] or 'absent'}{tag}")
            for label, m, d in (
                ("survivability", c["survivability"], 3),
                ("silent-failure score", c["silent_failure_score"], 1),
                ("routine restore hours", c["restore_hours"]["routine"], 2),
                ("disaster restore hours", c["restore_hours"]["disaster"], 2),
            ):
                line = _measure_line(label, m, d)
                if line:
                    lines.append("    " + line)
    if assets["unchanged"]:
        lines.append(f"Assets unchanged: {len(assets['unchanged'])}")
    f = result["findings"]
    lines.append("")
    lines.append(
        f"Findings: {len(f['new'])} new, {len(f['resolved'])} resolved, "
        f"{len(f['severity_changed'])} with a new severity, {len(f['unchanged'])} unchanged"
    )
    for label, items in (("new", f["new"]), ("resolved", f["resolved"])):
        for item in items:
            lines.append(f"  {label:<8} [{item['severity']}] {item['id']}: {item['title']}")
    for item in f["severity_changed"]:
        lines.append(f"  severity [{item['old_severity']} -> {item['severity']}] {item['id']}: {item['title']}")
    moved_assets = f.get("assets_changed", [])
    if moved_assets:
        lines.append(f"Findings whose assets changed: {len(moved_assets)}")
        for item in moved_assets:
            diff = [f"-{a}" for a in item["lost"]] + [f"+{a}" for a in item["gained"]]
            lines.append(f"  assets   {item['id']}: {' '.join(diff)}")
    renamed = f.get("renamed", [])
    if renamed:
        lines.append(f"Finding ids now carried by a consolidated finding: {len(renamed)}")
        for item in renamed:
            lines.append(f"  renamed  {item['old_id']} -> {item['id']}")
    if "controls" in result:
        from .controls import format_changes

        lines += ["", *format_changes(result["controls"])]
    return "\n".join(lines) + "\n"


def asset_changes_frame(result: dict):
    """One row per asset present on either side: status, verdict and the old/new values (for notebooks)."""
    import pandas as pd

    rows = []
    for c in result["assets"]["changed"]:
        rows.append({
            "asset": c["id"], "status": "changed", "verdict": c["verdict"],
            "common_causes_removed": "; ".join(c["common_cause"]["lost"]),
            "common_causes_added": "; ".join(c["common_cause"]["gained"]),
            "threats_flipped": "; ".join(f"{t['mode']}: {t['old']} -> {t['new']}" for t in c["threats"]),
            "survivability_old": c["survivability"]["old"], "survivability_new": c["survivability"]["new"],
            "silent_score_old": c["silent_failure_score"]["old"], "silent_score_new": c["silent_failure_score"]["new"],
            "routine_hours_old": c["restore_hours"]["routine"]["old"],
            "routine_hours_new": c["restore_hours"]["routine"]["new"],
            "disaster_hours_old": c["restore_hours"]["disaster"]["old"],
            "disaster_hours_new": c["restore_hours"]["disaster"]["new"],
        })
    for status in ("unchanged", "added", "removed"):
        for aid in result["assets"][status]:
            rows.append({"asset": aid, "status": status, "verdict": "unchanged" if status == "unchanged" else None})
    columns = [
        "asset", "status", "verdict", "common_causes_removed", "common_causes_added", "threats_flipped",
        "survivability_old", "survivability_new", "silent_score_old", "silent_score_new",
        "routine_hours_old", "routine_hours_new", "disaster_hours_old", "disaster_hours_new",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["asset"], kind="stable").reset_index(drop=True)


def finding_changes_frame(result: dict):
    """One row per new, resolved or re-graded finding, and per finding whose assets changed (``-left; +joined``),
    most severe first (for notebooks)."""
    import pandas as pd

    rows = []
    f = result["findings"]
    for change, items in (("new", f["new"]), ("resolved", f["resolved"]), ("severity changed", f["severity_changed"])):
        for item in items:
            rows.append({
                "change": change, "severity": item["severity"], "old_severity": item.get("old_severity"),
                "id": item["id"], "title": item["title"], "assets": "; ".join(item.get("assets") or ()),
            })
    for item in f.get("assets_changed", ()):  # a rule's one finding that assets left or joined
        rows.append({
            "change": "assets changed", "severity": item["severity"], "old_severity": None, "id": item["id"],
            "title": item["title"], "assets": "; ".join([f"-{a}" for a in item["lost"]] + [f"+{a}" for a in item["gained"]]),
        })
    frame = pd.DataFrame(rows, columns=["change", "severity", "old_severity", "id", "title", "assets"])
    if len(frame):
        frame["_rank"] = frame["severity"].map(_severity_rank)
        frame = frame.sort_values(["_rank", "change", "id"], kind="stable").drop(columns="_rank").reset_index(drop=True)
    return frame
