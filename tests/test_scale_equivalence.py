"""The faster computations of the scale work give exactly what the plain ones give.

``Model.first_down_steps`` grows one down set backwards through a restore
schedule instead of computing ``Model.down_after`` afresh at each moment; the
capacity analysis' ``_first_up`` uses it instead of bisecting over fresh down
sets (``_first_up_bisect``, kept as the fallback and used here as the oracle).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hiddenspof import capacity, inventory, model, synth

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module", params=["teaching.yaml", "hybrid-enterprise"])
def built(request):
    return model.build(inventory.load(DATA / request.param))


def test_first_down_steps_equals_down_after_at_every_step(built):
    """Random failures and restore schedules: each step's down set is down_after's, computed afresh."""
    rng = random.Random(26)
    ids = list(built.ids)
    answered = 0
    for _ in range(150):
        failed = frozenset(rng.sample(ids, rng.randint(1, 4)))
        rec = built.recover(failed)
        moved = {r.asset: built.backup[r.backup].restore_to for r in rec.restores}
        if not moved:
            continue
        order = list(moved)
        rng.shuffle(order)
        cuts = sorted(rng.sample(range(1, len(order)), min(len(order) - 1, rng.randint(0, 3))))
        batches = [order[i:j] for i, j in zip([0, *cuts], [*cuts, len(order)])]
        first = built.first_down_steps(failed, moved, batches)
        still = dict(moved)
        expected = [built.down_after(failed - set(still), still)]
        for batch in batches:
            for a in batch:
                still.pop(a)
            expected.append(built.down_after(failed - set(still), still))
        if first is None:  # allowed only where a down set would shrink
            assert any(not (expected[i] <= expected[i + 1]) for i in range(len(expected) - 1)) or any(
                a not in failed and moved[a] is not None for b in batches for a in b)
            continue
        answered += 1
        for step, down in enumerate(expected):
            assert {c for c, s in first.items() if s <= step} == set(down), (failed, batches, step)
    assert answered > 20


def test_capacity_first_up_equals_bisection_on_every_scenario(built):
    """Every capacity scenario of the sample: the one-sweep back-up moments equal the bisection's."""
    lim = capacity.limits(built)
    obj = capacity._objectives(built)
    checked = 0
    for name, kind, fail in capacity.scenario_failures(built):
        sc = capacity.build_scenario(built, name, kind, fail, lim, obj)
        res = capacity.run_scenario(built, sc, lim=lim, objectives=obj)
        rec = sc.recovery
        finish = {r.asset: r.finish_hours for r in res.restores if r.finish_hours is not None}
        if not finish:
            continue
        by_asset = {r.asset: r for r in rec.restores}
        times = sorted(set(finish.values()))
        pending = sorted(a for a in built.assets if a in rec.initially_down and a not in finish)
        args = (built, rec, finish, by_asset, times, pending)
        assert capacity._first_up(*args) == capacity._first_up_bisect(*args), name
        checked += 1
    assert checked


def _waits_for_reference(built, rec, restore, earlier):
    """The plain definition: drop each earlier restore in turn (latest wave first, then id descending) while the
    path stays up on the whole estate's ``down_after`` without it."""
    reach, stack = set(), [restore.backup, built.backup[restore.backup].restore_to or restore.asset]
    targets = {r.asset: built.backup[r.backup].restore_to for r in earlier}
    while stack:
        v = stack.pop()
        if v not in reach:
            reach.add(v)
            stack.extend(built.dependencies_of(v))
            if targets.get(v) is not None:
                stack.append(targets[v])
    keep = [r for r in earlier if r.asset in reach]
    for r in sorted(keep, key=lambda x: (-x.wave, [-ord(c) for c in x.asset] + [1])):
        trial = [k for k in keep if k is not r]
        moved = {k.asset: built.backup[k.backup].restore_to for k in trial}
        if built.path_up(restore.backup, built.down_after(set(rec.failed) - set(moved), moved)):
            keep = trial
    return tuple(sorted(r.asset for r in keep))


@pytest.fixture(scope="module", params=[(3, 0.5), (5, 0.3)], ids=["seed3-health0.5", "seed5-health0.3"])
def waiting_estate(request, tmp_path_factory):
    """Synthetic estates whose restores wait for earlier ones (a restored directory, a restored hypervisor)."""
    seed, health = request.param
    out = tmp_path_factory.mktemp("synthetic")
    synth.write_estate(out, 400, seed=seed, history_days=0, health=health)
    return model.build(inventory.load(out))


def test_waits_for_inside_the_path_equals_the_whole_estate_definition(waiting_estate):
    """Every capacity scenario and random failures: the waits computed inside the restore path's reach are the
    ones the whole estate's down sets give."""
    built = waiting_estate
    rng = random.Random(7)
    ids = list(built.ids)
    failures = [f for _, _, f in capacity.scenario_failures(built)]
    failures += [tuple(rng.sample(ids, rng.randint(1, 5))) for _ in range(120)]
    compared = waiting = 0
    for failed in failures:
        rec = built.recover(failed)
        done: list = []
        for wave in rec.waves:
            for r in wave:
                got = capacity._waits_for(built, rec, r, done)
                assert got == _waits_for_reference(built, rec, r, done), (failed, r.asset)
                compared += 1
                waiting += bool(got)
            done.extend(wave)
    assert compared > 40 and waiting > 5, (compared, waiting)
