"""Controls: the assessment read against a framework (DORA, NIS2, ...) or a consultant's own policy.

A framework is a YAML file of controls, each with an official reference and
a list of rules (``docs/controls.md`` lists the rules and every built-in
mapping). A control holds for an asset when every rule holds; its status is
``met`` when it holds for every asset in its scope, ``not_met`` when some
rule fails for some asset, and ``no_evidence`` when nothing fails but some
rule needs data the inventory lacks. Controls the inventory cannot evidence
at all (governance documents, approvals) are listed with an
``out_of_scope`` reason instead of rules; their status is ``no_evidence``.

The rules are judged on the analysis JSON alone (``evaluate``), so a stored
assessment can be judged again and two assessments compared. The analysis
carries the few facts the rules need beyond the contract's fields (places,
stores, restore tests, offline/immutable flags, verification, alert-path
independence, the RPO verdict); ``evidence_fields`` adds them.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import functools
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import HiddenspofError

__all__ = [
    "BUILTIN",
    "PLACE_CLASSES",
    "RULES",
    "Control",
    "Framework",
    "FrameworkError",
    "FrameworkProblem",
    "Rule",
    "attach_controls",
    "builtin",
    "controls_csv",
    "evaluate",
    "evidence_fields",
    "load_framework",
    "load_frameworks",
    "judge_rule",
]

#: The built-in frameworks, in the order reports list them (package files ``frameworks/<name>.yaml``).
BUILTIN = ("dora", "nis2", "iso27001", "nist-csf-2", "cis-v8", "hipaa")
THREAT_MODES = ("site_loss", "region_loss", "provider_loss", "account_loss", "identity_outage",
                "control_plane_outage", "credential_compromise", "logical_corruption")
PLACE_CLASSES = ("site", "region", "account", "provider")
#: What the search for a component's places passes through: what it runs on or is kept in, and the places
#: themselves (a site lies in its region); never networks, credentials or keys.
PLACE_PATH_KINDS = frozenset({"service", "datastore", "backup_store", "other", *PLACE_CLASSES})
TEST_SCOPES = ("file", "full", "dr_drill")
VERIFICATION_LEVELS = ("none", "job_status", "checksum", "restore_test", "dr_drill")
STATUSES = ("met", "not_met", "no_evidence")

#: rule name -> (allowed value(s) description, checker returning an error text or None)
RULES = ("recoverable_under", "no_common_cause", "copy_in_other", "copy_offline_or_immutable",
         "restore_test_within_days", "rpo_met", "rto_met", "verification_at_least", "alert_path_independent")

# -- the framework format ---------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One rule of a control: its name and its value (``scope`` for restore tests)."""

    name: str
    value: object
    scope: str | None = None

    @property
    def label(self) -> str:
        """The rule as written, on one line: ``copy_in_other: site``."""
        if self.name == "recoverable_under":
            return f"recoverable_under: [{', '.join(self.value)}]"
        if self.name == "restore_test_within_days":
            return f"restore_test_within_days: {self.value}, scope: {self.scope}"
        value = "true" if self.value is True else self.value
        return f"{self.name}: {value}"


@dataclass(frozen=True)
class Control:
    """One control: its rules, or the reason it is out of scope."""

    id: str
    title: str
    reference: str
    require: tuple[Rule, ...] = ()
    tiers: tuple[int, ...] | None = None
    out_of_scope: str | None = None


@dataclass(frozen=True)
class Framework:
    """A framework or policy: ``key`` names it in outputs (``dora``, or a policy file's stem)."""

    key: str
    name: str
    version: str
    source: str
    controls: tuple[Control, ...] = field(default_factory=tuple)

    def control(self, control_id: str) -> Control:
        for c in self.controls:
            if c.id == control_id:
                return c
        raise KeyError(control_id)


@dataclass(frozen=True)
class FrameworkProblem:
    """One mistake in a framework file, located: file, line, control, key, value, what was expected."""

    file: str
    line: int | None
    control: str | None
    key: str | None
    value: object
    expected: str

    def __str__(self) -> str:
        parts = [f"{self.file}:{self.line}:" if self.line is not None else f"{self.file}:"]
        if self.control is not None:
            parts.append(f"{self.control}:")
        if self.key is not None:
            parts.append(f"key '{self.key}':")
        if self.value is not _ABSENT:
            parts.append(f"value {_show(self.value)} -")
        parts.append(f"expected {self.expected}")
        return " ".join(parts)


class FrameworkError(HiddenspofError):
    """A framework or policy file that cannot be used; holds every problem found."""

    def __init__(self, problems: Sequence[FrameworkProblem]):
        self.problems = list(problems)
        n = len(self.problems)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the framework file:\n"
                         + "\n".join(str(p) for p in self.problems))


_ABSENT = object()


def _show(value) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, str):
        return f"'{value}'"
    return f"'{yaml.safe_dump(value, default_flow_style=True).strip().removesuffix('...').strip()}'"


def _suggest(word, allowed: Iterable[str]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(allowed), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _line_of(node, path: Sequence) -> int | None:
    """The 1-based line of the YAML node at ``path`` (keys and indexes), or of its nearest parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if getattr(k, "value", None) == step:
                    nxt = v
                    line = k.start_mark.line + 1
                    break
            if nxt is None:
                return line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            return line
    return line


class _Checker:
    """Collects the problems of one framework file."""

    def __init__(self, file: str, root) -> None:
        self.file, self.root, self.problems = file, root, []

    def add(self, path: Sequence, control: str | None, key: str | None, value, expected: str) -> None:
        self.problems.append(FrameworkProblem(self.file, _line_of(self.root, path), control, key, value, expected))


_TOP_KEYS = ("name", "version", "source", "controls")
_CONTROL_KEYS = ("id", "title", "reference", "scope", "require", "out_of_scope")


def _text_value(value) -> str | None:
    """A string, or a number written without quotes (``version: 2027``), as text; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return text or None
    return None


def _check_rule(ck: _Checker, item, path: list, where: str, key: str) -> Rule | None:
    if not isinstance(item, dict) or not item:
        ck.add(path, where, key, item, "a rule: a mapping such as {copy_in_other: site}, one of " + ", ".join(RULES))
        return None
    names = [k for k in item if k in RULES]
    unknown = [k for k in item if k not in RULES and not (k == "scope" and "restore_test_within_days" in item)]
    for k in unknown:
        ck.add(path + [k], where, f"{key}.{k}", k, "a rule name, one of " + ", ".join(RULES) + _suggest(k, RULES))
    if unknown:
        return None
    if len(names) != 1:
        ck.add(path, where, key, item, "exactly one rule per list item (write each rule as its own '- ' item)")
        return None
    name = names[0]
    value = item[name]
    sub = f"{key}.{name}"
    at = path + [name]
    if name == "recoverable_under":
        modes = value if isinstance(value, list) else None
        if not modes or not all(isinstance(m, str) for m in modes):
            ck.add(at, where, sub, value, "a non-empty list of threat modes, e.g. [site_loss, credential_compromise]")
            return None
        bad = [m for m in modes if m not in THREAT_MODES]
        for m in bad:
            ck.add(at, where, sub, m, "a threat mode, one of " + ", ".join(THREAT_MODES) + _suggest(m, THREAT_MODES))
        if len(set(modes)) != len(modes):
            ck.add(at, where, sub, value, "each threat mode once")
            return None
        return None if bad else Rule(name, tuple(modes))
    if name in ("no_common_cause", "copy_offline_or_immutable", "rpo_met", "alert_path_independent"):
        if value is not True:
            ck.add(at, where, sub, value, "true (a rule that must hold; leave the rule out rather than write false)")
            return None
        return Rule(name, True)
    if name == "copy_in_other":
        if value not in PLACE_CLASSES:
            ck.add(at, where, sub, value, "one of " + ", ".join(PLACE_CLASSES) + _suggest(value, PLACE_CLASSES))
            return None
        return Rule(name, value)
    if name == "rto_met":
        if value not in ("restore_all", "disaster"):
            ck.add(at, where, sub, value, "restore_all or disaster (the capacity view the RTO is judged in)"
                   + _suggest(value, ("restore_all", "disaster")))
            return None
        return Rule(name, value)
    if name == "verification_at_least":
        allowed = VERIFICATION_LEVELS[2:]
        if value not in allowed:
            ck.add(at, where, sub, value, "one of " + ", ".join(allowed) + _suggest(value, allowed))
            return None
        return Rule(name, value)
    # restore_test_within_days, with an optional scope (default: any passing restore, i.e. file)
    ok = True
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        ck.add(at, where, sub, value, "a whole number of days, at least 1")
        ok = False
    scope = item.get("scope", "file")
    if scope not in TEST_SCOPES:
        ck.add(path + ["scope"], where, f"{key}.scope", scope,
               "one of " + ", ".join(TEST_SCOPES) + " (file < full < dr_drill)" + _suggest(scope, TEST_SCOPES))
        ok = False
    return Rule(name, value, scope) if ok else None


def _check_control(ck: _Checker, item, index: int, seen: dict) -> Control | None:
    path = ["controls", index]
    where = f"control {index + 1}"
    if not isinstance(item, dict):
        ck.add(path, where, None, item, "a control: a mapping with id, title, reference and require (or out_of_scope)")
        return None
    cid = _text_value(item.get("id"))
    if cid is not None:
        where += f" (id '{cid}')"
    before = len(ck.problems)
    for k in item:
        if k not in _CONTROL_KEYS:
            ck.add(path + [k], where, str(k), _ABSENT, "one of the keys " + ", ".join(_CONTROL_KEYS) + _suggest(k, _CONTROL_KEYS))
    for k in ("id", "title", "reference"):
        if k not in item:
            ck.add(path, where, k, _ABSENT, f"a '{k}' (every control has an id, a title and an official reference)")
        elif _text_value(item[k]) is None:
            ck.add(path + [k], where, k, item[k], "non-empty text")
    if cid is not None:
        if cid in seen:
            ck.add(path + ["id"], where, "id", cid, f"an id used once (control {seen[cid] + 1} has it too)")
        else:
            seen[cid] = index
    tiers = None
    if "scope" in item:
        scope = item["scope"]
        if not isinstance(scope, dict) or set(scope) != {"tier"}:
            ck.add(path + ["scope"], where, "scope", scope, "{tier: [tiers]}, e.g. {tier: [1, 2]} (tiers 1..4)")
        else:
            t = scope["tier"]
            if isinstance(t, int) and not isinstance(t, bool):
                t = [t]
            if (not isinstance(t, list) or not t
                    or not all(isinstance(x, int) and not isinstance(x, bool) and 1 <= x <= 4 for x in t)):
                ck.add(path + ["scope", "tier"], where, "scope.tier", scope["tier"], "a non-empty list of tiers 1..4, e.g. [1, 2]")
            else:
                tiers = tuple(sorted(set(t)))
    out = item.get("out_of_scope")
    rules: list[Rule] = []
    if "out_of_scope" in item:
        if _text_value(out) is None:
            ck.add(path + ["out_of_scope"], where, "out_of_scope", out, "the reason the inventory cannot evidence this control")
        if "require" in item:
            ck.add(path + ["require"], where, "require", _ABSENT, "either require or out_of_scope, not both")
    elif "require" not in item:
        ck.add(path, where, "require", _ABSENT, "a 'require' list of rules, or 'out_of_scope' with a reason")
    else:
        req = item["require"]
        if not isinstance(req, list) or not req:
            ck.add(path + ["require"], where, "require", req, "a non-empty list of rules, e.g. [{rpo_met: true}]")
        else:
            for i, r in enumerate(req):
                rule = _check_rule(ck, r, path + ["require", i], where, f"require[{i + 1}]")
                if rule is not None:
                    rules.append(rule)
    if len(ck.problems) > before:
        return None
    return Control(id=cid, title=str(item["title"]).strip(), reference=str(item["reference"]).strip(),
                   require=tuple(rules), tiers=tiers, out_of_scope=None if out is None else str(out).strip())


def parse_framework(text: str, file: str, key: str) -> Framework:
    """A Framework from YAML text; raises FrameworkError listing every problem (file, line, control, key, value)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise FrameworkError([FrameworkProblem(file, None if mark is None else mark.line + 1, None, None, _ABSENT,
                                               f"valid YAML ({getattr(err, 'problem', None) or err})")]) from None
    ck = _Checker(file, root)
    if not isinstance(data, dict):
        ck.add([], None, None, _ABSENT, "a mapping with the keys " + ", ".join(_TOP_KEYS))
        raise FrameworkError(ck.problems)
    for k in data:
        if k not in _TOP_KEYS:
            ck.add([k], None, str(k), _ABSENT, "one of the top-level keys " + ", ".join(_TOP_KEYS) + _suggest(k, _TOP_KEYS))
    for k in ("name", "version", "source"):
        if k not in data:
            ck.add([], None, k, _ABSENT, f"a top-level '{k}'")
        elif _text_value(data[k]) is None:
            ck.add([k], None, k, data[k], "non-empty text")
    controls: list[Control] = []
    raw = data.get("controls")
    if not isinstance(raw, list) or not raw:
        ck.add(["controls"] if "controls" in data else [], None, "controls", raw if "controls" in data else _ABSENT,
               "a non-empty list of controls")
    else:
        seen: dict[str, int] = {}
        for i, item in enumerate(raw):
            c = _check_control(ck, item, i, seen)
            if c is not None:
                controls.append(c)
    if ck.problems:
        raise FrameworkError(ck.problems)
    return Framework(key=key, name=_text_value(data["name"]), version=_text_value(data["version"]),
                     source=_text_value(data["source"]), controls=tuple(controls))


def _builtin_dir() -> Path:
    return Path(__file__).resolve().parent / "frameworks"


@functools.cache
def builtin(name: str) -> Framework:
    """A built-in framework by name (``dora``, ``nis2``, ``iso27001``, ``nist-csf-2``, ``cis-v8``, ``hipaa``)."""
    if name not in BUILTIN:
        raise HiddenspofError(f"unknown framework '{name}': expected one of {', '.join(BUILTIN)} or a policy file "
                              f"(.yaml){_suggest(name, BUILTIN)}")
    path = _builtin_dir() / f"{name}.yaml"
    return parse_framework(path.read_text(encoding="utf-8"), path.name, name)


def load_framework(name_or_file: str | Path) -> Framework:
    """A built-in framework by name, or a policy file (its key is the file's stem)."""
    text = str(name_or_file)
    if text in BUILTIN:
        return builtin(text)
    path = Path(text)
    if not path.is_file():
        raise HiddenspofError(f"unknown framework '{text}': expected the name of a built-in framework, one of {', '.join(BUILTIN)} or the path of a "
                              f"policy file (.yaml); no such file{_suggest(text, BUILTIN)}")
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise HiddenspofError(f"{path}: expected a readable UTF-8 policy file ({err})") from None
    key = path.stem
    if key in BUILTIN:
        key = f"{key}-policy"
    return parse_framework(content, str(path), key)


def load_frameworks(names: Sequence[str | Path] | None) -> list[Framework]:
    """Every named framework (default: the six built-ins); all problems of every file at once."""
    chosen = list(names) if names else list(BUILTIN)
    out, problems = [], []
    for n in chosen:
        try:
            fw = load_framework(n)
        except FrameworkError as err:
            problems.extend(err.problems)
            continue
        except HiddenspofError as err:  # an unknown name or an unreadable file
            problems.append(FrameworkProblem(str(n), None, None, None, _ABSENT, str(err).split(": expected ", 1)[-1]))
            continue
        if any(f.key == fw.key for f in out):
            continue  # named twice: judged once
        out.append(fw)
    if problems:
        raise FrameworkError(problems)
    return out


# -- evidence the rules need, added to the analysis JSON ----------------------------------------


def _places(model, start: str, memo: dict) -> dict[str, list[str]]:
    """The places of ``start`` by class: the places reached through its rows (not ``admin``),
    passing only through what it runs on or is kept in (``PLACE_PATH_KINDS``)."""
    hit = memo.get(start)
    if hit is not None:
        return hit
    found: dict[str, set[str]] = {c: set() for c in PLACE_CLASSES}
    seen = {start}
    stack = [start]
    while stack:
        v = stack.pop()
        for t in model.dependencies_of(v):
            if t in seen:
                continue
            seen.add(t)
            kind = model.kind.get(t)
            if kind in found:
                found[kind].add(t)
            if kind in PLACE_PATH_KINDS:
                stack.append(t)
    out = memo[start] = {c: sorted(v) for c, v in found.items()}
    return out


def _effective_scope(scope, restored_gb, reference_gb) -> str:
    """A test's scope; an empty scope counts as full when the restored size is unknown or at least 90% of the
    backup's size (the rule of the silent-failure scoring), otherwise as a file restore."""
    import pandas as pd

    if isinstance(scope, str) and scope in TEST_SCOPES:
        return scope
    if restored_gb is None or pd.isna(restored_gb) or reference_gb is None or restored_gb >= 0.9 * reference_gb:
        return "full"
    return "file"


def evidence_fields(result: dict, model, inventory, silent_result) -> None:
    """Add to the analysis JSON (in place) the facts the control rules read beyond the contract's fields.

    Assets gain ``places`` ({site, region, account, provider}: sorted ids) and
    ``rpo`` ({``met``: true/false/null, ``evidence``}); backups gain
    ``stores`` ([{id, places}]), ``immutable``/``offline`` (an empty
    cell reads as false), ``verification``, ``alert_channel``, ``alert_independent``
    (null without a channel), ``alert_evidence`` and ``restore_tests``
    ([{tested_at, result, scope}], up to ``as_of``, oldest first, ``scope``
    as judged); a top-level ``records`` says how many restore tests and
    job runs the inventory holds. Only fields are added: ``schema_version`` stays 1.
    """
    import pandas as pd

    as_of = pd.Timestamp(inventory.meta.as_of)
    memo: dict = {}
    tests = inventory.restore_tests
    by_backup: dict[str, list[dict]] = {}
    sizes = {b: info.size_gb for b, info in model.backup.items()}
    if len(tests):
        t = tests[tests["tested_at"].notna() & (tests["tested_at"] <= as_of)]
        t = t.sort_values(["backup", "tested_at", "result"], kind="mergesort")
        restored = t["restored_gb"] if "restored_gb" in t.columns else [None] * len(t)
        for b, at, res, scope, gb in zip(t["backup"], t["tested_at"], t["result"], t["scope"], restored):
            by_backup.setdefault(str(b), []).append({
                "tested_at": pd.Timestamp(at).date().isoformat(), "result": str(res),
                "scope": _effective_scope(None if pd.isna(scope) else str(scope), None if gb is None or pd.isna(gb) else float(gb),
                                          sizes.get(str(b)))})
    result["records"] = {"restore_tests": int(len(tests)), "backup_runs": int(len(inventory.backup_runs))}
    from . import silent

    down = silent._DownCache(model)
    for entry in result["backups"]:
        b = entry["id"]
        info = model.backup[b]
        stores = sorted(t for t in model.dependencies_of(b) if model.kind.get(t) == "backup_store")
        entry["stores"] = [{"id": s, "places": _places(model, s, memo)} for s in stores]
        entry["immutable"] = bool(info.immutable)  # the inventory reads an empty cell as "no"
        entry["offline"] = bool(info.offline)
        entry["verification"] = info.verification
        entry["alert_channel"] = info.alert_channel
        if info.alert_channel:
            causes, text = silent._alert_coupling(model, down, b, info.protects, info.alert_channel)
            entry["alert_independent"] = not causes
            entry["alert_evidence"] = text or (f"{info.alert_channel} shares no single point of failure with {b} "
                                               f"or {info.protects}.")
        else:
            entry["alert_independent"] = None
            entry["alert_evidence"] = f"{b} names no alert channel."
        entry["restore_tests"] = by_backup.get(b, [])
    checks = getattr(silent_result, "rpo", {}) or {}
    for entry in result["assets"]:
        a = entry["id"]
        entry["places"] = _places(model, a, memo)
        entry["rpo"] = _rpo_evidence(entry.get("rpo_hours"), checks.get(a))


def _rpo_evidence(rpo_hours, check) -> dict:
    """The RPO verdict of one asset from the silent-failure analysis's RPO check."""
    if rpo_hours is None:
        return {"met": True, "evidence": "no RPO on record (the contract: the rule holds)."}
    if check is None or getattr(check, "window_hours", 0) is None:  # no history and no schedule: unknown, not met
        return {"met": None, "evidence": f"RPO {rpo_hours:g} h, but nothing shows how often its backups run."}
    if not check.met:
        bits = []
        if getattr(check, "schedule_gap", False):
            known = [f"{b} every {h:g} h" for b, h, _ in check.intervals if h is not None]
            bits.append("no backup is scheduled often enough (" + ", ".join(known) + ")")
        if getattr(check, "gap", False) and check.worst_gap_hours is not None:
            bits.append(f"the job history went {check.worst_gap_hours:.1f} h without a new recovery point "
                        f"(from {check.worst_gap_from})")
        elif getattr(check, "stale", False) and check.last_point_age_hours is not None:
            bits.append(f"the newest recovery point is {check.last_point_age_hours:.1f} h old at as_of")
        return {"met": False, "evidence": f"RPO {rpo_hours:g} h missed: " + ("; ".join(bits) or "see the RPO finding") + "."}
    history = check.worst_gap_hours is not None or check.last_point_age_hours is not None
    if check.schedule_meets is None and not history:
        return {"met": None, "evidence": f"RPO {rpo_hours:g} h: no schedule and no job history of its backups on record."}
    basis = (f"worst gap {check.worst_gap_hours:.1f} h in the job history" if check.worst_gap_hours is not None
             else "by schedule: " + ", ".join(f"{b} every {h:g} h" for b, h, _ in check.intervals if h is not None))
    return {"met": True, "evidence": f"RPO {rpo_hours:g} h met ({basis})."}


# -- judging, on the analysis JSON alone ------------------------------------------------------------

HOLDS, FAILS, NO_EVIDENCE = "holds", "fails", "no_evidence"


class _Index:
    """Lookups over one analysis JSON."""

    def __init__(self, result: Mapping) -> None:
        self.result = result
        self.assets = {a["id"]: a for a in result.get("assets", [])}
        self.backups = {b["id"]: b for b in result.get("backups", [])}
        env = result.get("environment", {})
        self.as_of = dt.date.fromisoformat(env["as_of"]) if env.get("as_of") else None
        self.tests_recorded = (result.get("records") or {}).get("restore_tests")
        self.scenarios = (result.get("capacity") or {}).get("scenarios", [])
        #: rule -> asset -> (state, evidence, findings): controls share rules (rpo_met appears in many)
        self.verdicts: dict[Rule, dict[str, tuple[str, str, list[str]]]] = {}
        self._bears: dict[tuple[Rule, str], bool] = {}
        self._bears_by_rule: dict[Rule, dict[str, bool]] = {}
        self.findings_of: dict[str, list[Mapping]] = {}
        for f in result.get("findings", []):
            for a in f.get("assets", []):
                self.findings_of.setdefault(a, []).append(f)
        self.order = sorted(self.assets)  # the assets in the order controls list them
        self._restores: list[tuple[Mapping, bool, frozenset, dict[str, list[Mapping]]]] | None = None

    def restores_by_scenario(self) -> list[tuple[Mapping, bool, frozenset, dict[str, list[Mapping]]]]:
        """Per capacity scenario, in order: the scenario, whether it is ``restore_all``, its unrecoverable
        assets, and its restores by asset (in the scenario's order): one pass instead of one per asset."""
        if self._restores is None:
            out = []
            for s in self.scenarios:
                by: dict[str, list[Mapping]] = {}
                for r in s.get("restores", []):
                    by.setdefault(r.get("asset"), []).append(r)
                out.append((s, s.get("kind") == "restore_all", frozenset(s.get("unrecoverable", [])), by))
            self._restores = out
        return self._restores

    def bears_on(self, rule: Rule, finding: Mapping) -> bool:
        """``_bears_on``, memoised by rule and finding id."""
        key = (rule, finding.get("id", ""))
        hit = self._bears.get(key)
        if hit is None:
            hit = self._bears[key] = _bears_on(rule, finding)
        return hit

    def bearing(self, rule: Rule, asset: str) -> list[str]:
        """The sorted ids of the findings on ``asset`` that bear on ``rule`` (``bears_on``, one memo per rule)."""
        memo = self._bears_by_rule.get(rule)
        if memo is None:
            memo = self._bears_by_rule[rule] = {}
        out = []
        for f in self.findings_of.get(asset, ()):
            fid = f.get("id", "")
            hit = memo.get(fid)
            if hit is None:
                hit = memo[fid] = _bears_on(rule, f)
            if hit:
                out.append(f["id"])
        out.sort()
        return out


def _rank(levels: Sequence[str], value) -> int:
    return levels.index(value) if value in levels else -1


def _backups_of(asset: Mapping, ix: _Index) -> list[Mapping]:
    """The analysis JSON entries of ``asset``'s backups (an id alone where the JSON has none), for the rules that
    read them (made per rule and asset only where asked: the controls judge every asset of the estate)."""
    return [ix.backups.get(b, {"id": b}) for b in asset.get("backups", [])]


def judge_rule(rule: Rule, asset: Mapping, ix: _Index) -> tuple[str, str]:
    """(``holds`` | ``fails`` | ``no_evidence``, evidence sentence) of one rule for one asset."""
    a = asset["id"]
    name = rule.name
    if name == "recoverable_under":
        threats = asset.get("threats") or {}
        bad = [m for m in rule.value if threats.get(m) == "unrecoverable"]
        missing = [m for m in rule.value if threats.get(m) not in ("recoverable", "not_applicable", "unrecoverable")]
        if bad:
            return FAILS, f"{a} is unrecoverable under {', '.join(bad)}."
        if missing:
            return NO_EVIDENCE, f"the analysis has no verdict for {a} under {', '.join(missing)}."
        na = [m for m in rule.value if threats.get(m) == "not_applicable"]
        return HOLDS, f"{a} is recoverable under every mode" + (f" ({', '.join(na)}: nothing of that class in the inventory)" if na else "") + "."
    if name == "no_common_cause":
        cc = asset.get("common_cause")
        if cc is None:
            return NO_EVIDENCE, f"the analysis has no common causes for {a}."
        if cc:
            more = f" and {len(cc) - 5} more" if len(cc) > 5 else ""
            return FAILS, f"a single failure of {', '.join(cc[:5])}{more} leaves {a} unrecoverable."
        return HOLDS, f"no single component failure leaves {a} unrecoverable."
    if name == "copy_in_other":
        backups = _backups_of(asset, ix)
        cls = rule.value
        places = asset.get("places")
        if places is None:
            return NO_EVIDENCE, f"the analysis does not record where {a} and its copies are kept."
        mine = set(places.get(cls, []))
        known, shared = [], []
        for b in backups:
            for s in b.get("stores", []):
                theirs = set(s.get("places", {}).get(cls, []))
                if not theirs:
                    continue
                common = theirs & mine
                if not common:
                    where = f" (not {', '.join(sorted(mine))})" if mine else ""
                    return HOLDS, f"{b['id']} is kept on {s['id']} in {cls} {', '.join(sorted(theirs))}{where}."
                known.append(s["id"])
                shared.append(f"{s['id']} ({b['id']}) shares {', '.join(sorted(common))}")
        if not known:
            return NO_EVIDENCE, f"no store of {a}'s backups has a {cls} on record."
        return FAILS, f"every store of {a}'s backups is in its own {cls}: {'; '.join(shared)}."
    if name == "copy_offline_or_immutable":
        backups = _backups_of(asset, ix)
        flags = [(b["id"], b.get("offline"), b.get("immutable")) for b in backups]
        good = [f"{b} ({'offline' if off else 'immutable'})" for b, off, imm in flags if off or imm]
        if good:
            return HOLDS, f"{', '.join(good)}."
        unknown = [b for b, off, imm in flags if off is None or imm is None]
        if unknown:
            return NO_EVIDENCE, f"not recorded whether {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} offline or immutable."
        return FAILS, f"no backup of {a} is offline or immutable ({', '.join(b for b, _, _ in flags)})."
    if name == "restore_test_within_days":
        backups = _backups_of(asset, ix)
        days, scope = rule.value, rule.scope
        if ix.as_of is None or any("restore_tests" not in b for b in backups):
            return NO_EVIDENCE, "the analysis does not record restore tests."
        best = None
        latest = None
        for b in backups:
            for t in b["restore_tests"]:
                if t.get("result") != "pass" or _rank(TEST_SCOPES, t.get("scope")) < _rank(TEST_SCOPES, scope):
                    continue
                age = (ix.as_of - dt.date.fromisoformat(t["tested_at"])).days
                if 0 <= age <= days and (best is None or age < best[0]):
                    best = (age, b["id"], t["tested_at"])
                if latest is None or age < latest[0]:
                    latest = (age, b["id"], t["tested_at"])
        if best is not None:
            return HOLDS, f"{best[1]} passed a {scope}-scope (or wider) restore test on {best[2]}, {best[0]} days before as_of."
        if not ix.tests_recorded:
            return NO_EVIDENCE, "the inventory records no restore test at all."
        if latest is not None:
            return FAILS, (f"the latest passing restore test of at least {scope} scope ({latest[1]}, {latest[2]}) is "
                           f"{latest[0]} days old; the control asks for {days}.")
        return FAILS, f"no passing restore test of at least {scope} scope is on record for {a}'s backups."
    if name == "rpo_met":
        rpo = asset.get("rpo")
        if rpo is None:
            if asset.get("rpo_hours") is None:
                return HOLDS, f"{a} has no RPO."
            return NO_EVIDENCE, "the analysis does not record the RPO verdict."
        met = rpo.get("met")
        return (HOLDS if met else FAILS if met is False else NO_EVIDENCE), rpo.get("evidence", "")
    if name == "rto_met":
        rto = asset.get("rto_hours")
        if rto is None:
            return NO_EVIDENCE, f"{a} has no RTO on record, so there is nothing to meet."
        view = rule.value
        late, unknown, ok = [], [], []
        for s, is_all, lost, by_asset in ix.restores_by_scenario():
            if is_all != (view == "restore_all"):
                continue
            if a in lost:
                late.append(f"unrecoverable in '{s['name']}'")
                continue
            for r in by_asset.get(a, ()):
                if r.get("meets_rto") is False:
                    late.append(f"restored after {r['finish_hours']:.1f} h in '{s['name']}' (RTO {rto:g} h)")
                elif r.get("meets_rto") is None:
                    unknown.append(s["name"])
                else:
                    ok.append((r.get("finish_hours"), s["name"]))
        if late:
            return FAILS, f"{a}: " + "; ".join(late[:3]) + (f" and {len(late) - 3} more" if len(late) > 3 else "") + "."
        if unknown:
            return NO_EVIDENCE, f"the restore time of {a} is unknown (no throughput on its path) in '{unknown[0]}'."
        if not ok:
            what = "the restore-all scenario" if view == "restore_all" else "no site, region or declared scenario takes it down"
            return NO_EVIDENCE, f"no restore of {a} to judge: {what}."
        worst = max(ok, key=lambda x: (x[0] or 0.0, x[1]))
        return HOLDS, f"{a} is back after {worst[0]:.1f} h at worst ('{worst[1]}'), within its RTO of {rto:g} h."
    if name == "verification_at_least":
        backups = _backups_of(asset, ix)
        need = _rank(VERIFICATION_LEVELS, rule.value)
        levels = [(b["id"], b.get("verification")) for b in backups]
        good = [f"{b} ({v})" for b, v in levels if _rank(VERIFICATION_LEVELS, v) >= need]
        if good:
            return HOLDS, f"verified at least by {rule.value}: {', '.join(good)}."
        unknown = [b for b, v in levels if v is None]
        if unknown:
            return NO_EVIDENCE, f"the verification of {', '.join(unknown)} is not recorded."
        return FAILS, f"no backup of {a} is verified by {rule.value} or better: " + ", ".join(f"{b} ({v})" for b, v in levels) + "."
    if name == "alert_path_independent":
        backups = _backups_of(asset, ix)
        with_channel = [b for b in backups if b.get("alert_channel")]
        if not with_channel:
            return NO_EVIDENCE, f"no backup of {a} names an alert channel."
        coupled = [b for b in with_channel if b.get("alert_independent") is False]
        if coupled:
            return FAILS, " ".join(b.get("alert_evidence", "") for b in coupled).strip()
        if any(b.get("alert_independent") is None for b in with_channel):
            return NO_EVIDENCE, "the analysis does not record whether the alert paths are independent."
        return HOLDS, "; ".join(f"{b['id']} alerts through {b['alert_channel']}" for b in with_channel) + ", sharing no single point of failure."
    raise ValueError(f"unknown rule {name!r}")


# which findings bear on a rule: (category, words of the finding's rule; empty = any rule of the category)
_FINDING_WORDS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "recoverable_under": (("coupling", ("threat", "domain", "scenario", "common", "spof", "single")),
                          ("silent_failure", ("replica",))),
    "no_common_cause": (("coupling", ("domain", "common", "spof", "single", "threat")),),
    "copy_in_other": (("coupling", ("domain", "site", "region", "account", "provider")),
                      ("silent_failure", ("3-2-1-1-0", "offsite", "321"))),
    "copy_offline_or_immutable": (("coupling", ("credential_compromise", "compromise")),
                                  ("silent_failure", ("3-2-1-1-0", "immutable", "offline", "321"))),
    "restore_test_within_days": (("silent_failure", ("restore-test", "restore_test", "3-2-1-1-0", "321")),),
    "rpo_met": (("silent_failure", ("rpo", "stale", "missed", "schedule")),),
    "rto_met": (("capacity", ()), ("coupling", ("rto",)), ("data_quality", ("restore", "throughput", "duration"))),
    "verification_at_least": (("silent_failure", ("verification", "verified", "unverified", "tiny", "collapse")),),
    "alert_path_independent": (("silent_failure", ("alert",)),),
}
#: a 3-2-1-1-0 finding that names its part bears on the rule of that part only
_PART_RULES = {"one_offsite": "copy_in_other", "one_offline_or_immutable": "copy_offline_or_immutable",
               "zero_errors": "restore_test_within_days", "three_copies": None, "two_media": None}
_MODE_WORDS = {"site_loss": "site", "region_loss": "region", "account_loss": "account", "provider_loss": "provider"}


def _bears_on(rule: Rule, finding: Mapping) -> bool:
    """Whether a finding tells (part of) the story of a failing rule, by its category and rule."""
    fid = str(finding.get("id", ""))
    category = finding.get("category", "")
    body = fid.split(":", 1)[1] if ":" in fid else fid
    head = body.split(":", 1)[0]
    if category == "silent_failure" and head == "3-2-1-1-0":
        parts = [p for p in _PART_RULES if p in body]
        if parts:
            return any(_PART_RULES[p] == rule.name for p in parts)
    for cat, words in _FINDING_WORDS.get(rule.name, ()):
        if cat != category:
            continue
        if category == "coupling" and head == "rto" and rule.name != "rto_met":
            continue
        if words and not any(w in body for w in words):
            continue
        if rule.name == "recoverable_under" and category == "silent_failure" and "logical_corruption" not in rule.value:
            continue  # a replica taken for a backup is the corruption story only
        if rule.name == "recoverable_under" and head == "threat":
            named = [m for m in THREAT_MODES if m in body]
            if named and not set(named) & set(rule.value):
                continue
        if rule.name == "copy_in_other" and head == "threat":
            named = [m for m in THREAT_MODES if m in body]
            if named and _MODE_WORDS.get(named[0]) != rule.value:
                continue
        return True
    return False


def _asset_in_scope(control: Control, asset: Mapping) -> bool | None:
    """True/False; None when the control is tier-scoped and the asset's tier is unknown."""
    if control.tiers is None:
        return True
    tier = asset.get("tier")
    if tier is None:
        return None
    return int(tier) in control.tiers


def judge_control(framework: Framework, control: Control, ix: _Index) -> dict:
    """One control's entry of the controls JSON."""
    entry = {"framework": framework.key, "framework_name": framework.name, "id": control.id, "title": control.title,
             "reference": control.reference, "rules": [r.label for r in control.require],
             "scope": None if control.tiers is None else {"tier": list(control.tiers)},
             "out_of_scope": control.out_of_scope, "status": "no_evidence", "assets": [], "unknown_tier": [],
             "failing": []}
    if control.out_of_scope is not None:
        return entry
    worst = "met"
    # each rule with its label and its verdicts by asset (controls share rules: rpo_met appears in many)
    rules = [(rule, rule.label, ix.verdicts.setdefault(rule, {})) for rule in control.require]
    tiers, in_scope, unknown_tier, failing = control.tiers, entry["assets"], entry["unknown_tier"], entry["failing"]
    for a in ix.order:
        asset = ix.assets[a]
        if tiers is not None:  # _asset_in_scope, inline: this loop runs for every control and asset
            tier = asset.get("tier")
            if tier is None:
                unknown_tier.append(a)
                continue
            if int(tier) not in tiers:
                continue
        in_scope.append(a)
        for rule, label, verdicts in rules:
            verdict = verdicts.get(a)
            if verdict is None:
                state, evidence = judge_rule(rule, asset, ix)
                findings = ix.bearing(rule, a) if state == FAILS else []
                verdict = verdicts[a] = (state, evidence, findings)
            state, evidence, findings = verdict
            if state == HOLDS:
                continue
            failing.append({"asset": a, "rule": label, "status": "not_met" if state == FAILS else "no_evidence",
                            "evidence": evidence, "findings": list(findings)})
            if state == FAILS:
                worst = "not_met"
            elif worst == "met":
                worst = "no_evidence"
    if not entry["assets"] and worst == "met":
        worst = "no_evidence"  # nothing in scope: nothing shows the control met
    entry["status"] = worst
    return entry


def evaluate(result: Mapping, frameworks: Sequence[Framework]) -> dict:
    """The controls JSON: every control of every framework judged on the analysis JSON ``result``."""
    ix = _Index(result)
    return {"environment": dict(result.get("environment", {})),
            "frameworks": [{"key": f.key, "name": f.name, "version": f.version, "source": f.source} for f in frameworks],
            "controls": [judge_control(f, c, ix) for f in frameworks for c in f.controls]}


def attach_controls(result: dict, frameworks: Sequence[Framework] | None = None) -> None:
    """Give every finding of the analysis JSON its ``controls``: the built-in controls it bears on
    (``"dora 12(3)"``): those whose failing assets name the finding."""
    fws = list(frameworks) if frameworks is not None else [builtin(n) for n in BUILTIN]
    ix = _Index(result)
    named: dict[str, list[str]] = {}
    # each control's entry as ``evaluate`` makes it, read and let go one at a time (the whole document's failing
    # rows, every control times every asset, were the analysis' memory peak at 100,000 components)
    for c in (judge_control(f, control, ix) for f in fws for control in f.controls):
        label = f"{c['framework']} {c['id']}"
        fids: dict[str, None] = {}  # the findings this control names, once each
        for fail in c["failing"]:
            if fail["findings"]:
                fids.update(dict.fromkeys(fail["findings"]))
        for fid in fids:
            lst = named.setdefault(fid, [])
            if label not in lst:
                lst.append(label)
    for f in result.get("findings", []):
        f["controls"] = named.get(f["id"], [])


# -- outputs ---------------------------------------------------------------------------------------

CSV_COLUMNS = ("framework", "id", "title", "reference", "status", "out_of_scope", "assets_in_scope", "assets_not_met",
               "assets_no_evidence", "failing_assets", "rules", "evidence", "findings")


def controls_csv(doc: Mapping) -> str:
    """One row per control and framework, safe to open in a spreadsheet (for GRC tools)."""
    from .findings import neutralise_cell

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for c in doc["controls"]:
        bad = sorted({f["asset"] for f in c["failing"] if f["status"] == "not_met"})
        unknown = sorted({f["asset"] for f in c["failing"] if f["status"] == "no_evidence"} - set(bad))
        row = [c["framework"], c["id"], c["title"], c["reference"], c["status"], c["out_of_scope"] or "",
               len(c["assets"]), len(bad), len(unknown), "; ".join(bad + unknown), "; ".join(c["rules"]),
               " | ".join(f"{f['asset']}: {f['rule']}: {f['evidence']}" for f in c["failing"]),
               "; ".join(sorted({x for f in c["failing"] for x in f["findings"]}))]
        w.writerow([neutralise_cell(v) for v in row])
    return buf.getvalue()


def summary_counts(doc: Mapping) -> dict[str, dict[str, int]]:
    """framework -> {met, not_met, no_evidence, out_of_scope, assessed}."""
    out: dict[str, dict[str, int]] = {}
    for c in doc["controls"]:
        d = out.setdefault(c["framework"], {"met": 0, "not_met": 0, "no_evidence": 0, "out_of_scope": 0, "assessed": 0})
        if c["out_of_scope"] is not None:
            d["out_of_scope"] += 1
        else:
            d[c["status"]] += 1
            d["assessed"] += 1
    return out


def format_text(doc: Mapping) -> str:
    """The controls as a short text for the terminal: a line per control, then what fails."""
    lines = []
    counts = summary_counts(doc)
    for fw in doc["frameworks"]:
        n = counts.get(fw["key"], {})
        lines.append(f"{fw['name']} ({fw['key']}): {n.get('met', 0)} met, {n.get('not_met', 0)} not met, "
                     f"{n.get('no_evidence', 0)} without evidence of {n.get('assessed', 0)} assessed; "
                     f"{n.get('out_of_scope', 0)} out of scope")
        for c in doc["controls"]:
            if c["framework"] != fw["key"]:
                continue
            status = "out of scope" if c["out_of_scope"] else c["status"].replace("_", " ")
            lines.append(f"  {c['id']:<22} {status:<12} {c['title']}")
            bad = sorted({f["asset"] for f in c["failing"] if f["status"] == "not_met"})
            if bad:
                lines.append(f"  {'':<22} not met for: {', '.join(bad[:8])}" + (f" and {len(bad) - 8} more" if len(bad) > 8 else ""))
    return "\n".join(lines)


# -- comparing two assessments ------------------------------------------------------------------------

_STATUS_RANK = {"not_met": 0, "no_evidence": 1, "met": 2}


def compare_controls(old: Mapping, new: Mapping, frameworks: Sequence[Framework] | None = None) -> list[dict]:
    """The controls whose status changed between two analysis JSONs (default: the six built-in frameworks).

    Each entry: ``framework``, ``id``, ``title``, ``old``, ``new`` (statuses) and ``direction``
    (``improved`` towards met, ``regressed`` towards not met), with the assets newly failing and
    no longer failing. Sorted as the frameworks list their controls.
    """
    fws = list(frameworks) if frameworks is not None else [builtin(n) for n in BUILTIN]
    before = {(c["framework"], c["id"]): c for c in evaluate(old, fws)["controls"]}
    out = []
    for c in evaluate(new, fws)["controls"]:
        b = before.get((c["framework"], c["id"]))
        if b is None or b["status"] == c["status"] or c["out_of_scope"] is not None:
            continue
        failing_old = {f["asset"] for f in b["failing"] if f["status"] == "not_met"}
        failing_new = {f["asset"] for f in c["failing"] if f["status"] == "not_met"}
        out.append({"framework": c["framework"], "id": c["id"], "title": c["title"], "old": b["status"],
                    "new": c["status"],
                    "direction": "improved" if _STATUS_RANK[c["status"]] > _STATUS_RANK[b["status"]] else "regressed",
                    "now_failing": sorted(failing_new - failing_old), "no_longer_failing": sorted(failing_old - failing_new)})
    return out


def format_changes(changes: Sequence[Mapping]) -> list[str]:
    """Lines for the compare command's text: one per control whose status changed."""
    if not changes:
        return ["Controls: no status changed."]
    lines = [f"Controls whose status changed: {len(changes)}"]
    for ch in changes:
        tag = "[better]" if ch["direction"] == "improved" else "[worse]"
        extra = ""
        if ch["now_failing"]:
            extra += "; now failing: " + ", ".join(ch["now_failing"])
        if ch["no_longer_failing"]:
            extra += "; no longer failing: " + ", ".join(ch["no_longer_failing"])
        lines.append(f"  {ch['framework']} {ch['id']}: {ch['old'].replace('_', ' ')} -> {ch['new'].replace('_', ' ')} {tag}{extra}")
    return lines


# -- the report's Controls section ----------------------------------------------------------------------


def _status_word(c: Mapping) -> str:
    return "out of scope" if c.get("out_of_scope") else c["status"].replace("_", " ")


def counts_frame(doc: Mapping):
    """One row per framework: how many controls are met, not met, without evidence, out of scope."""
    import pandas as pd

    counts = summary_counts(doc)
    rows = [{"framework": fw["name"], "met": counts[fw["key"]]["met"], "not_met": counts[fw["key"]]["not_met"],
             "no_evidence": counts[fw["key"]]["no_evidence"], "out_of_scope": counts[fw["key"]]["out_of_scope"],
             "met_of_assessed": f"{counts[fw['key']]['met']} / {counts[fw['key']]['assessed']}"}
            for fw in doc["frameworks"] if fw["key"] in counts]
    return pd.DataFrame(rows, columns=["framework", "met", "not_met", "no_evidence", "out_of_scope", "met_of_assessed"])


def matrix_frame(doc: Mapping, framework: str):
    """The controls of one framework by status: one row per control, its status and how many assets fail it."""
    import pandas as pd

    rows = []
    for c in doc["controls"]:
        if c["framework"] != framework:
            continue
        bad = {f["asset"] for f in c["failing"] if f["status"] == "not_met"}
        unknown = {f["asset"] for f in c["failing"] if f["status"] == "no_evidence"} - bad
        rows.append({"control": c["id"], "reference": c["reference"], "title": c["title"], "status": _status_word(c),
                     "assets_in_scope": len(c["assets"]), "assets_not_met": len(bad), "assets_no_evidence": len(unknown),
                     "note": c["out_of_scope"] or (f"tier unknown, not judged: {', '.join(c['unknown_tier'])}"
                                                   if c["unknown_tier"] else "")})
    return pd.DataFrame(rows, columns=["control", "reference", "title", "status", "assets_in_scope", "assets_not_met",
                                       "assets_no_evidence", "note"])


def _fix_of(finding_ids: Sequence[str], findings: Mapping[str, Mapping], asset: str = "",
            steps: Sequence[Mapping] = ()) -> tuple[str, str]:
    """The change that would meet a failing rule: the first step of the plan (the roadmap) that takes up or
    resolves one of its findings for this asset, else the verified fix of its findings (most severe first)."""
    wanted = set(finding_ids)
    for step in steps:
        if asset in step.get("asset_ids", ()) and wanted & (set(step.get("findings", ())) | set(step.get("resolved", ()))):
            return f"plan step {step.get('step')}: {step.get('detail') or step.get('title')}", "verified"
    chosen = [findings[i] for i in finding_ids if i in findings]
    order = {s: n for n, s in enumerate(("critical", "high", "medium", "low", "info"))}
    chosen.sort(key=lambda f: (not (f.get("fix") or {}).get("verified", False), order.get(f.get("severity"), 9), f["id"]))
    for f in chosen:
        fix = f.get("fix")
        if fix and fix.get("change"):
            return fix["change"], "verified" if fix.get("verified") else "not verified"
    for f in chosen:
        if f.get("recommendation"):
            return f["recommendation"], "not verified"
    return "", ""


def not_met_frame(doc: Mapping, result: Mapping, names: Mapping[str, str] | None = None):
    """Every control not met: the assets (by name) failing each rule, the evidence, and the change that would meet it.

    The change is the step of the analysis's plan (the roadmap of verified fixes) that takes up or resolves
    the findings behind the failure for that asset; else the findings' own fix (``verified`` when the
    analysis applied it to a copy of the inventory and the finding went away); without a finding, empty.
    """
    import pandas as pd

    names = names or {}
    by_id = {f["id"]: f for f in result.get("findings", [])}
    steps = (result.get("plan") or {}).get("steps") or []
    groups: dict[tuple, dict] = {}
    for c in doc["controls"]:
        if c["status"] != "not_met":
            continue
        for f in c["failing"]:
            if f["status"] != "not_met":
                continue
            change, state = _fix_of(f["findings"], by_id, f["asset"], steps)
            key = (c["framework"], c["id"], f["rule"], change, state)
            row = groups.get(key)
            if row is None:
                row = groups[key] = {"framework": c["framework"], "control": c["id"], "assets": [], "rule": f["rule"],
                                     "evidence": f["evidence"], "change_that_would_meet_it": change, "fix": state}
            row["assets"].append(str(names.get(f["asset"], f["asset"])))
    rows = []
    for row in groups.values():  # assets that fail one rule of one control and share the change: one line
        n = len(row["assets"])
        if n > 1:
            row["evidence"] += f" (the first of {n} assets; the controls JSON holds each one's evidence)"
        rows.append(dict(row, assets=", ".join(row["assets"])))
    return pd.DataFrame(rows, columns=["framework", "control", "assets", "rule", "evidence", "change_that_would_meet_it", "fix"])


def fleet_counts(result: Mapping, frameworks: Sequence[str | Path]) -> dict[str, dict[str, int]]:
    """framework key -> {met, total}: the fleet index's column per chosen framework (total: controls with rules)."""
    doc = evaluate(result, load_frameworks(frameworks))
    return {k: {"met": v["met"], "total": v["assessed"]} for k, v in summary_counts(doc).items()}


# -- hooks for the report ------------------------------------------------------------------------------

#: the report's Controls notebook (rendered only when frameworks are chosen)
REPORT_NOTEBOOK_PREFIX = "08_"


def resolve_frameworks(names: Sequence[str | Path] | None) -> tuple[str, ...]:
    """The report's ``--framework`` values checked (every problem at once) and made absolute where they are files."""
    if not names:
        return ()
    load_frameworks(names)  # raises FrameworkError naming every problem
    return tuple(n if str(n) in BUILTIN else str(Path(n).resolve()) for n in dict.fromkeys(map(str, names)))


def notebook_parameters(notebook_name: str, frameworks: Sequence[str]) -> dict:
    """The papermill parameters the Controls notebook takes from the report (none for the other notebooks)."""
    if notebook_name.startswith(REPORT_NOTEBOOK_PREFIX) and frameworks:
        return {"frameworks": list(frameworks)}
    return {}
