"""``terraform show -json`` (state or plan) -> AWS backup plans, vaults, locks, RDS, S3 replication, KMS keys.

Modules are walked recursively; several files (one per account) merge into one draft, with
ids that carry account and region so they line up with the ``aws-backup`` importer's.
Every rule is listed in docs/importers.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .aws_backup import RESOURCE_KINDS, Arn, kept_elsewhere, parse_arn, restore_target
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
                         data_gb=None if size is None else size * _GIB, notes=arn.text if arn else None)
        self.place(cid, arn, r.source)
        for ref in (arn.text if arn else "", r.get("bucket") if r.type == "aws_s3_bucket" else "", r.address):
            if ref:
                self.e.assets[str(ref)] = cid
        if arn:
            self.e.asset_arn[cid] = arn
        return cid

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
        self.d.component(cid, kind, source, name=arn.name, source_type=f"AWS {rtype}".strip(), notes=arn.text)
        self.place(cid, arn, source)
        self.e.assets[ref] = cid
        self.e.asset_arn[cid] = arn
        self.d.guessed.add(f"`{cid}`: a backup selection names it, but the documents do not hold its resource")
        return cid

    def rds_automated(self, r: _Res, cid: str) -> None:
        days = parse_float(r.where, "backup_retention_period", r.get("backup_retention_period"))
        az = r.get("availability_zone")
        multi = parse_bool(r.where, "multi_az", r.get("multi_az"))
        arn = self.e.asset_arn.get(cid)
        if az and not multi:
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
        if not days:
            self.d.seen.add(f"`{cid}` has automated backups switched off (backup_retention_period 0)")
            return
        bid = f"{cid}.automated-backups"
        store = f"rds-backup-storage.{arn.account}.{arn.region}" if arn else "rds-backup-storage"
        self.d.component(store, "backup_store", r.source, name=f"RDS backup storage {arn.region if arn else ''}".strip(),
                         source_type="AWS RDS automated backup storage",
                         notes="automated backups live in the instance's account and region and go with the instance"
                               " unless delete_automated_backups is false")
        self.place(store, arn, r.source)
        target = ""
        if arn and arn.account and arn.region:
            # a point-in-time restore makes a new instance in any zone of the region: it needs the
            # account and region, not the zone the instance ran in
            target = f"aws-restore-target.{arn.account}.{arn.region}"
            self.d.component(target, "other", r.source, name=f"restored resources in {arn.account}, {arn.region}",
                             source_type="AWS restore target",
                             notes="where a restore lands: a new resource in this account and region")
            self.place(target, arn, r.source)
        self.d.backup(bid, cid, r.source, method="snapshot", schedule_hours=24.0, retention_days=days,
                      verification="job_status", restore_to=target or None,
                      notes="RDS automated backups (daily snapshot and transaction logs)")
        self.d.component(bid, "backup", r.source, source_type="AWS RDS automated backups")
        self.d.depend(bid, store, "storage", r.source)
        key = self.key(r.get("kms_key_id"), r.source, r.where) if parse_bool(r.where, "storage_encrypted", r.get("storage_encrypted")) else ""
        if key:
            self.d.depend(bid, key, "keys", r.source)
            self.d.depend(cid, key, "keys", r.source)
        self.d.mapped.add(f"`{bid}`: automated backups of `{cid}` kept {format_number(days)} days")

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
                        + (", continuous" if continuous else ""))
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
               notes: str, copy: bool = False) -> None:
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
    mapper.kms_keys(resources)
    mapper.vaults(resources)
    for r in resources:
        if r.type in _TF_TYPES:
            cid = mapper.asset_from(r)
            if r.type == "aws_db_instance":
                mapper.rds_automated(r, cid)
    mapper.plans(resources)
    mapper.s3_replication(resources)
    known = {"aws_kms_key", "aws_backup_vault", "aws_backup_vault_lock_configuration", "aws_backup_plan",
             "aws_backup_selection", "aws_s3_bucket_replication_configuration", *_TF_TYPES}
    others = sorted({r.type for r in resources if r.type not in known})
    if others:
        draft.ignored.add("resource types not mapped: " + ", ".join(f"`{t}`" for t in others))
    if not resources:
        raise ImportSourceError(f"{', '.join(map(str, paths))}: no managed resource in the documents")
    draft.name = "Terraform"
    draft.check_references()
    return draft
