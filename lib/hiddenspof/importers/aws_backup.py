"""AWS Backup listings (backup, copy and restore jobs; vault descriptions) -> draft inventory.

Sources are the JSON the AWS CLI prints for ``aws backup list-backup-jobs``,
``list-copy-jobs``, ``list-restore-jobs``, ``describe-backup-vault`` and
``list-backup-vaults``, in any subset and order, with CLI v1 epoch or v2 ISO dates and
paginated output concatenated. Every rule is listed in docs/importers.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from .draft import Draft
from .fields import bad, hours_between, parse_bool, parse_datetime, parse_float
from .jsondocs import Record, json_documents
from .sources import ImportSourceError, label

__all__ = ["PITR_HOURS", "PLATFORMS", "RESOURCE_KINDS", "Arn", "import_aws_backup", "parse_arn", "pitr_store"]

#: ``ResourceType`` -> (component kind, backup method, run type). The run type is what a
#: recovery point of that service holds: EBS, EC2, EFS, S3, FSx, RDS/Aurora and the other
#: snapshot-based services store only the blocks changed since the previous point
#: (incremental); DynamoDB and Timestream backups are full copies.
RESOURCE_KINDS: dict[str, tuple[str, str, str]] = {
    "EC2": ("service", "snapshot", "incremental"),
    "EBS": ("datastore", "snapshot", "incremental"),
    "EFS": ("datastore", "file_copy", "incremental"),
    "FSx": ("datastore", "snapshot", "incremental"),
    "S3": ("datastore", "object_copy", "incremental"),
    "RDS": ("datastore", "snapshot", "incremental"),
    "Aurora": ("datastore", "snapshot", "incremental"),
    "DocumentDB": ("datastore", "snapshot", "incremental"),
    "Neptune": ("datastore", "snapshot", "incremental"),
    "Redshift": ("datastore", "snapshot", "incremental"),
    "Storage Gateway": ("datastore", "snapshot", "incremental"),
    "VirtualMachine": ("service", "image", "incremental"),
    "DynamoDB": ("datastore", "snapshot", "full"),
    "Timestream": ("datastore", "snapshot", "full"),
    "CloudFormation": ("service", "other", "full"),
    "SAP HANA on Amazon EC2": ("datastore", "dump", ""),
}
#: ``ResourceType`` -> the component's ``platform`` (the inventory contract's lower-case words).
#: A VirtualMachine is one the Backup gateway reaches on premises: its hypervisor is not said.
PLATFORMS: dict[str, str] = {
    "EC2": "aws-ec2", "EBS": "aws-ebs", "EFS": "aws-efs", "FSx": "aws-fsx", "S3": "aws-s3", "RDS": "aws-rds",
    "Aurora": "aws-aurora", "DocumentDB": "aws-docdb", "Neptune": "aws-neptune", "Redshift": "aws-redshift",
    "Storage Gateway": "aws-storage-gateway", "DynamoDB": "aws-dynamodb", "Timestream": "aws-timestream",
    "CloudFormation": "aws-cloudformation", "SAP HANA on Amazon EC2": "aws-ec2",
}
#: hours between the recovery points of a service's point-in-time recovery: RDS, Aurora and
#: DynamoDB restore to any second up to their latest restorable time, typically 5 minutes
#: before the present (the services' own documentation), so the recovery point is 5 minutes.
PITR_HOURS: dict[str, float] = {"RDS": 5 / 60, "Aurora": 5 / 60, "DynamoDB": 5 / 60}
#: services that keep point-in-time recovery in their own store (transaction logs and
#: snapshots of the service in the account and region), not in a backup vault.
_PITR_STORES = {"RDS": ("rds", "RDS automated backup storage"), "Aurora": ("rds", "RDS automated backup storage"),
                "DynamoDB": ("dynamodb", "DynamoDB point-in-time recovery storage")}
_RUN_STATE = {"COMPLETED": "success", "PARTIAL": "warning", "FAILED": "failed", "ABORTED": "failed", "EXPIRED": "failed"}
_UNFINISHED = {"CREATED", "PENDING", "RUNNING", "ABORTING"}
_RESTORE_STATE = {"COMPLETED": "pass", "FAILED": "fail", "ABORTED": "fail"}


@dataclass(frozen=True)
class Arn:
    """The parts of an ARN that place a resource: service, region, account, resource name."""

    text: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def name(self) -> str:
        """The last segment of the resource part (``instance/i-1`` -> ``i-1``)."""
        return self.resource.replace(":", "/").rstrip("/").rsplit("/", 1)[-1]


def parse_arn(where: str, field: str, value: object) -> Arn:
    """An ARN split into its parts, or an ImportSourceError naming the record and field."""
    text = str(value or "")
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[2] or not parts[5]:
        raise bad(where, field, value, "an ARN (arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE)")
    return Arn(text, parts[2], parts[3], parts[4], parts[5])


def kept_elsewhere(home: Arn | None, vault: Arn | None) -> bool:
    """A copy kept in another account or region than the resource it protects (so it outlives their loss)."""
    if home is None or vault is None:
        return False
    return bool((home.account and vault.account and home.account != vault.account)
                or (home.region and vault.region and home.region != vault.region))


def restore_target(draft: Draft, vault: Arn, source: str) -> str:
    """The component a restore from a copy kept elsewhere lands on: resources in the vault's account and region."""
    target = f"aws-restore-target.{vault.account}.{vault.region}"
    draft.component(target, "other", source, name=f"restored resources in {vault.account}, {vault.region}",
                    source_type="AWS restore target",
                    notes="where a restore from a copy outside the source account or region lands")
    return target

def pitr_hours_text(rtype: str) -> str:
    """``schedule_hours`` of a service's point-in-time recovery as text precise to the second ("" when unknown)."""
    hours = PITR_HOURS.get(rtype)
    return f"{hours:.6f}".rstrip("0") if hours else ""


def pitr_store(draft: Draft, rtype: str, arn: Arn | None, source: str) -> str:
    """The service's own store of point-in-time recovery in the resource's account and region ("" when the
    service keeps continuous backups in the vault): a ``backup_store`` placed on its account and region."""
    if rtype not in _PITR_STORES:
        return ""
    short, what = _PITR_STORES[rtype]
    where = f".{arn.account}.{arn.region}" if arn and arn.account and arn.region else ""
    cid = f"{short}-backup-storage{where}"
    draft.component(cid, "backup_store", source, name=f"{what} {arn.region if arn else ''}".strip(),
                    source_type=f"AWS {what}",
                    notes="point-in-time recovery logs and automated snapshots, kept by the service in the resource's"
                          " account and region; they go with the resource unless retained after its deletion")
    if arn and arn.account:
        acct = f"aws-account.{arn.account}"
        draft.component(acct, "account", source, name=f"AWS account {arn.account}", source_type="AWS account")
        draft.depend(cid, acct, "location", source)
    if arn and arn.region:
        reg = f"aws-region.{arn.region}"
        draft.component(reg, "region", source, name=f"AWS {arn.region}", source_type="AWS region")
        draft.depend(cid, reg, "location", source)
    return cid


def is_continuous(point_arn: object) -> bool:
    """A recovery point of an AWS Backup continuous backup (``...:recovery-point:continuous:db-...``)."""
    return ":recovery-point:continuous:" in str(point_arn or "")


class _Aws:
    def __init__(self, draft: Draft) -> None:
        self.d = draft
        self.vaults: dict[str, dict] = {}           # vault ARN -> description (Locked, keys...)
        self.vault_ids: dict[str, str] = {}         # vault ARN -> component id
        self.assets: dict[str, str] = {}            # resource ARN -> component id
        self.names: dict[str, set[str]] = {}        # short name -> resource ARNs
        self.points: dict[str, str] = {}            # recovery point ARN -> backup id
        self.backups_of: dict[str, list[str]] = {}  # resource ARN -> backup ids
        self.unfinished: dict[str, int] = {}         # job state -> jobs not finished
        self.continuous_jobs: dict[str, list[tuple[str, str]]] = {}  # continuous backup -> (start, state) of its jobs
        self.homes: dict[str, Arn] = {}             # ARN naming no account/region (S3) -> ARN placed by its vault

    # -- places -------------------------------------------------------------------------
    def account(self, acct: str, source: str) -> str:
        cid = f"aws-account.{acct}"
        self.d.component(cid, "account", source, name=f"AWS account {acct}", source_type="AWS account")
        return cid

    def region(self, region: str, source: str) -> str:
        cid = f"aws-region.{region}"
        self.d.component(cid, "region", source, name=f"AWS {region}", source_type="AWS region")
        return cid

    def placed(self, cid: str, arn: Arn, source: str) -> None:
        """``cid`` lives in the ARN's account and region (S3 ARNs name neither)."""
        if arn.account:
            self.d.depend(cid, self.account(arn.account, source), "location", source)
        if arn.region:
            self.d.depend(cid, self.region(arn.region, source), "location", source)

    # -- vaults and keys ----------------------------------------------------------------
    def describe_vault(self, rec: Record, source: str) -> None:
        arn = parse_arn(rec.where, "BackupVaultArn", rec.require("BackupVaultArn", "the vault's ARN"))
        locked = parse_bool(rec.where, "Locked", rec.get("Locked"))
        lock_date = parse_datetime(rec.where, "LockDate", rec.get("LockDate"))
        parse_float(rec.where, "MinRetentionDays", rec.get("MinRetentionDays"))
        self.vaults[arn.text] = {"record": rec, "source": source, "locked": bool(locked), "lock_date": lock_date}
        self.vault(arn, source)

    def vault(self, arn: Arn, source: str) -> str:
        if arn.text in self.vault_ids:
            return self.vault_ids[arn.text]
        cid = f"vault.{arn.account}.{arn.region}.{arn.name}"
        self.vault_ids[arn.text] = cid
        desc = self.vaults.get(arn.text)
        rec = desc["record"] if desc else None
        air_gapped = bool(rec and str(rec.get("VaultType", "")).upper() == "LOGICALLY_AIR_GAPPED_BACKUP_VAULT")
        self.d.component(cid, "backup_store", source, name=f"backup vault {arn.name} ({arn.account}, {arn.region})",
                         source_type="AWS Backup vault" + (" (logically air-gapped)" if air_gapped else ""),
                         notes=arn.text)
        self.placed(cid, arn, source)
        if rec is None:
            self.d.todo.add(f"whether vault `{cid}` is locked: run `aws backup describe-backup-vault` for it")
        return cid

    def vault_immutable(self, arn: str) -> bool:
        desc = self.vaults.get(arn)
        if not desc:
            return False
        rec = desc["record"]
        if str(rec.get("VaultType", "")).upper() == "LOGICALLY_AIR_GAPPED_BACKUP_VAULT":
            return True
        return desc["locked"] and bool(desc["lock_date"])

    def vault_key(self, arn: str, source: str) -> str:
        desc = self.vaults.get(arn)
        key = desc["record"].get("EncryptionKeyArn") if desc else None
        if not key:
            return ""
        karn = parse_arn(desc["record"].where, "EncryptionKeyArn", key)
        cid = f"kms.{karn.account}.{karn.region}.{karn.name}"
        self.d.component(cid, "kms", source, name=f"KMS key {karn.name[:8]} ({karn.account}, {karn.region})",
                         source_type="AWS KMS key", notes=karn.text)
        self.placed(cid, karn, source)
        return cid

    # -- resources and backups ----------------------------------------------------------
    def asset(self, rec: Record, field: str, source: str, home: Arn | None = None) -> tuple[str, Arn, str]:
        """The component of a job's resource, its ARN and type. An S3 ARN names neither account nor
        region: ``home`` (the vault the resource's own backups go to, in its account and region) places it."""
        arn = parse_arn(rec.where, field, rec.require(field, "the resource's ARN"))
        rtype = str(rec.get("ResourceType") or "")
        if arn.text in self.homes:
            arn = self.homes[arn.text]
        elif home is not None and not (arn.account and arn.region):
            arn = Arn(arn.text, arn.service, arn.region or home.region,
                      arn.account or str(rec.get("AccountId") or "") or home.account, arn.resource)
            self.homes[arn.text] = arn
            self.d.mapped.add(f"`{arn.name}`: its ARN names no account or region; it lies in account {arn.account or '?'}"
                              f" and {arn.region or '?'}, where its own backups are kept (a backup job writes to a vault"
                              " of the resource's account and region)")
        if arn.text not in self.assets:
            self.names.setdefault(arn.name, set()).add(arn.text)
            cid = arn.name if len(self.names[arn.name]) == 1 else f"{arn.account}.{arn.region}.{arn.name}"
            self.assets[arn.text] = cid
            kind = RESOURCE_KINDS.get(rtype, ("datastore", "", ""))[0]
            self.d.component(cid, kind, source, name=str(rec.get("ResourceName") or arn.name),
                             source_type=f"AWS {rtype}".strip(), notes=arn.text, platform=PLATFORMS.get(rtype))
            self.placed(cid, arn, source)
            if rtype not in RESOURCE_KINDS:
                self.d.guessed.add(f"`{cid}`: resource type `{rtype or '?'}` is not in the table; kind `datastore` assumed")
        return self.assets[arn.text], arn, rtype

    def backup(self, asset: str, res: Arn, rtype: str, vault_arn: Arn, role: str, source: str, copy_of: str = "",
               continuous: bool = False) -> str:
        vault = self.vault(vault_arn, source)
        bid = f"{asset}{'.continuous' if continuous else ''}@{vault.split('.', 1)[1]}"
        if bid in self.d.backups:
            return bid
        if continuous:
            return self.continuous_backup(bid, asset, res, rtype, vault, role, source)
        method = RESOURCE_KINDS.get(rtype, ("", "", ""))[1]
        immutable = self.vault_immutable(vault_arn.text)
        target = ""
        elsewhere = kept_elsewhere(res, vault_arn)
        if elsewhere:
            target = restore_target(self.d, vault_arn, source)
            self.placed(target, vault_arn, source)
        self.d.backup(bid, asset, source, method=method or None, immutable=True if immutable else None,
                      verification="job_status", restore_to=target or None,
                      notes=f"AWS Backup {'copy from ' + copy_of if copy_of else 'recovery points'} in vault {vault_arn.name}")
        self.d.component(bid, "backup", source, source_type="AWS Backup copy" if copy_of else "AWS Backup")
        self.d.depend(bid, vault, "storage", source)
        key = self.vault_key(vault_arn.text, source)
        if key:
            self.d.depend(bid, key, "keys", source)
        if role and not elsewhere:
            self.d.depend(bid, role, "identity", source)
        if elsewhere:
            self.d.todo.add(f"the IAM role that restores `{bid}` in account {vault_arn.account} (an `identity` dependency)")
        self.backups_of.setdefault(res.text, []).append(bid)
        self.d.mapped.add(f"`{bid}`: {'copy' if copy_of else 'backup'} of `{asset}` in vault `{vault}`"
                          + (", immutable (locked vault)" if immutable else "")
                          + (f", restored into `{target}`" if target else ""))
        return bid

    def continuous_backup(self, bid: str, asset: str, res: Arn, rtype: str, vault: str, role: str, source: str) -> str:
        """A continuous backup (point-in-time recovery): its recovery point is the service's, its store the
        service's own (RDS, Aurora, DynamoDB) or the vault (S3, SAP HANA), its restore a new resource in the
        resource's account and region."""
        store = pitr_store(self.d, rtype, res, source) or vault
        target = restore_target(self.d, res, source) if res.account and res.region else ""
        if target:
            self.placed(target, res, source)
        every = pitr_hours_text(rtype)
        self.d.backup(bid, asset, source, method=RESOURCE_KINDS.get(rtype, ("", "other", ""))[1] or None,
                      schedule_hours=every or None, verification="job_status", restore_to=target or None,
                      notes=f"AWS Backup continuous backup (point-in-time recovery), recovery point in vault {vault}")
        self.d.component(bid, "backup", source, source_type="AWS Backup continuous backup")
        self.d.depend(bid, store, "storage", source)
        if role:
            self.d.depend(bid, role, "identity", source)
        self.backups_of.setdefault(res.text, []).append(bid)
        self.d.mapped.add(f"`{bid}`: continuous backup of `{asset}` (point-in-time recovery"
                          + (f", a recovery point every {round(PITR_HOURS[rtype] * 60)} minutes" if every else "")
                          + f") kept in `{store}`")
        if not every:
            self.d.todo.add(f"`schedule_hours` of `{bid}`: how far behind the present its latest restorable time lags")
        return bid

    def continuous_job(self, rec: Record, bid: str) -> None:
        """A job of a continuous backup only keeps point-in-time recovery going: its recovery points are
        every few minutes, not the job's start, so it is no ``backup_runs`` row (the RPO would read
        the job's daily rhythm as the data-loss window). Its states are counted for the report."""
        state = str(rec.get("State") or "").upper()
        if state not in _RUN_STATE and state not in _UNFINISHED:
            raise bad(rec.where, "State", rec.get("State"), "one of " + ", ".join(sorted(_RUN_STATE) + sorted(_UNFINISHED)))
        started = parse_datetime(rec.where, "CreationDate", rec.require("CreationDate", "the job's start"))
        self.continuous_jobs.setdefault(bid, []).append((started, state))

    def continuous_report(self) -> None:
        for bid, jobs in sorted(self.continuous_jobs.items()):
            finished = sorted(j for j in jobs if j[1] not in _UNFINISHED)
            self.d.mapped.add(f"`{bid}`: {len(jobs)} jobs of the continuous backup keep it going; they are not recovery"
                              " points, so they are not written as runs (its schedule says how fresh it is)")
            if finished and _RUN_STATE[finished[-1][1]] != "success":
                self.d.seen.add(f"the last job of continuous backup `{bid}` ({finished[-1][0]}) ended {finished[-1][1]}:"
                                " point-in-time recovery may have stopped")

    def role(self, rec: Record, source: str) -> str:
        if not rec.get("IamRoleArn"):
            return ""
        arn = parse_arn(rec.where, "IamRoleArn", rec.get("IamRoleArn"))
        cid = f"iam.{arn.account}.{arn.name}"
        self.d.component(cid, "credentials", source, name=f"IAM role {arn.name} ({arn.account})",
                         source_type="AWS IAM role", notes=arn.text)
        if arn.account:
            self.d.depend(cid, self.account(arn.account, source), "location", source)
        return cid

    def job_run(self, rec: Record, bid: str, rtype: str, source: str) -> None:
        state = str(rec.get("State") or "").upper()
        if state in _UNFINISHED:
            self.unfinished[state] = self.unfinished.get(state, 0) + 1
            return
        status = _RUN_STATE.get(state)
        if status is None:
            raise bad(rec.where, "State", rec.get("State"), "one of " + ", ".join(sorted(_RUN_STATE) + sorted(_UNFINISHED)))
        category = str(rec.get("MessageCategory") or "").upper()
        if status == "success" and category and category != "SUCCESS":
            status = "warning"
        started = parse_datetime(rec.where, "CreationDate", rec.require("CreationDate", "the job's start"))
        size = parse_float(rec.where, "BackupSizeInBytes", rec.get("BackupSizeInBytes"))
        message = " ".join(str(x) for x in (rec.get("StatusMessage"), f"({category})" if category and category != "SUCCESS" else "") if x)
        self.d.run(bid, started, status, source, finished_at=parse_datetime(rec.where, "CompletionDate", rec.get("CompletionDate")),
                   size_gb=None if size is None else size / 1e9,
                   type=RESOURCE_KINDS.get(rtype, ("", "", ""))[2], message=message or None)

    def restore(self, rec: Record, source: str) -> None:
        status = str(rec.get("Status") or "").upper()
        if status in ("PENDING", "RUNNING"):
            self.unfinished[f"restore {status}"] = self.unfinished.get(f"restore {status}", 0) + 1
            return
        result = _RESTORE_STATE.get(status)
        if result is None:
            raise bad(rec.where, "Status", rec.get("Status"), "PENDING, RUNNING, COMPLETED, ABORTED or FAILED")
        point = rec.text("RecoveryPointArn", "the ARN of the restored recovery point")
        bid = self.points.get(point)
        if bid is None and rec.get("SourceResourceArn"):
            src = parse_arn(rec.where, "SourceResourceArn", rec.get("SourceResourceArn"))
            candidates = self.backups_of.get(src.text, [])
            if len(candidates) == 1:
                bid = candidates[0]
        if bid is None:
            self.d.ignored.add(f"restore job `{rec.get('RestoreJobId', '?')}` restores `{point}`, a recovery point of no"
                               " backup or copy job in the sources")
            return
        validation = str(rec.get("ValidationStatus") or "").upper()
        if result == "pass" and validation in ("FAILED",):
            result = "fail"
        elif result == "pass" and validation == "TIMED_OUT":
            result = "partial"
        started = parse_datetime(rec.where, "CreationDate", rec.require("CreationDate", "the restore's start"))
        finished = parse_datetime(rec.where, "CompletionDate", rec.get("CompletionDate"))
        hours = max(hours_between(started, finished), 0.0) if finished else None
        size = parse_float(rec.where, "BackupSizeInBytes", rec.get("BackupSizeInBytes"))
        notes = "; ".join(str(x) for x in (
            "restore testing plan" if rec.get("RestoreTestingPlanArn") else "",
            f"validation {validation.lower()}" if validation else "",
            rec.get("StatusMessage"), rec.get("ValidationStatusMessage")) if x)
        self.d.restore_test(bid, started[:10], result, source, scope="full",
                            restored_gb=None if size is None else size / 1e9,
                            duration_hours=hours, notes=notes or None)
        if rec.get("RestoreTestingPlanArn"):
            self.d.backups[bid]["verification"] = "restore_test"


_LISTS = ("BackupJobs", "CopyJobs", "RestoreJobs", "BackupVaultList")


def import_aws_backup(paths: list[str]) -> Draft:
    """Build a draft inventory from AWS Backup CLI JSON output.

    Raises
    ------
    ImportSourceError
        Invalid JSON, a document that is none of the supported outputs, a record that is not
        an object or lacks a required field, a malformed ARN, date or number, an unknown
        job state (file, record, field, value, expected).
    """
    draft = Draft("aws-backup", tuple(f"aws-backup:{label(p)}" for p in paths))
    aws = _Aws(draft)
    lists: dict[str, list[tuple[Record, str]]] = {k: [] for k in _LISTS}
    for path in paths:
        docs = json_documents(path)
        source = f"aws-backup:{label(path)}"
        for n, doc in enumerate(docs, start=1):
            prefix = f"{path}: " + (f"document {n}: " if len(docs) > 1 else "")
            if not isinstance(doc, dict):
                raise ImportSourceError(f"{prefix}is a {type(doc).__name__}, expected the JSON object the AWS CLI prints")
            found = [k for k in _LISTS if k in doc]
            if not found and "BackupVaultArn" in doc:
                aws.describe_vault(Record(doc, f"{prefix}describe-backup-vault output"), source)
                continue
            if not found:
                raise ImportSourceError(
                    f"{prefix}keys {', '.join(sorted(doc)) or '(none)'} - expected the output of aws backup"
                    " list-backup-jobs (BackupJobs), list-copy-jobs (CopyJobs), list-restore-jobs (RestoreJobs),"
                    " list-backup-vaults (BackupVaultList) or describe-backup-vault (BackupVaultArn)"
                )
            for key in found:
                items = doc[key]
                if not isinstance(items, list):
                    raise ImportSourceError(f"{prefix}field '{key}': is a {type(items).__name__}, expected a list")
                lists[key].extend((Record(item, f"{prefix}{key}[{i}]"), source) for i, item in enumerate(items))
    for rec, source in lists["BackupVaultList"]:
        aws.describe_vault(rec, source)
    for rec, source in lists["BackupJobs"]:
        parse_arn(rec.where, "ResourceArn", rec.require("ResourceArn", "the resource's ARN"))  # named first when bad
        vault_arn = parse_arn(rec.where, "BackupVaultArn", rec.require("BackupVaultArn", "the vault's ARN"))
        asset, res, rtype = aws.asset(rec, "ResourceArn", source, home=vault_arn)
        continuous = is_continuous(rec.get("RecoveryPointArn"))
        bid = aws.backup(asset, res, rtype, vault_arn, aws.role(rec, source), source, continuous=continuous)
        if rec.get("RecoveryPointArn"):
            aws.points[str(rec.get("RecoveryPointArn"))] = bid
        if continuous:
            aws.continuous_job(rec, bid)
        else:
            aws.job_run(rec, bid, rtype, source)
    aws.continuous_report()
    for rec, source in lists["CopyJobs"]:
        parse_arn(rec.where, "ResourceArn", rec.require("ResourceArn", "the resource's ARN"))  # named first when bad
        src = parse_arn(rec.where, "SourceBackupVaultArn", rec.require("SourceBackupVaultArn", "the source vault's ARN"))
        asset, res, rtype = aws.asset(rec, "ResourceArn", source, home=src)
        dst = parse_arn(rec.where, "DestinationBackupVaultArn",
                        rec.require("DestinationBackupVaultArn", "the destination vault's ARN"))
        bid = aws.backup(asset, res, rtype, dst, "", source, copy_of=f"{src.name} ({src.account}, {src.region})")
        if rec.get("DestinationRecoveryPointArn"):
            aws.points[str(rec.get("DestinationRecoveryPointArn"))] = bid
        aws.job_run(rec, bid, rtype, source)
    for rec, source in lists["RestoreJobs"]:
        aws.restore(rec, source)
    for state, count in sorted(aws.unfinished.items()):
        draft.ignored.add(f"{count} jobs in state {state}: not finished, so not a run")
    for arn, desc in sorted(aws.vaults.items()):
        cid = aws.vault_ids[arn]
        if desc["locked"] and not desc["lock_date"]:
            draft.seen.add(f"vault `{cid}` has a governance-mode lock (no LockDate): an administrator can remove it, so its"
                           " backups are not counted immutable")
        elif not aws.vault_immutable(arn):
            draft.seen.add(f"vault `{cid}` is not locked: whoever holds its account can delete every recovery point in it")
    for asset_arn, bids in sorted(aws.backups_of.items()):
        res = aws.homes.get(asset_arn) or parse_arn("", "", asset_arn)
        home_target = f"aws-restore-target.{res.account}.{res.region}"
        if not any(draft.backups[b].get("restore_to") not in ("", None, home_target) for b in bids):
            draft.seen.add(f"`{aws.assets[asset_arn]}` has no copy outside account {res.account or '?'} and region"
                           f" {res.region or '?'}: losing either loses every backup of it")
    if not lists["BackupJobs"] and not lists["CopyJobs"]:
        if not aws.vaults:
            raise ImportSourceError(f"{', '.join(map(str, paths))}: no backup job, copy job or vault in the sources")
    draft.todo.add("`schedule_hours` and `retention_days` of the backups (the backup plan: `aws backup get-backup-plan`,"
                   " or the `terraform` importer)")
    draft.name = "AWS Backup"
    draft.check_references()
    return draft
