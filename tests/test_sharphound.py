"""The directory import (SharpHound / BloodHound CE collections) and the OpenGraph export."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest
from hiddenspof.cli import main
from hiddenspof.coupling import credential_compromise
from hiddenspof.importers import ImportSourceError, build_draft, run
from hiddenspof.inventory import load
from hiddenspof.model import build
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "bloodhound"
DOM = "S-1-5-21-1-2-3"
D = "CORP.LOCAL"


def sid(rid: int | str) -> str:
    return f"{DOM}-{rid}"


def computer(name: str, rid: int, *, admins=(), sessions=(), privileged=(), aces=(), old_form=False) -> dict:
    rec = {"ObjectIdentifier": sid(rid), "Properties": {"name": f"{name}.{D}", "domain": D, "domainsid": DOM},
           "Aces": [ace(*a) for a in aces], "IsDeleted": False}
    members = [{"ObjectIdentifier": m, "ObjectType": "User"} for m in admins]
    if old_form:
        rec["LocalAdmins"] = {"Results": members, "Collected": True, "FailureReason": None}
    else:
        rec["LocalGroups"] = [{"Name": f"ADMINISTRATORS@{name}.{D}", "ObjectIdentifier": f"{sid(rid)}-544",
                               "Results": members, "Collected": True},
                              {"Name": f"REMOTE DESKTOP USERS@{name}.{D}", "ObjectIdentifier": f"{sid(rid)}-555",
                               "Results": [{"ObjectIdentifier": sid(9999), "ObjectType": "User"}], "Collected": True}]
    rec["Sessions"] = {"Results": [{"UserSID": u, "ComputerSID": sid(rid)} for u in sessions], "Collected": True}
    rec["PrivilegedSessions"] = {"Results": [{"UserSID": u, "ComputerSID": sid(rid)} for u in privileged],
                                 "Collected": True}
    return rec


def ace(principal: str, right: str, inherited: bool = False) -> dict:
    return {"PrincipalSID": principal, "PrincipalType": "User", "RightName": right, "IsInherited": inherited}


def user(name: str, rid: int, aces=()) -> dict:
    return {"ObjectIdentifier": sid(rid), "Properties": {"name": f"{name}@{D}", "domain": D, "domainsid": DOM},
            "Aces": [ace(*a) for a in aces]}


def group(name: str, rid: int | str, members=(), aces=()) -> dict:
    return {"ObjectIdentifier": rid if isinstance(rid, str) and rid.startswith(("S-", D)) else sid(rid),
            "Properties": {"name": f"{name}@{D}", "domain": D, "domainsid": DOM},
            "Members": [{"ObjectIdentifier": m, "ObjectType": "User"} for m in members],
            "Aces": [ace(*a) for a in aces]}


def domain(aces=()) -> dict:
    return {"ObjectIdentifier": DOM, "Properties": {"name": D, "domain": D, "domainsid": DOM},
            "Aces": [ace(*a) for a in aces], "Trusts": []}


def write(folder: Path, **tables: list) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for kind, data in tables.items():
        path = folder / f"20260101_{kind}.json"
        path.write_text(json.dumps({"meta": {"type": kind, "version": 6, "count": len(data), "methods": 0},
                                    "data": data}, indent=2), encoding="utf-8")
        out.append(str(path))
    return out


def rows(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def append(path: Path, **row: str) -> None:
    """Add one row to a CSV table by column name (a hand edit)."""
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    with open(path, "a", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerow([row.get(c, "") for c in header])


def admin_rows(draft) -> dict[tuple[str, str], str]:
    return {(r["component"], r["depends_on"]): r.get("notes", "") for r in draft.dependencies.values()}


def estate(folder: Path, *, with_asset_host: bool = True) -> Path:
    """A small estate: app01 backed up to a repository on the domain-joined server backup01."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "inventory.yaml").write_text("name: Small estate\nas_of: 2026-11-30\n", encoding="utf-8")
    (folder / "components.csv").write_text(
        "id,name,kind,tier,notes\n"
        "app01,APP01,service,1,the order system\n"
        "backup01,Backup01,backup_store,,Veeam repository on a Windows server joined to the domain\n",
        encoding="utf-8")
    (folder / "dependencies.csv").write_text("component,depends_on,kind,group,needs,notes\n"
                                             "bk-app,backup01,storage,,,\n", encoding="utf-8")
    (folder / "backups.csv").write_text("id,protects,method\nbk-app,app01,image\n", encoding="utf-8")
    return folder


# ----------------------------------------------------------------------------- each mapping rule


def test_domain_becomes_identity_and_computer_service(tmp_path):
    srcs = write(tmp_path / "c", domains=[domain()], computers=[computer("WIN10", 1104)])
    d = build_draft("sharphound", srcs)
    assert d.components["corp.local"]["kind"] == "identity"
    assert d.components["corp.local"]["name"] == D
    assert d.components["win10.corp.local"]["kind"] == "service"
    assert d.components["win10.corp.local"]["object_id"] == sid(1104)


def test_local_administrators_map_to_admin_row_computer_on_principal(tmp_path):
    srcs = write(tmp_path / "c", domains=[domain()], users=[user("BOB", 1102)],
                 computers=[computer("WIN10", 1104, admins=[sid(1102)])])
    d = build_draft("sharphound", srcs)
    rows_ = admin_rows(d)
    assert rows_[("win10.corp.local", "bob@corp.local")] == "directory: AdminTo (LocalGroups)"
    assert d.components["bob@corp.local"] == {**d.components["bob@corp.local"], "kind": "credentials",
                                              "name": f"BOB@{D}"}
    assert all(r["kind"] == "admin" for r in d.dependencies.values())
    # Remote Desktop Users are not administrators: their member is never read
    assert sid(9999) not in " ".join(d.ignored)


def test_older_local_admins_form(tmp_path):
    srcs = write(tmp_path / "c", domains=[domain()], users=[user("BOB", 1102)],
                 computers=[computer("WIN10", 1104, admins=[sid(1102)], old_form=True)])
    assert admin_rows(build_draft("sharphound", srcs))[("win10.corp.local", "bob@corp.local")] == \
        "directory: AdminTo (LocalAdmins)"


@pytest.mark.parametrize("right", sorted(["GenericAll", "Owns", "WriteDacl", "WriteOwner", "GenericWrite",
                                          "AllExtendedRights", "AddAllowedToAct"]))
def test_control_right_on_computer(tmp_path, right):
    srcs = write(tmp_path / "c", domains=[domain()], users=[user("BOB", 1102)],
                 computers=[computer("WIN10", 1104, aces=[(sid(1102), right)])])
    assert admin_rows(build_draft("sharphound", srcs))[("win10.corp.local", "bob@corp.local")] == \
        f"directory: {right} ACE"


@pytest.mark.parametrize("right", sorted(["GenericAll", "Owns", "WriteDacl", "WriteOwner", "GenericWrite",
                                          "ForceChangePassword", "AddMember", "AddSelf", "AllExtendedRights"]))
def test_control_right_on_user_or_group_gives_the_target(tmp_path, right):
    # helpdesk can reset ALICE, who administers WIN10: the row is ALICE on HELPDESK
    srcs = write(tmp_path / "c", domains=[domain()],
                 users=[user("ALICE", 1101, aces=[(sid(1103), right)]), user("HELPDESK", 1103)],
                 groups=[group("OPS", 1200, aces=[(sid(1103), right)])],
                 computers=[computer("WIN10", 1104, admins=[sid(1101), sid(1200)])])
    rows_ = admin_rows(build_draft("sharphound", srcs))
    assert rows_[("alice@corp.local", "helpdesk@corp.local")] == f"directory: {right} ACE"
    assert rows_[("ops@corp.local", "helpdesk@corp.local")] == f"directory: {right} ACE"


def test_rights_outside_the_table_are_reported_not_mapped(tmp_path):
    srcs = write(tmp_path / "c", domains=[domain()], users=[user("ALICE", 1101, aces=[(sid(1103), "ReadGMSAPassword")]),
                                                          user("HELPDESK", 1103)],
                 computers=[computer("WIN10", 1104, admins=[sid(1101)], aces=[(sid(1103), "ReadLAPSPassword")])])
    d = build_draft("sharphound", srcs)
    assert ("alice@corp.local", "helpdesk@corp.local") not in admin_rows(d)
    assert ("win10.corp.local", "helpdesk@corp.local") not in admin_rows(d)
    assert any("ReadLAPSPassword" in line for line in d.ignored)


def test_group_membership_gives_the_group(tmp_path):
    # ALICE is in two groups that administer different computers: holding her gives both
    srcs = write(tmp_path / "c", domains=[domain()], users=[user("ALICE", 1101)],
                 groups=[group("OPS", 1200, members=[sid(1101)]), group("DBA", 1201, members=[sid(1101)])],
                 computers=[computer("WIN10", 1104, admins=[sid(1200)]), computer("SQL1", 1105, admins=[sid(1201)])])
    rows_ = admin_rows(build_draft("sharphound", srcs))
    assert rows_[("ops@corp.local", "alice@corp.local")] == "directory: MemberOf"
    assert rows_[("dba@corp.local", "alice@corp.local")] == "directory: MemberOf"
    assert rows_[("win10.corp.local", "ops@corp.local")] == "directory: AdminTo (LocalGroups)"


def test_primary_group_is_a_membership(tmp_path):
    u = user("ALICE", 1101, aces=[(sid(1102), "ForceChangePassword")])
    u["PrimaryGroupSID"] = sid(1200)
    srcs = write(tmp_path / "c", domains=[domain()], users=[u, user("BOB", 1102)],
                 groups=[group("OPS", 1200)], computers=[computer("WIN10", 1104, admins=[sid(1200)])])
    assert admin_rows(build_draft("sharphound", srcs))[("ops@corp.local", "alice@corp.local")] == \
        "directory: MemberOf (primary group)"


def test_a_principal_whose_only_row_is_one_membership_is_represented_by_the_group(tmp_path):
    """CAROL is in OPS and nothing leads to her: she is left out, and putting her back changes no verdict."""
    inv = estate(tmp_path / "estate")
    srcs = write(tmp_path / "c", domains=[domain()], users=[user("CAROL", 1103), user("ALICE", 1101)],
                 groups=[group("OPS", 1200, members=[sid(1103), sid(1101)])],
                 computers=[computer("BACKUP01", 1110, admins=[sid(1200)]),
                            computer("APP01", 1130, admins=[sid(1200)], sessions=[sid(1101)])])
    out = tmp_path / "out"
    run("sharphound", srcs, str(out), into=str(inv))
    ids = {r["id"] for r in rows(out, "components")}
    assert "carol@corp.local" not in ids and "alice@corp.local" in ids   # ALICE has a session: a path runs through her
    report = (out / "import-report-sharphound.md").read_text()
    assert "represented by their only group (1 principals" in report and f"CAROL@{D}" in report
    from hiddenspof import analysis
    before = analysis.analyze(load(out))["assets"]
    append(out / "components.csv", id="carol@corp.local", name=f"CAROL@{D}", kind="credentials")
    append(out / "dependencies.csv", component="ops@corp.local", depends_on="carol@corp.local", kind="admin",
           notes="directory: MemberOf")
    assert "carol@corp.local" in {c for c in build(load(out)).ids}
    assert [a["threats"] for a in analysis.analyze(load(out))["assets"]] == [a["threats"] for a in before]


@pytest.mark.parametrize("where", ["Sessions", "PrivilegedSessions", "RegistrySessions", "sessions.json"])
def test_session_gives_the_user_to_whoever_holds_the_computer(tmp_path, where):
    comp = computer("WIN10", 1104)
    extra: dict = {}
    if where == "sessions.json":
        extra["sessions"] = [{"ComputerSID": sid(1104), "UserSID": sid(1101), "LogonType": 2}]
    else:
        comp[where] = {"Results": [{"UserSID": sid(1101), "ComputerSID": sid(1104)}], "Collected": True}
    srcs = write(tmp_path / "c", domains=[domain()], users=[user("ALICE", 1101)],
                 groups=[group("DOMAIN ADMINS", 512, members=[sid(1101)])], computers=[comp], **extra)
    rows_ = admin_rows(build_draft("sharphound", srcs))
    label = "sessions" if where == "sessions.json" else where
    assert rows_[("alice@corp.local", "win10.corp.local")] == f"directory: HasSession ({label})"


@pytest.mark.parametrize("right", ["GenericAll", "WriteDacl", "Owns"])
def test_control_of_the_domain(tmp_path, right):
    srcs = write(tmp_path / "c", domains=[domain(aces=[(sid(1101), right)])], users=[user("ALICE", 1101)])
    assert admin_rows(build_draft("sharphound", srcs))[("corp.local", "alice@corp.local")] == \
        f"directory: {right} ACE"


def test_replication_needs_both_rights_directly_or_through_groups(tmp_path):
    srcs = write(tmp_path / "c",
                 domains=[domain(aces=[(sid(1101), "GetChanges"), (sid(1101), "GetChangesAll"),
                                       (sid(1102), "GetChanges"), (sid(1300), "GetChanges"),
                                       (sid(1301), "GetChangesAll")])],
                 users=[user("DIRECT", 1101), user("HALF", 1102), user("BOTHGROUPS", 1103)],
                 groups=[group("GC", 1300, members=[sid(1103)]), group("GCA", 1301, members=[sid(1103)])])
    rows_ = admin_rows(build_draft("sharphound", srcs))
    assert rows_[("corp.local", "direct@corp.local")] == "directory: DCSync (GetChanges + GetChangesAll ACEs)"
    assert rows_[("corp.local", "bothgroups@corp.local")].startswith("directory: DCSync")
    assert ("corp.local", "half@corp.local") not in rows_
    assert ("corp.local", "gc@corp.local") not in rows_


def test_well_known_groups_keep_their_meaning_even_when_absent_from_groups(tmp_path):
    # Domain Admins (-512) is named only as a local administrator; Backup Operators only in an ACE
    srcs = write(tmp_path / "c", domains=[domain()], users=[user("ALICE", 1101)],
                 computers=[computer("WIN10", 1104, admins=[sid(512)],
                                     aces=[(f"{D}-S-1-5-32-551", "GenericAll")])])
    d = build_draft("sharphound", srcs)
    rows_ = admin_rows(d)
    assert d.components["domain-admins@corp.local"]["name"] == f"DOMAIN ADMINS@{D}"
    assert rows_[("corp.local", "domain-admins@corp.local")].startswith("directory: Tier Zero")
    assert rows_[("domain-admins@corp.local", "corp.local")].startswith("directory: Tier Zero")
    assert rows_[("win10.corp.local", "backup-operators@corp.local")] == "directory: GenericAll ACE"
    # a machine's own local Administrators group (computer SID + -544) is not the domain's
    assert not any(c.endswith(f"{sid(1104)}-544") for c in d.components)


def test_unresolved_sids_are_reported_not_guessed(tmp_path):
    srcs = write(tmp_path / "c", domains=[domain()], computers=[computer("WIN10", 1104, admins=[sid(4242)])])
    d = build_draft("sharphound", srcs)
    assert not any("4242" in c for c in d.components)
    assert any(sid(4242) in line and "unresolved" in line for line in d.ignored)
    assert ("win10.corp.local", sid(4242).lower()) not in admin_rows(d)


def test_principals_without_a_path_are_out_of_scope(tmp_path):
    # LONER can reset NOBODY, who administers nothing: neither is kept
    srcs = write(tmp_path / "c", domains=[domain()],
                 users=[user("NOBODY", 1101, aces=[(sid(1102), "ForceChangePassword")]), user("LONER", 1102)],
                 computers=[computer("WIN10", 1104)])
    d = build_draft("sharphound", srcs)
    assert "nobody@corp.local" not in d.components and "loner@corp.local" not in d.components
    assert any("out of scope" in line and f"NOBODY@{D}" in line for line in d.ignored)


def test_collection_zip_reads_like_loose_files(tmp_path):
    srcs = write(tmp_path / "c", domains=[domain()], users=[user("BOB", 1102)],
                 computers=[computer("WIN10", 1104, admins=[sid(1102)])])
    zpath = tmp_path / "20260101_BloodHound.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for s in srcs:
            zf.write(s, Path(s).name)
    loose, zipped = build_draft("sharphound", srcs), build_draft("sharphound", [str(zpath)])
    assert loose.components == zipped.components and loose.dependencies == zipped.dependencies


# ----------------------------------------------------------------------------------- merging


def test_merge_matches_short_name_and_fqdn_case_insensitively(tmp_path):
    inv = estate(tmp_path / "estate")
    (inv / "components.csv").write_text(
        (inv / "components.csv").read_text() + "app02,App02.Corp.Local,service,,\n", encoding="utf-8")
    srcs = write(tmp_path / "c", domains=[domain()], users=[user("BOB", 1102)],
                 computers=[computer("BACKUP01", 1110, admins=[sid(1102)]), computer("APP02", 1111, admins=[sid(1102)]),
                            computer("LAPTOP7", 1112)])
    d = build_draft("sharphound", srcs, existing=str(inv))
    rows_ = admin_rows(d)
    assert ("backup01", "bob@corp.local") in rows_       # short name BACKUP01 = id backup01
    assert ("app02", "bob@corp.local") in rows_          # FQDN = name App02.Corp.Local
    assert "backup01.corp.local" not in d.components and "app02.corp.local" not in d.components
    assert d.components["backup01"]["kind"] == "backup_store"  # its kind is the analyst's
    assert "laptop7.corp.local" not in d.components      # no path to the estate or the domain


def test_hand_edits_survive_a_second_import(tmp_path):
    inv = estate(tmp_path / "estate")
    srcs = write(tmp_path / "c", domains=[domain()], users=[user("BOB", 1102), user("ALICE", 1101)],
                 groups=[group("DOMAIN ADMINS", 512, members=[sid(1101)])],
                 computers=[computer("BACKUP01", 1110, admins=[sid(512)]),
                            computer("SRV02", 1120, admins=[sid(1102)], privileged=[sid(1101)])])
    out = tmp_path / "out"
    run("sharphound", srcs, str(out), into=str(inv))
    comps = rows(out, "components")
    srv = next(r for r in comps if r["id"] == "srv02.corp.local")
    assert srv["kind"] == "service"
    # the analyst says what SRV02 is and annotates a row
    text = (out / "components.csv").read_text().replace("srv02.corp.local,SRV02.CORP.LOCAL,service",
                                                        "srv02.corp.local,SRV02.CORP.LOCAL,recovery_tool")
    (out / "components.csv").write_text(text)
    deps = (out / "dependencies.csv").read_text()
    assert "srv02.corp.local,bob@corp.local,admin,,,directory: AdminTo (LocalGroups)" in deps
    (out / "dependencies.csv").write_text(deps.replace(
        "srv02.corp.local,bob@corp.local,admin,,,directory: AdminTo (LocalGroups)",
        "srv02.corp.local,bob@corp.local,admin,,,directory: AdminTo (LocalGroups) - Bob is the night operator"))
    (out / "dependencies.csv").write_text((out / "dependencies.csv").read_text() + "app01,backup01,admin,,,hand row\n")
    run("sharphound", srcs, str(out))
    comps = {r["id"]: r for r in rows(out, "components")}
    assert comps["srv02.corp.local"]["kind"] == "recovery_tool"
    assert comps["app01"]["notes"] == "the order system"
    deps = (out / "dependencies.csv").read_text()
    assert "Bob is the night operator" in deps and "app01,backup01,admin,,,hand row" in deps
    assert deps.count("srv02.corp.local,bob@corp.local,admin") == 1
    load(out)


# ----------------------------------------------------------------------------- the known answer


def test_known_answer_local_admin_to_domain_admin_session_destroys_the_backups(tmp_path):
    """BOB administers SRV02, where ALICE (Domain Admins) has a session; Domain Admins administer
    BACKUP01 (the domain-joined repository) and APP01: holding BOB leaves app01 unrecoverable."""
    inv = estate(tmp_path / "estate")
    srcs = write(tmp_path / "c", domains=[domain()], users=[user("BOB", 1102), user("ALICE", 1101)],
                 groups=[group("DOMAIN ADMINS", 512, members=[sid(1101)])],
                 computers=[computer("BACKUP01", 1110, admins=[sid(512)]), computer("APP01", 1130, admins=[sid(512)]),
                            computer("SRV02", 1120, admins=[sid(1102)], privileged=[sid(1101)])])
    out = tmp_path / "out"
    run("sharphound", srcs, str(out), into=str(inv))
    model = build(load(out))
    attack = credential_compromise(model, "bob@corp.local")
    assert {"srv02.corp.local", "backup01", "app01"} <= attack.destroyed
    assert "app01" in model.recover(attack.destroyed).unrecoverable
    path = attack.explain("backup01")
    assert path == (
        "holding `bob@corp.local` -> destroys `srv02.corp.local` (admin row: srv02.corp.local on bob@corp.local;"
        " directory: AdminTo (LocalGroups)) -> reads `alice@corp.local` stored on `srv02.corp.local` (admin row:"
        " alice@corp.local on srv02.corp.local; directory: HasSession (PrivilegedSessions)) -> resets"
        " `domain-admins@corp.local` (admin row: domain-admins@corp.local on alice@corp.local; directory: MemberOf)"
        " -> destroys `backup01` (admin row: backup01 on domain-admins@corp.local; directory: AdminTo (LocalGroups))"
    )
    # the analysis says so, with the path in the finding's evidence
    from hiddenspof import analysis
    result = analysis.analyze(load(out))
    doc = result if isinstance(result, dict) else result.to_json() if hasattr(result, "to_json") else result
    text = json.dumps(doc, default=str) if not isinstance(doc, str) else doc
    data = json.loads(text)
    app = next(a for a in data["assets"] if a["id"] == "app01")
    assert app["threats"]["credential_compromise"] == "unrecoverable"
    evidence = " ".join(f["evidence"] for f in data["findings"] if "app01" in f["assets"]
                        and f["id"].startswith("coupling:threat:credential_compromise"))
    assert "directory: HasSession (PrivilegedSessions)" in evidence
    # the import report names the Tier Zero principal with a path to the backups
    report = (out / "import-report-sharphound.md").read_text()
    tier_zero = report.split("## Tier Zero principals with a path to backup infrastructure", 1)[1]
    assert "- `domain-admins@corp.local` destroys `backup01`: holding `domain-admins@corp.local` -> destroys" in tier_zero
    assert "`alice@corp.local` destroys" in tier_zero


# ------------------------------------------------------------------------------ bad input


def test_malformed_record_is_refused_naming_file_and_record(tmp_path):
    srcs = write(tmp_path / "c", domains=[domain()],
                 computers=[computer("WIN10", 1104), {"ObjectIdentifier": sid(1105), "Properties": {"name": 7}}])
    out = tmp_path / "out"
    with pytest.raises(ImportSourceError) as err:
        run("sharphound", srcs, str(out))
    assert "20260101_computers.json: record data[1]: Properties.name: value 7" in str(err.value)
    assert not out.exists()


def test_truncated_file_is_refused_naming_the_record(tmp_path):
    srcs = write(tmp_path / "c", computers=[computer("WIN10", 1104), computer("SRV02", 1120)])
    text = Path(srcs[0]).read_text()
    Path(srcs[0]).write_text(text[: text.index("SRV02") + 10])
    inv = estate(tmp_path / "estate")
    before = {p.name: p.read_bytes() for p in inv.iterdir()}
    with pytest.raises(ImportSourceError) as err:
        run("sharphound", srcs, str(inv))
    assert "20260101_computers.json" in str(err.value) and "record data[1]" in str(err.value)
    assert {p.name: p.read_bytes() for p in inv.iterdir()} == before


def test_cli_refuses_without_traceback(tmp_path, capsys):
    bad = tmp_path / "users.json"
    bad.write_text('{"meta": {"type": "users", "version": 6}, "data": {"oops": 1}}')
    assert main(["import", "sharphound", str(bad), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "users.json" in err and "expected a list of records" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
                     max_leaves=12)
_keys = st.sampled_from(["ObjectIdentifier", "Properties", "Aces", "Members", "LocalGroups", "LocalAdmins",
                         "Sessions", "PrivilegedSessions", "RegistrySessions", "Trusts", "UserSID", "ComputerSID"])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["computers", "users", "groups", "domains", "sessions"]),
       mutations=st.lists(st.tuples(_keys, _json), max_size=3), cut=st.integers(min_value=0, max_value=4000),
       truncate=st.booleans())
def test_fuzzed_collections_import_or_are_refused_cleanly(tmp_path, kind, mutations, cut, truncate):
    """Any damage to a record or the file: a clean ImportSourceError naming the file, or a valid import."""
    base = {"computers": computer("WIN10", 1104, admins=[sid(1102)], privileged=[sid(1101)]),
            "users": user("BOB", 1102, aces=[(sid(1101), "GenericAll")]),
            "groups": group("DOMAIN ADMINS", 512, members=[sid(1101)]),
            "domains": domain(aces=[(sid(1101), "GenericAll")]),
            "sessions": {"ComputerSID": sid(1104), "UserSID": sid(1101), "LogonType": 2}}[kind]
    rec = json.loads(json.dumps(base))
    for key, value in mutations:
        rec[key] = value
    folder = tmp_path / f"f{abs(hash((kind, cut, truncate, repr(mutations))))}"
    srcs = write(folder, **{kind: [rec]})
    if truncate:
        text = Path(srcs[0]).read_text()
        Path(srcs[0]).write_text(text[: cut % max(len(text), 1)])
    out = folder / "out"
    try:
        run("sharphound", srcs, str(out))
    except ImportSourceError as err:
        assert Path(srcs[0]).name in str(err) or "no SharpHound JSON" in str(err)
        assert not out.exists()
    else:
        load(out)


# ---------------------------------------------------------------------------- real collection


def test_bloodhound_test_domain_imports():
    if not SHARED.is_dir():
        pytest.skip("shared fixtures not beside the clone")
    d = build_draft("sharphound", sorted(str(p) for p in SHARED.glob("*.json")))
    rows_ = admin_rows(d)
    assert d.components["testlab.local"]["kind"] == "identity"
    assert d.components["win10.testlab.local"]["kind"] == "service"
    # WIN10's local Administrators: Domain Admins and DFM; DFM and ADMINISTRATOR have sessions on it
    assert rows_[("win10.testlab.local", "domain-admins@testlab.local")].startswith("directory: AdminTo (LocalGroups)")
    assert rows_[("win10.testlab.local", "dfm@testlab.local")] == "directory: AdminTo (LocalGroups)"
    assert rows_[("dfm@testlab.local", "win10.testlab.local")] == "directory: HasSession (Sessions)"
    assert rows_[("administrator@testlab.local", "win10.testlab.local")] == "directory: HasSession (Sessions)"
    # DCSYNCDIRECT replicates directly; DCSYNCDELEGATIONTEST through its two groups
    assert rows_[("testlab.local", "dcsyncdirect@testlab.local")].startswith("directory: DCSync")
    assert "through group membership" in rows_[("testlab.local", "dcsyncdelegationtest@testlab.local")]
    assert rows_[("domain-admins@testlab.local", "admin@testlab.local")] == "directory: MemberOf"
    assert rows_[("primary.testlab.local", "addallowedtoacttest@testlab.local")] == "directory: AddAllowedToAct ACE"
    # the privileged and registry sessions name users the collection does not have
    assert any("2417379446-1107" in line and "unresolved" in line for line in d.ignored)
    assert all(r["kind"] == "admin" for r in d.dependencies.values())


def test_bloodhound_test_domain_merged_into_a_small_estate(tmp_path):
    if not SHARED.is_dir():
        pytest.skip("shared fixtures not beside the clone")
    inv = estate(tmp_path / "estate")
    text = (inv / "components.csv").read_text().replace("backup01,Backup01,backup_store", "win10,WIN10,backup_store")
    (inv / "components.csv").write_text(text)
    (inv / "dependencies.csv").write_text((inv / "dependencies.csv").read_text().replace("backup01", "win10"))
    out = tmp_path / "out"
    run("sharphound", sorted(str(p) for p in SHARED.glob("*.json")), str(out), into=str(inv))
    model = build(load(out))
    attack = credential_compromise(model, "dfm@testlab.local")
    assert "win10" in attack.destroyed
    assert "directory: AdminTo (LocalGroups)" in attack.explain("win10")


# ------------------------------------------------------------------------------- OpenGraph

#: The OpenGraph ingest shape BloodHound CE documents and checks at upload (its node, edge and
#: metadata schemas, restated here): nodes need an ``id`` and up to three ``kinds``; edges need
#: ``start``, ``end``, a ``kind`` of letters, digits and underscores, and a ``properties`` map
#: (or null); an endpoint matches by ``id`` (default), ``name`` or ``property``; property values
#: are primitives or homogeneous arrays of primitives, under lower-case names.
OPENGRAPH_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["graph"],
    "properties": {
        "metadata": {"type": "object", "additionalProperties": False,
                     "properties": {"source_kind": {"type": ["string", "null"]}}},
        "graph": {
            "type": "object", "required": ["nodes", "edges"],
            "properties": {
                "nodes": {"type": "array", "items": {
                    "type": "object", "required": ["id", "kinds"],
                    "properties": {
                        "id": {"type": "string", "minLength": 1},
                        "kinds": {"type": "array", "minItems": 1, "maxItems": 3, "items": {"type": "string"}},
                        "properties": {"$ref": "#/$defs/property_map"}}}},
                "edges": {"type": "array", "items": {
                    "type": "object", "required": ["start", "end", "kind", "properties"],
                    "properties": {
                        "kind": {"type": "string", "pattern": "^[A-Za-z0-9_]+$"},
                        "start": {"$ref": "#/$defs/endpoint"}, "end": {"$ref": "#/$defs/endpoint"},
                        "properties": {"$ref": "#/$defs/property_map"}}}},
            }},
    },
    "$defs": {
        "endpoint": {
            "type": "object",
            "properties": {"match_by": {"enum": ["id", "name", "property"]}, "value": {"type": "string"},
                           "kind": {"type": "string"},
                           "property_matchers": {"type": "array", "items": {
                               "type": "object", "required": ["key", "operator", "value"],
                               "properties": {"key": {"type": "string"}, "operator": {"enum": ["equals"]},
                                              "value": {"type": ["string", "number", "boolean"]}}}}},
            "if": {"required": ["match_by"], "properties": {"match_by": {"const": "property"}}},
            "then": {"required": ["property_matchers"], "not": {"required": ["value"]}},
            "else": {"required": ["value"], "not": {"required": ["property_matchers"]}}},
        "property_map": {
            "type": ["object", "null"], "propertyNames": {"pattern": "^[a-z0-9_]+$"},
            "additionalProperties": {"anyOf": [
                {"type": ["string", "number", "boolean"]},
                {"type": "array", "items": {"type": "string"}},
                {"type": "array", "items": {"type": "number"}},
                {"type": "array", "items": {"type": "boolean"}}]}},
    },
}


def test_opengraph_schema_rejects_what_bloodhound_rejects():
    """The schema is not vacuous: each documented rule refuses a document that breaks it."""
    jsonschema = pytest.importorskip("jsonschema")
    node = {"id": "n1", "kinds": ["HSBackup"], "properties": {"name": "x"}}
    edge = {"kind": "HSStoredOn", "start": {"value": "n1", "match_by": "id"}, "end": {"value": "n1"},
            "properties": {}}
    good = {"metadata": {"source_kind": "HiddenSPOF"}, "graph": {"nodes": [node], "edges": [edge]}}
    jsonschema.validate(good, OPENGRAPH_SCHEMA)
    bad = [
        {"graph": {"nodes": [{**node, "kinds": ["A", "B", "C", "D"]}], "edges": []}},
        {"graph": {"nodes": [{**node, "properties": {"nested": {"a": 1}}}], "edges": []}},
        {"graph": {"nodes": [{**node, "properties": {"mixed": ["a", 1]}}], "edges": []}},
        {"graph": {"nodes": [{**node, "properties": {"Name": "x"}}], "edges": []}},
        {"graph": {"nodes": [], "edges": [{**edge, "kind": "HS-StoredOn"}]}},
        {"graph": {"nodes": [], "edges": [{k: v for k, v in edge.items() if k != "properties"}]}},
        {"graph": {"nodes": [], "edges": [{**edge, "start": {"match_by": "id"}}]}},
        {"metadata": {"source_kind": "x", "other": 1}, "graph": {"nodes": [], "edges": []}},
    ]
    for doc in bad:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(doc, OPENGRAPH_SCHEMA)


def test_opengraph_export_validates_and_carries_the_attack_path(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    inv = estate(tmp_path / "estate")
    srcs = write(tmp_path / "c", domains=[domain()], users=[user("BOB", 1102), user("ALICE", 1101)],
                 groups=[group("DOMAIN ADMINS", 512, members=[sid(1101)])],
                 computers=[computer("BACKUP01", 1110, admins=[sid(512)]), computer("APP01", 1130, admins=[sid(512)]),
                            computer("SRV02", 1120, admins=[sid(1102)], privileged=[sid(1101)])])
    out = tmp_path / "out"
    run("sharphound", srcs, str(out), into=str(inv))
    target = tmp_path / "graph.json"
    assert main(["export", "opengraph", str(out), str(target)]) == 0
    doc = json.loads(target.read_text())
    jsonschema.validate(doc, OPENGRAPH_SCHEMA)
    assert doc["metadata"]["source_kind"] == "HiddenSPOF"
    ids = {n["id"] for n in doc["graph"]["nodes"]}
    assert all(e["start"]["value"] in ids and e["end"]["value"] in ids for e in doc["graph"]["edges"])
    by_id = {n["properties"]["hs_id"]: n for n in doc["graph"]["nodes"]}
    # directory objects keep their SID, so BloodHound puts our kinds on its own node
    assert by_id["bob@corp.local"]["id"] == sid(1102)
    assert by_id["backup01"]["id"] == sid(1110) and by_id["backup01"]["kinds"] == ["HSBackupStore"]
    assert by_id["app01"]["kinds"] == ["HSService", "HSAsset"]
    assert by_id["app01"]["properties"]["hs_credential_compromise"] == "unrecoverable"
    edges = {(e["kind"], e["start"]["value"], e["end"]["value"]): e for e in doc["graph"]["edges"]}
    assert ("HSRestoresFrom", sid(1130), "hiddenspof:bk-app") in edges
    assert ("HSStoredOn", "hiddenspof:bk-app", sid(1110)) in edges
    assert edges[("HSAdministers", sid(1102), sid(1120))]["properties"]["hs_directory"] == "AdminTo (LocalGroups)"
    assert ("HSAdministers", sid(1120), sid(1101)) in edges   # the session: holding SRV02 gives ALICE
    assert ("HSAdministers", sid(512), sid(1110)) in edges
    # each asset's verdict is the analysis JSON's
    from hiddenspof import analysis
    verdicts = {a["id"]: a["threats"]["credential_compromise"] for a in analysis.analyze(load(out))["assets"]}
    assert {n["properties"]["hs_id"]: n["properties"]["hs_credential_compromise"] for n in doc["graph"]["nodes"]
            if "hs_credential_compromise" in n["properties"]} == verdicts
    # repeatable
    again = tmp_path / "again.json"
    main(["export", "opengraph", str(out), str(again)])
    assert again.read_bytes() == target.read_bytes()


def test_helpdesk_resets_the_backup_service_account_the_analyst_modelled(tmp_path):
    """Principals match existing credentials: HELPDESK can reset VEEAM-SVC, which administers the
    backup server (a hand row): holding the helpdesk login destroys the repository."""
    inv = estate(tmp_path / "estate")
    (inv / "components.csv").write_text((inv / "components.csv").read_text()
                                        + "veeam-svc,Veeam service account,credentials,,\n"
                                        + "ad,corp,identity,,the directory\n")
    (inv / "dependencies.csv").write_text((inv / "dependencies.csv").read_text()
                                          + "backup01,veeam-svc,admin,,,runs the backup service\n")
    srcs = write(tmp_path / "c", domains=[domain()],
                 users=[user("VEEAM-SVC", 1150, aces=[(sid(1160), "ForceChangePassword")]), user("HELPDESK", 1160)])
    out = tmp_path / "out"
    run("sharphound", srcs, str(out), into=str(inv))
    comps = {r["id"]: r for r in rows(out, "components")}
    assert "veeam-svc@corp.local" not in comps and "corp.local" not in comps   # matched: veeam-svc, ad
    assert comps["veeam-svc"]["object_id"] == sid(1150) and comps["ad"]["object_id"] == DOM
    model = build(load(out))
    attack = credential_compromise(model, "helpdesk@corp.local")
    assert "backup01" in attack.destroyed
    assert attack.explain("backup01") == (
        "holding `helpdesk@corp.local` -> resets `veeam-svc` (admin row: veeam-svc on helpdesk@corp.local;"
        " directory: ForceChangePassword ACE) -> destroys `backup01` (admin row: backup01 on veeam-svc)")


def test_report_lists_mapped_skipped_and_what_was_not_collected(tmp_path):
    inv = estate(tmp_path / "estate")
    blind = computer("BACKUP01", 1110)
    del blind["LocalGroups"]
    blind["LocalAdmins"] = {"Results": [], "Collected": False, "FailureReason": "access denied"}
    srcs = write(tmp_path / "c", domains=[domain()],
                 users=[user("NOBODY", 1101, aces=[(sid(1102), "ForceChangePassword")]), user("LONER", 1102)],
                 computers=[blind, computer("APP01", 1130, admins=[sid(4242)])])
    out = tmp_path / "out"
    run("sharphound", srcs, str(out), into=str(inv))
    report = (out / "import-report-sharphound.md").read_text()
    mapped = report.split("## Mapped", 1)[1].split("## Guessed", 1)[0]
    assert f"computer BACKUP01.{D} -> existing component `backup01`" in mapped
    ignored = report.split("## Ignored", 1)[1].split("## No longer", 1)[0]
    assert f"unresolved SID `{sid(4242)}`" in ignored and "AdminTo (LocalGroups)" in ignored
    assert f"LONER@{D}" in ignored and "out of scope" in ignored
    todo = report.split("## What the analyst completes", 1)[1]
    assert f"BACKUP01.{D} (`backup01`): the collection has no local administrators" in todo


def test_builtin_group_without_domain_prefix_in_a_one_domain_collection(tmp_path):
    srcs = write(tmp_path / "c", domains=[domain()], computers=[computer("WIN10", 1104, admins=["S-1-5-32-544"])])
    d = build_draft("sharphound", srcs)
    assert d.components["administrators@corp.local"]["name"] == f"ADMINISTRATORS@{D}"
    assert admin_rows(d)[("win10.corp.local", "administrators@corp.local")] == "directory: AdminTo (LocalGroups)"


@pytest.mark.parametrize("fresh", [False, True])
def test_second_import_of_the_same_collection_writes_the_same_bytes(tmp_path, fresh):
    inv = estate(tmp_path / "estate")
    srcs = write(tmp_path / "c", domains=[domain()], users=[user("BOB", 1102), user("ALICE", 1101)],
                 groups=[group("DOMAIN ADMINS", 512, members=[sid(1101)])],
                 computers=[computer("BACKUP01", 1110, admins=[sid(512)]), computer("LAPTOP7", 1112),
                            computer("SRV02", 1120, admins=[sid(1102)], privileged=[sid(1101)])])
    out = tmp_path / "out"
    run("sharphound", srcs, str(out), into=None if fresh else str(inv))
    assert ("laptop7.corp.local" in (out / "components.csv").read_text()) == fresh
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    result = run("sharphound", srcs, str(out))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    assert not result.kept and not result.removed
    # what the import itself wrote is its own on the next run, not a component the analyst had
    assert "existing component `srv02.corp.local`" not in first["import-report-sharphound.md"].decode()


def test_docs_worked_example_holds(tmp_path):
    """docs/importers.md, sharphound worked example: WIN10 as the domain-joined backup server."""
    if not SHARED.is_dir():
        pytest.skip("shared fixtures not beside the clone")
    inv = tmp_path / "estate"
    inv.mkdir()
    (inv / "inventory.yaml").write_text("name: Example estate\nas_of: 2026-11-30\n")
    (inv / "components.csv").write_text("id,name,kind,tier,notes\nerp-db,ERP database,datastore,1,\n"
                                        "uccomp,UCComp,service,,runs the ERP database\n"
                                        "win10,WIN10,backup_store,,backup server\n")
    (inv / "dependencies.csv").write_text("component,depends_on,kind,group,needs,notes\n"
                                          "erp-db,uccomp,runtime,,,\nerp-nightly,win10,storage,,,\n")
    (inv / "backups.csv").write_text("id,protects,method,schedule_hours,retention_days\n"
                                     "erp-nightly,erp-db,image,24,30\n")
    out = tmp_path / "estate-ad"
    run("sharphound", sorted(str(p) for p in SHARED.glob("*.json")), str(out), into=str(inv))
    ids = {r["id"] for r in rows(out, "components")}
    assert not ids & {"primary.testlab.local", "testmsa.testlab.local", "win10.testlab.local"}
    deps = (out / "dependencies.csv").read_text()
    for line in ("win10,dfm@testlab.local,admin,,,directory: AdminTo (LocalGroups)",
                 "win10,domain-admins@testlab.local,admin,,,directory: AdminTo (LocalGroups); GenericAll ACE; Owns ACE",
                 "uccomp,dfm@testlab.local,admin,,,directory: GenericAll ACE",
                 "dfm@testlab.local,win10,admin,,,directory: HasSession (Sessions)",
                 "administrator@testlab.local,win10,admin,,,directory: HasSession (Sessions)",
                 "domain-admins@testlab.local,admin@testlab.local,admin,,,directory: MemberOf",
                 "testlab.local,dcsyncdirect@testlab.local,admin,,,directory: DCSync (GetChanges + GetChangesAll ACEs)"):
        assert line in deps
    tier_zero = (out / "import-report-sharphound.md").read_text().split("## Tier Zero principals", 1)[1]
    assert tier_zero.count("\n- `") == 10
    model = build(load(out))
    attack = credential_compromise(model, "dfm@testlab.local")
    assert {"uccomp", "win10", "testlab.local"} <= attack.destroyed
    assert "administrator@testlab.local" in attack.held
    assert "erp-db" in model.recover(attack.destroyed).unrecoverable


def test_computer_account_controlling_a_computer_is_written_and_flagged(tmp_path):
    srcs = write(tmp_path / "c", domains=[domain()],
                 computers=[computer("WIN10", 1104, aces=[(sid(1120), "GenericAll")]), computer("SRV02", 1120)])
    d = build_draft("sharphound", srcs)
    assert admin_rows(d)[("win10.corp.local", "srv02.corp.local")] == "directory: GenericAll ACE"
    assert any(f"computer account SRV02.{D} controls computer WIN10.{D}" in line for line in d.seen)


def test_object_without_a_name_is_skipped_and_reported(tmp_path):
    nameless = user("GHOST", 1190)
    nameless["Properties"]["name"] = None
    srcs = write(tmp_path / "c", domains=[domain()], users=[nameless],
                 computers=[computer("WIN10", 1104, admins=[sid(1190)])])
    d = build_draft("sharphound", srcs)
    assert any(sid(1190) in line and "no name" in line for line in d.ignored)
    assert any(sid(1190) in line and "unresolved" in line for line in d.ignored)


def test_older_collection_with_bare_local_admin_list_is_refused_naming_the_field(tmp_path):
    old = computer("WIN10", 1104)
    del old["LocalGroups"]
    old["LocalAdmins"] = [{"MemberId": sid(1102), "MemberType": "User"}]
    srcs = write(tmp_path / "c", computers=[old])
    with pytest.raises(ImportSourceError) as err:
        build_draft("sharphound", srcs)
    assert "record data[0]: LocalAdmins: is a list - expected an object" in str(err.value)
