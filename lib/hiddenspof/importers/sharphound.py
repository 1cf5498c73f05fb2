"""SharpHound / BloodHound CE collections -> who can administer what, as ``admin`` rows.

A collection is the JSON files SharpHound writes (``computers``, ``users``, ``groups``,
``domains``, ``ous``, ``gpos``, ``containers``, ``sessions``; each ``{"meta": {"type",
"version"}, "data": [...]}``), loose or in the collection's zip. The mapping (see
``docs/importers.md``, section *sharphound*) turns local administrators, control rights,
group memberships, sessions and replication rights into ``admin`` rows, so the
``credential_compromise`` threat follows the directory's real paths. Every row written
is ``admin`` (reach, never requirement) and carries its directory relation in ``notes``
(``directory: AdminTo (LocalGroups)``), which the attack-path evidence quotes.

Unlike the other importers this one reads the inventory it merges into: computers and
principals match the components the analyst already has, and only principals on a path
to a component of that inventory or to the domain are kept.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hiddenspof.inventory import DIRECTORY_NOTE

from .draft import Draft
from .sources import ImportSourceError, _read_text, label
from .writer import read_state, read_table

__all__ = [
    "COMPUTER_RIGHTS",
    "DIRECTORY_NOTE",
    "DOMAIN_RIGHTS",
    "PRINCIPAL_RIGHTS",
    "TIER_ZERO_RIDS",
    "Collection",
    "import_sharphound",
    "read_collection",
]

FMT = "sharphound"
#: Control rights on a computer that make the holder its administrator (contract table).
COMPUTER_RIGHTS = frozenset({"GenericAll", "Owns", "WriteDacl", "WriteOwner", "GenericWrite",
                             "AllExtendedRights", "AddAllowedToAct"})
#: Control rights on a user or group that give the holder the target (contract table).
PRINCIPAL_RIGHTS = frozenset({"GenericAll", "Owns", "WriteDacl", "WriteOwner", "GenericWrite",
                              "ForceChangePassword", "AddMember", "AddSelf", "AllExtendedRights"})
#: Rights on a domain object that give the domain (with ``GetChanges`` + ``GetChangesAll``).
DOMAIN_RIGHTS = frozenset({"GenericAll", "WriteDacl", "Owns"})
#: Well-known groups that keep their meaning, by relative id: each is Tier Zero (holding it
#: gives the domain, holding the domain gives it). 512 and 519 are relative to the domain SID,
#: 544, 548 and 551 are the BUILTIN (``S-1-5-32-``) groups.
TIER_ZERO_RIDS = {
    "512": "DOMAIN ADMINS",
    "519": "ENTERPRISE ADMINS",
    "544": "ADMINISTRATORS",
    "548": "ACCOUNT OPERATORS",
    "551": "BACKUP OPERATORS",
}
#: Well-known principals that are never in a collection's files; named in the report only.
_WELL_KNOWN = {
    "S-1-1-0": "Everyone", "S-1-5-11": "Authenticated Users", "S-1-5-9": "Enterprise Domain Controllers",
    "S-1-5-18": "Local System", "S-1-5-4": "Interactive", "S-1-5-7": "Anonymous Logon",
    "S-1-3-0": "Creator Owner", "S-1-5-10": "Principal Self",
}
_TYPES = ("computers", "users", "groups", "domains", "ous", "gpos", "containers", "sessions")
_SESSION_LISTS = ("Sessions", "PrivilegedSessions", "RegistrySessions")
_DOMAIN_RID = re.compile(r"^(S-1-5-21-\d+-\d+-\d+)-(\d+)$")
_BUILTIN = re.compile(r"^(?:(.+)-)?S-1-5-32-(\d+)$")
_OUT_OF_SCOPE_SHOWN = 40


# ----------------------------------------------------------------------------------- reading


@dataclass
class _File:
    """One collection file: its ``meta.type``, records and the label messages use."""

    where: str
    type: str
    records: list
    label: str = ""   # the base name (``computers.json``, ``collection.zip:computers.json``): report lines


def _locate_record(text: str) -> str:
    """``data[N]`` of the record a decode error falls in, or "" (best effort, for messages)."""
    m = re.search(r'"data"\s*:\s*\[', text)
    if not m:
        return ""
    decoder = json.JSONDecoder()
    pos, index = m.end(), 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return ""
        try:
            _, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return f"data[{index}]"
        index += 1


def _parse(text: str, where: str, name: str) -> _File | None:
    """A collection file's JSON, checked to be ``{meta: {type, version}, data: [...]}``."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        record = _locate_record(text)
        at = f" in record {record}" if record else ""
        raise ImportSourceError(
            f"{where}: line {exc.lineno}, column {exc.colno}{at}: invalid JSON ({exc.msg})"
            " - expected a complete SharpHound JSON file (truncated?)"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("meta"), dict) or "data" not in doc:
        raise ImportSourceError(f"{where}: not a SharpHound collection file - expected an object with 'meta' and 'data'")
    kind = doc["meta"].get("type")
    if not isinstance(kind, str) or not kind:
        raise ImportSourceError(f"{where}: meta.type: value {kind!r} - expected the kind of the file (computers, users, ...)")
    version = doc["meta"].get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise ImportSourceError(f"{where}: meta.version: value {version!r} - expected a whole number")
    if not isinstance(doc["data"], list):
        raise ImportSourceError(f"{where}: data: is a {type(doc['data']).__name__} - expected a list of records")
    kind = kind.lower()
    if kind not in _TYPES:
        return _File(where, kind, [], name)  # AD CS and other kinds: not in the mapping (reported)
    return _File(where, kind, doc["data"], name)


def _decode(raw: bytes, where: str) -> str:
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            return raw.decode("utf-16")
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportSourceError(f"{where}: not UTF-8 text (byte {exc.start}) - expected a JSON file") from None


def _files(paths: Iterable[str]) -> list[_File]:
    """Every collection file of the sources: JSON files, folders of them, or collection zips."""
    out: list[_File] = []
    for path in paths:
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.lower().endswith((".json", ".zip")))
            if not names:
                raise ImportSourceError(f"{path}: no .json or .zip file in this folder - expected a SharpHound collection")
            out += _files(os.path.join(path, n) for n in names)
        elif zipfile.is_zipfile(path):
            try:
                with zipfile.ZipFile(path) as zf:
                    members = sorted((i for i in zf.infolist() if i.filename.lower().endswith(".json") and not i.is_dir()),
                                     key=lambda i: i.filename)
                    if not members:
                        raise ImportSourceError(f"{path}: no .json file in the zip - expected a SharpHound collection")
                    for info in members:
                        where = f"{path}:{info.filename}"
                        if info.flag_bits & 0x1:
                            raise ImportSourceError(f"{where}: encrypted - expected the zip without a password (SharpHound --zippassword)")
                        parsed = _parse(_decode(zf.read(info), where), where, f"{label(path)}:{info.filename}")
                        if parsed is not None:
                            out.append(parsed)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
                raise ImportSourceError(f"{path}: unreadable zip ({exc}) - expected the collection's zip file") from None
        else:
            if path.lower().endswith(".zip") and os.path.exists(path):
                raise ImportSourceError(f"{path}: not a readable zip file (truncated?) - expected the collection's zip")
            parsed = _parse(_read_text(path), os.fspath(path), label(path))
            if parsed is not None:
                out.append(parsed)
    return out


# -------------------------------------------------------------------------------- the model


@dataclass
class Obj:
    """A directory object: its SID, type (``computer``, ``user``, ``group``, ``domain``) and name."""

    sid: str
    type: str
    name: str
    domain: str = ""


@dataclass
class Relation:
    """Holding ``holder`` gives ``target``: the ``admin`` row ``target`` on ``holder``."""

    target: str
    holder: str
    relation: str
    where: str
    rule: str
    source: str = ""


@dataclass
class Collection:
    """What a collection says, before any inventory is involved (pure function of the files)."""

    files: list[tuple[str, str, int]] = field(default_factory=list)   # (where, type, records)
    objects: dict[str, Obj] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    unresolved: dict[str, set[str]] = field(default_factory=dict)     # SID -> where it is named
    uncollected: dict[str, set[str]] = field(default_factory=dict)    # computer SID -> what was not collected
    ignored: set[str] = field(default_factory=set)
    tier_zero_groups: set[str] = field(default_factory=set)


class _Rec:
    """One record with strict accessors whose errors name file, record and field."""

    def __init__(self, data: Any, file: _File, index: int) -> None:
        self.where = f"{file.where}: record data[{index}]"
        self.label = f"{file.label}: data[{index}]"
        if not isinstance(data, dict):
            raise ImportSourceError(f"{self.where}: is a {type(data).__name__} - expected an object")
        self.data = data

    def sid(self, key: str = "ObjectIdentifier", value: Any = None, field_name: str | None = None) -> str:
        v = self.data.get(key) if value is None else value
        if not isinstance(v, str) or not v.strip():
            raise ImportSourceError(f"{self.where}: {field_name or key}: value {v!r} - expected a SID or object id (text)")
        return v.strip().upper()

    def obj(self, key: str) -> dict:
        v = self.data.get(key)
        if v is None:
            return {}
        if not isinstance(v, dict):
            raise ImportSourceError(f"{self.where}: {key}: is a {type(v).__name__} - expected an object")
        return v

    def items(self, value: Any, path: str) -> list[tuple[str, dict]]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ImportSourceError(f"{self.where}: {path}: is a {type(value).__name__} - expected a list")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise ImportSourceError(f"{self.where}: {path}[{i}]: is a {type(item).__name__} - expected an object")
            out.append((f"{path}[{i}]", item))
        return out

    def text(self, value: Any, path: str) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ImportSourceError(f"{self.where}: {path}: value {value!r} - expected text")
        return value.strip()

    def name(self) -> str:
        return self.text(self.obj("Properties").get("name"), "Properties.name")


def read_collection(paths: Iterable[str]) -> Collection:
    """Read and check every file of a collection; raise ImportSourceError naming file and record."""
    col = Collection()
    files = _files(paths)
    if not files:
        raise ImportSourceError("no SharpHound JSON file among the sources")
    ace_rights: dict[str, dict[str, set[str]]] = {}   # domain SID -> principal -> replication rights
    pending: list[tuple[str, str, str, str, str, str]] = []  # (target, holder, relation, where, rule, file type)
    for f in files:
        col.files.append((f.label, f.type, len(f.records)))
        if f.type not in _TYPES:
            col.ignored.add(f"`{f.label}`: files of type `{f.type}` are not part of the directory mapping")
            continue
        for index, data in enumerate(f.records):
            rec = _Rec(data, f, index)
            if f.type == "sessions":
                user, comp = rec.sid("UserSID"), rec.sid("ComputerSID")
                pending.append((user, comp, "HasSession (sessions)", rec.label, "session", f.type))
                continue
            sid = rec.sid()
            props = rec.obj("Properties")
            name = rec.name()
            domain = rec.text(props.get("domain"), "Properties.domain")
            typ = f.type[:-1] if f.type in ("computers", "users", "groups", "domains") else f.type
            if typ in ("computer", "user", "group", "domain"):
                if rec.data.get("IsDeleted") is True:
                    col.ignored.add(f"{typ} `{name or sid}`: deleted in the directory")
                    continue
                if not name:  # a gap in what the collector resolved, not a broken file
                    col.ignored.add(f"{typ} `{sid}` ({rec.label}): no name in the collection, not mapped"
                                    " (where it is named, it is listed as unresolved)")
                    continue
                if typ == "domain":
                    domain = name
                old = col.objects.get(sid)
                if old is None or not old.name:
                    col.objects[sid] = Obj(sid, typ, name, domain.upper())
                dsid = rec.text(props.get("domainsid"), "Properties.domainsid").upper()
                if dsid and domain and dsid not in col.objects:
                    col.objects.setdefault("\x00domain:" + dsid, Obj(dsid, "domain", domain.upper(), domain.upper()))
            aces = rec.items(rec.data.get("Aces"), "Aces")
            for path, ace in aces:
                right = rec.text(ace.get("RightName"), f"{path}.RightName")
                holder = rec.sid("PrincipalSID", ace.get("PrincipalSID"), f"{path}.PrincipalSID")
                inherited = " (inherited)" if ace.get("IsInherited") is True else ""
                if typ == "computer" and right in COMPUTER_RIGHTS:
                    pending.append((sid, holder, f"{right} ACE{inherited}", rec.label, "control of a computer", f.type))
                elif typ in ("user", "group") and right in PRINCIPAL_RIGHTS:
                    pending.append((sid, holder, f"{right} ACE{inherited}", rec.label, "control of a user or group", f.type))
                elif typ == "domain" and right in DOMAIN_RIGHTS:
                    pending.append((sid, holder, f"{right} ACE{inherited}", rec.label, "control of the domain", f.type))
                elif typ == "domain" and right in ("GetChanges", "GetChangesAll"):
                    ace_rights.setdefault(sid, {}).setdefault(holder, set()).add(right)
                elif right:
                    col.ignored.add(f"`{right}` ACEs on {f.type}: not in the directory mapping")
            if typ in ("user", "computer"):
                primary = rec.text(rec.data.get("PrimaryGroupSID"), "PrimaryGroupSID").upper()
                if primary:
                    pending.append((primary, sid, "MemberOf (primary group)", rec.label, "group membership", f.type))
            if typ == "group":
                for path, member in rec.items(rec.data.get("Members"), "Members"):
                    m = rec.sid("ObjectIdentifier", member.get("ObjectIdentifier"), f"{path}.ObjectIdentifier")
                    pending.append((sid, m, "MemberOf", rec.label, "group membership", f.type))
            if typ == "computer":
                missing = _computer_relations(rec, sid, pending, f.type)
                if missing:
                    col.uncollected.setdefault(sid, set()).update(missing)
            if typ == "domain":
                for path, trust in rec.items(rec.data.get("Trusts"), "Trusts"):
                    other = rec.text(trust.get("TargetDomainName"), f"{path}.TargetDomainName")
                    direction = trust.get("TrustDirection")
                    col.ignored.add(f"trust of {name} with `{other}` ({direction}): not followed; import that"
                                    " domain's collection too to see paths across it")
    # domain objects known only through their members' Properties (no domains.json given)
    for key in sorted(k for k in col.objects if k.startswith("\x00domain:")):
        obj = col.objects.pop(key)
        if obj.sid not in col.objects:
            col.objects[obj.sid] = obj
            col.ignored.add(f"domain {obj.name}: known from its objects only (its domains file was not given):"
                            " its own ACEs are not read")
    _well_known(col, {s for p in pending for s in p[:2]})
    _replication(col, ace_rights, pending)
    seen: set[tuple[str, str, str]] = set()
    for target, holder, relation, where, rule, ftype in pending:
        missing = [s for s in (target, holder) if s not in col.objects]
        if missing:
            for s in missing:
                col.unresolved.setdefault(s, set()).add(f"{relation} in {where}")
            continue
        if target == holder or (target, holder, relation) in seen:
            continue
        seen.add((target, holder, relation))
        col.relations.append(Relation(target, holder, relation, where, rule, ftype))
    return col


def _computer_relations(rec: _Rec, sid: str, pending: list, ftype: str) -> set[str]:
    """Local administrators and sessions of one computer record (newer and older forms).

    Returns what the collector says it did not collect (``Collected: false``), for the report.
    """
    missing: set[str] = set()
    groups = rec.items(rec.data.get("LocalGroups"), "LocalGroups")
    if not groups and isinstance(rec.data.get("LocalAdmins"), dict) and rec.data["LocalAdmins"].get("Collected") is False:
        missing.add("local administrators")
    for key in _SESSION_LISTS:
        block = rec.data.get(key)
        if isinstance(block, dict) and block.get("Collected") is False:
            missing.add(key)
    for path, group in groups:
        gid = rec.text(group.get("ObjectIdentifier"), f"{path}.ObjectIdentifier").upper()
        gname = rec.text(group.get("Name"), f"{path}.Name").upper()
        if not (gid.endswith("-544") or gname.startswith("ADMINISTRATORS@")):
            continue
        for rpath, member in rec.items(group.get("Results"), f"{path}.Results"):
            m = rec.sid("ObjectIdentifier", member.get("ObjectIdentifier"), f"{rpath}.ObjectIdentifier")
            pending.append((sid, m, "AdminTo (LocalGroups)", rec.label, "local administrator", ftype))
    admins = rec.obj("LocalAdmins")
    for rpath, member in rec.items(admins.get("Results"), "LocalAdmins.Results"):
        m = rec.sid("ObjectIdentifier", member.get("ObjectIdentifier"), f"{rpath}.ObjectIdentifier")
        pending.append((sid, m, "AdminTo (LocalAdmins)", rec.label, "local administrator", ftype))
    for key in _SESSION_LISTS:
        block = rec.obj(key)
        for rpath, s in rec.items(block.get("Results"), f"{key}.Results"):
            user = rec.sid("UserSID", s.get("UserSID"), f"{rpath}.UserSID")
            comp = rec.sid("ComputerSID", s.get("ComputerSID"), f"{rpath}.ComputerSID") if s.get("ComputerSID") is not None else sid
            pending.append((user, comp, f"HasSession ({key})", rec.label, "session", ftype))
    return missing


def _well_known(col: Collection, named: set[str]) -> None:
    """Name the Tier Zero groups by their well-known relative id, even when groups.json lacks them."""
    domains_by_sid = {o.sid: o for o in col.objects.values() if o.type == "domain"}
    domains_by_name = {o.name.upper(): o for o in col.objects.values() if o.type == "domain"}
    for sid in sorted(set(col.objects) | named):
        m = _DOMAIN_RID.match(sid)
        b = _BUILTIN.match(sid)
        if m and m.group(2) in ("512", "519") and m.group(1) in domains_by_sid:
            dom = domains_by_sid[m.group(1)]
        elif b and b.group(2) in ("544", "548", "551") and (b.group(1) or "").upper() in domains_by_name:
            dom = domains_by_name[(b.group(1) or "").upper()]
        elif b and b.group(2) in ("544", "548", "551") and not b.group(1) and len(domains_by_name) == 1:
            dom = next(iter(domains_by_name.values()))  # older collectors: no domain prefix, one domain
        else:
            continue
        rid = (m or b).group(2)
        if sid not in col.objects:
            col.objects[sid] = Obj(sid, "group", f"{TIER_ZERO_RIDS[rid]}@{dom.name}", dom.name)
        col.tier_zero_groups.add(sid)


def _replication(col: Collection, ace_rights: dict[str, dict[str, set[str]]], pending: list) -> None:
    """DCSync: a principal holding GetChanges and GetChangesAll on a domain, itself or through its groups.

    A row is written for the principal where its own rights and its groups' together hold both
    and no single group it belongs to holds both already (that group has the row).
    """
    if not ace_rights:
        return
    groups_of: dict[str, set[str]] = {}
    for target, holder, relation, *_ in pending:
        if relation.startswith("MemberOf"):
            groups_of.setdefault(holder, set()).add(target)

    def closure(p: str) -> set[str]:
        out, stack = {p}, [p]
        while stack:
            for g in groups_of.get(stack.pop(), ()):
                if g not in out:
                    out.add(g)
                    stack.append(g)
        return out

    both = {"GetChanges", "GetChangesAll"}
    for dom, rights in sorted(ace_rights.items()):
        candidates = set(rights) | {m for m, gs in groups_of.items() if gs & set(rights)}
        whole = {p for p, r in rights.items() if both <= r}
        for p in sorted(candidates):
            groups = closure(p)
            have = set().union(*(rights.get(g, set()) for g in groups))
            if not both <= have:
                continue
            if p not in whole and any(g in whole for g in groups - {p}):
                continue  # a group of p already holds both: its own row covers p through membership
            via = "" if p in whole else " through group membership"
            pending.append((dom, p, f"DCSync (GetChanges + GetChangesAll ACEs{via})", "replication rights", "replication", "domains"))


# ---------------------------------------------------------------------------- the inventory


@dataclass
class _Existing:
    """The inventory merged into: its components by lower-case id and name."""

    kinds: dict[str, str]
    by_key: dict[str, set[str]]
    #: components an earlier directory import wrote: id -> the SID it wrote them for
    ours: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: str | None) -> _Existing:
        kinds: dict[str, str] = {}
        by_key: dict[str, set[str]] = {}
        ours: dict[str, str] = {}
        table = read_table(folder, "components") if folder else None
        written = read_state(folder)["components"] if folder else {}
        for row in (table.rows.values() if table else ()):
            cid = row.get("id", "")
            if not cid:
                continue
            kinds[cid] = row.get("kind", "")
            state = written.get((cid,), {})
            sid = state.get("object_id", "").upper()
            if sid and f"{sid} IN THE DIRECTORY" in state.get("notes", "").upper():
                ours[cid] = sid
            for value in {cid, row.get("name", "")}:
                if value:
                    by_key.setdefault(value.lower(), set()).add(cid)
        return cls(kinds, by_key, ours)

    def match(self, keys: list[str], kinds: frozenset[str] | None) -> str | None:
        """The one existing component whose id or name equals the first key that names exactly one."""
        for key in keys:
            hits = {c for c in self.by_key.get(key.lower(), ()) if kinds is None or self.kinds[c] in kinds}
            if len(hits) == 1:
                return next(iter(hits))
        return None


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9@._$-]+", "-", name.lower()).strip("-") or "unnamed"


def _match_keys(obj: Obj) -> list[str]:
    if obj.type == "computer":
        short = obj.name.split(".", 1)[0]
        return [obj.name, short]
    if obj.type in ("user", "group"):
        return [obj.name, obj.name.split("@", 1)[0]]
    return [obj.name, obj.name.split(".", 1)[0]]


_MATCH_KINDS = {"computer": None, "user": frozenset({"credentials"}), "group": frozenset({"credentials"}),
                "domain": frozenset({"identity"})}
_NEW_KIND = {"computer": "service", "user": "credentials", "group": "credentials", "domain": "identity"}


def _reach_back(relations: list[Relation], anchors: set[str]) -> set[str]:
    """Every object from which some anchor can be reached (holding it leads to an anchor)."""
    into: dict[str, set[str]] = {}
    for r in relations:
        into.setdefault(r.target, set()).add(r.holder)
    keep, stack = set(anchors), list(anchors)
    while stack:
        for h in into.get(stack.pop(), ()):
            if h not in keep:
                keep.add(h)
                stack.append(h)
    return keep


def import_sharphound(paths: list[str], existing: str | None = None) -> Draft:
    """Map a SharpHound collection onto an inventory (``existing``: the CSV folder merged into).

    Raises
    ------
    ImportSourceError
        A file that is not a SharpHound JSON file, invalid or truncated JSON, or a record
        whose fields have the wrong shape (the message names the file, the record and the field).
    """
    col = read_collection(paths)
    types = sorted({t for _, t, _ in col.files if t in _TYPES})
    draft = Draft(FMT, tuple(f"{FMT}:{t}" for t in types))
    inv = _Existing.read(existing)
    # merging into an estate: it has components an earlier import of this directory did not write
    merging = bool(set(inv.kinds) - set(inv.ours))

    # ids: an existing component where one matches, else a new id from the directory name
    ids: dict[str, str] = {}
    ours: set[str] = set()
    matched: dict[str, str] = {}
    claimed: dict[str, str] = {}
    taken = set(inv.kinds)
    for sid in sorted(col.objects, key=lambda s: (col.objects[s].type, col.objects[s].name, s)):
        obj = col.objects[sid]
        hit = inv.match(_match_keys(obj), _MATCH_KINDS[obj.type]) if inv.kinds else None
        if hit is not None and hit in claimed:
            draft.guessed.add(f"{obj.type} {obj.name} also matches `{hit}` (already matched by {claimed[hit]}):"
                              " added as its own component; merge them by hand if they are one")
            hit = None
        if hit is not None and inv.ours.get(hit) == sid:
            ids[sid] = hit  # written by an earlier import of this directory: the same rules apply again
            claimed[hit] = obj.name
            ours.add(sid)
            continue
        if hit is not None:
            ids[sid] = matched[sid] = hit
            claimed[hit] = obj.name
            continue
        base = obj.name.lower() if obj.type in ("computer", "domain") else _slug(obj.name)
        cid = base
        if cid in taken:
            cid = f"{base}-{sid.rsplit('-', 1)[-1].lower()}"
        n = 2
        while cid in taken:
            cid, n = f"{base}-{n}", n + 1
        taken.add(cid)
        ids[sid] = cid

    domains = {s for s, o in col.objects.items() if o.type == "domain"}
    # well-known groups keep their meaning: Tier Zero, one with their domain
    dom_by_name = {col.objects[d].name: d for d in domains}
    relations = list(col.relations)
    for g in sorted(col.tier_zero_groups):
        d = dom_by_name.get(col.objects[g].domain)
        if d is None:
            continue
        label_ = col.objects[g].name.split("@", 1)[0].title()
        relations.append(Relation(d, g, f"Tier Zero ({label_} administers the domain)", "well-known group", "Tier Zero", "groups"))
        relations.append(Relation(g, d, f"Tier Zero (the domain controls {label_})", "well-known group", "Tier Zero",
                                  "groups"))

    computers = {s for s, o in col.objects.items() if o.type == "computer"}
    # anchors: the components of the inventory (matched, or written by an earlier import of this
    # directory) and the domain; with no estate to merge into, every computer
    anchors = domains | set(matched) | ours
    if not merging:
        anchors |= computers
    keep = _reach_back(relations, anchors)
    kept = [r for r in relations if r.target in keep]
    in_rows = {r.target for r in kept} | {r.holder for r in kept}
    # tier zero: the domain, the well-known groups, their members, and whoever controls the domain
    tier_zero = set(domains) | set(col.tier_zero_groups)
    members: dict[str, set[str]] = {}
    for r in relations:
        if r.relation.startswith("MemberOf"):
            members.setdefault(r.target, set()).add(r.holder)
        elif r.target in domains and not r.relation.startswith("Tier Zero"):
            tier_zero.add(r.holder)
    stack = list(tier_zero)
    while stack:
        for m in members.get(stack.pop(), ()):
            if m not in tier_zero:
                tier_zero.add(m)
                stack.append(m)

    # a principal nothing leads to, whose only row is its membership of one group, is represented by
    # that group: holding it gives exactly the group's reach, so every verdict is the same without it
    holds: dict[str, list[Relation]] = {}
    for r in kept:
        holds.setdefault(r.holder, []).append(r)
    targeted = {r.target for r in kept}
    represented = {
        p for p, rs in holds.items()
        if col.objects[p].type in ("user", "group") and p not in anchors and p not in tier_zero
        and p not in targeted and len(rs) == 1 and rs[0].relation.startswith("MemberOf")
    }
    if represented:
        kept = [r for r in kept if r.holder not in represented]
        in_rows = {r.target for r in kept} | {r.holder for r in kept}
        names = sorted(col.objects[p].name for p in represented)
        more = f" and {len(names) - _OUT_OF_SCOPE_SHOWN} more" if len(names) > _OUT_OF_SCOPE_SHOWN else ""
        draft.ignored.add(f"represented by their only group ({len(names)} principals that nothing leads to and whose"
                          " only right is membership of one group: holding one gives exactly that group's reach,"
                          f" so no verdict changes without them): {', '.join(names[:_OUT_OF_SCOPE_SHOWN])}{more}")

    source = {"computer": f"{FMT}:computers", "user": f"{FMT}:users", "group": f"{FMT}:groups",
              "domain": f"{FMT}:domains"}
    for sid in sorted(col.objects, key=lambda s: ids[s]):
        obj = col.objects[sid]
        if sid in matched:
            draft.mapped.add(f"{obj.type} {obj.name} -> existing component `{matched[sid]}` (matched by id or name)")
            src = source[obj.type] if source[obj.type] in draft.sources else draft.sources[0]
            draft.component(matched[sid], inv.kinds[matched[sid]], src, object_id=sid)
            continue
        wanted = sid in anchors or sid in in_rows
        if not wanted:
            continue
        src = source[obj.type] if source[obj.type] in draft.sources else draft.sources[0]
        notes = f"{obj.type} {sid} in the directory"
        if sid in tier_zero:
            notes += "; Tier Zero"
        draft.component(ids[sid], _NEW_KIND[obj.type], src, name=obj.name, notes=notes, object_id=sid)
    counts: dict[str, int] = {}
    for r in sorted(kept, key=lambda r: (ids[r.target], ids[r.holder], r.relation)):
        key = (ids[r.target], ids[r.holder], "\x00admin")
        row = draft.dependencies.get(key)
        note = r.relation
        if row is None:
            src = f"{FMT}:{r.source}" if f"{FMT}:{r.source}" in draft.sources else draft.sources[0]
            draft.depend(ids[r.target], ids[r.holder], "admin", src, notes=DIRECTORY_NOTE + note)
        else:
            parts = row["notes"][len(DIRECTORY_NOTE):].split("; ")
            if note not in parts:
                row["notes"] = DIRECTORY_NOTE + "; ".join(sorted(parts + [note]))
            src = f"{FMT}:{r.source}"
            draft.depend(ids[r.target], ids[r.holder], "admin", src if src in draft.sources else draft.sources[0])
        counts[r.rule] = counts.get(r.rule, 0) + 1
    for r in kept:
        if col.objects[r.target].type == "computer" and col.objects[r.holder].type == "computer":
            draft.seen.add(f"computer account {col.objects[r.holder].name} controls computer {col.objects[r.target].name}"
                           f" ({r.relation}): written as `{ids[r.target]}` on `{ids[r.holder]}`, but the credential"
                           " closure does not pass from one computer to another; model who can take the first"
                           " computer over with its own `admin` rows if this path matters")
    for rule, n in sorted(counts.items()):
        draft.mapped.add(f"{rule}: {n} directory relation(s) -> `admin` rows")
    for where, typ, n in col.files:
        draft.mapped.add(f"read `{where}` ({typ}, {n} record{'' if n == 1 else 's'})")

    # skipped: unresolved SIDs and out-of-scope principals
    for sid in sorted(col.unresolved):
        wk = _well_known_name(sid)
        refs = sorted(col.unresolved[sid])
        shown = ", ".join(refs[:3]) + (f" and {len(refs) - 3} more" if len(refs) > 3 else "")
        draft.ignored.add(f"unresolved SID `{sid}`{f' (well-known: {wk})' if wk else ''}: not in the collection,"
                          f" not guessed; named by {shown}")
    out_of_scope = sorted(
        col.objects[s].name for s in {r.holder for r in relations} | {r.target for r in relations}
        if s not in in_rows and s not in matched and col.objects[s].type in ("user", "group", "computer")
        and s not in anchors and s not in represented
    )
    if out_of_scope:
        shown = ", ".join(out_of_scope[:_OUT_OF_SCOPE_SHOWN])
        more = f" and {len(out_of_scope) - _OUT_OF_SCOPE_SHOWN} more" if len(out_of_scope) > _OUT_OF_SCOPE_SHOWN else ""
        draft.ignored.add(f"out of scope ({len(out_of_scope)} principals and computers with directory rights but no path"
                          f" to a component of the inventory or to the domain): {shown}{more}")
    draft.ignored |= col.ignored
    for sid in sorted(col.uncollected):
        if sid in matched or ids.get(sid) in draft.components:
            what = ", ".join(sorted(col.uncollected[sid]))
            draft.todo.add(f"{col.objects[sid].name} (`{ids[sid]}`): the collection has no {what} for it (not collected):"
                           " paths through it may be missing; collect it again with local admin and session"
                           " collection, or add the `admin` rows by hand")
    draft.todo.add("give the components the directory matched their real kind (backup server, backup store, key"
                   " server, hypervisor) if they are new, and rows for what runs on them")
    names = sorted(col.objects[d].name for d in domains)
    draft.name = ", ".join(names) + " directory" if names else ""
    zero = tuple(sorted(ids[s] for s in tier_zero if ids[s] in draft.components or s in matched))
    draft.after_merge = lambda out_dir: tier_zero_section(out_dir, zero)
    return draft


def _well_known_name(sid: str) -> str:
    bare = sid.split("-", 1)[1] if not sid.startswith("S-") and "-S-" in sid else sid
    if not bare.startswith("S-"):
        bare = sid[sid.find("S-"):] if "S-" in sid else sid
    return _WELL_KNOWN.get(bare, "")


#: Component kinds that are backup infrastructure in their own right.
BACKUP_KINDS = frozenset({"backup", "backup_store", "recovery_tool", "kms"})


def tier_zero_section(out_dir: str, tier_zero: tuple[str, ...]) -> list[str]:
    """Report lines: the Tier Zero principals whose compromise destroys backup infrastructure.

    Read on the merged inventory as written (``out_dir``) with the ``credential_compromise``
    closure itself, so the lines are exactly what the analysis will find. Backup
    infrastructure is every component of a :data:`BACKUP_KINDS` kind and every component a
    backup has a plain or grouped row on (its store, tool, keys, host).
    """
    from hiddenspof import coupling
    from hiddenspof.errors import InventoryError
    from hiddenspof.inventory import load
    from hiddenspof.model import build

    lines = ["", "## Tier Zero principals with a path to backup infrastructure", "",
             "Tier Zero: the domain, its well-known administrative groups (Domain Admins, Enterprise Admins,"
             " Administrators, Account Operators, Backup Operators), their members and whoever controls the domain"
             " object. Backup infrastructure: every backup, backup store, recovery tool and key store, and what a"
             " backup needs. Each line is the `credential_compromise` closure of holding the principal, on the"
             " merged inventory.", ""]
    try:
        model = build(load(out_dir))
    except InventoryError as err:
        return lines + [f"- not computed: the merged inventory has {len(err.problems)} problem(s);"
                        " run `hiddenspof validate` on it, fix them and import again"]
    infra = {c for c in model.ids if model.kind[c] in BACKUP_KINDS}
    infra |= {t for b in model.backup for t in model.dependencies_of(b)}
    if not infra:
        return lines + ["- no backup infrastructure in the inventory yet: merge the collection into the estate"
                        " (`--into`) to see these paths"]
    found = []
    for k in tier_zero:
        if k not in model.kind or model.kind[k] not in coupling.ESCALATION_KINDS:
            continue
        attack = coupling.credential_compromise(model, k)
        hit = sorted(attack.destroyed & infra)
        if not hit:
            continue
        names = ", ".join(f"`{c}`" for c in hit[:6]) + (f" and {len(hit) - 6} more" if len(hit) > 6 else "")
        found.append(f"- `{k}` destroys {names}: {attack.explain(hit[0])}")
    return lines + (found or ["- none: no Tier Zero principal of the collection reaches backup infrastructure"])
