"""The analysis agrees with a second, independent reading of the contract (tests/contract_oracle.py)."""

from __future__ import annotations

import json

import pytest
from contract_oracle import Contract
from hiddenspof import analysis, coupling, model, synth
from hiddenspof.inventory import THREAT_MODES, load
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_model import inventory_of


def _check(inv):
    result = json.loads(analysis.dumps(analysis.analyze(inv)))
    oracle = Contract(inv)
    assert result["assets"], "the estate has protected assets"
    for asset in result["assets"]:
        assert asset["common_cause"] == oracle.common_cause(asset["id"]), asset["id"]
        for mode in THREAT_MODES:
            assert asset["threats"][mode] == oracle.threat(asset["id"], mode), (asset["id"], mode)


def test_samples_agree_with_the_contract_reading(sample_path):
    """Common causes and every threat verdict of each sample equal the independent reading."""
    _check(load(sample_path))


@pytest.mark.parametrize("seed", [1, 2])
def test_synthetic_estate_agrees_with_the_contract_reading(tmp_path, seed):
    """Common causes and threat verdicts of a 200-component synthetic estate equal the independent reading."""
    synth.write_estate(tmp_path / "estate", 200, seed=seed, history_days=30)
    _check(load(tmp_path / "estate"))


# -- random inventories with admin rows, escalation and the immutable-store exemption ------------------------

ATTACK_KINDS = ["service", "datastore", "credentials", "credentials", "identity", "account", "backup_store", "kms",
                "site", "network"]


@st.composite
def attack_estates(draw):
    """Random small inventories rich in credentials, identities and accounts, with admin rows (alone or beside a
    plain row), groups, immutable and offline backups sharing stores with mutable ones."""
    n = draw(st.integers(4, 8))
    ids = [f"c{i}" for i in range(n)]
    comps = [{"id": i, "kind": draw(st.sampled_from(ATTACK_KINDS))} for i in ids]
    nb = draw(st.integers(1, 3))
    bids = [f"b{i}" for i in range(nb)]
    backups = []
    for j, b in enumerate(bids):
        row = {"id": b, "protects": draw(st.sampled_from(ids + bids[:j]))}
        if draw(st.booleans()):
            row["restore_to"] = draw(st.sampled_from(ids))
        flag = draw(st.sampled_from([None, "immutable", "offline"]))
        if flag:
            row[flag] = True
        backups.append(row)
    everyone = ids + bids
    deps = []
    for c in everyone:
        targets = [t for t in draw(st.lists(st.sampled_from(everyone), max_size=4, unique=True)) if t != c]
        kinds = [draw(st.sampled_from(["plain", "admin", "both"])) for _ in targets]
        plain = sum(k != "admin" for k in kinds)
        grouped = plain >= 2 and draw(st.booleans())
        needs = draw(st.integers(1, plain)) if grouped else None
        for t, kind in zip(targets, kinds):
            if kind in ("plain", "both"):
                deps.append({"component": c, "depends_on": t, **({"group": "g", "needs": needs} if grouped else {})})
            if kind in ("admin", "both"):
                deps.append({"component": c, "depends_on": t, "kind": draw(st.sampled_from(["admin", "Admin"]))})
    return comps, deps, backups


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attack_estates())
def test_compromise_and_verdicts_equal_the_contract_reading(estate):
    """For every holder, what is held and destroyed equals the naive fixpoint of the contract text; so do the
    common causes and every threat verdict (admin rows are no requirement)."""
    inv = inventory_of(*estate)
    m = model.build(inv)
    oracle = Contract(inv)
    for k in m.ids:
        if m.kind[k] in ("credentials", "identity", "account"):
            attack = coupling.credential_compromise(m, k)
            assert (set(attack.held), set(attack.destroyed)) == oracle.compromise(k), k
            assert coupling.compromise_destroyed_sets(m)[k] == attack.destroyed, k  # the shared fast path
            event("escalation" if len(attack.held) > 1 else "no escalation")
            if any(m.kind[c] == "identity" for c in attack.destroyed):
                event("identity destroyed")
            if any(c in coupling._spared(m) for h in attack.held for c in m.rows_on[h]):
                event("an immutable or offline backup, or its store, spared")
            for c in attack.held | attack.destroyed:  # every held or destroyed component has a path from k
                assert attack.path(c)[0].component == k and attack.path(c)[-1].component == c
    r = coupling.analyze(m, pairs=False)
    for a in m.assets:
        assert list(r.assets[a].common_cause) == oracle.common_cause(a), a
        for mode in THREAT_MODES:
            assert r.assets[a].threats[mode] == oracle.threat(a, mode), (a, mode)
