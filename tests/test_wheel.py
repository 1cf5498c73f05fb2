"""The built wheel installs into a fresh environment and runs every step on its own, with no source tree in sight."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import NOTEBOOKS, ROOT, SAMPLES
from hiddenspof import analysis, inventory

pytestmark = pytest.mark.slow
# what a checkout holds besides its sources; never part of a build
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "reports", "*.egg-info", "_resources", "__pycache__",
    ".pytest_cache", ".ruff_cache", ".hypothesis", ".ipynb_checkpoints",
)


def _run(command, cwd, env, timeout=900) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{command} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A new virtual environment with only the wheel (and its pinned dependencies) installed: its bin folder and env."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["JUPYTER_DATA_DIR"] = str(base / "jupyter-data")  # no kernel of the user's own
    _run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-w", base / "dist", "-q"], cwd=source, env=env)
    (wheel,) = (base / "dist").glob("hiddenspof-*.whl")
    _run([sys.executable, "-m", "venv", base / "venv"], cwd=base, env=env)
    bin_dir = base / "venv" / "bin"
    _run([bin_dir / "python", "-m", "pip", "install", "-q", "-c", ROOT / "requirements.lock", wheel], cwd=base, env=env)
    shutil.rmtree(source)  # nothing of the checkout is left to fall back on
    return wheel, bin_dir, env


def test_wheel_carries_notebooks_samples_and_templates(installed):
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for notebook in sorted(NOTEBOOKS.glob("0*.ipynb")):
        assert f"hiddenspof/_resources/notebooks/{notebook.name}" in names
    assert "hiddenspof/_resources/data/teaching.yaml" in names
    assert "hiddenspof/_resources/data/hybrid-enterprise/components.csv" in names
    assert "hiddenspof/templates/hiddenspof_report/index.html.j2" in names
    for page in sorted((ROOT / "docs").glob("*.md")):  # the pages notebooks and reports cite travel with the wheel
        assert f"hiddenspof/_resources/docs/{page.name}" in names
    assert "hiddenspof/frameworks/dora.yaml" in names  # the built-in control frameworks (docs/controls.md)
    assert not any(n.endswith("build_samples.py") for n in names)


def test_installed_wheel_runs_a_workspace_end_to_end(installed, tmp_path):
    """From an empty folder: new, validate, analyze and report on the workspace's example, with the installed package only."""
    _, bin_dir, env = installed
    work = tmp_path / "empty"
    work.mkdir()
    hs = bin_dir / "hiddenspof"
    where = _run([bin_dir / "python", "-c",
                  "import hiddenspof, hiddenspof.resources as r; print(hiddenspof.__file__); print(r.notebooks_dir())"],
                 cwd=work, env=env).stdout.split()
    assert all(Path(p).is_relative_to(bin_dir.parent) for p in where), where
    _run([hs, "new", "acme"], cwd=work, env=env)
    assert "valid" in _run([hs, "validate", "acme/inventory/example.yaml"], cwd=work, env=env).stdout
    _run([hs, "analyze", "acme/inventory/example.yaml", "--json", "acme/analysis.json"], cwd=work, env=env)
    expected = analysis.dumps(analysis.analyze(inventory.load(SAMPLES["teaching"])))
    assert (work / "acme" / "analysis.json").read_text(encoding="utf-8") == expected
    # a workspace notebook, as saved, runs in a kernel of the new environment on the workspace's example
    _run([bin_dir / "papermill", "acme/notebooks/01_intake.ipynb", "acme/01_intake.out.ipynb", "-k", "python3",
          "--cwd", "acme/notebooks", "--no-progress-bar"], cwd=work, env=env)
    executed = (work / "acme" / "01_intake.out.ipynb").read_text(encoding="utf-8")
    assert inventory.load(SAMPLES["teaching"]).meta.name in executed
    _run([hs, "report", "acme/inventory/example.yaml", "--out", "acme/reports"], cwd=work, env=env, timeout=1200)
    reports = work / "acme" / "reports"
    (env_dir,) = [p for p in reports.iterdir() if p.is_dir()]
    assert (reports / "index.html").is_file() and (env_dir / "report.html").stat().st_size > 100_000
    assert (env_dir / "analysis.json").read_text(encoding="utf-8") == expected
