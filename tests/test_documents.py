"""Tests of hiddenspof.documents: formats, the offline PDF printer and the Word report on a firm's template."""

from __future__ import annotations

import http.server
import re
import shutil
import threading

import docx
import pytest
from conftest import DATA
from docx.shared import RGBColor
from hiddenspof import analysis, deliverable, documents, inventory
from hiddenspof.errors import UsageError

HAS_CHROMIUM = shutil.which("chromium") is not None


def test_parse_formats():
    """Known formats in a fixed order, html always included, unknown ones named."""
    assert documents.parse_formats("pdf,html") == ("html", "pdf")
    assert documents.parse_formats(" docx ") == ("html", "docx")
    assert documents.parse_formats(["html", "pdf", "docx"]) == ("html", "pdf", "docx")
    with pytest.raises(documents.DocumentError, match=r"unknown report format\(s\) 'odt'.*html, pdf, docx"):
        documents.parse_formats("html,odt")


def test_css_string_cannot_break_out():
    """Client text in the running header is one CSS string: quotes, backslashes and markup are escaped."""
    text = 'Acme "Prod"; } </style><script>x</script> \\ ·'
    css = documents.css_string(text)
    assert css.startswith('"') and css.endswith('"')
    inner = css[1:-1]
    assert '"' not in inner and "<" not in inner and ";" not in inner and "}" not in inner
    # every escape is 6 hex digits and a space, so it decodes back to the text
    decoded = re.sub(r"\\([0-9a-f]{6}) ", lambda m: chr(int(m.group(1), 16)), inner)
    assert decoded == text


def test_running_header_names_client_environment_and_date():
    assert documents.running_header("Production", "2026-09-30", "Acme") == "Acme \u00b7 Production \u00b7 as of 2026-09-30"
    assert documents.running_header("Production", "2026-09-30") == "Production \u00b7 as of 2026-09-30"


def test_missing_chromium_gives_a_clear_message(monkeypatch, tmp_path):
    """Without a browser the PDF export says what to install, and the report command refuses up front."""
    from hiddenspof import report

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(documents.CHROMIUM_ENV, raising=False)
    with pytest.raises(documents.DocumentError, match=r"PDF export needs Chromium.*make system-deps"):
        documents.chromium()
    with pytest.raises(UsageError, match="PDF export needs Chromium"):
        report.render([str(DATA / "teaching.yaml")], tmp_path / "out", formats="html,pdf", progress=False)
    assert not (tmp_path / "out").exists()
    monkeypatch.setenv(documents.CHROMIUM_ENV, str(tmp_path / "nope"))
    with pytest.raises(documents.DocumentError, match="HIDDENSPOF_CHROMIUM=.*not an executable"):
        documents.chromium()


def test_report_rejects_bad_format_and_template(tmp_path):
    from hiddenspof import report

    teaching = str(DATA / "teaching.yaml")
    with pytest.raises(UsageError, match="unknown report format"):
        report.render([teaching], tmp_path / "o", formats="html,rtf", progress=False)
    with pytest.raises(UsageError, match="only used with --formats including docx"):
        report.render([teaching], tmp_path / "o", formats="html", docx_template=tmp_path / "x.docx", progress=False)
    with pytest.raises(UsageError, match="expected an existing Word .docx file"):
        report.render([teaching], tmp_path / "o", formats="docx", docx_template=tmp_path / "x.docx", progress=False)


@pytest.fixture(scope="module")
def teaching():
    """The teaching estate: inventory, analysis and its summary deliverable (the plan computed once)."""
    inv = inventory.load(DATA / "teaching.yaml")
    result = analysis.analyze(inv)
    plan = deliverable.work_packages(result)
    return inv, result, plan


def _firm_template(path):
    """A firm's template: a blue custom heading style, a cover with placeholders, a confidential header."""
    doc = docx.Document()
    doc.styles["Heading 1"].font.color.rgb = RGBColor(0x12, 0x34, 0x56)
    doc.styles["Heading 1"].font.name = "Georgia"
    doc.add_paragraph("Firm & Partners", style="Title")
    p = doc.add_paragraph("Prepared for ")
    p.add_run("{{ cli")
    p.add_run("ent }}")  # a placeholder split over runs, as Word often stores it
    doc.add_paragraph("{{environment}} on {{date}}")
    doc.sections[0].header.paragraphs[0].text = "FIRM CONFIDENTIAL: {{client}}"
    doc.save(str(path))
    return path


def test_docx_without_template_has_cover_summary_findings_plan_and_pages(teaching, tmp_path):
    """The Word deliverable opens: a cover, the numbered sections, the scorecard, the findings and the plan."""
    inv, result, plan = teaching
    doc = deliverable.build(result, inv, plan=plan, client=inv.meta.organisation)
    out = documents.write_docx(tmp_path / "r.docx", doc)
    word = docx.Document(str(out))
    headings = [p.text for p in word.paragraphs if p.style.name == "Heading 1"]
    assert headings[:5] == ["1. Executive summary", "2. Which threat leaves which system unrecoverable",
                            "3. Findings", "4. The plan", "5. Restore capacity"]
    assert headings[-1] == "Appendix B. Finding index"
    scorecard = next(t for t in word.tables if [c.text for c in t.rows[0].cells] == ["Measure", "Value", "What it means"])
    assert scorecard.rows[1].cells[0].text == "Assets assessed"
    titles = [p.text for p in word.paragraphs if p.style.name == "Heading 3"]
    high = [f for f in result["findings"] if f["severity"] in ("critical", "high")]
    assert len([t for t in titles if not re.match(r"^\d+\. ", t)]) == len(high)
    every = [c.text for t in word.tables for r in t.rows for c in r.cells]
    assert not {"nan", "NaN", "None", "<NA>"} & set(every)
    assert word.sections[0].header.paragraphs[0].text.endswith("as of 2026-09-30")


def test_docx_on_a_firm_template_keeps_its_styles_cover_and_header(teaching, tmp_path):
    """With --docx-template the firm's styles, cover and header stay, with the placeholders filled."""
    inv, result, plan = teaching
    template = _firm_template(tmp_path / "firm.docx")
    assert documents.firm_of_template(template) == "Firm & Partners"  # no Company property: its title
    doc = deliverable.build(result, inv, plan=plan, client="Harbour Books Ltd")
    out = documents.write_docx(tmp_path / "r.docx", doc, template=template)
    word = docx.Document(str(out))
    texts = [p.text for p in word.paragraphs]
    assert texts[0] == "Firm & Partners"
    assert texts[1] == "Prepared for Harbour Books Ltd"
    assert texts[2] == f"{inv.meta.name} on 2026-09-30"
    assert word.sections[0].header.paragraphs[0].text == "FIRM CONFIDENTIAL: Harbour Books Ltd"
    h1 = next(p for p in word.paragraphs if p.text == "1. Executive summary")
    assert h1.style.name == "Heading 1"
    assert h1.style.font.color.rgb == RGBColor(0x12, 0x34, 0x56) and h1.style.font.name == "Georgia"
    assert not any("{{" in t for t in texts)
    assert docx.Document(str(template)).paragraphs[1].text == "Prepared for {{ client }}"  # the template is unchanged


def test_docx_template_that_is_not_a_docx_is_named(teaching, tmp_path):
    inv, result, plan = teaching
    bad = tmp_path / "firm.docx"
    bad.write_text("not a zip")
    doc = deliverable.build(result, inv, plan=plan)
    with pytest.raises(documents.DocumentError, match=r"firm.docx: not a readable Word template"):
        documents.write_docx(tmp_path / "r.docx", doc, template=bad)
    assert not (tmp_path / "r.docx").exists()
    assert documents.firm_of_template(bad) is None


class _Probe(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        _Probe.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.slow
@pytest.mark.skipif(not HAS_CHROMIUM, reason="chromium not installed (make system-deps)")
def test_pdf_printing_is_offline_a4_with_header(tmp_path):
    """A page asking for network resources prints, and the local probe server sees no request."""
    from pypdf import PdfReader

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Probe)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    _Probe.hits.clear()
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><style>@page { size: A4; @top-left { content: " + documents.css_string("Acme \u00b7 Prod") + " } }"
        f"</style><link rel='stylesheet' href='http://127.0.0.1:{port}/style.css'></head><body>"
        f"<img src='http://127.0.0.1:{port}/pixel.png'><script src='http://127.0.0.1:{port}/x.js'></script>"
        "<h1>Report body</h1><div style='break-before: page'>second page</div></body></html>"
    )
    try:
        out = documents.write_pdf(page, tmp_path / "page.pdf")
    finally:
        server.shutdown()
    assert _Probe.hits == []
    reader = PdfReader(str(out))
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595) < 2 and abs(float(box.height) - 842) < 2  # A4 in points
    first = reader.pages[0].extract_text()
    assert "Acme \u00b7 Prod" in first and "Report body" in first
