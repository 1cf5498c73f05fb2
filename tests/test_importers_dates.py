"""Dates are never guessed: importers read them in the source's declared or detected format."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hiddenspof.cli import main
from hiddenspof.importers import ImportSourceError, build_draft, run
from hiddenspof.importers.fields import parse_date_format, parse_datetime, reading_dates
from test_importers_backup import bundle, files, job, session, write_csv

DAYS = range(6, 13)  # 6 to 12 March 2026: every day and month 12 or less, so each value reads both ways


def _us(day: int, hour: int = 22) -> str:
    return f"3/{day}/2026 {hour % 12 or 12}:00:00 {'PM' if hour >= 12 else 'AM'}"


#: the same instant (day of March 2026, 22:00) as each Windows culture's Export-Csv writes it
CULTURES = {
    "iso": lambda d: f"2026-03-{d:02d}T22:00:00.0000000",
    "en-US": _us,
    "en-GB": lambda d: f"{d:02d}/03/2026 22:00:00",
    "de-DE": lambda d: f"{d:02d}.03.2026 22:00:00",
}
#: a date of the job export in each culture: 15 January 2024 settles the order of the whole bundle
SETTLER = {"iso": "2024-01-15T22:00:00.0000000", "en-US": "1/15/2024 10:00:00 PM",
           "en-GB": "15/01/2024 22:00:00", "de-DE": "15.01.2024 22:00:00"}


def culture_bundle(tmp_path: Path, culture: str, settle: bool = True) -> Path:
    """A Health Check bundle of nightly sessions 6-12 March 2026, written in ``culture``'s conventions."""
    nightly = job("Nightly", "Hardened")
    nightly["SheduleEnabledTime"] = SETTLER[culture] if settle else ""
    size = "12,5" if culture == "de-DE" else "12.5"  # PowerShell writes numbers in the culture too
    sessions = [session("Nightly", "APP1", CULTURES[culture](d), size=size) for d in DAYS]
    return bundle(tmp_path / culture, jobs=[nightly], sessions=sessions, protected=["APP1"])


def _runs(out: Path) -> bytes:
    return (out / "backup_runs.csv").read_bytes()


def test_four_cultures_give_identical_runs(tmp_path):
    """The same bundle written in ISO, en-US, en-GB and de-DE conventions imports as the same runs."""
    outs = {}
    for culture in CULTURES:
        outs[culture] = tmp_path / f"out-{culture}"
        run("veeam", [str(culture_bundle(tmp_path, culture))], str(outs[culture]), as_of="2026-03-13",
            stderr=io.StringIO())
    iso = _runs(outs["iso"])
    assert b"2026-03-06T22:00:00" in iso and b"2026-06-03" not in iso and b",12.5," in iso
    for culture in ("en-US", "en-GB", "de-DE"):
        assert _runs(outs[culture]) == iso, culture
    report = (outs["en-GB"] / "import-report-veeam.md").read_text(encoding="utf-8")
    assert "dates are read day first (dd/MM/yyyy, dd.MM.yyyy), as the bundle's own dates show" in report


@pytest.mark.parametrize(("culture", "declared", "value"), [
    ("en-GB", "DD/MM/YYYY", "06/03/2026 22:00:00"),
    ("en-US", "MM/DD/YYYY", "3/6/2026 10:00:00 PM"),
])
def test_ambiguous_bundle_refuses_and_a_declared_format_reads_it(tmp_path, culture, declared, value):
    """With no value over 12 anywhere, the import refuses naming file, row, column, value and --date-format,
    writes nothing and leaves an --into inventory untouched; --date-format then gives the ISO runs."""
    src = culture_bundle(tmp_path, culture, settle=False)
    existing = tmp_path / "existing"
    run("veeam", [str(culture_bundle(tmp_path / "base", "iso"))], str(existing), as_of="2026-03-13",
        stderr=io.StringIO())
    before = files(existing)
    out = tmp_path / "out"
    pattern = (rf"VeeamSessionReport\.csv: row 2: column 'CreationTime': value '{value}' - day and month cannot be"
               r" told apart.*--date-format DD/MM/YYYY")
    with pytest.raises(ImportSourceError, match=pattern):
        run("veeam", [str(src)], str(out), stderr=io.StringIO())
    assert not out.exists()
    with pytest.raises(ImportSourceError, match=pattern):
        run("veeam", [str(src)], str(existing), into=str(existing), stderr=io.StringIO())
    assert files(existing) == before
    run("veeam", [str(src)], str(out), as_of="2026-03-13", stderr=io.StringIO(), date_format=declared)
    assert _runs(out) == _runs(existing)


def test_cli_date_format_and_refusal(tmp_path, capsys):
    """`hiddenspof import --date-format` reads the bundle; without it the command exits 1 naming the value."""
    src = culture_bundle(tmp_path, "en-GB", settle=False)
    assert main(["import", "veeam", str(src), "--out", str(tmp_path / "refused")]) == 1
    err = capsys.readouterr().err
    assert "value '06/03/2026 22:00:00'" in err and "--date-format" in err and "Traceback" not in err
    assert not (tmp_path / "refused").exists()
    assert main(["import", "veeam", str(src), "--out", str(tmp_path / "ok"), "--date-format", "dd/MM/yyyy"]) == 0
    assert b"2026-03-12T22:00:00" in _runs(tmp_path / "ok")
    assert main(["import", "veeam", str(src), "--out", str(tmp_path / "bad"), "--date-format", "soon"]) == 1
    assert "--date-format 'soon'" in capsys.readouterr().err


def test_contradicting_dates_refuse(tmp_path):
    """A bundle whose dates show both orders, or a value the declared order cannot read, is refused."""
    src = culture_bundle(tmp_path, "en-GB")
    write_csv(src / "VBRConfig" / "_Repositories.csv",
              [{"Id": "r-hard", "Name": "Hardened", "HostId": "s-repo", "CreationTime": "1/20/2024 10:00:00 AM"}])
    with pytest.raises(ImportSourceError, match=r"'15/01/2024 22:00:00' is day first, but .*_Repositories\.csv: row 2:"
                                                r" column 'creationtime': value '1/20/2024 10:00:00 AM' is month first"):
        build_draft("veeam", [str(src)])
    with pytest.raises(ImportSourceError, match=r"_Jobs\.csv: row 2: column 'sheduleenabledtime': value '15/01/2024"
                                                r" 22:00:00' - expected a date in the declared --date-format"):
        build_draft("veeam", [str(culture_bundle(tmp_path / "x", "en-GB"))], date_format="MM/DD/YYYY")


def test_generic_reader_never_guesses():
    """parse_datetime reads a day-month date only when the order is settled; ISO and epoch need nothing."""
    assert parse_datetime("f: row 2", "t", "13/03/2026 01:00") == "2026-03-13T01:00:00"
    assert parse_datetime("f: row 2", "t", "3/13/2026 1:00:00 PM") == "2026-03-13T13:00:00"
    assert parse_datetime("f: row 2", "t", "06.03.2026 22:00") == "2026-03-06T22:00:00"
    assert parse_datetime("f: row 2", "t", "03/03/2026") == "2026-03-03T00:00:00"
    assert parse_datetime("f: row 2", "t", "2026/03/06 22:00") == "2026-03-06T22:00:00"
    with pytest.raises(ImportSourceError, match=r"f: row 2: field 't': value '06/03/2026' - day and month cannot"):
        parse_datetime("f: row 2", "t", "06/03/2026")
    with reading_dates("MDY"):
        assert parse_datetime("f", "t", "06/03/2026") == "2026-06-03T00:00:00"
        with pytest.raises(ImportSourceError, match="month/day/year"):
            parse_datetime("f", "t", "13/03/2026")
    assert [parse_date_format(f) for f in ("DD/MM/YYYY", "M/d/yyyy h:mm:ss tt", "%d.%m.%Y", "mdy")] == \
        ["DMY", "MDY", "DMY", "MDY"]


@pytest.mark.slow
def test_import_notebook_passes_the_date_format(tmp_path):
    """00_import's `date_format` parameter reads a bundle whose dates the bundle itself does not settle."""
    import papermill

    notebook = Path(__file__).parent.parent / "notebooks" / "00_import.ipynb"
    out = tmp_path / "inv"
    papermill.execute_notebook(
        str(notebook), str(tmp_path / "out.ipynb"), cwd=str(notebook.parent), progress_bar=False,
        parameters={"fmt": "veeam", "sources": str(culture_bundle(tmp_path, "en-GB", settle=False)),
                    "out_dir": str(out), "as_of": "2026-03-13", "date_format": "DD/MM/YYYY"},
    )
    assert b"2026-03-12T22:00:00" in _runs(out) and b"2026-12-03" not in _runs(out)
