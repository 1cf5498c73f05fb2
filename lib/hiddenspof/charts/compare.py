"""Charts of the comparison notebook: how each asset's measures moved between two assessments."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["MEASURES", "measure_change"]

#: measure -> (frame column stem, axis title, whether higher is better)
MEASURES: dict[str, tuple[str, str, bool]] = {
    "survivability": ("survivability", "survivability (higher is better)", True),
    "silent_failure_score": ("silent_score", "silent-failure score (lower is better)", False),
    "routine_hours": ("routine_hours", "routine restore hours (lower is better)", False),
    "disaster_hours": ("disaster_hours", "disaster restore hours (lower is better)", False),
}


def measure_change(frame: pd.DataFrame, measure: str = "survivability") -> alt.LayerChart:
    """A dumbbell per asset: a grey dot at the old value, a coloured one at the new, a line between.

    Parameters
    ----------
    frame : DataFrame
        ``compare.asset_changes_frame(result)``.
    measure : str
        One of ``MEASURES``.

    Returns
    -------
    altair.LayerChart
        Assets where both values are known, sorted by id; the new dot is
        green when better, red when worse, grey when equal.
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}: expected one of {', '.join(MEASURES)}")
    stem, title, higher_better = MEASURES[measure]
    old, new = f"{stem}_old", f"{stem}_new"
    data = frame.loc[frame[old].notna() & frame[new].notna(), ["asset", old, new]].copy()
    data = data.rename(columns={old: "old", new: "new"}).astype({"old": float, "new": float})
    data = data.sort_values("asset", kind="stable").reset_index(drop=True)

    def change(row) -> str:
        if row["new"] == row["old"]:
            return "same"
        return "better" if (row["new"] > row["old"]) == higher_better else "worse"

    data["change"] = [change(r) for _, r in data.iterrows()] if len(data) else pd.Series(dtype=object)
    base = alt.Chart(data).encode(y=alt.Y("asset:N", sort="ascending", title=None))
    line = base.mark_rule(color="#999999").encode(x=alt.X("old:Q", title=title), x2="new:Q")
    before = base.mark_point(filled=True, color="#999999", size=60).encode(
        x="old:Q", tooltip=["asset:N", alt.Tooltip("old:Q", title="before"), alt.Tooltip("new:Q", title="after")]
    )
    after = base.mark_point(filled=True, size=90).encode(
        x="new:Q",
        color=alt.Color(
            "change:N",
            scale=alt.Scale(domain=["better", "same", "worse"], range=["#2a9d4b", "#999999", "#c0392b"]),
            title="change",
        ),
        tooltip=["asset:N", alt.Tooltip("old:Q", title="before"), alt.Tooltip("new:Q", title="after"), "change:N"],
    )
    return (line + before + after).properties(title=f"{title}: before (grey) and after", width=420)
