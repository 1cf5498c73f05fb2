"""Tests of hiddenspof.synth: synthetic estates validate, are deterministic and hold the requested mix."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hiddenspof import inventory, synth
from hiddenspof.errors import UsageError

N = 600


@pytest.fixture(scope="module")
def estate_dir(tmp_path_factory) -> Path:
    """A written estate of N components with a full year of history."""
    out = tmp_path_factory.mktemp("estate")
    synth.write_estate(out, N, seed=7)
    return out


@pytest.fixture(scope="module")
def inv(estate_dir) -> inventory.Inventory:
    """The written estate, loaded through the real loader."""
    return inventory.load(estate_dir)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _graph(inv: inventory.Inventory) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(inv.components["id"])
    g.add_edges_from(zip(inv.dependencies["component"], inv.dependencies["depends_on"]))
    return g


def test_output_validates_cleanly(inv):
    """The written folder loads with the real loader, without errors and without warnings."""
    assert inv.warnings == ()
    assert len(inv.backup_runs) > 0 and len(inv.restore_tests) > 0
    assert inv.meta.as_of == synth.AS_OF
    assert len(inv.meta.scenarios) >= 3


def test_same_seed_gives_identical_bytes(tmp_path, estate_dir):
    """Writing again with the same seed reproduces every file byte for byte."""
    synth.write_estate(tmp_path, N, seed=7)
    assert _files(tmp_path) == _files(estate_dir)


def test_identical_across_interpreter_hash_seeds(tmp_path):
    """Output does not depend on set or hash order: two interpreters with different PYTHONHASHSEED agree."""
    code = "import sys; from hiddenspof import synth; synth.write_estate(sys.argv[1], 300, 4, history_days=20)"
    for h in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=h)
        subprocess.run([sys.executable, "-c", code, str(tmp_path / h)], check=True, env=env)
    assert _files(tmp_path / "1") == _files(tmp_path / "2")


def test_other_seed_gives_other_estate(tmp_path, estate_dir):
    """Another seed changes the structure and the history."""
    synth.write_estate(tmp_path, N, seed=8)
    a, b = _files(tmp_path), _files(estate_dir)
    assert a.keys() == b.keys()
    for name in ("components.csv", "dependencies.csv", "backups.csv", "backup_runs.csv"):
        assert a[name] != b[name], name


@pytest.mark.parametrize("n", [synth.MIN_COMPONENTS, 1_000, 3_000])
def test_size_is_roughly_n(n):
    """The estate has n components or slightly more (the last app is not cut short)."""
    est = synth.generate_estate(n, seed=1, history_days=0)
    count = len(est.tables["components"])
    assert n <= count <= n + 25
    assert est.tables["components"]["id"].is_unique


def test_every_kind_is_present(inv):
    """Every component kind of the contract occurs."""
    assert set(inv.components["kind"]) == set(inventory.KINDS)


def test_groups_include_quorums_and_pairs(inv):
    """Redundancy groups exist with needs 1 (pairs, multi-site) and needs 2 of 3 (quorums)."""
    grouped = inv.dependencies.dropna(subset=["group"])
    sizes = grouped.groupby(["component", "group"]).agg(size=("depends_on", "size"), needs=("needs", "first"))
    assert ((sizes["needs"] == 2) & (sizes["size"] == 3)).any()
    assert ((sizes["needs"] == 1) & (sizes["size"] >= 2)).any()


def test_cycles_are_present(inv):
    """The dependency graph has the identity/DNS cycle and at least one application cycle."""
    cyclic = [c for c in nx.strongly_connected_components(_graph(inv)) if len(c) > 1]
    assert any({"idp-onprem-ad", "dns-corp"} <= c for c in cyclic)
    assert any(all(inv.components.set_index("id").loc[sorted(c), "kind"] == "service") for c in cyclic)


def test_about_a_quarter_protected_by_one_to_three_backups(inv):
    """Around a quarter of the non-backup components are assets, each with 1 to 3 backups."""
    per_asset = inv.backups.groupby("protects").size()
    others = (inv.components["kind"] != "backup").sum()
    assert 0.15 <= len(per_asset) / others <= 0.4
    assert per_asset.min() >= 1 and per_asset.max() <= 3
    assert (per_asset > 1).any()


def _account_of(g: nx.DiGraph, node: str, kind: dict[str, str]) -> set[str]:
    """The accounts a component itself lives in: direct, via its credentials or its own cluster nodes."""
    own = [node] + [x for x in g.successors(node) if kind[x] == "credentials" or x.startswith(node + "-n")]
    return {a for x in own for a in g.successors(x) if kind[a] == "account"}


def test_each_coupling_style_has_its_properties(inv):
    """Every coupling style occurs, and each backup has the dependencies its style claims."""
    g = _graph(inv)
    kind = dict(zip(inv.components["id"], inv.components["kind"]))
    providers = {c for c, k in kind.items() if k == "provider"}
    styles = inv.backups.set_index("id")
    assert set(styles["notes"]) == set(synth.COUPLING_STYLES)
    for bid, row in styles.iterrows():
        direct = set(g.successors(bid))
        stores = sorted(x for x in direct if kind[x] == "backup_store")
        asset_accts = _account_of(g, row["protects"], kind)
        style = row["notes"]
        if style == "offline":
            assert row["offline"] and row["method"] == "tape"
        elif style == "immutable":
            assert row["immutable"] and not row["offline"]
        elif style == "replica":
            assert row["method"] == "replica" and not stores
        else:
            assert not row["offline"] and not row["immutable"]
            (store,) = stores
            store_accts = _account_of(g, store, kind)
            if kind[row["protects"]] not in ("service", "datastore"):
                continue  # identity/DNS/tools are not in an account; their styles are checked above
            if style == "same_account":
                assert store_accts and store_accts <= asset_accts, bid
            elif style == "other_account":
                assert store_accts and not store_accts & asset_accts, bid
            else:  # other_provider
                # home provider = the provider of the account (identity federation links them all)
                asset_prov = {p for a in asset_accts for p in g.successors(a) if p in providers}
                store_prov = {p for a in store_accts for p in g.successors(a) if p in providers}
                assert store_prov and not store_prov & asset_prov, bid
    assert styles["restore_to"].notna().any()
    assert (styles["restore_to"] != styles["protects"]).all()


def test_capacity_limits_on_tools_and_teams(inv):
    """Restore tools carry throughput and parallel limits; teams carry parallel limits."""
    c = inv.components
    tools = c[c["kind"] == "recovery_tool"]
    teams = c[c["kind"] == "team"]
    assert tools["throughput_mb_s"].notna().all() and tools["max_parallel_restores"].notna().all()
    assert teams["max_parallel_restores"].notna().all()


def test_history_spans_a_year_ending_before_as_of(inv):
    """Daily runs cover the 365 days before as_of and none is later than as_of."""
    runs = inv.backup_runs
    as_of = pd.Timestamp(synth.AS_OF)
    assert runs["started_at"].max() < as_of
    assert runs["started_at"].min() >= as_of - pd.Timedelta(days=366)
    daily = inv.backups.loc[inv.backups["schedule_hours"] == 24, "id"]
    counts = runs[runs["backup"].isin(daily)].groupby("backup").size()
    assert counts.max() == synth.DEFAULT_HISTORY_DAYS
    assert set(runs["status"]) == {"success", "warning", "failed"}


def test_history_holds_the_anomalies(inv):
    """Failure streaks, tiny successes, size collapses, gaps and duration spikes all occur."""
    runs = inv.backup_runs.sort_values(["backup", "started_at"], kind="stable")
    failed = (runs["status"] == "failed").astype(int)
    run_id = (failed.diff() != 0).cumsum()
    streaks = failed.groupby([runs["backup"], run_id]).sum()
    assert streaks.max() >= 3, "a failure streak"
    ok = runs[runs["status"] != "failed"]
    assert ((ok["size_gb"] < 0.01) & (ok["status"] == "success")).any(), "a tiny successful run"
    median = ok.groupby("backup")["size_gb"].transform("median")
    first = ok.groupby("backup")["size_gb"].transform("first")
    assert ((ok["size_gb"] < 0.25 * first) & (median > 0.01) & (ok["size_gb"] > 0.01)).any(), "a size collapse"
    gaps = runs.groupby("backup")["started_at"].diff()
    daily = runs[runs["backup"].isin(inv.backups.loc[inv.backups["schedule_hours"] == 24, "id"])]
    stopped = daily.groupby("backup")["started_at"].max() < pd.Timestamp(synth.AS_OF) - pd.Timedelta(days=8)
    assert (gaps > pd.Timedelta(days=8)).any() or stopped.any(), "a gap in the history"
    dur = (ok["finished_at"] - ok["started_at"]).dt.total_seconds()
    ratio = dur / dur.groupby(ok["backup"]).transform("median")
    assert (ratio > 5).any(), "a duration spike"
    assert len(set(inv.backups["id"]) - set(runs["backup"])) >= 1, "a backup with no history"


def test_restore_tests_vary(inv):
    """Restore tests have every result and scope, and some are older than a year."""
    t = inv.restore_tests
    assert set(t["result"]) == {"pass", "partial", "fail"}
    assert set(t["scope"]) == {"file", "full", "dr_drill"}
    assert (t["tested_at"] < pd.Timestamp(synth.AS_OF) - pd.Timedelta(days=365)).any()
    assert (t["tested_at"] <= pd.Timestamp(synth.AS_OF)).all()


def test_history_days_is_a_parameter():
    """history_days sets the run count per daily backup; 0 writes no runs."""
    est = synth.generate_estate(300, seed=2, history_days=30)
    runs = est.tables["backup_runs"]
    assert runs.groupby("backup", observed=True).size().max() == 30
    assert len(synth.generate_estate(300, seed=2, history_days=0).tables["backup_runs"]) == 0


def test_as_of_moves_the_history():
    """A different as_of moves every run and the metadata; the clock plays no part."""
    day = dt.date(2025, 1, 31)
    est = synth.generate_estate(300, seed=2, history_days=10, as_of=day)
    assert est.meta["as_of"] == "2025-01-31"
    assert est.tables["backup_runs"]["started_at"].max() < np.datetime64("2025-01-31")


@pytest.mark.parametrize("kwargs, match", [
    ({"components": 10}, r"components must be an integer >= 200 \(got 10\)"),
    ({"components": "500"}, r"components must be an integer >= 200 \(got '500'\)"),
    ({"components": 500, "history_days": -1}, r"history_days must be an integer >= 0 \(got -1\)"),
    ({"components": 500, "seed": 1.5}, r"seed must be an integer \(got 1.5\)"),
])
def test_bad_arguments_raise_usage_error(kwargs, match):
    """Bad arguments raise UsageError naming the argument, the value and what is expected."""
    with pytest.raises(UsageError, match=match):
        synth.generate_estate(**kwargs)


def test_out_dir_that_is_a_file_is_refused(tmp_path):
    """Writing into a path that is a file raises UsageError instead of a traceback."""
    target = tmp_path / "x"
    target.write_text("")
    with pytest.raises(UsageError, match="is not a folder"):
        synth.write_estate(target, 300, history_days=1)


# -- the health knob and fleets ------------------------------------------------------------------


def test_health_knob_is_deterministic_across_hash_seeds(tmp_path):
    """A health level is as repeatable as the default estate: same bytes in two interpreters."""
    code = ("import sys; from hiddenspof import synth; "
            "synth.write_estate(sys.argv[1], 300, 4, history_days=20, health=0.3)")
    for h in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=h)
        subprocess.run([sys.executable, "-c", code, str(tmp_path / h)], check=True, env=env)
    assert _files(tmp_path / "1") == _files(tmp_path / "2")
    assert "health 0.30" in (tmp_path / "1" / "inventory.yaml").read_text()


@pytest.mark.parametrize("seed", [1, 2])
def test_healthier_estates_are_better_separated_verified_and_less_risky(seed, tmp_path):
    """Health 0.9 against 0.1 (same seed): more separated and verified backups, fewer unrecoverable assets."""
    from hiddenspof import analysis, fleet

    def measure(health):
        folder = tmp_path / f"h{health}"
        synth.write_estate(folder, 400, seed, history_days=30, health=health)
        inv = inventory.load(folder)
        b = inv.backups
        separated = b["notes"].isin(["other_provider", "offline", "immutable"]).mean()
        verified = b["verification"].isin(["restore_test", "dr_drill"]).mean()
        immutable = b["immutable"].astype(bool).mean()
        entry = fleet.environment_entry(analysis.analyze(inv))
        return separated, verified, immutable, entry["risk_points"], entry["unrecoverable_assets"], entry["assets"]

    fragile, healthy = measure(0.1), measure(0.9)
    assert healthy[0] > fragile[0] + 0.2
    assert healthy[1] > fragile[1] + 0.2
    assert healthy[2] > fragile[2]
    assert healthy[3] < 0.6 * fragile[3]
    assert healthy[4] < healthy[5]  # not every asset unrecoverable
    assert fragile[4] / fragile[5] > healthy[4] / healthy[5]


def test_fleet_spans_healthy_to_fragile(tmp_path):
    levels = synth.fleet_healths(12)
    assert min(levels) == 0.05 and max(levels) == 0.95 and len(set(levels)) == 12
    assert levels == synth.fleet_healths(12) and levels != sorted(levels)
    folders = synth.write_fleet(tmp_path, 3, 300, first_seed=9, history_days=5)
    assert [f.name for f in folders] == ["seed-9", "seed-10", "seed-11"]
    names = [inventory.load(f).meta.name for f in folders]
    assert all(f"seed {s}," in n for s, n in zip((9, 10, 11), names))
    assert [n.rsplit("health ", 1)[1].rstrip(")") for n in names] == [f"{h:.2f}" for h in synth.fleet_healths(3)]


@pytest.mark.parametrize("health", [-0.1, 1.5, "0.5", True])
def test_bad_health_is_refused(health):
    with pytest.raises(UsageError, match=r"health must be a number from 0 \(fragile\) to 1 \(healthy\)"):
        synth.generate_estate(300, health=health)


def test_cli_synth_fleet_and_health(tmp_path, capsys):
    """`hiddenspof synth --fleet K` writes K estates; --health with --fleet, or out of range, is a usage error."""
    from hiddenspof.cli import main

    assert main(["synth", str(tmp_path / "f"), "--components", "200", "--fleet", "2", "--seed", "3"]) == 0
    assert sorted(p.name for p in (tmp_path / "f").iterdir()) == ["seed-3", "seed-4"]
    assert main(["synth", str(tmp_path / "g"), "--components", "200", "--fleet", "2", "--health", "0.5"]) == 2
    assert main(["synth", str(tmp_path / "h"), "--components", "200", "--health", "1.5"]) == 2
    assert "health must be a number from 0" in capsys.readouterr().err
    assert not (tmp_path / "h").exists()


def _unrecoverable_share(folder) -> float:
    """Share of protected assets that some threat mode leaves unrecoverable."""
    from hiddenspof import analysis

    assets = analysis.analyze(inventory.load(folder))["assets"]
    bad = [a for a in assets if "unrecoverable" in a["threats"].values()]
    return len(bad) / len(assets)


@pytest.mark.parametrize("seed", [1, 7])
def test_healthy_end_is_mostly_green_and_fragile_end_mostly_red(seed, tmp_path):
    """`synth --health 0.95`: at most a third of the assets unrecoverable under some threat; 0.05: at least two thirds.

    A healthy estate keeps a separate backup identity, a backup server and DR cluster outside the
    production domain, emergency cloud access and separated copies, so one stolen directory
    login or one lost identity no longer takes every recovery path with it.
    """
    synth.write_estate(tmp_path / "healthy", 400, seed, history_days=14, health=0.95)
    synth.write_estate(tmp_path / "fragile", 400, seed, history_days=14, health=0.05)
    assert _unrecoverable_share(tmp_path / "healthy") <= 1 / 3
    assert _unrecoverable_share(tmp_path / "fragile") >= 2 / 3
