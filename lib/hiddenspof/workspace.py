"""Engagement workspaces: one folder per client with the notebooks, a starter inventory and reports/.

``hiddenspof new DIR`` writes::

    DIR/README.md                     what to do next, for the analyst
    DIR/inventory/intake-template.xlsx   the blank intake workbook (hiddenspof.template)
    DIR/inventory/example.yaml        a small worked example (the teaching estate)
    DIR/notebooks/0N_*.ipynb          the assessment notebooks, defaulting to the example
    DIR/reports/                      empty: where ``hiddenspof report ... --out reports`` writes
    DIR/docs/*.md                     the documentation pages the notebooks and reports cite

The notebooks are copies of the ones shipped with the installed package
(``hiddenspof.resources``); they import the installed library, so a
workspace needs no checkout. Their relative default paths are rewritten to
point inside the workspace (``inventory_path`` to the example, any other
path outside the workspace to empty). The notebooks cite the documentation
as ``../docs/PAGE.md``; the pages are copied to ``DIR/docs/`` so those links
resolve in the workspace as they do in the repository. The workspace is built in a hidden
sibling folder and renamed into place, so it is never left half written.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from . import __version__, resources
from .errors import UsageError
from .report import DIR_MODE

__all__ = ["create", "EXAMPLE", "TEMPLATE", "workspace_notebook"]

EXAMPLE = "inventory/example.yaml"
TEMPLATE = "inventory/intake-template.xlsx"
_EXAMPLE_SAMPLE = "teaching"
# one assignment in a parameters cell with a string default: name[: type] = "value"
_PARAMETER = re.compile(r"""^(?P<head>\s*(?P<name>\w+)\s*(?::[^=]+)?=\s*)(?P<q>["'])(?P<value>[^"']*)(?P=q)""", re.MULTILINE)

README = """\
# {name}: resilience assessment workspace

Created by `hiddenspof new` (hiddenspof {version}). Everything here is yours
to edit; the analysis itself comes from the installed `hiddenspof` package.

| what | for |
|---|---|
| `inventory/intake-template.xlsx` | the blank intake workbook: one sheet per table, a note on every column header, drop-downs for allowed values |
| `inventory/example.yaml` | a small worked example (a teaching estate) to see what a finished inventory and report look like |
| `notebooks/` | the assessment notebooks (00 import, 01 intake, 02 coupling, 03 silent failures, 04 capacity, 05 summary, 06 compare); they open on the example |
| `reports/` | where rendered reports go |
| `docs/` | how hiddenspof works: the inventory format, importers, failure semantics, scoring, capacity model, the deliverable |

## What to do next

1. Look at the example end to end (a few minutes):

       hiddenspof validate inventory/example.yaml
       hiddenspof report inventory/example.yaml --out reports

   then open `reports/index.html` in a browser.

2. Copy the template for the client (`cp inventory/intake-template.xlsx
   inventory/client.xlsx`) and fill it in with them, or import what they
   already have (`hiddenspof import FORMAT SRC... --out inventory/client`,
   FORMAT one of compose, kubernetes, backstage, cmdb, veeam, aws-backup,
   terraform, restic, borg, velero; or `notebooks/00_import.ipynb`).

3. Run `hiddenspof validate inventory/client.xlsx` until it reports no
   problem: every message names the sheet, row, column and value to fix.

4. Explore with `hiddenspof lab` (JupyterLab on this folder): open
   `notebooks/01_intake.ipynb` and set `inventory_path` in its first cell to
   `../inventory/client.xlsx`; do the same in the other notebooks.

5. Render the deliverable: `hiddenspof report inventory/client.xlsx --out
   reports` (one folder per environment, `reports/index.html` lists them).
   At the next assessment, keep the old folder (`mv reports reports-previous`)
   and add `--baseline reports-previous` to show what changed.
"""


def workspace_notebook(text: str) -> str:
    """A shipped notebook's JSON with its parameter defaults pointed inside the workspace.

    In the ``parameters`` cell, a relative path default (``"../..."``) becomes
    ``"../inventory/example.yaml"`` for ``inventory_path`` and ``""`` for any
    other parameter (it named a file of the source repository).
    """
    import nbformat

    nb = nbformat.reads(text, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" not in cell.metadata.get("tags", []):
            continue

        def rewrite(match: re.Match) -> str:
            if not match.group("value").startswith("../"):
                return match.group(0)
            value = "../" + EXAMPLE if match.group("name") == "inventory_path" else ""
            return f'{match.group("head")}"{value}"'

        cell.source = _PARAMETER.sub(rewrite, cell.source)
    return nbformat.writes(nb) + "\n"


def create(folder: str | os.PathLike) -> Path:
    """Write a new engagement workspace at ``folder`` (absent or empty) and return its path.

    Raises UsageError when ``folder`` is a file or a folder that is not empty
    (a workspace never overwrites anything).
    """
    from .template import write_template

    target = Path(folder).absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        kind = "folder is not empty" if target.is_dir() else "path is a file"
        raise UsageError(f"cannot create a workspace at {target}: the {kind}; choose a new folder name")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        notebooks = staging / "notebooks"
        notebooks.mkdir()
        shipped = resources.notebooks_dir()
        for source in sorted(shipped.glob("0[0-9]_*.ipynb")):
            text = workspace_notebook(source.read_text(encoding="utf-8"))
            (notebooks / source.name).write_text(text, encoding="utf-8", newline="\n")
        (staging / "inventory").mkdir()
        write_template(staging / TEMPLATE)
        shutil.copyfile(resources.sample(_EXAMPLE_SAMPLE), staging / EXAMPLE)
        (staging / "reports").mkdir()
        (staging / "docs").mkdir()
        for page in resources.doc_pages():  # the pages the notebooks link to (../docs/PAGE.md)
            shutil.copyfile(page, staging / "docs" / page.name)
        readme = README.format(name=target.name, version=__version__)
        (staging / "README.md").write_text(readme, encoding="utf-8", newline="\n")
        os.chmod(staging, DIR_MODE)  # mkdtemp made it private; the rest already follows the umask
        if target.exists():
            target.rmdir()  # empty (checked above)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
