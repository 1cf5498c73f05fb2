"""Fixes for silent-failure findings, verified by scoring again.

A silent-failure finding is about evidence (restore tests, alert routes,
schedules, job history), so its fix is a change to that evidence or to the
backup's settings, written as ``fix.changes`` edits (``hiddenspof.edits``):

* no recent, a failed or a files-only restore test (``restore-test-*``):
  ``add_restore_test`` of a passing **full** restore test of every backup the
  finding lists, dated ``as_of``: the test to perform; once it passes, the
  finding goes;
* an alert channel that is missing or shares a single point of failure with
  the backup or its asset (``alert-channel``): ``set backups.alert_channel``
  to an existing channel that shares none (reuse first), else to a new
  channel ``new-alert-channel`` placed on an existing provider that takes
  neither down (or on a new one, ``new-alerting-provider``);
* an asset whose backups run less often than its RPO (``rpo``, the schedule
  part): ``set backups.schedule_hours`` of its most frequent backup to the
  RPO.

Each fix is applied to a copy of the whole inventory and the silent-failure
analysis is run again (``silent.score``). With the assessment's memo
(``seeded_memo``: the assessment's own scoring, not repeated) the answer is
the same at a cost proportional to the fix: restore tests, alert routes to
existing channels and schedules change only their assets' finding rows, so
those rows are re-scored (``silent.rescore_assets``) and every other
asset's are the estate's own; a fix adding components (a new alert channel)
is applied and re-scored from the estate's scoring (``silent.rescore``).
``verified`` is true only when none
of the finding's assets is listed under its rule any more **and** no critical
or high silent-failure finding appears that the original did not have
(``new_findings``; a changed schedule against a daily job history shows up
here as missed runs). The coupling and capacity analyses read none of what
these edits change (restore tests, alert channels, schedules; a new alert
channel is a component nothing requires), so their verdicts stay as they
were. Findings whose evidence is the job history itself (no runs on record,
a stale last success, missed runs, a failure streak, tiny or collapsed runs,
a sudden duration change, a replica counted as a backup) have no edit that
shows them fixed: their ``fix`` is unverified and ``effect`` says why and
what would clear them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import pandas as pd

from . import edits as edits_mod
from .findings import Finding, Fix

__all__ = ["RESTORE_TEST_RULES", "HISTORY_REASONS", "seeded_memo", "silent_fix"]

RESTORE_TEST_RULES = ("restore-test-missing", "restore-test-failed", "restore-test-files-only")
_SERIOUS = ("critical", "high")

#: Rules whose evidence is the job history or the backup's method: why no edit of the inventory fixes them.
HISTORY_REASONS = {
    "no-job-history": "the finding is missing evidence, not a setting: export the job history of {b} from the backup "
                      "tool and load it; no edit of the inventory can show that a job runs",
    "stale-last-success": "the evidence is the job history of {b}: once the job completes again, the next "
                          "assessment shows it; no edit of the inventory can add a run that has not happened",
    "missed-runs": "the missing restore points of {b} are in the job history: fix the scheduler and alert on a missed "
                   "run; changing the recorded schedule would only hide the gap",
    "failure-streak": "the failed runs of {b} are in the job history: once a run succeeds, the next assessment shows "
                      "it; no edit of the inventory can add that run",
    "tiny-success": "the near-empty runs of {b} are in the job history: fix the job's selection or credentials; a "
                    "correct full run clears it at the next assessment",
    "size-collapse": "the collapsed runs of {b} are in the job history: find what the job stopped copying; the next "
                     "correct run clears it",
    "duration-anomaly": "the changed duration of {b} is in the job history: check what the job copied; runs of the "
                        "usual duration clear it",
    "replica-as-backup": "{b} is a replica by its method: it stays one; the finding weighs less once the asset has "
                         "another backup scoring under 30 (a point-in-time copy with a passing restore test and "
                         "alerting), which the estate has to build and test first",
}


def _names(items: Sequence[str], limit: int = 6) -> str:
    items = list(items)
    if len(items) > limit:
        return f"{', '.join(items[:limit])} and {len(items) - limit} more"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _backups(model, finding: Finding) -> list[str]:
    return [c for c in finding.components if c in model.backup]


def _restore_tests(model, finding: Finding) -> tuple[str, list, tuple[str, ...]]:
    inv = model.inventory
    data_gb = dict(zip(inv.components["id"].tolist(), inv.components["data_gb"].tolist()))
    out = []
    for b in _backups(model, finding):
        size = model.backup[b].size_gb
        if size is None or pd.isna(size):
            size = data_gb.get(model.backup[b].protects)
        out.append(edits_mod.add_restore_test(
            backup=b, tested_at=inv.meta.as_of.isoformat(), result="pass", scope="full",
            restored_gb=None if size is None or pd.isna(size) else float(size),
            notes="A full restore test to perform and record: the fix of a silent-failure finding"))
    text = (f"perform and record a passing full restore test of {_names(_backups(model, finding))} "
            f"(dated {inv.meta.as_of.isoformat()})")
    return text, out, ()


def _alert_routes(model, finding: Finding, down=None) -> tuple[str, list, tuple[str, ...]]:
    from .silent import _alert_coupling, _DownCache

    down = down if down is not None else _DownCache(model)
    channels = sorted({i.alert_channel for i in model.backup.values() if i.alert_channel and i.alert_channel in model.kind}
                      | {c for c, k in model.kind.items() if k == "alerting"})
    providers = sorted(c for c, k in model.kind.items() if k == "provider")
    out: list = []
    reused: list[str] = []
    moved: dict[str, list[str]] = {}
    new_channel = None
    for b in _backups(model, finding):
        info = model.backup[b]
        current = info.alert_channel
        if current and current in model.kind and not _alert_coupling(model, down, b, info.protects, current)[0]:
            continue  # this backup's route is already independent
        good = next((c for c in channels if c != current
                     and not _alert_coupling(model, down, b, info.protects, c)[0]), None)
        if good is None:
            if new_channel is None:
                new_channel = "new-alert-channel"
                home = next((p for p in providers if info.protects not in down(p) and b not in down(p)), None)
                if home is None:
                    home = "new-alerting-provider"
                    out.append(edits_mod.add_component(id=home, name="Provider of the independent alert channel (proposed)",
                                                       kind="provider", notes="Added by a fix: a paging service outside "
                                                       "the estate"))
                else:
                    reused.append(home)
                out.append(edits_mod.add_component(id=new_channel, name="Independent alert channel (proposed)",
                                                   kind="alerting", notes="Added by a fix: shares no single point of "
                                                   "failure with the backups it reports"))
                out.append(edits_mod.add_dependency(component=new_channel, depends_on=home, kind="location"))
            good = new_channel
        elif good not in reused:
            reused.append(good)
        out.append(edits_mod.set_value("backups", b, "alert_channel", good))
        moved.setdefault(good, []).append(b)
    text = "; ".join(f"send the failures of {_names(bs)} to {c}"
                     + (" (a new channel outside the estate)" if c == new_channel else "") for c, bs in moved.items())
    return text, out, tuple(sorted(reused))


def _schedules(model, finding: Finding) -> tuple[str, list, tuple[str, ...]]:
    inv = model.inventory
    rpo = dict(zip(inv.components["id"].tolist(), inv.components["rpo_hours"].tolist()))
    out, parts = [], []
    for a in finding.assets:
        objective = rpo.get(a)
        backs = [b for b in model.backups_of.get(a, ())]
        hours = [(model.backup[b].schedule_hours, b) for b in backs if model.backup[b].schedule_hours]
        if objective is None or pd.isna(objective) or not hours or len(hours) < len(backs):
            continue
        if min(h for h, _ in hours) <= float(objective):
            continue  # the schedule meets it: the story is the job history
        h, b = min(hours)
        out.append(edits_mod.set_value("backups", b, "schedule_hours", float(objective)))
        parts.append(f"run {b} every {float(objective):g} h instead of every {h:g} h (the RPO of {a})")
    return "; ".join(parts), out, ()


_BUILDERS = {**dict.fromkeys(RESTORE_TEST_RULES, _restore_tests), "alert-channel": _alert_routes, "rpo": _schedules}


def _serious_rows(findings: Iterable[Finding]) -> set[tuple[str, str]]:
    """(finding id, asset) of every critical or high row (a rule's per-asset row, or the finding itself)."""
    out = set()
    for f in findings:
        rows = [(x.asset, x.severity) for x in f.per_asset] or [(a, f.severity) for a in (f.assets or ("",))]
        out.update((f.id, a) for a, s in rows if s in _SERIOUS)
    return out


def seeded_memo(model, result, memo: dict) -> dict:
    """``memo`` holding ``result``, the assessment's own ``silent.score(model.inventory, model, memo=memo)``, as the
    scoring the fixes start from (so the estate is not scored a second time)."""
    if result.basis is None or result.basis.model is not model:
        raise ValueError("the silent-failure result to start from must be scored on this model with a memo")
    memo[("silentfix-base", id(model))] = (model, result)
    return memo


def _base_score(model, memo: dict):
    """The silent-failure scoring of the assessed estate itself, once per model (kept in ``memo``, or given by
    :func:`seeded_memo`): the re-scorings of the fixes start from it."""
    from . import silent

    key = ("silentfix-base", id(model))
    hit = memo.get(key)
    if hit is None or hit[0] is not model:
        hit = memo[key] = (model, silent.score(model.inventory, model, memo=memo))
    return hit[1]


def _kept(memo: dict, name: str, source, compute):
    """``compute()`` once per ``source`` object (by identity, the object kept alive in ``memo``)."""
    key = (name, id(source))
    hit = memo.get(key)
    if hit is None or hit[0] is not source:
        hit = memo[key] = (source, compute())
    return hit[1]


def _listed(findings: Iterable[Finding]) -> dict[str, frozenset[str]]:
    """Finding id -> its assets (of the first finding with that id, as a look-up by id reads them)."""
    out: dict[str, frozenset[str]] = {}
    for f in findings:
        out.setdefault(f.id, frozenset(f.assets))
    return out


def _row_sets(rows: Iterable[tuple[str, str, str]]) -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    """Finding rows ``(id, asset, severity)`` as finding id -> assets listed, and the critical or high (id, asset)."""
    listed: dict[str, set[str]] = {}
    serious = set()
    for fid, a, severity in rows:
        listed.setdefault(fid, set()).add(a)
        if severity in _SERIOUS:
            serious.add((fid, a))
    return listed, serious


#: the backup settings whose change is re-scored asset by asset (``silent.rescore_assets``)
_LOCAL_SETTINGS = ("alert_channel", "schedule_hours")


def _rows_after(model, base, edits: Sequence) -> tuple[frozenset[str], frozenset[tuple[str, str, str]]] | None:
    """The assets the edits touch and their finding rows after the edits, from ``silent.rescore_assets`` (each as a
    whole re-scoring gives it; every other asset's rows stay the base's), or None when the edits change more than
    restore tests, alert channels and schedules (the changed inventory is then scored whole).

    Raises ``EditError`` where ``edits.apply_changes`` would.
    """
    from . import model as model_mod
    from . import silent

    if any(not (e.op == "add_restore_test" or (e.op == "set" and e.table == "backups" and e.column in _LOCAL_SETTINGS))
           for e in edits):
        return None
    staged = edits_mod.Staged(model.inventory).apply(edits)
    backups = {}
    for b in dict.fromkeys(e.id for e in edits if e.op == "set"):
        row, info = staged.backup(b), model.backup.get(b)
        if info is None:
            return None
        backups[b] = dataclasses.replace(info, alert_channel=model_mod._text(row["alert_channel"]),
                                         schedule_hours=model_mod._number(row["schedule_hours"]))
    return silent.rescore_assets(base, backups, staged.added_tests())


def silent_fix(model, finding: Finding, before: Sequence[Finding], memo: dict | None = None,
               work: list[int] | None = None) -> Fix:
    """The fix of one silent-failure finding: its edits applied to a copy of the inventory and scored again.

    ``before`` are the assessment's findings (the new critical or high ones
    are judged against them; with a memo, their rows are read once per
    list); ``memo`` shares the job-history summaries between re-scorings
    and, with it, each re-scoring starts from the estate's own scoring
    (``seeded_memo``) and recomputes only what the edits touch
    (``silent.rescore_assets`` or ``silent.rescore``, equal to a full
    ``silent.score``); ``work`` (a
    one-item list) is the assessment's search budget, spent by the
    inventory's size.
    """
    from .silent import collection_paused

    with collection_paused():  # a fix allocates the edits and evidence of tens of thousands of backups
        return _silent_fix(model, finding, before, memo, work)


def _silent_fix(model, finding: Finding, before: Sequence[Finding], memo: dict | None,
                work: list[int] | None) -> Fix:
    from . import model as model_mod
    from . import silent

    rule = finding.id.split(":")[1]
    backups = _backups(model, finding)
    if rule not in _BUILDERS:
        reason = HISTORY_REASONS.get(rule, "no edit of the inventory addresses this rule")
        return Fix(finding.recommendation, False,
                   "no change to the inventory tried: " + reason.format(b=_names(backups) or _names(finding.assets)))
    base = _base_score(model, memo) if memo is not None else None
    if rule == "alert-channel" and base is not None and base.basis is not None:
        change, edits, reuses = _alert_routes(model, finding, base.basis.down)  # the estate's down sets, shared
    else:
        change, edits, reuses = _BUILDERS[rule](model, finding)
    if not edits:
        return Fix(finding.recommendation, False,
                   "no change to the inventory tried: every backup of "
                   f"{_names(finding.assets)} is already scheduled within its RPO; the missed recovery points are in "
                   "the job history, which only new runs change")
    if work is not None and work[0] <= 0:
        return Fix(change, False, "not searched: the assessment's search budget went to more severe findings first",
                   changes=tuple(edits), reuses=reuses)
    if work is not None:
        work[0] -= len(model.ids)
    try:
        rows = _rows_after(model, base, edits) if base is not None and base.basis is not None else None
        if rows is None:
            changed = edits_mod.apply_changes(model.inventory, edits)
    except edits_mod.EditError as err:
        return Fix(change, False, f"the change does not apply to the inventory: {err}")
    if rows is not None:  # the touched assets' rows re-scored; the others' are the estate's own
        touched, part = rows
        part_listed, part_serious = _row_sets(part)
        listed = ({a for a in _kept(memo, "silentfix-listed", base, lambda: _listed(base.findings)).get(finding.id, ())
                   if a not in touched} | part_listed.get(finding.id, set()))
        serious = _kept(memo, "silentfix-serious", base, lambda: _serious_rows(base.findings))
        after_rows = {r for r in serious if r[1] not in touched} | part_serious
    else:
        changed_model = model_mod.build(changed)
        if base is not None:  # only what the edits touch is scored again (equal to a full score: silent.rescore)
            after = silent.rescore(base, changed, changed_model, memo=memo).findings
        else:
            after = silent.score(changed, changed_model).findings
        still = next((f for f in after if f.id == finding.id), None)
        listed = set(still.assets) if still is not None else set()
        after_rows = _serious_rows(after)
    before_rows = _kept(memo, "silentfix-before", before, lambda: _serious_rows(before)) if memo is not None \
        else _serious_rows(before)
    left = sorted(set(finding.assets) & listed)
    new = sorted({fid for fid, _ in after_rows - before_rows})
    what = f"re-scored on a copy of the inventory with {len(edits)} edit{'s' if len(edits) != 1 else ''}"
    if left:
        effect = f"{what}: {_names(left)} still listed under {rule}"
        if rule == "rpo":
            effect += (" (the recovery points their job history already missed stay in it: only new runs on the "
                       "new schedule clear them)")
    else:
        effect = f"{what}: {_names(finding.assets)} no longer listed under {rule}"
    if new:
        effect += f"; but it raises {', '.join(new)} (critical or high)"
    return Fix(change, not left and not new, effect, changes=tuple(edits), reuses=reuses, new_findings=tuple(new))

