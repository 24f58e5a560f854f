from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contactcenter.crm.complaints import Complaints, NewComplaint
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.interactions import Interactions
from contactcenter.crm.profiles import Caller, caller_profiles
from contactcenter.crm.records import as_json

T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def test_many_callers_in_one_read_keep_their_order_and_own_history(db: Database) -> None:
    customers = Customers(db)
    ada = customers.create(
        name="Ada Lovelace", phones=["+14155550123", "+14155550124"], account_number="1001"
    )
    grace = customers.create(name="Grace Hopper", phones=["+442071838750"], account_number="1002")
    history = Interactions(db)
    for day in range(4):
        history.track(f"ada-{day}", {"customer_id": ada.id, "entered_at": T0 + timedelta(day)})
    history.track("grace-0", {"customer_id": grace.id, "entered_at": T0})
    complaints = Complaints(db)
    disputed = complaints.open(NewComplaint("Invoice disputed", ada.id), actor="agent101")
    reset = complaints.open(NewComplaint("Password reset", ada.id), actor="agent101")
    complaints.act(reset.id, "resolve", actor="resolver1", inputs={"solution": "Sent again"})
    wrong = complaints.open(NewComplaint("Wrong address", ada.id), actor="agent101")
    complaints.act(wrong.id, "resolve", actor="resolver1", inputs={"solution": "Fixed"})
    complaints.act(wrong.id, "accept", actor="agent101")
    complaints.act(wrong.id, "close", actor="resolver1")

    profiles = caller_profiles(db, [
        Caller(phone="(415) 555-0124"),
        Caller(account="1002", phone="+14155550123"),
        Caller(account="9999", phone="anonymous"),
        Caller(phone="+14155550123"),
    ], history=2)  # fmt: skip

    first, second, unknown, again = profiles
    assert (first.customer, first.matched_by, first.phone_e164) == (ada, "phone", "+14155550124")
    assert [i.call_id for i in first.interactions] == ["ada-3", "ada-2"]
    # not closed: the resolved one is there too, its solution still to be told
    assert [(c.id, c.status) for c in first.complaints] == [(reset.id, "resolved"),
                                                            (disputed.id, "new")]
    assert first.complaints[0].solution == "Sent again"
    assert (second.customer, second.matched_by) == (grace, "account")
    assert [i.call_id for i in second.interactions] == ["grace-0"] and second.complaints == ()
    assert (unknown.customer, unknown.matched_by, unknown.phone_e164) == (None, "", None)
    assert unknown.interactions == () and unknown.complaints == ()
    assert (again.customer, again.interactions) == (ada, first.interactions)


def test_the_history_carries_each_call_s_survey_rating(db: Database) -> None:
    ada = Customers(db).create(name="Ada Lovelace", phones=["+14155550123"])
    history = Interactions(db)
    history.track("rated", {"customer_id": ada.id, "entered_at": T0 + timedelta(1)})
    history.track("unrated", {"customer_id": ada.id, "entered_at": T0})
    history.rate("rated", 4)
    (profile,) = caller_profiles(db, [Caller(phone="+14155550123")])
    assert [(i.call_id, i.survey_score) for i in profile.interactions] == [
        ("rated", 4), ("unrated", None)]
    assert as_json(profile.interactions[0])["survey_score"] == 4  # what the console gets


def test_no_callers_and_no_history_are_cheap_answers(db: Database) -> None:
    ada = Customers(db).create(name="Ada Lovelace", phones=["+14155550123"])
    Interactions(db).track("c1", {"customer_id": ada.id})
    assert caller_profiles(db, []) == []
    (profile,) = caller_profiles(db, [Caller(phone="4155550123")], history=0, complaints=False)
    assert profile.customer == ada and profile.interactions == ()
