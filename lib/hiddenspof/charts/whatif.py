"""Charts of the what-if explorers: the restore Gantt chart with RTO marks."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["restore_gantt"]

_COLUMNS = {"asset", "backup", "start_hours", "finish_hours", "rto_hours", "meets_rto"}


def restore_gantt(restores: pd.DataFrame, title: str = "Restore schedule") -> alt.LayerChart:
    """One bar per restore (start to finish, hours after the disaster) and a tick at each asset's RTO.

    Parameters
    ----------
    restores : DataFrame
        ``CapacityWhatIf.restores``: asset, backup, start_hours, finish_hours,
        rto_hours, meets_rto.
    title : str

    Returns
    -------
    altair.LayerChart
        Bars coloured by RTO verdict (met, missed, no RTO) plus RTO ticks.

    Raises
    ------
    ValueError
        When a column is missing.
    """
    missing = sorted(_COLUMNS - set(restores.columns))
    if missing:
        raise ValueError(f"restore_gantt needs columns {', '.join(missing)}: pass CapacityWhatIf.restores")
    data = restores.loc[:, ["asset", "backup", "start_hours", "finish_hours", "rto_hours", "meets_rto"]].copy()
    data["verdict"] = [
        "no RTO" if pd.isna(m) else ("meets RTO" if bool(m) else "misses RTO") for m in data["meets_rto"]
    ]
    data = data.drop(columns=["meets_rto"])
    data["rto_hours"] = data["rto_hours"].astype(float)
    order = list(data.sort_values(["start_hours", "asset"])["asset"])
    base = alt.Chart(data).encode(y=alt.Y("asset:N", sort=order, title=None))
    bars = base.mark_bar().encode(
        x=alt.X("start_hours:Q", title="hours after the disaster"),
        x2="finish_hours:Q",
        color=alt.Color("verdict:N", title="RTO",
                        scale=alt.Scale(domain=["meets RTO", "misses RTO", "no RTO"],
                                        range=["#4c9f70", "#d1495b", "#9e9e9e"])),
        tooltip=["asset:N", "backup:N", alt.Tooltip("start_hours:Q", format=".2f"),
                 alt.Tooltip("finish_hours:Q", format=".2f"), alt.Tooltip("rto_hours:Q", format=".1f")],
    )
    ticks = base.transform_filter("isValid(datum.rto_hours)").mark_tick(
        color="black", thickness=2, size=18).encode(x="rto_hours:Q")
    return (bars + ticks).properties(title=title, width=520)
