"""Coupling analysis: known answers per rule, the reference oracle, and Monte Carlo cross-checks."""

from __future__ import annotations

import math

import pytest
from hiddenspof import advice, coupling, model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import Reference
from test_model import A, B, C, D, build, inventory_of


def threats(m, asset):
    """The threat verdicts of one asset."""
    return coupling.analyze(m, pairs=False).assets[asset].threats


# -- common cause -------------------------------------------------------------------------------------


def test_common_cause_shared_site_and_self():
    """A site under both production and the backup store is a common cause; an independent site is not."""
    m = build(
        [C("db", "datastore", tier=1), C("s1", "site"), C("s2", "site"), C("st", "backup_store")],
        [D("db", "s1"), D("bk", "st"), D("st", "s1")],
        [B("bk", "db", restore_to="s2")],
    )
    r = coupling.analyze(m)
    # bk and st do not take db down: they are not common causes
    assert r.assets["db"].common_cause == ("s1",)
    assert r.blast_radius == {"bk": 0, "db": 0, "s1": 1, "s2": 0, "st": 0}
    (f,) = [f for f in advice.findings_of(m, r) if f.id == "coupling:domain:s1"]
    assert f.severity == "critical"
    assert "production: db -> s1" in f.evidence and "bk -> st -> s1" in f.evidence


def test_common_cause_includes_asset_when_recovery_needs_it():
    """A backup whose restore needs the asset makes the asset its own common cause."""
    m = build([C("db", "datastore")], [D("bk", "db")], [B("bk", "db")])
    assert coupling.analyze(m).assets["db"].common_cause == ("db",)


def test_restore_in_place_makes_own_dependencies_common_causes():
    """With an empty restore_to the asset's own dependencies are on the recovery path."""
    m = build([C("db", "datastore"), C("net", "network")], [D("db", "net")], [B("bk", "db")])
    assert coupling.analyze(m).assets["db"].common_cause == ("net",)


def test_redundant_group_is_not_a_common_cause_but_a_cut_pair():
    """A 1-of-2 group member alone is no common cause; the two together form an order-2 cut set."""
    m = build(
        [C("db", "datastore"), C("n1", "network"), C("n2", "network")],
        [D("db", "n1", "g"), D("db", "n2", "g")],
        [B("bk", "db")],
    )
    a = coupling.analyze(m).assets["db"]
    assert a.common_cause == ()
    assert {(x, y) for x, y, _ in a.cut_pairs} == {("bk", "db"), ("n1", "n2")}
    assert a.cut_pairs == tuple(sorted(a.cut_pairs, key=lambda t: (-t[2], t[0], t[1])))


def test_cut_pairs_ranked_by_probability_and_capped():
    """Cut pairs are sorted by p(x) p(y), most likely first, and at most ten are kept."""
    comps = [C("db", "datastore", failure_probability=0.1)]
    deps = []
    for i in range(6):
        comps.append(C(f"n{i}", "network", failure_probability=0.01 * (i + 1)))
        deps.append(D("db", f"n{i}", "g", 5))  # 5 of 6: any two lost take db down
    m = build(comps, deps, [B("bk", "db")])
    a = coupling.analyze(m).assets["db"]
    ps = [p for _, _, p in a.cut_pairs]
    assert len(a.cut_pairs) == 10 and ps == sorted(ps, reverse=True)
    assert a.cut_pairs[0][:2] == ("bk", "db") and a.cut_pairs[1][:2] == ("n4", "n5")


# -- threat modes ---------------------------------------------------------------------------------------


def _estate():
    """Two sites, a region, provider, account, identity and control plane; db backed up to site b."""
    comps = [
        C("db", "datastore", tier=2),
        C("site-a", "site"),
        C("site-b", "site"),
        C("reg", "region"),
        C("cloud", "provider"),
        C("acct", "account"),
        C("idp", "identity"),
        C("cp", "control_plane"),
        C("store", "backup_store"),
    ]
    deps = [
        D("db", "site-a"),
        D("site-a", "reg"),
        D("site-b", "reg"),
        D("reg", "cloud"),
        D("db", "acct"),
        D("bk", "store"),
        D("store", "site-b"),
        D("bk", "idp"),
        D("db", "cp"),
    ]
    return comps, deps


def test_single_failure_threat_modes():
    """Site loss is survived via the other site; region, provider and identity outage are not; account loss is survived."""
    comps, deps = _estate()
    m = build(comps, deps, [B("bk", "db", restore_to="site-b")])
    t = threats(m, "db")
    assert t["site_loss"] == "recoverable"
    assert t["region_loss"] == "unrecoverable"
    assert t["provider_loss"] == "unrecoverable"
    assert t["account_loss"] == "recoverable"
    assert t["control_plane_outage"] == "recoverable"
    assert t["identity_outage"] == "recoverable"  # idp down does not take db down


def test_not_applicable_when_class_absent():
    """Modes whose class has no component are not_applicable; logical corruption always applies."""
    m = build([C("db", "datastore")], [], [B("bk", "db")])
    t = threats(m, "db")
    assert t["site_loss"] == "not_applicable" and t["credential_compromise"] == "not_applicable"
    assert t["logical_corruption"] == "recoverable"


def test_credential_compromise_destroys_holders_and_spares_immutable():
    """Stolen credentials destroy db and a mutable backup with rows on them; an immutable backup survives."""
    comps = [C("db", "datastore", tier=1), C("cred", "credentials"), C("st1", "backup_store"), C("st2", "backup_store")]
    deps = [D("db", "cred"), D("bk1", "cred"), D("bk1", "st1"), D("st2", "cred")]
    mutable = build(comps, deps, [B("bk1", "db")])
    assert coupling.credential_compromise_destroys(mutable, "cred") == {"db", "bk1", "st2"}
    assert threats(mutable, "db")["credential_compromise"] == "unrecoverable"
    both = build(comps, [*deps, D("bk2", "st2")], [B("bk1", "db"), B("bk2", "db", immutable=True)])
    # st2 has a row on cred but an immutable backup is stored on it: spared
    assert coupling.credential_compromise_destroys(both, "cred") == {"db", "bk1"}
    assert threats(both, "db")["credential_compromise"] == "recoverable"
    r = coupling.analyze(mutable)
    (f,) = [f for f in advice.findings_of(mutable, r) if f.id == "coupling:threat:credential_compromise:cred"]
    assert f.severity == "critical" and "cred" in f.components and f.assets == ("db",)


def test_credential_compromise_offline_backup_and_no_chain():
    """An offline backup survives; a service depending on a destroyed one is merely down, not destroyed."""
    comps = [C("db", "datastore"), C("cred", "credentials"), C("app", "service")]
    deps = [D("db", "cred"), D("tape", "cred"), D("app", "db")]
    m = build(comps, deps, [B("tape", "db", offline=True)])
    assert coupling.credential_compromise_destroys(m, "cred") == {"db"}
    assert threats(m, "db")["credential_compromise"] == "recoverable"


def _rmm_estate(password_on_rmm=False, immutable_cloud=False):
    """Two servers and their local backups administered by an RMM (admin rows), and a cloud copy of srv1."""
    comps = [
        C("srv1", "service", tier=1), C("srv2", "service", tier=2), C("rmm", "credentials"),
        C("local", "backup_store"), C("cloud", "backup_store"), C("cloud-key", "credentials"),
    ]
    deps = [
        A("srv1", "rmm"), A("srv2", "rmm"), A("bk1", "rmm"), A("bk2", "rmm"), A("local", "rmm"),
        D("bk1", "local"), D("bk2", "local"), D("cloud-bk1", "cloud"), D("cloud-bk1", "cloud-key"),
        D("cloud", "cloud-key"),
    ]
    if password_on_rmm:
        deps.append(D("cloud-key", "rmm"))  # the cloud copy's password is kept on the RMM
    backups = [B("bk1", "srv1"), B("bk2", "srv2"), B("cloud-bk1", "srv1", immutable=immutable_cloud)]
    return build(comps, deps, backups)


def test_rmm_with_admin_rows_is_no_common_cause_but_its_compromise_destroys():
    """Admin rows: an RMM outage leaves everything up; holding the RMM destroys the servers and local copies."""
    m = _rmm_estate()
    r = coupling.analyze(m)
    assert all("rmm" not in ac.common_cause for ac in r.assets.values())
    assert m.recover({"rmm"}).final_down == {"rmm"}
    assert r.assets["srv1"].threats["identity_outage"] == "recoverable"
    attack = coupling.credential_compromise(m, "rmm")
    assert attack.held == {"rmm"}
    assert attack.destroyed == {"srv1", "srv2", "bk1", "bk2", "local"}
    assert r.assets["srv2"].threats["credential_compromise"] == "unrecoverable"
    assert r.assets["srv1"].threats["credential_compromise"] == "recoverable"  # the cloud copy is out of reach


def test_password_kept_on_the_rmm_loses_the_cloud_copy_unless_immutable():
    """Escalation: the cloud key stored on the RMM is held too, so the cloud copy dies; an immutable one survives."""
    m = _rmm_estate(password_on_rmm=True)
    attack = coupling.credential_compromise(m, "rmm")
    assert attack.held == {"rmm", "cloud-key"}
    assert attack.destroyed == {"srv1", "srv2", "bk1", "bk2", "local", "cloud", "cloud-bk1"}
    assert threats(m, "srv1")["credential_compromise"] == "unrecoverable"
    assert attack.explain("cloud-bk1") == (
        "holding `rmm` -> resets `cloud-key` (row: cloud-key on rmm) -> destroys `cloud-bk1` (row: cloud-bk1 on cloud-key)"
    )
    safe = _rmm_estate(password_on_rmm=True, immutable_cloud=True)
    attack = coupling.credential_compromise(safe, "rmm")
    assert "cloud-bk1" not in attack.destroyed and "cloud" not in attack.destroyed  # immutable copy and its store
    assert threats(safe, "srv1")["credential_compromise"] == "recoverable"


def _domain_estate():
    """The issue's chain: domain admin -> backup service account -> Veeam server -> keys kept on it -> S3 copy."""
    comps = [
        C("files", "service", tier=1), C("ad", "identity"), C("domain-admin", "credentials"),
        C("veeam-svc", "credentials"), C("veeam-server", "recovery_tool"), C("local-repo", "backup_store"),
        C("s3-keys", "credentials"), C("colo-s3", "backup_store"),
    ]
    deps = [
        D("files", "ad"), A("ad", "domain-admin"), D("veeam-svc", "domain-admin"),
        A("veeam-server", "veeam-svc"), A("local-repo", "veeam-svc"), D("s3-keys", "veeam-server"),
        D("colo-s3", "s3-keys"), D("bk-local", "local-repo"), D("bk-local", "veeam-server"),
        D("bk-s3", "colo-s3"), D("bk-s3", "veeam-server"),
    ]
    return build(comps, deps, [B("bk-local", "files"), B("bk-s3", "files")])


def test_domain_admin_escalates_to_the_off_site_copy_and_wipes_the_directory():
    """Holding the domain admin: AD is wiped, the backup account reset, the keys read off the Veeam server."""
    m = _domain_estate()
    attack = coupling.credential_compromise(m, "domain-admin")
    assert attack.held == {"domain-admin", "ad", "veeam-svc", "s3-keys"}
    assert attack.destroyed == {"ad", "files", "veeam-server", "local-repo", "colo-s3"}  # files: a row on held ad
    assert attack.explain("colo-s3") == (
        "holding `domain-admin` -> resets `veeam-svc` (row: veeam-svc on domain-admin) -> destroys "
        "`veeam-server` (admin row: veeam-server on veeam-svc) -> reads `s3-keys` stored on `veeam-server` "
        "(row: s3-keys on veeam-server) -> destroys `colo-s3` (row: colo-s3 on s3-keys)"
    )
    assert attack.explain("ad").endswith("wipes `ad` (a held identity: the directory must be rebuilt)")
    assert threats(m, "files")["credential_compromise"] == "unrecoverable"
    # the directory itself: holding ad (an identity) destroys it
    assert "ad" in coupling.credential_compromise(m, "ad").destroyed
    (f,) = [f for f in advice.findings_of(m, coupling.analyze(m)) if f.id.startswith("coupling:threat:credential_compromise:")]
    assert f.assets == ("files",) and "domain-admin" in f.components
    assert "reads `s3-keys` stored on `veeam-server`" in f.evidence


def test_escalation_through_a_destroyed_component_only():
    """A credential with a row on a destroyed (not held) component is held; one on a spared backup is not."""
    m = build(
        [C("k", "credentials"), C("srv", "service"), C("pw", "credentials"), C("db", "datastore"),
         C("pw2", "credentials"), C("st", "backup_store"), C("db2", "datastore")],
        [D("srv", "k"), D("pw", "srv"), D("db", "pw"), D("tape", "k"), D("pw2", "tape"), D("db2", "pw2"),
         D("tape", "st"), D("st", "k")],
        [B("tape", "db", offline=True)],
    )
    attack = coupling.credential_compromise(m, "k")
    assert attack.held == {"k", "pw"} and attack.destroyed == {"srv", "db"}
    assert [s.action for s in attack.path("db")] == ["holds", "destroys", "reads", "destroys"]
    assert attack.path("db2") == ()


def test_only_plain_or_grouped_rows_of_a_protected_backup_spare_a_store():
    """A store an immutable backup is kept on is spared; one the backup merely has an admin row on is not."""
    m = build(
        [C("db", "datastore"), C("k", "credentials"), C("vault", "backup_store"), C("console", "backup_store")],
        [D("bk", "vault"), A("bk", "console"), A("vault", "k"), A("console", "k"), D("db", "k")],
        [B("bk", "db", immutable=True)],
    )
    assert coupling.credential_compromise(m, "k").destroyed == {"db", "console"}
    assert threats(m, "db")["credential_compromise"] == "recoverable"


@pytest.mark.parametrize("sample", ["teaching", "hybrid-enterprise"])
def test_admin_rows_change_nothing_but_credential_compromise(sample):
    """On a sample estate with its admin rows removed, every answer but credential compromise is the same:
    common causes, cut pairs, survivability, blast radius, cycles, the other threat verdicts, capacity."""
    import dataclasses

    from conftest import SAMPLES
    from hiddenspof import capacity, inventory

    inv = inventory.load(SAMPLES[sample])
    admin = inv.dependencies["kind"] == "admin"
    assert admin.any(), "the sample shows admin rows"
    bare = dataclasses.replace(inv, dependencies=inv.dependencies[~admin].reset_index(drop=True))
    full, plain = model.build(inv), model.build(bare)
    r, q = coupling.analyze(full), coupling.analyze(plain)
    assert r.blast_radius == q.blast_radius and r.cycles == q.cycles and r.rto_inversions == q.rto_inversions
    for a, ac in r.assets.items():
        other = q.assets[a]
        assert (ac.common_cause, ac.cut_pairs, ac.survivability) == (other.common_cause, other.cut_pairs, other.survivability)
        assert {k: v for k, v in ac.threats.items() if k != "credential_compromise"} == \
            {k: v for k, v in other.threats.items() if k != "credential_compromise"}
    modes = {s.name: s.mode for s in inv.meta.scenarios}
    cap_full, cap_plain = capacity.analyze(full), capacity.analyze(plain)
    for sc in cap_full.scenarios:
        if modes.get(sc.name) != "credential_compromise":
            twin = cap_plain.scenario(sc.name)
            assert (sc.failed, sc.unrecoverable, sc.makespan_hours) == (twin.failed, twin.unrecoverable, twin.makespan_hours)


def test_declared_compromise_of_several_holders_is_the_union():
    """A scenario stealing two credentials destroys the union of their closures; a listed service is held, not destroyed."""
    m = _rmm_estate(password_on_rmm=False)
    both = coupling.scenario_failures(m, ["rmm", "cloud-key"], "credential_compromise")
    assert both == coupling.credential_compromise(m, "rmm").destroyed | coupling.credential_compromise(m, "cloud-key").destroyed
    assert both == coupling.credential_compromise(m, ["rmm", "cloud-key"]).destroyed
    assert coupling.scenario_failures(m, ["srv1"], "credential_compromise") == frozenset()  # nothing has a row on srv1


def test_compromise_of_unknown_holder_is_an_error():
    """A holder that is not a component is named in the error."""
    m = build([C("db", "datastore")], [], [B("bk", "db")])
    with pytest.raises(model.UnknownComponentError, match="'nope'"):
        coupling.credential_compromise(m, "nope")


def test_logical_corruption_fails_replicas_only():
    """A replica copies the corruption; a snapshot beside it survives."""
    comps = [C("db", "datastore")]
    only_replica = build(comps, [], [B("rep", "db", method="replica")])
    assert threats(only_replica, "db")["logical_corruption"] == "unrecoverable"
    with_snapshot = build(comps, [], [B("rep", "db", method="replica"), B("snap", "db", method="snapshot")])
    assert threats(with_snapshot, "db")["logical_corruption"] == "recoverable"


# -- structure -----------------------------------------------------------------------------------------------


def test_cycles_on_recovery_paths_rotated_and_sorted():
    """A cycle reached by a recovery path is listed from its smallest id; a cycle off every path is not."""
    m = build(
        [C("db", "datastore"), C("idp", "identity"), C("dns", "dns"), C("x"), C("y")],
        [D("bk", "idp"), D("idp", "dns"), D("dns", "idp"), D("x", "y"), D("y", "x")],
        [B("bk", "db")],
    )
    assert coupling.recovery_cycles(m) == (("dns", "idp"),)


def test_keystone_and_rto_inversion():
    """An unprotected identity needed by two assets' recovery is a keystone; a longer-RTO dependency is an inversion."""
    m = build(
        [C("a", "datastore", rto_hours=4, tier=1), C("b", "datastore"), C("idp", "identity", rto_hours=24)],
        [D("a", "idp"), D("b", "idp")],
        [B("ba", "a"), B("bb", "b")],
    )
    r = coupling.analyze(m)
    assert r.keystones == {"idp": ("a", "b")}
    assert r.rto_inversions == (("a", "idp"),)
    ids = {f.id for f in advice.findings_of(m, r)}
    assert {"coupling:domain:idp", "coupling:rto-inversion:a:idp"} <= ids
    (f,) = [f for f in advice.findings_of(m, r) if f.id == "coupling:domain:idp"]  # the keystone is its own failure domain
    assert f.assets == ("a", "b") and "no backup of idp yet 2 assets" in f.evidence


def test_importance_fussell_vesely_single_cause_is_one():
    """An asset whose only cut set is one component gives that component importance 1."""
    m = build([C("db", "datastore", failure_probability=0.5), C("s", "site")], [D("db", "s")], [B("bk", "db")])
    r = coupling.analyze(m)
    assert r.assets["db"].common_cause == ("s",)
    assert r.importance["s"] == pytest.approx(r.assets["db"].importance["s"])
    assert 0 < r.importance["s"] <= 1


# -- survivability -------------------------------------------------------------------------------------------


def _surv_estate():
    comps = [
        C("db", "datastore", failure_probability=0.2),
        C("s1", "site", failure_probability=0.1),
        C("s2", "site", failure_probability=0.15),
        C("st", "backup_store", failure_probability=0.1),
    ]
    deps = [D("db", "s1"), D("bk", "st"), D("st", "s2")]
    return build(comps, deps, [B("bk", "db", restore_to="s2")])


def test_survivability_exact_known_answer():
    """P(recovered | down) = P(bk, st, s2 all up | db down) for a path independent of production."""
    m = _surv_estate()
    value, method, err = coupling.survivability(m, "db")
    p_bk = model.DEFAULT_PROBABILITY["backup"]
    assert method == "exact" and err == 0
    assert value == pytest.approx((1 - p_bk) * 0.9 * 0.85)


def test_survivability_matches_seeded_monte_carlo():
    """Exact enumeration and a seeded Monte Carlo agree within 4 standard errors (about 0.02 here)."""
    m = _surv_estate()
    exact, _, _ = coupling.survivability(m, "db")
    est, half, n_down = coupling.survivability_monte_carlo(m, "db", samples=20000, seed=7)
    assert n_down > 3000
    assert abs(est - exact) < 2 * half  # half is 1.96 sigma: this is a ~4 sigma tolerance


def test_survivability_uses_monte_carlo_beyond_exact_limit():
    """With the exact limit forced low, the Monte Carlo branch answers within its stated error."""
    m = _surv_estate()
    exact, _, _ = coupling.survivability(m, "db")
    value, method, err = coupling.survivability(m, "db", exact_limit=1)
    assert method == "monte_carlo" and 0 < err < 0.05
    assert abs(value - exact) < 2 * err


# -- the reference oracle ------------------------------------------------------------------------------------------

KINDS = ["service", "datastore", "site", "identity", "network", "backup_store"]


@st.composite
def small_estates(draw):
    """Random small inventories with groups, quorums, cycles, restore targets and backups of backups."""
    n = draw(st.integers(2, 5))
    ids = [f"c{i}" for i in range(n)]
    comps = [
        C(i, draw(st.sampled_from(KINDS)), failure_probability=draw(st.sampled_from([0.05, 0.1, 0.3])))
        for i in ids
    ]
    nb = draw(st.integers(1, 3))
    bids = [f"b{i}" for i in range(nb)]
    backups = []
    for j, b in enumerate(bids):
        protects = draw(st.sampled_from(ids + bids[:j]))
        row = B(b, protects)
        if draw(st.booleans()):
            row["restore_to"] = draw(st.sampled_from(ids))
        if draw(st.booleans()):
            row["method"] = "replica"
        backups.append(row)
    everyone = ids + bids
    deps = []
    seen = set()
    for c in everyone:
        targets = draw(st.lists(st.sampled_from(everyone), max_size=3, unique=True))
        targets = [t for t in targets if t != c]
        if len(targets) >= 2 and draw(st.booleans()):
            needs = draw(st.integers(1, len(targets)))
            for t in targets:
                deps.append(D(c, t, "g", needs))
        else:
            for t in targets:
                if (c, t) not in seen:
                    seen.add((c, t))
                    deps.append(D(c, t))
        for t in draw(st.lists(st.sampled_from(everyone), max_size=2, unique=True)):
            if t != c:
                deps.append(A(c, t))  # admin rows: never requirements, so they change no answer
    return comps, deps, backups


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_estates(), st.data())
def test_fast_equals_reference(estate, data):
    """Common causes, order-2 cut sets, recoveries and exact survivability all equal the slow oracle."""
    comps, deps, backups = estate
    inv = inventory_of(comps, deps, backups)
    m = model.build(inv)
    ref = Reference(inv)
    r = coupling.analyze(m)
    cc = ref.common_cause()
    assert {a: r.assets[a].common_cause for a in m.assets} == {a: tuple(v) for a, v in cc.items()}
    pairs = ref.cut_pairs()
    for a in m.assets:
        got = {(x, y) for x, y, _ in r.assets[a].cut_pairs}
        ranked = sorted(pairs[a], key=lambda t: (-ref.prob[t[0]] * ref.prob[t[1]], t[0], t[1]))
        assert [(x, y) for x, y, _ in r.assets[a].cut_pairs] == ranked[: coupling.TOP_PAIRS]
        assert got <= pairs[a]
    failed = data.draw(st.sets(st.sampled_from(sorted(m.ids)), max_size=3))
    assert set(m.recover(failed).final_down) == ref.recover(failed)
    assert set(m.down(failed)) == ref.down(set(failed))
    surv = ref.survivability()
    for a in m.assets:
        value, method, _ = coupling.survivability(m, a, exact_limit=20)
        if surv[a] is None:
            assert value is None
        else:
            assert method == "exact" and math.isclose(value, surv[a], abs_tol=1e-9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_estates())
def test_single_failures_keep_the_final_down_sets_of_common_causes(estate):
    """``single_failures`` keeps the final down set of each component that leaves an asset unrecoverable;
    ``single_failure_down`` hands it back equal to a fresh ``recover`` (and computes the others, and all of
    them once released)."""
    comps, deps, backups = estate
    m = model.build(inventory_of(comps, deps, backups))
    ub = coupling.single_failures(m)
    assert set(coupling._SINGLE_DOWN[m]) == {x for x in m.ids if ub[x]}
    for x in m.ids:
        assert coupling.single_failure_down(m, x) == m.recover((x,)).final_down
        assert ub[x] == m.recover((x,)).unrecoverable
    coupling.release_single_downs(m)
    assert m not in coupling._SINGLE_DOWN
    assert all(coupling.single_failure_down(m, x) == m.recover((x,)).final_down for x in m.ids)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_estates())
def test_logical_corruption_verdicts_equal_a_recovery_of_the_asset_and_its_replicas(estate):
    """The corruption verdict read from the single failures (an asset without replicas) equals the recovery
    of the asset and its replica backups, as it was computed for every asset."""
    comps, deps, backups = estate
    m = model.build(inventory_of(comps, deps, backups))
    verdicts, causes = coupling.threat_verdicts(m, coupling.single_failures(m))
    for a in m.assets:
        failed = {a} | {b for b in m.backups_of[a] if m.backup[b].method == "replica"}
        lost = a in m.recover(failed).final_down
        assert verdicts[a]["logical_corruption"] == ("unrecoverable" if lost else "recoverable")
        assert causes[a]["logical_corruption"] == ((a,) if lost else ())


# -- views, charts and the notebook ------------------------------------------------------------------------------


def _chart_estate():
    """A site shared by production and the only backup, plus an independent one."""
    return build(
        [C("db", "datastore", tier=1), C("web", "service"), C("s1", "site"), C("s2", "site"), C("st", "backup_store")],
        [D("db", "s1"), D("st", "s1"), D("bk", "st"), D("web", "s2"), D("wb", "s2")],
        [B("bk", "db"), B("wb", "web", restore_to="s2", method="replica")],
    )


def test_most_exposed_and_common_cause_table():
    """web (site loss and, through its replica, logical corruption) is most exposed; db's table shows the path."""
    m = _chart_estate()
    r = coupling.analyze(m)
    assert coupling.most_exposed(r) == "web"
    table = coupling.common_cause_table(m, r, "db")
    assert list(table["cause"]) == ["s1"] and "bk -> st -> s1" in table["evidence"].iloc[0]
    with pytest.raises(ValueError, match="'s2' is not a protected asset"):
        coupling.common_cause_table(m, r, "s2")


def test_graph_frames_mark_shared_components():
    """The site under both db and its backup's store is 'shared', the store is recovery only, sites in a lower layer than assets."""
    from hiddenspof.charts import coupling as charts

    nodes, edges = charts.graph_frames(_chart_estate())
    role = dict(zip(nodes["id"], nodes["role"]))
    assert role["s1"] == "shared" and role["db"] == "asset" and role["st"] == "recovery"
    assert set(edges.columns) >= {"source", "target", "x", "y", "x2", "y2", "shared"}
    assert nodes.loc[nodes["id"] == "s1", "layer"].item() < nodes.loc[nodes["id"] == "db", "layer"].item()


def test_chart_specs():
    """Each chart encodes the fields it promises, with the verdict and role colour scales."""
    from hiddenspof.charts import coupling as charts

    m = _chart_estate()
    r = coupling.analyze(m)
    heat = charts.threat_heatmap(r).to_dict()
    # threat modes and verdicts read as words, not identifiers
    assert heat["encoding"]["x"]["field"] == "threat" and heat["encoding"]["color"]["field"] == "verdict"
    assert heat["encoding"]["x"]["sort"][:2] == ["Site loss", "Region loss"]
    assert heat["encoding"]["color"]["scale"]["domain"] == [v.replace("_", " ") for v in charts.VERDICT_COLOURS]
    graph = charts.dependency_graph(m).to_dict()
    assert [layer["mark"]["type"] for layer in graph["layer"]] == ["rule", "rule", "circle", "text"]
    blast = charts.blast_radius_ranking(r, m).to_dict()
    assert blast["encoding"]["x"]["field"] == "blast_radius"
    data = blast["datasets"][blast["data"]["name"]]
    assert [(d["component"], d["blast_radius"]) for d in data] == [("s1", 1), ("s2", 1)]
    waves = charts.restore_waves(m.recover(["db"])).to_dict()
    wdata = waves["datasets"][waves["layer"][0]["data"]["name"]] if "data" in waves["layer"][0] else waves["datasets"][waves["data"]["name"]]
    assert [(d["asset"], d["wave"], d["backup"]) for d in wdata] == [("db", 1, "bk")]


def test_worst_compromise_and_attack_graph():
    """The domain admin is the worst theft for files; the attack graph follows its chain step by step."""
    from hiddenspof.charts import coupling as charts

    m = _domain_estate()
    attack = coupling.worst_compromise(m, "files")
    assert attack.holders == ("domain-admin",)  # unrecoverable, and it destroys more of files' closure than ad
    chains = coupling.compromise_chains(m, "files", attack)
    assert len(chains) == 5 and chains[1].endswith("destroys `colo-s3` (row: colo-s3 on s3-keys)")
    assert coupling.compromise_chains(m, "files", attack, limit=2)[-1] == "and 3 more destroyed component(s) files needs"
    nodes, edges = charts.attack_frames(m, attack, "files")
    step = dict(zip(nodes["id"], nodes["step"]))
    state = dict(zip(nodes["id"], nodes["state"]))
    assert step == {"domain-admin": 0, "ad": 1, "veeam-svc": 1, "files": 2, "local-repo": 2, "veeam-server": 2,
                    "s3-keys": 3, "colo-s3": 4}
    assert state["ad"] == "held and destroyed" and state["veeam-svc"] == "held" and state["colo-s3"] == "destroyed"
    assert ("s3-keys", "colo-s3", "destroys") in set(zip(edges["source"], edges["target"], edges["action"]))
    assert ("veeam-server", "s3-keys", "reads") in set(zip(edges["source"], edges["target"], edges["action"]))
    frame = charts.threat_frame(coupling.analyze(m, pairs=False), m).set_index("mode")
    assert frame.loc["credential_compromise", "attack_path"].startswith("holding `ad`")  # first strike, sorted
    assert frame.loc["site_loss", "attack_path"] == ""
    spec = charts.attack_graph(m, attack, "files").to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rule", "circle", "text"]
    assert spec["layer"][1]["encoding"]["color"]["scale"]["domain"] == list(charts.ATTACK_COLOURS)
    # nothing to steal: None
    assert coupling.worst_compromise(build([C("db", "datastore")], [], [B("bk", "db")]), "db") is None


@pytest.mark.slow
def test_notebook_runs_under_papermill(tmp_path):
    """02_coupling executes on the teaching estate with a chosen asset, interactivity off."""
    import papermill as pm
    from conftest import NOTEBOOKS, SAMPLES

    nb = NOTEBOOKS / "02_coupling.ipynb"
    params = pm.inspect_notebook(str(nb))
    assert set(params) == {"inventory_path", "asset", "interactive"}
    path = SAMPLES["teaching"]
    if not path.exists():
        pytest.skip("teaching estate not present")
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(nb), str(out), cwd=str(NOTEBOOKS), progress_bar=False,
                        parameters={"inventory_path": str(path), "asset": "orders-db", "interactive": False})
    import html
    import json

    # the text of every output as a reader sees it (tables escape "->" as "-&gt;")
    outputs = [o for c in json.loads(out.read_text())["cells"] for o in c.get("outputs", [])]
    text = html.unescape(json.dumps(outputs, ensure_ascii=False))
    assert "The asset explained in detail below is **orders-db**" in text
    assert "Attack path: holding" in text and "holding `ad-harbour` -> destroys `orders-db`" in text


def test_scenario_failures_read_through_mode():
    """A credential-compromise scenario fails what the credential destroys; corruption adds replicas."""
    comps = [C("db", "datastore"), C("cred", "credentials")]
    m = build(comps, [D("db", "cred"), D("rep", "cred")], [B("rep", "db", method="replica"), B("snap", "db", offline=True)])
    assert coupling.scenario_failures(m, ["cred"], "credential_compromise") == {"db", "rep"}
    assert coupling.scenario_failures(m, ["db"], "logical_corruption") == {"db", "rep"}
    assert coupling.scenario_failures(m, ["cred"], None) == {"cred"}


# -- the batched simulation equals one simulator per asset -------------------------------------------------------


def _alone_answers(m, common, exact_limit):
    """Cut pairs and survivability of every asset, each on its own closure simulator (the plain path)."""
    out = {}
    for a in m.assets:
        nodes = sorted(m.closure(a))
        sim = coupling._ClosureSimulator(m, nodes)
        col = nodes.index(a)
        out[a] = [
            coupling._alone(sim, coupling._cut_pair_steps(m, a, common[a], nodes), col),
            coupling._alone(sim, coupling._survivability_steps(m, a, nodes, exact_limit), col),
        ]
    return out


def _batched_answers(m, common, exact_limit, columns, workers=1):
    jobs = []
    for a in m.assets:
        nodes = sorted(m.closure(a))
        jobs.append((a, nodes, [coupling._cut_pair_steps(m, a, common[a], nodes),
                                coupling._survivability_steps(m, a, nodes, exact_limit)]))
    return coupling._batched(m, jobs, columns, workers=workers)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_estates(), st.sampled_from([0, 20]), st.sampled_from([1, 7, 10**6]))
def test_batched_closures_equal_one_simulator_per_asset(estate, exact_limit, columns):
    """Closures simulated side by side (in chunks of any size) give every asset exactly its own answers:
    the same cut pairs, the same exact value, the same Monte Carlo counts from the same seeded draws."""
    m = model.build(inventory_of(*estate))
    common = {a: coupling.analyze(m, pairs=False, survival=False).assets[a].common_cause for a in m.assets}
    assert _batched_answers(m, common, exact_limit, columns) == _alone_answers(m, common, exact_limit)


def test_batched_closures_equal_alone_on_a_synthetic_estate(tmp_path):
    """A 300-component synthetic estate (Monte Carlo over several batches, restore rounds, shared closures)."""
    from hiddenspof import inventory, synth

    synth.write_estate(tmp_path / "estate", 300, seed=5, history_days=2)
    m = model.build(inventory.load(tmp_path / "estate"))
    common = {a: coupling.analyze(m, pairs=False, survival=False).assets[a].common_cause for a in m.assets}
    want = _alone_answers(m, common, coupling.EXACT_LIMIT)
    assert _batched_answers(m, common, coupling.EXACT_LIMIT, coupling.BATCH_COLUMNS) == want
    assert _batched_answers(m, common, coupling.EXACT_LIMIT, 10**6) == want
    assert len(m.assets) >= coupling._FORK_MIN_ASSETS  # so that the workers below are really forked
    assert _batched_answers(m, common, coupling.EXACT_LIMIT, 64, workers=2) == want
    assert _batched_answers(m, common, coupling.EXACT_LIMIT, 64, workers=3) == want
    assert any(s[1] == "monte_carlo" for _, s in want.values())


@pytest.mark.parametrize("seed", [3, 8])
def test_compromise_reach_holds_and_destroys_what_the_explained_attack_does(tmp_path, seed):
    """``compromise_reach`` (the fix search's attack, no steps) holds and destroys exactly what
    ``credential_compromise`` does, for every holder of a synthetic estate, on the estate and on a patched one."""
    from hiddenspof import inventory, overlay, synth, whatif

    synth.write_estate(tmp_path / "estate", 300, seed=seed, history_days=2)
    m = model.build(inventory.load(tmp_path / "estate"))
    holders = [k for k in m.ids if m.kind[k] in coupling.ESCALATION_KINDS]
    assert holders
    # a patched estate: one backup made immutable changes what the attacks spare
    b = next(iter(sorted(m.backup)))
    edits, _ = whatif.compile_changes(m.inventory, [whatif.SetProtection(b, immutable=True)], result=False)
    patched, _ = overlay.patch(m, edits)
    for mm in (m, patched):
        for k in holders:
            lean, full = coupling.compromise_reach(mm, k), coupling.credential_compromise(mm, k)
            assert (lean.held, lean.destroyed, lean.steps) == (full.held, full.destroyed, ())
            assert full.steps
