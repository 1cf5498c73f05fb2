"""``hiddenspof apply``: carry out the fixes of an analysis on a copy of the inventory, and re-analyse it.

A finding's ``fix.changes`` are edit operations (``hiddenspof.edits``);
applying them in order is the change. This module picks the fixes asked for
(by finding id, or ``all-verified``), applies their edits one fix after the
other, re-analyses the changed inventory and says, per fix, whether its
finding is gone and which critical or high findings appeared. An edit that
no longer applies (the inventory changed since the analysis) stops
everything: nothing is written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import edits as edits_mod
from .errors import HiddenspofError
from .inventory import Inventory

__all__ = ["ALL_VERIFIED", "ApplyError", "AppliedFix", "ApplyResult", "select_fixes", "verified_in_order",
           "apply_fixes", "write_inventory"]

#: The ``--fix`` value that takes every verified fix, in roadmap order.
ALL_VERIFIED = "all-verified"
_SERIOUS = ("critical", "high")


class ApplyError(HiddenspofError, ValueError):
    """A fix cannot be applied: an unknown finding, a finding without changes, or an edit that no longer applies."""


@dataclass(frozen=True)
class AppliedFix:
    """One fix as applied: its finding, its edits (skipped ones: already made by an earlier fix) and the outcome."""

    finding: str
    edits: tuple[edits_mod.Edit, ...]
    skipped: tuple[edits_mod.Edit, ...] = ()
    effect: str = ""
    resolved: bool | None = None
    #: new ids of the fix renamed because an earlier fix of the run added other components under them (``edits.rebase``)
    renamed: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ApplyResult:
    """The changed inventory, each applied fix, and the re-analysis (the analysis JSON of the changed inventory)."""

    inventory: Inventory
    fixes: tuple[AppliedFix, ...]
    analysis: dict = field(repr=False)
    new_findings: tuple[str, ...] = ()
    #: silent-failure findings about copies the fixes add (no job history, no restore test yet): expected until
    #: the new copies have run
    awaiting_runs: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """What ``hiddenspof apply`` prints: each edit, then the re-analysed outcome of each fix."""
        out = []
        for f in self.fixes:
            out.append(f"fix of {f.finding}:")
            for old, new in f.renamed.items():
                out.append(f"  (adds {old} as {new}: an earlier fix added another component under that id)")
            for e in f.edits:
                out.append(f"  {e.describe()}")
            for e in f.skipped:
                out.append(f"  {e.describe()} (already made by an earlier fix)")
        out.append("re-analysed:")
        for f in self.fixes:
            state = "resolved" if f.resolved else "still open"
            out.append(f"  {f.finding}: {state}" + (f" (the fix said: {f.effect})" if f.effect else ""))
        if self.new_findings:
            out.append(f"  new critical or high findings: {', '.join(self.new_findings)}")
        else:
            out.append("  no new critical or high finding")
        if self.awaiting_runs:
            out.append(f"  until the new copies have run and been tested: {', '.join(self.awaiting_runs)}")
        return out


def verified_in_order(result: Mapping) -> list[str]:
    """The ids of the findings whose fix is verified, in roadmap order.

    Where the analysis JSON has a ``plan`` (``hiddenspof.plan``), exactly the
    fixes its steps apply, in their order (the plan leaves out fixes whose
    finding an earlier step resolved, or that clash with one, and says so
    in ``plan.not_applied``), so that applying them gives the plan's end
    state. Otherwise the ``roadmap`` steps where the JSON has them (each
    step naming its ``findings``), then the findings' own order (most severe
    first).
    """
    verified = [f["id"] for f in result["findings"] if f.get("fix") and f["fix"].get("verified")
                and f["fix"].get("changes")]
    plan = result.get("plan")
    if isinstance(plan, Mapping) and isinstance(plan.get("steps"), list):
        return [fid for step in plan["steps"] for fid in step.get("findings", ()) if fid in verified]
    order: list[str] = []
    for step in result.get("roadmap") or ():
        for fid in (step.get("findings") or ()) if isinstance(step, Mapping) else ():
            if fid in verified and fid not in order:
                order.append(fid)
    return order + [f for f in verified if f not in order]


def select_fixes(result: Mapping, wanted: Sequence[str]) -> list[tuple[str, dict]]:
    """(finding id, its ``fix``) for each id of ``wanted`` in order (``all-verified``: every verified fix)."""
    by_id = {f["id"]: f for f in result["findings"]}
    ids: list[str] = []
    for w in wanted:
        for fid in (verified_in_order(result) if w == ALL_VERIFIED else [w]):
            if fid not in ids:
                ids.append(fid)
    out = []
    for fid in ids:
        f = by_id.get(fid)
        if f is None:
            known = [g["id"] for g in result["findings"] if g.get("fix") and g["fix"].get("changes")]
            raise ApplyError(f"finding {fid!r} is not in the analysis: expected one of "
                             f"{', '.join(known[:8]) or 'none'}{' ...' if len(known) > 8 else ''} or {ALL_VERIFIED}")
        if not f.get("fix") or not f["fix"].get("changes"):
            raise ApplyError(f"finding {fid!r} has no fix with changes to apply"
                             + (f" (its fix says: {f['fix']['effect']})" if f.get("fix") else ""))
        out.append((fid, f["fix"]))
    return out


def _still_there(result: Mapping, finding: Mapping) -> bool:
    """Whether the re-analysis still has the finding: same id, or the same rule on one of its assets."""
    ids = {f["id"] for f in result["findings"]}
    if finding["id"] in ids:
        return True
    return False


def apply_fixes(inventory: Inventory, result: Mapping, wanted: Sequence[str]) -> ApplyResult:
    """Apply the fixes of ``wanted`` (from the analysis ``result`` of ``inventory`` or of an earlier one) in order.

    Raises :class:`ApplyError` naming the finding and the edit when one no
    longer applies. An edit equal to one an earlier fix of this run already
    made is not made twice (two findings may share a change); a new id an
    earlier fix of this run used for another component is renamed
    (``edits.rebase``), as the plan does.
    """
    from . import analysis

    chosen = select_fixes(result, wanted)
    by_id = {f["id"]: f for f in result["findings"]}
    done: set[edits_mod.Edit] = set()
    earlier_ids: set = set()  # ids the fixes applied so far added
    staged = edits_mod.Staged(inventory)  # every fix staged one after the other, the tables built once
    applied = []
    for fid, fix in chosen:
        wanted_edits = [raw if isinstance(raw, edits_mod.Edit) else edits_mod.edit_from_json(raw)
                        for raw in fix["changes"]]
        todo, skipped, renamed = edits_mod.rebase(staged, wanted_edits, done, earlier_ids)
        try:
            staged.apply(todo)
        except edits_mod.EditError as err:
            raise ApplyError(f"the fix of {fid} no longer applies: {err}") from None
        done.update(todo)
        earlier_ids.update(edits_mod.new_ids(todo))
        applied.append((fid, fix, tuple(todo), tuple(skipped), renamed))
    inv = staged.result()
    after = analysis.analyze(inv)
    before_serious = {f["id"] for f in result["findings"] if f["severity"] in _SERIOUS}
    added = earlier_ids
    new, waiting = [], []
    for f in after["findings"]:
        if f["severity"] not in _SERIOUS or f["id"] in before_serious:
            continue
        about_new = f["category"] == "silent_failure" and set(f.get("components", ())) & added
        (waiting if about_new else new).append(f["id"])
    out = [AppliedFix(fid, todo, skipped, fix.get("effect", ""), not _still_there(after, by_id[fid]), renamed)
           for fid, fix, todo, skipped, renamed in applied]
    return ApplyResult(inv, tuple(out), after, tuple(sorted(new)), tuple(sorted(waiting)))


def write_inventory(inv: Inventory, out: str | os.PathLike) -> Path:
    """Write ``inv`` as a CSV-folder inventory at ``out``, all or nothing.

    It is written to a staging folder beside ``out``, loaded back (so what is
    written is a valid inventory) and renamed into place. ``out`` must not
    exist or be an empty folder.
    """
    from .inventory import load, save

    final = Path(out)
    if final.exists() and (not final.is_dir() or any(final.iterdir())):
        raise ApplyError(f"{final} already exists and is not an empty folder: expected a new folder for the "
                         "changed inventory (nothing written)")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        save(inv, tmp)
        load(tmp)
        if final.exists():
            final.rmdir()
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def edits_of(fixes: Iterable[Mapping]) -> list[edits_mod.Edit]:
    """Every edit of the given ``fix`` objects, in order (JSON or ``Edit``)."""
    return [e if isinstance(e, edits_mod.Edit) else edits_mod.edit_from_json(e)
            for fix in fixes for e in fix.get("changes", ())]
