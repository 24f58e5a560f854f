"""Call controls end to end: the console's REST API, CallActions, the AMI bridge and the PBX
simulator over real TCP (hold, resume, blind and attended transfers, click-to-dial)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

from contactcenter.acd.events import CallConnected, CallEnded, CallQueued, CallTransferred
from tests.helpers import eventually, next_event

from .conftest import TRANSFER_TARGET, LivePlatform, connected_call, signed_in


async def ended_and_transferred(events: asyncio.Queue[object],
                                call_id: str) -> tuple[CallEnded, CallTransferred]:
    """The call's CallEnded and CallTransferred, in whichever order they come (the PBX's
    reply to the transfer and the agent leg's hangup race)."""
    seen: dict[type, object] = {}
    async with asyncio.timeout(10):
        while len(seen) < 2:
            event = await events.get()
            if isinstance(event, CallEnded | CallTransferred) and event.call_id == call_id:
                seen.setdefault(type(event), event)
    return seen[CallEnded], seen[CallTransferred]  # type: ignore[return-value]


async def events_until(events: asyncio.Queue[object],
                       last: Callable[[object], bool]) -> list[object]:
    """Every event up to and with the first for which `last` holds."""
    seen: list[object] = []
    async with asyncio.timeout(10):
        while not seen or not last(seen[-1]):
            seen.append(await events.get())
    return seen


async def state(live: LivePlatform, agent_id: str) -> str:
    return str((await live.platform.distributor.agent_view(agent_id))["state"])


async def test_hold_resume_and_hang_up_while_held_end_both_legs(live) -> None:
    async with signed_in(live, "agent101") as agent:
        with live.platform.bus.subscribe() as events:
            call, leg = await connected_call(live, agent, events)
            assert await agent.post("/api/call/hold") == (200, {"held": True,
                                                                 "consulting": None})
            caller = live.sim.channels[call.channel]
            assert (caller.context, caller.on_hold, caller.bridged_with) == ("cc-hold", True, "")
            assert live.sim.channels[leg].context == "cc-hold-agent"  # the agent's leg lives
            assert await state(live, "agent101") == "on_call"  # not re-queued by the music
            assert (await agent.post("/api/call/hold"))[0] == 409

            assert await agent.post("/api/call/resume") == (200, {"held": False,
                                                                   "consulting": None})
            await eventually(lambda: live.sim.channels[call.channel].bridged_with == leg)
            assert not live.sim.channels[call.channel].on_hold

            assert (await agent.post("/api/call/hold"))[0] == 200
            assert (await agent.post("/api/hangup"))[0] == 200
            await asyncio.wait_for(call.wait(), 5)
            await eventually(lambda: not live.sim.is_alive(leg))
            await next_event(events, CallEnded, lambda e: e.call_id == call.uniqueid)
            await eventually(lambda: live.platform.distributor.current_call("agent101") is None)
    assert await state(live, "agent101") == "wrap_up"


async def test_a_held_then_resumed_call_still_sends_the_caller_to_the_after_call_flow(
        live) -> None:
    """The hold's Redirect drops Bridge's F: CC_AFTER_CALL set by the hold brings the caller
    to the queue's survey from [cc-hold] when the agent's phone hangs up."""
    queues = live.platform.distributor.queues
    queues["support"] = dataclasses.replace(queues["support"], after_call="survey")
    async with signed_in(live, "agent101") as agent:
        with live.platform.bus.subscribe() as events:
            call, leg = await connected_call(live, agent, events)
            assert (await agent.post("/api/call/hold"))[0] == 200
            assert (await agent.post("/api/call/resume"))[0] == 200
            await eventually(lambda: live.sim.channels[call.channel].bridged_with == leg)
            live.sim.pbx.agent_hangs_up(live.sim.pbx.channels[leg])
            await next_event(events, CallEnded, lambda e: e.call_id == call.uniqueid)
            caller = live.sim.pbx.channels[call.channel]
            await eventually(lambda: (caller.context, caller.exten) == ("cc-after-call", "survey"))


async def test_blind_transfer_to_a_number_bridges_the_caller_and_wraps_the_agent_up(
        live) -> None:
    async with signed_in(live, "agent101") as agent:
        with live.platform.bus.subscribe() as events:
            call, leg = await connected_call(live, agent, events)
            for bad in ({}, {"queue": "support", "number": "+15550100"},
                        {"number": "12\r\nAction: Hangup"}, {"queue": "nowhere"}):
                status, _ = await agent.post("/api/call/transfer", bad)
                assert status in (400, 409), bad
            assert live.sim.channels[call.channel].bridged_with == leg  # bad input: no change
            assert (await agent.post("/api/call/transfer", {"number": TRANSFER_TARGET}))[0] \
                == 200
            ended, done = await ended_and_transferred(events, call.uniqueid)
            assert (ended.outcome, ended.agent_id) == ("answered", "agent101")
            assert (done.call_id, done.agent_id, done.queue, done.to, done.kind) == (
                call.uniqueid, "agent101", "support", f"number:{TRANSFER_TARGET}", "blind")
            await eventually(lambda: live.sim.transfers and live.sim.transfers[0].answered)
            target = live.sim.transfers[0]
            assert target.number == TRANSFER_TARGET
            await eventually(lambda: live.sim.channels[call.channel].bridged_with == target.channel)
            assert not live.sim.is_alive(leg)
    assert await state(live, "agent101") == "wrap_up"


async def test_blind_transfer_to_a_queue_requeues_the_caller_for_another_agent(live) -> None:
    async with signed_in(live, "agent101") as first, signed_in(live, "agent102") as second:
        with live.platform.bus.subscribe() as events:
            call, leg = await connected_call(live, first, events)
            refused = await second.post("/api/call/hold")  # agent102 has no call of theirs
            assert refused[0] == 409
            assert live.sim.channels[call.channel].bridged_with == leg
            assert (await second.post("/api/state", {"state": "available"}))[0] == 200

            assert (await first.post("/api/call/transfer", {"queue": "billing"}))[0] == 200
            seen = await events_until(events, lambda e: isinstance(e, CallConnected)
                                      and e.call_id == call.uniqueid)
            again = seen[-1]
            queued = [e for e in seen if isinstance(e, CallQueued)]
            assert [e.queue for e in queued] == ["billing"]
            assert (again.agent_id, again.queue) == ("agent102", "billing")
            assert live.sim.channels[call.channel].bridged_with.startswith("SIP/agent102")
            assert not live.sim.is_alive(leg)
            done = next((e for e in seen if isinstance(e, CallTransferred)), None) \
                or await next_event(events, CallTransferred)
            assert (done.agent_id, done.queue, done.to) == ("agent101", "support",
                                                            "queue:billing")
    assert await state(live, "agent101") == "wrap_up"


async def test_attended_transfer_is_cancelled_then_completed(live) -> None:
    async with signed_in(live, "agent101") as agent:
        with live.platform.bus.subscribe() as events:
            call, leg = await connected_call(live, agent, events)
            assert await agent.post("/api/call/consult", {"number": TRANSFER_TARGET}) == (
                200, {"held": False, "consulting": TRANSFER_TARGET})
            await eventually(lambda: live.sim.transfers and live.sim.transfers[-1].answered)
            first_target = live.sim.transfers[-1].channel
            await eventually(lambda: live.sim.channels[leg].bridged_with == first_target)
            assert live.sim.channels[call.channel].on_hold

            assert (await agent.post("/api/call/consult/cancel"))[0] == 200
            await eventually(lambda: live.sim.channels[call.channel].bridged_with == leg)
            assert not live.sim.is_alive(first_target)

            assert (await agent.post("/api/call/consult", {"number": TRANSFER_TARGET}))[0] \
                == 200
            await eventually(lambda: len(live.sim.transfers) == 2 and live.sim.transfers[1].answered)
            target = live.sim.transfers[1].channel
            await eventually(lambda: live.sim.channels[leg].bridged_with == target)
            assert (await agent.post("/api/call/consult/complete"))[0] == 200
            _ended, done = await ended_and_transferred(events, call.uniqueid)
            assert (done.to, done.kind) == (f"number:{TRANSFER_TARGET}", "attended")
            await eventually(lambda: live.sim.channels[call.channel].bridged_with == target)
            assert not live.sim.is_alive(leg)
            assert not call.ended.is_set()
    assert await state(live, "agent101") == "wrap_up"


async def test_click_to_dial_pauses_the_agent_and_bridges_them_to_the_number(live) -> None:
    async with signed_in(live, "agent101") as agent:
        assert (await agent.post("/api/state", {"state": "available"}))[0] == 200
        for bad in ("call me", "+1555\r\nAction: Hangup", ""):
            assert (await agent.post("/api/dial", {"number": bad}))[0] == 400, bad
        assert not live.sim.callbacks and await state(live, "agent101") == "available"
        status, dialled = await agent.post("/api/dial", {"number": "+1 555-0100"})
        assert status == 200 and dialled["number"] == TRANSFER_TARGET  # as E.164
        view = await live.platform.distributor.agent_view("agent101")
        assert (view["state"], view["reason"]) == ("paused", "outbound call")
        await eventually(lambda: live.sim.callbacks and live.sim.callbacks[0].answered)
        customer = live.sim.callbacks[0]
        assert customer.caller.number == TRANSFER_TARGET
        assert live.sim.channels[customer.channel].bridged_with.startswith("SIP/agent101")
