"""Slow, obviously-right references for the columnar silent-failure summaries (test oracles).

``recovery_points_frame`` is the pandas version of ``silent.recovery_points``
as it stood before the columnar rewrite: group-bys and sorts on the text ids.
``summarise_runs_frame``, ``run_anomalies_frame`` and ``spans_frame`` are the
pandas versions of ``silent.summarise_runs``, ``silent.run_anomalies`` and
``history.spans`` likewise, on runs prepared as text (``prepare_runs_frame``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd
from hiddenspof.history import DENSE_RATIO, DENSE_RUN, FAMILY_RATIO, _median3
from hiddenspof.silent import (
    BASELINE_RUNS,
    COMPLETED,
    GAP_RUNS,
    RUN_TYPES,
    STATUS_WEIGHT,
    UNTYPED,
    _cutoff,
    _flag,
    _rolling_baseline,
    _run_label,
    assessment_time,
)


def recovery_points_frame(runs: pd.DataFrame, as_of: dt.date, protects: Mapping[str, str], *, prepared: bool = False,
                    schedule_hours: Mapping[str, float] | None = None,
                    retention_days: Mapping[str, float] | None = None) -> pd.DataFrame:
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
    """
    now = assessment_time(as_of)
    prep = runs if prepared else prepare_runs_frame(runs, _cutoff(as_of))
    cols = ["last_point_at", "last_point_backup", "last_point_age_hours", "history_from", "worst_gap_hours",
            "worst_gap_from", "worst_from_backup", "worst_gap_to", "worst_to_backup", "worst_to_started", "worst_late"]
    every = prep[["backup", "started_at", "finished_at", "completed"]].copy()
    every["asset"] = every["backup"].map(dict(protects))
    every = every[every["asset"].notna()]
    if not every["completed"].any():
        return pd.DataFrame(columns=cols, index=pd.Index([], name="asset", dtype=object))
    span = spans_frame(prep, as_of, schedule_hours, retention_days)
    span = span[span.index.isin(every["backup"].unique())]
    owner = span.index.map(dict(protects))
    dense_from = span["dense_from"].groupby(owner).max()
    # the retention horizon counts for an asset only when every backup of it with a history has one (the longest wins)
    horizon = span["horizon"].groupby(owner).agg(lambda h: pd.NaT if h.isna().any() else h.min())
    window = pd.concat([dense_from, horizon], axis=1).max(axis=1)
    r = every[every["completed"]].copy()
    r["usable"] = r["finished_at"].fillna(r["started_at"])
    r = r.sort_values(["asset", "started_at", "backup"], kind="mergesort").reset_index(drop=True)
    last = r.groupby("asset", sort=True).tail(1).set_index("asset")
    out = pd.DataFrame({"last_point_at": last["started_at"], "last_point_backup": last["backup"]})
    out["last_point_age_hours"] = ((now - out["last_point_at"]).dt.total_seconds() / 3600.0).clip(lower=0)
    out["history_from"] = window.reindex(out.index)
    judged = r[r["started_at"] >= r["asset"].map(window)]
    # in the order points become usable: the newest point usable before each one (running maximum of starts)
    judged = judged.sort_values(["asset", "usable", "started_at", "backup"], kind="mergesort").reset_index(drop=True)
    g = judged.groupby("asset", sort=True)
    best = g["started_at"].cummax()
    prev_best = best.groupby(judged["asset"]).shift()
    prev_idx = judged.index.to_series().where(judged["started_at"] == best).groupby(judged["asset"]).ffill()
    prev_idx = prev_idx.groupby(judged["asset"]).shift()
    improving = prev_best.notna() & (judged["started_at"] > prev_best)
    src = prev_idx[improving].astype(int).to_numpy()
    gaps = pd.DataFrame({
        "asset": judged.loc[improving, "asset"].to_numpy(),
        "hours": ((judged.loc[improving, "usable"] - prev_best[improving]).dt.total_seconds() / 3600.0).to_numpy(),
        "from": prev_best[improving].to_numpy(), "from_backup": judged["backup"].to_numpy()[src],
        "to": judged.loc[improving, "usable"].to_numpy(), "to_backup": judged.loc[improving, "backup"].to_numpy(),
        "to_started": judged.loc[improving, "started_at"].to_numpy(),
    })
    trailing = pd.DataFrame({"asset": out.index, "hours": out["last_point_age_hours"].to_numpy(),
                             "from": out["last_point_at"].to_numpy(), "from_backup": out["last_point_backup"].to_numpy(),
                             "to": pd.NaT, "to_backup": None, "to_started": pd.NaT})
    both = pd.concat([gaps, trailing], ignore_index=True)
    # the longest window; ties: the earliest (a repeatable choice)
    worst = both.sort_values(["asset", "hours", "from"], ascending=[True, False, True], kind="mergesort").groupby("asset").head(1)
    worst = worst.set_index("asset")
    out["worst_gap_hours"] = worst["hours"]
    out["worst_gap_from"] = worst["from"]
    out["worst_from_backup"] = worst["from_backup"]
    out["worst_gap_to"] = worst["to"]
    out["worst_to_backup"] = worst["to_backup"]
    out["worst_to_started"] = worst["to_started"]
    # the runs that started inside the worst window but were usable only after it
    w = worst.loc[worst["to"].notna(), ["from", "to"]]
    cand = r.merge(w, left_on="asset", right_index=True, how="inner")
    cand = cand[(cand["started_at"] > cand["from"]) & (cand["started_at"] < cand["to"]) & (cand["usable"] > cand["to"])]
    cand = cand.sort_values(["asset", "started_at", "backup"], kind="mergesort")
    late = {a: tuple((b, s, f) for b, s, f in zip(x["backup"], x["started_at"], x["usable"]))
            for a, x in cand.groupby("asset", sort=True)}
    out["worst_late"] = [late.get(a, ()) for a in out.index]
    out.index.name = "asset"
    return out[cols]


# -- the pandas job-history summaries as they stood before the columnar rewrite (issue 26) ------------------------
# Object columns of text ids, pandas group-bys and sorts: slow and memory-hungry at millions of runs, but each step
# reads as what it means. ``summarise_runs_frame``, ``run_anomalies_frame`` and ``spans_frame`` are the references of
# ``silent.summarise_runs``, ``silent.run_anomalies`` and ``history.spans``.



def _codes_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of text values numbered in code-point order of the distinct values (hash, then sort the few)."""
    codes, uniques = pd.factorize(values)
    uniques = np.asarray(uniques, dtype=object)
    order = sorted(range(len(uniques)), key=uniques.__getitem__)
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(uniques), dtype=np.int64)
    return rank[codes], uniques[np.asarray(order, dtype=np.int64)] if len(order) else uniques


def prepare_runs_frame(runs: pd.DataFrame, cutoff: pd.Timestamp, full_backups: Collection[str] = ()) -> pd.DataFrame:
    """Runs started before ``cutoff``, sorted by backup (code points), start, then file order.

    Adds ``duration_hours``, ``completed``, ``_cls`` (the run's size class:
    its ``type``'s index in ``RUN_TYPES``; for an untyped run, ``full`` when
    its backup is in ``full_backups`` (a dump copies the whole data set every
    time), else ``UNTYPED``) and ``_g`` (the backup as an integer code, in
    id order: the summaries group on it instead of hashing the text again).
    The backup ids are hashed once and only the distinct ones sorted; the
    rows are ordered by one stable lexsort on (code, start).
    """
    cols = ["backup", "started_at", "finished_at", "status", "size_gb"] + (["type"] if "type" in runs.columns else [])
    r = runs.loc[runs["started_at"].notna() & (runs["started_at"] < cutoff), cols]
    codes, ids = _codes_sorted(r["backup"].to_numpy(object))
    order = np.lexsort((r["started_at"].to_numpy(), codes))  # stable: file order on ties
    r = r.take(order).reset_index(drop=True)
    kind = r["type"] if "type" in r.columns else pd.Series(None, index=r.index, dtype=object)
    r["type"] = kind.astype(object).where(kind.isin(RUN_TYPES), None)
    r["backup"] = r["backup"].astype(object)
    r["_file_order"] = order
    r["_g"] = codes[order]
    r["duration_hours"] = (r["finished_at"] - r["started_at"]).dt.total_seconds() / 3600.0
    r["completed"] = r["status"].isin(COMPLETED)
    r["_cls"] = r["type"].map({t: i for i, t in enumerate(RUN_TYPES)}).fillna(UNTYPED).astype(int)
    if len(full_backups):
        dump_codes = np.flatnonzero(np.isin(ids, np.array(sorted(full_backups), dtype=object)))
        r.loc[(r["_cls"] == UNTYPED) & np.isin(r["_g"].to_numpy(), dump_codes), "_cls"] = RUN_TYPES.index("full")
    return r


def _backup_codes(r: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """Codes 0..k-1 of the backups of runs sorted by backup, and the ids in that order (``pd.factorize`` of the
    sorted column, without hashing the text when ``_prepare_runs``' codes are there)."""
    if "_g" not in r.columns:
        codes, ids = pd.factorize(r["backup"])
        return codes, pd.Index(ids, dtype=object)
    g = r["_g"].to_numpy()
    step = np.zeros(len(g), dtype=np.int64)
    step[1:] = g[1:] != g[:-1]
    first = np.flatnonzero(np.concatenate([[True], step[1:].astype(bool)])) if len(g) else np.zeros(0, dtype=np.int64)
    return np.cumsum(step), pd.Index(r["backup"].to_numpy(object)[first], dtype=object)


def _class_baselines(c: pd.DataFrame, group: np.ndarray) -> pd.DataFrame:
    """Size and duration baselines of completed runs, within (backup, size class) groups.

    ``c`` holds completed runs sorted by backup then start, ``group`` their
    backup codes. Returns ``c`` re-sorted by (backup, class, start) with
    columns ``_sg`` (group code), ``baseline_median_gb``, ``_mad``, ``_n``,
    ``_dmed``, ``_dmad``, ``_dn``.
    """
    c = c.assign(_grp=group).sort_values(["_grp", "_cls"], kind="mergesort")  # keeps time order within a group
    c["_sg"] = c["_grp"].to_numpy() * (UNTYPED + 1) + c["_cls"].to_numpy()
    codes = c["_sg"].to_numpy()
    med, mad, cnt = _rolling_baseline(c["size_gb"].to_numpy(float), codes)
    dmed, dmad, dcnt = _rolling_baseline(c["duration_hours"].to_numpy(float), codes)
    return c.assign(baseline_median_gb=med, _mad=mad, _n=cnt, _dmed=dmed, _dmad=dmad, _dn=dcnt)


def run_anomalies_frame(runs: pd.DataFrame, as_of: dt.date, reference_gb: Mapping[str, float] | None = None,
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
    r = prepare_runs_frame(runs, _cutoff(as_of), full_backups)
    r["baseline_median_gb"] = np.nan
    for col in ("tiny", "chain", "collapse", "duration_anomaly"):
        r[col] = False
    c = r[r["completed"]]
    if len(c):
        c = _class_baselines(c, pd.factorize(c["backup"])[0])
        ref = c["backup"].map(dict(reference_gb or {})).astype(float).to_numpy()
        c = _flag(c, ref)
        for col in ("baseline_median_gb", "tiny", "chain", "collapse", "duration_anomaly"):
            r.loc[c.index, col] = c[col].to_numpy()
    return r.drop(columns=["_file_order", "_cls", "_g"])


def summarise_runs_frame(runs: pd.DataFrame, as_of: dt.date, schedule_hours: Mapping[str, float] | None = None,
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
    now = assessment_time(as_of)
    r = runs if prepared else prepare_runs_frame(runs, _cutoff(as_of), full_backups)
    codes_all, ids = _backup_codes(r)  # r is sorted by backup, so ids come sorted
    r["_g"] = codes_all  # group on integers: factorising the text ids once is the costly part
    g = r.groupby("_g", sort=True)
    out = pd.DataFrame({
        "runs": g.size(),
        "completed": g["completed"].sum().astype(int),
        "failed": (r["status"] == "failed").groupby(r["_g"]).sum().astype(int),
        "last_run_at": g["started_at"].max(),
    })

    # the expected interval (declared, else the spacing the history sustains at its densest) and the part of
    # the history that is complete: inside the retention horizon, not thinned by a prune policy (history.spans)
    span = spans if spans is not None else spans_frame(r, as_of, schedule_hours, retention_days)
    span = span.reindex(ids)
    span.index = out.index
    out["interval_inferred"] = span["interval_inferred"].astype(bool)
    out["interval_hours"] = span["interval_hours"].astype(float)
    out["judged_from"] = span["judged_from"]
    out["thinned_runs"] = span["thinned_runs"].astype(int)
    out["horizon"] = span["horizon"]
    out["first_run_at"] = span["first_run_at"]

    # failure streak: runs after the last plain success
    pos = g.cumcount()
    last_ok = pos.where(r["status"] == "success").groupby(r["_g"]).max()
    after = pos > r["_g"].map(last_ok).fillna(-1).to_numpy()
    out["streak_runs"] = after.groupby(r["_g"]).sum().astype(int)
    weight = r["status"].map(STATUS_WEIGHT).fillna(1.0)
    out["streak_weight"] = (weight * after).groupby(r["_g"]).sum()

    # completed runs: the latest of each type with its same-type baseline
    c = r[r["completed"]].copy()
    c["_rank"] = c.groupby("_g").cumcount(ascending=False)  # 0 = latest of the backup
    c["_crank"] = c.groupby(["_g", "_cls"]).cumcount(ascending=False)  # 0 = latest of its type
    tail = _class_baselines(c[c["_crank"] <= BASELINE_RUNS], c.loc[c["_crank"] <= BASELINE_RUNS, "_g"].to_numpy())
    ref_by_code = pd.Series(dict(reference_gb or {}), dtype=float).reindex(ids).to_numpy()
    heads = tail[tail["_crank"] == 0]
    heads = _flag(heads, ref_by_code[heads["_g"].to_numpy()] if len(heads) else np.array([]))
    heads = heads.sort_values(["_g", "started_at", "_file_order"], kind="mergesort")
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
    w = c[c["_rank"] <= GAP_RUNS]
    gap_h = w.groupby("_g")["started_at"].diff().dt.total_seconds() / 3600.0
    # a gap counts only inside the judged part: pruned runs (older than the retention horizon, or thinned by a
    # prune policy) are not missed
    earlier = w.groupby("_g")["started_at"].shift()
    judged_from = pd.Series(out["judged_from"].to_numpy("datetime64[ns]")[w["_g"].to_numpy()], index=w.index)
    gap_h = gap_h.where(earlier >= judged_from)
    trailing = ((now - w.loc[w["_rank"] == 0].set_index("_g")["started_at"]).dt.total_seconds() / 3600.0).clip(lower=0)
    interval = out["interval_hours"]
    inner = np.floor(gap_h / w["_g"].map(interval).to_numpy() - 0.5).clip(lower=0)
    missed = inner.groupby(w["_g"]).sum()
    missed = missed.add(np.floor(trailing / interval.reindex(trailing.index) - 0.5).clip(lower=0), fill_value=0)
    out["missed_runs"] = missed.reindex(out.index).fillna(0).astype(int)
    out.loc[out["interval_hours"].isna(), "missed_runs"] = 0
    # the achieved recovery point: the longest time without a new completed run, over the whole history
    every_gap = c.groupby("_g")["started_at"].diff().dt.total_seconds() / 3600.0
    out["last_point_age_hours"] = trailing.reindex(out.index)
    out["worst_gap_hours"] = pd.concat([every_gap.groupby(c["_g"]).max(), trailing], axis=1).max(axis=1).reindex(out.index)
    out.index = pd.Index(ids[out.index.to_numpy()], name="backup", dtype=object)
    return out


def _span_codes(runs: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize`` of the backup column of runs sorted by backup; from ``_prepare_runs``' integer codes when there."""
    if "_g" not in runs.columns:
        return pd.factorize(runs["backup"])
    g = runs["_g"].to_numpy()
    change = np.zeros(len(g), dtype=bool)
    change[1:] = g[1:] != g[:-1]
    first = np.flatnonzero(change)
    first = np.concatenate([[0], first]) if len(g) else first
    return np.cumsum(change), pd.Index(runs["backup"].to_numpy(object)[first], dtype=object)


def spans_frame(runs: pd.DataFrame, as_of: dt.date, schedule_hours: Mapping[str, float] | None = None,
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
    now = pd.Timestamp(as_of)
    codes, ids = _span_codes(runs)
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
