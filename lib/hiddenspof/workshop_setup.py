"""The workshop's pre-class check: one command that says "ready", or names what is missing and how to fix it.

A participant runs ``make workshop-check`` (``python -m hiddenspof.workshop
check``) at home, days before the class, so that setup never eats class time.
Each check is small and independent; every problem comes with its fix.
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

__all__ = ["Finding", "preclass_check", "report", "MIN_PYTHON"]

#: The oldest Python the project supports.
MIN_PYTHON = (3, 11)


@dataclass(frozen=True)
class Finding:
    """One check: what was checked, whether it is fine, and the fix when it is not."""

    what: str
    ok: bool
    fix: str = ""


def _python() -> Finding:
    have = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] >= MIN_PYTHON:
        return Finding(f"Python {have}", True)
    need = ".".join(map(str, MIN_PYTHON))
    return Finding(f"Python {have}", False, f"install Python {need} or newer and run `make workshop-check` again")


def _pins() -> list[tuple[str, str]]:
    """(package, version) of every runtime dependency pinned by the installed hiddenspof (no extras)."""
    out = []
    for req in metadata.requires("hiddenspof") or ():
        if "extra ==" in req:
            continue
        m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)\s*(?:;.*)?", req)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def _packages() -> list[Finding]:
    out = []
    for name, version in _pins():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            out.append(Finding(f"package {name}", False, f"{name} is missing: run `make workshop` (or "
                                                          "`.venv/bin/pip install -c requirements.lock -e .`)"))
            continue
        if have != version:
            out.append(Finding(f"package {name} {have}", False,
                               f"{name} is {have}, the workshop is tested with {version}: run `make workshop`"))
    if not out:
        out.append(Finding(f"{len(_pins())} pinned packages", True))
    return out


def _widgets() -> Finding:
    try:
        metadata.version("jupyterlab_widgets")
    except metadata.PackageNotFoundError:
        return Finding("JupyterLab widget extension", False,
                       "jupyterlab_widgets is missing (exercises would show as text): run `make workshop`")
    return Finding("JupyterLab widget extension", True)


def _kernel() -> Finding:
    """The ``python3`` kernel JupyterLab starts is this interpreter (where hiddenspof is installed)."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec("python3")
    except Exception as exc:  # noqa: BLE001 - any failure here is the problem to report
        return Finding("the python3 kernel", False, f"JupyterLab has no python3 kernel ({exc}): run `make workshop`")
    exe = spec.argv[0]
    found = Path(exe) if Path(exe).is_absolute() else Path(shutil.which(exe, path=str(Path(sys.executable).parent))
                                                         or shutil.which(exe) or exe)
    if found.exists() and found.resolve() == Path(sys.executable).resolve():
        return Finding(f"the python3 kernel runs {sys.executable}", True)
    return Finding(f"the python3 kernel runs {found}", False,
                   f"JupyterLab would start {found}, not this environment ({sys.executable}): start JupyterLab "
                   "with `make workshop`, which puts the project's .venv first")


def _folder(workshop_dir: Path) -> list[Finding]:
    from .inventory import load

    notebooks = sorted(workshop_dir.glob("[0-9]*.ipynb"))
    out = [Finding(f"{len(notebooks)} workshop notebooks in {workshop_dir}", bool(notebooks),
                   "" if notebooks else f"no notebooks in {workshop_dir}: run `make workshop-reset` or clone again")]
    estate = workshop_dir / "teaching.yaml"
    try:
        inv = load(estate)
        out.append(Finding(f"the estate ({inv.meta.name})", True))
    except Exception as exc:  # noqa: BLE001
        out.append(Finding("the estate", False, f"{estate} does not load ({exc}): run `make workshop-reset`"))
    return out


def _run_first(workshop_dir: Path) -> Finding:
    """Run the first notebook once without a browser: the kernel starts and every cell runs."""
    import tempfile

    import papermill as pm

    first = sorted(workshop_dir.glob("[0-9]*.ipynb"))[:1]
    if not first:
        return Finding("a notebook runs", False, "no notebook to run")
    with tempfile.TemporaryDirectory(prefix="hiddenspof-check-") as tmp:
        try:
            pm.execute_notebook(str(first[0]), str(Path(tmp) / first[0].name), parameters={"interactive": False},
                                cwd=str(workshop_dir), progress_bar=False, kernel_name="python3")
        except Exception as exc:  # noqa: BLE001
            last = str(exc).strip().splitlines()[-1:] or [type(exc).__name__]
            return Finding(f"{first[0].name} runs", False,
                           f"it stopped: {last[0]}. Send this line to the facilitator")
    return Finding(f"{first[0].name} runs (the kernel starts, every cell runs)", True)


def preclass_check(workshop_dir=None, *, run_notebook: bool = True) -> list[Finding]:
    """Every check, in the order a participant would fix them."""
    from .resources import notebooks_dir

    folder = Path(workshop_dir) if workshop_dir else notebooks_dir() / "workshop"
    out = [_python(), *_packages(), _widgets(), _kernel(), *_folder(folder)]
    if run_notebook and all(f.ok for f in out):
        out.append(_run_first(folder))
    return out


def report(findings: list[Finding]) -> tuple[str, int]:
    """The check as text (one line per check, then "ready" or what to fix) and the exit code."""
    lines = [f"  {'ok ' if f.ok else 'NO '} {f.what}" for f in findings]
    bad = [f for f in findings if not f.ok]
    if not bad:
        return "\n".join([*lines, "ready"]), 0
    lines.append(f"not ready: {len(bad)} {'problem' if len(bad) == 1 else 'problems'} to fix before the class")
    lines += [f"  - {f.fix}" for f in bad]
    return "\n".join(lines), 1
