"""The remediation plan: every verified fix applied, one work package after the other, each re-analysed on top
of the ones before, down to the estate that is left when the plan is done.

A finding's fix is verified alone, on the estate as it is. A plan is more:
the client carries out the fixes one after the other, so each step is
applied **on top of the steps before** (``fix.changes``, with
``edits.apply_changes``; an edit an earlier step already made is not made
twice) and the estate is analysed again after it. Fixes that serve many
assets through the same thing (the same new vault, the same restore target,
the same alert channel, the same new component) are one **work package**,
one step, named by what it does and by the inventory ``name`` of every asset
it serves ("an immutable copy in vault-backup-acct: 5 assets"), never by
finding ids.

After each step: the *residual risk* (the estate risk points of
``whatif.estate_risk``: per asset, tier weight x (threat modes it is lost to
+ single points of failure + silent score / 100)), the critical and high
findings still open, and the findings the step resolved. After the last
step, the **end state**: the same analysis of the estate with every step
applied, and what is left (findings by severity, assets still lost to some
threat). ``hiddenspof apply --fix all-verified`` applies the same fixes in
the same order (the analysis JSON's ``plan.steps[].findings``), so its
re-analysis is the plan's end state.

Steps whose fix no longer applies on top of the earlier ones (an edit that
clashes with one already made) are left out and listed in ``not_applied``
with the reason. The re-analyses are budgeted (``PLAN_WORK_BUDGET``
component analyses, counted, not timed): the end state is always analysed;
steps beyond the budget are applied but not re-analysed one by one (their
residual risk is ``None``, and the plan says so).

The data shape, for the report and the deliverable: :class:`Plan` with
``steps`` (:class:`PlanStep`), ``end`` (:class:`EndState`),
``risk_before``; :meth:`Plan.frame` (one row per step) and
:meth:`Plan.end_frame` (one row per finding left); :meth:`Plan.to_json`
(the analysis JSON's ``plan``). See ``docs/advice.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from . import edits as edits_mod
from .findings import SEVERITIES, Finding, severity_rank, sort_findings

__all__ = ["PLAN_WORK_BUDGET", "PlanStep", "EndState", "Plan", "build", "end_state_frame", "findings_only",
           "from_result", "packages", "steps_frame"]

#: Component analyses the plan's step-by-step re-analysis may spend (the end state is always analysed).
PLAN_WORK_BUDGET = 60_000
_SERIOUS = ("critical", "high")


@dataclass(frozen=True)
class PlanStep:
    """One work package, applied on top of the steps before it, and the estate after it.

    ``assets`` are inventory names (``asset_ids`` the ids), ``findings`` the
    ids of the findings whose fixes it applies, in order; ``changes`` the
    edits it makes (edits an earlier step made are not repeated);
    ``risk_after`` the residual estate risk points after it and
    ``serious_after`` the critical and high findings still open (both None
    when the budget left it without a re-analysis of its own); ``resolved``
    the findings the re-analysis after it no longer shows.
    """

    number: int
    title: str
    assets: tuple[str, ...]
    asset_ids: tuple[str, ...]
    findings: tuple[str, ...]
    changes: tuple = field(default=(), repr=False)
    detail: str = ""
    risk_after: float | None = None
    serious_after: int | None = None
    resolved: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"step": self.number, "title": self.title, "assets": list(self.assets),
                "asset_ids": list(self.asset_ids), "findings": list(self.findings),
                "changes": [e.to_json() for e in self.changes], "detail": self.detail,
                "risk_after": self.risk_after, "serious_after": self.serious_after,
                "resolved": list(self.resolved)}


@dataclass(frozen=True)
class EndState:
    """The estate when every step is done: its risk points and what is left."""

    risk: float
    findings: tuple[Finding, ...]
    unrecoverable_assets: tuple[str, ...]  # names of assets some threat mode still leaves unrecoverable
    names: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def severity_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        for f in self.findings:
            counts[f.severity] += 1
        return counts

    def to_json(self) -> dict:
        return {"risk": self.risk, "severity_counts": self.severity_counts,
                "unrecoverable_assets": list(self.unrecoverable_assets),
                "findings": [{"id": f.id, "severity": f.severity, "title": f.title,
                              "assets": [self.names.get(a, a) for a in f.assets]} for f in self.findings]}


@dataclass(frozen=True)
class Plan:
    """The cumulative plan: the risk before, each step, the end state and the fixes left out (with why)."""

    risk_before: float
    steps: tuple[PlanStep, ...]
    end: EndState
    not_applied: tuple[tuple[str, str], ...] = ()
    #: the inventory with every step applied (what ``hiddenspof apply --fix all-verified`` writes)
    inventory: object = field(default=None, repr=False, compare=False)

    def frame(self) -> pd.DataFrame:
        """One row per step (:func:`steps_frame` of :meth:`to_json`)."""
        return steps_frame(self.to_json())

    def end_frame(self) -> pd.DataFrame:
        """What is left when the plan is done (:func:`end_state_frame` of :meth:`to_json`)."""
        return end_state_frame(self.to_json())

    def summary(self) -> str:
        """One sentence: risk before and after, steps, what is left."""
        c = self.end.severity_counts
        left = ", ".join(f"{n} {s}" for s, n in c.items() if n) or "no finding"
        return (f"{len(self.steps)} step{'s' if len(self.steps) != 1 else ''} take the estate risk from "
                f"{self.risk_before:.1f} to {self.end.risk:.1f} points; left when the plan is done: {left}"
                + (f"; {len(self.end.unrecoverable_assets)} asset(s) still lost to some threat"
                   if self.end.unrecoverable_assets else "") + ".")

    def to_json(self) -> dict:
        """The analysis JSON's ``plan``."""
        return {"risk_before": self.risk_before, "steps": [s.to_json() for s in self.steps],
                "end_state": self.end.to_json(),
                "not_applied": [{"finding": f, "reason": r} for f, r in self.not_applied],
                "summary": self.summary()}


def steps_frame(plan_json: Mapping) -> pd.DataFrame:
    """The plan as a table, from the analysis JSON's ``plan``: one row per step with its work package, the
    assets it serves (names), its edits, the risk it removes, the residual risk after it and the critical and
    high findings still open after it (empty where the budget left a step without its own re-analysis)."""
    rows = []
    prev = plan_json.get("risk_before")
    for s in plan_json.get("steps", ()):
        after = s.get("risk_after")
        removed = None if after is None or prev is None else round(prev - after, 2)
        rows.append({"step": s["step"], "work_package": s["title"], "assets": ", ".join(s["assets"]),
                     "edits": len(s.get("changes", ())), "risk_removed": removed,
                     "residual_risk": None if after is None else round(after, 2),
                     "critical_or_high_left": s.get("serious_after")})
        prev = after
    frame = pd.DataFrame(rows, columns=["step", "work_package", "assets", "edits", "risk_removed",
                                        "residual_risk", "critical_or_high_left"])
    frame["critical_or_high_left"] = frame["critical_or_high_left"].astype("Int64")
    return frame


def end_state_frame(plan_json: Mapping) -> pd.DataFrame:
    """What is left when the plan is done, from the analysis JSON's ``plan``: one row per finding, most severe
    first, with its assets by name."""
    end = plan_json.get("end_state") or {}
    rows = [{"severity": f["severity"], "title": f["title"], "assets": ", ".join(f["assets"]), "id": f["id"]}
            for f in end.get("findings", ())]
    return pd.DataFrame(rows, columns=["severity", "title", "assets", "id"])


# -- the analysis of a changed estate -------------------------------------------------------------------


def findings_only(inventory, memo: dict | None = None) -> tuple[list[Finding], object]:
    """Every finding of ``inventory`` as ``analysis.analyze`` makes them, without the fix search (the plan only
    asks what is left), and the model. Same ids, severities, titles and assets."""
    found, m, _ = _analysed(inventory, memo)
    return found, m


def _analysed(inventory, memo: dict | None = None):
    """:func:`findings_only`, and the estate risk of the same analysis (``whatif.estate_risk`` reading its
    verdicts and silent scores instead of computing them again)."""
    from . import advice, capacity, coupling, silent, whatif
    from . import model as model_mod
    from .quality import quality_findings

    m = model_mod.build(inventory)
    cr = coupling.analyze(m, pairs=False, survival=False)
    sr = silent.score(inventory, m, memo=memo)
    found = [*advice.findings_of(m, cr), *sr.findings, *capacity.analyze(m).findings, *quality_findings(inventory)]
    risk = whatif.estate_risk(inventory, m, memo=memo, coupling_result=cr, asset_scores=sr.asset_scores)
    return sort_findings(found), m, risk


# -- work packages --------------------------------------------------------------------------------------


def _anchors(fix) -> set:
    """What a fix is built around: the components it reuses, and its edits (a component it adds is its
    ``add_component`` edit: two fixes that add one alike, row for row, share it; two that only give their own new
    components the same id do not, see ``edits.rebase``)."""
    out = {("id", r) for r in fix.reuses}
    for e in fix.changes:
        if e.op == "set" and e.column in ("restore_to", "alert_channel") and e.value is not None:
            out.add(("id", e.value))
        if e.op == "set":  # two fixes that set the same cell (more capacity on one bottleneck) are one package
            out.add(("cell", e.table, e.id, e.column))
        out.add(("edit", e))
    return out


def _anchor_keys(fix):
    """:func:`_anchors` as the packages look them up: an edit stands for itself (not wrapped in a tuple that
    is hashed again at every look-up); an anchor may come twice."""
    for r in fix.reuses:
        yield ("id", r)
    for e in fix.changes:
        if e.op == "set":
            if e.column in ("restore_to", "alert_channel") and e.value is not None:
                yield ("id", e.value)
            yield ("cell", e.table, e.id, e.column)
        yield e


def packages(findings: Sequence[Finding]) -> list[list[Finding]]:
    """The findings with a verified fix, grouped into work packages, in plan order.

    Two fixes are one package when they add or reuse the same component
    (a vault, a restore target, an alert channel, a new site), set the same
    cell (the capacity of one bottleneck) or share an edit. Packages are ordered by their most severe finding (the findings'
    own order: severity, category, id), fixes inside a package likewise.
    """
    fixed = [f for f in findings if f.fix is not None and f.fix.verified and f.fix.changes]
    fixed.sort(key=lambda f: (severity_rank(f.severity), f.category, f.id))
    parent = list(range(len(fixed)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # the packages are the connected components of "shares an anchor", each keyed by its first finding (a union
    # keeps the smaller root), so the order the anchors are visited in changes nothing (no sort needed)
    owner: dict = {}
    for i, f in enumerate(fixed):
        for a in _anchor_keys(f.fix):
            j = owner.setdefault(a, i)
            if j != i:
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
    groups: dict[int, list[Finding]] = {}
    for i, f in enumerate(fixed):
        groups.setdefault(find(i), []).append(f)
    return [groups[k] for k in sorted(groups)]


def _title(edits: Sequence, assets: Sequence[str], names: Mapping[str, str], kinds: Mapping[str, str]) -> str:
    """What a work package does, in words, and how many assets it serves."""
    added = {e.fields.get("id"): e.fields for e in edits if e.op == "add_component"}

    def nm(i):
        return names.get(i) or added.get(i, {}).get("name") or i

    def listed(ids: Sequence[str], what: str) -> str:
        ids = list(ids)
        if len(ids) <= 2:
            return ", ".join(nm(i) for i in ids)
        new = sum(1 for i in ids if i in added)
        return f"{len(ids)} {what}" + (f" ({new} new)" if new else "")

    acts: list[str] = []
    copies = [e.fields for e in edits if e.op == "add_backup"]
    if copies:
        copy_ids = {c["id"] for c in copies}  # read once: a recovery site's package adds thousands of copies
        rows = [e.fields for e in edits if e.op == "add_dependency"]
        stores = sorted({r["depends_on"] for r in rows if r.get("component") in copy_ids
                         and kinds.get(r["depends_on"], added.get(r["depends_on"], {}).get("kind")) == "backup_store"})
        flags = [x for x in ("immutable", "offline") if all(c.get(x) for c in copies)]
        what = f"{'an ' if flags and flags[0] == 'immutable' else 'an ' if flags else 'a '}" \
               f"{', '.join(flags) + ' ' if flags else ''}copy"
        acts.append(f"{what} in {listed(stores, 'vaults') or 'a new store'}")
    targets = sorted({e.value for e in edits if e.op == "set" and e.column == "restore_to" and e.value})
    if targets:
        acts.append(f"restore to {listed(targets, 'targets')}")
    tests = [e for e in edits if e.op == "add_restore_test"]
    if tests:
        acts.append(f"a passing full restore test of {len(tests)} backup{'s' if len(tests) != 1 else ''}")
    channels = sorted({e.value for e in edits if e.op == "set" and e.column == "alert_channel" and e.value})
    if channels:
        acts.append(f"failure alerts through {listed(channels, 'channels')}")
    if any(e.op == "set" and e.column == "schedule_hours" for e in edits):
        acts.append("backup schedules within the RPO")
    locked = sorted({e.id for e in edits if e.op == "set" and e.column in ("immutable", "offline") and e.value})
    if locked:
        acts.append(f"make {listed(locked, 'backups')} immutable or offline")
    if any(e.op == "set" and e.column in ("throughput_mb_s", "max_parallel_restores") for e in edits):
        scaled = sorted({e.id for e in edits if e.op == "set" and e.column in ("throughput_mb_s", "max_parallel_restores")})
        acts.append(f"more restore capacity on {listed(scaled, 'components')}")
    removed = [e.fields for e in edits if e.op == "remove_dependency"]
    if removed:
        comps = sorted({r["component"] for r in removed})
        froms = sorted({r["depends_on"] for r in removed})
        acts.append(f"separate {listed(comps, 'components')} from {listed(froms, 'domains and accounts')}")
    new_places = [c for c in added.values() if c.get("kind") not in ("backup", "backup_store", "alerting", "provider")]
    if new_places and not acts:
        acts.append("a new " + ", ".join(f"{c.get('kind', '').replace('_', ' ')} {c.get('name') or c.get('id')}"
                                         for c in new_places[:2]))
    if not acts:
        acts.append(f"{len(edits)} edit{'s' if len(edits) != 1 else ''} of the inventory")
    head = "; ".join(acts[:2]) + (" and more" if len(acts) > 2 else "")
    return f"{head[:1].upper()}{head[1:]}: {len(assets)} asset{'s' if len(assets) != 1 else ''}"


# -- the plan -------------------------------------------------------------------------------------------


def build(inventory, findings: Sequence[Finding], budget: int = PLAN_WORK_BUDGET, *, base: Mapping | None = None) -> Plan:
    """The plan of ``inventory`` from its analysed ``findings`` (with their fixes).

    Parameters
    ----------
    inventory : Inventory
        The inventory the findings were analysed on.
    findings : sequence of Finding
        The analysis' findings (``analysis.analyze``; JSON entries are read with ``Finding.from_json``).
    budget : int
        Component analyses the step-by-step re-analysis may spend (the end state is always analysed).
    base : mapping, optional
        What ``analysis.analyze`` already computed for ``inventory`` (``model``, ``coupling``, ``silent``):
        the risk before the plan is read from them instead of analysing the estate again; and ``history``,
        the job-history summaries of its silent-failure scoring (``silent.history_memo``): the re-analyses
        read them instead of summarising the job history again (the plan's edits leave it as it is).

    Returns
    -------
    Plan
    """
    from . import model as model_mod
    from . import whatif

    findings = [f if isinstance(f, Finding) else Finding.from_json(f) for f in findings]
    comps = inventory.components
    names = {str(i): (str(n) if isinstance(n, str) and n.strip() else str(i)) for i, n in zip(comps["id"], comps["name"])}
    kinds = dict(zip(comps["id"], comps["kind"]))
    memo: dict = dict(base.get("history") or {}) if base is not None else {}  # silent.score's memo (a copy)
    size = len(comps)
    spend = [budget - size]  # the end state's analysis is reserved
    if base is not None:
        start = whatif.estate_risk(inventory, base["model"], memo=memo, coupling_result=base["coupling"],
                                   asset_scores=base["silent"].asset_scores)
    else:
        start = whatif.estate_risk(inventory, model_mod.build(inventory), memo=memo)
    risk_before = start.total
    open_before = {f.id for f in findings}
    inv = inventory
    # every step's fixes staged one after the other on the inventory (``edits.Staged``: what applying them to
    # the tables one by one gives); the changed tables are built only where a step is re-analysed, and at the end
    staged = edits_mod.Staged(inventory)
    applied: list = []  # the edits of the steps so far, in order
    done: set = set()
    added: set = set()  # the ids the steps applied so far added (a later fix's own new components are renamed off them)
    steps: list[PlanStep] = []
    skipped: list[tuple[str, str]] = []
    for group in packages(findings):
        made, used, clashed, kept = [], [], [], []
        for f in group:
            if f.id not in open_before:  # the steps before resolved it: its own fix is not needed
                skipped.append((f.id, "resolved by the steps before it: its own fix is not needed"))
                continue
            todo, _, renamed = edits_mod.rebase(staged, f.fix.changes, done, added)
            try:
                staged.apply(todo)
            except edits_mod.EditError as err:
                clashed.append((f.id, f"it no longer applies on top of the changes before it: {err}"))
                # without the part of this fix that did apply
                staged = edits_mod.Staged(inventory).apply([*applied, *made])
                continue
            done.update(todo)
            added.update(edits_mod.new_ids(todo))
            made.extend(todo)
            used.append(f)
            if renamed:
                kept.append(f"{f.id} adds {', '.join(f'{a} as {b}' for a, b in renamed.items())}, as an earlier "
                            "fix used those ids for other components")
        if not used:
            skipped.extend(clashed)
            continue
        applied.extend(made)
        asset_ids = tuple(sorted({a for f in used for a in f.assets}))
        step = PlanStep(
            number=len(steps) + 1,
            title=_title(made, asset_ids, names, kinds),
            assets=tuple(names.get(a, a) for a in asset_ids),
            asset_ids=asset_ids,
            findings=tuple(f.id for f in used),
            changes=tuple(made),
            detail="; ".join([*dict.fromkeys(f.fix.change for f in used), *kept]),
        )
        if spend[0] >= size:
            spend[0] -= size
            inv = staged.result()
            left, _, after = _analysed(inv, memo)
            ids = {f.id for f in left}
            step = dataclasses.replace(step, risk_after=after.total,
                                       serious_after=sum(f.severity in _SERIOUS for f in left),
                                       resolved=tuple(sorted(i for i in open_before if i not in ids)))
            open_before = ids
            # a fix that clashed with this step's changes may not be needed: the step resolved its finding
            clashed = [(fid, "its finding is resolved by this step's other changes (its own fix, which clashes "
                        "with them, is not needed)" if fid not in ids else why) for fid, why in clashed]
        skipped.extend(clashed)
        steps.append(step)
    if steps:
        inv = staged.result()
        end_findings, _, risk = _analysed(inv, memo)
    else:  # nothing to apply: the end state is the estate as analysed
        end_findings, risk = sort_findings(findings), start
    lost = tuple(sorted(names.get(a, a) for a, t in risk.unrecoverable_threats.items() if t))
    end = EndState(risk.total, tuple(end_findings), lost, names)
    return Plan(risk_before, tuple(steps), end, tuple(skipped), inv)


def from_result(inventory, result: Mapping) -> Plan:
    """The plan of an analysis JSON (``analysis.analyze(inventory)``)."""
    return build(inventory, [Finding.from_json(f) for f in result["findings"]])
