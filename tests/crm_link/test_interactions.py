from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from contactcenter.acd.agents import AgentState
from contactcenter.acd.events import (
    AgentStateChanged,
    CallConnected,
    CallEnded,
    CallOffered,
    CallOutcome,
    CallQueued,
    Reconciled,
)
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.interactions import Interactions
from contactcenter.crm_link.interactions import InteractionRecorder, interaction_changes
from contactcenter.events import EventBus
from contactcenter.ivr.events import IvrFinished
from tests.helpers import BACKENDS, fresh_database_url

T0 = 1_767_600_000.0  # 2026-01-05 08:00 UTC


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    with fresh_database_url(request, request.param) as url:
        database = Database.open(url)
        Interactions(database).set_disposition("resolved", "Resolved on the call")
        yield database
        database.close()


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, UTC)


def answered_call(call_id: str = "c1", account: str = "1001") -> list[object]:
    fields = {"account": account}
    return [
        CallQueued(call_id, "support", "+12125550100", entered_at=T0, fields=fields),
        AgentStateChanged("agent102", AgentState.AVAILABLE, at=T0 + 1),
        CallOffered(
            call_id,
            "agent102",
            "support",
            at=T0 + 20,
            caller_num="+12125550100",
            caller_name="ADA L",
            channel="SIP/trunk-1",
            entered_at=T0,
            fields=fields,
            ivr_path="main:welcome,main:account",
        ),
        CallConnected(call_id, "agent102", "support", wait_s=25.0, at=T0 + 25),
        CallEnded(
            call_id, "support", CallOutcome.ANSWERED,
            agent_id="agent102",
            wait_s=25.0,
            talk_s=95.0,
            at=T0 + 120,
        ),
    ]


def test_an_ended_call_sets_its_outcome_and_times() -> None:
    call_id, changes = interaction_changes(
        CallEnded("c1", "support", CallOutcome.ABANDONED, wait_s=33.0, at=T0 + 33)
    )
    assert call_id == "c1"
    assert changes == {
        "state": "ended",
        "queue": "support",
        "outcome": "abandoned",
        "ended_at": at(33),
        "wait_s": 33.0,
    }


async def test_an_answered_call_is_recorded_from_queue_to_end(db: Database) -> None:
    ada = Customers(db).create(name="Ada Lovelace", phones=["+14155550123"], account_number="1001")
    bus = EventBus()
    async with InteractionRecorder(bus, db):
        for event in answered_call():
            bus.publish(event)
    row = Interactions(db).get("c1")
    assert row.customer_id == ada.id  # by the account the IVR collected, not the number
    assert (row.state, row.outcome, row.queue, row.agent_id) == (
        "ended",
        "answered",
        "support",
        "agent102",
    )
    assert (row.entered_at, row.offered_at, row.connected_at, row.ended_at) == (
        at(0),
        at(20),
        at(25),
        at(120),
    )
    assert (row.wait_s, row.talk_s) == (25.0, 95.0)
    assert row.ivr_path == "main:welcome,main:account"
    assert row.ivr_fields == {"account": "1001"}
    assert (row.caller_num, row.caller_name) == ("+12125550100", "ADA L")
    assert (row.disposition, row.notes) == (None, "")
    # The console's wrap-up adds the rest through the CRM API.
    done = Interactions(db).wrap_up("c1", disposition="resolved", notes="ok", actor="agent102")
    assert (done.disposition, done.talk_s) == ("resolved", 95.0)


async def test_an_abandoned_call_keeps_its_wait_and_an_unknown_caller(db: Database) -> None:
    bus = EventBus()
    async with InteractionRecorder(bus, db):
        bus.publish(CallQueued("c2", "sales", "anonymous", entered_at=T0))
        bus.publish(CallEnded("c2", "sales", CallOutcome.ABANDONED, wait_s=48.0, at=T0 + 48))
    row = Interactions(db).get("c2")
    assert (row.state, row.outcome, row.wait_s, row.talk_s) == ("ended", "abandoned", 48.0, 0.0)
    assert (row.customer_id, row.agent_id, row.ended_at) == (None, None, at(48))


async def test_a_bad_event_is_skipped_and_the_next_ones_recorded(db: Database) -> None:
    bus = EventBus()
    async with InteractionRecorder(bus, db):
        bus.publish(CallQueued("c3", "support", "+14155550123", entered_at=T0))
        bus.publish(CallEnded("c3", "support", "exploded", at=T0 + 5))
        bus.publish(CallQueued("c4", "support", "+14155550123", entered_at=T0 + 1))
        bus.publish(CallEnded("c3", "support", CallOutcome.ABANDONED, wait_s=6.0, at=T0 + 6))
    history = Interactions(db)
    assert (history.get("c3").outcome, history.get("c3").wait_s) == ("abandoned", 6.0)
    assert history.get("c4").state == "queued"


def survey(call_id: str, fields: dict[str, str], at: float) -> IvrFinished:
    """The end of a post-call survey flow on the caller's channel (its uniqueid: the call)."""
    return IvrFinished(call_id, "survey", "v1", "hangup", "thanks", ("rate", "thanks"), fields,
                       at)


@pytest.mark.parametrize("survey_first", [True, False], ids=["survey-first", "ended-first"])
async def test_the_post_call_survey_rating_is_stored_in_either_order(
        db: Database, survey_first: bool) -> None:
    *progress, ended = answered_call()
    rating = survey("c1", {"survey_score": "4"}, T0 + 130)
    events = [*progress, rating, ended] if survey_first else [*progress, ended, rating]
    bus = EventBus()
    async with InteractionRecorder(bus, db):
        for event in events:
            bus.publish(event)
    row = Interactions(db).get("c1")
    assert row.survey_score == 4
    assert (row.state, row.outcome, row.talk_s) == ("ended", "answered", 95.0)


async def test_an_ivr_end_without_a_rating_changes_nothing_and_a_stray_one_is_skipped(
        db: Database) -> None:
    bus = EventBus()
    async with InteractionRecorder(bus, db):
        for event in answered_call():
            bus.publish(event)
        bus.publish(survey("c1", {}, T0 + 130))  # the caller hung up without rating
        bus.publish(survey("c1", {"survey_score": "9"}, T0 + 131))  # not a rating
        bus.publish(survey("nobody", {"survey_score": "5"}, T0 + 132))  # no such call
        bus.publish(CallQueued("c5", "sales", "+14155550123", entered_at=T0 + 140))
    history = Interactions(db)
    assert history.get("c1").survey_score is None
    assert history.find("nobody") is None
    assert history.get("c5").state == "queued"  # the recorder went on


async def test_records_a_dead_process_left_open_are_closed_after_a_resync(
        db: Database) -> None:
    """Reconciled: of the calls entered before the resync asked, those neither in Asterisk
    nor held by the ACD are over; open records of them are closed (connected: answered,
    else abandoned), and a record closed already, kept or newer is left alone."""
    bus = EventBus()
    async with InteractionRecorder(bus, db):
        *progress, ended = answered_call("done")
        for event in (*progress, ended, *answered_call("talked")[:-1]):
            bus.publish(event)
        bus.publish(CallQueued("waited", "sales", "+14155550123", entered_at=T0 + 1))
        bus.publish(CallOffered("rang", "agent101", "sales", at=T0 + 3, entered_at=T0 + 2))
        bus.publish(CallQueued("alive", "sales", "+14155550123", entered_at=T0 + 4))
        bus.publish(CallQueued("callback", "sales", "+14155550123", entered_at=T0 + 5))
        bus.publish(CallQueued("newer", "sales", "+14155550123", entered_at=T0 + 60))
        bus.publish(Reconciled(frozenset({"alive", "callback"}), started=T0 + 50, at=T0 + 51))
    history = Interactions(db)
    rows = {call: (history.get(call).state, history.get(call).outcome) for call in (
        "done", "talked", "waited", "rang", "alive", "callback", "newer")}
    assert rows == {"done": ("ended", "answered"), "talked": ("ended", "answered"),
                    "waited": ("ended", "abandoned"), "rang": ("ended", "abandoned"),
                    "alive": ("queued", None), "callback": ("queued", None),
                    "newer": ("queued", None)}
    assert Interactions(db).get("talked").ended_at == at(51)


async def test_a_caller_the_ivr_queued_has_a_record_even_if_the_acd_never_saw_them(
        db: Database) -> None:
    """The AMI link was down while they waited and gave up: only the IVR saw them; the
    resync after it finds them gone and their record is closed abandoned."""
    bus = EventBus()
    queued = IvrFinished("unseen", "main", "v1", "queued", "support", ("menu", "support"),
                         {}, T0 + 10)
    async with InteractionRecorder(bus, db):
        bus.publish(queued)
        bus.publish(IvrFinished("left", "main", "v1", "caller_hung_up", "menu", ("menu",),
                                {}, T0 + 11))
        bus.publish(Reconciled(frozenset(), started=T0 + 5, at=T0 + 6))  # asked before
    history = Interactions(db)
    assert (history.get("unseen").state, history.get("unseen").entered_at) == ("queued",
                                                                               at(10))
    assert history.find("left") is None  # never queued: no record
    async with InteractionRecorder(bus, db):
        bus.publish(Reconciled(frozenset(), started=T0 + 50, at=T0 + 51))
    assert (history.get("unseen").state, history.get("unseen").outcome) == ("ended",
                                                                            "abandoned")
