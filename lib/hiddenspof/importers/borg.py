"""Borg ``list --json`` / ``info --json`` -> repositories, keys, one backup per host and repository, archive runs.

Every rule is listed in docs/importers.md.
"""

from __future__ import annotations

import re

from .draft import Draft, format_number
from .fields import parse_datetime, parse_float, run_interval_hours
from .jsondocs import Record, json_documents
from .sources import ImportSourceError, label

__all__ = ["archive_host", "import_borg"]

_DATE_TAIL = re.compile(r"[-_.]?\d{4}-?\d{2}-?\d{2}(?:[T_ -]?\d{2}[:.-]?\d{2}(?:[:.-]?\d{2})?(?:\.\d+)?)?(?:\.checkpoint(?:\.\d+)?)?$")


def archive_host(name: str) -> str:
    """The host part of an archive named like ``{hostname}-{now}`` (``web1-2024-03-01T02:00`` -> ``web1``)."""
    stripped = _DATE_TAIL.sub("", name)
    return stripped or name


def _location_host(location: str) -> str:
    m = re.match(r"^(?:ssh://)?(?:[^@/]+@)?([A-Za-z0-9][A-Za-z0-9.-]*)(?::\d+)?[:/]", location)
    if m and (location.startswith("ssh://") or ":" in location.split("/", 1)[0]):
        return m.group(1)
    return ""


def import_borg(paths: list[str]) -> Draft:
    """Build a draft inventory from ``borg list --json`` and ``borg info --json`` output.

    Raises
    ------
    ImportSourceError
        Invalid JSON, a document without ``repository`` and ``archives``, an archive
        without a name or start, a bad time or size (file, archive index, field).
    """
    draft = Draft("borg", tuple(f"borg:{label(p)}" for p in paths))
    repos: dict[str, dict] = {}
    for path in paths:
        source = f"borg:{label(path)}"
        for n, doc in enumerate(json_documents(path), start=1):
            prefix = f"{path}: " + (f"document {n}: " if n > 1 else "")
            if not isinstance(doc, dict) or "repository" not in doc or "archives" not in doc:
                raise ImportSourceError(f"{prefix}expected the output of `borg list --json` or `borg info --json`"
                                        " (an object with repository and archives)")
            repo = Record(doc["repository"], f"{prefix}repository")
            rid = str(repo.require("id", "the repository id"))
            entry = repos.setdefault(rid, {"location": "", "mode": "", "archives": {}, "source": source})
            entry["source"] = min(entry["source"], source)  # the same rows whatever the order of the files
            entry["location"] = entry["location"] or str(repo.get("location") or "")
            entry["mode"] = entry["mode"] or str(((doc.get("encryption") or {}) if isinstance(doc.get("encryption"), dict) else {}).get("mode") or "")
            if not isinstance(doc["archives"], list):
                raise ImportSourceError(f"{prefix}field 'archives': expected a list")
            for i, item in enumerate(doc["archives"]):
                rec = Record(item, f"{prefix}archives[{i}]")
                name = rec.text("name", "the archive name")
                start = parse_datetime(rec.where, "start", rec.get("start") or rec.require("time", "the archive start time"))
                arch = entry["archives"].setdefault(name, {"name": name, "start": start, "source": source})
                arch["source"] = min(arch["source"], source)
                if rec.get("end"):
                    arch["end"] = parse_datetime(rec.where, "end", rec.get("end"))
                if rec.get("hostname"):
                    arch["hostname"] = rec.text("hostname")
                stats = rec.get("stats") or {}
                if not isinstance(stats, dict):
                    raise ImportSourceError(f"{rec.where}: field 'stats': expected an object")
                size = parse_float(rec.where, "stats.original_size", stats.get("original_size"))
                if size is not None:
                    arch["size"] = size
                    dedup = parse_float(rec.where, "stats.deduplicated_size", stats.get("deduplicated_size"))
                    arch["dedup"] = dedup
    if not repos:
        raise ImportSourceError(f"{', '.join(map(str, paths))}: no Borg repository in the sources")
    for rid, entry in sorted(repos.items()):
        source = entry["source"]
        location = entry["location"]
        rcid = f"borg-repo.{rid[:12]}"
        draft.component(rcid, "backup_store", source, name=f"Borg repository {location or rid[:12]}",
                        source_type="Borg repository", notes=location or None)
        host = _location_host(location)
        if host:
            draft.component(host, "other", source, name=host, source_type="Borg repository host")
            draft.depend(rcid, host, "location", source)
            draft.mapped.add(f"`{rcid}`: Borg repository at `{location}` on `{host}`")
        else:
            draft.mapped.add(f"`{rcid}`: Borg repository at `{location or '?'}`")
            draft.todo.add(f"the machine or disk that holds `{rcid}` (`{location or '?'}`)")
        mode = entry["mode"].lower()
        key = ""
        if mode.startswith(("repokey", "keyfile")):
            key = f"borg-key.{rid[:12]}"
            draft.component(key, "kms", source, name=f"Borg key of {rcid} ({mode})", source_type="Borg key",
                            notes="repokey: the key is in the repository, behind the passphrase" if mode.startswith("repokey")
                            else "keyfile: the key is a file on the machine that runs borg create")
            draft.todo.add(f"where the passphrase (and, for keyfile mode, an exported copy of the key) of `{rcid}` is kept")
        elif mode:
            draft.seen.add(f"`{rcid}` is not encrypted (mode `{mode}`)")
        else:
            draft.todo.add(f"the encryption mode of `{rcid}` (`borg info --json` shows it)")
        by_host: dict[str, list[dict]] = {}
        # `borg info` names the host of the archives it shows; `borg list` does not, so an archive
        # without a hostname takes the host of an archive with the same name pattern, else the
        # name before its date.
        known = {archive_host(a["name"]): a["hostname"] for a in entry["archives"].values() if a.get("hostname")}
        for arch in entry["archives"].values():
            hostname = arch.get("hostname")
            if not hostname:
                prefix = archive_host(arch["name"])
                hostname = known.get(prefix, prefix)
                draft.guessed.add(f"archives `{prefix}`+date of `{rcid}` listed without a hostname (`borg list`) are taken"
                                  f" to be from `{hostname}`" + (" (as `borg info` says of their siblings)" if prefix in known
                                                                 else " (the name before the date)"))
            by_host.setdefault(hostname, []).append(arch)
        for hostname, archives in sorted(by_host.items()):
            draft.component(hostname, "service", source, name=hostname, source_type="Borg client host")
            bid = f"{hostname}@{rcid}"
            every = run_interval_hours([a["start"] for a in archives if ".checkpoint" not in a["name"]])
            draft.backup(bid, hostname, source, method="file_copy", schedule_hours=every, verification="job_status",
                         notes=f"Borg archives in {location or rcid}")
            draft.component(bid, "backup", source, source_type="Borg archives")
            draft.depend(bid, rcid, "storage", source)
            if key:
                draft.depend(bid, key, "keys", source)
                if mode.startswith("keyfile"):
                    draft.depend(key, hostname, "location", source)
                    draft.seen.add(f"`{rcid}` uses keyfile mode: its key is a file on `{hostname}`, the machine it backs up;"
                                   " losing the machine loses the key unless it was exported (`borg key export`)")
            if every:
                draft.guessed.add(f"`{bid}`: `schedule_hours` {format_number(every)} is the spacing of its densest stretch of archives (a prune policy thins the older ones)")
            draft.mapped.add(f"`{bid}`: {len(archives)} archives of `{hostname}` in `{rcid}`")
            for arch in sorted(archives, key=lambda a: (a["start"], a["name"])):
                checkpoint = ".checkpoint" in arch["name"]
                size = arch.get("size")
                msg = f"archive {arch['name']}"
                if arch.get("dedup") is not None:
                    msg += f", {format_number(arch['dedup'] / 1e9)} GB new after deduplication"
                if checkpoint:
                    msg += ": a checkpoint left by an interrupted borg create"
                draft.run(bid, arch["start"], "failed" if checkpoint else "success", arch["source"],
                          finished_at=arch.get("end"), type="full", size_gb=None if size is None else size / 1e9,
                          message=msg)
        draft.todo.add(f"`retention_days` of the backups in `{rcid}` (the `borg prune` policy)")
    draft.guessed.add("Borg: every archive is a complete logical copy (run `type` full); an archive exists only for a run"
                      " that finished, except `.checkpoint` archives, which are interrupted runs (failed)")
    draft.name = "Borg"
    draft.check_references()
    return draft
