"""Inventory intake: containers, normalisation and every kind of validation problem."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hiddenspof.errors import InventoryError
from hiddenspof.inventory import TABLES, load, save
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

GOOD_FOLDER = {
    "inventory.yaml": "name: Acme test\nas_of: 2026-09-30\nscenarios:\n  - name: site down\n    fail: [site-a]\n",
    "components.csv": (
        "id,name,kind,tier,rto_hours,rpo_hours,data_gb,failure_probability,throughput_mb_s,max_parallel_restores,owner\n"
        "site-a,London DC,site,,,,,0.01,,,facilities\n"
        "app,Shop front,service,1,4,1,,,,,web team\n"
        "db,Orders DB,datastore,1,8,24,120.5,,,,dba\n"
        "db-r,Orders replica,datastore,2,,,,,,,dba\n"
        "store,,backup_store,,,,,,250,4,\n"
        "sso,SSO,identity,,,,,,,,\n"
    ),
    "dependencies.csv": (
        "component,depends_on,kind,group,needs,notes\n"
        "app,db,storage,dbs,1,\n"
        "app,db-r,storage,dbs,1,\n"
        "app,sso,identity,,,\n"
        "db,site-a,location,,,\n"
        "store,site-a,location,,,\n"
        "db-backup,store,storage,,,\n"
    ),
    "backups.csv": (
        "id,protects,method,schedule_hours,retention_days,immutable,offline,verification,alert_channel,restore_to,size_gb,restore_mb_s\n"
        "db-backup,db,dump,24,30,Yes,no,restore_test,sso,,100,150\n"
    ),
    "backup_runs.csv": (
        "backup,started_at,finished_at,status,size_gb,message\n"
        "db-backup,2026-09-28T01:00:00Z,2026-09-28T02:30:00Z,success,99.1,\n"
        "db-backup,2026-09-29T01:00:00+01:00,2026-09-29T02:00:00+01:00,failed,,disk full\n"
    ),
    "restore_tests.csv": (
        "backup,tested_at,result,scope,restored_gb,duration_hours,notes\n"
        "db-backup,2026-08-15,pass,full,99,3.5,quarterly test\n"
    ),
}


def write_folder(root: Path, files: dict[str, str] | None = None, **changes: str) -> Path:
    """Write a CSV-folder inventory (GOOD_FOLDER with some files replaced) and return it."""
    root.mkdir(parents=True, exist_ok=True)
    content = dict(files or GOOD_FOLDER)
    content.update({k.replace("_csv", ".csv").replace("_yaml", ".yaml"): v for k, v in changes.items()})
    for name, text in content.items():
        if text is not None:
            (root / name).write_text(text, encoding="utf-8")
    return root


def problems_of(path: Path) -> list:
    """The problems an inventory raises (fails the test when it loads)."""
    with pytest.raises(InventoryError) as info:
        load(path)
    return info.value.problems


def find(problems, *, file=None, row=None, column=None, value=None, expected=None):
    """The single error problem matching every given field."""
    hits = [
        p for p in problems
        if p.severity == "error"
        and (file is None or p.file.endswith(file))
        and (row is None or p.row == row)
        and (column is None or p.column == column)
        and (value is None or p.value == value)
        and (expected is None or expected in p.expected)
    ]
    assert len(hits) == 1, f"expected one matching problem, got {hits} among {[str(p) for p in problems]}"
    return hits[0]


def test_good_folder_loads_with_types(tmp_path):
    """A valid CSV folder loads with the documented types and defaults."""
    inv = load(write_folder(tmp_path / "inv"))
    comps = inv.components.set_index("id")
    assert inv.meta.name == "Acme test" and str(inv.meta.as_of) == "2026-09-30"
    assert comps.loc["db", "data_gb"] == 120.5
    assert comps.loc["app", "tier"] == 1 and str(comps["tier"].dtype) == "Int64"
    assert comps.loc["site-a", "name"] == "London DC"
    assert comps.loc["store", "name"] == "store", "name defaults to the id"
    assert comps.loc["db-backup", "kind"] == "backup", "backups not listed are added as components"
    b = inv.backups.iloc[0]
    assert b["immutable"] is True or bool(b["immutable"]) is True
    assert bool(b["offline"]) is False
    assert inv.backups["immutable"].dtype == bool
    deps = inv.dependencies
    assert list(deps["needs"].astype("float").fillna(-1)) == [1, 1, -1, -1, -1, -1]
    runs = inv.backup_runs
    assert runs["started_at"].iloc[1] == pd.Timestamp("2026-09-29T00:00:00"), "times are normalised to naive UTC"
    assert inv.restore_tests["tested_at"].iloc[0] == pd.Timestamp("2026-08-15")
    assert inv.meta.scenarios[0].fail == ("site-a",)
    assert inv.warnings == ()


def test_every_container_gives_an_equal_inventory(tmp_path):
    """The same inventory as CSV folder, Excel workbook and YAML file loads equal."""
    inv = load(write_folder(tmp_path / "inv"))
    for target in (tmp_path / "copy.xlsx", tmp_path / "copy.yaml", tmp_path / "copy-folder"):
        save(inv, target)
        assert load(target) == inv, target


def test_loading_never_changes_the_input(tmp_path):
    """Loading (valid or not) leaves every input byte as it was."""
    folder = write_folder(tmp_path / "inv", components_csv=GOOD_FOLDER["components.csv"] + "bad,nokind,9,,,,,,,,\n")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    with pytest.raises(InventoryError):
        load(folder)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    assert before == after


# ---- one test per kind of problem, pinning file, row, column and value -----------------


def test_duplicate_component_id(tmp_path):
    """A second row with an existing id names the row of the first."""
    p = problems_of(write_folder(tmp_path / "i", components_csv=GOOD_FOLDER["components.csv"] + "db,,service,,,,,,,,\n"))
    problem = find(p, file="components.csv", row=8, column="id", value="db")
    assert "row 4" in problem.expected


def test_unknown_kind_suggests_the_closest(tmp_path):
    """An unknown kind is reported with the closest allowed kind."""
    p = problems_of(write_folder(tmp_path / "i", components_csv=GOOD_FOLDER["components.csv"].replace("sso,SSO,identity", "sso,SSO,identiy")))
    assert "did you mean 'identity'" in find(p, file="components.csv", row=7, column="kind", value="identiy").expected


@pytest.mark.parametrize(
    ("table", "old", "new", "row", "column", "value"),
    [
        ("dependencies.csv", "app,sso,identity", "app,ssso,identity", 4, "depends_on", "ssso"),
        ("dependencies.csv", "db,site-a,location", "dbx,site-a,location", 5, "component", "dbx"),
        ("backups.csv", "db-backup,db,dump", "db-backup,nothing,dump", 2, "protects", "nothing"),
        ("backups.csv", "restore_test,sso,,", "restore_test,pager,,", 2, "alert_channel", "pager"),
        ("backups.csv", "restore_test,sso,,", "restore_test,sso,dr-site,", 2, "restore_to", "dr-site"),
        ("backup_runs.csv", "db-backup,2026-09-28", "db-bkp,2026-09-28", 2, "backup", "db-bkp"),
        ("restore_tests.csv", "db-backup,2026-08-15", "nobackup,2026-08-15", 2, "backup", "nobackup"),
    ],
)
def test_unknown_ids_in_references(tmp_path, table, old, new, row, column, value):
    """Every kind of reference to an id that does not exist is reported where it stands."""
    text = GOOD_FOLDER[table]
    assert old in text
    p = problems_of(write_folder(tmp_path / "i", **{table.replace(".", "_"): text.replace(old, new)}))
    find(p, file=table, row=row, column=column, value=value)


@pytest.mark.parametrize(
    ("column", "old", "new", "expected"),
    [
        ("data_gb", "120.5", "12O", "a number >= 0"),
        ("rto_hours", ",1,8,", ",1,-8,", "a number >= 0"),
        ("tier", "app,Shop front,service,1", "app,Shop front,service,first", "a whole number >= 1 and <= 4"),
        ("failure_probability", ",0.01,", ",1.5,", "<= 1"),
        ("throughput_mb_s", ",250,", ",0,", "a number > 0"),
        ("max_parallel_restores", ",250,4,", ",250,2.5,", "a whole number >= 1"),
    ],
)
def test_bad_numbers(tmp_path, column, old, new, expected):
    """Numbers that do not parse or break their bounds name column, value and the bounds."""
    text = GOOD_FOLDER["components.csv"]
    assert text.count(old) == 1
    p = problems_of(write_folder(tmp_path / "i", components_csv=text.replace(old, new)))
    value = new.strip(",").split(",")[-1] if column != "tier" else "first"
    problem = find(p, file="components.csv", column=column, value=value)
    assert expected in problem.expected


def test_negative_duration(tmp_path):
    """A run that finished before it started, and a negative restore duration, are errors."""
    runs = GOOD_FOLDER["backup_runs.csv"].replace("2026-09-28T02:30:00Z", "2026-09-28T00:30:00Z")
    tests = GOOD_FOLDER["restore_tests.csv"].replace(",3.5,", ",-3.5,")
    p = problems_of(write_folder(tmp_path / "i", backup_runs_csv=runs, restore_tests_csv=tests))
    find(p, file="backup_runs.csv", row=2, column="finished_at", value="2026-09-28T00:30:00")
    find(p, file="restore_tests.csv", row=2, column="duration_hours", value="-3.5")


def test_needs_larger_than_group_and_disagreeing(tmp_path):
    """needs above the group's size, and rows of one group that disagree, are errors."""
    deps = GOOD_FOLDER["dependencies.csv"].replace("app,db,storage,dbs,1,", "app,db,storage,dbs,3,").replace("app,db-r,storage,dbs,1,", "app,db-r,storage,dbs,3,")
    p = problems_of(write_folder(tmp_path / "i", dependencies_csv=deps))
    assert "at most 2" in find(p, file="dependencies.csv", row=2, column="needs", value="3").expected
    deps = GOOD_FOLDER["dependencies.csv"].replace("app,db-r,storage,dbs,1,", "app,db-r,storage,dbs,2,")
    p = problems_of(write_folder(tmp_path / "j", dependencies_csv=deps))
    assert "row 2 says 1" in find(p, file="dependencies.csv", row=3, column="needs", value="2").expected


def test_duplicate_and_self_dependencies(tmp_path):
    """A repeated dependency row and a component depending on itself are errors."""
    deps = GOOD_FOLDER["dependencies.csv"] + "app,sso,identity,,,\nsso,sso,,,,\n"
    p = problems_of(write_folder(tmp_path / "i", dependencies_csv=deps))
    assert "row 4" in find(p, file="dependencies.csv", row=8, column="depends_on", value="sso", expected="each dependency once").expected
    find(p, file="dependencies.csv", row=9, column="depends_on", value="sso", expected="cannot depend on itself")


def test_needs_without_group_is_a_warning(tmp_path):
    """needs on an ungrouped row is ignored with a warning, not an error."""
    deps = GOOD_FOLDER["dependencies.csv"].replace("app,sso,identity,,,", "app,sso,identity,,2,")
    inv = load(write_folder(tmp_path / "i", dependencies_csv=deps))
    assert [(w.row, w.column) for w in inv.warnings] == [(4, "needs")]


def test_admin_rows_group_and_needs_warn_and_kind_is_case_insensitive(tmp_path):
    """group and needs on an admin row are ignored with a warning; any case of 'admin' reads as admin."""
    deps = GOOD_FOLDER["dependencies.csv"] + "db,sso,Admin,ops,2,\napp,sso,ADMIN,,,\n"
    inv = load(write_folder(tmp_path / "i", dependencies_csv=deps))
    assert [(w.row, w.column) for w in inv.warnings] == [(8, "group"), (8, "needs")]
    assert list(inv.dependencies["kind"])[-2:] == ["admin", "admin"]
    # an admin row's group does not join a group: 'ops' has no members, so no needs check fires
    assert pd.isna(inv.dependencies["needs"].iloc[-2])


def test_admin_row_duplicates(tmp_path):
    """An admin row beside a plain row on the same pair is allowed; the same admin row twice is an error."""
    deps = GOOD_FOLDER["dependencies.csv"] + "app,sso,admin,,,\n"
    inv = load(write_folder(tmp_path / "i", dependencies_csv=deps))
    assert inv.warnings == ()
    p = problems_of(write_folder(tmp_path / "j", dependencies_csv=deps + "app,sso,admin,,,\n"))
    dup = find(p, file="dependencies.csv", row=9, column="depends_on", value="sso", expected="each dependency once")
    assert "an admin row, as row 8" in dup.expected


def test_bad_booleans(tmp_path):
    """A boolean cell that is not true/false, yes/no or 1/0 is an error."""
    backups = GOOD_FOLDER["backups.csv"].replace(",Yes,no,", ",Yes,perhaps,")
    p = problems_of(write_folder(tmp_path / "i", backups_csv=backups))
    assert "boolean" in find(p, file="backups.csv", row=2, column="offline", value="perhaps").expected


def test_unparseable_dates(tmp_path):
    """Dates and date-times that do not parse are errors, as_of included."""
    tests = GOOD_FOLDER["restore_tests.csv"].replace("2026-08-15", "15/08/2026")
    runs = GOOD_FOLDER["backup_runs.csv"].replace("2026-09-28T01:00:00Z", "last night")
    meta = GOOD_FOLDER["inventory.yaml"].replace("2026-09-30", "2026-02-30")
    p = problems_of(write_folder(tmp_path / "i", restore_tests_csv=tests, backup_runs_csv=runs, inventory_yaml=meta))
    find(p, file="restore_tests.csv", row=2, column="tested_at", value="15/08/2026")
    find(p, file="backup_runs.csv", row=2, column="started_at", value="last night")
    find(p, file="inventory.yaml", column="as_of", value="2026-02-30")


def test_bad_enum_values(tmp_path):
    """method, verification, status, result and scope accept only their listed values."""
    backups = GOOD_FOLDER["backups.csv"].replace(",dump,", ",rsync,").replace("restore_test", "tested")
    runs = GOOD_FOLDER["backup_runs.csv"].replace(",failed,", ",broken,")
    tests = GOOD_FOLDER["restore_tests.csv"].replace(",pass,full,", ",ok,everything,")
    p = problems_of(write_folder(tmp_path / "i", backups_csv=backups, backup_runs_csv=runs, restore_tests_csv=tests))
    find(p, file="backups.csv", row=2, column="method", value="rsync")
    find(p, file="backups.csv", row=2, column="verification", value="tested")
    find(p, file="backup_runs.csv", row=3, column="status", value="broken")
    find(p, file="restore_tests.csv", row=2, column="result", value="ok")
    find(p, file="restore_tests.csv", row=2, column="scope", value="everything")


def test_run_type_is_a_case_insensitive_enum_and_empty_is_unknown(tmp_path):
    """backup_runs.type accepts full/incremental/differential/log in any case; empty stays unknown."""
    runs = (
        "backup,started_at,finished_at,status,size_gb,type,message\n"
        "db-backup,2026-09-26T01:00:00Z,,success,99,Full,\n"
        "db-backup,2026-09-27T01:00:00Z,,success,2,INCREMENTAL,\n"
        "db-backup,2026-09-28T01:00:00Z,,success,3,differential,\n"
        "db-backup,2026-09-28T02:00:00Z,,success,0.1, log ,\n"
        "db-backup,2026-09-29T01:00:00Z,,success,98,,\n"
    )
    inv = load(write_folder(tmp_path / "i", backup_runs_csv=runs))
    assert list(inv.backup_runs["type"])[:4] == ["full", "incremental", "differential", "log"]
    assert pd.isna(inv.backup_runs["type"].iloc[4])
    for target in (tmp_path / "copy.xlsx", tmp_path / "copy.yaml"):
        save(inv, target)
        assert load(target) == inv, target


def test_bad_run_type_names_file_row_column_value_and_allowed_values(tmp_path):
    """An unknown run type is one precise error listing the allowed types (and the closest)."""
    runs = (
        "backup,started_at,finished_at,status,size_gb,type,message\n"
        "db-backup,2026-09-27T01:00:00Z,,success,2,incremental,\n"
        "db-backup,2026-09-28T01:00:00Z,,success,2,incr,\n"
        "db-backup,2026-09-29T01:00:00Z,,success,2,synthetic,\n"
    )
    p = problems_of(write_folder(tmp_path / "i", backup_runs_csv=runs))
    hit = find(p, file="backup_runs.csv", row=3, column="type", value="incr")
    assert hit.expected.startswith("one of full, incremental, differential, log")
    assert "did you mean 'incremental'" in hit.expected
    hit = find(p, file="backup_runs.csv", row=4, column="type", value="synthetic")
    assert "full, incremental, differential, log" in hit.expected and "(this column is required)" not in hit.expected
    assert "backup_runs.csv:4: column 'type': value 'synthetic'" in str(hit)


def test_missing_required_columns_and_tables(tmp_path):
    """A missing required column names the column; a missing required table names the file."""
    comps = GOOD_FOLDER["components.csv"].replace("id,name,kind,", "ident,name,kind,", 1)
    folder = write_folder(tmp_path / "i", components_csv=comps)
    (folder / "backups.csv").unlink()
    p = problems_of(folder)
    find(p, file="components.csv", row=1, column="id", expected="required column")
    find(p, file="backups.csv", expected="required table 'backups'")


def test_missing_metadata(tmp_path):
    """inventory.yaml without name or as_of is an error naming the key."""
    p = problems_of(write_folder(tmp_path / "i", inventory_yaml="organisation: Acme\n"))
    find(p, file="inventory.yaml", column="name")
    find(p, file="inventory.yaml", column="as_of")


def test_unknown_columns_are_warnings_and_kept(tmp_path):
    """An unknown column is a warning, and its values are kept as text."""
    comps = GOOD_FOLDER["components.csv"].replace(",owner\n", ",owner,cost_centre\n", 1).replace("dba\n", "dba,42\n", 1)
    inv = load(write_folder(tmp_path / "i", components_csv=comps))
    assert [(w.column, w.row) for w in inv.warnings] == [("cost_centre", 1)]
    assert inv.components.set_index("id").loc["db", "cost_centre"] == "42"


def test_scenario_naming_unknown_component(tmp_path):
    """A scenario failing an id that does not exist is an error."""
    meta = GOOD_FOLDER["inventory.yaml"].replace("[site-a]", "[site-a, site-z]")
    find(problems_of(write_folder(tmp_path / "i", inventory_yaml=meta)), column="scenarios[1].fail", value="site-z")


def test_backup_id_clashing_with_component_kind(tmp_path):
    """A backup id listed in components with another kind is an error."""
    comps = GOOD_FOLDER["components.csv"] + "db-backup,Backup,service,,,,,,,,\n"
    find(problems_of(write_folder(tmp_path / "i", components_csv=comps)), file="backups.csv", row=2, column="id", value="db-backup")


def test_every_problem_reported_at_once(tmp_path):
    """Several mistakes in several files are all reported by one load."""
    comps = GOOD_FOLDER["components.csv"].replace("site,", "sight,", 1).replace("120.5", "lots")
    deps = GOOD_FOLDER["dependencies.csv"] + "app,nowhere,,,,\n"
    p = problems_of(write_folder(tmp_path / "i", components_csv=comps, dependencies_csv=deps))
    assert {(q.file.rsplit("/", 1)[-1], q.column) for q in p if q.severity == "error"} >= {
        ("components.csv", "kind"), ("components.csv", "data_gb"), ("dependencies.csv", "depends_on")}


def test_excel_rows_and_sheets_are_named(tmp_path):
    """Problems in a workbook name the sheet and the spreadsheet row."""
    inv = load(write_folder(tmp_path / "i"))
    book = tmp_path / "inv.xlsx"
    save(inv, book)
    import openpyxl

    wb = openpyxl.load_workbook(book)
    wb["components"]["C3"] = "servise"
    wb.save(book)
    problem = find(problems_of(book), file="inv.xlsx", row=3, column="kind", value="servise")
    assert problem.sheet == "components"
    assert str(problem).startswith(f"{book}[components]:3: column 'kind': value 'servise' - expected one of")


def test_yaml_rows_are_lines(tmp_path):
    """Problems in a YAML file name the line where the entry starts."""
    path = tmp_path / "inv.yaml"
    path.write_text(
        "name: t\nas_of: 2026-09-30\ncomponents:\n  - id: a\n    kind: service\n  - id: b\n    kind: servic\n"
        "dependencies: []\nbackups: []\n",
        encoding="utf-8",
    )
    find(problems_of(path), row=6, column="kind", value="servic")


def test_unreadable_inputs_are_problems(tmp_path):
    """A missing path, a wrong suffix, broken YAML and a broken workbook raise InventoryError."""
    (tmp_path / "x.txt").write_text("hello")
    (tmp_path / "bad.yaml").write_text("name: [unclosed\n")
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    for path in (tmp_path / "missing", tmp_path / "x.txt", tmp_path / "bad.yaml", tmp_path / "bad.xlsx"):
        assert problems_of(path)


# ---- property: random corruption never crashes, never writes ---------------------------

_JUNK = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "-1", "1e999", "nan", "yes", "2026-02-30", "db", "a;b", '"', "\x00", "=1+1", "1.5", "0"]),
)


@st.composite
def corruptions(draw):
    """A list of edits to GOOD_FOLDER: replace a cell, delete a row, drop a column or file."""
    edits = []
    for _ in range(draw(st.integers(1, 4))):
        table = draw(st.sampled_from(sorted(k for k in GOOD_FOLDER if k.endswith(".csv"))))
        action = draw(st.sampled_from(["cell", "row", "column", "file"]))
        edits.append((table, action, draw(st.integers(0, 50)), draw(st.integers(0, 50)), draw(_JUNK)))
    return edits


def _apply(files: dict[str, str], edits) -> dict[str, str | None]:
    out: dict[str, str | None] = dict(files)
    for table, action, i, j, junk in edits:
        text = out.get(table)
        if text is None:
            continue
        lines = [line.split(",") for line in text.splitlines()]
        if action == "file":
            out[table] = None
            continue
        if action == "row" and len(lines) > 1:
            del lines[1 + i % (len(lines) - 1)]
        elif action == "column":
            c = j % len(lines[0])
            lines = [row[:c] + row[c + 1:] for row in lines]
        elif action == "cell":
            r = i % len(lines)
            c = j % len(lines[r])
            lines[r][c] = junk.replace(",", ";").replace("\n", " ").replace("\r", " ")
        out[table] = "\n".join(",".join(row) for row in lines) + "\n"
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=corruptions())
def test_random_corruption_loads_or_raises_inventory_error(tmp_path_factory, edits):
    """Corrupted inventories either load or raise InventoryError; inputs stay byte-identical."""
    folder = tmp_path_factory.mktemp("corrupt")
    files = _apply(GOOD_FOLDER, edits)
    for name, text in files.items():
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    try:
        inv = load(folder)
    except InventoryError as err:
        assert err.problems and all(p.file for p in err.problems)
    else:
        assert set(inv.components.columns) >= {c.name for c in TABLES["components"]}
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    shutil.rmtree(folder)


@pytest.mark.parametrize("container", [".xlsx", ".yaml", "-folder"])
def test_sample_estates_are_equal_in_every_container(sample_path, tmp_path, container):
    """Each sample estate written into another container loads to an equal inventory."""
    inv = load(sample_path)
    target = save(inv, tmp_path / f"copy{container}")
    assert load(target) == inv


def test_yaml_tables_may_be_empty_lists(tmp_path):
    """Empty lists for the tables load as empty tables; a missing required key is reported on its line."""
    path = tmp_path / "inv.yaml"
    path.write_text("name: t\nas_of: 2026-09-30\ncomponents:\n  - id: a\n    kind: service\n"
                    "dependencies: []\nbackups: []\nbackup_runs: []\nrestore_tests: []\n", encoding="utf-8")
    inv = load(path)
    assert len(inv.dependencies) == 0 and len(inv.backups) == 0 and list(inv.backups.columns)[:2] == ["id", "protects"]
    path.write_text("name: t\nas_of: 2026-09-30\ncomponents:\n  - id: a\n    kind: service\n  - name: nameless\n    kind: site\n"
                    "dependencies: []\nbackups: []\n", encoding="utf-8")
    find(problems_of(path), row=6, column="id", expected="required")
