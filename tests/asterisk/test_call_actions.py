"""An agent's call actions on a real Asterisk (acd/call_actions.py through the AMI bridge, in
the contexts of asterisk-config/extensions.conf): hold and resume, blind and attended
transfer to a number on the carrier trunk, click-to-dial. The carrier's far end is a SIPp
phone on the carrier peer's port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from contactcenter.acd.call_actions import CallActions
from contactcenter.acd.events import (
    AgentStateChanged,
    CallConnected,
    CallEnded,
    CallOffered,
    CallQueued,
)
from contactcenter.app import Platform
from contactcenter.ivr.events import IvrFinished
from tests.asterisk.harness import ADA, REAL_ASTERISK, SUPPORT
from tests.asterisk.sipp import Phones, Sipp
from tests.asterisk.watch import AmiWatch, BusLog, Event, no_channels_left

pytestmark = REAL_ASTERISK

TARGET = "+15550100"  # a number on the carrier trunk: the carrier's SIPp answers it


@pytest.fixture
async def calls(platform: Platform) -> AsyncIterator[CallActions]:
    """The call actions as open_platform wires them for the console."""
    async with CallActions(platform.distributor, platform.bridge, platform.bus) as actions:
        yield actions


async def connected_call(platform: Platform, bus: BusLog, phones: Phones,
                         **phone: int) -> tuple[str, Sipp, Sipp]:
    """Ada's call to support, answered by agent101's phone (behaving as `phone` says):
    (call id, the caller's SIPp, the agent's SIPp). The caller waits for Asterisk's BYE."""
    await platform.distributor.login("agent101")
    agent = phones.agent("agent101", answer_after_ms=300, **phone)
    caller = phones.callers("ada", [ADA], keys=SUPPORT)
    connected = await bus.wait_for(CallConnected)
    return connected.call_id, caller, agent


def on_carrier(event: Event) -> bool:
    return event["Channel"].startswith("SIP/carrier-")


async def test_hold_then_resume_keeps_the_call_and_the_agent_hanging_up_ends_it(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones,
        calls: CallActions) -> None:
    call_id, caller, _ = await connected_call(platform, bus, phones, hang_up_after_ms=8000)
    current = platform.distributor.current_call("agent101")
    assert current is not None
    leg = current[1]
    await watch.wait_for("BridgeEnter", Channel=leg)  # both legs talk (a hold before the
    # agent's leg is in the bridge finds it in no bridge, and Asterisk starts it a dialplan)

    await calls.hold("agent101")
    await watch.wait_for("MusicOnHoldStart", Uniqueid=call_id, Context="cc-hold")
    # the agent's leg waits, alive (its Newexten there still names Bridge: Asterisk
    # publishes one when the location changes, before Wait runs at it)
    await watch.wait_for("Newexten", within=5, Channel=leg, Context="cc-hold-agent")
    assert (await platform.distributor.agent_view("agent101"))["state"] == "on_call"
    assert not bus.of(CallEnded)

    await calls.resume("agent101")
    await watch.wait_for("BridgeEnter", Uniqueid=call_id, count=2)
    assert await caller.wait(30) == 0  # the agent's phone hung up: Asterisk hung up the caller
    ended = await bus.wait_for(CallEnded)
    assert (ended.call_id, ended.outcome, ended.agent_id) == (call_id, "answered", "agent101")
    assert len(bus.of(CallQueued)) == 1  # music on hold in cc-hold never queued the caller
    await bus.wait_for(AgentStateChanged, lambda e: e.state == "wrap_up")
    await no_channels_left(watch)


async def test_blind_transfer_to_a_number_bridges_the_caller_to_it(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones,
        calls: CallActions) -> None:
    call_id, caller, agent = await connected_call(platform, bus, phones)
    target = phones.carrier(answer_after_ms=300, hang_up_after_ms=3000)

    await calls.transfer("agent101", number=TARGET)
    ended = await bus.wait_for(CallEnded)
    assert (ended.call_id, ended.outcome, ended.agent_id) == (call_id, "answered", "agent101")
    await watch.until(lambda: watch.partner(call_id, on_carrier))  # caller and far end
    assert target.requests("INVITE") == [f"sip:{TARGET}@127.0.0.1:{phones.ports.carrier}"]
    assert len(agent.requests("BYE")) == 1  # the agent's leg left at the transfer
    await bus.wait_for(AgentStateChanged, lambda e: e.state == "wrap_up")
    assert await caller.wait(30) == 0  # the far end hung up, and so was the caller
    await no_channels_left(watch)


async def test_attended_transfer_hands_the_caller_to_the_number_the_agent_consulted(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones,
        calls: CallActions) -> None:
    call_id, caller, agent = await connected_call(platform, bus, phones)
    target = phones.carrier(answer_after_ms=300, hang_up_after_ms=8000)
    current = platform.distributor.current_call("agent101")
    assert current is not None
    leg = (await watch.wait_for("BridgeEnter", Channel=current[1]))["Uniqueid"]  # the
    # watch reads its own AMI link: it may hear the bridge after the platform did

    await calls.consult("agent101", TARGET)
    # the agent talks to the target (through the Local channel cc-transfer dialled it from)
    await watch.wait_for("BridgeEnter", where=lambda e: on_carrier(e) and e["Uniqueid"] != call_id)
    await watch.until(lambda: watch.partner(leg, lambda e: "@cc-transfer-" in e["Channel"]))
    assert target.requests("INVITE") == [f"sip:{TARGET}@127.0.0.1:{phones.ports.carrier}"]
    assert (await platform.distributor.agent_view("agent101"))["state"] == "on_call"

    await calls.complete_consult("agent101")
    transfer = await watch.wait_for("AttendedTransfer")
    assert transfer["Result"] == "Success"
    ended = await bus.wait_for(CallEnded)
    assert (ended.call_id, ended.outcome, ended.agent_id) == (call_id, "answered", "agent101")
    await bus.wait_for(AgentStateChanged, lambda e: e.state == "wrap_up")
    assert len(agent.requests("BYE")) == 1
    assert await caller.wait(30) == 0  # caller and target talked until the target hung up
    assert not target.requests("CANCEL")
    await no_channels_left(watch)


async def test_click_to_dial_rings_the_agent_then_bridges_them_to_the_number(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones,
        calls: CallActions) -> None:
    await platform.distributor.login("agent101")
    agent = phones.agent("agent101", answer_after_ms=300)  # waits for Asterisk's BYE
    target = phones.carrier(answer_after_ms=300, hang_up_after_ms=3000)

    await calls.dial("agent101", "+1 555-0100")
    view = await platform.distributor.agent_view("agent101")
    assert (view["state"], view["reason"]) == ("paused", "outbound call")
    agent_in = await watch.wait_for("BridgeEnter", where=lambda e: e["Channel"].startswith(
        "SIP/agent101-"))
    await watch.until(lambda: watch.partner(agent_in["Uniqueid"], on_carrier))
    assert target.requests("INVITE") == [f"sip:{TARGET}@127.0.0.1:{phones.ports.carrier}"]
    await watch.wait_for("Hangup", Uniqueid=agent_in["Uniqueid"])  # the far end hung up
    assert len(agent.requests("BYE")) == 1
    assert not bus.of(CallOffered) and not bus.of(CallQueued)  # not an ACD call
    await no_channels_left(watch)


async def test_a_transfer_to_a_queue_parks_the_caller_and_another_agent_answers(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones,
        calls: CallActions) -> None:
    """The agent's leg, held in cc-hold-agent then hung up, ends the call (agent101 wraps
    up); the caller waits in cc-wait anew, is queued once more and agent102 answers."""
    call_id, caller, first = await connected_call(platform, bus, phones)
    current = platform.distributor.current_call("agent101")
    assert current is not None
    await watch.wait_for("BridgeEnter", Channel=current[1])
    phones.agent("agent102", answer_after_ms=300, hang_up_after_ms=2000)
    await platform.distributor.login("agent102")

    await calls.transfer("agent101", queue="support")
    ended = await bus.wait_for(CallEnded)
    assert (ended.call_id, ended.outcome, ended.agent_id) == (call_id, "answered", "agent101")
    await bus.wait_for(CallQueued, lambda e: e.call_id == call_id, count=2)
    connected = await bus.wait_for(CallConnected, count=2)
    assert (connected.call_id, connected.agent_id) == (call_id, "agent102")
    assert len(first.requests("BYE")) == 1  # agent101's leg was hung up by the platform
    assert await caller.wait(30) == 0  # agent102 hung up, and so was the caller
    second = await bus.wait_for(CallEnded, count=2)
    assert (second.call_id, second.outcome, second.agent_id) == (call_id, "answered",
                                                                 "agent102")
    await no_channels_left(watch)


async def test_after_a_held_call_the_caller_goes_on_to_the_queue_s_survey(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones,
        calls: CallActions) -> None:
    """Bridge's F(cc-after-call^survey^1) is dropped by the hold's Redirect; CC_AFTER_CALL
    set by the hold sends the caller from [cc-hold] to the survey once the resumed call
    ends with the agent's phone hanging up."""
    queues = platform.distributor.queues
    queues["support"] = replace(queues["support"], after_call="survey")
    call_id, caller, _ = await connected_call(platform, bus, phones, hang_up_after_ms=6000)
    current = platform.distributor.current_call("agent101")
    assert current is not None
    await watch.wait_for("BridgeEnter", Channel=current[1])
    await calls.hold("agent101")
    await watch.wait_for("MusicOnHoldStart", Uniqueid=call_id, Context="cc-hold")
    await calls.resume("agent101")
    await watch.wait_for("BridgeEnter", Uniqueid=call_id, count=2)

    await watch.wait_for("Newexten", within=20, Uniqueid=call_id, Context="cc-after-call")
    survey = await bus.wait_for(IvrFinished, lambda e: e.flow == "survey", within=60)
    assert survey.uniqueid == call_id and survey.outcome == "hangup"  # no key: goodbye
    assert await caller.wait(30) == 0
    await no_channels_left(watch)
