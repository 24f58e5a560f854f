"""One caller at a time through the whole platform on a real Asterisk: the IVR by keypad,
the queue, an agent's phone, and every way such a call ends (DESIGN.md "One call, end to
end"). Callers and phones are SIPp; the platform is `open_platform` with the shipped flows."""

from __future__ import annotations

import wave

from contactcenter.acd.events import (
    AgentStateChanged,
    CallConnected,
    CallEnded,
    CallOffered,
    CallQueued,
)
from contactcenter.app import Platform
from contactcenter.ivr.events import IvrFinished
from contactcenter.speech.tts import PromptRenderer
from tests.asterisk.harness import ADA, REAL_ASTERISK, SUPPORT, Asterisk
from tests.asterisk.sipp import Phones
from tests.asterisk.watch import AmiWatch, BusLog, no_channels_left

pytestmark = REAL_ASTERISK


async def test_the_caller_picks_support_by_keypad_and_is_connected_to_an_agent(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones) -> None:
    await platform.distributor.login("agent101")
    phones.agent("agent101", answer_after_ms=300)
    caller = phones.callers("ada", [ADA], keys=SUPPORT, hang_up_after_ms=12_000)

    ivr = await bus.wait_for(IvrFinished)
    assert (ivr.flow, ivr.outcome) == ("main", "queued")
    assert ivr.path[-2:] == ("menu", "support")  # the key 2 of flows/main.yaml
    queued = await bus.wait_for(CallQueued)
    assert (queued.call_id, queued.queue, queued.caller_num) == (ivr.uniqueid, "support",
                                                                 ADA[0])
    assert queued.fields["customer_name"] == "Ada Lovelace"  # the IVR's CRM lookup
    connected = await bus.wait_for(CallConnected)
    assert (connected.call_id, connected.agent_id) == (queued.call_id, "agent101")

    # Asterisk's own view: the caller and agent101's phone in one bridge
    caller_in = await watch.wait_for("BridgeEnter", Uniqueid=queued.call_id)
    agent_in = await watch.wait_for("BridgeEnter", where=lambda e: e["Channel"].startswith(
        "SIP/agent101-"))
    assert caller_in["BridgeUniqueid"] == agent_in["BridgeUniqueid"]
    assert await caller.wait(30) == 0
    ended = await bus.wait_for(CallEnded)
    assert (ended.call_id, ended.outcome, ended.agent_id) == (queued.call_id, "answered",
                                                              "agent101")
    await no_channels_left(watch)


async def test_the_agent_hangs_up_the_caller_is_hung_up_and_the_agent_wraps_up(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones) -> None:
    await platform.distributor.login("agent101")
    phones.agent("agent101", answer_after_ms=300, hang_up_after_ms=2000)
    caller = phones.callers("ada", [ADA], keys=SUPPORT)  # waits for Asterisk's BYE

    connected = await bus.wait_for(CallConnected)
    assert await caller.wait(30) == 0  # Asterisk hung the caller up (Bridge's x option)
    ended = await bus.wait_for(CallEnded)
    assert (ended.call_id, ended.outcome, ended.agent_id) == (connected.call_id, "answered",
                                                              "agent101")
    assert 1.5 < ended.talk_s < 5
    await bus.wait_for(AgentStateChanged, lambda e: e.agent_id == "agent101"
                       and e.state == "wrap_up")
    await no_channels_left(watch)
    # not queued again, never offered again
    assert len(bus.of(CallQueued)) == len(bus.of(CallOffered)) == 1
    assert len(watch.of("BridgeEnter", Uniqueid=connected.call_id)) == 1
    assert platform.distributor.counts == {"answered": 1, "abandoned": 0, "overflowed": 0}


async def test_a_caller_taken_out_of_an_announcement_is_hung_up_after_the_agent(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones) -> None:
    """Issue 9's case: Bridge() pulls the caller out of [cc-announce], whose next priority
    is Goto(cc-wait): without Bridge's x the caller went back to music on hold when the
    agent left, and was queued again or stranded. (A withheld number hears the
    announcement without the callback offer, so the keys still pressed cannot cut it.)"""
    caller = phones.callers("withheld", [("anonymous", "Withheld")], keys=SUPPORT)
    queued = await bus.wait_for(CallQueued)
    announce = await watch.wait_for("Newexten", Uniqueid=queued.call_id,
                                    Context="cc-announce", Application="AGI")
    await watch.wait_for("AGIExecStart", Uniqueid=queued.call_id, where=lambda e: (
        e["Command"].startswith("STREAM FILE ")
        and watch.events.index(e) > watch.events.index(announce)))  # the place is said
    phones.agent("agent101", answer_after_ms=200, hang_up_after_ms=1500)
    await platform.distributor.login("agent101")

    caller_in = await watch.wait_for("BridgeEnter", Uniqueid=queued.call_id)
    assert caller_in["Context"] == "cc-announce"
    assert await caller.wait(30) == 0  # hung up when agent101's phone hung up
    ended = await bus.wait_for(CallEnded)
    assert (ended.call_id, ended.outcome, ended.agent_id) == (queued.call_id, "answered",
                                                              "agent101")
    await no_channels_left(watch)
    assert len(bus.of(CallQueued)) == len(bus.of(CallOffered)) == 1
    after = watch.events[watch.events.index(caller_in):]
    assert not [e for e in after if e.get("Event") == "MusicOnHoldStart"]  # not back on hold


async def test_the_caller_hangs_up_and_the_agent_wraps_up(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones) -> None:
    await platform.distributor.login("agent101")
    agent = phones.agent("agent101", answer_after_ms=300)  # waits for Asterisk's BYE
    caller = phones.callers("ada", [ADA], keys=SUPPORT, hang_up_after_ms=12_000)

    connected = await bus.wait_for(CallConnected)
    assert await caller.wait(30) == 0
    ended = await bus.wait_for(CallEnded)
    assert (ended.call_id, ended.outcome, ended.agent_id) == (connected.call_id, "answered",
                                                              "agent101")
    assert ended.talk_s > 0
    await bus.wait_for(AgentStateChanged, lambda e: e.agent_id == "agent101"
                       and e.state == "wrap_up")
    await no_channels_left(watch)
    assert len(agent.requests("BYE")) == 1  # the agent's phone was hung up by Asterisk
    assert platform.distributor.counts["answered"] == 1


async def test_ring_no_answer_pauses_the_agent_and_the_call_goes_to_the_next_one(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones) -> None:
    await platform.distributor.login("agent101")  # idle longest: offered first
    await platform.distributor.login("agent102")
    phones.agent("agent101", answer_after_ms=None)  # rings until the ring timeout (20 s)
    phones.agent("agent102", answer_after_ms=300, hang_up_after_ms=1500)
    caller = phones.callers("ada", [ADA], keys=SUPPORT)

    queued = await bus.wait_for(CallQueued)
    first = await bus.wait_for(CallOffered)
    assert first.agent_id == "agent101"
    paused = await bus.wait_for(AgentStateChanged, lambda e: e.agent_id == "agent101"
                                and e.state == "paused", within=40)
    assert paused.reason == "no answer"
    connected = await bus.wait_for(CallConnected)
    assert (connected.call_id, connected.agent_id) == (queued.call_id, "agent102")
    # at the head of the queue with its original entry time: the wait counts from entry
    assert connected.wait_s > 19
    assert await caller.wait(30) == 0
    ended = await bus.wait_for(CallEnded)
    assert (ended.outcome, ended.agent_id) == ("answered", "agent102")
    ringing = await watch.wait_for("OriginateResponse", Response="Failure")
    assert ringing["Channel"].startswith("SIP/agent101")
    await no_channels_left(watch)


async def test_a_caller_who_hangs_up_while_queued_is_abandoned(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones) -> None:
    caller = phones.callers("ada", [ADA], keys=SUPPORT, hang_up_after_ms=14_000)  # no agent

    queued = await bus.wait_for(CallQueued)
    assert await caller.wait(30) == 0
    ended = await bus.wait_for(CallEnded)
    assert (ended.call_id, ended.outcome, ended.agent_id) == (queued.call_id, "abandoned",
                                                              None)
    assert ended.wait_s > 0
    assert await platform.distributor.store.waiting() == []
    assert not bus.of(CallOffered)
    await no_channels_left(watch)


async def test_a_caller_who_hangs_up_while_an_agent_rings_is_abandoned(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones) -> None:
    await platform.distributor.login("agent101")
    agent = phones.agent("agent101", answer_after_ms=None)  # rings, never answers
    caller = phones.callers("ada", [ADA], keys=SUPPORT, hang_up_after_ms=14_000)

    offered = await bus.wait_for(CallOffered)
    assert offered.agent_id == "agent101"
    assert await caller.wait(30) == 0
    ended = await bus.wait_for(CallEnded)
    assert (ended.call_id, ended.outcome) == (offered.call_id, "abandoned")
    await bus.wait_for(AgentStateChanged, lambda e: e.agent_id == "agent101"
                       and e.state == "available" and e.at > ended.at - 1)
    await no_channels_left(watch)
    assert len(agent.requests("CANCEL")) == 1  # the agent's phone stopped ringing
    assert (await platform.distributor.agent_view("agent101"))["state"] == "available"


async def test_the_prompts_the_platform_renders_are_what_asterisk_plays(
        platform: Platform, watch: AmiWatch, phones: Phones, asterisk: Asterisk) -> None:
    caller = phones.callers("ada", [ADA], hang_up_after_ms=6_000)  # hears the greeting
    assert await caller.wait(20) == 0

    speech = platform.config.speech
    greeting = PromptRenderer(speech.cache_dir, voice=speech.voice).path_for(
        "Welcome back to Example Corporation, Ada Lovelace.")  # flows/main.yaml, known caller
    with wave.open(str(greeting.with_suffix(".wav"))) as rendered:
        assert (rendered.getframerate(), rendered.getnchannels()) == (8000, 1)
        samples = rendered.getnframes()
    assert asterisk.log_lines(rf"Playing '{greeting}\.")  # the very file the platform rendered
    dialogue = asterisk.log_lines(r"AGI (Rx|Tx) ")
    asked = next(i for i, line in enumerate(dialogue) if f"STREAM FILE {greeting} " in line)
    reply = dialogue[asked + 1]
    assert "AGI Tx >> 200 result=0 endpos=" in reply
    assert abs(int(reply.rsplit("endpos=", 1)[1]) - samples) < 800  # to its end (0.1 s)
