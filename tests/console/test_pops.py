"""The pop hub over the real console and real websockets: a pop comes with the offer,
before any state of that call; it leaves the page when the offer ends unanswered; a dead
page does not stop anyone's pops."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import ClientConnectionResetError, ClientWebSocketResponse
from aiohttp.test_utils import TestClient

from contactcenter.acd.agents import AgentState
from contactcenter.acd.events import AgentStateChanged, CallEnded, CallOffered, CallOutcome
from contactcenter.agent_console.app import HUB
from contactcenter.crm_link.events import ScreenPop
from contactcenter.events import EventBus
from tests.helpers import eventually

from .conftest import logged_in

CALL = "call-1"
OFFER = CallOffered(CALL, "agent101", "support", 1000.0, "+14155550123", "Ada Lovelace",
                    "SIP/carrier-00000001", 990.0, {"account": "1001"}, "main:menu,main:support")
RECORD = ScreenPop("agent101", CALL, {"call_id": CALL, "customer": {"name": "Ada Lovelace"},
                                      "lookup": "done"}, 1000.2)


def state(name: str, call_id: str | None = CALL, reason: str = "") -> AgentStateChanged:
    return AgentStateChanged("agent101", AgentState(name), reason, call_id, 1000.0)


@dataclass
class Page:
    """agent101's live page: its session and websocket, and the console's bus."""

    client: TestClient
    ws: ClientWebSocketResponse
    bus: EventBus

    async def received(self, count: int) -> list[tuple[str, str]]:
        return await received(self.ws, count)

    async def next(self) -> dict:
        return json.loads((await self.ws.receive(timeout=2.0)).data)

    async def reloaded_pop(self) -> object:
        """What a reloaded page would show (GET /api/agent)."""
        return (await (await self.client.get("/api/agent")).json())["pop"]


@pytest.fixture
async def page(console) -> AsyncIterator[Page]:
    server, bus, _desk = console
    client, _csrf = await logged_in(server, "agent101")
    try:
        ws = await client.ws_connect("/ws")
        await eventually(lambda: server.app[HUB].sockets["agent101"])
        yield Page(client, ws, bus)
        await ws.close()
    finally:
        await client.close()


async def received(ws: ClientWebSocketResponse, count: int) -> list[tuple[str, str]]:
    """The next `count` messages as (type, what): a pop's lookup, a state's name."""
    messages = [json.loads((await ws.receive(timeout=2.0)).data) for _ in range(count)]
    return [(m["type"], m["payload"]["lookup"] if m["type"] == "pop" else
             m.get("state") or m["call_id"]) for m in messages]


async def test_the_pop_comes_with_the_offer_before_on_call_while_the_crm_is_slow(
        page) -> None:
    for event in (state("offered"), OFFER, state("on_call")):  # the CRM has not answered
        page.bus.publish(event)
    assert (await page.next())["state"] == "offered"
    pop = await page.next()
    assert (pop["type"], pop["call_id"], pop["payload"]["lookup"]) == ("pop", CALL, "pending")
    assert pop["payload"]["caller"]["number"] == "+14155550123"
    assert pop["payload"]["ivr"] == {"path": ["main:menu", "main:support"],
                                     "answers": {"account": "1001"}}
    assert pop["payload"]["wait_s"] == 10.0 and pop["payload"]["new_customer"] is None
    assert await page.received(1) == [("state", "on_call")]
    page.bus.publish(RECORD)  # the CRM's record follows and replaces it, also for a reload
    assert await page.received(1) == [("pop", "done")]
    assert (await page.reloaded_pop())["payload"]["customer"] == {"name": "Ada Lovelace"}


@pytest.mark.parametrize(("ending", "after"), [
    ((), state("paused", None, "no answer")),  # ring-no-answer: the call is queued again
    ((CallEnded(CALL, "support", CallOutcome.ABANDONED, None, 12.0),), state("available", None)),
    ((), state("logged_out", None)),
], ids=["ring-no-answer", "abandoned-while-ringing", "logout-while-ringing"])
async def test_an_offer_that_ends_unanswered_withdraws_its_pop_and_keeps_out_a_late_record(
        page, ending, after) -> None:
    for event in (state("offered"), OFFER, *ending, after, RECORD, state("available", None)):
        page.bus.publish(event)
    assert await page.received(5) == [("state", "offered"), ("pop", "pending"),
                                     ("withdrawn", CALL), ("state", after.state),
                                     ("state", "available")]  # RECORD never came
    assert await page.reloaded_pop() is None


async def test_an_answered_call_keeps_its_pop_until_it_ends_and_a_late_record_still_helps(
        page) -> None:
    for event in (state("offered"), OFFER, state("on_call"),
                  CallEnded(CALL, "support", CallOutcome.ANSWERED, "agent101", 10.0, 30.0),
                  state("wrap_up")):
        page.bus.publish(event)
    assert await page.received(5) == [("state", "offered"), ("pop", "pending"),
                                     ("state", "on_call"), ("ended", CALL),
                                     ("state", "wrap_up")]
    assert await page.reloaded_pop() is None  # the call is over: a reload shows none
    page.bus.publish(RECORD)  # a slow CRM's record still fills in the wrap-up
    assert await page.received(1) == [("pop", "done")]
    assert await page.reloaded_pop() is None


class ClosingPage:
    """A page whose connection is going away: aiohttp's writer raises exactly this on a
    closing transport (http_writer._write) while `closed` is still False."""

    closed = False

    async def send_str(self, data: str) -> None:
        raise ClientConnectionResetError("Cannot write to closing transport")


async def test_a_page_gone_mid_send_is_dropped_and_pops_go_on_for_everyone(console,
                                                                           page) -> None:
    server, bus, _desk = console
    hub = server.app[HUB]
    dead = ClosingPage()
    hub.sockets["agent101"].add(dead)  # type: ignore[arg-type]
    other, _csrf = await logged_in(server, "agent102")
    try:
        ws2 = await other.ws_connect("/ws")
        await eventually(lambda: hub.sockets["agent102"])
        bus.publish(OFFER)
        bus.publish(CallOffered("call-2", "agent102", "support", 1000.0, "+14155550102"))
        assert await page.received(1) == [("pop", "pending")]  # agent101's live page
        assert await received(ws2, 1) == [("pop", "pending")]
        assert dead not in hub.sockets["agent101"]
        await ws2.close()
    finally:
        await other.close()
