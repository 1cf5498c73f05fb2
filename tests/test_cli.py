"""The command line: exit codes, precise problem lines, no traceback, blank template."""

from __future__ import annotations

import subprocess
import sys

import openpyxl
import pytest
from hiddenspof.cli import main
from hiddenspof.inventory import TABLES, load
from test_inventory import GOOD_FOLDER, write_folder


def run(*args: str) -> subprocess.CompletedProcess:
    """Run ``python -m hiddenspof`` as a user would."""
    return subprocess.run([sys.executable, "-m", "hiddenspof", *args], capture_output=True, text=True, timeout=120)


def test_validate_good_inventory_exits_0(tmp_path):
    """validate accepts a valid inventory with exit status 0."""
    result = run("validate", str(write_folder(tmp_path / "inv")))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stdout


def test_validate_reports_every_planted_mistake(tmp_path):
    """validate prints one precise line per planted mistake, exit 1, no traceback."""
    comps = GOOD_FOLDER["components.csv"].replace("120.5", "many").replace("sso,SSO,identity", "sso,SSO,identityy")
    deps = GOOD_FOLDER["dependencies.csv"] + "app,ghost,,,,\n"
    backups = GOOD_FOLDER["backups.csv"].replace(",Yes,no,", ",Yes,sometimes,")
    folder = write_folder(tmp_path / "inv", components_csv=comps, dependencies_csv=deps, backups_csv=backups)
    result = run("validate", str(folder))
    assert result.returncode == 1
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    assert f"{folder}/components.csv:4: column 'data_gb': value 'many' - expected a number >= 0" in out
    assert f"{folder}/components.csv:7: column 'kind': value 'identityy' - expected one of" in out
    assert f"{folder}/dependencies.csv:8: column 'depends_on': value 'ghost' - expected" in out
    assert f"{folder}/backups.csv:2: column 'offline': value 'sometimes' - expected a boolean" in out
    assert "4 problems found." in out


def test_usage_error_exits_2(capsys):
    """An unknown sub-command or a missing argument is a usage error (exit 2)."""
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2


def test_template_has_every_sheet_column_note_and_dropdown(tmp_path):
    """template writes every table and column with a note, and drop-downs for enumerations."""
    out = tmp_path / "blank.xlsx"
    assert main(["template", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["inventory", *TABLES, "examples"]
    for table, columns in TABLES.items():
        ws = book[table]
        assert [c.value for c in ws[1]] == [c.name for c in columns]
        assert all(c.comment is not None and c.comment.text for c in ws[1])
    # admin rows are explained on the dependency kind and shown by three examples
    assert "ADMINISTER" in book["dependencies"]["C1"].comment.text
    examples = [[c.value for c in row] for row in book["examples"].iter_rows(min_row=3)]
    assert [r[:3] for r in examples] == [["veeam-server", "domain-admins", "admin"], ["erp-vm", "vcenter", "admin"],
                                         ["orders-bucket", "aws-root", "admin"]]
    formulas = {str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in book["components"].data_validations.dataValidation}
    assert "datastore" in formulas["C"] and "service" in formulas["C"]
    lists = " ".join(dv.formula1 for t in ("backups", "backup_runs", "restore_tests") for dv in book[t].data_validations.dataValidation)
    for value in ("replica", "restore_test", "failed", "incremental", "partial", "dr_drill", "true"):
        assert value in lists


def test_template_filled_in_validates(tmp_path):
    """A template filled with a minimal estate loads (the template is the format)."""
    out = tmp_path / "blank.xlsx"
    main(["template", str(out)])
    book = openpyxl.load_workbook(out)
    book["inventory"]["B2"] = "Filled"
    book["inventory"]["B3"] = "2026-09-30"
    book["components"].append(["app", None, "service"])
    book.save(out)
    inv = load(out)
    assert list(inv.components["id"]) == ["app"]


def test_analyze_writes_the_json_whole_or_not_at_all(tmp_path, monkeypatch, capsys):
    """analyze --json writes analysis.dumps' bytes; a failure while writing leaves neither the file nor a
    temporary file behind (the JSON is written as it is made, through a temporary file and a rename)."""
    from pathlib import Path

    from hiddenspof import analysis

    sample = Path(__file__).resolve().parents[1] / "data" / "teaching.yaml"
    out = tmp_path / "out" / "a.json"
    assert main(["analyze", str(sample), "--json", str(out)]) == 0
    assert out.read_bytes() == analysis.dumps(analysis.analyze(load(sample))).encode("utf-8")

    def broken(result, f):
        f.write("{\n  \"assets\": [")
        raise OSError("disk full")

    monkeypatch.setattr(analysis, "write", broken)
    again = tmp_path / "out" / "b.json"
    assert main(["analyze", str(sample), "--json", str(again)]) != 0
    assert "disk full" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.json"]
