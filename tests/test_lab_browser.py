"""JupyterLab in a real browser: run 02_coupling, operate the failure explorer, see the right assets."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import DATA, NOTEBOOKS, ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
JUPYTER = ROOT / ".venv" / "bin" / "jupyter"

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    """Poll /api/status until the server answers (or fail with its log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterLab not ready after {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a token, serving a temporary copy of the notebooks, isolated settings; stopped by PID."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium missing: apt-get install -y chromium (make test does it)")
    if not JUPYTER.exists():
        pytest.skip(f"{JUPYTER} missing: run make (the venv provides JupyterLab)")
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    shutil.copytree(NOTEBOOKS, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (root / "data").mkdir()
    shutil.copy(DATA / "teaching.yaml", root / "data" / "teaching.yaml")
    env = dict(os.environ)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
        (base / var.lower()).mkdir()
        env[var] = str(base / var.lower())
    news = base / "jupyterlab_settings_dir" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    token = secrets.token_hex(16)
    port = _free_port()
    log = base / "lab.log"
    cmd = [str(JUPYTER), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={root / 'notebooks'}",
           "--ServerApp.password=", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root,
                                start_new_session=True)
    try:
        _wait_ready(f"http://127.0.0.1:{port}/api/status?token={token}", proc, log)
        yield {"url": f"http://127.0.0.1:{port}", "token": token, "root": root, "log": log, "path": env["PATH"]}
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def _open_and_run_all(page, lab, name: str) -> None:
    page.goto(f"{lab['url']}/lab/tree/{name}?token={lab['token']}&reset")
    expect_idle(page)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def expect_idle(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=90_000)


def test_failure_explorer_in_lab(lab):
    """Run All Cells on 02_coupling in Lab, choose dc-harbour in the explorer: files-share unrecoverable, orders-db restored."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(f"{lab['url']}/lab/tree/02_coupling.ipynb?token={lab['token']}&reset")
            status = page.locator("#jp-main-statusbar")
            expect(status).to_contain_text("Idle", timeout=90_000)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            explorer = page.locator(".widget-select-multiple select")
            expect(explorer).to_be_visible(timeout=120_000)
            result = page.locator(".widget-html-content", has_text="Choose one or more components")
            expect(result).to_be_visible()
            explorer.select_option(label="dc-harbour (site: Harbour Street server room)")
            answer = page.locator(".widget-html-content", has_text="Failing dc-harbour")
            expect(answer).to_contain_text("Unrecoverable: files-share", timeout=30_000)
            text = answer.inner_text()
            assert "orders-db-offsite" in text and "restored" in text
            assert "takes down 2 protected assets; 1 restored, 1 unrecoverable" in text
            # a second choice replaces the answer: the cloud account alone takes nothing down
            explorer.select_option(label="acct-cloud (account: Cloud storage account harbour-offsite)")
            expect(page.locator(".widget-html-content", has_text="Failing acct-cloud")).to_contain_text(
                "takes no protected asset down", timeout=30_000)
        finally:
            browser.close()


def test_exercise_predict_submit_reveal_in_lab(lab):
    """02_coupling in Lab: Run All shows the questions only; a prediction, Check, then the explorer opens on the fire.

    Also drives the revealed explorer's search filter and multi-select: no console error along the way
    (the old filter logged "Cannot set properties of undefined (setting 'selected')").
    """
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            errors = []
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            _open_and_run_all(page, lab, "workshop/02_coupling.ipynb")
            boxes = page.locator(".widget-text input[type=text]")
            expect(boxes.first).to_be_visible(timeout=120_000)
            expect(page.locator(".widget-html-content", has_text="0 of 6 right")).to_be_visible(timeout=60_000)
            # predict: nothing answers the exercise yet
            assert page.locator(".widget-select-multiple select").count() == 0
            assert page.locator(".hs-answer").count() == 0
            assert page.get_by_text("Unrecoverable:").count() == 0
            boxes.nth(0).fill("FILES-SHARE")
            expect(page.locator(".hs-readback", has_text="read as: files-share")).to_be_visible()
            boxes.nth(1).fill("orders-db-nightly")
            page.get_by_role("button", name="Check").first.click()
            # a wrong first answer: a hint and a second try, nothing revealed yet
            expect(page.locator(".hs-check", has_text="Exercise 2.1: right")).to_be_visible(timeout=30_000)
            wrong = page.locator(".hs-check", has_text="Exercise 2.2")
            expect(wrong).to_contain_text("NOT YET")
            expect(wrong).to_contain_text("Hint:")
            expect(wrong).to_contain_text("One more try.")
            page.wait_for_timeout(500)
            assert page.locator(".hs-answer").count() == 0
            assert page.locator(".widget-select-multiple select").count() == 0
            # the second try opens the reveal: the answer and the explorer on the fire
            boxes.nth(1).fill("the cloud bucket copy")
            expect(page.locator(".hs-readback", has_text="cannot read")).to_be_visible()
            boxes.nth(1).fill("orders-db-offsite")
            page.get_by_role("button", name="Check").first.click()
            expect(page.locator(".hs-answer")).to_contain_text("orders-db-offsite", timeout=30_000)
            explorer = page.locator(".widget-select-multiple select")
            expect(explorer).to_be_visible(timeout=30_000)
            answer = page.locator(".widget-html-content", has_text="Failing dc-harbour")
            expect(answer).to_contain_text("Unrecoverable: files-share", timeout=30_000)
            assert "takes down 2 protected assets; 1 restored, 1 unrecoverable" in answer.inner_text()
            expect(page.locator(".widget-html-content", has_text="1 of 6 right (1 more at the second try")).to_be_visible(
                timeout=30_000)
            # the search filter keeps the choice; choosing another component replaces the answer
            search = page.get_by_placeholder("search components")
            search.fill("acct")
            expect(explorer.locator("option")).to_have_count(2, timeout=30_000)  # acct-cloud, and the chosen dc-harbour
            explorer.select_option(label="acct-cloud (account: Cloud storage account harbour-offsite)")
            expect(page.locator(".widget-html-content", has_text="Failing acct-cloud")).to_contain_text(
                "takes no protected asset down", timeout=30_000)
            search.fill("")
            expect(explorer.locator("option")).to_have_count(len(_ids(lab)), timeout=30_000)
            page.wait_for_timeout(500)
            assert not errors, errors
        finally:
            browser.close()


def _ids(lab) -> list[str]:
    from hiddenspof import inventory

    return list(inventory.load(lab["root"] / "data" / "teaching.yaml").components["id"])


def test_lab_kernel_is_the_project_venv(lab):
    """The python3 kernel Lab starts is the project's .venv interpreter (where hiddenspof is installed)."""
    with urllib.request.urlopen(f"{lab['url']}/api/kernelspecs?token={lab['token']}", timeout=10) as r:
        specs = json.load(r)
    argv0 = specs["kernelspecs"]["python3"]["spec"]["argv"][0]
    # a bare "python" is found on the server's PATH, which starts with the venv's bin
    found = Path(argv0) if os.path.isabs(argv0) else Path(shutil.which(argv0, path=lab["path"]))
    assert found.parent == ROOT / ".venv" / "bin", found
    assert Path(found).resolve() == Path(sys.executable).resolve()
