"""Notebook path parameters resolve whatever the working directory (papermill or a script run from elsewhere)."""

from __future__ import annotations

import json

import pytest
from conftest import DATA, NOTEBOOKS
from hiddenspof import resources


def test_default_resolves_from_another_folder(tmp_path, monkeypatch):
    """``../data/teaching.yaml`` (relative to notebooks/) is found from any working directory."""
    monkeypatch.chdir(tmp_path)
    assert resources.notebook_path("../data/teaching.yaml") == (DATA / "teaching.yaml").resolve()


def test_paths_that_exist_from_the_working_directory_win(tmp_path, monkeypatch):
    """A relative path that exists where the kernel runs is used as given; absolute paths are untouched."""
    (tmp_path / "data").mkdir()
    mine = tmp_path / "data" / "teaching.yaml"
    mine.write_text("x")
    monkeypatch.chdir(tmp_path / "data")
    assert resources.notebook_path("../data/teaching.yaml").resolve() == mine.resolve()
    assert resources.notebook_path(str(mine)) == mine


def test_missing_path_is_returned_as_given(tmp_path, monkeypatch):
    """A path found nowhere comes back unchanged, so the loader's error names what the user wrote."""
    monkeypatch.chdir(tmp_path)
    assert str(resources.notebook_path("nope/estate.yaml")) == "nope/estate.yaml"


@pytest.mark.slow
def test_notebook_runs_with_its_defaults_from_another_folder(tmp_path):
    """papermill runs 01_intake with its default inventory_path while the kernel works in an unrelated folder."""
    import papermill as pm

    out = tmp_path / "01.ipynb"
    pm.execute_notebook(str(NOTEBOOKS / "01_intake.ipynb"), str(out), parameters={"interactive": False},
                        cwd=str(tmp_path), progress_bar=False, kernel_name="python3")
    text = json.dumps([c.get("outputs") for c in json.loads(out.read_text())["cells"]])
    assert "Harbour Books" in text and '"output_type": "error"' not in text
