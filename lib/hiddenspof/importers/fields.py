"""Values of backup-tool exports (numbers, booleans, times, durations) read with errors that name the record.

Every reader takes ``where`` (``file: row 3``, ``file: BackupJobs[2]``) and the field name,
so a bad value is reported as ``file: row 3: column 'BackupSizeGB': value 'abc' - expected
a number``: never a traceback, never a guess.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from .sources import ImportSourceError

__all__ = [
    "bad",
    "add_hours",
    "clean_id",
    "hours_between",
    "median_gap_hours",
    "parse_bool",
    "parse_datetime",
    "parse_duration_hours",
    "parse_float",
    "schedule_hours_from_text",
]

_US_TIME = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$"
)
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


def parse_datetime(where: str, field: str, value: object) -> str | None:
    """An instant as ISO text: naive times stay as written, zoned ones become UTC with ``Z``.

    Accepts ISO 8601 (any number of fraction digits, ``Z`` or an offset), epoch seconds
    (a number: AWS CLI v1) and the US form ``3/1/2024 10:00:00 PM`` that Windows tools
    write. Fractions of a second are dropped, so keys compare across exports.
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
    m = _US_TIME.match(text)
    if m:
        month, day, year, hour, minute, second, ampm = m.groups()
        hour_n = int(hour)
        if ampm:
            if not 1 <= hour_n <= 12:
                raise bad(where, field, value, "a date-time (ISO 8601, epoch seconds or M/D/YYYY h:mm:ss AM)")
            hour_n = hour_n % 12 + (12 if ampm.lower() == "pm" else 0)
        try:
            stamp = dt.datetime(int(year), int(month), int(day), hour_n, int(minute), int(second or 0))
        except ValueError:
            raise bad(where, field, value, "a date-time (ISO 8601, epoch seconds or M/D/YYYY h:mm:ss AM)") from None
        return stamp.strftime("%Y-%m-%dT%H:%M:%S")
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
    raise bad(where, field, value, "a date-time (ISO 8601, epoch seconds or M/D/YYYY h:mm:ss AM)")


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


def median_gap_hours(stamps: list[str]) -> float | None:
    """The median time between consecutive runs (ISO stamps from :func:`parse_datetime`), None under 3 runs.

    Used to guess ``schedule_hours`` when a tool's history carries no schedule: the
    median ignores a missed night or a manual extra run.
    """
    times = sorted({dt.datetime.fromisoformat(s[:-1] if s.endswith("Z") else s) for s in stamps})
    if len(times) < 3:
        return None
    gaps = sorted((b - a).total_seconds() / 3600 for a, b in zip(times, times[1:]))
    mid = len(gaps) // 2
    value = gaps[mid] if len(gaps) % 2 else (gaps[mid - 1] + gaps[mid]) / 2
    return round(value, 3) if value > 0 else None


def hours_between(start: str, end: str) -> float:
    """Hours from ``start`` to ``end`` (stamps as :func:`parse_datetime` writes them)."""
    def instant(stamp: str) -> dt.datetime:
        return dt.datetime.fromisoformat(stamp[:-1] if stamp.endswith("Z") else stamp)
    return (instant(end) - instant(start)).total_seconds() / 3600
