"""Backstage catalog descriptors -> draft inventory: Components, Resources, their relations."""

from __future__ import annotations

import os

from .draft import Draft, qualify
from .sources import Document, ImportSourceError, label, yaml_documents

__all__ = ["RESOURCE_KINDS", "import_backstage", "parse_ref"]

#: Backstage Resource ``spec.type`` -> inventory kind. Types not listed map to ``other``.
RESOURCE_KINDS = {
    **dict.fromkeys(["database", "db", "postgres", "postgresql", "mysql", "mariadb", "mongodb",
                     "redis", "cache", "memcached", "queue", "topic", "kafka-topic", "kafka",
                     "s3-bucket", "bucket", "gcs-bucket", "storage", "object-storage",
                     "filesystem", "file-system", "volume", "datastore", "data-store",
                     "elasticsearch", "search-index", "table", "warehouse"], "datastore"),
    **dict.fromkeys(["kubernetes-cluster", "k8s-cluster", "cluster", "kubernetes"], "control_plane"),
    **dict.fromkeys(["network", "vpc", "subnet", "load-balancer", "loadbalancer", "cdn", "gateway"], "network"),
    **dict.fromkeys(["dns", "dns-zone", "domain-name"], "dns"),
    **dict.fromkeys(["secret", "secrets", "vault", "certificate", "credentials"], "credentials"),
    **dict.fromkeys(["kms", "key", "encryption-key", "hsm"], "kms"),
    **dict.fromkeys(["identity-provider", "idp", "sso", "ldap", "active-directory"], "identity"),
    **dict.fromkeys(["monitoring", "metrics", "observability"], "monitoring"),
    **dict.fromkeys(["alerting", "pager", "pagerduty", "on-call"], "alerting"),
    **dict.fromkeys(["account", "aws-account", "cloud-account", "subscription", "gcp-project"], "account"),
    **dict.fromkeys(["region", "cloud-region"], "region"),
    **dict.fromkeys(["datacenter", "data-center", "site"], "site"),
    **dict.fromkeys(["backup", "backup-vault", "backup-store"], "backup_store"),
}
_NOT_RUNTIME = {"library", "documentation", "template"}


#: Resource ``spec.type`` -> ``platform`` where the type names one; a Component annotated for the
#: Kubernetes plugin (``backstage.io/kubernetes-id`` or ``-label-selector``) runs on ``kubernetes``.
RESOURCE_PLATFORMS = {
    "s3-bucket": "aws-s3", "gcs-bucket": "gcp-gcs", "cluster": "kubernetes", "k8s-cluster": "kubernetes",
    "kubernetes": "kubernetes", "kubernetes-cluster": "kubernetes",
}


def parse_ref(ref: object, default_kind: str | None, default_ns: str) -> tuple[str | None, str, str]:
    """``[kind:][namespace/]name`` -> lower-cased ``(kind, namespace, name)`` (Backstage refs
    compare case-insensitively; a missing namespace is the referring entity's)."""
    text = str(ref).strip()
    kind = default_kind
    if ":" in text:
        kind, text = text.split(":", 1)
    ns = default_ns
    if "/" in text:
        ns, text = text.split("/", 1)
    return (kind.lower() if kind else None, ns.lower(), text.lower())


def _load(paths: list[str]) -> list[Document]:
    """Descriptor documents of the files and of every Location target reachable from them."""
    seen: set[str] = set()
    docs: list[Document] = []
    queue = [os.fspath(p) for p in paths]
    while queue:
        path = queue.pop(0)
        key = os.path.abspath(path)
        if key in seen:
            continue
        seen.add(key)
        for doc in yaml_documents(path, allow_empty=False):
            doc.require("kind")
            doc.require("metadata", "name")
            docs.append(doc)
            if str(doc.data["kind"]) == "Location":
                spec = doc.data.get("spec") or {}
                targets = list(spec.get("targets") or []) + ([spec["target"]] if spec.get("target") else [])
                if not targets:
                    doc.require("spec", "targets")
                for target in targets:
                    text = str(target)
                    if "://" in text or spec.get("type") == "url":
                        docs.append(Document({"kind": "_remote", "metadata": {"name": text}}, doc.file, doc.index, doc.line))
                        continue
                    queue.append(os.path.join(os.path.dirname(path), text))
    return docs


def import_backstage(paths: list[str]) -> Draft:
    """Build a draft inventory from Backstage catalog descriptor files.

    ``Component`` entities become ``service`` components (``library``, ``documentation``
    and ``template`` types are not running software and are skipped) and ``Resource``
    entities become components whose kind follows :data:`RESOURCE_KINDS` (``database`` ->
    ``datastore``; unknown types -> ``other``, reported as guessed). ``spec.dependsOn``
    and the reverse ``spec.dependencyOf`` become dependencies; ``spec.consumesApis``
    becomes a dependency on the component providing the API (``providesApis``), a
    redundancy group when several provide it. ``owner`` and ``system`` are kept;
    ``Location`` targets (relative files) are followed; ``API``, ``System``, ``Domain``,
    ``Group`` and ``User`` entities are noted, not turned into components.

    Raises
    ------
    ImportSourceError
        Unreadable file or Location target, bad YAML, a document that is not a mapping,
        an entity without ``kind`` or ``metadata.name``.
    """
    draft = Draft("backstage", tuple(f"backstage:{label(p)}" for p in paths))
    docs = _load(paths)
    entities = []
    for doc in docs:
        kind = str(doc.data["kind"])
        meta = doc.data.get("metadata") or {}
        ns = str(meta.get("namespace") or "default").lower()
        entities.append((kind, ns, str(meta["name"]), doc))
    runtime = []
    for kind, ns, name, doc in entities:
        spec = doc.data.get("spec") or {}
        source = f"backstage:{label(doc.file)}"
        if kind == "Component":
            ctype = str(spec.get("type") or "")
            if ctype.lower() in _NOT_RUNTIME:
                draft.ignored.add(f"Component `{name}` of type {ctype}: not running software")
                continue
            runtime.append((kind, ns, name, doc))
        elif kind == "Resource":
            runtime.append((kind, ns, name, doc))
        elif kind == "_remote":
            draft.ignored.add(f"Location target `{name}`: remote URLs are not fetched; download the file and import it")
        elif kind in ("API", "System", "Domain", "Group", "User", "Location"):
            draft.mapped.add(f"{kind} `{ns}/{name}` read ({'resolves consumesApis' if kind == 'API' else 'used for owner, system or targets'})")
        else:
            draft.ignored.add(f"{kind} `{ns}/{name}` ({label(doc.file)}): not a Backstage kind the importer maps")
    pairs = [(ns, name.lower()) for _, ns, name, _ in runtime]
    base = qualify(pairs)
    ids: dict[tuple[str, str, str], str] = {}
    taken: dict[str, int] = {}
    for (kind, ns, name, _), pair in zip(runtime, pairs):
        cid = base[pair] if base[pair] != name.lower() else name
        taken[cid] = taken.get(cid, 0) + 1
        ids[(kind.lower(), ns, name.lower())] = cid
    for key, cid in list(ids.items()):
        if taken[cid] > 1:  # a Component and a Resource of one name in one namespace
            ids[key] = f"{cid}.{key[0]}"
    providers: dict[tuple[str, str, str], list[str]] = {}
    for kind, ns, name, doc in runtime:
        for api in (doc.data.get("spec") or {}).get("providesApis") or []:
            providers.setdefault(parse_ref(api, "api", ns), []).append(ids[(kind.lower(), ns, name.lower())])

    def find(ref: object, ns: str) -> str | None:
        k, rns, rname = parse_ref(ref, None, ns)
        for kind in ([k] if k else ["component", "resource"]):
            if (kind, rns, rname) in ids:
                return ids[(kind, rns, rname)]
        return None

    for kind, ns, name, doc in runtime:
        spec = doc.data.get("spec") or {}
        source = f"backstage:{label(doc.file)}"
        cid = ids[(kind.lower(), ns, name.lower())]
        if kind == "Component":
            ckind = "service"
            stype = spec.get("type") or ""
        else:
            stype = str(doc.require("spec", "type"))
            ckind = RESOURCE_KINDS.get(stype.lower(), "other")
            if stype.lower() not in RESOURCE_KINDS:
                draft.guessed.add(f"`{cid}`: Resource type `{stype}` is not in the table; kind `other` until the analyst sets it")
        meta = doc.data.get("metadata") or {}
        annotations = meta.get("annotations") or {}
        platform = RESOURCE_PLATFORMS.get(str(stype).lower(), "") if kind != "Component" else (
            "kubernetes" if isinstance(annotations, dict) and any(
                k in annotations for k in ("backstage.io/kubernetes-id", "backstage.io/kubernetes-label-selector")) else "")
        draft.component(cid, ckind, source, name=meta.get("title") or "", owner=spec.get("owner"),
                        system=spec.get("system"), namespace=ns, source_type=f"{kind} {stype}".strip(),
                        notes=meta.get("description") or "", platform=platform)
        draft.mapped.add(f"`{cid}`: {kind} `{ns}/{name}` type {stype or 'unset'} ({ckind})")
        for ref in spec.get("dependsOn") or []:
            target = find(ref, ns)
            if target is None:
                draft.ignored.add(f"`{cid}` dependsOn `{ref}`: not in the catalog files")
            else:
                draft.depend(cid, target, "runtime", source, notes="dependsOn")
        for ref in spec.get("dependencyOf") or []:
            target = find(ref, ns)
            if target is None:
                draft.ignored.add(f"`{cid}` dependencyOf `{ref}`: not in the catalog files")
            else:
                draft.depend(target, cid, "runtime", source, notes="dependencyOf")
        for ref in spec.get("consumesApis") or []:
            api = parse_ref(ref, "api", ns)
            targets = sorted(set(providers.get(api, [])) - {cid})
            if not targets:
                draft.ignored.add(f"`{cid}` consumesApis `{ref}`: no component in the files provides it")
                continue
            group = f"api:{api[1]}/{api[2]}" if len(targets) > 1 else ""
            for target in targets:
                draft.depend(cid, target, "runtime", source, group=group, notes=f"consumes API {api[2]}")
            draft.mapped.add(f"`{cid}` consumes API `{api[2]}`, provided by " + ", ".join(f"`{t}`" for t in targets))
        if spec.get("subcomponentOf"):
            draft.ignored.add(f"`{cid}` subcomponentOf `{spec['subcomponentOf']}`: part-of, not a failure dependency")
    systems = sorted({str((d.data.get('spec') or {}).get('system')) for k, _, _, d in runtime if (d.data.get('spec') or {}).get('system')})
    draft.name = "Backstage: " + (", ".join(systems) if systems else "catalog")
    if not runtime:
        raise ImportSourceError(
            f"{', '.join(os.fspath(p) for p in paths)}: no Component or Resource entity found"
            " (expected Backstage catalog descriptors)"
        )
    draft.check_references()
    return draft
