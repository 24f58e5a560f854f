from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from contactcenter.acd.agents import AgentState
from contactcenter.acd.events import AgentStateChanged, CallOffered
from contactcenter.crm.complaints import Complaints, NewComplaint
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.interactions import Interactions
from contactcenter.crm.profiles import CallerProfile, caller_profiles
from contactcenter.crm.records import Interaction
from contactcenter.crm_link.events import ScreenPop
from contactcenter.crm_link.screenpop import ScreenPopper, build_pop, caller_of
from contactcenter.events import EventBus
from tests.helpers import BACKENDS, fresh_database_url

T0 = 1_767_600_000.0  # 2026-01-05 08:00 UTC


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """Ada (account 1001) with two past calls and three complaints: open with its response
    overdue at the offer, resolved, and closed; Grace (1002)."""
    with fresh_database_url(request, request.param) as url:
        database = Database.open(url)
        customers = Customers(database)
        ada = customers.create(name="Ada Lovelace", phones=["+14155550123"], account_number="1001")
        customers.create(name="Grace Hopper", phones=["+442071838750"], account_number="1002")
        history = Interactions(database)
        for day in (1, 2):
            history.track(f"old-{day}", {
                "customer_id": ada.id, "queue": "support", "state": "ended",
                "outcome": "answered", "entered_at": datetime(2025, 12, day, tzinfo=UTC),
            })  # fmt: skip
        history.rate("old-2", 3)  # the caller's post-call survey
        opened = datetime.fromtimestamp(T0 - 3600, UTC)
        complaints = Complaints(database, clock=lambda: opened)
        complaints.open(NewComplaint("Invoice disputed", ada.id,
                                     response_due_at=opened + timedelta(minutes=30),
                                     resolution_due_at=opened + timedelta(hours=8)),
                        actor="agent102")
        reset = complaints.open(NewComplaint("Password reset", ada.id), actor="agent102")
        complaints.act(reset.id, "resolve", actor="resolver1",
                       inputs={"solution": "A new password was posted."})
        closed = complaints.open(NewComplaint("Wrong name on letter", ada.id), actor="agent102")
        complaints.act(closed.id, "resolve", actor="resolver1", inputs={"solution": "Fixed"})
        complaints.act(closed.id, "accept", actor="agent102")
        complaints.act(closed.id, "close", actor="resolver1")
        yield database
        database.close()


def offer(
    call_id: str = "c1",
    agent_id: str = "agent101",
    caller_num: str = "4155550123",
    fields: dict[str, str] | None = None,
    caller_name: str = "",
) -> CallOffered:
    return CallOffered(
        call_id=call_id,
        agent_id=agent_id,
        queue="support",
        at=T0 + 42.5,
        caller_num=caller_num,
        caller_name=caller_name,
        channel="SIP/trunk-00000001",
        entered_at=T0,
        fields=fields or {},
        ivr_path="main:welcome,main:menu,main:account",
    )


def pop_for(db: Database, call: CallOffered) -> dict:
    (profile,) = caller_profiles(db, [caller_of(call)], history=6)
    return build_pop(call, profile)


def test_known_caller_by_number_gets_record_history_and_complaints(db: Database) -> None:
    pop = pop_for(db, offer(fields={"reason": "bill"}))
    assert pop["matched_by"] == "phone"
    assert pop["customer"]["name"] == "Ada Lovelace"
    assert pop["customer"]["phones"] == ["+14155550123"]
    assert pop["new_customer"] is None
    assert [(i["call_id"], i["survey_score"]) for i in pop["recent_interactions"]] == [
        ("old-2", 3), ("old-1", None)]
    # newest first, not the closed one: "open complaint #1, overdue" before the agent answers
    complaints = {c["subject"]: c for c in pop["open_complaints"]}
    assert list(complaints) == ["Password reset", "Invoice disputed"]
    disputed, reset = complaints["Invoice disputed"], complaints["Password reset"]
    assert (disputed["status"], disputed["overdue"], disputed["response_overdue"],
            disputed["resolution_overdue"]) == ("new", True, True, False)
    assert disputed["resolution_due_at"] == "2026-01-05T15:00:00+00:00"
    assert (reset["status"], reset["solution"], reset["overdue"]) == (
        "resolved", "A new password was posted.", False)
    assert pop["ivr"] == {
        "path": ["main:welcome", "main:menu", "main:account"],
        "answers": {"reason": "bill"},
    }
    assert pop["caller_said"] == ""
    assert pop["wait_s"] == 42.5
    assert (pop["call_id"], pop["agent_id"], pop["queue"]) == ("c1", "agent101", "support")
    assert pop["lookup"] == "done"  # replaces the pending pop the console sent with the ring
    assert json.loads(json.dumps(pop)) == pop  # it travels over a websocket as JSON


def test_the_account_number_from_the_ivr_wins_over_the_caller_number(db: Database) -> None:
    call = offer(caller_num="+14155550123", fields={"account": "1002"})
    pop = pop_for(db, call)
    assert pop["matched_by"] == "account"
    assert pop["customer"]["name"] == "Grace Hopper"
    assert pop["recent_interactions"] == [] and pop["open_complaints"] == []


def test_unknown_caller_gets_a_new_customer_form_with_the_number(db: Database) -> None:
    call = offer(caller_num="(212) 555-0199", caller_name="Joan Clarke", fields={"account": "7777"})
    pop = pop_for(db, call)
    assert pop["customer"] is None and pop["matched_by"] == ""
    assert pop["new_customer"] == {
        "name": "Joan Clarke",
        "phones": ["+12125550199"],
        "account_number": "7777",
    }
    anonymous = offer(caller_num="anonymous", caller_name="anonymous")
    form = pop_for(db, anonymous)["new_customer"]
    assert form == {"name": "", "phones": ["anonymous"], "account_number": ""}


def test_the_offered_call_itself_is_not_listed_as_history() -> None:
    def call(call_id: str) -> Interaction:
        return Interaction(
            call_id=call_id,
            id=1,
            customer_id=1,
            complaint_id=None,
            caller_num="",
            caller_name="",
            queue="support",
            agent_id=None,
            state="queued",
            outcome=None,
            ivr_path="",
            ivr_fields={},
            entered_at=None,
            offered_at=None,
            connected_at=None,
            ended_at=None,
            wait_s=0.0,
            talk_s=0.0,
            disposition=None,
            notes="",
        )

    profile = CallerProfile(None, "", None, interactions=(call("c1"), call("a"), call("b")))
    recent = build_pop(offer(), profile, history=1)["recent_interactions"]
    assert [i["call_id"] for i in recent] == ["a"]


async def _pops(queue: asyncio.Queue[object], count: int) -> list[ScreenPop]:
    found: list[ScreenPop] = []
    while len(found) < count:
        event = await asyncio.wait_for(queue.get(), timeout=5)
        if isinstance(event, ScreenPop):
            found.append(event)
    return found


async def test_popper_publishes_one_pop_per_offer_for_that_agent(db: Database) -> None:
    bus = EventBus()
    with bus.subscribe() as seen:
        async with ScreenPopper(bus, db, clock=lambda: T0 + 43):
            bus.publish(AgentStateChanged("agent101", AgentState.AVAILABLE))
            for n in range(20):
                bus.publish(
                    offer(
                        call_id=f"c{n}",
                        agent_id=f"agent{n}",
                        caller_num="4155550123" if n % 2 else "+12125550100",
                    )
                )
            pops = await _pops(seen, 20)
        assert not any(isinstance(e, ScreenPop) for e in _drain(seen))
    by_call = {p.call_id: p for p in pops}
    assert sorted(by_call) == sorted(f"c{n}" for n in range(20))
    for n in range(20):
        pop = by_call[f"c{n}"]
        assert pop.agent_id == pop.payload["agent_id"] == f"agent{n}"
        assert pop.at == T0 + 43
        known = pop.payload["customer"] is not None
        assert known == bool(n % 2)


async def test_leaving_the_popper_pops_what_was_already_offered(db: Database) -> None:
    bus = EventBus()
    with bus.subscribe() as seen:
        async with ScreenPopper(bus, db):
            bus.publish(offer())
        pops = [e for e in _drain(seen) if isinstance(e, ScreenPop)]
        assert bus.subscribers == 1  # only this test's queue: the popper unsubscribed
    assert [p.call_id for p in pops] == ["c1"]


async def test_a_crm_failure_still_pops_the_call(tmp_path) -> None:
    broken = Database(f"sqlite:///{tmp_path}/never-migrated.db")  # no tables
    bus = EventBus()
    with bus.subscribe() as seen:
        async with ScreenPopper(bus, broken):
            bus.publish(offer())
            (pop,) = await _pops(seen, 1)
    broken.close()
    assert pop.payload["crm_error"] == "customer record unavailable"
    assert pop.payload["lookup"] == "failed"  # the page says so instead of "looking up"
    assert pop.payload["customer"] is None
    assert pop.payload["new_customer"] is None  # Ada may well be a customer: no form
    assert pop.payload["caller"]["e164"] == "+14155550123"


@pytest.mark.postgres
async def test_a_crm_that_does_not_answer_pops_the_call_unavailable_in_time(
        request: pytest.FixtureRequest) -> None:
    """A table locked by another session blocks the read; the pop does not wait for it."""
    with fresh_database_url(request, "postgresql") as url:
        db = Database.open(url)
        blocker = db.engine.connect()
        try:
            blocker.exec_driver_sql("BEGIN")
            blocker.exec_driver_sql("LOCK TABLE customers, customer_phones IN ACCESS EXCLUSIVE MODE")
            bus = EventBus()
            with bus.subscribe() as seen:
                async with ScreenPopper(bus, db, lookup_seconds=0.5):
                    started = asyncio.get_running_loop().time()
                    bus.publish(offer())
                    (pop,) = await _pops(seen, 1)
                    waited = asyncio.get_running_loop().time() - started
                    blocker.rollback()  # the read behind the lock may finish now
        finally:
            blocker.close()
            db.close()
    assert pop.payload["crm_error"] == "customer record unavailable"
    assert 0.5 <= waited < 2.0


def _drain(queue: asyncio.Queue[object]) -> list[object]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


def test_what_the_caller_said_in_the_ivr_pops_as_caller_said(db: Database) -> None:
    pop = pop_for(db, offer(fields={"said": "my internet is not working"}))
    assert pop["caller_said"] == "my internet is not working"
