"""The workshop's handouts, generated from the facilitator kit: a one-page participant handout and slides.

Both are HTML pages built from sections of ``notebooks/facilitator/README.md``
(so they never disagree with the kit) and printed to PDF by headless
Chromium, offline, as the report's PDFs are (``documents.write_pdf``). The
participant handout takes only what a participant may see before the class:
setup, the pre-class check, the Jupyter primer; never a model answer.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

__all__ = ["kit_sections", "handout_html", "slides_html", "write_handouts", "HANDOUT_SECTIONS"]

#: The kit's sections a participant gets (none of them holds an answer).
HANDOUT_SECTIONS = ("Setup before class", "Jupyter primer (for participants)")

_CSS = """
@page { size: A4; margin: 12mm 14mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 9.2pt; line-height: 1.3; color: #222; }
h1 { font-size: 15pt; margin: 0 0 4pt; } h2 { font-size: 11pt; margin: 8pt 0 3pt; color: #1f4e79; }
h3 { font-size: 10pt; margin: 6pt 0 2pt; } p, ul { margin: 2pt 0 4pt; } li { margin: 1pt 0; }
pre, code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.4pt; background: #f3f3f3; }
pre { padding: 3pt 5pt; white-space: pre-wrap; margin: 2pt 0 4pt; }
table { border-collapse: collapse; width: 100%; font-size: 8.4pt; } td, th { border: 1px solid #ccc; padding: 2pt 4pt; }
"""

_SLIDE_CSS = """
@page { size: 254mm 143mm; margin: 0; }
body { margin: 0; font-family: "DejaVu Sans", Arial, sans-serif; color: #222; }
section { width: 254mm; height: 143mm; box-sizing: border-box; padding: 12mm 16mm; page-break-after: always;
          overflow: hidden; }
section:last-child { page-break-after: auto; }
h1 { font-size: 26pt; color: #1f4e79; margin: 0 0 8mm; } h2 { font-size: 20pt; color: #1f4e79; margin: 0 0 6mm; }
p, li { font-size: 14pt; line-height: 1.35; } table { border-collapse: collapse; font-size: 11pt; }
td, th { border: 1px solid #ccc; padding: 2pt 6pt; text-align: left; } code { font-size: 12pt; }
"""


def _kit_path() -> Path:
    from .resources import notebooks_dir

    return notebooks_dir() / "facilitator" / "README.md"


def kit_sections(text: str) -> dict[str, str]:
    """The kit's ``##`` sections by title (the body, ``###`` subsections included)."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {title.strip(): body.strip() for title, body in zip(parts[1::2], parts[2::2])}


def _markdown(text: str) -> str:
    import mistune

    return mistune.html(text)


def _page(title: str, body: str, css: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{css}</style></head><body>{body}</body></html>")


def handout_html(kit: str) -> str:
    """The one-page participant handout: how the class works, setup, the pre-class check, the primer."""
    sections = kit_sections(kit)
    missing = [s for s in HANDOUT_SECTIONS if s not in sections]
    if missing:
        raise ValueError(f"the facilitator kit lacks the section(s) {', '.join(missing)}: expected '## ' headings "
                         f"{', '.join(HANDOUT_SECTIONS)}")
    setup = sections["Setup before class"]
    setup = setup.split("### Offline")[0]  # the wheel folder is the facilitator's business
    setup = re.sub(r"^Setup happens \*\*before\*\*.*?\n\n", "", setup, flags=re.DOTALL)
    body = ["<h1>Workshop: finding hidden single points of failure</h1>",
            "<p>Two hours, in pairs, in JupyterLab. Every exercise asks you to <b>predict</b> first; a wrong "
            "prediction gets a hint and a second try. Please set up <b>before</b> the class and send the last "
            "line of the pre-class check to your facilitator.</p>",
            "<h2>Setup before class</h2>", _markdown(setup),
            "<h2>Jupyter in five minutes</h2>", _markdown(sections["Jupyter primer (for participants)"])]
    return _page("Workshop handout", "".join(body), _CSS)


def slides_html(kit: str) -> str:
    """The facilitator's opening and wrap-up slides: the estate, the five ideas, the plan, the wrap-up."""
    sections = kit_sections(kit)
    ideas = sections.get("The five ideas", "")
    rows = re.findall(r"^\| ([^|]+?) \| `?([^|`]+?)`? \| ([^|]+?) \|$", ideas, flags=re.MULTILINE)
    rows = [r for r in rows if r[0] not in ("idea", "---")]
    if len(rows) != 5:
        raise ValueError("the facilitator kit's section 'The five ideas' must hold a table of five ideas")
    plan = sections.get("The plan: 120 minutes", "").split("\n\n")[0]
    plan_rows = [r for r in re.findall(r"^\| ([^|]*) \| ([^|]*) \| ([^|]*) \|", plan, flags=re.MULTILINE)
                 if r[0].strip() not in ("time", "---")]
    idea_list = "".join(f"<li><b>{html.escape(r[0])}</b> ({html.escape(r[1])})</li>" for r in rows)
    plan_table = "".join(f"<tr><td>{html.escape(t)}</td><td>{html.escape(n)}</td><td>{html.escape(w.replace('`', ''))}</td></tr>"
                         for t, n, w in plan_rows)
    slides = [
        "<section><h1>Finding hidden single points of failure</h1><p>A backup only helps if it survives what "
        "takes down the thing it protects.</p><p>Today: <b>Harbour Books</b>, a small online bookshop with one "
        "server room, a cloud account for offsite copies, an Active Directory, two datastores, four backups and "
        "a contractor's remote-management login.</p></section>",
        "<section><h2>How the exercises work</h2><ul><li>Predict, type, press <b>Check</b>.</li><li><code>NOT YET"
        "</code>: a hint and one more try.</li><li><code>NOT READ</code>: a typo or a name that fits two "
        "components; nothing counted.</li><li>The answer opens after a right answer, the second try, or <b>Show "
        "me</b>. The score counts first tries.</li></ul></section>",
        f"<section><h2>The plan</h2><table><tr><th>time</th><th>min</th><th>what</th></tr>{plan_table}"
        "</table></section>",
        f"<section><h2>Five ideas to take home</h2><ul>{idea_list}</ul></section>",
        "<section><h2>Wrap-up</h2><ul><li>Each pair: the <b>one change</b> you would make first, and why.</li>"
        "<li>Compare with the remediation roadmap: every line was applied to a copy and re-analysed.</li>"
        "<li>Which of the five ideas would you check first at work?</li></ul></section>",
    ]
    return _page("Workshop slides", "".join(slides), _SLIDE_CSS)


def write_handouts(out_dir, kit_path=None) -> list[Path]:
    """Write ``handout.html/.pdf`` and ``slides.html/.pdf`` into ``out_dir``; returns the PDF paths."""
    from .documents import write_pdf

    kit = Path(kit_path or _kit_path()).read_text(encoding="utf-8")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, page in (("handout", handout_html(kit)), ("slides", slides_html(kit))):
        page_path = out / f"{name}.html"
        page_path.write_text(page, encoding="utf-8")
        written.append(write_pdf(page_path, out / f"{name}.pdf"))
    return written
