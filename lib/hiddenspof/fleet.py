"""The fleet index of a report run: environments ranked by risk, what changed, and what hurts most of them.

``hiddenspof report`` writes, beside one folder per environment:

* ``index.html``: one row per environment, ranked by fleet risk, every column
  sortable (click its heading) and filterable (the row under the headings:
  text matches part of a cell, numbers take ``>5``, ``<=2``, ``3``), with
  the change since the previous run when ``--baseline`` is given and a
  fleet roll-up (threat modes and shared components that hurt the most
  environments). It is self-contained and offline: a small inline script,
  no network reference, a Content-Security-Policy that forbids fetching.
* ``index.csv`` (spreadsheet-safe) and ``index.json`` (BI tools), same rows.

The fleet risk measure and the other columns are described in
``docs/fleet-index.md``. Each environment's entry (:func:`environment_entry`)
is computed by the worker that rendered it, from its analysis JSON and its
baseline's; the index itself only ranks, rolls up and writes.
"""

from __future__ import annotations

import csv
import functools
import html
import io
import json
import re
from collections.abc import Mapping, Sequence

__all__ = [
    "INDEX_SCHEMA",
    "natural_key",
    "risk_points",
    "environment_entry",
    "rank",
    "rollup",
    "index_document",
    "index_html",
    "index_csv",
]

INDEX_SCHEMA = "hiddenspof-fleet-index/1"
ROLLUP_NAMES = 8  # environments named per roll-up line on the page (index.json names all)
_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """Sort key putting ``seed 2`` before ``seed 10`` (digit runs compare as numbers, letters case-blind).

    >>> sorted(["seed 10", "Seed 2", "seed 1"], key=natural_key)
    ['seed 1', 'Seed 2', 'seed 10']
    """
    parts = _DIGITS.split(str(text))
    key = []
    for i, part in enumerate(parts):
        if i % 2:
            key.append((1, int(part), part))
        else:
            key.append((0, part.casefold(), part))
    return tuple(key)


def risk_points(result: Mapping) -> float:
    """Fleet risk of one environment: the roadmap's estate risk points, from its analysis JSON.

    Sum over protected assets of ``tier weight x (threat modes leaving the
    asset unrecoverable + common causes + silent-failure score / 100)``,
    tier weights as ``whatif.TIER_WEIGHT`` (tier 1: 4 ... tier 4: 1,
    unknown: 2). The same figure as ``whatif.estate_risk(inventory).total``.
    """
    from .whatif import TIER_WEIGHT

    total = 0.0
    for a in result.get("assets", []):
        tier = a.get("tier")
        weight = TIER_WEIGHT.get(None if tier is None else int(tier), TIER_WEIGHT[None])
        lost = sum(1 for v in (a.get("threats") or {}).values() if v == "unrecoverable")
        silent = a.get("silent_failure_score") or 0.0
        total += weight * (lost + len(a.get("common_cause") or ()) + silent / 100.0)
    return round(total, 6)


def _critical(findings: Sequence[Mapping]) -> list[str]:
    return sorted(f["id"] for f in findings if f.get("severity") == "critical")


def _changes(old: Mapping, new: Mapping) -> dict:
    """What changed since the baseline: critical findings new and resolved, threat verdicts flipped, risk."""
    from .compare import compare_results

    diff = compare_results(dict(old), dict(new))
    f = diff["findings"]
    new_critical = _critical(f["new"])
    resolved_critical = _critical(f["resolved"])
    for s in f["severity_changed"]:
        if s["severity"] == "critical":
            new_critical.append(s["id"])
        elif s["old_severity"] == "critical":
            resolved_critical.append(s["id"])
    worse, better = [], []
    for asset in diff["assets"]["changed"]:
        for flip in asset["threats"]:
            item = {"asset": asset["id"], "mode": flip["mode"], "old": flip["old"], "new": flip["new"]}
            if flip["direction"] == "regressed":
                worse.append(item)
            elif flip["direction"] == "improved":
                better.append(item)
    return {
        "baseline_as_of": diff["old"]["as_of"],
        "risk_change": round(risk_points(new) - risk_points(old), 6),
        "new_critical": sorted(new_critical),
        "resolved_critical": sorted(resolved_critical),
        "verdicts_worse": worse,
        "verdicts_better": better,
    }


def environment_entry(result: Mapping, baseline: Mapping | None = None, baseline_expected: bool = False) -> dict:
    """One environment's line of the index, from its analysis JSON (as loaded from ``analysis.json``).

    ``baseline`` is the previous run's analysis JSON of the same environment;
    ``baseline_expected`` says a baseline was asked for (so its absence
    means a new environment).
    """
    from .summary import headline

    head = headline(result)
    assets = head["assets"]
    points = risk_points(result)
    modes: dict[str, int] = {}
    causes: dict[str, int] = {}
    for a in result.get("assets", []):
        for mode, verdict in sorted((a.get("threats") or {}).items()):
            if verdict == "unrecoverable":
                modes[mode] = modes.get(mode, 0) + 1
        for c in a.get("common_cause") or ():
            causes[c] = causes.get(c, 0) + 1
    if baseline is not None:
        change = _changes(baseline, result)
    elif baseline_expected:
        change = {"new_environment": True}
    else:
        change = None
    return {
        "name": result["environment"]["name"],
        "as_of": result["environment"]["as_of"],
        "assets": assets,
        "unrecoverable_assets": head["unrecoverable_assets"],
        "risk_points": points,
        "risk_per_asset": round(points / assets, 6) if assets else 0.0,
        "findings": head["findings"],
        "worst_silent": head["worst_silent"],
        "worst_capacity_miss": head["worst_capacity_miss"],
        "unrecoverable_by_mode": dict(sorted(modes.items())),
        "common_causes": dict(sorted(causes.items())),
        "change": change,
    }


def rank(entries: Sequence[Mapping]) -> list[Mapping]:
    """Environments riskiest first: risk points, then critical findings, then name in natural order."""
    return sorted(
        entries,
        key=lambda e: (-e["risk_points"], -e["findings"].get("critical", 0), natural_key(e["name"]), e["slug"]),
    )


def rollup(entries: Sequence[Mapping], top: int = 15) -> dict:
    """What hurts most environments: threat modes and shared components (matched by id across environments).

    ``threat_modes``: per mode, the environments where it leaves at least one
    asset unrecoverable and the assets it leaves so, most environments
    first. ``shared_components``: components that are a common cause (a
    single failure leaving an asset unrecoverable) in at least two
    environments, with those environments (natural order) and assets, at
    most ``top`` of them.
    """
    modes: dict[str, list] = {}
    comps: dict[str, list] = {}
    for e in entries:
        for mode, n in e["unrecoverable_by_mode"].items():
            modes.setdefault(mode, []).append((e["name"], n))
        for c, n in e["common_causes"].items():
            comps.setdefault(c, []).append((e["name"], n))

    def lines(table: dict[str, list], label: str) -> list[dict]:
        out = []
        for key, hits in table.items():
            names = sorted((h[0] for h in hits), key=natural_key)
            out.append({label: key, "environments": len(hits), "assets": sum(h[1] for h in hits),
                        "environment_names": names})
        return sorted(out, key=lambda x: (-x["environments"], -x["assets"], natural_key(x[label])))

    shared = [c for c in lines(comps, "component") if c["environments"] >= 2][:top]
    return {"threat_modes": lines(modes, "mode"), "shared_components": shared}


def index_document(entries: Sequence[Mapping], failed: Sequence[Mapping], baseline: str | None) -> dict:
    """``index.json``: ranked environments (``rank`` from 1), failures, roll-up; no timestamp (repeatable)."""
    ranked = [dict(e, rank=i) for i, e in enumerate(rank(entries), start=1)]
    return {
        "schema": INDEX_SCHEMA,
        "risk_measure": "risk points: sum over protected assets of tier weight x (unrecoverable threat modes "
                        "+ common causes + silent-failure score / 100); see docs/fleet-index.md",
        "baseline": baseline,
        "environments": ranked,
        "frameworks": control_frameworks(entries),
        "failed": sorted((dict(f) for f in failed), key=lambda f: (natural_key(f["name"] or f["slug"]), f["slug"])),
        "rollup": rollup(entries),
    }


def control_frameworks(entries: Sequence[Mapping]) -> list[str]:
    """The frameworks chosen for the run (``report --framework``), in the order first met: a column each."""
    keys: list[str] = []
    for e in entries:
        for k in e.get("controls") or {}:
            if k not in keys:
                keys.append(k)
    return keys


def _controls_cell(e: Mapping, key: str) -> tuple[int, int] | None:
    c = (e.get("controls") or {}).get(key)
    return None if c is None else (int(c["met"]), int(c["total"]))


# ------------------------------------------------------------------ CSV


def index_csv(document: Mapping) -> str:
    """``index.csv``: one row per environment (ranked, then the failed ones), spreadsheet-safe."""
    from .findings import neutralise_cell

    with_change = document["baseline"] is not None
    columns = ["rank", "slug", "name", "as_of", "status", "risk_points", "risk_per_asset", "assets",
               "unrecoverable_assets", "critical", "high", "medium", "low", "info",
               "worst_silent_score", "worst_silent_asset", "worst_capacity_miss_hours",
               "worst_capacity_miss_asset", "worst_capacity_miss_scenario"]
    if with_change:
        columns += ["baseline_found", "risk_change", "new_critical", "resolved_critical",
                    "verdicts_worse", "verdicts_better"]
    frameworks = document.get("frameworks") or []
    columns += [f"controls_met_{k}" for k in frameworks]
    columns += ["report", "reason"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for e in document["environments"]:
        silent, miss, f = e["worst_silent"] or {}, e["worst_capacity_miss"] or {}, e["findings"]
        row = [e["rank"], e["slug"], e["name"], e["as_of"], "rendered", e["risk_points"], e["risk_per_asset"],
               e["assets"], e["unrecoverable_assets"], f.get("critical", 0), f.get("high", 0), f.get("medium", 0),
               f.get("low", 0), f.get("info", 0), silent.get("score", ""), silent.get("asset", ""),
               miss.get("hours_late", ""), miss.get("asset", ""), miss.get("scenario", "")]
        if with_change:
            ch = e["change"] or {}
            found = bool(ch) and not ch.get("new_environment")
            row += [found, ch.get("risk_change", "") if found else "",
                    len(ch.get("new_critical", ())) if found else "", len(ch.get("resolved_critical", ())) if found else "",
                    len(ch.get("verdicts_worse", ())) if found else "", len(ch.get("verdicts_better", ())) if found else ""]
        row += ["" if (c := _controls_cell(e, k)) is None else f"{c[0]}/{c[1]}" for k in frameworks]
        row += [f"{e['slug']}/report.html", ""]
        writer.writerow([neutralise_cell(v) for v in row])
    for f in document["failed"]:
        row = ["", f["slug"], f["name"] or "", "", "failed"] + [""] * 14
        if with_change:
            row += [""] * 6
        row += [""] * len(frameworks)
        row += ["", f["reason"]]
        writer.writerow([neutralise_cell(v) for v in row])
    return buf.getvalue()


# ------------------------------------------------------------------ HTML

_e = functools.partial(html.escape, quote=True)

_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1400px;color:#222;padding:0 1em}
table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f4f6f7;vertical-align:bottom}td{white-space:nowrap}td.wrap{white-space:normal}td.num,th.num{text-align:right}
td[data-col=environment]{min-width:14em}
.sub{color:#666;font-size:.85em}th button{font:inherit;font-weight:600;border:0;background:none;cursor:pointer;padding:0}
th[aria-sort=ascending] button::after{content:" \\25B2"}th[aria-sort=descending] button::after{content:" \\25BC"}
tr.filters th{background:#fff}tr.filters input{width:100%;box-sizing:border-box;font-size:.85em;min-width:3em}
.worse{color:#a40000}.better{color:#1a7f37}table.failed td{background:#fdf2f2}
""".strip()

# Sorting (click a heading; again to reverse) and filtering (text: part of the cell; numbers: >5, <=2, 3).
_SCRIPT = """
(function () {
  var table = document.getElementById("fleet");
  if (!table) { return; }
  var body = table.tBodies[0], heads = table.tHead.rows[0].cells, inputs = table.tHead.rows[1].querySelectorAll("input");
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
  var count = document.getElementById("shown");
  function value(row, i) { var c = row.cells[i]; return c.hasAttribute("data-v") ? c.getAttribute("data-v") : c.textContent.trim(); }
  function sortBy(i) {
    var th = heads[i], numeric = th.classList.contains("num");
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    for (var k = 0; k < heads.length; k++) { heads[k].removeAttribute("aria-sort"); }
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, i), y = value(b, i), r;
      if (numeric) {
        var fx = x === "" ? NaN : parseFloat(x), fy = y === "" ? NaN : parseFloat(y);
        if (isNaN(fx) || isNaN(fy)) { r = isNaN(fx) - isNaN(fy); return r; }
        r = fx - fy;
      } else { r = collator.compare(x, y); }
      return r * dir || (a.getAttribute("data-rank") - b.getAttribute("data-rank"));
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function test(cell, text, numeric) {
    if (!text) { return true; }
    var m = /^(<=|>=|<|>|=)?\\s*(-?\\d+(?:\\.\\d+)?)$/.exec(text);
    if (numeric && m) {
      var v = parseFloat(cell), t = parseFloat(m[2]);
      if (isNaN(v)) { return false; }
      switch (m[1]) { case "<": return v < t; case ">": return v > t; case "<=": return v <= t; case ">=": return v >= t; default: return v === t; }
    }
    return cell.toLowerCase().indexOf(text.toLowerCase()) !== -1;
  }
  function filter() {
    var shown = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var ok = true;
      Array.prototype.forEach.call(inputs, function (input) {
        var i = +input.getAttribute("data-col"), c = row.cells[i];
        var text = heads[i].classList.contains("num") && c.hasAttribute("data-v") ? c.getAttribute("data-v") : c.textContent;
        ok = ok && test(text.trim(), input.value.trim(), heads[i].classList.contains("num"));
      });
      row.hidden = !ok;
      shown += ok ? 1 : 0;
    });
    count.textContent = shown + " of " + body.rows.length;
  }
  Array.prototype.forEach.call(heads, function (th, i) {
    var b = th.querySelector("button");
    if (b) { b.addEventListener("click", function () { sortBy(i); }); }
  });
  Array.prototype.forEach.call(inputs, function (input) { input.addEventListener("input", filter); });
  filter();
})();
""".strip()


def _num(value, text: str | None = None, extra: str = "", cls: str = "") -> str:
    """A numeric cell: ``data-v`` holds the number sorted and filtered on; the text shows it."""
    klass = f"num {cls}".strip()
    if value is None or value == "":
        return f'<td class="{klass}" data-v="">' + _e(text or "") + "</td>"
    shown = text if text is not None else (f"{value:g}" if isinstance(value, float) else str(value))
    return f'<td class="{klass}" data-v="{_e(repr(value) if isinstance(value, float) else str(value))}">{_e(shown)}{extra}</td>'


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def index_html(document: Mapping) -> str:
    """The index page of :func:`index_document`; every client string escaped, no network reference."""
    with_change = document["baseline"] is not None
    cols = [("rank", "rank", True), ("environment", "environment", False), ("as_of", "as of", False),
            ("risk_points", "fleet risk (points)", True), ("risk_per_asset", "risk per asset", True),
            ("assets", "assets", True), ("unrecoverable_assets", "unrecoverable under some threat", True),
            ("critical", "critical findings", True), ("high", "high findings", True),
            ("worst_silent", "worst silent-failure score", True), ("worst_capacity_miss", "worst capacity miss (h)", True)]
    if with_change:
        cols += [("risk_change", "risk change", True), ("new_critical", "new critical", True),
                 ("resolved_critical", "resolved critical", True), ("verdicts_worse", "verdicts worse", True),
                 ("verdicts_better", "verdicts better", True)]
    frameworks = document.get("frameworks") or []
    cols += [(f"controls_{k}", f"{k} controls met", True) for k in frameworks]
    cols += [("data", "data", False)]
    head = "".join(
        f'<th scope="col" data-col="{key}"' + (' class="num"' if num else "") + f'><button type="button">{_e(label)}</button></th>'
        if key != "data" else f'<th scope="col" data-col="{key}">{_e(label)}</th>'
        for key, label, num in cols
    )
    filters = "".join(
        f'<th><input type="search" data-col="{i}" aria-label="filter {_e(label)}" placeholder="{"&gt;0" if num else "filter"}"></th>'
        if key != "data" else "<th></th>"
        for i, (key, label, num) in enumerate(cols)
    )
    rows = []
    for e in document["environments"]:
        slug = _e(e["slug"])
        f, silent, miss = e["findings"], e["worst_silent"], e["worst_capacity_miss"]
        cells = [
            _num(e["rank"]),
            f'<td class="wrap" data-col="environment"><a href="{slug}/report.html">{_e(e["name"])}</a></td>',
            f"<td>{_e(e['as_of'])}</td>",
            _num(e["risk_points"], _fmt(e["risk_points"])),
            _num(e["risk_per_asset"], f"{e['risk_per_asset']:.2f}"),
            _num(e["assets"]),
            _num(e["unrecoverable_assets"]),
            _num(f.get("critical", 0)),
            _num(f.get("high", 0)),
            _num(silent["score"], f"{silent['score']:.0f}", f' <span class="sub">{_e(silent["asset"])}</span>')
            if silent else _num(None, "n/a"),
            _num(miss["hours_late"], f"+{miss['hours_late']:.1f}",
                 f' <span class="sub">{_e(miss["asset"])}, {_e(miss["scenario"])}</span>')
            if miss else _num(0.0, "none"),
        ]
        if with_change:
            ch = e["change"] or {}
            if not ch or ch.get("new_environment"):
                cells += ['<td class="num" data-v="">new</td>'] + [_num(None)] * 4
            else:
                d = ch["risk_change"]
                cls = "worse" if d > 1e-9 else "better" if d < -1e-9 else ""
                cells += [
                    _num(d, f"{d:+.1f}", cls=cls),
                    _num(len(ch["new_critical"])), _num(len(ch["resolved_critical"])),
                    _num(len(ch["verdicts_worse"])), _num(len(ch["verdicts_better"])),
                ]
        for k in frameworks:  # met / total, sorted by the share met
            c = _controls_cell(e, k)
            cells.append(_num(None, "n/a") if c is None else
                         _num(round(c[0] / c[1], 6) if c[1] else 0.0, f"{c[0]} / {c[1]}"))
        cells.append(
            f'<td><a href="{slug}/analysis.json">analysis.json</a> · <a href="{slug}/findings.csv">findings.csv</a> · '
            f'<a href="{slug}/manifest.json">manifest.json</a></td>'
        )
        rows.append(f'<tr data-rank="{e["rank"]}" data-slug="{slug}">' + "".join(cells) + "</tr>")

    roll = document["rollup"]
    total = len(document["environments"])

    def names(line: Mapping) -> str:
        """The environments of a roll-up line: "all", or the first few (index.json lists every one)."""
        listed = line["environment_names"]
        if len(listed) == total and total > 1:
            return "all"
        shown = ", ".join(listed[:ROLLUP_NAMES])
        return _e(shown + (f" and {len(listed) - ROLLUP_NAMES} more" if len(listed) > ROLLUP_NAMES else ""))

    mode_rows = "".join(
        f'<tr><td>{_e(m["mode"].replace("_", " "))}</td><td class="num">{m["environments"]}</td>'
        f'<td class="num">{m["assets"]}</td><td class="wrap">{names(m)}</td></tr>'
        for m in roll["threat_modes"]
    ) or '<tr><td colspan="4">No threat mode leaves an asset unrecoverable in any environment.</td></tr>'
    comp_rows = "".join(
        f'<tr><td>{_e(c["component"])}</td><td class="num">{c["environments"]}</td>'
        f'<td class="num">{c["assets"]}</td><td class="wrap">{names(c)}</td></tr>'
        for c in roll["shared_components"]
    ) or '<tr><td colspan="4">No component is a common cause in two or more environments.</td></tr>'

    changes = ""
    if with_change:
        lines = []
        for e in document["environments"]:
            ch = e["change"] or {}
            if not ch or ch.get("new_environment"):
                continue
            bits = [f"<b>+{_e(x)}</b>" for x in ch["new_critical"]]
            bits += [f'<span class="better">resolved {_e(x)}</span>' for x in ch["resolved_critical"]]
            bits += [f'<span class="worse">{_e(v["asset"])}: {_e(v["mode"].replace("_", " "))} {_e(str(v["old"]))} → {_e(str(v["new"]))}</span>'
                     for v in ch["verdicts_worse"]]
            bits += [f'<span class="better">{_e(v["asset"])}: {_e(v["mode"].replace("_", " "))} {_e(str(v["old"]))} → {_e(str(v["new"]))}</span>'
                     for v in ch["verdicts_better"]]
            if bits:
                lines.append(f'<li><a href="{_e(e["slug"])}/report.html">{_e(e["name"])}</a>: ' + "; ".join(bits) + "</li>")
        new_envs = [e for e in document["environments"] if (e["change"] or {}).get("new_environment")]
        if new_envs:
            lines.append("<li>New since the baseline: " + ", ".join(_e(e["name"]) for e in new_envs) + "</li>")
        changes = (
            f'<h2 id="changes">Changes since the baseline</h2><p class="sub">Baseline: {_e(document["baseline"])}. '
            "New and resolved critical findings (matched by id) and threat verdicts that flipped.</p>"
            + ("<ul>" + "".join(lines) + "</ul>" if lines else "<p>Nothing changed.</p>")
        )

    failures = "".join(
        f'<tr><td>{_e(f["name"] or f["slug"])}<br><span class="sub">{_e(f["given_path"])}</span></td>'
        f'<td>{_e(f["reason"])}' + (f"<ul>{''.join(f'<li>{_e(p)}</li>' for p in f['problems'])}</ul>" if f["problems"] else "")
        + "</td></tr>"
        for f in document["failed"]
    )
    failed_section = (
        '<h2 id="failed">Failed environments</h2>'
        '<table class="failed"><thead><tr><th>environment</th><th>why it failed</th></tr></thead><tbody>'
        + failures + "</tbody></table>"
        if failures else ""
    )
    n_ok, n_bad = len(document["environments"]), len(document["failed"])
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
        "style-src 'unsafe-inline'; img-src data:\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>Resilience assessments</title>\n<style>\n{_STYLE}\n</style>\n</head>\n<body>\n"
        "<h1>Resilience assessments</h1>\n"
        f"<p>{n_ok} rendered, {n_bad} failed. Ranked by fleet risk, riskiest first; click a heading to sort, "
        'type in the row below it to filter (numbers: <code>&gt;5</code>, <code>&lt;=2</code>, <code>3</code>). '
        'Showing <span id="shown">' + f"{n_ok} of {n_ok}</span>.</p>\n"
        f'<table class="environments" id="fleet"><thead><tr>{head}</tr><tr class="filters">{filters}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>\n"
        '<p class="sub"><b>fleet risk</b>: risk points, the sum over protected assets of tier weight (tier 1: 4, '
        "tier 2: 3, tier 3: 2, tier 4: 1, unknown: 2) x (threat modes that leave the asset unrecoverable + hidden "
        "single points of failure + silent-failure score / 100); the measure the remediation roadmap reduces. "
        "<b>unrecoverable under some threat</b>: protected assets that at least one threat mode (site, region, "
        "provider or account loss, identity or control-plane outage, credential compromise, logical corruption) "
        "leaves with no working recovery path. <b>worst silent-failure score</b>: the asset whose best backup is "
        "the most likely to be broken unnoticed (0-100). <b>worst capacity miss</b>: the restore finishing "
        "furthest past its RTO in any capacity scenario.</p>\n"
        + changes
        + '<h2 id="rollup">Across the fleet</h2>'
        '<h3>Threat modes</h3><table class="rollup-modes"><thead><tr><th>threat mode</th><th class="num">environments</th>'
        '<th class="num">assets unrecoverable</th><th>environments</th></tr></thead><tbody>' + mode_rows + "</tbody></table>"
        '<h3>Shared components</h3><p class="sub">Components (matched by id) that are a single point of failure '
        "in two or more environments: one fix helps all of them.</p>"
        '<table class="rollup-components"><thead><tr><th>component</th><th class="num">environments</th>'
        '<th class="num">assets</th><th>environments</th></tr></thead><tbody>' + comp_rows + "</tbody></table>\n"
        + failed_section
        + f"\n<script>\n{_SCRIPT}\n</script>\n</body>\n</html>\n"
    )


def to_json(document: Mapping) -> str:
    """``index.json`` text: sorted keys, two-space indent, byte-identical for equal inputs."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
