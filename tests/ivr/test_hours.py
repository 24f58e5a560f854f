"""Opening hours as the hours step writes them: open or not, and business time added on
them across nights, weekends, holidays and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from contactcenter.ivr.hours import OpeningHours, check_hours, day_range
from contactcenter.ivr.yamlsource import Errors, load_yaml

NY = ZoneInfo("America/New_York")
# the shipped after_hours flow's hours: weekdays 8-18, Saturday 9-13, two holidays
HOURS = OpeningHours.from_step({
    "timezone": "America/New_York",
    "open": {"mon-fri": "08:00-18:00", "sat": "09:00-13:00"},
    "holidays": [date(2026, 12, 25), "2027-01-01"],
})


def ny(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NY)


def test_day_ranges() -> None:
    assert (day_range("mon-fri"), day_range("sat"), day_range("sun")) == (
        [0, 1, 2, 3, 4], [5], [6])
    assert day_range("fri-mon") == day_range("funday") == day_range("mon-xyz") == []


@pytest.mark.parametrize(("moment", "is_open"), [
    ("2026-12-23T07:59", False), ("2026-12-23T08:00", True), ("2026-12-23T17:59", True),
    ("2026-12-23T18:00", False), ("2026-12-26T12:59", True), ("2026-12-26T13:00", False),
    ("2026-12-27T10:00", False),  # Sunday
    ("2026-12-25T10:00", False), ("2027-01-01T10:00", False),  # holidays, a string one too
])
def test_is_open_in_local_time(moment: str, is_open: bool) -> None:
    assert HOURS.is_open(ny(moment)) is is_open
    assert HOURS.is_open(ny(moment).astimezone(UTC)) is is_open  # any zone given


@pytest.mark.parametrize(("start", "hours", "due"), [
    ("2026-12-22T09:00", 4, "2026-12-22T13:00"),  # within one day
    ("2026-12-22T16:00", 4, "2026-12-23T10:00"),  # over a night
    ("2026-12-22T19:30", 1, "2026-12-23T09:00"),  # opened while closed: counts from 8:00
    ("2026-12-22T18:00", 10, "2026-12-23T18:00"),  # a whole day ends at closing, not after
    ("2026-12-24T17:00", 4, "2026-12-26T12:00"),  # Christmas (Friday) skipped, Saturday half
    ("2026-12-26T12:00", 2, "2026-12-28T09:00"),  # Saturday 1 h, Sunday closed, Monday
    ("2026-12-31T15:00", 8, "2027-01-04T09:00"),  # New Year's Day, then 4 h Saturday
    ("2026-12-27T03:00", 0.5, "2026-12-28T08:30"),  # Sunday night to Monday morning
])
def test_business_time_skips_nights_weekends_and_holidays(start: str, hours: float,
                                                          due: str) -> None:
    assert HOURS.add(ny(start), hours * 3600) == ny(due).astimezone(UTC)


def test_business_time_across_daylight_saving_counts_real_hours() -> None:
    always = OpeningHours.from_step({"timezone": "America/New_York",
                                     "open": {"mon-sun": "00:00-24:00"}})
    # the night of 8 March 2026 has 23 hours in New York: 24 open hours end at 1 am local
    assert always.add(ny("2026-03-08T00:00"), 24 * 3600) == ny("2026-03-09T01:00")
    # the open hours stay local: Saturday 10 am is 15:00 UTC before the change, 14:00 after
    assert HOURS.add(ny("2026-03-06T17:00"), 7200) == datetime(2026, 3, 7, 15, tzinfo=UTC)
    assert HOURS.add(ny("2026-03-13T17:00"), 7200) == datetime(2026, 3, 14, 14, tzinfo=UTC)


def test_spans_of_one_day_merge_and_zero_is_the_start() -> None:
    split = OpeningHours.from_step({"timezone": "UTC", "open": {
        "mon-fri": "09:00-12:00", "mon": "11:00-14:00", "tue": "13:00-17:00"}})
    assert split.week[0] == ((540, 840),) and split.week[1] == ((540, 720), (780, 1020))
    start = datetime(2026, 12, 22, 11, 0, tzinfo=UTC)  # a Tuesday
    assert split.add(start, 2 * 3600) == start + timedelta(hours=3)  # lunch does not count
    assert split.add(start, 0) == start


def test_a_week_without_open_time_is_an_error_not_a_hang() -> None:
    closed = OpeningHours("UTC", ((),) * 7)
    with pytest.raises(ValueError, match="no open time"):
        closed.add(datetime(2026, 1, 1, tzinfo=UTC), 60)


def test_check_hours_points_at_each_mistake() -> None:
    errors = Errors("complaints.yaml")
    doc = load_yaml("hours:\n  timezone: Mars/Olympus\n  open:\n    mon-fri: 9-5\n"
                    "  holidays: [2026-12-25, soon]\n", errors)
    check_hours(doc["hours"], errors, "hours")
    assert [str(e) for e in errors.found] == [
        "complaints.yaml:2:3: hours: unknown timezone 'Mars/Olympus'",
        "complaints.yaml:4:5: hours: cannot read mon-fri: 9-5 (write: mon-fri: 09:00-17:00)",
        "complaints.yaml:5:26: hours: holiday 'soon' is not a date (YYYY-MM-DD)",
    ]
