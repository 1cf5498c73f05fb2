"""Reading, normalising and validating an inventory from a CSV folder, an Excel workbook or YAML.

The format is the contract in ``docs/inventory-format.md``. ``load`` reads any
of the three containers into one :class:`Inventory`; the same inventory in any
container gives an equal ``Inventory``. Validation collects every problem
before failing, so the analyst fixes a file in one pass. Loading never writes
to the input; YAML is read with the safe loader only.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import mmap
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import yaml

from .errors import InventoryError, Problem

__all__ = [
    "ADMIN",
    "KINDS",
    "TABLES",
    "THREAT_MODES",
    "Inventory",
    "Metadata",
    "Scenario",
    "load",
    "from_mapping",
    "save",
]

KINDS = (
    "service", "datastore", "backup", "backup_store", "recovery_tool", "identity",
    "credentials", "network", "dns", "control_plane", "kms", "monitoring", "alerting",
    "site", "region", "account", "provider", "team", "other",
)
METHODS = ("snapshot", "replica", "dump", "file_copy", "image", "tape", "object_copy", "other")
VERIFICATIONS = ("none", "job_status", "checksum", "restore_test", "dr_drill")
RUN_STATUSES = ("success", "warning", "failed")
#: what a run copied: the whole data set, or only changes since an earlier run
RUN_TYPES = ("full", "incremental", "differential", "log")
TEST_RESULTS = ("pass", "partial", "fail")
TEST_SCOPES = ("file", "full", "dr_drill")
THREAT_MODES = (
    "site_loss", "region_loss", "provider_loss", "account_loss", "identity_outage",
    "control_plane_outage", "credential_compromise", "logical_corruption",
)
META_KEYS = ("name", "as_of", "organisation", "description", "scenarios")
#: The dependency kind of an *administrative* row (K can administer X; X does not need K).
ADMIN = "admin"
#: How an ``admin`` row's ``notes`` name the directory relation behind it (``directory: MemberOf``,
#: written by the directory import); attack paths quote what follows.
DIRECTORY_NOTE = "directory: "


def is_admin(kind: Any) -> bool:
    """Whether a dependency row's ``kind`` cell marks an administrative row (case-insensitive)."""
    return kind is not None and kind is not pd.NA and isinstance(kind, str) and kind.strip().lower() == ADMIN


@dataclass(frozen=True)
class Column:
    """One column of a table: its type, whether it must be filled, and its meaning."""

    name: str
    type: str  # text, id, float, int, bool, enum, date, datetime
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False


def _c(name, type_, required=False, help="", choices=(), minimum=None, maximum=None, exclusive=False):
    return Column(name, type_, required, help, tuple(choices), minimum, maximum, exclusive)


TABLES: dict[str, tuple[Column, ...]] = {
    "components": (
        _c("id", "id", True, "stable identifier used everywhere else"),
        _c("name", "text", help="label; defaults to id"),
        _c("kind", "enum", True, "what the component is", KINDS),
        _c("tier", "int", help="business criticality, 1 = most critical", minimum=1, maximum=4),
        _c("rto_hours", "float", help="recovery time objective (hours)", minimum=0),
        _c("rpo_hours", "float", help="recovery point objective (hours)", minimum=0),
        _c("data_gb", "float", help="data that a full restore must move (GB)", minimum=0),
        _c("failure_probability", "float", help="chance of failing within a year (defaults by kind)", minimum=0, maximum=1),
        _c("throughput_mb_s", "float", help="the most restore traffic this component can carry (MB/s)", minimum=0, exclusive=True),
        _c("max_parallel_restores", "int", help="how many restores may use this component at once", minimum=1),
        _c("owner", "text", help="free text"),
        _c("location", "text", help="free text"),
        _c("notes", "text", help="free text"),
        _c("platform", "text", help="the technology that runs it, lower case (vmware, hyperv, physical, aws-rds, "
           "aws-ec2, aws-s3, azure-sql, kubernetes, ...); a fix only restores onto a target of the same platform "
           "where both are known"),
    ),
    "dependencies": (
        _c("component", "id", True, "the component that needs something"),
        _c("depends_on", "id", True, "what it needs"),
        _c("kind", "text", help="runtime, storage, network, identity, control, location, keys, monitoring, alerting, restore, ...; admin: depends_on can administer (delete, encrypt) component, which does not need it to run"),
        _c("group", "text", help="redundancy group label; rows of one component sharing a label form a group"),
        _c("needs", "int", help="how many members of the group must be up (default 1)", minimum=1),
        _c("notes", "text", help="free text"),
    ),
    "backups": (
        _c("id", "id", True, "the backup (also a component, kind backup)"),
        _c("protects", "id", True, "the asset it can restore"),
        _c("method", "enum", help="how the copy is made", choices=METHODS),
        _c("schedule_hours", "float", help="expected time between runs (hours)", minimum=0, exclusive=True),
        _c("retention_days", "float", help="how long copies are kept (days)", minimum=0, exclusive=True),
        _c("immutable", "bool", help="cannot be altered or deleted before expiry, even by an administrator"),
        _c("offline", "bool", help="not reachable from the network or credentials of production"),
        _c("verification", "enum", help="the strongest check routinely done", choices=VERIFICATIONS),
        _c("alert_channel", "id", help="component where a failed run is reported"),
        _c("restore_to", "id", help="where a restore lands; empty = where the asset runs now"),
        _c("size_gb", "float", help="size of a full restore (GB); defaults to the asset's data_gb", minimum=0),
        _c("restore_mb_s", "float", help="rate of one restore from this backup on its own (MB/s)", minimum=0, exclusive=True),
        _c("notes", "text", help="free text"),
    ),
    "backup_runs": (
        _c("backup", "id", True, "backup id"),
        _c("started_at", "datetime", True, "ISO date-time the run started"),
        _c("finished_at", "datetime", help="ISO date-time the run finished"),
        _c("status", "enum", True, "outcome the job reported", RUN_STATUSES),
        _c("size_gb", "float", help="size the run reported (GB)", minimum=0),
        _c("type", "enum", help="what the run copied: full = the whole data set; incremental, differential, log = "
           "only changes, so a small size is expected (empty = unknown)", choices=RUN_TYPES),
        _c("message", "text", help="free text"),
    ),
    "restore_tests": (
        _c("backup", "id", True, "backup id"),
        _c("tested_at", "date", True, "ISO date of the test"),
        _c("result", "enum", True, "outcome", TEST_RESULTS),
        _c("scope", "enum", help="what was restored", choices=TEST_SCOPES),
        _c("restored_gb", "float", help="data restored (GB)", minimum=0),
        _c("duration_hours", "float", help="how long the restore took (hours)", minimum=0),
        _c("notes", "text", help="free text"),
    ),
}
REQUIRED_TABLES = ("components", "dependencies", "backups")
# Optional columns that hiddenspof's own importers write (provenance of a row):
# kept as text like any extra column, but without an "unknown column" warning.
EXTENSION_COLUMNS = frozenset({"imported_from", "source_type", "namespace", "system", "sys_id", "object_id"})
OPTIONAL_TABLES = ("backup_runs", "restore_tests")


@dataclass(frozen=True)
class Scenario:
    """A named disaster scenario: the components that fail together."""

    name: str
    fail: tuple[str, ...]
    mode: str | None = None


@dataclass(frozen=True)
class Metadata:
    """The inventory's metadata: what the environment is and the assessment date."""

    name: str
    as_of: dt.date
    organisation: str | None = None
    description: str | None = None
    scenarios: tuple[Scenario, ...] = ()


@dataclass(frozen=True, eq=False)
class Inventory:
    """A validated, normalised inventory: metadata plus one DataFrame per table."""

    meta: Metadata
    components: pd.DataFrame
    dependencies: pd.DataFrame
    backups: pd.DataFrame
    backup_runs: pd.DataFrame
    restore_tests: pd.DataFrame
    source: str = ""
    warnings: tuple[Problem, ...] = field(default_factory=tuple)

    def table(self, name: str) -> pd.DataFrame:
        """The table called ``name`` (components, dependencies, backups, backup_runs, restore_tests)."""
        return getattr(self, name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Inventory):
            return NotImplemented
        return self.meta == other.meta and all(
            _frames_equal(self.table(t), other.table(t)) for t in TABLES
        )

    __hash__ = None  # type: ignore[assignment]


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    return a.reset_index(drop=True).equals(b.reset_index(drop=True))


# --------------------------------------------------------------------------------------
# Reading the containers into raw tables (every cell a string, "" when empty)


@dataclass
class _Raw:
    """A table as read: canonical strings, human row numbers, where it came from.

    A CSV file read by pyarrow keeps its cells as arrow string columns in
    ``arrow`` (header names in ``frame.columns``, ``frame`` itself has no rows);
    the other containers hold object columns of text in ``frame``.
    """

    frame: pd.DataFrame
    rows: np.ndarray
    file: str
    sheet: str | None = None
    arrow: list[pa.ChunkedArray] | None = None

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class _Read:
    meta: dict[str, Any]
    meta_file: str
    meta_rows: dict[str, int]
    tables: dict[str, _Raw]
    problems: list[Problem]


def _cell_text(value: Any) -> str:
    """The canonical text of a cell value from any container (so containers compare equal)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float)) for v in value):
        return ";".join(_cell_text(v) for v in value)
    raise TypeError(type(value).__name__)


def _read_csv(path: Path, display: str, problems: list[Problem]) -> _Raw | None:
    """One CSV file as raw text columns: pyarrow for a regular file, pandas for anything irregular.

    pyarrow reads a rectangular UTF-8 file with distinct, non-empty header names
    many times faster and in a fraction of the memory. Whatever it refuses or
    reads differently from pandas (ragged rows, lines of spaces, undecodable
    bytes, duplicate or empty header names, an empty file) goes through the
    pandas reader, so every file reads to the same cells and the same problems.
    """
    raw = _read_csv_arrow(path, display)
    if raw is not None:
        return raw
    return _read_csv_pandas(path, display, problems)


def _has_quote(fh) -> bool:
    """Whether the open file holds a double quote anywhere (one memchr pass over a memory map)."""
    with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
        return view.find(b'"') >= 0


#: bytes per block pyarrow parses at a time (a big file becomes several chunks per column)
_CSV_BLOCK_BYTES = 1 << 22


def _read_csv_arrow(path: Path, display: str) -> _Raw | None:
    """The file read by pyarrow as string columns, or None where the pandas reader must decide."""
    try:
        with open(path, "rb") as fh:
            head = fh.readline()
            # without a double quote no value can hold a newline: pyarrow then splits the file freely
            quoted = b'"' in head or (os.fstat(fh.fileno()).st_size > 0 and _has_quote(fh))
        # the header is the first row of the data: pyarrow then keeps duplicate names as they are
        width = head.count(b",") + 1 + head.count(b'"')  # at least the header's fields (quotes may hide commas)
        convert = pacsv.ConvertOptions(
            column_types={f"f{i}": pa.string() for i in range(max(width, 1) + 1)},
            strings_can_be_null=False, quoted_strings_can_be_null=False,
            null_values=[], true_values=[], false_values=[],
        )
        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=_CSV_BLOCK_BYTES),
                               parse_options=pacsv.ParseOptions(newlines_in_values=quoted), convert_options=convert)
    except (pa.ArrowException, OSError, ValueError):
        return None
    if table.num_rows == 0 or any(t != pa.string() for t in table.schema.types):
        return None
    header = [table.column(i)[0].as_py() for i in range(table.num_columns)]
    if any(h == "" for h in header) or len(set(header)) != len(header):
        return None  # pandas names these "Unnamed: n" and "x.1": its reader decides
    columns = [table.column(i).slice(1) for i in range(table.num_columns)]
    n = table.num_rows - 1
    names = [str(h).strip().lower() for h in header]
    return _Raw(pd.DataFrame(columns=names, dtype=object), np.arange(n) + 2, display, arrow=columns)


def _read_csv_pandas(path: Path, display: str, problems: list[Problem]) -> _Raw | None:
    try:
        frame = pd.read_csv(  # object columns of Python str: pandas' own string dtype is iterated cell by cell
            path, dtype=object, keep_default_na=False, na_filter=False, encoding="utf-8-sig",
            skip_blank_lines=True, skipinitialspace=False,
        )
    except pd.errors.EmptyDataError:
        problems.append(Problem(display, None, None, None, "a header row naming the columns (the file is empty)"))
        return None
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        problems.append(Problem(display, None, None, None, f"a readable UTF-8 CSV file ({_short(exc)})"))
        return None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return _Raw(frame, np.arange(len(frame)) + 2, display)  # cells are stripped where they are converted


_STRIP = np.frompyfunc(str.strip, 1, 1)  # str.strip over an object array in one C loop


def _stripped(column: pd.Series) -> pd.Series:
    """The column's cells as stripped text, "" for a missing one (one C-level pass when every cell is text)."""
    column = column.astype(object)
    if pd.api.types.infer_dtype(column, skipna=False) in ("string", "empty"):
        return pd.Series(_STRIP(column.to_numpy(dtype=object)).astype(object), index=column.index, dtype=object)
    return column.map(lambda v: "" if v is None else str(v).strip())


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _read_meta_yaml(path: Path, display: str, problems: list[Problem]) -> tuple[dict, dict]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(display, None, None, None, f"a readable UTF-8 YAML file ({_short(exc)})"))
        return {}, {}
    data, lines = _parse_yaml(text, display, problems)
    return data, lines


class _LineLoader(yaml.SafeLoader):
    """The safe loader, recording the line where each mapping starts (key ``__line__``)."""

    def construct_mapping(self, node, deep=False):  # noqa: D401 - loader hook
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


# Dates stay text, so a bad date is a located problem rather than a YAML error,
# and every container parses dates through the same code.
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def _parse_yaml(text: str, display: str, problems: list[Problem]) -> tuple[dict, dict]:
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problems.append(Problem(display, row, None, None, f"valid YAML ({getattr(exc, 'problem', None) or _short(exc)})"))
        return {}, {}
    except (TypeError, ValueError) as exc:  # e.g. unhashable keys
        problems.append(Problem(display, None, None, None, f"valid YAML ({_short(exc)})"))
        return {}, {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(Problem(display, 1, None, None, "a mapping of keys at the top level"))
        return {}, {}
    lines = {}
    top_line = data.pop("__line__", None)
    for key in list(data):
        if not isinstance(key, str):
            problems.append(Problem(display, top_line, None, str(key), "text keys at the top level"))
            data.pop(key)
    return data, lines


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _records_to_raw(records: Any, display: str, sheet: str, problems: list[Problem]) -> _Raw | None:
    """A YAML list of mappings as a raw table (row = the line where the entry starts)."""
    if records is None:
        records = []
    if not isinstance(records, list):
        problems.append(Problem(display, None, sheet, None, f"a list of mappings under '{sheet}'"))
        return None
    # A YAML entry has no header: every contract column is present, and a
    # missing required key is reported on the entry's own line.
    columns: list[str] = [c.name for c in TABLES.get(sheet, ())]
    rows: list[int] = []
    cells: list[dict[str, str]] = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            problems.append(Problem(display, None, sheet, _cell_safe(record), f"entry {index + 1} of '{sheet}' to be a mapping of column: value"))
            continue
        line = record.get("__line__")
        row: dict[str, str] = {}
        for key, value in record.items():
            if key == "__line__":
                continue
            col = str(key).strip().lower()
            try:
                row[col] = _cell_text(value)
            except TypeError:
                problems.append(Problem(display, line, col, _cell_safe(value), "a single value (text, number, boolean or date), not a nested structure", sheet))
                row[col] = ""
            if col not in columns:
                columns.append(col)
        rows.append(line if isinstance(line, int) else index + 2)
        cells.append(row)
    frame = pd.DataFrame([[r.get(c, "") for c in columns] for r in cells], columns=columns, dtype=object)
    return _Raw(frame.astype(object), np.array(rows, dtype=int), display, sheet)


def _cell_safe(value: Any) -> str:
    text = _strip_lines(value)
    s = str(text)
    return s if len(s) <= 60 else s[:57] + "..."


def _read_folder(path: Path) -> _Read:
    problems: list[Problem] = []
    meta_path = path / "inventory.yaml"
    meta_display = str(meta_path)
    meta: dict = {}
    if not meta_path.exists():
        problems.append(Problem(meta_display, None, None, None, "an inventory.yaml file with name and as_of (metadata of the folder)"))
    else:
        meta, _ = _read_meta_yaml(meta_path, meta_display, problems)
    tables: dict[str, _Raw] = {}
    for name in TABLES:
        csv_path = path / f"{name}.csv"
        if not csv_path.exists():
            if name in REQUIRED_TABLES:
                problems.append(Problem(str(csv_path), None, None, None, f"the required table '{name}' (a CSV file with a header row; it may have no data rows)"))
            continue
        raw = _read_csv(csv_path, str(csv_path), problems)
        if raw is not None:
            tables[name] = raw
    # tables in the metadata file are a mistake worth naming
    for name in TABLES:
        if name in meta:
            problems.append(Problem(meta_display, None, None, name, f"only metadata keys in inventory.yaml; table '{name}' belongs in {name}.csv", severity="warning"))
            meta.pop(name)
    return _Read(meta, meta_display, {}, tables, problems)


def _read_yaml_file(path: Path) -> _Read:
    display = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _Read({}, display, {}, {}, [Problem(display, None, None, None, f"a readable UTF-8 YAML file ({_short(exc)})")])
    return _read_yaml_text(text, display)


def _read_yaml_text(text: str, display: str, *, tables_required: bool = True, sheets: bool = False) -> _Read:
    """The YAML container: metadata keys plus one list of mappings per table.

    ``tables_required`` off gives absent required tables as empty ones (for
    :func:`from_mapping`); ``sheets`` names each table in its problems.
    """
    problems: list[Problem] = []
    data, _ = _parse_yaml(text, display, problems)
    tables: dict[str, _Raw] = {}
    meta: dict = {}
    for key, value in data.items():
        if key in TABLES:
            raw = _records_to_raw(value, display, key, problems)
            if raw is not None:
                raw.sheet = key if sheets else None
                tables[key] = raw
        else:
            meta[key] = value
    for name in REQUIRED_TABLES:
        if name in data:
            continue
        if tables_required:
            problems.append(Problem(display, None, None, None, f"the required table '{name}' (a top-level key with a list of mappings; it may be an empty list [])"))
        else:
            tables[name] = _records_to_raw([], display, name, problems)
    return _Read(meta, display, {}, tables, problems)


def _read_xlsx(path: Path) -> _Read:
    import openpyxl

    problems: list[Problem] = []
    display = str(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad file
        problems.append(Problem(display, None, None, None, f"a readable Excel .xlsx workbook ({_short(exc)})"))
        return _Read({}, display, {}, {}, problems)
    try:
        sheets = {name.strip().lower(): book[name] for name in book.sheetnames}
        tables: dict[str, _Raw] = {}
        for name in TABLES:
            if name not in sheets:
                if name in REQUIRED_TABLES:
                    problems.append(Problem(display, None, None, None, f"the required sheet '{name}' (a header row; it may have no data rows)", sheet=name))
                continue
            tables[name] = _sheet_to_raw(sheets[name], display, name, problems)
        meta: dict = {}
        if "inventory" not in sheets:
            problems.append(Problem(display, None, None, None, "a sheet 'inventory' with columns key, value holding name and as_of", sheet="inventory"))
        else:
            raw = _sheet_to_raw(sheets["inventory"], display, "inventory", problems, canonical=False)
            cols = list(raw.frame.columns)
            if "key" not in cols or "value" not in cols:
                problems.append(Problem(display, 1, None, ", ".join(cols), "the columns 'key' and 'value'", sheet="inventory"))
            else:
                for key, value, row in zip(raw.frame["key"], raw.frame["value"], raw.rows):
                    if key is None or str(key).strip() == "":
                        continue
                    key = str(key).strip().lower()
                    if key == "scenarios" and isinstance(value, str):
                        try:
                            value = yaml.safe_load(value)
                        except yaml.YAMLError:
                            problems.append(Problem(display, int(row), "value", _cell_safe(value), "scenarios as YAML text: a list of {name, fail, mode}", sheet="inventory"))
                            continue
                        if isinstance(value, dict) and "scenarios" in value:
                            value = value["scenarios"]
                    meta[key] = value
    finally:
        book.close()
    return _Read(meta, display + "[inventory]", {}, tables, problems)


def _sheet_to_raw(ws, display: str, sheet: str, problems: list[Problem], canonical: bool = True) -> _Raw:
    values = list(ws.iter_rows(values_only=True))
    if not values:
        return _Raw(pd.DataFrame(dtype=object), np.array([], dtype=int), display, sheet)
    header = ["" if v is None else str(v).strip().lower() for v in values[0]]
    while header and header[-1] == "":
        header.pop()
    rows, data = [], []
    for number, row in enumerate(values[1:], start=2):
        cells = list(row[: len(header)]) + [None] * max(0, len(header) - len(row))
        if all(c is None or (isinstance(c, str) and c.strip() == "") for c in cells):
            continue
        if canonical:
            out = []
            for col, c in zip(header, cells):
                try:
                    out.append(_cell_text(c))
                except TypeError:
                    problems.append(Problem(display, number, col, str(c), "a plain cell value", sheet))
                    out.append("")
            cells = out
        rows.append(number)
        data.append(cells)
    frame = pd.DataFrame(data, columns=header, dtype=object)
    return _Raw(frame, np.array(rows, dtype=int), display, sheet)


# --------------------------------------------------------------------------------------
# Converting raw text to typed columns, collecting problems


def _type_expected(col: Column) -> str:
    if col.type == "enum":
        return "one of " + ", ".join(col.choices)
    if col.type == "bool":
        return "a boolean (true/false, yes/no, 1/0)"
    if col.type == "date":
        return "an ISO date (YYYY-MM-DD)"
    if col.type == "datetime":
        return "an ISO date-time (YYYY-MM-DDTHH:MM[:SS][+zone])"
    if col.type in ("float", "int"):
        noun = "a whole number" if col.type == "int" else "a number"
        bounds = []
        if col.minimum is not None:
            bounds.append((">" if col.exclusive_minimum else ">=") + f" {_fmt_num(col.minimum)}")
        if col.maximum is not None:
            bounds.append(f"<= {_fmt_num(col.maximum)}")
        return noun + (" " + " and ".join(bounds) if bounds else "")
    return "text"


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


def _typed(text: pd.Series, col: Column) -> tuple[pd.Series, np.ndarray, np.ndarray, dict[int, str]]:
    """Typed values of stripped cells: (values, bad mask, empty mask, what was expected of each bad cell).

    Each cell's result depends on its own text alone, so a column may be typed
    through its distinct values (see :func:`_convert_arrow`).
    """
    text = pd.Series(text.to_numpy(dtype=object), dtype=object)
    empty = text == ""
    bad = pd.Series(False, index=text.index)
    expected = _type_expected(col)
    hints: dict[int, str] = {}
    if col.type in ("text", "id"):
        out = text.where(~empty, None)
    elif col.type == "enum":
        lowered = text.str.lower().astype(object)
        bad = ~empty & ~lowered.isin(col.choices)
        out = lowered.where(~empty & ~bad, None)
        for idx in np.flatnonzero(bad.to_numpy()):
            hint = difflib.get_close_matches(text.iloc[idx].lower(), col.choices, n=1, cutoff=0.5)
            hints[int(idx)] = expected + (f" (did you mean '{hint[0]}'?)" if hint else "")
    elif col.type == "bool":
        lowered = text.str.lower()
        is_true = lowered.isin(_TRUE)
        is_false = lowered.isin(_FALSE)
        bad = ~empty & ~is_true & ~is_false
        out = pd.Series(is_true.to_numpy(), index=text.index, dtype=bool)
    elif col.type in ("float", "int"):
        numbers = pd.to_numeric(text.where(~empty, None), errors="coerce").astype("float64")
        out, bad = _checked_numbers(numbers.to_numpy(), empty.to_numpy(), col)
    elif col.type in ("datetime", "date"):
        stamps = pd.to_datetime(text.where(~empty, None), format="ISO8601", errors="coerce", utc=True)
        bad = ~empty & stamps.isna()
        stamps = stamps.dt.tz_convert(None)
        # the tables hold nanosecond times: a time outside their range is a located problem, not a crash
        outside = stamps.notna() & ((stamps < pd.Timestamp.min) | (stamps > pd.Timestamp.max))
        for idx in np.flatnonzero(outside.to_numpy()):
            hints[int(idx)] = expected + f" from {pd.Timestamp.min:%Y-%m-%d} to {pd.Timestamp.max:%Y-%m-%d}"
        bad |= outside
        stamps = stamps.where(~outside)
        if col.type == "date":
            stamps = stamps.dt.floor("D")
        out = stamps.astype("datetime64[ns]")
    else:  # pragma: no cover - programming error
        raise AssertionError(col.type)
    bad = np.asarray(bad, dtype=bool)
    for idx in np.flatnonzero(bad):
        hints.setdefault(int(idx), expected)
    return out.reset_index(drop=True), bad, empty.to_numpy(dtype=bool), hints


def _checked_numbers(numbers: np.ndarray, empty: np.ndarray, col: Column) -> tuple[pd.Series, np.ndarray]:
    """A number column (NaN where a cell is empty or unreadable) with its bounds checked: (values, bad)."""
    numbers = pd.Series(numbers, dtype="float64")
    bad = ~empty & ~np.isfinite(numbers.to_numpy())
    ok = ~empty & ~bad
    if col.type == "int":
        bad |= ok & (numbers != np.floor(numbers)).to_numpy()
    if col.minimum is not None:
        below = numbers <= col.minimum if col.exclusive_minimum else numbers < col.minimum
        bad |= ok & below.to_numpy()
    if col.maximum is not None:
        bad |= ok & (numbers > col.maximum).to_numpy()
    numbers = numbers.where(~empty & ~bad)
    return (numbers.round().astype("Int64") if col.type == "int" else numbers), bad


def _report(raw: _Raw, col: Column, values: np.ndarray, bad: np.ndarray, empty: np.ndarray,
            hints: dict[int, str], codes: np.ndarray | None, problems: list[Problem]) -> None:
    """Problems of the bad and the missing required cells, in row order.

    ``values``, ``bad``, ``empty`` and ``hints`` describe the cells, or the
    distinct cells when ``codes`` maps each row to one of them.
    """
    bad_rows = np.flatnonzero(bad if codes is None else bad[codes])
    for idx in bad_rows:
        cell = int(idx if codes is None else codes[idx])
        problems.append(Problem(raw.file, int(raw.rows[idx]), col.name, values[cell], hints[cell], raw.sheet))
    if col.required:
        expected = _type_expected(col) + " (this column is required)"
        for idx in np.flatnonzero(empty if codes is None else empty[codes]):
            problems.append(Problem(raw.file, int(raw.rows[idx]), col.name, "", expected, raw.sheet))


def _convert(raw: _Raw, col: Column, problems: list[Problem]) -> pd.Series:
    """Typed values of one column; bad cells are reported and become missing."""
    text = _stripped(raw.frame[col.name])
    out, bad, empty, hints = _typed(text, col)
    _report(raw, col, text.to_numpy(dtype=object), bad, empty, hints, None, problems)
    out.index = range(len(out))
    return out


#: every character Python's str.strip removes, so pyarrow strips exactly as Python does
_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
# Plain decimals of at most 15 digits: pyarrow's correctly rounded parse and pandas' to_numeric
# agree on them exactly (the digits are an exact double, scaled by one exact power of ten).
_PLAIN_DECIMAL = r"^\+?[0-9]*\.?[0-9]*$"
# Zone-less ISO date-times in pandas' nanosecond range, with valid clock fields.
_PLAIN_STAMP = (r"^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}"
                r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?)?$")


_EDGE_BYTES = np.zeros(256, dtype=bool)
_EDGE_BYTES[[ord(c) for c in _WHITESPACE if ord(c) < 128]] = True
_EDGE_BYTES[128:] = True  # the first or last byte of a non-ASCII character: maybe a Unicode space


def _stripped_arrow(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The cells stripped as str.strip does; the column itself when no cell starts or ends with a space."""
    for chunk in column.chunks:
        ends, data = _cell_bytes(chunk)
        starts, stops = ends[:-1], ends[1:]
        filled = stops > starts
        if _EDGE_BYTES[data[starts[filled]]].any() or _EDGE_BYTES[data[stops[filled] - 1]].any():
            return pc.utf8_trim(column, characters=_WHITESPACE)
    return column


def _distinct(text: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(code of each cell, distinct cells as an object array of str)."""
    encoded = pc.dictionary_encode(text).unify_dictionaries()
    if encoded.num_chunks == 0:
        return np.zeros(0, dtype=np.int64), np.array([], dtype=object)
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in encoded.chunks]) if encoded.num_chunks > 1 \
        else encoded.chunk(0).indices.to_numpy(zero_copy_only=False)
    values = encoded.chunk(0).dictionary.to_numpy(zero_copy_only=False).astype(object)
    return codes, values


def _cell_bytes(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(start offsets of the cells plus the end, the bytes) of a string array without copying."""
    _, offsets, data = chunk.buffers()
    ends = np.frombuffer(offsets, dtype=np.int32)[chunk.offset: chunk.offset + len(chunk) + 1]
    return ends, (np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8))


_DECIMAL_BYTES = np.zeros(256, dtype=bool)
_DECIMAL_BYTES[list(b"0123456789.")] = True


def _plain_decimals(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """Which cells match ``_PLAIN_DECIMAL`` with 1 to 15 digits (empty cells: false).

    Where the column's bytes are all digits and points, a byte table and a
    count of points decide; otherwise the regular expression does.
    """
    points = pc.count_substring(text, ".")
    digits = pc.subtract(pc.binary_length(text), points)
    counted = pc.and_(pc.less_equal(digits, 15), pc.greater(digits, 0))
    if all(_DECIMAL_BYTES[data[ends[0]: ends[-1]]].all() for ends, data in map(_cell_bytes, text.chunks)):
        return pc.and_(pc.less_equal(points, 1), counted)
    pluses = pc.count_substring(text, "+")
    return pc.and_(pc.match_substring_regex(text, _PLAIN_DECIMAL),
                   pc.and_(pc.less_equal(pc.subtract(digits, pluses), 15), pc.greater(pc.subtract(digits, pluses), 0)))


_STAMP_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]


def _plain_stamps(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """Which cells match ``_PLAIN_STAMP`` (empty cells: false).

    Where every filled cell is 19 bytes (YYYY-MM-DDThh:mm:ss), its characters
    are checked position by position on the bytes; otherwise the regular
    expression decides.
    """
    parts = []
    for chunk in text.chunks:
        ends, data = _cell_bytes(chunk)
        lengths = np.diff(ends)
        filled = lengths > 0
        if not np.all(lengths[filled] == 19):
            return pc.match_substring_regex(text, _PLAIN_STAMP)
        if filled.all():  # back to back: the bytes are a matrix of 19 columns as they lie
            cells = data[ends[0]: ends[-1]].reshape(-1, 19)
        else:
            cells = data[ends[:-1][filled][:, None] + np.arange(19)]
        ok = np.all((cells[:, _STAMP_DIGITS] - 48) < 10, axis=1)  # uint8: anything below '0' wraps above 9
        ok &= (cells[:, 4] == 45) & (cells[:, 7] == 45) & (cells[:, 13] == 58) & (cells[:, 16] == 58)  # - - : :
        ok &= (cells[:, 10] == 84) | (cells[:, 10] == 32)  # T or space
        ok &= ((cells[:, 0] == 49) & (cells[:, 1] == 57)) | ((cells[:, 0] == 50) & (cells[:, 1] == 48))  # 19xx, 20xx
        ok &= (cells[:, 11] < 50) | ((cells[:, 11] == 50) & (cells[:, 12] < 52))  # hour 00-23
        ok &= (cells[:, 14] < 54) & (cells[:, 17] < 54)  # minute, second 00-59
        match = np.zeros(len(chunk), dtype=bool)
        match[filled] = ok
        parts.append(pa.array(match))
    return pa.chunked_array(parts, type=pa.bool_())


def _fast_typed(text: pa.ChunkedArray, col: Column) -> tuple[pd.Series, np.ndarray, np.ndarray] | None:
    """(values, bad mask, empty mask) of numbers and date-times parsed by pyarrow, or None.

    pyarrow parses only where that provably equals pandas' parse: every filled
    cell a plain decimal of at most 15 digits (an exact double scaled by one
    exact power of ten), or a zone-less ISO date-time of 1900-2099, and pyarrow
    reads them all. Anything else returns None: the caller types distinct cells.
    """
    filled = pc.not_equal(text, "")
    if col.type in ("float", "int"):
        plain = _plain_decimals(text)
        target = pa.float64()
    else:
        plain = _plain_stamps(text)
        target = pa.timestamp("ns")
    if not pc.all(pc.or_(pc.invert(filled), plain)).as_py():
        return None
    try:
        parsed = (text if pc.all(filled).as_py() else pc.if_else(filled, text, pa.scalar(None, pa.string()))).cast(target)
    except pa.ArrowException:
        return None
    if col.type in ("float", "int"):
        empty = pc.invert(filled).to_numpy(zero_copy_only=False)
        out, bad = _checked_numbers(parsed.to_numpy(zero_copy_only=False).astype("float64"), empty, col)
        return out, bad, empty
    stamps = pd.Series(parsed.to_numpy(zero_copy_only=False), dtype="datetime64[ns]")
    if col.type == "date":
        stamps = stamps.dt.floor("D").astype("datetime64[ns]")
    return stamps, np.zeros(len(stamps), dtype=bool), pc.invert(filled).to_numpy(zero_copy_only=False)


def _convert_arrow(raw: _Raw, column: pa.ChunkedArray, col: Column, problems: list[Problem]) -> pd.Series:
    """:func:`_convert` of a column read by pyarrow: typed through its distinct cells.

    Cells are stripped exactly as :func:`_stripped` does; each distinct cell is
    typed once by :func:`_typed` and the rows take its result, so values and
    problems equal the cell-by-cell conversion. Columns of numbers or
    date-times that are mostly distinct are parsed by pyarrow where that is
    exact (:func:`_fast_typed`).
    """
    text = _stripped_arrow(column)
    if col.type in ("float", "int", "datetime", "date"):
        fast = _fast_typed(text, col)
        if fast is not None:
            out, bad, empty = fast
            if bad.any() or (col.required and empty.any()):
                cells = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
                hints = {int(i): _type_expected(col) for i in np.flatnonzero(bad)}
                _report(raw, col, cells, bad, empty, hints, None, problems)
            return out.reset_index(drop=True)
    codes, values = _distinct(text)
    out, bad, empty, hints = _typed(pd.Series(values, dtype=object), col)
    _report(raw, col, values, bad, empty, hints, codes, problems)
    return out.take(codes).reset_index(drop=True)


def _empty_table(name: str) -> pd.DataFrame:
    raw = _Raw(pd.DataFrame({c.name: pd.Series([], dtype=object) for c in TABLES[name]}), np.array([], dtype=int), "")
    return _normalise(name, raw, [])


def _normalise(name: str, raw: _Raw, problems: list[Problem]) -> pd.DataFrame:
    """Typed DataFrame of a table with every contract column, extra columns kept as text."""
    columns = TABLES[name]
    known = {c.name for c in columns}
    present = list(raw.frame.columns)
    seen: set[str] = set()
    for col in present:
        if col in seen:
            problems.append(Problem(raw.file, 1, col, col, "each column once (this header appears twice)", raw.sheet))
        seen.add(col)
    if len(seen) != len(present):
        raw.frame = raw.frame.loc[:, ~raw.frame.columns.duplicated()]
    for col in columns:
        if col.required and col.name not in seen:
            problems.append(Problem(raw.file, 1, col.name, None, f"the required column '{col.name}' ({col.help})", raw.sheet))
    for col in present:
        if col not in known and col != "" and col not in EXTENSION_COLUMNS:
            hint = difflib.get_close_matches(col, sorted(known), n=1, cutoff=0.7)
            problems.append(Problem(
                raw.file, 1, col, None,
                "a known column (this one is kept as text but not used" + (f"; did you mean '{hint[0]}'?)" if hint else ")"),
                raw.sheet, severity="warning",
            ))
    data: dict[str, pd.Series] = {}
    n = len(raw) if raw.arrow is not None else len(raw.frame)
    arrow = {}
    if raw.arrow is not None:
        for name, column in zip(present, raw.arrow):
            arrow.setdefault(name, column)  # the first of a duplicated header, as the frame keeps it
        raw.arrow = None  # each column's text is freed once it is typed
    for col in columns:
        if col.name in arrow:
            data[col.name] = _convert_arrow(raw, arrow.pop(col.name), col, problems)
        elif col.name in seen:
            data[col.name] = _convert(raw, col, problems)
        else:  # an absent column: every cell missing
            out, _, _, _ = _typed(pd.Series([""], dtype=object), col)
            data[col.name] = out.take(np.zeros(n, dtype=np.int64)).reset_index(drop=True)
    for col in present:
        if col not in known and col != "":
            if col in arrow or col in data:
                data[col] = data[col] if col in data else _convert_arrow(raw, arrow.pop(col), Column(col, "text"), problems)
            else:
                data[col] = pd.Series([None if v is None or str(v).strip() == "" else str(v).strip() for v in raw.frame[col]], dtype=object)
    frame = pd.DataFrame(data, index=range(n))
    return frame


# --------------------------------------------------------------------------------------
# Cross-table validation


def _codes(*columns: pd.Series) -> np.ndarray:
    """One integer per row naming the combination of its values (None is a value like any other)."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        key, _ = pd.factorize(key * (len(uniques) + 1) + codes)
        key = key.astype(np.int64)
    return key


def _first_of(key: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """For each row, the position of the first row with ``mask`` and the same key (-1 if none)."""
    first = np.full(int(key.max()) + 1 if len(key) else 0, -1, dtype=np.int64)
    positions = np.flatnonzero(mask)
    keys = key[positions]
    order = np.unique(keys, return_index=True)
    first[order[0]] = positions[order[1]]
    return first[key] if len(key) else np.zeros(0, dtype=np.int64)


def _admin_mask(kinds: pd.Series) -> np.ndarray:
    """:func:`is_admin` of each cell, computed once per distinct value."""
    codes, uniques = pd.factorize(kinds, use_na_sentinel=False)
    return np.array([is_admin(k) for k in uniques], dtype=bool)[codes] if len(codes) else np.zeros(0, dtype=bool)


def _check_tables(tables: dict[str, pd.DataFrame], raws: dict[str, _Raw], problems: list[Problem]) -> None:
    """Cross-table checks: unique ids, references, self-references, dependency groups, run times.

    Masks find the bad rows; a problem is made for each bad row only, in the
    order of a row-by-row pass (tests/inventory_reference.py keeps that pass).
    """
    comps = tables["components"]
    craw = raws.get("components")
    backups = tables["backups"]
    braw = raws.get("backups")

    def where(raw: _Raw | None, i: int) -> tuple[str, int | None, str | None]:
        if raw is None:
            return "", None, None
        return raw.file, int(raw.rows[i]), raw.sheet

    def rows_of(raw: _Raw | None, n: int) -> np.ndarray:
        return np.asarray(raw.rows, dtype=np.int64) if raw is not None else np.zeros(n, dtype=np.int64)

    # duplicate component ids
    cids = comps["id"]
    cvalid = cids.notna().to_numpy()
    ckey = _codes(cids)
    cfirst = _first_of(ckey, cvalid)
    crow = rows_of(craw, len(comps))
    for i in np.flatnonzero(cvalid & (cfirst != np.arange(len(comps)))):
        f, r, s = where(craw, i)
        problems.append(Problem(f, r, "id", cids.iloc[i], f"a unique id (already used on row {crow[cfirst[i]]})", s))
    firsts = cvalid & (cfirst == np.arange(len(comps)))
    comp_kind = dict(zip(cids[firsts], comps["kind"][firsts]))
    # backups: duplicate ids, kind clashes
    bids = backups["id"]
    bvalid = bids.notna().to_numpy()
    bfirst = _first_of(_codes(bids), bvalid)
    brow = rows_of(braw, len(backups))
    bdup = bvalid & (bfirst != np.arange(len(backups)))
    kinds = bids.map(lambda b: comp_kind.get(b, "backup") if b is not None else "backup")
    clash = bvalid & ~bdup & (kinds.notna() & (kinds != "backup")).to_numpy()
    for i in np.flatnonzero(bdup | clash):
        f, r, s = where(braw, i)
        bid = bids.iloc[i]
        if bdup[i]:
            problems.append(Problem(f, r, "id", bid, f"a unique backup id (already used on row {brow[bfirst[i]]})", s))
        else:
            problems.append(Problem(f, r, "id", bid, f"a backup id that is not also a component of kind '{comp_kind[bid]}' in components (a backup is a component of kind 'backup')", s))
    backup_ids = set(bids[bvalid & ~bdup])
    all_ids = set(comp_kind) | backup_ids

    def check_refs(table: str, column: str, universe: set[str], what: str) -> None:
        frame = tables[table]
        raw = raws.get(table)
        if column not in frame or raw is None:
            return
        values = frame[column]
        missing = values.notna() & ~values.isin(universe)
        ordered: list[str] | None = None
        for i in np.flatnonzero(missing.to_numpy()):
            value = values.iloc[i]
            ordered = sorted(universe) if ordered is None else ordered
            hint = difflib.get_close_matches(value, ordered, n=1, cutoff=0.8)
            f, r, s = where(raw, i)
            problems.append(Problem(f, r, column, value, what + (f" (did you mean '{hint[0]}'?)" if hint else ""), s))

    check_refs("dependencies", "component", all_ids, "the id of a component or backup")
    check_refs("dependencies", "depends_on", all_ids, "the id of a component or backup")
    check_refs("backups", "protects", all_ids, "the id of an existing component (the asset this backup restores)")
    check_refs("backups", "alert_channel", all_ids, "the id of a component (where failed runs are reported)")
    check_refs("backups", "restore_to", all_ids, "the id of a component (where a restore lands)")
    check_refs("backup_runs", "backup", backup_ids, "the id of a backup in the backups table")
    check_refs("restore_tests", "backup", backup_ids, "the id of a backup in the backups table")

    # backups: restore_to the asset itself, protecting itself
    prot = backups["protects"].to_numpy(dtype=object)
    target = backups["restore_to"].to_numpy(dtype=object)
    self_protect = bvalid & (prot == bids.to_numpy(dtype=object))
    self_target = backups["restore_to"].notna().to_numpy() & (target == prot)
    for i in np.flatnonzero(self_protect | self_target):
        f, r, s = where(braw, i)
        if self_protect[i]:
            problems.append(Problem(f, r, "protects", prot[i], "an asset other than the backup itself", s))
        if self_target[i]:
            problems.append(Problem(f, r, "restore_to", target[i], "a restore target other than the asset itself (a path that needs the asset up never restores it)", s, severity="warning"))

    # dependencies
    deps = tables["dependencies"]
    draw = raws.get("dependencies")
    n = len(deps)
    at = np.arange(n)
    drow = rows_of(draw, n)
    comp, dep_on, group, needs = deps["component"], deps["depends_on"], deps["group"], deps["needs"]
    valid = (comp.notna() & dep_on.notna()).to_numpy()
    admin = _admin_mask(deps["kind"])
    has_group = group.notna().to_numpy()
    has_needs = needs.notna().to_numpy()
    self_dep = valid & (comp.to_numpy(dtype=object) == dep_on.to_numpy(dtype=object))
    row_key = _codes(comp, dep_on, group, pd.Series(admin))
    row_first = _first_of(row_key, valid)
    repeated = valid & (row_first != at)
    admin_group = valid & admin & has_group
    admin_needs = valid & admin & has_needs
    loose_needs = valid & ~admin & ~has_group & has_needs
    grouped = valid & ~admin & has_group
    group_key = _codes(comp, group)
    stated = grouped & has_needs
    needs_first = _first_of(group_key, stated)  # the first row of the group that states needs
    needs_values = needs.to_numpy(dtype=np.float64, na_value=np.nan)
    differs = stated & (needs_first != at) & (needs_values != needs_values[np.maximum(needs_first, 0)])
    flagged = self_dep | repeated | admin_group | admin_needs | loose_needs | differs
    for i in np.flatnonzero(flagged):
        f, r, s = where(draw, i)
        target_i = dep_on.iloc[i]
        if self_dep[i]:
            problems.append(Problem(f, r, "depends_on", target_i, "a component other than the one that depends on it (a component cannot depend on itself)", s))
        if repeated[i]:
            what = "an admin row" if admin[i] else "a row that is not admin"
            problems.append(Problem(f, r, "depends_on", target_i, f"each dependency once (same component, depends_on and group, and {what}, as row {drow[row_first[i]]})", s))
        if admin_group[i]:
            problems.append(Problem(f, r, "group", group.iloc[i], "no group on an admin row (an admin row is not a requirement; the group is ignored)", s, severity="warning"))
        if admin_needs[i]:
            problems.append(Problem(f, r, "needs", str(needs.iloc[i]), "no needs on an admin row (an admin row is not a requirement; needs is ignored)", s, severity="warning"))
        if loose_needs[i]:
            problems.append(Problem(f, r, "needs", str(needs.iloc[i]), "needs only on rows with a group (ignored here)", s, severity="warning"))
        if differs[i]:
            j = needs_first[i]
            problems.append(Problem(f, r, "needs", str(int(needs.iloc[i])), f"the same needs on every row of group '{group.iloc[i]}' of '{comp.iloc[i]}' (row {drow[j]} says {int(needs.iloc[j])})", s))
    sizes = np.bincount(group_key[grouped], minlength=int(group_key.max()) + 1 if n else 0)
    for j in np.flatnonzero(stated & (needs_first == at)):  # each group with needs, in the order first stated
        size = int(sizes[group_key[j]])
        if int(needs.iloc[j]) > size:
            f, _, s = where(draw, 0)
            problems.append(Problem(f, int(drow[j]), "needs", str(int(needs.iloc[j])), f"at most {size}, the number of members of group '{group.iloc[j]}' of '{comp.iloc[j]}'", s))

    # runs: finished before started
    runs = tables["backup_runs"]
    rraw = raws.get("backup_runs")
    if rraw is not None and len(runs):
        negative = (runs["finished_at"] < runs["started_at"]).fillna(False).to_numpy(dtype=bool)
        for i in np.flatnonzero(negative):
            f, r, s = where(rraw, i)
            problems.append(Problem(f, r, "finished_at", _iso(runs["finished_at"].iloc[i]), f"a time at or after started_at ({_iso(runs['started_at'].iloc[i])}): a run cannot take negative time", s))


def _iso(ts: Any) -> str:
    return pd.Timestamp(ts).isoformat()


# --------------------------------------------------------------------------------------
# Metadata


def _check_meta(meta: dict[str, Any], display: str, component_ids: set[str], problems: list[Problem]) -> Metadata | None:
    meta = _strip_lines(meta)
    for key in meta:
        if key not in META_KEYS:
            problems.append(Problem(display, None, key, None, "a known metadata key (" + ", ".join(META_KEYS) + "); this one is ignored", severity="warning"))
    name = meta.get("name")
    ok = True
    if name is None or (isinstance(name, str) and not name.strip()):
        problems.append(Problem(display, None, "name", None, "the environment's name (required)"))
        ok = False
    elif not isinstance(name, (str, int, float)) or isinstance(name, bool):
        problems.append(Problem(display, None, "name", _cell_safe(name), "text"))
        ok = False
    as_of_raw = meta.get("as_of")
    as_of = _parse_date(as_of_raw)
    if as_of_raw is None or (isinstance(as_of_raw, str) and not as_of_raw.strip()):
        problems.append(Problem(display, None, "as_of", None, "the ISO date of the assessment, e.g. 2026-09-30 (required)"))
        ok = False
    elif as_of is None:
        problems.append(Problem(display, None, "as_of", _cell_safe(as_of_raw), "an ISO date (YYYY-MM-DD)"))
        ok = False
    texts = {}
    for key in ("organisation", "description"):
        value = meta.get(key)
        if value is None:
            texts[key] = None
        elif isinstance(value, (dict, list)):
            problems.append(Problem(display, None, key, _cell_safe(value), "text"))
            texts[key] = None
        else:
            texts[key] = _cell_text(value) or None
    scenarios: list[Scenario] = []
    raw_sc = meta.get("scenarios")
    if raw_sc is not None:
        if not isinstance(raw_sc, list):
            problems.append(Problem(display, None, "scenarios", _cell_safe(raw_sc), "a list of {name, fail: [component ids], mode}"))
            ok = False
        else:
            names: set[str] = set()
            for i, sc in enumerate(raw_sc, start=1):
                where = f"scenarios[{i}]"
                if not isinstance(sc, dict):
                    problems.append(Problem(display, None, where, _cell_safe(sc), "a mapping {name, fail, mode}"))
                    ok = False
                    continue
                sname = sc.get("name")
                if sname is None or isinstance(sname, (dict, list)) or not str(sname).strip():
                    problems.append(Problem(display, None, where + ".name", _cell_safe(sname), "the scenario's name"))
                    ok = False
                    continue
                sname = str(sname).strip()
                if sname in names:
                    problems.append(Problem(display, None, where + ".name", sname, "a unique scenario name"))
                    ok = False
                names.add(sname)
                fail = sc.get("fail")
                if isinstance(fail, str):
                    fail = [p.strip() for p in fail.split(";") if p.strip()]
                if not isinstance(fail, list) or not fail or not all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in fail):
                    problems.append(Problem(display, None, where + ".fail", _cell_safe(fail), "a non-empty list of component ids"))
                    ok = False
                    continue
                fail_ids = tuple(str(x).strip() for x in fail)
                for fid in fail_ids:
                    if fid not in component_ids:
                        problems.append(Problem(display, None, where + ".fail", fid, "the id of a component"))
                        ok = False
                mode = sc.get("mode")
                if mode is not None:
                    mode = str(mode).strip().lower()
                    if mode not in THREAT_MODES:
                        problems.append(Problem(display, None, where + ".mode", mode, "one of " + ", ".join(THREAT_MODES)))
                        ok = False
                for key in sc:
                    if key not in ("name", "fail", "mode", "description", "notes"):
                        problems.append(Problem(display, None, where, str(key), "keys name, fail, mode (this one is ignored)", severity="warning"))
                scenarios.append(Scenario(sname, tuple(dict.fromkeys(fail_ids)), mode))
    if not ok:
        return None
    return Metadata(_cell_text(name), as_of, texts["organisation"], texts["description"], tuple(scenarios))


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            try:
                return dt.datetime.fromisoformat(value.strip()).date()
            except ValueError:
                return None
    return None


# --------------------------------------------------------------------------------------
# Public entry points


def load(path: str | os.PathLike) -> Inventory:
    """Load, normalise and validate an inventory from a folder, ``.xlsx`` or ``.yaml``.

    Raises
    ------
    InventoryError
        holding every problem found (each with file, sheet, row, column, value
        and what was expected). Warnings do not raise; they are kept on
        ``Inventory.warnings``.
    """
    p = Path(path)
    if not p.exists():
        raise InventoryError([Problem(str(p), None, None, None, "an existing folder, .xlsx or .yaml file (nothing is there)")])
    if p.is_dir():
        read = _read_folder(p)
    elif p.suffix.lower() == ".xlsx":
        read = _read_xlsx(p)
    elif p.suffix.lower() in (".yaml", ".yml"):
        read = _read_yaml_file(p)
    else:
        raise InventoryError([Problem(str(p), None, None, None, "a folder with inventory.yaml and CSV files, an .xlsx workbook or a .yaml file")])
    return _build(read, str(p))


def from_mapping(data: Mapping[str, Any], source: str = "<inventory>") -> Inventory:
    """Build an inventory from a YAML-like mapping (metadata keys plus one list per table).

    The same code path as the YAML container; handy in tests and notebooks.
    """
    text = yaml.safe_dump(_plain(dict(data)), sort_keys=False, allow_unicode=True)
    return _build(_read_yaml_text(text, source, tables_required=False, sheets=True), source)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    return value


def _build(read: _Read, source: str) -> Inventory:
    problems = list(read.problems)
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        raw = read.tables.get(name)
        tables[name] = _empty_table(name) if raw is None else _normalise(name, raw, problems)
    # fill defaults: name defaults to id; backups added as components
    comps = tables["components"]
    comps["name"] = comps["name"].where(comps["name"].notna(), comps["id"]).astype(object)
    _check_tables(tables, read.tables, problems)
    known = set(comps["id"].dropna())
    backups = tables["backups"]
    extra_ids = [b for b in dict.fromkeys(backups["id"].dropna()) if b not in known]
    if extra_ids:
        add = _empty_table("components").reindex(range(len(extra_ids)))
        for col in add.columns:
            add[col] = add[col].astype(comps[col].dtype) if col in comps else add[col]
        add["id"] = pd.Series(extra_ids, dtype=object)
        add["name"] = pd.Series(extra_ids, dtype=object)
        add["kind"] = "backup"
        comps = pd.concat([comps, add.reindex(columns=comps.columns)], ignore_index=True)
        for col in TABLES["components"]:
            comps[col.name] = comps[col.name].astype(tables["components"][col.name].dtype)
        tables["components"] = comps
    deps = tables["dependencies"]
    admin = pd.Series(_admin_mask(deps["kind"]), index=deps.index, dtype=bool)
    if admin.any():
        deps.loc[admin, "kind"] = ADMIN  # one spelling, whatever the case in the file
    grouped = deps["group"].notna() & ~admin
    deps["needs"] = deps["needs"].fillna(1).where(grouped, pd.NA).astype("Int64")
    meta = _check_meta(read.meta, read.meta_file, set(comps["id"].dropna()), problems)
    errors = [p for p in problems if p.severity == "error"]
    if errors or meta is None:
        raise InventoryError(sorted(problems, key=_problem_key))
    warnings = tuple(sorted((p for p in problems if p.severity == "warning"), key=_problem_key))
    return Inventory(meta, tables["components"], deps, tables["backups"], tables["backup_runs"], tables["restore_tests"], source, warnings)


def _problem_key(p: Problem) -> tuple:
    return (p.file, p.sheet or "", p.row if p.row is not None else -1, p.column or "", p.expected)


# --------------------------------------------------------------------------------------
# Writing


def _text_value(value: Any, col_type: str) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if col_type == "bool":
        return "true" if bool(value) else "false"
    if col_type == "int":
        return str(int(value))
    if col_type == "float":
        return repr(float(value))
    if col_type == "datetime":
        return pd.Timestamp(value).isoformat()
    if col_type == "date":
        return pd.Timestamp(value).date().isoformat()
    return str(value)


def _records(inv: Inventory, name: str) -> tuple[list[str], list[list[Any]]]:
    frame = inv.table(name)
    types = {c.name: c.type for c in TABLES[name]}
    columns = list(frame.columns)
    rows = [
        [_text_value(v, types.get(c, "text")) for c, v in zip(columns, row)]
        for row in frame.itertuples(index=False, name=None)
    ]
    return columns, rows


def _meta_dict(meta: Metadata) -> dict[str, Any]:
    out: dict[str, Any] = {"name": meta.name, "as_of": meta.as_of.isoformat()}
    if meta.organisation is not None:
        out["organisation"] = meta.organisation
    if meta.description is not None:
        out["description"] = meta.description
    if meta.scenarios:
        out["scenarios"] = [
            {"name": s.name, "fail": list(s.fail), **({"mode": s.mode} if s.mode else {})}
            for s in meta.scenarios
        ]
    return out


def save(inv: Inventory, path: str | os.PathLike) -> Path:
    """Write ``inv`` to a folder, ``.xlsx`` or ``.yaml`` (chosen by the path), loadable by :func:`load`.

    Components that were added only because a backup named them are written too
    (as kind ``backup``), which loads to an equal inventory.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml"):
        doc: dict[str, Any] = _meta_dict(inv.meta)
        for name in TABLES:
            columns, rows = _records(inv, name)
            doc[name] = [{c: v for c, v in zip(columns, row) if v != ""} for row in rows]
        p.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    elif suffix == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        ws = book.active
        ws.title = "inventory"
        ws.append(["key", "value"])
        for key, value in _meta_dict(inv.meta).items():
            if key == "scenarios":
                value = yaml.safe_dump(value, sort_keys=False, allow_unicode=True)
            ws.append([key, value])
        for name in TABLES:
            sheet = book.create_sheet(name)
            columns, rows = _records(inv, name)
            sheet.append(columns)
            for row in rows:
                sheet.append([None if v == "" else v for v in row])
        book.save(p)
    else:
        import csv

        p.mkdir(parents=True, exist_ok=True)
        (p / "inventory.yaml").write_text(yaml.safe_dump(_meta_dict(inv.meta), sort_keys=False, allow_unicode=True), encoding="utf-8")
        for name in TABLES:
            columns, rows = _records(inv, name)
            with open(p / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(columns)
                writer.writerows(rows)
    return p
