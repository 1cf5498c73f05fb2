"""Two parts of an analysis at once (``lanes.beside``): the same answers as one after the other, whatever fails."""

from __future__ import annotations

import os

import pytest
from hiddenspof import analysis, coupling, inventory, lanes, plan, silent, synth


@pytest.fixture
def forking(monkeypatch):
    """Fork for any estate size, with two workers."""
    monkeypatch.setattr(lanes, "FORK_MIN_COMPONENTS", 0)
    monkeypatch.setenv(coupling.WORKERS_ENV, "2")


def test_the_other_part_runs_in_a_forked_process_and_its_answer_comes_back(forking):
    """``other`` runs in another process (its pid differs); a large answer comes back whole; ``here`` runs here."""
    me = os.getpid()
    big = list(range(300_000))  # more than a pipe holds: the answer is drained while ``here`` works
    (pid, got), mine = lanes.beside(lambda: (os.getpid(), [x * 2 for x in big]), lambda: os.getpid(), size=1)
    assert pid != me and mine == me
    assert got == [x * 2 for x in big]


def test_one_after_the_other_below_the_size_or_with_one_worker(monkeypatch):
    """Below FORK_MIN_COMPONENTS, or with HIDDENSPOF_WORKERS=1, both parts run in this process."""
    me = os.getpid()
    assert lanes.beside(os.getpid, os.getpid, size=lanes.FORK_MIN_COMPONENTS - 1) == (me, me)
    monkeypatch.setenv(coupling.WORKERS_ENV, "1")
    assert lanes.beside(os.getpid, os.getpid, size=lanes.FORK_MIN_COMPONENTS * 10) == (me, me)


def test_a_forked_part_that_fails_runs_again_here(forking):
    """If the forked part fails (it raises only when forked), it is run here and its answer returned."""
    me = os.getpid()

    def other():
        if os.getpid() != me:
            raise MemoryError("the forked process ran out")
        return "answered here"

    assert lanes.beside(other, lambda: 1, size=1) == ("answered here", 1)


def test_an_error_of_the_forked_part_surfaces_as_without_the_fork(forking):
    """An error the part raises wherever it runs is raised here, as it would be without a fork."""
    def other():
        raise ValueError("bad estate")

    with pytest.raises(ValueError, match="bad estate"):
        lanes.beside(other, lambda: 1, size=1)


def test_when_this_part_fails_the_forked_one_is_stopped(forking):
    """``here`` raising: the error propagates, the forked process is killed and reaped (no child left)."""
    def other():
        import time

        time.sleep(60)
        return 0

    def here():
        raise KeyError("here failed")

    with pytest.raises(KeyError):
        lanes.beside(other, here, size=1)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child of this process is left, running or unreaped


def test_a_forked_part_that_stalls_on_a_lock_it_inherited_is_killed_and_run_here(forking, monkeypatch):
    """The fork happens while another thread holds a lock; the forked part waits on that lock for ever (no thread
    of the forked process will release it) and uses no CPU. Once this part is done the stalled process is killed
    after STALL_SECONDS and reaped, and the part is run here, where the thread has released the lock."""
    import threading
    import time

    monkeypatch.setattr(lanes, "STALL_SECONDS", 1.0)
    me = os.getpid()
    lock, held, done = threading.Lock(), threading.Event(), threading.Event()

    def holder():  # holds the lock from before the fork until this part has started
        with lock:
            held.set()
            done.wait()

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait()
    children = []

    def other():
        with lock:
            return "answered", os.getpid()

    def here():
        children.append(_children())
        done.set()
        thread.join()
        return "mine"

    started = time.monotonic()
    (word, pid), mine = lanes.beside(other, here, size=1)
    assert (word, pid, mine) == ("answered", me, "mine"), "the part was run here after the forked one stalled"
    assert children[0], "the part was forked"
    assert not _children(), "the stalled process was killed and reaped"
    assert time.monotonic() - started < 30


def _children() -> list[int]:
    """This process's child processes (Linux /proc)."""
    me = os.getpid()
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as f:
                    if int(f.read().rsplit(b")", 1)[1].split()[1]) == me:
                        out.append(int(d))
            except OSError:
                continue
    return out


def test_a_slow_forked_part_that_works_is_waited_for(forking, monkeypatch):
    """A forked part that keeps computing longer than STALL_SECONDS after this part is done is not killed: its
    CPU time moves, and its own answer (from the forked process) comes back."""
    import time

    monkeypatch.setattr(lanes, "STALL_SECONDS", 0.5)
    me = os.getpid()

    def other():
        end = time.monotonic() + 3.0
        n = 0
        while time.monotonic() < end:
            n += 1
        return os.getpid()

    pid, mine = lanes.beside(other, lambda: "mine", size=1)
    assert pid != me and mine == "mine"


def test_analysis_in_two_lanes_is_byte_identical_to_one_after_the_other(tmp_path, monkeypatch):
    """analysis.analyze with the silent-failure and capacity half forked gives the JSON of running it here:
    the same fixes (capacity, silent-failure and coupling ones, each spending its own budget), scores and plan."""
    synth.write_estate(tmp_path, 400, 11, history_days=60)
    inv = inventory.load(tmp_path)
    monkeypatch.setenv(coupling.WORKERS_ENV, "1")
    alone = analysis.dumps(analysis.analyze(inv))
    monkeypatch.setattr(lanes, "FORK_MIN_COMPONENTS", 0)
    monkeypatch.setenv(coupling.WORKERS_ENV, "2")
    calls = []
    real = lanes.beside

    def spy(other, here, size):
        calls.append(size)
        return real(other, here, size)

    monkeypatch.setattr(lanes, "beside", spy)
    seen, prepared = [], []
    build, prepare = plan.build, silent._prepare_runs

    def plan_spy(inventory, findings, budget=plan.PLAN_WORK_BUDGET, *, base=None):
        seen.append(dict(base["history"]))
        monkeypatch.setattr(silent, "_prepare_runs", lambda *a, **k: prepared.append(1) or prepare(*a, **k))
        return build(inventory, findings, budget, base=base)

    monkeypatch.setattr(plan, "build", plan_spy)
    parts: dict = {}
    forked = analysis.analyze(inv, parts)
    assert calls and analysis.dumps(forked) == alone
    fixed = [f for f in forked["findings"] if f["fix"] is not None and f["fix"]["verified"]]
    assert {f["category"] for f in fixed} >= {"coupling", "silent_failure"}  # both halves' fixes are in it
    assert parts["silent"].run_source[0] is inv.backup_runs  # the job history is the inventory's, not a copy
    # the forked scoring handed its job-history summaries back: the plan's scorings did not sort the runs again
    assert {"spans", "runs", "points"} <= {k[0] for k in seen[0]} and not any(k[0] == "prepared" for k in seen[0])
    assert not prepared
    assert len(parts["silent"].runs) == len(inv.backup_runs)  # the anomaly flags of the timelines still work


def test_the_two_halves_fix_their_findings_as_one_list_did(tmp_path, monkeypatch):
    """The oracle of the split: every finding fixed in one list, in one process (the analysis before the
    lanes), gives the same findings, fixes and order as the two halves (each with its own budget)."""
    from hiddenspof import advice, capacity, model, silent
    from hiddenspof.findings import sort_findings
    from hiddenspof.quality import quality_findings
    from hiddenspof.silentfix import seeded_memo

    synth.write_estate(tmp_path, 300, 5, history_days=45, health=0.3)
    inv = inventory.load(tmp_path)
    monkeypatch.setattr(lanes, "FORK_MIN_COMPONENTS", 0)
    monkeypatch.setenv(coupling.WORKERS_ENV, "2")
    got = analysis.analyze(inv)["findings"]

    m = model.build(inv)
    cr = coupling.analyze(m)
    memo: dict = {}
    sr = silent.score(inv, m, memo=memo)
    cap = capacity.analyze(m)
    one_list = sort_findings(advice.attach_fixes(
        m, [*advice.findings_of(m, cr), *sr.findings, *cap.findings, *quality_findings(inv)],
        silent_memo=seeded_memo(m, sr, memo)))
    assert [f["id"] for f in got] == [f.id for f in one_list]
    expected = [f.to_json() for f in one_list]
    assert [{k: v for k, v in f.items() if k in e} for f, e in zip(got, expected)] == expected  # fix and wording
    assert any(f["fix"] and f["fix"]["verified"] and f["category"] == "capacity" for f in got) or \
        any(f["fix"] and f["fix"]["verified"] and f["category"] == "silent_failure" for f in got)


def test_the_coupling_analysis_in_parts_is_the_whole(tmp_path):
    """coupling.analyze without the simulation, completed by with_simulation(simulate(...)), is analyze: the
    same verdicts, cut pairs, survivability and importance (the analysis simulates in the other lane)."""
    from hiddenspof import model

    synth.write_estate(tmp_path, 300, 2, history_days=0)
    m = model.build(inventory.load(tmp_path))
    whole = coupling.analyze(m)
    single = coupling.single_failures(m)
    part = coupling.analyze(m, pairs=False, survival=False, unrecoverable_by=single)
    assert all(ac.survivability is None and not ac.cut_pairs for ac in part.assets.values())
    done = coupling.with_simulation(part, m, coupling.simulate(m, single, workers=1))
    assert done == whole
    assert any(ac.cut_pairs for ac in whole.assets.values())
    assert any(ac.survivability is not None for ac in whole.assets.values())
