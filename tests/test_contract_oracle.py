"""The analysis agrees with a second, independent reading of the contract (tests/contract_oracle.py)."""

from __future__ import annotations

import json

import pytest
from contract_oracle import Contract
from hiddenspof import analysis, synth
from hiddenspof.inventory import THREAT_MODES, load


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
