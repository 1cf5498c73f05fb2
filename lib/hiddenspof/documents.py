"""The report as PDF and Word documents, for consultants who deliver files rather than web pages.

* **PDF** (:func:`write_pdf`): the rendered ``report.html`` printed by a
  headless Chromium, offline (every request outside ``file:`` is sent to a
  closed local proxy). The report's print stylesheet sets A4 pages, a page
  break before every section, and a running header with the client, the
  environment and the date (see :func:`running_header`). Charts are SVG, so
  they stay vectors in the PDF.
* **Word** (:func:`write_docx`): built with python-docx, on the firm's own
  template when one is given (its styles, cover page, headers and footers
  are kept; ``{{client}}``, ``{{environment}}``, ``{{date}}`` and
  ``{{title}}`` in its text are filled in). The body holds the executive
  summary, the top findings, one page per tier-1/2 asset and the remediation
  roadmap as editable text and tables, formatted by
  :mod:`hiddenspof.presentation` like the HTML.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

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


# ------------------------------------------------------------------------------------------- Word

#: Placeholders filled in a Word template's text (body, headers, footers).
PLACEHOLDERS = ("client", "environment", "date", "title")
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


def _table(doc, frame, widths: Mapping[str, float] | None = None):
    """A DataFrame as an editable Word table, formatted like the HTML (presentation.text_frame)."""
    from .presentation import text_frame

    text = text_frame(frame)
    table = doc.add_table(rows=1, cols=len(text.columns))
    style = _style(doc, "Table Grid", "Light Grid Accent 1")
    if style:
        table.style = style
    for cell, name in zip(table.rows[0].cells, text.columns):
        cell.text = ""
        cell.paragraphs[0].add_run(str(name)).bold = True
    for _, row in text.iterrows():
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = str(value)
    return table


def _sentence(doc, text: str):
    return doc.add_paragraph(text, style=_style(doc, "Normal"))


def write_docx(
    path: str | os.PathLike,
    result: Mapping,
    *,
    environment: str,
    as_of: str,
    client: str | None = None,
    pages: Sequence = (),
    roadmap=None,
    template: str | os.PathLike | None = None,
    top_n: int = 10,
) -> Path:
    """Write the Word report: cover, executive summary, top findings, asset pages, remediation roadmap.

    Parameters
    ----------
    path : path
        The ``.docx`` to write (atomically).
    result : mapping
        The analysis JSON.
    environment, as_of, client : str
        What the cover and the placeholders say.
    pages : sequence of asset_pages.AssetPage
        The tier-1/2 asset pages.
    roadmap : pandas.DataFrame, optional
        ``plan.steps_frame(result["plan"])``; None or empty says no change was found.
    template : path, optional
        The firm's ``.docx`` template: its styles, cover, headers and footers are kept.
    """
    import docx
    from docx.enum.text import WD_BREAK

    from . import asset_pages, summary

    title = f"{environment}: resilience assessment"
    values = {"client": client or "", "environment": environment, "date": as_of, "title": title}
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
            _cover(doc, title, values)
    else:
        doc = docx.Document()
        _cover(doc, title, values)
        section = doc.sections[0]
        section.header.paragraphs[0].text = running_header(environment, as_of, client)

    _heading(doc, "Executive summary", 1)
    h = summary.headline(result)
    _sentence(doc, (f"{h['assets']} protected assets were assessed as of {as_of}; "
                    f"{h['unrecoverable_assets']} of them can be left with no working backup by a single threat."))
    _table(doc, summary.scorecard(result))

    _heading(doc, "Top findings", 1)
    top = summary.top_findings(result, n=top_n)
    if len(top):
        _table(doc, top[[c for c in ("severity", "title", "assets", "recommendation") if c in top.columns]])
    else:
        _sentence(doc, "No finding: nothing needs acting on first.")

    _heading(doc, "Asset pages", 1)
    if not pages:
        _sentence(doc, "No protected asset is in tier 1 or 2, so there is no asset page.")
    for page in pages:
        _heading(doc, page.title, 2)
        _table(doc, asset_pages.facts_frame(page))
        if page.factors:
            _sentence(doc, f"Why its best backup ({page.silent_backup}) may fail unnoticed:")
            _table(doc, asset_pages.factors_frame(page))
        if page.fixes:
            _sentence(doc, "Proposed fixes:")
            _table(doc, asset_pages.fixes_frame(page))

    _heading(doc, "Remediation roadmap", 1)
    if roadmap is not None and len(roadmap):
        _sentence(doc, "The verified fixes as a plan: one work package per step, each applied on top of the steps "
                       "before it and the estate analysed again; residual risk is what is left after the step.")
        _table(doc, roadmap)
    else:
        _sentence(doc, "No change was found that the re-analysis shows removing risk.")

    path = Path(path)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as f:
        tmp = Path(f.name)
    try:
        doc.save(str(tmp))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _cover(doc, title: str, values: Mapping[str, str]) -> None:
    """A plain cover page: title, client, environment, date, then a page break."""
    from docx.enum.text import WD_BREAK

    doc.add_paragraph(title, style=_style(doc, "Title"))
    for line in (values.get("client"), values.get("environment"), f"Assessment as of {values.get('date')}"):
        if line:
            _sentence(doc, line)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
