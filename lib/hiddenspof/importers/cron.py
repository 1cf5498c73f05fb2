"""Cron expressions and Go durations as hours: Velero's schedule and ttl fields."""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["cron_hours", "duration_hours"]

_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
_UNITS = {"h": 1.0, "m": 1 / 60, "s": 1 / 3600, "ms": 1 / 3_600_000}


def duration_hours(text: str) -> float:
    """A Go duration (``720h0m0s``, ``36h``, ``90m``) in hours; ValueError if malformed.

    >>> duration_hours("720h0m0s")
    720.0
    """
    value = str(text).strip()
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", value)
    if not value or "".join(n + u for n, u in parts) != value:
        raise ValueError(f"'{text}' is not a duration like 720h0m0s")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def _field(text: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
            if step < 1:
                raise ValueError("step must be at least 1")
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = int(names.get(a, a)), int(names.get(b, b))
        else:
            start = int(names.get(part, part))
            end = high if step > 1 else start
        if names is _DAYS and end == 7:
            end = 6
            values.add(0)
        if not (low <= start <= high and low <= end <= high + (1 if names is _DAYS else 0)) or start > end:
            raise ValueError(f"'{text}' is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def cron_hours(expr: str) -> float:
    """Mean hours between runs of a cron expression (5 fields, descriptors, ``@every``).

    Counted over the fixed 28-year calendar cycle 2001-2028 (weekdays and leap years
    repeat), so the answer never depends on the clock and a weekly run is exactly 168 h; day-of-month and day-of-week combine as in cron (either matches when both
    are restricted). Raises ValueError for a malformed expression.

    >>> cron_hours("0 1 * * *")
    24.0
    >>> cron_hours("0 */6 * * *")
    6.0
    """
    text = str(expr).strip()
    if text.lower().startswith("@every"):
        hours = duration_hours(text[6:].strip())
        if hours <= 0:
            raise ValueError("@every needs a positive duration")
        return hours
    text = _DESCRIPTORS.get(text.lower(), text)
    fields = text.split()
    if len(fields) == 6:  # a leading seconds field (robfig/cron with seconds)
        fields = fields[1:]
    if len(fields) != 5:
        raise ValueError(f"'{expr}' has {len(fields)} fields, expected 5 (minute hour day month weekday)")
    try:
        minutes = _field(fields[0], 0, 59, {})
        hours = _field(fields[1], 0, 23, {})
        doms = _field(fields[2], 1, 31, {})
        months = _field(fields[3], 1, 12, _MONTHS)
        dows = _field(fields[4], 0, 6, _DAYS)
    except (ValueError, KeyError) as exc:
        raise ValueError(f"'{expr}' is not a cron expression ({exc})") from None
    dom_any = fields[2] in ("*", "?")
    dow_any = fields[4] in ("*", "?")
    day, end = dt.date(2001, 1, 1), dt.date(2029, 1, 1)
    days = 0
    while day < end:
        if day.month in months:
            dom_ok = day.day in doms
            dow_ok = (day.isoweekday() % 7) in dows
            if (dom_ok and dow_ok) if (dom_any or dow_any) else (dom_ok or dow_ok):
                days += 1
        day += dt.timedelta(days=1)
    runs = days * len(hours) * len(minutes)
    if runs == 0:
        raise ValueError(f"'{expr}' never runs")
    return (end - dt.date(2001, 1, 1)).days * 24.0 / runs
