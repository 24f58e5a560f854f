"""Escalation decisions, pure: level 1 when the response is overdue, level 2 when the
resolution is, each one step further along the teams' escalate_to chain, once."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from contactcenter.complaints.config import load_settings
from contactcenter.complaints.escalation import Escalation, escalation_target, escalations
from tests.helpers import T0, complaint

SETTINGS = load_settings(Path(__file__).parents[2] / "flows" / "complaints.yaml")


@pytest.mark.parametrize(("fields", "hours", "expected"), [
    ({}, 1, []),
    ({}, 3, [Escalation(1, 1, "customer-care")]),
    ({"escalation_level": 1}, 3, []),  # done already: running again changes nothing
    ({"first_response_at": T0}, 3, []),  # someone works on it
    ({"first_response_at": T0}, 9, [Escalation(1, 2, "supervisors")]),
    ({}, 9, [Escalation(1, 2, "supervisors")]),  # both passed: straight to level 2
    ({"escalation_level": 2}, 99, []),
    ({"status": "resolved"}, 9, []),
    ({"status": "awaiting_customer", "first_response_at": T0}, 9,
     [Escalation(1, 2, "supervisors")]),  # the clock runs while we wait on the customer
    ({"team": "support"}, 3, [Escalation(1, 1, "customer-care")]),
    ({"team": "customer-care"}, 3, [Escalation(1, 1, "supervisors")]),
    ({"team": "", "category": "", "response_due_at": None, "resolution_due_at": None}, 999,
     []),  # a former case has no due dates
])
def test_escalations_at_a_moment(fields: dict, hours: float,
                                 expected: list[Escalation]) -> None:
    assert escalations([complaint(**fields)], T0 + timedelta(hours=hours), SETTINGS) == expected


def test_many_complaints_each_once_in_order() -> None:
    found = escalations([complaint(1), complaint(2, first_response_at=T0),
                         complaint(3, escalation_level=1)], T0 + timedelta(hours=3), SETTINGS)
    assert [(e.complaint_id, e.level, e.reason) for e in found] == [
        (1, 1, "no response by its due date")]


def test_the_chain_ends_with_the_supervisors() -> None:
    assert [escalation_target(SETTINGS, "billing", level) for level in (0, 1, 2, 3)] == [
        "billing", "customer-care", "supervisors", "supervisors"]
    assert escalation_target(SETTINGS, "gone", 1) == "supervisors"
    cycle = dataclasses.replace(SETTINGS, teams={
        **SETTINGS.teams,
        "customer-care": dataclasses.replace(SETTINGS.teams["customer-care"],
                                             escalate_to="billing")})
    assert escalation_target(cycle, "billing", 2) == "billing"  # ends, even in a cycle
