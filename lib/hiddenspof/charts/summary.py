"""Charts of the executive summary: the asset x threat heat map and findings by severity."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..findings import CATEGORIES, SEVERITIES
from ..summary import VERDICTS

__all__ = ["threat_heatmap", "findings_by_severity"]

VERDICT_COLOURS = {"unrecoverable": "#c0392b", "recoverable": "#27ae60", "not_applicable": "#d5d8dc"}


def threat_heatmap(matrix: pd.DataFrame) -> alt.Chart:
    """Asset x threat heat map: red where the threat leaves the asset unrecoverable.

    Parameters
    ----------
    matrix : pandas.DataFrame
        ``summary.threat_matrix(...)``: columns asset, label, tier, threat, verdict.

    Returns
    -------
    altair.Chart
        Rows keep the matrix's asset order, columns its threat order.
    """
    missing = {"asset", "label", "threat", "verdict"} - set(matrix.columns)
    if missing:
        raise ValueError(f"threat matrix lacks columns {sorted(missing)}: build it with summary.threat_matrix")
    from ..presentation import threat_label

    data = matrix.assign(tier=matrix["tier"].astype("object").where(matrix["tier"].notna(), None))
    data["threat"] = data["threat"].map(threat_label)
    data["verdict"] = data["verdict"].str.replace("_", " ")
    threats = list(dict.fromkeys(data["threat"]))
    labels = list(dict.fromkeys(data["label"]))
    return (
        alt.Chart(data, title="Which threat leaves which asset unrecoverable")
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("threat:N", sort=threats, title="threat mode",
                    axis=alt.Axis(labelAngle=-40, labelAlign="right", labelOverlap=False)),
            y=alt.Y("label:N", sort=labels, title=None),
            color=alt.Color(
                "verdict:N",
                scale=alt.Scale(domain=[v.replace("_", " ") for v in VERDICTS], range=[VERDICT_COLOURS[v] for v in VERDICTS]),
                title="verdict",
            ),
            tooltip=["label:N", "tier:O", "threat:N", "verdict:N"],
        )
        .properties(width=alt.Step(48), height=alt.Step(22))
    )


def findings_by_severity(findings: pd.DataFrame) -> alt.Chart:
    """Stacked bars: how many findings of each severity, split by category.

    Parameters
    ----------
    findings : pandas.DataFrame
        One row per finding with columns ``severity`` and ``category``.
    """
    counts = (
        findings.groupby(["severity", "category"], sort=True).size().rename("findings").reset_index()
        if len(findings)
        else pd.DataFrame({"severity": [], "category": [], "findings": []})
    )
    from . import severity_scale

    counts["category"] = counts["category"].astype(str).str.replace("_", " ")
    return (
        alt.Chart(counts, title="Findings by category and severity")
        .mark_bar()
        .encode(
            x=alt.X("findings:Q", title="findings", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("category:N", sort=[c.replace("_", " ") for c in CATEGORIES], title=None),
            color=alt.Color("severity:N", scale=severity_scale(), sort=list(SEVERITIES)),
            order=alt.Order("severity_rank:Q"),
            tooltip=["category:N", "severity:N", "findings:Q"],
        )
        .transform_calculate(severity_rank=f"indexof({list(SEVERITIES)!r}, datum.severity)")
        .properties(width=420)
    )
