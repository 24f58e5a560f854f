"""The desk over a real database: settings applied to each action (teams, due dates),
callbacks handed to the ACD as CallbackRequested, escalation written once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contactcenter.complaints.desk import ComplaintDesk
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.errors import ValidationError
from contactcenter.crm.interactions import Interactions
from tests.complaints.conftest import MONDAY
from tests.helpers import Clock

H = timedelta(hours=1)


def refund(desk: ComplaintDesk, customer_id: int, severity: str = "high") -> int:
    new = desk.draft(subject="Refund not received", category="billing",
                     subcategory="refund", severity=severity, customer_id=customer_id)
    return desk.open(new, actor="agent101").id


def test_opening_counts_due_dates_from_now_in_business_time(desk: ComplaintDesk,
                                                           ada: int) -> None:
    opened = desk.complaints.get(refund(desk, ada))
    assert (opened.team, opened.created_at) == ("billing", MONDAY)
    assert (opened.response_due_at, opened.resolution_due_at) == (MONDAY + 2 * H,
                                                                  MONDAY + 6 * H)


def test_assignees_must_be_in_a_team(desk: ComplaintDesk, ada: int) -> None:
    complaint_id = refund(desk, ada)
    with pytest.raises(ValidationError) as refused:
        desk.act(complaint_id, "assign", actor="supervisor", inputs={"assignee": "agent101"})
    assert refused.value.field == "assignee"
    assigned = desk.act(complaint_id, "assign", actor="supervisor",
                        inputs={"assignee": "resolver2"})
    assert (assigned.status, assigned.assignee) == ("assigned", "resolver2")


def test_reopening_sets_a_new_resolution_due_date(desk: ComplaintDesk, clock: Clock,
                                                  ada: int) -> None:
    complaint_id = refund(desk, ada)
    desk.act(complaint_id, "resolve", actor="resolver1", inputs={"solution": "Refunded"})
    clock.now = MONDAY + 24 * H  # Tuesday 09:00 in New York
    reopened = desk.act(complaint_id, "reject", actor="agent101")
    assert (reopened.status, reopened.reopened, reopened.accepted) == ("assigned", 1, False)
    assert reopened.resolution_due_at == clock.now + 6 * H


def test_reclassifying_moves_team_and_due_dates(desk: ComplaintDesk, ada: int) -> None:
    complaint_id = refund(desk, ada)
    moved = desk.act(complaint_id, "classify", actor="resolver1",
                     inputs={"category": "service", "subcategory": "outage",
                             "severity": "low"})
    assert (moved.category, moved.subcategory, moved.severity, moved.team) == (
        "service", "outage", "low", "support")
    assert (moved.response_due_at, moved.resolution_due_at) == (
        MONDAY + 8 * H, MONDAY + 4 * 24 * H)  # 40 h: four 10-hour days
    with pytest.raises(ValidationError, match="subcategory"):
        desk.act(complaint_id, "classify", actor="resolver1", inputs={"category": "staff"})


def test_asking_by_callback_hands_the_acd_a_callback_in_the_teams_queue(
        db: Database, desk: ComplaintDesk, ada: int) -> None:
    complaint_id = refund(desk, ada)
    desk.act(complaint_id, "take", actor="resolver1")
    asked, letter, callback = desk.ask_customer(complaint_id, via="callback",
                                                question="Which bank account?",
                                                actor="resolver1")
    assert (asked.status, letter) == ("awaiting_customer", None)
    assert callback is not None
    assert (callback.queue, callback.number, callback.caller_name, callback.fields) == (
        "billing", "+14155550123", "Ada Lovelace", {"complaint": str(complaint_id)})
    assert callback.at == MONDAY.timestamp()
    assert callback.call_id.startswith(f"complaint-{complaint_id}-")
    assert Interactions(db).get(callback.call_id).complaint_id == complaint_id


def test_asking_by_letter_or_email_fills_the_outbox(desk: ComplaintDesk, ada: int) -> None:
    complaint_id = refund(desk, ada)
    desk.act(complaint_id, "take", actor="resolver1")
    asked, letter, callback = desk.ask_customer(complaint_id, via="letter",
                                                question="Please send the invoice.",
                                                actor="resolver1")
    assert (asked.status, callback) == ("awaiting_customer", None)
    assert letter is not None and (letter.channel, letter.recipient, letter.subject) == (
        "letter", "Ada Lovelace", f"Your complaint #{complaint_id}: Refund not received")
    for via, question, field in (("fax", "x", "via"), ("email", " ", "question")):
        with pytest.raises(ValidationError) as refused:
            desk.ask_customer(complaint_id, via=via, question=question, actor="resolver1")
        assert refused.value.field == field
    assert len(desk.complaints.outbox()) == 1


def test_a_customer_without_a_phone_cannot_be_called_back(db: Database,
                                                          desk: ComplaintDesk) -> None:
    grace = Customers(db).create(name="Grace Hopper").id
    complaint_id = refund(desk, grace)
    desk.act(complaint_id, "take", actor="resolver1")
    with pytest.raises(ValidationError, match="no phone number"):
        desk.ask_customer(complaint_id, via="callback", question="?", actor="resolver1")
    assert desk.complaints.get(complaint_id).status == "in_progress"


def test_escalation_writes_each_level_once(desk: ComplaintDesk, clock: Clock,
                                          ada: int) -> None:
    complaint_id = refund(desk, ada)
    assert desk.escalate_due() == []
    clock.now = MONDAY + 2 * H + timedelta(seconds=1)
    (first,) = desk.escalate_due()
    assert (first.level, first.to) == (1, "customer-care")
    assert desk.escalate_due() == []  # again: nothing new
    clock.now = MONDAY + 7 * H
    (second,) = desk.escalate_due()
    assert (second.level, second.to) == (2, "supervisors")
    escalated = desk.complaints.get(complaint_id)
    assert (escalated.escalation_level, escalated.escalated_to, escalated.escalated_at) == (
        2, "supervisors", clock.now)
    history = desk.complaints.detail(complaint_id).history
    assert [(h.actor, h.detail.get("escalation_level")) for h in history
            if h.action == "escalate"] == [("escalation", 1), ("escalation", 2)]
