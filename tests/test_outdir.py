"""Report folders: one run at a time, leftovers of dead runs removed, a killed run leaves the old report intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES
from hiddenspof import outdir, report
from hiddenspof.errors import UsageError


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _host() -> str:
    return outdir.owner().split("@", 1)[1]


def test_staging_names_carry_the_owner(tmp_path):
    """Staging folders and files are hidden and name this process and host."""
    folder = outdir.staging_dir(tmp_path, "acme")
    fd, file = outdir.staging_file(tmp_path, "index.html")
    os.close(fd)
    assert folder.name.startswith(f".acme.tmp-{os.getpid()}@{_host()}-")
    assert Path(file).name.startswith(f".index.html.{os.getpid()}@{_host()}-") and file.endswith(".tmp")
    assert folder.stat().st_mode & 0o777 == 0o777 & ~_umask()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_remove_stale_only_touches_dead_runs_of_this_host(tmp_path):
    """Leftovers of a dead pid go; those of a live pid, another host or no owner stay."""
    dead, host = _dead_pid(), _host()
    stale_dir = tmp_path / f".acme.tmp-{dead}@{host}-abcd1234"
    stale_file = tmp_path / f".index.html.{dead}@{host}-abcd1234.tmp"
    live = tmp_path / f".acme.tmp-{os.getpid()}@{host}-abcd1234"
    other_host = tmp_path / f".acme.tmp-{dead}@elsewhere.example-abcd1234"
    legacy = tmp_path / ".acme.tmp-abcd1234"
    report_dir = tmp_path / "acme"
    for d in (stale_dir, live, other_host, legacy, report_dir):
        d.mkdir()
        (d / "report.html").write_text("x")
    stale_file.write_text("x")
    removed = outdir.remove_stale(tmp_path)
    assert sorted(removed) == sorted([stale_dir.name, stale_file.name])
    assert not stale_dir.exists() and not stale_file.exists()
    assert live.exists() and other_host.exists() and legacy.exists() and report_dir.exists()


def test_remove_stale_puts_back_a_report_renamed_aside(tmp_path):
    """A run killed between the two renames of a swap: the previous report is restored, not deleted."""
    dead, host = _dead_pid(), _host()
    aside = tmp_path / f".acme.old-{dead}@{host}-abcd1234"
    aside.mkdir()
    (aside / "report.html").write_text("previous")
    replaced = tmp_path / f".beta.old-{dead}@{host}-abcd1234"
    replaced.mkdir()
    (tmp_path / "beta").mkdir()
    outdir.remove_stale(tmp_path)
    assert (tmp_path / "acme" / "report.html").read_text() == "previous"
    assert not aside.exists() and not replaced.exists() and (tmp_path / "beta").is_dir()


def test_swap_into_place_replaces_and_leaves_nothing(tmp_path):
    final = tmp_path / "acme"
    final.mkdir()
    (final / "a").write_text("old")
    tmp = outdir.staging_dir(tmp_path, "acme")
    (tmp / "a").write_text("new")
    outdir.swap_into_place(tmp, final)
    assert (final / "a").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme"]


def test_second_run_into_the_same_folder_is_refused(tmp_path):
    """While one run holds the folder, another (here: another process) is refused with the holder named."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from hiddenspof import outdir\n"
         "with outdir.locked(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(60)",
         str(tmp_path)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "lib")},
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(UsageError, match=rf"another hiddenspof report run \(pid {holder.pid} on .*\) is writing into"):
            with outdir.locked(tmp_path):
                pass
        with pytest.raises(UsageError, match="another hiddenspof report run"):
            report.render([str(SAMPLES["teaching"])], tmp_path, progress=False)
    finally:
        holder.kill()
        holder.wait(timeout=10)
    with outdir.locked(tmp_path):  # released when its holder died
        pass


def test_cli_refusal_exits_two(tmp_path):
    with outdir.locked(tmp_path):
        proc = subprocess.run(
            [sys.executable, "-m", "hiddenspof", "report", str(SAMPLES["teaching"]), "--out", str(tmp_path)],
            capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT / "lib")},
        )
    assert proc.returncode == 2
    assert "another hiddenspof report run" in proc.stderr and "Traceback" not in proc.stderr


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_sigkill_mid_run_keeps_previous_report_and_next_run_cleans_up(tmp_path):
    """SIGKILL a report run while it executes notebooks: the previous report is byte-identical, the next run leaves no litter."""
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    for name in ("01_intake.ipynb", "05_summary.ipynb"):
        (notebooks / name).write_bytes((ROOT / "notebooks" / name).read_bytes())
    out = tmp_path / "out"
    inventory = str(SAMPLES["teaching"])
    script = ("import sys; from hiddenspof import report\n"
              "sys.exit(report.render([sys.argv[1]], sys.argv[2], notebooks_dir=sys.argv[3], progress=False))")
    command = [sys.executable, "-c", script, inventory, str(out), str(notebooks)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "lib")}
    assert subprocess.run(command, env=env, timeout=300, capture_output=True).returncode == 0
    (slug_dir,) = [p for p in out.iterdir() if p.is_dir()]
    before = _tree(slug_dir)

    run = subprocess.Popen(command, env=env, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        staged = []
        while time.monotonic() < deadline and run.poll() is None:
            # mid-way: the analysis is written and the first notebook is done
            staged = [p for p in out.glob(".*.tmp-*") if (p / "01_intake.ipynb").exists()]
            if staged:
                break
            time.sleep(0.05)
        assert staged, "the run ended before it could be killed mid-way"
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
    finally:
        with_kernels = run.pid
        try:
            os.killpg(with_kernels, signal.SIGKILL)  # the orphaned kernel, if still there
        except ProcessLookupError:
            pass
    assert _tree(slug_dir) == before
    assert staged[0].exists(), "the killed run's staging folder is its litter"

    assert subprocess.run(command, env=env, timeout=300, capture_output=True).returncode == 0
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [outdir.LOCK_NAME]
    assert _tree(slug_dir)["analysis.json"] == before["analysis.json"]
