"""ServiceNow-style CMDB exports (``cmdb_ci``, ``cmdb_rel_ci``) -> draft inventory."""

from __future__ import annotations

from .draft import Draft
from .sources import ImportSourceError, csv_rows, label

__all__ = ["CLASS_KINDS", "CLASS_PREFIX_KINDS", "RELATIONSHIPS", "import_cmdb", "kind_of_class"]

KINDS = (
    "service", "datastore", "backup", "backup_store", "recovery_tool", "identity", "credentials",
    "network", "dns", "control_plane", "kms", "monitoring", "alerting", "site", "region",
    "account", "provider", "team", "other",
)

#: ``sys_class_name`` -> kind, exact matches (checked first).
CLASS_KINDS = {
    "cmdb_ci_service": "service", "cmdb_ci_service_auto": "service", "cmdb_ci_service_discovered": "service",
    "cmdb_ci_business_app": "service", "cmdb_ci_appl": "service", "cmdb_ci_app_server": "service",
    "cmdb_ci_web_server": "service", "cmdb_ci_web_site": "service", "cmdb_ci_kubernetes_cluster": "control_plane",
    "cmdb_ci_database": "datastore", "cmdb_ci_db_instance": "datastore", "cmdb_ci_storage_device": "datastore",
    "cmdb_ci_storage_volume": "datastore", "cmdb_ci_nas_file_system": "datastore", "cmdb_ci_file_system": "datastore",
    "cmdb_ci_san": "datastore", "cmdb_ci_cloud_object_storage": "datastore", "cmdb_ci_queue": "datastore",
    "cmdb_ci_backup_server": "recovery_tool", "cmdb_ci_backup_software": "recovery_tool",
    "cmdb_ci_backup_storage": "backup_store", "cmdb_ci_tape_library": "backup_store",
    "cmdb_ci_ldap_server": "identity", "cmdb_ci_directory_service": "identity", "cmdb_ci_ad_domain": "identity",
    "cmdb_ci_certificate": "credentials", "cmdb_ci_key_vault": "kms", "cmdb_ci_hsm": "kms",
    "cmdb_ci_dns_name": "dns", "cmdb_ci_dns_server": "dns",
    "cmdb_ci_ip_network": "network", "cmdb_ci_ip_switch": "network", "cmdb_ci_ip_router": "network",
    "cmdb_ci_ip_firewall": "network", "cmdb_ci_netgear": "network", "cmdb_ci_lb": "network",
    "cmdb_ci_lb_service": "network", "cmdb_ci_wan": "network",
    "cmdb_ci_datacenter": "site", "cmn_location": "site", "cmdb_ci_computer_room": "site",
    "cmdb_ci_aws_datacenter": "region", "cmdb_ci_azure_datacenter": "region",
    "cmdb_ci_google_datacenter": "region", "cmdb_ci_logical_datacenter": "region",
    "cmdb_ci_cloud_service_account": "account", "service_account": "account",
    "cmdb_ci_monitoring_tool": "monitoring", "cmdb_ci_event_management": "alerting",
    "cmdb_ci_server": "other", "cmdb_ci_linux_server": "other", "cmdb_ci_win_server": "other",
    "cmdb_ci_unix_server": "other", "cmdb_ci_esx_server": "other", "cmdb_ci_vm_instance": "other",
    "cmdb_ci_vmware_instance": "other", "cmdb_ci_computer": "other", "cmdb_ci_cluster": "other",
}
#: ``sys_class_name`` prefix -> kind, for the many database and application subclasses.
CLASS_PREFIX_KINDS = (
    ("cmdb_ci_db_", "datastore"), ("cmdb_ci_storage", "datastore"), ("cmdb_ci_appl_", "service"),
    ("cmdb_ci_app_server_", "service"), ("cmdb_ci_lb_", "network"), ("cmdb_ci_ip_", "network"),
)
#: relationship type -> (who depends: "parent" or "child", dependency kind, group or "").
#: ``Backed up by::Backs up`` is handled apart: it makes a backup, not a dependency.
RELATIONSHIPS = {
    "depends on::used by": ("parent", "runtime", ""),
    "runs on::runs": ("parent", "runtime", ""),
    "hosted on::hosts": ("parent", "location", ""),
    "uses::used by": ("parent", "runtime", ""),
    "connects to::connected by": ("parent", "network", ""),
    "stored on::stores": ("parent", "storage", ""),
    "virtualized by::virtualizes": ("parent", "runtime", ""),
    "managed by::manages": ("parent", "admin", ""),  # the manager can administer it; not a requirement
    "located in::houses": ("parent", "location", ""),
    "powered by::powers": ("parent", "location", ""),
    "receives data from::sends data to": ("parent", "runtime", ""),
    "contains::contained by": ("child", "location", ""),
    "members::member of": ("parent", "runtime", "members"),
    "cluster of::cluster": ("child", "runtime", "members"),
}
_BACKUP = "backed up by::backs up"


def kind_of_class(cls: str, overrides: dict[str, str] | None = None) -> tuple[str, bool]:
    """The kind of a CMDB class and whether it came from the tables (False: ``other`` by default)."""
    key = cls.strip().lower()
    if overrides and key in overrides:
        return overrides[key], True
    if key in CLASS_KINDS:
        return CLASS_KINDS[key], True
    for prefix, kind in CLASS_PREFIX_KINDS:
        if key.startswith(prefix):
            return kind, True
    return "other", False


#: CMDB classes that name the platform a CI runs on (``platform``); prefixes end with ``*``.
PLATFORM_CLASSES = {
    "cmdb_ci_vmware_instance": "vmware", "cmdb_ci_esx_server": "vmware", "cmdb_ci_vcenter*": "vmware",
    "cmdb_ci_hyper_v_instance": "hyperv", "cmdb_ci_hyper_v_server": "hyperv", "cmdb_ci_kubernetes_*": "kubernetes",
    "cmdb_ci_docker_*": "docker",
}
#: server classes: physical when the export's ``virtual`` column says false (a VM's hypervisor is not said)
_SERVER_CLASSES = ("cmdb_ci_server", "cmdb_ci_linux_server", "cmdb_ci_win_server", "cmdb_ci_unix_server",
                   "cmdb_ci_computer", "cmdb_ci_esx_server")


def platform_of_class(cls: str, virtual: str | None = None) -> str:
    """The ``platform`` a CMDB class (and its ``virtual`` flag) names, "" when it says none."""
    low = cls.strip().lower()
    for key, platform in PLATFORM_CLASSES.items():
        if low == key or (key.endswith("*") and low.startswith(key[:-1])):
            return platform
    if low in _SERVER_CLASSES and str(virtual or "").strip().lower() in ("false", "no", "0"):
        return "physical"
    return ""


def import_cmdb(paths: list[str]) -> Draft:
    """Build a draft inventory from ServiceNow-style CSV exports.

    Each file is recognised by its header: a CI list has ``name`` and ``sys_class_name``
    (optionally ``sys_id``, ``owned_by``/``managed_by``, ``location``, ``short_description``);
    a relationship list has ``parent``, ``type`` and ``child`` (names or sys_ids); a
    class map (the override file) has ``sys_class_name`` and ``kind``. CIs become components
    whose kind follows the override file, then :data:`CLASS_KINDS`, then
    :data:`CLASS_PREFIX_KINDS`, else ``other`` (reported as guessed). Relationship types
    map by :data:`RELATIONSHIPS` (``Depends on::Used by``: the parent depends on the child;
    ``Contains::Contained by``: the child depends on the parent; ``Members::Member of``:
    the parent needs one of its members, a redundancy group; ``Managed by::Manages``: an
    ``admin`` row, the manager can administer the parent, which does not need it to run);
    ``Backed up by::Backs up``
    makes the child a backup of the parent; other types are reported as ignored.

    Raises
    ------
    ImportSourceError
        Unreadable file, an unrecognised header, a row without a required value, an
        override naming an unknown kind, a relationship naming an unknown CI.
    """
    draft = Draft("cmdb", tuple(f"cmdb:{label(p)}" for p in paths))
    ci_rows, rel_rows, overrides = [], [], {}
    for path in paths:
        header, rows = csv_rows(path)
        cols = set(header)
        if {"sys_class_name", "kind"} <= cols and "name" not in cols:
            for number, row in rows:
                cls, kind = row["sys_class_name"].lower(), row["kind"].lower()
                if kind not in KINDS:
                    raise ImportSourceError(
                        f"{path}: row {number}: column 'kind': value '{row['kind']}' - expected one of {', '.join(KINDS)}"
                    )
                if cls:
                    overrides[cls] = kind
        elif {"name", "sys_class_name"} <= cols:
            ci_rows.extend((path, n, r) for n, r in rows)
        elif {"parent", "type", "child"} <= cols:
            rel_rows.extend((path, n, r) for n, r in rows)
        else:
            raise ImportSourceError(
                f"{path}: header {', '.join(header)} - expected a cmdb_ci export (name, sys_class_name),"
                " a cmdb_rel_ci export (parent, type, child) or a class map (sys_class_name, kind)"
            )
    by_ref: dict[str, str] = {}
    for path, number, row in ci_rows:
        name = row["name"]
        if not name:
            raise ImportSourceError(f"{path}: row {number}: column 'name': empty - expected the CI's name")
        if not row["sys_class_name"]:
            raise ImportSourceError(f"{path}: row {number}: column 'sys_class_name': empty - expected a CMDB class")
        source = f"cmdb:{label(path)}"
        kind, known = kind_of_class(row["sys_class_name"], overrides)
        if name in draft.components and draft.components[name].get("source_type") != row["sys_class_name"]:
            draft.guessed.add(f"`{name}` appears twice with different classes; the first is kept")
        draft.component(name, kind, source, source_type=row["sys_class_name"],
                        owner=row.get("owned_by") or row.get("managed_by") or row.get("support_group"),
                        location=row.get("location"), notes=row.get("short_description"),
                        sys_id=row.get("sys_id"), platform=platform_of_class(row["sys_class_name"], row.get("virtual")))
        draft.mapped.add(f"`{name}`: CI of class {row['sys_class_name']} ({kind})")
        if not known:
            draft.guessed.add(f"`{name}`: class {row['sys_class_name']} is not in the class table; kind `other` until set")
        by_ref[name] = name
        if row.get("sys_id"):
            by_ref[row["sys_id"]] = name
    for path, number, row in rel_rows:
        source = f"cmdb:{label(path)}"
        parent, child = by_ref.get(row["parent"]), by_ref.get(row["child"])
        rtype = " ".join(row["type"].split())
        for col, ref in (("parent", parent), ("child", child)):
            if ref is None:
                raise ImportSourceError(
                    f"{path}: row {number}: column '{col}': value '{row[col]}' - expected a CI name or sys_id from the cmdb_ci export"
                )
        key = rtype.lower()
        if key == _BACKUP:
            bid = child
            draft.components[bid]["kind"] = "backup"
            draft.backup(bid, parent, source, notes="Backed up by::Backs up")
            draft.mapped.add(f"`{bid}` backs up `{parent}` (a backup)")
            continue
        rule = RELATIONSHIPS.get(key)
        if rule is None:
            draft.ignored.add(f"relationship type `{rtype}`: not a failure dependency the importer maps")
            continue
        who, dkind, group = rule
        comp, dep = (parent, child) if who == "parent" else (child, parent)
        draft.depend(comp, dep, dkind, source, group=group, notes=rtype)
    draft.mapped.update(f"relationship type `{t}` (" + (f"the {w} is administered by the other: an admin row, not a requirement"
                                                        if k == "admin" else f"the {w} depends on the other, {k}") + ")"
                        for t, (w, k, _) in RELATIONSHIPS.items()
                        if any(" ".join(r["type"].split()).lower() == t for _, _, r in rel_rows))
    if not ci_rows:
        raise ImportSourceError(f"{', '.join(map(str, paths))}: no cmdb_ci export (name, sys_class_name) among the sources")
    draft.name = "CMDB export"
    draft.check_references()
    return draft
