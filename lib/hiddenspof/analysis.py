"""Run every analysis on an inventory and assemble the contract's JSON (``schema_version`` 1)."""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Any

from . import coupling, jsontext, model
from .collector import collection_paused, release_free_memory
from .findings import sort_findings

__all__ = ["FLOAT_DIGITS", "SCHEMA_VERSION", "analyze", "dumps"]

SCHEMA_VERSION = 1
#: Floats in the JSON are rounded to this many decimals so that results are
#: byte-identical across containers, machines and runs (sums of probabilities
#: may differ in the last bits with the order of floating-point operations).
FLOAT_DIGITS = 6


def _num(value) -> float | None:
    """A float or None for a missing cell."""
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _int(value) -> int | None:
    x = _num(value)
    return None if x is None else int(x)


def analyze(inventory, parts: dict | None = None) -> dict:
    """Every analysis of ``inventory``, as the analysis JSON of ``docs/command-line.md``.

    Parameters
    ----------
    inventory : Inventory
        A loaded, valid inventory.
    parts : dict, optional
        Filled with the objects the JSON is made from (``model``, ``coupling``,
        ``silent``, ``capacity``), so that ``hiddenspof.assessment`` can hand
        them to the notebooks instead of computing them again.

    Returns
    -------
    dict
        ``schema_version``, ``environment``, ``assets`` (sorted by id),
        ``backups``, ``components`` (sorted by id), ``cycles``, ``capacity``
        ``findings`` (sorted with ``findings.sort_findings``) and ``plan`` (the
        verified fixes as a cumulative plan, ``plan.Plan.to_json``). Every key is
        always present. Beyond the contract, each asset also carries
        ``cut_sets`` (order-2, most likely first), ``survivability_method`` and
        ``survivability_error``, and each component its ``importance``
        (Fussell-Vesely, see ``coupling.analyze``).
    """
    from . import advice, lanes, silent
    from . import capacity as capacity_mod
    from .quality import quality_findings

    m = model.build(inventory)
    with collection_paused():
        single = coupling.single_failures(m)  # what each component alone leaves unrecoverable: both halves read it
    here = os.getpid()
    in_turn: list[bool] = []  # whether the forked lane's part ran here, before this lane's (``lanes.beside``)

    def verdicts_and_fixes():
        """The coupling verdicts, the advice layer's consolidated coupling findings and their verified fixes, and the
        inventory's data-quality findings."""
        cr = coupling.analyze(m, pairs=False, survival=False, unrecoverable_by=single)
        found = advice.findings_of(m, cr)
        fixed = advice.attach_fixes(m, found)
        # the inventory's own data-quality gaps and the order-2 cut sets read nothing of the other lane: made
        # here, where this lane is the shorter (each asset's cut sets are what the simulation of both gives)
        pairs = coupling.simulate(m, single, survival=False, workers=None if any(in_turn) else 1)
        return cr, fixed, quality_findings(inventory), pairs

    # the job-history summaries of the silent-failure scoring, kept for the plan's re-analyses (a forked lane
    # hands them back without the prepared runs, ``silent.history_export``: the plan's edits leave the job
    # history as it is, so its scorings find them and need not summarise the history again)
    history: dict = {}

    def scores_and_fixes():
        """The simulated part of the coupling analysis (cut pairs, survivability: no finding or fix reads them),
        the silent-failure scoring, the capacity analysis, and the fixes of their findings."""
        from .silentfix import seeded_memo

        in_turn.append(os.getpid() == here)  # run before the other lane, in this process: no fork
        simulated = coupling.simulate(m, single, pairs=False, workers=1 if os.getpid() != here else None)
        release_free_memory()  # the simulation's arrays: given back while the other lane still works
        silent_memo: dict = {}  # the fixes re-score from this scoring (silentfix.seeded_memo)
        sr = silent.score(inventory, m, memo=silent_memo)
        silent.forget_prepared(sr, silent_memo)  # the fixes prepare only the runs of the backups they reschedule
        release_free_memory()  # the prepared job history
        cap = capacity_mod.analyze(m)
        fixed = advice.attach_fixes(m, [*sr.findings, *cap.findings], silent_memo=seeded_memo(m, sr, silent_memo))
        handed = None
        if os.getpid() == here:
            history.update(silent.history_memo(silent_memo, inventory))
        else:
            handed = silent.history_export(silent_memo, inventory)
        # the fixes are done: the summaries and rows they read are let go; the job history the anomaly flags
        # are computed from (``SilentResult.runs``) is the inventory's own table, named rather than carried
        source = sr.run_source
        if source is not None and source[0] is inventory.backup_runs:
            source = (None, *source[1:])
        return simulated, dataclasses.replace(sr, basis=None, run_source=source), cap, fixed, handed

    # The two halves read the built model, never each other's answers, so on a large estate they run at once
    # (``lanes``): the coupling fixes spend their own budget and ask only the coupling findings (their context
    # is the serious coupling claims); the capacity and silent-failure fixes spend theirs in the same order
    # (severity, tier, width, id) as in one list, and a silent fix's new findings are silent-failure rows,
    # which the coupling findings never hold. Findings are sorted by a total order (severity, category, id).
    (survival, sr, cap, side_found, handed), (cr, coupling_found, gaps, pairs) = lanes.beside(
        scores_and_fixes, verdicts_and_fixes, size=len(m.ids))
    if handed is not None:
        history.update(silent.history_import(handed, inventory))
        del handed
    simulated = {a: [*pairs.get(a, ()), *survival.get(a, ())] for a in {*pairs, *survival}}
    cr = coupling.with_simulation(cr, m, simulated)
    if sr.run_source is not None and sr.run_source[0] is None:
        sr = dataclasses.replace(sr, run_source=(inventory.backup_runs, *sr.run_source[1:]))
    # Data-quality gaps of the inventory itself (what it leaves unknown) carry no fix.
    findings = sort_findings([*coupling_found, *side_found, *gaps])
    # The plan, above the advice: the verified fixes applied one work package after the other, each
    # re-analysed on top of the ones before, down to the end state (what is left when the plan is done).
    from . import plan as plan_mod

    the_plan = plan_mod.build(inventory, findings, base={"model": m, "coupling": cr, "silent": sr, "history": history})
    history.clear()
    # the JSON's tables, made once the plan's end state (a second analysis, the process's peak) is done
    comps = inventory.components
    wanted = set(m.assets)  # the objectives of the assets, read from the columns once (not a row lookup each)
    objectives = {
        str(i): (t, rto, rpo)
        for i, t, rto, rpo in zip(comps["id"], comps["tier"], comps["rto_hours"], comps["rpo_hours"])
        if str(i) in wanted
    }

    assets = []
    for a in m.assets:
        ac = cr.assets[a]
        tier, rto, rpo = objectives[a]
        assets.append(
            {
                "id": a,
                "tier": _int(tier),
                "rto_hours": _num(rto),
                "rpo_hours": _num(rpo),
                "backups": list(m.backups_of[a]),
                "common_cause": list(ac.common_cause),
                "cut_sets": [[x, y] for x, y, _ in ac.cut_pairs],
                "survivability": ac.survivability,
                "survivability_method": ac.survivability_method,
                "survivability_error": ac.survivability_error,
                "threats": dict(ac.threats),
                "silent_failure_score": sr.asset_scores.get(a),
                "restore_hours": dict(cap.restore_hours[a]),
            }
        )
    backups: list[dict] = sr.to_json()
    capacity: dict[str, Any] = cap.to_json()
    components = [
        {"id": c, "kind": m.kind[c], "blast_radius": cr.blast_radius[c], "importance": cr.importance[c]}
        for c in m.ids
    ]
    if parts is not None:
        parts.update(model=m, coupling=cr, silent=sr, capacity=cap, plan=the_plan)
    result = {
        "schema_version": SCHEMA_VERSION,
        "environment": {"name": inventory.meta.name, "as_of": inventory.meta.as_of.isoformat()},
        "assets": assets,
        "backups": backups,
        "components": components,
        "cycles": [list(c) for c in cr.cycles],
        "capacity": capacity,
        "findings": [f.to_json() for f in findings],
        "plan": the_plan.to_json(),
    }
    # -- controls (docs/controls.md): the facts the control rules read, and the controls each finding bears on
    from .controls import attach_controls, evidence_fields

    evidence_fields(result, m, inventory, sr)
    attach_controls(result)
    return result


def _clean(value):
    """Plain JSON values: floats rounded to FLOAT_DIGITS (-0.0 as 0.0, non-finite as null), tuples as lists."""
    return jsontext.clean(value, FLOAT_DIGITS)


def dumps(result: dict) -> str:
    """The analysis JSON as text: sorted keys, two-space indent, floats rounded; byte-identical for equal results.

    The bytes of ``json.dumps(_clean(result), sort_keys=True, indent=2,
    ensure_ascii=False, allow_nan=False)``, written by ``jsontext`` (the
    standard encoder turns pure-Python, and slow, as soon as it indents).
    """
    return jsontext.dumps_clean(result, FLOAT_DIGITS) + "\n"


def write(result: dict, file) -> None:
    """Write :func:`dumps` of ``result`` to the text file ``file`` as it is made (the same bytes), without
    holding the whole text: what ``hiddenspof analyze`` writes."""
    jsontext.write_clean(result, FLOAT_DIGITS, file)
    file.write("\n")
