"""Veeam Health Check CSV bundle -> draft inventory with backups, stores, keys and job runs.

The Health Check collector (VeeamHub/veeam-healthcheck) writes one CSV per object type
(``VBRConfig/_Jobs.csv``, ``_Repositories.csv``...) and one row per VM and job session
(``SessionReports/VeeamSessionReport.csv``). Every rule is listed in docs/importers.md.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from .draft import Draft, format_number
from .fields import (
    DATE_FORMAT_HELP,
    add_hours,
    clean_id,
    date_order_of,
    declared_date_order,
    numeric_date_fields,
    parse_bool,
    parse_datetime,
    parse_duration_hours,
    parse_float,
    schedule_hours_from_text,
)
from .sources import ImportSourceError, csv_rows, label

__all__ = ["ADMIN", "BUNDLE_FILES", "import_veeam", "run_type"]

#: file-name ending (lower case) -> (role, columns the importer needs). The collector may
#: prefix names with the server (``VBR01_Jobs.csv``); only the ending is compared.
BUNDLE_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "_jobs.csv": ("jobs", ("name", "jobtype")),
    "_repositories.csv": ("repos", ("id", "name")),
    "_sobrs.csv": ("sobrs", ("name",)),
    "_sobrextents.csv": ("extents", ("name", "sobr_name")),
    "_captier.csv": ("captier", ("parentid", "type")),
    "_servers.csv": ("servers", ("id", "name", "type")),
    "_proxies.csv": ("proxies", ("name",)),
    "_hvproxy.csv": ("hv_proxies", ("name",)),
    "_viprotected.csv": ("vi_protected", ("name",)),
    "_viunprotected.csv": ("vi_unprotected", ("name",)),
    "_hvprotected.csv": ("hv_protected", ("name",)),
    "_hvunprotected.csv": ("hv_unprotected", ("name",)),
    "_physprotected.csv": ("phys_protected", ("name",)),
    "_physnotprotected.csv": ("phys_unprotected", ("name",)),
    "_agentbackupjob.csv": ("agent_jobs", ("name", "targetrepositoryid")),
    "_endpointjob.csv": ("agent_jobs", ("name", "targetrepositoryid")),
    "_pluginjobs.csv": ("plugin_jobs", ("name", "targetrepositoryid")),
    "_surebackupjob.csv": ("surebackup", ("name", "linkedjobids")),
    "_configbackup.csv": ("config", ("enabled", "target")),
    "_tapejobs.csv": ("tape", ("name", "type", "sourcetype", "sourceid")),
    "veeamsessionreport.csv": ("sessions", ("jobname", "vmname", "status", "creationtime")),
    "_userroles.csv": ("roles", ("name", "role")),
}
#: id of the credentials that administer the whole backup estate from the console.
ADMIN = "veeam-backup-administrator"
#: Veeam's job algorithm (``JobAlgorithm`` of a session) -> ``backup_runs.type``. A
#: reverse-incremental run writes only the changed blocks, so its size is that of changes.
RUN_TYPES = {
    "increment": "incremental", "incremental": "incremental", "reverseincrement": "incremental",
    "full": "full", "activefull": "full", "syntheticfull": "full", "synteticfull": "full",
}
_STATUS = {"success": "success", "warning": "warning", "failed": "failed", "failure": "failed", "error": "failed"}
#: ``_Jobs.csv`` JobType -> (method, what the report calls it)
_JOB_TYPES = {
    "backup": ("image", "backup"),
    "backupcopy": ("image", "backup copy"),
    "simplebackupcopypolicy": ("image", "backup copy"),
    "backupsync": ("image", "backup copy"),
    "replica": ("replica", "replica"),
    "epagentbackup": ("image", "agent backup"),
    "epagentpolicy": ("image", "agent backup"),
    "endpointbackup": ("image", "agent backup"),
}
_ZERO_ID = "00000000-0000-0000-0000-000000000000"
#: machine flavour -> ``platform`` (the Health Check's own split: Vi*, Hv*, Phys* files and job types)
PLATFORMS = {"vi": "vmware", "vi_template": "vmware", "hv": "hyperv", "phys": "physical"}
SOURCE_TYPES = {
    "vi": "VMware VM", "vi_template": "VMware VM template", "hv": "Hyper-V VM",
    "phys": "Veeam agent computer", "session": "Veeam session object",
}


def run_type(algorithm: str) -> str:
    """``backup_runs.type`` from Veeam's job algorithm word (empty when unknown)."""
    return RUN_TYPES.get(str(algorithm or "").strip().lower().replace(" ", ""), "")


@dataclass
class _Job:
    name: str
    method: str
    what: str
    store: str = ""
    key: str = ""
    schedule: float | None = None
    retention: float | None = None
    verification: str = "job_status"
    offline: bool = False
    source: str = ""
    ids: set[str] = field(default_factory=set)


def _collect(paths: list[str]) -> tuple[dict[str, list[tuple[str, int, dict[str, str]]]], list[str], list[str]]:
    """Rows per role from the given files and folders; the files read; files not read."""
    files: list[str] = []
    skipped: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names):
                    full = os.path.join(root, name)
                    (files if _role(name) else skipped).append(full)
        elif not os.path.exists(path):
            raise ImportSourceError(f"{path}: no such file or folder")
        elif _role(os.path.basename(path)):
            files.append(path)
        else:
            raise ImportSourceError(
                f"{path}: not a Veeam Health Check file - expected the bundle folder or files named like "
                + ", ".join(sorted(k for k in BUNDLE_FILES if k.startswith("_"))[:6]) + ", ... or VeeamSessionReport.csv"
            )
    rows: dict[str, list[tuple[str, int, dict[str, str]]]] = {}
    for path in files:
        role, needed = BUNDLE_FILES[_role(os.path.basename(path))]
        header, body = csv_rows(path)
        for col in needed:
            if col not in header:
                raise ImportSourceError(
                    f"{path}: row 1: column '{col}' is missing - expected the Health Check header"
                    f" ({', '.join(needed)})"
                )
        rows.setdefault(role, []).extend((path, n, r) for n, r in body)
    if not files:
        raise ImportSourceError(f"{', '.join(paths)}: no Veeam Health Check file found (expected _Jobs.csv, "
                                "_Repositories.csv, VeeamSessionReport.csv ...)")
    return rows, files, skipped


def _bundle_date_order(rows: dict[str, list[tuple[str, int, dict[str, str]]]], skipped: list[str]) -> str | None:
    """The order of day and month in the bundle's dates: declared (``--date-format``), else detected.

    One collector run writes every CSV of a bundle under one Windows culture, so every date
    column of every file is evidence: ISO dates (``2024-03-01T22:00:00.0000000``, as the
    collector's own baselines write them) say nothing and need nothing; a dotted date is day
    first (de-DE and every culture that writes dots); a value whose first field is over 12 is
    day first, whose second field is over 12 month first. Returns None when nothing settles
    it; a session date that could then be read either way is refused, never guessed.
    """
    evidence: dict[str, tuple[str, int, str, str]] = {}
    tables = [(p, n, r) for lst in rows.values() for p, n, r in lst]
    for path in skipped:  # files the importer does not map still carry the culture
        if path.lower().endswith(".csv"):
            try:
                _header, body = csv_rows(path)
                tables.extend((path, n, r) for n, r in body)
            except ImportSourceError:
                continue
    for path, number, row in tables:
        for column, value in row.items():
            order = date_order_of(value)
            if order and order not in evidence:
                evidence[order] = (path, number, column, value)
    declared = declared_date_order()
    if declared:
        other = "MDY" if declared == "DMY" else "DMY"
        if other in evidence and (numeric_date_fields(evidence[other][3]) or (0, 0, ""))[2] != ".":
            path, number, column, value = evidence[other]
            raise ImportSourceError(
                f"{path}: row {number}: column '{column}': value '{value}' - expected a date in the declared"
                f" --date-format ({'day' if declared == 'DMY' else 'month'} first), which this value cannot be")
        return declared
    if len(evidence) == 2:
        (p1, n1, c1, v1), (p2, n2, c2, v2) = evidence["DMY"], evidence["MDY"]
        raise ImportSourceError(
            f"{p1}: row {n1}: column '{c1}': value '{v1}' is day first, but {p2}: row {n2}: column '{c2}': value"
            f" '{v2}' is month first - expected one date format for the whole bundle; give {DATE_FORMAT_HELP}")
    return next(iter(evidence), None)


def _dotted_dates(rows: dict[str, list[tuple[str, int, dict[str, str]]]]) -> bool:
    """Whether the bundle writes dates with dots (``06.03.2026``: de-DE and most cultures that also
    write a decimal comma)."""
    return any((numeric_date_fields(v) or (0, 0, ""))[2] == "." for lst in rows.values() for _p, _n, r in lst
               for v in r.values())


_COMMA_DECIMAL = re.compile(r"-?\d+,\d+")


def _role(name: str) -> str:
    low = name.lower()
    return next((k for k in BUNDLE_FILES if low.endswith(k) and (k.startswith("_") or low == k)), "")


def _where(path: str, number: int) -> str:
    return f"{path}: row {number}"


def _src(path: str) -> str:
    return f"veeam:{label(path)}"


def _short(name: str) -> str:
    return str(name).strip().lower().split(".", 1)[0]


class _Estate:
    """The bundle being mapped: machines by id and name, stores, jobs."""

    def __init__(self, draft: Draft, rows) -> None:
        self.d = draft
        self.rows = rows
        self.servers: dict[str, dict[str, str]] = {}
        self.by_name: dict[str, str] = {}
        self.vbr = ""
        self.vcenters: list[str] = []
        self.stores: dict[str, str] = {}       # lower name / id -> store component id
        self.immutable: dict[str, bool] = {}   # store component id -> immutable
        self.jobs: dict[str, _Job] = {}        # lower job name -> job
        self.job_ids: dict[str, str] = {}      # job id -> lower job name
        self.proxies: dict[str, list[str]] = {"vi": [], "hv": []}
        self.hypervisors: dict[str, list[str]] = {}  # vCenter id -> ESXi host ids
        self.kind_of_vm: dict[str, str] = {}   # vm id -> "vi" | "hv" | "phys" | ...
        self.protected: set[str] = set()       # machines Veeam lists as protected
        self.unprotected: dict[str, str] = {}  # machines Veeam lists as not protected -> source type
        self.backups_by_store: dict[str, list[tuple[str, str, _Job]]] = {}
        self.capacity: dict[str, tuple[str, bool, dict[str, str]]] = {}
        self.keys: dict[str, tuple[str, str, str, bool]] = {}
        self.date_order: str | None = None     # "DMY" | "MDY" | None: how day-month dates read
        self.decimal_comma = False             # numbers written with a decimal comma (a dotted-date culture)

    def number(self, where: str, field: str, value: str | None) -> float | None:
        """A number of the bundle: PowerShell writes doubles in the server's culture without grouping,
        so in a bundle of a decimal-comma culture (dotted dates) ``12,5`` is 12.5."""
        if self.decimal_comma and value and _COMMA_DECIMAL.fullmatch(value.strip()):
            value = value.strip().replace(",", ".")
        return parse_float(where, field, value)

    # -- machines -----------------------------------------------------------------------
    def machine(self, name: str, source: str, why: str) -> str:
        """The component of a host named ``name`` (a known server, else a new ``other``)."""
        key = _short(name)
        if key in self.by_name:
            cid = self.by_name[key]
            if cid not in self.d.components:
                row = next((r for r in self.servers.values() if r["name"] == cid), {})
                self.d.component(cid, "other", source, name=cid, source_type=f"{row.get('type', '')} server".strip(),
                                 notes=row.get("description"))
            return cid
        cid = str(name).strip()
        self.d.component(cid, "other", source, name=cid, source_type="host")
        self.d.guessed.add(f"`{cid}`: host of {why}; not in _Servers.csv, added as kind `other`")
        self.by_name[key] = cid
        return cid

    def share_host(self, row: dict[str, str]) -> str:
        """The file server or NAS of a repository or extent on a share: the host of an SMB path
        (``\\\\NAS01\\Backups``) or, for an NFS repository, of ``nas01:/export``; "" for local storage."""
        for col in ("path", "fullpath", "friendlypath"):
            path = row.get(col, "").strip()
            if path.startswith("\\\\") or path.startswith("//"):
                return next((p for p in path.replace("/", "\\").split("\\") if p), "")
        if "nfs" in row.get("type", "").lower():
            path = row.get("path", "") or row.get("friendlypath", "")
            if ":" in path and not path.startswith("/"):
                return path.split(":", 1)[0].strip()
        return ""

    def share_gateway(self, cid: str, row: dict[str, str], host: str, source: str, why: str) -> None:
        """A store on a share needs its gateway server (``network``): every read passes through it."""
        if not self.share_host(row):
            return
        by_id = self.servers.get(row.get("hostid", ""), {}).get("name", "")
        gateway = row.get("host", "") or by_id or row.get("gatewayhosts", "").split(";")[0].strip()
        if gateway and _short(gateway) != _short(host):
            gid = self.machine(gateway, source, f"{why} (its gateway)")
            self.d.depend(cid, gid, "network", source, notes="gateway server of the share")
            self.d.mapped.add(f"`{cid}` lies on the share's file server `{host}`; its gateway `{gid}` carries every read")

    def host_of(self, row: dict[str, str], source: str, why: str, name_first: bool) -> str:
        """The host a proxy, repository or extent lives on (its ``Host`` name, ``HostId``, gateway or path).

        A store on a share (SMB or NFS) lives on the file server that holds the data, not on the
        gateway server the ``Host`` column names: the gateway only carries the traffic, so the
        store needs it (``network``) as well.
        """
        nas = self.share_host(row)
        if nas:
            return self.machine(nas, source, f"{why} (the share's file server)")
        name = row.get("host", "")
        by_id = self.servers.get(row.get("hostid", ""), {}).get("name", "")
        candidates = [name, by_id] if name_first else [by_id, name]
        gateway = row.get("gatewayhosts", "").split(";")[0].strip()
        path = row.get("friendlypath", "")
        path_host = path.split("\\")[0].split(":")[0] if path and not path.startswith("\\") else ""
        for cand in [*candidates, gateway, path_host]:
            if cand:
                return self.machine(cand, source, why)
        return ""

    def servers_and_proxies(self) -> None:
        for path, number, row in self.rows.get("servers", []):
            sid, name, stype = row["id"], row["name"], row["type"]
            if not name:
                raise ImportSourceError(f"{_where(path, number)}: column 'name': empty - expected the server's name")
            self.servers[sid] = row
            self.by_name[_short(name)] = name
            low = stype.lower()
            source = _src(path)
            if low == "local":
                self.vbr = name
                self.d.component(name, "recovery_tool", source, name=name, source_type="Veeam backup server",
                                 notes="runs every Veeam job and restore; holds the configuration database")
                self.d.mapped.add(f"`{name}`: the Veeam backup server (recovery_tool): every restore needs it")
            elif low in ("vc", "vcenter"):
                self.vcenters.append(name)
                self.d.component(name, "control_plane", source, name=name, source_type="VMware vCenter", platform="vmware")
                self.d.mapped.add(f"`{name}`: vCenter (control_plane): in-place VM restores need it")
            elif low in ("esxi", "esx", "hvserver", "hvcluster", "hyperv", "hv"):
                self.d.component(name, "other", source, name=name, source_type=f"{stype} hypervisor",
                                 platform="vmware" if low.startswith("esx") else "hyperv")
                parent = row.get("parentid", "")
                self.hypervisors.setdefault(parent, []).append(name)
                self.d.mapped.add(f"`{name}`: {stype} hypervisor host (other)")
        if not self.vbr:
            self.vbr = "veeam-backup-server"
            self.d.component(self.vbr, "recovery_tool", self.d.sources[0], name="Veeam backup server",
                             source_type="Veeam backup server")
            self.d.guessed.add("`veeam-backup-server`: no server of type Local in _Servers.csv; the backup server is added by this name")
        for role, kind in (("proxies", "vi"), ("hv_proxies", "hv")):
            for path, number, row in self.rows.get(role, []):
                source = _src(path)
                if parse_bool(_where(path, number), "IsDisabled", row.get("isdisabled")):
                    self.d.ignored.add(f"proxy `{row['name']}` is disabled: no restore can use it")
                    continue
                ptype = row.get("type", "").lower()
                serves = "hv" if role == "proxies" and ptype.startswith("hv") else kind
                pid = f"proxy.{clean_id(row['name'])}"
                self.d.component(pid, "recovery_tool", source, name=row["name"], source_type="Veeam proxy",
                                 max_parallel_restores=_int_text(row.get("maxtaskscount")))
                host = self.host_of(row, source, f"proxy `{row['name']}`", name_first=True)
                if host:
                    self.d.depend(pid, host, "location", source)
                self.proxies[serves].append(pid)
                self.d.mapped.add(f"`{pid}`: backup proxy (recovery_tool); restores of {serves.upper()} VMs need one of them")

    # -- stores -------------------------------------------------------------------------
    def repositories(self) -> None:
        for path, number, row in self.rows.get("repos", []):
            source, where = _src(path), _where(path, number)
            cid = f"repo.{clean_id(row['name'])}"
            immutable = bool(parse_bool(where, "IsImmutabilitySupported", row.get("isimmutabilitysupported"))) or "hardened" in (
                row.get("type", "") + row.get("typedisplay", "")).lower()
            self.d.component(cid, "backup_store", source, name=row["name"], source_type=f"Veeam repository ({row.get('type', '')})",
                             notes=row.get("description"), max_parallel_restores=_int_text(row.get("options(maxtasks)")))
            host = self.host_of(row, source, f"repository `{row['name']}`", name_first=False)
            if host:
                self.d.depend(cid, host, "location", source)
                self.share_gateway(cid, row, host, source, f"repository `{row['name']}`")
                if host == self.vbr:
                    self.d.seen.add(f"repository `{cid}` lives on the backup server `{host}` itself: one machine"
                                    " holds the backups and everything needed to restore them")
            self.stores[row["name"].lower()] = cid
            self.stores[row["id"]] = cid
            self.immutable[cid] = immutable
            self.d.mapped.add(f"`{cid}`: repository `{row['name']}` on `{host or '?'}` (backup_store"
                              + (", immutable" if immutable else "") + ")")
        extents_of: dict[str, list[tuple[str, bool]]] = {}
        for path, number, row in self.rows.get("extents", []):
            source, where = _src(path), _where(path, number)
            cid = f"extent.{clean_id(row['name'])}"
            immutable = bool(parse_bool(where, "IsImmutabilitySupported", row.get("isimmutabilitysupported"))) or bool(
                parse_bool(where, "ObjectLockEnabled", row.get("objectlockenabled")))
            self.d.component(cid, "backup_store", source, name=row["name"], source_type="Veeam scale-out extent",
                             notes=row.get("description"))
            host = self.host_of(row, source, f"extent `{row['name']}`", name_first=True)
            if host:
                self.d.depend(cid, host, "location", source)
                self.share_gateway(cid, row, host, source, f"extent `{row['name']}`")
            extents_of.setdefault(row["sobr_name"].lower(), []).append((cid, immutable))
            self.immutable[cid] = immutable
            self.stores.setdefault(row.get("id", "") or cid, cid)
        sobr_ids: dict[str, tuple[str, dict[str, str], str]] = {}
        for path, number, row in self.rows.get("sobrs", []):
            source, where = _src(path), _where(path, number)
            cid = f"sobr.{clean_id(row['name'])}"
            self.d.component(cid, "backup_store", source, name=row["name"], source_type="Veeam scale-out repository",
                             notes=row.get("description"))
            extents = extents_of.get(row["name"].lower(), [])
            for ext, _ in extents:
                self.d.depend(cid, ext, "storage", source)
            if extents:
                self.d.guessed.add(f"`{cid}` needs every one of its extents: a VM's backup chain sits on one extent and"
                                   " the bundle does not say which")
            else:
                self.d.todo.add(f"the extents of scale-out repository `{cid}` (none in _SOBRExtents.csv)")
            self.immutable[cid] = bool(extents) and all(imm for _, imm in extents)
            self.stores[row["name"].lower()] = cid
            if row.get("id"):
                self.stores[row["id"]] = cid
                sobr_ids[row["id"]] = (cid, row, where)
            self.d.mapped.add(f"`{cid}`: scale-out repository over " + (", ".join(f"`{e}`" for e, _ in extents) or "no known extent")
                              + (" (all extents immutable)" if self.immutable[cid] else ""))
        for path, number, row in self.rows.get("captier", []):
            source, where = _src(path), _where(path, number)
            parent = sobr_ids.get(row["parentid"])
            if parent is None:
                self.d.ignored.add(f"capacity tier on `{row['parentid']}` ({label(path)} row {number}): no scale-out repository with that Id")
                continue
            sobr, srow, swhere = parent
            if parse_bool(swhere, "EnableCapacityTier", srow.get("enablecapacitytier")) is False:
                self.d.ignored.add(f"capacity tier of `{sobr}`: the scale-out repository has it switched off")
                continue
            immutable = bool(parse_bool(where, "Immute", row.get("immute")))
            cid = f"captier.{sobr.split('.', 1)[1]}"
            days = self.number(where, "immutabilityperiod", row.get("immutabilityperiod"))
            self.d.component(cid, "backup_store", source, name=f"capacity tier of {srow['name']} ({row['type']})",
                             source_type=f"Veeam capacity tier ({row['type']})",
                             notes=f"immutable for {format_number(days)} days" if immutable and days else "")
            provider = f"provider.{clean_id(row['type'])}"
            self.d.component(provider, "provider", source, name=row["type"], source_type="object storage provider")
            self.d.depend(cid, provider, "runtime", source)
            self.immutable[cid] = immutable
            copy = bool(parse_bool(swhere, "CapacityTierCopyPolicyEnabled", srow.get("capacitytiercopypolicyenabled")))
            move = bool(parse_bool(swhere, "CapacityTierMovePolicyEnabled", srow.get("capacitytiermovepolicyenabled")))
            if copy:
                self.capacity[sobr] = (cid, immutable, srow)
                self.d.mapped.add(f"`{cid}`: capacity tier of `{sobr}` in {row['type']} (copy policy: every backup on"
                                  f" `{sobr}` has a copy there" + (", immutable)" if immutable else ")"))
            else:
                self.d.mapped.add(f"`{cid}`: capacity tier of `{sobr}` in {row['type']}" + (" (move policy only: older"
                                  " restore points move there, no second copy of recent ones)" if move else ""))
            self.d.todo.add(f"the account and credentials of the object storage behind `{cid}` (dependency rows)")

    def store(self, ref: str, source: str, why: str) -> str:
        if not ref:
            return ""
        found = self.stores.get(ref) or self.stores.get(ref.lower())
        if found:
            return found
        cid = f"repo.{clean_id(ref)}"
        self.d.component(cid, "backup_store", source, name=ref, source_type="Veeam repository")
        self.d.guessed.add(f"`{cid}`: {why} writes to `{ref}`, which is not in the repository exports; added without its host")
        self.stores[ref.lower()] = cid
        self.immutable[cid] = False
        return cid

    # -- jobs ---------------------------------------------------------------------------
    def key(self, key_id: str, encrypted: bool, job: str, source: str) -> str:
        """The id of the password a job encrypts with ("" when not encrypted); added when a backup uses it."""
        if key_id and key_id != _ZERO_ID:
            kid = f"veeam-key.{key_id}"
            self.keys[kid] = (f"Veeam encryption password {key_id[:8]}", source,
                              f"`{kid}`: encryption password of job `{job}` (kms): restoring its backups needs it", False)
        elif encrypted:
            kid = f"veeam-key.{clean_id(job)}"
            self.keys[kid] = (f"Veeam encryption password of {job}", source,
                              f"`{kid}`: job `{job}` is encrypted but the export names no key id; one key per job assumed", True)
        else:
            return ""
        return kid

    def use_key(self, kid: str) -> None:
        name, source, line, guessed = self.keys[kid]
        if kid not in self.d.components:
            self.d.component(kid, "kms", source, name=name, source_type="Veeam encryption password",
                             notes="kept in the backup server's configuration database; a rebuilt server needs it typed in")
            # the password is kept in the backup server's configuration database: the server is its key store
            self.d.depend(kid, self.vbr, "location", source, notes="kept in the configuration database")
            (self.d.guessed if guessed else self.d.mapped).add(line)
            self.d.todo.add(f"where the password `{kid}` is kept besides the backup server (a vault, a safe): a dependency row")

    def jobs_from_files(self) -> None:
        for path, number, row in self.rows.get("jobs", []):
            source, where = _src(path), _where(path, number)
            name, jtype = row["name"], row["jobtype"]
            rule = _JOB_TYPES.get(jtype.lower().replace(" ", ""))
            if not name:
                raise ImportSourceError(f"{where}: column 'name': empty - expected the job's name")
            if rule is None:
                self.d.ignored.add(f"job `{name}`: job type `{jtype}` is not mapped")
                continue
            method, what = rule
            job = _Job(name, method, what, source=source)
            job.store = self.store(row.get("reponame", ""), source, f"job `{name}`")
            encrypted = bool(parse_bool(where, "StgEncryptionEnabled", row.get("stgencryptionenabled")))
            job.key = self.key(row.get("pwdkeyid", ""), encrypted, name, source)
            job.schedule = schedule_hours_from_text(row.get("scheduleoptions", ""))
            if job.schedule is None and row.get("sheduleenabledtime") and what != "backup copy":
                job.schedule = 24.0
                self.d.guessed.add(f"job `{name}` is scheduled but its schedule is not in the export: daily (Veeam's default) assumed")
            job.retention = self._retention(where, row, job, "retentiontype", "retentioncount")
            if parse_bool(where, "IntegrityChecks", row.get("integritychecks")):
                job.verification = "checksum"
            self.jobs[name.lower()] = job
            if row.get("id"):
                self.job_ids[row["id"]] = name.lower()
            self.d.mapped.add(f"job `{name}` ({jtype} -> method `{method}`) writes to `{job.store or '?'}`"
                              + (f", encrypted with `{job.key}`" if job.key else ""))
        for role, method, what in (("agent_jobs", "image", "agent backup"), ("plugin_jobs", "dump", "plug-in backup")):
            for path, number, row in self.rows.get(role, []):
                source, where = _src(path), _where(path, number)
                name = row["name"]
                job = _Job(name, method, what, source=source)
                job.store = self.store(row["targetrepositoryid"], source, f"job `{name}`")
                job.schedule = schedule_hours_from_text(row.get("scheduleoptions", ""))
                job.retention = self._retention(where, row, job, "retentiontype", "retentioncount")
                self.jobs[name.lower()] = job
                if row.get("id"):
                    self.job_ids[row["id"]] = name.lower()
                self.d.mapped.add(f"job `{name}` ({what}, method `{method}`) writes to `{job.store or '?'}`")
        for path, number, row in self.rows.get("tape", []):
            source, where = _src(path), _where(path, number)
            name = row["name"]
            if row["type"].lower() != "backuptotape":
                self.d.ignored.add(f"tape job `{name}`: type `{row['type']}` (files, not backups) is not mapped")
                continue
            pool = row.get("mediapoolid") or name
            pid = f"tape-pool.{clean_id(pool)}"
            self.d.component(pid, "backup_store", source, name=f"tape media pool {pool[:8]}", source_type="Veeam tape media pool",
                             notes="tapes in the library and on the shelf")
            self.d.todo.add(f"where the tape library and the shelf of `{pid}` are (site dependency rows)")
            job = _Job(name, "tape", "tape", store=pid, offline=True, source=source)
            job.schedule = schedule_hours_from_text(row.get("scheduleoptions", ""))
            job.ids = {row["sourceid"]} if row["sourcetype"].lower() in ("repository", "job") else set()
            self.jobs[name.lower()] = job
            self.d.mapped.add(f"tape job `{name}` writes to `{pid}` (method `tape`, offline)")

    def _retention(self, where: str, row: dict[str, str], job: _Job, type_col: str, count_col: str) -> float | None:
        rtype = row.get(type_col, "").lower()
        count = self.number(where, count_col, row.get(count_col))
        if count is None or count <= 0:
            return None
        if rtype == "days":
            return count
        if job.schedule:
            days = count * job.schedule / 24
            self.d.guessed.add(f"job `{job.name}` keeps {format_number(count)} restore points: {format_number(days)} days at one per run")
            return days
        self.d.todo.add(f"`retention_days` of the backups of job `{job.name}` (it keeps {format_number(count)} restore points)")
        return None

    # -- assets -------------------------------------------------------------------------
    def assets(self) -> None:
        for role, kind, protected in (("vi_protected", "vi", True), ("vi_unprotected", "vi", False),
                                      ("hv_protected", "hv", True), ("hv_unprotected", "hv", False),
                                      ("phys_protected", "phys", True), ("phys_unprotected", "phys", False)):
            for path, number, row in self.rows.get(role, []):
                source, where = _src(path), _where(path, number)
                name = row["name"]
                if not name:
                    raise ImportSourceError(f"{where}: column 'name': empty - expected the machine's name")
                if not protected and name in self.kind_of_vm:
                    continue
                vtype = row.get("type", "").lower()
                flavour = "vi_template" if vtype == "vmtemplate" else kind
                used = self.number(where, "UsedSize", row.get("usedsize"))
                cid = self.by_name.get(_short(name), name) if kind == "phys" else name
                self.d.component(cid, "service", source, name=name, source_type=SOURCE_TYPES[flavour],
                                 data_gb=None if used is None else used / 1e9, platform=PLATFORMS.get(flavour),
                                 notes=None if protected else "Veeam lists it as not protected by any job")
                self.kind_of_vm[cid] = kind
                if not protected:
                    self.unprotected[cid] = SOURCE_TYPES[flavour]
                self._runs_on(cid, kind, row.get("path", ""), source)
                if protected:
                    self.protected.add(cid)

    def _runs_on(self, cid: str, kind: str, vpath: str, source: str) -> None:
        top = vpath.split("\\", 1)[0].strip() if vpath else ""
        if kind == "vi":
            vc = next((v for v in self.vcenters if _short(v) == _short(top)), "")
            if vc:
                vc_id = next((i for i, r in self.servers.items() if r["name"] == vc), "")
                hosts = self.hypervisors.get(vc_id, [])
                if not hosts and len(self.vcenters) == 1:
                    hosts = sorted(h for hs in self.hypervisors.values() for h in hs)
                for host in hosts:
                    self.d.depend(cid, host, "runtime", source, group=f"hosts:{vc}")
                if hosts:
                    self.d.guessed.add(f"VMs of `{vc}` run on one of its ESXi hosts ({', '.join(hosts)}): the bundle"
                                       " does not say which, so any one suffices")
            if not self.hypervisors:
                self.d.todo.add("the ESXi hosts or clusters the VMs run on (no hypervisor in _Servers.csv)")
        elif kind == "hv" and top:
            host = self.machine(top, source, f"Hyper-V VM `{cid}`")
            self.d.depend(cid, host, "runtime", source)

    def asset(self, name: str, job_type: str, source: str) -> str:
        """The component of a session's VM/computer (added when no inventory file lists it)."""
        key = _short(name)
        existing = next((c for c in self.kind_of_vm if _short(c) == key), "")
        if existing:
            return existing
        low = job_type.lower()
        kind = "vi" if "vmware" in low else "hv" if "hyperv" in low else "phys" if "physical" in low or "agent" in low else "session"
        cid = self.by_name.get(key, name)
        self.d.component(cid, "service", source, name=name, source_type=SOURCE_TYPES[kind], platform=PLATFORMS.get(kind))
        self.kind_of_vm[cid] = kind
        return cid

    # -- backups ------------------------------------------------------------------------
    def backup(self, job: _Job, asset: str, source: str) -> str:
        bid = f"{clean_id(job.name)}.{clean_id(asset)}"
        if bid in self.d.backups:
            return bid
        immutable = self.immutable.get(job.store, False) if job.store else None
        self.d.backup(bid, asset, source, method=job.method, schedule_hours=job.schedule, retention_days=job.retention,
                      immutable=True if immutable else None, offline=True if job.offline else None,
                      verification=job.verification, notes=f"Veeam {job.what} job {job.name}")
        self.d.component(bid, "backup", source, source_type=f"Veeam {job.what} job")
        if job.store:
            self.d.depend(bid, job.store, "storage", source)
        self._restore_needs(bid, asset, job.key, source)
        self.backups_by_store.setdefault(job.store, []).append((bid, asset, job))
        return bid

    def _restore_needs(self, bid: str, asset: str, key: str, source: str) -> None:
        self.d.depend(bid, self.vbr, "restore", source)
        kind = self.kind_of_vm.get(asset, "")
        if kind == "vi":
            for vc in self.vcenters[:1] if len(self.vcenters) == 1 else []:
                self.d.depend(bid, vc, "control", source)
            for proxy in self.proxies["vi"]:
                self.d.depend(bid, proxy, "restore", source, group="veeam-proxies:vi")
        elif kind == "hv":
            for proxy in self.proxies["hv"]:
                self.d.depend(bid, proxy, "restore", source, group="veeam-proxies:hv")
        if key:
            self.use_key(key)
            self.d.depend(bid, key, "keys", source)

    def listed_protected(self, cid: str) -> None:
        """A machine Veeam lists as protected that no session names: a backup by an unknown job."""
        bid = f"veeam.{clean_id(cid)}"
        source = self.d.components[cid].get("imported_from", self.d.sources[0]).split(";")[0]
        self.d.backup(bid, cid, source, method="image", verification="job_status",
                      notes="Veeam lists the machine as protected; its job and repository are not in the bundle")
        self.d.component(bid, "backup", source, source_type="Veeam backup (job unknown)")
        self._restore_needs(bid, cid, "", source)
        self.d.guessed.add(f"`{bid}`: Veeam lists `{cid}` as protected but no session names its job: a backup with an unknown repository")
        self.d.todo.add(f"the repository (a `storage` dependency), schedule and retention of `{bid}`")

    def sessions(self) -> None:
        skipped: dict[str, int] = {}
        if self.date_order is None:
            for path, number, row in self.rows.get("sessions", []):
                fields = numeric_date_fields(row["creationtime"])
                if fields and fields[0] != fields[1]:
                    raise ImportSourceError(
                        f"{_where(path, number)}: column 'CreationTime': value '{row['creationtime']}' - day and month"
                        " cannot be told apart: no date in the bundle has a day over 12 or is written with dots, and"
                        f" the bundle does not say its culture; a date is never guessed: give {DATE_FORMAT_HELP}")
        for path, number, row in self.rows.get("sessions", []):
            source, where = _src(path), _where(path, number)
            status = _STATUS.get(row["status"].strip().lower())
            if not row["jobname"] or not row["vmname"]:
                raise ImportSourceError(f"{where}: columns 'JobName' and 'VMName': empty - expected the job and the machine of the session")
            started = parse_datetime(where, "CreationTime", row["creationtime"], order=self.date_order)
            if started is None:
                raise ImportSourceError(f"{where}: field 'CreationTime': empty - expected the session's start time")
            if status is None:
                skipped[row["status"] or "(empty)"] = skipped.get(row["status"] or "(empty)", 0) + 1
                continue
            job = self.jobs.get(row["jobname"].lower())
            if job is None:
                job = _Job(row["jobname"], "image", "backup", source=source)
                self.jobs[row["jobname"].lower()] = job
                self.d.guessed.add(f"job `{row['jobname']}` has sessions but is not in the job exports: an image backup"
                                   " with an unknown repository")
                self.d.todo.add(f"the repository of job `{row['jobname']}` (a `storage` dependency of its backups)")
            asset = self.asset(row["vmname"], row.get("jobtype", ""), source)
            bid = self.backup(job, asset, source)
            size = self.number(where, "BackupSizeGB", row.get("backupsizegb"))
            hours = parse_duration_hours(where, "TaskDuration", row.get("taskduration")) or parse_duration_hours(
                where, "JobDuration", row.get("jobduration"))
            retry = parse_bool(where, "IsRetry", row.get("isretry"))
            self.d.run(bid, started, status, source, size_gb=size, type=run_type(row.get("jobalgorithm", "")),
                       finished_at=add_hours(started, hours) if hours else None,
                       message="retry" if retry else None)
        for status, count in sorted(skipped.items()):
            self.d.ignored.add(f"{count} session rows with status `{status}`: not a finished run")

    def tape_and_capacity_copies(self) -> None:
        for job in [j for j in self.jobs.values() if j.method == "tape" and j.ids]:
            for ref in sorted(job.ids):
                if ref in self.job_ids:
                    sources = [(b, a, j) for lst in self.backups_by_store.values() for b, a, j in lst
                               if j.name.lower() == self.job_ids[ref]]
                else:
                    store = self.stores.get(ref)
                    sources = list(self.backups_by_store.get(store, [])) if store else []
                if not sources:
                    self.d.ignored.add(f"tape job `{job.name}` copies `{ref}`, which holds no backup of the bundle")
                for _bid, asset, _src_job in sorted(sources):
                    tid = self.backup(job, asset, job.source)
                    self.d.mapped.add(f"`{tid}`: tape copy of `{asset}` by `{job.name}` (offline)")
        for sobr, (cid, immutable, _srow) in sorted(self.capacity.items()):
            for bid, asset, job in sorted(self.backups_by_store.get(sobr, []), key=lambda t: t[0]):
                cop = f"{bid}.capacity-tier"
                source = job.source
                self.d.backup(cop, asset, source, method="object_copy", schedule_hours=job.schedule,
                              retention_days=job.retention, immutable=True if immutable else None,
                              verification=job.verification, notes=f"capacity-tier copy of {bid}")
                self.d.component(cop, "backup", source, source_type="Veeam capacity tier copy")
                self.d.depend(cop, cid, "storage", source)
                self._restore_needs(cop, asset, job.key, source)

    def surebackup(self) -> None:
        for path, number, row in self.rows.get("surebackup", []):
            where = _where(path, number)
            if parse_bool(where, "IsEnabled", row.get("isenabled")) is False:
                self.d.ignored.add(f"SureBackup job `{row['name']}` is disabled")
                continue
            matched = []
            for ref in [r.strip() for r in row["linkedjobids"].split(";") if r.strip()]:
                name = self.job_ids.get(ref) or (ref.lower() if ref.lower() in self.jobs else "")
                if not name:
                    self.d.ignored.add(f"SureBackup job `{row['name']}` verifies job `{ref}`, which is not a mapped job")
                    continue
                for bid, _asset, job in (t for lst in self.backups_by_store.values() for t in lst):
                    if job is self.jobs[name]:
                        self.d.backups[bid]["verification"] = "restore_test"
                        matched.append(bid)
            if matched:
                self.d.mapped.add(f"SureBackup job `{row['name']}` verifies {len(matched)} backups (verification `restore_test`)")
                self.d.todo.add(f"the results of SureBackup job `{row['name']}` as `restore_tests` rows (the bundle has no SureBackup sessions)")

    def administrators(self) -> None:
        """The Backup Administrator credentials: ``admin`` rows on every repository, extent and disk backup.

        Whoever holds the role deletes backups and repositories from the console (an ``admin``
        row, not a requirement: restores do not need it). Tape and immutable copies are spared
        by the analysis' own rule; the backup server is not given a row, so a compromise is
        judged by what it can delete, not by a wiped server.
        """
        if not self.d.backups:
            return
        holders = sorted(r["name"] for _, _, r in self.rows.get("roles", []) if "administrator" in r["role"].lower())
        source = _src(self.rows["roles"][0][0]) if self.rows.get("roles") else self.d.sources[0]
        self.d.component(ADMIN, "credentials", source, name="Veeam Backup Administrator role",
                         source_type="Veeam role",
                         notes=("held by " + ", ".join(holders)) if holders else "who holds it is not in the bundle")
        (self.d.mapped if holders else self.d.guessed).add(
            f"`{ADMIN}`: the Backup Administrator role (credentials)" + (f", held by {', '.join(holders)}" if holders else "")
            + ": `admin` rows on every repository, extent, capacity tier and backup it can delete")
        stores = sorted({c for c, row in self.d.components.items() if row["kind"] == "backup_store"
                         and not c.startswith(("tape-pool.", "share."))})
        for cid in stores + sorted(self.d.backups):
            self.d.depend(cid, ADMIN, "admin", source)

    def configuration_backup(self) -> None:
        rows = self.rows.get("config", [])
        if not rows:
            if self.rows.get("jobs") or self.rows.get("servers"):
                self.d.todo.add(f"the configuration backup of `{self.vbr}` (no _configBackup.csv in the bundle)")
            return
        path, number, row = rows[0]
        source, where = _src(path), _where(path, number)
        if not parse_bool(where, "Enabled", row["enabled"]):
            self.d.seen.add(f"the configuration backup of `{self.vbr}` is disabled: losing the server loses every job,"
                            " credential and encryption password it holds")
            return
        target = row["target"].strip()
        store = self.stores.get(target) or self.stores.get(target.lower())
        if store is None and target.startswith("\\\\"):
            parts = [p for p in target.split("\\") if p]
            host = self.machine(parts[0], source, "the configuration backup share")
            store = f"share.{clean_id(parts[0])}.{clean_id(parts[1]) if len(parts) > 1 else 'share'}"
            self.d.component(store, "backup_store", source, name=target, source_type="file share")
            self.d.depend(store, host, "location", source)
        elif store is None:
            store = self.store(target, source, "the configuration backup") if target else ""
            if target[1:3] == ":\\":
                self.d.depend(store, self.vbr, "location", source)
        bid = "veeam-configuration-backup"
        every = schedule_hours_from_text(row.get("scheduleoptions", ""))
        points = self.number(where, "RetentionRestorePointsCount", row.get("retentionrestorepointscount"))
        self.d.backup(bid, self.vbr, source, method="dump", schedule_hours=every,
                      retention_days=points * every / 24 if points and every else None,
                      verification="job_status", notes=f"Veeam configuration backup to {target}")
        self.d.component(bid, "backup", source, source_type="Veeam configuration backup")
        if store:
            self.d.depend(bid, store, "storage", source)
        if (row.get("encryptionoptions") or "").lower() in ("enabled", "true"):
            kid = "veeam-key.configuration-backup"
            self.d.component(kid, "kms", source, name="configuration backup password", source_type="Veeam encryption password")
            self.d.depend(bid, kid, "keys", source)
            self.d.todo.add(f"where the password `{kid}` is kept (a vault, a safe): a dependency row")
        else:
            self.d.seen.add("the configuration backup is not encrypted, so it leaves out every stored credential and password")
        self.d.mapped.add(f"`{bid}`: configuration backup of `{self.vbr}` to `{store or target}`")
        if (row.get("lastresult") or "").lower() in ("failed", "warning"):
            self.d.seen.add(f"the last configuration backup ended `{row['lastresult']}`")
        shared = [b for b, _, _ in self.backups_by_store.get(store, [])]
        on_server = store and (store, self.vbr) in {(c, d) for c, d, _ in self.d.dependencies}
        if shared:
            self.d.seen.add(f"the configuration backup is written to `{store}`, the repository that also holds"
                            f" {len(shared)} job backups: one loss takes the backups and the means to restore them")
        if on_server:
            self.d.seen.add(f"the configuration backup is written to `{store}` on the backup server `{self.vbr}` itself")


def _int_text(value: str | None) -> str:
    text = (value or "").strip()
    return text if text.isdigit() and int(text) >= 1 else ""


def import_veeam(paths: list[str]) -> Draft:
    """Build a draft inventory from a Veeam Health Check CSV bundle (folders or files).

    Raises
    ------
    ImportSourceError
        No Health Check file, a file without the columns its role needs, an empty name,
        a value that is not a number, boolean, time or duration where one is expected
        (file, row, column, value, expected).
    """
    rows, files, skipped = _collect([os.fspath(p) for p in paths])
    draft = Draft("veeam", tuple(f"veeam:{label(p)}" for p in files))
    est = _Estate(draft, rows)
    est.date_order = _bundle_date_order(rows, skipped)
    est.decimal_comma = _dotted_dates(rows)
    if est.date_order:
        draft.mapped.add("dates are read " + ("day first (dd/MM/yyyy, dd.MM.yyyy)" if est.date_order == "DMY"
                                              else "month first (M/d/yyyy)")
                         + (", as `--date-format` declares" if declared_date_order() else ", as the bundle's own dates show"))
    est.servers_and_proxies()
    est.repositories()
    est.jobs_from_files()
    est.assets()
    est.sessions()
    for cid in sorted(est.protected):
        if not any(b.get("protects") == cid for b in draft.backups.values()):
            est.listed_protected(cid)
    for cid, stype in sorted(est.unprotected.items()):
        if any(b.get("protects") == cid for b in draft.backups.values()):
            draft.guessed.add(f"`{cid}` is listed as not protected, yet the session report has runs of a job backing it up: that backup is kept")
        else:
            draft.seen.add(f"`{cid}` ({stype}) is not protected by any Veeam job")
    est.tape_and_capacity_copies()
    est.surebackup()
    est.configuration_backup()
    est.administrators()
    if skipped:
        draft.ignored.add("files of the bundle the importer does not read: "
                          + ", ".join(f"`{n}`" for n in sorted({label(p) for p in skipped})))
    if not draft.runs and rows.get("jobs"):
        draft.todo.add("the job history: VeeamSessionReport.csv was not in the bundle, so there are no backup runs")
    draft.name = f"Veeam {est.vbr}"
    draft.check_references()
    return draft
