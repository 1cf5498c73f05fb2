"""The client deliverable: what a consultant hands over, built once from the analysis for the PDF and Word.

The HTML report is the complete, searchable record. The deliverable is the
part a client reads in one sitting (see ``docs/deliverable.md``):

1. **Executive summary**: the headline in sentences and the scorecard.
2. **Heat map**: which threat leaves which asset unrecoverable (assets that
   survive every threat are counted, not drawn, unless ``detail="full"``).
3. **Findings**: every finding of severity high and above as a block
   (title, assets by name, why it matters, the evidence in two sentences, the
   fix and what it changes, what stands in the way).
4. **The plan**: work packages in order, with the residual risk after each
   (:func:`work_packages`, the one adapter between the plan and the layout).
5. **Capacity**: one chart and one table of the restore scenarios.
6. Hooked-in sections (:data:`SECTION_HOOKS`; the controls section plugs in here).
7. **Appendix**: a one-pager per tier-1 asset and the finding index, the only
   place finding ids appear.

``detail="full"`` prints everything instead: every finding, every tier-1
and tier-2 asset page, every asset in the heat map.

The result is a :class:`Document`: plain data (paragraphs, tables, blocks,
charts), no HTML and no Word. :mod:`hiddenspof.documents` lays the same
Document out as a printed page (PDF) and as Word, so both hold the same
sections in the same order. Every sentence and cell goes through
:class:`hiddenspof.presentation.Names`: names, not ids; words, not keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .errors import UsageError
from .findings import SEVERITIES, severity_rank
from .presentation import (
    CATEGORY_LABELS,
    MISSING,
    Names,
    cell_text,
    threat_label,
)

__all__ = [
    "PAPERS",
    "DETAILS",
    "Paragraph",
    "Table",
    "Block",
    "Chart",
    "Section",
    "Document",
    "WorkPackage",
    "work_packages",
    "build",
    "SECTION_HOOKS",
    "page_budget",
]

#: Paper sizes: name -> (width, height) in millimetres. The PDF and Word use the same one.
PAPERS = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
#: Page margins in millimetres (top, right, bottom, left), the same for the PDF and Word.
MARGINS_MM = (20.0, 16.0, 18.0, 16.0)
#: ``summary``: the deliverable; ``full``: everything the analysis found.
DETAILS = ("summary", "full")
#: Severities the summary deliverable shows as blocks (the rest are in the HTML).
SHOWN_SEVERITIES = ("critical", "high")
#: The type face of charts: the printed page's, so that the text is measured as it is drawn.
PRINT_FONT = "DejaVu Sans"
#: Room around a chart (pixels) so that no label is clipped when the page's font draws a little wider.
PRINT_PADDING = {"left": 16, "right": 16, "top": 6, "bottom": 6}
#: Sentences of evidence a finding block shows.
EVIDENCE_SENTENCES = 2


def page_budget(assets: int) -> int:
    """The most pages a summary deliverable may take: 30 up to 20 assets, then one more per two assets."""
    return 30 + max(0, assets - 20) // 2


# ------------------------------------------------------------------------------------------ model


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text; ``style`` is ``body``, ``lead`` (larger, first thing read) or ``note`` (small)."""

    text: str
    style: str = "body"


@dataclass(frozen=True)
class Table:
    """A table as text: headers, rows of cells, which columns hold numbers (right-aligned).

    A layout that cannot fit the columns side by side on the page (every
    column at least as wide as its header and its longest word) prints the
    rows as stacked blocks instead (see ``documents``).
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()
    title: str = ""
    stack_title: int | None = None  # the column that titles a row when stacked (None: the first)
    compact: bool = False  # small type, tight rows (an index)
    #: columns of long identifiers that may break after their separators (``:``, ``+``), never inside a part
    breakable: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not self.numeric:
            object.__setattr__(self, "numeric", (False,) * len(self.headers))
        bad = [i for i, r in enumerate(self.rows) if len(r) != len(self.headers)]
        if bad:
            raise ValueError(f"table {self.title!r}: rows {bad[:5]} do not have {len(self.headers)} cells")


@dataclass(frozen=True)
class Block:
    """One finding, plan step or record: a title, an optional label (severity), then labelled fields."""

    title: str
    fields: tuple[tuple[str, str], ...]
    label: str | None = None
    ref: str = ""  # a short reference shown small ("F3"): the appendix maps it to the finding id


@dataclass(frozen=True)
class Chart:
    """A chart as a Vega-Lite spec, sized for the page (``documents`` draws it as SVG or PNG)."""

    spec: dict
    caption: str = ""


@dataclass(frozen=True)
class Section:
    """A numbered section (``appendix``: lettered, after the body) of blocks, tables, charts and paragraphs."""

    key: str
    title: str
    items: tuple = ()
    appendix: bool = False


@dataclass(frozen=True)
class Document:
    """The whole deliverable: the cover's facts, the paper, the sections in order."""

    title: str
    environment: str
    as_of: str
    client: str | None
    firm: str | None
    paper: str
    detail: str
    sections: tuple[Section, ...]
    record: str = "report.html"  # the complete record this document cites

    @property
    def running_header(self) -> str:
        """The text at the top of every page: client, environment and assessment date."""
        parts = [p for p in (self.client, self.environment) if p]
        return " \u00b7 ".join([*parts, f"as of {self.as_of}"])

    @property
    def page_mm(self) -> tuple[float, float]:
        return PAPERS[self.paper]


# ------------------------------------------------------------------------------------------ plan


@dataclass(frozen=True)
class WorkPackage:
    """One step of the plan: changes done together, and the estate's risk once this and every earlier step are done."""

    number: int
    title: str
    changes: tuple[str, ...]  # what is done, in words
    assets: tuple[str, ...]  # ids
    resolved: tuple[str, ...]  # ids of the findings the re-analysis after it no longer shows
    findings: tuple[str, ...]  # ids of the findings whose fixes it applies
    risk_before: float | None
    risk_after: float | None  # residual risk after this step (cumulative); None: not re-analysed on its own
    risk_today: float
    serious_after: int | None = None  # critical and high findings still open after it
    #: the edits of this package (the analysis JSON's ``plan.steps[].changes``), to re-apply; not shown
    applied: tuple = field(default=(), compare=False, repr=False)


def work_packages(result: Mapping) -> list[WorkPackage]:
    """The plan as work packages with the residual risk after each: the one adapter the layout reads.

    Reads the analysis JSON's ``plan`` (``hiddenspof.plan``): every verified
    fix applied one work package after the other, each re-analysed on top of
    the ones before. An analysis without a plan gives no package.
    """
    plan = result.get("plan") or {}
    today = plan.get("risk_before")
    out, before = [], today
    for step in plan.get("steps", ()):
        out.append(WorkPackage(
            number=int(step["step"]), title=str(step["title"]), changes=(str(step.get("detail", "")),),
            assets=tuple(step.get("asset_ids", ())), resolved=tuple(step.get("resolved", ())),
            findings=tuple(step.get("findings", ())),
            risk_before=before, risk_after=step.get("risk_after"), risk_today=float(today or 0.0),
            serious_after=step.get("serious_after"), applied=tuple(step.get("changes", ())),
        ))
        if step.get("risk_after") is not None:
            before = step["risk_after"]
    return out


# ------------------------------------------------------------------------------------------ build

#: Further sections, each ``hook(context) -> Section | None``, placed after capacity and before the
#: appendix, in this order. Issue 27's controls section registers itself here (one hook, own module).
SECTION_HOOKS: list[Callable[[BuildContext], Section | None]] = []


@dataclass
class BuildContext:
    """What a section builder reads: the analysis, the inventory's names, options, the finding references."""

    result: Mapping
    names: Names
    detail: str
    inventory: object = None
    model: object = None
    plan: Sequence[WorkPackage] = ()
    refs: dict[str, str] = field(default_factory=dict)  # finding id -> "F1" (the appendix's index)

    def say(self, text: str) -> str:
        """Generated text for the client: finding ids as their reference (F3) or title, then names for ids."""
        out = str(text or "")
        if ":" in out:
            findings = {f["id"]: f for f in self.result.get("findings", [])}
            for fid in sorted(findings, key=lambda i: (-len(i), i)):
                if fid in out:
                    f = findings[fid]
                    said = self.refs.get(fid) or f'a {f["severity"]} finding ("{self.names.text(f["title"])}")'
                    out = out.replace(fid, said)
            # a finding a fix would raise exists only in the changed estate: say what it is about
            out = _OTHER_FINDING.sub(lambda m: f"a new {CATEGORY_LABELS.get(m.group(1), m.group(1))} finding", out)
        return self.names.text(out)


_OTHER_FINDING = re.compile(r"(?<![\w-])(coupling|silent_failure|capacity|data_quality):[^\s,;()]+")
_WHY = {
    "coupling": "One failure or one stolen credential takes out the system and the backups meant to restore it together.",
    "silent_failure": "The backup may not restore when it is needed, and nothing today would show it before then.",
    "capacity": "When many systems must come back at once, this one comes back later than the business needs.",
    "data_quality": "The inventory does not say enough to judge this part of the estate; the answer may be worse than shown.",
}
_SENTENCE_END = re.compile(r"(?<=[.;])\s+")


def _sentences(text: str, n: int) -> str:
    """The first ``n`` sentences (or ``;``-clauses) of a generated text, ending with a full stop."""
    parts = [p.strip().rstrip(";.") for p in _SENTENCE_END.split(str(text or "").strip()) if p.strip()]
    if not parts:
        return MISSING
    shown = ". ".join(p[:1].upper() + p[1:] for p in parts[:n]) + "."
    return shown + (" (More in the full record.)" if len(parts) > n else "")


#: Most systems a block names before "and N more" (the full list is in the full record).
LISTED = 10


def _listed(names: Names, idents: Sequence[str]) -> str:
    """Names of ``idents``, at most :data:`LISTED` of them, then how many more."""
    idents = list(idents)
    if not idents:
        return MISSING
    shown = names.join(idents[:LISTED])
    return shown + (f" and {len(idents) - LISTED} more" if len(idents) > LISTED else "")


#: Most changes a work package lists before "and N more" (the full record lists every edit).
LISTED_CHANGES = 4


def _done(ctx: BuildContext, detail: str) -> str:
    """What a work package does, at most :data:`LISTED_CHANGES` changes, in words."""
    parts = [p.strip() for p in str(detail or "").split("; ") if p.strip()]
    if not parts:
        return MISSING
    text = ctx.say("; ".join(parts[:LISTED_CHANGES]))
    more = f"; and {len(parts) - LISTED_CHANGES} more changes (listed in the full record)" \
        if len(parts) > LISTED_CHANGES else ""
    return f"{text[:1].upper()}{text[1:]}{more}."


def _resolved(ctx: BuildContext, package: WorkPackage) -> str:
    """The findings a work package resolves, by reference (F3) and, for the rest, by count."""
    if not package.resolved:
        text = "No finding is resolved by this step alone"
    else:
        refs = sorted((ctx.refs[f] for f in package.resolved if f in ctx.refs), key=lambda r: int(r[1:]))
        others = len(package.resolved) - len(refs)
        bits = ([", ".join(refs)] if refs else []) + (
            [f"{others} finding{'s' if others != 1 else ''} of lower severity"] if others else [])
        text = "Resolves " + " and ".join(bits)
    if package.serious_after is not None:
        text += f"; {package.serious_after} finding{'s' if package.serious_after != 1 else ''} of high severity or above left"
    return text + "."


def _tiers(result: Mapping) -> dict[str, int | None]:
    return {a["id"]: a.get("tier") for a in result.get("assets", [])}


def _finding_order(result: Mapping) -> list[Mapping]:
    tiers = _tiers(result)

    def key(f):
        known = [tiers[a] for a in f.get("assets", []) if tiers.get(a) is not None]
        return (severity_rank(f["severity"]), min(known) if known else 99, -len(f.get("assets", [])),
                f["category"], f["id"])

    return sorted(result.get("findings", []), key=key)


def _shown_findings(ctx: BuildContext) -> list[Mapping]:
    ordered = _finding_order(ctx.result)
    if ctx.detail == "full":
        return ordered
    return [f for f in ordered if f["severity"] in SHOWN_SEVERITIES]


def _summary(ctx: BuildContext) -> Section:
    from . import summary

    r, n = ctx.result, ctx.names
    h = summary.headline(r)
    counts = h["findings"]
    lead = (f"{h['assets']} protected systems were assessed as of {r['environment']['as_of']}. "
            f"{h['unrecoverable_assets']} of them can be left with no working backup by a single threat, "
            f"and {counts['critical'] + counts['high']} findings are of high severity or above.")
    items: list = [Paragraph(lead, "lead")]
    first = [p for p in ctx.plan[:3] if p.risk_after is not None]
    if first:
        left = first[-1].risk_after / first[-1].risk_today if first[-1].risk_today else 0.0
        items.append(Paragraph(
            f"The first {len(first)} work package{'s' if len(first) != 1 else ''} of the plan "
            f"({'; '.join(n.text(p.title) for p in first)}) leave {100 * left:.0f} % of today's risk "
            "(section 4)."))
    card = summary.scorecard(r)
    rows = []
    for measure, value, meaning in card.itertuples(index=False):
        rows.append((measure, n.text(value), meaning))
    items.append(Table(("Measure", "Value", "What it means"), tuple(rows), title="Scorecard"))
    items.append(Paragraph(
        f"This document holds what to act on. The complete record (every finding, every system, every chart) "
        f"is the HTML report delivered with it ({'report.html'}); findings are numbered F1, F2, ... and the "
        "appendix maps each number to its entry there.", "note"))
    return Section("summary", "Executive summary", tuple(items))


def _heatmap(ctx: BuildContext) -> Section:
    import altair as alt

    from . import summary
    from .charts.summary import VERDICT_COLOURS

    r, n = ctx.result, ctx.names
    matrix = summary.threat_matrix(r)
    tiers = _tiers(r)
    hit = {a for a, v in zip(matrix["asset"], matrix["verdict"]) if v == "unrecoverable"}
    keep = sorted(set(matrix["asset"])) if ctx.detail == "full" else sorted(hit)
    items: list = []
    spared = len(set(matrix["asset"])) - len(keep)
    if not keep:
        items.append(Paragraph("No threat mode leaves any protected system unrecoverable."))
        return Section("heatmap", "Which threat leaves which system unrecoverable", tuple(items))
    items.append(Paragraph(
        "Red: the threat leaves the system with no working backup. Systems in tier order, most critical first."
        + (f" {spared} further system{'s survive' if spared != 1 else ' survives'} every threat and "
           f"{'are' if spared != 1 else 'is'} not drawn."
           if spared else "")))
    order = sorted(keep, key=lambda a: (tiers.get(a) is None, tiers.get(a) or 0, n.of(a).lower(), a))
    data = matrix[matrix["asset"].isin(keep)].copy()
    data["label"] = [f"{n.of(a)} (tier {tiers[a]})" if tiers.get(a) is not None else n.of(a) for a in data["asset"]]
    data["threat"] = data["threat"].map(threat_label)
    data["verdict"] = data["verdict"].str.replace("_", " ")
    labels = {a: lab for a, lab in zip(data["asset"], data["label"])}
    chunk = 36  # rows of one chart: it fits a page with its axis
    for start in range(0, len(order), chunk):
        part = order[start: start + chunk]
        frame = data[data["asset"].isin(part)]
        spec = (
            alt.Chart(frame)
            .mark_rect(stroke="white", strokeWidth=1)
            .encode(
                x=alt.X("threat:N", sort=list(dict.fromkeys(data["threat"])), title=None,
                        axis=alt.Axis(labelAngle=0, labelAlign="center", labelOverlap=False, orient="bottom",
                                      labelExpr="split(datum.label, ' ')", labelLimit=0)),
                y=alt.Y("label:N", sort=[labels[a] for a in part], title=None,
                        axis=alt.Axis(labelLimit=260)),
                color=alt.Color("verdict:N", title="verdict",
                                scale=alt.Scale(domain=["unrecoverable", "recoverable", "not applicable"],
                                                range=[VERDICT_COLOURS[v] for v in summary.VERDICTS]),
                                legend=alt.Legend(orient="bottom")),
            )
            .properties(width=alt.Step(62), height=alt.Step(18), padding=PRINT_PADDING)
            .configure(font=PRINT_FONT)
            .configure_view(stroke=None)
            .configure_axis(labelFontSize=9.5)
            .to_dict()
        )
        items.append(Chart(spec, "Threat x system verdicts" + (f" ({start + 1}-{start + len(part)})"
                                                                  if len(order) > chunk else "")))
    return Section("heatmap", "Which threat leaves which system unrecoverable", tuple(items))


def _finding_block(f: Mapping, ctx: BuildContext) -> Block:
    n = ctx.names
    fields = [("Systems", _listed(n, f.get("assets", []))),
              ("Why it matters", _WHY.get(f["category"], CATEGORY_LABELS.get(f["category"], f["category"]))),
              ("Evidence", _sentences(ctx.say(f.get("evidence", "")), EVIDENCE_SENTENCES))]
    fix = f.get("fix")
    if fix:
        state = "verified by re-analysis" if fix.get("verified") else "not verified"
        change = fix.get("change") or ""
        fields.append(("The fix", ctx.say(change[:1].upper() + change[1:] + ("" if change.endswith(".") else "."))))
        effect = ctx.say((fix.get("effect") or MISSING).rstrip("."))
        fields.append(("What it changes", f"{effect[:1].upper()}{effect[1:]} ({state})."))
    elif f.get("recommendation"):
        fields.append(("The fix", ctx.say(f["recommendation"])))
    if f.get("blockers"):
        fields.append(("In the way", _listed(n, f["blockers"])))
    return Block(ctx.say(f["title"]), tuple(fields), label=f["severity"], ref=ctx.refs[f["id"]])


def _findings(ctx: BuildContext) -> Section:
    shown = _shown_findings(ctx)
    counts = {s: sum(1 for f in ctx.result.get("findings", []) if f["severity"] == s) for s in SEVERITIES}
    rest = sum(counts.values()) - len(shown)
    what = "Every finding" if ctx.detail == "full" else "The findings of severity high and above"
    intro = f"{what}, most severe first, each with its evidence and the fix."
    if rest:
        intro += (f" {rest} finding{'s' if rest != 1 else ''} of lower severity "
                  f"({', '.join(f'{counts[s]} {s}' for s in SEVERITIES if counts[s] and s not in SHOWN_SEVERITIES)}) "
                  "are in the full record.")
    items: list = [Paragraph(intro)]
    if not shown:
        items.append(Paragraph("No finding of severity high or above: nothing needs acting on first."))
    items += [_finding_block(f, ctx) for f in shown]
    return Section("findings", "Findings", tuple(items))


def _plan(ctx: BuildContext) -> Section:
    n = ctx.names
    plan = ctx.result.get("plan") or {}
    if not ctx.plan:
        return Section("plan", "The plan", (Paragraph(
            "No verified fix was found, so there is no plan: the findings say what to look at."),))
    today = ctx.plan[0].risk_today
    items: list = [Paragraph(
        "Work packages in the order to do them. Each was applied, on top of the ones before it, to a copy of the "
        "inventory and the analysis run again: the residual risk is what is left once it is done "
        f"(today: {today:.1f} risk points, a tier-weighted count of threats, single points of failure and "
        "silent-failure risk; docs/deliverable.md explains it).")]
    rows = []
    for p in ctx.plan:
        residual = MISSING if p.risk_after is None else f"{p.risk_after:.1f}"
        share = MISSING if p.risk_after is None or not today else f"{100 * p.risk_after / today:.0f} %"
        left = MISSING if p.serious_after is None else str(p.serious_after)
        rows.append((str(p.number), ctx.say(p.title), residual, share, left))
    items.append(Table(("Step", "Work package", "Residual risk", "Of today", "High left"), tuple(rows),
                       numeric=(True, False, True, True, True), title="Residual risk after each work package"))
    for p in ctx.plan:
        fixed = sorted((ctx.refs[f] for f in p.findings if f in ctx.refs), key=lambda r: int(r[1:]))
        if p.risk_after is None:
            residual = "not analysed after this step on its own (the end state below is)"
        else:
            removed = "" if p.risk_before is None else f" ({p.risk_before - p.risk_after:.1f} removed)"
            residual = f"{p.risk_after:.1f} points after this step{removed}"
        fields = [("Systems", _listed(n, p.assets)),
                  ("What is done", _done(ctx, p.changes[0])),
                  ("What it changes", _resolved(ctx, p)),
                  ("Residual risk", residual)]
        if fixed:
            fields.append(("Findings addressed", ", ".join(fixed)))
        items.append(Block(f"{p.number}. {ctx.say(p.title)}", tuple(fields)))
    end = plan.get("end_state") or {}
    if end:
        counts = end.get("severity_counts") or {}
        left = ", ".join(f"{c} {s}" for s, c in counts.items() if c) or "no finding"
        lost = end.get("unrecoverable_assets") or []
        items.append(Paragraph(
            f"When the plan is done (the end state, analysed as a whole): {end.get('risk', 0):.1f} risk points "
            f"are left, with {left}"
            + (f"; {len(lost)} system{'s are' if len(lost) != 1 else ' is'} still lost to some threat "
               f"({', '.join(lost[:LISTED])}{' and more' if len(lost) > LISTED else ''})" if lost else "")
            + "."))
    return Section("plan", "The plan", tuple(items))


def _capacity(ctx: BuildContext) -> Section:
    import altair as alt
    import pandas as pd

    r, n = ctx.result, ctx.names
    scenarios = r.get("capacity", {}).get("scenarios", [])
    if not scenarios:
        return Section("capacity", "Restore capacity", (Paragraph("No restore scenario could be built."),))
    rows, bars = [], []
    for s in scenarios:
        restores = s.get("restores", [])
        meets = sum(1 for x in restores if x.get("meets_rto") is True)
        misses = sum(1 for x in restores if x.get("meets_rto") is False)
        other = len(restores) - meets - misses
        lost = len(s.get("unrecoverable", []))
        name = "Everything at once" if s.get("kind") == "restore_all" else n.text(s["name"])
        rows.append((name, cell_text("n", len(restores)), f"{s.get('makespan_hours', 0):.3g} h" if restores else MISSING,
                     str(misses), str(lost)))
        for verdict, count in (("meets RTO", meets), ("misses RTO", misses), ("no RTO", other),
                               ("cannot be restored", lost)):
            if count:
                bars.append({"scenario": name, "verdict": verdict, "systems": count})
    items: list = [Paragraph(
        "Each scenario fails what it names and restores every system it takes down, competing for the same "
        "networks, stores and tools. Everything at once answers: if all must come back together, who is late?")]
    frame = pd.DataFrame(bars, columns=["scenario", "verdict", "systems"])
    order = [row[0] for row in rows]
    spec = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("scenario:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
            x=alt.X("systems:Q", title="systems restored", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("verdict:N", title=None, legend=alt.Legend(orient="bottom"),
                            scale=alt.Scale(domain=["meets RTO", "misses RTO", "no RTO", "cannot be restored"],
                                            range=["#27ae60", "#e67e22", "#95a5a6", "#c0392b"])),
            order=alt.Order("verdict:N"),
        )
        .properties(width=380, height=alt.Step(18), padding=PRINT_PADDING)
        .configure(font=PRINT_FONT)
        .configure_view(stroke=None)
        .to_dict()
    )
    items.append(Chart(spec, "Restores per scenario against their RTO"))
    items.append(Table(("Scenario", "Restores", "All back after", "Miss RTO", "Cannot restore"), tuple(rows),
                       numeric=(False, True, True, True, True), title="Restore scenarios"))
    return Section("capacity", "Restore capacity", tuple(items))


def _asset_pages(ctx: BuildContext) -> Section:
    from . import asset_pages

    n = ctx.names
    tiers = (1, 2) if ctx.detail == "full" else (1,)
    pages = [p for p in asset_pages.build(ctx.result, ctx.model, None) if p.tier in tiers]
    pages.sort(key=lambda p: (p.tier, n.of(p.asset).lower(), p.asset))
    which = "tier-1 and tier-2" if ctx.detail == "full" else "tier-1"
    items: list = [Paragraph(f"One page per {which} system: what takes it down, how it comes back, how long, "
                             "silent-failure risk and the fixes. Other systems have their page in the full record.")]
    if not pages:
        items.append(Paragraph(f"No protected system is {which}."))
    for page in pages:
        frame = asset_pages.facts_frame(page)
        rows = tuple((q, ctx.say(a)) for q, a in zip(frame["question"], frame["answer"]))
        title = f"{n.of(page.asset)}, tier {page.tier}"
        items.append(Block(title, rows, label=None, ref="page"))
    return Section("assets", "Tier-1 systems, one page each" if ctx.detail != "full" else "Critical systems, one page each",
                   tuple(items), appendix=True)


def _finding_index(ctx: BuildContext) -> Section:
    ordered = [f for f in _finding_order(ctx.result) if f["id"] in ctx.refs]
    rows = tuple((ctx.refs[f["id"]], f["severity"], f["id"]) for f in ordered)
    items: list = [Paragraph("The reference of each finding in this document and its id in the full record "
                             "(report.html, findings.csv, analysis.json).", "note")]
    if rows:
        items.append(Table(("Ref", "Severity", "Finding id"), rows, title="Finding index", compact=True,
                           breakable=(2,)))
    return Section("index", "Finding index", tuple(items), appendix=True)


def build(result: Mapping, inventory=None, *, model=None, names: Mapping[str, str] | None = None,
          plan: Sequence[WorkPackage] | None = None, paper: str = "a4", detail: str = "summary",
          client: str | None = None, firm: str | None = None) -> Document:
    """The deliverable of one assessment as a :class:`Document` (see the module docstring).

    Parameters
    ----------
    result : mapping
        The analysis JSON.
    inventory : Inventory, optional
        For the names and the plan (``work_packages``) when they are not given.
    model : Model, optional
        For the asset pages' recovery paths (built from ``inventory`` when absent).
    names : mapping, optional
        Component id -> name (default: the inventory's).
    plan : sequence of WorkPackage, optional
        Default: ``work_packages(result)`` (the analysis JSON's plan).
    paper : ``a4`` or ``letter``
    detail : ``summary`` or ``full``
    client, firm : str, optional
        The cover's client and author's firm.
    """
    if paper not in PAPERS:
        raise UsageError(f"unknown paper {paper!r}: expected one of {', '.join(PAPERS)}")
    if detail not in DETAILS:
        raise UsageError(f"unknown detail {detail!r}: expected one of {', '.join(DETAILS)}")
    if names is None and inventory is not None:
        names = dict(zip(inventory.components["id"], inventory.components["name"]))
    if model is None and inventory is not None:
        from . import model as model_mod

        model = model_mod.build(inventory)
    if plan is None:
        plan = work_packages(result)
    ctx = BuildContext(result=result, names=Names(names), detail=detail, inventory=inventory, model=model,
                       plan=tuple(plan))
    shown = _shown_findings(ctx)
    ctx.refs = {f["id"]: f"F{i}" for i, f in enumerate(shown, 1)}
    sections = [_summary(ctx), _heatmap(ctx), _findings(ctx), _plan(ctx), _capacity(ctx)]
    for hook in SECTION_HOOKS:
        extra = hook(ctx)
        if extra is not None:
            sections.append(extra)
    sections += [_asset_pages(ctx), _finding_index(ctx)]
    env = result.get("environment", {})
    return Document(
        title="Backup resilience assessment", environment=str(env.get("name", "")), as_of=str(env.get("as_of", "")),
        client=client or None, firm=firm or None, paper=paper, detail=detail, sections=tuple(sections),
    )
