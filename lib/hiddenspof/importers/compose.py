"""docker-compose files -> draft inventory: services, their dependencies, named volumes, the host."""

from __future__ import annotations

import os
import re

from .draft import Draft, datastore_image, qualify
from .refs import hosts_in
from .sources import Document, ImportSourceError, label, yaml_documents

__all__ = ["import_compose", "project_name"]

_DEFAULT_FILE_STEMS = {"docker-compose", "compose", "docker-compose.override", "compose.override"}


def project_name(doc: Document) -> str:
    """The compose project: top-level ``name``, else the file stem, else the folder name.

    Compose itself defaults to the folder name; a file copied out of its project
    (``shop.yml``) is better named by its stem, so the folder is used only for the default
    file names (``docker-compose.yml``, ``compose.yaml``).
    """
    name = doc.data.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    stem = os.path.splitext(os.path.basename(doc.file))[0]
    if stem.lower() in _DEFAULT_FILE_STEMS:
        folder = os.path.basename(os.path.dirname(os.path.abspath(doc.file)))
        return folder or "compose"
    return stem


def _names(value: object, where: str, field: str) -> list[str]:
    """A compose list-or-mapping field as a list of names (``depends_on``, ``links``)."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, list):
        return [str(v) for v in value]
    raise ImportSourceError(f"{where}: field '{field}' is a {type(value).__name__}, expected a list or mapping")


def _environment(value: object, where: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [(str(k), "" if v is None else str(v)) for k, v in value.items()]
    if isinstance(value, list):
        out = []
        for item in value:
            key, _, val = str(item).partition("=")
            out.append((key, val))
        return out
    raise ImportSourceError(f"{where}: field 'environment' is a {type(value).__name__}, expected a list or mapping")


def _volume_sources(value: object) -> list[tuple[str, str]]:
    """``(type, source)`` of each mount: ``volume`` for a named volume, ``bind``, ``anonymous``."""
    mounts = []
    for item in value or []:
        if isinstance(item, dict):
            kind = str(item.get("type", "volume"))
            source = str(item.get("source") or "")
            mounts.append((kind if source else "anonymous", source))
            continue
        text = str(item)
        parts = text.split(":")
        if len(parts) == 1:
            mounts.append(("anonymous", ""))
            continue
        source = parts[0]
        if re.match(r"^([./~]|[A-Za-z]:\\|\$)", source) or "/" in source:
            mounts.append(("bind", source))
        else:
            mounts.append(("volume", source))
    return mounts


def import_compose(paths: list[str]) -> Draft:
    """Build a draft inventory from docker-compose files.

    Every service becomes a component (a ``datastore`` when its image is a well-known
    database, cache or queue, else a ``service``); ``depends_on`` (list and mapping forms),
    ``links`` and environment values naming another service (by service name, hostname,
    container name or network alias; as URL, ``host:port`` or the whole value) become
    dependencies; each named volume becomes a ``datastore`` the service depends on
    (``storage``); every service and volume depends on the project's host, a ``site``
    named after the project (``location``). Several files of one project (same project
    name) are merged as compose merges override files.

    Parameters
    ----------
    paths : list of str
        Compose files.

    Returns
    -------
    Draft

    Raises
    ------
    ImportSourceError
        Unreadable file, bad YAML, a document that is not a mapping, no ``services``.
    """
    draft = Draft("compose", tuple(f"compose:{label(p)}" for p in paths))
    services: dict[tuple[str, str], tuple[dict, Document]] = {}
    volumes: dict[tuple[str, str], str] = {}
    projects: dict[str, str] = {}
    for path in paths:
        for doc in yaml_documents(path, allow_empty=False):
            project = project_name(doc)
            projects.setdefault(project, f"compose:{label(path)}")
            block = doc.require("services")
            if not isinstance(block, dict):
                raise ImportSourceError(f"{doc.where()}: field 'services' is a {type(block).__name__}, expected a mapping")
            for name, spec in block.items():
                if spec is None:
                    spec = {}
                if not isinstance(spec, dict):
                    raise ImportSourceError(
                        f"{doc.where()}: service '{name}' is a {type(spec).__name__}, expected a mapping"
                    )
                merged = dict(services.get((project, str(name)), ({}, doc))[0])
                merged.update(spec)
                services[(project, str(name))] = (merged, doc)
            for vname, vspec in (doc.data.get("volumes") or {}).items():
                real = vspec.get("name") if isinstance(vspec, dict) and vspec.get("name") else f"{project}_{vname}"
                volumes[(project, str(vname))] = str(real)
            for key in ("configs", "secrets", "networks", "include", "x-"):
                if any(k == key or (key == "x-" and str(k).startswith("x-")) for k in doc.data):
                    draft.ignored.add(f"top-level `{key}` in {label(path)}: not a failure dependency the inventory models")
    draft.name = ", ".join(sorted(projects))
    ids = qualify(list(services))
    # names a service is reachable by, per project
    alias: dict[tuple[str, str], str] = {}
    for (project, name), (spec, _) in sorted(services.items()):
        names = [name, spec.get("hostname"), spec.get("container_name")]
        nets = spec.get("networks")
        if isinstance(nets, dict):
            for net in nets.values():
                if isinstance(net, dict):
                    names.extend(net.get("aliases") or [])
        for n in names:
            if n:
                alias.setdefault((project, str(n).lower()), ids[(project, name)])
    for project, source in sorted(projects.items()):
        draft.component(project, "site", source, name=f"host of compose project {project}",
                        source_type="compose host", notes="one machine runs the whole stack")
        draft.mapped.add(f"`{project}`: the host of compose project {project} (site)")
    for (project, name), (spec, doc) in sorted(services.items()):
        cid = ids[(project, name)]
        source = f"compose:{label(doc.file)}"
        where = f"{doc.where()}: service '{name}'"
        image = spec.get("image")
        product = datastore_image(str(image) if image else None)
        kind = "datastore" if product else "service"
        draft.component(cid, kind, source, source_type="compose service", location=project, platform="docker")
        draft.mapped.add(f"`{cid}`: compose service `{name}` ({kind})")
        if product:
            draft.guessed.add(f"`{cid}` is a datastore: its image `{image}` runs {product}, a well-known database, cache or queue")
        draft.depend(cid, project, "location", source, notes="compose services share one host")
        for dep in _names(spec.get("depends_on"), where, "depends_on"):
            target = ids.get((project, dep))
            if target is None:
                draft.ignored.add(f"`{cid}` depends_on `{dep}`: no such service")
                continue
            draft.depend(cid, target, "runtime", source, notes="depends_on")
        for link in _names(spec.get("links"), where, "links"):
            target = ids.get((project, link.split(":", 1)[0]))
            if target is None:
                draft.ignored.add(f"`{cid}` links `{link}`: no such service")
                continue
            draft.depend(cid, target, "network", source, notes="links")
        for key, value in _environment(spec.get("environment"), where):
            for host in hosts_in(value):
                target = alias.get((project, host))
                if target and target != cid:
                    draft.depend(cid, target, "runtime", source, notes=f"environment {key}")
                    draft.guessed.add(f"`{cid}` depends on `{target}`: environment {key}={value} names it")
        for mtype, msrc in _volume_sources(spec.get("volumes")):
            if mtype == "volume":
                vid = volumes.get((project, msrc))
                if vid is None:
                    draft.ignored.add(f"`{cid}` mounts volume `{msrc}` that the file does not declare")
                    continue
                draft.component(vid, "datastore", source, source_type="compose volume", location=project, platform="docker",
                                notes=f"named volume {msrc}")
                draft.mapped.add(f"`{vid}`: named volume `{msrc}` of project {project} (datastore)")
                draft.depend(vid, project, "location", source, notes="volumes live on the host's disk")
                draft.depend(cid, vid, "storage", source, notes="volume")
            elif mtype == "bind":
                draft.ignored.add(f"`{cid}` bind-mounts `{msrc}`: a host path, part of host `{project}`")
        for key in ("secrets", "configs", "extends"):
            if spec.get(key):
                draft.ignored.add(f"`{cid}` {key}: files provided with the stack, not a separate component")
    return draft
