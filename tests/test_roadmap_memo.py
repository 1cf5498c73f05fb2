"""The roadmap's shared memo (silent.score(..., memo=)) changes its cost, never its answers."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import SAMPLES
from hiddenspof import inventory, model, silent, synth, whatif


@pytest.fixture(scope="module")
def estates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("memo")
    synth.write_estate(folder / "synth", 300, 5, history_days=60, health=0.5)
    return {"hybrid": inventory.load(SAMPLES["hybrid-enterprise"]), "synth": inventory.load(folder / "synth")}


@pytest.mark.parametrize("name", ["hybrid", "synth"])
def test_every_candidate_scores_the_same_with_and_without_the_memo(estates, name):
    """For every remediation candidate (each kind of change), the memoised estate risk and silent result are
    exactly those computed from scratch; and the memo is really used (far fewer summaries than calls)."""
    inv = estates[name]
    m = model.build(inv)
    memo: dict = {}
    assert whatif.estate_risk(inv, m, memo=memo) == whatif.estate_risk(inv, m)
    cands = whatif.candidates(inv, m)
    kinds = {type(ch).__name__ for ch, _ in cands}
    assert {"Repoint", "AddOfflineCopy", "SetVerification"} <= kinds
    per_kind: dict[str, int] = {}
    for ch, _ in cands:
        per_kind[type(ch).__name__] = per_kind.get(type(ch).__name__, 0) + 1
        if per_kind[type(ch).__name__] > 8:  # eight of each kind keep the test quick
            continue
        changed = whatif.apply(inv, ch)
        assert whatif.estate_risk(changed, memo=memo) == whatif.estate_risk(changed), ch
    cm = model.build(changed)
    fresh, cached = silent.score(changed, cm), silent.score(changed, cm, memo=memo)
    assert cached.asset_scores == fresh.asset_scores
    short = silent.score(changed, cm, memo=memo, scores_only=True)
    assert short.asset_scores == fresh.asset_scores and short.backups == fresh.backups
    assert whatif.estate_risk(changed).silent_score == fresh.asset_scores
    assert [dataclasses.astuple(f) for f in cached.findings] == [dataclasses.astuple(f) for f in fresh.findings]
    runs_summaries = [k for k in memo if k[0] == "runs"]
    assert len(runs_summaries) < sum(min(n, 8) for n in per_kind.values()) / 4
