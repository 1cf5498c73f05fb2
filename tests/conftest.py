"""Shared test helpers: inventories built from mappings, the sample estates."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hiddenspof.inventory import Inventory, from_mapping
from hypothesis import settings

# Repeatable runs: hypothesis draws the same examples every time (seeds are
# fixed); explore with HYPOTHESIS_PROFILE=explore to search afresh.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
NOTEBOOKS = ROOT / "notebooks"
# The sample estates shipped in data/, one per container.
SAMPLES = {
    "teaching": DATA / "teaching.yaml",
    "hybrid-enterprise": DATA / "hybrid-enterprise",
    "saas-single-cloud": DATA / "saas-single-cloud.xlsx",
}


def make_inventory(mapping: dict | None = None, **tables) -> Inventory:
    """An Inventory from a YAML-like mapping (through the YAML container's code path).

    ``name`` and ``as_of`` default to a test estate on 2026-09-30 and the
    required tables to empty lists, so a test names only what it needs.
    """
    data = {"name": "test estate", "as_of": "2026-09-30", "components": [], "dependencies": [], "backups": []}
    data.update(mapping or {})
    data.update(tables)
    return from_mapping(data, source="<test>")


@pytest.fixture(params=sorted(SAMPLES), ids=sorted(SAMPLES))
def sample_path(request) -> Path:
    """Each sample estate's path (a missing sample fails the test that asks for it)."""
    path = SAMPLES[request.param]
    assert path.exists(), f"sample estate {path} is missing"
    return path
