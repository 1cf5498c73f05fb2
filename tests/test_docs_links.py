"""The project's documents stand alone: every link in README.md and docs/ resolves inside the repository."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from conftest import ROOT

DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "notebooks").rglob("README.md")])

_MD_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REF_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
_HTML_LINK = re.compile(r"""<(?:a|img|link|script|source)\b[^>]*\s(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")


def links(text: str) -> list[str]:
    """Every link target of a Markdown document (inline, reference, HTML), code blocks and spans left out."""
    prose = _CODE.sub("", _FENCE.sub("", text))
    return [*_MD_LINK.findall(prose), *_REF_LINK.findall(prose), *_HTML_LINK.findall(prose)]


def anchors(path: Path) -> set[str]:
    """The heading anchors GitHub gives a Markdown file (lower case, punctuation dropped, spaces to -)."""
    out = set()
    for line in _FENCE.sub("", path.read_text(encoding="utf-8")).splitlines():
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            # emphasis marks go, but underscores inside `code` stay (GitHub anchors the rendered text)
            parts = m.group(1).split("`")
            title = "".join(p if i % 2 else re.sub(r"[*_]", "", p) for i, p in enumerate(parts)).strip().lower()
            out.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return out


def problems(doc: Path) -> list[str]:
    """What is wrong with the links of one document (empty when every one resolves inside the repository)."""
    bad = []
    for target in links(doc.read_text(encoding="utf-8")):
        parsed = urlparse(target)
        if parsed.scheme or target.startswith("//"):
            bad.append(f"{target}: links outside the repository")
            continue
        if target.startswith("/"):
            bad.append(f"{target}: an absolute path, not a link inside the repository")
            continue
        path_part, fragment = unquote(parsed.path), parsed.fragment
        resolved = (doc.parent / path_part).resolve() if path_part else doc.resolve()
        if not resolved.is_relative_to(ROOT.resolve()):
            bad.append(f"{target}: resolves outside the repository ({resolved})")
        elif not resolved.exists():
            bad.append(f"{target}: no such file")
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            bad.append(f"{target}: no heading #{fragment} in {resolved.name}")
    return bad


def test_the_link_finder_finds_each_kind_of_link():
    """Inline, image, reference and HTML links are found; code spans and fences are not links."""
    text = ("see [a](docs/a.md#x) and ![img](img/p.png \"t\"), `[no](code.md)`\n"
            "```\n[no](fenced.md)\n```\n[ref]: other.md\n<a href=\"x.html\">x</a>\n")
    assert links(text) == ["docs/a.md#x", "img/p.png", "other.md", "x.html"]


def test_problems_are_reported(tmp_path, monkeypatch):
    """A broken file, a missing anchor, a web link and an escape from the repository are each named."""
    import test_docs_links as module

    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "ok.md").write_text("# Good heading\n")
    doc = repo / "README.md"
    doc.write_text("[1](docs/ok.md#good-heading) [2](docs/missing.md) [3](docs/ok.md#nope) "
                   "[4](https://example.com) [5](../outside.md) [6](/etc/passwd)\n")
    (tmp_path / "outside.md").write_text("x")
    monkeypatch.setattr(module, "ROOT", repo)
    found = problems(doc)
    assert [p.split(":")[0] for p in found] == ["docs/missing.md", "docs/ok.md#nope", "https", "../outside.md", "/etc/passwd"]


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves_inside_the_repository(doc):
    """README.md, docs/ and the workshop README link only to files (and headings) of this repository."""
    assert problems(doc) == []


def test_no_document_names_a_path_outside_the_repository():
    """The documents never point at the machine they were written on (/work/..., ../shared)."""
    for doc in DOCUMENTS:
        text = doc.read_text(encoding="utf-8")
        assert "/work/" not in text and "../shared" not in text, doc


def test_anchors_keep_underscores_of_code_but_drop_emphasis(tmp_path):
    """Anchors follow GitHub: `schema_version` keeps its underscore, _emphasis_ loses its marks."""
    doc = tmp_path / "d.md"
    doc.write_text("# The analysis JSON (`schema_version` 1)\n## An _emphasised_ **word**\n", encoding="utf-8")
    assert anchors(doc) == {"the-analysis-json-schema_version-1", "an-emphasised-word"}


_CONFLICT = re.compile(r"^(<{7}|>{7})( |$)|^={7}$", re.MULTILINE)


def conflict_markers(text: str) -> list[int]:
    """Line numbers (1-based) of merge-conflict markers: ``<<<<<<< x``, ``=======``, ``>>>>>>> x`` at a line start."""
    return [text.count("\n", 0, m.start()) + 1 for m in _CONFLICT.finditer(text)]


def _repository_files() -> list[Path]:
    """Every file of the repository (git's list when there is one, else a walk without build and venv folders)."""
    import subprocess

    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        return [ROOT / name for name in listed.decode().split("\0") if name and (ROOT / name).is_file()]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "build", "dist", "reports", "__pycache__", "_resources"}
        return [p for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.relative_to(ROOT).parts)]


def test_conflict_marker_finder():
    """Markers are found at line starts only; a Markdown rule or prose with '=' signs is not one."""
    text = "a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> main\nx ======= y\n========\n<<<<<<<<\n"
    assert conflict_markers(text) == [2, 4, 6]


def test_no_merge_conflict_markers_anywhere_in_the_repository():
    """No tracked file (code, docs, notebooks, data) holds an unresolved merge conflict."""
    found = {}
    for path in _repository_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):  # binary files (images, workbooks) hold no merge text
            continue
        lines = conflict_markers(text)
        if lines:
            found[str(path.relative_to(ROOT))] = lines
    assert found == {}, f"unresolved merge conflicts (file: lines): {found}"


NOTEBOOK_FILES = sorted((ROOT / "notebooks").glob("0*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_notebook_links_resolve_and_cite_docs_as_links(notebook):
    """A notebook's Markdown links resolve from notebooks/ (so in a workspace too); docs are cited as links, not code."""
    import json

    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert not re.search(r"`docs/[\w-]+\.md`", text), "cite a page as [docs/PAGE.md](../docs/PAGE.md)"
    for target in links(text):
        if urlparse(target).scheme:
            continue
        path = (notebook.parent / unquote(urlparse(target).path)).resolve()
        assert path.is_relative_to(ROOT.resolve()) and path.exists(), (notebook.name, target)
