"""Charts of silent backup failure: run timelines, score breakdown, restore-test recency, 3-2-1-1-0."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..silent import FACTOR_NAMES, RESTORE_TEST_MAX_AGE_DAYS, RULE_PARTS

__all__ = ["MARKERS", "NO_POINTS", "RUN_SHAPES", "run_timeline", "score_breakdown", "restore_recency", "rule_32110_grid"]

#: the factor label of a backup without points in ``score_breakdown``
NO_POINTS = "(no points)"

#: how a run is drawn on the timeline, most alarming first (a run gets the first that applies)
MARKERS = {
    "failed": "#c0392b",
    "tiny": "#8e44ad",
    "size collapse": "#e67e22",
    "duration anomaly": "#f1c40f",
    "warning": "#95a5a6",
    "success": "#27ae60",
}


def _require(frame: pd.DataFrame, columns: set[str], what: str, how: str) -> None:
    """Raise a ValueError naming the missing columns and where the frame comes from."""
    missing = columns - set(frame.columns)
    if missing:
        raise ValueError(f"{what} lacks columns {sorted(missing)}: build it with {how}")


def _marker(runs: pd.DataFrame) -> pd.Series:
    """The MARKERS category of each run (vectorised)."""
    marker = pd.Series("success", index=runs.index, dtype=object)
    marker = marker.mask(runs["status"] == "warning", "warning")
    marker = marker.mask(runs["duration_anomaly"].astype(bool), "duration anomaly")
    marker = marker.mask(runs["collapse"].astype(bool), "size collapse")
    marker = marker.mask(runs["tiny"].astype(bool), "tiny")
    return marker.mask(runs["status"] == "failed", "failed")


#: how a run's type is drawn on the timeline (shape); ``untyped`` = the job history gave none
RUN_SHAPES = {
    "full": "circle",
    "incremental": "triangle-up",
    "differential": "diamond",
    "log": "square",
    "untyped": "cross",
}


def run_timeline(runs: pd.DataFrame, backups: list[str] | None = None, width: int = 560) -> alt.FacetChart:
    """Size of every run over time, one row per backup; run types told apart, failures and anomalies marked.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``SilentResult.runs`` (``silent.run_anomalies``): backup, started_at,
        status, size_gb, tiny, collapse, duration_anomaly, baseline_median_gb
        and, when known, type.
    backups : list of str, optional
        Which backups to draw, in this order (default: all, sorted).

    Returns
    -------
    altair.FacetChart
        One line per run type (a weekly full and daily incrementals are two
        series, not a saw-tooth), points shaped by type (``RUN_SHAPES``) and
        coloured by ``MARKERS`` (failed runs sit at 0 GB when they report no
        size), and a dashed line per type for the rolling median the collapse
        check compares against (the same type's previous runs). The size axis
        is symmetric-log, so incrementals of 1% stay readable beside their
        fulls; y scales are independent per backup.
    """
    _require(runs, {"backup", "started_at", "status", "size_gb", "tiny", "collapse", "duration_anomaly",
                    "baseline_median_gb"}, "runs", "silent.run_anomalies or SilentResult.runs")
    order = sorted(runs["backup"].unique()) if backups is None else list(backups)
    data = runs[runs["backup"].isin(order)].copy()
    data["marker"] = _marker(data)
    data["size_shown_gb"] = data["size_gb"].fillna(0.0)
    kind = data["type"] if "type" in data.columns else pd.Series(None, index=data.index, dtype=object)
    data["run_type"] = kind.where(kind.isin(list(RUN_SHAPES)), "untyped").astype(object)
    data = data[["backup", "started_at", "status", "run_type", "size_gb", "size_shown_gb", "baseline_median_gb", "marker"]]
    base = alt.Chart().encode(x=alt.X("started_at:T", title="run started"))
    size_axis = alt.Y("size_shown_gb:Q", title="GB (log scale)", scale=alt.Scale(type="symlog"))
    line = base.mark_line(color="#7f8c8d", strokeWidth=1).encode(
        y=size_axis, detail="run_type:N"
    ).transform_filter("datum.status != 'failed'")
    baseline = base.mark_line(color="#34495e", strokeDash=[4, 3], strokeWidth=1).encode(
        y="baseline_median_gb:Q", detail="run_type:N"
    )
    points = base.mark_point(filled=True, size=40).encode(
        y="size_shown_gb:Q",
        color=alt.Color("marker:N", scale=alt.Scale(domain=list(MARKERS), range=list(MARKERS.values())), title="run"),
        shape=alt.Shape("run_type:N", scale=alt.Scale(domain=list(RUN_SHAPES), range=list(RUN_SHAPES.values())),
                        title="type"),
        tooltip=["backup:N", "started_at:T", "run_type:N", "status:N", "size_gb:Q", "baseline_median_gb:Q", "marker:N"],
    )
    return (
        alt.layer(line, baseline, points, data=data)
        .properties(width=width, height=110)
        .facet(row=alt.Row("backup:N", sort=order, title=None))
        .resolve_scale(y="independent")
        .properties(title=["Job history: reported size per run, shaped by run type",
                           "dashed: median of the previous 14 completed runs of the same type"])
    )


def score_breakdown(factors: pd.DataFrame, scores: pd.DataFrame | None = None) -> alt.LayerChart:
    """Backups ranked by silent-failure score, each bar stacked by factor points.

    Parameters
    ----------
    factors : pandas.DataFrame
        ``SilentResult.factor_frame()``: backup, protects, score, factor, points, evidence.
    scores : pandas.DataFrame, optional
        backup, score for every backup, so that backups without points
        appear (as empty rows) too.

    Returns
    -------
    altair.LayerChart
        Horizontal stacked bars sorted by score (highest first), colour =
        factor (``FACTOR_NAMES`` order), tooltip = the evidence; a rule at 100
        marks the cap (a sum above it still scores 100).
    """
    _require(factors, {"backup", "score", "factor", "points", "evidence"}, "factors", "SilentResult.factor_frame()")
    data = factors[["backup", "score", "factor", "points", "evidence"]].copy()
    if scores is not None:
        _require(scores, {"backup", "score"}, "scores", "a frame of backup, score")
        # a labelled zero row (altair would write a None label as NaN, which is not JSON)
        empty = scores.loc[~scores["backup"].isin(data["backup"]), ["backup", "score"]].assign(
            factor=NO_POINTS, points=0.0, evidence="no factor carries points")
        data = pd.concat([data, empty], ignore_index=True) if len(empty) else data
    order = data.drop_duplicates("backup").sort_values(["score", "backup"], ascending=[False, True])["backup"].tolist()
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y("backup:N", sort=order, title=None),
        x=alt.X("sum(points):Q", title="points (score = min(100, sum))"),
        color=alt.Color("factor:N", scale=alt.Scale(domain=[*FACTOR_NAMES, NO_POINTS], scheme="tableau20"),
                        title="factor"),
        order=alt.Order("factor:N"),
        tooltip=["backup:N", "score:Q", "factor:N", "points:Q", "evidence:N"],
    )
    cap = alt.Chart(pd.DataFrame({"x": [100.0]})).mark_rule(color="black", strokeDash=[2, 2]).encode(x="x:Q")
    return (bars + cap).properties(title="Silent-failure score by backup, broken down by factor",
                                   height=alt.Step(16), width=480)


def restore_recency(recency: pd.DataFrame) -> alt.LayerChart:
    """Days since each backup's last passing restore test, against the 90-day line.

    Parameters
    ----------
    recency : pandas.DataFrame
        ``SilentResult.restore_recency_frame()``: backup, protects,
        days_since_pass (NaN = never), status.

    Returns
    -------
    altair.LayerChart
        Bars per backup (never-passed backups drawn at the longest bar or 365
        days, whichever is larger, in red), a rule at 90 days.
    """
    _require(recency, {"backup", "days_since_pass", "status"}, "recency", "SilentResult.restore_recency_frame()")
    data = recency.copy()
    longest = max(365.0, float(data["days_since_pass"].max()) if data["days_since_pass"].notna().any() else 0.0)
    data["days_shown"] = data["days_since_pass"].fillna(longest)
    order = data.sort_values(["days_shown", "backup"], ascending=[False, True])["backup"].tolist()
    colours = {"within 90 days": "#27ae60", "overdue": "#e67e22", "never passed": "#c0392b"}
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y("backup:N", sort=order, title=None),
        x=alt.X("days_shown:Q", title="days since the last passing restore test"),
        color=alt.Color("status:N", scale=alt.Scale(domain=list(colours), range=list(colours.values())), title="status"),
        tooltip=["backup:N", "protects:N", "days_since_pass:Q", "status:N"],
    )
    line = alt.Chart(pd.DataFrame({"days": [float(RESTORE_TEST_MAX_AGE_DAYS)]})).mark_rule(
        color="black", strokeDash=[4, 2]).encode(x="days:Q")
    return (bars + line).properties(
        title=f"Restore-test recency (dashed: the {RESTORE_TEST_MAX_AGE_DAYS}-day line, CIS Control 11.5)",
        height=alt.Step(16), width=480)


def rule_32110_grid(rules: pd.DataFrame) -> alt.Chart:
    """Asset x 3-2-1-1-0 part grid: green where met, red where not, the reason in the tooltip.

    Parameters
    ----------
    rules : pandas.DataFrame
        ``SilentResult.rule_frame()``.
    """
    _require(rules, {"asset", *RULE_PARTS}, "rules", "SilentResult.rule_frame()")
    long = pd.DataFrame([
        {"asset": row["asset"], "part": part, "met": "met" if row[part] else "not met", "reason": row[part + "_reason"]}
        for _, row in rules.iterrows() for part in RULE_PARTS
    ], columns=["asset", "part", "met", "reason"])
    return alt.Chart(long, title="3-2-1-1-0 per asset").mark_rect(stroke="white").encode(
        x=alt.X("part:N", sort=list(RULE_PARTS), title=None, axis=alt.Axis(labelAngle=-30)),
        y=alt.Y("asset:N", sort=sorted(long["asset"].unique()), title=None),
        color=alt.Color("met:N", scale=alt.Scale(domain=["met", "not met"], range=["#27ae60", "#c0392b"]), title=None),
        tooltip=["asset:N", "part:N", "met:N", "reason:N"],
    )
