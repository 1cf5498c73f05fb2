"""Velero ``Backup`` and ``Restore`` objects (``kubectl get ... -o json``) -> job runs and restore tests.

The ``kubernetes`` format maps Velero *Schedules* found among manifests into backups; this
``velero`` format reads what Velero *did*: each Backup object is a run, each Restore a
restore test. Manifests given alongside (workloads, Schedules, locations) are mapped as
the ``kubernetes`` format maps them, and the runs land on those per-workload backups;
without them, each schedule gets one backup per namespace it covers. Every rule is listed
in docs/importers.md.
"""

from __future__ import annotations

import re

from .cron import duration_hours
from .draft import PROVENANCE, Draft, format_number
from .fields import hours_between, parse_datetime, run_interval_hours
from .jsondocs import as_list, as_object
from .kubernetes import CONTROL_PLANE, K8sObject, import_kubernetes, k8s_objects
from .sources import ImportSourceError, label
from .velero import DEFAULT_TTL_HOURS, VELERO_TOOL

__all__ = ["BACKUP_PHASES", "RESTORE_PHASES", "import_velero"]

#: Velero Backup ``status.phase`` -> run status (other phases are not finished: ignored)
BACKUP_PHASES = {"Completed": "success", "PartiallyFailed": "warning", "Failed": "failed", "FailedValidation": "failed"}
#: Velero Restore ``status.phase`` -> restore test result
RESTORE_PHASES = {"Completed": "pass", "PartiallyFailed": "partial", "Failed": "fail", "FailedValidation": "fail"}
_SCHEDULED_NAME = re.compile(r"^(.+)-\d{14}$")


def _relabel(base: Draft, paths: list[str]) -> Draft:
    """The kubernetes draft as a ``velero`` draft: provenance ``velero:file``; no one-off-run notes."""
    draft = Draft("velero", tuple(f"velero:{label(p)}" for p in paths), name=base.name)
    for table in ("components", "dependencies", "backups"):
        rows = getattr(base, table)
        for key, row in rows.items():
            new = dict(row)
            if new.get(PROVENANCE):
                new[PROVENANCE] = new[PROVENANCE].replace("kubernetes:", "velero:")
            getattr(draft, table)[key] = new
    draft.mapped |= base.mapped
    draft.guessed |= base.guessed
    draft.ignored |= {i for i in base.ignored if "a one-off run" not in i and not re.match(r"\d+ (Backup|Restore) object", i)}
    return draft


def _part(obj: K8sObject, key: str) -> dict:
    """``spec``, ``status`` or ``metadata`` of an object, checked to be a mapping."""
    return as_object(obj.data.get(key), obj.where(), key)


def _schedule_of(obj: K8sObject, draft: Draft) -> str:
    labels = as_object(_part(obj, "metadata").get("labels"), obj.where(), "metadata.labels")
    name = labels.get("velero.io/schedule-name")
    if name:
        return str(name)
    m = _SCHEDULED_NAME.match(obj.name)
    if m:
        draft.guessed.add(f"Backup `{obj.name}` has no schedule label: the name says schedule `{m.group(1)}`")
        return m.group(1)
    return ""


def _stamp(obj: K8sObject, field: str) -> str | None:
    status = _part(obj, "status")
    return parse_datetime(obj.where(), f"status.{field}", status.get(field))


class _History:
    def __init__(self, draft: Draft) -> None:
        self.d = draft
        self.by_schedule: dict[str, list[str]] = {}
        for bid in draft.backups:
            comp = draft.components.get(bid, {})
            if comp.get("source_type") == "Velero Schedule":
                self.by_schedule.setdefault(bid.split(".", 1)[0], []).append(bid)
        self.made: dict[str, list[str]] = {}   # schedule -> run stamps (for the schedule guess)

    def namespace_of(self, bid: str) -> str:
        return self.d.components.get(bid, {}).get("namespace", "")

    def targets(self, obj: K8sObject, schedule: str, spec: dict, source: str) -> list[str]:
        """The backups a Velero backup (or a restore of it) covers."""
        included = [str(n) for n in as_list(spec.get("includedNamespaces"), obj.where(), "spec.includedNamespaces") or ["*"]]
        excluded = {str(n) for n in as_list(spec.get("excludedNamespaces"), obj.where(), "spec.excludedNamespaces")}
        known = self.by_schedule.get(schedule)
        if known:
            return sorted(b for b in known if ("*" in included or self.namespace_of(b) in included)
                          and self.namespace_of(b) not in excluded)
        out = []
        for ns in sorted(set(included)):
            asset = f"k8s-namespace.{'all' if ns == '*' else ns}"
            self.d.component(asset, "service", source, name="all namespaces" if ns == "*" else f"namespace {ns}",
                             source_type="Kubernetes namespace", namespace="" if ns == "*" else ns, platform="kubernetes")
            self.d.depend(asset, CONTROL_PLANE, "control", source)
            bid = f"{schedule}.{asset}"
            loc = str(spec.get("storageLocation") or "default")
            bsl = f"bsl.{loc}"
            if bsl not in self.d.components:
                self.d.component(bsl, "backup_store", source, source_type="BackupStorageLocation")
                self.d.guessed.add(f"`{bsl}`: Velero backups are stored on `{loc}`, whose BackupStorageLocation is not in the"
                                   " sources; added without its provider, region and credentials")
            ttl = spec.get("ttl")
            try:
                retention = duration_hours(str(ttl)) / 24 if ttl else DEFAULT_TTL_HOURS / 24
            except ValueError as exc:
                raise ImportSourceError(f"{obj.where()}: field 'spec.ttl': {exc}") from None
            self.d.backup(bid, asset, source, method="object_copy", retention_days=retention, verification="job_status",
                          notes=f"Velero schedule {schedule}" + (f" (excluding {', '.join(sorted(excluded))})" if excluded else ""))
            self.d.component(bid, "backup", source, source_type="Velero backups", namespace="" if ns == "*" else ns)
            self.d.depend(bid, bsl, "storage", source)
            self.d.depend(bid, VELERO_TOOL, "restore", source)
            self.by_schedule.setdefault(schedule, []).append(bid)
            self.d.mapped.add(f"`{bid}`: backups of {('all namespaces' if ns == '*' else f'namespace `{ns}`')} by Velero"
                              f" schedule `{schedule}` on `{bsl}`")
            out.append(bid)
        return out

    def tool(self, source: str) -> None:
        if VELERO_TOOL not in self.d.components:
            self.d.component(VELERO_TOOL, "recovery_tool", source, name="Velero", source_type="velero server",
                             notes="runs every Velero backup and restore", platform="kubernetes")
            self.d.component(CONTROL_PLANE, "control_plane", source, name="Kubernetes control plane", source_type="implied",
                             platform="kubernetes")
            self.d.depend(VELERO_TOOL, CONTROL_PLANE, "control", source)
            self.d.mapped.add(f"`{VELERO_TOOL}`: the Velero server (recovery_tool), needed by every Velero restore")


def import_velero(paths: list[str]) -> Draft:
    """Build a draft inventory from Velero Backup and Restore objects (and any manifests given with them).

    Raises
    ------
    ImportSourceError
        Unreadable YAML/JSON, an object without ``kind`` or ``metadata.name``, no Velero
        Backup or Restore object, an unknown phase, a bad timestamp or ttl (file, document,
        item, field).
    """
    objects = k8s_objects(paths)
    velero = [o for o in objects if o.kind in ("Backup", "Restore")
              and str(o.data.get("apiVersion", "")).startswith("velero.io/")]
    if not velero:
        raise ImportSourceError(f"{', '.join(map(str, paths))}: no Velero Backup or Restore object (expected the output of"
                                " `kubectl get backups.velero.io,restores.velero.io -n velero -o json`; Schedules alone:"
                                " use the `kubernetes` format)")
    draft = _relabel(import_kubernetes(paths), paths)
    hist = _History(draft)
    src = {id(o): f"velero:{label(o.doc.file)}" for o in velero}
    backups = {o.name: o for o in velero if o.kind == "Backup"}
    unfinished: dict[str, int] = {}
    runs_of: dict[str, list[str]] = {}
    for o in sorted(backups.values(), key=lambda x: x.name):
        source = src[id(o)]
        hist.tool(source)
        phase = str((_part(o, "status")).get("phase") or "")
        schedule = _schedule_of(o, draft)
        if not schedule:
            draft.ignored.add(f"Velero Backup `{o.name}`: made by hand (no schedule), not a recurring backup")
            continue
        if phase not in BACKUP_PHASES:
            if phase in ("", "New", "InProgress", "WaitingForPluginOperations", "WaitingForPluginOperationsPartiallyFailed",
                         "Finalizing", "FinalizingPartiallyFailed", "Deleting", "Uploading", "UploadingPartiallyFailed"):
                unfinished[phase or "(none)"] = unfinished.get(phase or "(none)", 0) + 1
                continue
            raise ImportSourceError(f"{o.where()}: field 'status.phase': value '{phase}' - expected one of "
                                    + ", ".join(sorted(BACKUP_PHASES)) + " or an unfinished phase")
        started = _stamp(o, "startTimestamp") or parse_datetime(
            o.where(), "metadata.creationTimestamp", _part(o, "metadata").get("creationTimestamp"))
        if not started:
            raise ImportSourceError(f"{o.where()}: missing required field 'status.startTimestamp' (expected when the backup ran)")
        finished = _stamp(o, "completionTimestamp")
        status = _part(o, "status")
        notes = ", ".join(f"{status[k]} {k}" for k in ("errors", "warnings") if status.get(k))
        if status.get("failureReason"):
            notes = (notes + "; " if notes else "") + str(status["failureReason"])
        for bid in hist.targets(o, schedule, _part(o, "spec"), source):
            draft.run(bid, started, BACKUP_PHASES[phase], source, finished_at=finished,
                      message=f"Backup {o.name}" + (f": {notes}" if notes else ""))
            runs_of.setdefault(bid, []).append(started)
    for bid, stamps in sorted(runs_of.items()):
        row = draft.backups[bid]
        every = run_interval_hours(stamps)
        if every and not row.get("schedule_hours"):
            row["schedule_hours"] = format_number(every)
            draft.guessed.add(f"`{bid}`: `schedule_hours` {format_number(every)} is the spacing of its densest stretch of Velero backups (expiry thins the older ones)")
    for o in sorted((x for x in velero if x.kind == "Restore"), key=lambda x: x.name):
        source = src[id(o)]
        spec = _part(o, "spec")
        phase = str((_part(o, "status")).get("phase") or "")
        if phase not in RESTORE_PHASES:
            if phase in ("", "New", "InProgress", "WaitingForPluginOperations", "WaitingForPluginOperationsPartiallyFailed",
                         "Finalizing", "FinalizingPartiallyFailed"):
                unfinished[f"restore {phase or '(none)'}"] = unfinished.get(f"restore {phase or '(none)'}", 0) + 1
                continue
            raise ImportSourceError(f"{o.where()}: field 'status.phase': value '{phase}' - expected one of "
                                    + ", ".join(sorted(RESTORE_PHASES)) + " or an unfinished phase")
        backup = backups.get(str(spec.get("backupName") or ""))
        schedule = (_schedule_of(backup, draft) if backup is not None else "") or str(spec.get("scheduleName") or "")
        if not schedule and spec.get("backupName"):
            m = _SCHEDULED_NAME.match(str(spec["backupName"]))
            schedule = m.group(1) if m else ""
        if not schedule:
            draft.ignored.add(f"Velero Restore `{o.name}`: restores `{spec.get('backupName', '?')}`, which no schedule made")
            continue
        cover = hist.targets(backup or o, schedule, _part(backup, "spec") if backup is not None else {}, source)
        wanted = [str(n) for n in as_list(spec.get("includedNamespaces"), o.where(), "spec.includedNamespaces") or ["*"]]
        cover = [b for b in cover if "*" in wanted or hist.namespace_of(b) in wanted or not hist.namespace_of(b)]
        started = _stamp(o, "startTimestamp") or parse_datetime(
            o.where(), "metadata.creationTimestamp", _part(o, "metadata").get("creationTimestamp"))
        if not started:
            raise ImportSourceError(f"{o.where()}: missing required field 'status.startTimestamp' (expected when the restore ran)")
        finished = _stamp(o, "completionTimestamp")
        hours = None
        if finished:
            hours = max(0.0, hours_between(started, finished))
        status = _part(o, "status")
        notes = ", ".join(f"{status[k]} {k}" for k in ("errors", "warnings") if status.get(k))
        for bid in cover:
            draft.restore_test(bid, started[:10], RESTORE_PHASES[phase], source, scope="full", duration_hours=hours,
                               notes=f"Velero Restore {o.name}" + (f": {notes}" if notes else ""))
        draft.mapped.add(f"Velero Restore `{o.name}` ({phase}) tests {len(cover)} backups of schedule `{schedule}`")
    for phase, count in sorted(unfinished.items()):
        draft.ignored.add(f"{count} Velero objects in phase {phase}: not finished")
    draft.guessed.add("Velero runs carry no size (Velero does not report bytes) and no `type`: a Velero backup holds the"
                      " resources in full, but volume data may be incremental (file-system backup, snapshots)")
    draft.check_references()
    return draft
