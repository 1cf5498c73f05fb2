"""Cross-check with SCRAM: the MEF export validates, and SCRAM's cut sets and probabilities agree with ours.

SCRAM (Debian package ``scram``) is an independent fault-tree engine. For
every sample estate and some constructed ones: SCRAM's minimal cut sets of
order 1 are exactly our common causes; every order-2 cut set we report is
one of SCRAM's and our top order-2 sets by probability are its top ones; and
its exact (BDD) top-event probability P(unrecoverable) equals
P(down before restores) x (1 - survivability), exactly when our
survivability is exact and within twice its stated 95 % Monte Carlo
half-width (about four standard errors) otherwise
(see ``docs/exchange.md``), up to SCRAM's 6 printed digits. The tests install ``scram`` with apt-get when it
is missing and are skipped only when that is impossible.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import make_inventory
from hiddenspof import coupling, exchange, inventory, model
from lxml import etree
from test_exchange import estate, random_estate

SCHEMA = Path("/usr/share/scram/input.rng")
#: SCRAM's report prints probabilities to 6 significant digits.
SCRAM_DIGITS = 1e-5
#: Monte Carlo survivability: tolerance in stated 95 % half-widths (about 4 standard errors).
MC_WIDTHS = 2.0


def _install_scram() -> str | None:
    """Install Debian's scram with apt-get (update first if the plain install fails); the path or None."""
    if shutil.which("apt-get") is None or (hasattr(os, "geteuid") and os.geteuid() != 0):
        return None
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmds in ([["apt-get", "install", "-y", "-qq", "scram"]],
                 [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "scram"]]):
        try:
            ok = all(subprocess.run(c, env=env, capture_output=True, timeout=600).returncode == 0 for c in cmds)
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok and shutil.which("scram"):
            return shutil.which("scram")
    return None


@pytest.fixture(scope="session")
def scram() -> str:
    """The scram executable, installed on first use when missing."""
    path = shutil.which("scram") or _install_scram()
    if path is None:
        pytest.skip("scram is not installed and apt-get cannot install it here (needs root and the Debian archive)")
    return path


def run_scram(scram: str, xml: Path, out: Path) -> dict[str, dict]:
    """Run SCRAM (BDD, exact probability, products up to order 2, no cut-off); per top gate its probability and products."""
    r = subprocess.run([scram, "--bdd", "--probability", "true", "--cut-off", "0", "-l", "2", str(xml), "-o", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    report = etree.parse(str(out))
    results = {}
    for sop in report.iter("sum-of-products"):
        products = [frozenset(be.get("name") for be in p.iter("basic-event")) for p in sop.iter("product")]
        results[sop.get("name")] = {"probability": float(sop.get("probability")), "products": products}
    return results


def scram_results(scram: str, m, tmp_path: Path, restores: bool = True) -> tuple[dict, dict]:
    """SCRAM's results per asset (event names mapped back to component ids), and our trees by asset."""
    text, skipped = exchange.mef_document(m, restores=restores)
    assert skipped == []
    xml = tmp_path / f"trees-{restores}.xml"
    xml.write_text(text, encoding="utf-8")
    back = {f"e-{n}": cid for cid, n in exchange.mef_names(m.kind).items()}
    trees = {t.asset: t for t in exchange.fault_trees(m, restores=restores)[0]}
    raw = run_scram(scram, xml, tmp_path / f"report-{restores}.xml")
    out = {}
    for a, t in trees.items():
        res = raw[t.top]
        out[a] = {"probability": res["probability"], "products": [frozenset(back[e] for e in p) for p in res["products"]]}
    return out, trees


def cross_check(scram: str, m, tmp_path: Path) -> int:
    """Every agreement the issue asks for, asset by asset; returns the number of assets checked."""
    ours = coupling.analyze(m)
    unrec, _ = scram_results(scram, m, tmp_path, restores=True)
    down, _ = scram_results(scram, m, tmp_path, restores=False)
    for a, ac in ours.assets.items():
        products = unrec[a]["products"]
        order1 = sorted(next(iter(p)) for p in products if len(p) == 1)
        assert order1 == list(ac.common_cause), a
        order2 = {p: math.prod(m.probability[x] for x in p) for p in products if len(p) == 2}
        pairs = {frozenset((x, y)): p for x, y, p in ac.cut_pairs}
        assert set(pairs) <= set(order2), (a, set(pairs) - set(order2))
        if ac.cut_pairs_exhaustive:
            k = len(pairs)
            if k < coupling.TOP_PAIRS:
                assert set(pairs) == set(order2), a  # every order-2 cut set found
            else:
                floor = min(pairs.values())
                assert {s for s, p in order2.items() if p > floor * (1 + 1e-12)} <= set(pairs), a
                top = sorted(order2.values(), reverse=True)[:k]
                assert sorted(pairs.values(), reverse=True) == pytest.approx(top, rel=1e-12), a
        p_top, p_down = unrec[a]["probability"], down[a]["probability"]
        if ac.survivability is None:
            assert p_top == pytest.approx(0.0, abs=1e-15), a
            continue
        expected = p_down * (1.0 - ac.survivability)
        if ac.survivability_method == "exact":
            assert p_top == pytest.approx(expected, rel=SCRAM_DIGITS, abs=1e-15), a
        else:
            # the stated error is a 95 % half-width (1.96 standard errors); allow 4 standard errors
            assert abs(p_top - expected) <= MC_WIDTHS * p_down * ac.survivability_error, (a, p_top, expected)
    return len(ours.assets)


def test_mef_of_every_sample_passes_scram_validation_and_schema(scram, sample_path, tmp_path):
    """Each sample's MEF passes `scram --validate` and SCRAM's RelaxNG schema of the MEF."""
    inv = inventory.load(sample_path)
    out = tmp_path / "estate.xml"
    assert exchange.write_mef(inv, out) == []
    r = subprocess.run([scram, "--validate", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    if SCHEMA.exists():
        schema = etree.RelaxNG(etree.parse(str(SCHEMA)))
        assert schema.validate(etree.parse(str(out))), schema.error_log


def test_scram_rejects_a_broken_tree(scram, tmp_path):
    """The validation step can fail: a gate referencing an undefined event is rejected by SCRAM."""
    m = model.build(estate())
    text, _ = exchange.mef_document(m)
    broken = tmp_path / "broken.xml"
    broken.write_text(text.replace('<basic-event name="e-site-b"/>', '<basic-event name="e-nowhere"/>', 1))
    r = subprocess.run([scram, "--validate", str(broken)], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0


def test_scram_agrees_on_every_sample_estate(scram, sample_path, tmp_path):
    """On each sample estate SCRAM's order-1/2 cut sets and top-event probability agree with our coupling analysis."""
    m = model.build(inventory.load(sample_path))
    assert cross_check(scram, m, tmp_path) == len(m.assets) > 0


def test_scram_agrees_on_constructed_estates(scram, tmp_path):
    """The same agreement on a hand-built estate and on seeded random ones (cycles, quorums, restore rounds)."""
    assert cross_check(scram, model.build(estate()), tmp_path) == 2
    rng = random.Random(2026)
    for i in range(6):
        d = tmp_path / str(i)
        d.mkdir()
        cross_check(scram, model.build(random_estate(rng, rng.randint(5, 8))), d)


def test_scram_ignores_admin_rows(scram, tmp_path):
    """With admin rows (not requirements), SCRAM's order-1 cut sets still equal our common causes, on random estates
    and on an RMM that administers every server and backup but runs none of them (no cut set contains it)."""
    rng = random.Random(4242)
    for i in range(6):
        d = tmp_path / str(i)
        d.mkdir()
        cross_check(scram, model.build(random_estate(rng, rng.randint(5, 8), admin=True)), d)
    inv = make_inventory(
        components=[{"id": "srv", "kind": "service", "failure_probability": 0.1},
                    {"id": "rmm", "kind": "credentials", "failure_probability": 0.3},
                    {"id": "site", "kind": "site", "failure_probability": 0.01}],
        dependencies=[{"component": "srv", "depends_on": "site"}, {"component": "srv", "depends_on": "rmm", "kind": "admin"},
                      {"component": "bk", "depends_on": "rmm", "kind": "ADMIN"}],
        backups=[{"id": "bk", "protects": "srv", "failure_probability": 0.05}],
    )
    m = model.build(inv)
    d = tmp_path / "rmm"
    d.mkdir()
    assert cross_check(scram, m, d) == 1
    res, _ = scram_results(scram, m, d)
    assert sorted(sorted(p) for p in res["srv"]["products"]) == [["bk", "srv"], ["site"]]


def test_scram_finds_a_shared_site_as_single_point_of_failure(scram, tmp_path):
    """Known answer: a backup stored on the asset's own site makes the site SCRAM's only order-1 cut set besides the asset."""
    inv = make_inventory(
        components=[{"id": "db", "kind": "datastore", "failure_probability": 0.1},
                    {"id": "site", "kind": "site", "failure_probability": 0.01},
                    {"id": "other", "kind": "site", "failure_probability": 0.02}],
        dependencies=[{"component": "db", "depends_on": "site"}, {"component": "bk", "depends_on": "site"}],
        backups=[{"id": "bk", "protects": "db", "restore_to": "other", "failure_probability": 0.05}],
    )
    m = model.build(inv)
    res, _ = scram_results(scram, m, tmp_path)
    products = res["db"]["products"]
    assert sorted(sorted(p) for p in products) == [["bk", "db"], ["db", "other"], ["site"]]
    # exact: P(site or (db and (bk or other))) with independent failures
    p_expected = 1 - (1 - 0.01) * (1 - 0.1 * (1 - (1 - 0.05) * (1 - 0.02)))
    assert res["db"]["probability"] == pytest.approx(p_expected, rel=SCRAM_DIGITS)


def test_scram_agrees_on_a_synthetic_estate(scram, tmp_path):
    """The same agreement on a 200-component synthetic estate (layered apps, shared infrastructure, a cycle)."""
    from hiddenspof import synth

    synth.write_estate(tmp_path / "estate", components=200, seed=7, history_days=30)
    m = model.build(inventory.load(tmp_path / "estate"))
    assert cross_check(scram, m, tmp_path) == len(m.assets) >= 10
