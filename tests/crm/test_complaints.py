"""Complaints in the database, on SQLite and PostgreSQL: each move written with its audit
entry, a refused one writing nothing; the thread, the outbox, callback tasks and lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contactcenter.crm.complaints import ComplaintFilter, Complaints, NewComplaint
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.errors import NotFound, RefusedTransition, ValidationError
from contactcenter.crm.interactions import Interactions
from tests.helpers import Clock

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def complaints(db: Database, clock: Clock) -> Complaints:
    return Complaints(db, clock=clock)


@pytest.fixture
def ada(db: Database) -> int:
    return Customers(db).create(name="Ada Lovelace", email="ada@example.org",
                                phones=["+14155550123"]).id


def refund(customer_id: int, **fields: object) -> NewComplaint:
    values: dict = {"subject": "Refund not received", "customer_id": customer_id,
                    "category": "billing", "subcategory": "refund", "severity": "high",
                    "team": "billing", "response_due_at": T0 + timedelta(hours=2),
                    "resolution_due_at": T0 + timedelta(hours=8), **fields}
    return NewComplaint(**values)


def test_a_complaint_through_its_workflow_keeps_who_did_what_when(
        complaints: Complaints, clock: Clock, ada: int) -> None:
    opened = complaints.open(refund(ada), actor="agent101")
    assert (opened.status, opened.created_by, opened.created_at) == ("new", "agent101", T0)
    steps = [("resolver1", "take", {}),
             ("resolver1", "solution", {"solution": "Refund of 20 EUR sent"}),
             ("resolver1", "resolve", {}),
             ("agent102", "accept", {}),
             ("resolver1", "close", {})]
    for minutes, (actor, action, inputs) in enumerate(steps, start=1):
        clock.now = T0 + timedelta(minutes=minutes)
        done = complaints.act(opened.id, action, actor=actor, inputs=inputs)
    assert (done.status, done.assignee, done.solution, done.solution_by, done.accepted) == (
        "closed", "resolver1", "Refund of 20 EUR sent", "resolver1", True)
    assert (done.first_response_at, done.resolved_at, done.closed_at) == (
        T0 + timedelta(minutes=1), T0 + timedelta(minutes=3), T0 + timedelta(minutes=5))
    history = complaints.detail(opened.id).history
    assert [(h.actor, h.action, h.at) for h in history] == [
        ("agent101", "open", T0),
        *[(actor, action, T0 + timedelta(minutes=i))
          for i, (actor, action, _) in enumerate(steps, start=1)]]
    assert history[1].detail == {"from": "new", "status": "in_progress",
                                 "assignee": "resolver1",
                                 "first_response_at": "2026-12-01T09:01:00+00:00"}


def test_a_refused_move_writes_nothing(complaints: Complaints, ada: int) -> None:
    opened = complaints.open(refund(ada), actor="agent101")
    for action, inputs in (("close", {}), ("resolve", {}), ("start", {})):
        with pytest.raises(RefusedTransition):
            complaints.act(opened.id, action, actor="resolver1", inputs=inputs)
    assert complaints.get(opened.id) == opened
    assert [h.action for h in complaints.detail(opened.id).history] == ["open"]
    with pytest.raises(NotFound):
        complaints.act(424242, "take", actor="resolver1")


def test_bad_input_is_refused_with_its_field(complaints: Complaints, ada: int) -> None:
    for new, field in ((refund(ada, subject=""), "subject"),
                       (refund(ada, subject="two\nlines"), "subject"),
                       (refund(424242), "customer_id"), (refund(None), "customer_id"),
                       (refund(ada, channel="fax"), "channel")):
        with pytest.raises(ValidationError) as refused:
            complaints.open(new, actor="agent101")
        assert refused.value.field == field
    assert complaints.for_customer(ada) == []


def test_notes_are_a_thread_and_a_note_from_a_call_links_the_call(
        db: Database, complaints: Complaints, clock: Clock, ada: int) -> None:
    opened = complaints.open(refund(ada), actor="agent101")
    Interactions(db).track("c7", {"queue": "billing", "state": "ended"})
    complaints.add_note(opened.id, "Customer called again, upset.", actor="agent102",
                        call_id="c7")
    clock.now = T0 + timedelta(hours=1)
    complaints.add_note(opened.id, "Asked finance.", actor="resolver1")
    detail = complaints.detail(opened.id)
    assert [(n.author, n.body, n.call_id, n.at) for n in detail.notes] == [
        ("agent102", "Customer called again, upset.", "c7", T0),
        ("resolver1", "Asked finance.", None, T0 + timedelta(hours=1))]
    assert [i.call_id for i in detail.interactions] == ["c7"]
    assert Interactions(db).get("c7").customer_id == ada
    with pytest.raises(ValidationError):
        complaints.add_note(opened.id, "  ", actor="agent102")
    with pytest.raises(ValidationError, match="call_id"):
        complaints.add_note(opened.id, "From a call nobody knows", actor="agent102",
                            call_id="ghost")
    assert len(complaints.detail(opened.id).notes) == 2


def test_asking_the_customer_by_callback_or_outbox(db: Database, complaints: Complaints,
                                                   ada: int) -> None:
    opened = complaints.open(refund(ada), actor="agent101")
    complaints.act(opened.id, "take", actor="resolver1")
    asked = complaints.ask_by_callback(opened.id, call_id="complaint-1-1",
                                       number="+14155550123", question="Which account?",
                                       actor="resolver1")
    assert asked.status == "awaiting_customer"
    call = Interactions(db).get("complaint-1-1")
    assert (call.complaint_id, call.customer_id, call.caller_num, call.state) == (
        opened.id, ada, "+14155550123", "queued")
    letter = complaints.ask_by_outbox(opened.id, channel="email", subject="Your refund",
                                      body="Please send the IBAN.", actor="resolver1")
    assert (letter.recipient, letter.channel, letter.sent_at) == ("ada@example.org", "email",
                                                                   None)
    detail = complaints.detail(opened.id)
    assert detail.outbox == (letter,) and complaints.outbox() == [letter]
    assert detail.notes[0].body == "Callback to +14155550123: Which account?"
    assert [h.action for h in detail.history] == ["open", "take", "ask_customer", "note",
                                                  "ask_customer", "outbox"]
    with pytest.raises(ValidationError, match="via"):
        complaints.ask_by_outbox(opened.id, channel="fax", subject="x", body="y",
                                 actor="resolver1")
    with pytest.raises(ValidationError, match="exists already"):
        complaints.ask_by_callback(opened.id, call_id="complaint-1-1", number="+1",
                                   question="again?", actor="resolver1")
    assert len(complaints.detail(opened.id).history) == 6  # the refusals wrote nothing


def test_lists_filter_and_sort_by_resolution_due(db: Database, complaints: Complaints,
                                                 ada: int) -> None:
    grace = Customers(db).create(name="Grace Hopper").id
    late = complaints.open(refund(ada, resolution_due_at=T0 + timedelta(hours=30)),
                           actor="agent101")
    soon = complaints.open(refund(grace, team="support", category="service"),
                           actor="agent101")
    legacy = complaints.open(NewComplaint("Old case", ada), actor="agent101")
    mine = complaints.open(refund(grace, team="support"), actor="agent101")
    complaints.act(mine.id, "assign", actor="supervisor", inputs={"assignee": "resolver1"})
    ids = [c.id for c in complaints.listing()]
    assert ids[-1] == legacy.id and ids.index(soon.id) < ids.index(late.id)
    assert {c.customer_name for c in complaints.listing()} == {"Ada Lovelace", "Grace Hopper"}
    scoped = complaints.listing(ComplaintFilter(scope_user="resolver1",
                                                scope_teams=("billing",)))
    assert {c.id for c in scoped} == {late.id, mine.id}
    assert [c.id for c in complaints.listing(ComplaintFilter(category="service"))] == [
        soon.id]
    assert [c.id for c in complaints.listing(ComplaintFilter(statuses=("assigned",)))] == [
        mine.id]
    assert complaints.listing(ComplaintFilter(received_before=T0)) == []


def test_past_due_finds_what_the_escalation_task_weighs(complaints: Complaints,
                                                        ada: int) -> None:
    waiting = complaints.open(refund(ada), actor="agent101")
    answered = complaints.open(refund(ada), actor="agent101")
    complaints.act(answered.id, "take", actor="resolver1")
    complaints.open(NewComplaint("Old case", ada), actor="agent101")
    assert complaints.past_due(T0 + timedelta(hours=1)) == []
    assert [c.id for c in complaints.past_due(T0 + timedelta(hours=3))] == [waiting.id]
    assert [c.id for c in complaints.past_due(T0 + timedelta(hours=9))] == [waiting.id,
                                                                           answered.id]


def test_an_agents_customers_are_those_they_served(db: Database, complaints: Complaints,
                                                   ada: int) -> None:
    grace = Customers(db).create(name="Grace Hopper").id
    Interactions(db).track("c1", {"customer_id": ada, "agent_id": "agent101"})
    complaints.open(refund(grace), actor="agent102")
    assert complaints.handled_by(ada, "agent101") and not complaints.handled_by(ada,
                                                                                "agent102")
    assert complaints.handled_by(grace, "agent102") and not complaints.handled_by(grace,
                                                                                  "agent101")
