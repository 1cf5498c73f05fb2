"""The report as a client deliverable: every sample estate rendered once (HTML, PDF, Word) and read like a client.

One render, shared by every test of this module (``deliverable`` fixture):
the three sample estates and a broken inventory through the ``hiddenspof
report`` command, ``--formats html,pdf,docx``, two processes, console
captured. Tests then parse what a client receives.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import lxml.html
import pytest
from conftest import ROOT, SAMPLES
from hiddenspof import summary
from test_report import BROKEN_YAML

pytestmark = pytest.mark.slow

MISSING_MARKERS = {"nan", "NaN", "None", "<NA>", "NaT", "null"}
INTERACTIVE_HEADINGS = ("Try it", "What-if", "Explore one backup interactively")


@pytest.fixture(scope="session")
def deliverable(tmp_path_factory):
    """Samples + broken estate rendered as html, pdf, docx by the CLI; console and folders returned."""
    if shutil.which("chromium") is None:
        pytest.skip("chromium missing: make system-deps installs it")
    base = tmp_path_factory.mktemp("deliverable")
    broken = base / "broken.yaml"
    broken.write_text(BROKEN_YAML, encoding="utf-8")
    samples = [SAMPLES[k] for k in sorted(SAMPLES)]
    out = base / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "lib") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, "-m", "hiddenspof", "report", *map(str, samples), str(broken), "--out", str(out),
         "--jobs", "2", "--formats", "html,pdf,docx"],
        capture_output=True, text=True, env=env, timeout=1800,
    )
    folders = {p.name: p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")}
    reports = {name: folder for name, folder in folders.items() if (folder / "report.html").exists()}
    return {"status": done.returncode, "stdout": done.stdout, "stderr": done.stderr, "out": out,
            "reports": reports, "broken": broken}


def _tree(folder: Path):
    return lxml.html.fromstring((folder / "report.html").read_bytes())


def _tables(tree):
    return tree.xpath("//table[not(ancestor::nav)]")


def test_every_sample_rendered_in_three_formats(deliverable):
    """Three sample reports, each with report.html, report.pdf and report.docx; the broken one failed."""
    assert deliverable["status"] == 1
    assert len(deliverable["reports"]) == 3, deliverable["stderr"][-2000:]
    for folder in deliverable["reports"].values():
        for name in ("report.html", "report.pdf", "report.docx"):
            assert (folder / name).stat().st_size > 1000, (folder, name)
        manifest = json.loads((folder / "manifest.json").read_text())
        assert {"report.pdf", "report.docx"} <= set(manifest["outputs"])


def test_console_is_quiet_and_lists_the_broken_inventory(deliverable):
    """No kernel warning or spurious error; the failed environment's problems are listed with file, row, column, value."""
    err = deliverable["stderr"]
    assert "without encryption" not in err and "KeyboardInterrupt" not in err
    assert not re.search(r"^\S*\s*(WARNING|ERROR)\b", err, re.MULTILINE), err[-2000:]
    assert "Traceback" not in err
    broken = str(deliverable["broken"])
    assert f"{broken}:4: column 'kind': value 'spaceship'" in err
    assert f"{broken}:6: column 'depends_on': value 'nowhere'" in err
    # every line is the progress bar, the failure with its problems, or the index
    for line in err.replace("\r", "\n").splitlines():
        if line.strip():
            assert line.startswith(("report:", "hiddenspof report:", "  ")), line
    index = (deliverable["out"] / "index.html").read_text()
    assert "spaceship" in index and "nowhere" in index


def test_no_missing_markers_truncation_or_index_columns(deliverable):
    """No cell reads NaN/None/<NA>, none is cut with an ellipsis, no table has a row-number index column."""
    for name, folder in deliverable["reports"].items():
        tree = _tree(folder)
        tables = _tables(tree)
        assert len(tables) >= 8, name
        for t in tables:
            cells = [c.text_content().strip() for c in t.xpath(".//td")]
            assert not MISSING_MARKERS & set(cells), (name, [c for c in cells if c in MISSING_MARKERS])
            assert not [c for c in cells if c.endswith(("\u2026", "..."))], name
            headers = [h.text_content().strip() for h in t.xpath(".//thead//th")]
            assert headers and all(headers), (name, headers)  # no blank header over an index column
            assert not t.xpath(".//tbody//th"), name  # no row labels (pandas puts the index in <th>)
            rows = t.xpath(".//tbody/tr")
            assert rows, (name, headers)  # never a header-only table
            first = [r.xpath("./td")[0].text_content().strip() for r in rows]
            assert len(rows) == 1 or first != [str(i) for i in range(len(rows))], (name, headers)  # a 0..n-1 index
        # every table is a designed one (great_tables), none a raw DataFrame
        assert not tree.xpath("//table[contains(@class, 'dataframe')]"), name


def test_no_interactive_or_debug_leftovers_and_numbered_sections(deliverable):
    """No "Try it"/what-if section, no monospace debug output, sections numbered 1., 2., ... in order."""
    for name, folder in deliverable["reports"].items():
        tree = _tree(folder)
        headings = [h.text_content().replace("\u00b6", "").strip() for h in tree.xpath("//h1[not(@class)] | //h2")]
        assert not [h for h in headings if any(k.lower() in h.lower() for k in INTERACTIVE_HEADINGS)], name
        assert not tree.xpath("//*[contains(@class,'jp-OutputArea-output')]//pre"), name
        h1 = [h.text_content().strip() for h in tree.xpath("//h1[not(@class)]")]
        assert [h.split(" ", 1)[0] for h in h1] == [f"{i}." for i in range(1, len(h1) + 1)], h1
        text = tree.text_content()
        assert "Asset pages" in text and "explaining " not in text


def test_every_chart_has_marks(deliverable):
    """Each chart's static SVG draws at least one mark (no empty chart)."""
    for name, folder in deliverable["reports"].items():
        charts = _tree(folder).xpath("//div[@class='hs-chart']")
        assert len(charts) >= 8, name
        for c in charts:
            svg = base64.b64decode(c.xpath("img/@src")[0].split(",", 1)[1]).decode()
            marks = re.findall(r'<g class="mark-[a-z]+ role-mark[^"]*"[^>]*>(.*?)</g>', svg, re.DOTALL)
            assert any(re.search(r"<(path|rect|line|circle|text)\b", m) for m in marks), (name, c.xpath("img/@alt"))


def test_capacity_answers_the_restore_everything_question(deliverable):
    """The capacity section shows the restore_all scenario on every sample."""
    for name, folder in deliverable["reports"].items():
        data = json.loads((folder / "analysis.json").read_text())
        kinds = [s["kind"] for s in data["capacity"]["scenarios"]]
        assert kinds.count("restore_all") == 1, name
        text = _tree(folder).text_content()
        assert "restore_all" in text and "must be restored at once, " in text, name


def test_asset_pages_for_every_tier_1_and_2_asset(deliverable):
    """One h2 per tier-1/2 asset under "Asset pages", each with its facts table."""
    for name, folder in deliverable["reports"].items():
        data = json.loads((folder / "analysis.json").read_text())
        critical = [a["id"] for a in data["assets"] if a.get("tier") in (1, 2)]
        tree = _tree(folder)
        pages = [h.text_content().replace("\u00b6", "").strip() for h in
                 tree.xpath("//h2[preceding::h1[not(@class)][1][contains(., 'Asset pages')]]")]
        assert len(pages) == len(critical), (name, pages)
        for asset in critical:
            assert any(f"({asset}), tier" in p or f" {asset}, tier" in p for p in pages), (name, asset)
        assert len(tree.xpath("//table[.//th[normalize-space()='Question']]")) == len(critical), name


def test_pdf_is_the_deliverable_with_pages_header_and_the_first_finding(deliverable):
    """report.pdf: the client deliverable within its page budget, A4, running header and page numbers
    on every page after the cover, the most severe finding's title (with names), no raster images."""
    from hiddenspof import deliverable as deliverable_mod
    from hiddenspof import inventory
    from hiddenspof.presentation import Names
    from pypdf import PdfReader

    for name, folder in deliverable["reports"].items():
        data = json.loads((folder / "analysis.json").read_text())
        reader = PdfReader(str(folder / "report.pdf"))
        assert 3 <= len(reader.pages) <= deliverable_mod.page_budget(len(data["assets"])), name
        box = reader.pages[0].mediabox
        assert abs(float(box.width) - 595) < 2 and abs(float(box.height) - 842) < 2, name
        text = [p.extract_text() for p in reader.pages]
        header = f"as of {data['environment']['as_of']}"
        assert all(header in t for t in text[1:]), name
        assert all(f"of {len(reader.pages)}" in t for t in text), name  # "Page n of N"
        # the PDF's text breaks lines anywhere and uses ligatures (fi, ff): compare without white space
        joined = re.sub(r"\s+", "", unicodedata.normalize("NFKC", "".join(text)))
        manifest = json.loads((folder / "manifest.json").read_text())
        inv = inventory.load(manifest["inputs"]["path"])
        names = Names(dict(zip(inv.components["id"], inv.components["name"])))
        first = summary.top_findings(data, n=1)["title"].iloc[0]
        assert re.sub(r"\s+", "", unicodedata.normalize("NFKC", names.text(first))) in joined, (name, first)
        assert sum(len(p.images) for p in reader.pages) == 0, "charts are vectors, not images"


def test_docx_has_the_same_sections_as_the_pdf(deliverable):
    """report.docx opens with the deliverable's numbered sections, as the PDF prints them."""
    import docx
    from pypdf import PdfReader

    for name, folder in deliverable["reports"].items():
        doc = docx.Document(str(folder / "report.docx"))
        headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
        assert headings[:4] == ["1. Executive summary", "2. Which threat leaves which system unrecoverable",
                                "3. Findings", "4. The plan"], name
        printed = unicodedata.normalize("NFKC", " ".join(p.extract_text() for p in PdfReader(str(folder / "report.pdf")).pages))
        printed = re.sub(r"\s+", " ", printed)
        assert all(h in printed for h in headings), (name, [h for h in headings if h not in printed])


@pytest.mark.browser
def test_no_text_overflows_its_box_at_1280px(deliverable, tmp_path):
    """In a real browser at 1280 px, no cell's text spills out of its cell, no table or chart out of the page.

    Checked on the executive summary and the asset pages (the parts a client
    reads first), every chart upgraded to its live SVG; screenshots are kept
    in the test's folder for a human look.
    """
    from playwright.sync_api import sync_playwright
    from test_report_browser import ARGS, CHROMIUM

    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium missing: make system-deps installs it")
    check = """() => {
      const out = [];
      const page = document.body.getBoundingClientRect();
      const sections = [...document.querySelectorAll('h1:not(.hs-title)')]
        .filter(h => /Executive summary|Asset pages/.test(h.textContent));
      for (const h of sections) {
        // the elements between this h1 and the next one
        const until = [...document.querySelectorAll('h1:not(.hs-title)')].find(x => x.compareDocumentPosition(h) & 2 && x !== h);
        const inSection = el => (h.compareDocumentPosition(el) & 4) && (!until || (until.compareDocumentPosition(el) & 2));
        for (const cell of document.querySelectorAll('td, th')) {
          if (!inSection(cell) || cell.closest('nav')) continue;
          if (cell.scrollWidth > cell.clientWidth + 1) out.push('cell overflows: ' + cell.textContent.slice(0, 60));
          const r = cell.getBoundingClientRect();
          if (r.right > page.right + 1) out.push('cell past the page: ' + cell.textContent.slice(0, 60));
        }
        for (const box of document.querySelectorAll('table, div.hs-chart svg, div.hs-chart img')) {
          if (!inSection(box)) continue;
          const r = box.getBoundingClientRect();
          if (r.right > page.right + 1 || r.left < page.left - 1) out.push('box past the page: ' + box.tagName);
          const parent = box.closest('.jp-OutputArea-output') || box.parentElement;
          if (parent.scrollWidth > parent.clientWidth + 1) out.push('scrolls sideways: ' + box.tagName);
        }
      }
      return {problems: out, sections: sections.length};
    }"""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for name, folder in deliverable["reports"].items():
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:", "blob:"))
                           else route.abort())
                page.goto((folder / "report.html").resolve().as_uri())
                page.wait_for_function("document.querySelectorAll('div.hs-chart img.hs-chart-static').length === 0",
                                       timeout=30_000)
                result = page.evaluate(check)
                assert result["sections"] == 2, name
                assert result["problems"] == [], (name, result["problems"][:10])
                for heading in ("Executive summary", "Asset pages"):
                    page.locator("h1", has_text=heading).first.scroll_into_view_if_needed()
                    page.screenshot(path=str(tmp_path / f"{name}-{heading.split()[0].lower()}.png"))
                page.close()
        finally:
            browser.close()
