"""The printed deliverable read as a client reads it: page budget, paper, names not ids, no broken words.

Each estate is analysed, laid out (``deliverable.build``) and printed by
Chromium once per module; the PDF is read back with ``pdftotext`` (poppler,
installed by ``make system-deps``). The synthetic estates come from
``hiddenspof synth``: its smallest estate (200 components, 29 protected
systems) trimmed to 20 systems by dropping the backups of the others, and a
520-component estate (101 systems).
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from conftest import SAMPLES
from hiddenspof import analysis, deliverable, documents, inventory, synth
from hiddenspof.deliverable import Block, Table
from hiddenspof.inventory import THREAT_MODES

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("chromium") is None or shutil.which("pdftotext") is None,
                       reason="chromium and pdftotext (poppler-utils) needed: make system-deps"),
]


def trim_to_assets(source: Path, target: Path, keep: int) -> Path:
    """A copy of a CSV-folder inventory in which only the first ``keep`` protected assets (by id) keep their backups."""
    shutil.copytree(source, target)
    with open(source / "backups.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    kept = sorted({r["protects"] for r in rows})[:keep]
    dropped = {r["id"] for r in rows if r["protects"] not in kept}
    rules = {
        "backups.csv": lambda r: r["id"] not in dropped,
        "backup_runs.csv": lambda r: r["backup"] not in dropped,
        "restore_tests.csv": lambda r: r["backup"] not in dropped,
        "dependencies.csv": lambda r: r["component"] not in dropped and r["depends_on"] not in dropped,
        "components.csv": lambda r: r["id"] not in dropped,
    }
    for name, keep_row in rules.items():
        with open(source / name, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            fields, rows = reader.fieldnames, [r for r in reader if keep_row(r)]
        with open(target / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
    return target


def printed(path: Path, out: Path, paper: str = "a4") -> dict:
    """Analyse, lay out and print one estate: its analysis, Document, PDF path, page texts."""
    inv = inventory.load(path)
    result = analysis.analyze(inv)
    doc = deliverable.build(result, inv, paper=paper, client=inv.meta.organisation, firm="Firm & Partners")
    pdf = documents.write_deliverable_pdf(doc, out / f"{path.stem}-{paper}.pdf")
    pages = pdf_pages(pdf)
    return {"inventory": inv, "result": result, "doc": doc, "pdf": pdf, "pages": pages}


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page, as pdftotext reads it (ligatures unfolded)."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [unicodedata.normalize("NFKC", p) for p in text.split("\f")[:-1]]


@pytest.fixture(scope="module")
def estates(tmp_path_factory):
    """The three samples and the synthetic 20-system estate, printed on A4."""
    base = tmp_path_factory.mktemp("print")
    full = base / "synth-200"
    synth.write_estate(full, 200, seed=1)
    twenty = trim_to_assets(full, base / "synth-20", 20)
    paths = {**SAMPLES, "synth-20": twenty}
    return {name: printed(Path(path), base) for name, path in paths.items()}


def _appendix_start(pages: list[str]) -> int:
    return next(i for i, p in enumerate(pages) if re.search(r"^Appendix A\.", p, re.MULTILINE))


def test_page_counts_stay_within_the_budget(estates):
    """Every sample and the synthetic 20-system estate: at most 30 pages (the budget up to 20 systems)."""
    assert len(estates["synth-20"]["result"]["assets"]) == 20
    for name, e in estates.items():
        assets = len(e["result"]["assets"])
        assert len(e["pages"]) <= deliverable.page_budget(assets) == 30, (name, len(e["pages"]))


def test_no_finding_id_or_threat_key_outside_the_appendix(estates):
    """Before Appendix A the PDF text holds no finding id (even broken over lines) and no threat-mode key."""
    for name, e in estates.items():
        cut = _appendix_start(e["pages"])
        body = "\n".join(e["pages"][:cut])
        squeezed = re.sub(r"\s+", "", body)
        ids = {f["id"]: re.sub(r"\s+", "", f["id"]) for f in e["result"]["findings"]}  # ids may hold spaces
        assert not [i for i, s in ids.items() if s in squeezed], name
        assert not [m for m in THREAT_MODES if re.search(rf"\b{m}\b", body)], name
        appendix = re.sub(r"\s+", "", "\n".join(e["pages"][cut:]))
        shown = [f["id"] for f in e["result"]["findings"] if f["severity"] in ("critical", "high")]
        assert [i for i in shown if ids[i] not in appendix] == [], name  # the index maps every reference to its id


def _tokens(text: str) -> list[str]:
    """Words of a text, punctuation around them dropped; split after ":" and "+" (where long ids may break)."""
    text = re.sub(r"(?<=[:+])", " ", unicodedata.normalize("NFKC", text))
    return [t.strip(".,;:()[]'\"+") for t in text.split()]


def broken_words(doc, text: str) -> list[str]:
    """Words of the document's tables and blocks that the printed text holds fewer times whole than the document."""
    printed_words = Counter(_tokens(text))
    everywhere = Counter()
    in_tables = set()
    for section in doc.sections:
        for item in section.items:
            words = []
            if isinstance(item, Table):
                words = [w for r in item.rows for c in r for w in _tokens(c)] + [
                    w for h in item.headers for w in _tokens(h)]
                in_tables.update(w for w in words if len(w) >= 4)
            elif isinstance(item, Block):
                words = [w for f in item.fields for x in f for w in _tokens(x)] + _tokens(item.title)
                in_tables.update(w for w in words if len(w) >= 4)
            elif hasattr(item, "text"):
                words = _tokens(item.text)
            everywhere.update(words)
    return sorted(w for w in in_tables if printed_words[w] < everywhere[w])


def test_broken_words_sees_a_word_split_over_two_lines():
    """The check itself: a table word printed as "unrecoverab-" / "le" is reported; whole words are not."""
    table = Table(("Verdict", "System"), (("unrecoverable", "ad-harbour"),))
    doc = deliverable.Document("T", "E", "2026-09-30", None, None, "a4", "summary",
                               (deliverable.Section("s", "S", (table,)),))
    assert broken_words(doc, "Verdict System\nunrecoverable ad-harbour") == []
    assert broken_words(doc, "Verdict System\nunrecoverab-\nle ad-\nharbour") == ["ad-harbour", "unrecoverable"]


def test_no_word_broken_across_lines_inside_a_table(estates):
    """Every word of every table (and finding block) appears whole in the PDF text as often as the document holds it."""
    for name, e in estates.items():
        assert broken_words(e["doc"], "\n".join(e["pages"])) == [], name


def test_pages_carry_the_running_header_and_numbers_and_the_cover_its_facts(estates):
    """The cover names client, environment, date and firm; every other page the header and Page n of N."""
    for name, e in estates.items():
        doc, pages = e["doc"], e["pages"]
        cover = re.sub(r"\s+", " ", pages[0])
        for fact in (doc.environment, doc.as_of, "Firm & Partners", *([doc.client] if doc.client else [])):
            assert fact in cover, (name, fact)
        for n, page in enumerate(pages, 1):
            assert f"Page {n} of {len(pages)}" in page, (name, n)
            if n > 1:
                assert re.sub(r"\s+", " ", doc.running_header) in re.sub(r"\s+", " ", page), (name, n)


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_pdf_paper_is_the_word_paper(paper, tmp_path):
    """The PDF's page size is the chosen paper, and the Word section's page size is the same."""
    import docx
    from pypdf import PdfReader

    e = printed(Path(SAMPLES["teaching"]), tmp_path, paper=paper)
    box = PdfReader(str(e["pdf"])).pages[0].mediabox
    width_mm, height_mm = (float(box.width) * 25.4 / 72, float(box.height) * 25.4 / 72)
    assert (round(width_mm), round(height_mm)) == tuple(round(x) for x in deliverable.PAPERS[paper])
    word = docx.Document(str(documents.write_docx(tmp_path / "r.docx", e["doc"])))
    assert round(word.sections[0].page_width.mm) == round(width_mm)
    assert round(word.sections[0].page_height.mm) == round(height_mm)


def test_a_100_system_estate_stays_within_budget_plus_40(tmp_path):
    """hiddenspof synth --components 520 gives 101 protected systems: at most the budget (70) + 40 pages."""
    synth.write_estate(tmp_path / "synth-520", 520, seed=1)
    e = printed(tmp_path / "synth-520", tmp_path)
    assets = len(e["result"]["assets"])
    assert assets >= 100
    assert len(e["pages"]) <= deliverable.page_budget(assets) + 40, len(e["pages"])
