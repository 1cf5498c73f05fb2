"""What a fix may change, reuse first, verification on the whole estate, blockers by the contract."""

from __future__ import annotations

import pytest
from contract_oracle import Contract
from hiddenspof import advice, analysis, coupling, edits, model, whatif
from hypothesis import HealthCheck, given, settings
from test_coupling import small_estates
from test_model import B, C, D, build, inventory_of


def _fixes(m):
    """Every coupling finding of the model with the fix the advice layer attaches."""
    found = advice.findings_of(m, coupling.analyze(m, pairs=False))
    return {f.id: f for f in advice.attach_fixes(m, found)}


def _domain(fixes, member):
    """The failure-domain finding that has ``member`` in its chain."""
    (f,) = [f for f in fixes.values() if f.id.startswith("coupling:domain:") and member in f.components]
    return f


def _touches(fix, component):
    return any(e.op in ("add_dependency", "remove_dependency") and e.fields["component"] == component
               for e in fix.changes)


# -- each rule: a breaking candidate is never proposed ----------------------------------------------------


def test_a_zone_never_leaves_its_region():
    """A zone (site) in its region with the asset and its only store: no fix moves the zone; the one found keeps
    a copy elsewhere, and re-pointing the zone is refused by the rules."""
    m = build([C("eu-west", "region"), C("zone-a", "site"), C("zone-b", "site"), C("db", "datastore", tier=1),
               C("store-a", "backup_store"), C("vm-b", "service")],
              [D("zone-a", "eu-west"), D("zone-b", "eu-west"), D("db", "zone-a"), D("store-a", "zone-a"),
               D("bk", "store-a"), D("vm-b", "zone-b"), D("app-bk", "store-a")],
              [B("bk", "db"), B("app-bk", "vm-b", restore_to="vm-b")])
    fixes = _fixes(m)
    f = _domain(fixes, "zone-a")
    assert f.fix.verified
    for g in fixes.values():
        if g.fix is not None:
            assert not _touches(g.fix, "zone-a") and not _touches(g.fix, "eu-west"), g.fix.change
            assert advice.rule_broken(m, g.fix.changes) is None
    moved = whatif.compile_changes(m.inventory, whatif.Repoint("zone-a", "eu-west", "new-region", new_kind="region"))[0]
    assert "a place stays where it is" in advice.rule_broken(m, moved)


def _account_estate(with_backup_account: bool):
    """The database and its bucket in acct-prod (closed: account loss); maybe a backup account; the provider."""
    comps = [C("aws", "provider"), C("acct-prod", "account"), C("db", "datastore", tier=1),
             C("bucket", "backup_store")]
    deps = [D("db", "acct-prod"), D("bucket", "acct-prod"), D("bk", "bucket")]
    if with_backup_account:
        comps.append(C("acct-backup", "account"))
    return build(comps, deps, [B("bk", "db", method="object_copy")])


@pytest.mark.parametrize("with_backup_account", [True, False])
def test_a_bucket_never_leaves_its_account(with_backup_account):
    """Account loss takes the bucket and the database: the fix keeps a copy (and restores) in another place (the
    existing backup account, else on the provider), never takes the bucket out of its account."""
    m = _account_estate(with_backup_account)
    fixes = _fixes(m)
    f = _domain(fixes, "acct-prod")
    assert f.fix.verified, f.fix.effect
    assert not any(e.op == "remove_dependency" and e.fields["component"] == "bucket" for e in f.fix.changes)
    new = {e.fields["id"] for e in f.fix.changes if e.op == "add_component"}
    placed = {e.fields["component"]: e.fields["depends_on"] for e in f.fix.changes
              if e.op == "add_dependency" and e.fields.get("kind") == "location"}
    assert new and all(i.startswith("new-") for i in new)
    where = "acct-backup" if with_backup_account else "aws"
    assert where in f.fix.reuses and where in placed.values() and "acct-prod" not in placed.values()
    out = whatif.compile_changes(m.inventory, whatif.Repoint("bucket", "acct-prod", "new-acct", new_kind="account",
                                                             place=("aws",)))[0]
    assert "takes bucket out of its account acct-prod" in advice.rule_broken(m, out)
    gone = [edits.remove_dependency(component="bk", depends_on="bucket")]
    assert advice.rule_broken(m, gone) is None  # a copy's store is not a place
    assert "leaves bk without a account" in advice.rule_broken(
        build([C("a", "account"), C("db", "datastore")], [D("bk", "a")], [B("bk", "db")]),
        [edits.remove_dependency(component="bk", depends_on="a")])


def test_a_restore_never_crosses_platforms():
    """The only restore target that survives runs another platform: it is never proposed; the rule names why."""
    m = build([C("dc", "site"), C("erp", "service", tier=1, platform="vmware"), C("repo", "backup_store"),
               C("rds-target", "other", platform="aws-rds"), C("cloud", "site"), C("web", "service", platform="aws-rds")],
              [D("erp", "dc"), D("repo", "cloud"), D("erp-bk", "repo"), D("rds-target", "cloud"), D("web", "cloud")],
              [B("erp-bk", "erp"), B("web-bk", "web", restore_to="rds-target")])
    fixes = _fixes(m)
    f = _domain(fixes, "dc")
    for e in f.fix.changes:
        assert not (e.op == "set" and e.column == "restore_to" and e.value == "rds-target"), f.fix.change
        assert not (e.op == "add_backup" and e.fields.get("restore_to") == "rds-target"), f.fix.change
    bad = [edits.set_value("backups", "erp-bk", "restore_to", "rds-target")]
    assert "restores erp (vmware) onto rds-target (aws-rds)" in advice.rule_broken(m, bad)
    assert f.fix.verified and advice.rule_broken(m, f.fix.changes) is None


def test_new_components_are_named_new_and_placed():
    """A new component must start with new- and, where the estate has places, have a row on one."""
    m = _account_estate(False)
    unplaced = [edits.add_component(id="new-vault", kind="backup_store")]
    assert "the new backup store new-vault is not placed" in advice.rule_broken(m, unplaced)
    assert "new ids start with new-" in advice.rule_broken(m, [edits.add_component(id="vault", kind="other")])
    placed = unplaced + [edits.add_dependency(component="new-vault", depends_on="aws", kind="location")]
    assert advice.rule_broken(m, placed) is None


def test_production_changes_only_when_nothing_backup_side_works():
    """A stolen directory wipes the backup server and the asset: taking the backup server out of the domain
    (backup-side) is chosen over taking the asset out of it (production), and says production: false."""
    m = build([C("ad", "identity"), C("files", "service", tier=1), C("veeam", "recovery_tool"),
               C("s3", "backup_store"), C("dr", "other")],
              [D("files", "ad"), D("veeam", "ad"), D("bk", "s3"), D("bk", "veeam")],
              [B("bk", "files", restore_to="dr", immutable=True)])
    fixes = _fixes(m)
    (f,) = [g for g in fixes.values() if ":credential_compromise:" in g.id]
    assert f.fix.verified and f.fix.production is False
    assert not _touches(f.fix, "files")
    assert advice.touches_production(m, whatif.compile_changes(m.inventory, whatif.LeaveDomain("files", "ad"))[0])


# -- reuse first -------------------------------------------------------------------------------------------


def _two_sites(with_spare_store: bool):
    comps = [C("s1", "site"), C("s2", "site"), C("db", "datastore", tier=1), C("st1", "backup_store"),
             C("host2", "other"), C("app", "service", tier=3)]
    deps = [D("db", "s1"), D("st1", "s1"), D("bk", "st1"), D("host2", "s2"), D("app", "s2"), D("app-bk", "st1")]
    if with_spare_store:
        comps.append(C("st2", "backup_store"))
        deps.append(D("st2", "s2"))
    return build(comps, deps, [B("bk", "db"), B("app-bk", "app", restore_to="host2")])


def test_an_existing_independent_store_and_target_are_reused():
    """Site s1 takes the database and its store; s2 has a store and a restore host: the fix uses them."""
    f = _domain(_fixes(_two_sites(True)), "s1")
    assert f.fix.verified, f.fix.effect
    assert {"st2", "host2"} <= set(f.fix.reuses)
    assert not [e for e in f.fix.changes if e.op == "add_component" and e.fields["kind"] == "backup_store"]


def test_without_an_independent_store_a_placed_new_one_is_added():
    """No store outside s1: a new store (new-...) placed on the surviving site s2, the restore host reused."""
    f = _domain(_fixes(_two_sites(False)), "s1")
    assert f.fix.verified, f.fix.effect
    (store,) = [e.fields["id"] for e in f.fix.changes if e.op == "add_component" and e.fields["kind"] == "backup_store"]
    assert store.startswith("new-")
    assert any(e.op == "add_dependency" and e.fields["component"] == store and e.fields["depends_on"] == "s2"
               for e in f.fix.changes)
    assert "host2" in f.fix.reuses


def test_a_passphrase_kept_on_the_host_is_moved_off_it():
    """The copy survives the site in its vault, but its Borg passphrase is kept on the host that burnt: the fix is
    the one edit that keeps the passphrase off the host, reusing the copy."""
    m = build([C("s", "site"), C("host", "service"), C("borg-pass", "credentials"), C("db", "datastore", tier=1),
               C("vault", "backup_store"), C("dr", "other")],
              [D("host", "s"), D("borg-pass", "host"), D("db", "host"), D("bk", "vault"), D("bk", "borg-pass")],
              [B("bk", "db", restore_to="dr")])
    f = _domain(_fixes(m), "s")
    assert f.blockers == ("borg-pass",) and "bk survives; its restore needs borg-pass" in f.evidence
    assert f.fix.verified and f.fix.change.startswith("keep borg-pass off host")
    assert [e.op for e in f.fix.changes] == ["remove_dependency"]
    assert f.fix.production is False


# -- verification looks around -----------------------------------------------------------------------------


def test_a_fix_whose_new_site_becomes_a_single_point_of_failure_is_rejected():
    """The database needs the key server of site s1. Giving it a key store on a new site resolves s1 but makes
    the new site a critical single point of failure: not verified, new_findings names it. The search finds the
    backup-side fix instead (restore to a target that needs no key server), which raises nothing."""
    m = build([C("s1", "site"), C("s2", "site"), C("kms1", "kms"), C("db", "datastore", tier=1),
               C("st2", "backup_store")],
              [D("kms1", "s1"), D("db", "s2"), D("db", "kms1"), D("st2", "s2"), D("bk", "st2")],
              [B("bk", "db")])
    fixes = _fixes(m)
    f = _domain(fixes, "s1")
    problem = advice.problem_of(m, f)
    bad = (whatif.AddComponent("new-site", "site"),
           whatif.Repoint("db", "kms1", "new-kms", new_kind="kms", place=("new-site",)))
    fix = advice.verify(m, problem, bad)
    assert fix.verified is False and fix.production is True
    assert any("new-site" in i for i in fix.new_findings), fix.new_findings
    assert "raises coupling:domain:new-" in fix.effect
    assert f.fix.verified and f.fix.new_findings == () and f.fix.production is False, f.fix


def test_verification_reanalyses_what_a_restore_target_depends_on():
    """The only surviving target needs the directory the attacker wipes (through its vCenter): restoring there
    is not a fix; the verified fix is one that really restores."""
    m = build([C("ad", "identity"), C("db", "datastore", tier=1), C("vcenter", "control_plane"),
               C("target", "other"), C("vault", "backup_store"), C("host2", "other")],
              [D("db", "ad"), D("vcenter", "ad"), D("target", "vcenter"), D("bk", "vault")],
              [B("bk", "db", immutable=True, offline=True, restore_to="target")])
    fixes = _fixes(m)
    (f,) = [g for g in fixes.values() if ":credential_compromise:" in g.id]
    assert f.fix is not None
    if f.fix.verified:
        changed = model.build(edits.apply_changes(m.inventory, f.fix.changes))
        oracle = Contract(changed.inventory)
        assert "db" not in oracle.after_restores(oracle.compromise("ad")[1])


# -- blockers by the contract ------------------------------------------------------------------------------


def test_the_surviving_tape_names_only_what_its_restore_needs():
    """Site loss: the local copy is lost with the site; the offline tape at the vault survives and needs only
    the key HSM (on the site) and its restore host: the blockers, said as such."""
    m = build([C("site", "site"), C("san", "other"), C("host", "other"), C("hsm", "kms"), C("net", "network"),
               C("db", "datastore", tier=1), C("repo", "backup_store"), C("vault", "backup_store"),
               C("dr", "other")],
              [D("san", "site"), D("host", "san"), D("hsm", "host"), D("net", "site"), D("db", "host"), D("db", "net"),
               D("repo", "san"), D("local", "repo"), D("tape", "vault"), D("tape", "hsm")],
              [B("local", "db"), B("tape", "db", offline=True, immutable=True, restore_to="dr")])
    f = _domain({f.id: f for f in advice.findings_of(m, coupling.analyze(m, pairs=False))}, "site")
    assert f.blockers == ("hsm",)
    assert "tape survives" in f.title and "tape survives; its restore needs hsm (down)" in f.evidence
    assert "local is lost with repo" in f.evidence


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_estates())
def test_blockers_agree_with_a_naive_reading_of_the_contract(estate):
    """Domain, corruption and scenario-free estates: each finding's blockers equal the oracle's reading."""
    comps, deps, backups = estate
    inv = inventory_of(comps, deps, backups)
    m = model.build(inv)
    oracle = Contract(inv)
    for f in advice.findings_of(m, coupling.analyze(m, pairs=False)):
        if not f.id.startswith("coupling:domain:"):
            continue
        root = f.id.split(":", 2)[2]
        per = [oracle.blockers(a, {root}) for a in f.assets]
        surviving = set().union(*(s for s, _ in per))
        lost = set().union(*(lo for _, lo in per))
        assert list(f.blockers) == sorted(surviving or lost), (f.id, f.blockers, surviving, lost)


# -- apply: the changes reach the effect -------------------------------------------------------------------


def _strikes(oracle, m, problem, before):
    out = []
    for s in problem.strikes:
        if problem.mode == "credential_compromise":
            out.append(oracle.compromise(s[0])[1])
        elif problem.mode == "logical_corruption":
            a = s[0]
            out.append({a} | {b for b, _ in oracle.backups[a] if oracle.method[b] == "replica"})
        else:
            out.append(set(s))
    if problem.mode == "credential_compromise":
        out += [oracle.compromise(c)[1] for c in m.ids if c not in before and m.kind[c] in advice.CREDENTIAL_KINDS]
    return out


def _check_applied(inv):
    m = model.build(inv)
    result = analysis.analyze(inv)
    by_id = {f.id: f for f in advice.findings_of(m, coupling.analyze(m, pairs=False))}
    checked = 0
    for f in result["findings"]:
        fix = f["fix"]
        if not fix or not fix["verified"] or f["category"] != "coupling":
            continue
        ops = [edits.edit_from_json(e) for e in fix["changes"]]
        assert advice.rule_broken(m, ops) is None, (f["id"], fix["change"])
        changed = edits.apply_changes(inv, fix["changes"])
        oracle = Contract(changed)
        m2 = model.build(changed)
        problem = advice.problem_of(m, by_id[f["id"]])
        for failed in _strikes(oracle, m2, problem, set(m.ids)):
            assert not set(f["assets"]) & oracle.after_restores(failed), (f["id"], fix["change"], failed)
        assert not fix["new_findings"]
        checked += 1
    return checked


def test_applied_fixes_give_their_effect_on_the_samples(sample_path):
    """Every verified coupling fix of each sample: its changes apply, keep the rules, and under the contract's
    reading leave the finding's assets recoverable after each of its failures."""
    from hiddenspof import inventory

    _check_applied(inventory.load(sample_path))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_estates())
def test_applied_fixes_give_their_effect_on_random_estates(estate):
    """The same on small random estates (groups, quorums, cycles, admin rows)."""
    _check_applied(inventory_of(*estate))
