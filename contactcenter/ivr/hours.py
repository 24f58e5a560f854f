"""Opening hours and holidays as the IVR's hours step writes them, and business time on them.

    timezone: America/New_York
    open: {mon-fri: "08:00-18:00", sat: "09:00-13:00"}
    holidays: [2026-12-25, 2027-01-01]

The hours step asks `is_open`; complaint deadlines ask `add` (when do N open seconds after
a moment run out). One reading of the same YAML, so a holiday an admin adds to the IVR also
moves the deadlines that refer to it. Pure: values in, values out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ruamel.yaml.comments import CommentedMap

from contactcenter.ivr.yamlsource import Errors

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])")
SEARCH_DAYS = 3700  # about ten years of calendar: a week with no open minute ends the search
Span = tuple[int, int]  # minutes after local midnight: [start, end)


def day_range(days: str) -> list[int]:
    """'mon-fri' -> [0..4], 'sat' -> [5]; [] when unreadable."""
    first, _, last = str(days).partition("-")
    if first not in DAYS or (last and last not in DAYS):
        return []
    low, high = DAYS.index(first), DAYS.index(last or first)
    return list(range(low, high + 1)) if low <= high else []


def check_hours(params: CommentedMap, errors: Errors, where: str) -> None:
    """Add a `file:line:column` error for each unreadable timezone, span or holiday."""
    try:
        ZoneInfo(str(params.get("timezone")))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
        errors.add(params, f"{where}: unknown timezone {params.get('timezone')!r}",
                   "timezone" if "timezone" in params else None)
    opening = params.get("open")
    if not isinstance(opening, CommentedMap) or not opening:
        errors.add(params, f"{where} needs 'open': days (mon-fri) to hours (09:00-17:00)",
                   "open" if "open" in params else None)
    else:
        for days, span in opening.items():
            if not day_range(days) or not HOURS.fullmatch(str(span)):
                errors.add(opening, f"{where}: cannot read {days}: {span} "
                           "(write: mon-fri: 09:00-17:00)", days)
    holidays = params.get("holidays") or []
    if not isinstance(holidays, list):
        errors.add(params, f"{where}: holidays is a list of dates (YYYY-MM-DD)", "holidays")
        holidays = []
    for i, day in enumerate(holidays):
        if not isinstance(day, date):
            errors.add(params["holidays"], f"{where}: holiday {day!r} is not a date "
                       "(YYYY-MM-DD)", i)


@dataclass(frozen=True)
class OpeningHours:
    """Open spans per weekday (Monday first) in local time, and the closed dates."""

    timezone: str
    week: tuple[tuple[Span, ...], ...]  # seven entries, each sorted and merged
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_step(cls, params: Mapping[str, Any]) -> OpeningHours:
        """From a checked hours mapping (check_hours found nothing wrong)."""
        week: list[list[Span]] = [[] for _ in DAYS]
        for days, text in params["open"].items():
            h1, m1, h2, m2 = (int(x) for x in HOURS.fullmatch(str(text)).groups())  # type: ignore[union-attr]
            for weekday in day_range(days):
                week[weekday].append((h1 * 60 + m1, min(h2 * 60 + m2, 24 * 60)))
        holidays = frozenset(date.fromisoformat(str(day)) for day in params.get("holidays") or ())
        return cls(str(params["timezone"]), tuple(_merged(spans) for spans in week), holidays)

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
        minute = local.hour * 60 + local.minute
        return local.date() not in self.holidays and any(
            start <= minute < end for start, end in self.week[local.weekday()])

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment (UTC) when `seconds` of open time after `start` have passed; time
        while closed (nights, closed days, holidays) does not count."""
        if seconds <= 0:
            return start.astimezone(UTC)
        zone, left = ZoneInfo(self.timezone), seconds
        cursor = start.astimezone(UTC)
        first = start.astimezone(zone).date()
        for offset in range(SEARCH_DAYS):
            day = first + timedelta(days=offset)
            if day in self.holidays:
                continue
            for begin, end in self.week[day.weekday()]:
                opens = max(_moment(day, begin, zone), cursor)
                available = (_moment(day, end, zone) - opens).total_seconds()
                if available <= 0:
                    continue
                if left <= available:
                    return opens + timedelta(seconds=left)
                left -= available
        raise ValueError(f"no open time within {SEARCH_DAYS} days of {start.isoformat()}")


def _moment(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """Local wall time `minute` after midnight of `day` (24:00 is the next midnight), UTC."""
    local = datetime.combine(day, time()) + timedelta(minutes=minute)
    return local.replace(tzinfo=zone).astimezone(UTC)


def _merged(spans: list[Span]) -> tuple[Span, ...]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)
