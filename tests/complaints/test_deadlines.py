"""Due dates counted in business time from receipt, across nights, weekends and holidays,
with the category's own targets; a new complaint checked against the settings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contactcenter.complaints.config import load_settings
from contactcenter.complaints.deadlines import (
    classified,
    deadlines,
    new_complaint,
    resolution_due,
)
from contactcenter.crm.errors import ValidationError

# the shipped settings: New York, Mon-Fri 08-18, Sat 09-13, 25 Dec and 1 Jan closed;
# high: response 2h, resolution 8h (billing: 6h); low: 8h and 40h; critical: 30m and 4h
SETTINGS = load_settings(Path(__file__).parents[2] / "flows" / "complaints.yaml")
NY = ZoneInfo("America/New_York")


def ny(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NY)


@pytest.mark.parametrize(("received", "category", "severity", "response", "resolution"), [
    # Tuesday morning: both within the week
    ("2026-12-01T09:00", "service", "high", "2026-12-01T11:00", "2026-12-01T17:00"),
    # billing's own high target: 6 h, not 8
    ("2026-12-01T09:00", "billing", "high", "2026-12-01T11:00", "2026-12-01T15:00"),
    # Friday 17:00: 1 h Friday, Saturday 9-13 counts, Sunday does not
    ("2026-12-04T17:00", "service", "high", "2026-12-05T10:00", "2026-12-07T11:00"),
    # Saturday afternoon, closed: counts from Monday 08:00
    ("2026-12-05T15:00", "service", "critical", "2026-12-07T08:30", "2026-12-07T12:00"),
    # Christmas Eve (Thursday) 16:00: Friday is a holiday, then Saturday, then Monday
    ("2026-12-24T16:00", "service", "high", "2026-12-24T18:00", "2026-12-28T10:00"),
    # low over New Year: 40 h from Wednesday 30 Dec 12:00 skips 1 Jan and Sunday
    ("2026-12-30T12:00", "staff", "low", "2026-12-31T10:00", "2027-01-05T18:00"),
])
def test_due_dates_skip_nights_weekends_and_holidays(received: str, category: str,
                                                      severity: str, response: str,
                                                      resolution: str) -> None:
    due = deadlines(SETTINGS, category, severity, ny(received))
    assert (due.response_due_at, due.resolution_due_at) == (ny(response).astimezone(UTC),
                                                            ny(resolution).astimezone(UTC))


def test_a_reopened_complaint_gets_a_new_resolution_due_date() -> None:
    assert resolution_due(SETTINGS, "service", "high", ny("2026-12-04T17:00")) == ny(
        "2026-12-07T11:00").astimezone(UTC)
    assert resolution_due(SETTINGS, "", "", ny("2026-12-04T17:00")) is None  # a former case


def test_a_new_complaint_gets_its_team_and_due_dates() -> None:
    new = new_complaint(SETTINGS, subject="Refund not received", category="billing",
                        subcategory="refund", severity="high", received_at=ny(
                            "2026-12-01T09:00"), channel="letter", customer_id=7)
    assert (new.team, new.channel, new.customer_id, new.subcategory) == (
        "billing", "letter", 7, "refund")
    assert new.resolution_due_at == ny("2026-12-01T15:00").astimezone(UTC)


@pytest.mark.parametrize(("values", "field"), [
    (("shipping", "late", "high"), "category"),
    (("billing", "late", "high"), "subcategory"),
    (("billing", "", "high"), "subcategory"),  # billing has subcategories: pick one
    (("other", "refund", "high"), "subcategory"),  # other has none
    (("billing", "refund", "urgent"), "severity"),
])
def test_unknown_classification_is_refused_with_its_field(values: tuple[str, str, str],
                                                          field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        classified(SETTINGS, *values)
    assert refused.value.field == field
    assert classified(SETTINGS, "other", "", "low") == ("other", "", "low")
    with pytest.raises(ValidationError, match="channel"):
        new_complaint(SETTINGS, subject="x", category="other", subcategory="",
                      severity="low", received_at=ny("2026-12-01T09:00"), channel="fax")
