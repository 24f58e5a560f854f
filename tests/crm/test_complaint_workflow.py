"""The complaint workflow, pure: every action from every status, legal or refused, and what
each move stamps."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from contactcenter.crm.complaint_workflow import (
    ACTIONS,
    OPEN,
    STATUSES,
    TRANSITIONS,
    move,
    next_status,
    overdue,
)
from contactcenter.crm.errors import RefusedTransition, ValidationError
from contactcenter.crm.records import Complaint
from tests.helpers import complaint

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
NOW = T0 + timedelta(hours=3)
BLANK = complaint(42, created_at=T0, updated_at=T0, response_due_at=T0 + timedelta(hours=2),
                  resolution_due_at=T0 + timedelta(hours=8))
# the one input each action needs to go through, where it needs one
INPUTS = {"assign": {"assignee": "resolver1"}, "escalate": {"escalation_level": 1},
          "solution": {"solution": "Refund of 20 EUR"},
          "resolve": {"solution": "Refund of 20 EUR"}}
EXPECTED = {  # the workflow on one page: status -> action -> next status
    "new": {"assign": "assigned", "take": "in_progress", "resolve": "resolved",
            "classify": "new", "escalate": "new"},
    "assigned": {"assign": "assigned", "take": "in_progress", "start": "in_progress",
                 "solution": "assigned", "resolve": "resolved", "classify": "assigned",
                 "escalate": "assigned"},
    "in_progress": {"assign": "assigned", "take": "in_progress", "ask_customer":
                    "awaiting_customer", "solution": "in_progress", "resolve": "resolved",
                    "classify": "in_progress", "escalate": "in_progress"},
    "awaiting_customer": {"assign": "awaiting_customer", "take": "awaiting_customer",
                          "start": "in_progress", "ask_customer": "awaiting_customer",
                          "solution": "awaiting_customer", "resolve": "resolved",
                          "classify": "awaiting_customer", "escalate": "awaiting_customer"},
    "resolved": {"accept": "resolved", "reject": "assigned", "close": "closed",
                 "reopen": "assigned"},
    "closed": {"reopen": "assigned"},
}


def at(status: str, **fields: object) -> Complaint:
    return dataclasses.replace(BLANK, status=status, **fields)


def test_the_table_is_the_workflow_written_above() -> None:
    table: dict[str, dict[str, str]] = {}
    for (status, action), after in TRANSITIONS.items():
        table.setdefault(status, {})[action] = after
    assert table == EXPECTED
    assert set(STATUSES) == set(EXPECTED) and set(ACTIONS) == {
        a for moves in EXPECTED.values() for a in moves}


@pytest.mark.parametrize(("status", "action"), list(itertools.product(STATUSES, ACTIONS)))
def test_every_action_from_every_status(status: str, action: str) -> None:
    complaint = at(status, accepted=True)  # so that close meets its condition
    expected = EXPECTED[status].get(action)
    if expected is None:
        with pytest.raises(RefusedTransition) as refused:
            move(complaint, action, actor="resolver1", now=NOW, inputs=INPUTS.get(action))
        assert (refused.value.status, refused.value.action) == (status, action)
        assert f"cannot {action} a {status.replace('_', ' ')} complaint" in str(refused.value)
    else:
        changes = move(complaint, action, actor="resolver1", now=NOW,
                       inputs=INPUTS.get(action))
        assert changes["status"] == expected == next_status(status, action)


def test_a_refusal_names_what_is_allowed() -> None:
    with pytest.raises(RefusedTransition, match=r"allowed: reopen\)"):
        next_status("closed", "resolve")


def test_take_assigns_me_and_first_response_is_stamped_once() -> None:
    taken = move(at("new"), "take", actor="resolver1", now=NOW)
    assert taken == {"status": "in_progress", "assignee": "resolver1", "first_response_at": NOW}
    assigned = move(at("new"), "assign", actor="supervisor", now=NOW,
                    inputs={"assignee": "resolver2"})
    assert assigned == {"status": "assigned", "assignee": "resolver2"}  # no response yet
    again = move(at("assigned", first_response_at=T0), "start", actor="resolver2", now=NOW)
    assert again == {"status": "in_progress"}


def test_assign_needs_someone() -> None:
    with pytest.raises(ValidationError) as refused:
        move(at("new"), "assign", actor="supervisor", now=NOW, inputs={"assignee": " "})
    assert refused.value.field == "assignee"


def test_resolve_needs_a_solution_given_now_or_recorded_before() -> None:
    with pytest.raises(RefusedTransition, match="without a solution"):
        move(at("in_progress"), "resolve", actor="resolver1", now=NOW)
    recorded = at("in_progress", solution="Refund of 20 EUR", first_response_at=T0)
    assert move(recorded, "resolve", actor="resolver1", now=NOW) == {
        "status": "resolved", "resolved_at": NOW, "accepted": None, "answered_at": None}
    given = move(at("new"), "resolve", actor="agent101", now=NOW,
                 inputs={"solution": "  Refunded on the call "})
    assert (given["solution"], given["solution_by"], given["solution_at"]) == (
        "Refunded on the call", "agent101", NOW)
    assert given["first_response_at"] == NOW  # solved on the first call


def test_close_only_after_the_customer_accepts() -> None:
    for answer in (None, False):
        with pytest.raises(RefusedTransition, match="before the customer accepts"):
            move(at("resolved", accepted=answer), "close", actor="resolver1", now=NOW)
    accepted = move(at("resolved"), "accept", actor="agent101", now=NOW)
    assert accepted == {"status": "resolved", "accepted": True, "answered_at": NOW}
    assert move(at("resolved", accepted=True), "close", actor="resolver1", now=NOW) == {
        "status": "closed", "closed_at": NOW}


def test_a_refusal_or_a_reopen_counts_and_clears_the_resolution() -> None:
    resolved = at("resolved", resolved_at=T0, reopened=1, escalation_level=2,
                  escalated_to="customer-care", escalated_at=T0, first_response_at=T0)
    due = NOW + timedelta(hours=8)
    rejected = move(resolved, "reject", actor="agent101", now=NOW,
                    inputs={"resolution_due_at": due})
    assert rejected == {"status": "assigned", "accepted": False, "answered_at": NOW,
                        "reopened": 2, "resolved_at": None, "closed_at": None,
                        "escalation_level": 0, "escalated_to": "", "escalated_at": None,
                        "resolution_due_at": due}
    reopened = move(at("closed", accepted=True, closed_at=T0, first_response_at=T0),
                    "reopen", actor="agent101", now=NOW)
    assert (reopened["status"], reopened["accepted"], reopened["closed_at"],
            reopened["reopened"]) == ("assigned", None, None, 1)


def test_escalation_only_goes_up() -> None:
    first = move(at("assigned"), "escalate", actor="escalation", now=NOW,
                 inputs={"escalation_level": 1, "escalated_to": "customer-care"})
    assert first == {"status": "assigned", "escalation_level": 1,
                     "escalated_to": "customer-care", "escalated_at": NOW}
    with pytest.raises(RefusedTransition, match="already escalated to level 1"):
        move(at("assigned", escalation_level=1), "escalate", actor="escalation", now=NOW,
             inputs={"escalation_level": 1})


def test_an_action_takes_only_its_own_inputs() -> None:
    with pytest.raises(ValueError, match="start takes no assignee"):
        move(at("assigned"), "start", actor="resolver1", now=NOW,
             inputs={"assignee": "someone"})


@pytest.mark.parametrize(("fields", "now", "response", "resolution"), [
    ({}, T0 + timedelta(hours=1), False, False),
    ({}, T0 + timedelta(hours=2), False, False),  # due at, not yet past
    ({}, T0 + timedelta(hours=2, seconds=1), True, False),
    ({"first_response_at": T0}, T0 + timedelta(hours=3), False, False),
    ({"first_response_at": T0}, T0 + timedelta(hours=9), False, True),
    ({}, T0 + timedelta(hours=9), True, True),
    ({"status": "resolved"}, T0 + timedelta(hours=9), False, False),
    ({"status": "closed"}, T0 + timedelta(hours=9), False, False),
    ({"response_due_at": None, "resolution_due_at": None}, T0 + timedelta(days=99), False,
     False),  # a former case: no due dates
])
def test_overdue(fields: dict, now: datetime, response: bool, resolution: bool) -> None:
    late = overdue(dataclasses.replace(BLANK, **fields), now)
    assert (late.response, late.resolution, bool(late)) == (response, resolution,
                                                           response or resolution)


def test_open_statuses_are_the_ones_before_resolved() -> None:
    assert OPEN == STATUSES[:STATUSES.index("resolved")]
