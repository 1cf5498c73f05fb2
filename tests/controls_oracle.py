"""A second, naive reading of the control rules, for property tests of ``hiddenspof.controls``.

Written from the rule table of ``docs/controls.md`` without the module's
code: it reads the analysis JSON alone (plain dicts, no index, no shortcuts)
and says, for one asset and one rule, ``True`` (holds), ``False`` (fails) or
``None`` (no evidence). ``naive_places`` recomputes a component's places
from the inventory's rows, to check the ``places`` the analysis records.
"""

from __future__ import annotations

import datetime as dt

SCOPE_ORDER = ["file", "full", "dr_drill"]
VERIFY_ORDER = ["none", "job_status", "checksum", "restore_test", "dr_drill"]


def _backups(result, asset):
    out = []
    for bid in asset["backups"]:
        for b in result["backups"]:
            if b["id"] == bid:
                out.append(b)
    return out


def naive_rule(result: dict, asset: dict, rule: dict):
    """True / False / None (no evidence) for one rule, written as a dict like in a framework file."""
    backups = _backups(result, asset)
    if "recoverable_under" in rule:
        verdicts = [asset["threats"].get(m) for m in rule["recoverable_under"]]
        if "unrecoverable" in verdicts:
            return False
        if None in verdicts:
            return None
        return True
    if "no_common_cause" in rule:
        return len(asset["common_cause"]) == 0
    if "copy_in_other" in rule:
        cls = rule["copy_in_other"]
        any_known = False
        for b in backups:
            for store in b["stores"]:
                theirs = store["places"][cls]
                if len(theirs) == 0:
                    continue
                any_known = True
                if not any(p in asset["places"][cls] for p in theirs):
                    return True
        return False if any_known else None
    if "copy_offline_or_immutable" in rule:
        if any(b["offline"] is True or b["immutable"] is True for b in backups):
            return True
        if any(b["offline"] is None or b["immutable"] is None for b in backups):
            return None
        return False
    if "restore_test_within_days" in rule:
        days = rule["restore_test_within_days"]
        need = SCOPE_ORDER.index(rule.get("scope", "file"))
        as_of = dt.date.fromisoformat(result["environment"]["as_of"])
        for b in backups:
            for t in b["restore_tests"]:
                age = (as_of - dt.date.fromisoformat(t["tested_at"])).days
                if t["result"] == "pass" and SCOPE_ORDER.index(t["scope"]) >= need and 0 <= age <= days:
                    return True
        if result["records"]["restore_tests"] == 0:
            return None
        return False
    if "rpo_met" in rule:
        return asset["rpo"]["met"]
    if "rto_met" in rule:
        if asset["rto_hours"] is None:
            return None
        view = rule["rto_met"]
        seen_ok, seen_unknown = False, False
        for s in result["capacity"]["scenarios"]:
            if (view == "restore_all") != (s["kind"] == "restore_all"):
                continue
            if asset["id"] in s["unrecoverable"]:
                return False
            for r in s["restores"]:
                if r["asset"] == asset["id"]:
                    if r["meets_rto"] is False:
                        return False
                    if r["meets_rto"] is None:
                        seen_unknown = True
                    else:
                        seen_ok = True
        if seen_unknown or not seen_ok:
            return None
        return True
    if "verification_at_least" in rule:
        need = VERIFY_ORDER.index(rule["verification_at_least"])
        if any(b["verification"] is not None and VERIFY_ORDER.index(b["verification"]) >= need for b in backups):
            return True
        if any(b["verification"] is None for b in backups):
            return None
        return False
    if "alert_path_independent" in rule:
        named = [b for b in backups if b["alert_channel"]]
        if not named:
            return None
        if any(b["alert_independent"] is False for b in named):
            return False
        return True
    raise AssertionError(f"unknown rule {rule}")


def naive_asset_status(result: dict, asset: dict, rules: list[dict]) -> str:
    """The conjunction: not_met if a rule fails, else no_evidence if one lacks evidence, else met."""
    values = [naive_rule(result, asset, r) for r in rules]
    if False in values:
        return "not_met"
    if None in values:
        return "no_evidence"
    return "met"


def naive_places(inventory, component: str) -> dict[str, list[str]]:
    """Places by class, walking the dependency rows (not admin) through what a component runs on or is kept in."""
    kinds = dict(zip(map(str, inventory.components["id"]), map(str, inventory.components["kind"])))
    rows = [(str(c), str(d)) for c, d, k in zip(inventory.dependencies["component"], inventory.dependencies["depends_on"],
                                                   inventory.dependencies["kind"])
            if not (isinstance(k, str) and k.strip().lower() == "admin")]
    passable = {"service", "datastore", "backup_store", "other", "site", "region", "account", "provider"}
    out = {c: [] for c in ("site", "region", "account", "provider")}
    visited = [component]
    frontier = [component]
    while frontier:
        current = frontier.pop(0)
        for c, d in rows:
            if c != current or d in visited:
                continue
            visited.append(d)
            if kinds[d] in out:
                out[kinds[d]].append(d)
            if kinds[d] in passable:
                frontier.append(d)
    return {c: sorted(v) for c, v in out.items()}
