"""The sample estates in data/: they validate, carry enough history, and hold every planted condition."""

from __future__ import annotations

import dataclasses
import datetime as dt
import filecmp
import importlib.util
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA, SAMPLES
from hiddenspof import capacity, coupling, inventory, model

# the one backup planted to have stopped running weeks before as_of
STOPPED = {"mailbox-backup"}


def _load(name: str):
    return inventory.load(SAMPLES[name])


@pytest.fixture(scope="module")
def teaching():
    """The teaching estate, loaded once."""
    return _load("teaching")


@pytest.fixture(scope="module")
def saas():
    """The single-cloud SaaS estate, loaded once."""
    return _load("saas-single-cloud")


@pytest.fixture(scope="module")
def hybrid():
    """The hybrid enterprise estate, loaded once."""
    return _load("hybrid-enterprise")


def _common_cause(m, asset: str) -> list[str]:
    """Every component whose single failure leaves ``asset`` unrecoverable (sorted)."""
    return [x for x in sorted(m.kind) if asset in m.recover([x]).unrecoverable]


def _deps(inv, component: str) -> set[str]:
    d = inv.dependencies
    return set(d.loc[d["component"] == component, "depends_on"])


def _backup(inv, bid: str) -> pd.Series:
    b = inv.backups
    return b.loc[b["id"] == bid].iloc[0]


def _component(inv, cid: str) -> pd.Series:
    c = inv.components
    return c.loc[c["id"] == cid].iloc[0]


def _runs(inv, bid: str) -> pd.DataFrame:
    r = inv.backup_runs
    return r.loc[r["backup"] == bid].sort_values("started_at")


def _tests(inv, bid: str) -> pd.DataFrame:
    t = inv.restore_tests
    return t.loc[t["backup"] == bid].sort_values("tested_at")


def _age_days(inv, stamp) -> int:
    return (inv.meta.as_of - pd.Timestamp(stamp).date()).days


# --------------------------------------------------------------------------- every sample

def test_sample_validates_without_warnings(sample_path: Path):
    """Each sample loads through inventory.load with no problems and no warnings."""
    inv = inventory.load(sample_path)
    assert inv.warnings == ()
    assert inv.meta.as_of == dt.date(2026, 9, 30)
    assert len(inv.backups) >= 4


def test_sample_has_90_days_of_history_ending_at_as_of(sample_path: Path):
    """Job history spans at least 90 days, ends within 2 days of as_of, never after it, and stays small."""
    inv = inventory.load(sample_path)
    runs = inv.backup_runs
    as_of = pd.Timestamp(inv.meta.as_of)
    assert runs["started_at"].min() <= as_of - pd.Timedelta(days=90)
    assert runs["started_at"].max() >= as_of - pd.Timedelta(days=2)
    assert runs["started_at"].max() < as_of
    assert (runs["finished_at"] >= runs["started_at"]).all()
    assert len(runs) <= 5000
    # every backup but the planted stopped one ran within its schedule (plus a day) of as_of
    last = runs.groupby("backup")["started_at"].max()
    for b in inv.backups.itertuples(index=False):
        if b.id in STOPPED:
            continue
        assert last[b.id] >= as_of - pd.Timedelta(hours=b.schedule_hours + 24), b.id


def test_sample_has_restore_tests(sample_path: Path):
    """Each sample has restore tests, with at least one pass within 90 days of as_of."""
    inv = inventory.load(sample_path)
    tests = inv.restore_tests
    assert len(tests) >= 4
    recent = tests[(tests["result"] == "pass")
                   & (tests["tested_at"] >= pd.Timestamp(inv.meta.as_of) - pd.Timedelta(days=90))]
    assert len(recent) >= 1


def test_samples_use_all_three_containers():
    """The samples come in one YAML file, one Excel workbook and one CSV folder."""
    assert SAMPLES["teaching"].suffix == ".yaml" and SAMPLES["teaching"].is_file()
    assert SAMPLES["saas-single-cloud"].suffix == ".xlsx" and SAMPLES["saas-single-cloud"].is_file()
    folder = SAMPLES["hybrid-enterprise"]
    assert (folder / "inventory.yaml").is_file() and (folder / "components.csv").is_file()


def test_builder_reproduces_the_committed_files(tmp_path: Path):
    """data/build_samples.py regenerates every committed sample file byte for byte."""
    spec = importlib.util.spec_from_file_location("build_samples", DATA / "build_samples.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    builder.write_all(tmp_path)
    assert filecmp.cmp(tmp_path / "teaching.yaml", DATA / "teaching.yaml", shallow=False)
    assert filecmp.cmp(tmp_path / "saas-single-cloud.xlsx", DATA / "saas-single-cloud.xlsx",
                       shallow=False)
    names = sorted(p.name for p in (DATA / "hybrid-enterprise").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "hybrid-enterprise").iterdir())
    _, mismatch, errors = filecmp.cmpfiles(DATA / "hybrid-enterprise",
                                           tmp_path / "hybrid-enterprise", names, shallow=False)
    assert mismatch == [] and errors == []


def test_sample_shows_a_shared_capacity_scenario(sample_path: Path):
    """Some scenario has 2+ restores, RTO verdicts, a bottleneck with utilisation and a headroom factor."""
    res = capacity.analyze(model.build(inventory.load(sample_path)))
    shown = [s for s in res.scenarios
             if len(s.restores) >= 2 and s.bottlenecks and s.headroom_factor is not None
             and all(r.meets_rto is not None for r in s.restores if r.rto_hours is not None)]
    assert shown, [s.name for s in res.scenarios]
    for s in shown:
        assert all(0 < b.utilisation <= 1 and b.saturated_hours > 0 for b in s.bottlenecks)
        # a bottleneck is crossed by at least two of the scenario's restores
        crossed = {b.component: sum(b.component in r.components for r in s.restores)
                   for b in s.bottlenecks}
        assert max(crossed.values()) >= 2, crossed


def _solo_finish(m, scenario_name: str, asset: str) -> float:
    """Hours the scenario's restore of ``asset`` takes alone (same backup and path, nothing else running)."""
    sc = next(s for s in capacity.scenarios(m) if s.name == scenario_name)
    job = next(j for j in sc.jobs if j.id == asset)
    return capacity.simulate([dataclasses.replace(job, after=())], capacity.limits(m)).makespan_hours


# --------------------------------------------------------------------------- teaching

def test_teaching_is_small_and_shows_every_concept(teaching):
    """About 15 components with one site, one account, an identity provider, a group and a cycle."""
    inv = teaching
    kinds = inv.components["kind"].value_counts()
    assert 13 <= len(inv.components) <= 19
    assert kinds["site"] == 1 and kinds["account"] == 1 and kinds["identity"] == 1
    d = inv.dependencies
    web = d[(d["component"] == "shop-web") & (d["group"] == "web")]
    assert sorted(web["depends_on"]) == ["web-1", "web-2"] and set(web["needs"]) == {1}
    assert "dns-internal" in _deps(inv, "ad-harbour") and "ad-harbour" in _deps(inv, "dns-internal")


def test_teaching_coupled_good_replica_and_untested_backups(teaching):
    """orders-db-nightly shares site and AD with orders-db; offsite is immutable and tested; files-nightly is untested."""
    inv = teaching
    assert _deps(inv, "orders-db-nightly") == {"nas-01"}
    assert {"dc-harbour", "ad-harbour"} <= _deps(inv, "nas-01") & _deps(inv, "orders-db")
    off = _backup(inv, "orders-db-offsite")
    assert off["immutable"] and off["restore_to"] == "dr-vm"
    last = _tests(inv, "orders-db-offsite").iloc[-1]
    assert last["result"] == "pass" and _age_days(inv, last["tested_at"]) <= 90
    assert _backup(inv, "files-replica")["method"] == "replica"
    assert len(_tests(inv, "files-nightly")) == 0
    assert _age_days(inv, _tests(inv, "orders-db-nightly")["tested_at"].max()) > 90
    assert _component(inv, "alerts-mail")["kind"] == "alerting"
    assert _deps(inv, "alerts-mail") == {"dc-harbour"}


def test_teaching_common_causes(teaching):
    """files-share fails with the site, AD and DNS (cycle); orders-db has no single point of failure."""
    m = model.build(teaching)
    assert _common_cause(m, "files-share") == ["ad-harbour", "dc-harbour", "dns-internal"]
    assert _common_cause(m, "orders-db") == []


def test_teaching_ransomware_shares_the_offsite_bucket(teaching):
    """With the NAS encrypted both datastores restore through bucket-offsite, which saturates and slows orders-db."""
    m = model.build(teaching)
    res = capacity.analyze(m)
    name = "Ransomware on the office network"
    sc = res.scenario(name)
    by = {r.asset: r for r in sc.restores}
    assert {a: r.backup for a, r in by.items()} == {"files-share": "files-nightly",
                                                     "orders-db": "orders-db-offsite"}
    assert all("bucket-offsite" in r.components for r in sc.restores)
    assert [b.component for b in sc.bottlenecks] == ["bucket-offsite"]
    assert 0.5 < sc.bottlenecks[0].utilisation < 1
    assert by["orders-db"].finish_hours > _solo_finish(m, name, "orders-db") + 0.05
    assert by["orders-db"].meets_rto and sc.headroom_factor < 1
    # the domain admin compromise (read through its credential_compromise mode)
    # destroys the same three components, wipes AD itself (no backup) and, through
    # the bucket key kept on the NAS, the files-nightly copies: files-share stays down
    ad = res.scenario("Domain admin compromise")
    assert ad.failed == tuple(sorted({*sc.failed, "ad-harbour", "files-nightly"}))
    assert ad.unrecoverable == ("files-share",)
    assert [r.asset for r in ad.restores] == ["orders-db"] and not ad.bottlenecks
    others = [s for s in res.scenarios if s.name not in (name, "Domain admin compromise") and s.kind != "restore_all"]
    assert others and all(len(s.restores) == 1 and not s.bottlenecks for s in others)


def test_teaching_rmm_is_a_management_plane_and_the_nas_holds_the_bucket_key(teaching):
    """The RMM administers (admin rows) but runs nothing; the domain admin reads the bucket key off the NAS."""
    m = model.build(teaching)
    r = coupling.analyze(m, pairs=False)
    assert r.blast_radius["rmm-contractor"] == 0 and m.down({"rmm-contractor"}) == {"rmm-contractor"}
    rmm = coupling.credential_compromise(m, "rmm-contractor")
    assert rmm.destroyed == {"web-1", "web-2", "orders-db", "files-share", "nas-01", "files-nightly"}
    assert m.recover(rmm.destroyed).unrecoverable == ("files-share",)  # orders-db from its immutable offsite copy
    ad = coupling.credential_compromise(m, "ad-harbour")
    assert ad.explain("files-nightly") == (
        "holding `ad-harbour` -> destroys `nas-01` (row: nas-01 on ad-harbour) -> reads `cloud-key` stored on "
        "`nas-01` (admin row: cloud-key on nas-01) -> destroys `files-nightly` (admin row: files-nightly on cloud-key)"
    )
    assert "orders-db-offsite" not in ad.destroyed and "bucket-offsite" not in ad.destroyed


# --------------------------------------------------------------------------- saas

def test_saas_admin_role_administers_the_account_and_okta_escalates(saas):
    """The prod admin role reaches every datastore (admin rows) without being needed; holding Okta takes it over."""
    m = model.build(saas)
    r = coupling.analyze(m, pairs=False)
    assert all("iam-prod-admin" not in ac.common_cause for ac in r.assets.values())
    okta = coupling.credential_compromise(m, "sso-okta")
    assert okta.held >= {"sso-okta", "iam-prod-admin"} and "sso-okta" in okta.destroyed
    assert {"orders-db-1", "billing-db", "docs-store", "backup-vault-prod"} <= okta.destroyed
    assert "orders-db-vault-copy" not in okta.destroyed and "vault-store" not in okta.destroyed
    assert "orders-db" not in m.recover(okta.destroyed).unrecoverable  # the cross-account copy


def test_saas_shape(saas):
    """40-60 components, one provider, two regions, quorum 2 of 3, load-balanced web, restore limits."""
    inv = saas
    kinds = inv.components["kind"].value_counts()
    assert 40 <= len(inv.components) <= 60
    assert kinds["provider"] == 1 and kinds["region"] == 2 and kinds["account"] == 2
    assert {"identity", "credentials", "kms", "control_plane"} <= set(kinds.index)
    d = inv.dependencies
    quorum = d[(d["component"] == "orders-db") & (d["group"] == "quorum")]
    assert len(quorum) == 3 and set(quorum["needs"]) == {2}
    web = d[(d["component"] == "web-frontend") & (d["group"] == "web-pods")]
    assert len(web) == 3 and set(web["needs"]) == {1}
    tools = inv.components[inv.components["kind"] == "recovery_tool"]
    assert tools["max_parallel_restores"].notna().sum() >= 2
    assert tools["throughput_mb_s"].notna().sum() >= 1
    assert {s.name for s in inv.meta.scenarios} >= {"Account compromise (prod)",
                                                     "Region outage eu-west-1"}


def test_saas_backups_share_account_key_and_identity(saas):
    """The prod backup vault sits in acct-prod under kms-prod; restores need the Okta-federated role."""
    inv = saas
    assert {"acct-prod", "kms-prod"} <= _deps(inv, "backup-vault-prod")
    assert {"acct-prod", "kms-prod"} <= _deps(inv, "snapshots-bucket")
    assert "sso-okta" in _deps(inv, "iam-prod-admin")
    for bid in ("billing-db-snap", "events-backup", "docs-backup", "search-snap", "eks-velero"):
        assert "iam-prod-admin" in _deps(inv, bid), bid
    assert len(inv.backups[inv.backups["protects"] == "sso-okta"]) == 0


def test_saas_common_causes(saas):
    """aws alone threatens orders-db; account and KMS key are hidden common causes of the others."""
    m = model.build(saas)
    assert _common_cause(m, "orders-db") == ["aws"]
    assert _common_cause(m, "billing-db") == ["acct-prod", "aws", "kms-prod"]
    for asset in ("events-store", "docs-store", "search-index"):
        assert {"acct-prod", "aws", "eu-west-1", "kms-prod"} <= set(_common_cause(m, asset))


def test_saas_replica_vault_copy_and_alerting(saas):
    """billing-db-replica is a replica; the vault copy is immutable and cross-account; alerts go via prod monitoring."""
    inv = saas
    rep = _backup(inv, "billing-db-replica")
    assert rep["method"] == "replica" and {"acct-prod", "kms-prod"} <= _deps(inv, rep["id"])
    vault = _backup(inv, "orders-db-vault-copy")
    assert vault["immutable"] and vault["alert_channel"] == "pagerduty"
    assert "acct-vault" in _deps(inv, "vault-store") and "acct-prod" not in _deps(inv, "vault-store")
    assert (inv.backups["immutable"]).sum() == 1
    assert {"eks-prod", "prometheus-prod"} <= _deps(inv, "alertmanager-prod")
    routed = inv.backups[inv.backups["alert_channel"] == "alertmanager-prod"]
    assert len(routed) == len(inv.backups) - 1


def test_saas_history_and_tests(saas):
    """docs-backup failed its last 6 runs; restore tests are recent, old, partial, failed or missing as documented."""
    inv = saas
    docs = _runs(inv, "docs-backup")
    assert list(docs["status"].iloc[-6:]) == ["failed"] * 6 and docs["status"].iloc[-7] == "success"
    last = {b: _tests(inv, b).iloc[-1] for b in ("orders-db-snap", "billing-db-snap",
                                                 "events-backup", "docs-backup")}
    assert last["orders-db-snap"]["result"] == "pass"
    assert _age_days(inv, last["orders-db-snap"]["tested_at"]) <= 90
    assert _age_days(inv, last["billing-db-snap"]["tested_at"]) > 180
    assert last["events-backup"]["result"] == "partial"
    assert last["docs-backup"]["result"] == "fail"
    for bid in ("search-snap", "billing-db-replica", "eks-velero"):
        assert len(_tests(inv, bid)) == 0


def test_saas_mass_deletion_saturates_the_prod_vault(saas):
    """Mass deletion restores three datastores from backup-vault-prod at once: it is the bottleneck, tier 1 still meets RTO."""
    m = model.build(saas)
    name = "Mass deletion by a maintenance script"
    sc = capacity.analyze(m).scenario(name)
    assert sc.bottlenecks[0].component == "backup-vault-prod"
    on_vault = [r.asset for r in sc.restores if "backup-vault-prod" in r.components]
    assert len(on_vault) >= 3
    orders = next(r for r in sc.restores if r.asset == "orders-db")
    assert orders.finish_hours > _solo_finish(m, name, "orders-db") + 0.1
    assert sc.misses == () and 0 < sc.headroom_factor < 1


# --------------------------------------------------------------------------- hybrid

def test_hybrid_vcenter_admins_and_the_jump_host_secret(hybrid):
    """vCenter admins administer every VM (the DCs too: holding them takes the domain); the domain admin
    reaches Azure through the secret on the domain-joined jump host; the workgroup Veeam server and tape survive."""
    m = model.build(hybrid)
    assert m.down({"vsphere-admins"}) == {"vsphere-admins"}
    vc = coupling.credential_compromise(m, "vsphere-admins")
    assert {"adds-lon1", "adds-lon2", "adds-man1", "ad-northwind", "claims-db-replica"} <= vc.destroyed
    assert [s.action for s in vc.path("ad-northwind")] == ["holds", "takes over", "takes over", "wipes"]
    ad = coupling.credential_compromise(m, "ad-northwind")
    assert {"data-warehouse", "dwh-azure-backup", "mgmt-jump"} <= ad.destroyed
    assert ad.explain("data-warehouse").endswith(
        "destroys `mgmt-jump` (row: mgmt-jump on ad-northwind) -> reads `azure-backup-sp` stored on `mgmt-jump` "
        "(admin row: azure-backup-sp on mgmt-jump) -> destroys `data-warehouse` (admin row: data-warehouse on "
        "azure-backup-sp)")
    assert not {"veeam-br", "veeam-local", "tape-weekly", "payroll-ltr", "ad-systemstate"} & ad.destroyed
    lost = m.recover(ad.destroyed).unrecoverable
    assert "data-warehouse" in lost and "ad-northwind" not in lost and "file-server" not in lost


def test_hybrid_shape(hybrid):
    """60-90 components: two data centres, a DR site, a tape vault, an Azure region, AD with a DNS cycle."""
    inv = hybrid
    assert 60 <= len(inv.components) <= 90
    sites = set(inv.components.loc[inv.components["kind"] == "site", "id"])
    assert sites == {"dc-london", "dc-manchester", "dr-reading", "ironmountain-vault"}
    assert _component(inv, "azure-uksouth")["kind"] == "region"
    assert "dns-northwind" in _deps(inv, "ad-northwind")
    assert "ad-northwind" in _deps(inv, "dns-northwind")
    needs_ad = [c for c in inv.components["id"]
                if _deps(inv, c) & {"ad-northwind", "vcenter-lon", "svc-veeam", "svc-oracle"}]
    assert len(needs_ad) >= 10
    assert _component(inv, "veeam-br")["max_parallel_restores"] == 2


def test_hybrid_tiny_successful_runs(hybrid):
    """erp-db-dump: every run is a success and moves under 1% of erp-db's data."""
    runs = _runs(hybrid, "erp-db-dump")
    data_gb = _component(hybrid, "erp-db")["data_gb"]
    assert len(runs) >= 90 and (runs["status"] == "success").all()
    assert (runs["size_gb"] < 0.01 * data_gb).all()


def test_hybrid_stopped_backup(hybrid):
    """mailbox-backup ran daily for weeks, then stopped at least 3 weeks before as_of."""
    runs = _runs(hybrid, "mailbox-backup")
    assert len(runs) >= 60
    assert _age_days(hybrid, runs["started_at"].max()) >= 21
    assert _backup(hybrid, "mailbox-backup")["schedule_hours"] == 24


def test_hybrid_size_collapse(hybrid):
    """claims-db-rman keeps reporting success after its size collapses below 10% of the earlier median."""
    runs = _runs(hybrid, "claims-db-rman")
    ok = runs[runs["status"] == "success"]
    cut = pd.Timestamp("2026-09-25")
    before, after = ok[ok["started_at"] < cut], ok[ok["started_at"] >= cut]
    assert len(after) >= 5 and (runs.loc[runs["started_at"] >= cut, "status"] == "success").all()
    assert after["size_gb"].max() < 0.1 * before["size_gb"].median()


def test_hybrid_failure_streak(hybrid):
    """file-server-veeam failed 4 runs in a row in August and recovered after."""
    st = list(_runs(hybrid, "file-server-veeam")["status"])
    streak = max(len(s) for s in "".join("F" if x == "failed" else "." for x in st).split("."))
    assert streak == 4 and st[-1] != "failed"


def test_hybrid_restore_tests(hybrid):
    """AD test is old, claims test failed, file server partial, policy DB DR drill recent."""
    inv = hybrid
    ad = _tests(inv, "ad-systemstate").iloc[-1]
    assert ad["result"] == "pass" and _age_days(inv, ad["tested_at"]) > 300
    assert _tests(inv, "claims-db-rman").iloc[-1]["result"] == "fail"
    assert _tests(inv, "file-server-veeam").iloc[-1]["result"] == "partial"
    pol = _tests(inv, "policy-db-backup").iloc[-1]
    assert pol["result"] == "pass" and pol["scope"] == "dr_drill"
    assert _age_days(inv, pol["tested_at"]) <= 30
    assert len(_tests(inv, "mailbox-backup")) == 0


def test_hybrid_rto_inversions(hybrid):
    """policy-db, claims-db and erp-db depend directly on AD whose RTO is longer than theirs."""
    ad_rto = _component(hybrid, "ad-northwind")["rto_hours"]
    for asset in ("policy-db", "claims-db", "erp-db"):
        assert "ad-northwind" in _deps(hybrid, asset)
        assert _component(hybrid, asset)["rto_hours"] < ad_rto, asset


def test_hybrid_tape_offline_but_keyed_in_london(hybrid):
    """The offline tape restores at the DR site but needs the London HSM: London is still a common cause."""
    inv = hybrid
    tape = _backup(inv, "tape-weekly")
    assert tape["method"] == "tape" and tape["offline"] and tape["restore_to"] == "esx-dr"
    assert {"tape-vault", "hsm-lon"} <= _deps(inv, "tape-weekly")
    assert _deps(inv, "tape-vault") == {"ironmountain-vault"}
    assert "dc-london" in _deps(inv, "hsm-lon")
    m = model.build(inv)
    assert _common_cause(m, "file-server") == ["dc-london", "net-london"]
    assert _common_cause(m, "ad-northwind") == [] and _common_cause(m, "policy-db") == []
    assert "dc-london" in _common_cause(m, "claims-db")
    assert _backup(inv, "claims-db-replica")["method"] == "replica"


def test_hybrid_restore_order_ad_first(hybrid):
    """In the ransomware scenario AD is restored in the first wave, the AD-dependent restores after it."""
    m = model.build(hybrid)
    sc = next(s for s in hybrid.meta.scenarios if s.name == "Ransomware on the domain")
    rec = m.recover(sc.fail)
    assert rec.unrecoverable == ()
    waves = [{r.asset for r in w} for w in rec.waves]
    assert "ad-northwind" in waves[0]
    later = set().union(*waves[1:])
    assert {"claims-db", "erp-db", "mailbox-db"} <= later


def test_hybrid_ransomware_misses_tier1_rto_only_when_restores_share(hybrid):
    """In the ransomware scenario a tier-1 restore that meets its RTO alone misses it on the shared Veeam server."""
    m = model.build(hybrid)
    res = capacity.analyze(m)
    name = "Ransomware on the domain"
    sc = res.scenario(name)
    late = [r for r in sc.misses if r.tier == 1]
    assert late, [(r.asset, r.finish_hours) for r in sc.restores]
    for r in late:
        assert _solo_finish(m, name, r.asset) <= r.rto_hours, r.asset
        assert res.restore_hours[r.asset]["routine"] <= r.rto_hours, r.asset
        assert "veeam-br" in r.components
    assert "veeam-br" in {b.component for b in sc.bottlenecks}
    assert sc.headroom_factor is not None and sc.headroom_factor > 1
    # more shared capacity (the headroom factor) brings every tier-1 restore within its RTO
    scaled = capacity.run_scenario(m, next(s for s in capacity.scenarios(m) if s.name == name),
                                   scale=sc.headroom_factor, with_headroom=False)
    assert all(r.meets_rto for r in scaled.restores if r.tier == 1)
    found = {f.id: f for f in res.findings}
    miss = found[f"capacity:rto-miss:{name}"]
    assert miss.severity == "high" and {r.asset for r in late} <= set(miss.assets)
    assert not [i for i in found if i.startswith("capacity:routine-rto-miss:")]
