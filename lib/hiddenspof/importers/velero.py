"""Velero objects -> backups: Schedules, BackupStorageLocations, VolumeSnapshotLocations."""

from __future__ import annotations

from collections.abc import Callable

from .cron import cron_hours, duration_hours
from .draft import Draft, format_number
from .sources import ImportSourceError, label

__all__ = ["DEFAULT_TTL_HOURS", "VELERO_KINDS", "VELERO_TOOL", "add_velero"]

VELERO_KINDS = ("Schedule", "BackupStorageLocation", "VolumeSnapshotLocation", "Backup", "Restore")
#: id of the recovery tool component: the Velero server that runs every backup and restore.
VELERO_TOOL = "velero"
#: Velero's documented default backup TTL (30 days) when a schedule sets none.
DEFAULT_TTL_HOURS = 720.0


def _location_deps(draft: Draft, cid: str, obj, source: str,
                   service_host: Callable[[object, str], list[str]]) -> None:
    """A storage/snapshot location depends on its provider, bucket region and credentials."""
    spec = obj.data.get("spec") or {}
    provider = str(obj.require("spec", "provider"))
    short = provider.rsplit("/", 1)[-1]
    pid = f"provider.{short}"
    draft.component(pid, "provider", source, name=f"{short} (storage provider)", source_type="velero provider")
    draft.depend(cid, pid, "runtime", source)
    config = spec.get("config") or {}
    region = config.get("region") or config.get("location")
    if region:
        rid = f"region.{short}.{region}"
        draft.component(rid, "region", source, name=f"{short} {region}", source_type="velero region")
        draft.depend(cid, rid, "location", source)
    cred = spec.get("credential") or {}
    if cred.get("name"):
        sid = f"secret.{obj.namespace}.{cred['name']}"
        draft.mapped.add(f"`{sid}`: credentials secret of {obj.kind} `{obj.name}`")
    else:
        sid = f"secret.{obj.namespace}.cloud-credentials"
        draft.guessed.add(
            f"`{sid}`: {obj.kind} `{obj.name}` names no credential, so Velero uses its default secret"
            " (`cloud-credentials`, set at install)"
        )
    draft.component(sid, "credentials", source, namespace=obj.namespace, source_type="Secret")
    draft.depend(cid, sid, "identity", source)
    for key in ("s3Url", "serviceUrl", "endpoint"):
        for target in service_host(config.get(key), obj.namespace):
            draft.depend(cid, target, "runtime", source, notes=f"config {key}")
            draft.guessed.add(f"`{cid}` depends on `{target}`: config {key} names a Service of the cluster")


#: Velero provider (the plugin's short name) -> platform of its object storage and of its volume snapshots.
_OBJECT_PLATFORMS = {"aws": "aws-s3", "gcp": "gcp-gcs", "azure": "azure-blob"}


def _bucket(draft: Draft, bsl: str, bucket: str, obj, source: str) -> None:
    """The bucket a storage location writes to: a ``backup_store`` with the bucket's name as id.

    That is the id the cloud importers give the bucket (``terraform``: an ``aws_s3_bucket`` is its
    name), so an estate imported from both sees one bucket, a store of the Velero backups, rather
    than a datastore that "has no backup". The location needs it (``storage``) and it lies in the
    location's region.
    """
    if bucket in draft.components and draft.components[bucket]["kind"] != "backup_store":
        draft.ignored.add(f"bucket `{bucket}` of `{bsl}`: a component of the manifests has that name; not added")
        return
    short = str(obj.require("spec", "provider")).rsplit("/", 1)[-1]
    draft.component(bucket, "backup_store", source, name=f"bucket {bucket}", source_type="object storage bucket",
                    platform=_OBJECT_PLATFORMS.get(short, ""), notes=f"holds the Velero backups of `{bsl}`")
    draft.depend(bsl, bucket, "storage", source)
    config = (obj.data.get("spec") or {}).get("config") or {}
    region = config.get("region") or config.get("location")
    if region:
        draft.depend(bucket, f"region.{short}.{region}", "location", source)
    draft.mapped.add(f"`{bucket}`: the bucket of `{bsl}` (backup_store: it holds the Velero backups)")


def add_velero(draft: Draft, objects: list, workloads_by_ns: dict[str, list[str]],
               volume_assets_by_ns: dict[str, list[str]], control_plane: str,
               service_host: Callable[[object, str], list[str]]) -> None:
    """Add the backups Velero makes to a Kubernetes draft.

    Each ``Schedule`` yields, for every workload and claim of its included namespaces
    (``*`` or none = all, minus ``excludedNamespaces``), a backup ``<schedule>.<asset>``
    (method ``object_copy``: manifests and file-system volume data in object storage) stored
    on its ``BackupStorageLocation`` (``spec.template.storageLocation``, else the location
    marked ``default``, else the one named ``default``), with ``schedule_hours`` from the
    cron expression and ``retention_days`` from ``ttl`` (720h when unset). When volume
    snapshots are not switched off and ``VolumeSnapshotLocation`` objects exist, every
    volume-holding asset (claims, StatefulSets with claim templates) also gets a backup
    ``<schedule>.<asset>.snapshot`` (method ``snapshot``) per location. Locations are
    ``backup_store`` components ``bsl.<name>`` / ``vsl.<name>`` depending on their provider
    (``provider.<p>``), region (``region.<p>.<r>``) and credentials secret
    (``secret.<namespace>.<name>``). Every backup needs the ``velero`` recovery tool, which
    needs the control plane. Paused schedules make no backups: they are reported, not mapped.
    """
    bsls = {o.name: o for o in objects if o.kind == "BackupStorageLocation"}
    vsls = {o.name: o for o in objects if o.kind == "VolumeSnapshotLocation"}
    schedules = [o for o in objects if o.kind == "Schedule"]
    for o in objects:
        if o.kind in ("Backup", "Restore"):
            draft.ignored.add(f"Velero {o.kind} `{o.name}`: a one-off run; only Schedules recur")
    if not schedules and not bsls and not vsls:
        return
    first = f"kubernetes:{label(objects[0].doc.file)}"
    draft.component(VELERO_TOOL, "recovery_tool", first, name="Velero", source_type="velero server",
                    notes="runs every Velero backup and restore", platform="kubernetes")
    draft.depend(VELERO_TOOL, control_plane, "control", first)
    draft.mapped.add(f"`{VELERO_TOOL}`: the Velero server (recovery_tool), needed by every Velero restore")
    for name, o in sorted(bsls.items()):
        source = f"kubernetes:{label(o.doc.file)}"
        cid = f"bsl.{name}"
        bucket = ((o.data.get("spec") or {}).get("objectStorage") or {}).get("bucket")
        if not bucket:
            o.require("spec", "objectStorage", "bucket")
        access = (o.data.get("spec") or {}).get("accessMode")
        draft.component(cid, "backup_store", source, name=f"bucket {bucket}", namespace=o.namespace,
                        source_type="BackupStorageLocation",
                        notes=f"accessMode {access}" if access else "")
        draft.mapped.add(f"`{cid}`: BackupStorageLocation `{name}` (bucket `{bucket}`, backup_store)")
        _location_deps(draft, cid, o, source, service_host)
        _bucket(draft, cid, str(bucket), o, source)
    for name, o in sorted(vsls.items()):
        source = f"kubernetes:{label(o.doc.file)}"
        cid = f"vsl.{name}"
        draft.component(cid, "backup_store", source, name=f"volume snapshots {name}", namespace=o.namespace,
                        source_type="VolumeSnapshotLocation")
        draft.mapped.add(f"`{cid}`: VolumeSnapshotLocation `{name}` (backup_store)")
        _location_deps(draft, cid, o, source, service_host)
    default_bsl = next((n for n, o in sorted(bsls.items()) if (o.data.get("spec") or {}).get("default") is True), "default")
    all_ns = sorted(workloads_by_ns)
    for s in sorted(schedules, key=lambda o: o.name):
        source = f"kubernetes:{label(s.doc.file)}"
        spec = s.data.get("spec") or {}
        cron = s.require("spec", "schedule")
        if spec.get("paused") is True:
            draft.ignored.add(f"Velero Schedule `{s.name}` is paused: it makes no backups, so none are listed")
            continue
        try:
            every = cron_hours(str(cron))
        except ValueError as exc:
            raise ImportSourceError(f"{s.where()}: field 'spec.schedule': {exc}") from None
        template = spec.get("template") or {}
        ttl = template.get("ttl")
        if ttl:
            try:
                retention = duration_hours(str(ttl)) / 24
            except ValueError as exc:
                raise ImportSourceError(f"{s.where()}: field 'spec.template.ttl': {exc}") from None
        else:
            retention = DEFAULT_TTL_HOURS / 24
            draft.guessed.add(f"Schedule `{s.name}` sets no ttl: Velero's default of 30 days is assumed")
        included = [str(n) for n in template.get("includedNamespaces") or ["*"]]
        excluded = {str(n) for n in template.get("excludedNamespaces") or []}
        namespaces = [n for n in (all_ns if "*" in included else sorted(set(included))) if n not in excluded]
        if template.get("labelSelector") or template.get("orLabelSelectors"):
            draft.guessed.add(f"Schedule `{s.name}` has a label selector: every workload of its namespaces is assumed to match")
        if template.get("includedResources") or template.get("excludedResources"):
            draft.guessed.add(f"Schedule `{s.name}` filters resources: workloads and claims are assumed included")
        loc = str(template.get("storageLocation") or default_bsl)
        bsl = f"bsl.{loc}"
        if loc not in bsls:
            draft.component(bsl, "backup_store", source, source_type="BackupStorageLocation")
            draft.guessed.add(f"`{bsl}`: Schedule `{s.name}` stores on `{loc}`, which is not in the source; added without its provider")
        draft.mapped.add(
            f"Schedule `{s.name}` (`{cron}`, every {format_number(every)} h, kept {format_number(retention)} d)"
            f" covers namespaces " + (", ".join(f"`{n}`" for n in namespaces) or "none found in the source")
        )
        missing = sorted(set(included) - set(all_ns) - {"*"})
        if missing:
            draft.ignored.add(f"Schedule `{s.name}` includes namespaces without workloads in the source: {', '.join(missing)}")
        snap = template.get("snapshotVolumes")
        snap_locs = [str(n) for n in template.get("volumeSnapshotLocations") or sorted(vsls)]
        for ns in namespaces:
            for asset in workloads_by_ns.get(ns, []):
                bid = f"{s.name}.{asset}"
                draft.backup(bid, asset, source, method="object_copy", schedule_hours=every,
                             retention_days=retention, verification="job_status",
                             notes=f"Velero schedule {s.name}")
                draft.component(bid, "backup", source, source_type="Velero Schedule", namespace=ns)
                draft.depend(bid, bsl, "storage", source)
                draft.depend(bid, VELERO_TOOL, "restore", source)
            if snap is False:
                continue
            for asset in volume_assets_by_ns.get(ns, []):
                for vname in snap_locs:
                    vid = f"vsl.{vname}"
                    if vname not in vsls:
                        draft.ignored.add(f"Schedule `{s.name}` names VolumeSnapshotLocation `{vname}` that is not in the source")
                        continue
                    bid = f"{s.name}.{asset}.snapshot" if len(snap_locs) == 1 else f"{s.name}.{asset}.snapshot.{vname}"
                    draft.backup(bid, asset, source, method="snapshot", schedule_hours=every,
                                 retention_days=retention, verification="job_status",
                                 notes=f"Velero schedule {s.name}, volume snapshot")
                    draft.component(bid, "backup", source, source_type="Velero Schedule", namespace=ns)
                    draft.depend(bid, vid, "storage", source)
                    draft.depend(bid, VELERO_TOOL, "restore", source)
    if schedules:
        draft.guessed.add("Velero backups: `verification` is set to job_status (Velero reports each run's phase); nothing in the manifests shows restore tests")
