"""The client deliverable as PDF and Word: one :class:`hiddenspof.deliverable.Document`, laid out twice.

* **PDF** (:func:`write_deliverable_pdf`): the Document as a printed page
  (:func:`deliverable_html`: cover, numbered sections, running header with
  the client, the environment and the date, ``Page n of N``; the paper from
  ``--paper``), printed by a headless Chromium offline (:func:`write_pdf`:
  every request outside ``file:`` goes to a closed local proxy). Charts are
  SVG, so they stay vectors.
* **Word** (:func:`write_docx`): the same Document with python-docx, on the
  firm's template when one is given (its styles, cover page, headers and
  footers are kept; ``{{client}}``, ``{{environment}}``, ``{{date}}``,
  ``{{title}}`` and ``{{firm}}`` in its text are filled in), the same paper
  and margins, real tables whose header row repeats and whose rows never
  split, editable paragraphs.

Both layouts decide alike what no reader should see: a table whose columns
cannot each be as wide as their header and their longest word (or that has
more than :data:`MAX_COLUMNS` columns) is printed as stacked blocks
(:func:`fits`); identifiers are never broken across lines. See
``docs/deliverable.md``.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from .deliverable import PAPERS
from .errors import HiddenspofError

__all__ = [
    "FORMATS",
    "CHROMIUM_ENV",
    "DocumentError",
    "parse_formats",
    "chromium",
    "running_header",
    "css_string",
    "write_pdf",
    "write_docx",
    "PLACEHOLDERS",
    "PAPERS",
    "deliverable_html",
    "write_deliverable_pdf",
    "firm_of_template",
    "fits",
    "section_numbers",
    "content_width_pt",
]

#: Output formats of ``hiddenspof report --formats``.
FORMATS = ("html", "pdf", "docx")
#: Environment variable naming the Chrome/Chromium binary that prints PDFs (default: ``chromium`` on PATH).
CHROMIUM_ENV = "HIDDENSPOF_CHROMIUM"
PDF_TIMEOUT_SECONDS = 300


class DocumentError(HiddenspofError):
    """A PDF or Word document could not be produced (missing engine, unreadable template...)."""


def parse_formats(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"html,pdf"`` -> ``("html", "pdf")``: known formats only, html always included, in FORMATS order."""
    items = [t.strip().lower() for t in (text.split(",") if isinstance(text, str) else text) if t.strip()]
    unknown = sorted(set(items) - set(FORMATS))
    if unknown:
        raise DocumentError(f"unknown report format(s) {', '.join(map(repr, unknown))}: expected a comma-separated "
                            f"list of {', '.join(FORMATS)}")
    wanted = set(items) | {"html"}  # PDF is printed from the HTML; the HTML is always kept
    return tuple(f for f in FORMATS if f in wanted)


def chromium() -> str:
    """The Chromium (or Chrome) binary that prints PDFs; a clear DocumentError when there is none."""
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        if shutil.which(given) or Path(given).is_file():
            return shutil.which(given) or given
        raise DocumentError(f"{CHROMIUM_ENV}={given!r} is not an executable Chrome/Chromium")
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise DocumentError(
        "PDF export needs Chromium, which prints the report offline: install it with `make system-deps` "
        f"(Debian/Ubuntu: apt-get install chromium) or set {CHROMIUM_ENV} to a Chrome/Chromium binary; "
        "or leave pdf out of --formats"
    )


def running_header(environment: str, as_of: str, client: str | None = None) -> str:
    """The text at the top of every PDF page: client, environment and assessment date."""
    parts = [p for p in (client, environment) if p]
    return " \u00b7 ".join([*parts, f"as of {as_of}"])


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string that no client text can break out of (every non-alphanumeric escaped)."""
    out = []
    for ch in str(text):
        if ch.isascii() and (ch.isalnum() or ch == " "):
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):06x} ")  # the space ends the escape and is not shown
    return '"' + "".join(out) + '"'


_CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--mute-audio",
    # offline: any http(s) request goes to a closed local port and fails
    "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    "--no-pdf-header-footer", "--virtual-time-budget=20000", "--run-all-compositor-stages-before-draw",
)


def write_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike, timeout: float = PDF_TIMEOUT_SECONDS) -> Path:
    """Print ``html_path`` (a rendered report) to ``pdf_path`` with headless Chromium, offline.

    Page size, breaks and the running header come from the report's print
    stylesheet. Written atomically: a failure leaves no partial PDF.
    """
    exe = chromium()
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="hiddenspof-pdf-") as work:
        tmp_pdf = Path(work) / "out.pdf"
        cmd = [exe, *_CHROMIUM_FLAGS, f"--user-data-dir={Path(work) / 'profile'}", f"--print-to-pdf={tmp_pdf}",
               html_path.as_uri()]
        env = {**os.environ, "HOME": work}
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
        except subprocess.TimeoutExpired:
            raise DocumentError(f"Chromium did not print {html_path.name} within {timeout:g} s") from None
        if not tmp_pdf.exists() or not tmp_pdf.read_bytes()[:5] == b"%PDF-":
            tail = " | ".join(line for line in (done.stderr or "").splitlines()[-3:] if line.strip())
            raise DocumentError(f"Chromium could not print {html_path.name} to PDF (exit {done.returncode}): {tail}")
        shutil.move(str(tmp_pdf), str(pdf_path))
    return pdf_path



# ------------------------------------------------------------------------------------------- layout
#
# One Document (hiddenspof.deliverable) is laid out twice, the same way: as a printed page (HTML
# printed by Chromium) and as Word. What both decide alike lives here: the paper, the margins, the
# section numbers, whether a table fits the page side by side or becomes stacked blocks.

#: Body and table type sizes in points (PDF and Word).
BODY_PT = 10.0
TABLE_PT = 8.5
_CHAR_EM = 0.62  # average advance of a character of DejaVu Sans / Arial, bold headers included, in em
_CELL_PAD_PT = 10.0  # left + right padding of a table cell
MM = 72.0 / 25.4  # points per millimetre


def content_width_pt(paper: str) -> float:
    """The width between the margins, in points."""
    from .deliverable import MARGINS_MM, PAPERS

    return (PAPERS[paper][0] - MARGINS_MM[1] - MARGINS_MM[3]) * MM


def section_numbers(doc) -> list[str]:
    """``1.``, ``2.``, ... for the body sections, ``A.``, ``B.`` for the appendices, in order."""
    body = appendix = 0
    out = []
    for section in doc.sections:
        if section.appendix:
            out.append(f"Appendix {chr(ord('A') + appendix)}.")
            appendix += 1
        else:
            body += 1
            out.append(f"{body}.")
    return out


def _longest_word(text: str) -> int:
    return max((len(w) for w in str(text).split()), default=0)


_ID_SEPARATORS = re.compile(r"(?<=[:+])")


def column_min_pt(table, column: int) -> float:
    """The narrowest a column may be: its header's longest word and every cell's longest word, unbroken.

    In a column of long identifiers (``Table.breakable``) a word may break
    after a separator (``:``, ``+``), so its longest part counts.
    """
    cells = [r[column] for r in table.rows]
    if column in table.breakable:
        cells = [" ".join(_ID_SEPARATORS.split(c)) for c in cells]
    words = [_longest_word(table.headers[column]), *(_longest_word(c) for c in cells)]
    return max(words) * _CHAR_EM * TABLE_PT + _CELL_PAD_PT


#: Most columns a table prints side by side; wider tables become stacked blocks.
MAX_COLUMNS = 5


def fits(table, paper: str) -> bool:
    """Whether ``table`` prints side by side: few enough columns, each at least as wide as its words and header."""
    if len(table.headers) > MAX_COLUMNS:
        return False
    need = sum(column_min_pt(table, i) for i in range(len(table.headers)))
    return need <= content_width_pt(paper)


# ---------------------------------------------------------------------------------- printed (PDF)

_PRINT_CSS = """
@page {{
  size: {width}mm {height}mm;
  margin: {mt}mm {mr}mm {mb}mm {ml}mm;
  @top-left {{ content: {header}; font-family: "DejaVu Sans", Arial, sans-serif; font-size: 7.5pt; color: #555; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages); font-family: "DejaVu Sans", Arial, sans-serif;
                   font-size: 7.5pt; color: #555; }}
}}
@page cover {{ @top-left {{ content: none; }} }}
html {{ font-family: "DejaVu Sans", Arial, sans-serif; font-size: {body}pt; color: #1d2733; line-height: 1.35; }}
body {{ margin: 0; }}
* {{ hyphens: manual; overflow-wrap: normal; word-break: normal; box-sizing: border-box; }}
.w {{ white-space: nowrap; }}
.cover {{ page: cover; break-after: page; padding-top: 55mm; }}
.cover .title {{ font-size: 24pt; font-weight: 700; margin: 0 0 6mm 0; }}
.cover .environment {{ font-size: 15pt; margin: 0 0 14mm 0; }}
.cover dl {{ display: grid; grid-template-columns: max-content auto; gap: 2mm 6mm; font-size: 11pt; }}
.cover dt {{ color: #555; }} .cover dd {{ margin: 0; font-weight: 600; }}
.cover .firm {{ margin-top: 40mm; font-size: 12pt; color: #333; }}
h1 {{ font-size: 16pt; margin: 0 0 4mm 0; break-before: page; break-after: avoid; color: #12324d; }}
h2 {{ font-size: 11.5pt; margin: 5mm 0 2mm 0; break-after: avoid; }}
p {{ margin: 0 0 3mm 0; }}
p.lead {{ font-size: 12pt; }}
p.note {{ font-size: 8.5pt; color: #555; }}
.chart {{ break-inside: avoid; margin: 2mm 0 5mm 0; }}
.chart img {{ display: block; max-width: 100%; max-height: {chart_max}mm; height: auto; }}
.chart .caption, .tcaption {{ font-size: 8.5pt; color: #555; margin: 0 0 1.5mm 0; font-weight: 600; }}
table.t {{ border-collapse: collapse; width: 100%; font-size: {table}pt; margin: 0 0 5mm 0; table-layout: auto; }}
table.t thead {{ display: table-header-group; }}
table.t th {{ text-align: left; vertical-align: bottom; border-bottom: 1.5px solid #12324d; padding: 1.2mm 5pt; }}
table.t td {{ vertical-align: top; border-bottom: 0.5px solid #c8ced6; padding: 0.8mm 5pt; }}
table.t.compact {{ font-size: 7pt; }} table.t.compact td {{ padding: 0.3mm 5pt; }}
table.t .n {{ text-align: right; white-space: nowrap; }}
table.t tr, .block, .record {{ break-inside: avoid; }}
.block {{ border-left: 3px solid #9aa7b4; padding: 0.5mm 0 0.5mm 3.5mm; margin: 0 0 3.5mm 0; }}
.block.critical {{ border-left-color: #8e1b1b; }} .block.high {{ border-left-color: #d64541; }}
.block .head {{ display: flex; gap: 3mm; align-items: baseline; margin-bottom: 1mm; }}
.block .btitle {{ font-weight: 700; font-size: 9.5pt; flex: 1; }}
.block .ref {{ font-size: 8pt; color: #555; white-space: nowrap; }}
.label {{ display: inline-block; font-size: 7.5pt; font-weight: 700; color: #fff; padding: 0.3mm 1.6mm;
          border-radius: 2px; text-transform: uppercase; white-space: nowrap; }}
.label.critical {{ background: #8e1b1b; }} .label.high {{ background: #d64541; }}
.label.medium {{ background: #e67e22; }} .label.low {{ background: #f1c40f; color: #222; }}
.label.info {{ background: #7f8c8d; }}
.block dl, .record dl {{ display: grid; grid-template-columns: 28mm auto; gap: 0.6mm 4mm; margin: 0; font-size: 8.5pt; }}
.block dt, .record dt {{ color: #555; font-weight: 600; }} .block dd, .record dd {{ margin: 0; }}
.record {{ border-top: 0.5px solid #c8ced6; padding: 1.5mm 0; font-size: 9pt; }}
.record .rtitle {{ font-weight: 700; margin-bottom: 1mm; }}
.onepager {{ break-before: page; }}
.onepager:first-of-type {{ break-before: auto; }}
.onepager dl {{ grid-template-columns: 38mm auto; font-size: 9.5pt; gap: 3mm 4mm; }}
code, .id {{ font-family: "DejaVu Sans Mono", monospace; font-size: 7.5pt; }}
"""


def _words(text: str, breakable: bool = False) -> str:
    """Text as HTML in which no identifier breaks across lines (tokens with ``-``, ``/``, ``.`` ... kept whole).

    ``breakable``: a long identifier may break after ``:`` or ``+`` (between its parts), nowhere else.
    """
    if breakable:
        return "<wbr>".join(_words(part) for part in _ID_SEPARATORS.split(str(text)))
    out = []
    for token in re.split(r"(\s+)", str(text)):
        if token and not token.isspace() and re.search(r"\w[^\w\s]+\w", token):
            out.append(f'<span class="w">{html.escape(token)}</span>')
        else:
            out.append(html.escape(token))
    return "".join(out)


def _chart_svg(spec: dict) -> str:
    import base64

    import vl_convert as vlc

    from .charts import vegalite_version

    svg = vlc.vegalite_to_svg(spec, vl_version=vegalite_version())
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _table_html(table, paper: str) -> str:
    caption = f'<div class="tcaption">{_words(table.title)}</div>' if table.title else ""
    if not fits(table, paper):
        return caption + "".join(_record_html(table, row) for row in table.rows)
    head = "".join(f'<th class="{"n" if num else ""}">{_words(h)}</th>' for h, num in zip(table.headers, table.numeric))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"n" if num else ""}">{_words(c, i in table.breakable)}</td>'
                         for i, (c, num) in enumerate(zip(row, table.numeric)))
        + "</tr>" for row in table.rows)
    compact = " compact" if table.compact else ""
    return f'{caption}<table class="t{compact}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _record_html(table, row) -> str:
    """One row of a wide table as a stacked block: its title cell, then every other column as label: value."""
    first = table.stack_title or 0
    fields = "".join(f"<dt>{_words(h)}</dt><dd>{_words(v, i in table.breakable)}</dd>"
                     for i, (h, v) in enumerate(zip(table.headers, row)) if i != first)
    return f'<div class="record"><div class="rtitle">{_words(row[first])}</div><dl>{fields}</dl></div>'


def _block_html(block, onepager: bool = False) -> str:
    from .deliverable import Block  # noqa: F401 - the type this renders

    sev = html.escape(block.label or "")
    label = f'<span class="label {sev}">{sev}</span>' if block.label else ""
    ref = f'<span class="ref">{html.escape(block.ref)}</span>' if block.ref and block.ref != "page" else ""
    fields = "".join(f"<dt>{_words(k)}</dt><dd>{_words(v)}</dd>" for k, v in block.fields)
    if onepager:
        return f'<div class="onepager"><h2>{_words(block.title)}</h2><dl class="facts">{fields}</dl></div>'
    return (f'<div class="block {sev}"><div class="head">{label}<span class="btitle">{_words(block.title)}</span>'
            f'{ref}</div><dl>{fields}</dl></div>')


def deliverable_html(doc) -> str:
    """The deliverable laid out for print: cover, numbered sections, running header, page numbers."""
    from .deliverable import MARGINS_MM, PAPERS, Block, Chart, Paragraph, Table

    width, height = PAPERS[doc.paper]
    mt, mr, mb, ml = MARGINS_MM
    css = _PRINT_CSS.format(width=width, height=height, mt=mt, mr=mr, mb=mb, ml=ml,
                            header=css_string(doc.running_header), body=BODY_PT, table=TABLE_PT,
                            chart_max=round(height - mt - mb - 40))
    cover = [f'<div class="cover"><div class="title">{_words(doc.title)}</div>',
             f'<div class="environment">{_words(doc.environment)}</div><dl>']
    for label, value in (("Client", doc.client), ("Environment", doc.environment), ("Assessment as of", doc.as_of),
                         ("Prepared by", doc.firm)):
        if value:
            cover.append(f"<dt>{label}</dt><dd>{_words(value)}</dd>")
    cover.append("</dl>")
    cover.append(f'<p class="note" style="margin-top:20mm">The complete record is {html.escape(doc.record)}, '
                 "delivered with this document.</p></div>")
    parts = ["".join(cover)]
    for number, section in zip(section_numbers(doc), doc.sections):
        parts.append(f'<section id="{html.escape(section.key)}"><h1>{html.escape(number)} {_words(section.title)}</h1>')
        for item in section.items:
            if isinstance(item, Paragraph):
                parts.append(f'<p class="{html.escape(item.style)}">{_words(item.text)}</p>')
            elif isinstance(item, Table):
                parts.append(_table_html(item, doc.paper))
            elif isinstance(item, Block):
                parts.append(_block_html(item, onepager=item.ref == "page"))
            elif isinstance(item, Chart):
                caption = f'<div class="caption">{_words(item.caption)}</div>' if item.caption else ""
                alt = html.escape(item.caption or "chart", quote=True)
                parts.append(f'<div class="chart">{caption}<img alt="{alt}" src="{_chart_svg(item.spec)}"></div>')
            else:  # pragma: no cover - a new item type must be laid out here and in Word
                raise TypeError(f"cannot lay out {type(item).__name__}")
        parts.append("</section>")
    title = html.escape(f"{doc.environment}: {doc.title}")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{css}</style></head><body>{''.join(parts)}</body></html>\n")


def write_deliverable_pdf(doc, pdf_path: str | os.PathLike, timeout: float = PDF_TIMEOUT_SECONDS) -> Path:
    """Print the deliverable (:func:`deliverable_html`) to ``pdf_path`` with headless Chromium, offline."""
    with tempfile.TemporaryDirectory(prefix="hiddenspof-print-") as work:
        page = Path(work) / "deliverable.html"
        page.write_text(deliverable_html(doc), encoding="utf-8")
        return write_pdf(page, pdf_path, timeout=timeout)


# ------------------------------------------------------------------------------------------- Word

#: Placeholders filled in a Word template's text (body, headers, footers).
PLACEHOLDERS = ("client", "environment", "date", "title", "firm")
_PLACEHOLDER = re.compile(r"\{\{\s*(" + "|".join(PLACEHOLDERS) + r")\s*\}\}")


def _fill(paragraph, values: Mapping[str, str]) -> None:
    """Replace placeholders in one paragraph (a placeholder split over runs is joined into the first run)."""
    text = "".join(r.text for r in paragraph.runs)
    if not _PLACEHOLDER.search(text):
        return
    new = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)
    runs = paragraph.runs
    runs[0].text = new
    for r in runs[1:]:
        r.text = ""


def _paragraphs(container):
    """Every paragraph of a document part, tables included."""
    yield from container.paragraphs
    for table in getattr(container, "tables", []):
        for row in table.rows:
            for cell in row.cells:
                yield from _paragraphs(cell)


def _style(doc, name: str, fallback: str | None = None):
    """A style of the document by name (the template's own when it has it), else ``fallback`` or None."""
    names = {s.name for s in doc.styles}
    if name in names:
        return name
    return fallback if fallback in names else None


def _heading(doc, text: str, level: int):
    style = _style(doc, f"Heading {level}")
    if style:
        return doc.add_paragraph(text, style=style)
    p = doc.add_paragraph()
    p.add_run(text).bold = True
    return p


def _sentence(doc, text: str, size: float | None = None):
    p = doc.add_paragraph(text, style=_style(doc, "Normal"))
    if size is not None:
        from docx.shared import Pt

        for run in p.runs:
            run.font.size = Pt(size)
    return p


def _row_flags(row, header: bool) -> None:
    """Word row properties: never split across pages; the header row repeats on every page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    cant = OxmlElement("w:cantSplit")
    cant.set(qn("w:val"), "true")
    tr_pr.append(cant)
    if header:
        head = OxmlElement("w:tblHeader")
        head.set(qn("w:val"), "true")
        tr_pr.append(head)


def _word_table(doc, table, paper: str) -> None:
    """A deliverable Table as a real Word table (header row repeating, rows unsplit), or stacked when too wide."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    if table.title:
        p = _sentence(doc, table.title)
        for run in p.runs:
            run.bold = True
    if not fits(table, paper):
        first = table.stack_title or 0
        for row in table.rows:
            title = _sentence(doc, row[first])
            title.runs[0].bold = True
            title.paragraph_format.keep_with_next = True
            for i, (h, v) in enumerate(zip(table.headers, row)):
                if i == first:
                    continue
                p = doc.add_paragraph(style=_style(doc, "Normal"))
                p.add_run(f"{h}: ").bold = True
                p.add_run(v)
                p.paragraph_format.keep_together = True
        return
    out = doc.add_table(rows=1, cols=len(table.headers))
    style = _style(doc, "Table Grid", "Light Grid Accent 1")
    if style:
        out.style = style
    _row_flags(out.rows[0], header=True)
    for cell, name, num in zip(out.rows[0].cells, table.headers, table.numeric):
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(name))
        run.bold = True
        run.font.size = Pt(TABLE_PT)
        if num:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for values in table.rows:
        row = out.add_row()
        _row_flags(row, header=False)
        for cell, value, num in zip(row.cells, values, table.numeric):
            cell.text = ""
            run = cell.paragraphs[0].add_run(str(value))
            run.font.size = Pt(TABLE_PT)
            if num:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph()


def _word_block(doc, block, level: int = 3) -> None:
    """A finding, plan step or asset page: a heading, then each field as a bold label and its text."""
    title = block.title if not block.label else f"{block.title}"
    h = _heading(doc, title, level)
    h.paragraph_format.keep_with_next = True
    if block.label or (block.ref and block.ref != "page"):
        p = doc.add_paragraph(style=_style(doc, "Normal"))
        if block.label:
            p.add_run(block.label.upper()).bold = True
        if block.ref and block.ref != "page":
            p.add_run(("  " if block.label else "") + block.ref)
        p.paragraph_format.keep_with_next = True
    for label, text in block.fields:
        p = doc.add_paragraph(style=_style(doc, "Normal"))
        p.add_run(f"{label}: ").bold = True
        p.add_run(text)
        p.paragraph_format.keep_together = True


def _word_chart(doc, chart, paper: str) -> None:
    import io

    import vl_convert as vlc
    from docx.shared import Pt

    from .charts import vegalite_version
    from .deliverable import MARGINS_MM, PAPERS

    png = vlc.vegalite_to_png(chart.spec, scale=2, vl_version=vegalite_version())
    from struct import unpack

    px_w, px_h = unpack(">II", png[16:24])
    width_pt, height_pt = px_w / 2 * 0.75, px_h / 2 * 0.75  # CSS px at scale 2 -> points
    max_w = content_width_pt(paper)
    max_h = (PAPERS[paper][1] - MARGINS_MM[0] - MARGINS_MM[2]) * MM - 110
    factor = min(1.0, max_w / width_pt, max_h / height_pt)
    if chart.caption:
        p = _sentence(doc, chart.caption)
        p.runs[0].bold = True
        p.paragraph_format.keep_with_next = True
    doc.add_picture(io.BytesIO(png), width=Pt(width_pt * factor))


def firm_of_template(template: str | os.PathLike) -> str | None:
    """The author's firm a Word template names: its Company property, else its Title-style text, else None."""
    import zipfile

    try:
        with zipfile.ZipFile(template) as z:
            app = z.read("docProps/app.xml").decode("utf-8") if "docProps/app.xml" in z.namelist() else ""
    except (OSError, zipfile.BadZipFile):
        return None
    m = re.search(r"<(?:\w+:)?Company>([^<]+)</(?:\w+:)?Company>", app)
    if m and m.group(1).strip():
        return html.unescape(m.group(1).strip())
    import docx

    try:
        document = docx.Document(str(template))
    except Exception:  # python-docx raises several types for a file that is not a .docx
        return None
    for p in document.paragraphs:
        if p.style is not None and p.style.name == "Title" and p.text.strip() and "{{" not in p.text:
            return p.text.strip()
    return None


def _page_setup(section, paper: str) -> None:
    """The Word section's paper and margins: the same as the PDF's."""
    from docx.shared import Mm

    from .deliverable import MARGINS_MM, PAPERS

    width, height = PAPERS[paper]
    section.page_width, section.page_height = Mm(width), Mm(height)
    section.top_margin, section.right_margin, section.bottom_margin, section.left_margin = (Mm(x) for x in MARGINS_MM)


def _page_number_footer(section) -> None:
    """``Page N of M`` as Word fields in the footer (Word computes them; the text stays editable)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0] if section.footer.paragraphs else section.footer.add_paragraph()
    if p.text.strip():
        return  # the firm's own footer
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    def field(instruction: str) -> None:
        run = p.add_run()
        for tag, attrs, text in (("w:fldChar", {"w:fldCharType": "begin"}, None),
                                 ("w:instrText", {"xml:space": "preserve"}, f" {instruction} "),
                                 ("w:fldChar", {"w:fldCharType": "separate"}, None)):
            el = OxmlElement(tag)
            for k, v in attrs.items():
                el.set(qn(k), v)
            if text:
                el.text = text
            run._r.append(el)
        run2 = p.add_run("1")
        end = OxmlElement("w:fldChar")
        end.set(qn("w:fldCharType"), "end")
        run2._r.append(end)

    p.add_run("Page ")
    field("PAGE")
    p.add_run(" of ")
    field("NUMPAGES")


def write_docx(path: str | os.PathLike, document, template: str | os.PathLike | None = None) -> Path:
    """Write the deliverable as Word: the same cover facts, sections, tables and blocks as the PDF.

    Parameters
    ----------
    path : path
        The ``.docx`` to write (atomically: a failure leaves no partial file).
    document : deliverable.Document
        What :func:`hiddenspof.deliverable.build` made; its paper sizes every section.
    template : path, optional
        The firm's ``.docx``: its styles, cover, headers and footers are kept and
        ``{{client}}``, ``{{environment}}``, ``{{date}}``, ``{{title}}``, ``{{firm}}``
        filled in; without one a plain cover is written.

    Tables are real Word tables whose header row repeats on every page and
    whose rows never split; text is ordinary, editable paragraphs.
    """
    import docx
    from docx.enum.text import WD_BREAK

    from .deliverable import Block, Chart, Paragraph, Table

    title = f"{document.environment}: {document.title}"
    values = {"client": document.client or "", "environment": document.environment, "date": document.as_of,
              "title": title, "firm": document.firm or ""}
    if template is not None:
        template = Path(template)
        try:
            doc = docx.Document(str(template))
        except Exception as exc:  # python-docx raises several types for a file that is not a .docx
            raise DocumentError(f"{template}: not a readable Word template (.docx): {exc}") from None
        for part in [doc, *(s.header for s in doc.sections), *(s.footer for s in doc.sections),
                     *(s.first_page_header for s in doc.sections), *(s.first_page_footer for s in doc.sections)]:
            for p in _paragraphs(part):
                _fill(p, values)
        if doc.paragraphs and any(p.text.strip() for p in doc.paragraphs):
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        else:
            _cover(doc, document)
        for s in doc.sections:
            if not any(p.text.strip() for p in s.header.paragraphs):
                s.header.paragraphs[0].text = document.running_header
    else:
        doc = docx.Document()
        _cover(doc, document)
        doc.sections[0].header.paragraphs[0].text = document.running_header
    for s in doc.sections:
        _page_setup(s, document.paper)
        _page_number_footer(s)

    for i, (number, section) in enumerate(zip(section_numbers(document), document.sections)):
        if i:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _heading(doc, f"{number} {section.title}", 1)
        first_page = True
        for item in section.items:
            if isinstance(item, Paragraph):
                _sentence(doc, item.text, size={"lead": 12.0, "note": 8.5}.get(item.style))
            elif isinstance(item, Table):
                _word_table(doc, item, document.paper)
            elif isinstance(item, Block):
                if item.ref == "page":
                    if not first_page:
                        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
                    first_page = False
                    _word_block(doc, item, level=2)
                else:
                    _word_block(doc, item, level=3)
            elif isinstance(item, Chart):
                _word_chart(doc, item, document.paper)
            else:  # pragma: no cover - a new item type must be laid out here and in print
                raise TypeError(f"cannot lay out {type(item).__name__}")

    path = Path(path)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as f:
        tmp = Path(f.name)
    try:
        doc.save(str(tmp))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _cover(doc, document) -> None:
    """A plain cover page: title, environment, client, date, the author's firm, then a page break."""
    from docx.enum.text import WD_BREAK

    doc.add_paragraph(document.title, style=_style(doc, "Title"))
    for label, value in (("Environment", document.environment), ("Client", document.client),
                         ("Assessment as of", document.as_of), ("Prepared by", document.firm)):
        if value:
            p = doc.add_paragraph(style=_style(doc, "Normal"))
            p.add_run(f"{label}: ").bold = True
            p.add_run(value)
    doc.add_paragraph(f"The complete record is {document.record}, delivered with this document.",
                      style=_style(doc, "Normal"))
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
