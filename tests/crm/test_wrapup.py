"""A wrap-up that opens or updates a case: one transaction, refused as a whole."""

from __future__ import annotations

import pytest

from contactcenter.crm.cases import Cases
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.errors import NotFound, ValidationError
from contactcenter.crm.interactions import Interactions
from contactcenter.crm.wrapup import CaseChange, wrap_up_with_case


@pytest.fixture
def ada_call(db: Database) -> int:
    """Ada's customer id; her call c1 has ended, waiting for its wrap-up."""
    Interactions(db).set_disposition("resolved", "Resolved on the call")
    ada = Customers(db).create(name="Ada Lovelace", phones=["+14155550123"])
    Interactions(db).track("c1", {"customer_id": ada.id, "state": "ended"})
    return ada.id


def test_a_wrap_up_opens_a_case_for_the_callers_customer(db: Database, ada_call: int) -> None:
    done, case = wrap_up_with_case(db, "c1", CaseChange(subject="Refund", notes="Wants 20 EUR"),
                                   disposition="resolved", notes="call notes", actor="agent101")
    assert (case.customer_id, case.subject, case.description, case.status, case.created_by) == (
        ada_call, "Refund", "Wants 20 EUR", "open", "agent101")
    assert (done.case_id, done.disposition, done.notes) == (case.id, "resolved", "call notes")
    resolved = wrap_up_with_case(db, "c1", CaseChange(subject="Fixed at once",
                                                      status="resolved"),
                                 disposition="resolved")[1]
    assert (resolved.status, resolved.resolved_at is not None) == ("resolved", True)


def test_a_wrap_up_updates_a_case_and_appends_its_notes(db: Database, ada_call: int) -> None:
    case = Cases(db).open(ada_call, "Router broken", "First call: reboot tried.")
    _, updated = wrap_up_with_case(db, "c1", CaseChange(case.id, status="resolved",
                                                        notes="Replaced the router."),
                                   disposition="resolved")
    assert (updated.subject, updated.status) == ("Router broken", "resolved")
    assert updated.description == "First call: reboot tried.\n\nReplaced the router."
    assert Interactions(db).get("c1").case_id == case.id


@pytest.mark.parametrize(("change", "wrap_up", "field"), [
    (CaseChange(subject=" "), {}, "subject"),
    (CaseChange(subject="Refund", status="closed"), {}, "status"),
    (CaseChange(subject="Refund"), {"disposition": "nope"}, "disposition"),
    (CaseChange(12345, status="resolved"), {}, "case_id"),
])
def test_a_bad_value_anywhere_writes_nothing(db: Database, ada_call: int, change: CaseChange,
                                             wrap_up: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        wrap_up_with_case(db, "c1", change, **{"disposition": "resolved", **wrap_up})
    assert caught.value.field == field
    assert Cases(db).for_customer(ada_call) == []
    kept = Interactions(db).get("c1")
    assert (kept.disposition, kept.case_id) == (None, None)


def test_another_customers_case_and_unknown_callers_are_refused(db: Database,
                                                                ada_call: int) -> None:
    grace = Customers(db).create(name="Grace Hopper")
    graces = Cases(db).open(grace.id, "Invoice")
    with pytest.raises(ValidationError, match="case_id"):
        wrap_up_with_case(db, "c1", CaseChange(graces.id, status="resolved"),
                          disposition="resolved")
    assert Cases(db).get(graces.id).status == "open"
    Interactions(db).track("anonymous", {"state": "ended"})
    with pytest.raises(ValidationError, match="customer"):
        wrap_up_with_case(db, "anonymous", CaseChange(subject="Refund"),
                          disposition="resolved")
    with pytest.raises(NotFound):
        wrap_up_with_case(db, "ghost", CaseChange(subject="Refund"), disposition="resolved")
