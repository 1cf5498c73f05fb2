"""Build the three sample estates in data/ (fictional clients) deterministically.

The committed files are the source of truth; this script documents how they were
made and regenerates them byte-for-byte (fixed seed, no wall clock)::

    .venv/bin/python data/build_samples.py            # writes into data/
    .venv/bin/python data/build_samples.py OUT_DIR    # writes elsewhere

It writes

* ``saas-single-cloud.xlsx``: a single-cloud SaaS (Excel workbook; the
  ``inventory`` sheet holds ``scenarios`` as YAML text in its value cell);
* ``hybrid-enterprise/``: a hybrid enterprise (CSV folder + ``inventory.yaml``);
* ``teaching.yaml``: a small teaching estate (one YAML file).

Every estate has ``as_of`` 2026-09-30 and job history from 2026-06-22 to
2026-09-29 (100 days). The planted conditions (what an analyst should find) are
listed in each builder's docstring and checked by ``tests/test_samples.py``.

Capacity plants: every estate has a declared scenario in which two or more
restores share a constrained component, so ``capacity.scenarios`` shows a
schedule, RTO verdicts, a bottleneck with its utilisation and a headroom factor
(teaching: "Ransomware on the office network"; SaaS: "Mass deletion by a
maintenance script"; hybrid: "Ransomware on the domain", where a tier-1 restore
that meets its RTO alone misses it when everything comes back at once).
Rates are plausible: 1 Gbit/s is 125 MB/s.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import sys
import zipfile
from pathlib import Path

import yaml
from hiddenspof.inventory import TABLES

__all__ = ["AS_OF", "HISTORY_START", "saas", "hybrid", "teaching", "write_all"]

AS_OF = dt.date(2026, 9, 30)
HISTORY_START = dt.datetime(2026, 6, 22)
HISTORY_END = dt.datetime(2026, 9, 30)  # exclusive: the last runs are on 2026-09-29
SEED = 20260930

# Contract column order, from the loader's own table definitions.
COLUMNS = {table: [c.name for c in columns] for table, columns in TABLES.items()}


class Estate:
    """An estate being written: metadata plus rows per table (dicts, file order)."""

    def __init__(self, name: str, organisation: str, description: str):
        self.meta = {"name": name, "as_of": AS_OF, "organisation": organisation,
                     "description": description, "scenarios": []}
        self.tables: dict[str, list[dict]] = {t: [] for t in COLUMNS}

    def c(self, id_, kind, name=None, **kw):
        """Add a component."""
        self.tables["components"].append({"id": id_, "name": name, "kind": kind, **kw})

    def d(self, component, depends_on, kind=None, group=None, needs=None, notes=None):
        """Add a dependency row (``depends_on`` may be a list: one row each)."""
        targets = depends_on if isinstance(depends_on, list) else [depends_on]
        for t in targets:
            self.tables["dependencies"].append({"component": component, "depends_on": t,
                                                "kind": kind, "group": group, "needs": needs,
                                                "notes": notes})

    def b(self, id_, protects, **kw):
        """Add a backup row."""
        self.tables["backups"].append({"id": id_, "protects": protects, **kw})

    def t(self, backup, tested_at, result, scope=None, restored_gb=None, duration_hours=None,
          notes=None):
        """Add a restore test."""
        self.tables["restore_tests"].append({
            "backup": backup, "tested_at": dt.date.fromisoformat(tested_at), "result": result,
            "scope": scope, "restored_gb": restored_gb, "duration_hours": duration_hours,
            "notes": notes})

    def scenario(self, name, fail, mode=None):
        """Add a declared disaster scenario."""
        sc = {"name": name, "fail": list(fail)}
        if mode:
            sc["mode"] = mode
        self.meta["scenarios"].append(sc)

    def runs(self, rng, backup, every_h, at_h, size_gb, hours, *, growth=0.0, jitter=0.02,
             p_fail=0.0, p_warn=0.0, stop_at=None, override=None, first=None,
             run_type=None, full_every=None, incremental=(0.01, 0.1)):
        """Add a job history: one run every ``every_h`` hours from ``first`` (default
        HISTORY_START + ``at_h``) to HISTORY_END (or ``stop_at``).

        ``size_gb`` grows linearly by ``growth`` (fraction over the whole history);
        ``override(i, start, row)`` may rewrite a row (or return None to drop it).
        ``run_type`` fills the ``type`` column of every run; with ``full_every``
        every n-th run (from the first) is a ``full`` of ``size_gb`` taking ``hours``
        and the others ``incremental`` runs moving ``incremental`` = (size, time)
        fractions of that.
        """
        start = first or HISTORY_START + dt.timedelta(hours=at_h)
        end = stop_at or HISTORY_END
        span = (HISTORY_END - HISTORY_START).total_seconds()
        i = 0
        while start < end:
            frac = (start - HISTORY_START).total_seconds() / span
            size = size_gb * (1 + growth * frac) * (1 + rng.uniform(-jitter, jitter))
            dur = hours * (1 + rng.uniform(-0.15, 0.25))
            roll = rng.random()
            kind = run_type
            if full_every:
                kind = "full" if i % full_every == 0 else "incremental"
                if kind == "incremental":
                    size, dur = size * incremental[0], dur * incremental[1]
            if roll < p_fail:
                status, msg = "failed", None
                dur *= rng.uniform(0.05, 0.4)
                size = 0.0
            elif roll < p_fail + p_warn:
                status, msg = "warning", "Completed with warnings: 1 file skipped (locked)"
            else:
                status, msg = "success", None
            row = {"backup": backup, "started_at": start,
                   "finished_at": start + dt.timedelta(seconds=round(dur * 3600)),
                   "status": status, "size_gb": round(size, 3), "type": kind, "message": msg}
            if override is not None:
                row = override(i, start, row)
            if row is not None:
                if row["status"] == "failed" and not row["message"]:
                    row["message"] = "Job failed: " + rng.choice(FAIL_MESSAGES)
                self.tables["backup_runs"].append(row)
            start += dt.timedelta(hours=every_h)
            i += 1


FAIL_MESSAGES = [
    "timeout waiting for snapshot to complete",
    "target storage unreachable (connection reset)",
    "source busy: could not quiesce",
    "insufficient space on target",
]


# --------------------------------------------------------------------------- teaching

def teaching() -> Estate:
    """Harbour Books: a small teaching estate, every concept visible once.

    Planted (what an analyst should find):

    * shared site: ``dc-harbour`` hosts production, the NAS and the mail relay; it is
      a common cause of ``files-share`` (both its backups restore in place), not of
      ``orders-db`` (its offsite copy restores to ``dr-vm`` in the cloud account).
    * account: ``acct-cloud`` holds the offsite bucket and the restore VM.
    * identity provider: ``ad-harbour`` (Active Directory), needed by the
      datastores and the NAS.
    * group: ``shop-web`` needs 1 of ``web-1``/``web-2`` (group ``web``).
    * cycle: ``ad-harbour`` needs ``dns-internal``; ``dns-internal`` is an
      AD-integrated zone that needs ``ad-harbour``. Recovery paths of
      ``files-share`` run through it.
    * backup coupled to production: ``orders-db-nightly`` (on ``nas-01``, same site
      and same AD as ``orders-db``).
    * good independent backup: ``orders-db-offsite`` (immutable, other account,
      restores to ``dr-vm``, restore test passed 28 days before as_of, healthy runs).
    * replica: ``files-replica`` (method replica: copies deletion and corruption).
    * untested backup: ``files-nightly`` (no restore test ever).
    * old restore test: ``orders-db-nightly`` last tested 2026-03-16 (file scope).
    * alert channel coupled to production: ``alerts-mail`` runs in ``dc-harbour``.
    * management plane (admin rows): the contractor's RMM console ``rmm-contractor``
      can run scripts on the web servers, both datastores and the NAS; nothing needs
      it to run, so it is no common cause and its outage harms nothing, but holding
      it destroys them.
    * escalation: the offsite bucket key ``cloud-key`` is kept on the domain-joined
      ``nas-01`` and can delete the ``files-nightly`` copies (no object lock on that
      prefix). Holding ``ad-harbour`` (the "Domain admin compromise" scenario)
      destroys the NAS and both datastores, reads the key off the NAS, destroys
      ``files-nightly`` and wipes AD itself; only the immutable ``orders-db-offsite``
      (and its bucket) survives, so orders-db comes back and files-share does not.
    * capacity: scenario "Ransomware on the office network" encrypts ``orders-db``,
      ``files-share`` and the domain-joined ``nas-01`` (so ``orders-db-nightly``
      and ``files-replica`` are gone with it). Both datastores then come back
      from the cloud at once through ``bucket-offsite``, limited by the office's
      100 Mbit/s line (12.5 MB/s): ``orders-db-offsite`` (120 GB, own cap 10 MB/s)
      to ``dr-vm`` and ``files-nightly`` (800 GB, rclone at 8 MB/s) in place.
      Max-min fair sharing gives each 6.25 MB/s: orders-db is back at 5.33 h
      (3.33 h alone; tier-1 RTO 8 h still met, headroom below 1); files-share
      then runs at its own 8 MB/s (the line is no longer full) and is back at
      28.94 h, missing its 24 h RTO by 4.94 h (the workshop's missed RTO).
      Doubling the line barely helps (27.78 h): the next bottleneck is the
      rclone rate. The other scenarios restore one asset only (no bottleneck);
      failing both datastores alone restores both through ``nas-01`` (200 MB/s).
    """
    rng = random.Random(SEED + 1)
    e = Estate("Harbour Books online shop (teaching estate)", "Harbour Books Ltd",
               "A small bookshop: one office server room, a cloud account for offsite copies. "
               "Small enough to reason about by hand; every concept appears once.")
    e.c("dc-harbour", "site", "Harbour Street server room", owner="Office manager",
        location="Bristol", failure_probability=0.02,
        notes="One rack in the back office; no generator")
    e.c("acct-cloud", "account", "Cloud storage account harbour-offsite", owner="IT contractor",
        failure_probability=0.01)
    e.c("ad-harbour", "identity", "Active Directory harbour.local", owner="IT contractor",
        location="Bristol", rto_hours=8, notes="Single domain controller, no backup")
    e.c("dns-internal", "dns", "Internal DNS (AD-integrated zone)", owner="IT contractor",
        location="Bristol")
    e.c("web-1", "service", "Shop web server 1", location="Bristol")
    e.c("web-2", "service", "Shop web server 2", location="Bristol")
    e.c("shop-web", "service", "Online shop (load-balanced)", tier=1, rto_hours=4,
        owner="Shop manager", location="Bristol")
    e.c("orders-db", "datastore", "Orders database (PostgreSQL)", tier=1, rto_hours=8,
        rpo_hours=24, data_gb=120, owner="Shop manager", location="Bristol")
    e.c("files-share", "datastore", "Office file share", tier=3, rto_hours=24, rpo_hours=24,
        data_gb=800, owner="Office manager", location="Bristol")
    e.c("nas-01", "backup_store", "Synology NAS in the server room", throughput_mb_s=200,
        location="Bristol", notes="Joined to the domain; admins log in with AD accounts")
    e.c("bucket-offsite", "backup_store", "Offsite bucket (object lock)", throughput_mb_s=12.5,
        max_parallel_restores=2, notes="Restores limited by the office internet line (100 Mbit/s)")
    e.c("dr-vm", "other", "Cloud standby VM (restore target)",
        notes="Powered off; started to restore the orders database")
    e.c("alerts-mail", "alerting", "On-premises mail relay for alerts", location="Bristol")
    e.c("cloud-key", "credentials", "Offsite bucket access key", owner="IT contractor",
        notes="Saved in the NAS's nightly copy task; a printed copy is in the office safe")
    e.c("rmm-contractor", "credentials", "IT contractor's RMM console login", owner="IT contractor",
        notes="Remote monitoring and management agent on every office machine")
    for bid, name in [("orders-db-nightly", "Nightly pg_dump to the NAS"),
                      ("orders-db-offsite", "Nightly offsite copy (immutable)"),
                      ("files-replica", "File share replica on the NAS"),
                      ("files-nightly", "Nightly file copy offsite")]:
        e.c(bid, "backup", name)

    e.d("web-1", "dc-harbour", "location")
    e.d("web-2", "dc-harbour", "location")
    e.d("shop-web", ["web-1", "web-2"], "runtime", group="web", needs=1,
        notes="Either web server can carry the shop")
    e.d("shop-web", "orders-db", "storage")
    e.d("shop-web", "dns-internal", "network")
    e.d("orders-db", "dc-harbour", "location")
    e.d("orders-db", "ad-harbour", "identity", notes="Service account in AD")
    e.d("files-share", "dc-harbour", "location")
    e.d("files-share", "ad-harbour", "identity")
    e.d("ad-harbour", "dc-harbour", "location")
    e.d("ad-harbour", "dns-internal", "network", notes="Domain controllers locate each other via DNS")
    e.d("dns-internal", "ad-harbour", "control", notes="AD-integrated zone: DNS is served by AD")
    e.d("dns-internal", "dc-harbour", "location")
    e.d("nas-01", "dc-harbour", "location")
    e.d("nas-01", "ad-harbour", "identity")
    e.d("bucket-offsite", "acct-cloud", "location")
    e.d("dr-vm", "acct-cloud", "location")
    e.d("alerts-mail", "dc-harbour", "location")
    e.d("orders-db-nightly", "nas-01", "storage")
    e.d("orders-db-offsite", "bucket-offsite", "storage")
    e.d("files-replica", "nas-01", "storage")
    e.d("files-nightly", "bucket-offsite", "storage")
    # who can administer what (admin rows: reach for an attacker, not requirements)
    e.d("cloud-key", "nas-01", "admin",
        notes="Kept on the NAS: whoever controls the NAS reads it (restores use the safe's copy)")
    e.d("files-nightly", "cloud-key", "admin",
        notes="The key can delete the file copies: no object lock on this prefix")
    for managed in ("web-1", "web-2", "orders-db", "files-share", "nas-01"):
        e.d(managed, "rmm-contractor", "admin", notes="RMM agent: the console can run any script here")

    e.b("orders-db-nightly", "orders-db", method="dump", schedule_hours=24, retention_days=14,
        verification="job_status", alert_channel="alerts-mail", restore_mb_s=80,
        notes="pg_dump to a NAS share")
    e.b("orders-db-offsite", "orders-db", method="object_copy", schedule_hours=24,
        retention_days=90, immutable=True, verification="restore_test",
        alert_channel="alerts-mail", restore_to="dr-vm", restore_mb_s=10,
        notes="Object lock in compliance mode, 90 days")
    e.b("files-replica", "files-share", method="replica", schedule_hours=24, retention_days=1,
        verification="job_status", alert_channel="alerts-mail", restore_mb_s=150,
        notes="NAS share replication; deletions replicate too")
    e.b("files-nightly", "files-share", method="file_copy", schedule_hours=24,
        retention_days=30, verification="none", alert_channel="alerts-mail", size_gb=800,
        restore_mb_s=8, notes="rclone sync from the bucket (many small files: about 8 MB/s)")

    e.runs(rng, "orders-db-nightly", 24, 1, 28, 0.3, growth=0.08, p_fail=0.02)
    e.runs(rng, "orders-db-offsite", 24, 3, 28, 0.6, growth=0.08, p_fail=0.01)
    e.runs(rng, "files-replica", 24, 2, 2.5, 0.2, jitter=0.4,
           override=lambda i, s, r: {**r, "message": r["message"] or "Replication in sync"})
    e.runs(rng, "files-nightly", 24, 22, 6, 1.2, jitter=0.3, p_warn=0.05)

    e.t("orders-db-offsite", "2026-09-02", "pass", "full", 27.5, 0.9,
        "Restored to dr-vm; row counts match production")
    e.t("orders-db-offsite", "2026-06-10", "pass", "full", 26.0, 1.0)
    e.t("orders-db-nightly", "2026-03-16", "pass", "file", 0.5, 0.2,
        "Restored one table only")
    e.t("files-replica", "2026-08-20", "pass", "full", 780, 2.0, "Failover drill to the replica share")

    e.scenario("Server room fire", ["dc-harbour"])
    e.scenario("Domain admin compromise", ["ad-harbour"], "credential_compromise")
    e.scenario("Ransomware on the office network", ["orders-db", "files-share", "nas-01"])
    return e


# --------------------------------------------------------------------------- saas

def saas() -> Estate:
    """Fernleaf: a single-cloud SaaS (AWS, eu-west-1 + eu-central-1).

    Planted (what an analyst should find):

    * provider ``aws`` is a common cause of every asset (single cloud).
    * backups share the production account and KMS key: ``backup-vault-prod`` and
      ``snapshots-bucket`` live in ``acct-prod`` and are encrypted with
      ``kms-prod``; so ``kms-prod`` and ``acct-prod`` are common causes of
      ``billing-db``, ``events-store``, ``docs-store``, ``search-index``;
      ``eu-west-1`` is a common cause of those too except ``billing-db`` (its
      replica in eu-central-1 survives; ``kms-prod`` is a multi-region key).
      Exact common causes: orders-db [aws]; billing-db [acct-prod, aws, kms-prod].
    * backups share the identity provider: every restore from the prod account
      needs ``iam-prod-admin`` (Okta-federated), and ``sso-okta`` has no backup;
      ``orders-api``/``web-frontend`` need ``sso-okta`` too.
    * replica counted as a backup: ``billing-db-replica`` (cross-region read
      replica, same account, same multi-region KMS key; restore_to itself =
      promotion). It is billing-db's only path in a region outage.
    * management plane (admin rows): ``iam-prod-admin`` (AdministratorAccess in the
      prod account) can delete every datastore and backup store of the account;
      nothing needs it to run. Escalation: it is federated from ``sso-okta``, so
      holding Okta takes it over (Okta itself is wiped: an identity).
    * one cross-account immutable copy: ``orders-db-vault-copy`` (acct-vault,
      eu-central-1, own key, restores to ``dr-landing``); so ``orders-db`` has
      only ``aws`` as common cause and survives account compromise.
    * quorum: ``orders-db`` needs 2 of ``orders-db-1..3`` (one per AZ);
      load-balanced web tier: ``web-frontend`` needs 1 of ``web-euw1a..c``.
    * Patroni uses the Kubernetes API: ``orders-db-*`` depend on ``eks-prod``.
    * alert channel through production monitoring: most backups alert to
      ``alertmanager-prod`` (runs on ``eks-prod``, needs ``prometheus-prod``);
      only the vault copy alerts ``pagerduty`` directly.
    * job history: ``docs-backup`` failed its last 6 runs (KMS access denied);
      others healthy with occasional failures.
    * restore tests: ``orders-db-snap`` pass 2026-08-14; ``orders-db-vault-copy``
      dr_drill pass 2026-07-21; ``billing-db-snap`` last pass 2026-02-10 (old);
      ``events-backup`` partial; ``docs-backup`` fail; ``search-snap``,
      ``billing-db-replica`` and ``eks-velero`` never tested.
    * capacity: ``pg-restore-runner`` (2 at once, 300 MB/s), ``aws-backup-euw1``
      (4 at once), ``sre-oncall`` (3 at once); ``backup-vault-prod`` serves
      restores at 600 MB/s in total (about 5 Gbit/s), ``snapshots-bucket`` 800,
      ``vault-store`` 600. Scenario "Mass deletion by a maintenance script" (the
      Atlassian April 2022 pattern: a script with production rights deletes the
      datastores) restores orders-db (1.8 TB, cap 250), events-store (4.2 TB,
      cap 300) and docs-store (2.5 TB, cap 300) from ``backup-vault-prod`` at
      once: 200 MB/s each, the vault is the bottleneck (full for about 3.1 h),
      orders-db is back at 2.5 h instead of 2.0 h alone; tier-1 RTOs are still
      met (headroom about 0.63: 37% of the shared capacity is spare for tier 1).
      billing-db comes back by promoting its cross-region replica (not deleted),
      search-index from ``snapshots-bucket``. The region, account and key
      scenarios restore orders-db alone from the vault copy (no bottleneck).
    """
    rng = random.Random(SEED + 2)
    e = Estate("Fernleaf invoicing platform (production)", "Fernleaf Analytics Ltd",
               "B2B invoicing SaaS on AWS: EKS in eu-west-1, PostgreSQL (Patroni) and RDS "
               "MySQL, S3 object stores, Okta for staff and customer sign-in.")
    sre = "SRE"
    e.c("aws", "provider", "Amazon Web Services", failure_probability=0.001, owner=sre)
    e.c("eu-west-1", "region", "AWS eu-west-1 (Ireland)", failure_probability=0.01)
    e.c("eu-central-1", "region", "AWS eu-central-1 (Frankfurt)", failure_probability=0.01)
    for az in "abc":
        e.c(f"az-euw1{az}", "site", f"Availability zone eu-west-1{az}", failure_probability=0.02)
    e.c("az-euc1a", "site", "Availability zone eu-central-1a", failure_probability=0.02)
    e.c("acct-prod", "account", "AWS account fernleaf-prod (4417-...)", owner=sre,
        failure_probability=0.01, notes="Production workloads and their backups")
    e.c("acct-vault", "account", "AWS account fernleaf-vault (9902-...)", owner="Security",
        failure_probability=0.005, notes="Backup vault account; separate break-glass access")
    e.c("sso-okta", "identity", "Okta (fernleaf.okta.com)", owner="IT", rto_hours=24,
        failure_probability=0.01, notes="Staff SSO and customer sign-in")
    e.c("iam-prod-admin", "credentials", "IAM Identity Center admin role (prod)", owner=sre,
        notes="Federated from Okta; used for every manual restore")
    e.c("backup-svc-role", "credentials", "AWSBackupDefaultServiceRole (prod)", owner=sre)
    e.c("vault-break-glass", "credentials", "Vault account break-glass user",
        owner="Security", notes="Hardware MFA tokens in the CISO's safe")
    e.c("kms-prod", "kms", "KMS key mrk-prod-data (multi-region)", owner=sre,
        failure_probability=0.005, notes="Encrypts production data AND the prod backups")
    e.c("kms-vault", "kms", "KMS key vault-data (eu-central-1)", owner="Security")
    e.c("aws-api-euw1", "control_plane", "AWS control plane eu-west-1")
    e.c("aws-api-euc1", "control_plane", "AWS control plane eu-central-1")
    e.c("eks-prod", "control_plane", "EKS cluster prod-euw1", owner=sre, tier=1, rto_hours=6,
        data_gb=2, notes="Also the DCS of the Patroni cluster")
    e.c("vpc-prod", "network", "VPC prod (eu-west-1)")
    e.c("alb-web", "network", "Application load balancer web")
    e.c("route53", "dns", "Route 53 hosted zone fernleaf.io")
    for az in "abc":
        e.c(f"web-euw1{az}", "service", f"Web pods, AZ {az}")
    e.c("web-frontend", "service", "Customer web app", tier=1, rto_hours=2, owner="Product")
    e.c("orders-api", "service", "Orders and invoices API", tier=1, rto_hours=2, owner="Product")
    e.c("billing-worker", "service", "Billing batch worker", tier=2, rto_hours=12, owner="Finance eng")
    e.c("search-api", "service", "Search API", tier=3, rto_hours=24, owner="Product")
    for n, az in zip("123", "abc"):
        e.c(f"orders-db-{n}", "datastore", f"PostgreSQL node {n} (AZ {az})", data_gb=1800)
    e.c("orders-db", "datastore", "Orders PostgreSQL cluster (Patroni, 3 nodes)", tier=1,
        rto_hours=4, rpo_hours=1, data_gb=1800, owner="Data platform",
        notes="2 of 3 nodes needed for a writable primary")
    e.c("billing-db", "datastore", "Billing MySQL (RDS Multi-AZ)", tier=1, rto_hours=8,
        rpo_hours=4, data_gb=600, owner="Finance eng")
    e.c("events-store", "datastore", "Event archive (S3)", tier=2, rto_hours=24, rpo_hours=24,
        data_gb=4200, owner="Data platform")
    e.c("docs-store", "datastore", "Customer documents (S3)", tier=2, rto_hours=12,
        rpo_hours=24, data_gb=2500, owner="Product")
    e.c("search-index", "datastore", "OpenSearch domain", tier=3, rto_hours=48, rpo_hours=24,
        data_gb=350, owner="Product", notes="Can be rebuilt from orders-db in about 3 days")
    e.c("sessions-cache", "datastore", "Redis sessions (ElastiCache)", tier=2,
        notes="Ephemeral; not backed up on purpose")
    e.c("backup-vault-prod", "backup_store", "AWS Backup vault prod-euw1",
        throughput_mb_s=600, notes="Same account and key as production; restore jobs from it "
        "share about 600 MB/s")
    e.c("snapshots-bucket", "backup_store", "S3 bucket fernleaf-prod-snapshots",
        throughput_mb_s=800)
    e.c("vault-store", "backup_store", "AWS Backup vault fernleaf-vault-euc1 (vault lock)",
        throughput_mb_s=600, notes="Compliance-mode vault lock, 35 days")
    e.c("dr-landing", "other", "Pilot-light landing zone eu-central-1 (vault account)",
        notes="Empty VPC + Aurora restore target, kept by Terraform")
    e.c("aws-backup-euw1", "recovery_tool", "AWS Backup restore jobs eu-west-1",
        max_parallel_restores=4, notes="Concurrent restore job quota raised to 4")
    e.c("aws-backup-euc1", "recovery_tool", "AWS Backup restore jobs eu-central-1",
        max_parallel_restores=2)
    e.c("pg-restore-runner", "recovery_tool", "pgBackRest restore runner (EKS job)",
        throughput_mb_s=300, max_parallel_restores=2)
    e.c("sre-oncall", "team", "SRE on-call rota", max_parallel_restores=3,
        notes="Three engineers can drive restores at once")
    e.c("prometheus-prod", "monitoring", "Prometheus (in-cluster)")
    e.c("alertmanager-prod", "alerting", "Alertmanager (in-cluster)")
    e.c("pagerduty", "alerting", "PagerDuty service Fernleaf-SRE")
    backups = {
        "orders-db-snap": "Orders DB pgBackRest full + WAL (prod account)",
        "orders-db-vault-copy": "Orders DB copy in the vault account (immutable)",
        "billing-db-snap": "Billing RDS automated snapshots",
        "billing-db-replica": "Billing RDS cross-region read replica",
        "events-backup": "Event archive AWS Backup",
        "docs-backup": "Customer documents AWS Backup",
        "search-snap": "OpenSearch snapshots to S3",
        "eks-velero": "Velero backup of the EKS cluster state",
    }
    for bid, name in backups.items():
        e.c(bid, "backup", name)

    e.d("eu-west-1", "aws", "location")
    e.d("eu-central-1", "aws", "location")
    for az in "abc":
        e.d(f"az-euw1{az}", "eu-west-1", "location")
    e.d("az-euc1a", "eu-central-1", "location")
    e.d("acct-prod", "aws", "control")
    e.d("acct-vault", "aws", "control")
    e.d("iam-prod-admin", ["sso-okta", "acct-prod"], "identity")
    e.d("backup-svc-role", "acct-prod", "identity")
    e.d("vault-break-glass", "acct-vault", "identity")
    e.d("kms-prod", "acct-prod", "location",
        notes="Multi-region key: replicated to eu-central-1, so a region outage spares it")
    e.d("kms-vault", ["acct-vault", "eu-central-1"], "location")
    e.d("aws-api-euw1", ["aws", "eu-west-1"], "location")
    e.d("aws-api-euc1", ["aws", "eu-central-1"], "location")
    e.d("eks-prod", ["acct-prod", "aws-api-euw1"], "control")
    e.d("vpc-prod", ["acct-prod", "eu-west-1"], "location")
    e.d("alb-web", "vpc-prod", "network")
    e.d("route53", ["aws", "acct-prod"], "control")
    for az in "abc":
        e.d(f"web-euw1{az}", [f"az-euw1{az}", "eks-prod"], "runtime")
    e.d("web-frontend", ["web-euw1a", "web-euw1b", "web-euw1c"], "runtime", group="web-pods",
        needs=1, notes="Load-balanced; any AZ can serve")
    e.d("web-frontend", ["alb-web", "route53", "orders-api"], "network")
    e.d("orders-api", ["eks-prod", "orders-db", "sessions-cache", "sso-okta", "kms-prod"],
        "runtime")
    e.d("billing-worker", ["eks-prod", "billing-db", "orders-api"], "runtime")
    e.d("search-api", ["eks-prod", "search-index"], "runtime")
    for n, az in zip("123", "abc"):
        e.d(f"orders-db-{n}", f"az-euw1{az}", "location")
        e.d(f"orders-db-{n}", ["kms-prod", "vpc-prod"], "keys")
        e.d(f"orders-db-{n}", "eks-prod", "control", notes="Patroni leader election via the Kubernetes API")
    e.d("orders-db", ["orders-db-1", "orders-db-2", "orders-db-3"], "storage", group="quorum",
        needs=2, notes="Patroni quorum")
    e.d("billing-db", ["az-euw1a", "az-euw1b"], "location", group="multi-az", needs=1)
    e.d("billing-db", ["acct-prod", "kms-prod", "vpc-prod"], "location")
    e.d("events-store", ["acct-prod", "eu-west-1", "kms-prod"], "location")
    e.d("docs-store", ["acct-prod", "eu-west-1", "kms-prod"], "location")
    e.d("search-index", ["az-euw1a", "az-euw1b"], "location", group="multi-az", needs=1)
    e.d("search-index", ["acct-prod", "vpc-prod", "kms-prod"], "location")
    e.d("sessions-cache", ["az-euw1a", "vpc-prod"], "location")
    e.d("backup-vault-prod", ["acct-prod", "eu-west-1", "kms-prod"], "location",
        notes="Vault encrypted with the production key")
    e.d("snapshots-bucket", ["acct-prod", "eu-west-1", "kms-prod"], "location")
    e.d("vault-store", ["acct-vault", "eu-central-1", "kms-vault"], "location")
    e.d("dr-landing", ["acct-vault", "az-euc1a"], "location")
    e.d("aws-backup-euw1", ["aws-api-euw1", "backup-svc-role"], "control")
    e.d("aws-backup-euc1", ["aws-api-euc1", "vault-break-glass"], "control")
    e.d("pg-restore-runner", ["eks-prod", "iam-prod-admin"], "runtime")
    e.d("prometheus-prod", "eks-prod", "runtime")
    e.d("alertmanager-prod", ["eks-prod", "prometheus-prod"], "runtime")
    e.d("alertmanager-prod", "pagerduty", "alerting")
    # restore paths
    e.d("orders-db-snap", ["backup-vault-prod", "pg-restore-runner", "sre-oncall"], "restore")
    e.d("orders-db-vault-copy", ["vault-store", "aws-backup-euc1", "sre-oncall"], "restore")
    e.d("orders-db-vault-copy", "dr-landing", "restore")
    e.d("billing-db-snap", ["backup-vault-prod", "aws-backup-euw1", "iam-prod-admin"], "restore")
    e.d("billing-db-replica", ["az-euc1a", "acct-prod", "kms-prod"], "location",
        notes="Same account and multi-region key as the primary")
    e.d("events-backup", ["backup-vault-prod", "aws-backup-euw1", "iam-prod-admin"], "restore")
    e.d("docs-backup", ["backup-vault-prod", "aws-backup-euw1", "iam-prod-admin"], "restore")
    e.d("search-snap", ["snapshots-bucket", "iam-prod-admin"], "restore")
    e.d("eks-velero", ["snapshots-bucket", "iam-prod-admin", "sre-oncall"], "restore")
    # who can administer what (admin rows: reach for an attacker, not requirements)
    for res in ("orders-db-1", "orders-db-2", "orders-db-3", "billing-db", "events-store",
                "docs-store", "search-index", "sessions-cache", "backup-vault-prod",
                "snapshots-bucket"):
        e.d(res, "iam-prod-admin", "admin",
            notes="AdministratorAccess in the prod account: can delete it, and its recovery points")

    common = dict(alert_channel="alertmanager-prod")
    e.b("orders-db-snap", "orders-db", method="dump", schedule_hours=12, retention_days=14,
        verification="restore_test", restore_mb_s=250, **common,
        notes="pgBackRest full nightly, incremental at noon, WAL archived")
    e.b("orders-db-vault-copy", "orders-db", method="object_copy", schedule_hours=24,
        retention_days=35, immutable=True, verification="dr_drill", alert_channel="pagerduty",
        restore_to="dr-landing", restore_mb_s=150,
        notes="Cross-account copy of the nightly full, vault lock")
    e.b("billing-db-snap", "billing-db", method="snapshot", schedule_hours=24,
        retention_days=7, verification="job_status", restore_mb_s=200, **common)
    e.b("billing-db-replica", "billing-db", method="replica", schedule_hours=24,
        verification="job_status", restore_to="billing-db-replica", restore_mb_s=400,
        alert_channel="alertmanager-prod",
        notes="Counted as the DR copy; promotion = restore. Runs are daily lag checks")
    e.b("events-backup", "events-store", method="object_copy", schedule_hours=24,
        retention_days=30, verification="job_status", restore_mb_s=300, **common)
    e.b("docs-backup", "docs-store", method="object_copy", schedule_hours=24,
        retention_days=30, verification="checksum", restore_mb_s=300, **common)
    e.b("search-snap", "search-index", method="snapshot", schedule_hours=24,
        retention_days=7, verification="none", restore_mb_s=120, **common)
    e.b("eks-velero", "eks-prod", method="object_copy", schedule_hours=24, retention_days=30,
        verification="job_status", size_gb=2, restore_mb_s=20, **common)

    def orders_snap(i, start, row):
        if start.hour == 13:  # the noon incremental is small
            row["size_gb"] = round(row["size_gb"] * 0.06, 3)
            row["finished_at"] = start + dt.timedelta(minutes=25 + i % 7)
        return row

    e.runs(rng, "orders-db-snap", 12, 1, 1650, 2.5, growth=0.09, p_fail=0.01,
           override=orders_snap)
    e.runs(rng, "orders-db-vault-copy", 24, 5, 1650, 3.5, growth=0.09, p_fail=0.02)
    e.runs(rng, "billing-db-snap", 24, 2, 560, 0.4, growth=0.07, p_fail=0.01)
    e.runs(rng, "billing-db-replica", 24, 6, 0.0, 0.01, jitter=0.0,
           override=lambda i, s, r: {**r, "size_gb": None,
                                     "message": r["message"] or f"Replica lag {1 + i % 5} s"})
    e.runs(rng, "events-backup", 24, 3, 60, 1.0, jitter=0.25, p_warn=0.03,
           override=lambda i, s, r: {**r, "message": r["message"] or "Incremental"})
    last_docs = HISTORY_END - dt.timedelta(days=6)

    def docs(i, start, row):
        if start >= last_docs:
            return {**row, "status": "failed", "size_gb": 0.0,
                    "finished_at": start + dt.timedelta(minutes=2),
                    "message": "AccessDenied: kms:Decrypt on mrk-prod-data (key policy changed)"}
        return row

    e.runs(rng, "docs-backup", 24, 4, 35, 0.8, jitter=0.3, override=docs)
    e.runs(rng, "search-snap", 24, 0, 330, 0.5, growth=0.05, p_fail=0.03)
    e.runs(rng, "eks-velero", 24, 0.5, 1.6, 0.1, jitter=0.05)

    e.t("orders-db-snap", "2026-08-14", "pass", "full", 1780, 2.4,
        "PITR restore to a scratch cluster; checksums match")
    e.t("orders-db-snap", "2026-05-12", "pass", "full", 1700, 2.6)
    e.t("orders-db-vault-copy", "2026-07-21", "pass", "dr_drill", 1760, 5.5,
        "Restored in eu-central-1 landing zone with break-glass access")
    e.t("billing-db-snap", "2026-02-10", "pass", "full", 520, 0.8)
    e.t("events-backup", "2026-06-01", "partial", "file", 40, 0.5,
        "Older prefixes restored; objects in Glacier not retrievable in the window")
    e.t("docs-backup", "2026-09-10", "fail", "file", 0, 0.3,
        "Restore job failed: kms:Decrypt denied")

    e.scenario("Account compromise (prod)", ["acct-prod"], "credential_compromise")
    e.scenario("Region outage eu-west-1", ["eu-west-1"])
    e.scenario("Production KMS key deleted", ["kms-prod"])
    e.scenario("Mass deletion by a maintenance script",
               ["orders-db", "billing-db", "events-store", "docs-store", "search-index"])
    return e


# --------------------------------------------------------------------------- hybrid

def hybrid() -> Estate:
    """Northwind Mutual: a hybrid insurer (two data centres, DR site, tape, Azure).

    Planted (what an analyst should find):

    * identity: ``ad-northwind`` (needs 1 of 3 domain controllers) that many
      restores need through ``vcenter-lon`` (vCenter SSO uses AD) and service
      accounts; cycle ``ad-northwind`` <-> ``dns-northwind`` (AD-integrated DNS).
    * restore order: ``ad-systemstate`` restores AD to ``esx-dr`` without AD
      (workgroup Veeam server in Manchester, ESXi root credentials); in the
      scenario "Ransomware on the domain" AD (and the file server, from tape) is
      restored in the first wave and claims-db, erp-db, mailbox-db, policy-db
      only afterwards.
    * tape with an offline vault: ``tape-weekly`` (offline) stored in
      ``tape-vault`` at ``ironmountain-vault``, restores to ``esx-dr``, but needs
      the tape keys in ``hsm-lon`` at ``dc-london``: so ``file-server``'s common
      causes are exactly ``dc-london`` and ``net-london`` (hidden coupling of the
      offline copy; without it London loss would be survivable).
    * restore in place: ``claims-db``, ``erp-db``, ``mailbox-db`` have
      ``dc-london``, ``esx-lon``, ``san-lon``, ``net-london`` as common causes
      (the DR replica of claims-db fails over through ``vcenter-lon`` in London).
      ``ad-northwind`` and ``policy-db`` (AG replica in Manchester) have none.
      ``dns-northwind`` has no backup of its own.
    * backup server with limited parallelism: ``veeam-br`` (2 restores at once,
      250 MB/s in total: the workgroup B&R server is the only proxy and restores
      to vSphere in network mode, about 2 Gbit/s).
    * capacity (tier-1 RTO miss): "Ransomware on the domain" encrypts every
      domain-joined server: AD, the file server, claims-db, erp-db, mailbox-db
      and both SQL AG replicas (so ``policy-db`` itself fails); the Veeam
      replica of claims-db has copied the encryption (``claims-db-replica`` is
      in the fail list), so claims-db comes back by RMAN. Restores: AD and the
      file server from tape start at once (neither needs AD) and take both
      Veeam sessions; after AD (0.13 h) policy-db (tier 1, RTO 4 h, 2.2 TB,
      cap 350) gets the freed session but shares the 250 MB/s with the 6 TB
      tape restore: 125 MB/s, back at about 5.0 h, missing its RTO, whereas
      alone it takes 2.44 h. mailbox-db queues for a session until then.
      ``veeam-br`` and ``tape-courier`` are full all along; headroom about
      1.89 (every limit x1.89 brings tier 1 within RTO). Finding
      ``capacity:rto-miss:Ransomware on the domain`` (high).
    * management plane (admin rows): ``vsphere-admins`` (the AD group that administers
      vCenter) can delete or encrypt every VM, the domain controllers, the SQL
      replicas and the Veeam replica at the DR site included; nothing needs it to
      run. Holding it takes over the domain controller VMs and with them the domain.
    * escalation: holding ``ad-northwind`` resets ``svc-veeam`` and ``svc-oracle``
      (domain accounts) and so destroys every backup that uses them; it takes over
      ``vsphere-admins``; and it destroys the domain-joined jump host ``mgmt-jump``,
      where the secret of the Azure service principal ``azure-backup-sp`` is kept,
      so the attacker reaches Azure: ``data-warehouse`` and its mutable backup are
      destroyed (``payroll-ltr`` is immutable and survives). The workgroup Veeam
      server (``veeam-local``) and the offline tape are out of reach.
    * DR site ``dr-reading``; cloud region ``azure-uksouth`` (``sub-prod``).
    * job history: ``erp-db-dump`` runs all succeed with a few MB (< 1% of
      ``erp-db``'s 900 GB); ``mailbox-backup`` stopped on 2026-09-02 (no run
      since); ``claims-db-rman`` size collapses from ~1450 GB to ~95 GB on
      2026-09-25 (last 5 runs) while still reporting success; ``file-server-veeam`` has a 4-day
      failure streak in August.
    * run types: ``file-server-veeam`` and ``mailbox-backup`` take a weekly full and
      daily incrementals under 1% of the data (typed, so no "tiny" alarm);
      ``claims-db-rman`` and ``tape-weekly`` runs are typed ``full``, the 4-hourly
      ``claims-db-replica`` runs ``incremental``; the other jobs carry no type.
    * restore tests: old (``ad-systemstate`` 2025-11-14), failed
      (``claims-db-rman`` 2026-08-22), partial (``file-server-veeam``
      2026-07-30), good (``policy-db-backup`` dr_drill 2026-09-12,
      ``dwh-azure-backup`` 2026-08-30, ``payroll-ltr`` 2026-09-08).
    * RTO inversions: ``policy-db`` (4 h) and ``claims-db`` (4 h) need
      ``ad-northwind`` (12 h); ``erp-db`` (8 h) needs ``ad-northwind`` (12 h).
    * replica counted as a backup: ``claims-db-replica`` (Veeam replica at the DR site).
    * alerting through AD-joined on-premises mail: ``smtp-relay`` needs
      ``exchange`` which needs ``ad-northwind``.
    """
    rng = random.Random(SEED + 3)
    e = Estate("Northwind Mutual core insurance estate", "Northwind Mutual plc",
               "Hybrid insurer: London and Manchester data centres, a DR site in Reading, "
               "weekly tape to Iron Mountain, data warehouse and payroll in Azure UK South.")
    infra, dba, apps = "Infrastructure", "DBA team", "Application support"
    e.c("dc-london", "site", "London data centre (Docklands)", failure_probability=0.01,
        owner=infra, location="London")
    e.c("dc-manchester", "site", "Manchester data centre", failure_probability=0.01,
        owner=infra, location="Manchester")
    e.c("dr-reading", "site", "DR site Reading (colocation)", failure_probability=0.01,
        owner=infra, location="Reading")
    e.c("ironmountain-vault", "site", "Iron Mountain tape vault", failure_probability=0.001,
        location="Slough")
    e.c("azure", "provider", "Microsoft Azure", failure_probability=0.001)
    e.c("azure-uksouth", "region", "Azure UK South", failure_probability=0.01)
    e.c("sub-prod", "account", "Azure subscription nw-prod", owner="Cloud team",
        failure_probability=0.01)
    e.c("wan-mpls", "network", "MPLS WAN between sites", throughput_mb_s=1250, owner=infra)
    e.c("net-london", "network", "London core network", owner=infra)
    e.c("net-manchester", "network", "Manchester core network", owner=infra)
    e.c("net-reading", "network", "Reading DR network", owner=infra)
    e.c("expressroute", "network", "ExpressRoute London-UK South", throughput_mb_s=600,
        owner=infra)
    for dcid, loc in [("adds-lon1", "London"), ("adds-lon2", "London"),
                      ("adds-man1", "Manchester")]:
        e.c(dcid, "identity", f"Domain controller {dcid.upper()}", owner=infra, location=loc)
    e.c("ad-northwind", "identity", "Active Directory forest northwind.local", tier=1,
        rto_hours=12, rpo_hours=24, data_gb=60, owner=infra,
        notes="Forest recovery runbook last rehearsed 2025")
    e.c("dns-northwind", "dns", "AD-integrated DNS", owner=infra)
    e.c("entra-id", "identity", "Microsoft Entra ID (synced from AD)", owner="Cloud team")
    e.c("svc-veeam", "credentials", "AD service account svc-veeam", owner=infra,
        notes="Guest processing account used on every Windows VM")
    e.c("svc-oracle", "credentials", "AD account svc-oracle (RMAN)", owner=dba)
    e.c("esxi-root", "credentials", "ESXi local root (password vault)", owner=infra)
    e.c("veeam-local", "credentials", "Veeam server local admin", owner=infra)
    e.c("vsphere-admins", "credentials", "vCenter administrators (AD group through SSO)",
        owner=infra, notes="Members of the AD group vCenter-Admins administer every VM")
    e.c("mgmt-jump", "service", "Admin jump host (domain-joined)", owner=infra,
        location="London", notes="Used for Azure administration scripts")
    e.c("azure-backup-sp", "credentials", "Service principal backup-ops", owner="Cloud team")
    e.c("hsm-lon", "kms", "Thales HSM (tape and database encryption keys)", owner="Security",
        location="London")
    e.c("keyvault-uks", "kms", "Key Vault kv-nw-prod", owner="Cloud team")
    e.c("vcenter-lon", "control_plane", "vCenter Server (London)", owner=infra,
        notes="SSO identity source is AD")
    e.c("esx-lon", "other", "ESXi cluster London (12 hosts)", owner=infra, location="London")
    e.c("esx-man", "other", "ESXi cluster Manchester (6 hosts)", owner=infra,
        location="Manchester")
    e.c("esx-dr", "other", "ESXi cluster Reading DR (4 hosts)", owner=infra, location="Reading",
        notes="Restore target for Veeam replicas and AD recovery")
    e.c("san-lon", "other", "NetApp AFF London", owner=infra, location="London")
    e.c("san-man", "other", "NetApp AFF Manchester", owner=infra, location="Manchester")
    e.c("arm-uksouth", "control_plane", "Azure Resource Manager (UK South)")
    # applications
    e.c("policy-admin", "service", "Policy administration system", tier=1, rto_hours=4,
        owner=apps)
    e.c("policy-db", "datastore", "Policy SQL Server (Always On AG)", tier=1, rto_hours=4,
        rpo_hours=1, data_gb=2200, owner=dba)
    e.c("sql-lon-1", "datastore", "SQL AG replica London", data_gb=2200, location="London")
    e.c("sql-man-1", "datastore", "SQL AG replica Manchester", data_gb=2200,
        location="Manchester")
    e.c("claims-app", "service", "Claims handling app", tier=1, rto_hours=2, owner=apps,
        notes="RTO shorter than its database's")
    e.c("claims-db", "datastore", "Claims Oracle database", tier=1, rto_hours=4, rpo_hours=4,
        data_gb=1500, owner=dba, location="London")
    e.c("erp-app", "service", "Finance ERP (Dynamics AX)", tier=2, rto_hours=8, owner=apps)
    e.c("erp-db", "datastore", "ERP SQL database", tier=2, rto_hours=8, rpo_hours=24,
        data_gb=900, owner=dba, location="London")
    e.c("file-server", "datastore", "DFS file shares", tier=2, rto_hours=24, rpo_hours=24,
        data_gb=6000, owner=infra, location="London")
    e.c("exchange", "service", "Exchange 2019 DAG", tier=2, rto_hours=12, owner=infra,
        location="London")
    e.c("mailbox-db", "datastore", "Exchange mailbox databases", tier=2, rto_hours=24,
        rpo_hours=24, data_gb=3500, owner=infra, location="London")
    e.c("broker-portal", "service", "Broker portal (Azure App Service)", tier=2, rto_hours=8,
        owner=apps)
    e.c("data-warehouse", "datastore", "Data warehouse (Azure SQL)", tier=3, rto_hours=48,
        rpo_hours=24, data_gb=4000, owner="BI team")
    e.c("payroll-db", "datastore", "Payroll (Azure SQL)", tier=2, rto_hours=24, rpo_hours=24,
        data_gb=120, owner="HR systems")
    # backup estate
    e.c("veeam-br", "recovery_tool", "Veeam Backup & Replication server", throughput_mb_s=250,
        max_parallel_restores=2, owner=infra, location="Manchester",
        notes="Workgroup server; licence allows 2 concurrent restore sessions; the only "
        "proxy, restores to vSphere in network mode (about 250 MB/s in total)")
    e.c("rman-catalog", "recovery_tool", "RMAN recovery catalog", max_parallel_restores=1,
        owner=dba, location="Manchester")
    e.c("repo-lon", "backup_store", "Veeam repository DataDomain London", throughput_mb_s=800,
        owner=infra, location="London")
    e.c("repo-man", "backup_store", "Veeam copy repository Manchester", throughput_mb_s=400,
        owner=infra, location="Manchester")
    e.c("tape-library", "backup_store", "LTO-9 library (4 drives)", throughput_mb_s=1200,
        max_parallel_restores=4, owner=infra, location="Manchester")
    e.c("tape-vault", "backup_store", "Tapes at Iron Mountain", owner=infra,
        notes="Recall within 24 hours")
    e.c("tape-courier", "team", "Iron Mountain courier recall", max_parallel_restores=1)
    e.c("blob-immutable", "backup_store", "Azure immutable blob (Veeam capacity tier)",
        throughput_mb_s=300, owner="Cloud team")
    e.c("recovery-vault", "backup_store", "Recovery Services vault rsv-nw-prod",
        owner="Cloud team")
    e.c("infra-ops", "team", "Infrastructure operations", max_parallel_restores=3)
    e.c("dba-team", "team", "DBA team", max_parallel_restores=2)
    e.c("scom", "monitoring", "System Center Operations Manager", location="London")
    e.c("smtp-relay", "alerting", "SMTP relay (via Exchange)", location="London")
    e.c("servicenow", "alerting", "ServiceNow incident queue")
    bks = {
        "ad-systemstate": "AD domain controller image (Veeam, AD-aware)",
        "policy-db-backup": "Policy DB SQL native backup to Veeam",
        "claims-db-rman": "Claims DB RMAN backup",
        "claims-db-replica": "Claims DB VM replica at the DR site",
        "erp-db-dump": "ERP database dump job",
        "file-server-veeam": "File server Veeam backup",
        "file-server-cloud": "File server copy to Azure immutable blob",
        "tape-weekly": "Weekly tape out of the Veeam copy repository",
        "mailbox-backup": "Exchange mailbox Veeam backup",
        "dwh-azure-backup": "Data warehouse Azure Backup",
        "payroll-ltr": "Payroll Azure SQL long-term retention",
    }
    for bid, name in bks.items():
        e.c(bid, "backup", name)

    e.d("azure-uksouth", "azure", "location")
    e.d("sub-prod", "azure", "control")
    e.d("arm-uksouth", ["azure", "azure-uksouth"], "control")
    e.d("net-london", "dc-london", "location")
    e.d("net-manchester", "dc-manchester", "location")
    e.d("net-reading", ["dr-reading", "wan-mpls"], "location")
    e.d("expressroute", ["net-london", "azure-uksouth"], "network")
    for dcid, site, esx in [("adds-lon1", "dc-london", "esx-lon"),
                            ("adds-lon2", "dc-london", "esx-lon"),
                            ("adds-man1", "dc-manchester", "esx-man")]:
        e.d(dcid, [site, esx], "location")
    e.d("ad-northwind", ["adds-lon1", "adds-lon2", "adds-man1"], "runtime", group="dcs",
        needs=1, notes="Any one domain controller serves the domain")
    e.d("ad-northwind", "dns-northwind", "network", notes="DCs find each other through DNS")
    e.d("dns-northwind", "ad-northwind", "control", notes="AD-integrated zones")
    e.d("entra-id", "azure", "control")
    e.d("svc-veeam", "ad-northwind", "identity")
    e.d("svc-oracle", "ad-northwind", "identity")
    e.d("azure-backup-sp", "entra-id", "identity")
    e.d("hsm-lon", ["dc-london", "net-london"], "location")
    e.d("keyvault-uks", ["sub-prod", "azure-uksouth"], "location")
    e.d("vcenter-lon", ["esx-lon", "ad-northwind"], "control")
    e.d("esx-lon", ["dc-london", "san-lon", "net-london"], "location")
    e.d("esx-man", ["dc-manchester", "san-man", "net-manchester"], "location")
    e.d("esx-dr", ["dr-reading", "net-reading"], "location")
    e.d("san-lon", "dc-london", "location")
    e.d("san-man", "dc-manchester", "location")
    e.d("sql-lon-1", ["esx-lon", "ad-northwind"], "runtime")
    e.d("sql-man-1", ["esx-man", "ad-northwind"], "runtime")
    e.d("policy-db", ["sql-lon-1", "sql-man-1"], "storage", group="ag", needs=1,
        notes="Always On availability group, automatic failover")
    e.d("policy-db", "ad-northwind", "identity", notes="Windows authentication, cluster name object")
    e.d("policy-admin", ["policy-db", "esx-lon", "ad-northwind", "dns-northwind"], "runtime")
    e.d("claims-db", ["esx-lon", "ad-northwind", "hsm-lon"], "runtime",
        notes="TDE wallet keys in the HSM")
    e.d("claims-app", ["claims-db", "esx-lon", "ad-northwind"], "runtime")
    e.d("erp-db", ["esx-lon", "ad-northwind"], "runtime")
    e.d("erp-app", ["erp-db", "esx-lon", "ad-northwind"], "runtime")
    e.d("file-server", ["esx-lon", "ad-northwind", "dns-northwind"], "runtime")
    e.d("exchange", ["esx-lon", "ad-northwind", "dns-northwind"], "runtime")
    e.d("mailbox-db", ["esx-lon", "ad-northwind"], "runtime")
    e.d("broker-portal", ["sub-prod", "azure-uksouth", "entra-id", "expressroute",
                          "policy-db"], "runtime")
    e.d("data-warehouse", ["sub-prod", "azure-uksouth", "keyvault-uks", "entra-id"], "runtime")
    e.d("payroll-db", ["sub-prod", "azure-uksouth", "keyvault-uks"], "runtime")
    e.d("veeam-br", ["esx-man", "veeam-local"], "runtime",
        notes="Physical server in Manchester, not domain-joined")
    e.d("rman-catalog", ["esx-man", "svc-oracle"], "runtime")
    e.d("repo-lon", ["dc-london", "net-london"], "location")
    e.d("repo-man", ["dc-manchester", "net-manchester"], "location")
    e.d("tape-library", ["dc-manchester", "net-manchester"], "location")
    e.d("tape-vault", "ironmountain-vault", "location")
    e.d("blob-immutable", ["sub-prod", "azure-uksouth"], "location")
    e.d("recovery-vault", ["sub-prod", "azure-uksouth"], "location")
    e.d("scom", ["esx-lon", "ad-northwind"], "runtime")
    e.d("smtp-relay", "exchange", "runtime")
    e.d("vsphere-admins", "ad-northwind", "identity", notes="vCenter SSO identity source is AD")
    e.d("mgmt-jump", ["esx-lon", "ad-northwind"], "runtime")
    # who can administer what (admin rows: reach for an attacker, not requirements)
    for vm in ("adds-lon1", "adds-lon2", "adds-man1", "sql-lon-1", "sql-man-1", "claims-db",
               "erp-db", "file-server", "exchange", "mailbox-db", "mgmt-jump", "claims-db-replica"):
        e.d(vm, "vsphere-admins", "admin", notes="A VM managed by vCenter: its admins can delete or encrypt it")
    e.d("azure-backup-sp", "mgmt-jump", "admin",
        notes="Client secret saved in a PowerShell script on the jump host")
    e.d("data-warehouse", "azure-backup-sp", "admin",
        notes="backup-ops holds Contributor on the resource group")
    # restore paths
    e.d("ad-systemstate", ["repo-man", "veeam-br", "esxi-root", "wan-mpls"], "restore",
        notes="Restore to the isolated DR cluster; needs no AD")
    e.d("policy-db-backup", ["repo-lon", "veeam-br", "vcenter-lon", "svc-veeam", "dba-team"],
        "restore")
    e.d("claims-db-rman", ["repo-lon", "rman-catalog", "svc-oracle", "hsm-lon", "dba-team"],
        "restore")
    e.d("claims-db-replica", ["esx-dr", "veeam-br", "vcenter-lon"], "restore",
        notes="Failover is orchestrated through vCenter")
    e.d("erp-db-dump", ["repo-lon", "svc-veeam", "dba-team"], "restore")
    e.d("file-server-veeam", ["repo-lon", "veeam-br", "vcenter-lon", "svc-veeam", "infra-ops"],
        "restore")
    e.d("file-server-cloud", ["blob-immutable", "veeam-br", "expressroute", "vcenter-lon",
                              "infra-ops"], "restore")
    e.d("tape-weekly", ["tape-vault", "tape-courier", "tape-library", "hsm-lon", "veeam-br",
                        "infra-ops"], "restore", notes="Tape encryption keys live in the London HSM")
    e.d("mailbox-backup", ["repo-lon", "veeam-br", "vcenter-lon", "svc-veeam", "infra-ops"],
        "restore")
    e.d("dwh-azure-backup", ["recovery-vault", "azure-backup-sp", "arm-uksouth"], "restore")
    e.d("payroll-ltr", ["recovery-vault", "azure-backup-sp", "arm-uksouth"], "restore")

    e.b("ad-systemstate", "ad-northwind", method="image", schedule_hours=24,
        retention_days=30, verification="job_status", alert_channel="smtp-relay",
        restore_to="esx-dr", restore_mb_s=150, notes="Copy job to the Manchester repository")
    e.b("policy-db-backup", "policy-db", method="dump", schedule_hours=24, retention_days=35,
        verification="dr_drill", alert_channel="servicenow", restore_mb_s=350)
    e.b("claims-db-rman", "claims-db", method="dump", schedule_hours=24, retention_days=30,
        verification="job_status", alert_channel="smtp-relay", restore_mb_s=300)
    e.b("claims-db-replica", "claims-db", method="replica", schedule_hours=4,
        retention_days=1, verification="job_status", alert_channel="smtp-relay",
        restore_to="esx-dr", restore_mb_s=600, notes="Veeam replica every 4 hours")
    e.b("erp-db-dump", "erp-db", method="dump", schedule_hours=24, retention_days=14,
        verification="job_status", alert_channel="smtp-relay", restore_mb_s=200,
        notes="Script copies the nightly .bak from D:\\Backups (path changed in the 2026 upgrade)")
    e.b("file-server-veeam", "file-server", method="image", schedule_hours=24,
        retention_days=30, verification="job_status", alert_channel="smtp-relay",
        restore_mb_s=400)
    e.b("file-server-cloud", "file-server", method="object_copy", schedule_hours=24,
        retention_days=30, immutable=True, verification="checksum", alert_channel="servicenow",
        restore_mb_s=250)
    e.b("tape-weekly", "file-server", method="tape", schedule_hours=168, retention_days=365,
        offline=True, verification="job_status", alert_channel="smtp-relay", restore_to="esx-dr",
        restore_mb_s=300, notes="DR runbook: restore the file server at Reading from tape")
    e.b("mailbox-backup", "mailbox-db", method="image", schedule_hours=24, retention_days=30,
        verification="job_status", alert_channel="smtp-relay", restore_mb_s=300)
    e.b("dwh-azure-backup", "data-warehouse", method="snapshot", schedule_hours=24,
        retention_days=30, verification="restore_test", alert_channel="servicenow",
        restore_mb_s=500)
    e.b("payroll-ltr", "payroll-db", method="snapshot", schedule_hours=168,
        retention_days=2555, immutable=True, verification="restore_test",
        alert_channel="servicenow", restore_mb_s=150)

    e.runs(rng, "ad-systemstate", 24, 21, 58, 0.7, growth=0.01, p_fail=0.02)
    e.runs(rng, "policy-db-backup", 24, 23, 2150, 3.0, growth=0.04, p_fail=0.01, p_warn=0.02)
    collapse = dt.datetime(2026, 9, 25)

    def claims(i, start, row):
        if start >= collapse and row["status"] == "success":
            row["size_gb"] = round(95 * (1 + (i % 5) / 100), 3)
            row["finished_at"] = start + dt.timedelta(minutes=22 + i % 6)
        return row

    e.runs(rng, "claims-db-rman", 24, 0, 1450, 2.6, growth=0.03, p_fail=0.02, override=claims,
           run_type="full")
    e.runs(rng, "claims-db-replica", 4, 0, 9, 0.15, jitter=0.4, p_fail=0.01, run_type="incremental")

    def erp(i, start, row):
        mb = 3 + (i * 7) % 11
        return {**row, "status": "success", "size_gb": round(mb / 1024, 4),
                "finished_at": start + dt.timedelta(seconds=40 + (i * 13) % 30),
                "message": f"Copied 1 file ({mb} MB)"}

    e.runs(rng, "erp-db-dump", 24, 22, 1, 0.01, override=erp)

    def files(i, start, row):
        if dt.datetime(2026, 8, 11) <= start < dt.datetime(2026, 8, 15):
            return {**row, "status": "failed", "size_gb": 0.0,
                    "finished_at": start + dt.timedelta(minutes=9),
                    "message": "Job failed: CBT data is invalid, failing over to full scan "
                               "failed (datastore full)"}
        return row

    e.runs(rng, "file-server-veeam", 24, 20, 6000, 14.0, jitter=0.05, p_warn=0.04,
           override=files, full_every=7, incremental=(0.0075, 0.12))
    e.runs(rng, "file-server-cloud", 24, 8, 180, 3.5, jitter=0.35, p_fail=0.02)
    e.runs(rng, "tape-weekly", 168, 0, 6100, 14.0, growth=0.02, jitter=0.01,
           first=dt.datetime(2026, 6, 27, 18, 0), run_type="full")
    e.runs(rng, "mailbox-backup", 24, 19, 3500, 10.0, jitter=0.05, p_fail=0.02,
           stop_at=dt.datetime(2026, 9, 3), full_every=7, incremental=(0.008, 0.15))
    e.runs(rng, "dwh-azure-backup", 24, 3, 4000, 0.6, growth=0.04, jitter=0.01)
    e.runs(rng, "payroll-ltr", 168, 0, 118, 0.3, growth=0.01, jitter=0.01,
           first=dt.datetime(2026, 6, 28, 2, 0))

    e.t("ad-systemstate", "2025-11-14", "pass", "full", 55, 3.0,
        "Restored one DC in the isolated DR network")
    e.t("policy-db-backup", "2026-09-12", "pass", "dr_drill", 2180, 3.1,
        "Annual DR drill: policy admin back in Reading")
    e.t("policy-db-backup", "2026-06-14", "pass", "full", 2120, 3.4)
    e.t("claims-db-rman", "2026-08-22", "fail", "full", 0, 5.0,
        "RMAN-06026: some targets not found - missing archived logs")
    e.t("claims-db-rman", "2026-04-03", "pass", "full", 1400, 4.2)
    e.t("file-server-veeam", "2026-07-30", "partial", "file", 12, 0.7,
        "Two of three folders restored; ACLs lost on the third")
    e.t("dwh-azure-backup", "2026-08-30", "pass", "full", 3900, 2.5)
    e.t("payroll-ltr", "2026-09-08", "pass", "full", 118, 0.4)
    e.t("tape-weekly", "2026-01-20", "pass", "file", 3, 26.0,
        "Tape recalled from Iron Mountain; 26 h including courier")

    e.scenario("Ransomware on the domain",
               ["ad-northwind", "file-server", "claims-db", "claims-db-replica", "erp-db",
                "mailbox-db", "policy-db"])
    e.scenario("Loss of London data centre", ["dc-london"])
    e.scenario("Domain admin compromise", ["ad-northwind"], "credential_compromise")
    return e


# --------------------------------------------------------------------------- writers

def _text(value) -> str:
    """A cell as text (CSV): ISO dates, plain numbers, empty for missing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _yaml_value(value):
    """A cell for YAML: dates and date-times as ISO strings, other scalars kept."""
    if isinstance(value, (dt.date, dt.datetime)):
        return _text(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _meta_for_yaml(e: Estate) -> dict:
    meta = dict(e.meta)
    meta["as_of"] = AS_OF.isoformat()
    return meta


def write_csv_folder(e: Estate, out: Path) -> None:
    """Write the estate as a CSV folder (``inventory.yaml`` + one CSV per table)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "inventory.yaml").write_text(
        yaml.safe_dump(_meta_for_yaml(e), sort_keys=False, allow_unicode=True, width=90),
        encoding="utf-8")
    for table, cols in COLUMNS.items():
        with open(out / f"{table}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(cols)
            for row in e.tables[table]:
                w.writerow([_text(row.get(c)) for c in cols])


def write_yaml(e: Estate, out: Path) -> None:
    """Write the estate as one YAML file (metadata keys + a list of mappings per table)."""
    doc = _meta_for_yaml(e)
    for table, cols in COLUMNS.items():
        doc[table] = [{c: _yaml_value(row[c]) for c in cols if row.get(c) is not None}
                      for row in e.tables[table]]
    out.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100),
                   encoding="utf-8")


def write_xlsx(e: Estate, out: Path) -> None:
    """Write the estate as an Excel workbook (one sheet per table + ``inventory``).

    ``scenarios`` goes into the ``inventory`` sheet as YAML text in its value cell.
    Dates and date-times are real Excel date cells. Workbook properties are pinned
    so the file does not change between runs.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "inventory"
    ws.append(["key", "value"])
    for key, value in e.meta.items():
        if key == "scenarios":
            value = yaml.safe_dump(value, sort_keys=False, default_flow_style=None, width=200)
        ws.append([key, value])
    ws["B3"].number_format = "yyyy-mm-dd"
    for table, cols in COLUMNS.items():
        sh = wb.create_sheet(table)
        sh.append(cols)
        for row in e.tables[table]:
            sh.append([row.get(c) for c in cols])
        for cell in sh[1]:
            cell.font = Font(bold=True)
        for idx, col in enumerate(cols, start=1):
            fmt = {"started_at": "yyyy-mm-dd hh:mm:ss", "finished_at": "yyyy-mm-dd hh:mm:ss",
                   "tested_at": "yyyy-mm-dd"}.get(col)
            if fmt:
                for (cell,) in sh.iter_rows(min_row=2, min_col=idx, max_col=idx):
                    cell.number_format = fmt
        sh.freeze_panes = "A2"
    fixed = dt.datetime(2026, 9, 30)
    wb.properties.creator = "hiddenspof data/build_samples.py"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps zip entries with the current time: pin them for byte-identical files
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            pinned = zipfile.ZipInfo(info.filename, date_time=(2026, 9, 30, 0, 0, 0))
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = info.external_attr
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl sets 'modified' to now on save
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-09-30T00:00:00Z", data)
            dst.writestr(pinned, data)


def write_all(out_dir: Path) -> None:
    """Write the three sample estates into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_yaml(teaching(), out_dir / "teaching.yaml")
    write_xlsx(saas(), out_dir / "saas-single-cloud.xlsx")
    write_csv_folder(hybrid(), out_dir / "hybrid-enterprise")


if __name__ == "__main__":
    write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
