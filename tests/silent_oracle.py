"""Slow, obviously-right references for the columnar silent-failure summaries (test oracles).

``recovery_points_frame`` is the pandas version of ``silent.recovery_points``
as it stood before the columnar rewrite: group-bys and sorts on the text ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd
from hiddenspof import history
from hiddenspof.silent import _cutoff, _prepare_runs, assessment_time


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
    prep = runs if prepared else _prepare_runs(runs, _cutoff(as_of))
    cols = ["last_point_at", "last_point_backup", "last_point_age_hours", "history_from", "worst_gap_hours",
            "worst_gap_from", "worst_from_backup", "worst_gap_to", "worst_to_backup", "worst_to_started", "worst_late"]
    every = prep[["backup", "started_at", "finished_at", "completed"]].copy()
    every["asset"] = every["backup"].map(dict(protects))
    every = every[every["asset"].notna()]
    if not every["completed"].any():
        return pd.DataFrame(columns=cols, index=pd.Index([], name="asset", dtype=object))
    span = history.spans(prep, as_of, schedule_hours, retention_days)
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


