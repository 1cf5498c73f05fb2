"""Intake overview and data-quality gaps on hand-written inventories."""

from __future__ import annotations

from conftest import make_inventory
from hiddenspof import quality


def _inv():
    return make_inventory(
        components=[
            {"id": "app", "kind": "service", "tier": 1, "rto_hours": 4, "rpo_hours": 1},
            {"id": "db", "kind": "datastore", "tier": 1, "rto_hours": 8},
            {"id": "cache", "kind": "datastore", "tier": 2},
            {"id": "site", "kind": "site"},
            {"id": "spare-dns", "kind": "dns"},
            {"id": "store", "kind": "backup_store"},
        ],
        dependencies=[
            {"component": "app", "depends_on": "db"},
            {"component": "db", "depends_on": "site"},
            {"component": "db-bk", "depends_on": "store"},
            {"component": "store", "depends_on": "site"},
        ],
        backups=[
            {"id": "db-bk", "protects": "db"},
            {"id": "app-bk", "protects": "app"},
        ],
    )


def test_counts_by_kind_in_contract_order():
    """Counts follow the contract's kind order and leave out absent kinds."""
    counts = quality.counts_by_kind(_inv())
    assert list(counts["kind"]) == ["service", "datastore", "backup", "backup_store", "dns", "site"]
    assert dict(zip(counts["kind"], counts["components"]))["datastore"] == 2


def test_asset_table_lists_backups_per_asset():
    """Each protected asset appears once with its backups and objectives."""
    assets = quality.asset_table(_inv()).set_index("asset")
    assert list(assets.index) == ["app", "db"]
    assert assets.loc["db", "backup_ids"] == "db-bk" and assets.loc["app", "backups"] == 1


def test_gaps_find_each_kind_of_gap():
    """No backup, missing objective, backup without dependencies, orphan: each found where planted."""
    found = {(g.gap, g.component) for g in quality.gaps(_inv()).itertuples()}
    assert found == {
        ("no backup", "cache"),
        ("missing objective", "db"),
        ("backup without dependencies", "app-bk"),
        ("nothing depends on it", "spare-dns"),
    }


def test_admin_rows_are_not_restore_needs_but_do_name_a_component():
    """A backup with only an admin row still has unrecorded restore needs; a console named only by admin rows
    is not an orphan (someone recorded what it administers)."""
    import dataclasses

    import pandas as pd

    inv = _inv()
    extra = pd.DataFrame([{"component": "app-bk", "depends_on": "spare-dns", "kind": "admin"}])
    deps = pd.concat([inv.dependencies, extra.reindex(columns=inv.dependencies.columns)], ignore_index=True)
    found = {(g.gap, g.component) for g in quality.gaps(dataclasses.replace(inv, dependencies=deps)).itertuples()}
    assert ("backup without dependencies", "app-bk") in found
    assert ("nothing depends on it", "spare-dns") not in found


def test_quality_findings_have_stable_ids():
    """Each gap gives one data_quality finding with an id built from rule and component."""
    ids = sorted(f.id for f in quality.quality_findings(_inv()))
    assert ids == [
        "data_quality:backup-without-dependencies:app-bk",
        "data_quality:missing-objective:db",
        "data_quality:no-backup:cache",
        "data_quality:orphan:spare-dns",
    ]
