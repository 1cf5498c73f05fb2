"""restic ``snapshots --json`` -> a repository, one backup per host and path set, one run per snapshot.

restic's JSON does not name the repository it was read from, so each file is one
repository named after the file (``offsite-b2.json`` -> ``restic-repo.offsite-b2``).
Every rule is listed in docs/importers.md.
"""

from __future__ import annotations

import os

from .draft import Draft, format_number
from .fields import clean_id, parse_datetime, parse_float, run_interval_hours
from .jsondocs import Record, json_documents
from .sources import ImportSourceError, label

__all__ = ["import_restic"]


def _snapshots(path: str) -> list[Record]:
    """Snapshot records of a file: a plain list, or the groups ``--group-by`` writes."""
    out: list[Record] = []
    for n, doc in enumerate(json_documents(path), start=1):
        prefix = f"{path}: " + (f"document {n}: " if n > 1 else "")
        if isinstance(doc, dict) and "id" in doc and "chunker_polynomial" in doc:
            continue  # `restic cat config --json`: read for the repository id elsewhere
        if not isinstance(doc, list):
            raise ImportSourceError(f"{prefix}is a {type(doc).__name__}, expected the list `restic snapshots --json` prints")
        for i, item in enumerate(doc):
            if isinstance(item, dict) and "snapshots" in item and "group_key" in item:
                group = item["snapshots"]
                if not isinstance(group, list):
                    raise ImportSourceError(f"{prefix}[{i}].snapshots: expected a list")
                out.extend(Record(s, f"{prefix}[{i}].snapshots[{j}]") for j, s in enumerate(group))
            else:
                out.append(Record(item, f"{prefix}[{i}]"))
    return out


def import_restic(paths: list[str]) -> Draft:
    """Build a draft inventory from ``restic snapshots --json`` output, one file per repository.

    Raises
    ------
    ImportSourceError
        Invalid JSON, a document that is not a snapshot list, a snapshot without ``time``,
        ``hostname`` or ``paths``, a bad time or size (file, snapshot index, field).
    """
    draft = Draft("restic", tuple(f"restic:{label(p)}" for p in paths))
    total = 0
    for path in paths:
        source = f"restic:{label(path)}"
        repo_name = clean_id(os.path.splitext(label(path))[0])
        repo = f"restic-repo.{repo_name}"
        key = f"restic-password.{repo_name}"
        snaps = _snapshots(path)
        total += len(snaps)
        if not snaps:
            draft.ignored.add(f"`{label(path)}`: no snapshot")
            continue
        draft.component(repo, "backup_store", source, name=f"restic repository {repo_name}", source_type="restic repository")
        draft.component(key, "kms", source, name=f"password of restic repository {repo_name}",
                        source_type="restic repository password",
                        notes="every restic repository is encrypted: without the password nothing restores")
        draft.mapped.add(f"`{repo}`: the repository of `{label(path)}` (backup_store); its password `{key}` (kms)")
        draft.todo.add(f"where repository `{repo}` lives (a host, a bucket, an account) and where its password is kept")
        series: dict[tuple[str, tuple[str, ...]], list[tuple[str, Record]]] = {}
        for rec in snaps:
            when = parse_datetime(rec.where, "time", rec.require("time", "the snapshot time"))
            host = rec.text("hostname", "the host the snapshot was taken on")
            paths_ = rec.require("paths", "the paths the snapshot holds")
            if not isinstance(paths_, list) or not paths_ or not all(isinstance(p, str) and p for p in paths_):
                raise ImportSourceError(f"{rec.where}: field 'paths': value '{paths_}' - expected a list of paths")
            series.setdefault((host, tuple(sorted(paths_))), []).append((when, rec))
        hosts: dict[str, int] = {}
        for host, _ in series:
            hosts[host] = hosts.get(host, 0) + 1
        for (host, ppaths), snaps_ in sorted(series.items()):
            draft.component(host, "service", source, name=host, source_type="restic host")
            suffix = "" if hosts[host] == 1 else ":" + clean_id(ppaths[0]) + (f"+{len(ppaths) - 1}" if len(ppaths) > 1 else "")
            bid = f"{host}{suffix}@{repo}"
            every = run_interval_hours([w for w, _ in snaps_])
            draft.backup(bid, host, source, method="file_copy", schedule_hours=every, verification="job_status",
                         notes="restic snapshots of " + ", ".join(ppaths))
            draft.component(bid, "backup", source, source_type="restic snapshots")
            draft.depend(bid, repo, "storage", source)
            draft.depend(bid, key, "keys", source)
            draft.mapped.add(f"`{bid}`: {len(snaps_)} snapshots of `{host}` ({', '.join(ppaths)}) in `{repo}`")
            if every:
                draft.guessed.add(f"`{bid}`: `schedule_hours` {format_number(every)} is the spacing of its densest stretch of snapshots (a prune policy thins the older ones)")
            for when, rec in snaps_:
                summary = rec.get("summary") or {}
                if not isinstance(summary, dict):
                    raise ImportSourceError(f"{rec.where}: field 'summary': expected an object")
                start = parse_datetime(rec.where, "summary.backup_start", summary.get("backup_start")) or when
                end = parse_datetime(rec.where, "summary.backup_end", summary.get("backup_end"))
                size = parse_float(rec.where, "summary.total_bytes_processed", summary.get("total_bytes_processed"))
                added = parse_float(rec.where, "summary.data_added", summary.get("data_added"))
                msg = f"snapshot {rec.get('short_id') or str(rec.get('id', ''))[:8]}"
                if added is not None:
                    msg += f", {format_number(added / 1e9)} GB new"
                draft.run(bid, start, "success", source, finished_at=end, type="full",
                          size_gb=None if size is None else size / 1e9, message=msg)
        draft.todo.add(f"`retention_days` of the backups in `{repo}` (the `restic forget` policy)")
    if not total:
        raise ImportSourceError(f"{', '.join(map(str, paths))}: no restic snapshot in the sources")
    draft.guessed.add("restic: every snapshot is a complete logical copy of its paths (run `type` full); a snapshot exists only"
                      " for a run that finished, so every run is a success")
    draft.name = "restic"
    draft.check_references()
    return draft
