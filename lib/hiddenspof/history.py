"""How far back a backup's job history can be read as complete: the retention horizon and prune thinning.

A job history is evidence only where it is complete. Two things make its
older part incomplete without anything having gone wrong:

* **Retention.** Runs older than the backup's ``retention_days`` before
  ``as_of`` are pruned, not missed: runs are expected only back to that
  *horizon*, and a history that starts there is complete.
* **Prune thinning.** Tools that list restore points rather than job
  sessions (restic, Borg, snapshot listings) keep what their prune policy
  keeps: every snapshot of the last days, then one a week, then one a month
  (``--keep-daily 7 --keep-weekly 4 --keep-monthly 12``). Read as a job log,
  that shrinking history looks like weeks without a run.

Thinning is recognised by its shape. A *dense* gap is one shorter than 1.5
expected intervals (the same tolerance as a missed run); a *sustained*
stretch is ``DENSE_RUN`` dense gaps in a row. The complete part of a history
starts at its **oldest sustained dense stretch**: a prune policy leaves dense
runs only at the recent end, so everything older than that stretch is
thinning, while an outage in a job log has dense history on both sides and
stays inside the judged part. A history with no sustained dense stretch at
all shows no prune pattern and is judged whole. ``DENSE_RUN`` is 3 because
the buckets of one prune policy (the last snapshot of a week, of a month, of
a year) can fall on two or three neighbouring days, never on four.

Without a declared schedule the expected interval is inferred from the
history itself, robustly against thinning: the smallest median of three
consecutive gaps (the spacing the job sustains at its densest), refined to
the median of every gap up to twice that. On a job log this is the usual
median; on a pruned listing it is the spacing of the recent dense part, not
of the monthly snapshots. See ``docs/silent-failure-scoring.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["DENSE_RATIO", "DENSE_RUN", "blocks", "dense_interval_hours", "spans"]

#: a gap up to this many expected intervals is dense (a run 1.5 intervals late missed one)
DENSE_RATIO = 1.5
#: dense gaps in a row that make a sustained stretch (prune buckets never give four runs on neighbouring days)
DENSE_RUN = 3
#: the inferred interval is the median of the gaps up to this many times the densest sustained spacing
FAMILY_RATIO = 2.0


def _median3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Element-wise median of three arrays (NaN where any is NaN)."""
    return a + b + c - np.fmax(np.fmax(a, b), c) - np.fmin(np.fmin(a, b), c)


def dense_interval_hours(stamps: Sequence[dt.datetime | pd.Timestamp]) -> float | None:
    """The interval a history sustains at its densest (hours), None under 3 runs; see the module notes.

    The scalar form of the inference in :func:`spans`, for a list of run
    starts (an importer guessing ``schedule_hours`` from a pruned listing).
    """
    times = sorted({pd.Timestamp(s) for s in stamps})
    if len(times) < 3:
        return None
    gaps = np.diff(np.array([t.value for t in times], dtype=float)) / 3.6e12
    if len(gaps) >= DENSE_RUN:
        base = float(np.min(_median3(gaps[:-2], gaps[1:-1], gaps[2:])))
        family = gaps[gaps <= FAMILY_RATIO * base]
        value = float(np.median(family)) if len(family) else float(np.median(gaps))
    else:
        value = float(np.median(gaps))
    return value if value > 0 else None


def _codes(runs: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """Codes 0..k-1 of the backups of runs sorted by backup, and the ids in that order.

    From ``silent._prepare_runs``' integer codes and categorical ids when there
    (no text is hashed), else ``pd.factorize`` of the backup column.
    """
    if "_g" not in runs.columns:
        return pd.factorize(runs["backup"])
    g = runs["_g"].to_numpy()
    change = np.zeros(len(g), dtype=bool)
    change[1:] = g[1:] != g[:-1]
    first = np.flatnonzero(change)
    first = np.concatenate([[0], first]) if len(g) else first
    col = runs["backup"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        ids = np.asarray(col.cat.categories, dtype=object)[col.cat.codes.to_numpy()[first]]
    else:
        ids = col.to_numpy(object)[first]
    return np.cumsum(change), pd.Index(ids, dtype=object)


#: rows of job history summarised at a time (blocks end at a backup's last run)
_BLOCK_ROWS = 1 << 20


def blocks(g: np.ndarray) -> list[tuple[int, int]]:
    """Row ranges of about ``_BLOCK_ROWS`` rows that split the sorted codes ``g`` only between backups."""
    n = len(g)
    cuts = [0]
    while n - cuts[-1] > _BLOCK_ROWS:
        at = g[cuts[-1] + _BLOCK_ROWS]
        cut = int(np.searchsorted(g, at, side="left"))
        cuts.append(cut if cut > cuts[-1] else int(np.searchsorted(g, at, side="right")))
    if cuts[-1] < n or n == 0:
        cuts.append(n)
    return list(zip(cuts[:-1], cuts[1:]))


def spans(runs: pd.DataFrame, as_of: dt.date, schedule_hours: Mapping[str, float] | None = None,
          retention_days: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Per backup with runs: its expected interval and the start of the part of its history that is complete.

    Parameters
    ----------
    runs : pandas.DataFrame
        Runs sorted by backup then start (``silent._prepare_runs``), columns
        ``backup`` and ``started_at``; every status counts (a failed run
        shows the job was scheduled and logged).
    as_of : datetime.date
        The assessment date; the horizon is ``retention_days`` before its start.
    schedule_hours, retention_days : mapping, optional
        Backup id -> the declared values.

    Returns
    -------
    pandas.DataFrame
        Indexed by backup (sorted), columns ``interval_hours`` (declared,
        else inferred; NaN under 3 runs), ``interval_inferred``,
        ``first_run_at``, ``dense_from`` (the start of the oldest sustained
        dense stretch, else the first run), ``thinned_runs`` (runs recorded
        before ``dense_from``), ``horizon`` (NaT without a retention) and
        ``judged_from`` (the later of ``dense_from`` and ``horizon``: gaps
        of this backup alone are judged from there).
    """
    if "_g" in runs.columns:
        parts = blocks(runs["_g"].to_numpy())
        if len(parts) > 1:  # a block of backups at a time: each backup's span reads only its own runs
            out = pd.concat([_spans(runs.iloc[lo:hi], as_of, schedule_hours, retention_days) for lo, hi in parts])
            out.index = pd.Index(np.asarray(out.index, dtype=object), name="backup", dtype=object)  # concat infers str
            return out
    return _spans(runs, as_of, schedule_hours, retention_days)


def _spans(runs: pd.DataFrame, as_of: dt.date, schedule_hours: Mapping[str, float] | None,
           retention_days: Mapping[str, float] | None) -> pd.DataFrame:
    """``spans`` of runs sorted by backup, in one pass."""
    now = pd.Timestamp(as_of)
    codes, ids = _codes(runs)
    starts = runs["started_at"].to_numpy("datetime64[ns]")
    n = len(codes)
    cols = ["interval_hours", "interval_inferred", "first_run_at", "dense_from", "thinned_runs", "horizon", "judged_from"]
    if n == 0:
        nat = pd.Series([], dtype="datetime64[ns]")
        return pd.DataFrame({"interval_hours": pd.Series([], dtype=float), "interval_inferred": pd.Series([], dtype=bool),
                             "first_run_at": nat, "dense_from": nat, "thinned_runs": pd.Series([], dtype=int),
                             "horizon": nat, "judged_from": nat}, index=pd.Index([], name="backup", dtype=object))[cols]
    pos = np.arange(n)
    first_pos = pd.Series(pos).groupby(codes).min().to_numpy()  # ids are in order of appearance: code k is ids[k]
    gap = np.full(n, np.nan)
    same = np.zeros(n, dtype=bool)
    same[1:] = codes[1:] == codes[:-1]
    gap[1:] = (starts[1:] - starts[:-1]).astype("timedelta64[ns]").astype(float) / 3.6e12
    gap[~same] = np.nan  # row i holds the gap from the run before it in the same backup

    # the expected interval: declared, else the densest sustained spacing refined to its family's median
    declared = pd.Series(dict(schedule_hours or {}), dtype=float).reindex(ids).to_numpy()
    prev1, prev2 = np.full(n, np.nan), np.full(n, np.nan)
    prev1[1:], prev2[2:] = gap[:-1], gap[:-2]
    m3 = _median3(gap, prev1, prev2)  # NaN unless three gaps of the same backup end at row i
    m3 = np.where(np.isnan(gap) | np.isnan(prev1) | np.isnan(prev2), np.nan, m3)
    grouped = pd.DataFrame({"g": codes, "gap": gap, "m3": m3})
    by = grouped.groupby("g")
    count = by["gap"].count().reindex(range(len(ids)), fill_value=0).to_numpy()
    base = by["m3"].min().reindex(range(len(ids))).to_numpy()
    plain = by["gap"].median().reindex(range(len(ids))).to_numpy()
    base = np.where(np.isnan(base), plain, base)
    in_family = grouped["gap"].to_numpy() <= FAMILY_RATIO * base[codes]
    family = grouped[in_family].groupby("g")["gap"].median().reindex(range(len(ids))).to_numpy()
    inferred = np.where(np.isnan(family), plain, family)
    inferred = np.where((count >= 2) & (inferred > 0), inferred, np.nan)
    interval = np.where(np.isnan(declared), inferred, declared)

    # the oldest sustained dense stretch: DENSE_RUN dense gaps in a row, ending at row i; density is judged
    # against the denser of the declared and the sustained spacing (a schedule guessed from a pruned listing's
    # median is the monthly spacing, and would make the thinned part look dense)
    dense_step = np.fmin(interval, inferred)
    dense = (gap <= DENSE_RATIO * dense_step[codes]) & ~np.isnan(gap)
    run_end = dense.copy()
    for k in range(1, DENSE_RUN):
        shifted = np.zeros(n, dtype=bool)
        shifted[k:] = dense[:-k]
        run_end &= shifted
    run_end &= pos - (DENSE_RUN) >= first_pos[codes]  # the stretch's first run is in the same backup
    first_end = pd.Series(np.where(run_end, pos, n)).groupby(codes).min().to_numpy()
    found = first_end < n
    from_pos = np.where(found, first_end - DENSE_RUN, first_pos)
    dense_from = starts[from_pos]
    retention = pd.Series(dict(retention_days or {}), dtype=float).reindex(ids).to_numpy()
    horizon = now - pd.to_timedelta(retention, unit="D")
    out = pd.DataFrame({
        "interval_hours": interval,
        "interval_inferred": np.isnan(declared) & ~np.isnan(inferred),
        "first_run_at": starts[first_pos],
        "dense_from": dense_from,
        "thinned_runs": (from_pos - first_pos).astype(int),
        "horizon": horizon,
    }, index=pd.Index(ids, name="backup", dtype=object))
    out["judged_from"] = out[["dense_from", "horizon"]].max(axis=1)
    return out.sort_index()[cols]
