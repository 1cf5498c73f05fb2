"""The analysis JSON is pinned byte for byte on the samples and on synthetic estates up to 2,000 components.

The digests in ``tests/golden/analysis.sha256.json`` were written by
``tests/golden/make_golden.py`` (``make golden``). A speed-up must leave every
byte as it was; a change meant to alter results refreshes the digests
deliberately with ``make golden`` in the same commit.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

GOLDEN = Path(__file__).with_name("golden")
_spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
make_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_golden)
STORED = json.loads((GOLDEN / "analysis.sha256.json").read_text())


def test_every_case_has_a_stored_digest():
    """Every golden case (samples, synthetic sizes) has a digest to compare with."""
    assert set(make_golden.cases()) <= set(STORED)


@pytest.mark.parametrize("case", make_golden.cases())
def test_analysis_json_bytes_are_the_golden_ones(case, tmp_path):
    """The analysis JSON of the case hashes to its stored digest (same bytes as when the digests were made)."""
    text = make_golden.analysis_text(case, tmp_path)
    assert make_golden.digest(text) == STORED[case], (
        f"the analysis JSON of {case} changed; if that is intended, run `make golden` and commit the digests")
