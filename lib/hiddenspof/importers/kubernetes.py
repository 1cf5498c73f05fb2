"""Kubernetes manifests -> draft inventory: workloads, Services resolved by selector, PVCs, config."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .draft import Draft, datastore_image, format_number, qualify
from .refs import hosts_in
from .sources import Document, ImportSourceError, label, yaml_documents
from .velero import VELERO_KINDS, add_velero

__all__ = ["ADMIN_ROLES", "CONTROL_PLANE", "Workload", "import_kubernetes", "k8s_objects", "quantity_gb"]

#: id of the component standing for the cluster's control plane (API server, etcd, scheduler).
CONTROL_PLANE = "kubernetes-control-plane"
#: ``platform`` of workloads, claims and the control plane: they run on (and restore onto) Kubernetes.
PLATFORM = "kubernetes"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
#: Built-in ClusterRoles that can delete or rewrite a namespace's workloads and volumes: a
#: binding of one of them gives its subjects ``admin`` rows over what it covers.
ADMIN_ROLES = ("cluster-admin", "admin")
BINDING_KINDS = ("RoleBinding", "ClusterRoleBinding")
_QUANTITY = re.compile(r"^([0-9.]+)([KMGTPE]i?|[kmu]|e[0-9]+)?$")
_FACTORS = {
    "": 1, "m": 1e-3, "u": 1e-6, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
    "E": 1e18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}


def quantity_gb(text: object) -> float | None:
    """A Kubernetes storage quantity (``10Gi``, ``500M``) in GB (10^9 bytes), None if unreadable."""
    match = _QUANTITY.match(str(text).strip()) if text is not None else None
    if not match:
        return None
    number, suffix = match.groups()
    suffix = suffix or ""
    factor = 10 ** int(suffix[1:]) if suffix.startswith("e") else _FACTORS[suffix]
    try:
        return float(number) * factor / 1e9
    except ValueError:
        return None


@dataclass
class K8sObject:
    """One Kubernetes object with where it came from (``List`` items are flattened)."""

    data: dict
    doc: Document
    item: int | None = None

    @property
    def kind(self) -> str:
        return str(self.data.get("kind"))

    @property
    def name(self) -> str:
        return str(self.data["metadata"]["name"])

    @property
    def namespace(self) -> str:
        return str((self.data.get("metadata") or {}).get("namespace") or "default")

    def where(self) -> str:
        return self.doc.where() + (f", item {self.item}" if self.item is not None else "")

    def require(self, *path: str):
        node = self.data
        for i, key in enumerate(path):
            if not isinstance(node, dict) or node.get(key) in (None, ""):
                raise ImportSourceError(
                    f"{self.where()}: {self.kind} is missing required field '{'.'.join(path[: i + 1])}'"
                )
            node = node[key]
        return node


def k8s_objects(paths: list[str]) -> list[K8sObject]:
    """Every object of the files, ``List`` objects flattened; each has ``kind`` and ``metadata.name``."""
    objects: list[K8sObject] = []
    for path in paths:
        for doc in yaml_documents(path, allow_empty=False):
            doc.require("kind")
            kind = str(doc.data["kind"])
            if kind.endswith("List") and "items" in doc.data:
                items = doc.data.get("items") or []
                if not isinstance(items, list):
                    raise ImportSourceError(f"{doc.where()}: 'items' of a {kind} must be a list")
                for i, item in enumerate(items, start=1):
                    if not isinstance(item, dict):
                        raise ImportSourceError(
                            f"{doc.where()}, item {i}: is a {type(item).__name__}, expected a mapping"
                        )
                    objects.append(K8sObject(item, doc, i))
            else:
                objects.append(K8sObject(doc.data, doc))
    for obj in objects:
        obj.require("kind")
        obj.require("metadata", "name")
    return objects


@dataclass
class Workload:
    """A Deployment, StatefulSet or DaemonSet as the importer sees it."""

    obj: K8sObject
    cid: str = ""
    labels: dict = field(default_factory=dict)
    pod: dict = field(default_factory=dict)

    @property
    def containers(self) -> list[dict]:
        out = []
        for key in ("initContainers", "containers"):
            for c in self.pod.get(key) or []:
                if isinstance(c, dict):
                    out.append(c)
        return out


def _selects(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(str(labels.get(k)) == str(v) for k, v in selector.items())


def import_kubernetes(paths: list[str]) -> Draft:
    """Build a draft inventory from Kubernetes manifests (and Velero objects among them).

    Deployments, StatefulSets and DaemonSets become components: a ``datastore`` when a
    StatefulSet has volume claim templates or a container image is a well-known database,
    cache or queue, else a ``service``. A workload depends on another when an environment
    variable or a value of a ConfigMap it uses names a Service (``host:port``, a URL,
    ``name.namespace.svc.cluster.local``, or the whole value) selecting that workload;
    a Service selecting several workloads becomes a redundancy group (any one suffices).
    PersistentVolumeClaims become ``datastore`` components (``data_gb`` from the request)
    the mounting workloads depend on. Everything depends on the cluster's control plane.
    Velero objects are handed to :func:`hiddenspof.importers.velero.add_velero`.

    Raises
    ------
    ImportSourceError
        Unreadable file, bad YAML, a document that is not a mapping, an object without
        ``kind`` or ``metadata.name``, a malformed Velero schedule.
    """
    draft = Draft("kubernetes", tuple(f"kubernetes:{label(p)}" for p in paths))
    objects = k8s_objects(paths)
    src = {id(o): f"kubernetes:{label(o.doc.file)}" for o in objects}
    workloads = [Workload(o) for o in objects if o.kind in WORKLOAD_KINDS]
    pvcs = [o for o in objects if o.kind == "PersistentVolumeClaim"]
    services = [o for o in objects if o.kind == "Service"]
    configmaps = {(o.namespace, o.name): o for o in objects if o.kind == "ConfigMap"}
    velero = [o for o in objects if o.kind in VELERO_KINDS and str(o.data.get("apiVersion", "")).startswith("velero.io")]
    # claims referenced by workloads but not defined still get a component
    claim_refs: set[tuple[str, str]] = {(o.namespace, o.name) for o in pvcs}
    for w in workloads:
        spec = w.obj.data.get("spec") or {}
        template = spec.get("template") or {}
        w.pod = template.get("spec") or {}
        w.labels = (template.get("metadata") or {}).get("labels") or {}
        for vol in w.pod.get("volumes") or []:
            claim = (vol or {}).get("persistentVolumeClaim") or {}
            if claim.get("claimName"):
                claim_refs.add((w.obj.namespace, str(claim["claimName"])))
    # A StatefulSet's volume claim templates make one claim per pod, `<template>-<statefulset>-<ordinal>`
    # (what `kubectl get pvc` lists): those volumes are the StatefulSet's, whose data_gb and backups
    # already count them, so they are not components of their own (counted once).
    owned: dict[tuple[str, str], str] = {}
    for w in workloads:
        if w.obj.kind != "StatefulSet":
            continue
        for tpl in (w.obj.data.get("spec") or {}).get("volumeClaimTemplates") or []:
            tname = str(((tpl or {}).get("metadata") or {}).get("name") or "")
            if not tname:
                continue
            pattern = re.compile(rf"^{re.escape(tname)}-{re.escape(w.obj.name)}-\d+$")
            for ns, name in claim_refs:
                if ns == w.obj.namespace and pattern.match(name):
                    owned[(ns, name)] = w.obj.name
    for (ns, name), sts in sorted(owned.items()):
        claim_refs.discard((ns, name))
        draft.mapped.add(f"PersistentVolumeClaim `{ns}/{name}`: a volume of StatefulSet `{sts}` (its claim template),"
                         " counted in the StatefulSet's data and backups, not as a component of its own")
    ids = qualify([(w.obj.namespace, w.obj.name) for w in workloads] + sorted(claim_refs))
    for w in workloads:
        w.cid = ids[(w.obj.namespace, w.obj.name)]
    namespaces = sorted({o.namespace for o in objects if o.kind in WORKLOAD_KINDS + ("PersistentVolumeClaim", "Service")})
    draft.name = "Kubernetes: " + ", ".join(namespaces) if namespaces else "Kubernetes"
    first = f"kubernetes:{label(paths[0])}" if paths else "kubernetes"
    draft.component(CONTROL_PLANE, "control_plane", first, name="Kubernetes control plane",
                    source_type="implied", notes="API server, etcd, scheduler: needed to run and restore anything",
                    platform=PLATFORM)
    draft.mapped.add(f"`{CONTROL_PLANE}`: the cluster's control plane (control_plane); every workload and claim depends on it")
    draft.mapped.add("namespaces: " + (", ".join(f"`{n}`" for n in namespaces) or "none") + " (column `namespace`)")

    # components
    for w in workloads:
        o = w.obj
        spec = o.data.get("spec") or {}
        claims = spec.get("volumeClaimTemplates") or [] if o.kind == "StatefulSet" else []
        product = next((p for p in (datastore_image(c.get("image")) for c in w.containers) if p), None)
        kind = "datastore" if claims or product else "service"
        data_gb = None
        if claims:
            sizes = [quantity_gb(((c.get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage")) for c in claims]
            known = [s for s in sizes if s is not None]
            if known:
                replicas = spec.get("replicas", 1)
                data_gb = sum(known) * (replicas if isinstance(replicas, int) and replicas > 0 else 1)
        draft.component(w.cid, kind, src[id(o)], namespace=o.namespace, source_type=o.kind,
                        data_gb=format_number(data_gb) if data_gb is not None else "", platform=PLATFORM)
        draft.mapped.add(f"`{w.cid}`: {o.kind} `{o.namespace}/{o.name}` ({kind})")
        if claims:
            draft.mapped.add(f"`{w.cid}` is a datastore: a StatefulSet with volume claim templates keeps state")
        elif product:
            image = next(c.get("image") for c in w.containers if datastore_image(c.get("image")))
            draft.guessed.add(f"`{w.cid}` is a datastore: its image `{image}` runs {product}, a well-known database, cache or queue")
        draft.depend(w.cid, CONTROL_PLANE, "control", src[id(o)])
    pvc_obj = {(o.namespace, o.name): o for o in pvcs}
    for ns, name in sorted(claim_refs):
        cid = ids[(ns, name)]
        o = pvc_obj.get((ns, name))
        size = None
        if o is not None:
            size = quantity_gb((((o.data.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage"))
            source = src[id(o)]
            draft.mapped.add(f"`{cid}`: PersistentVolumeClaim `{ns}/{name}` (datastore)")
        else:
            source = first
            draft.guessed.add(f"`{cid}`: PersistentVolumeClaim `{ns}/{name}` is mounted but not in the source; added as a datastore")
        draft.component(cid, "datastore", source, namespace=ns, source_type="PersistentVolumeClaim",
                        data_gb=format_number(size) if size is not None else "", platform=PLATFORM)
        draft.depend(cid, CONTROL_PLANE, "control", source)

    # Services -> workloads
    by_service: dict[tuple[str, str], list[str]] = {}
    for s in services:
        spec = s.data.get("spec") or {}
        selector = spec.get("selector") or {}
        targets = sorted({w.cid for w in workloads if w.obj.namespace == s.namespace and _selects(selector, w.labels)})
        if spec.get("type") == "ExternalName":
            draft.ignored.add(f"Service `{s.namespace}/{s.name}`: ExternalName `{spec.get('externalName')}` points outside the cluster")
        elif not targets:
            draft.ignored.add(f"Service `{s.namespace}/{s.name}`: its selector matches no workload in the source")
        else:
            by_service[(s.namespace, s.name)] = targets
            draft.mapped.add(f"Service `{s.namespace}/{s.name}` resolves to " + ", ".join(f"`{t}`" for t in targets))
    known_ns = {ns for ns, _ in by_service} | set(namespaces)

    def resolve(host: str, ns: str) -> tuple[tuple[str, str], list[str]] | None:
        parts = host.split(".")
        if host.endswith(".svc.cluster.local") or host.endswith(".svc"):
            key = (parts[1], parts[0]) if len(parts) >= 3 else None
        elif len(parts) == 1:
            key = (ns, host)
        elif len(parts) == 2 and parts[1] in known_ns:
            key = (parts[1], parts[0])
        else:
            key = None
        return (key, by_service[key]) if key in by_service else None

    def refer(w: Workload, value: object, why: str, whole: bool) -> None:
        for host in hosts_in(value, whole_value=whole):
            hit = resolve(host, w.obj.namespace)
            if not hit:
                continue
            (sns, sname), targets = hit
            targets = [t for t in targets if t != w.cid]
            if not targets:
                continue
            group = f"svc:{sns}/{sname}" if len(targets) > 1 else ""
            for t in targets:
                draft.depend(w.cid, t, "runtime", src[id(w.obj)], group=group, notes=why)
            draft.guessed.add(f"`{w.cid}` depends on {', '.join(f'`{t}`' for t in targets)}: {why} names Service `{sname}`")

    for w in workloads:
        used_maps: set[str] = set()
        for c in w.containers:
            for env in c.get("env") or []:
                if not isinstance(env, dict):
                    continue
                if "value" in env:
                    refer(w, env.get("value"), f"env {env.get('name')}={env.get('value')}", True)
                ref = ((env.get("valueFrom") or {}).get("configMapKeyRef") or {})
                if ref.get("name"):
                    used_maps.add(str(ref["name"]))
            for env_from in c.get("envFrom") or []:
                ref = (env_from or {}).get("configMapRef") or {}
                if ref.get("name"):
                    used_maps.add(str(ref["name"]))
        for vol in w.pod.get("volumes") or []:
            vol = vol or {}
            if (vol.get("configMap") or {}).get("name"):
                used_maps.add(str(vol["configMap"]["name"]))
            claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                draft.depend(w.cid, ids[(w.obj.namespace, str(claim))], "storage", src[id(w.obj)], notes=f"volume {vol.get('name')}")
            for kind_key in ("hostPath", "nfs", "csi", "awsElasticBlockStore", "gcePersistentDisk", "azureDisk"):
                if vol.get(kind_key):
                    draft.ignored.add(f"`{w.cid}` volume `{vol.get('name')}` ({kind_key}): storage outside the manifests")
        for cm_name in sorted(used_maps):
            cm = configmaps.get((w.obj.namespace, cm_name))
            if cm is None:
                draft.ignored.add(f"`{w.cid}` uses ConfigMap `{cm_name}` that is not in the source")
                continue
            for key, value in sorted((cm.data.get("data") or {}).items()):
                refer(w, value, f"ConfigMap {cm_name} key {key}", True)

    admin_bindings = _admin_rows(draft, objects, workloads, {k: ids[k] for k in claim_refs}, src)
    counted: dict[str, int] = {}
    for o in objects:
        if o.kind not in WORKLOAD_KINDS + ("PersistentVolumeClaim", "Service", "ConfigMap") and o not in velero \
                and id(o) not in admin_bindings:
            counted[o.kind] = counted.get(o.kind, 0) + 1
    for kind, n in sorted(counted.items()):
        draft.ignored.add(f"{n} {kind} object{'s' if n != 1 else ''}: no failure dependency modelled")
    if velero:
        by_ns: dict[str, list[str]] = {}
        volume_assets: dict[str, list[str]] = {}
        for w in workloads:
            by_ns.setdefault(w.obj.namespace, []).append(w.cid)
            if w.obj.kind == "StatefulSet" and (w.obj.data.get("spec") or {}).get("volumeClaimTemplates"):
                volume_assets.setdefault(w.obj.namespace, []).append(w.cid)
        for ns, name in claim_refs:
            by_ns.setdefault(ns, []).append(ids[(ns, name)])
            volume_assets.setdefault(ns, []).append(ids[(ns, name)])

        def service_host(value: object, ns: str) -> list[str]:
            out = []
            for host in hosts_in(value):
                hit = resolve(host, ns)
                if hit:
                    out.extend(hit[1])
            return sorted(set(out))

        add_velero(draft, velero, {k: sorted(v) for k, v in by_ns.items()},
                   {k: sorted(v) for k, v in volume_assets.items()}, CONTROL_PLANE, service_host)
    draft.check_references()
    return draft


def _subject_id(subject: dict, namespace: str) -> tuple[str, str, str] | None:
    """(component id, label, namespace) of a binding subject: ``sa-<namespace>-<name>``, ``user-<name>``, ``group-<name>``."""
    kind, name = str(subject.get("kind", "")), str(subject.get("name", "")).strip()
    if not name:
        return None
    if kind == "ServiceAccount":
        ns = str(subject.get("namespace") or namespace)
        return f"sa-{ns}-{name}", f"ServiceAccount {ns}/{name}", ns
    if kind in ("User", "Group"):
        return f"{kind.lower()}-{name}", f"{kind} {name}", ""
    return None


def _admin_rows(draft: Draft, objects: list[K8sObject], workloads: list[Workload],
                claims: dict[tuple[str, str], str], src: dict[int, str]) -> set[int]:
    """Admin rows from RBAC: a binding of ``cluster-admin`` or ``admin`` lets its subjects administer what it covers.

    A RoleBinding covers the workloads and volume claims of its namespace, a
    ClusterRoleBinding those of every namespace. Each subject (service
    account, user, group) becomes a ``credentials`` component, and every
    covered workload and claim gets a row of kind ``admin`` on it: not a
    requirement (the workload runs without the binding), only reach for
    ``credential_compromise``. Returns the ids of the bindings mapped.
    """
    mapped: set[int] = set()
    for b in objects:
        if b.kind not in BINDING_KINDS:
            continue
        ref = b.data.get("roleRef") or {}
        role = str(ref.get("name", ""))
        if ref.get("kind") != "ClusterRole" or role not in ADMIN_ROLES:
            continue
        cluster = b.kind == "ClusterRoleBinding"
        covered = sorted({w.cid for w in workloads if cluster or w.obj.namespace == b.namespace}
                         | {cid for (ns, _), cid in claims.items() if cluster or ns == b.namespace})
        where = "every namespace" if cluster else f"namespace `{b.namespace}`"
        for subject in b.data.get("subjects") or []:
            hit = _subject_id(subject or {}, b.namespace)
            if hit is None:
                draft.ignored.add(f"{b.kind} `{b.name}`: a subject without kind or name")
                continue
            sid, what, ns = hit
            mapped.add(id(b))
            draft.component(sid, "credentials", src[id(b)], name=what, namespace=ns,
                            source_type=f"{b.kind} subject", notes=f"bound to ClusterRole {role} by {b.kind} {b.name}")
            for cid in covered:
                draft.depend(cid, sid, "admin", src[id(b)], notes=f"{b.kind} {b.name} grants {role}")
            draft.mapped.add(f"`{sid}`: {what} (credentials), bound to `{role}` over {where} by {b.kind} `{b.name}`: "
                             f"admin rows from {len(covered)} workload(s) and claim(s) (reach, not a requirement)")
    return mapped
