"""Importer gaps closed on exports shaped like the real tools': point-in-time recovery and continuous
copies, S3 buckets placed, the Velero bucket as a store, Veeam shares and keys, StatefulSet volumes
counted once, `platform` filled, one report per format, and `validate` on every import."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hiddenspof import analysis, inventory, model
from hiddenspof.cli import main
from hiddenspof.importers import build_draft, run
from test_importers import BOUTIQUE, CATALOG, CMDB, DATA_NS, HOTEL, VELERO
from test_importers_backup import (
    BUNKER,
    DB_ARN,
    DR_ACCT,
    PROD_VAULT,
    ROLE,
    SRC_ACCT,
    VEEAM,
    VELERO_HISTORY,
    _all_sources,
    account_a,
    backup_job,
    bundle,
    deps,
    job,
    read_csv,
    session,
    tf_res,
    tf_state,
    write_json,
)

FIVE_MINUTES = "0.083333"
RDS_STORE = f"rds-backup-storage.{SRC_ACCT}.eu-west-1"
CLUSTER_ARN = f"arn:aws:rds:eu-west-1:{SRC_ACCT}:cluster:ledger"
TABLE_ARN = f"arn:aws:dynamodb:eu-west-1:{SRC_ACCT}:table/carts"


def dep_kind(draft, component: str, depends_on: str) -> str | None:
    for (c, d, _g), row in draft.dependencies.items():
        if (c, d) == (component, depends_on):
            return row["kind"]
    return None


# --- point-in-time recovery and continuous copies --------------------------------------

def pitr_state() -> dict:
    """An account whose RDS instance, Aurora cluster and DynamoDB tables keep point-in-time recovery,
    and whose backup plan has a continuous rule (as `terraform show -json` writes them)."""
    plan = tf_res("aws_backup_plan", "pitr", {
        "id": "plan-pitr", "name": "pitr",
        "rule": [{"rule_name": "continuous", "target_vault_name": "prod", "schedule": "cron(0 5 ? * * *)",
                  "enable_continuous_backup": True, "lifecycle": [{"delete_after": 35}], "copy_action": []}]})
    return tf_state([
        tf_res("aws_backup_vault", "prod", {"name": "prod", "arn": PROD_VAULT}),
        tf_res("aws_db_instance", "orders", {"identifier": "orders", "arn": DB_ARN, "allocated_storage": 100,
                                             "multi_az": True, "backup_retention_period": 7}),
        tf_res("aws_rds_cluster", "ledger", {"cluster_identifier": "ledger", "arn": CLUSTER_ARN,
                                             "backup_retention_period": 14, "engine": "aurora-postgresql"}),
        tf_res("aws_dynamodb_table", "carts", {"name": "carts", "arn": TABLE_ARN,
                                               "point_in_time_recovery": [{"enabled": True}]}),
        tf_res("aws_dynamodb_table", "sessions", {"name": "sessions",
                                                  "arn": f"arn:aws:dynamodb:eu-west-1:{SRC_ACCT}:table/sessions",
                                                  "point_in_time_recovery": [{"enabled": False}]}),
        plan,
        tf_res("aws_backup_selection", "ledger", {"plan_id": "plan-pitr", "iam_role_arn": ROLE,
                                                  "resources": [CLUSTER_ARN]}),
    ])


def test_terraform_point_in_time_recovery_is_a_five_minute_backup_in_the_service_store(tmp_path):
    """RDS, Aurora and DynamoDB point-in-time recovery and a continuous plan rule: a recovery point every
    5 minutes, the retention they keep, stored in the service's own store in the account and region."""
    d = build_draft("terraform", [str(write_json(tmp_path / "pitr.json", pitr_state()))])
    rds = d.backups["orders.automated-backups"]
    assert (rds["schedule_hours"], rds["retention_days"]) == (FIVE_MINUTES, "7")
    assert ("orders.automated-backups", RDS_STORE) in deps(d)
    assert {(RDS_STORE, f"aws-account.{SRC_ACCT}"), (RDS_STORE, "aws-region.eu-west-1")} <= deps(d)
    assert rds["restore_to"] == f"aws-restore-target.{SRC_ACCT}.eu-west-1"
    aurora = d.backups["ledger.automated-backups"]
    assert (aurora["schedule_hours"], aurora["retention_days"]) == (FIVE_MINUTES, "14")
    continuous = d.backups[f"ledger.continuous@{SRC_ACCT}.eu-west-1.prod"]
    assert (continuous["schedule_hours"], continuous["retention_days"]) == (FIVE_MINUTES, "35")
    assert (f"ledger.continuous@{SRC_ACCT}.eu-west-1.prod", RDS_STORE) in deps(d)
    assert (f"ledger.continuous@{SRC_ACCT}.eu-west-1.prod", f"vault.{SRC_ACCT}.eu-west-1.prod") not in deps(d)
    carts = d.backups["carts.point-in-time-recovery"]
    assert (carts["schedule_hours"], carts["retention_days"]) == (FIVE_MINUTES, "35")
    assert ("carts.point-in-time-recovery", f"dynamodb-backup-storage.{SRC_ACCT}.eu-west-1") in deps(d)
    assert "sessions.point-in-time-recovery" not in d.backups
    assert any("`sessions` has point-in-time recovery switched off" in s for s in d.seen)
    assert {c: d.components[c]["platform"] for c in ("orders", "ledger", "carts")} == \
        {"orders": "aws-rds", "ledger": "aws-aurora", "carts": "aws-dynamodb"}


def test_azure_sql_and_cloud_sql_point_in_time_recovery(tmp_path):
    """Azure SQL's short-term retention and Cloud SQL's point_in_time_recovery_enabled become backups with
    their log interval and retention, in the service's store of the subscription/project and region."""
    server_id = "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-prod"
    doc = tf_state([
        tf_res("azurerm_mssql_server", "prod", {"id": server_id, "name": "sql-prod", "location": "westeurope"}),
        tf_res("azurerm_mssql_database", "erp", {"id": server_id + "/databases/erp", "name": "erp", "server_id": server_id,
                                                 "short_term_retention_policy": [{"retention_days": 14,
                                                                                  "backup_interval_in_hours": 12}]}),
        tf_res("google_sql_database_instance", "crm", {
            "name": "crm", "project": "acme-prod", "region": "europe-west1", "database_version": "POSTGRES_15",
            "settings": [{"backup_configuration": [{"enabled": True, "point_in_time_recovery_enabled": True,
                                                    "transaction_log_retention_days": 7}]}]}),
    ])
    d = build_draft("terraform", [str(write_json(tmp_path / "clouds.json", doc))])
    erp = d.backups["sql-prod.erp.point-in-time-recovery"]
    assert (erp["schedule_hours"], erp["retention_days"]) == ("0.166667", "14")
    store = "azure-sql-backup-storage.sub-1.westeurope"
    assert {("sql-prod.erp.point-in-time-recovery", store), (store, "azure-subscription.sub-1"),
            (store, "azure-region.westeurope"), ("sql-prod.erp", "azure-region.westeurope")} <= deps(d)
    crm = d.backups["crm.point-in-time-recovery"]
    assert (crm["schedule_hours"], crm["retention_days"]) == (FIVE_MINUTES, "7")
    assert ("crm.point-in-time-recovery", "cloudsql-backup-storage.acme-prod.europe-west1") in deps(d)
    assert d.components["sql-prod.erp"]["platform"] == "azure-sql" and d.components["crm"]["platform"] == "gcp-cloudsql"


def continuous_jobs(tmp_path: Path) -> Path:
    point = f"arn:aws:backup:eu-west-1:{SRC_ACCT}:recovery-point:continuous:db-ORDERS-1a2b3c4d"
    jobs = [dict(backup_job(n, f"2024-03-0{n}T05:00:00Z", state="FAILED" if n == 3 else "COMPLETED"),
                 RecoveryPointArn=point) for n in (1, 2, 3)]
    jobs.append(backup_job(9, "2024-03-01T06:00:00Z"))  # a snapshot rule to the same vault
    return write_json(tmp_path / "aws" / "list-backup-jobs.json", {"BackupJobs": jobs})


def test_aws_backup_continuous_jobs_are_their_own_five_minute_backup(tmp_path):
    """Jobs whose recovery point is continuous give `<asset>.continuous@<vault>` (5 minutes, the RDS store,
    no runs: the jobs only keep it going), beside the snapshot backup of the same vault; a failed last job
    is reported; terraform completes the same row."""
    src = continuous_jobs(tmp_path)
    d = build_draft("aws-backup", [str(src)])
    cid = f"orders.continuous@{SRC_ACCT}.eu-west-1.prod"
    assert d.backups[cid]["schedule_hours"] == FIVE_MINUTES and (cid, RDS_STORE) in deps(d)
    assert not [k for k in d.runs if k[0] == cid]  # its jobs are not recovery points: no runs
    assert any(f"`{cid}`: 3 jobs of the continuous backup" in m for m in d.mapped)
    assert any(f"the last job of continuous backup `{cid}` (2024-03-03T05:00:00Z) ended FAILED" in x for x in d.seen)
    assert any(x.startswith("`orders` has no copy outside account") for x in d.seen)  # a PITR restore stays home
    assert {r["type"] for k, r in d.runs.items() if k[0] == f"orders@{SRC_ACCT}.eu-west-1.prod"} == {"incremental"}
    out = tmp_path / "inv"
    run("aws-backup", [str(src)], str(out), as_of="2024-03-04", stderr=io.StringIO())
    doc = pitr_state()
    doc["values"]["root_module"]["resources"][-1]["values"]["resources"] = [DB_ARN]
    run("terraform", [str(write_json(tmp_path / "tf.json", doc))], str(out), into=str(out), stderr=io.StringIO())
    row = {r["id"]: r for r in read_csv(out / "backups.csv")}[cid]
    assert row["retention_days"] == "35" and row["imported_from"] == "aws-backup:list-backup-jobs.json;terraform:tf.json"
    assert main(["validate", str(out)]) == 0


# --- S3 buckets and the Velero bucket ---------------------------------------------------

def test_terraform_s3_bucket_is_placed_on_its_account_and_region(tmp_path):
    """An S3 ARN names neither account nor region: the region comes from the bucket's `region` (or its
    regional domain name), the account from the state file's only account (guessed, reported)."""
    doc = account_a()
    bucket = next(r for r in doc["values"]["root_module"]["resources"] if r["type"] == "aws_s3_bucket")
    bucket["values"]["region"] = "eu-west-1"
    d = build_draft("terraform", [str(write_json(tmp_path / "a.json", doc))])
    assert {("acme-assets", f"aws-account.{SRC_ACCT}"), ("acme-assets", "aws-region.eu-west-1")} <= deps(d)
    assert any("`acme-assets`: an S3 ARN names no account" in g for g in d.guessed)
    assert d.components["acme-assets"]["platform"] == "aws-s3"
    del bucket["values"]["region"]
    bucket["values"]["bucket_regional_domain_name"] = "acme-assets.s3.eu-central-1.amazonaws.com"
    d = build_draft("terraform", [str(write_json(tmp_path / "b.json", doc))])
    assert ("acme-assets", "aws-region.eu-central-1") in deps(d)


def test_aws_backup_places_an_s3_bucket_by_the_vault_of_its_own_backups(tmp_path):
    """An S3 ARN names neither account nor region: a backup job writes to a vault of the bucket's own account
    and region, so the bucket lies there, and its copy in another account is seen to be kept elsewhere."""
    bucket = "arn:aws:s3:::acme-assets"
    jobs = write_json(tmp_path / "jobs.json", {"BackupJobs": [
        dict(backup_job(1, "2024-03-01T05:00:00Z", resource=bucket, rtype="S3"), AccountId=SRC_ACCT)]})
    copies = write_json(tmp_path / "copies.json", {"CopyJobs": [{
        "CopyJobId": "c1", "SourceBackupVaultArn": PROD_VAULT, "DestinationBackupVaultArn": BUNKER,
        "ResourceArn": bucket, "ResourceType": "S3", "CreationDate": "2024-03-01T07:00:00Z",
        "CompletionDate": "2024-03-01T07:30:00Z", "State": "COMPLETED"}]})
    d = build_draft("aws-backup", [str(jobs), str(copies)])
    assert {("acme-assets", f"aws-account.{SRC_ACCT}"), ("acme-assets", "aws-region.eu-west-1")} <= deps(d)
    assert d.backups[f"acme-assets@{DR_ACCT}.eu-central-1.bunker"]["restore_to"] == f"aws-restore-target.{DR_ACCT}.eu-central-1"
    assert not any(x.startswith("`acme-assets` has no copy outside") for x in d.seen)
    assert d.components["acme-assets"]["platform"] == "aws-s3"


def velero_state() -> dict:
    """The cluster account's state: the Velero bucket and an application bucket that a backup plan protects."""
    plan = tf_res("aws_backup_plan", "main", {"id": "plan-1", "name": "daily", "rule": [
        {"rule_name": "daily", "target_vault_name": "prod", "schedule": "cron(0 5 ? * * *)", "copy_action": []}]})
    return tf_state([
        tf_res("aws_backup_vault", "prod", {"name": "prod", "arn": PROD_VAULT}),
        tf_res("aws_s3_bucket", "velero", {"bucket": "shop-velero-backups", "arn": "arn:aws:s3:::shop-velero-backups",
                                           "region": "eu-west-1"}),
        tf_res("aws_s3_bucket", "assets", {"bucket": "acme-assets", "arn": "arn:aws:s3:::acme-assets", "region": "eu-west-1"}),
        plan,
        tf_res("aws_backup_selection", "assets", {"plan_id": "plan-1", "iam_role_arn": ROLE,
                                                  "resources": ["arn:aws:s3:::acme-assets"]}),
    ])


@pytest.mark.parametrize("order", [("terraform", "kubernetes"), ("kubernetes", "terraform")])
def test_velero_bucket_is_a_backup_store_whatever_the_import_order(tmp_path, order):
    """The bucket a BackupStorageLocation writes to is a store of the Velero backups: imported with the
    Terraform state that also declares it, in either order, it is no datastore that "has no backup"."""
    tf = write_json(tmp_path / "tf.json", velero_state())
    sources = {"terraform": [tf], "kubernetes": [BOUTIQUE, DATA_NS, VELERO]}
    alone = tmp_path / "tf-only"
    run("terraform", [str(tf)], str(alone), as_of="2024-03-06", stderr=io.StringIO())
    ids = {f["id"] for f in analysis.analyze(inventory.load(str(alone)))["findings"]}
    assert "data_quality:no-backup:shop-velero-backups" in ids  # what the bucket looks like without Velero's view
    out = tmp_path / "inv"
    for i, fmt in enumerate(order):
        run(fmt, [str(s) for s in sources[fmt]], str(out), into=str(out) if i else None, as_of="2024-03-06",
            stderr=io.StringIO())
    row = {r["id"]: r for r in read_csv(out / "components.csv")}["shop-velero-backups"]
    assert row["kind"] == "backup_store" and row["platform"] == "aws-s3"
    assert ("bsl.default", "shop-velero-backups") in {(r["component"], r["depends_on"]) for r in read_csv(out / "dependencies.csv")}
    ids = {f["id"] for f in analysis.analyze(inventory.load(str(out)))["findings"]}
    assert "data_quality:no-backup:shop-velero-backups" not in ids
    run(order[0], [str(s) for s in sources[order[0]]], str(out), into=str(out), stderr=io.StringIO())  # again: stable
    assert {r["id"]: r for r in read_csv(out / "components.csv")}["shop-velero-backups"]["kind"] == "backup_store"
    assert {p.name for p in out.glob("import-report-*.md")} == {"import-report-terraform.md", "import-report-kubernetes.md"}


# --- Veeam: the share's file server, the key's keeper ----------------------------------

def test_veeam_smb_extent_lies_on_the_nas_and_needs_its_gateway(tmp_path):
    """An SMB extent (`\\\\NAS01\\Veeam`) is placed on the NAS that holds the data; the gateway server the
    `Host` column names only carries the traffic (a `network` row), so losing the NAS loses the backups."""
    extents = [{"Host": "GW01", "Id": "e-nas", "Name": "NAS Extent", "HostId": "", "Path": "\\\\NAS01\\Veeam",
                "FriendlyPath": "\\\\NAS01\\Veeam", "Type": "CifsShare", "SOBR_Name": "SOBR1",
                "IsImmutabilitySupported": "False", "gatewayHosts": "GW01", "ObjectLockEnabled": "False"},
               {"Host": "REPO02", "Id": "e-local", "Name": "Local Extent", "HostId": "s-repo", "Path": "/backups",
                "FriendlyPath": "REPO02:/backups", "Type": "LinuxLocal", "SOBR_Name": "SOBR1",
                "IsImmutabilitySupported": "False", "gatewayHosts": "", "ObjectLockEnabled": "False"}]
    root = bundle(tmp_path, jobs=[job("Nightly", "SOBR1")], protected=["APP1"],
                  sessions=[session("Nightly", "APP1", "2024-03-01T22:00:00")],
                  extra={"VBRConfig/_SOBRExtents.csv": extents,
                         "VBRConfig/_SOBRs.csv": [{"Id": "sobr-1", "Name": "SOBR1", "EnableCapacityTier": "False"}]})
    d = build_draft("veeam", [str(root)])
    assert dep_kind(d, "extent.NAS-Extent", "NAS01") == "location"
    assert dep_kind(d, "extent.NAS-Extent", "GW01") == "network"
    assert dep_kind(d, "extent.Local-Extent", "REPO02") == "location"
    _, inv, _ = _import(tmp_path, "veeam", [root])
    assert "APP1" in model.build(inv).recover({"APP1", "NAS01"}).unrecoverable


def test_veeam_encryption_key_is_kept_on_the_backup_server(tmp_path):
    """A job's encryption password lives in the backup server's configuration database: the key has a row on it."""
    key = "5f1e0000-0000-0000-0000-00000000abcd"
    root = bundle(tmp_path, jobs=[job("Nightly", "Hardened", key=key)], protected=["APP1"],
                  sessions=[session("Nightly", "APP1", "2024-03-01T22:00:00")])
    d = build_draft("veeam", [str(root)])
    assert dep_kind(d, f"veeam-key.{key}", "VBR01") == "location"
    assert ("Nightly.APP1", f"veeam-key.{key}") in deps(d)


# --- Kubernetes: StatefulSet volumes once ------------------------------------------------

def test_statefulset_volumes_are_counted_once(tmp_path):
    """The claims a StatefulSet's templates make (`data-orders-db-0..2`, as `kubectl get pvc` lists them)
    belong to the StatefulSet: no component, no backup of their own, the data counted once."""
    claims = tmp_path / "pvcs.yaml"
    claims.write_text("".join(
        f"---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data-orders-db-{i}\n  namespace: data\n"
        f"  labels: {{app: orders-db}}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n"
        f"      storage: 10Gi\n" for i in range(3)), encoding="utf-8")
    d = build_draft("kubernetes", [str(DATA_NS), str(claims), str(VELERO)])
    assert not any(c.startswith("data-orders-db-") for c in d.components)
    assert not any("data-orders-db-" in b for b in d.backups)
    assert d.components["orders-db"]["data_gb"] == "32.212"  # 3 replicas x 10 GiB, once
    assert "nightly.orders-db" in d.backups and "nightly.orders-db.snapshot" in d.backups
    assert any("`data/data-orders-db-0`: a volume of StatefulSet `orders-db`" in m for m in d.mapped)
    total = sum(float(r["data_gb"]) for r in d.components.values() if r.get("namespace") == "data" and r.get("data_gb"))
    assert total == pytest.approx(32.212 + 536.871, abs=0.01)  # the StatefulSet and the uploads claim


# --- platform, reports, validate ---------------------------------------------------------

PLATFORMS = {
    "compose": ([HOTEL], {"frontend": "docker", "mongodb-geo": "docker"}),
    "kubernetes": ([BOUTIQUE, DATA_NS, VELERO], {"cartservice": "kubernetes", "uploads": "kubernetes",
                                                 "kubernetes-control-plane": "kubernetes",
                                                 "shop-velero-backups": "aws-s3"}),
    "cmdb": (CMDB, {"esx-07": "vmware", "esx-cluster-north": "vmware"}),
    "veeam": ([VEEAM], {"DC01": "vmware", "HV-DC01": "hyperv", "PHYSICAL-SQL01": "physical",
                        "VCENTER01.lab.local": "vmware", "ESXI01.lab.local": "vmware"}),
    "aws-backup": (None, {"orders": "aws-rds"}),
    "terraform": (None, {"orders": "aws-rds", "acme-assets": "aws-s3"}),
    "velero": ([VELERO_HISTORY], {"k8s-namespace.data": "kubernetes", "velero": "kubernetes"}),
    "backstage": ([CATALOG], {"storefront": ""}),  # no annotation, no typed resource: not said
    "restic": (None, {"kasimir": ""}),  # restic names hosts, not what they run on
    "borg": (None, {"host": ""}),
}


@pytest.mark.parametrize("fmt", sorted(PLATFORMS))
def test_every_importer_fills_platform_and_validates(tmp_path, fmt):
    """Each importer writes the contract's `platform` where its source says it; the folder validates."""
    sources, expected = PLATFORMS[fmt]
    if sources is None:
        sources = _all_sources(tmp_path)[fmt]
    out, _, _ = _import(tmp_path, fmt, sources)
    rows = {r["id"]: r for r in read_csv(out / "components.csv")}
    assert {cid: rows[cid]["platform"] for cid in expected} == expected
    assert main(["validate", str(out)]) == 0
    assert (out / f"import-report-{fmt}.md").exists() and not (out / "import-report.md").exists()


def test_backstage_platform_from_kubernetes_annotation(tmp_path):
    """A Component annotated for the Backstage Kubernetes plugin runs on Kubernetes; others say nothing."""
    extra = tmp_path / "k8s-component.yaml"
    extra.write_text("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n"
                     "  annotations:\n    backstage.io/kubernetes-id: checkout\nspec:\n  type: service\n"
                     "  lifecycle: production\n  owner: team-shop\n", encoding="utf-8")
    d = build_draft("backstage", [str(CATALOG), str(extra)])
    assert d.components["checkout"]["platform"] == "kubernetes"
    assert d.components["storefront"].get("platform", "") == ""


def test_second_import_of_a_format_replaces_only_its_own_report(tmp_path):
    """compose then kubernetes then compose again: two reports, the compose one rewritten, the other untouched."""
    out = tmp_path / "inv"
    run("compose", [str(HOTEL)], str(out), as_of="2024-03-06", stderr=io.StringIO())
    run("kubernetes", [str(BOUTIQUE)], str(out), into=str(out), stderr=io.StringIO())
    k8s = (out / "import-report-kubernetes.md").read_bytes()
    run("compose", [str(HOTEL)], str(out), into=str(out), stderr=io.StringIO())
    assert (out / "import-report-kubernetes.md").read_bytes() == k8s
    assert b"Format: **compose**" in (out / "import-report-compose.md").read_bytes()
    merged = tmp_path / "merged"
    run("compose", [str(HOTEL)], str(merged), into=str(out), stderr=io.StringIO())
    assert (merged / "import-report-kubernetes.md").read_bytes() == k8s  # copied with the other files


def _import(tmp_path: Path, fmt: str, sources, name: str = "inv"):
    out = tmp_path / name
    run(fmt, [str(s) for s in sources], str(out), as_of="2024-03-06", stderr=io.StringIO())
    inv = inventory.load(str(out))
    return out, inv, None


def test_veeam_machine_named_only_by_a_session_gets_its_platform(tmp_path):
    """A VM that only the session report names (job type EVmware) is still a `vmware` machine."""
    root = bundle(tmp_path, jobs=[job("Nightly", "Hardened")], sessions=[session("Nightly", "APP9", "2024-03-01T22:00:00")],
                  protected=[])
    d = build_draft("veeam", [str(root)])
    assert d.components["APP9"]["platform"] == "vmware"
