"""Batch rendering of assessment reports: papermill per environment, self-contained HTML, index, manifest.

``render`` reads as a straight line: plan (load each inventory for its name
and slug), run every environment (serially, in ``jobs`` processes, or as
tasks on a Dask cluster), write the index. One environment is rendered by
``render_environment``: analyse (once: the notebooks read this analysis
through ``hiddenspof.assessment``), execute the notebooks with papermill in
the worker's shared kernel, export one HTML document, write the manifest,
then swap the finished folder into place.

Output of one run, for ``--out DIR``::

    DIR/index.html                  environments ranked by fleet risk, sortable and filterable offline,
                                    changes since --baseline, fleet roll-up, failures with their reason
    DIR/index.csv, DIR/index.json   the same rows for spreadsheets and BI tools (see hiddenspof.fleet)
    DIR/<slug>/report.html          every notebook, code hidden, table of contents,
                                    charts drawn offline (see hiddenspof.charts)
    DIR/<slug>/analysis.json        analysis.write(analysis.analyze(inventory)): analysis.dumps' bytes
    DIR/<slug>/findings.csv         findings.findings_csv (spreadsheet-safe)
    DIR/<slug>/manifest.json        inputs' sha256, as_of, parameters, versions, notebooks, duration
    DIR/<slug>/0N_name.ipynb        the executed notebooks
    DIR/<slug>/docs/*.md            the documentation pages the report links to (methods, formats)
    DIR/<slug>/report.pdf, .docx    with --formats: the client deliverable (hiddenspof.deliverable), one
                                    Document laid out as PDF and Word (--paper, --detail, --firm)

Decisions
---------
* Repeatable: the executed notebooks lose their timing metadata (papermill
  and nbclient timestamps, widget state), cells of the merged report get ids
  ``n<notebook>-c<cell>``, headings get unique ids in document order; the
  papermill ``output_path`` is stored relative to ``DIR``. Only
  ``manifest.json`` holds volatile fields (``duration_seconds``).
* Atomic: an environment renders into ``DIR/.<slug>.tmp-*``; when complete, the
  previous ``DIR/<slug>`` is renamed aside, the new one renamed in, the old one
  deleted. A failed or interrupted environment leaves the previous report
  untouched (the index then names the failure, not the stale report).
* Slugs: from the inventory's ``name`` (ASCII-folded, lower case, ``-``
  separated, at most 60 characters; ``environment`` when nothing is left);
  an inventory that cannot be loaded takes the slug of its file name. Equal
  slugs are told apart with ``-2``, ``-3``, ... in order of the inputs'
  absolute paths, so the same inputs always give the same slugs. The same
  path given twice is rendered once.
* Notebooks: ``0[1-9]_*.ipynb`` of the shipped notebooks folder
  (``hiddenspof.resources.notebooks_dir``) in name order (``00_*`` prepare
  inventories, they are no part of a report); ``06_*`` (compare) only with a
  baseline. Parameters: ``inventory_path`` (absolute), ``interactive``
  (False) and, for 06 only, ``baseline_path``. ``baseline`` may be a file
  (used for every environment) or an earlier report folder (each environment
  uses ``BASELINE/<slug>/analysis.json``; without one, 06 is skipped for it).
* Cost: a worker process starts one kernel and reuses it for every notebook
  of every environment it renders (namespace, execution counter and warning
  memory reset before each notebook, so outputs are those of a fresh
  kernel; after a failed notebook the kernel is replaced). The kernel exits
  with its worker (ipykernel polls its parent). Measured by
  ``make bench-report`` (``benchmarks/bench_report.py``).
* In the HTML the executive summary (``05_*``) comes first, then the other
  notebooks in order (they run in name order). Code cells, stderr streams and widget views are left out;
  cells tagged ``remove-cell`` are dropped, ``remove-output`` keep only their
  input (hidden anyway), ``remove-input`` keep only their output. Markdown
  *outputs* (``display(Markdown(...))``, computed at run time and possibly
  holding client text) are rendered with raw HTML escaped; markdown cells
  keep theirs. The document is checked to hold no script or event handler besides the chart
  machinery; a notebook that emits one fails its environment (client text
  must never become markup).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import hashlib
import html
import json
import os
import platform
import re
import shutil
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path

from . import outdir
from .errors import HiddenspofError, InventoryError, UsageError
from .resources import notebooks_dir as shipped_notebooks_dir
from .resources import resource_dir

__all__ = [
    "Job",
    "Outcome",
    "render",
    "render_environment",
    "notebook_list",
    "slugify",
    "assign_slugs",
    "write_index",
    "index_document",
    "index_html",
    "strip_volatile",
]

TEMPLATE_NAME = "hiddenspof_report"
COMPARE_PREFIX = "06_"
LEAD_PREFIX = "05_"  # the executive summary opens the report
CELL_TIMEOUT_SECONDS = 1800
PACKAGES = (
    "hiddenspof", "altair", "pandas", "numpy", "networkx", "papermill", "nbconvert",
    "nbclient", "nbformat", "ipykernel", "vl-convert-python", "pyyaml", "openpyxl",
)
#: ``interactive`` marks cells that only work in a live session (widgets, "Try it", what-if): never in a report.
REMOVE_CELL_TAGS = ("remove-cell", "remove_cell", "hide-cell", "interactive")
REMOVE_OUTPUT_TAGS = ("remove-output", "remove_output")
REMOVE_INPUT_TAGS = ("remove-input", "remove_input")
_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once at import: os.umask is process-wide, not thread-safe
DIR_MODE = 0o777 & ~_UMASK  # mkdtemp/mkstemp create 0700/0600; reports are shared, so use the umask
FILE_MODE = 0o666 & ~_UMASK
WIDGET_MIMETYPES = ("application/vnd.jupyter.widget-view+json", "application/vnd.jupyter.widget-state+json")


@dataclass(frozen=True)
class Job:
    """One environment to render: everything a worker process needs (picklable)."""

    slug: str
    name: str
    inventory_path: str  # absolute
    given_path: str  # as the user wrote it (for the index)
    out_dir: str  # absolute
    notebooks: tuple[str, ...]  # absolute paths, in order
    baseline_path: str | None = None
    formats: tuple[str, ...] = ("html",)  # documents.FORMATS wanted (html always)
    docx_template: str | None = None  # absolute path of the firm's Word template
    baseline_given: bool = False  # --baseline was given (no baseline_path then means a new environment)
    frameworks: tuple[str, ...] = ()  # --framework: built-in names or absolute policy paths (the Controls section)
    paper: str = "a4"  # deliverable.PAPERS: report.pdf and report.docx alike
    detail: str = "summary"  # deliverable.DETAILS
    firm: str | None = None  # the author's firm on the deliverable's cover


@dataclass
class Outcome:
    """What became of one environment: rendered (with headline figures) or failed (with the reason)."""

    slug: str
    given_path: str
    name: str | None
    ok: bool
    reason: str = ""
    problems: list[str] = field(default_factory=list)
    as_of: str | None = None
    headline: dict | None = None
    notebooks: list[str] = field(default_factory=list)
    fleet: dict | None = None  # the environment's line of the fleet index (fleet.environment_entry)


# --------------------------------------------------------------------- planning


def slugify(text: str, max_length: int = 60) -> str:
    """A file-name-safe slug: ASCII letters and digits joined by ``-``; ``environment`` if none.

    >>> slugify("Acme Retail – Production (EU)")
    'acme-retail-production-eu'
    """
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    slug = slug[:max_length].strip("-")
    return slug or "environment"


def assign_slugs(bases: Sequence[tuple[str, str]]) -> list[str]:
    """Unique slugs for ``(base slug, absolute path)`` pairs, in the input order.

    Equal bases get ``-2``, ``-3``, ... in order of path, so the result does
    not depend on the order in which the inputs were given.
    """
    taken = {base for base, _ in bases}
    used: set[str] = set()
    result: dict[int, str] = {}
    for i in sorted(range(len(bases)), key=lambda i: (bases[i][0], bases[i][1])):
        base = bases[i][0]
        slug, n = base, 2
        while slug in used or (slug != base and slug in taken):
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        result[i] = slug
    return [result[i] for i in range(len(bases))]


def notebook_list(notebooks_dir: str | os.PathLike | None = None, with_compare: bool = False,
                  with_controls: bool = False) -> list[Path]:
    """The report's notebooks ``0[1-9]_*.ipynb`` in name order (``06_*`` only with a baseline, ``08_*``, the
    Controls section, only with ``--framework``).

    ``00_*`` notebooks prepare an inventory (importers) and are not part of an assessment.
    """
    folder = Path(notebooks_dir) if notebooks_dir is not None else shipped_notebooks_dir()
    found = sorted(folder.glob("0[1-9]_*.ipynb"), key=lambda p: p.name)
    from .controls import REPORT_NOTEBOOK_PREFIX

    return [p.resolve() for p in found if (with_compare or not p.name.startswith(COMPARE_PREFIX))
            and (with_controls or not p.name.startswith(REPORT_NOTEBOOK_PREFIX))]


def _problem_lines(exc: BaseException) -> list[str]:
    """Every problem of an InventoryError as one line each (errors first)."""
    problems = getattr(exc, "problems", None) or []
    errors = [str(p) for p in problems if getattr(p, "severity", "error") == "error"]
    return errors or [str(exc)]


def _failure(exc: BaseException) -> tuple[str, list[str]]:
    """A one-line reason and detail lines for an exception, meant for the index."""
    try:
        from papermill.exceptions import PapermillExecutionError
    except ImportError:  # pragma: no cover - papermill is a dependency
        PapermillExecutionError = ()  # noqa: N806
    if isinstance(exc, InventoryError):
        lines = _problem_lines(exc)
        return f"invalid inventory: {len(lines)} problem{'s' if len(lines) != 1 else ''}", lines
    if isinstance(exc, _NotebookFailed):
        return str(exc), exc.details
    if PapermillExecutionError and isinstance(exc, PapermillExecutionError):
        return f"cell {exc.exec_count} raised {exc.ename}: {exc.evalue}", []
    if isinstance(exc, HiddenspofError):
        return str(exc), []
    return f"{type(exc).__name__}: {exc}", []


class _NotebookFailed(HiddenspofError):
    """Raised when a notebook of the report fails to execute; names the notebook and cell."""

    def __init__(self, notebook: str, exc: BaseException):
        ename = getattr(exc, "ename", type(exc).__name__)
        evalue = getattr(exc, "evalue", str(exc))
        count = getattr(exc, "exec_count", None)
        where = f" at cell [{count}]" if count is not None else ""
        super().__init__(f"notebook {notebook} failed{where}: {ename}: {evalue}")
        self.details = [line for line in str(evalue).splitlines() if line.strip()][:50]


def _resolve_baseline(baseline: str | os.PathLike | None, slug: str) -> str | None:
    """The baseline for one environment: a file as given, or DIR/<slug>/analysis.json of a report folder."""
    if baseline is None:
        return None
    base = Path(baseline).resolve()
    if base.is_dir() and ((base / "index.html").exists() or any(base.glob("*/analysis.json"))):
        candidate = base / slug / "analysis.json"
        return str(candidate) if candidate.exists() else None
    return str(base)


def _plan(
    paths: Sequence[str | os.PathLike],
    out: Path,
    notebooks: Sequence[Path],
    baseline: str | os.PathLike | None,
    formats: tuple[str, ...] = ("html",),
    docx_template: str | None = None,
    frameworks: tuple[str, ...] = (),
) -> tuple[list[Job], list[Outcome]]:
    """Load each inventory once for its name; give every input a unique slug; split runnable from failed."""
    from . import inventory

    seen: set[str] = set()
    entries = []  # (given, absolute, name or None, error or None)
    for given in paths:
        absolute = str(Path(given).resolve())
        if absolute in seen:
            continue
        seen.add(absolute)
        try:
            inv = inventory.load(absolute)
            entries.append((str(given), absolute, inv.meta.name, None))
        except Exception as exc:  # one bad input never stops the others
            entries.append((str(given), absolute, None, exc))
    bases = []
    for _given, absolute, name, _ in entries:
        stem = Path(absolute).name
        for suffix in (".yaml", ".yml", ".xlsx"):
            if stem.lower().endswith(suffix):
                stem = stem[: -len(suffix)]
        bases.append((slugify(name if name is not None else stem), absolute))
    slugs = assign_slugs(bases)
    jobs, failed = [], []
    for (given, absolute, name, error), slug in zip(entries, slugs):
        if error is not None:
            reason, problems = _failure(error)
            failed.append(Outcome(slug=slug, given_path=given, name=None, ok=False, reason=reason, problems=problems))
            continue
        chosen = tuple(str(p) for p in notebooks)
        base_path = _resolve_baseline(baseline, slug)
        if base_path is None:
            chosen = tuple(p for p in chosen if not Path(p).name.startswith(COMPARE_PREFIX))
        jobs.append(Job(slug, name, absolute, given, str(out), chosen, base_path, formats, docx_template,
                        baseline_given=baseline is not None, frameworks=frameworks))
    return jobs, failed


# --------------------------------------------------------- one environment


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _input_hashes(path: Path) -> list[dict]:
    """sha256 of the inventory file, or of every file in an inventory folder (sorted)."""
    if path.is_dir():
        files = sorted((p for p in path.rglob("*") if p.is_file()), key=lambda p: p.relative_to(path).as_posix())
        return [{"file": p.relative_to(path).as_posix(), "sha256": _sha256_file(p)} for p in files]
    return [{"file": path.name, "sha256": _sha256_file(path)}]


def _versions() -> dict[str, str]:
    """Versions of the packages that shape a report (``not installed`` when absent)."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


_VOLATILE_PAPERMILL = ("start_time", "end_time", "duration")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")  # default reprs: <Styler at 0x7f...> changes every run


def strip_volatile(nb, source_ids: Iterable[str] = (), output_path: str | None = None):
    """Remove what changes from run to run in an executed notebook (in place; returns it).

    Drops papermill and nbclient timestamps and durations, widget state and
    memory addresses in plain-text reprs (``<Styler at 0x7f...>``), and gives cells whose id is not from the source notebook (papermill's
    injected parameters cell) a deterministic id.
    """
    meta = nb.metadata
    meta.pop("widgets", None)
    pm = meta.get("papermill")
    if pm is not None:
        for key in _VOLATILE_PAPERMILL:
            pm.pop(key, None)
        if output_path is not None:
            pm["output_path"] = output_path
    known = set(source_ids)
    used: set[str] = set()
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        for out in cell.get("outputs", []):
            plain = out.get("data", {}).get("text/plain")
            if isinstance(plain, str):
                out["data"]["text/plain"] = _ADDRESS.sub(">", plain)
            elif isinstance(plain, list):
                out["data"]["text/plain"] = [_ADDRESS.sub(">", line) for line in plain]
        cpm = cell.metadata.get("papermill")
        if cpm is not None:
            for key in _VOLATILE_PAPERMILL:
                cpm.pop(key, None)
        if "id" in cell and (cell.id not in known or cell.id in used):
            tags = cell.metadata.get("tags", [])
            cell.id = "injected-parameters" if "injected-parameters" in tags else f"cell-{index}"
        if "id" in cell:
            used.add(cell.id)
    return nb


def _report_notebook(executed: Sequence, title: str):
    """One notebook holding every executed notebook's cells, cleaned for the client."""
    import nbformat

    merged = nbformat.v4.new_notebook()
    first = executed[0] if executed else None
    if first is not None:
        for key in ("kernelspec", "language_info"):
            if key in first.metadata:
                merged.metadata[key] = copy.deepcopy(first.metadata[key])
    merged.metadata["title"] = title
    for i, nb in enumerate(executed, start=1):
        for j, cell in enumerate(nb.cells, start=1):
            cell = copy.deepcopy(cell)
            cell.id = f"n{i}-c{j}"
            cell.metadata = {"tags": list(cell.metadata.get("tags", []))}
            if cell.cell_type == "code":
                outputs = []
                for out in cell.outputs:
                    if out.output_type == "stream" and out.get("name") == "stderr":
                        continue
                    if out.output_type in ("display_data", "execute_result"):
                        data = out.get("data", {})
                        if any(m in data for m in WIDGET_MIMETYPES):
                            continue
                    outputs.append(out)
                cell.outputs = outputs
                cell.execution_count = None
            merged.cells.append(cell)
    return merged


_HEADING = re.compile(r'<h([1-3]) id="([^"]*)">(.*?)</h\1>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_TOC_MARK = "<!--hs-toc-->"
_SECTION_NUMBER = re.compile(r"^\s*\d+(\.\d+)*\.?\s+")


def _add_toc(document: str) -> str:
    """Give each h1-h3 heading a unique id (document order), number h1 and h2 (1., 1.1), fill the contents.

    Numbers come from the order in the merged report, so every section is
    numbered the same way whatever notebooks it holds; a number already
    written in a notebook's heading ("1. Intake") is replaced.
    """
    used: set[str] = set()
    entries = []
    counters = [0, 0]

    def rename(match: re.Match) -> str:
        level, old, inner = match.group(1), match.group(2), match.group(3)
        base = re.sub(r"[^A-Za-z0-9_-]+", "-", html.unescape(old)).strip("-") or "section"
        new, n = base, 2
        while new in used:
            new, n = f"{base}-{n}", n + 1
        used.add(new)
        inner = inner.replace(f'href="#{old}"', f'href="#{new}"')
        text = html.unescape(_TAG.sub("", inner)).replace("\u00b6", "").strip()
        if level in ("1", "2") and text:
            if level == "1":
                counters[0], counters[1] = counters[0] + 1, 0
                number = f"{counters[0]}."
            else:
                counters[1] += 1
                number = f"{counters[0]}.{counters[1]}" if counters[0] else f"{counters[1]}."
            inner = _SECTION_NUMBER.sub("", inner, count=1)
            text = _SECTION_NUMBER.sub("", text, count=1)
            inner = f'<span class="hs-secnum">{number}</span> {inner}'
            text = f"{number} {text}"
            entries.append((int(level), new, text))
        return f'<h{level} id="{new}">{inner}</h{level}>'

    head, mark, body = document.partition(_TOC_MARK)
    if not mark:
        return document
    body = _HEADING.sub(rename, body)
    parts, open_sub = [], False
    for level, anchor, text in entries:
        link = f'<a href="#{html.escape(anchor, quote=True)}">{html.escape(text)}</a>'
        if level == 1:
            if open_sub:
                parts.append("</ul>")
                open_sub = False
            if parts:
                parts.append("</li>")
            parts.append(f'<li class="hs-toc-h1">{link}')
        else:
            if not open_sub:
                parts.append("<ul>")
                open_sub = True
            parts.append(f'<li class="hs-toc-h2">{link}</li>')
    if open_sub:
        parts.append("</ul>")
    if parts:
        parts.append("</li>")
    nav = (
        '<nav class="hs-toc" aria-label="Contents"><h2 class="hs-toc-title">Contents</h2><ul>'
        + "".join(parts)
        + "</ul></nav>"
    )
    return head + nav + body


_SCRIPT_OPEN = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
_EVENT_ATTR = re.compile(r"<[a-zA-Z][^>]*\s(on[a-zA-Z]+)\s*=", re.IGNORECASE)


def _check_inert(document: str, allowed_scripts: int) -> None:
    """Refuse a document whose outputs carry a script or an event handler beyond the chart machinery."""
    unexpected = []
    for m in _SCRIPT_OPEN.finditer(document):
        attrs = m.group(1)
        if 'type="application/json"' in attrs and 'class="hs-chart-spec"' in attrs:
            continue
        unexpected.append(m.group(0))
    if len(unexpected) > allowed_scripts:
        raise HiddenspofError(
            f"the report holds {len(unexpected) - allowed_scripts} unexpected <script> element(s) "
            f"(first: {unexpected[allowed_scripts][:80]!r}): a notebook output emits markup; "
            "show client text through a DataFrame or html.escape"
        )
    bad = _EVENT_ATTR.search(document)
    if bad:
        raise HiddenspofError(
            f"the report holds an event-handler attribute {bad.group(1)!r}: a notebook output emits markup; "
            "show client text through a DataFrame or html.escape"
        )


def _notebook_name(nb) -> str:
    """The file name papermill recorded for an executed notebook."""
    return Path(nb.metadata.get("papermill", {}).get("input_path") or "").name


def _markdown_text(source: str) -> str:
    """Markdown to HTML with raw HTML escaped and harmful link protocols dropped (for computed outputs)."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    renderer = IPythonRenderer(escape=True, allow_harmful_protocols=False)
    return MarkdownWithMath(renderer=renderer).render(source)


_BUNDLE_MARK = "/*hs-vega-bundle*/"
#: Where a report folder keeps the documentation pages its text cites (``DIR/<slug>/docs/``).
DOCS_FOLDER = "docs"
_DOCS_LINK = re.compile(r'href="\.\./docs/([A-Za-z0-9_.-]+\.md(?:#[^"]*)?)"')


def cite_docs_beside(document: str) -> str:
    """Point the notebooks' ``../docs/PAGE.md`` links at the copy in the report folder (``docs/PAGE.md``)."""
    return _DOCS_LINK.sub(lambda m: f'href="{DOCS_FOLDER}/{m.group(1)}"', document)


def _copy_docs(target: Path) -> list[str]:
    """Copy the shipped documentation pages into ``target/docs`` so the report's links resolve there."""
    from .resources import doc_pages

    folder = target / DOCS_FOLDER
    folder.mkdir(mode=DIR_MODE)
    names = []
    for page in doc_pages():
        shutil.copyfile(page, folder / page.name)
        os.chmod(folder / page.name, FILE_MODE)
        names.append(f"{DOCS_FOLDER}/{page.name}")
    return names


def _export_html(executed: Sequence, title: str, subtitle: Sequence[str], running_header: str = "") -> str:
    """The self-contained report: one HTML document of every executed notebook, code hidden."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    from .charts import vega_bundle
    from .documents import css_string

    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(resource_dir("templates"))],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_filter("markdown2html_text", _markdown_text)
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            remove_cell_tags=set(REMOVE_CELL_TAGS),
            remove_all_outputs_tags=set(REMOVE_OUTPUT_TAGS),
            remove_input_tags=set(REMOVE_INPUT_TAGS),
            enabled=True,
        ),
        enabled=True,
    )
    resources = {
        "metadata": {"name": title},
        "hs_title": title,
        "hs_subtitle": list(subtitle),
        "hs_vega_bundle": _BUNDLE_MARK,  # inlined after the check, which it would only slow down
        "hs_running_header_css": css_string(running_header or title),  # printed at the top of every PDF page
    }
    # lead with what matters: the executive summary first, then the notebooks in order
    ordered = sorted(executed, key=lambda nb: not _notebook_name(nb).startswith(LEAD_PREFIX))
    document, _ = exporter.from_notebook_node(_report_notebook(ordered, title), resources=resources)
    _check_inert(document, allowed_scripts=2)  # the Vega bundle and the chart loader
    document = cite_docs_beside(document)
    head, mark, tail = _add_toc(document).partition(_BUNDLE_MARK)
    if not mark:
        raise HiddenspofError(f"the report template {TEMPLATE_NAME} lost the Vega bundle placeholder")
    return head + vega_bundle() + tail


# ------------------------------------------------------- the shared kernel

_SHARED_ENGINE = "hiddenspof-shared-kernel"
# a quiet console: no "running over TCP without encryption" warning, no "KeyboardInterrupt caught in
# kernel" at shutdown (errors in cells still fail the notebook, with their message)
_KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=CRITICAL",)
_KERNEL_RESET = "import hiddenspof.report as _hs_report\n_hs_report.reset_kernel_namespace()"
_BASE_WARNING_FILTERS: list | None = None


def reset_kernel_namespace() -> None:
    """Run inside a reused report kernel before each notebook: make it behave like a fresh kernel.

    Empties the user namespace and restarts the execution counter (IPython's
    ``reset(new_session=True)``), and restores the warning filters with their
    "already shown" memory cleared, so a notebook's outputs never depend on
    what ran before it in the same kernel. Imported modules stay imported:
    that is the saving.
    """
    import warnings

    from IPython import get_ipython

    global _BASE_WARNING_FILTERS
    if _BASE_WARNING_FILTERS is None:
        _BASE_WARNING_FILTERS = list(warnings.filters)
    warnings.resetwarnings()  # also invalidates every module's record of warnings already shown
    warnings.filters[:] = _BASE_WARNING_FILTERS
    warnings.onceregistry.clear()
    shell = get_ipython()
    if shell is not None:
        shell.reset(new_session=True)


#: Tries to start a report kernel before a worker gives up (see ``_SharedKernel``).
KERNEL_START_ATTEMPTS = 3


class _SharedKernel:
    """One Python kernel per worker process, reused by every notebook and environment the worker renders.

    Starting a kernel and importing pandas, altair and hiddenspof in it cost
    more than the notebooks' own work on a 300-component estate; a worker
    pays them once. Before each notebook the namespace is reset
    (:func:`reset_kernel_namespace`); after a failed notebook the kernel is
    shut down and the next notebook starts a new one.
    """

    def __init__(self, cwd: str):
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self.cwd = cwd
        # A kernel picks its five ports before binding them, so another process
        # starting a kernel at the same moment can take one first ("Address
        # already in use"; the kernel dies before replying). Fresh ports fix it.
        for attempt in range(KERNEL_START_ATTEMPTS):
            self.km = AsyncKernelManager(kernel_name="python3")
            run_sync(self.km.start_kernel)(cwd=cwd, extra_arguments=list(_KERNEL_ARGUMENTS))
            self.kc = self.km.client()
            self.kc.start_channels()
            try:
                run_sync(self.kc.wait_for_ready)(timeout=120)
                return
            except Exception:
                self.shutdown()
                if attempt + 1 == KERNEL_START_ATTEMPTS:
                    raise

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return bool(run_sync(self.km.is_alive)())

    def run(self, code: str) -> None:
        """Execute code that is no part of any notebook (not counted in the execution history)."""
        import nbformat
        from nbclient import NotebookClient

        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        client = NotebookClient(nb, km=self.km, timeout=CELL_TIMEOUT_SECONDS, kernel_name="python3")
        client.kc = self.kc
        with client.setup_kernel():
            client.execute_cell(nb.cells[0], 0, store_history=False)

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        with contextlib.suppress(Exception):
            self.kc.stop_channels()
        with contextlib.suppress(Exception):
            run_sync(self.km.shutdown_kernel)(now=True)


_KERNEL: _SharedKernel | None = None
_KERNEL_LOCK = threading.Lock()


def _shared_kernel(cwd: str) -> _SharedKernel:
    """This process's report kernel (started on first use, or again after a failure or in another folder)."""
    global _KERNEL
    if _KERNEL is not None and (_KERNEL.cwd != cwd or not _KERNEL.alive()):
        _shutdown_shared_kernel()
    if _KERNEL is None:
        import atexit
        import multiprocessing.util

        from papermill.clientwrap import PapermillNotebookClient
        from papermill.engines import NBClientEngine, papermill_engines
        from papermill.log import logger

        class SharedKernelEngine(NBClientEngine):
            """papermill's nbclient engine, executing in the worker's shared kernel instead of a new one."""

            @classmethod
            def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                         stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
                kernel = kwargs.pop("shared_kernel")
                for unused in ("input_path", "timeout", "startup_timeout"):
                    kwargs.pop(unused, None)
                client = PapermillNotebookClient(
                    nb_man, km=kernel.km, timeout=execution_timeout, startup_timeout=start_timeout,
                    kernel_name=kernel_name, log=logger, log_output=log_output,
                    stdout_file=stdout_file, stderr_file=stderr_file, **kwargs,
                )
                client.kc = kernel.kc  # an existing client: nbclient neither starts nor stops the kernel
                return client.execute()

        papermill_engines.register(_SHARED_ENGINE, SharedKernelEngine)
        _KERNEL = _SharedKernel(cwd)
        atexit.register(_shutdown_shared_kernel)
        multiprocessing.util.Finalize(None, _shutdown_shared_kernel, exitpriority=100)  # pool workers skip atexit
    return _KERNEL


def _shutdown_shared_kernel() -> None:
    global _KERNEL
    kernel, _KERNEL = _KERNEL, None
    if kernel is not None:
        kernel.shutdown()


def _execute(job: Job, notebook: Path, tmp: Path, kernel: _SharedKernel | None = None):
    """Run one notebook with papermill into the temporary folder; return the cleaned notebook.

    With ``kernel`` the notebook runs in that (reset) kernel, else in a new one.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    parameters = {"inventory_path": job.inventory_path, "interactive": False}
    if job.baseline_path is not None and notebook.name.startswith(COMPARE_PREFIX):
        parameters["baseline_path"] = job.baseline_path
    from .controls import notebook_parameters

    parameters.update(notebook_parameters(notebook.name, job.frameworks))
    target = tmp / notebook.name
    engine = {}
    if kernel is not None:
        kernel.run(_KERNEL_RESET)
        engine = {"engine_name": _SHARED_ENGINE, "shared_kernel": kernel}
    try:
        nb = pm.execute_notebook(
            str(notebook),
            str(target),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            cwd=str(notebook.parent),
            execution_timeout=CELL_TIMEOUT_SECONDS,
            extra_arguments=list(_KERNEL_ARGUMENTS),
            **engine,
        )
    except PapermillExecutionError as exc:
        raise _NotebookFailed(notebook.name, exc) from None
    source_ids = [c.get("id") for c in nbformat.read(str(notebook), as_version=4).cells]
    # relative to the output folder: the notebook stays identical wherever the report is written or moved
    strip_volatile(nb, source_ids, output_path=f"{job.slug}/{notebook.name}")
    _write_text(target, nbformat.writes(nb))
    return nb


def render_environment(job: Job, progress: Callable[[str, str], None] | None = None) -> Outcome:
    """Render one environment into ``OUT/<slug>/``; never raises for a failure of the environment.

    Parameters
    ----------
    job : Job
        What to render (see :func:`render`).
    progress : callable, optional
        Called as ``progress(slug, notebook_name)`` after each notebook.

    Returns
    -------
    Outcome
        ``ok`` with the headline figures, or the failure's reason (an invalid
        inventory lists every problem). The previous report of the slug, if
        any, is replaced only when everything was written.
    """
    from . import analysis, assessment, documents, inventory
    from .findings import Finding, findings_csv
    from .summary import headline

    started = time.monotonic()
    out = Path(job.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = outdir.staging_dir(out, job.slug)
    done: list[str] = []
    try:
        inv = inventory.load(job.inventory_path)
        assessed = assessment.assess(inv, job.inventory_path)  # the only analysis of this environment
        result = assessed.result
        with open(tmp / "analysis.json", "w", encoding="utf-8", newline="\n") as f:  # written as it is made:
            analysis.write(result, f)  # a large estate's text (650 MB at 20,000 components) is never held whole
        fields = set(Finding.__dataclass_fields__)
        found = [
            Finding(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in f.items() if k in fields})
            for f in result["findings"]
        ]
        _write_text(tmp / "findings.csv", findings_csv(found))
        executed = []
        kernel = None
        if job.notebooks:
            # the notebooks read this analysis (assessment.open) instead of running it again
            cache = tmp / ".assessment.pickle"
            assessment.save(assessed, cache)
            kernel = _shared_kernel(str(Path(job.notebooks[0]).parent))
            kernel.run(f"import hiddenspof.assessment as _hs_assessment\n_hs_assessment.preload({str(cache)!r})")
        try:
            for path in map(Path, job.notebooks):
                executed.append(_execute(job, path, tmp, kernel))
                done.append(path.name)
                if progress is not None:
                    progress(job.slug, path.name)
        except BaseException:
            _shutdown_shared_kernel()  # a failed or timed-out notebook may leave it busy: start afresh
            raise
        if kernel is not None:
            kernel.run("import hiddenspof.assessment as _hs_assessment\n_hs_assessment.forget()")
            (tmp / ".assessment.pickle").unlink()
        entry = _fleet_entry(job, tmp / "analysis.json")  # before the swap: a bad baseline fails the environment
        meta = inv.meta
        subtitle = [f"Assessment as of {meta.as_of.isoformat()}"]
        if getattr(meta, "organisation", None):
            subtitle.insert(0, str(meta.organisation))
        client = getattr(meta, "organisation", None) or None
        _write_text(tmp / "report.html", _export_html(executed, f"{meta.name}: resilience assessment", subtitle,
                                                      documents.running_header(meta.name, meta.as_of.isoformat(), client)))
        written = ["report.html", *_copy_docs(tmp)]
        if "pdf" in job.formats or "docx" in job.formats:
            written += _write_deliverable(job, tmp, result, inv, assessed.model, client)
        manifest = {
            "environment": {
                "name": meta.name,
                "slug": job.slug,
                "as_of": meta.as_of.isoformat(),
                "organisation": getattr(meta, "organisation", None),
            },
            "inputs": {"path": job.inventory_path, "files": _input_hashes(Path(job.inventory_path))},
            "parameters": {
                "inventory_path": job.inventory_path,
                "interactive": False,
                "baseline_path": job.baseline_path,
                "frameworks": list(job.frameworks),
            },
            "notebooks": [
                {"name": Path(p).name, "sha256": _sha256_file(Path(p))} for p in job.notebooks
            ],
            "outputs": sorted(["analysis.json", "findings.csv", "manifest.json", *written, *done]),
            "versions": _versions(),
            "duration_seconds": round(time.monotonic() - started, 3),
        }
        _write_text(tmp / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        outdir.swap_into_place(tmp, out / job.slug)
        return Outcome(
            slug=job.slug, given_path=job.given_path, name=meta.name, ok=True,
            as_of=meta.as_of.isoformat(), headline=headline(result), notebooks=done,
            fleet=entry,
        )
    except Exception as exc:  # one failing environment never stops the others
        reason, problems = _failure(exc)
        return Outcome(slug=job.slug, given_path=job.given_path, name=job.name, ok=False,
                       reason=reason, problems=problems, notebooks=done)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _write_deliverable(job: Job, tmp: Path, result: dict, inv, model, client: str | None) -> list[str]:
    """The client deliverable (report.pdf, report.docx) of one environment, both from one Document."""
    from . import deliverable, documents

    firm = job.firm
    if firm is None and job.docx_template is not None:
        firm = documents.firm_of_template(job.docx_template)
    doc = deliverable.build(result, inv, model=model, paper=job.paper, detail=job.detail, client=client, firm=firm)
    written = []
    if "pdf" in job.formats:
        documents.write_deliverable_pdf(doc, tmp / "report.pdf")
        os.chmod(tmp / "report.pdf", FILE_MODE)
        written.append("report.pdf")
    if "docx" in job.formats:
        documents.write_docx(tmp / "report.docx", doc, template=job.docx_template)
        os.chmod(tmp / "report.docx", FILE_MODE)
        written.append("report.docx")
    return written


# ------------------------------------------------------------------- index


def _fleet_entry(job: Job, analysis_json: Path) -> dict:
    """The environment's line of the fleet index, with the change since its baseline when there is one (read from
    the analysis JSON as written: the values the index shows are the file's)."""
    from . import compare, fleet

    baseline = compare.load_assessment(job.baseline_path) if job.baseline_path is not None else None
    with open(analysis_json, encoding="utf-8") as f:
        result = json.load(f)
    entry = fleet.environment_entry(result, baseline, baseline_expected=job.baseline_given)
    if job.frameworks:  # a column per chosen framework: met / total
        from .controls import fleet_counts

        entry["controls"] = fleet_counts(result, job.frameworks)
    return dict(entry, slug=job.slug)


def index_document(outcomes: Sequence[Outcome], baseline: str | os.PathLike | None = None) -> dict:
    """The fleet index (``index.json``) of a run's outcomes: see :mod:`hiddenspof.fleet`."""
    from . import fleet

    entries = [o.fleet for o in outcomes if o.ok and o.fleet is not None]
    failed = [
        {"slug": o.slug, "name": o.name, "given_path": o.given_path, "reason": o.reason, "problems": list(o.problems)}
        for o in outcomes if not o.ok
    ]
    return fleet.index_document(entries, failed, None if baseline is None else str(baseline))


def index_html(outcomes: Sequence[Outcome], baseline: str | os.PathLike | None = None) -> str:
    """The index page: environments ranked by fleet risk, sortable and filterable offline (``hiddenspof.fleet``)."""
    from . import fleet

    return fleet.index_html(index_document(outcomes, baseline))


def _write_atomic(target: Path, text: str) -> None:
    fd, tmp = outdir.staging_file(target.parent, target.name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_index(out_dir: str | os.PathLike, outcomes: Sequence[Outcome],
                baseline: str | os.PathLike | None = None) -> Path:
    """Write ``OUT/index.html``, ``index.csv`` and ``index.json`` (each atomically); return the HTML's path."""
    from . import fleet

    out = Path(out_dir)
    document = index_document(outcomes, baseline)
    _write_atomic(out / "index.json", fleet.to_json(document))
    _write_atomic(out / "index.csv", fleet.index_csv(document))
    target = out / "index.html"
    _write_atomic(target, fleet.index_html(document))
    return target


# ------------------------------------------------------------------ running


def _queue_progress(queue, slug: str, notebook: str) -> None:
    """Progress callback for worker processes: report through a manager queue."""
    queue.put((slug, notebook))


class _Progress:
    """The tqdm bar (stderr) of notebooks done, with environments done in its postfix."""

    def __init__(self, jobs: Sequence[Job], failed: int, enabled: bool):
        from tqdm import tqdm

        self.expected = {j.slug: len(j.notebooks) for j in jobs}
        self.seen = dict.fromkeys(self.expected, 0)
        self.envs_total = len(jobs) + failed
        self.envs_done = failed
        self.lock = threading.Lock()
        self.bar = tqdm(total=sum(self.expected.values()), unit="notebook", desc="report",
                        file=sys.stderr, disable=not enabled, dynamic_ncols=True)
        self._postfix()

    def _postfix(self) -> None:
        self.bar.set_postfix_str(f"{self.envs_done}/{self.envs_total} environments")

    def notebook(self, slug: str, name: str) -> None:
        with self.lock:
            if self.seen.get(slug, 0) < self.expected.get(slug, 0):
                self.seen[slug] += 1
                self.bar.update(1)

    def environment(self, slug: str) -> None:
        with self.lock:
            rest = self.expected.get(slug, 0) - self.seen.get(slug, 0)
            self.seen[slug] = self.expected.get(slug, 0)
            self.envs_done += 1
            self._postfix()
            self.bar.update(rest)

    def close(self) -> None:
        self.bar.close()


def _crashed(job: Job, exc: BaseException) -> Outcome:
    reason, problems = _failure(exc)
    return Outcome(slug=job.slug, given_path=job.given_path, name=job.name, ok=False,
                   reason=f"worker failed: {reason}", problems=problems)


def _run_serial(jobs: Sequence[Job], bar: _Progress) -> list[Outcome]:
    outcomes = []
    try:
        for job in jobs:
            outcomes.append(render_environment(job, bar.notebook))
            bar.environment(job.slug)
    finally:
        _shutdown_shared_kernel()  # in this process: no kernel outlives the call
    return outcomes


def _run_processes(jobs: Sequence[Job], workers: int, bar: _Progress) -> list[Outcome]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("spawn")
    outcomes = []
    with ctx.Manager() as manager:
        queue = manager.Queue()

        def drain():
            while True:
                item = queue.get()
                if item is None:
                    return
                bar.notebook(*item)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        callback = functools.partial(_queue_progress, queue)
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {pool.submit(render_environment, job, callback): job for job in jobs}
            for fut in as_completed(futures):
                job = futures[fut]
                try:
                    outcomes.append(fut.result())
                except Exception as exc:  # a worker that died (killed, out of memory)
                    outcomes.append(_crashed(job, exc))
                bar.environment(job.slug)
        queue.put(None)
        reader.join(timeout=10)
    return outcomes


def _run_dask(jobs: Sequence[Job], scheduler, bar: _Progress) -> list[Outcome]:
    """Each environment as one self-contained task on a Dask cluster (see hiddenspof.cluster)."""
    from .cluster import run

    return run(jobs, scheduler, bar)


def render(
    paths: Sequence[str | os.PathLike],
    out_dir: str | os.PathLike,
    jobs: int = 1,
    scheduler=None,
    baseline: str | os.PathLike | None = None,
    *,
    notebooks_dir: str | os.PathLike | None = None,
    progress: bool = True,
    formats: str | Sequence[str] = ("html",),
    docx_template: str | os.PathLike | None = None,
    frameworks: Sequence[str] | None = None,
    paper: str = "a4",
    detail: str = "summary",
    firm: str | None = None,
) -> int:
    """Render an assessment report per environment and the index of them all.

    Parameters
    ----------
    paths : sequence of path
        Inventories (CSV folder, ``.xlsx`` or ``.yaml``), one per environment.
    out_dir : path
        Where ``index.html`` and one folder per environment slug go (created).
    jobs : int
        Environments rendered at once, each in its own process (1: in this process).
    scheduler : str or distributed.Client, optional
        Address of an existing Dask distributed scheduler (or a client):
        each environment becomes one task carrying its inputs' bytes; the
        workers need no access to the client's files, the finished report
        comes back to be written under ``out_dir`` (see hiddenspof.cluster).
        ``jobs`` is then ignored.
    baseline : path, optional
        An earlier assessment to compare with (adds the ``06_*`` notebook):
        a file for every environment, or an earlier report folder.
    notebooks_dir : path, optional
        Where the ``0*_*.ipynb`` notebooks are (default: the notebooks shipped with hiddenspof, see ``hiddenspof.resources``).
    progress : bool
        Show the progress bar on stderr.
    formats : str or sequence of str
        ``html``, ``pdf``, ``docx`` (a comma-separated string or a list): each
        environment also gets ``report.pdf`` / ``report.docx``. The HTML is always written.
    docx_template : path, optional
        The firm's Word template for ``report.docx`` (its styles, cover and headers are kept).
    frameworks : sequence of str, optional
        Built-in framework names or policy files: adds the Controls section
        (``08_controls``) and a fleet-index column per framework (``docs/controls.md``).
    paper : ``a4`` or ``letter``
        The paper of ``report.pdf`` and ``report.docx`` alike.
    detail : ``summary`` or ``full``
        ``summary``: the client deliverable (executive summary, heat map, findings of high
        severity and above, the plan, capacity, tier-1 pages); ``full``: every finding and
        every tier-1/2 page. The HTML is always the complete record.
    firm : str, optional
        The author's firm on the deliverable's cover (default: the template's company or title).

    Returns
    -------
    int
        0 when every environment rendered, 1 when one or more failed (the
        others are still rendered; the index says which failed and why).

    Raises
    ------
    UsageError
        No inputs, ``jobs`` < 1, no notebook found, an unreachable scheduler, an
        unknown format, a missing Word template, or no Chromium to print a PDF.
    """
    if not paths:
        raise UsageError("no inventory given: name at least one CSV folder, .xlsx or .yaml file")
    if not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"--jobs must be an integer >= 1 (got {jobs!r})")
    from .controls import resolve_frameworks

    chosen_frameworks = resolve_frameworks(frameworks)  # a bad policy file: every problem, before anything renders
    notebooks = notebook_list(notebooks_dir, with_compare=baseline is not None, with_controls=bool(chosen_frameworks))
    if not notebooks:
        where = notebooks_dir if notebooks_dir is not None else shipped_notebooks_dir()
        raise UsageError(f"no notebooks 0[1-9]_*.ipynb found in {where}")
    from . import documents

    try:
        wanted = documents.parse_formats(formats)
        if "pdf" in wanted:
            documents.chromium()  # a missing engine is said once, before anything renders
    except documents.DocumentError as exc:
        raise UsageError(str(exc)) from None
    from .deliverable import DETAILS, PAPERS

    if paper not in PAPERS:
        raise UsageError(f"--paper {paper!r}: expected one of {', '.join(PAPERS)}")
    if detail not in DETAILS:
        raise UsageError(f"--detail {detail!r}: expected one of {', '.join(DETAILS)}")
    template = None
    if docx_template is not None:
        if "docx" not in wanted:
            raise UsageError("--docx-template is only used with --formats including docx")
        template = Path(docx_template).resolve()
        if not template.is_file() or template.suffix.lower() != ".docx":
            raise UsageError(f"--docx-template {docx_template}: expected an existing Word .docx file")
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)

    with outdir.locked(out):  # one run at a time per folder; a second one is refused
        outdir.remove_stale(out)  # what killed runs left behind
        planned, failed = _plan(paths, out, notebooks, baseline, wanted, None if template is None else str(template),
                                chosen_frameworks)
        planned = [dataclasses.replace(j, paper=paper, detail=detail, firm=firm) for j in planned]
        bar = _Progress(planned, len(failed), enabled=progress)
        try:
            if not planned:
                outcomes = []
            elif scheduler is not None:
                outcomes = _run_dask(planned, scheduler, bar)
            elif jobs > 1 and len(planned) > 1:
                outcomes = _run_processes(planned, min(jobs, len(planned)), bar)
            else:
                outcomes = _run_serial(planned, bar)
        finally:
            bar.close()
        outcomes = sorted([*outcomes, *failed], key=lambda o: o.slug)
        index = write_index(out, outcomes, baseline)
    for o in outcomes:
        if not o.ok:
            print(f"hiddenspof report: {o.slug} ({o.given_path}) failed: {o.reason}", file=sys.stderr)
            for line in o.problems:  # an invalid inventory: every problem with its file, row, column and value
                print(f"  {line}", file=sys.stderr)
    print(f"hiddenspof report: index at {index}", file=sys.stderr)
    return 0 if all(o.ok for o in outcomes) else 1

