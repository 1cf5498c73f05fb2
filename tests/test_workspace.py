"""Shipped resources (notebooks, samples, templates) and engagement workspaces: `hiddenspof new` and `hiddenspof lab`."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import NOTEBOOKS, ROOT, SAMPLES
from hiddenspof import cli, inventory, resources, workspace
from hiddenspof.errors import HiddenspofError, UsageError


def test_checkout_falls_back_to_top_level_folders():
    """Without packaged _resources (a development checkout) the repository's folders are used."""
    assert not (ROOT / "lib" / "hiddenspof" / "_resources").exists()
    assert resources.notebooks_dir() == NOTEBOOKS
    assert resources.sample("teaching") == SAMPLES["teaching"]
    assert resources.resource_dir("templates") == ROOT / "lib" / "hiddenspof" / "templates"


def test_packaged_resources_win_over_the_checkout(tmp_path, monkeypatch):
    """An installed package's _resources are used, never a folder of the source tree."""
    (tmp_path / "_resources" / "notebooks").mkdir(parents=True)
    monkeypatch.setattr(resources.importlib_resources, "files", lambda package: tmp_path)
    assert resources.notebooks_dir() == tmp_path / "_resources" / "notebooks"


def test_missing_resources_name_the_problem(tmp_path, monkeypatch):
    monkeypatch.setattr(resources.importlib_resources, "files", lambda package: tmp_path)
    monkeypatch.setattr(resources, "__file__", str(tmp_path / "a" / "b" / "resources.py"))
    with pytest.raises(HiddenspofError, match="notebooks folder is missing.*reinstall"):
        resources.notebooks_dir()
    with pytest.raises(HiddenspofError, match="no sample estate 'nope'"):
        resources.sample("nope")


def test_new_workspace_layout(tmp_path):
    """Notebooks, the intake template, a valid worked example, an empty reports/ and a README."""
    ws = workspace.create(tmp_path / "acme")
    assert sorted(p.name for p in ws.iterdir()) == ["README.md", "docs", "inventory", "notebooks", "reports"]
    assert list((ws / "reports").iterdir()) == []
    shipped = sorted(p.name for p in NOTEBOOKS.glob("0[0-9]_*.ipynb"))
    assert sorted(p.name for p in (ws / "notebooks").iterdir()) == shipped
    example = inventory.load(ws / workspace.EXAMPLE)
    assert example.meta.name == inventory.load(SAMPLES["teaching"]).meta.name
    import openpyxl

    sheets = openpyxl.load_workbook(ws / workspace.TEMPLATE).sheetnames
    assert "components" in sheets and "backups" in sheets
    readme = (ws / "README.md").read_text()
    assert "hiddenspof report inventory/example.yaml --out reports" in readme and "hiddenspof lab" in readme


def test_workspace_notebooks_default_to_the_example(tmp_path):
    """Every relative default path of a parameters cell points inside the workspace; the rest is unchanged."""
    ws = workspace.create(tmp_path / "acme")
    for path in sorted((ws / "notebooks").iterdir()):
        copied = nbformat.read(str(path), as_version=4)
        original = nbformat.read(str(NOTEBOOKS / path.name), as_version=4)
        assert [c.id for c in copied.cells] == [c.id for c in original.cells]
        for new, old in zip(copied.cells, original.cells):
            if "parameters" not in new.metadata.get("tags", []):
                assert new.source == old.source
                continue
            assert '"../data/' not in new.source and '"../tests/' not in new.source
            if "inventory_path" in new.source:
                assert 'inventory_path: str = "../inventory/example.yaml"' in new.source
                assert (path.parent / "../inventory/example.yaml").resolve().is_file()


def test_new_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "notes.txt").write_text("client notes")
    with pytest.raises(UsageError, match="not empty"):
        workspace.create(tmp_path / "acme")
    assert cli.main(["new", str(tmp_path / "acme")]) == 2
    assert "not empty" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme"]  # no staging folder left
    assert (tmp_path / "acme" / "notes.txt").read_text() == "client notes"
    assert cli.main(["new", str(tmp_path / "empty-ok")]) == 0


def test_lab_refuses_a_missing_folder(tmp_path, capsys):
    assert cli.main(["lab", str(tmp_path / "nope")]) == 2
    assert "hiddenspof new" in capsys.readouterr().err


@pytest.mark.slow
def test_workspace_notebook_runs_on_its_default(tmp_path):
    """A workspace notebook executed as saved (no parameters) assesses the workspace's example."""
    import papermill

    ws = workspace.create(tmp_path / "acme")
    nb = papermill.execute_notebook(
        str(ws / "notebooks" / "01_intake.ipynb"), str(tmp_path / "out.ipynb"),
        kernel_name="python3", progress_bar=False, cwd=str(ws / "notebooks"),
    )
    name = inventory.load(ws / workspace.EXAMPLE).meta.name
    texts = [o.get("data", {}).get("text/markdown", "") for c in nb.cells for o in c.get("outputs", [])]
    assert any(name in t for t in texts)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_lab_opens_jupyterlab_on_the_workspace(tmp_path):
    """`hiddenspof lab DIR` serves DIR: the workspace's notebooks are listed by the server."""
    ws = workspace.create(tmp_path / "acme")
    port, token = _free_port(), secrets.token_hex(8)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "lib")}
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
        env[var] = str(tmp_path / var.lower())
    lab = subprocess.Popen(
        [sys.executable, "-m", "hiddenspof", "lab", str(ws), "--no-browser", "--allow-root",
         f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={token}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/contents/notebooks?token={token}"
        deadline, listing = time.monotonic() + 90, None
        while time.monotonic() < deadline and lab.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    listing = json.load(response)
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, f"JupyterLab did not answer (exit status {lab.poll()})"
        names = sorted(item["name"] for item in listing["content"])
        assert names == sorted(p.name for p in Path(ws, "notebooks").iterdir())
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait(timeout=10)


def test_workspace_carries_the_docs_its_notebooks_link_to(tmp_path):
    """Every ../docs/PAGE.md link of a workspace notebook resolves inside the workspace."""
    import re

    ws = workspace.create(tmp_path / "acme")
    assert sorted(p.name for p in (ws / "docs").iterdir()) == sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    cited = []
    for nb in sorted((ws / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        for target in re.findall(r"\]\((\.\./docs/[^)#\s]+)", text):
            cited.append(target)
            assert (nb.parent / target).resolve().is_file(), (nb.name, target)
    assert "../docs/inventory-format.md" in cited and "../docs/importers.md" in cited
