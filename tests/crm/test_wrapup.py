"""A wrap-up that opens or follows up a complaint: one transaction, refused as a whole."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contactcenter.crm.complaints import Complaints, NewComplaint
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.errors import NotFound, RefusedTransition, ValidationError
from contactcenter.crm.interactions import Interactions
from contactcenter.crm.wrapup import ComplaintChange, wrap_up_with_complaint

DUE = datetime(2026, 12, 1, 17, tzinfo=UTC)
REFUND = NewComplaint("Refund", category="billing", subcategory="refund", severity="high",
                      team="billing", response_due_at=DUE, resolution_due_at=DUE)


@pytest.fixture
def ada_call(db: Database) -> int:
    """Ada's customer id; her call c1 has ended, waiting for its wrap-up."""
    Interactions(db).set_disposition("resolved", "Resolved on the call")
    ada = Customers(db).create(name="Ada Lovelace", phones=["+14155550123"])
    Interactions(db).track("c1", {"customer_id": ada.id, "state": "ended"})
    return ada.id


def test_a_wrap_up_opens_a_complaint_for_the_callers_customer(db: Database,
                                                              ada_call: int) -> None:
    done, complaint = wrap_up_with_complaint(
        db, "c1", ComplaintChange(new=REFUND, notes="Wants 20 EUR"), disposition="resolved",
        notes="call notes", actor="agent101")
    assert (complaint.customer_id, complaint.subject, complaint.description) == (
        ada_call, "Refund", "Wants 20 EUR")
    assert (complaint.status, complaint.created_by, complaint.channel) == (
        "new", "agent101", "call")
    assert (complaint.category, complaint.team, complaint.resolution_due_at) == (
        "billing", "billing", DUE)
    assert (done.complaint_id, done.disposition, done.notes) == (complaint.id, "resolved",
                                                                 "call notes")
    resolved = wrap_up_with_complaint(
        db, "c1", ComplaintChange(new=REFUND, resolve=True, notes="Refunded at once"),
        disposition="resolved")[1]
    assert (resolved.status, resolved.solution, resolved.resolved_at is not None) == (
        "resolved", "Refunded at once", True)


def test_a_follow_up_call_adds_a_note_to_the_thread(db: Database, ada_call: int) -> None:
    complaints = Complaints(db)
    complaint = complaints.open(NewComplaint("Router broken", ada_call,
                                             "First call: reboot tried."), actor="agent101")
    _, updated = wrap_up_with_complaint(
        db, "c1", ComplaintChange(complaint.id, notes="Still broken, sent a new router."),
        disposition="resolved", actor="agent102")
    assert (updated.description, updated.status) == ("First call: reboot tried.", "new")
    detail = complaints.detail(complaint.id)
    assert [(n.author, n.body, n.call_id) for n in detail.notes] == [
        ("agent102", "Still broken, sent a new router.", "c1")]
    assert Interactions(db).get("c1").complaint_id == complaint.id


@pytest.mark.parametrize(("change", "wrap_up", "field"), [
    (ComplaintChange(new=NewComplaint(" ")), {}, "subject"),
    (ComplaintChange(new=NewComplaint("Refund", channel="pigeon")), {}, "channel"),
    (ComplaintChange(new=REFUND), {"disposition": "nope"}, "disposition"),
    (ComplaintChange(12345, resolve=True), {}, "complaint_id"),
    (ComplaintChange(), {}, "complaint"),
])
def test_a_bad_value_anywhere_writes_nothing(db: Database, ada_call: int,
                                             change: ComplaintChange, wrap_up: dict,
                                             field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        wrap_up_with_complaint(db, "c1", change, **{"disposition": "resolved", **wrap_up})
    assert caught.value.field == field
    assert Complaints(db).for_customer(ada_call) == []
    kept = Interactions(db).get("c1")
    assert (kept.disposition, kept.complaint_id) == (None, None)


def test_resolving_on_the_call_needs_a_solution_and_a_refusal_writes_nothing(
        db: Database, ada_call: int) -> None:
    with pytest.raises(RefusedTransition, match="without a solution"):
        wrap_up_with_complaint(db, "c1", ComplaintChange(new=REFUND, resolve=True),
                               disposition="resolved")
    assert Complaints(db).for_customer(ada_call) == []
    assert Interactions(db).get("c1").disposition is None


def test_another_customers_complaint_and_unknown_callers_are_refused(db: Database,
                                                                     ada_call: int) -> None:
    grace = Customers(db).create(name="Grace Hopper")
    graces = Complaints(db).open(NewComplaint("Invoice", grace.id), actor="agent101")
    with pytest.raises(ValidationError, match="complaint_id"):
        wrap_up_with_complaint(db, "c1", ComplaintChange(graces.id, resolve=True,
                                                         notes="done"),
                               disposition="resolved")
    assert Complaints(db).get(graces.id).status == "new"
    Interactions(db).track("anonymous", {"state": "ended"})
    with pytest.raises(ValidationError, match="customer"):
        wrap_up_with_complaint(db, "anonymous", ComplaintChange(new=REFUND),
                               disposition="resolved")
    with pytest.raises(NotFound):
        wrap_up_with_complaint(db, "ghost", ComplaintChange(new=REFUND), disposition="resolved")
