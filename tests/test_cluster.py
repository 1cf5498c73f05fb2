"""Shared-nothing rendering on a real Dask cluster: `dask scheduler` and two `dask worker` processes on loopback."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import NOTEBOOKS, ROOT, SAMPLES
from hiddenspof import cluster, report

pytestmark = pytest.mark.timeout(1200)  # bounded even when a cluster hangs
STARTUP_SECONDS = 90


def _dask_command() -> list[str]:
    script = Path(sys.executable).parent / "dask"
    return [str(script)] if script.exists() else [sys.executable, "-m", "dask"]


def _stop(proc: subprocess.Popen) -> None:
    """Stop a process and its children (it leads its own session): TERM, then KILL."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A scheduler and two workers, each in its own working folder; the second dies on 'Doomed' environments."""
    base = tmp_path_factory.mktemp("cluster")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "lib"),
           # a task whose worker died is tried on one more worker, then its environment fails
           "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}
    scheduler_file = base / "scheduler.json"
    procs = []
    try:
        (base / "scheduler").mkdir()
        procs.append(subprocess.Popen(
            [*_dask_command(), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(scheduler_file)],
            cwd=base / "scheduler", env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=open(base / "scheduler.log", "w"),  # noqa: SIM115
        ))
        deadline = time.monotonic() + STARTUP_SECONDS
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        for name in ("w1", "w2"):
            folder = base / name
            folder.mkdir()
            procs.append(subprocess.Popen(
                [*_dask_command(), "worker", address, "--name", name, "--nthreads", "1", "--nworkers", "1",
                 "--no-dashboard", "--memory-limit", "0", "--host", "127.0.0.1",
                 "--local-directory", str(folder / "scratch"), "--preload", str(ROOT / "tests" / "cluster_preload.py")],
                cwd=folder, env=env, start_new_session=True,
                stdout=subprocess.DEVNULL, stderr=open(base / f"{name}.log", "w"),  # noqa: SIM115
            ))
        from distributed import Client

        with Client(address, timeout=STARTUP_SECONDS) as client:
            client.wait_for_workers(2, timeout=STARTUP_SECONDS)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    """Two notebooks of the report (intake and summary): enough to compare, quick to run."""
    folder = tmp_path_factory.mktemp("nbs")
    for name in ("01_intake.ipynb", "05_summary.ipynb"):
        shutil.copy(NOTEBOOKS / name, folder / name)
    return folder


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _without_duration(manifest: bytes) -> dict:
    data = json.loads(manifest)
    data.pop("duration_seconds")
    return data


@pytest.mark.slow
def test_three_environments_render_on_the_cluster_as_locally(scheduler, notebooks, tmp_path, monkeypatch):
    """Reports rendered by two worker processes equal the local ones; analysis JSON byte-identical; progress per notebook."""
    client_files = tmp_path / "client"
    client_files.mkdir()
    paths = []
    for _name, sample in sorted(SAMPLES.items()):
        target = client_files / sample.name
        (shutil.copytree if sample.is_dir() else shutil.copy)(sample, target)
        paths.append(str(target))
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert report.render(paths, local, notebooks_dir=notebooks, progress=False) == 0
    notebook_events, environment_events = [], []
    monkeypatch.setattr(report._Progress, "notebook", lambda self, slug, name: notebook_events.append((slug, name)))
    monkeypatch.setattr(report._Progress, "environment", lambda self, slug: environment_events.append(slug))
    assert report.render(paths, remote, notebooks_dir=notebooks, scheduler=scheduler, progress=False) == 0

    envs = sorted(p.name for p in local.iterdir() if p.is_dir())
    assert len(envs) == 3 and envs == sorted(p.name for p in remote.iterdir() if p.is_dir())
    for env in envs:
        here, there = _tree(local / env), _tree(remote / env)
        assert sorted(here) == sorted(there)
        assert here["analysis.json"] == there["analysis.json"]
        assert _without_duration(here.pop("manifest.json")) == _without_duration(there.pop("manifest.json"))
        for name in here:  # executed notebooks record the client's paths, not the worker's
            assert here[name] == there[name], f"{env}/{name} differs"
    assert (local / "index.html").read_bytes() == (remote / "index.html").read_bytes()
    assert sorted(environment_events) == envs
    # the workers reported finished notebooks while rendering (the last may race the result)
    assert notebook_events and set(notebook_events) <= {(e, n) for e in envs for n in ("01_intake.ipynb", "05_summary.ipynb")}
    assert sorted(p.name for p in remote.iterdir() if p.name.startswith(".")) == [".lock"]


@pytest.mark.slow
def test_a_worker_needs_no_client_file(scheduler, notebooks, tmp_path):
    """A task naming paths that exist nowhere on the worker renders from the bytes it carries."""
    from distributed import Client

    out = tmp_path / "local"
    inventory = str(SAMPLES["teaching"])
    assert report.render([inventory], out, notebooks_dir=notebooks, progress=False) == 0
    (env,) = [p for p in out.iterdir() if p.is_dir()]
    jobs, failed = report._plan([inventory], out, report.notebook_list(notebooks), None)
    assert not failed
    shipment = cluster.pack(jobs[0])
    elsewhere = Path("/nonexistent-client-disk/acme")
    assert not elsewhere.exists()
    job = dataclasses.replace(
        jobs[0], inventory_path=str(elsewhere / "inventory.yaml"), out_dir=str(elsewhere / "reports"),
        notebooks=tuple(str(elsewhere / "notebooks" / Path(p).name) for p in jobs[0].notebooks),
    )
    with Client(scheduler, timeout=STARTUP_SECONDS) as client:
        outcome, files = client.submit(cluster.render_shipped, dataclasses.replace(shipment, job=job), pure=False).result()
    assert outcome.ok, outcome.reason
    assert files["analysis.json"] == (env / "analysis.json").read_bytes()
    manifest = json.loads(files["manifest.json"])
    assert manifest["inputs"]["path"] == str(elsewhere / "inventory.yaml")
    executed = json.loads(files["01_intake.ipynb"])
    assert executed["metadata"]["papermill"]["parameters"]["inventory_path"] == str(elsewhere / "inventory.yaml")
    assert "hiddenspof-render-" not in files["01_intake.ipynb"].decode()  # no worker path leaks


@pytest.mark.slow
def test_a_dying_worker_fails_its_environment_and_the_others_render(scheduler, notebooks, tmp_path):
    """The environment whose workers die is failed in the index with the reason; the other one renders."""
    doomed = tmp_path / "doomed.yaml"
    text = SAMPLES["teaching"].read_text(encoding="utf-8")
    doomed.write_text(text.replace("name: Harbour Books", "name: Doomed Harbour Books", 1), encoding="utf-8")
    out = tmp_path / "out"
    status = report.render([str(SAMPLES["teaching"]), str(doomed)], out, notebooks_dir=notebooks,
                           scheduler=scheduler, progress=False)
    assert status == 1
    assert [p.name for p in out.iterdir() if p.is_dir()] == ["harbour-books-online-shop-teaching-estate"]
    index = (out / "index.html").read_text()
    assert "Doomed Harbour Books" in index and "worker died while rendering" in index


def test_shipment_carries_every_input_file_and_unpacks_elsewhere(tmp_path):
    """A CSV-folder inventory, notebooks, baseline and Word template travel as bytes and come out identical."""
    folder = SAMPLES["hybrid-enterprise"]
    baseline = tmp_path / "baseline.json"
    baseline.write_text("{}")
    template = tmp_path / "firm.docx"
    template.write_bytes(b"PK fake docx")
    job = report.Job("hybrid", "Hybrid", str(folder), "data/hybrid-enterprise", str(tmp_path / "out"),
                     (str(NOTEBOOKS / "01_intake.ipynb"),), str(baseline), ("html", "docx"), str(template))
    shipment = cluster.pack(job)
    work = tmp_path / "worker"
    work.mkdir()
    local, pairs = cluster._unpack(shipment, work)
    assert _tree(Path(local.inventory_path)) == _tree(folder)
    assert Path(local.inventory_path).name == folder.name
    assert Path(local.notebooks[0]).read_bytes() == (NOTEBOOKS / "01_intake.ipynb").read_bytes()
    assert Path(local.baseline_path).read_text() == "{}"
    assert Path(local.docx_template).read_bytes() == b"PK fake docx"
    assert all(str(work) in w and str(work) not in c for w, c in pairs)


def test_worker_paths_are_replaced_by_the_client_paths(tmp_path):
    """Notebooks and JSON keep their writer's exact format; HTML gets the escaped client path."""
    import nbformat

    worker, client = "/scratch/w1/hiddenspof-render-x/input/acme.yaml", "/home/ana/Kunden & Co/acme.yaml"
    pairs = [(worker, client)]
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(f'inventory_path = "{worker}"\n', id="p"))
    nb.metadata["papermill"] = {"parameters": {"inventory_path": worker}}
    moved = nbformat.reads(cluster._relocate_file("a.ipynb", nbformat.writes(nb).encode(), pairs).decode(), as_version=4)
    nb.cells[0].source = f'inventory_path = "{client}"\n'
    nb.metadata["papermill"]["parameters"]["inventory_path"] = client
    assert nbformat.writes(moved) == nbformat.writes(nb)
    manifest = json.dumps({"inputs": {"path": worker}, "name": "Zürich"}, indent=2, sort_keys=True) + "\n"
    expected = json.dumps({"inputs": {"path": client}, "name": "Zürich"}, indent=2, sort_keys=True) + "\n"
    assert cluster._relocate_file("manifest.json", manifest.encode(), pairs) == expected.encode()
    assert cluster._relocate_file("r.html", f"<p>{worker}</p>".encode(), pairs) == b"<p>/home/ana/Kunden &amp; Co/acme.yaml</p>"
    untouched = b"no worker path here"
    assert cluster._relocate_file("findings.csv", untouched, pairs) is untouched


def test_write_report_swaps_the_received_folder_in(tmp_path):
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "old.txt").write_text("previous")
    cluster.write_report(tmp_path, "acme", {"report.html": b"<html>", "sub/x.json": b"{}"})
    assert _tree(tmp_path / "acme") == {"report.html": b"<html>", "sub/x.json": b"{}"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme"]
    with pytest.raises(ValueError, match="outside its folder"):
        cluster.write_report(tmp_path, "evil", {"../escape.txt": b"x"})
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "evil").exists()


def test_unreachable_scheduler_is_a_usage_error(tmp_path, monkeypatch):
    """No scheduler at the address: a clear usage error naming it, and nothing written but the empty folder."""
    from hiddenspof.errors import UsageError

    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 2)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UsageError, match=f"cannot connect to the Dask scheduler 'tcp://127.0.0.1:{port}'"):
        report.render([str(SAMPLES["teaching"])], tmp_path / "out", scheduler=f"tcp://127.0.0.1:{port}", progress=False)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".lock"]
