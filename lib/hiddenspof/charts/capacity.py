"""Charts of capacity stress: restore Gantt with RTO marks, routine vs disaster time, utilisation, headroom."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["VERDICT_COLOURS", "restore_gantt", "routine_vs_disaster", "utilisation_bars", "headroom_bars"]

#: bar colour of a restore by its RTO verdict
VERDICT_COLOURS = {"meets RTO": "#27ae60", "misses RTO": "#c0392b", "no verdict": "#95a5a6",
                   "unknown (not timed)": "#8e44ad"}


def _require(frame: pd.DataFrame, columns: set[str], what: str, how: str) -> None:
    """Raise a ValueError naming the missing columns and where the frame comes from."""
    missing = columns - set(frame.columns)
    if missing:
        raise ValueError(f"{what} lacks columns {sorted(missing)}: build it with {how}")


def restore_gantt(restores: pd.DataFrame, title: str = "", width: int = 560) -> alt.LayerChart:
    """One bar per restore from start to finish, coloured by RTO verdict, with a tick at each RTO.

    Parameters
    ----------
    restores : pandas.DataFrame
        ``capacity.restores_frame(scenario_result)``.
    title : str
        Chart title (the scenario name).

    Returns
    -------
    altair.LayerChart
        Rows in start order (then asset id); a black tick marks the RTO of
        each restore that has one, so a bar running past its tick is late.
        Restores that take no time show as a point; a restore whose finish
        is unknown (not timed) shows only its start, in its own colour, and
        is named in the subtitle. The hours axis fits the
        bars (and the RTOs within three times the longest restore); RTOs far
        beyond are left off the axis and named in the subtitle, so a 1.5 h
        restore against a 72 h RTO is not drawn as a sliver.
    """
    _require(restores, {"asset", "start_hours", "finish_hours", "rto_hours", "verdict", "wave", "backup"},
             "restores", "capacity.restores_frame")
    data = restores.sort_values(["start_hours", "asset"], kind="stable").reset_index(drop=True)
    order = list(data["asset"])
    data = data[["asset", "backup", "wave", "start_hours", "finish_hours", "rto_hours", "verdict"]]
    y = alt.Y("asset:N", sort=order, title=None)
    colour = alt.Color("verdict:N", scale=alt.Scale(domain=list(VERDICT_COLOURS), range=list(VERDICT_COLOURS.values())),
                       title="restore")
    tooltip = ["asset:N", "backup:N", "wave:Q", "start_hours:Q", "finish_hours:Q", "rto_hours:Q", "verdict:N"]
    finishes = data["finish_hours"].dropna().astype(float)
    longest = float(max([*finishes, *data["start_hours"].dropna().astype(float), 0.0]))
    rtos = data["rto_hours"].dropna().astype(float)
    near = [r for r in rtos if r <= 3 * longest] if longest > 0 else list(rtos)
    top = max([longest, *near, 0.0]) * 1.05 or 1.0
    off = data[data["rto_hours"].notna() & (data["rto_hours"] > top)]
    subtitle = (["RTO beyond the axis: " + ", ".join(f"{a} {r:g} h" for a, r in zip(off["asset"], off["rto_hours"]))]
                if len(off) else [])
    untimed = data[data["finish_hours"].isna()]
    if len(untimed):  # an unknown finish is drawn as its start only, never as a bar of 0 h
        subtitle.append("Not timed (no throughput on the path; finish unknown): " + ", ".join(untimed["asset"]))
    x_scale = alt.Scale(domain=[0, top], nice=False)
    base = alt.Chart(data)
    bars = base.mark_bar(height=12).encode(
        x=alt.X("start_hours:Q", title="hours since the disaster", scale=x_scale), x2="finish_hours:Q", y=y,
        color=colour, tooltip=tooltip,
    )
    starts = base.mark_point(filled=True, size=30).encode(x="start_hours:Q", y=y, color=colour, tooltip=tooltip)
    rto = base.mark_tick(color="black", thickness=2, size=18).encode(
        x="rto_hours:Q", y=y, tooltip=["asset:N", "rto_hours:Q"]
    ).transform_filter(f"isValid(datum.rto_hours) && datum.rto_hours <= {top!r}")
    return (bars + starts + rto).properties(title=alt.TitleParams(title, subtitle=subtitle),
                                            width=width, height=max(60, 22 * len(order)))


def routine_vs_disaster(hours: pd.DataFrame, width: int = 560) -> alt.LayerChart:
    """Per asset: restore time alone (hollow) and in the worst disaster (filled), joined, with the RTO tick.

    Parameters
    ----------
    hours : pandas.DataFrame
        ``capacity.hours_frame(result, model)``.

    Returns
    -------
    altair.LayerChart
        Assets sorted by id; an asset without a disaster time (unrecoverable
        in some scenario, never taken down, or of unknown size) shows only
        its routine point.
    """
    _require(hours, {"asset", "rto_hours", "routine_hours", "disaster_hours"}, "hours", "capacity.hours_frame")
    data = hours[["asset", "rto_hours", "routine_hours", "disaster_hours"]].copy()
    long = data.melt(id_vars=["asset", "rto_hours"], value_vars=["routine_hours", "disaster_hours"],
                     var_name="when", value_name="hours")
    long["when"] = long["when"].map({"routine_hours": "alone (routine)", "disaster_hours": "worst scenario"})
    long = long.dropna(subset=["hours"]).sort_values(["asset", "when"], kind="stable").reset_index(drop=True)
    order = sorted(data["asset"])
    y = alt.Y("asset:N", sort=order, title=None)
    span = alt.Chart(data.dropna(subset=["routine_hours", "disaster_hours"])).mark_rule(color="#7f8c8d").encode(
        x=alt.X("routine_hours:Q", title="restore hours"), x2="disaster_hours:Q", y=y
    )
    points = alt.Chart(long).mark_point(size=70).encode(
        x="hours:Q", y=y,
        shape=alt.Shape("when:N", scale=alt.Scale(domain=["alone (routine)", "worst scenario"],
                                                   range=["circle", "diamond"]), title=None),
        fill=alt.Fill("when:N", scale=alt.Scale(domain=["alone (routine)", "worst scenario"],
                                                range=["white", "#2c3e50"]), legend=None),
        color=alt.value("#2c3e50"),
        tooltip=["asset:N", "when:N", "hours:Q", "rto_hours:Q"],
    )
    rto = alt.Chart(data.dropna(subset=["rto_hours"])).mark_tick(color="#c0392b", thickness=2, size=16).encode(
        x="rto_hours:Q", y=y, tooltip=["asset:N", "rto_hours:Q"]
    )
    return (span + points + rto).properties(width=width, height=max(60, 22 * len(order)))


def utilisation_bars(loads: pd.DataFrame, title: str = "", width: int = 420) -> alt.Chart:
    """Mean utilisation of each constrained component over the scenario; bottlenecks (full at times) in red.

    Parameters
    ----------
    loads : pandas.DataFrame
        ``capacity.loads_frame(scenario_result)``.
    """
    _require(loads, {"component", "utilisation", "carried_gb", "saturated_hours", "bottleneck"}, "loads",
             "capacity.loads_frame")
    data = loads[["component", "utilisation", "carried_gb", "saturated_hours", "bottleneck"]].copy()
    data["role"] = data["bottleneck"].map({True: "bottleneck (full at times)", False: "never full"})
    order = list(data.sort_values(["utilisation", "component"], ascending=[False, True], kind="stable")["component"])
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("utilisation:Q", title="mean utilisation over the makespan", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("component:N", sort=order, title=None),
        color=alt.Color("role:N", scale=alt.Scale(domain=["bottleneck (full at times)", "never full"],
                                                  range=["#c0392b", "#7f8c8d"]), title=None),
        tooltip=["component:N", alt.Tooltip("utilisation:Q", format=".0%"), "carried_gb:Q", "saturated_hours:Q"],
    ).properties(title=title, width=width, height=max(40, 22 * len(order)))


def headroom_bars(scenarios: pd.DataFrame, width: int = 420) -> alt.LayerChart:
    """The capacity factor each scenario needs for tier-1 RTOs, with the line at 1x (today's capacity).

    Parameters
    ----------
    scenarios : pandas.DataFrame
        ``capacity.scenarios_frame(result)``. Scenarios without a factor
        (no tier-1 restore, or no factor can do it) are listed with their
        reason as a text label instead of a bar.
    """
    _require(scenarios, {"scenario", "headroom_factor", "headroom_reason"}, "scenarios", "capacity.scenarios_frame")
    data = scenarios[["scenario", "headroom_factor", "headroom_reason"]].copy()
    data["status"] = data["headroom_factor"].map(
        lambda f: "no factor" if pd.isna(f) else ("needs more" if f > 1 else "enough today")
    )
    data["label"] = data.apply(
        lambda r: r["headroom_reason"][:70] if pd.isna(r["headroom_factor"]) else f"{r['headroom_factor']:g}x", axis=1
    )
    data["shown"] = data["headroom_factor"].fillna(0.0)
    order = list(data["scenario"])
    y = alt.Y("scenario:N", sort=order, title=None)
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("shown:Q", title="capacity factor needed for tier-1 RTOs"),
        y=y,
        color=alt.Color("status:N", scale=alt.Scale(domain=["needs more", "enough today", "no factor"],
                                                    range=["#c0392b", "#27ae60", "#95a5a6"]), title=None),
        tooltip=["scenario:N", "headroom_factor:Q", "headroom_reason:N"],
    )
    labels = alt.Chart(data).mark_text(align="left", dx=4, fontSize=10).encode(x="shown:Q", y=y, text="label:N")
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 3], color="black").encode(x="x:Q")
    return (bars + labels + one).properties(width=width, height=max(40, 26 * len(order)))
