"""Tests of the backup-platform importers: Veeam Health Check, AWS Backup, Terraform, restic, Borg, Velero history."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hiddenspof import analysis, inventory, model
from hiddenspof.importers import ImportSourceError, build_draft, run
from hiddenspof.importers.draft import PROVENANCE, dependency_key

FIX = Path(__file__).parent / "fixtures" / "importers"
VEEAM = FIX / "veeam-healthcheck"
AWS_JOBS = FIX / "aws-backup" / "list-backup-jobs.json"


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def deps(draft) -> set[tuple[str, str]]:
    return {(c, d) for c, d, _ in draft.dependencies}


def imported(tmp_path: Path, fmt: str, sources, as_of: str = "2024-03-02", name: str = "inv"):
    """Import, load and analyse: (folder, inventory, analysis JSON)."""
    out = tmp_path / name
    run(fmt, [str(s) for s in sources], str(out), as_of=as_of, stderr=io.StringIO())
    inv = inventory.load(str(out))
    return out, inv, analysis.analyze(inv)


# --- Veeam: hand-written bundles ---------------------------------------------------------

SERVERS = [
    {"Info": "Server Info", "ParentId": "", "Id": "s-vbr", "Name": "VBR01", "Type": "Local", "Description": "Veeam Backup Server"},
    {"Info": "Server Info", "ParentId": "", "Id": "s-vc", "Name": "VC01.corp", "Type": "VC", "Description": ""},
    {"Info": "Server Info", "ParentId": "s-vc", "Id": "s-esx1", "Name": "ESX01.corp", "Type": "ESXi", "Description": ""},
    {"Info": "Server Info", "ParentId": "s-vc", "Id": "s-esx2", "Name": "ESX02.corp", "Type": "ESXi", "Description": ""},
    {"Info": "Server Info", "ParentId": "", "Id": "s-repo", "Name": "REPO02", "Type": "Linux", "Description": ""},
]
REPOS = [
    {"Id": "r-default", "Name": "Default Backup Repository", "HostId": "s-vbr", "Type": "WinLocal",
     "IsImmutabilitySupported": "False", "gatewayHosts": "VBR01"},
    {"Id": "r-hard", "Name": "Hardened", "HostId": "s-repo", "Type": "LinuxHardened",
     "IsImmutabilitySupported": "True", "gatewayHosts": "REPO02"},
]
JOB_COLS = ["Name", "JobType", "SheduleEnabledTime", "ScheduleOptions", "RepoName", "Algorithm", "PwdKeyId",
            "RetentionType", "RetentionCount", "IntegrityChecks", "StgEncryptionEnabled"]
ZERO = "00000000-0000-0000-0000-000000000000"


def job(name, repo, jtype="Backup", key=ZERO, schedule="Daily at 22:00", retention=("Days", "14"), encrypted="False"):
    return {"Name": name, "JobType": jtype, "SheduleEnabledTime": "", "ScheduleOptions": schedule, "RepoName": repo,
            "Algorithm": "Increment", "PwdKeyId": key, "RetentionType": retention[0], "RetentionCount": retention[1],
            "IntegrityChecks": "False", "StgEncryptionEnabled": encrypted}


def session(jobname, vm, when, status="Success", algorithm="Increment", size="5.0", duration="00:10:00"):
    return {"JobName": jobname, "VMName": vm, "Status": status, "IsRetry": "False", "JobDuration": "00:30:00",
            "TaskDuration": duration, "CreationTime": when, "BackupSizeGB": size, "DataSizeGB": "50",
            "JobType": "EVmware", "JobAlgorithm": algorithm}


def vm(name, used=50e9):
    return {"Name": name, "PowerState": "PoweredOn", "ProvisionedSize": str(int(used * 2)), "UsedSize": str(int(used)),
            "Path": f"VC01.corp\\DC\\{name}"}


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = columns or list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    w = csv.DictWriter(buf, cols, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def bundle(tmp_path: Path, jobs=(), sessions=(), protected=(), unprotected=(), config=None, tape=(), extra=None) -> Path:
    """A Health Check folder with the given rows (servers and repositories are always there)."""
    root = tmp_path / "hc"
    cfg = root / "VBRConfig"
    write_csv(cfg / "_Servers.csv", SERVERS)
    write_csv(cfg / "_Repositories.csv", REPOS)
    write_csv(cfg / "_Jobs.csv", list(jobs), JOB_COLS)
    write_csv(cfg / "_ViProtected.csv", [vm(n) for n in protected], ["Name", "PowerState", "ProvisionedSize", "UsedSize", "Path"])
    write_csv(cfg / "_ViUnprotected.csv", [dict(vm(n), Type="Vm") for n in unprotected],
              ["Name", "PowerState", "ProvisionedSize", "UsedSize", "Path", "Type"])
    write_csv(cfg / "_Proxies.csv", [{"Id": "p1", "Name": "PROXY-A", "HostId": "s-vbr", "Host": "VBR01", "Type": "Vi",
                                      "IsDisabled": "False", "MaxTasksCount": "4"}])
    if config is not None:
        write_csv(cfg / "_configBackup.csv", [config])
    if tape:
        write_csv(cfg / "_TapeJobs.csv", list(tape))
    for rel, rows in (extra or {}).items():
        write_csv(root / rel, rows)
    write_csv(root / "SessionReports" / "VeeamSessionReport.csv", list(sessions),
              ["JobName", "VMName", "Status", "IsRetry", "JobDuration", "TaskDuration", "CreationTime",
               "BackupSizeGB", "DataSizeGB", "JobType", "JobAlgorithm"])
    return root


def test_veeam_repository_on_backup_server_is_a_shared_dependency(tmp_path):
    """Backups on the default repository (on the backup server) share it: the server alone, with an asset, makes it unrecoverable."""
    root = bundle(tmp_path, jobs=[job("Nightly", "Default Backup Repository")],
                  sessions=[session("Nightly", v, "2024-03-01T22:00:00.0000000") for v in ("APP1", "DB1")],
                  protected=["APP1", "DB1"])
    d = build_draft("veeam", [str(root)])
    assert ("repo.Default-Backup-Repository", "VBR01") in deps(d)
    for v in ("APP1", "DB1"):
        assert ("Nightly." + v, "repo.Default-Backup-Repository") in deps(d) and ("Nightly." + v, "VBR01") in deps(d)
    assert any("lives on the backup server `VBR01`" in s for s in d.seen)
    _, inv, result = imported(tmp_path, "veeam", [root])
    m = model.build(inv)
    for v in ("APP1", "DB1"):
        assert v in m.recover({v, "VBR01"}).unrecoverable
        assert v not in m.recover({v, "REPO02"}).unrecoverable  # a server that holds none of its backups
    for asset in result["assets"]:  # the analysis' order-2 cut sets name the server and its repository
        pairs = {frozenset(p) for p in asset["cut_sets"]}
        assert {frozenset({asset["id"], "VBR01"}), frozenset({asset["id"], "repo.Default-Backup-Repository"})} <= pairs


def test_veeam_stolen_backup_administrator_spares_only_immutable_backups(tmp_path):
    """Admin rows from every repository and backup to the Backup Administrator role: its theft leaves only the hardened copy."""
    roles = [{"Name": "CORP\\veeam-admins", "Role": "Veeam Backup Administrator"},
             {"Name": "CORP\\ops", "Role": "Veeam Restore Operator"}]
    root = bundle(tmp_path, jobs=[job("Nightly", "Default Backup Repository"), job("Hard", "Hardened")],
                  sessions=[session("Nightly", "APP1", "2024-03-01T22:00:00"), session("Hard", "DB1", "2024-03-01T22:00:00")],
                  protected=["APP1", "DB1"], extra={"VBRConfig/_UserRoles.csv": roles})
    d = build_draft("veeam", [str(root)])
    assert d.dependencies[dependency_key("Nightly.APP1", "veeam-backup-administrator", "", "admin")]["kind"] == "admin"
    assert ("repo.Hardened", "veeam-backup-administrator") in deps(d)
    assert "veeam-admins" in d.components["veeam-backup-administrator"]["notes"]
    _, inv, _ = imported(tmp_path, "veeam", [root])
    from hiddenspof import coupling

    m = model.build(inv)
    destroyed = coupling.credential_compromise_destroys(m, "veeam-backup-administrator")
    assert {"Nightly.APP1", "repo.Default-Backup-Repository"} <= destroyed
    assert not {"Hard.DB1", "repo.Hardened", "VBR01"} & destroyed  # the immutable copy and its store, the server
    # ransomware with the stolen role: the machines are encrypted too; only DB1 comes back
    assert set(m.recover(destroyed | {"APP1", "DB1"}).unrecoverable) == {"APP1"}


def test_veeam_hardened_repository_makes_backups_immutable_and_vms_run_on_any_host(tmp_path):
    """A hardened repository gives immutable backups; VMs run on any one ESXi host of their vCenter; restores need vCenter and a proxy."""
    root = bundle(tmp_path, jobs=[job("Hard", "Hardened")], sessions=[session("Hard", "APP1", "2024-03-01T22:00:00")],
                  protected=["APP1"])
    d = build_draft("veeam", [str(root)])
    assert d.backups["Hard.APP1"]["immutable"] == "true" and d.backups["Hard.APP1"]["method"] == "image"
    assert d.dependencies[("APP1", "ESX01.corp", "hosts:VC01.corp")]["kind"] == "runtime"
    assert ("APP1", "ESX02.corp") in deps(d)
    assert ("Hard.APP1", "VC01.corp") in deps(d) and d.components["VC01.corp"]["kind"] == "control_plane"
    assert ("Hard.APP1", "proxy.PROXY-A", "veeam-proxies:vi") in d.dependencies
    assert d.components["APP1"]["data_gb"] == "50"


def test_veeam_session_algorithm_gives_run_type_status_size_and_finish(tmp_path):
    """Increment -> incremental, SynteticFull -> full; status, size and start + task duration are kept."""
    root = bundle(tmp_path, jobs=[job("Nightly", "Hardened")], protected=["APP1"], sessions=[
        session("Nightly", "APP1", "2024-03-01T22:00:00.0000000", algorithm="Increment", size="4.5"),
        session("Nightly", "APP1", "2024-02-29T22:00:00.0000000", algorithm="SynteticFull", status="Warning", size="60"),
        session("Nightly", "APP1", "2024-02-28T22:00:00.0000000", algorithm="Increment", status="Failed", size="0"),
        session("Nightly", "APP1", "2024-02-27T22:00:00.0000000", status="Running"),
    ])
    d = build_draft("veeam", [str(root)])
    runs = d.runs
    assert runs[("Nightly.APP1", "2024-03-01T22:00:00")] | {} == {
        "backup": "Nightly.APP1", "started_at": "2024-03-01T22:00:00", "status": "success", "size_gb": "4.5",
        "type": "incremental", "finished_at": "2024-03-01T22:10:00", "imported_from": "veeam:VeeamSessionReport.csv"}
    assert runs[("Nightly.APP1", "2024-02-29T22:00:00")]["type"] == "full"
    assert runs[("Nightly.APP1", "2024-02-29T22:00:00")]["status"] == "warning"
    assert runs[("Nightly.APP1", "2024-02-28T22:00:00")]["status"] == "failed"
    assert len(runs) == 3 and any("status `Running`" in i for i in d.ignored)


def test_veeam_failed_jobs_raise_the_silent_score(tmp_path):
    """The same job history with the last runs failed scores higher than with them succeeding."""
    def history(status):
        return [session("Nightly", "APP1", f"2024-02-{day:02d}T22:00:00", status=status if day > 26 else "Success")
                for day in range(15, 30)]
    scores = {}
    for status in ("Success", "Failed"):
        root = bundle(tmp_path / status, jobs=[job("Nightly", "Hardened")], protected=["APP1"], sessions=history(status))
        _, _, result = imported(tmp_path / status, "veeam", [root], as_of="2024-03-01")
        scores[status] = {b["id"]: b["silent_failure_score"] for b in result["backups"]}["Nightly.APP1"]
    assert scores["Failed"] > scores["Success"]


def test_veeam_incremental_sessions_raise_no_size_alarm(tmp_path):
    """Small Increment sessions of a 500 GB VM raise no tiny-run or collapse alarm; the same sizes called full do."""
    def history(algorithm):
        days = [session("Nightly", "BIG", f"2024-02-{day:02d}T22:00:00", algorithm=algorithm, size="2.0")
                for day in range(10, 29)]
        return [session("Nightly", "BIG", "2024-02-09T22:00:00", algorithm="SynteticFull", size="480")] + days
    factors = {}
    for algorithm in ("Increment", "SynteticFull"):
        root = bundle(tmp_path / algorithm, jobs=[job("Nightly", "Hardened")], sessions=history(algorithm))
        cfg = root / "VBRConfig" / "_ViProtected.csv"
        write_csv(cfg, [vm("BIG", used=500e9)])
        _, _, result = imported(tmp_path / algorithm, "veeam", [root], as_of="2024-03-01")
        backup = {b["id"]: b for b in result["backups"]}["Nightly.BIG"]
        factors[algorithm] = {f["name"]: f["points"] for f in backup["factors"]}
    assert factors["Increment"]["tiny_success"] == 0 and factors["Increment"]["size_collapse"] == 0
    assert factors["SynteticFull"]["tiny_success"] > 0


def test_veeam_tape_job_gives_offline_copies_of_the_repository_backups(tmp_path):
    """A BackupToTape job reading a repository gives an offline tape backup of every VM backed up there."""
    tape = {"Id": "t1", "Name": "Monthly-Tape", "Type": "BackupToTape", "MediaPoolId": "pool-1",
            "ScheduleOptions": "Monthly on 1st", "SourceType": "Repository", "SourceId": "r-default"}
    root = bundle(tmp_path, jobs=[job("Nightly", "Default Backup Repository"), job("Hard", "Hardened")],
                  sessions=[session("Nightly", "APP1", "2024-03-01T22:00:00"), session("Hard", "DB1", "2024-03-01T22:00:00")],
                  protected=["APP1", "DB1"], tape=[tape])
    d = build_draft("veeam", [str(root)])
    t = d.backups["Monthly-Tape.APP1"]
    assert t["method"] == "tape" and t["offline"] == "true" and t["protects"] == "APP1"
    assert ("Monthly-Tape.APP1", "tape-pool.pool-1") in deps(d)
    assert "Monthly-Tape.DB1" not in d.backups  # DB1's backups are on another repository
    _, inv, _ = imported(tmp_path, "veeam", [root])
    m = model.build(inv)
    # the tape copy survives the loss of the repository it was read from
    assert "APP1" not in m.recover({"APP1", "repo.Default-Backup-Repository"}).unrecoverable


def test_veeam_encrypted_job_needs_its_key(tmp_path):
    """A job with a PwdKeyId gives backups that depend on that key (kms); losing the key loses the restore."""
    root = bundle(tmp_path, jobs=[job("Secure", "Hardened", key="kkkk-1"), job("Plain", "Hardened", encrypted="True")],
                  sessions=[session("Secure", "APP1", "2024-03-01T22:00:00"), session("Plain", "DB1", "2024-03-01T22:00:00")],
                  protected=["APP1", "DB1"])
    d = build_draft("veeam", [str(root)])
    assert d.components["veeam-key.kkkk-1"]["kind"] == "kms"
    assert d.dependencies[("Secure.APP1", "veeam-key.kkkk-1", "")]["kind"] == "keys"
    assert ("Plain.DB1", "veeam-key.Plain") in deps(d) and any("veeam-key.Plain" in g for g in d.guessed)
    _, inv, _ = imported(tmp_path, "veeam", [root])
    assert "APP1" in model.build(inv).recover({"APP1", "veeam-key.kkkk-1"}).unrecoverable


def test_veeam_unprotected_vms_are_components_without_backup_and_a_data_quality_finding(tmp_path):
    """VMs Veeam lists as unprotected are components with no backup; the analysis gives a data_quality finding for each."""
    root = bundle(tmp_path, jobs=[job("Nightly", "Hardened")], sessions=[session("Nightly", "APP1", "2024-03-01T22:00:00")],
                  protected=["APP1"], unprotected=["SANDBOX", "LEGACY"])
    out, inv, result = imported(tmp_path, "veeam", [root])
    assert {"SANDBOX", "LEGACY"} <= set(inv.components["id"]) and not set(inv.backups["protects"]) & {"SANDBOX", "LEGACY"}
    ids = {f["id"] for f in result["findings"] if f["category"] == "data_quality"}
    assert {"data_quality:no-backup:SANDBOX", "data_quality:no-backup:LEGACY"} <= ids
    assert "data_quality:no-backup:APP1" not in ids
    assert "`SANDBOX` (VMware VM) is not protected by any Veeam job" in (out / "import-report-veeam.md").read_text(encoding="utf-8")


def test_veeam_configuration_backup_on_the_shared_repository_is_reported(tmp_path):
    """A configuration backup written to the repository that holds the job backups, on the server itself, is a finding of the report; the analysis sees the server cannot come back."""
    config = {"Id": "c1", "Name": "Configuration Backup Job", "Enabled": "True", "ScheduleOptions": "Daily at 02:00",
              "Target": "Default Backup Repository", "LastResult": "Success", "EncryptionOptions": "Enabled",
              "RetentionRestorePointsCount": "10"}
    root = bundle(tmp_path, jobs=[job("Nightly", "Default Backup Repository")],
                  sessions=[session("Nightly", "APP1", "2024-03-01T22:00:00")], protected=["APP1"], config=config)
    d = build_draft("veeam", [str(root)])
    cb = d.backups["veeam-configuration-backup"]
    assert cb["protects"] == "VBR01" and cb["method"] == "dump" and cb["retention_days"] == "10"
    assert ("veeam-configuration-backup", "repo.Default-Backup-Repository") in deps(d)
    assert ("veeam-configuration-backup", "veeam-key.configuration-backup") in deps(d)
    out, inv, result = imported(tmp_path, "veeam", [root])
    report = (out / "import-report-veeam.md").read_text(encoding="utf-8")
    assert "configuration backup is written to `repo.Default-Backup-Repository`, the repository that also holds 1 job backups" in report
    assert "on the backup server `VBR01` itself" in report
    assert "VBR01" in model.build(inv).recover({"VBR01"}).unrecoverable
    assets = {a["id"]: a for a in result["assets"]}
    assert "VBR01" in assets["VBR01"]["common_cause"]


def test_veeam_configuration_backup_elsewhere_is_not_reported(tmp_path):
    """A configuration backup on a share of another host raises no such line, and the server can be restored."""
    config = {"Id": "c1", "Name": "Configuration Backup Job", "Enabled": "True", "ScheduleOptions": "Daily at 02:00",
              "Target": "\\\\NAS9\\cfg", "LastResult": "Success", "EncryptionOptions": "Enabled",
              "RetentionRestorePointsCount": "10"}
    root = bundle(tmp_path, jobs=[job("Nightly", "Default Backup Repository")],
                  sessions=[session("Nightly", "APP1", "2024-03-01T22:00:00")], protected=["APP1"], config=config)
    d = build_draft("veeam", [str(root)])
    assert ("share.NAS9.cfg", "NAS9") in deps(d)
    assert not any("configuration backup is written" in s for s in d.seen)
    _, inv, _ = imported(tmp_path, "veeam", [root])
    assert "VBR01" not in model.build(inv).recover({"VBR01"}).unrecoverable


def test_veeam_protected_vm_without_sessions_gets_a_backup_to_complete(tmp_path):
    """A VM listed protected that no session names gets a backup by an unknown job, reported as guessed and to complete."""
    root = bundle(tmp_path, jobs=[job("Nightly", "Hardened")], sessions=[], protected=["APP1"])
    d = build_draft("veeam", [str(root)])
    assert d.backups["veeam.APP1"]["protects"] == "APP1" and ("veeam.APP1", "VBR01") in deps(d)
    assert any("veeam.APP1" in t for t in d.todo) and any("veeam.APP1" in g for g in d.guessed)


@pytest.mark.parametrize(("rel", "rows", "message"), [
    ("SessionReports/VeeamSessionReport.csv", [session("Nightly", "APP1", "yesterday")],
     r"VeeamSessionReport\.csv: row 2: field 'CreationTime': value 'yesterday' - expected a date-time"),
    ("SessionReports/VeeamSessionReport.csv", [session("Nightly", "APP1", "2024-03-01T22:00:00", size="lots")],
     r"VeeamSessionReport\.csv: row 2: field 'BackupSizeGB': value 'lots' - expected a number"),
    ("SessionReports/VeeamSessionReport.csv", [session("Nightly", "APP1", "2024-03-01T22:00:00", duration="ten minutes")],
     r"row 2: field 'TaskDuration': value 'ten minutes' - expected a duration"),
    ("SessionReports/VeeamSessionReport.csv", [session("Nightly", "APP1", "2024-03-01T22:00:00", size="12,5")],
     r"row 2: field 'BackupSizeGB': value '12,5' - expected a number with a dot as decimal mark"),
    ("VBRConfig/_Repositories.csv", [{"Id": "r", "Name": "x", "IsImmutabilitySupported": "maybe"}],
     r"_Repositories\.csv: row 2: field 'IsImmutabilitySupported': value 'maybe' - expected True or False"),
    ("VBRConfig/_Jobs.csv", [{"Name": "x"}], r"_Jobs\.csv: row 1: column 'jobtype' is missing"),
])
def test_veeam_malformed_bundle_names_file_row_and_field_and_writes_nothing(tmp_path, rel, rows, message):
    """A bad value or a missing column is an ImportSourceError naming file, row and field; nothing is written."""
    root = bundle(tmp_path, jobs=[job("Nightly", "Hardened")], protected=["APP1"])
    write_csv(root / rel, rows)
    out = tmp_path / "out"
    with pytest.raises(ImportSourceError, match=message):
        run("veeam", [str(root)], str(out), stderr=io.StringIO())
    assert not out.exists()


def test_veeam_rejects_a_file_that_is_not_part_of_a_bundle(tmp_path):
    """A single file with an unknown name is refused with what was expected."""
    other = tmp_path / "notes.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportSourceError, match="notes.csv: not a Veeam Health Check file"):
        build_draft("veeam", [str(other)])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImportSourceError, match="no Veeam Health Check file found"):
        build_draft("veeam", [str(tmp_path / "empty")])


# --- Veeam: the collector's own baselines -----------------------------------------------

def test_veeam_baseline_bundle_imports_validates_and_analyzes(tmp_path):
    """The Health Check schema baselines import into a valid inventory whose analysis sees the expert's points."""
    out, inv, result = imported(tmp_path, "veeam", [VEEAM])
    comps = inv.components.set_index("id")
    assert comps.loc["VEEAM-VBR01", "kind"] == "recovery_tool" and comps.loc["VCENTER01.lab.local", "kind"] == "control_plane"
    assert comps.loc["repo.Default-Backup-Repository", "kind"] == "backup_store"
    runs = inv.backup_runs.set_index("backup")
    assert runs.loc["Production-VM-Backup.WEB-PROD02", "type"] == "full"
    assert runs.loc["Production-VM-Backup.DC01", "type"] == "incremental"
    assert runs.loc["Physical-Servers-Backup.PHYSICAL02", "status"] == "failed"
    backups = inv.backups.set_index("id")
    assert backups.loc["Tape-Monthly-Archive.PHYSICAL01", "offline"] == True  # noqa: E712 (a numpy bool)
    assert backups.loc["Production-VM-Backup.DC01.capacity-tier", "immutable"] == True  # noqa: E712
    dq = {f["id"] for f in result["findings"] if f["category"] == "data_quality"}
    assert {"data_quality:no-backup:DEV-SANDBOX", "data_quality:no-backup:WORKSTATION01"} <= dq
    report = (out / "import-report-veeam.md").read_text(encoding="utf-8")
    assert "repository `repo.Default-Backup-Repository` lives on the backup server `VEEAM-VBR01` itself" in report
    assert "7 backup runs" in report
    scores = {b["id"]: b["silent_failure_score"] for b in result["backups"]}
    assert scores["Physical-Servers-Backup.PHYSICAL02"] > scores["Physical-Servers-Backup.PHYSICAL01"]


def test_veeam_reimport_is_byte_identical_and_keeps_hand_edits(tmp_path):
    """Importing the bundle twice changes nothing; hand edits of components and runs survive a re-import."""
    out = tmp_path / "inv"
    run("veeam", [str(VEEAM)], str(out), as_of="2024-03-02", stderr=io.StringIO())
    first = files(out)
    run("veeam", [str(VEEAM)], str(out), stderr=io.StringIO())
    assert files(out) == first
    comps = read_csv(out / "components.csv")
    for row in comps:
        if row["id"] == "DC01":
            row["tier"] = "1"
            row["kind"] = "datastore"
    runs = read_csv(out / "backup_runs.csv")
    for row in runs:
        if row["backup"] == "Physical-Servers-Backup.PHYSICAL02":
            row["message"] = "disk full, fixed by ops"
    runs.append({"backup": "Production-VM-Backup.DC01", "started_at": "2024-02-01T22:00:00", "status": "success"})
    for name, rows in (("components.csv", comps), ("backup_runs.csv", runs)):
        buf = io.StringIO()
        w = csv.DictWriter(buf, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        (out / name).write_text(buf.getvalue(), encoding="utf-8")
    err = io.StringIO()
    merged = tmp_path / "merged"
    run("veeam", [str(VEEAM)], str(merged), into=str(out), stderr=err)
    dc = {r["id"]: r for r in read_csv(merged / "components.csv")}["DC01"]
    assert dc["tier"] == "1" and dc["kind"] == "datastore"
    runs = read_csv(merged / "backup_runs.csv")
    assert {r["backup"]: r for r in runs}["Physical-Servers-Backup.PHYSICAL02"]["message"] == "disk full, fixed by ops"
    assert any(r["started_at"] == "2024-02-01T22:00:00" for r in runs)
    assert "kept `datastore`, the source says `service`" in (merged / "import-report-veeam.md").read_text(encoding="utf-8")
    inventory.load(str(merged))


# --- AWS Backup ------------------------------------------------------------------------

SRC_ACCT, DR_ACCT = "111111111111", "222222222222"
PROD_VAULT = f"arn:aws:backup:eu-west-1:{SRC_ACCT}:backup-vault:prod"
BUNKER = f"arn:aws:backup:eu-central-1:{DR_ACCT}:backup-vault:bunker"
DB_ARN = f"arn:aws:rds:eu-west-1:{SRC_ACCT}:db:orders"
ROLE = f"arn:aws:iam::{SRC_ACCT}:role/service-role/AWSBackupDefaultServiceRole"


def backup_job(n, when, state="COMPLETED", size=20e9, category=None, resource=DB_ARN, rtype="RDS"):
    job = {"BackupJobId": f"job-{n}", "BackupVaultName": "prod", "BackupVaultArn": PROD_VAULT,
           "RecoveryPointArn": f"arn:aws:backup:eu-west-1:{SRC_ACCT}:recovery-point:rp-{n}",
           "ResourceArn": resource, "CreationDate": when, "CompletionDate": when, "State": state,
           "BackupSizeInBytes": size, "IamRoleArn": ROLE, "ResourceType": rtype}
    if category:
        job["MessageCategory"] = category
    return job


def copy_job(n, when, state="COMPLETED"):
    return {"CopyJobId": f"copy-{n}", "SourceBackupVaultArn": PROD_VAULT,
            "SourceRecoveryPointArn": f"arn:aws:backup:eu-west-1:{SRC_ACCT}:recovery-point:rp-{n}",
            "DestinationBackupVaultArn": BUNKER,
            "DestinationRecoveryPointArn": f"arn:aws:backup:eu-central-1:{DR_ACCT}:recovery-point:cp-{n}",
            "ResourceArn": DB_ARN, "CreationDate": when, "CompletionDate": when, "State": state,
            "BackupSizeInBytes": 20e9, "IamRoleArn": ROLE, "ResourceType": "RDS"}


def vault_doc(arn, locked, lock_date=None, key=None):
    name = arn.rsplit(":", 1)[1]
    doc = {"BackupVaultName": name, "BackupVaultArn": arn, "VaultType": "BACKUP_VAULT", "Locked": locked,
           "NumberOfRecoveryPoints": 3, "CreationDate": "2024-01-01T00:00:00+00:00"}
    if lock_date:
        doc.update({"LockDate": lock_date, "MinRetentionDays": 35})
    if key:
        doc["EncryptionKeyArn"] = key
    return doc


def write_json(path: Path, *docs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d, indent=2) + "\n" for d in docs), encoding="utf-8")
    return path


def aws_sources(tmp_path: Path, copies=True, bunker_locked=True) -> list[Path]:
    jobs = write_json(tmp_path / "aws" / "list-backup-jobs.json",
                      {"BackupJobs": [backup_job(1, 1709251200.5), backup_job(2, "2024-03-02T00:00:00.000000+01:00")],
                       "NextToken": "abc"},
                      {"BackupJobs": [backup_job(3, "2024-03-03T00:00:00+00:00", state="FAILED", size=0),
                                      backup_job(4, "2024-03-04T00:00:00Z", category="AGGREGATE_ALL"),
                                      backup_job(5, "2024-03-05T00:00:00Z", state="RUNNING")]})
    out = [jobs]
    if copies:
        out.append(write_json(tmp_path / "aws" / "list-copy-jobs.json",
                              {"CopyJobs": [copy_job(1, "2024-03-01T02:00:00Z"), copy_job(2, "2024-03-02T02:00:00Z")]}))
        out.append(write_json(tmp_path / "aws" / "bunker.json",
                              vault_doc(BUNKER, bunker_locked, "2024-01-04T00:00:00Z" if bunker_locked else None,
                                        key=f"arn:aws:kms:eu-central-1:{DR_ACCT}:key/k-dr")))
    out.append(write_json(tmp_path / "aws" / "prod.json", vault_doc(PROD_VAULT, False)))
    out.append(write_json(tmp_path / "aws" / "list-restore-jobs.json", {"RestoreJobs": [
        {"RestoreJobId": "r1", "RecoveryPointArn": f"arn:aws:backup:eu-west-1:{SRC_ACCT}:recovery-point:rp-2",
         "CreationDate": "2024-03-02T10:00:00Z", "CompletionDate": "2024-03-02T11:30:00Z", "Status": "COMPLETED",
         "BackupSizeInBytes": 20e9, "ValidationStatus": "SUCCESSFUL", "ResourceType": "RDS",
         "RestoreTestingPlanArn": f"arn:aws:backup:eu-west-1:{SRC_ACCT}:restore-testing-plan:weekly"},
        {"RestoreJobId": "r2", "RecoveryPointArn": f"arn:aws:backup:eu-central-1:{DR_ACCT}:recovery-point:cp-1",
         "CreationDate": 1709290800, "CompletionDate": 1709294400, "Status": "COMPLETED", "ValidationStatus": "FAILED",
         "ResourceType": "RDS"},
    ]}))
    return out


def test_aws_backup_jobs_copies_vaults_and_restores(tmp_path):
    """Jobs give runs (epoch and ISO dates, pages concatenated); copies a backup per vault; restores give tests refined by validation."""
    d = build_draft("aws-backup", [str(p) for p in aws_sources(tmp_path)])
    primary, copy = f"orders@{SRC_ACCT}.eu-west-1.prod", f"orders@{DR_ACCT}.eu-central-1.bunker"
    assert d.components["orders"]["kind"] == "datastore" and d.components[f"aws-account.{SRC_ACCT}"]["kind"] == "account"
    assert ("orders", f"aws-account.{SRC_ACCT}") in deps(d) and ("orders", "aws-region.eu-west-1") in deps(d)
    assert d.backups[primary]["method"] == "snapshot" and d.backups[primary].get("immutable", "") == ""
    assert d.backups[copy]["immutable"] == "true"
    assert d.backups[copy]["restore_to"] == f"aws-restore-target.{DR_ACCT}.eu-central-1"
    assert (copy, f"kms.{DR_ACCT}.eu-central-1.k-dr") in deps(d)
    runs = {k[1]: v for k, v in d.runs.items() if k[0] == primary}
    assert runs["2024-03-01T00:00:00Z"]["status"] == "success"                       # epoch seconds (CLI v1)
    assert runs["2024-03-01T23:00:00Z"]["status"] == "success"                       # ISO with offset (CLI v2)
    assert runs["2024-03-03T00:00:00Z"]["status"] == "failed"
    assert runs["2024-03-04T00:00:00Z"]["status"] == "warning"                       # COMPLETED, message category
    assert runs["2024-03-01T00:00:00Z"]["type"] == "incremental" and runs["2024-03-01T00:00:00Z"]["size_gb"] == "20"
    assert len(runs) == 4 and any("RUNNING" in i for i in d.ignored)
    assert {k[1] for k in d.runs if k[0] == copy} == {"2024-03-01T02:00:00Z", "2024-03-02T02:00:00Z"}
    tests = {k[0]: v for k, v in d.tests.items()}
    assert tests[primary]["result"] == "pass" and tests[primary]["duration_hours"] == "1.5"
    assert tests[primary]["restored_gb"] == "20" and d.backups[primary]["verification"] == "restore_test"
    assert tests[copy]["result"] == "fail"                                            # validation failed
    assert any(f"vault `vault.{SRC_ACCT}.eu-west-1.prod` is not locked" in s for s in d.seen)


def test_aws_copy_in_locked_vault_of_another_account_survives_account_loss_and_stolen_credential(tmp_path):
    """The analysis: with the copy, losing or compromising the source account leaves the database recoverable; without it, not."""
    _, _, with_copy = imported(tmp_path, "aws-backup", aws_sources(tmp_path / "a"), as_of="2024-03-06", name="with")
    threats = {a["id"]: a["threats"] for a in with_copy["assets"]}["orders"]
    assert threats["account_loss"] == "recoverable" and threats["credential_compromise"] == "recoverable"
    assert threats["region_loss"] == "recoverable"
    _, _, without = imported(tmp_path, "aws-backup", aws_sources(tmp_path / "b", copies=False), as_of="2024-03-06", name="without")
    threats = {a["id"]: a["threats"] for a in without["assets"]}["orders"]
    assert threats["account_loss"] == "unrecoverable" and threats["credential_compromise"] == "unrecoverable"


def test_aws_governance_lock_is_not_immutable(tmp_path):
    """A vault locked without a LockDate (governance mode) does not make its copies immutable, and the report says why."""
    d = build_draft("aws-backup", [str(p) for p in aws_sources(tmp_path, bunker_locked=False)])
    copy = f"orders@{DR_ACCT}.eu-central-1.bunker"
    assert d.backups[copy].get("immutable", "") == ""
    (tmp_path / "aws" / "bunker.json").write_text(json.dumps(vault_doc(BUNKER, True)), encoding="utf-8")
    d = build_draft("aws-backup", [str(p) for p in sorted((tmp_path / "aws").iterdir())])
    assert d.backups[copy].get("immutable", "") == "" and any("governance-mode lock" in s for s in d.seen)


def test_aws_published_example_imports(tmp_path):
    """The AWS CLI documentation's list-backup-jobs example: two resources, one finished run, the CREATED job ignored."""
    out, inv, _ = imported(tmp_path, "aws-backup", [AWS_JOBS], as_of="2020-09-22")
    assert set(inv.backups["protects"]) == {"i-12345678901234567", "fs-12345678"}
    runs = read_csv(out / "backup_runs.csv")
    assert [(r["started_at"], r["status"]) for r in runs] == [("2020-09-21T20:55:24Z", "success")]
    assert "1 jobs in state CREATED" in (out / "import-report-aws-backup.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "message"), [
    ('{"BackupJobs": [', r"bad\.json: document 1: line 1, column 17: invalid JSON"),
    ('{"Jobs": []}', r"bad\.json: keys Jobs - expected the output of aws backup list-backup-jobs"),
    ('{"BackupJobs": [{"BackupVaultArn": "x"}]}', r"bad\.json: BackupJobs\[0\]: missing required field 'ResourceArn'"),
    ('{"BackupJobs": [{"ResourceArn": "i-1", "BackupVaultArn": "v"}]}',
     r"BackupJobs\[0\]: field 'ResourceArn': value 'i-1' - expected an ARN"),
    ('{"BackupJobs": []}{"BackupJobs": [{"ResourceArn": "arn:aws:ec2:r:1:instance/i", "BackupVaultArn": '
     '"arn:aws:backup:r:1:backup-vault:v", "State": "COMPLETED", "CreationDate": "soon"}]}',
     r"bad\.json: document 2: BackupJobs\[0\]: field 'CreationDate': value 'soon' - expected a date-time"),
    ('{"BackupJobs": [{"ResourceArn": "arn:aws:ec2:r:1:instance/i", "BackupVaultArn": '
     '"arn:aws:backup:r:1:backup-vault:v", "State": "DONE", "CreationDate": 1}]}',
     r"field 'State': value 'DONE' - expected one of"),
    ('[1, 2]', r"bad\.json: is a list, expected the JSON object"),
])
def test_aws_malformed_input_names_file_and_record(tmp_path, text, message):
    """Malformed JSON, an unknown document, a record without a field or with a bad value: file and record named, nothing written."""
    bad = tmp_path / "bad.json"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ImportSourceError, match=message):
        run("aws-backup", [str(bad)], str(tmp_path / "out"), stderr=io.StringIO())
    assert not (tmp_path / "out").exists()


def test_aws_reimport_is_idempotent_and_merges_new_pages(tmp_path):
    """The same files twice give the same bytes; a later export adds its runs and keeps the earlier ones."""
    sources = aws_sources(tmp_path)
    out = tmp_path / "inv"
    run("aws-backup", [str(p) for p in sources], str(out), as_of="2024-03-06", stderr=io.StringIO())
    first = files(out)
    run("aws-backup", [str(p) for p in sources], str(out), stderr=io.StringIO())
    assert files(out) == first
    write_json(sources[0], {"BackupJobs": [backup_job(9, "2024-03-09T00:00:00Z")]})
    run("aws-backup", [str(p) for p in sources], str(out), stderr=io.StringIO())
    starts = {r["started_at"] for r in read_csv(out / "backup_runs.csv")}
    assert {"2024-03-09T00:00:00Z", "2024-03-01T00:00:00Z"} <= starts
    assert "also keeps 4 rows that earlier imports" in (out / "import-report-aws-backup.md").read_text(encoding="utf-8")
    inventory.load(str(out))


# --- Terraform -------------------------------------------------------------------------

A_KEY = f"arn:aws:kms:eu-west-1:{SRC_ACCT}:key/1111aaaa-0000-0000-0000-000000000001"
B_KEY = f"arn:aws:kms:eu-central-1:{DR_ACCT}:key/2222bbbb-0000-0000-0000-000000000002"
DB_TF_ARN = f"arn:aws:rds:eu-west-1:{SRC_ACCT}:db:orders"


def tf_res(rtype, name, values, module=""):
    address = f"{module + '.' if module else ''}{rtype}.{name}"
    return {"address": address, "mode": "managed", "type": rtype, "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": values,
            "sensitive_values": {}}


def tf_state(resources, children=(), plan=False):
    root = {"resources": list(resources)}
    if children:
        root["child_modules"] = list(children)
    key = "planned_values" if plan else "values"
    return {"format_version": "1.0", "terraform_version": "1.7.5", key: {"root_module": root}}


def account_a(bunker_key_in_source_region=False, multi_region=False):
    db = tf_res("aws_db_instance", "orders", {
        "identifier": "orders", "arn": DB_TF_ARN, "engine": "postgres", "allocated_storage": 100,
        "availability_zone": "eu-west-1a", "multi_az": False, "backup_retention_period": 7,
        "backup_window": "03:00-04:00", "storage_encrypted": True, "kms_key_id": A_KEY}, module="module.db")
    plan = tf_res("aws_backup_plan", "main", {
        "id": "plan-1", "arn": f"arn:aws:backup:eu-west-1:{SRC_ACCT}:backup-plan:plan-1", "name": "daily",
        "rule": [{"rule_name": "daily", "target_vault_name": "prod", "schedule": "cron(0 5 ? * * *)",
                  "start_window": 60, "completion_window": 180, "enable_continuous_backup": False,
                  "lifecycle": [{"cold_storage_after": 0, "delete_after": 35}],
                  "copy_action": [{"destination_vault_arn": f"arn:aws:backup:eu-central-1:{DR_ACCT}:backup-vault:bunker",
                                   "lifecycle": [{"cold_storage_after": 0, "delete_after": 90}]}]}]})
    resources = [
        tf_res("aws_kms_key", "backup", {"arn": A_KEY, "key_id": A_KEY.rsplit("/", 1)[1], "multi_region": multi_region,
                                          "description": "backup vault key"}),
        tf_res("aws_backup_vault", "prod", {"name": "prod", "arn": PROD_VAULT, "kms_key_arn": A_KEY}),
        plan,
        tf_res("aws_backup_selection", "db", {"name": "db", "plan_id": "plan-1", "iam_role_arn": ROLE,
                                              "resources": [DB_TF_ARN], "selection_tag": []}),
        tf_res("aws_s3_bucket", "assets", {"bucket": "acme-assets", "arn": "arn:aws:s3:::acme-assets"}),
        tf_res("aws_s3_bucket_replication_configuration", "assets", {
            "bucket": "acme-assets", "role": ROLE,
            "rule": [{"id": "all", "status": "Enabled", "destination": [
                {"bucket": "arn:aws:s3:::acme-assets-dr", "account": DR_ACCT, "storage_class": "STANDARD"}]}]}),
        tf_res("aws_iam_role", "backup", {"name": "AWSBackupDefaultServiceRole"}),
    ]
    return tf_state(resources, children=[{"address": "module.db", "resources": [db]}])


def account_b(key=B_KEY, locked=True):
    res = [tf_res("aws_kms_key", "dr", {"arn": B_KEY, "key_id": B_KEY.rsplit("/", 1)[1], "multi_region": False}),
           tf_res("aws_backup_vault", "bunker", {"name": "bunker", "arn": BUNKER, "kms_key_arn": key})]
    if locked:
        res.append(tf_res("aws_backup_vault_lock_configuration", "bunker", {
            "backup_vault_name": "bunker", "changeable_for_days": 3, "min_retention_days": 30, "max_retention_days": 120}))
    return tf_state(res)


def tf_files(tmp_path: Path, a=None, b=None) -> list[Path]:
    return [write_json(tmp_path / "tf" / "account-a.json", a or account_a()),
            write_json(tmp_path / "tf" / "account-b.json", b or account_b())]


def test_terraform_plans_rules_copies_locks_rds_and_replication(tmp_path):
    """Plan rules give schedule and retention per vault; a compliance lock in another file makes the copy immutable; RDS and S3 are mapped."""
    d = build_draft("terraform", [str(p) for p in tf_files(tmp_path)])
    primary, copy = f"orders@{SRC_ACCT}.eu-west-1.prod", f"orders@{DR_ACCT}.eu-central-1.bunker"
    assert d.backups[primary]["schedule_hours"] == "24" and d.backups[primary]["retention_days"] == "35"
    assert d.backups[primary]["method"] == "snapshot" and d.backups[primary].get("immutable", "") == ""
    assert d.backups[copy]["retention_days"] == "90" and d.backups[copy]["immutable"] == "true"
    assert d.backups[copy]["restore_to"] == f"aws-restore-target.{DR_ACCT}.eu-central-1"
    assert (primary, f"kms.{SRC_ACCT}.eu-west-1.1111aaaa-0000-0000-0000-000000000001") in deps(d)
    assert (primary, f"iam.{SRC_ACCT}.AWSBackupDefaultServiceRole") in deps(d)
    assert d.components["orders"]["data_gb"] == "107.374" and ("orders", "aws-az.eu-west-1a") in deps(d)
    auto = d.backups["orders.automated-backups"]
    assert auto["retention_days"] == "7" and auto["schedule_hours"] == "0.083333"  # point-in-time recovery: 5 minutes
    assert auto["restore_to"] == f"aws-restore-target.{SRC_ACCT}.eu-west-1"  # any zone of the region
    rep = d.backups["acme-assets.replica.acme-assets-dr"]
    assert rep["method"] == "replica" and ("s3-replica.acme-assets-dr", f"aws-account.{DR_ACCT}") in deps(d)
    assert any("`aws_iam_role`" in i for i in d.ignored)
    # without account B's state the lock is unknown: the copy is not immutable and the report asks
    d1 = build_draft("terraform", [str(tf_files(tmp_path)[0])])
    assert d1.backups[copy].get("immutable", "") == "" and any("bunker" in t for t in d1.todo)


def test_terraform_copy_to_locked_vault_of_another_account_survives_the_source_account(tmp_path):
    """The analysis of the merged states: the database survives the loss and the compromise of account A, and of its zone and region."""
    _, _, result = imported(tmp_path, "terraform", tf_files(tmp_path), as_of="2024-03-06")
    threats = {a["id"]: a["threats"] for a in result["assets"]}["orders"]
    assert threats["account_loss"] == "recoverable" and threats["credential_compromise"] == "recoverable"
    assert threats["site_loss"] == "recoverable" and threats["region_loss"] == "recoverable"
    _, inv, _ = imported(tmp_path, "terraform", [tf_files(tmp_path)[0]], as_of="2024-03-06", name="a-only")
    m = model.build(inv)
    assert "orders" not in m.recover({"aws-az.eu-west-1a"}).unrecoverable  # automated backups restore in another zone
    assert "orders" not in m.recover({f"aws-account.{SRC_ACCT}"}).unrecoverable  # the copy action reaches account B


def test_terraform_single_region_key_behind_cross_region_copy_is_a_finding(tmp_path):
    """A copy in eu-central-1 whose vault key is a single-region key in eu-west-1 is reported, and dies with eu-west-1; a multi-region key is not."""
    files_ = tf_files(tmp_path / "single", b=account_b(key=A_KEY))
    d = build_draft("terraform", [str(p) for p in files_])
    assert any("single-region key in eu-west-1" in s for s in d.seen)
    _, _, result = imported(tmp_path / "single", "terraform", files_, as_of="2024-03-06")
    assert {a["id"]: a["threats"] for a in result["assets"]}["orders"]["region_loss"] == "unrecoverable"
    files_ = tf_files(tmp_path / "multi", a=account_a(multi_region=True), b=account_b(key=A_KEY))
    d = build_draft("terraform", [str(p) for p in files_])
    assert not any("single-region key" in s for s in d.seen)
    _, _, result = imported(tmp_path / "multi", "terraform", files_, as_of="2024-03-06")
    assert {a["id"]: a["threats"] for a in result["assets"]}["orders"]["region_loss"] == "recoverable"


def test_terraform_plan_output_and_nested_modules(tmp_path):
    """`terraform show -json` of a plan (planned_values) is read too, modules inside modules included."""
    inner = {"address": "module.data.module.rds", "resources": [tf_res("aws_db_instance", "billing", {
        "identifier": "billing", "allocated_storage": 20, "multi_az": True, "backup_retention_period": 0},
        module="module.data.module.rds")]}
    doc = tf_state([], children=[{"address": "module.data", "resources": [], "child_modules": [inner]}], plan=True)
    d = build_draft("terraform", [str(write_json(tmp_path / "plan.json", doc))])
    assert d.components["billing"]["kind"] == "datastore"
    assert any("automated backups switched off" in s for s in d.seen)


@pytest.mark.parametrize(("expr", "hours"), [
    ("cron(0 5 ? * * *)", 24.0), ("cron(0 5 ? * 1 *)", 168.0), ("cron(0 */6 * * ? *)", 6.0),
    ("cron(0 3 ? * MON-FRI *)", 33.6), ("rate(12 hours)", 12.0), ("rate(1 day)", 24.0),
])
def test_aws_schedule_expressions(expr, hours):
    """AWS cron (6 fields, weekdays 1-7 from Sunday) and rate expressions give mean hours between runs."""
    from hiddenspof.importers.terraform import aws_schedule_hours

    assert aws_schedule_hours(expr) == pytest.approx(hours)


@pytest.mark.parametrize(("doc", "message"), [
    ({"values": {}}, r"tf\.json: document 1: expected the output of `terraform show -json`"),
    (tf_state([{"address": "aws_backup_vault.x", "type": "aws_backup_vault", "mode": "managed"}]),
     r"tf\.json: root_module: resources\[0\] \(aws_backup_vault\.x\): field 'values': expected an object"),
    (tf_state([tf_res("aws_backup_plan", "p", {"id": "p", "rule": [{"target_vault_name": "v", "schedule": "daily"}]}),
               tf_res("aws_backup_selection", "s", {"plan_id": "p", "resources": [DB_TF_ARN]})]),
     r"tf\.json: aws_backup_plan\.p: rule\[0\]: field 'schedule': value 'daily' - expected cron"),
    (tf_state([tf_res("aws_db_instance", "d", {"identifier": "d", "allocated_storage": "big"})]),
     r"tf\.json: aws_db_instance\.d: field 'allocated_storage': value 'big' - expected a number"),
    (tf_state([tf_res("aws_backup_vault", "v", {"name": "v", "arn": "vault-v"})]),
     r"aws_backup_vault\.v: field 'arn': value 'vault-v' - expected an ARN"),
])
def test_terraform_malformed_documents_name_file_and_resource(tmp_path, doc, message):
    """A document that is not terraform JSON, a resource without values, a bad schedule, number or ARN: named precisely."""
    path = write_json(tmp_path / "tf.json", doc)
    with pytest.raises(ImportSourceError, match=message):
        run("terraform", [str(path)], str(tmp_path / "out"), stderr=io.StringIO())
    assert not (tmp_path / "out").exists()


def test_terraform_merges_into_an_aws_backup_import(tmp_path):
    """Terraform (schedules, retention, locks) merged --into an aws-backup import (runs) completes the same backup rows."""
    out = tmp_path / "inv"
    run("aws-backup", [str(p) for p in aws_sources(tmp_path)], str(out), as_of="2024-03-06", stderr=io.StringIO())
    run("terraform", [str(p) for p in tf_files(tmp_path)], str(out), into=str(out), stderr=io.StringIO())
    backups = {r["id"]: r for r in read_csv(out / "backups.csv")}
    primary = backups[f"orders@{SRC_ACCT}.eu-west-1.prod"]
    assert primary["schedule_hours"] == "24" and primary["retention_days"] == "35"
    assert primary["imported_from"] == "aws-backup:list-backup-jobs.json;terraform:account-a.json"
    assert len(read_csv(out / "backup_runs.csv")) == 6  # the aws-backup runs are kept
    inventory.load(str(out))


# --- restic, Borg, Velero history --------------------------------------------------------

RESTIC = FIX / "restic" / "srv-restic-repo.json"
BORG = [FIX / "borg" / "borg-list.json", FIX / "borg" / "borg-info.json"]
VELERO_HISTORY = FIX / "velero-history" / "backups-and-restores.json"
K8S = [FIX / "kubernetes" / "online-boutique.yaml", FIX / "velero" / "data-namespace.yaml", FIX / "velero" / "velero.yaml"]


def test_restic_snapshots_give_a_backup_per_host_and_paths_and_full_runs(tmp_path):
    """The documented example repository: a backup per host and path set, one full run per snapshot, schedule from the gaps."""
    d = build_draft("restic", [str(RESTIC)])
    assert set(d.backups) == {"kasimir@restic-repo.srv-restic-repo", "kazik@restic-repo.srv-restic-repo",
                              "luigi:/home/art@restic-repo.srv-restic-repo", "luigi:/srv@restic-repo.srv-restic-repo"}
    k = "kasimir@restic-repo.srv-restic-repo"
    assert d.backups[k]["schedule_hours"] == "24.012" and d.backups[k]["protects"] == "kasimir"
    assert (k, "restic-repo.srv-restic-repo") in deps(d) and (k, "restic-password.srv-restic-repo") in deps(d)
    runs = {key[1]: row for key, row in d.runs.items() if key[0] == k}
    assert runs["2015-05-09T19:40:19Z"] | {} == {
        "backup": k, "started_at": "2015-05-09T19:40:19Z", "finished_at": "2015-05-09T19:40:19Z", "status": "success",
        "type": "full", "size_gb": "22.168", "message": "snapshot 79766175, 0.002 GB new",
        "imported_from": "restic:srv-restic-repo.json"}
    assert "size_gb" not in runs["2015-05-08T19:38:30Z"]  # a snapshot of restic < 0.17 has no summary
    _, _, result = imported(tmp_path, "restic", [RESTIC], as_of="2015-05-12")
    pairs = {frozenset(p) for p in {a["id"]: a for a in result["assets"]}["kasimir"]["cut_sets"]}
    assert {frozenset({"kasimir", "restic-password.srv-restic-repo"}), frozenset({"kasimir", "restic-repo.srv-restic-repo"})} <= pairs


def test_borg_list_and_info_merge_into_one_host_with_runs_and_a_failed_checkpoint(tmp_path):
    """`borg list` and `borg info` of one repository: one host (named by info), sizes from info, a .checkpoint archive as a failed run."""
    d = build_draft("borg", [str(p) for p in BORG])
    bid = "host@borg-repo.0cbe6166b466"
    assert list(d.backups) == [bid] and d.backups[bid]["schedule_hours"] == "24"
    assert ("borg-repo.0cbe6166b466", "nas.example.org") in deps(d) and (bid, "borg-key.0cbe6166b466") in deps(d)
    runs = {key[1]: row for key, row in d.runs.items()}
    assert runs["2017-02-27T12:27:15"]["size_gb"] == "2.4" and runs["2017-02-27T12:27:15"]["finished_at"] == "2017-02-27T12:27:20"
    assert runs["2017-02-28T12:27:15"]["status"] == "failed" and all(r["type"] == "full" for r in runs.values())
    _, inv, _ = imported(tmp_path, "borg", BORG, as_of="2017-03-01")
    assert len(inv.backup_runs) == 5


def test_a_pruned_borg_repository_keeps_its_daily_schedule(tmp_path):
    """keep-daily 7, keep-weekly 4, keep-monthly 6: the listing's median gap is a week, the schedule it was made on a day."""
    import datetime as dt

    doc = json.loads(BORG[1].read_text(encoding="utf-8"))
    last = dt.datetime(2017, 2, 27, 12, 27, 15)
    kept = [last - dt.timedelta(days=d) for d in range(7)]
    kept += [last - dt.timedelta(days=7 * w) for w in range(2, 6)]
    kept += [last - dt.timedelta(days=30 * m) for m in range(2, 8)]
    doc["archives"] = [dict(doc["archives"][0], name=f"host-{t:%Y-%m-%d}", start=t.isoformat(),
                            end=(t + dt.timedelta(seconds=5)).isoformat()) for t in sorted(kept)]
    path = write_json(tmp_path / "info.json", doc)
    d = build_draft("borg", [str(path)])
    gaps = sorted((b - a).total_seconds() / 3600 for a, b in zip(sorted(kept), sorted(kept)[1:]))
    assert gaps[len(gaps) // 2] >= 7 * 24  # the median would have said "weekly"
    assert d.backups["host@borg-repo.0cbe6166b466"]["schedule_hours"] == "24"
    assert any("densest stretch of archives" in g for g in d.guessed)


def test_borg_keyfile_mode_puts_the_key_on_the_machine_it_backs_up(tmp_path):
    """In keyfile mode the key lives on the client: the analysis finds the host's own loss leaves it unrecoverable."""
    doc = json.loads(BORG[1].read_text(encoding="utf-8"))
    doc["encryption"]["mode"] = "keyfile-blake2"
    for day in (25, 26):  # three archives, so the schedule can be guessed
        arch = dict(doc["archives"][0], name=f"host-system-backup-2017-02-{day}", start=f"2017-02-{day}T12:27:15.147581",
                    end=f"2017-02-{day}T12:27:20.789123")
        doc["archives"].append(arch)
    path = write_json(tmp_path / "info.json", doc)
    d = build_draft("borg", [str(path)])
    assert ("borg-key.0cbe6166b466", "host") in deps(d) and any("keyfile mode" in s for s in d.seen)
    _, inv, result = imported(tmp_path, "borg", [path], as_of="2017-03-01")
    assert "host" in {a["id"]: a for a in result["assets"]}["host"]["common_cause"]
    assert "host" in model.build(inv).recover({"host"}).unrecoverable


def test_velero_history_alone_gives_namespace_backups_runs_and_restore_tests(tmp_path):
    """Backup objects are runs by phase, Restore objects tests by phase; without manifests a schedule protects its namespaces."""
    d = build_draft("velero", [str(VELERO_HISTORY)])
    nightly, hourly = "nightly.k8s-namespace.all", "hourly-data.k8s-namespace.data"
    assert set(d.backups) == {nightly, hourly} and d.backups[nightly]["schedule_hours"] == "24"
    assert d.backups[nightly]["retention_days"] == "30" and (nightly, "bsl.default") in deps(d) and (nightly, "velero") in deps(d)
    status = {key[1]: row["status"] for key, row in d.runs.items() if key[0] == nightly}
    assert status == {"2026-09-25T01:00:00Z": "success", "2026-09-26T01:00:00Z": "success",
                      "2026-09-27T01:00:00Z": "warning", "2026-09-28T01:00:00Z": "success",
                      "2026-09-29T01:00:00Z": "failed"}
    assert any("phase InProgress" in i for i in d.ignored)
    tests = {key[0]: row for key, row in d.tests.items()}
    assert tests[nightly]["result"] == "pass" and tests[nightly]["duration_hours"] == "0.5"
    assert tests[hourly]["result"] == "partial"


def test_velero_history_with_manifests_lands_on_the_per_workload_backups(tmp_path):
    """With the manifests, each Backup is a run of every workload backup of its schedule; a Restore of one namespace tests only its backups."""
    d = build_draft("velero", [str(p) for p in K8S] + [str(VELERO_HISTORY)])
    assert {k[1] for k in d.runs if k[0] == "nightly.cartservice"} >= {"2026-09-25T01:00:00Z", "2026-09-29T01:00:00Z"}
    assert ("hourly-data.orders-db", "2026-09-29T06:00:00Z") in d.runs
    tested = {k[0] for k, row in d.tests.items() if row["result"] == "pass"}
    assert "nightly.orders-db" in tested and "nightly.cartservice" not in tested  # the restore included namespace data only
    assert all(row[PROVENANCE].startswith("velero:") for row in d.components.values())
    assert not any("a one-off run" in i for i in d.ignored)
    _, _, failed = imported(tmp_path, "velero", K8S + [VELERO_HISTORY], as_of="2026-09-30", name="failed")
    doc = json.loads(VELERO_HISTORY.read_text(encoding="utf-8"))
    for item in doc["items"]:
        if item["kind"] == "Backup" and item["status"]["phase"] == "Failed":
            item["status"]["phase"] = "Completed"
    fixed = write_json(tmp_path / "fixed" / "backups-and-restores.json", doc)
    _, _, ok = imported(tmp_path, "velero", K8S + [fixed], as_of="2026-09-30", name="ok")
    score = {name: {b["id"]: b["silent_failure_score"] for b in r["backups"]}["nightly.cartservice"]
             for name, r in (("failed", failed), ("ok", ok))}
    assert score["failed"] > score["ok"]  # the failed last run raises the silent score


@pytest.mark.parametrize(("fmt", "text", "message"), [
    ("restic", '{"a": 1}', r"bad\.json: is a dict, expected the list `restic snapshots --json` prints"),
    ("restic", '[{"time": "2015-05-08T21:38:30+02:00", "paths": ["/srv"]}]',
     r"bad\.json: \[0\]: missing required field 'hostname'"),
    ("restic", '[{"time": "yesterday", "hostname": "h", "paths": ["/srv"]}]',
     r"bad\.json: \[0\]: field 'time': value 'yesterday' - expected a date-time"),
    ("borg", '{"archives": []}', r"bad\.json: expected the output of `borg list --json`"),
    ("borg", '{"repository": {"id": "r"}, "archives": [{"name": "a", "start": "2017-01-01T00:00:00", '
             '"stats": {"original_size": "huge"}}]}',
     r"archives\[0\]: field 'stats\.original_size': value 'huge' - expected a number"),
    ("velero", '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "velero.io/v1", "kind": "Backup", '
               '"metadata": {"name": "nightly-20260101000000"}, "status": {"phase": "Exploded"}}]}',
     r"bad\.json: document 1 \(line 1\), item 1: field 'status\.phase': value 'Exploded'"),
    ("velero", '{"apiVersion": "v1", "kind": "List", "items": []}', r"no Velero Backup or Restore object"),
])
def test_history_importers_refuse_malformed_input(tmp_path, fmt, text, message):
    """restic, Borg and Velero history refuse bad documents with file, record and field; nothing is written."""
    bad = tmp_path / "bad.json"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ImportSourceError, match=message):
        run(fmt, [str(bad)], str(tmp_path / "out"), stderr=io.StringIO())
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("fmt", "sources"), [
    ("restic", [RESTIC]), ("borg", BORG), ("velero", K8S + [VELERO_HISTORY]),
])
def test_history_imports_are_idempotent_and_keep_hand_edits(tmp_path, fmt, sources):
    """Each history format: the same import twice is byte-identical; a hand-set tier and run message survive a re-import."""
    out = tmp_path / "inv"
    run(fmt, [str(s) for s in sources], str(out), as_of="2026-09-30", stderr=io.StringIO())
    first = files(out)
    run(fmt, [str(s) for s in sources], str(out), stderr=io.StringIO())
    assert files(out) == first
    runs = read_csv(out / "backup_runs.csv")
    runs[0]["message"] = "checked by hand"
    comps = read_csv(out / "components.csv")
    target = next(r for r in comps if r["kind"] == "service")
    target["tier"] = "2"
    for name, rows in (("backup_runs.csv", runs), ("components.csv", comps)):
        buf = io.StringIO()
        w = csv.DictWriter(buf, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        (out / name).write_text(buf.getvalue(), encoding="utf-8")
    run(fmt, [str(s) for s in sources], str(out), stderr=io.StringIO())
    assert read_csv(out / "backup_runs.csv")[0]["message"] == "checked by hand"
    assert {r["id"]: r for r in read_csv(out / "components.csv")}[target["id"]]["tier"] == "2"
    inventory.load(str(out))


# --- every backup-platform format --------------------------------------------------------

def _all_sources(tmp_path: Path) -> dict[str, list[Path]]:
    return {"veeam": [VEEAM], "aws-backup": aws_sources(tmp_path / "aws"), "terraform": tf_files(tmp_path / "tf"),
            "restic": [RESTIC], "borg": BORG, "velero": K8S + [VELERO_HISTORY]}


@pytest.mark.parametrize("fmt", ["veeam", "aws-backup", "terraform", "restic", "borg", "velero"])
def test_report_counts_match_what_was_written(tmp_path, fmt):
    """The report's counts are the rows written; every id it lists as not protected is written without a backup."""
    import re

    out = tmp_path / "inv"
    run(fmt, [str(s) for s in _all_sources(tmp_path)[fmt]], str(out), stderr=io.StringIO())
    report = (out / f"import-report-{fmt}.md").read_text(encoding="utf-8")
    m = re.search(r"This import gives (\d+) components, (\d+) dependencies,? (?:and )?(\d+) backups"
                  r"(?:, (\d+) backup runs and (\d+) restore tests)?", report)
    assert m, report[:500]
    written = [len(read_csv(out / f"{t}.csv")) if (out / f"{t}.csv").exists() else 0
               for t in ("components", "dependencies", "backups", "backup_runs", "restore_tests")]
    assert [int(g or 0) for g in m.groups()] == written
    protected = {r["protects"] for r in read_csv(out / "backups.csv")}
    ids = {r["id"] for r in read_csv(out / "components.csv")}
    for cid in re.findall(r"`([^`]+)` \([^)]*\) is not protected", report):
        assert cid in ids and cid not in protected
    if fmt != "terraform":
        assert "The latest job run in the sources started on" in report  # as_of is a placeholder here
    inventory.load(str(out))


def test_cli_imports_backup_formats_and_refuses_bad_input(tmp_path, capsys):
    """`hiddenspof import veeam` writes the folder (exit 0); a malformed AWS listing exits 1 with file and record, no traceback."""
    from hiddenspof import cli

    assert cli.main(["import", "veeam", str(VEEAM), "--out", str(tmp_path / "v"), "--as-of", "2024-03-02"]) == 0
    assert (tmp_path / "v" / "backup_runs.csv").exists()
    bad = tmp_path / "jobs.json"
    bad.write_text('{"BackupJobs": [{"ResourceArn": "nope", "BackupVaultArn": "x"}]}', encoding="utf-8")
    assert cli.main(["import", "aws-backup", str(bad), "--out", str(tmp_path / "a")]) == 1
    err = capsys.readouterr().err
    assert "jobs.json: BackupJobs[0]: field 'ResourceArn': value 'nope'" in err and "Traceback" not in err
    assert not (tmp_path / "a").exists()


@pytest.mark.slow
def test_import_notebook_runs_on_the_veeam_baseline(tmp_path):
    """00_import executes on the Health Check baselines and shows what the source itself says and the job history."""
    import nbformat
    import papermill

    notebook = Path(__file__).parent.parent / "notebooks" / "00_import.ipynb"
    out = tmp_path / "inv"
    papermill.execute_notebook(
        str(notebook), str(tmp_path / "out.ipynb"), cwd=str(notebook.parent), progress_bar=False,
        parameters={"fmt": "veeam", "sources": str(VEEAM), "out_dir": str(out), "as_of": "2024-03-02"},
    )
    text = "".join(o.get("text", "") for c in nbformat.read(str(tmp_path / "out.ipynb"), as_version=4).cells
                   if c.cell_type == "code" for o in c.get("outputs", []))
    assert "is not protected by any Veeam job" in text and "7 backup runs and 0 restore tests" in text


def test_veeam_reads_a_utf16_export(tmp_path):
    """A bundle file saved as UTF-16 with a byte-order mark (Windows PowerShell) reads like UTF-8."""
    root = bundle(tmp_path, jobs=[job("Nightly", "Hardened")], sessions=[session("Nightly", "APP1", "2024-03-01T22:00:00")],
                  protected=["APP1"])
    report = root / "SessionReports" / "VeeamSessionReport.csv"
    report.write_bytes(report.read_text(encoding="utf-8").encode("utf-16"))
    assert ("Nightly.APP1", "2024-03-01T22:00:00") in build_draft("veeam", [str(root)]).runs
    report.write_bytes(b"\x81\x82 not text")
    with pytest.raises(ImportSourceError, match="VeeamSessionReport.csv: not UTF-8 text"):
        build_draft("veeam", [str(root)])


def test_backup_fixture_copies_match_shared_originals():
    """The Veeam baselines and the AWS CLI example are unmodified copies of the shared originals (licence notes kept)."""
    shared = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
    if not shared.exists():
        pytest.skip("shared fixtures not beside the clone")
    originals = sorted(p for p in (shared / "veeam-healthcheck").rglob("*") if p.is_file())
    assert originals
    for original in originals:
        assert (VEEAM / original.relative_to(shared / "veeam-healthcheck")).read_bytes() == original.read_bytes()
    assert AWS_JOBS.read_bytes() == (shared / "aws-backup" / "list-backup-jobs.json").read_bytes()


def test_aws_list_backup_vaults_output_locks_vaults(tmp_path):
    """`list-backup-vaults` (BackupVaultList) describes vaults like describe-backup-vault: a compliance lock makes copies immutable."""
    sources = [p for p in aws_sources(tmp_path) if p.name not in ("bunker.json", "prod.json")]
    sources.append(write_json(tmp_path / "aws" / "vaults.json", {"BackupVaultList": [
        vault_doc(PROD_VAULT, False), vault_doc(BUNKER, True, "2024-01-04T00:00:00Z")]}))
    d = build_draft("aws-backup", [str(p) for p in sources])
    assert d.backups[f"orders@{DR_ACCT}.eu-central-1.bunker"]["immutable"] == "true"
    assert d.backups[f"orders@{SRC_ACCT}.eu-west-1.prod"].get("immutable", "") == ""
    assert not any("describe-backup-vault" in t for t in d.todo)
