"""The draft inventory an importer builds: rows keyed like the contract, plus what was guessed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "BACKUP_COLUMNS",
    "COMPONENT_COLUMNS",
    "DEPENDENCY_COLUMNS",
    "Draft",
    "RUN_COLUMNS",
    "TEST_COLUMNS",
    "PROVENANCE",
    "datastore_image",
    "dependency_key",
    "qualify",
]

COMPONENT_COLUMNS = (
    "id", "name", "kind", "tier", "rto_hours", "rpo_hours", "data_gb", "failure_probability",
    "throughput_mb_s", "max_parallel_restores", "owner", "location", "notes", "platform",
)
DEPENDENCY_COLUMNS = ("component", "depends_on", "kind", "group", "needs", "notes")
BACKUP_COLUMNS = (
    "id", "protects", "method", "schedule_hours", "retention_days", "immutable", "offline",
    "verification", "alert_channel", "restore_to", "size_gb", "restore_mb_s", "notes",
)
RUN_COLUMNS = ("backup", "started_at", "finished_at", "status", "size_gb", "type", "message")
TEST_COLUMNS = ("backup", "tested_at", "result", "scope", "restored_gb", "duration_hours", "notes")
_RUN_RANK = {"success": 0, "warning": 1, "failed": 2}
_TEST_RANK = {"pass": 0, "partial": 1, "fail": 2}

#: Marks the key of an ``admin`` row: the contract allows an admin row and a plain row on
#: the same pair (both meanings hold), so they are two rows with two keys.
ADMIN_KEY = "\x00admin"


def dependency_key(component: str, depends_on: str, group: str, kind: str | None) -> tuple[str, str, str]:
    """The key of a dependency row: (component, depends_on, group), the group marked on an admin row."""
    admin = kind is not None and kind.strip().lower() == "admin"
    return (component, depends_on, group + ADMIN_KEY if admin else group)


#: Extra column naming the import sources (``format:file``) that produced a row; merge uses it
#: to tell imported rows from rows the analyst added by hand.
PROVENANCE = "imported_from"

# Well-known database, cache, queue and object-store images (the last path segment of the
# image name, before the tag). A container running one of these holds state: a datastore.
_DATASTORE_IMAGES = {
    "cassandra", "clickhouse", "clickhouse-server", "cockroach", "couchbase", "couchdb",
    "dynamodb-local", "elasticsearch", "etcd", "influxdb", "kafka", "keydb", "mariadb",
    "memcached", "minio", "mongo", "mongodb", "mssql-server", "mysql", "nats", "neo4j",
    "opensearch", "oracle", "percona", "postgis", "postgres", "postgresql", "rabbitmq",
    "redis", "redis-stack", "scylla", "solr", "timescaledb", "valkey", "zookeeper",
    "cp-kafka", "cp-zookeeper", "pulsar", "activemq", "artemis", "qdrant", "weaviate",
    "vault",
}


def datastore_image(image: str | None) -> str | None:
    """The well-known stateful product an image runs (``redis:alpine`` -> ``redis``), or None.

    The last path segment of the image name, without tag or digest, is compared with a fixed
    list; ``bitnami/postgresql`` and ``docker.io/library/mongo:5`` both match.
    """
    if not image:
        return None
    base = str(image).split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0].lower()
    if base in _DATASTORE_IMAGES:
        return base
    stem = re.split(r"[-_.]", base, maxsplit=1)[0]
    return stem if stem in _DATASTORE_IMAGES and stem not in {"vault"} else None


def qualify(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Map ``(namespace, name)`` to an id: the name, or ``namespace.name`` where names clash."""
    count: dict[str, int] = {}
    for pair in set(pairs):
        count[pair[1]] = count.get(pair[1], 0) + 1
    return {p: (p[1] if count[p[1]] == 1 else f"{p[0]}.{p[1]}") for p in pairs}


@dataclass
class Draft:
    """Tables built by one import run, keyed as the merge needs them, plus the report notes.

    Values are strings (empty = the source says nothing). ``mapped``, ``guessed`` and
    ``ignored`` are report lines; ``sources`` the ``format:file`` labels of this run.
    """

    fmt: str
    sources: tuple[str, ...]
    name: str = ""
    components: dict[str, dict[str, str]] = field(default_factory=dict)
    dependencies: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)
    backups: dict[str, dict[str, str]] = field(default_factory=dict)
    runs: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    tests: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    mapped: set[str] = field(default_factory=set)
    guessed: set[str] = field(default_factory=set)
    ignored: set[str] = field(default_factory=set)
    #: what the source already shows an assessor (a weakness stated by the source itself)
    seen: set[str] = field(default_factory=set)
    #: what the analyst must fill in by hand after this import (format-specific)
    todo: set[str] = field(default_factory=set)
    #: report lines computed on the merged inventory once written (its folder -> lines), or None
    after_merge: Callable[[str], list[str]] | None = None

    def _mark(self, row: dict[str, str], source: str) -> None:
        entries = {e for e in row.get(PROVENANCE, "").split(";") if e}
        entries.add(source)
        row[PROVENANCE] = ";".join(sorted(entries))

    def component(self, cid: str, kind: str, source: str, **values: object) -> dict[str, str]:
        """Add (or complete) a component; later non-empty values fill empty cells only."""
        row = self.components.setdefault(cid, {"id": cid, "kind": kind})
        for key, value in values.items():
            text = _text(value)
            if text and not row.get(key):
                row[key] = text
        self._mark(row, source)
        return row

    def depend(self, component: str, depends_on: str, kind: str, source: str,
               group: str = "", **values: object) -> None:
        """Add a dependency row ``component`` needs ``depends_on`` (self-loops are skipped)."""
        if component == depends_on:
            return
        key = dependency_key(component, depends_on, group, kind)
        row = self.dependencies.setdefault(
            key, {"component": component, "depends_on": depends_on, "kind": kind}
        )
        if group:
            row["group"] = group
        for k, value in values.items():
            text = _text(value)
            if text and not row.get(k):
                row[k] = text
        self._mark(row, source)

    def backup(self, bid: str, protects: str, source: str, **values: object) -> None:
        """Add a backup row protecting ``protects``."""
        row = self.backups.setdefault(bid, {"id": bid, "protects": protects})
        for k, value in values.items():
            text = _text(value)
            if text and not row.get(k):
                row[k] = text
        self._mark(row, source)

    def run(self, backup: str, started_at: str, status: str, source: str, **values: object) -> None:
        """Add a job run of ``backup`` (``backup_runs``); two runs at one instant keep the worse.

        Runs are keyed by ``(backup, started_at)``; a second run with the same key (a job
        retried within the same second, a file given twice) keeps the worse status and the
        first run's other values, so a failure is never hidden by a success.
        """
        key = (backup, started_at)
        row = {"backup": backup, "started_at": started_at, "status": status}
        for k, value in values.items():
            text = _text(value)
            if text:
                row[k] = text
        old = self.runs.get(key)
        if old is not None and _RUN_RANK[old["status"]] >= _RUN_RANK[status]:
            self._mark(old, source)
            return
        if old is not None:
            row = {**old, "status": status, "message": row.get("message", old.get("message", ""))}
        self._mark(row, source)
        self.runs[key] = row

    def restore_test(self, backup: str, tested_at: str, result: str, source: str, **values: object) -> None:
        """Add a restore test (``restore_tests``); two tests of one backup on one day keep the worse result."""
        key = (backup, tested_at)
        row = {"backup": backup, "tested_at": tested_at, "result": result}
        for k, value in values.items():
            text = _text(value)
            if text:
                row[k] = text
        old = self.tests.get(key)
        if old is not None and _TEST_RANK[old["result"]] >= _TEST_RANK[result]:
            self._mark(old, source)
            return
        self._mark(row, source)
        self.tests[key] = row

    def check_references(self) -> None:
        """Drop dependency rows whose ends are not components (noted as ignored)."""
        known = set(self.components) | set(self.backups)
        for key in sorted(self.dependencies):
            comp, dep, _ = key
            if comp not in known or dep not in known:
                missing = dep if dep not in known else comp
                self.ignored.add(f"dependency `{comp}` -> `{dep}`: `{missing}` is not in the source")
                del self.dependencies[key]
        for table, what in ((self.runs, "run"), (self.tests, "restore test")):
            for key in sorted(table):
                if key[0] not in self.backups:
                    self.ignored.add(f"{what} of `{key[0]}` at {key[1]}: `{key[0]}` is not a backup of the source")
                    del table[key]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_number(value)
    return str(value).strip()


def format_number(value: float) -> str:
    """A float as short, stable text (``24``, ``0.5``, ``10.737``)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"
