"""The columnar CSV loader equals the old cell-by-cell loader: same tables, same problems, same order.

``inventory_reference.load_folder`` is the loader as shipped before pyarrow
(pandas strings, Python loops); random folders with good and bad cells, odd
spacing, quoting, headers and ragged rows go through both.
"""

from __future__ import annotations

import csv
import random

import inventory_reference
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from hiddenspof import inventory
from hiddenspof.errors import InventoryError

IDS = ["app", "db", "bkp-a", "bkp-b", "site", "idp", "Ã©t", "store"]
SPACES = ["", " ", "\t", "\u00a0", "\u3000", "\x1f"]
CELLS = {
    "id": IDS + ["", "nope", "ap"],
    "text": ["", "plain", "comma, inside", 'a "quote"', "line\nbreak", "  padded  ", "naÃ¯ve", "x" * 70, "-", "NA"],
    "float": ["", "0", "1", "12.5", "+3", "5.", ".5", "0007.25", "123456789012345", "24.0", "-1", "1e3", "inf", "nan",
              "abc", "12345678901234567", "0.30000000000000004", "1,5", "1_000", "0.0", "-0", "1e400", "+", "."],
    "int": ["", "1", "2", "3", "4", "5", "0", "1.5", "3.0", "-2", "10", "two", "+1", "1e1"],
    "bool": ["", "true", "false", "Yes", "NO", "1", "0", "maybe", "TRUE"],
    "datetime": ["", "2026-01-01T10:00:00", "2026-01-01 10:00", "2026-01-02", "2025-12-31T23:59:59.123456789",
                 "2026-02-30T10:00:00", "2026-01-01T10:00:00Z", "2026-01-01T10:00:00+02:00", "yesterday",
                 "2026-01-01T24:00:00", "2026-01-01T09:30:00.5", "20260101", "2026-1-1"],
    "date": ["", "2026-01-01", "2025-12-31", "2026-02-30", "2026-01-01T10:00:00", "soon", "2026-03-01+01:00"],
}


def _cell(rng: random.Random, col: inventory.Column, clean: bool) -> str:
    if col.type == "enum":
        pool = list(col.choices) + [c.upper() for c in col.choices[:2]] + ([] if clean else ["", "bogus", col.choices[0][:-1]])
        value = rng.choice(pool)
    elif clean:
        value = {"id": "", "text": rng.choice(["", "plain", "two words", "naÃ¯ve, quoted"]),
                 "float": rng.choice(["", "1", "0.25", "1e-1", "0.30000000000000004"]),
                 "int": rng.choice(["", "1", "2"]), "bool": rng.choice(["", "true", "no", "Yes"]),
                 "datetime": "", "date": rng.choice(["2026-01-01", "2025-12-31"])}[col.type]
    else:
        value = rng.choice(CELLS[col.type])
    if rng.random() < 0.15:
        value = rng.choice(SPACES) + value + rng.choice(SPACES)
    return value


def _clean_ids(rng: random.Random, name: str, i: int) -> dict[str, str]:
    """The id, reference and time cells of row ``i`` of a valid table (ids c0.., backups b0..)."""
    comps, backups = [f"c{k}" for k in range(12)], [f"b{k}" for k in range(6)]
    if name == "components":
        return {"id": f"c{i}"}
    if name == "dependencies":
        return {"component": f"c{i % 12}", "depends_on": f"c{(i % 12 + 1 + i // 12) % 12}", "group": "", "needs": "", "kind": rng.choice(["", "runtime", "Admin"])}
    if name == "backups":
        return {"id": f"b{i}", "protects": rng.choice(comps), "restore_to": "", "alert_channel": rng.choice(comps + [""])}
    if name == "backup_runs":
        return {"backup": rng.choice(backups), "started_at": rng.choice(["2026-01-01T10:00:00", "2026-01-01 10:00"]),
                "finished_at": rng.choice(["", "2026-01-01T11:00:00", "2026-01-01T10:00:00.25"])}
    return {"backup": rng.choice(backups)}


def _write_table(rng: random.Random, path, name: str, clean: bool) -> None:
    columns = list(inventory.TABLES[name])
    rng.shuffle(columns)
    header = [c.name for c in columns if c.required or rng.random() < 0.85 or (clean and name == "components")]
    kept = [c for c in columns if c.name in header]
    if rng.random() < 0.3:
        header.append(rng.choice(["extra", "imported_from", "Note", "tier2"]))
        kept.append(inventory.Column(header[-1], "text"))
    header = [h.upper() if rng.random() < 0.1 else (" " + h + " " if rng.random() < 0.1 else h) for h in header]
    if not clean and rng.random() < 0.1:
        header.append(header[0].strip().lower())  # a duplicated header (pandas decides)
        kept.append(kept[0])
    n = rng.choice([0, 1, 3, 8, 40])
    if clean:
        n = {"components": 12, "backups": 6, "dependencies": min(n, 40)}.get(name, n)
        rows = []
        for i in range(n):
            fixed = _clean_ids(rng, name, i)
            rows.append([fixed.get(c.name, _cell(rng, c, clean)) for c in kept])
    else:
        rows = [[_cell(rng, c, clean) for c in kept] for _ in range(n)]
    with open(path, "w", newline="", encoding="utf-8-sig" if rng.random() < 0.2 else "utf-8") as fh:
        writer = csv.writer(fh, lineterminator=rng.choice(["\n", "\r\n"]))
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            if rng.random() < 0.05:
                fh.write("\n")  # a blank line
            if not clean and rng.random() < 0.01:
                fh.write("   \n" if rng.random() < 0.5 else "a,b\n")  # a line of spaces or a ragged row (pandas decides)


def _write_estate(rng: random.Random, folder, clean: bool) -> None:
    folder.mkdir()
    (folder / "inventory.yaml").write_text("name: random\nas_of: 2026-01-31\n")
    for name in inventory.TABLES:
        if name in inventory.REQUIRED_TABLES or rng.random() < 0.8:
            _write_table(rng, folder / f"{name}.csv", name, clean)


def _same_frames(a: pd.DataFrame, b: pd.DataFrame, where: str) -> None:
    assert list(a.columns) == list(b.columns), where
    assert a.index.equals(b.index), where
    for col in a.columns:
        x, y = a[col], b[col]
        assert x.dtype == y.dtype, (where, col, x.dtype, y.dtype)
        assert x.equals(y), (where, col)
        if x.dtype == object:
            assert [type(v) for v in x] == [type(v) for v in y], (where, col)
        if x.dtype == "float64":
            assert np.array_equal(np.signbit(x.to_numpy()), np.signbit(y.to_numpy())), (where, col)


def _outcome(load, folder):
    try:
        return load(folder), None
    except InventoryError as exc:
        return None, exc


def _assert_same_load(folder) -> None:
    new, new_error = _outcome(inventory.load, folder)
    old, old_error = _outcome(inventory_reference.load_folder, folder)
    assert (new_error is None) == (old_error is None), (new_error or old_error)
    if old_error is not None:
        assert new_error.problems == old_error.problems
        assert str(new_error) == str(old_error)
        return
    assert new.meta == old.meta and new.warnings == old.warnings
    for name in inventory.TABLES:
        _same_frames(new.table(name), old.table(name), name)


@pytest.mark.parametrize("block", [1 << 22, 256])
@pytest.mark.parametrize("seed", range(40))
def test_random_folders_load_as_the_old_loader_did(seed, block, tmp_path, monkeypatch):
    """Random folders (a third clean, the rest with bad cells) give equal tables or the same problems in order."""
    monkeypatch.setattr(inventory, "_CSV_BLOCK_BYTES", block)  # small blocks: columns of many chunks
    rng = random.Random(seed)
    folder = tmp_path / "estate"
    _write_estate(rng, folder, clean=seed % 3 == 0)
    _assert_same_load(folder)


def test_cross_table_problems_in_the_old_order(tmp_path):
    """Duplicate ids, kind clashes, dangling references, self-references and group needs: same problems, same order."""
    folder = tmp_path / "estate"
    folder.mkdir()
    (folder / "inventory.yaml").write_text("name: x\nas_of: 2026-01-31\n")
    (folder / "components.csv").write_text(
        "id,kind\napp,service\ndb,datastore\napp,service\nbkp,service\nidp,identity\nnet,network\n")
    (folder / "backups.csv").write_text(
        "id,protects,restore_to,alert_channel\nbkp,app,app,pager\nbkp,db,,\nb2,b2,,\nb3,db,net,\n")
    (folder / "dependencies.csv").write_text(
        "component,depends_on,kind,group,needs\napp,app,,,\napp,db,runtime,g,1\napp,db,runtime,g,2\napp,net,,g,3\n"
        "app,idp,ADMIN,g,\napp,idp,admin,,2\ndb,net,,,2\ndb,idp,,h,3\ndb,net,,h,\napp,dbx,,,\n,db,,,\n")
    (folder / "backup_runs.csv").write_text(
        "backup,started_at,finished_at,status\nbkp,2026-01-01T10:00:00,2026-01-01T09:00:00,success\nzz,2026-01-01,,failed\n")
    _assert_same_load(folder)


@pytest.mark.parametrize("sample", ["hybrid-enterprise"])
def test_sample_folder_is_read_by_pyarrow_and_equals_the_old_reading(sample):
    """The shipped sample is regular CSV: every file takes the pyarrow path, and the inventory is unchanged."""
    folder = ROOT / "data" / sample
    for path in folder.glob("*.csv"):
        assert inventory._read_csv_arrow(path, str(path)) is not None, path
    _assert_same_load(folder)


def test_irregular_files_fall_back_to_pandas(tmp_path):
    """Ragged rows, lines of spaces, undecodable bytes, duplicate or empty headers: pandas' reading decides."""
    cases = {
        "ragged": b"id,kind\napp,service,extra\n",
        "spaces": b"id,kind\napp,service\n   \ndb,datastore\n",
        "latin1": b"id,kind\nap\xe9,service\n",
        "duplicate": b"id,kind,id\napp,service,x\n",
        "unnamed": b"id,,kind\napp,x,service\n",
        "empty": b"",
    }
    for name, content in cases.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(content)
        assert inventory._read_csv_arrow(path, str(path)) is None, name
    folder = tmp_path / "estate"
    folder.mkdir()
    (folder / "inventory.yaml").write_text("name: x\nas_of: 2026-01-31\n")
    (folder / "components.csv").write_bytes(b"\xef\xbb\xbfID , Kind\napp,service\n   \n\"db\",\"data\nstore\"\n")
    (folder / "backups.csv").write_bytes(b"id,protects\n")
    (folder / "dependencies.csv").write_bytes(b"component,depends_on,depends_on\napp,db,db\n")
    _assert_same_load(folder)


@pytest.mark.parametrize("fixed", [False, True])
@pytest.mark.parametrize("column", ["size_gb", "started_at", "tested_at", "tier"])
def test_fast_parse_equals_pandas_parse(column, fixed):
    """pyarrow's parse of plain decimals and zone-less ISO times equals pandas' on many random cells."""
    col = next(c for t in inventory.TABLES.values() for c in t if c.name == column)
    rng = random.Random(7)
    cells = []
    for _ in range(20000):
        if col.type in ("float", "int"):
            digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 15)))
            cut = rng.randint(0, len(digits))
            cells.append(("+" if rng.random() < 0.05 and not fixed else "") + digits[:cut] + ("." if rng.random() < 0.7 else "") + digits[cut:])
        elif fixed:  # the byte-checked form: every cell YYYY-MM-DDThh:mm:ss
            cells.append(f"{rng.randint(1900, 2099):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                         f"{rng.choice('T ')}{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}")
        else:
            cell = f"{rng.randint(1900, 2099):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            if rng.random() < 0.8:
                cell += rng.choice("T ") + f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
                if rng.random() < 0.7:
                    cell += f":{rng.randint(0, 59):02d}" + ("." + str(rng.randint(0, 10**9 - 1)) if rng.random() < 0.3 else "")
            cells.append(cell)
    cells += [""] * 50
    import pyarrow as pa

    fast = inventory._fast_typed(pa.chunked_array([pa.array(cells)]), col)
    assert fast is not None
    slow, bad, empty, _ = inventory._typed(pd.Series(cells, dtype=object), col)
    out, fast_bad, fast_empty = fast
    assert out.dtype == slow.dtype and out.equals(slow)
    assert np.array_equal(fast_bad, bad) and np.array_equal(fast_empty, empty)


def test_byte_checks_equal_the_regular_expressions(monkeypatch):
    """The byte-level checks of plain date-times and decimals accept exactly what the regular expressions accept."""
    import re

    import pyarrow as pa

    rng = random.Random(3)
    stamps = []
    for _ in range(20000):  # 19-byte cells near the format: one or two characters changed
        cell = list(f"{rng.choice(['19', '20', '18', '21'])}{rng.randint(0, 99):02d}-{rng.randint(0, 19):02d}-"
                    f"{rng.randint(0, 39):02d}{rng.choice('T T')}{rng.randint(0, 29):02d}:{rng.randint(0, 69):02d}:{rng.randint(0, 69):02d}")
        for _ in range(rng.choice([0, 0, 1, 2])):
            cell[rng.randrange(19)] = rng.choice("0123456789-:T /+Zx.")
        stamps.append("".join(cell))
    stamps += ["", ""]
    chunked = pa.chunked_array([pa.array(stamps[:7000]), pa.array(stamps[7000:]).slice(3)])
    expected = [bool(re.fullmatch(inventory._PLAIN_STAMP.strip("^$"), c)) for c in chunked.to_pylist()]
    monkeypatch.setattr(inventory.pc, "match_substring_regex", None)  # the byte path alone decides
    assert inventory._plain_stamps(chunked).to_pylist() == expected
    monkeypatch.undo()
    assert sum(expected) > 1000 and sum(expected) < len(expected) - 1000

    decimals = ["".join(rng.choice("0123456789..") for _ in range(rng.randint(0, 18))) for _ in range(20000)]
    chunked = pa.chunked_array([pa.array(decimals[:5000]), pa.array(decimals[5000:]).slice(1)])
    cells = chunked.to_pylist()
    expected = [bool(re.fullmatch(r"\+?[0-9]*\.?[0-9]*", c)) and 0 < sum(ch.isdigit() for ch in c) <= 15 for c in cells]
    monkeypatch.setattr(inventory.pc, "match_substring_regex", None)
    assert inventory._plain_decimals(chunked).to_pylist() == expected
    monkeypatch.undo()
    signed = pa.chunked_array([pa.array(cells + ["+1.5", "1+5", "++1", "+"])])
    expected += [True, False, False, False]
    assert inventory._plain_decimals(signed).to_pylist() == expected


@pytest.mark.parametrize("cell", ["1600-01-01T10:00:00", "9999-12-31", "2262-04-12T00:00:00"])
def test_time_outside_the_nanosecond_range_is_a_located_problem(cell, tmp_path):
    """A run time pandas cannot hold in nanoseconds is reported with its row (the old loader crashed on it)."""
    folder = tmp_path / "estate"
    folder.mkdir()
    (folder / "inventory.yaml").write_text("name: x\nas_of: 2026-01-31\n")
    (folder / "components.csv").write_text("id,kind\napp,service\n")
    (folder / "backups.csv").write_text("id,protects\nbkp,app\n")
    (folder / "dependencies.csv").write_text("component,depends_on\n")
    (folder / "backup_runs.csv").write_text(f"backup,started_at,status\nbkp,2026-01-01T10:00:00,success\nbkp,{cell},failed\n")
    with pytest.raises(InventoryError) as caught:
        inventory.load(folder)
    [problem] = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (3, "started_at", cell)
    assert problem.expected == "an ISO date-time (YYYY-MM-DDTHH:MM[:SS][+zone]) from 1677-09-21 to 2262-04-11"
