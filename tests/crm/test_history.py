from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contactcenter.crm.complaints import Complaints, NewComplaint
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.errors import NotFound, ValidationError
from contactcenter.crm.interactions import Interactions

T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


@pytest.fixture
def interactions(db: Database) -> Interactions:
    history = Interactions(db)
    history.set_disposition("resolved", "Resolved on the call")
    history.set_disposition("old", "Retired code", active=False)
    return history


def test_track_creates_then_updates_one_row_and_never_goes_back(
    interactions: Interactions,
) -> None:
    interactions.track(
        "c1",
        {
            "queue": "support",
            "caller_num": "+14155550123",
            "entered_at": T0,
            "ivr_fields": {"account": "1001"},
        },
    )
    interactions.track(
        "c1", {"state": "offered", "agent_id": "agent101", "offered_at": T0 + timedelta(seconds=20)}
    )
    interactions.track(
        "c1",
        {
            "state": "ended",
            "outcome": "answered",
            "talk_s": 61.5,
            "ended_at": T0 + timedelta(seconds=90),
        },
    )
    late = interactions.track("c1", {"state": "connected", "wait_s": 21.0})
    assert late.state == "ended"
    assert (late.queue, late.agent_id, late.outcome) == ("support", "agent101", "answered")
    assert (late.wait_s, late.talk_s) == (21.0, 61.5)
    assert late.entered_at == T0
    assert late.ended_at == T0 + timedelta(seconds=90)
    assert late.ivr_fields == {"account": "1001"}
    assert interactions.get("c1") == late


def test_track_refuses_unknown_fields_and_states(interactions: Interactions) -> None:
    with pytest.raises(ValidationError, match="disposition"):
        interactions.track("c1", {"disposition": "resolved"})
    with pytest.raises(ValidationError) as caught:
        interactions.track("c1", {"state": "lost"})
    assert caught.value.field == "state"
    assert interactions.find("c1") is None


def test_a_survey_rating_is_kept_whatever_the_call_s_progress_and_refused_when_bad(
    interactions: Interactions,
) -> None:
    interactions.track("c1", {"queue": "support", "entered_at": T0})
    assert interactions.rate("c1", 2).survey_score == 2  # before the call's end is recorded
    interactions.track("c1", {"state": "ended", "outcome": "answered", "talk_s": 60.0})
    assert (interactions.get("c1").survey_score, interactions.get("c1").state) == (2, "ended")
    assert interactions.rate("c1", 5).survey_score == 5  # a new rating replaces the last
    for bad in (0, 6, True, "4", 4.0):
        with pytest.raises(ValidationError) as info:
            interactions.rate("c1", bad)  # type: ignore[arg-type]
        assert info.value.field == "survey_score"
    with pytest.raises(NotFound):
        interactions.rate("never-queued", 3)
    assert interactions.find("never-queued") is None  # no row made up for it
    assert interactions.get("c1").survey_score == 5


def test_wrap_up_adds_disposition_notes_and_complaint(db: Database,
                                                      interactions: Interactions) -> None:
    ada = Customers(db).create(name="Ada Lovelace", phones=["+14155550123"])
    interactions.track("c1", {"customer_id": ada.id, "state": "ended", "outcome": "answered"})
    complaint = Complaints(db).open(NewComplaint("Invoice disputed", ada.id), actor="agent101")
    done = interactions.wrap_up("c1", disposition="resolved", notes="Explained the bill.",
                                complaint_id=complaint.id, actor="agent101")
    assert (done.disposition, done.notes, done.complaint_id) == (
        "resolved",
        "Explained the bill.",
        complaint.id,
    )
    assert Complaints(db).detail(complaint.id).interactions == (done,)
    # The recorder's late events never erase the wrap-up.
    assert interactions.track("c1", {"talk_s": 30.0}).disposition == "resolved"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"disposition": "nope"}, "disposition"),
        ({"disposition": "old"}, "disposition"),
        ({"disposition": "resolved", "complaint_id": 999}, "complaint_id"),
        ({"disposition": "resolved", "customer_id": 999}, "customer_id"),
    ],
)
def test_bad_wrap_up_is_refused_as_a_whole(
    interactions: Interactions, kwargs: dict, field: str
) -> None:
    interactions.track("c1", {"state": "ended"})
    with pytest.raises(ValidationError) as caught:
        interactions.wrap_up("c1", notes="lost?", **kwargs)
    assert caught.value.field == field
    kept = interactions.get("c1")
    assert (kept.disposition, kept.notes, kept.complaint_id) == (None, "", None)
    with pytest.raises(NotFound):
        interactions.wrap_up("ghost", disposition="resolved")


def test_a_complaint_of_another_customer_cannot_be_linked(
    db: Database, interactions: Interactions
) -> None:
    customers = Customers(db)
    ada = customers.create(name="Ada Lovelace")
    grace = customers.create(name="Grace Hopper")
    graces = Complaints(db).open(NewComplaint("Router replacement", grace.id), actor="agent101")
    interactions.track("c1", {"customer_id": ada.id})
    with pytest.raises(ValidationError, match="complaint_id"):
        interactions.wrap_up("c1", disposition="resolved", complaint_id=graces.id)


def test_recent_interactions_of_a_customer_newest_first(
    db: Database, interactions: Interactions
) -> None:
    ada = Customers(db).create(name="Ada Lovelace")
    for i in range(7):
        interactions.track(f"c{i}", {"customer_id": ada.id, "entered_at": T0 + timedelta(days=i)})
    interactions.track("other", {"entered_at": T0 + timedelta(days=30)})
    recent = interactions.recent_for_customer(ada.id, limit=3)
    assert [i.call_id for i in recent] == ["c6", "c5", "c4"]
    assert [i.call_id for i in interactions.recent(limit=2)] == ["other", "c6"]
