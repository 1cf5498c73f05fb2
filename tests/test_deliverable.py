"""The client deliverable as a Document and as Word: contents, names not ids, the plan, tables, paper.

The printed PDF (page budget, text as a client reads it) is tested in
``test_deliverable_print.py``; these tests need neither Chromium nor notebooks.
"""

from __future__ import annotations

import re

import docx
import pytest
from conftest import SAMPLES
from docx.oxml.ns import qn
from docx.shared import Mm
from hiddenspof import analysis, deliverable, documents, inventory, whatif
from hiddenspof.deliverable import Block, Chart, Paragraph, Table
from hiddenspof.errors import UsageError
from hiddenspof.inventory import THREAT_MODES
from hiddenspof.presentation import Names


@pytest.fixture(scope="module", params=["teaching", "hybrid-enterprise"])
def built(request):
    """A sample's inventory, analysis, plan and summary Document (the plan computed once)."""
    inv = inventory.load(SAMPLES[request.param])
    result = analysis.analyze(inv)
    plan = deliverable.work_packages(result)
    doc = deliverable.build(result, inv, plan=plan, client="Acme", firm="Firm & Partners")
    return request.param, inv, result, plan, doc


def texts(items) -> list[str]:
    """Every string a list of Document items shows (tables and blocks included)."""
    out = []
    for item in items:
        if isinstance(item, Paragraph):
            out.append(item.text)
        elif isinstance(item, Table):
            out += [item.title, *item.headers, *(c for r in item.rows for c in r)]
        elif isinstance(item, Block):
            out += [item.title, item.label or "", item.ref, *(x for f in item.fields for x in f)]
        elif isinstance(item, Chart):
            out.append(item.caption)
    return out


def body_text(doc) -> str:
    return "\n".join(t for s in doc.sections if not s.appendix for t in [s.title, *texts(s.items)])


def test_page_budget():
    """30 pages up to 20 assets, then one more per two further assets."""
    assert [deliverable.page_budget(n) for n in (0, 17, 20, 21, 22, 40, 100)] == [30, 30, 30, 30, 31, 40, 70]


def test_sections_in_order_with_the_appendix_last(built):
    """Summary, heat map, findings, plan, capacity, then the tier-1 pages and the finding index as appendices."""
    _, _, _, _, doc = built
    assert [s.key for s in doc.sections] == ["summary", "heatmap", "findings", "plan", "capacity", "assets", "index"]
    assert [s.appendix for s in doc.sections] == [False] * 5 + [True] * 2
    assert documents.section_numbers(doc) == ["1.", "2.", "3.", "4.", "5.", "Appendix A.", "Appendix B."]


def test_names_not_ids_outside_the_appendix(built):
    """No finding id, threat-mode key or component id (whose name differs) in the body; ids only in the index."""
    name, inv, result, _, doc = built
    body = body_text(doc)
    squeezed = re.sub(r"\s+", "", body)
    for f in result["findings"]:
        assert f["id"] not in squeezed, (name, f["id"])
    for mode in THREAT_MODES:
        assert not re.search(rf"\b{mode}\b", body), (name, mode)
    named = {i: n for i, n in zip(inv.components["id"], inv.components["name"]) if isinstance(n, str) and n.strip()}
    for ident, label in named.items():
        if ident != label and not any(ident in other for other in named.values()):
            assert not re.search(rf"(?<![\w.-]){re.escape(ident)}(?![\w-])", body), (name, ident)
    index = next(s for s in doc.sections if s.key == "index")
    shown = [r[2] for item in index.items if isinstance(item, Table) for r in item.rows]
    refs = {b.ref for s in doc.sections for b in s.items if isinstance(b, Block) and b.ref.startswith("F")}
    assert len(shown) == len(refs) and set(shown) <= {f["id"] for f in result["findings"]}


def test_findings_section_holds_high_and_above_and_full_holds_every_finding(built):
    """Summary: one block per critical/high finding; --detail full: one per finding, and tier-2 pages too."""
    _, inv, result, plan, doc = built
    blocks = [b for b in next(s for s in doc.sections if s.key == "findings").items if isinstance(b, Block)]
    high = [f for f in result["findings"] if f["severity"] in ("critical", "high")]
    assert len(blocks) == len(high)
    assert [b.label for b in blocks] == sorted((b.label for b in blocks), key=["critical", "high"].index)
    full = deliverable.build(result, inv, plan=plan, detail="full")
    blocks = [b for b in next(s for s in full.sections if s.key == "findings").items if isinstance(b, Block)]
    assert len(blocks) == len(result["findings"])
    tiers = {a["id"]: a.get("tier") for a in result["assets"]}
    pages = lambda d: [b for b in next(s for s in d.sections if s.key == "assets").items if isinstance(b, Block)]  # noqa: E731
    assert len(pages(doc)) == sum(1 for t in tiers.values() if t == 1)
    assert len(pages(full)) == sum(1 for t in tiers.values() if t in (1, 2))


def test_finding_block_reads_as_a_consultant_writes(built):
    """Each block: systems by name, why, evidence of at most two sentences, the fix and what it changes."""
    _, inv, result, _, doc = built
    names = Names(dict(zip(inv.components["id"], inv.components["name"])))
    blocks = [b for b in next(s for s in doc.sections if s.key == "findings").items if isinstance(b, Block)]
    by_ref = {b.ref: b for b in blocks}
    for f in [f for f in result["findings"] if f["severity"] in ("critical", "high")]:
        block = next(b for b in by_ref.values() if b.title == names.text(f["title"]))
        fields = dict(block.fields)
        assert fields["Systems"].startswith(names.of(sorted(f["assets"])[0])) if f["assets"] else True
        assert fields["Why it matters"]
        evidence = fields["Evidence"].replace(" (More in the full record.)", "")
        assert len([s for s in re.split(r"(?<=\.)\s+(?=[A-Z])", evidence) if s]) <= 2 + evidence.count("e.g.")
        assert "The fix" in fields
        if f.get("fix"):
            assert fields["What it changes"].endswith(("(verified by re-analysis).", "(not verified)."))


def test_plan_residual_risk_is_the_risk_after_every_step_so_far(built):
    """Each package's residual risk equals the estate risk with its edits and every earlier package's applied (oracle)."""
    from hiddenspof import edits

    _, inv, result, plan, doc = built
    assert plan, "the samples all have a plan"
    today = whatif.estate_risk(inv).total
    done = []
    for step, package in enumerate(plan, 1):
        assert package.number == step and package.risk_today == pytest.approx(today, abs=0.01)
        done += package.applied
        if package.risk_after is not None:
            assert whatif.estate_risk(edits.apply_changes(inv, done)).total == pytest.approx(package.risk_after, abs=0.01)
    risks = [p.risk_after for p in plan if p.risk_after is not None]
    assert risks == sorted(risks, reverse=True) and risks[0] < today
    section = next(s for s in doc.sections if s.key == "plan")
    table = next(i for i in section.items if isinstance(i, Table))
    assert [r[0] for r in table.rows] == [str(p.number) for p in plan]
    assert [r[2] for r in table.rows] == [f"{p.risk_after:.1f}" if p.risk_after is not None else "\u2014" for p in plan]
    assert "When the plan is done" in section.items[-1].text


def test_wide_tables_become_stacked_blocks_in_print_and_word(tmp_path):
    """A table with too many columns (or words too long for its columns) is printed as one block per row."""
    narrow = Table(("Step", "Work package"), (("1", "Add an offline copy"),), numeric=(True, False))
    wide = Table(tuple(f"Column {i}" for i in range(7)), (tuple(f"value{i}" for i in range(7)),))
    long_words = Table(("A", "B", "C"), (("x" * 60, "y" * 60, "z" * 60),))
    assert documents.fits(narrow, "a4") and not documents.fits(wide, "a4") and not documents.fits(long_words, "a4")
    doc = deliverable.Document("T", "Env", "2026-09-30", None, None, "a4", "summary",
                               (deliverable.Section("s", "S", (narrow, wide)),))
    page = documents.deliverable_html(doc)
    assert page.count("<table") == 1 and page.count('class="record"') == 1
    out = documents.write_docx(tmp_path / "d.docx", doc)
    word = docx.Document(str(out))
    assert len(word.tables) == 1 and [c.text for c in word.tables[0].rows[0].cells] == ["Step", "Work package"]
    assert "Column 1: value1" in [p.text for p in word.paragraphs]


def test_column_never_narrower_than_its_header():
    """The narrowest a column may be covers its header's longest word and each cell's longest word."""
    table = Table(("Residual", "x"), (("1", "a very long sentence of short words"),))
    assert documents.column_min_pt(table, 0) >= len("Residual") * documents.TABLE_PT * 0.5
    assert documents.column_min_pt(table, 1) >= len("sentence") * documents.TABLE_PT * 0.5


def test_identifiers_are_kept_whole_in_print():
    """Tokens with inner punctuation (ids, hyphenated words) are wrapped so no line breaks inside them."""
    html = documents._words("restore ad-harbour.local to dr-vm, now")
    assert '<span class="w">ad-harbour.local</span>' in html and '<span class="w">dr-vm,</span>' in html
    assert "restore " in html and "<span class=\"w\">now" not in html


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_word_is_a_peer_of_the_pdf(built, paper, tmp_path):
    """Same paper and margins as the PDF, the same numbered sections, tables with repeating unsplit header rows."""
    _, inv, result, plan, _ = built
    doc = deliverable.build(result, inv, plan=plan, paper=paper, client="Acme", firm="Firm & Partners")
    word = docx.Document(str(documents.write_docx(tmp_path / "r.docx", doc)))
    width, height = deliverable.PAPERS[paper]
    for section in word.sections:
        assert abs(section.page_width - Mm(width)) < Mm(0.1) and abs(section.page_height - Mm(height)) < Mm(0.1)
        assert abs(section.left_margin - Mm(deliverable.MARGINS_MM[3])) < Mm(0.1)
    headings = [p.text for p in word.paragraphs if p.style.name == "Heading 1"]
    assert headings == [f"{n} {s.title}" for n, s in zip(documents.section_numbers(doc), doc.sections)]
    assert word.tables
    for table in word.tables:
        first = table.rows[0]._tr.trPr
        assert first is not None and first.find(qn("w:tblHeader")) is not None
        for row in table.rows:
            assert row._tr.trPr.find(qn("w:cantSplit")) is not None
    cover = "\n".join(p.text for p in word.paragraphs[:8])
    assert "Client: Acme" in cover and "Prepared by: Firm & Partners" in cover and f"as of: {doc.as_of}" in cover
    assert word.sections[0].header.paragraphs[0].text == doc.running_header
    assert word.inline_shapes, "the charts are pictures"
    footer = word.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer


def test_word_on_a_firm_template_keeps_styles_and_names_the_firm(built, tmp_path):
    """The template's heading style and cover stay; the firm comes from its Company property."""
    from docx.shared import RGBColor

    _, inv, result, plan, _ = built
    template = docx.Document()
    template.styles["Heading 1"].font.color.rgb = RGBColor(0x12, 0x34, 0x56)
    template.core_properties.title = "x"
    template.add_paragraph("{{firm}} for {{client}}", style="Title")
    path = tmp_path / "firm.docx"
    template.save(str(path))
    import zipfile

    with zipfile.ZipFile(path) as z:  # python-docx cannot set Company: write it as Word does
        entries = {n: z.read(n) for n in z.namelist()}
    app = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://schemas.openxmlformats.org/'
           b'officeDocument/2006/extended-properties"><Company>Harbour &amp; Co</Company></Properties>')
    entries["docProps/app.xml"] = app
    with zipfile.ZipFile(path, "w") as z:
        for n, data in entries.items():
            z.writestr(n, data)
    firm = documents.firm_of_template(path)
    assert firm == "Harbour & Co"
    doc = deliverable.build(result, inv, plan=plan, client="Acme", firm=firm)
    word = docx.Document(str(documents.write_docx(tmp_path / "r.docx", doc, template=path)))
    assert word.paragraphs[0].text == "Harbour & Co for Acme"
    h1 = next(p for p in word.paragraphs if p.style.name == "Heading 1")
    assert h1.style.font.color.rgb == RGBColor(0x12, 0x34, 0x56)
    assert abs(word.sections[0].page_width - Mm(210)) < Mm(0.1)


def test_bad_paper_or_detail_is_named():
    result = {"environment": {"name": "e", "as_of": "2026-09-30"}, "assets": [], "findings": [],
              "capacity": {"scenarios": []}}
    with pytest.raises(UsageError, match=r"unknown paper 'a3': expected one of a4, letter"):
        deliverable.build(result, paper="a3")
    with pytest.raises(UsageError, match=r"unknown detail 'all': expected one of summary, full"):
        deliverable.build(result, detail="all")


def test_an_empty_estate_still_makes_a_deliverable(tmp_path):
    """No asset, no finding, no plan: every section says so in a sentence; Word and print lay it out."""
    result = {"environment": {"name": "Empty", "as_of": "2026-09-30"}, "assets": [], "findings": [],
              "capacity": {"scenarios": []}}
    doc = deliverable.build(result)
    assert all(s.items for s in doc.sections)
    assert "No threat mode leaves any protected system unrecoverable." in body_text(doc)
    documents.write_docx(tmp_path / "e.docx", doc)
    assert "<h1>" in documents.deliverable_html(doc)


def test_names_rewrites_ids_keys_and_threats():
    """Ids become names (shared names keep the id), back-ticks go, threat keys and snake_case read as words."""
    n = Names({"ad-1": "Active Directory", "web-1": "Web", "web-10": "Web", "files": "File share", "x": None})
    assert n.text("holding `ad-1` -> destroys web-1, web-10; files: meets_rto under account_loss") == (
        "holding Active Directory -> destroys Web [web-1], Web [web-10]; File share: meets RTO under "
        "loss of a cloud account")
    assert n.of("x") == "x" and n.of("unknown") == "unknown"
    assert n.text("in scenario 'site:ad-1' and site:nowhere") == "in scenario 'loss of Active Directory' and site:nowhere"
    assert n.text("coupling:threat:ad-1 stays") == "coupling:threat:ad-1 stays"  # part of a longer id
