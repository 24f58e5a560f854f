"""MIS figures, pure, of six complaints worked out by hand (New York days, ISO weeks)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from contactcenter.complaints.mis import (
    CSV_COLUMNS,
    Duration,
    RepeatCustomer,
    as_csv,
    figures,
    percentile,
)
from contactcenter.crm.records import Complaint
from tests.helpers import complaint

NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)
H = timedelta(hours=1)


def at(day: int, hour: float) -> datetime:
    return datetime(2026, 12, day, tzinfo=UTC) + hour * H


ADA, GRACE, KEN = (7, "Ada Lovelace"), (8, "Grace Hopper"), (9, "Ken Thompson")


def c(id: int, who: tuple[int, str], category: str, severity: str, team: str, status: str,
      received: datetime, **fields: object) -> Complaint:
    return complaint(id, customer_id=who[0], customer_name=who[1], category=category,
                     severity=severity, team=team, status=status, created_at=received,
                     **fields)


def six() -> list[Complaint]:
    return [
        c(1, ADA, "billing", "high", "billing", "closed", at(1, 14),
          first_response_at=at(1, 15), resolved_at=at(1, 19), closed_at=at(1, 20),
          escalation_level=1),
        # reopened, so no longer resolved; working on it again, resolution overdue
        c(2, ADA, "service", "medium", "support", "in_progress", at(2, 15),
          first_response_at=at(2, 18), reopened=1, resolution_due_at=at(9, 0),
          escalation_level=2),
        # nobody answered by its response due date
        c(3, GRACE, "billing", "low", "billing", "new", at(7, 16),
          response_due_at=at(8, 0), resolution_due_at=at(12, 0), escalation_level=1),
        c(4, GRACE, "staff", "high", "customer-care", "awaiting_customer", at(8, 14),
          first_response_at=at(8, 16), resolution_due_at=at(11, 0)),
        c(5, KEN, "billing", "medium", "billing", "resolved", at(9, 14),
          first_response_at=at(9, 15), resolved_at=at(9, 18)),
        # 18:30 in New York is still 9 December there
        c(6, ADA, "service", "critical", "support", "new", at(9, 23.5),
          response_due_at=at(10, 13.5), resolution_due_at=at(11, 0)),
    ]


def test_the_six_complaints_figures() -> None:
    found = figures(six(), NOW, "America/New_York")
    assert (found.received, found.open, found.overdue, found.escalated) == (6, 4, 2, 2)
    assert found.open_by_age == {"under 1 day": 1, "1-3 days": 2, "3-7 days": 0,
                                 "7-30 days": 1, "over 30 days": 0}
    assert found.open_by_category == {"service": 2, "billing": 1, "staff": 1}
    assert found.open_by_severity == {"critical": 1, "high": 1, "low": 1, "medium": 1}
    assert found.open_by_team == {"support": 2, "billing": 1, "customer-care": 1}
    assert found.received_per_day == {
        "2026-12-01": 1, "2026-12-02": 1, "2026-12-03": 0, "2026-12-04": 0,
        "2026-12-05": 0, "2026-12-06": 0, "2026-12-07": 1, "2026-12-08": 1, "2026-12-09": 2}
    assert {day: n for day, n in found.resolved_per_day.items() if n} == {
        "2026-12-01": 1, "2026-12-09": 1}
    assert found.received_per_week == {"2026-W49": 2, "2026-W50": 4}
    assert found.resolved_per_week == {"2026-W49": 1, "2026-W50": 1}
    assert found.first_response == Duration(4, 1.75, 3.0)  # 1, 3, 2 and 1 hours
    assert found.resolution == Duration(2, 4.5, 5.0)  # 5 and 4 hours
    assert found.reopen_rate_pct == 33.3  # 1 of the 3 ever resolved
    assert found.top_categories == [("billing", 3), ("service", 2), ("staff", 1)]
    assert found.repeat_customers == [RepeatCustomer(7, "Ada Lovelace", 3),
                                      RepeatCustomer(8, "Grace Hopper", 2)]


def test_no_complaints_no_figures() -> None:
    found = figures([], NOW, "UTC")
    assert (found.received, found.open, found.received_per_day, found.top_categories) == (
        0, 0, {}, [])
    assert found.first_response == Duration(0, None, None) and found.reopen_rate_pct is None
    assert set(found.open_by_age.values()) == {0}


def test_complaints_without_classification_are_grouped_as_none() -> None:
    found = figures([complaint(1, category="", severity="", team="")], NOW, "UTC")
    assert found.open_by_category == found.open_by_severity == found.open_by_team == {
        "(none)": 1}


@pytest.mark.parametrize(("values", "p90"), [
    ([5.0], 5.0), ([1.0, 2.0], 2.0), (list(map(float, range(1, 11))), 9.0),
    (list(map(float, range(1, 12))), 10.0), ([3.0, 1.0, 2.0], 3.0)])
def test_p90_is_the_nearest_rank(values: list[float], p90: float) -> None:
    assert percentile(values, 0.9) == p90


def test_csv_has_a_row_per_complaint_with_its_times() -> None:
    rows = list(csv.reader(io.StringIO(as_csv(six(), NOW))))
    assert rows[0] == list(CSV_COLUMNS)
    by_id = {row[0]: dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert list(by_id) == ["1", "2", "3", "4", "5", "6"]
    assert (by_id["1"]["hours_to_first_response"], by_id["1"]["hours_to_resolution"]) == (
        "1.0", "5.0")
    assert (by_id["3"]["overdue"], by_id["3"]["hours_to_first_response"]) == ("yes", "")
    assert by_id["5"]["received_at"] == "2026-12-09T14:00:00+00:00"
    assert by_id["2"]["customer"] == "Ada Lovelace" and by_id["2"]["reopened"] == "1"
