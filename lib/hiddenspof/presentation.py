"""How the report looks: one place for table design, colours and human labels.

Every notebook and every output format (HTML, PDF, Word) shows tables and
charts through this module, so that a table reads the same everywhere:

* :func:`table` renders a DataFrame with great_tables: no index column,
  humanised headers, text left-aligned and wrapped (never truncated), numbers
  right-aligned with their unit, missing values as an em dash, severities and
  verdicts as coloured labels, every client string HTML-escaped. An empty
  table is replaced by one sentence saying there is nothing to show.
* :func:`cell_text` is the same formatting as plain text (the Word export and
  anything else that is not HTML use it).
* :data:`KIND_COLOURS`, :data:`SEVERITY_COLOURS`, :data:`VERDICT_COLOURS`:
  one colour per component kind, severity and verdict, used by every chart.
* :func:`threat_label`, :func:`kind_label`, :func:`header`: the human words
  for threat modes, component kinds and column names; :func:`threat_phrase`
  the words inside a sentence ("loss of a cloud account").
* :class:`Names`: the inventory's names for component ids, and client text
  (finding titles, evidence, plan steps) rewritten with names and words
  instead of ids and model keys. The client deliverable (PDF, Word) shows
  nothing else.

Formatting is decided by the column name (the analyses name their columns
consistently: ``*_hours``, ``*_gb``, ``utilisation``, ``severity``...), so a
notebook only says which table it shows and what an empty one means.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .findings import SEVERITIES
from .inventory import KINDS, THREAT_MODES

__all__ = [
    "MISSING",
    "KIND_COLOURS",
    "SEVERITY_COLOURS",
    "VERDICT_COLOURS",
    "THREAT_LABELS",
    "threat_label",
    "kind_label",
    "header",
    "cell_text",
    "text_frame",
    "Table",
    "table",
    "nothing_to_show",
    "slug",
    "FINDING_COLUMNS",
    "findings_table",
    "THREAT_PHRASES",
    "threat_phrase",
    "CATEGORY_LABELS",
    "Names",
]

#: What a missing value reads as, in every table of every format.
MISSING = "\u2014"

# One colour per component kind (Tableau 20, in KINDS order: no two kinds share one).
_TABLEAU20 = (
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#e15759", "#ff9da7", "#9c755f",
    "#edc948", "#bab0ac", "#1f77b4", "#8cd17d", "#b6992d", "#499894", "#86bcb6", "#d37295",
    "#fabfd2", "#79706e", "#d4a6c8",
)
#: Colour of each component kind, the same in every chart.
KIND_COLOURS: dict[str, str] = dict(zip(KINDS, _TABLEAU20))
#: Colour of each finding severity (most severe darkest red), the same in tables and charts.
SEVERITY_COLOURS: dict[str, str] = {
    "critical": "#8e1b1b", "high": "#d64541", "medium": "#e67e22", "low": "#f1c40f", "info": "#7f8c8d",
}
#: Colour of each verdict a table or chart shows (threat verdicts, RTO verdicts, fixes).
VERDICT_COLOURS: dict[str, str] = {
    "unrecoverable": "#c0392b", "recoverable": "#27ae60", "not applicable": "#bdc3c7",
    "misses RTO": "#c0392b", "meets RTO": "#27ae60", "no verdict": "#95a5a6", "unknown (not timed)": "#8e44ad",
    "verified": "#27ae60", "not verified": "#e67e22",
    "pass": "#27ae60", "partial": "#e67e22", "fail": "#c0392b",
    "met": "#27ae60", "not met": "#c0392b", "no evidence": "#95a5a6", "out of scope": "#bdc3c7",  # controls
}
assert tuple(SEVERITY_COLOURS) == SEVERITIES
_DARK_TEXT = {"low", "not applicable", "no verdict", "no evidence", "out of scope"}  # light backgrounds that need dark text

#: Human name of each threat mode.
THREAT_LABELS: dict[str, str] = {
    "site_loss": "Site loss",
    "region_loss": "Region loss",
    "provider_loss": "Provider loss",
    "account_loss": "Account loss",
    "identity_outage": "Identity outage",
    "control_plane_outage": "Control-plane outage",
    "credential_compromise": "Credential compromise",
    "logical_corruption": "Logical corruption",
}
assert set(THREAT_LABELS) == set(THREAT_MODES)

#: The words for each threat mode inside a sentence ("survives loss of a cloud account").
THREAT_PHRASES: dict[str, str] = {
    "site_loss": "loss of a site",
    "region_loss": "loss of a cloud region",
    "provider_loss": "loss of a cloud provider",
    "account_loss": "loss of a cloud account",
    "identity_outage": "an identity outage",
    "control_plane_outage": "a control-plane outage",
    "credential_compromise": "stolen administrator credentials",
    "logical_corruption": "logical corruption (ransomware, bad deletes)",
}
assert set(THREAT_PHRASES) == set(THREAT_MODES)
#: Human name of each finding category.
CATEGORY_LABELS: dict[str, str] = {
    "coupling": "hidden coupling", "silent_failure": "silent failure", "capacity": "restore capacity",
    "data_quality": "inventory quality",
}

# Words that are acronyms or units in column names.
_WORDS = {
    "rto": "RTO", "rpo": "RPO", "id": "ID", "ids": "IDs", "gb": "GB", "mb": "MB", "kms": "KMS", "dns": "DNS",
    "tier1": "tier-1", "pct": "%", "url": "URL", "csv": "CSV", "sla": "SLA",
}
# Column-name endings that carry a unit, and the unit shown after the number.
_UNITS = (("_hours", "h"), ("_days", "days"), ("_gb", "GB"), ("_mb_s", "MB/s"), ("_mb", "MB"))
_PERCENT = {"utilisation", "survivability", "probability"}
_LABEL_COLUMNS = {"severity", "verdict", "status", "result", "fix"}
_LIST_SEP = "; "


def threat_label(mode: str) -> str:
    """``credential_compromise`` -> ``Credential compromise`` (unknown modes humanised the same way)."""
    return THREAT_LABELS.get(mode, str(mode).replace("_", " ").capitalize())


def threat_phrase(mode: str) -> str:
    """``account_loss`` -> ``loss of a cloud account`` (for sentences; unknown modes humanised)."""
    return THREAT_PHRASES.get(mode, str(mode).replace("_", " "))


def kind_label(kind: str) -> str:
    """``backup_store`` -> ``backup store``."""
    return str(kind).replace("_", " ")


def header(column: str, units: bool = True) -> str:
    """A column name for people: ``rto_hours`` -> ``RTO (h)``, ``tier1_misses`` -> ``Tier-1 misses``.

    With ``units`` (the default) the unit of a ``*_hours``/``*_gb``... column
    is dropped from the words, since the cells carry it.
    """
    name = str(column)
    if name in THREAT_LABELS:
        return THREAT_LABELS[name]
    if units:
        for suffix, _ in _UNITS:
            if name.endswith(suffix) and name != suffix.lstrip("_"):
                name = name[: -len(suffix)]
                break
    words = [_WORDS.get(w.lower(), w) for w in re.split(r"[_\s]+", name) if w]
    if not words:
        return str(column)
    first = words[0]
    words[0] = first if first.isupper() or first[:1].isupper() else first[:1].upper() + first[1:]
    return " ".join(words)


def _is_missing(value) -> bool:
    """True for None, NaN, NaT and pandas' NA (lists and strings are never missing)."""
    if value is None:
        return True
    if isinstance(value, (list, tuple, set, frozenset, dict, str)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _unit_of(column: str) -> str | None:
    for suffix, unit in _UNITS:
        if str(column).endswith(suffix):
            return unit
    return None


def _number(value: float, decimals: int) -> str:
    """A number with thousands separators, trailing zeros dropped (``1,234.5``, ``3``)."""
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def cell_text(column: str, value) -> str:
    """One cell as plain text, formatted by its column's name.

    Missing values read :data:`MISSING`; lists are joined with ``; ``;
    booleans read yes/no; ``*_hours`` and the like carry their unit;
    utilisation, survivability and probabilities read as percentages; threat
    modes read as their human label. Never truncated.
    """
    if _is_missing(value):
        return MISSING
    col = str(column)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [str(v) for v in (sorted(value) if isinstance(value, (set, frozenset)) else value)]
        return _LIST_SEP.join(items) if items else MISSING
    if isinstance(value, dict):
        return _LIST_SEP.join(f"{k}: {v}" for k, v in value.items()) or MISSING
    if isinstance(value, bool) or (hasattr(value, "dtype") and str(getattr(value, "dtype", "")) == "bool"):
        return "yes" if bool(value) else "no"
    if isinstance(value, str):
        if col in ("threat", "mode", "threat_mode"):
            return threat_label(value)
        if col == "kind":
            return kind_label(value)
        if col == "verdict" and value == "not_applicable":
            return "not applicable"
        return value if value.strip() else MISSING
    if isinstance(value, (int, float)) or hasattr(value, "__float__"):
        try:
            x = float(value)
        except (TypeError, ValueError):
            return str(value)
        if math.isinf(x):
            return "unlimited" if x > 0 else "-unlimited"
        if col in _PERCENT or col.endswith("_share"):
            return f"{_number(100 * x, 1)} %"
        unit = _unit_of(col)
        if float(x).is_integer() and unit is None:
            return _number(x, 0)
        decimals = 2 if abs(x) < 100 else 1
        if col.endswith("factor"):
            return f"{_number(x, 2)}x"
        text = _number(x, decimals if unit != "GB" else 1)
        return f"{text} {unit}" if unit else text
    return str(value)


def text_frame(frame: pd.DataFrame, columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``frame`` as strings formatted by :func:`cell_text`, headers humanised (``columns`` overrides names).

    The index is dropped: tables in the report never show a row number.
    """
    columns = dict(columns or {})
    out = pd.DataFrame(
        {header(c) if c not in columns else columns[c]: [cell_text(c, v) for v in frame[c]] for c in frame.columns},
        dtype="object",
    )
    return out.reset_index(drop=True)


def _numeric(series: pd.Series) -> bool:
    """Whether a column holds numbers (right-aligned): numeric dtype, booleans excluded."""
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def _label_html(text: str) -> str:
    """A coloured label for a severity or verdict (escaped)."""
    colour = SEVERITY_COLOURS.get(text) or VERDICT_COLOURS.get(text)
    safe = html.escape(text)
    if colour is None:
        return safe
    fg = "#222" if text in _DARK_TEXT else "#fff"
    return (f'<span class="hs-label hs-label-{re.sub(r"[^a-z0-9]+", "-", text.lower())}" '
            f'style="background:{colour};color:{fg};border-radius:3px;padding:1px 6px;'
            f'white-space:nowrap;font-size:90%">{safe}</span>')


_TABLE_CSS = """
#{id} .gt_table {{ width: 100%; margin-left: 0; margin-right: 0; font-size: 13px; }}
#{id} .gt_col_heading {{ white-space: normal; font-weight: 600; overflow-x: visible; }}
#{id} .gt_row {{ white-space: normal; overflow-wrap: anywhere; word-break: normal; vertical-align: top;
  max-width: 36em; overflow-x: visible; }}
#{id} .gt_row.gt_right {{ white-space: nowrap; }}
#{id} .gt_title {{ text-align: left; font-weight: 600; }}
"""


@dataclass(frozen=True)
class Table:
    """A designed table: its HTML (great_tables), the formatted text frame and the raw frame.

    Displays as HTML in notebooks; ``text`` is what the Word export writes.
    """

    html: str
    text: pd.DataFrame
    frame: pd.DataFrame
    key: str
    title: str = ""

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<table {self.key}: {len(self.text)} rows>"


def slug(text: str) -> str:
    """A string as an HTML id fragment (letters, digits, ``-``, ``_``), for table keys built from client ids."""
    import hashlib

    base = re.sub(r"[^A-Za-z0-9_-]+", "-", str(text)).strip("-")[:40] or "x"
    # a short digest keeps ids that fold to the same text apart ("a b" and "a-b")
    return f"{base}-{hashlib.sha256(str(text).encode()).hexdigest()[:6]}"


def nothing_to_show(sentence: str):
    """A one-sentence Markdown output for a section with nothing to show."""
    from IPython.display import Markdown

    return Markdown(sentence)


def table(frame: pd.DataFrame, key: str, *, empty: str, title: str = "",
          columns: Mapping[str, str] | None = None, hide: Sequence[str] = (),
          widths: Mapping[str, str] | None = None):
    """A DataFrame as a designed table, or ``empty`` (one sentence) when it has no rows.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data; its index is never shown.
    key : str
        A stable, page-unique id (the HTML and its CSS scope; repeatable output).
    empty : str
        The sentence shown instead of a header-only table.
    title : str, optional
        A caption above the table.
    columns : mapping, optional
        Header overrides (column name -> header text).
    hide : sequence of str, optional
        Columns left out.
    widths : mapping, optional
        Column name -> CSS width (``"20%"``) for columns that should not share the width evenly.
    """
    from great_tables import GT

    data = frame.drop(columns=[c for c in hide if c in frame.columns]).reset_index(drop=True)
    if data.empty or len(data.columns) == 0:
        return nothing_to_show(empty)
    key = re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-") or "table"
    text = text_frame(data, columns)
    numeric = [text.columns[i] for i, c in enumerate(data.columns) if _numeric(data[c])]
    labels = [text.columns[i] for i, c in enumerate(data.columns) if str(c) in _LABEL_COLUMNS]
    # great_tables escapes plain cells; the label formatter escapes its own text
    gt = GT(text, id=key)
    if title:
        gt = gt.tab_header(title=title)
    others = [c for c in text.columns if c not in numeric and c not in labels]
    if others:
        gt = gt.cols_align("left", columns=others)
    if numeric:
        gt = gt.cols_align("right", columns=numeric)
    if labels:
        gt = gt.fmt(_label_html, columns=labels).cols_align("left", columns=labels)
    sizes = {c: "7em" for c in data.columns if str(c) in _LABEL_COLUMNS}  # a label needs no more
    sizes.update(widths or {})
    if sizes:
        gt = gt.cols_width({text.columns[list(data.columns).index(c)]: w for c, w in sizes.items() if c in data.columns})
    gt = gt.opt_css(_TABLE_CSS.format(id=key))
    return Table(gt.as_raw_html(), text, data, key, title)


#: The columns of a findings table in the report, in reading order.
FINDING_COLUMNS = ("severity", "title", "assets", "evidence", "recommendation", "fix", "fix_effect")


def findings_table(findings, key: str, *, empty: str, limit: int | None = None):
    """Findings (``Finding`` objects or their JSON) as a designed table: what, why, what to do, verified or not.

    The id, category and component columns stay in ``findings.csv``; the
    report shows what a reader acts on. ``fix`` reads ``verified`` only when
    the change was applied to a copy of the inventory and re-analysed.
    """
    from .findings import Finding, findings_frame

    items = [f if isinstance(f, Finding) else Finding.from_json(f) for f in findings]
    frame = findings_frame(items)
    if limit is not None:
        frame = frame.head(limit)
    frame["fix"] = [None if v is None or _is_missing(v) else ("verified" if v else "not verified")
                    for v in frame["fix_verified"]]
    frame["fix_effect"] = frame["fix_effect"].where(frame["fix_effect"].astype(str).str.strip() != "", None)
    cols = [c for c in FINDING_COLUMNS if c in frame.columns]
    if frame["fix"].isna().all():
        cols = [c for c in cols if c not in ("fix", "fix_effect")]
    return table(frame[cols], key, empty=empty, columns={"fix_effect": "What the fix changed", "fix": "Fix"})


# an id inside text: not glued to a longer id (ids hold letters, digits, "-", "_", ".", "/", ":")
_ID_EDGE = r"(?<![\w./:-])({})(?![\w/-]|[.:][\w/-])"
_SNAKE_KEY = re.compile(r"(?<![\w-])([a-z]+(?:_[a-z0-9]+)+)(?![\w-])")


class Names:
    """Component ids as the inventory's names, for client-facing text.

    ``of(id)`` is the name, or ``name [id]`` when another component has the
    same name (the id tells them apart); an id the inventory does not know
    stays as it is. ``text(sentence)`` rewrites a generated sentence (a
    finding's title or evidence, a plan step): every known id becomes its
    name (back-ticks dropped), every threat mode its phrase, and any other
    ``snake_case`` model key its words (``meets_rto`` -> ``meets RTO``).

    Parameters
    ----------
    names : mapping
        Component id -> name (``dict(zip(inv.components["id"], inv.components["name"]))``).
    """

    def __init__(self, names: Mapping[str, str] | None = None):
        clean = {str(k): (str(v).strip() if v is not None and not _is_missing(v) and str(v).strip() else str(k))
                 for k, v in (names or {}).items()}
        counts: dict[str, int] = {}
        for v in clean.values():
            counts[v] = counts.get(v, 0) + 1
        self._label = {k: (v if counts[v] == 1 or v == k else f"{v} [{k}]") for k, v in clean.items()}
        # longest first, so "web-1" never eats the start of "web-10"; one pattern for speed
        keys = sorted((k for k in self._label if k), key=lambda k: (-len(k), k))
        self._pattern = (re.compile(_ID_EDGE.format("|".join(map(re.escape, keys)))) if keys else None)

    def of(self, ident: str) -> str:
        """The name of one component id (``name [id]`` when the name is shared; unknown ids unchanged)."""
        return self._label.get(str(ident), str(ident))

    def join(self, idents, sep: str = ", ") -> str:
        """Names of several ids, in the given order, joined."""
        return sep.join(self.of(i) for i in idents)

    def text(self, sentence: str) -> str:
        """A generated sentence with names for ids and words for threat modes and model keys."""
        out = str(sentence)
        if self._pattern is not None:
            # a capacity scenario named after what it fails ("site:dc-1") reads "loss of <name>"
            out = re.sub(r"(?<![\w:-])(site|region|provider|account):([^\s'\",;()]+?)(?=['\",;()]|\s|$)",
                         lambda m: f"loss of {self._label[m.group(2)]}" if m.group(2) in self._label else m.group(0),
                         out)
            out = re.sub(r"`([^`]+)`", lambda m: self.of(m.group(1)) if m.group(1) in self._label else m.group(1), out)
            out = self._pattern.sub(lambda m: self._label[m.group(1)], out)
        out = re.sub(r"`([^`]*)`", r"\1", out)

        def word(m: re.Match) -> str:
            key = m.group(1)
            if key in THREAT_PHRASES:
                return THREAT_PHRASES[key]
            return " ".join(_WORDS.get(w, w) for w in key.split("_"))

        return _SNAKE_KEY.sub(word, out)
