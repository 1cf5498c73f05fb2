"""``terraform show -json`` (state or plan) -> AWS backup plans, vaults, locks, RDS, S3 replication, KMS keys,
and the point-in-time recovery of RDS, Aurora, DynamoDB, Azure SQL and Cloud SQL.

Modules are walked recursively; several files (one per account) merge into one draft, with
ids that carry account and region so they line up with the ``aws-backup`` importer's.
Every rule is listed in docs/importers.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .aws_backup import (
    PITR_HOURS,
    PLATFORMS,
    RESOURCE_KINDS,
    Arn,
    kept_elsewhere,
    parse_arn,
    pitr_hours_text,
    pitr_store,
    restore_target,
)
from .cron import cron_hours
from .draft import Draft, format_number
from .fields import bad, parse_bool, parse_float
from .jsondocs import as_list, as_object, json_documents
from .sources import ImportSourceError, label

__all__ = ["aws_schedule_hours", "import_terraform"]

#: Terraform resource type -> AWS Backup ``ResourceType`` word (kind, method) of what it is.
_TF_TYPES = {
    "aws_db_instance": "RDS", "aws_rds_cluster": "Aurora", "aws_dynamodb_table": "DynamoDB",
    "aws_efs_file_system": "EFS", "aws_instance": "EC2", "aws_ebs_volume": "EBS", "aws_s3_bucket": "S3",
    "aws_fsx_windows_file_system": "FSx", "aws_fsx_lustre_file_system": "FSx", "aws_docdb_cluster": "DocumentDB",
    "aws_neptune_cluster": "Neptune", "aws_redshift_cluster": "Redshift",
}
#: ARN service -> ``ResourceType`` for selections naming resources the state does not hold.
_ARN_TYPES = {"rds": "RDS", "dynamodb": "DynamoDB", "elasticfilesystem": "EFS", "s3": "S3", "fsx": "FSx",
              "redshift": "Redshift", "storagegateway": "Storage Gateway"}
_GIB = 1.073741824


def aws_schedule_hours(expr: str) -> float:
    """Mean hours between runs of an AWS schedule: ``cron(m h dom mon dow year)`` or ``rate(n unit)``.

    >>> aws_schedule_hours("cron(0 5 ? * * *)")
    24.0
    >>> aws_schedule_hours("rate(12 hours)")
    12.0
    """
    text = str(expr).strip()
    m = re.fullmatch(r"rate\(\s*(\d+)\s+(minutes?|hours?|days?)\s*\)", text)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        if n < 1:
            raise ValueError("a rate needs a positive value")
        return n / 60 if unit.startswith("minute") else n * 24 if unit.startswith("day") else float(n)
    m = re.fullmatch(r"cron\((.*)\)", text)
    if not m:
        raise ValueError(f"'{expr}' is neither cron(...) nor rate(...)")
    fields = m.group(1).split()
    if len(fields) != 6:
        raise ValueError(f"'{expr}' has {len(fields)} fields, expected 6 (minute hour day month weekday year)")
    if any(c in "".join(fields[:5]) for c in "LW#"):
        raise ValueError(f"'{expr}' uses L, W or #, which are not read")
    # AWS numbers weekdays 1-7 from Sunday; cron numbers them 0-6.
    dow = re.sub(r"\d+", lambda d: str(int(d.group()) - 1), fields[4])
    return cron_hours(" ".join([*fields[:4], dow]))


@dataclass
class _Res:
    """One resource instance of the document: its type, name, values and where it is."""

    address: str
    type: str
    values: dict
    where: str
    source: str
    module: str = ""

    def get(self, key: str, default=None):
        return self.values.get(key, default)


@dataclass
class _Vault:
    cid: str
    arn: Arn | None
    key: str = ""
    immutable: bool = False
    lock: str = ""


@dataclass
class _Estate:
    d: Draft
    vaults: dict[str, _Vault] = field(default_factory=dict)       # vault name and ARN -> vault
    assets: dict[str, str] = field(default_factory=dict)          # ARN / bucket name -> component id
    asset_arn: dict[str, Arn] = field(default_factory=dict)       # component id -> ARN
    keys: dict[str, _Res] = field(default_factory=dict)           # key ARN / id -> aws_kms_key
    key_info: dict[str, tuple[str, bool]] = field(default_factory=dict)  # kms component -> (region, multi-region)
    file_accounts: dict[str, set[str]] = field(default_factory=dict)    # source -> accounts its ARNs name


def _resources(module: dict, where: str, source: str, out: list[_Res], module_address: str = "") -> None:
    for i, res in enumerate(as_list(module.get("resources"), where, "resources")):
        if not isinstance(res, dict):
            raise ImportSourceError(f"{where}.resources[{i}]: is a {type(res).__name__}, expected an object")
        address = str(res.get("address") or f"{res.get('type')}.{res.get('name')}")
        if res.get("mode", "managed") != "managed":
            continue
        if not res.get("type"):
            raise ImportSourceError(f"{where}.resources[{i}]: missing required field 'type'")
        values = res.get("values")
        if not isinstance(values, dict):
            raise ImportSourceError(f"{where}: resources[{i}] ({address}): field 'values': expected an object")
        out.append(_Res(address, str(res["type"]), values, f"{where.split(':', 1)[0]}: {address}", source, module_address))
    for j, child in enumerate(as_list(module.get("child_modules"), where, "child_modules")):
        if not isinstance(child, dict):
            raise ImportSourceError(f"{where}.child_modules[{j}]: is a {type(child).__name__}, expected an object")
        _resources(child, f"{where}.child_modules[{j}]", source, out, str(child.get("address") or ""))


def _first(values: object) -> dict:
    """Terraform writes nested blocks as lists of one object."""
    if isinstance(values, list):
        return values[0] if values and isinstance(values[0], dict) else {}
    return values if isinstance(values, dict) else {}


def _arn(res: _Res, key: str = "arn") -> Arn | None:
    value = res.get(key)
    return parse_arn(res.where, key, value) if value else None


class _Mapper:
    def __init__(self, draft: Draft) -> None:
        self.d = draft
        self.e = _Estate(draft)

    def place(self, cid: str, arn: Arn | None, source: str) -> None:
        if arn is None:
            return
        if arn.account:
            acct = f"aws-account.{arn.account}"
            self.d.component(acct, "account", source, name=f"AWS account {arn.account}", source_type="AWS account")
            self.d.depend(cid, acct, "location", source)
        if arn.region:
            reg = f"aws-region.{arn.region}"
            self.d.component(reg, "region", source, name=f"AWS {arn.region}", source_type="AWS region")
            self.d.depend(cid, reg, "location", source)

    # -- keys ---------------------------------------------------------------------------
    def kms_keys(self, resources: list[_Res]) -> None:
        for r in resources:
            if r.type != "aws_kms_key":
                continue
            for ref in (r.get("arn"), r.get("key_id"), r.get("id")):
                if ref:
                    self.e.keys[str(ref)] = r

    def key(self, ref: str | None, source: str, where: str) -> str:
        """The ``kms`` component of a key ARN or id (a multi-region key depends on no region)."""
        if not ref:
            return ""
        res = self.e.keys.get(str(ref))
        arn = _arn(res) if res and res.get("arn") else (parse_arn(where, "kms_key_arn", ref) if str(ref).startswith("arn:") else None)
        multi = bool(res and parse_bool(res.where, "multi_region", res.get("multi_region")))
        name = arn.name if arn else str(ref)
        cid = f"kms.{arn.account}.{arn.region}.{name}" if arn else f"kms.{name}"
        self.e.key_info[cid] = (arn.region if arn else "", multi)
        self.d.component(cid, "kms", source, name=f"KMS key {name[:8]}" + (" (multi-region)" if multi else ""),
                         source_type="AWS KMS key", notes=(res.get("description") if res else None) or (arn.text if arn else None))
        if arn and multi:
            acct = f"aws-account.{arn.account}"
            self.d.component(acct, "account", source, name=f"AWS account {arn.account}", source_type="AWS account")
            self.d.depend(cid, acct, "location", source)
            self.d.guessed.add(f"`{cid}` is a multi-region key: its replicas are assumed to outlive one region")
        else:
            self.place(cid, arn, source)
        return cid

    def key_region(self, kid: str) -> tuple[str, bool]:
        """(region, multi-region) of a key component."""
        return self.e.key_info.get(kid, ("", False))

    # -- vaults -------------------------------------------------------------------------
    def vaults(self, resources: list[_Res]) -> None:
        for r in resources:
            if r.type != "aws_backup_vault":
                continue
            name = str(r.get("name") or "")
            if not name:
                raise ImportSourceError(f"{r.where}: missing required field 'name' (expected the vault's name)")
            arn = _arn(r)
            cid = f"vault.{arn.account}.{arn.region}.{name}" if arn else f"vault.{name}"
            self.d.component(cid, "backup_store", r.source, name=f"backup vault {name}", source_type="AWS Backup vault",
                             notes=arn.text if arn else None)
            self.place(cid, arn, r.source)
            vault = _Vault(cid, arn)
            vault.key = self.key(r.get("kms_key_arn"), r.source, r.where)
            self.e.vaults[name] = vault
            if arn:
                self.e.vaults[arn.text] = vault
            self.d.mapped.add(f"`{cid}`: {r.address} (backup_store)")
        for r in resources:
            if r.type != "aws_backup_vault_lock_configuration":
                continue
            name = str(r.get("backup_vault_name") or "")
            vault = self.e.vaults.get(name)
            if vault is None:
                self.d.ignored.add(f"{r.address}: locks vault `{name}`, which is not in the documents")
                continue
            changeable = parse_float(r.where, "changeable_for_days", r.get("changeable_for_days"))
            parse_float(r.where, "min_retention_days", r.get("min_retention_days"))
            if changeable is not None:
                vault.immutable = True
                vault.lock = "compliance"
                self.d.mapped.add(f"`{vault.cid}`: compliance-mode lock ({r.address}): its backups are immutable"
                                  f" once the {format_number(changeable)}-day grace time is over")
            else:
                vault.lock = "governance"
                self.d.seen.add(f"vault `{vault.cid}` has a governance-mode lock ({r.address}, no changeable_for_days):"
                                " an administrator can remove it, so its backups are not counted immutable")
        for name, vault in sorted(self.e.vaults.items()):
            if not vault.lock and not name.startswith("arn:"):
                self.d.seen.add(f"vault `{vault.cid}` is not locked: whoever holds its account can delete its recovery points")

    def vault(self, ref: str, where: str, source: str) -> _Vault:
        found = self.e.vaults.get(ref)
        if found:
            return found
        arn = parse_arn(where, "vault", ref) if ref.startswith("arn:") else None
        name = arn.name if arn else ref
        cid = f"vault.{arn.account}.{arn.region}.{name}" if arn else f"vault.{name}"
        self.d.component(cid, "backup_store", source, name=f"backup vault {name}", source_type="AWS Backup vault")
        self.place(cid, arn, source)
        self.d.todo.add(f"whether vault `{cid}` (not in the documents: another account's state?) is locked")
        vault = _Vault(cid, arn)
        self.e.vaults[ref] = vault
        return vault

    # -- assets -------------------------------------------------------------------------
    def asset_from(self, r: _Res) -> str:
        rtype = _TF_TYPES[r.type]
        arn = _arn(r)
        ident = str(r.get("identifier") or r.get("cluster_identifier") or r.get("bucket") or r.get("name")
                    or (arn.name if arn else "") or r.address)
        cid = ident
        kind = RESOURCE_KINDS[rtype][0]
        size = parse_float(r.where, "allocated_storage", r.get("allocated_storage"))
        self.d.component(cid, kind, r.source, name=ident, source_type=f"AWS {rtype} ({r.type})",
                         data_gb=None if size is None else size * _GIB, notes=arn.text if arn else None,
                         platform=PLATFORMS.get(rtype))
        if arn and r.type == "aws_s3_bucket" and not (arn.account and arn.region):
            arn = self.bucket_arn(r, arn)
        self.place(cid, arn, r.source)
        for ref in (arn.text if arn else "", r.get("bucket") if r.type == "aws_s3_bucket" else "", r.address):
            if ref:
                self.e.assets[str(ref)] = cid
        if arn:
            self.e.asset_arn[cid] = arn
        return cid

    def bucket_arn(self, r: _Res, arn: Arn) -> Arn:
        """An S3 bucket's ARN names neither account nor region: the region is the bucket's ``region``
        (else its regional domain name); the account is the one every other ARN of the same state file
        names (one state, one provider account), reported as guessed; with several, left to complete."""
        region = str(r.get("region") or "")
        if not region:
            m = re.search(r"\.s3[.-]([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com", str(r.get("bucket_regional_domain_name") or ""))
            region = m.group(1) if m else ""
        accounts = self.e.file_accounts.get(r.source, set())
        account = next(iter(accounts)) if len(accounts) == 1 else ""
        if account:
            self.d.guessed.add(f"`{arn.name}`: an S3 ARN names no account; the bucket is placed in account {account},"
                               f" the only account of the other ARNs of {r.source.split(':', 1)[1]}")
        else:
            self.d.todo.add(f"the account of S3 bucket `{arn.name}` (a `location` row on `aws-account.<id>`)")
        if not region:
            self.d.todo.add(f"the region of S3 bucket `{arn.name}` (a `location` row on `aws-region.<name>`)")
        return Arn(arn.text, arn.service, region, account, arn.resource)

    def asset_by_ref(self, ref: str, where: str, source: str) -> str:
        if ref in self.e.assets:
            return self.e.assets[ref]
        arn = parse_arn(where, "resources", ref)
        if "*" in ref:
            return ""
        rtype = _ARN_TYPES.get(arn.service, "EC2" if arn.service == "ec2" and "instance/" in arn.resource else
                               "EBS" if arn.service == "ec2" else "")
        cid = arn.name
        kind = RESOURCE_KINDS.get(rtype, ("datastore",))[0]
        self.d.component(cid, kind, source, name=arn.name, source_type=f"AWS {rtype}".strip(), notes=arn.text,
                         platform=PLATFORMS.get(rtype))
        self.place(cid, arn, source)
        self.e.assets[ref] = cid
        self.e.asset_arn[cid] = arn
        self.d.guessed.add(f"`{cid}`: a backup selection names it, but the documents do not hold its resource")
        return cid

    def rds_automated(self, r: _Res, cid: str) -> None:
        """RDS (``aws_db_instance``) and Aurora (``aws_rds_cluster``) automated backups: point-in-time
        recovery to within 5 minutes, kept ``backup_retention_period`` days in the service's own store."""
        days = parse_float(r.where, "backup_retention_period", r.get("backup_retention_period"))
        az = r.get("availability_zone")
        multi = parse_bool(r.where, "multi_az", r.get("multi_az"))
        arn = self.e.asset_arn.get(cid)
        if r.type == "aws_db_instance" and az and not multi:
            site = f"aws-az.{az}"
            self.d.component(site, "site", r.source, name=f"AWS {az}", source_type="AWS availability zone")
            self.d.depend(cid, site, "location", r.source)
            if arn and arn.region:
                reg = f"aws-region.{arn.region}"
                self.d.component(reg, "region", r.source, name=f"AWS {arn.region}", source_type="AWS region")
                self.d.depend(site, reg, "location", r.source)
            self.d.mapped.add(f"`{cid}` runs in one availability zone `{site}` (multi_az false)")
        elif multi:
            self.d.mapped.add(f"`{cid}` is multi-AZ: no single zone takes it down")
        if days is None and r.type == "aws_rds_cluster":
            days = 1.0  # Aurora always keeps at least one day of continuous backup (the provider's default)
            self.d.guessed.add(f"`{cid}`: backup_retention_period not in the state; Aurora's default of 1 day assumed")
        if not days:
            self.d.seen.add(f"`{cid}` has automated backups switched off (backup_retention_period 0)")
            return
        encrypted = parse_bool(r.where, "storage_encrypted", r.get("storage_encrypted"))
        self.pitr_backup(r, cid, "RDS" if r.type == "aws_db_instance" else "Aurora", f"{cid}.automated-backups", days,
                         "RDS automated backups (daily snapshot and transaction logs: point-in-time recovery)",
                         r.get("kms_key_id") if encrypted else None)

    def dynamodb_pitr(self, r: _Res, cid: str) -> None:
        """``point_in_time_recovery { enabled = true }`` of a DynamoDB table: restore to any second of the
        last ``recovery_period_in_days`` (35 by default), up to 5 minutes before the present."""
        pitr = _first(r.get("point_in_time_recovery"))
        if not parse_bool(r.where, "point_in_time_recovery.enabled", pitr.get("enabled")):
            self.d.seen.add(f"`{cid}` has point-in-time recovery switched off (point_in_time_recovery.enabled false)")
            return
        days = parse_float(r.where, "point_in_time_recovery.recovery_period_in_days", pitr.get("recovery_period_in_days")) or 35.0
        sse = _first(r.get("server_side_encryption"))
        key = sse.get("kms_key_arn") if parse_bool(r.where, "server_side_encryption.enabled", sse.get("enabled")) else None
        self.pitr_backup(r, cid, "DynamoDB", f"{cid}.point-in-time-recovery", days,
                         "DynamoDB point-in-time recovery (continuous backups)", key)

    def pitr_backup(self, r: _Res, cid: str, rtype: str, bid: str, days: float, notes: str, key_ref: object) -> None:
        """A point-in-time recovery backup: a recovery point every few minutes, kept ``days`` in the
        service's own store in the resource's account and region, restored as a new resource there."""
        arn = self.e.asset_arn.get(cid)
        store = pitr_store(self.d, rtype, arn, r.source)
        target = ""
        if arn and arn.account and arn.region:
            # a point-in-time restore makes a new resource (in any zone of the region): it needs the
            # account and region, not the zone the resource ran in
            target = restore_target(self.d, arn, r.source)
            self.place(target, arn, r.source)
        self.d.backup(bid, cid, r.source, method="snapshot", schedule_hours=pitr_hours_text(rtype), retention_days=days,
                      verification="job_status", restore_to=target or None, notes=notes)
        self.d.component(bid, "backup", r.source, source_type=f"AWS {rtype} point-in-time recovery")
        self.d.depend(bid, store, "storage", r.source)
        key = self.key(str(key_ref), r.source, r.where) if key_ref else ""
        if key:
            self.d.depend(bid, key, "keys", r.source)
            self.d.depend(cid, key, "keys", r.source)
        self.d.mapped.add(f"`{bid}`: point-in-time recovery of `{cid}` (a recovery point every"
                          f" {round(PITR_HOURS[rtype] * 60)} minutes), kept {format_number(days)} days in `{store}`")

    # -- plans --------------------------------------------------------------------------
    def plans(self, resources: list[_Res]) -> None:
        plans = {}
        for r in resources:
            if r.type == "aws_backup_plan":
                for ref in (r.get("id"), r.get("arn"), r.address):
                    if ref:
                        plans[str(ref)] = r
        by_module: dict[str, list[_Res]] = {}
        for r in resources:
            if r.type == "aws_backup_plan":
                by_module.setdefault(r.source + r.module, []).append(r)
        for r in resources:
            if r.type != "aws_backup_selection":
                continue
            plan = plans.get(str(r.get("plan_id") or ""))
            if plan is None:
                same = by_module.get(r.source + r.module, [])
                if len(same) != 1:
                    self.d.ignored.add(f"{r.address}: its plan `{r.get('plan_id')}` is not in the documents")
                    continue
                plan = same[0]
                self.d.guessed.add(f"{r.address}: plan_id unknown (a plan, not a state?); the module's only plan {plan.address} assumed")
            refs = [str(x) for x in as_list(r.get("resources"), r.where, "resources")]
            if r.get("selection_tag") or r.get("condition"):
                self.d.todo.add(f"the resources {r.address} selects by tag or condition (the state does not resolve them)")
            role = r.get("iam_role_arn")
            role_id = ""
            if role:
                rarn = parse_arn(r.where, "iam_role_arn", role)
                role_id = f"iam.{rarn.account}.{rarn.name}"
                self.d.component(role_id, "credentials", r.source, name=f"IAM role {rarn.name}", source_type="AWS IAM role",
                                 notes=rarn.text)
                self.place(role_id, Arn(rarn.text, rarn.service, "", rarn.account, rarn.resource), r.source)
            for ref in refs:
                asset = self.asset_by_ref(ref, r.where, r.source)
                if not asset:
                    self.d.guessed.add(f"{r.address}: wildcard `{ref}` not expanded; add the resources it matches by hand")
                    continue
                self.plan_backups(plan, asset, role_id, r.source)

    def plan_backups(self, plan: _Res, asset: str, role: str, source: str) -> None:
        rtype = next((t for tf, t in _TF_TYPES.items() if self.d.components[asset].get("source_type", "").endswith(f"({tf})")),
                     self.d.components[asset].get("source_type", "").replace("AWS ", ""))
        method = RESOURCE_KINDS.get(rtype, ("", "other", ""))[1]
        home = self.e.asset_arn.get(asset)
        for i, rule in enumerate(as_list(plan.get("rule"), plan.where, "rule")):
            if not isinstance(rule, dict):
                raise ImportSourceError(f"{plan.where}: field 'rule[{i}]': expected an object")
            where = f"{plan.where}: rule[{i}]"
            vault = self.vault(str(rule.get("target_vault_name") or ""), where, source) if rule.get("target_vault_name") else None
            if vault is None:
                raise ImportSourceError(f"{where}: missing required field 'target_vault_name'")
            every = None
            if rule.get("schedule"):
                try:
                    every = aws_schedule_hours(str(rule["schedule"]))
                except ValueError as exc:
                    raise bad(where, "schedule", rule["schedule"], f"cron(...) or rate(...) ({exc})") from None
            keep = parse_float(where, "lifecycle.delete_after", _first(rule.get("lifecycle")).get("delete_after"))
            continuous = parse_bool(where, "enable_continuous_backup", rule.get("enable_continuous_backup"))
            self.backup(asset, home, vault, method, every, keep or None, role, source,
                        f"plan {plan.get('name') or plan.address}, rule {rule.get('rule_name', i)}"
                        + (", continuous backup (point-in-time recovery)" if continuous else ""),
                        continuous_type=rtype if continuous else "")
            for j, copy in enumerate(as_list(rule.get("copy_action"), where, "copy_action")):
                copy = as_object(copy, where, f"copy_action[{j}]")
                dest = str(copy.get("destination_vault_arn") or "")
                if not dest:
                    raise ImportSourceError(f"{where}: copy_action[{j}]: missing required field 'destination_vault_arn'")
                dvault = self.vault(dest, f"{where}: copy_action[{j}]", source)
                ckeep = parse_float(where, f"copy_action[{j}].lifecycle.delete_after",
                                    _first(copy.get("lifecycle")).get("delete_after"))
                self.backup(asset, home, dvault, method, every, ckeep or keep or None, "", source,
                            f"copy by plan {plan.get('name') or plan.address}, rule {rule.get('rule_name', i)}", copy=True)

    def backup(self, asset: str, home: Arn | None, vault: _Vault, method: str, every, keep, role: str, source: str,
               notes: str, copy: bool = False, continuous_type: str = "") -> None:
        if continuous_type:
            self.continuous(asset, home, vault, method, keep, role, source, notes, continuous_type)
            return
        bid = f"{asset}@{vault.cid.split('.', 1)[1]}"
        varn = vault.arn
        target = ""
        elsewhere = kept_elsewhere(home, varn)
        if elsewhere:
            target = restore_target(self.d, varn, source)
            self.place(target, varn, source)
        self.d.backup(bid, asset, source, method=method or None, schedule_hours=every, retention_days=keep,
                      immutable=True if vault.immutable else None, verification="job_status",
                      restore_to=target or None, notes=notes)
        self.d.component(bid, "backup", source, source_type="AWS Backup copy" if copy else "AWS Backup")
        self.d.depend(bid, vault.cid, "storage", source)
        if vault.key:
            self.d.depend(bid, vault.key, "keys", source)
            region, multi = self.key_region(vault.key)
            if elsewhere and home and region and not multi and (region == home.region or varn.region != region):
                self.d.seen.add(f"`{bid}` is a copy outside `{asset}`'s region, yet its vault's key `{vault.key}` is a"
                                f" single-region key in {region}: losing that region loses the key the copy needs")
        if role and not elsewhere:
            self.d.depend(bid, role, "identity", source)
        self.d.mapped.add(f"`{bid}`: {'copy' if copy else 'backup'} of `{asset}` in `{vault.cid}`"
                          + (f" every {format_number(every)} h" if every else "")
                          + (f", kept {format_number(keep)} d" if keep else "")
                          + (", immutable (compliance lock)" if vault.immutable else ""))

    def continuous(self, asset: str, home: Arn | None, vault: _Vault, method: str, keep, role: str, source: str,
                   notes: str, rtype: str) -> None:
        """A rule with ``enable_continuous_backup``: point-in-time recovery (the rule's schedule only
        maintains it), kept in the service's own store (RDS, Aurora) or the vault (S3, SAP HANA), restored
        as a new resource in the resource's account and region. Same id as the ``aws-backup`` importer's."""
        bid = f"{asset}.continuous@{vault.cid.split('.', 1)[1]}"
        store = pitr_store(self.d, rtype, home, source) or vault.cid
        target = ""
        if home and home.account and home.region:
            target = restore_target(self.d, home, source)
            self.place(target, home, source)
        every = pitr_hours_text(rtype)
        self.d.backup(bid, asset, source, method=method or None, schedule_hours=every or None, retention_days=keep,
                      verification="job_status", restore_to=target or None, notes=notes)
        self.d.component(bid, "backup", source, source_type="AWS Backup continuous backup")
        self.d.depend(bid, store, "storage", source)
        if store == vault.cid and vault.key:
            self.d.depend(bid, vault.key, "keys", source)
        if role:
            self.d.depend(bid, role, "identity", source)
        if not every:
            self.d.todo.add(f"`schedule_hours` of `{bid}`: how far behind the present its latest restorable time lags")
        self.d.mapped.add(f"`{bid}`: continuous backup of `{asset}` (point-in-time recovery"
                          + (f", a recovery point every {round(PITR_HOURS[rtype] * 60)} minutes" if every else "")
                          + (f", kept {format_number(keep)} d" if keep else "") + f") in `{store}`")

    def s3_replication(self, resources: list[_Res]) -> None:
        for r in resources:
            if r.type != "aws_s3_bucket_replication_configuration":
                continue
            bucket = str(r.get("bucket") or "")
            if not bucket:
                raise ImportSourceError(f"{r.where}: missing required field 'bucket'")
            src = self.e.assets.get(bucket)
            if src is None:
                src = bucket
                self.d.component(src, "datastore", r.source, name=bucket, source_type="AWS S3")
                self.e.assets[bucket] = src
            for i, rule in enumerate(as_list(r.get("rule"), r.where, "rule")):
                rule = as_object(rule, r.where, f"rule[{i}]")
                if str(rule.get("status", "Enabled")) != "Enabled":
                    continue
                dest = _first(rule.get("destination"))
                darn = str(dest.get("bucket") or "")
                if not darn:
                    raise ImportSourceError(f"{r.where}: rule[{i}].destination: missing required field 'bucket'")
                dname = darn.rsplit(":", 1)[-1]
                store = f"s3-replica.{dname}"
                self.d.component(store, "backup_store", r.source, name=f"bucket {dname}", source_type="AWS S3 replica bucket",
                                 notes=darn)
                acct = dest.get("account")
                if acct:
                    a = f"aws-account.{acct}"
                    self.d.component(a, "account", r.source, name=f"AWS account {acct}", source_type="AWS account")
                    self.d.depend(store, a, "location", r.source)
                else:
                    self.d.todo.add(f"the account and region of replica bucket `{dname}` (location rows)")
                bid = f"{src}.replica.{dname}"
                self.d.backup(bid, src, r.source, method="replica", verification="none",
                              notes=f"S3 replication rule {rule.get('id', i)}")
                self.d.component(bid, "backup", r.source, source_type="AWS S3 replication")
                self.d.depend(bid, store, "storage", r.source)
                enc = _first(dest.get("encryption_configuration")).get("replica_kms_key_id")
                if enc:
                    self.d.depend(bid, self.key(enc, r.source, r.where), "keys", r.source)
                self.d.mapped.add(f"`{bid}`: replication of bucket `{bucket}` to `{dname}` (replica: copies deletions"
                                  " and corruption at once)")


#: minutes between the recovery points of the other clouds' managed databases: Azure SQL takes
#: transaction-log backups every 5 to 10 minutes (Microsoft's documentation; the worse end is
#: taken); Cloud SQL archives its transaction logs continuously and publishes no figure (5 minutes,
#: reported as guessed).
AZURE_SQL_LOG_MINUTES = 10
CLOUD_SQL_LOG_MINUTES = 5
_AZURE_ID = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/[^/]+/providers/Microsoft\.Sql/servers/([^/]+)", re.I)


def _minutes_text(minutes: int) -> str:
    return f"{minutes / 60:.6f}".rstrip("0")


class _OtherClouds:
    """Azure SQL databases and Cloud SQL instances with their built-in point-in-time recovery."""

    def __init__(self, draft: Draft, resources: list[_Res]) -> None:
        self.d = draft
        self.servers = {str(r.get("id") or ""): r for r in resources if r.type in ("azurerm_mssql_server", "azurerm_sql_server")}

    def place(self, cid: str, account: str, account_name: str, region: str, region_name: str, source: str) -> None:
        if account:
            self.d.component(account, "account", source, name=account_name, source_type=account_name.rsplit(" ", 1)[0])
            self.d.depend(cid, account, "location", source)
        if region:
            self.d.component(region, "region", source, name=region_name, source_type=region_name.rsplit(" ", 1)[0] + " region")
            self.d.depend(cid, region, "location", source)

    def pitr(self, r: _Res, cid: str, store: tuple[str, str], target: str, minutes: int, days: float, places, notes: str) -> None:
        sid, what = store
        self.d.component(sid, "backup_store", r.source, name=what, source_type=what,
                         notes="kept by the service in the database's subscription or project and region")
        self.place(sid, *places, r.source)
        self.d.component(target, "other", r.source, name="restored databases", source_type="restore target",
                         notes="a point-in-time restore makes a new database in this subscription or project and region")
        self.place(target, *places, r.source)
        bid = f"{cid}.point-in-time-recovery"
        self.d.backup(bid, cid, r.source, method="snapshot", schedule_hours=_minutes_text(minutes), retention_days=days,
                      verification="job_status", restore_to=target, notes=notes)
        self.d.component(bid, "backup", r.source, source_type="point-in-time recovery")
        self.d.depend(bid, sid, "storage", r.source)
        self.d.mapped.add(f"`{bid}`: point-in-time recovery of `{cid}` (a recovery point every {minutes} minutes),"
                          f" kept {format_number(days)} days in `{sid}`")

    def azure_sql(self, r: _Res) -> None:
        name = str(r.get("name") or "")
        if not name:
            raise ImportSourceError(f"{r.where}: missing required field 'name' (expected the database's name)")
        m = _AZURE_ID.match(str(r.get("server_id") or r.get("id") or ""))
        sub, server = (m.group(1), m.group(2)) if m else ("", str(r.get("server_name") or ""))
        srv = self.servers.get(str(r.get("server_id") or ""))
        location = str(r.get("location") or (srv.get("location") if srv else "") or "")
        cid = f"{server}.{name}" if server else name
        self.d.component(cid, "datastore", r.source, name=name, source_type=f"Azure SQL database ({r.type})",
                         platform="azure-sql", notes=str(r.get("id") or "") or None)
        account = f"azure-subscription.{sub}" if sub else ""
        region = f"azure-region.{location}" if location else ""
        places = (account, f"Azure subscription {sub}", region, f"Azure {location}")
        self.place(cid, *places, r.source)
        if not account or not region:
            self.d.todo.add(f"the subscription and region of Azure SQL database `{cid}` (location rows)")
        policy = _first(r.get("short_term_retention_policy"))
        days = parse_float(r.where, "short_term_retention_policy.retention_days", policy.get("retention_days")) or 7.0
        tail = f"{sub}.{location}" if sub and location else (sub or location or cid)
        self.pitr(r, cid, (f"azure-sql-backup-storage.{tail}", f"Azure SQL backup storage {location}".strip()),
                  f"azure-restore-target.{tail}", AZURE_SQL_LOG_MINUTES, days, places,
                  "Azure SQL automated backups (full, differential and transaction-log backups: point-in-time restore)")

    def cloud_sql(self, r: _Res) -> None:
        name = str(r.get("name") or "")
        if not name:
            raise ImportSourceError(f"{r.where}: missing required field 'name' (expected the instance's name)")
        project, region = str(r.get("project") or ""), str(r.get("region") or "")
        self.d.component(name, "datastore", r.source, name=name, source_type=f"Cloud SQL instance ({r.get('database_version') or r.type})",
                         platform="gcp-cloudsql", notes=str(r.get("self_link") or "") or None)
        account = f"gcp-project.{project}" if project else ""
        reg = f"gcp-region.{region}" if region else ""
        places = (account, f"GCP project {project}", reg, f"GCP {region}")
        self.place(name, *places, r.source)
        backup = _first(_first(r.get("settings")).get("backup_configuration"))
        where = f"{r.where}: settings.backup_configuration"
        if not parse_bool(where, "enabled", backup.get("enabled")):
            self.d.seen.add(f"`{name}` has automated backups switched off (settings.backup_configuration.enabled false)")
            return
        pitr = parse_bool(where, "point_in_time_recovery_enabled", backup.get("point_in_time_recovery_enabled")) or \
            parse_bool(where, "binary_log_enabled", backup.get("binary_log_enabled"))
        tail = f"{project}.{region}" if project and region else (project or region or name)
        store = (f"cloudsql-backup-storage.{tail}", f"Cloud SQL backup storage {region}".strip())
        target = f"gcp-restore-target.{tail}"
        if pitr:
            days = parse_float(where, "transaction_log_retention_days", backup.get("transaction_log_retention_days")) or 7.0
            self.pitr(r, name, store, target, CLOUD_SQL_LOG_MINUTES, days, places,
                      "Cloud SQL automated backups and transaction logs (point-in-time recovery)")
            self.d.guessed.add(f"`{name}.point-in-time-recovery`: Cloud SQL publishes no lag for its transaction-log"
                               f" archive; a recovery point every {CLOUD_SQL_LOG_MINUTES} minutes assumed")
            return
        kept = _first(backup.get("backup_retention_settings"))
        count = parse_float(where, "backup_retention_settings.retained_backups", kept.get("retained_backups")) or 7.0
        sid, what = store
        self.d.component(sid, "backup_store", r.source, name=what, source_type=what)
        self.place(sid, *places, r.source)
        bid = f"{name}.automated-backups"
        self.d.backup(bid, name, r.source, method="snapshot", schedule_hours=24.0, retention_days=count,
                      verification="job_status", notes="Cloud SQL daily automated backups (no point-in-time recovery)")
        self.d.component(bid, "backup", r.source, source_type="Cloud SQL automated backups")
        self.d.depend(bid, sid, "storage", r.source)
        self.d.mapped.add(f"`{bid}`: daily automated backups of `{name}`, {format_number(count)} kept")


def import_terraform(paths: list[str]) -> Draft:
    """Build a draft inventory from ``terraform show -json`` documents (state or plan).

    Raises
    ------
    ImportSourceError
        Invalid JSON, a document that is not ``terraform show -json`` output, a resource
        without ``type`` or ``values``, a malformed ARN, schedule or number (file, resource
        address, field, value, expected).
    """
    draft = Draft("terraform", tuple(f"terraform:{label(p)}" for p in paths))
    resources: list[_Res] = []
    for path in paths:
        source = f"terraform:{label(path)}"
        for n, doc in enumerate(json_documents(path), start=1):
            where = f"{path}"
            if not isinstance(doc, dict) or "format_version" not in doc:
                raise ImportSourceError(f"{path}: document {n}: expected the output of `terraform show -json`"
                                        " (an object with format_version)")
            top = "planned_values" if doc.get("planned_values") is not None else "values"
            root = as_object(doc.get(top), f"{path}", top).get("root_module")
            if root is None:
                draft.ignored.add(f"`{label(path)}`: an empty state (no values)")
                continue
            if not isinstance(root, dict):
                raise ImportSourceError(f"{path}: field 'root_module': expected an object")
            _resources(root, where + ": root_module", source, resources)
    mapper = _Mapper(draft)
    for r in resources:  # the accounts each state file's ARNs name (an S3 ARN names none)
        for value in r.values.values():
            parts = value.split(":", 5) if isinstance(value, str) and value.startswith("arn:") else []
            if len(parts) == 6 and parts[4].isdigit():
                mapper.e.file_accounts.setdefault(r.source, set()).add(parts[4])
    mapper.kms_keys(resources)
    mapper.vaults(resources)
    for r in resources:
        if r.type in _TF_TYPES:
            cid = mapper.asset_from(r)
            if r.type in ("aws_db_instance", "aws_rds_cluster"):
                mapper.rds_automated(r, cid)
            elif r.type == "aws_dynamodb_table":
                mapper.dynamodb_pitr(r, cid)
    mapper.plans(resources)
    mapper.s3_replication(resources)
    clouds = _OtherClouds(draft, resources)
    for r in resources:
        if r.type in ("azurerm_mssql_database", "azurerm_sql_database"):
            clouds.azure_sql(r)
        elif r.type == "google_sql_database_instance":
            clouds.cloud_sql(r)
    known = {"aws_kms_key", "aws_backup_vault", "aws_backup_vault_lock_configuration", "aws_backup_plan",
             "aws_backup_selection", "aws_s3_bucket_replication_configuration", "azurerm_mssql_database",
             "azurerm_sql_database", "azurerm_mssql_server", "azurerm_sql_server", "google_sql_database_instance", *_TF_TYPES}
    others = sorted({r.type for r in resources if r.type not in known})
    if others:
        draft.ignored.add("resource types not mapped: " + ", ".join(f"`{t}`" for t in others))
    if not resources:
        raise ImportSourceError(f"{', '.join(map(str, paths))}: no managed resource in the documents")
    draft.name = "Terraform"
    draft.check_references()
    return draft
