"""Setup before class: the pre-class check, the handouts, and the offline install from a wheel folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv

import pytest
from conftest import NOTEBOOKS, ROOT
from hiddenspof import workshop_handouts, workshop_setup


def test_preclass_check_says_ready_here():
    """On the project's own environment every check passes and the last line is "ready"."""
    findings = workshop_setup.preclass_check(NOTEBOOKS / "workshop", run_notebook=False)
    text, code = workshop_setup.report(findings)
    assert code == 0 and text.splitlines()[-1] == "ready", text


def test_preclass_check_names_what_is_missing(monkeypatch, tmp_path):
    """A missing package and a broken estate are each named with their fix; the verdict is "not ready"."""
    real = workshop_setup.metadata.version

    def version(name):
        if name.lower() == "ipywidgets":
            raise workshop_setup.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(workshop_setup.metadata, "version", version)
    folder = tmp_path / "workshop"
    folder.mkdir()
    shutil.copy(NOTEBOOKS / "workshop" / "01_intake.ipynb", folder)
    (folder / "teaching.yaml").write_text("components: [\n")
    text, code = workshop_setup.report(workshop_setup.preclass_check(folder))
    assert code == 1 and "not ready: 2 problems to fix before the class" in text
    assert "ipywidgets is missing: run `make workshop`" in text
    assert "teaching.yaml does not load" in text and "ready" != text.splitlines()[-1]


def test_handout_has_no_answer_and_slides_hold_the_five_ideas():
    """The handout is built from the kit's setup and primer only (no model answer); the slides list five ideas."""
    from hiddenspof import workshop

    kit = (NOTEBOOKS / "facilitator" / "README.md").read_text()
    page = workshop_handouts.handout_html(kit)
    ws = workshop.Workshop.open(NOTEBOOKS / "workshop" / "teaching.yaml")
    for q, question in workshop.QUESTIONS.items():
        if question.kind != "yesno" and (question.kind == "number" or len(workshop.solution(q, ws.inventory, ws.model)) > 1):
            assert ws.solution(q) not in page, q
    assert "make workshop-check" in page and "Shift+Enter" in page and "wheelhouse" not in page
    slides = workshop_handouts.slides_html(kit)
    assert slides.count("<section>") == 5 and "redundancy is not independence" in slides


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("chromium") or os.environ.get("HIDDENSPOF_CHROMIUM")), reason="needs chromium")
def test_handouts_print_to_pdf(tmp_path):
    """The handout prints on one page, the slides on five."""
    from pypdf import PdfReader

    handout, slides = workshop_handouts.write_handouts(tmp_path)
    assert len(PdfReader(handout).pages) == 1 and len(PdfReader(slides).pages) == 5


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_offline_install_from_the_wheel_folder(tmp_path):
    """make workshop-wheels' folder installs the runtime with pip --no-index (no network, no pip config), no test tools."""
    wheels = tmp_path / "wheelhouse"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "-c", str(ROOT / "requirements.lock"),
                            "--wheel-dir", str(wheels), str(ROOT), "setuptools>=77"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert built.returncode == 0, built.stderr[-3000:]
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    py = target / "bin" / "python"
    offline = {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1"}
    done = subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--no-index", "--find-links", str(wheels),
                           "-c", str(ROOT / "requirements.lock"), "hiddenspof"],
                          capture_output=True, text=True, env=offline, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    listed = subprocess.run([str(py), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True,
                            env=offline).stdout.lower()
    assert "jupyterlab==" in listed and "ipywidgets==" in listed
    assert "pytest==" not in listed and "playwright==" not in listed and "ruff==" not in listed
    imported = subprocess.run([str(py), "-c", "import hiddenspof.workshop, hiddenspof.widgets, jupyterlab, ipywidgets"],
                              capture_output=True, text=True, env=offline, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr[-3000:]
