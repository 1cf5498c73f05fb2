"""Values of backup-tool exports (numbers, booleans, times, durations) read with errors that name the record.

Every reader takes ``where`` (``file: row 3``, ``file: BackupJobs[2]``) and the field name,
so a bad value is reported as ``file: row 3: column 'BackupSizeGB': value 'abc' - expected
a number``: never a traceback, never a guess.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import math
import re
from collections.abc import Iterator

from ..history import dense_interval_hours
from .sources import ImportSourceError

__all__ = [
    "DATE_FORMAT_HELP",
    "bad",
    "add_hours",
    "date_order_of",
    "declared_date_order",
    "numeric_date_fields",
    "parse_date_format",
    "reading_dates",
    "clean_id",
    "hours_between",
    "run_interval_hours",
    "parse_bool",
    "parse_datetime",
    "parse_duration_hours",
    "parse_float",
    "schedule_hours_from_text",
]

#: a date written with the day and month as numbers in some order (``06/03/2026 22:00:00``,
#: ``3/6/2026 10:00:00 PM``, ``06.03.2026 22:00``), the forms Windows tools write under a culture.
_NUMERIC_DATE = re.compile(
    r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*([AaPp]\.?[Mm]\.?)?)?$"
)
#: year first with slashes or dots (``2026/03/06 22:00``): never ambiguous.
_YEAR_FIRST = re.compile(
    r"^(\d{4})([/.])(\d{1,2})\2(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?$"
)
DATE_FORMAT_HELP = "--date-format DD/MM/YYYY (day first) or --date-format MM/DD/YYYY (month first)"
#: the order of day and month the analyst declared (``--date-format``) for this import: "DMY", "MDY" or None.
_DECLARED: contextvars.ContextVar[str | None] = contextvars.ContextVar("hiddenspof_date_order", default=None)
_FRACTION = re.compile(r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
_DURATION = re.compile(r"^(?:(\d+)\.)?(\d{1,3}):(\d{2}):(\d{2})(?:\.\d+)?$")


def bad(where: str, field: str, value: object, expected: str) -> ImportSourceError:
    """The error for one bad value: where, which field, the value, what was expected."""
    return ImportSourceError(f"{where}: field '{field}': value '{value}' - expected {expected}")


def parse_float(where: str, field: str, value: object, *, minimum: float | None = 0.0) -> float | None:
    """A finite number (None when empty); below ``minimum`` is an error."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise bad(where, field, value, "a number")
    if isinstance(value, str) and "," in value:
        # "12,5" (a decimal comma) and "1,250" (a thousands separator) cannot be told apart
        raise bad(where, field, value, "a number with a dot as decimal mark and no thousands separator")
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise bad(where, field, value, "a number") from None
    if not math.isfinite(number) or (minimum is not None and number < minimum):
        raise bad(where, field, value, f"a finite number >= {minimum:g}" if minimum is not None else "a finite number")
    return number


def parse_bool(where: str, field: str, value: object) -> bool | None:
    """``True``/``False`` (any case, also yes/no, 1/0) or a JSON boolean; None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise bad(where, field, value, "True or False")


def parse_date_format(text: str) -> str:
    """The order of day and month that ``--date-format`` declares: ``"DMY"`` or ``"MDY"``.

    Accepts a pattern naming day and month (``DD/MM/YYYY``, ``MM/DD/YYYY``, ``dd.MM.yyyy``,
    ``M/d/yyyy h:mm:ss tt``, ``%d/%m/%Y``) or the letters ``DMY`` / ``MDY``. Only the order of
    the day and the month matters: separators, the year and the time of day are read as written.
    """
    raw = str(text or "").strip()
    letters = re.sub(r"[^a-z]", "", raw.lower().split(" ")[0].replace("%", ""))
    if letters in ("dmy", "mdy"):
        return letters.upper()
    day, month = letters.find("d"), letters.find("m")
    if day < 0 or month < 0 or "y" not in letters:
        raise ImportSourceError(
            f"--date-format '{text}': expected a pattern naming day, month and year, such as DD/MM/YYYY (day first)"
            " or MM/DD/YYYY (month first)")
    return "DMY" if day < month else "MDY"


@contextlib.contextmanager
def reading_dates(order: str | None) -> Iterator[None]:
    """Within the block, day-month dates are read in ``order`` (``"DMY"``/``"MDY"``; None: not declared)."""
    token = _DECLARED.set(order)
    try:
        yield
    finally:
        _DECLARED.reset(token)


def declared_date_order() -> str | None:
    """The order ``--date-format`` declared for the running import (None when not given)."""
    return _DECLARED.get()


def numeric_date_fields(value: object) -> tuple[int, int, str] | None:
    """``(first, second, separator)`` of a day-month date (``06/03/2026 ...``), None for any other text."""
    m = _NUMERIC_DATE.match(str(value or "").strip())
    return (int(m.group(1)), int(m.group(3)), m.group(2)) if m else None


def date_order_of(value: object) -> str | None:
    """What one value proves about the order: ``"DMY"`` (a dotted date, or a first field over 12),
    ``"MDY"`` (a second field over 12), or None (not a day-month date, or both fields 12 or less)."""
    fields = numeric_date_fields(value)
    if fields is None:
        return None
    first, second, sep = fields
    if sep == ".":
        return "DMY"  # dotted dates (de-DE, ru-RU, pl-PL...) are always day first
    if first > 12 >= second:
        return "DMY"
    if second > 12 >= first:
        return "MDY"
    return None


def parse_datetime(where: str, field: str, value: object, order: str | None = None) -> str | None:
    """An instant as ISO text: naive times stay as written, zoned ones become UTC with ``Z``.

    Accepts ISO 8601 (any number of fraction digits, ``Z`` or an offset), epoch seconds
    (a number: AWS CLI v1), year-first dates with slashes or dots, and the day-month forms
    Windows tools write under a culture (``3/6/2026 10:00:00 PM``, ``06/03/2026 22:00:00``,
    ``06.03.2026 22:00:00``). A day-month date is read in ``order`` (``"DMY"`` or ``"MDY"``),
    else in the order ``--date-format`` declared, else only when the value itself settles it
    (a dotted date is day first; a field over 12 is the day): a date whose day and month could
    be swapped is never guessed but refused, naming the value and ``--date-format``.
    Fractions of a second are dropped, so keys compare across exports.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise bad(where, field, value, "a date-time")
        try:
            stamp = dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise bad(where, field, value, "a date-time (epoch seconds within years 1-9999)") from None
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return parse_datetime(where, field, float(text))
    expected = "a date-time (ISO 8601, epoch seconds or a day-month date such as 06/03/2026 22:00:00)"
    m = _NUMERIC_DATE.match(text)
    if m:
        first, _sep, second, year, hour, minute, second_s, ampm = m.groups()
        order = order or declared_date_order() or date_order_of(text)
        if order is None and first != second:
            raise ImportSourceError(
                f"{where}: field '{field}': value '{value}' - day and month cannot be told apart (both are 12 or"
                f" less and the source does not say its date format); a date is never guessed: give {DATE_FORMAT_HELP}")
        day, month = (first, second) if order in ("DMY", None) else (second, first)
        return _stamp(where, field, value, int(year), int(month), int(day), hour, minute, second_s, ampm,
                      f"a date-time in the order {'day/month/year' if order != 'MDY' else 'month/day/year'}")
    m = _YEAR_FIRST.match(text)
    if m:
        year, _sep, month, day, hour, minute, second_s = m.groups()
        return _stamp(where, field, value, int(year), int(month), int(day), hour, minute, second_s, None, expected)
    m = _FRACTION.match(text)
    if m:
        base, zone = m.groups()
        try:
            stamp = dt.datetime.fromisoformat(base.replace(" ", "T") + (("+00:00" if zone == "Z" else zone) if zone else ""))
        except ValueError:
            raise bad(where, field, value, "an ISO 8601 date-time") from None
        if stamp.tzinfo is None:
            return stamp.strftime("%Y-%m-%dT%H:%M:%S")
        return stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise bad(where, field, value, expected)


def _stamp(where: str, field: str, value: object, year: int, month: int, day: int, hour: str | None,
           minute: str | None, second: str | None, ampm: str | None, expected: str) -> str:
    hour_n = int(hour or 0)
    if ampm:
        if not 1 <= hour_n <= 12:
            raise bad(where, field, value, expected + " (an AM/PM hour from 1 to 12)")
        hour_n = hour_n % 12 + (12 if ampm.lower().startswith("p") else 0)
    try:
        stamp = dt.datetime(year, month, day, hour_n, int(minute or 0), int(second or 0))
    except ValueError:
        raise bad(where, field, value, expected) from None
    return stamp.strftime("%Y-%m-%dT%H:%M:%S")


def parse_duration_hours(where: str, field: str, value: object) -> float | None:
    """A .NET TimeSpan ``[d.]hh:mm:ss`` as hours (None when empty)."""
    if value is None or not str(value).strip():
        return None
    m = _DURATION.match(str(value).strip())
    if not m:
        raise bad(where, field, value, "a duration like 01:23:45 or 1.02:03:04")
    days, hours, minutes, seconds = (int(x) if x else 0 for x in m.groups())
    return days * 24 + hours + minutes / 60 + seconds / 3600


def add_hours(stamp: str, hours: float) -> str:
    """``stamp`` (as written by :func:`parse_datetime`) plus ``hours``, in the same form."""
    zoned = stamp.endswith("Z")
    base = dt.datetime.fromisoformat(stamp[:-1] if zoned else stamp)
    out = base + dt.timedelta(seconds=round(hours * 3600))
    return out.strftime("%Y-%m-%dT%H:%M:%S") + ("Z" if zoned else "")


_EVERY = re.compile(r"every\s+(\d+(?:\.\d+)?)\s*(minute|min|hour|hr|h|day)s?", re.I)


def schedule_hours_from_text(text: str) -> float | None:
    """Hours between runs from a schedule's wording (``Daily at 22:00``, ``Weekly on Saturday``,
    ``Monthly on 1st``, ``Every 4 hours``); None when the wording says no regular interval."""
    value = (text or "").strip().lower()
    if not value:
        return None
    m = _EVERY.search(value)
    if m:
        n, unit = float(m.group(1)), m.group(2).lower()
        hours = n / 60 if unit.startswith("min") else n * 24 if unit == "day" else n
        return hours if hours > 0 else None
    if value.startswith(("daily", "every day")):
        return 24.0
    if value.startswith("weekly"):
        return 168.0
    if value.startswith("monthly"):
        return 730.5  # a twelfth of a year of 365.25 days
    if value.startswith(("hourly",)):
        return 1.0
    return None


def clean_id(text: str) -> str:
    """An id from a name: trimmed, inner whitespace runs become ``-`` (case kept)."""
    return re.sub(r"\s+", "-", str(text).strip())


def run_interval_hours(stamps: list[str]) -> float | None:
    """The interval a tool's listing keeps at its densest (ISO stamps from :func:`parse_datetime`), None under 3 runs.

    Used to guess ``schedule_hours`` when a tool's history carries no schedule. restic
    and Borg listings are thinned by their prune policy (daily, then weekly, then
    monthly), so the median gap of a pruned listing is the monthly spacing; the
    spacing of its densest stretch is the schedule (``history.dense_interval_hours``,
    the same reading the analysis uses). A missed night or a manual extra run does
    not move it.
    """
    times = [dt.datetime.fromisoformat(s[:-1] if s.endswith("Z") else s) for s in stamps]
    value = dense_interval_hours(times)
    return round(value, 3) if value is not None else None


def hours_between(start: str, end: str) -> float:
    """Hours from ``start`` to ``end`` (stamps as :func:`parse_datetime` writes them)."""
    def instant(stamp: str) -> dt.datetime:
        return dt.datetime.fromisoformat(stamp[:-1] if stamp.endswith("Z") else stamp)
    return (instant(end) - instant(start)).total_seconds() / 3600
