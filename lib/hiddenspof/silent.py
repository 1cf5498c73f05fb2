"""Silent backup failure: evidence factors, scores 0..100 per backup, and the 3-2-1-1-0 check per asset.

Organisations monitor backup *completion*, not *restoration*. For every backup
this module collects the evidence that it would restore (restore tests,
verification, job history, alerting, method) and turns it into named factors
with points; the score is their capped sum, so it is explainable and
**monotone in the evidence**: every factor's points are a non-decreasing
function of its own measure, taken in the direction "worse", and
``min(100, sum)`` of non-negative non-decreasing terms never decreases when
one term grows. Weights and their justification are in
``docs/silent-failure-scoring.md``.

Everything is a pure function of the inventory and its ``as_of`` date. As
``as_of`` is a date without a time, ages are measured from the start of that
day (``now`` = midnight at its beginning, the same instant restore-test dates
denote), and runs recorded *on* the ``as_of`` day still count, with age 0:
the most favourable reading of a date-only assessment, so a job that ran
late on the day before is not called stale. Runs starting after the
``as_of`` day and restore tests dated after it are ignored (they had not
happened when the estate was assessed).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

import networkx as nx
import numpy as np
import pandas as pd

from . import history
from .collector import collection_paused  # noqa: F401 (silentfix imports it from here)
from .findings import Finding, consolidate, sort_findings
from .inventory import KINDS, RUN_TYPES

__all__ = [
    "BASELINE_RUNS",
    "FACTOR_NAMES",
    "RESTORE_TEST_MAX_AGE_DAYS",
    "RULE_PARTS",
    "BackupScore",
    "Evidence",
    "Factor",
    "RpoCheck",
    "RulePart",
    "Rule32110",
    "SilentResult",
    "assessment_time",
    "factors_from_evidence",
    "recovery_points",
    "rescore",
    "run_anomalies",
    "score",
    "summarise_restore_tests",
    "summarise_runs",
]

# -- thresholds (see docs/silent-failure-scoring.md) ------------------------------------

#: CIS Control 11.5: test data recovery at least quarterly.
RESTORE_TEST_MAX_AGE_DAYS = 90
#: a stale restore test earns its full points at this age (a year without a passing test)
RESTORE_TEST_FULL_AGE_DAYS = 360
#: how many completed runs before the latest form its robust baseline
BASELINE_RUNS = 14
#: fewest baseline values with a size (or duration) before a collapse can be judged
MIN_BASELINE = 5
#: completed runs whose gaps are checked against the schedule
GAP_RUNS = 30
#: a completed full run holding at most this fraction of the asset's data is "tiny"
TINY_FRACTION = 0.01
#: the size class of a run without a type (RUN_TYPES are 0..3)
UNTYPED = len(RUN_TYPES)
#: a collapse is a size below this fraction of the recent median ...
COLLAPSE_RATIO = 0.5
#: ... and more than this many robust standard deviations below it
ROBUST_Z = 3.5
#: MAD -> standard deviation for normal data
MAD_SCALE = 1.4826
#: the MAD is floored at this fraction of the median (constant sizes give MAD 0)
MAD_FLOOR = 0.05
#: a duration anomaly is also this many times longer (or shorter) than the median
DURATION_RATIO = 3.0

STATUS_WEIGHT = {"success": 0.0, "warning": 0.5, "failed": 1.0}
COMPLETED = ("success", "warning")
RESULT_RANK = {"pass": 0, "partial": 1, "fail": 2}
FULL_SCOPES = ("full", "dr_drill")
VERIFICATION_POINTS = {"dr_drill": 0.0, "restore_test": 0.0, "checksum": 8.0, "job_status": 15.0, "none": 20.0}

FACTOR_NAMES = (
    "restore_test_recency",
    "restore_test_result",
    "restore_test_scope",
    "verification_strength",
    "job_history",
    "last_success_age",
    "missed_runs",
    "failure_streak",
    "tiny_success",
    "size_collapse",
    "duration_anomaly",
    "alerting",
    "method_replica",
)

RULE_PARTS = ("three_copies", "two_media", "one_offsite", "one_offline_or_immutable", "zero_errors")


# -- result types -----------------------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    """One named piece of evidence: its points (>= 0) and one sentence saying why."""

    name: str
    points: float
    evidence: str

    def to_json(self) -> dict:
        """The contract's ``{"name", "points", "evidence"}``."""
        return {"name": self.name, "points": self.points, "evidence": self.evidence}


@dataclass(frozen=True)
class BackupScore:
    """A backup's score 0..100 (higher = more likely silently broken) and its factors."""

    id: str
    protects: str
    score: float
    factors: tuple[Factor, ...]
    #: the measures the factors were computed from (for findings: which story a factor tells)
    measures: Evidence | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict:
        """The contract's ``backups[]`` entry."""
        return {
            "id": self.id,
            "protects": self.protects,
            "silent_failure_score": self.score,
            "factors": [f.to_json() for f in self.factors],
        }


@dataclass(frozen=True)
class RulePart:
    """One part of the 3-2-1-1-0 rule: met or not, and why."""

    name: str
    met: bool
    reason: str
    #: what to do when not met, where the estate calls for more than the rule's generic remedy
    remedy: str = ""


@dataclass(frozen=True)
class Rule32110:
    """The 3-2-1-1-0 check of one asset: its five parts in the rule's order."""

    asset: str
    parts: tuple[RulePart, ...]

    @property
    def met(self) -> bool:
        """Whether every part is met."""
        return all(p.met for p in self.parts)

    def part(self, name: str) -> RulePart:
        """The part called ``name`` (one of ``RULE_PARTS``)."""
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(f"unknown 3-2-1-1-0 part {name!r}: expected one of {', '.join(RULE_PARTS)}")


@dataclass(frozen=True)
class SilentResult:
    """Everything ``score`` finds: per-backup scores, asset scores, 3-2-1-1-0 checks, findings."""

    backups: list[BackupScore]
    asset_scores: dict[str, float | None]
    rule_32110: dict[str, Rule32110]
    findings: list[Finding]
    restore_tests: pd.DataFrame = field(repr=False, compare=False, default=None)
    #: (runs, as_of, reference_gb, full_backups): the arguments of ``run_anomalies`` behind ``runs``
    run_source: tuple = field(repr=False, compare=False, default=None)
    #: asset -> its RPO check (assets with an RPO and backups)
    rpo: dict = field(default_factory=dict)
    #: what the scoring was computed from, for ``rescore`` of a variant (only when scored with a memo)
    basis: object = field(repr=False, compare=False, default=None)

    @functools.cached_property
    def runs(self) -> pd.DataFrame:
        """Every run with its anomaly flags (``run_anomalies``), computed on first use: only timelines need it."""
        if self.run_source is None:
            raise ValueError("this SilentResult was built without job history: score it with silent.score")
        return run_anomalies(*self.run_source)

    def to_json(self) -> list[dict]:
        """The contract's ``backups`` list (sorted by backup id)."""
        return [b.to_json() for b in self.backups]

    def score_frame(self) -> pd.DataFrame:
        """One row per backup, highest score first: score and its largest factor (ties by name order)."""
        rows = []
        for b in self.backups:
            top = max(b.factors, key=lambda f: f.points, default=None)
            rows.append({"backup": b.id, "protects": b.protects, "score": b.score,
                         "main_factor": top.name if top is not None and top.points > 0 else "",
                         "main_evidence": top.evidence if top is not None and top.points > 0 else ""})
        frame = pd.DataFrame(rows, columns=["backup", "protects", "score", "main_factor", "main_evidence"])
        return frame.sort_values(["score", "backup"], ascending=[False, True], kind="mergesort").reset_index(drop=True)

    def factor_table(self, backup: str) -> pd.DataFrame:
        """Every factor of one backup (name, points, evidence); KeyError naming the backup if unknown."""
        for b in self.backups:
            if b.id == backup:
                return pd.DataFrame([f.to_json() for f in b.factors], columns=["name", "points", "evidence"])
        raise KeyError(f"backup {backup!r} is not in this result: expected one of {', '.join(b.id for b in self.backups)}")

    def factor_frame(self) -> pd.DataFrame:
        """One row per (backup, factor) with points > 0: for stacked-bar charts."""
        rows = [
            {"backup": b.id, "protects": b.protects, "score": b.score, "factor": f.name,
             "points": f.points, "evidence": f.evidence}
            for b in self.backups for f in b.factors if f.points > 0
        ]
        return pd.DataFrame(rows, columns=["backup", "protects", "score", "factor", "points", "evidence"])

    def restore_recency_frame(self) -> pd.DataFrame:
        """One row per backup: days since its last passing restore test (NaN = never) and a status.

        ``status`` is ``within 90 days``, ``overdue`` or ``never passed``.
        """
        tests = self.restore_tests if self.restore_tests is not None else pd.DataFrame()
        rows = []
        for b in self.backups:
            age = tests.at[b.id, "last_pass_age_days"] if b.id in tests.index else float("nan")
            status = ("never passed" if pd.isna(age) else
                      "within 90 days" if age <= RESTORE_TEST_MAX_AGE_DAYS else "overdue")
            rows.append({"backup": b.id, "protects": b.protects, "days_since_pass": age, "status": status})
        return pd.DataFrame(rows, columns=["backup", "protects", "days_since_pass", "status"])

    def rpo_frame(self) -> pd.DataFrame:
        """The RPO table: one row per asset with an RPO: objective, most frequent backup, its data-loss window.

        ``window_hours`` is the contract's data-loss window (``window_basis``
        ``history``: the worst over the complete job history, from
        ``window_from`` to ``window_to``; ``schedule``: the best schedule);
        ``met`` allows the 5% grace.
        """
        rows = []
        for asset in sorted(self.rpo):
            c = self.rpo[asset]
            known = [(h, b) for b, h, _ in c.intervals if h is not None]
            fastest = min(known) if known else (None, None)
            rows.append({"asset": asset, "rpo_hours": c.rpo_hours, "fastest_backup": fastest[1],
                         "fastest_interval_hours": fastest[0], "schedule_meets": c.schedule_meets,
                         "last_point_age_hours": c.last_point_age_hours, "worst_gap_hours": c.worst_gap_hours,
                         "window_hours": c.window_hours, "window_basis": c.window_basis,
                         "window_from": c.worst_gap_from if c.window_basis == "history" else None,
                         "window_to": c.worst_gap_to if c.window_basis == "history" else None,
                         "history_from": c.history_from, "met": c.met})
        cols = ["asset", "rpo_hours", "fastest_backup", "fastest_interval_hours", "schedule_meets",
                "last_point_age_hours", "worst_gap_hours", "window_hours", "window_basis", "window_from", "window_to",
                "history_from", "met"]
        return pd.DataFrame(rows, columns=cols)

    def rule_frame(self) -> pd.DataFrame:
        """The 3-2-1-1-0 table: one row per asset, a met flag and a reason per part."""
        rows = []
        for asset in sorted(self.rule_32110):
            rule = self.rule_32110[asset]
            row: dict = {"asset": asset, "all_met": rule.met}
            for p in rule.parts:
                row[p.name] = p.met
                row[p.name + "_reason"] = p.reason
            rows.append(row)
        cols = ["asset", "all_met"] + [c for p in RULE_PARTS for c in (p, p + "_reason")]
        return pd.DataFrame(rows, columns=cols)


# -- time -------------------------------------------------------------------------------


def assessment_time(as_of: dt.date) -> pd.Timestamp:
    """The instant every age is measured from: the start of the ``as_of`` day (naive UTC)."""
    return pd.Timestamp(as_of)


def _cutoff(as_of: dt.date) -> pd.Timestamp:
    """Runs starting at or after this instant (the end of the ``as_of`` day) are ignored."""
    return pd.Timestamp(as_of) + pd.Timedelta(days=1)


# -- vectorised job history -------------------------------------------------------------


def _rolling_baseline(values: np.ndarray, codes: np.ndarray, window: int = BASELINE_RUNS, chunk: int = 100_000):
    """Median, MAD and count of the ``window`` values before each one in the same group.

    ``values`` and ``codes`` (group numbers) must be sorted by group then time.
    Fully vectorised (sliding windows masked at group boundaries); NaN values
    are left out of the statistics.
    """
    n = len(values)
    padded = np.concatenate([np.full(window, np.nan), np.asarray(values, dtype=float)])
    pcodes = np.concatenate([np.full(window, -1), np.asarray(codes)])
    median, mad = np.full(n, np.nan), np.full(n, np.nan)
    count = np.zeros(n, dtype=int)
    for lo in range(0, n, chunk):  # blocks of rows bound the memory of the window matrix
        hi = min(n, lo + chunk)
        win = np.lib.stride_tricks.sliding_window_view(padded[lo:hi + window], window)[: hi - lo]
        wcodes = np.lib.stride_tricks.sliding_window_view(pcodes[lo:hi + window], window)[: hi - lo]
        win = np.where(wcodes == pcodes[lo + window:hi + window, None], win, np.nan)
        count[lo:hi] = (~np.isnan(win)).sum(axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows give NaN, as wanted
            median[lo:hi] = np.nanmedian(win, axis=1)
            mad[lo:hi] = np.nanmedian(np.abs(win - median[lo:hi, None]), axis=1)
    return median, mad, count


def _collapse_flags(size, median, mad, count) -> np.ndarray:
    """A size below COLLAPSE_RATIO x median and ROBUST_Z robust deviations under it."""
    size, median, mad = (np.asarray(x, dtype=float) for x in (size, median, mad))
    spread = MAD_SCALE * np.fmax(mad, MAD_FLOOR * median)
    with np.errstate(invalid="ignore"):
        flag = (np.asarray(count) >= MIN_BASELINE) & (size < COLLAPSE_RATIO * median) & (median - size > ROBUST_Z * spread)
    return np.where(np.isnan(size) | np.isnan(median), False, flag)


def _duration_flags(dur, median, mad, count) -> np.ndarray:
    """A duration DURATION_RATIO times off the median and ROBUST_Z robust deviations away."""
    dur, median, mad = (np.asarray(x, dtype=float) for x in (dur, median, mad))
    spread = MAD_SCALE * np.fmax(mad, MAD_FLOOR * median)
    with np.errstate(invalid="ignore", divide="ignore"):
        off = (dur > DURATION_RATIO * median) | (dur * DURATION_RATIO < median)
        flag = (np.asarray(count) >= MIN_BASELINE) & off & (np.abs(dur - median) > ROBUST_Z * spread) & (median > 0)
    return np.where(np.isnan(dur) | np.isnan(median), False, flag)


def _prepare_runs(runs: pd.DataFrame, cutoff: pd.Timestamp, full_backups: Collection[str] = (),
                  positions: np.ndarray | None = None) -> pd.DataFrame:
    """Runs started before ``cutoff``, sorted by backup (code points), start, then file order: columns, no text.

    ``positions`` (ascending): only the runs at those positions, exactly as ``_prepare_runs`` of
    ``runs.take(positions)`` prepares them, each column read at those positions when needed (no copy of the
    rows' every column at once: for a fix rescheduling most backups, that copy was the forked lane's peak).

    ``backup`` is categorical (its categories the backup ids in code-point
    order, its codes also in ``_g``), ``status`` categorical (the statuses
    as found) with ``_st`` its class (0 success, 1 warning, 2 failed, 3
    anything else), ``type`` categorical over ``RUN_TYPES`` (anything else
    missing). Adds ``completed`` and ``_cls`` (the run's size class: its
    ``type``'s index in ``RUN_TYPES``; for an untyped run, ``full`` when its
    backup is in ``full_backups`` (a dump copies the whole data set every
    time), else ``UNTYPED``); durations are computed where read
    (``_duration_hours``). Each text column is hashed once and only its
    distinct values are sorted; the order is one stable sort
    (``_order_by_backup_then_start``).
    """
    started_all = runs["started_at"].to_numpy()
    if positions is not None:
        started_all = started_all[positions]
    keep = ~np.isnat(started_all) & (started_all < cutoff.to_datetime64())
    rows = (None if keep.all() else np.flatnonzero(keep)) if positions is None else positions[keep]

    def column(name):
        values = runs[name].to_numpy()
        return values if rows is None else values[rows]

    codes, ids = _codes_sorted(column("backup").astype(object, copy=False))
    codes = _narrow(codes, len(ids))
    started = column("started_at")
    n = len(codes)
    order = _order_by_backup_then_start(codes, started)
    g = codes[order]
    del codes
    started = started[order]
    finished = column("finished_at")[order]
    status_codes, statuses = pd.factorize(column("status").astype(object, copy=False))
    status_codes = _narrow(status_codes, len(statuses))[order]
    status_class = np.array([_STATUS_CLASS.get(s, 3) for s in statuses] + [3], dtype=np.int8)[status_codes]
    if "type" in runs.columns:
        type_codes, kinds = pd.factorize(column("type").astype(object, copy=False))
        known = np.array([RUN_TYPES.index(t) if isinstance(t, str) and t in RUN_TYPES else -1 for t in kinds] + [-1],
                         dtype=np.int8)
        type_codes = known[_narrow(type_codes, len(kinds))[order]]
    else:
        type_codes = np.full(n, -1, dtype=np.int8)
    cls = np.where(type_codes < 0, UNTYPED, type_codes).astype(np.int8)
    if len(full_backups) and n:
        # a set lookup per distinct backup (np.isin on object arrays compares every pair: ids x dumps)
        full = frozenset(full_backups)
        is_dump = np.fromiter((i in full for i in ids.tolist()), dtype=bool, count=len(ids))
        cls[(cls == UNTYPED) & is_dump[g]] = RUN_TYPES.index("full")
    return pd.DataFrame({
        "backup": pd.Categorical.from_codes(g, categories=pd.Index(ids, dtype=object)),
        "started_at": started,
        "finished_at": finished,
        "status": pd.Categorical.from_codes(status_codes, categories=pd.Index(statuses, dtype=object)),
        "size_gb": column("size_gb").astype(float, copy=False)[order],
        "type": pd.Categorical.from_codes(type_codes, categories=pd.Index(RUN_TYPES, dtype=object)),
        "_g": g,
        "completed": status_class < 2,
        "_cls": cls,
        "_st": status_class,
    }, copy=False)  # the arrays are fresh: consolidating them into blocks would copy every column once more


def _narrow(codes: np.ndarray, k: int) -> np.ndarray:
    """Codes below ``k`` (and -1) in the smallest signed integer type that holds them."""
    for kind in (np.int8, np.int16, np.int32):
        if k <= np.iinfo(kind).max:
            return codes.astype(kind)
    return codes


def _order_by_backup_then_start(codes: np.ndarray, started: np.ndarray) -> np.ndarray:
    """The stable order by (backup code, start): ``np.lexsort((started, codes))``, file order on ties.

    Exports list a job's runs together in time order, so a stable sort by the
    code alone (timsort merges the blocks) is already in start order within
    each backup; only where it is not does the two-key sort run.
    """
    n = len(codes)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    g, t = codes[order], started[order]
    if ((g[1:] != g[:-1]) | (t[1:] >= t[:-1])).all():
        return order
    return np.lexsort((started, codes))


#: ``_st``, the class of a run's status: success, warning, failed; anything else (unknown, missing) is 3
_STATUS_CLASS = {"success": 0, "warning": 1, "failed": 2}
#: what a run's status weighs in a failure streak, by ``_st`` (an unknown status counts as failed)
_STREAK_WEIGHT = np.array([STATUS_WEIGHT["success"], STATUS_WEIGHT["warning"], STATUS_WEIGHT["failed"], 1.0])


def _duration_hours(r: pd.DataFrame, rows: np.ndarray | None = None) -> np.ndarray:
    """How long prepared runs (``rows`` of them, else all) took, in hours (NaN without a finish)."""
    started, finished = r["started_at"].to_numpy(), r["finished_at"].to_numpy()
    if rows is not None:
        started, finished = started[rows], finished[rows]
    hours = _seconds(finished - started)
    hours /= 3600.0
    return hours


def _backup_ids(r: pd.DataFrame, rows: np.ndarray) -> pd.Index:
    """The backup ids of some rows of prepared runs (from the categories: no text column is read whole)."""
    col = r["backup"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = np.asarray(col.cat.categories, dtype=object)
        return pd.Index(cats[col.cat.codes.to_numpy()[rows]], dtype=object)
    return pd.Index(col.to_numpy(object)[rows], dtype=object)


def _backup_codes(r: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """Codes 0..k-1 of the backups of prepared runs (sorted by backup), and the ids in that order."""
    g = r["_g"].to_numpy()
    change = np.zeros(len(g), dtype=bool)
    change[1:] = g[1:] != g[:-1]
    first = np.flatnonzero(change)
    first = np.concatenate([[0], first]) if len(g) else first
    return np.cumsum(change), _backup_ids(r, first)


def _tiny_flags(size, median, count, reference, cls, collapse) -> tuple[np.ndarray, np.ndarray]:
    """Which completed runs are "tiny", and which untyped runs are excused as an incremental chain.

    A ``full`` run is tiny when it holds at most ``TINY_FRACTION`` of the
    reference (the asset's data). ``incremental``, ``differential`` and
    ``log`` runs copy only changes: never tiny. An untyped run is read as
    part of an incremental chain when its own baseline (the ``BASELINE_RUNS``
    untyped runs before it, ``MIN_BASELINE`` or more with a size) has a
    median above zero and at most ``TINY_FRACTION`` of the reference: the
    history is consistently small, so small is normal for it. It is then
    judged only against that history, and tiny again once it collapses
    against it. Otherwise an untyped run is judged like a full one. The chain
    depends only on the runs *before* the judged one, so a smaller judged run
    can only raise flags (monotone).
    """
    size, median, reference = (np.asarray(x, dtype=float) for x in (size, median, reference))
    cls, collapse = np.asarray(cls), np.asarray(collapse, dtype=bool)
    with np.errstate(invalid="ignore"):
        small = size <= TINY_FRACTION * reference
        chain = (cls == UNTYPED) & (np.asarray(count) >= MIN_BASELINE) & (median > 0) & (median <= TINY_FRACTION * reference)
    judged = (cls == RUN_TYPES.index("full")) | ((cls == UNTYPED) & (~chain | collapse))
    return small & judged, chain


def _class_baselines(c: pd.DataFrame, group: np.ndarray) -> pd.DataFrame:
    """Size and duration baselines of completed runs, within (backup, size class) groups.

    ``c`` holds completed runs sorted by backup then start, ``group`` their
    backup codes. Returns ``c`` re-sorted by (backup, class, start) with
    columns ``_sg`` (group code), ``baseline_median_gb``, ``_mad``, ``_n``,
    ``_dmed``, ``_dmad``, ``_dn``.
    """
    c = c.assign(_grp=group).sort_values(["_grp", "_cls"], kind="mergesort")  # keeps time order within a group
    c["_sg"] = c["_grp"].to_numpy().astype(np.int64) * (UNTYPED + 1) + c["_cls"].to_numpy()
    codes = c["_sg"].to_numpy()
    med, mad, cnt = _rolling_baseline(c["size_gb"].to_numpy(float), codes)
    dmed, dmad, dcnt = _rolling_baseline(c["duration_hours"].to_numpy(float), codes)
    return c.assign(baseline_median_gb=med, _mad=mad, _n=cnt, _dmed=dmed, _dmad=dmad, _dn=dcnt)


def _flag(c: pd.DataFrame, reference: np.ndarray) -> pd.DataFrame:
    """``collapse``, ``tiny``, ``chain`` and ``duration_anomaly`` of rows carrying their class baselines."""
    collapse = _collapse_flags(c["size_gb"], c["baseline_median_gb"], c["_mad"], c["_n"])
    tiny, chain = _tiny_flags(c["size_gb"], c["baseline_median_gb"], c["_n"], reference, c["_cls"], collapse)
    duration = _duration_flags(c["duration_hours"], c["_dmed"], c["_dmad"], c["_dn"])
    with np.errstate(invalid="ignore"):
        # a run that took longer because it moved proportionally more (the weekly full of an untyped
        # chain) is a bigger run, not a different one; only the long direction is excused (monotone)
        bigger = (c["duration_hours"] > c["_dmed"]) & (c["size_gb"] >= DURATION_RATIO * c["baseline_median_gb"])
    duration = duration & ~bigger.fillna(False).to_numpy(bool)
    return c.assign(collapse=collapse, tiny=tiny, chain=chain, duration_anomaly=duration)


def run_anomalies(runs: pd.DataFrame, as_of: dt.date, reference_gb: Mapping[str, float] | None = None,
                  full_backups: Collection[str] = ()) -> pd.DataFrame:
    """Every run with its anomaly flags, for timelines (vectorised, no loop over rows).

    Parameters
    ----------
    runs : pandas.DataFrame
        ``Inventory.backup_runs``.
    as_of : datetime.date
        The assessment date; runs starting after its end are dropped.
    reference_gb : mapping, optional
        Backup id -> the data a full copy should hold (the asset's ``data_gb``);
        full (or untyped, not chained) runs at most ``TINY_FRACTION`` of it
        are flagged ``tiny``.
    full_backups : collection of str, optional
        Backups whose untyped runs are full copies (method ``dump``).

    Returns
    -------
    pandas.DataFrame
        Columns ``backup, started_at, finished_at, status, size_gb, type,
        duration_hours, completed, baseline_median_gb, tiny, chain, collapse,
        duration_anomaly``; sorted by backup then start. Flags apply to
        completed runs only (a failed run is loud, not silent); the baseline
        of a run is the ``BASELINE_RUNS`` completed runs of the same type
        (untyped with untyped) before it; ``chain`` marks untyped runs read as
        an incremental chain (see ``_tiny_flags``).
    """
    r = _prepare_runs(runs, _cutoff(as_of), full_backups)
    r.insert(list(r.columns).index("type") + 1, "duration_hours", _duration_hours(r))
    ids = r["backup"].cat.categories
    for col in ("backup", "status", "type"):  # text again, as the inventory holds it (missing: None)
        values = r[col].astype(object)
        r[col] = pd.Series(np.where(values.isna(), None, values), index=r.index, dtype=object)
    r["baseline_median_gb"] = np.nan
    for col in ("tiny", "chain", "collapse", "duration_anomaly"):
        r[col] = False
    c = r[r["completed"]]
    if len(c):
        c = _class_baselines(c, c["_g"].to_numpy())
        ref = pd.Series(dict(reference_gb or {}), dtype=float).reindex(ids).to_numpy()[c["_g"].to_numpy()]
        c = _flag(c, ref)
        for col in ("baseline_median_gb", "tiny", "chain", "collapse", "duration_anomaly"):
            r.loc[c.index, col] = c[col].to_numpy()
    return r.drop(columns=["_cls", "_g", "_st"])


def _run_label(kind, cls: int, at) -> str:
    """Which run a size factor judged, after the backup's name: ``full run on 2026-09-24``."""
    day = pd.Timestamp(at).date().isoformat()
    if isinstance(kind, str):
        return f"{kind} run on {day}"
    return f"untyped run on {day}" if cls == UNTYPED else f"run on {day} (a dump: a full copy)"


def summarise_runs(runs: pd.DataFrame, as_of: dt.date, schedule_hours: Mapping[str, float] | None = None,
                   reference_gb: Mapping[str, float] | None = None, full_backups: Collection[str] = (),
                   *, prepared: bool = False, retention_days: Mapping[str, float] | None = None,
                   spans: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per backup summarising its job history, vectorised (pandas groupby, no row loops).

    Parameters
    ----------
    runs : pandas.DataFrame
        ``Inventory.backup_runs`` (any number of backups and runs).
    as_of : datetime.date
        The assessment date; ages are measured from the start of that day,
        runs on it count (age 0), later runs are ignored.
    schedule_hours : mapping, optional
        Backup id -> expected hours between runs. Where absent, the interval
        the backup's own run starts sustain at their densest is used (3+
        runs; ``history.spans``: a pruned listing's monthly snapshots do not
        make a daily job monthly).
    reference_gb : mapping, optional
        Backup id -> the data a full copy should hold, for ``tiny``.
    full_backups : collection of str, optional
        Backups whose untyped runs are full copies (method ``dump``).
    prepared : bool
        ``runs`` is already ``_prepare_runs``'s output (``score`` sorts the
        history once for this and ``recovery_points``).
    retention_days : mapping, optional
        Backup id -> retention; runs are expected only back to that horizon.
    spans : pandas.DataFrame, optional
        ``history.spans`` of the same runs and arguments, when the caller has it.

    Returns
    -------
    pandas.DataFrame
        Indexed by backup id (sorted), columns: ``runs``, ``completed``,
        ``failed``, ``last_run_at``, ``last_completed_at`` (finish, else
        start), ``last_completed_age_hours``, ``last_size_gb``, ``last_type``,
        ``size_median_gb``, ``size_mad_gb``, ``size_baseline_n`` (the
        ``BASELINE_RUNS`` completed runs of the latest one's type before it),
        ``last_duration_hours``, ``duration_median_hours``,
        ``duration_anomaly``, ``streak_runs`` and ``streak_weight`` (runs
        since the last ``success``; failed counts 1, warning 0.5),
        ``interval_hours`` (schedule used), ``interval_inferred``,
        ``judged_from`` (the start of the complete part of the history: the
        later of the retention horizon and the oldest sustained dense
        stretch, see ``history.spans``), ``thinned_runs`` (runs before that
        stretch, read as pruned), ``horizon``, ``missed_runs`` (restore
        points missing between the last ``GAP_RUNS`` completed runs, where
        the earlier of the two is inside the judged part, and up to ``now``), ``last_point_age_hours`` (from the
        start of the last completed run, the instant its copy was taken, to
        ``now``) and ``worst_gap_hours`` (the longest time between the starts
        of successive completed runs in the whole history, or from the last
        one to ``now``).

        Size checks judge the latest completed run *of each type* (untyped
        runs form their own type) against the runs of that type before it:
        ``collapse`` (some type's latest run collapsed), with
        ``collapse_size_gb``, ``collapse_median_gb`` and ``collapse_run``
        naming the latest such run; ``tiny`` (see ``_tiny_flags``) with
        ``tiny_size_gb`` and ``tiny_run``; ``chain_median_gb`` the baseline
        median of the latest untyped run when it is read as an incremental
        chain (else NaN).

    Notes
    -----
    Only the last ``BASELINE_RUNS + 1`` runs of each type and ``GAP_RUNS + 1``
    completed runs of each backup enter the statistics, so a year of daily
    runs for thousands of backups summarises in well under a second or two.
    """
    r = runs if prepared else _prepare_runs(runs, _cutoff(as_of), full_backups)
    span = spans if spans is not None else history.spans(r, as_of, schedule_hours, retention_days)
    blocks = history.blocks(r["_g"].to_numpy())
    if len(blocks) == 1:
        return _summarise_block(r, as_of, span, reference_gb)
    # a block of backups at a time: each backup's summary reads only its own runs, and the per-run temporaries
    # of a block stay small
    out = pd.concat([_summarise_block(r.iloc[lo:hi], as_of, span, reference_gb) for lo, hi in blocks])
    out.index = pd.Index(np.asarray(out.index, dtype=object), name="backup", dtype=object)  # concat infers str
    return out


def _summarise_block(r: pd.DataFrame, as_of: dt.date, span: pd.DataFrame,
                     reference_gb: Mapping[str, float] | None) -> pd.DataFrame:
    """``summarise_runs`` of prepared runs (a whole backup's runs or none of them), ``span`` their ``history.spans``."""
    now = assessment_time(as_of)
    now64 = now.to_datetime64()
    g, ids = _backup_codes(r)  # r is sorted by backup, so ids come sorted
    k, n = len(ids), len(g)
    counts = np.bincount(g, minlength=k)
    lo = np.cumsum(counts) - counts  # each backup's first row
    started = r["started_at"].to_numpy()
    st = r["_st"].to_numpy()
    completed = r["completed"].to_numpy(bool)
    index = pd.Index(np.arange(k), name="_g")
    out = pd.DataFrame({
        "runs": counts.astype(np.int64),
        "completed": np.bincount(g, weights=completed, minlength=k).astype(np.int64),
        "failed": np.bincount(g, weights=st == 2, minlength=k).astype(np.int64),
        "last_run_at": started[lo + counts - 1] if n else started[:0],  # the latest start: rows are in start order
    }, index=index)

    # the expected interval (declared, else the spacing the history sustains at its densest) and the part of
    # the history that is complete: inside the retention horizon, not thinned by a prune policy (history.spans)
    span = span.reindex(ids)
    span.index = out.index
    out["interval_inferred"] = span["interval_inferred"].astype(bool)
    out["interval_hours"] = span["interval_hours"].astype(float)
    out["judged_from"] = span["judged_from"]
    out["thinned_runs"] = span["thinned_runs"].astype(int)
    out["horizon"] = span["horizon"]
    out["first_run_at"] = span["first_run_at"]

    # failure streak: runs after the last plain success (segment maxima and sums over the rows in start order)
    pos = np.arange(n) - lo[g]
    last_ok = np.maximum.reduceat(np.where(st == 0, pos, -1), lo) if n else np.zeros(0, dtype=np.int64)
    after = pos > last_ok[g]
    out["streak_runs"] = np.bincount(g, weights=after, minlength=k).astype(np.int64)
    out["streak_weight"] = np.add.reduceat(np.where(after, _STREAK_WEIGHT[st], 0.0), lo) if n else np.zeros(0)

    # completed runs: their rank from the latest of the backup, and from the latest of its size class
    ci = np.flatnonzero(completed)
    cg = g[ci]
    ccount = np.bincount(cg, minlength=k)
    clo = np.cumsum(ccount) - ccount
    rank = ccount[cg] - 1 - (np.arange(len(ci)) - clo[cg])  # 0 = latest of the backup
    ccls = r["_cls"].to_numpy()[ci]
    crank = np.empty(len(ci), dtype=np.int64)
    for cls in np.unique(ccls):  # a handful of classes: each a subsequence still in (backup, start) order
        at = np.flatnonzero(ccls == cls)
        sub = cg[at]
        scount = np.bincount(sub, minlength=k)
        crank[at] = scount[sub] - 1 - (np.arange(len(at)) - (np.cumsum(scount) - scount)[sub])

    # the latest completed run of each type with its same-type baseline: a few rows per backup, in pandas
    pick = np.flatnonzero(crank <= BASELINE_RUNS)
    rows = ci[pick]
    type_codes = r["type"].cat.codes.to_numpy()[rows]
    c = pd.DataFrame({
        "started_at": started[rows],
        "finished_at": r["finished_at"].to_numpy()[rows],
        "size_gb": r["size_gb"].to_numpy()[rows],
        "type": pd.Series(np.array(list(RUN_TYPES) + [None], dtype=object)[type_codes], dtype=object),
        "_row": rows,  # the row's place: the prepared order is (backup, start, file order)
        "_g": cg[pick],
        "duration_hours": _duration_hours(r, rows),
        "_cls": ccls[pick],
        "_rank": rank[pick],
        "_crank": crank[pick],
    })
    tail = _class_baselines(c, c["_g"].to_numpy())
    ref_by_code = pd.Series(dict(reference_gb or {}), dtype=float).reindex(ids).to_numpy()
    heads = tail[tail["_crank"] == 0]
    heads = _flag(heads, ref_by_code[heads["_g"].to_numpy()] if len(heads) else np.array([]))
    heads = heads.sort_values(["_g", "started_at", "_row"], kind="mergesort")
    latest = heads[heads["_rank"] == 0].set_index("_g")
    when = latest["finished_at"].fillna(latest["started_at"])
    out["last_completed_at"] = when.reindex(out.index)
    out["last_completed_age_hours"] = ((now - out["last_completed_at"]).dt.total_seconds() / 3600.0).clip(lower=0)
    out["last_size_gb"] = latest["size_gb"].reindex(out.index)
    out["last_type"] = latest["type"].reindex(out.index)
    out["size_median_gb"] = latest["baseline_median_gb"].reindex(out.index)
    out["size_mad_gb"] = latest["_mad"].reindex(out.index)
    out["size_baseline_n"] = latest["_n"].reindex(out.index).fillna(0).astype(int)
    out["last_duration_hours"] = latest["duration_hours"].reindex(out.index)
    out["duration_median_hours"] = latest["_dmed"].reindex(out.index)
    out["duration_anomaly"] = latest["duration_anomaly"].reindex(out.index).fillna(False).astype(bool)
    for flag, cols in (("collapse", {"size_gb": "collapse_size_gb", "baseline_median_gb": "collapse_median_gb"}),
                       ("tiny", {"size_gb": "tiny_size_gb"})):
        hit = heads[heads[flag]].groupby("_g").tail(1).set_index("_g")  # the latest flagged run of the backup
        out[flag] = pd.Series(True, index=hit.index, dtype=bool).reindex(out.index, fill_value=False)
        for src, dst in cols.items():
            out[dst] = hit[src].reindex(out.index)
        labels = pd.Series([_run_label(k, c, a) for k, c, a in zip(hit["type"], hit["_cls"], hit["started_at"])], index=hit.index, dtype=object)
        out[flag + "_run"] = labels.reindex(out.index)
    chained = heads[heads["chain"]].set_index("_g")
    out["chain_median_gb"] = chained["baseline_median_gb"].reindex(out.index)

    # missed restore points: gaps between the last GAP_RUNS+1 completed starts, and to now
    has_c = ccount > 0
    trailing = np.clip(_seconds(now64 - started[ci[clo[has_c] + ccount[has_c] - 1]]) / 3600.0, 0, None)
    interval = out["interval_hours"].to_numpy(float)
    judged_from = out["judged_from"].to_numpy("datetime64[ns]")
    w = rank <= GAP_RUNS
    wg, ws = cg[w], started[ci[w]]
    gap_h = np.full(len(wg), np.nan)
    if len(wg) > 1:
        # a gap counts only inside the judged part: pruned runs (older than the retention horizon, or thinned by a
        # prune policy) are not missed
        inside = (wg[1:] == wg[:-1]) & (ws[:-1] >= judged_from[wg[1:]])
        gap_h[1:] = np.where(inside, _seconds(ws[1:] - ws[:-1]) / 3600.0, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        inner = np.clip(np.floor(gap_h / interval[wg] - 0.5), 0, None)
        last = np.clip(np.floor(trailing / interval[has_c] - 0.5), 0, None)
    missed = np.bincount(wg, weights=np.where(np.isnan(inner), 0.0, inner), minlength=k).astype(float)
    missed[has_c] += np.where(np.isnan(last), 0.0, last)
    out["missed_runs"] = np.where(np.isnan(interval), 0, missed).astype(np.int64)
    # the achieved recovery point: the longest time without a new completed run, over the whole history
    last_age = np.full(k, np.nan)
    last_age[has_c] = trailing
    worst = np.full(k, np.nan)
    if len(ci):
        cs = started[ci]
        every_gap = np.full(len(ci), np.nan)
        every_gap[1:] = np.where(cg[1:] == cg[:-1], _seconds(cs[1:] - cs[:-1]) / 3600.0, np.nan)
        worst[has_c] = np.fmax(np.fmax.reduceat(every_gap, clo[has_c]), trailing)
    out["last_point_age_hours"] = last_age
    out["worst_gap_hours"] = worst
    out.index = pd.Index(ids[out.index.to_numpy()], name="backup", dtype=object)
    return out


def summarise_restore_tests(tests: pd.DataFrame, as_of: dt.date, reference_gb: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One row per backup summarising its restore tests up to ``as_of`` (vectorised).

    Columns: ``tests``, ``last_tested_at``, ``last_result`` (of the latest
    test; several on one day: the worst), ``last_scope``, ``last_pass_at``,
    ``last_pass_age_days``, ``fresh_full_pass`` (a passing full-scope test
    within ``RESTORE_TEST_MAX_AGE_DAYS``). A test counts as full scope when
    ``scope`` is ``full`` or ``dr_drill``, or when ``scope`` is empty and
    ``restored_gb`` is unknown or at least 90% of ``reference_gb``.
    """
    t = tests.loc[tests["tested_at"].notna() & (tests["tested_at"] <= pd.Timestamp(as_of)),
                  ["backup", "tested_at", "result", "scope", "restored_gb"]].copy()
    t["backup"] = t["backup"].astype(object)
    t["_rank"] = t["result"].map(RESULT_RANK).fillna(2)
    t = t.sort_values(["backup", "tested_at", "_rank"], kind="mergesort")
    ref = t["backup"].map(dict(reference_gb or {})).astype(float)
    scope_full = t["scope"].isin(FULL_SCOPES)
    unknown_scope_full = t["scope"].isna() & (t["restored_gb"].isna() | ref.isna() | (t["restored_gb"] >= 0.9 * ref))
    t["_full"] = scope_full | unknown_scope_full
    g = t.groupby("backup", sort=True)
    out = pd.DataFrame({"tests": g.size()})
    last = g.tail(1).set_index("backup")
    out["last_tested_at"] = last["tested_at"]
    out["last_result"] = last["result"]
    out["last_scope"] = last["scope"]
    passes = t[t["result"] == "pass"]
    out["last_pass_at"] = passes.groupby("backup")["tested_at"].max().reindex(out.index)
    out["last_pass_age_days"] = (pd.Timestamp(as_of) - out["last_pass_at"]).dt.days.astype(float)
    fresh = passes[(pd.Timestamp(as_of) - passes["tested_at"]).dt.days <= RESTORE_TEST_MAX_AGE_DAYS]
    out["fresh_pass"] = fresh.groupby("backup").size().reindex(out.index).fillna(0) > 0
    out["fresh_full_pass"] = fresh[fresh["_full"]].groupby("backup").size().reindex(out.index).fillna(0) > 0
    out.index.name = "backup"
    return out


# -- evidence and points ----------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """The measures behind one backup's factors; each has a documented "worse" direction.

    ``history`` is ``"some"`` (runs recorded), ``"by_design"`` (no runs, and
    its method keeps none: a replica, a continuous copy scheduled under an
    hour), ``"unknown"`` (no runs, and none are expected: the inventory holds
    no job history at all, or none of its tool's, or it has no schedule) or
    ``"none"`` (runs expected, as other backups of its tool have runs, and
    none recorded); worse in that order for the ``job_history`` factor.
    ``history_note`` is the evidence sentence for a backup without runs.
    """

    backup: str
    asset: str
    restore_tests: int = 0
    last_pass_age_days: float | None = None  # None = never passed (worst); larger = worse
    fresh_pass: bool = False  # a pass within 90 days
    fresh_full_pass: bool = False  # False is worse
    last_result: str | None = None  # pass < partial < fail
    last_tested_at: str | None = None
    verification: str | None = None  # dr_drill/restore_test < checksum < job_status < none/unknown
    history: str = "some"
    history_note: str = ""
    runs: int = 0
    completed: int = 0
    last_success_age_hours: float | None = None  # None (with runs) = never completed; larger = worse
    success_threshold_hours: float | None = None
    threshold_basis: str = ""
    missed_runs: int = 0
    interval_hours: float | None = None
    interval_inferred: bool = False
    streak_runs: int = 0
    streak_weight: float = 0.0
    tiny: bool = False
    last_size_gb: float | None = None
    reference_gb: float | None = None
    tiny_size_gb: float | None = None  # the size of the run judged tiny
    tiny_run: str = ""  # which run that was ("full run on 2026-09-24")
    chain_median_gb: float | None = None  # untyped runs read as an incremental chain: their median
    typed: bool = False  # some run of the backup carries a type
    collapse: bool = False
    size_median_gb: float | None = None
    collapse_size_gb: float | None = None
    collapse_run: str = ""
    duration_anomaly: bool = False
    last_duration_hours: float | None = None
    duration_median_hours: float | None = None
    alert: str = "ok"  # ok < coupled < none
    alert_channel: str | None = None
    alert_detail: str = ""
    replica: bool = False


def _fmt(x: float | None, unit: str = "") -> str:
    """A short human number (no trailing zeros)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "unknown"
    if abs(x) >= 100 or float(x).is_integer():
        s = f"{x:,.0f}"
    elif abs(x) >= 1:
        s = f"{x:.1f}"
    else:
        s = f"{x:.3g}"
    return s + unit


def _hours(h: float | None) -> str:
    """Hours as hours or days, whichever reads better."""
    if h is None or math.isnan(h):
        return "unknown"
    return _fmt(h, " h") if h < 72 else _fmt(h / 24.0, " days")


def _stale_points(ratio_over: float, base: float, extra: float, full_at: float) -> float:
    """``base`` points once over the limit, growing linearly by up to ``extra`` (monotone)."""
    return round(base + extra * min(1.0, max(0.0, ratio_over) / full_at), 1)


#: the evidence of ``verification_strength`` by the backup's ``verification`` ({b}: the backup)
_VERIFICATION_TEXT = {
    None: "no routine verification is recorded for {b}, so it is treated as none.",
    "none": "nothing routinely checks that {b} is usable.",
    "job_status": "{b} is checked only by its job status: completion, not restorability.",
    "checksum": "{b} is checked by checksums, which prove integrity but not that a restore works.",
    "restore_test": "{b} is routinely verified by restore tests.",
    "dr_drill": "{b} is routinely verified by disaster-recovery drills.",
}


def factors_from_evidence(ev: Evidence) -> tuple[Factor, ...]:
    """The factors of one backup, in ``FACTOR_NAMES`` order; each points a non-decreasing function of its measure.

    Points (maximum): restore_test_recency 30 (never) / 10-25 (stale),
    restore_test_result 20, restore_test_scope 10 (no full-scope pass within
    90 days, whether files only or nothing), verification_strength 20,
    job_history 40 (no run where runs are expected) / 20 (no history collected, or none kept by design),
    last_success_age 35 (never) / 15-30 (stale), missed_runs 15,
    failure_streak 20, tiny_success 40, size_collapse 25, duration_anomaly 10,
    alerting 15 (none) / 10 (coupled), method_replica 25.
    """
    b, a = ev.backup, ev.asset
    out: list[Factor] = []

    # restore verification
    if ev.last_pass_age_days is None:
        text = (f"{b} has never been restore-tested" if ev.restore_tests == 0
                else f"none of the {ev.restore_tests} restore tests of {b} passed")
        out.append(Factor("restore_test_recency", 30.0, text + ", so nobody has shown it can restore " + a + "."))
    elif ev.last_pass_age_days > RESTORE_TEST_MAX_AGE_DAYS:
        over = ev.last_pass_age_days - RESTORE_TEST_MAX_AGE_DAYS
        pts = _stale_points(over, 10.0, 15.0, RESTORE_TEST_FULL_AGE_DAYS - RESTORE_TEST_MAX_AGE_DAYS)
        out.append(Factor("restore_test_recency", pts,
                          f"the last passing restore test of {b} is {_fmt(ev.last_pass_age_days)} days old, "
                          f"{_fmt(over)} days past the {RESTORE_TEST_MAX_AGE_DAYS}-day limit."))
    else:
        out.append(Factor("restore_test_recency", 0.0,
                          f"{b} passed a restore test {_fmt(ev.last_pass_age_days)} days ago."))
    if ev.last_result == "fail":
        out.append(Factor("restore_test_result", 20.0, f"the latest restore test of {b} ({ev.last_tested_at}) failed."))
    elif ev.last_result == "partial":
        out.append(Factor("restore_test_result", 10.0, f"the latest restore test of {b} ({ev.last_tested_at}) only partly restored."))
    else:
        text = (f"the latest restore test of {b} ({ev.last_tested_at}) passed." if ev.last_result == "pass"
                else f"{b} has no restore test result to contradict it.")
        out.append(Factor("restore_test_result", 0.0, text))
    if ev.fresh_full_pass:
        out.append(Factor("restore_test_scope", 0.0,
                          f"{b} passed a full-scope restore test in the last {RESTORE_TEST_MAX_AGE_DAYS} days."))
    elif ev.fresh_pass:
        out.append(Factor("restore_test_scope", 10.0,
                          f"the passing restore tests of {b} in the last {RESTORE_TEST_MAX_AGE_DAYS} days restored files only, not all of {a}."))
    else:
        out.append(Factor("restore_test_scope", 10.0,
                          f"no full restore of {a} from {b} has passed in the last {RESTORE_TEST_MAX_AGE_DAYS} days."))

    # verification strength
    v = ev.verification
    pts = VERIFICATION_POINTS.get(v, 20.0) if v else 20.0
    vtext = _VERIFICATION_TEXT.get(v, "{b} has unknown verification {v!r}, treated as none.").format(b=b, v=v)
    out.append(Factor("verification_strength", pts, vtext))

    # job history
    if ev.history == "none":
        out.append(Factor("job_history", 40.0, ev.history_note or f"no run of {b} is recorded in the job history: it may "
                          "never have run, or its runs were left out of the export."))
    elif ev.history == "unknown":
        out.append(Factor("job_history", 20.0, ev.history_note or
                          "the inventory holds no job history, so completion of " + b + " cannot be checked."))
    elif ev.history == "by_design":
        # no history to check completion by, as for "unknown"; but nothing to report as "no runs" (no finding)
        out.append(Factor("job_history", 20.0, ev.history_note or f"{b} keeps no job history by design; it is judged "
                          "by its schedule."))
    else:
        out.append(Factor("job_history", 0.0, f"{ev.runs} runs of {b} are recorded, {ev.completed} completed."))
    some = ev.history == "some"
    if some and ev.last_success_age_hours is None:
        out.append(Factor("last_success_age", 35.0, f"none of the {ev.runs} recorded runs of {b} completed."))
    elif some and ev.success_threshold_hours and ev.last_success_age_hours > ev.success_threshold_hours:
        ratio = ev.last_success_age_hours / ev.success_threshold_hours
        out.append(Factor("last_success_age", _stale_points(ratio - 1.0, 15.0, 15.0, 3.0),
                          f"the last completed run of {b} finished {_hours(ev.last_success_age_hours)} before the assessment, "
                          f"over {ev.threshold_basis} ({_hours(ev.success_threshold_hours)})."))
    elif some and ev.last_success_age_hours is not None:
        text = (f"the last completed run of {b} finished {_hours(ev.last_success_age_hours)} before the assessment"
                + (f", within {ev.threshold_basis}." if ev.success_threshold_hours else "; no schedule or RPO to judge it by."))
        out.append(Factor("last_success_age", 0.0, text))
    else:
        out.append(Factor("last_success_age", 0.0, "no job history to judge."))
    if some and ev.missed_runs > 0:
        basis = "inferred interval" if ev.interval_inferred else "schedule"
        out.append(Factor("missed_runs", float(min(15, 3 * ev.missed_runs)),
                          f"{ev.missed_runs} expected restore points of {b} are missing against its {basis} "
                          f"of {_hours(ev.interval_hours)} (gaps between completed runs)."))
    else:
        text = ("no schedule known and too few runs to infer one." if some and ev.interval_hours is None
                else "no missed runs." if some else "no job history to judge.")
        out.append(Factor("missed_runs", 0.0, text))
    if ev.streak_weight >= 2.0:
        out.append(Factor("failure_streak", float(min(20.0, 6.0 * ev.streak_weight)),
                          f"the last {ev.streak_runs} runs of {b} failed or warned with no success since."))
    else:
        out.append(Factor("failure_streak", 0.0, "no failure streak." if some else "no job history to judge."))
    if ev.tiny:
        run = f"{b}'s {ev.tiny_run}" if ev.tiny_run else f"the latest completed run of {b}"
        size = ev.tiny_size_gb if ev.tiny_size_gb is not None else ev.last_size_gb
        out.append(Factor("tiny_success", 40.0,
                          f"{run} reported {_fmt(size, ' GB')}, at most "
                          f"{TINY_FRACTION:.0%} of the {_fmt(ev.reference_gb, ' GB')} a full copy should hold."))
    elif ev.chain_median_gb is not None:
        out.append(Factor("tiny_success", 0.0,
                          f"the runs of {b} carry no type and are consistently small (median {_fmt(ev.chain_median_gb, ' GB')} "
                          f"of {_fmt(ev.reference_gb, ' GB')}): read as an incremental chain, judged against its own history."))
    elif ev.typed:
        out.append(Factor("tiny_success", 0.0, "no full run of " + b + " is tiny against the asset's data "
                          "(incremental, differential and log runs copy only changes and are not judged by it)."))
    else:
        out.append(Factor("tiny_success", 0.0, "the latest completed size is not tiny against the asset's data (or unknown)."))
    if ev.collapse:
        run = f"{b}'s {ev.collapse_run}" if ev.collapse_run else f"the latest completed run of {b}"
        size = ev.collapse_size_gb if ev.collapse_size_gb is not None else ev.last_size_gb
        out.append(Factor("size_collapse", 25.0,
                          f"{run} reported {_fmt(size, ' GB')} against a median of "
                          f"{_fmt(ev.size_median_gb, ' GB')} over the previous runs of its type (a robust outlier)."))
    else:
        out.append(Factor("size_collapse", 0.0, "no size collapse against the backup's own recent runs of each type (or too few to judge)."))
    if ev.duration_anomaly:
        out.append(Factor("duration_anomaly", 10.0,
                          f"the latest completed run of {b} took {_hours(ev.last_duration_hours)} against a median of "
                          f"{_hours(ev.duration_median_hours)} (a robust outlier)."))
    else:
        out.append(Factor("duration_anomaly", 0.0, "no duration anomaly (or too few runs to judge)."))

    # alerting
    if ev.alert == "none":
        out.append(Factor("alerting", 15.0, f"{b} has no alert channel: a failed run reaches nobody."))
    elif ev.alert == "coupled":
        out.append(Factor("alerting", 10.0, ev.alert_detail))
    else:
        out.append(Factor("alerting", 0.0, f"failed runs of {b} are reported to {ev.alert_channel}, which shares no single cause with it or {a}."))

    # method
    if ev.replica:
        out.append(Factor("method_replica", 25.0,
                          f"{b} is a replica: it copies deletion and corruption of {a} at once, so it is not an independent backup."))
    else:
        out.append(Factor("method_replica", 0.0, f"{b} is not a replica."))
    return tuple(out)


def _total(factors: tuple[Factor, ...]) -> float:
    """The capped sum of the factors' points (monotone by construction)."""
    return round(min(100.0, sum(f.points for f in factors)), 1)


# -- the model-based parts --------------------------------------------------------------


def _path(graph: nx.DiGraph, source: str, target: str) -> str:
    """A dependency path ``a -> b -> c`` (shortest, ties by networkx's deterministic order)."""
    if source == target:
        return source
    try:
        return " -> ".join(nx.shortest_path(graph, source, target))
    except nx.NetworkXNoPath:
        return f"{source} -> ... -> {target}"


def _descendants(adjacency, source: str) -> set[str]:
    """``nx.descendants`` of the dependency graph: everything ``source`` reaches through its successors
    (``Model.adjacency``), ``source`` itself left out."""
    succ = adjacency.succ
    seen = {source}
    stack = [source]
    while stack:
        for w in succ[stack.pop()]:
            if w not in seen:
                seen.add(w)
                stack.append(w)
    seen.discard(source)
    return seen


def _shortest(graph, source: str, target: str, positions: dict) -> list[str] | None:
    """``nx.shortest_path(graph, source, target)`` node for node (its bidirectional search, same ties), or None
    when there is no path.

    The search alternates a forward level from ``source`` and a reverse level
    from ``target`` and stops at the first node met in adjacency order. Its
    first reverse level walks every dependant of ``target`` (thousands for a
    site); here that level is answered from the few nodes the forward search
    has reached: the one that comes first among ``target``'s dependants, by
    their position (``positions[target]``, built once per target and kept).
    Every other level runs as networkx runs it.
    """
    gpred, gsucc = graph.pred, graph.succ
    pred: dict = {source: None}
    succ: dict = {target: None}
    forward, reverse = [source], [target]
    meet = None
    while forward and reverse and meet is None:
        if len(forward) <= len(reverse):
            level, forward = forward, []
            for v in level:
                for w in gsucc[v]:
                    if w not in pred:
                        forward.append(w)
                        pred[w] = v
                    if w in succ:
                        meet = w
                        break
                if meet is not None:
                    break
        elif reverse == [target] and len(succ) == 1:
            hits = [w for w in pred if target in gsucc[w]]
            if hits:
                order = positions.get(target)
                if order is None:
                    order = positions[target] = {w: i for i, w in enumerate(gpred[target])}
                meet = min(hits, key=order.__getitem__)
                succ[meet] = target
                break
            # no hit: the level is every dependant of the target; it is written out only if the search needs the
            # next reverse level (meanwhile the forward levels test membership in the target's dependants directly)
            lazy = gpred[target]
            width = len(lazy) - (target in lazy)
            while forward and width and meet is None and len(forward) <= width:
                level, forward = forward, []
                for v in level:
                    for w in gsucc[v]:
                        if w not in pred:
                            forward.append(w)
                            pred[w] = v
                        if w in succ or w in lazy:
                            meet = w
                            break
                    if meet is not None:
                        break
            if meet is not None:
                if meet not in succ:
                    succ[meet] = target
                break
            level, reverse = reverse, []
            for w in lazy:
                if w not in succ:
                    succ[w] = target
                    reverse.append(w)
        else:
            level, reverse = reverse, []
            for v in level:
                for w in gpred[v]:
                    if w not in succ:
                        succ[w] = v
                        reverse.append(w)
                    if w in pred:
                        meet = w
                        break
                if meet is not None:
                    break
    if meet is None:
        return None
    path = []
    w = meet
    while w is not None:
        path.append(w)
        w = pred[w]
    path.reverse()
    w = succ[path[-1]]
    while w is not None:
        path.append(w)
        w = succ[w]
    return path


class _DownCache:
    """``model.down({x})`` memoised: many backups share alert channels and sites.

    Also keeps what every backup and asset asks again: the components that can
    silence an alert channel with their down sets (``channel_causes``), the
    places each component goes down with (``places_of``), the location column
    and dependency paths already named.
    """

    def __init__(self, model) -> None:
        self.model = model
        self._cache: dict[str, frozenset[str]] = {}
        #: every site and region, sorted: computed once, not once per asset (that was O(N) per asset)
        self.places: tuple[str, ...] = tuple(sorted(c for c, k in model.kind.items() if k in ("site", "region")))
        #: every backup store, and those already holding an immutable or offline copy (what a remedy reuses)
        self.stores: tuple[str, ...] = tuple(sorted(c for c, k in model.kind.items() if k == "backup_store"))
        self.vaults: tuple[str, ...] = tuple(sorted({
            t for b, i in model.backup.items() if i.immutable or i.offline
            for t in model.adjacency.succ[b] if model.kind.get(t) == "backup_store"}))
        self._channels: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {}
        self._places_of: dict[str, tuple[str, ...]] | None = None
        self._location: dict[str, str | None] | None = None
        self._paths: dict[tuple[str, str], str] = {}
        self._positions: dict[str, dict[str, int]] = {}  # target -> its dependants' positions (``_shortest``)
        self._away: dict[frozenset[str], str | None] = {}  # places -> the first store that survives them

    def __call__(self, x: str) -> frozenset[str]:
        if x not in self._cache:
            self._cache[x] = self.model.down({x})
        return self._cache[x]

    def channel_causes(self, channel: str) -> tuple[tuple[str, frozenset[str]], ...]:
        """``(x, down({x}))`` for the channel and everything it depends on, sorted by x, where x takes it down."""
        hit = self._channels.get(channel)
        if hit is None:
            candidates = sorted({channel} | _descendants(self.model.adjacency, channel))
            hit = tuple((x, d) for x in candidates if channel in (d := self(x)))
            self._channels[channel] = hit
        return hit

    def places_of(self, component: str) -> tuple[str, ...]:
        """The sites and regions (sorted) whose failure takes ``component`` down."""
        if self._places_of is None:
            found: dict[str, list[str]] = {}
            for p in self.places:  # sorted, so each list comes sorted
                for c in self(p):
                    found.setdefault(c, []).append(p)
            self._places_of = {c: tuple(v) for c, v in found.items()}
        return self._places_of.get(component, ())

    def store_away_from(self, places) -> str | None:
        """The first backup store (by id) in some site or region and in none of ``places``; None if there is
        none. Assets lost with the same places ask the same question: answered once per set of places."""
        key = frozenset(places)
        if key not in self._away:
            self._away[key] = next((t for t in self.stores if self.places_of(t)
                                    and key.isdisjoint(self.places_of(t))), None)
        return self._away[key]

    def location(self, component: str) -> str | None:
        """The component's ``location`` cell (None when empty)."""
        if self._location is None:
            comps = self.model.inventory.components
            self._location = {str(i): (None if pd.isna(v) else str(v)) for i, v in zip(comps["id"], comps["location"])}
        return self._location.get(component)

    def path(self, source: str, target: str) -> str:
        """``_path`` on the model's graph, memoised."""
        key = (source, target)
        hit = self._paths.get(key)
        if hit is None:
            if source == target:
                hit = source
            else:
                nodes = _shortest(self.model.adjacency, source, target, self._positions)
                hit = " -> ".join(nodes) if nodes is not None else f"{source} -> ... -> {target}"
            self._paths[key] = hit
        return hit


def _alert_coupling(model, down: _DownCache, backup: str, asset: str, channel: str) -> tuple[list[str], str]:
    """Components X whose single failure takes down the alert channel and the backup or the asset.

    Candidates are the channel and everything it depends on (only those can
    take it down); returned sorted, with an evidence sentence for the first.
    The candidates and their down sets are computed once per channel.
    """
    if channel not in model.adjacency:
        return [], ""
    causes = []
    first = None
    for x, d in down.channel_causes(channel):
        if backup in d or asset in d:
            causes.append(x)
            if first is None:
                first = d
    if not causes:
        return [], ""
    x = causes[0]
    victim = backup if backup in first else asset
    more = f" ({len(causes) - 1} more such components)" if len(causes) > 1 else ""
    text = (f"the alert channel of {backup} goes silent together with "
            f"{'the backup' if victim == backup else 'the asset ' + asset}: {x} fails both "
            f"({down.path(channel, x)}; {down.path(victim, x)}){more}.")
    return causes, text


# -- 3-2-1-1-0 ---------------------------------------------------------------------------


def _rule_32110(model, down: _DownCache, asset: str, tests: pd.DataFrame | Mapping) -> Rule32110:
    """The five parts of the 3-2-1-1-0 rule for one asset, derived from the graph and methods (``tests``: as
    ``_zero_errors`` reads them)."""
    backups = list(model.backups_of.get(asset, ()))
    info = {b: model.backup[b] for b in backups}
    graph = model.adjacency  # successors in the dependency graph's order, without building the graph
    parts = []

    copies = 1 + len(backups)
    parts.append(RulePart("three_copies", copies >= 3,
                          f"{copies} copies: {asset} and {len(backups)} backup(s)" + (f" ({', '.join(backups)})" if backups else "") + "."))

    # media: production storage, a backup store (by id), tape; unknown media do not count
    media: dict[str, str] = {}
    unknown = []
    for b in backups:
        method = info[b].method
        stores = sorted(t for t in graph.succ[b] if model.kind.get(t) == "backup_store")
        if method == "tape":
            media[b] = "tape"
        elif stores:
            media[b] = "backup store " + "+".join(stores)
        elif method in ("snapshot", "replica"):
            media[b] = "the production storage"
        else:
            unknown.append(b)
    distinct = {"the production storage"} | set(media.values())
    desc = "; ".join(f"{b} on {m}" for b, m in sorted(media.items()))
    reason = f"{len(distinct)} distinct media: {asset} on the production storage" + (f"; {desc}" if desc else "")
    if unknown:
        reason += f"; medium unknown for {', '.join(unknown)} (no backup_store dependency, method not tape)"
    media_remedy = ""
    if len(distinct) < 2:
        used = {t for b in backups for t in graph.succ[b]}
        spare = [t for t in down.stores if t not in used and t != asset]
        if unknown:  # never ask for what may exist: the copy's medium is only unrecorded
            media_remedy = (f"record where {_and(unknown)} {'is' if len(unknown) == 1 else 'are'} kept (a backup_store "
                            "row, or method tape): it may already be a second medium")
        elif spare:
            media_remedy = f"keep one copy on the existing backup store {spare[0]}"
    parts.append(RulePart("two_media", len(distinct) >= 2, reason + ".", media_remedy))

    # offsite: no site or region takes down both the asset and the backup
    asset_places = list(down.places_of(asset))
    offsite, why, stored_away = [], [], []
    if asset_places:
        for b in backups:
            shared = [p for p in asset_places if b in down(p)]
            own = down.places_of(b)
            if own and not shared:
                offsite.append(b)
            elif shared:
                lost = down(shared[0])
                stores = sorted(t for t in graph.succ[b] if model.kind.get(t) == "backup_store")
                needs = sorted(t for t in graph.succ[b] if t in lost and t not in stores)
                if stores and not any(t in lost for t in stores) and needs:
                    # the copy is kept elsewhere; what fails with the site is its restore path
                    why.append(f"{b} is stored on {', '.join(stores)}, outside {shared[0]}, but restoring it needs "
                               f"{', '.join(needs)}, lost with {shared[0]}")
                    stored_away.append((b, shared[0], needs))
                else:
                    why.append(f"{b} shares {shared[0]}")
            else:
                why.append(f"{b} is in no known site or region")
        if offsite:
            reason = f"{', '.join(offsite)} survive(s) the loss of {', '.join(asset_places)}, where {asset} runs."
        else:
            reason = f"no backup survives the loss of {', '.join(asset_places)}: {'; '.join(why)}." if why else f"{asset} has no backup."
    else:
        loc = down.location
        a_loc = loc(asset)
        for b in backups:
            b_locs = {loc(b)} | {loc(t) for t in graph.succ[b] if model.kind.get(t) == "backup_store"}
            b_locs.discard(None)
            if a_loc and b_locs and a_loc not in b_locs:
                offsite.append(b)
        if offsite:
            reason = f"{', '.join(offsite)} is/are kept away from {asset}'s location {a_loc!r} (by the location column)."
        elif a_loc is None:
            reason = f"cannot show a copy offsite: no site or region takes {asset} down and its location is unknown."
        else:
            reason = f"no backup of {asset} is recorded outside its location {a_loc!r}."
    remedy = ""
    unplaced = [b for b in backups if asset_places and not down.places_of(b)]
    if not offsite and stored_away:
        remedy = "; ".join(f"make the restore of {b} work without {p} (keep {_and(n)}, or a stand-in, outside {p}; "
                           f"the copy itself is already kept elsewhere)" for b, p, n in stored_away)
    elif not offsite and unplaced:  # never ask for what may exist: where the copy is kept is only unrecorded
        remedy = (f"record the site or region of {_and(unplaced)} and {'its' if len(unplaced) == 1 else 'their'} "
                  "store: the copy may already be kept elsewhere")
    elif not offsite and asset_places:
        away = down.store_away_from(asset_places)
        if away is not None:
            remedy = f"keep one copy on the existing backup store {away}, which survives the loss of {_and(asset_places)}"
    parts.append(RulePart("one_offsite", bool(offsite), reason, remedy))

    safe = [b for b in backups if info[b].immutable or info[b].offline]
    labels = [f"{b} ({'/'.join(x for x in ('immutable', 'offline') if getattr(info[b], x))})" for b in safe]
    safe_remedy = ""
    if not safe:
        lockable = [b for b in backups if info[b].method != "replica"]
        if down.vaults:
            safe_remedy = (f"keep one copy on {down.vaults[0]}, where immutable or offline copies are already kept"
                           + (f", or make {lockable[0]} immutable (object lock)" if lockable else ""))
        elif lockable:
            safe_remedy = f"make {lockable[0]} immutable (object lock on its store) or keep an offline copy"
    parts.append(RulePart("one_offline_or_immutable", bool(safe),
                          (", ".join(labels) + "." if safe
                           else f"no backup of {asset} is immutable or offline: one compromised credential can erase them all."),
                          safe_remedy))

    parts.append(_zero_errors(asset, backups, tests))
    return Rule32110(asset, tuple(parts))


def _zero_errors(asset: str, backups: list[str], tests: pd.DataFrame | Mapping) -> RulePart:
    """The "0" of 3-2-1-1-0: some backup passed a full restore test within 90 days as its latest test.

    ``tests`` is the restore-test summary, or its rows as a dict (backup -> row).
    """
    if isinstance(tests, pd.DataFrame):
        clean = [b for b in backups if b in tests.index and bool(tests.at[b, "fresh_full_pass"])
                 and tests.at[b, "last_result"] == "pass"]
    else:
        clean = [b for b in backups if b in tests and bool(tests[b]["fresh_full_pass"]) and tests[b]["last_result"] == "pass"]
    return RulePart("zero_errors", bool(clean),
                    (f"{', '.join(clean)} passed a full restore test in the last {RESTORE_TEST_MAX_AGE_DAYS} days with no later error."
                     if clean else f"no backup of {asset} passed a full restore test in the last {RESTORE_TEST_MAX_AGE_DAYS} days as its latest test."))


# -- findings ----------------------------------------------------------------------------

_RULES = {
    # factor: (rule id, title for one backup, title for several, recommendation); points >= 10 make a finding.
    # Fields: {b} the backup(s) ("b1" or "b1 and b2"), {a} the asset, {n} how many; {s}/{its}/{them} agree with {b}.
    "restore_test_recency": ("restore-test-missing", "{b} has no recent passing restore test",
                             "{n} backups of {a} have no recent passing restore test: {b}",
                             "Schedule a quarterly full restore test of {a} from {each}{b} (CIS Control 11.5) and record "
                             "the result in the inventory."),
    "restore_test_result": ("restore-test-failed", "The latest restore test of {b} did not pass",
                            "The latest restore tests of {n} backups of {a} did not pass: {b}",
                            "Find why the restore of {a} from {b} failed, fix it and repeat the full restore test{s} "
                            "until {it} pass{es}."),
    "restore_test_scope": ("restore-test-files-only", "Restore tests of {b} cover files only",
                           "Restore tests of {n} backups of {a} cover files only: {b}",
                           "Extend the restore tests of {b} to a full restore of {a} (the whole dataset, started as the "
                           "service would be)."),
    "job_history": ("no-job-history", "No runs of {b} on record",
                    "No runs of {n} backups of {a} on record: {b}",
                    "Export the job history of {b} from the backup tool and confirm that {each_job} scheduled and running."),
    "last_success_age": ("stale-last-success", "{b} has not completed recently",
                         "{n} backups of {a} have not completed recently: {b}",
                         "Investigate why {b} {has} not completed within {its} schedule or the RPO of {a}, and alert on "
                         "a missed run, not only a failed one."),
    "missed_runs": ("missed-runs", "{b} misses scheduled runs",
                    "{n} backups of {a} miss scheduled runs: {b}",
                    "Alert on missing restore points of {b} (a run that never started raises no failure), and fix the "
                    "scheduler."),
    "failure_streak": ("failure-streak", "{b} has been failing with no success since",
                       "{n} backups of {a} have been failing with no success since: {b}",
                       "Fix the failing job{s} of {b} and make sure {its} failures reach someone who acts on them."),
    "tiny_success": ("tiny-success", "{b} reports success with almost no data",
                     "{n} backups of {a} report success with almost no data: {b}",
                     "Check the selection and credentials of {b}: a full run that 'succeeds' with almost nothing is a "
                     "silent failure; alert on size as well as status."),
    "size_collapse": ("size-collapse", "The size of {b} collapsed",
                      "The sizes of {n} backups of {a} collapsed: {b}",
                      "Compare the latest run{s} of {b} with the previous ones of the same type (excluded paths, a "
                      "changed mount, lost credentials) and restore-test {it}."),
    "duration_anomaly": ("duration-anomaly", "The duration of {b} changed sharply",
                         "The durations of {n} backups of {a} changed sharply: {b}",
                         "Check the latest run{s} of {b}: a sudden change of duration often means a job backed up "
                         "something else."),
    "alerting": ("alert-channel", "Failures of {b} may reach nobody",
                 "Failures of {n} backups of {a} may reach nobody: {b}",
                 "Send failures of {b} to an alert channel that does not share a single point of failure with {them} "
                 "or {a}, and test it."),
    "method_replica": ("replica-as-backup", "{b} is a replica counted as a backup",
                       "{n} backups of {a} are replicas counted as backups: {b}",
                       "Keep a point-in-time, preferably immutable backup of {a} besides the replica{s} {b}; a replica "
                       "copies deletion and corruption."),
}

_LEVELS = ("critical", "high", "medium", "low")
#: finding rules about restore tests (the "0" of 3-2-1-1-0 is their story)
_RESTORE_TEST_RULES = ("restore-test-missing", "restore-test-failed", "restore-test-files-only")


def _and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _listed(items: list[str], limit: int) -> str:
    """``_and`` of at most ``limit`` items, the rest counted."""
    return _and(items) if len(items) <= limit else f"{', '.join(items[:limit])} and {len(items) - limit} more"


def _words(backups: list[str], asset: str) -> dict[str, str]:
    """The template fields for one backup or several (agreement of verbs and pronouns)."""
    one = len(backups) == 1
    return {"b": _and(backups), "a": asset, "n": str(len(backups)), "s": "" if one else "s",
            "es": "es" if one else "", "it": "it" if one else "them", "its": "its" if one else "their",
            "has": "has" if one else "have", "them": backups[0] if one else "them",
            "each": "" if one else "each of ", "each_job": "the job is" if one else "each job is"}


def _sentence(text: str, ids: tuple[str, ...]) -> str:
    """``text`` with a capital first letter, unless it starts with an identifier (ids keep their case)."""
    if not text or any(text.startswith(i) for i in ids):
        return text
    return text[0].upper() + text[1:]


def _reported(s: BackupScore, f: Factor) -> bool:
    """Whether a factor is worth a finding of its own.

    10 points or more, a rule to act on, and for ``restore_test_scope`` only
    when a test passed recently at file level: a backup never tested (or
    tested long ago) is told by ``restore-test-missing``, whose remedy is
    already a full restore test.
    """
    if f.points < 10 or f.name not in _RULES:
        return False
    if f.name == "job_history" and s.measures is not None and s.measures.history == "by_design":
        return False  # a replica or continuous copy keeps no job history: judged by its schedule, not "no runs"
    if f.name == "restore_test_scope":
        return s.measures is not None and s.measures.fresh_pass and not s.measures.fresh_full_pass
    return True


#: A rule's finding when it catches several assets: its title ({n} assets, {assets} their names).
_MANY_TITLES = {
    "restore-test-missing": "Backups of {n} assets have no recent passing restore test: {assets}",
    "restore-test-failed": "The latest restore tests of backups of {n} assets did not pass: {assets}",
    "restore-test-files-only": "Restore tests of {n} assets cover files only: {assets}",
    "no-job-history": "No runs on record for backups of {n} assets: {assets}",
    "stale-last-success": "Backups of {n} assets have not completed recently: {assets}",
    "missed-runs": "Backups of {n} assets miss scheduled runs: {assets}",
    "failure-streak": "Backups of {n} assets have been failing with no success since: {assets}",
    "tiny-success": "Backups of {n} assets report success with almost no data: {assets}",
    "size-collapse": "The backup sizes of {n} assets collapsed: {assets}",
    "duration-anomaly": "The backup durations of {n} assets changed sharply: {assets}",
    "alert-channel": "Failures of backups of {n} assets may reach nobody: {assets}",
    "replica-as-backup": "{n} assets count a replica as a backup: {assets}",
    "rpo": "{n} assets miss their RPO: {assets}",
}

#: 3-2-1-1-0 part -> (title for one asset, title for several), finding ``silent_failure:3-2-1-1-0:<part>``.
_PART_TITLES = {
    "three_copies": ("{a} has fewer than three copies (3-2-1-1-0)",
                     "{n} assets have fewer than three copies (3-2-1-1-0): {assets}"),
    "two_media": ("{a} keeps every copy on one medium (3-2-1-1-0)",
                  "{n} assets keep every copy on one medium (3-2-1-1-0): {assets}"),
    "one_offsite": ("{a} has no copy that survives the loss of its site or region (3-2-1-1-0)",
                    "{n} assets have no copy that survives the loss of their site or region (3-2-1-1-0): {assets}"),
    "one_offline_or_immutable": ("{a} has no offline or immutable copy (3-2-1-1-0)",
                                 "{n} assets have no offline or immutable copy (3-2-1-1-0): {assets}"),
    "zero_errors": ("{a} has no full restore test passed in the last 90 days (3-2-1-1-0)",
                    "{n} assets have no full restore test passed in the last 90 days (3-2-1-1-0): {assets}"),
}


def _factor_groups(scores: list[BackupScore], asset_scores: Mapping[str, float | None], tier: Mapping[str, int | None],
                   folded: Mapping[str, frozenset[str]] | None = None) -> dict[tuple[str, str], list[tuple]]:
    """(asset, factor name) -> ``(level, score, factor)`` of each backup of the asset reporting the factor, in the
    order of ``scores``: the rows of ``_findings`` (level 0 critical to 3 low; see there), each read from its asset's
    backups alone."""
    folded = folded or {}
    healthy: dict[str, list[str]] = {}
    for s in scores:
        if s.score < 30:
            healthy.setdefault(s.protects, []).append(s.id)
    groups: dict[tuple[str, str], list[tuple[int, BackupScore, Factor]]] = {}
    for s in scores:  # sorted by backup id
        others = [o for o in healthy.get(s.protects, ()) if o != s.id]
        for f in s.factors:
            if not _reported(s, f) or f.name in folded.get(s.protects, ()):
                continue
            level = 1 if f.points >= 25 else 2 if f.points >= 15 else 3
            if f.name == "job_history":
                # no runs on record is an evidence gap, not a failure: medium where runs are expected, else low
                level = max(level, 2 if s.measures is not None and s.measures.history == "none" else 3)
            if others:
                level = min(3, level + 1)
            elif level == 1 and tier.get(s.protects) == 1 and (asset_scores.get(s.protects) or 0) >= 50:
                level = 0
            groups.setdefault((s.protects, f.name), []).append((level, s, f))
    return groups


def _findings(scores: list[BackupScore], asset_scores: dict[str, float | None], rules: dict[str, Rule32110],
              model, folded: Mapping[str, frozenset[str]] | None = None,
              tier: Mapping[str, int | None] | None = None) -> list[Finding]:
    """Findings for factors worth acting on and for missing 3-2-1-1-0 parts: **one per rule**.

    Backups that show the same factor tell one story: every asset whose
    backups show it is listed in one finding ``silent_failure:<rule>``
    (``findings.consolidate``), with a per-asset row (its backups, their
    evidence and scores, its severity) and the most severe asset's severity.
    Each missing 3-2-1-1-0 part is one finding ``silent_failure:3-2-1-1-0:<part>``
    listing every asset that misses it. Severity of a backup: a factor of 25+
    points is high, 15+ medium, else low; one level lower when the asset has
    another backup scoring under 30 (a healthier alternative); high becomes
    critical for a tier-1 asset whose best backup scores 50 or more.
    ``folded`` maps an asset to rules told by another finding (its RPO
    finding) and left out here. ``tier`` (asset -> tier) is read from the
    inventory when not given.
    """
    if tier is None:
        tier = _tiers(model.inventory.components)
    per_rule: dict[str, list[Finding]] = {}
    groups = _factor_groups(scores, asset_scores, tier, folded)
    backups_of_rule: dict[str, list[str]] = {}
    for (asset, name), members in sorted(groups.items(), key=lambda kv: (kv[0][0], FACTOR_NAMES.index(kv[0][1]))):
        rule, title_one, title_many, rec = _RULES[name]
        backups = [s.id for _, s, _ in members]
        backups_of_rule.setdefault(rule, []).extend(backups)
        words = _words(backups, asset)
        comps = list(backups)
        for _, s, f in members:
            if f.name == "alerting" and model.backup[s.id].alert_channel:
                comps.append(model.backup[s.id].alert_channel)
        per_rule.setdefault(rule, []).append(Finding(
            id=f"silent_failure:{rule}", category="silent_failure", severity=_LEVELS[min(m[0] for m in members)],
            title=(title_one if len(members) == 1 else title_many).format(**words), assets=(asset,),
            components=tuple(comps),
            evidence=" ".join(_sentence(f.evidence, (s.id, asset)) + f" (score of {s.id} {s.score:g}/100.)"
                              for _, s, f in members),
            recommendation=rec.format(**words),
        ))
    out = []
    for rule, parts in per_rule.items():
        rec = None
        if len(parts) > 1:  # the rule's remedy once, naming every backup
            factor = next(n for n, r in _RULES.items() if r[0] == rule)
            words = _words(sorted(backups_of_rule[rule]), "each asset listed")
            rec = _RULES[factor][3].format(**words)
        out.append(consolidate(f"silent_failure:{rule}", parts, _MANY_TITLES[rule], rec))
    # assets whose restore tests already have a finding: the "zero errors" part is that story
    tested = {a for f in out if f.id.split(":")[1] in _RESTORE_TEST_RULES for a in f.assets}
    recs = {
        "three_copies": "keep at least two backups besides the data itself",
        "two_media": "keep one copy on a different storage system or medium",
        "one_offsite": "keep one copy in another site or region",
        "one_offline_or_immutable": "make one copy immutable (object lock) or offline",
        "zero_errors": "pass a full restore test at least quarterly",
    }
    by_part: dict[str, list[Finding]] = {}
    remedies: dict[str, dict[str, list[str]]] = {}  # part -> remedy -> assets (one sentence for those sharing it)
    for asset in sorted(rules):
        for p in rules[asset].parts:
            if p.met or (p.name == "zero_errors" and asset in tested):
                continue
            remedies.setdefault(p.name, {}).setdefault(p.remedy or recs[p.name], []).append(asset)
            by_part.setdefault(p.name, []).append(Finding(
                id=f"silent_failure:3-2-1-1-0:{p.name}", category="silent_failure",
                severity="medium" if p.name in ("one_offsite", "one_offline_or_immutable") else "low",
                title=_PART_TITLES[p.name][0].format(a=asset), assets=(asset,),
                components=tuple(model.backups_of.get(asset, ())),
                evidence=f"{p.name.replace('_', ' ')}: {p.reason}",
                recommendation=f"For {asset}: {p.remedy or recs[p.name]}.",
            ))
    for name in RULE_PARTS:
        if name in by_part:
            rec = " ".join(f"For {_listed(assets, 6)}: {remedy}." for remedy, assets in remedies[name].items())
            out.append(consolidate(f"silent_failure:3-2-1-1-0:{name}", by_part[name], _PART_TITLES[name][1], rec))
    return sort_findings(out)


# -- RPO compliance -----------------------------------------------------------------------


#: an asset misses its RPO when its data-loss window exceeds ``rpo_hours`` by more than this fraction
#: (a daily job that runs 40 minutes meets a 24 h RPO)
RPO_GRACE = 0.05


@dataclass(frozen=True)
class RpoCheck:
    """Whether an asset's backups meet its recovery point objective, as the analysis contract defines it.

    ``intervals`` holds ``(backup, hours, basis)`` for every backup of the
    asset (basis ``schedule``, ``inferred`` from the run starts, or
    ``unknown`` with hours None). ``schedule_meets`` is True when some
    interval is within the RPO (with its 5% grace), False when every one is
    known and longer, None otherwise.

    ``window_hours`` is the asset's data-loss window: over its job history,
    the longest time between a recovery point becoming usable and the point
    before it, all its backups together (``worst_gap_*``, see
    ``recovery_points``); a backup that keeps no job history by design or
    whose tool's history was not collected (``scheduled``) is credited with
    its schedule. Without any history the window is the best schedule
    (``window_basis`` ``schedule``); None when nothing is known.
    """

    asset: str
    rpo_hours: float
    intervals: tuple[tuple[str, float | None, str], ...]
    schedule_meets: bool | None
    last_point_age_hours: float | None = None
    last_point_backup: str | None = None
    last_point_at: str | None = None
    history_from: str | None = None
    worst_gap_hours: float | None = None
    worst_gap_from: str | None = None
    worst_gap_to: str | None = None
    window_hours: float | None = None
    window_basis: str = "unknown"  # "history", "schedule" or "unknown"
    worst_from_backup: str | None = None
    worst_to_backup: str | None = None
    worst_to_started: str | None = None
    #: ``(backup, started, finished)`` of runs that started inside the worst window but became usable after it
    worst_late: tuple[tuple[str, str, str], ...] = ()
    #: ``(backup, hours)`` of backups judged by their schedule (no job history by design, or not collected)
    scheduled: tuple[tuple[str, float], ...] = ()

    @property
    def limit_hours(self) -> float:
        """The longest window that still meets the RPO (``rpo_hours`` plus the 5% grace)."""
        return self.rpo_hours * (1 + RPO_GRACE)

    @property
    def met(self) -> bool:
        """The window is within the RPO's limit (unknown windows are not shown missed)."""
        return self.window_hours is None or self.window_hours <= self.limit_hours + 1e-9

    @property
    def schedule_gap(self) -> bool:
        """The RPO is missed and no backup is scheduled often enough for it."""
        return not self.met and self.schedule_meets is False

    @property
    def stale(self) -> bool:
        """The RPO is missed by the history and its newest recovery point is older than the limit at ``as_of``."""
        return (not self.met and self.window_basis == "history" and self.last_point_age_hours is not None
                and self.last_point_age_hours > self.limit_hours + 1e-9)

    @property
    def gap(self) -> bool:
        """The RPO is missed by the history: some window went over the limit."""
        return (not self.met and self.window_basis == "history" and self.worst_gap_hours is not None
                and self.worst_gap_hours > self.limit_hours + 1e-9)


#: ticks per second of the timedelta units
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


def _seconds(delta: np.ndarray) -> np.ndarray:
    """Total seconds of a timedelta64 array bit for bit as pandas computes them (``.dt.total_seconds()``: whole
    seconds plus the residual over ticks per second, nudged off a whole second where rounding lands on one),
    NaT as NaN; in plain numpy, as pandas' own is many times slower over millions of runs."""
    delta = np.asarray(delta)
    unit = np.datetime_data(delta.dtype)[0]
    if unit not in _PER_SECOND:
        return pd.TimedeltaIndex(delta).total_seconds().to_numpy(float)
    pps = _PER_SECOND[unit]
    ticks = delta.view(np.int64)
    floor_s, residual = np.divmod(ticks, pps)
    result = floor_s + residual / pps
    big = (ticks > 2**53) | (ticks < -(2**53))
    if big.any():
        fixable = (residual != 0) & (np.abs(floor_s) < 2**52)  # every element, as pandas does once one is big
        floor_f = floor_s.astype(np.float64)
        on_floor = fixable & (result == floor_f)
        on_ceil = fixable & (result == floor_f + 1.0)
        up, down = np.flatnonzero(on_floor), np.flatnonzero(on_ceil)  # few: nudge only those
        result[up] = np.nextafter(result[up], result[up] + 1.0)
        result[down] = np.nextafter(result[down], result[down] - 1.0)
    result[np.isnat(delta)] = np.nan
    return result


def _codes_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of text values numbered in code-point order of the distinct values (hash, then sort the few)."""
    codes, uniques = pd.factorize(values)
    uniques = np.asarray(uniques, dtype=object)
    order = sorted(range(len(uniques)), key=uniques.__getitem__)
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(uniques), dtype=np.int64)
    return rank[codes], uniques[np.asarray(order, dtype=np.int64)] if len(order) else uniques


def _prepared_codes(prep: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of the backups of prepared runs and the ids they number (in code-point order)."""
    col = prep["backup"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy().astype(np.int64), np.asarray(col.cat.categories, dtype=object)
    return _codes_sorted(col.to_numpy(object))


def _stable_order(major: np.ndarray, minor: np.ndarray) -> np.ndarray:
    """``np.lexsort((minor, major))`` (stable: earlier rows first on ties) for small non-negative integer ``major``
    and date-times ``minor`` without NaT: one stable sort of a packed integer key where both fit in 62 bits (the
    times counted in their greatest common step from the earliest), else the lexsort."""
    n = len(major)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    t = minor.view(np.int64)
    if not np.isnat(minor).any() and major.min() >= 0 and int(t.max()) - int(t.min()) < 2**62:
        rel = t - t.min()
        step = int(np.gcd.reduce(rel)) or 1
        rel //= step
        bits = int(rel.max()).bit_length()
        if bits + int(major.max()).bit_length() <= 62:
            return np.argsort((major.astype(np.int64) << bits) | rel, kind="stable")
    return np.lexsort((minor, major))


def recovery_points(runs: pd.DataFrame, as_of: dt.date, protects: Mapping[str, str], *, prepared: bool = False,
                    schedule_hours: Mapping[str, float] | None = None,
                    retention_days: Mapping[str, float] | None = None, spans: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per asset, its newest recovery point and its worst data-loss window over the complete history (vectorised).

    A completed run's recovery point is its start (the data it copied is as
    of then); it can be used from its finish (its start when the finish is
    unknown). At any moment the data a failure would lose runs back to the
    newest point usable then, whichever backup of the asset made it, so the
    asset's **data-loss window** is the longest time between a point
    becoming usable and the newest point usable before it, or from the
    newest point to the start of the ``as_of`` day (the trailing window).

    Windows are judged from ``history_from``: the latest start of the
    complete part of any of the asset's backups' histories (exports reach
    back different distances, a backup is added later, a prune policy thins
    the older part: ``history.spans``), and not before the retention horizon
    when every backup of the asset has one (runs older than the longest
    retention are pruned, not missed). A point before ``history_from``
    starts no window.

    Returns columns ``last_point_at``, ``last_point_backup``,
    ``last_point_age_hours`` (from the start of the ``as_of`` day, at least
    0), ``history_from``, ``worst_gap_hours``, ``worst_gap_from`` (the
    recovery point the window starts at) and ``worst_from_backup``,
    ``worst_gap_to`` (the moment the next point became usable; ``NaT`` for
    the trailing window, which runs to ``as_of``), ``worst_to_backup`` and
    ``worst_to_started`` (that point's backup and start), and
    ``worst_late`` (a tuple of ``(backup, started, finished)`` of the runs
    that started inside the window but became usable only after it: the long
    full that left the window open), indexed by asset.

    Columnar throughout: assets and backups are integer codes (numbered in
    the order of their ids), every step one sort or a segment reduction over
    numpy arrays. ``spans`` is ``history.spans`` of the same runs when the
    caller has it already.
    """
    now = assessment_time(as_of)
    prep = runs if prepared else _prepare_runs(runs, _cutoff(as_of))
    cols = ["last_point_at", "last_point_backup", "last_point_age_hours", "history_from", "worst_gap_hours",
            "worst_gap_from", "worst_from_backup", "worst_gap_to", "worst_to_backup", "worst_to_started", "worst_late"]
    protects = dict(protects)
    backup_codes, backup_ids = _prepared_codes(prep)
    owner_of_code = np.array([protects.get(b) for b in backup_ids], dtype=object)
    has_owner = np.array([o is not None and not (isinstance(o, float) and math.isnan(o)) for o in owner_of_code], dtype=bool)
    completed = prep["completed"].to_numpy(bool)
    keep = completed & has_owner[backup_codes] if len(backup_codes) else np.zeros(0, dtype=bool)
    if not keep.any():
        return pd.DataFrame(columns=cols, index=pd.Index([], name="asset", dtype=object))
    span = spans if spans is not None else history.spans(prep, as_of, schedule_hours, retention_days)
    # the assets, numbered in id order; the window each is judged from
    owned = [str(o) for o in owner_of_code[has_owner]]
    asset_ids = np.array(sorted(set(owned)), dtype=object)
    asset_code_of = {a: i for i, a in enumerate(asset_ids)}
    span_dense = span["dense_from"].to_dict()
    span_horizon = span["horizon"].to_dict()
    dense_from: dict[int, pd.Timestamp] = {}
    horizon: dict[int, object] = {}
    for b, has in zip(backup_ids, has_owner):
        if not has or b not in span_dense:
            continue
        k = asset_code_of[str(protects[b])]
        d, h = span_dense[b], span_horizon[b]
        if not pd.isna(d) and (k not in dense_from or d > dense_from[k]):
            dense_from[k] = d
        if pd.isna(h) or horizon.get(k, 0) is None:
            horizon[k] = None  # a backup of the asset keeps everything: no horizon for the asset
        elif k not in horizon or h < horizon[k]:
            horizon[k] = h
    window = np.full(len(asset_ids), np.datetime64("NaT"), dtype="datetime64[ns]")
    for k in range(len(asset_ids)):
        got = [t for t in (dense_from.get(k), horizon.get(k)) if t is not None and not pd.isna(t)]
        if got:
            window[k] = np.datetime64(max(got).as_unit("ns").value, "ns")
    asset_of_code = np.array([asset_code_of[str(o)] if h else -1 for o, h in zip(owner_of_code, has_owner)], dtype=np.int64)

    # the completed runs of owned backups, a block of assets at a time (an asset's windows read only its own runs)
    started_col = prep["started_at"].to_numpy()
    finished_col = prep["finished_at"].to_numpy()
    now64 = now.to_datetime64()
    rows = np.flatnonzero(keep)
    asset_of_row = asset_of_code[backup_codes[rows]]
    ends = np.cumsum(np.bincount(asset_of_row, minlength=len(asset_ids)))
    cuts = [0]
    while cuts[-1] < len(asset_ids):
        done = int(ends[cuts[-1] - 1]) if cuts[-1] else 0
        cuts.append(min(len(asset_ids), max(cuts[-1] + 1, int(np.searchsorted(ends, done + history._BLOCK_ROWS, "right")))))
    parts = []
    for a0, a1 in zip(cuts[:-1], cuts[1:]):
        sel = rows if len(cuts) == 2 else rows[(asset_of_row >= a0) & (asset_of_row < a1)]
        if len(sel):
            parts.append(_points_block(sel, backup_codes, backup_ids, asset_of_code, window, started_col, finished_col,
                                       now64))
    present, last_at, last_backup, last_age, worst_hours, worst_from, worst_from_b, worst_to, worst_to_b, \
        worst_to_started = (np.concatenate([p[i] for p in parts]) for i in range(10))
    late = {a: v for p in parts for a, v in p[10].items()}

    index = pd.Index(asset_ids[present], name="asset", dtype=object)
    unit = started_col.dtype
    out = pd.DataFrame({
        "last_point_at": pd.Series(last_at.astype(unit), index=index),
        "last_point_backup": pd.Series(last_backup, index=index, dtype=object),
        "last_point_age_hours": pd.Series(last_age, index=index, dtype=float),
        "history_from": pd.Series(window[present], index=index),
        "worst_gap_hours": pd.Series(worst_hours, index=index, dtype=float),
        "worst_gap_from": pd.Series(worst_from.astype(unit), index=index),
        "worst_from_backup": pd.Series(worst_from_b, index=index, dtype=object),
        "worst_gap_to": pd.Series(worst_to.astype(unit), index=index),
        "worst_to_backup": pd.Series(worst_to_b, index=index, dtype=object),
        "worst_to_started": pd.Series(worst_to_started.astype(unit), index=index),
        "worst_late": pd.Series([tuple(late.get(int(a), ())) for a in present], index=index, dtype=object),
    })
    return out[cols]


def _points_block(rows: np.ndarray, backup_codes: np.ndarray, backup_ids: np.ndarray, asset_of_code: np.ndarray,
                  window: np.ndarray, started_col: np.ndarray, finished_col: np.ndarray, now64) -> tuple:
    """``recovery_points``' columns for the assets of some completed runs (``rows`` of the prepared runs: every
    completed run of those assets), as arrays in asset order, and their late runs."""
    # sorted by (asset, start, backup) keeping the file order on ties
    bcode = backup_codes[rows]
    acode = asset_of_code[bcode]
    started = started_col[rows]
    finished = finished_col[rows]
    usable = np.where(np.isnat(finished), started, finished)
    # the rows are in (backup, start, file) order: a stable sort by (asset, start) is the lexsort by (asset, start,
    # backup) keeping the file order on ties
    order = _stable_order(acode, started)
    bcode, acode, started, usable = bcode[order], acode[order], started[order], usable[order]
    n = len(acode)
    is_last = np.ones(n, dtype=bool)
    is_last[:-1] = acode[1:] != acode[:-1]
    present = acode[is_last]  # the assets with a completed run, in order
    last_at = started[is_last]
    last_backup = backup_ids[bcode[is_last]]
    last_age = np.clip(_seconds(now64 - last_at) / 3600.0, 0, None)

    # judged points, in the order they become usable: the newest point usable before each one
    win = window[acode]
    judged = ~np.isnat(win) & (started >= win)
    ja, jb, js, ju = acode[judged], bcode[judged], started[judged], usable[judged]
    jorder = _stable_order(ja, ju)  # stable on the (asset, start, backup) order before it
    ja, jb, js, ju = ja[jorder], jb[jorder], js[jorder], ju[jorder]
    m = len(ja)
    first = np.ones(m, dtype=bool)
    first[1:] = ja[1:] != ja[:-1]
    sval = js.view(np.int64)
    best = pd.Series(sval).groupby(ja).cummax().to_numpy(np.int64) if m else np.zeros(0, dtype=np.int64)
    pos = np.arange(m)
    at_best = np.where(sval == best, pos, -1)
    at_best = np.maximum.accumulate(at_best) if m else at_best  # each group's first row is at its best: no carry-over
    improving = np.zeros(m, dtype=bool)
    improving[1:] = ~first[1:] & (sval[1:] > best[:-1])
    idx = np.nonzero(improving)[0]
    prev_best = best[idx - 1].view(started.dtype)
    src = at_best[idx - 1]
    gap_asset = ja[idx]
    gap_hours = _seconds(ju[idx] - prev_best) / 3600.0
    gap_from, gap_from_b = prev_best, jb[src]
    gap_to, gap_to_b, gap_to_started = ju[idx], jb[idx], js[idx]

    # the worst window per asset: the longest; ties: the earliest start, then gaps before the trailing window
    # (segment reductions over the gaps, which come in asset order, and one trailing window per present asset)
    k = len(idx)
    top = np.iinfo(np.int64).max
    longest = last_age.copy()
    earliest = np.full(len(present), top, dtype=np.int64)  # the earliest start among the asset's longest gaps
    first_gap = np.zeros(len(present), dtype=np.int64)
    if k:
        slot = np.searchsorted(present, gap_asset)  # the gap's asset among the present ones
        heads = np.flatnonzero(np.concatenate([[True], slot[1:] != slot[:-1]]))
        seg = slot[heads]
        longest[seg] = np.maximum(longest[seg], np.maximum.reduceat(gap_hours, heads))
        from_i = gap_from.view(np.int64)
        eligible = gap_hours == longest[slot]
        earliest[seg] = np.minimum.reduceat(np.where(eligible, from_i, top), heads)
        first = eligible & (from_i == earliest[slot])
        first_gap[seg] = np.minimum.reduceat(np.where(first, np.arange(k), k), heads)
    trailing_wins = (last_age == longest) & (last_at.view(np.int64) < earliest)
    gap_pick = ~trailing_wins
    gi = np.where(gap_pick, first_gap, 0)
    ti = np.where(gap_pick, 0, np.arange(len(present)))
    nat = np.datetime64("NaT", "ns")
    worst_from = np.where(gap_pick, gap_from[gi] if k else nat, last_at[ti])
    worst_from_b = np.where(gap_pick, backup_ids[gap_from_b[gi]] if k else None, last_backup[ti])
    worst_to = np.where(gap_pick, gap_to[gi] if k else nat, nat)
    worst_to_b = np.where(gap_pick, backup_ids[gap_to_b[gi]] if k else None, None)
    worst_to_started = np.where(gap_pick, gap_to_started[gi] if k else nat, nat)

    # the runs that started inside the worst window but were usable only after it
    to_full = np.full(len(window), nat, dtype=started.dtype)
    from_full = np.full(len(window), nat, dtype=started.dtype)
    to_full[present] = worst_to
    from_full[present] = worst_from
    t_lo, t_hi = from_full[acode], to_full[acode]
    late_mask = ~np.isnat(t_hi) & (started > t_lo) & (started < t_hi) & (usable > t_hi)
    late: dict[int, list] = {}
    for a, b, s, u in zip(acode[late_mask], bcode[late_mask], started[late_mask], usable[late_mask]):
        late.setdefault(int(a), []).append((backup_ids[b], pd.Timestamp(s), pd.Timestamp(u)))

    return (present, last_at, last_backup, last_age, np.where(gap_pick, gap_hours[gi] if k else np.nan, last_age[ti]),
            worst_from, worst_from_b, worst_to, worst_to_b, worst_to_started, late)


def _stamp(x) -> str | None:
    """A timestamp as ``YYYY-MM-DDTHH:MM`` (None for NaT/None)."""
    if type(x) is pd.Timestamp:  # the summaries' rows hold these: no second wrapping
        return x.isoformat(timespec="minutes")
    return None if x is None or pd.isna(x) else pd.Timestamp(x).isoformat(timespec="minutes")


def _rpo_checks(model, rpo: Mapping[str, float | None], summary: pd.DataFrame, points: pd.DataFrame,
                expectation: Mapping[str, str] | None = None, as_of: dt.date | None = None) -> dict[str, RpoCheck]:
    """One RpoCheck per protected asset that has an RPO and backups.

    ``expectation`` maps a backup without runs to ``by_design`` or
    ``not_collected`` (judged by its schedule) or ``missing`` (runs expected
    but none recorded: not credited); see ``_run_expectations``.
    """
    return _rpo_check_map(model, rpo, summary["interval_hours"].to_dict(), summary["first_run_at"].to_dict(),
                          points.to_dict("index"), expectation, as_of, model.assets)


def _rpo_check_map(model, rpo: Mapping[str, float | None], interval_of: Mapping, first_run_of: Mapping,
                   point_rows: Mapping, expectation: Mapping[str, str] | None, as_of: dt.date | None,
                   assets) -> dict[str, RpoCheck]:
    """``_rpo_checks`` of some assets, from the summaries read as dicts (backup -> interval and first run,
    asset -> recovery-point row)."""
    expectation = expectation or {}
    out = {}
    for asset in sorted(assets):
        objective = rpo.get(asset)
        backups = sorted(model.backups_of.get(asset, ()))
        if objective is None or not backups:
            continue
        limit = objective * (1 + RPO_GRACE) + 1e-9
        intervals = []
        for b in backups:
            declared = model.backup[b].schedule_hours
            if declared:
                intervals.append((b, float(declared), "schedule"))
            elif b in interval_of and _num(interval_of[b]) is not None:
                intervals.append((b, float(interval_of[b]), "inferred"))
            else:
                intervals.append((b, None, "unknown"))
        if any(h is not None and h <= limit for _, h, _ in intervals):
            meets = True
        elif any(h is None for _, h, _ in intervals):
            meets = None
        else:
            meets = False
        scheduled = tuple((b, h) for b, h, _ in intervals
                          if h is not None and expectation.get(b) in ("by_design", "not_collected"))
        kw: dict = {"scheduled": scheduled}
        best_scheduled = min((h for _, h in scheduled), default=None)
        p = point_rows.get(asset)
        if p is not None:
            kw.update({
                "last_point_age_hours": _num(p["last_point_age_hours"]), "last_point_backup": p["last_point_backup"],
                "last_point_at": _stamp(p["last_point_at"]), "history_from": _stamp(p["history_from"]),
                "worst_gap_hours": _num(p["worst_gap_hours"]), "worst_gap_from": _stamp(p["worst_gap_from"]),
                "worst_gap_to": _stamp(p["worst_gap_to"]), "worst_from_backup": p["worst_from_backup"],
                "worst_to_backup": p["worst_to_backup"] if isinstance(p["worst_to_backup"], str) else None,
                "worst_to_started": _stamp(p["worst_to_started"]),
                "worst_late": tuple((b, _stamp(st_), _stamp(f)) for b, st_, f in p["worst_late"]),
            })
            window = kw["worst_gap_hours"]
            if best_scheduled is not None and (window is None or best_scheduled < window):
                kw.update(window_hours=best_scheduled, window_basis="schedule")
            else:
                kw.update(window_hours=window, window_basis="history" if window is not None else "unknown")
        elif as_of is not None and any(b in first_run_of for b in backups):
            # runs recorded, none completed: no recovery point in the whole recorded history
            first = min(first_run_of[b] for b in backups if b in first_run_of)
            age = max(0.0, (assessment_time(as_of) - first).total_seconds() / 3600.0)
            kw.update(last_point_age_hours=age, worst_gap_hours=age, history_from=_stamp(first), worst_gap_from=_stamp(first))
            if best_scheduled is not None and best_scheduled < age:
                kw.update(window_hours=best_scheduled, window_basis="schedule")
            else:
                kw.update(window_hours=age, window_basis="history")
        else:
            best = min((h for _, h, _ in intervals if h is not None), default=None)
            kw.update(window_hours=best, window_basis="schedule" if best is not None else "unknown")
        out[asset] = RpoCheck(asset, float(objective), tuple(intervals), meets, **kw)
    return out


def _window_sentence(check: RpoCheck, as_of: dt.date) -> str:
    """The worst data-loss window with its dates and the backups involved."""
    if check.worst_gap_to is None:
        return (f"{_hours(check.worst_gap_hours)} from the recovery point of {check.worst_gap_from} "
                f"({check.worst_from_backup}) to the start of {as_of.isoformat()}, with no newer one")
    text = (f"{_hours(check.worst_gap_hours)} from the recovery point of {check.worst_gap_from} "
            f"({check.worst_from_backup}) until the next one, {check.worst_to_backup}'s run started "
            f"{check.worst_to_started}, became usable at {check.worst_gap_to}")
    if check.worst_late:
        text += "; " + "; ".join(f"{b}'s run started {st_} was usable only at {f}" for b, st_, f in check.worst_late)
    return text


def _rpo_severity(check: RpoCheck, tier: int | None, asset_score: float | None) -> str | None:
    """The severity of an asset's RPO finding (see ``_rpo_finding``), None when the RPO is met."""
    if check.met:
        return None
    if check.schedule_gap:
        return "critical" if tier == 1 else "high"
    if check.window_basis == "schedule":
        return "medium"
    if check.stale:
        return "critical" if tier == 1 and (asset_score or 0) >= 50 else "high"
    return "high" if check.worst_gap_hours > 2 * check.limit_hours and tier == 1 else "medium"


def _rpo_finding(check: RpoCheck, tier: int | None, as_of: dt.date,
                 completed_age: Mapping[str, float | None] | None = None, asset_score: float | None = None) -> Finding | None:
    """The one RPO finding of an asset whose data-loss window exceeds its RPO (with the 5% grace).

    Severity: a schedule that cannot meet the RPO is high (critical for tier
    1); a newest recovery point older than the RPO is high (critical for
    tier 1 when the asset's best backup scores 50 or more, as for the
    backup findings it absorbs); only a past window is medium (high for tier 1
    when over twice the RPO). The evidence names the worst window, its dates
    and the backups involved.
    """
    if check.met:
        return None
    a, rpo = check.asset, _hours(check.rpo_hours)
    known = [(b, h, basis) for b, h, basis in check.intervals if h is not None]
    fastest = min(known, key=lambda x: (x[1], x[0])) if known else None
    evidence, remedies = [], []
    if check.window_basis == "schedule":
        listing = "; ".join(f"{b} every {_hours(h)}" for b, h, _ in check.intervals if h is not None)
        why = ("no backup of it has a job history, so it" if check.worst_gap_hours is None
               else "its job history is no better, and it")
        evidence.append(f"The data-loss window of {a} is {_hours(check.window_hours)}: {why} is judged by its best "
                        f"schedule ({listing}), over the RPO of {rpo}.")
    if check.schedule_gap and fastest is not None:
        listing = "; ".join(f"{b} every {_hours(h)}" + (" (inferred from its runs)" if basis == "inferred" else "")
                            for b, h, basis in check.intervals)
        if check.window_basis != "schedule":
            evidence.append(f"No backup of {a} runs often enough for its RPO of {rpo}: {listing}. Up to "
                            f"{_hours(fastest[1])} of changes can be lost, {_hours(fastest[1] - check.rpo_hours)} more "
                            f"than agreed.")
        remedies.append(f"take a recovery point of {a} at least every {rpo} (more frequent runs of {fastest[0]}, or "
                        f"incremental, log or snapshot copies between them), or agree an RPO of {_hours(fastest[1])} "
                        f"with the owner of {a}")
    elif check.window_basis == "schedule":
        remedies.append(f"record the job history of the backups of {a}, or schedule one at least every {rpo}")
    if check.stale:
        if check.last_point_backup is None:
            evidence.append(f"No run of any backup of {a} completed in its recorded history "
                            f"({_hours(check.last_point_age_hours)} before the start of {as_of.isoformat()}).")
        else:
            evidence.append(f"The newest completed copy of {a} ({check.last_point_backup}, started {check.last_point_at}) "
                            f"was {_hours(check.last_point_age_hours)} old at the start of {as_of.isoformat()}, over the "
                            f"RPO of {rpo}.")
        ages = completed_age or {}
        evidence.append("Last completed run of each backup: " + "; ".join(
            f"{b} {_hours(ages.get(b)) + ' before' if ages.get(b) is not None else 'none recorded'}"
            for b, _, _ in check.intervals) + ".")
        remedies.append(f"find why no backup of {a} has completed since and get one to complete now")
    if check.gap and not (check.stale and check.worst_gap_to is None):  # a trailing worst window is the stale point
        evidence.append(f"The longest data-loss window of {a} since {check.history_from} (the complete job history of "
                        f"every backup of {a} starts then) was " + _window_sentence(check, as_of)
                        + f": a failure just before it closed would have lost more than the RPO of {rpo}.")
        if check.worst_late:
            remedies.append(f"make the recovery point of {a} usable sooner (a long full run leaves the window open "
                            f"until it finishes: keep a shorter copy running beside it, or schedule it where the "
                            f"other copies cover it)")
        if not check.schedule_gap and not check.stale:
            remedies.append(f"alert when no backup of {a} has completed within {rpo}, so a missed or failed run is "
                            f"caught before the RPO is exceeded")
    if check.scheduled:
        evidence.append("Judged by schedule (no job history by design, or none collected): " + "; ".join(
            f"{b} every {_hours(h)}" for b, h in check.scheduled) + ".")
    severity = _rpo_severity(check, tier, asset_score)
    if check.schedule_gap:
        title = f"{a} cannot meet its RPO of {rpo}: its most frequent backup runs every {_hours(fastest[1])}"
    elif check.window_basis == "schedule":
        title = f"{a} cannot show its RPO of {rpo} met: its data-loss window is {_hours(check.window_hours)} by schedule"
    elif check.stale:
        title = f"The newest recovery point of {a} is {_hours(check.last_point_age_hours)} old, over its RPO of {rpo}"
    else:
        title = f"{a} went {_hours(check.worst_gap_hours)} without a new recovery point, over its RPO of {rpo}"
    return Finding(
        id=f"silent_failure:rpo:{a}", category="silent_failure", severity=severity, title=title, assets=(a,),
        components=tuple(b for b, _, _ in check.intervals), evidence=" ".join(evidence),
        recommendation=f"For {a}: " + "; ".join(remedies) + ".",
    )


# -- the entry point ---------------------------------------------------------------------


def _num(x) -> float | None:
    """A float or None for NaN/NA."""
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _memoised(memo: dict | None, name: str, frames: tuple, args: tuple, compute):
    """``compute()``, or its earlier result for the same frames (by identity) and arguments when ``memo`` is a dict.

    The memo keeps the frames it was computed from, so an id is never reused
    while cached; the summaries are pure functions of their inputs, and
    inventories are never modified in place (``whatif.apply`` returns new ones).
    """
    if memo is None:
        return compute()
    key = (name, tuple(id(f) for f in frames), args)
    hit = memo.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], frames)):
        return hit[1]
    value = compute()
    memo[key] = (frames, value)
    return value


def _cached(memo: Mapping, name: str, frames: tuple, args: tuple):
    """What ``_memoised`` holds for these frames and arguments, or None (nothing is computed)."""
    hit = memo.get((name, tuple(id(f) for f in frames), args))
    return hit[1] if hit is not None and all(a is b for a, b in zip(hit[0], frames)) else None


#: the ``score`` memo's entries read from the job history and restore tables (by ``_memoised`` name), and those
#: read from these entries' own results (the summaries' rows as dicts)
_TABLE_ENTRIES = ("run-ids", "test-ids", "prepared", "spans", "runs", "typed", "tests", "points")
_ROW_ENTRIES = ("test-rows", "run-rows", "point-rows")


def history_memo(memo: Mapping, inventory) -> dict:
    """The entries of ``memo`` (given to :func:`score`) computed from ``inventory``'s own job history and restore
    tests: the summaries a scoring of any variant with the same tables reads instead of computing them again.

    What else the memo holds (the fix search's variants' tables and results) is left out, so a caller can let
    the rest go and keep these (the remediation plan re-scores its steps and end state from them). The
    entries are keyed by the tables they were computed from and every argument they read, so a variant whose
    tables or backup settings differ simply does not find them.
    """
    runs, tests = inventory.backup_runs, inventory.restore_tests

    def named(k, names: tuple[str, ...]) -> bool:
        return isinstance(k, tuple) and len(k) == 3 and k[0] in names

    out = {k: v for k, v in memo.items()
           if named(k, _TABLE_ENTRIES) and all(f is runs or f is tests for f in v[0])}
    results = {id(v[1]) for v in out.values()}  # alive in ``out``: their ids are theirs
    out.update({k: v for k, v in memo.items() if named(k, _ROW_ENTRIES) and all(id(f) in results for f in v[0])})
    return out


def history_export(memo: Mapping, inventory) -> list[tuple]:
    """The summaries of :func:`history_memo` (not the prepared runs, nor the rows read from the summaries) in a form
    that pickles without the inventory's tables: ``(name, tables, arguments, value)``, ``tables`` the names of
    the tables an entry was computed from (``runs``, ``tests``).

    Why: a scoring in a forked process hands its summaries back in a few megabytes (the prepared runs of a large
    job history are gigabytes, and a scoring that finds the summaries does not read them); see
    :func:`history_import`.
    """
    runs = inventory.backup_runs
    return [(name, tuple("runs" if f is runs else "tests" for f in frames), args, value)
            for (name, _, args), (frames, value) in history_memo(memo, inventory).items()
            if name in _TABLE_ENTRIES and name != "prepared"]


def history_import(entries: Sequence[tuple], inventory) -> dict:
    """The memo entries of :func:`history_export`'s ``entries``, keyed by ``inventory``'s own tables (the ones they
    were computed from, in this process)."""
    tables = {"runs": inventory.backup_runs, "tests": inventory.restore_tests}
    out = {}
    for name, names, args, value in entries:
        frames = tuple(tables[n] for n in names)
        out[(name, tuple(id(f) for f in frames), args)] = (frames, value)
    return out


#: a backup scheduled more often than this (hours) with no runs is a continuous copy (log shipping,
#: point-in-time recovery): it keeps no job history by design
CONTINUOUS_HOURS = 1.0


def _tools(model, b: str) -> tuple[str, ...]:
    """What writes a backup's job history: its recovery tools, else its backup stores (direct rows, sorted)."""
    succ = sorted(model.adjacency.succ[b]) if b in model.adjacency else []
    tools = tuple(t for t in succ if model.kind.get(t) == "recovery_tool")
    return tools or tuple(t for t in succ if model.kind.get(t) == "backup_store")


def _run_expectations(model, logged: Collection[str], have_history: bool) -> dict[str, tuple[str, str]]:
    """For each backup without runs: whether runs are expected of it, and the sentence that says why.

    ``by_design``: a replica, or a continuous copy (``schedule_hours`` under
    ``CONTINUOUS_HOURS``), keeps no job history. ``missing``: it has a
    schedule and another backup of its tool (a recovery tool, else a backup
    store it has a row on; with neither, any backup) has runs, so the tool's
    history was collected and this one is absent from it. ``not_collected``
    otherwise: no history of its tool was collected (Velero schedules known
    only from manifests), the inventory holds none at all, or it has no
    schedule to expect runs by. The last two are judged by their schedule.
    """
    logged = set(logged)
    by_tool = _logged_per_tool(model, logged)
    return {b: _run_expectation(model, b, by_tool, have_history) for b in sorted(model.backup) if b not in logged}


def _logged_per_tool(model, logged: Collection[str]) -> dict[str, int]:
    """How many backups with runs (``logged``) each recovery tool or backup store writes the history of."""
    by_tool: dict[str, int] = {}
    for b in logged:
        if b in model.backup:
            for t in _tools(model, b):
                by_tool[t] = by_tool.get(t, 0) + 1
    return by_tool


def _run_expectation(model, b: str, by_tool: Mapping[str, int], have_history: bool) -> tuple[str, str]:
    """``_run_expectations`` of one backup without runs (``by_tool``: ``_logged_per_tool``)."""
    info = model.backup[b]
    tools = _tools(model, b)
    judged = "it is judged by its schedule" + (f" (every {_hours(info.schedule_hours)})" if info.schedule_hours else "")
    if info.method == "replica":
        return ("by_design", f"{b} is a replica, which keeps no job history of restore points; {judged}.")
    if info.schedule_hours is not None and info.schedule_hours < CONTINUOUS_HOURS:
        return ("by_design", f"{b} is a continuous copy (every {_fmt(info.schedule_hours * 60)} minutes, as "
                f"point-in-time recovery or log shipping), which keeps no job history; {judged}.")
    if not have_history:
        return ("not_collected", "")
    if info.schedule_hours is None:
        return ("not_collected", f"no run of {b} is recorded and it has no schedule to expect runs by, so its "
                "completion cannot be checked.")
    if any(by_tool.get(t) for t in tools) or not tools:
        peers = _and([t for t in tools if by_tool.get(t)]) if tools else ""
        return ("missing", f"no run of {b} is recorded in the job history" +
                (f", while other backups of {peers} have runs" if peers else ", while other backups have runs") +
                ": it may never have run, or its runs were left out of the export (an evidence gap to close).")
    return ("not_collected", f"no job history of {_and(list(tools))} was collected (none of its backups has "
            f"runs in the inventory), so the completion of {b} cannot be checked; {judged}.")


def _backup_score(model, down: _DownCache, b: str, reference: Mapping, rpo: Mapping, test_rows: Mapping,
                  run_rows: Mapping, expected: Mapping, typed: Collection[str]) -> tuple[BackupScore, str | None]:
    """One backup's score from the summaries' rows, and the component its alert-coupling sentence names (or None)."""
    info = model.backup[b]
    a = info.protects
    kw: dict = {"backup": b, "asset": a, "verification": info.verification,
                "replica": info.method == "replica", "alert_channel": info.alert_channel,
                "reference_gb": reference[b]}
    t = test_rows.get(b)
    if t is not None:
        kw.update(restore_tests=int(t["tests"]), last_pass_age_days=_num(t["last_pass_age_days"]),
                  fresh_pass=bool(t["fresh_pass"]), fresh_full_pass=bool(t["fresh_full_pass"]),
                  last_result=t["last_result"], last_tested_at=t["last_tested_at"].date().isoformat())
    s = run_rows.get(b)
    if s is not None:
        interval = _num(s["interval_hours"])
        limits = []
        if interval:
            limits.append((2 * interval, "twice the " + ("inferred interval" if s["interval_inferred"] else "schedule")))
        if rpo.get(a) is not None and (interval is None or interval <= rpo[a]):
            # the RPO judges backups scheduled to meet it; a weekly copy of an asset with a
            # 24 h RPO is judged by its own schedule (the mismatch is a design gap, not silence)
            limits.append((rpo[a], f"the RPO of {a}"))
        limit = min(limits, key=lambda x: x[0]) if limits else (None, "")
        collapse = bool(s["collapse"])
        kw.update(history="some", runs=int(s["runs"]), completed=int(s["completed"]),
                  last_success_age_hours=_num(s["last_completed_age_hours"]),
                  success_threshold_hours=limit[0], threshold_basis=limit[1],
                  missed_runs=int(s["missed_runs"]), interval_hours=interval,
                  interval_inferred=bool(s["interval_inferred"]),
                  streak_runs=int(s["streak_runs"]), streak_weight=float(s["streak_weight"]),
                  last_size_gb=_num(s["last_size_gb"]),
                  tiny=bool(s["tiny"]), tiny_size_gb=_num(s["tiny_size_gb"]),
                  tiny_run=s["tiny_run"] if bool(s["tiny"]) else "",
                  chain_median_gb=_num(s["chain_median_gb"]), typed=b in typed,
                  collapse=collapse,
                  size_median_gb=_num(s["collapse_median_gb"] if collapse else s["size_median_gb"]),
                  collapse_size_gb=_num(s["collapse_size_gb"]), collapse_run=s["collapse_run"] if collapse else "",
                  duration_anomaly=bool(s["duration_anomaly"]),
                  last_duration_hours=_num(s["last_duration_hours"]),
                  duration_median_hours=_num(s["duration_median_hours"]))
    else:
        state, note = expected[b]
        kw["history"] = {"missing": "none", "not_collected": "unknown", "by_design": "by_design"}[state]
        kw["history_note"] = note
    named = None
    if not info.alert_channel:
        kw["alert"] = "none"
    else:
        causes, text = _alert_coupling(model, down, b, a, info.alert_channel)
        if causes:
            kw.update(alert="coupled", alert_detail=text)
            named = causes[0]
    measures = Evidence(**kw)
    factors = factors_from_evidence(measures)
    return BackupScore(b, a, _total(factors), factors, measures), named


@dataclass
class _Basis:
    """What one ``score`` was computed from, kept so that a variant of the inventory is re-scored where it differs.

    See ``rescore``: the rows of the summaries, the down-set cache, and per
    backup the component its alert-coupling sentence names (its dependency
    paths end there).
    """

    inventory: object
    model: object
    down: _DownCache
    rpo: dict
    location: dict
    reference: dict
    test_rows: dict
    run_rows: dict
    point_rows: dict
    expected: dict
    typed: frozenset
    #: the prepared runs (the memo holds them anyway)
    prepared: pd.DataFrame | None
    named: dict
    scores: dict
    rules: dict
    checks: dict
    #: what ``rescore_assets`` derives from the basis once (tiers, history counts per tool), by name
    derived: dict = field(default_factory=dict)


def _finish(inventory, model, scores: list[BackupScore], rules: dict, rpo_checks: dict, run_rows: Mapping,
            run_source: tuple, tests: pd.DataFrame, basis: _Basis | None) -> SilentResult:
    """The result from the per-backup scores, the 3-2-1-1-0 checks and the RPO checks: asset scores and findings."""
    as_of = inventory.meta.as_of
    comps = inventory.components
    asset_scores = _asset_scores(scores, model)
    tier = _tiers(comps)
    completed_age = {s.id: _num(run_rows[s.id]["last_completed_age_hours"]) if s.id in run_rows else None for s in scores}
    rpo_findings = [f for a, c in rpo_checks.items()
                    if (f := _rpo_finding(c, tier.get(a), as_of, completed_age, asset_scores.get(a))) is not None]
    # an asset whose newest copy is older than its RPO: its backups' stale and missed runs are that one story
    folded = {a: frozenset({"last_success_age", "missed_runs"}) for a, c in rpo_checks.items() if c.stale}
    return SilentResult(
        backups=scores,
        asset_scores=asset_scores,
        rule_32110=rules,
        findings=sort_findings(_findings(scores, asset_scores, rules, model, folded)
                               + ([consolidate("silent_failure:rpo", rpo_findings, _MANY_TITLES["rpo"])]
                                  if rpo_findings else [])),
        run_source=run_source,
        restore_tests=tests,
        rpo=rpo_checks,
        basis=basis,
    )


def _asset_scores(scores: list[BackupScore], model, assets: Sequence[str] | None = None) -> dict[str, float | None]:
    """An asset's best (lowest) backup score (of every asset, or of ``assets``)."""
    by_asset: dict[str, list[float]] = {}
    for s in scores:
        by_asset.setdefault(s.protects, []).append(s.score)
    return {a: min(by_asset[a]) if a in by_asset else None for a in (model.assets if assets is None else assets)}


def score(inventory, model, *, memo: dict | None = None, scores_only: bool = False) -> SilentResult:
    """Score every backup for silent failure and check 3-2-1-1-0 for every protected asset.

    Parameters
    ----------
    inventory : Inventory
        The loaded inventory (its ``as_of`` is the reference date of every age).
    model : Model
        ``model.build(inventory)``: used for the assets, the backups' settings
        and ``down({X})`` to find alert channels and backups sharing a cause.
    memo : dict, optional
        Shared by calls on variants of one inventory (the remediation
        roadmap scores hundreds): the job-history, restore-test and
        recovery-point summaries, which depend on the tables and the backups'
        settings only, are computed once per distinct input. Same result.
    scores_only : bool
        Stop after the backup and asset scores (``rule_32110``, ``rpo`` and
        ``findings`` left empty): the roadmap's risk measure reads nothing else.

    Returns
    -------
    SilentResult
        ``backups`` sorted by id, ``asset_scores`` (an asset's best, i.e.
        lowest, backup score), ``rule_32110`` per asset, ``findings``
        (category ``silent_failure``), ``restore_tests`` (the per-backup
        summary) and ``runs`` (every run with its anomaly flags, for
        timelines; computed when first read).

    Notes
    -----
    The score is ``min(100, sum of factor points)``; see
    ``factors_from_evidence`` for the factors and
    ``docs/silent-failure-scoring.md`` for the weights.
    """
    with collection_paused():
        return _score(inventory, model, memo, scores_only)


def _score(inventory, model, memo: dict | None, scores_only: bool) -> SilentResult:
    as_of = inventory.meta.as_of
    comps = inventory.components
    data_gb = {str(i): _num(v) for i, v in zip(comps["id"], comps["data_gb"])}
    rpo = {str(i): _num(v) for i, v in zip(comps["id"], comps["rpo_hours"])}
    backups = sorted(model.backup)
    reference = _references(model, data_gb)
    sched = {b: model.backup[b].schedule_hours for b in backups if model.backup[b].schedule_hours}
    keep = {b: model.backup[b].retention_days for b in backups if model.backup[b].retention_days}
    runs = inventory.backup_runs
    dumps = frozenset(b for b in backups if model.backup[b].method == "dump")  # a dump is a full copy every time
    ref_known = {b: r for b, r in reference.items() if r is not None}
    restore_tests = inventory.restore_tests
    # memo keys hold only the backups a table mentions: the summaries have one row per such backup and
    # read nothing else, so a variant that adds a backup without history still finds them
    in_runs = _memoised(memo, "run-ids", (runs,), (), lambda: frozenset(map(str, pd.unique(runs["backup"])))) if memo is not None else ()
    in_tests = (_memoised(memo, "test-ids", (restore_tests,), (), lambda: frozenset(map(str, restore_tests["backup"])))
                if memo is not None else ())

    def only(mapping, ids):
        return tuple(sorted((k, v) for k, v in mapping.items() if k in ids))

    full_key = (as_of, tuple(sorted(b for b in dumps if b in in_runs)))
    got: list = []

    def prepared():
        """The runs sorted once for the summary and the recovery points, prepared only when a summary is computed
        (a memo handed the summaries without them, ``history_export``, spares sorting the whole history)."""
        if not got:
            got.append(_memoised(memo, "prepared", (runs,), full_key, lambda: _prepare_runs(runs, _cutoff(as_of), dumps)))
        return got[0]

    span = _memoised(memo, "spans", (runs,), (full_key, only(sched, in_runs), only(keep, in_runs)),
                     lambda: history.spans(prepared(), as_of, sched, keep))
    summary = _memoised(memo, "runs", (runs,), (full_key, only(sched, in_runs), only(ref_known, in_runs), only(keep, in_runs)),
                        lambda: summarise_runs(prepared(), as_of, sched, ref_known, dumps, prepared=True, retention_days=keep,
                                               spans=span))
    typed = _memoised(memo, "typed", (runs,), (), lambda: _typed_backups(runs))
    tests = _memoised(memo, "tests", (restore_tests,), (as_of, only(reference, in_tests)),
                      lambda: summarise_restore_tests(restore_tests, as_of, reference))
    expected = _run_expectations(model, summary.index, len(runs) > 0)
    down = _DownCache(model)
    # the summaries' rows are read as dicts (pandas row access dominated the scoring)
    test_rows = _memoised(memo, "test-rows", (tests,), (), lambda: tests.to_dict("index"))
    run_rows = _memoised(memo, "run-rows", (summary,), (), lambda: summary.to_dict("index"))

    scores: list[BackupScore] = []
    named: dict[str, str | None] = {}
    for b in backups:
        s, named[b] = _backup_score(model, down, b, reference, rpo, test_rows, run_rows, expected, typed)
        scores.append(s)
    ref_by_backup = {b: r for b, r in reference.items() if r is not None}
    run_source = (runs, as_of, ref_by_backup, dumps)
    if scores_only:
        return SilentResult(backups=scores, asset_scores=_asset_scores(scores, model), rule_32110={}, findings=[],
                            run_source=run_source, restore_tests=tests, rpo={})
    rules = {a: _rule_32110(model, down, a, test_rows) for a in model.assets}  # rows as dicts, not .at lookups
    protects = {b: model.backup[b].protects for b in backups}
    points = _memoised(memo, "points", (runs,), (full_key, only(protects, in_runs), only(sched, in_runs), only(keep, in_runs)),
                       lambda: recovery_points(prepared(), as_of, protects, prepared=True, schedule_hours=sched,
                                               retention_days=keep, spans=span))
    point_rows = _memoised(memo, "point-rows", (points,), (), lambda: points.to_dict("index"))
    interval_of = {b: r["interval_hours"] for b, r in run_rows.items()}
    first_run_of = {b: r["first_run_at"] for b, r in run_rows.items()}
    states = {b: e[0] for b, e in expected.items()}
    rpo_checks = _rpo_check_map(model, rpo, interval_of, first_run_of, point_rows, states, as_of, model.assets)
    # kept for ``rescore`` only when a memo says variants will follow (it holds the rows and down sets alive)
    basis = None if memo is None else _Basis(
        inventory=inventory, model=model, down=down, rpo=rpo, location=_locations(comps), reference=reference,
        test_rows=test_rows, run_rows=run_rows, point_rows=point_rows, expected=expected, typed=typed,
        prepared=got[0] if got else _cached(memo, "prepared", (runs,), full_key), named=named, scores={s.id: s for s in scores}, rules=rules, checks=rpo_checks)
    return _finish(inventory, model, scores, rules, rpo_checks, run_rows, run_source, tests, basis)


def _references(model, data_gb: Mapping[str, float | None]) -> dict[str, float | None]:
    """What a full copy of each backup should hold: the asset's data, else the backup's own declared size."""
    reference = {}
    for b in sorted(model.backup):
        info = model.backup[b]
        ref = data_gb.get(info.protects)
        reference[b] = ref if ref is not None else info.size_gb
    return reference


def _typed_backups(runs: pd.DataFrame) -> frozenset:
    """The backups with some run that carries a type."""
    return frozenset(runs.loc[runs["type"].notna(), "backup"]) if "type" in runs.columns else frozenset()


def _tiers(comps: pd.DataFrame) -> dict[str, int | None]:
    return {str(i): (None if pd.isna(t) else int(t)) for i, t in zip(comps["id"], comps["tier"])}


def _locations(comps: pd.DataFrame) -> dict[str, str | None]:
    return {str(i): (None if pd.isna(v) else str(v)) for i, v in zip(comps["id"], comps["location"])}


# -- re-scoring a variant -----------------------------------------------------------------

#: kinds a variant may add and still be re-scored in part: they are no place, store or backup of the 3-2-1-1-0 check
_NEUTRAL_NEW_KINDS = frozenset(KINDS) - {"site", "region", "backup_store", "backup"}


def _same(a, b) -> bool:
    """Cells equal, missing values (None, NaN, NaT) equal to each other."""
    if isinstance(a, (str, tuple)) or isinstance(b, (str, tuple)):
        return a == b
    a_na = a is None or bool(pd.isna(a))
    b_na = b is None or bool(pd.isna(b))
    return a_na and b_na if (a_na or b_na) else bool(a == b)


def _same_row(a: Mapping | None, b: Mapping | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)


def _touched(basis: _Basis, inventory, model) -> tuple[set[str], set[str], dict] | None:
    """The backups and assets whose inputs differ between the basis and this variant, or None to score it whole.

    A variant is re-scored in part only while every old component keeps its
    rows (requirements, kind, data, RPO, tier, location) and dependency order,
    the job history is the same table, and what it adds are components of
    neutral kinds (``_NEUTRAL_NEW_KINDS``) with rows of their own: then the
    down set of every old component, restricted to old components, is
    unchanged, and so is every dependency path between old components except
    where a new component is a dependant (those paths are named, not reused).
    """
    old = basis.model
    base_inv = basis.inventory
    if inventory.meta.as_of != base_inv.meta.as_of or inventory.backup_runs is not base_inv.backup_runs:
        return None
    if set(model.backup) != set(old.backup) or model.assets != old.assets:
        return None
    new_ids = set(model.kind) - set(old.kind)
    if set(old.kind) - set(model.kind) or any(model.kind[c] not in _NEUTRAL_NEW_KINDS for c in new_ids):
        return None
    comps = inventory.components
    rpo = {str(i): _num(v) for i, v in zip(comps["id"], comps["rpo_hours"])}
    location = _locations(comps)
    g_old, g_new = old.adjacency, model.adjacency  # the dependency graphs' neighbours, in their order
    fed: set[str] = set()  # old components a new one depends on: their dependants changed
    for c in old.kind:
        if (model.kind[c] != old.kind[c] or model.requires[c] != old.requires[c] or model.groups[c] != old.groups[c]
                or not _same(model.data_gb[c], old.data_gb[c]) or model.tier[c] != old.tier[c]
                or not _same(rpo.get(c), basis.rpo.get(c)) or location.get(c) != basis.location.get(c)
                or list(g_new.succ[c]) != list(g_old.succ[c])):
            return None
        before, after = list(g_old.pred[c]), list(g_new.pred[c])
        if after != before:
            if after[:len(before)] != before or not new_ids.issuperset(after[len(before):]):
                return None
            fed.add(c)
    # dependency paths ending at a component a new dependant can reach are searched again
    reached = set(fed)
    for c in fed:
        reached |= _descendants(g_old, c)
    backups = {b for b in model.backup if model.backup[b] != old.backup[b] or model.backup[b].alert_channel in new_ids}
    backups |= {b for b, x in basis.named.items() if x is not None and x in reached}
    return backups, reached, {"rpo": rpo, "location": location}


def rescore(base: SilentResult, inventory, model, *, memo: dict | None = None) -> SilentResult:
    """``score(inventory, model, memo=memo)``, computed from ``base`` (a score of an earlier variant) where it differs.

    Only the backups whose inputs changed (their settings, restore tests, run
    expectation, or an alert-coupling sentence whose dependency paths a new
    component could change) are scored again, only their assets' 3-2-1-1-0
    and RPO checks and job-history rows are recomputed, and the findings are
    drawn from the whole result. Variants this cannot follow exactly (other
    job history, changed or removed components, new places or stores,
    changed requirements) are scored whole. The answer equals ``score``'s.
    """
    basis = base.basis
    found = _touched(basis, inventory, model) if basis is not None else None
    if found is None:
        return score(inventory, model, memo=memo)
    backups_touched, _, got = found
    old = basis.model
    as_of = inventory.meta.as_of
    comps = inventory.components
    rpo = got["rpo"]
    data_gb = {str(i): _num(v) for i, v in zip(comps["id"], comps["data_gb"])}
    reference = _references(model, data_gb)
    runs = inventory.backup_runs
    backups = sorted(model.backup)
    dumps = frozenset(b for b in backups if model.backup[b].method == "dump")
    old_dumps = frozenset(b for b in backups if old.backup[b].method == "dump")
    if dumps != old_dumps:
        return score(inventory, model, memo=memo)  # the runs' size classes change: prepare them again
    restore_tests = inventory.restore_tests
    if restore_tests is basis.inventory.restore_tests and reference == basis.reference:
        tests, test_rows = base.restore_tests, basis.test_rows
    else:
        tests = summarise_restore_tests(restore_tests, as_of, reference)
        test_rows = tests.to_dict("index")
        backups_touched |= {b for b in backups if not _same_row(test_rows.get(b), basis.test_rows.get(b))}
    expected = _run_expectations(model, basis.run_rows.keys(), len(runs) > 0)
    backups_touched |= {b for b in backups if expected.get(b) != basis.expected.get(b)}
    down = _DownCache(model)
    if (down.places, down.stores, down.vaults) != (basis.down.places, basis.down.stores, basis.down.vaults):
        return score(inventory, model, memo=memo)
    # what holds for old components carries over: the places each goes down with, the causes of old channels
    down._places_of = basis.down._places_of
    down._channels = {c: v for c, v in basis.down._channels.items() if c in old.kind}
    down._location = got["location"]
    reached = found[1]
    down._paths = {k: v for k, v in basis.down._paths.items() if k[1] not in reached and k[0] in old.kind}

    assets_touched = {model.backup[b].protects for b in backups_touched} | {old.backup[b].protects for b in backups_touched}
    sched = {b: model.backup[b].schedule_hours for b in backups if model.backup[b].schedule_hours}
    keep = {b: model.backup[b].retention_days for b in backups if model.backup[b].retention_days}
    ref_known = {b: r for b, r in reference.items() if r is not None}
    # job-history rows: again only for touched backups with runs, whose settings the summary reads changed
    history_changed = sorted(b for b in backups_touched if b in basis.run_rows
                             and (model.backup[b] != old.backup[b] or reference.get(b) != basis.reference.get(b)))
    run_rows = dict(basis.run_rows)
    point_rows = dict(basis.point_rows)
    if history_changed:
        part = _prepared_of(basis, history_changed, dumps)
        span_part = history.spans(part, as_of, sched, keep)
        summary_part = summarise_runs(part.copy(), as_of, sched, ref_known, dumps, prepared=True, retention_days=keep,
                                      spans=span_part)
        run_rows.update(summary_part.to_dict("index"))
    changed_assets = sorted({model.backup[b].protects for b in history_changed}
                            | {old.backup[b].protects for b in history_changed})
    if changed_assets:
        owned = sorted(b for a in changed_assets for b in model.backups_of.get(a, ()) if b in basis.run_rows)
        part = _prepared_of(basis, owned, dumps)
        protects = {b: model.backup[b].protects for b in owned}
        pts = recovery_points(part, as_of, protects, prepared=True, schedule_hours=sched, retention_days=keep)
        for a in changed_assets:
            point_rows.pop(a, None)
        point_rows.update(pts.to_dict("index"))

    scores = []
    for b in backups:
        if b in backups_touched:
            s, _ = _backup_score(model, down, b, reference, rpo, test_rows, run_rows, expected, basis.typed)
        else:
            s = basis.scores[b]
        scores.append(s)
    # the 3-2-1-1-0 check reads the backups' method, protection and stores, and (its last part) the restore tests
    kept = ("id", "protects", "method", "immutable", "offline")
    ruled = {x for b in backups_touched for x in (model.backup[b].protects, old.backup[b].protects)
             if any(getattr(model.backup[b], f) != getattr(old.backup[b], f) for f in kept)}
    tested = {model.backup[b].protects for b in backups if not _same_row(test_rows.get(b), basis.test_rows.get(b))}
    rules = {}
    for a in model.assets:
        if a in ruled:
            rules[a] = _rule_32110(model, down, a, tests)
        elif a in tested:
            rule = basis.rules[a]
            rules[a] = Rule32110(a, rule.parts[:-1] + (_zero_errors(a, list(model.backups_of.get(a, ())), test_rows),))
        else:
            rules[a] = basis.rules[a]
    interval_of = {b: run_rows[b]["interval_hours"] for b in run_rows}
    first_run_of = {b: run_rows[b]["first_run_at"] for b in run_rows}
    states = {b: e[0] for b, e in expected.items()}
    fresh = _rpo_check_map(model, rpo, interval_of, first_run_of, point_rows, states, as_of,
                           [a for a in model.assets if a in assets_touched])
    checks = {a: fresh[a] if a in assets_touched else basis.checks[a]
              for a in model.assets if (a in fresh if a in assets_touched else a in basis.checks)}
    ref_by_backup = {b: r for b, r in reference.items() if r is not None}
    return _finish(inventory, model, scores, rules, checks, run_rows, (runs, as_of, ref_by_backup, dumps), tests, None)


class _Variant:
    """The base's model with some backups' settings replaced: ``backup`` holds the backups of the assets re-scored
    (``rescore_assets`` reads no other); graph, components and assets are the base's."""

    def __init__(self, model, backups: Mapping, mine: Sequence[str]) -> None:
        self._model = model
        self.backup = {b: backups[b] if b in backups else model.backup[b] for b in mine}
        self.kind, self.backups_of = model.kind, model.backups_of  # graph, adjacency: the base's, when asked

    def __getattr__(self, name: str):
        return getattr(self._model, name)


def _overlaid(base: Mapping, new: Mapping, keys: Sequence) -> dict:
    """``base`` with ``new`` over it (a None in ``new``: no entry), for ``keys`` only."""
    out = {}
    for k in keys:
        v = new[k] if k in new else base.get(k)
        if v is not None:
            out[k] = v
    return out


def rescore_assets(base: SilentResult, backups: Mapping, added_tests: Sequence[Mapping] = ()
                   ) -> tuple[frozenset[str], frozenset[tuple[str, str, str]]] | None:
    """The finding rows of the assets a variant of the base touches, equal to those of ``score`` of the whole
    variant, at a cost proportional to the change; None for a variant of another kind.

    The variant is the base's inventory (``base`` scored with a memo) with
    some backups' ``alert_channel`` (to an existing component or none) and
    ``schedule_hours`` changed (``backups``: backup id -> its new
    ``BackupInfo``) and restore tests added (``added_tests``: restore_tests
    rows, typed as the inventory holds them, appended after its own).
    Every row of a finding (a rule's per-asset row) reads only its asset's
    backups (their settings, restore tests, job history and alert routes,
    which a change of these settings leaves on the same dependency graph)
    and the asset's own RPO, tier and recovery points. So the rows of the
    assets whose backups change are computed here, and every other asset's
    rows are the base's. Returns those assets and their rows ``(finding id,
    asset, severity)`` of the backup rules and the RPO (the per-asset rows
    of ``findings``; no texts are written). The 3-2-1-1-0 parts, whose
    findings are medium or low and no fix's rule, are left out.
    """
    basis = base.basis
    if basis is None:
        return None
    old = basis.model
    for b, info in backups.items():
        was = old.backup.get(b)
        if was is None or replace(info, alert_channel=was.alert_channel, schedule_hours=was.schedule_hours) != was:
            return None  # another setting changed: the 3-2-1-1-0 check or the summaries' inputs move
        if info.alert_channel is not None and info.alert_channel not in old.kind:
            return None  # a new channel changes the dependency graph
    inv = basis.inventory
    as_of = inv.meta.as_of
    tested = {str(r["backup"]) for r in added_tests}
    if not tested <= old.backup.keys():
        return None
    derived = basis.derived  # what is read from the whole basis, once, when first needed

    def once(name: str, compute):
        if name not in derived:
            derived[name] = compute()
        return derived[name]

    touched = set(backups) | tested
    assets = sorted({old.backup[b].protects for b in touched})
    mine = sorted(b for a in assets for b in old.backups_of.get(a, ()))  # every backup of those assets
    variant = _Variant(old, backups, mine)
    reference = basis.reference

    new_tests: dict = {}
    if tested:
        from .edits import append_rows

        tests = inv.restore_tests
        rows = append_rows(tests.loc[tests["backup"].isin(tested)], list(added_tests))
        new_tests = summarise_restore_tests(rows, as_of, {b: reference[b] for b in tested}).to_dict("index")
    test_rows = _overlaid(basis.test_rows, new_tests, mine)
    have_history = len(inv.backup_runs) > 0
    unlogged = [b for b in backups if b not in basis.run_rows]
    by_tool = once("by_tool", lambda: _logged_per_tool(old, basis.run_rows.keys())) if unlogged else {}
    expected = _overlaid(basis.expected, {b: _run_expectation(variant, b, by_tool, have_history) for b in unlogged},
                         mine)
    new_runs: dict = {}
    new_points: dict = {}
    rescheduled = sorted(b for b in backups if b in basis.run_rows
                         and backups[b].schedule_hours != old.backup[b].schedule_hours)
    if rescheduled:  # the job-history rows read the schedule: those backups' rows, their assets' recovery points
        dumps = once("dumps", lambda: frozenset(b for b, i in old.backup.items() if i.method == "dump"))
        logged = [b for b in mine if b in basis.run_rows]
        sched = {b: variant.backup[b].schedule_hours for b in logged if variant.backup[b].schedule_hours}
        keep = {b: variant.backup[b].retention_days for b in logged if variant.backup[b].retention_days}
        ref_known = {b: reference[b] for b in rescheduled if reference.get(b) is not None}
        moved = sorted({old.backup[b].protects for b in rescheduled})
        owned = sorted(b for a in moved for b in old.backups_of.get(a, ()) if b in basis.run_rows)
        part = _prepared_of(basis, owned, dumps)  # the runs of every backup with runs of the assets rescheduled
        span = history.spans(part, as_of, sched, keep)  # one backup's span reads its own runs: shared by both
        new_runs = summarise_runs(_rows_of(part, rescheduled), as_of, sched, ref_known, dumps,
                                  prepared=True, retention_days=keep, spans=span).to_dict("index")
        pts = recovery_points(part, as_of, {b: old.backup[b].protects for b in owned}, prepared=True,
                              schedule_hours=sched, retention_days=keep, spans=span)
        new_points = dict.fromkeys(moved)  # an asset left with no recovery point has no row (None)
        new_points.update(pts.to_dict("index"))
    run_rows = _overlaid(basis.run_rows, new_runs, mine)
    point_rows = _overlaid(basis.point_rows, new_points, assets)

    scores = [_backup_score(variant, basis.down, b, reference, basis.rpo, test_rows, run_rows, expected,
                            basis.typed)[0] if b in touched else basis.scores[b] for b in mine]
    asset_scores = _asset_scores(scores, variant, assets)
    interval_of = {b: run_rows[b]["interval_hours"] for b in mine if b in run_rows}
    first_run_of = {b: run_rows[b]["first_run_at"] for b in mine if b in run_rows}
    states = {b: expected[b][0] for b in mine if b in expected}
    checks = _rpo_check_map(variant, basis.rpo, interval_of, first_run_of, point_rows, states, as_of, assets)
    tier = once("tier", lambda: _tiers(inv.components))
    rows = {("silent_failure:rpo", a, sev) for a, c in checks.items()
            if (sev := _rpo_severity(c, tier.get(a), asset_scores.get(a))) is not None}
    folded = {a: frozenset({"last_success_age", "missed_runs"}) for a, c in checks.items() if c.stale}
    for (a, name), members in _factor_groups(scores, asset_scores, tier, folded).items():
        rows.add((f"silent_failure:{_RULES[name][0]}", a, _LEVELS[min(m[0] for m in members)]))
    return frozenset(assets), frozenset(rows)


def forget_prepared(result: SilentResult, memo: dict) -> None:
    """Let go of the prepared runs ``result`` (scored with ``memo``) and ``memo`` hold: the re-scorings of variants
    then prepare only the runs of the backups they summarise again (``_prepared_of``).

    Why: the prepared runs of a large job history are hundreds of megabytes, and the fix search, which keeps the
    scoring for its variants, reads a few backups' runs of them at a time."""
    if result.basis is not None:
        result.basis.prepared = None
    for k in [k for k in memo if isinstance(k, tuple) and len(k) == 3 and k[0] == "prepared"]:
        del memo[k]


def _prepared_of(basis: _Basis, backups: list[str], dumps: Collection[str]) -> pd.DataFrame:
    """The prepared runs of some backups, equal to ``_rows_of`` of the whole prepared history (their size classes
    read with the basis's ``dumps``): cut from the basis's prepared runs when it holds them, else prepared from
    those backups' rows of the job history alone (the rows of each backup found once per basis)."""
    if basis.prepared is not None:
        return _rows_of(basis.prepared, backups)
    runs = basis.inventory.backup_runs
    found = basis.derived.get("run-positions")
    if found is None:  # each backup's rows, in file order, and where they start in that list
        codes, ids = pd.factorize(runs["backup"].to_numpy(object))
        order = np.argsort(codes, kind="stable")  # rows without a backup (code -1) first
        order = order.astype(np.int32) if len(order) < 2**31 else order
        counts = np.bincount(codes[codes >= 0], minlength=len(ids))
        found = basis.derived["run-positions"] = (dict(zip(ids.tolist(), range(len(ids)))), order,
                                                   int((codes < 0).sum()) + np.concatenate([[0], np.cumsum(counts)]))
    code_of, order, start = found
    wanted = sorted(code_of[b] for b in set(backups) if b in code_of)
    rows = np.sort(np.concatenate([order[start[c]:start[c + 1]] for c in wanted])) if wanted else np.zeros(0, np.int64)
    part = _prepare_runs(runs, _cutoff(basis.inventory.meta.as_of), dumps, positions=rows)
    part["_g"] = part["backup"].cat.codes.to_numpy().astype(np.int64)
    return part


def _rows_of(prepared: pd.DataFrame, backups: list[str]) -> pd.DataFrame:
    """The prepared runs of some backups, cut from the frame sorted by backup (binary search on the codes, one take),
    their backups numbered afresh."""
    ids = prepared["backup"].cat.categories
    want = ids.get_indexer(pd.Index(sorted(backups), dtype=object))
    want = want[want >= 0]
    g = prepared["_g"].to_numpy()
    lo = np.searchsorted(g, want, side="left")
    hi = np.searchsorted(g, want, side="right")
    lengths = hi - lo
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    part = prepared.take(starts + np.arange(int(lengths.sum()))).reset_index(drop=True)
    part["backup"] = part["backup"].cat.remove_unused_categories()
    part["_g"] = part["backup"].cat.codes.to_numpy().astype(np.int64)
    return part
