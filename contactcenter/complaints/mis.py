"""The MIS figures of a set of complaints at a moment, pure: what is open and for how long
(by age, category, severity, team), overdue and escalated, received and resolved per day
and per ISO week, time to first response and to resolution (mean and 90th percentile),
reopen rate, top categories and customers who complained more than once. Also the set as
CSV, one row per complaint, for a spreadsheet.

Definitions: days and weeks are the business hours' local ones; times are elapsed hours
(wall clock) from receipt; the 90th percentile is the nearest rank (the smallest value
with at least 90 % of the values at or below it); the reopen rate is the share of the
complaints ever resolved that were reopened at least once.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from contactcenter.crm.complaint_workflow import OPEN, overdue
from contactcenter.crm.records import Complaint

AGES = ((1, "under 1 day"), (3, "1-3 days"), (7, "3-7 days"), (30, "7-30 days"),
        (None, "over 30 days"))  # (open for less than this many days, label)
NONE = "(none)"  # the group of complaints without a category, severity or team
TOP = 5
CSV_COLUMNS = ("id", "received_at", "customer_id", "customer", "subject", "category",
               "subcategory", "severity", "channel", "team", "assignee", "status",
               "response_due_at", "resolution_due_at", "first_response_at", "resolved_at",
               "closed_at", "overdue", "escalation_level", "escalated_to", "reopened",
               "hours_to_first_response", "hours_to_resolution")


@dataclass(frozen=True)
class Duration:
    """Hours over `count` complaints; None when there are none."""

    count: int
    mean_h: float | None
    p90_h: float | None


@dataclass(frozen=True)
class RepeatCustomer:
    customer_id: int
    name: str
    complaints: int


@dataclass(frozen=True)
class Figures:
    at: datetime
    received: int
    open: int
    open_by_age: dict[str, int]  # every age band, in order, zeros included
    open_by_category: dict[str, int]  # most first
    open_by_severity: dict[str, int]
    open_by_team: dict[str, int]
    overdue: int  # open with a due date passed
    escalated: int  # open and escalated
    received_per_day: dict[str, int]  # ISO date -> count, every day of the span
    resolved_per_day: dict[str, int]
    received_per_week: dict[str, int]  # ISO week ("2026-W49") -> count
    resolved_per_week: dict[str, int]
    first_response: Duration
    resolution: Duration
    reopen_rate_pct: float | None  # None when none was ever resolved
    top_categories: list[tuple[str, int]]
    repeat_customers: list[RepeatCustomer]


def figures(complaints: Sequence[Complaint], now: datetime, timezone: str) -> Figures:
    zone = ZoneInfo(timezone)
    still_open = [c for c in complaints if c.status in OPEN]
    received = Counter(_day(c.created_at, zone) for c in complaints)
    resolved = Counter(_day(c.resolved_at, zone) for c in complaints if c.resolved_at)
    days = _span(received | resolved)
    ever_resolved = [c for c in complaints if c.resolved_at or c.reopened or c.closed_at]
    by_customer = Counter(c.customer_id for c in complaints)
    names = {c.customer_id: c.customer_name for c in complaints}
    return Figures(
        at=now,
        received=len(complaints),
        open=len(still_open),
        open_by_age=_ages(still_open, now),
        open_by_category=_count(c.category for c in still_open),
        open_by_severity=_count(c.severity for c in still_open),
        open_by_team=_count(c.team for c in still_open),
        overdue=sum(1 for c in still_open if overdue(c, now)),
        escalated=sum(1 for c in still_open if c.escalation_level),
        received_per_day={str(day): received[day] for day in days},
        resolved_per_day={str(day): resolved[day] for day in days},
        received_per_week=_weeks(days, received),
        resolved_per_week=_weeks(days, resolved),
        first_response=_duration([_hours(c.created_at, c.first_response_at)
                                  for c in complaints if c.first_response_at]),
        resolution=_duration([_hours(c.created_at, c.resolved_at)
                              for c in complaints if c.resolved_at]),
        reopen_rate_pct=round(100 * sum(1 for c in ever_resolved if c.reopened)
                              / len(ever_resolved), 1) if ever_resolved else None,
        top_categories=list(_count(c.category for c in complaints).items())[:TOP],
        repeat_customers=sorted(
            (RepeatCustomer(customer, names[customer], count)
             for customer, count in by_customer.items() if count > 1),
            key=lambda r: (-r.complaints, r.name, r.customer_id))[:10],
    )


def period(first: date | None, last: date | None,
           timezone: str) -> tuple[datetime | None, datetime | None]:
    """Local days first..last (inclusive, either open) as [start, end) moments."""
    zone = ZoneInfo(timezone)
    start = None if first is None else datetime.combine(first, time(), zone)
    end = None if last is None else datetime.combine(last + timedelta(days=1), time(), zone)
    return start, end


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def as_csv(complaints: Sequence[Complaint], now: datetime) -> str:
    """One row per complaint (CSV_COLUMNS), times in ISO 8601 UTC."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in complaints:
        first = c.first_response_at and round(_hours(c.created_at, c.first_response_at), 2)
        solved = c.resolved_at and round(_hours(c.created_at, c.resolved_at), 2)
        writer.writerow([
            c.id, _iso(c.created_at), c.customer_id, c.customer_name, c.subject, c.category,
            c.subcategory, c.severity, c.channel, c.team, c.assignee or "", c.status,
            _iso(c.response_due_at), _iso(c.resolution_due_at), _iso(c.first_response_at),
            _iso(c.resolved_at), _iso(c.closed_at), "yes" if overdue(c, now) else "no",
            c.escalation_level, c.escalated_to, c.reopened,
            "" if first is None else first, "" if solved is None else solved])
    return out.getvalue()


def _day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _span(days: Counter[date]) -> list[date]:
    if not days:
        return []
    first, last = min(days), max(days)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _weeks(days: list[date], counts: Counter[date]) -> dict[str, int]:
    weeks: dict[str, int] = {}
    for day in days:
        year, week, _ = day.isocalendar()
        key = f"{year}-W{week:02d}"
        weeks[key] = weeks.get(key, 0) + counts[day]
    return weeks


def _ages(complaints: list[Complaint], now: datetime) -> dict[str, int]:
    bands = {label: 0 for _, label in AGES}
    for complaint in complaints:
        days = (now - complaint.created_at).total_seconds() / 86400
        label = next(label for limit, label in AGES if limit is None or days < limit)
        bands[label] += 1
    return bands


def _count(values: Iterable[str]) -> dict[str, int]:
    """Most first, then by name; empty values as NONE."""
    counted = Counter(value or NONE for value in values)
    return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def _duration(hours: list[float]) -> Duration:
    if not hours:
        return Duration(0, None, None)
    return Duration(len(hours), round(sum(hours) / len(hours), 2),
                    round(percentile(hours, 0.9), 2))


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat()
