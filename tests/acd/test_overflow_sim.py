"""Overflow and queue limits end to end over the simulator: a full queue sends the newcomer
to a message, a timed rule sends a caller to voicemail, another moves a caller to a second
queue where they keep their original place. Every call ends answered, abandoned or
overflowed; none is lost."""

from __future__ import annotations

import asyncio

from contactcenter.acd.agents import AgentProfile
from contactcenter.acd.events import CallConnected, CallEnded, CallOverflowed, CallQueued
from contactcenter.queue_config import OverflowRule, QueueDefinition
from contactcenter.sim import ScriptedAgent, ScriptedCaller
from contactcenter.sim.stats import CallOutcome
from tests.acd.conftest import KEYS, acd_rig


def caller(queue: str, number: str, patience: float | None = None) -> ScriptedCaller:
    return ScriptedCaller(number=number, answers=(KEYS[queue],), patience=patience)


async def test_a_full_queue_plays_a_message_and_a_long_wait_goes_to_voicemail(tmp_path) -> None:
    queues = {"sales": QueueDefinition("sales", max_waiting=1),
              "support": QueueDefinition("support", overflow=(
                  OverflowRule("voicemail", after_seconds=0.4),))}
    async with acd_rig(tmp_path, queues=queues) as rig:
        first = rig.sim.place_call(caller("sales", "+14155550101", patience=1.0))
        await rig.next(CallQueued, lambda e: e.call_id == first.uniqueid)
        refused = rig.sim.place_call(caller("sales", "+14155550102"))
        patient = rig.sim.place_call(caller("support", "+14155550103"))
        calls = (first, refused, patient)
        outcomes = await asyncio.wait_for(asyncio.gather(*(c.wait() for c in calls)), 10)
        await rig.next(CallEnded, lambda e: e.call_id == first.uniqueid)
        board = await rig.acd.wallboard()
    assert outcomes == [CallOutcome.ABANDONED, CallOutcome.OVERFLOWED, CallOutcome.OVERFLOWED]
    assert refused.overflowed_to == "cc-message,all-busy"
    assert patient.overflowed_to == "cc-voicemail,support"
    ended = {e.call_id: e.outcome for e in rig.of(CallEnded)}
    assert ended == {first.uniqueid: "abandoned", refused.uniqueid: "overflowed",
                     patient.uniqueid: "overflowed"}
    moved = {e.call_id: e.to for e in rig.of(CallOverflowed)}
    assert moved == {refused.uniqueid: "message:all-busy", patient.uniqueid: "voicemail"}
    waited = next(e for e in rig.of(CallOverflowed) if e.call_id == patient.uniqueid).wait_s
    assert waited >= 0.4
    assert (board["overflowed"], board["abandoned"]) == (2, 1)
    assert board["queues"]["sales"]["overflowed"] == 1
    assert board["queues"]["support"]["overflowed"] == 1


async def test_an_overflow_to_another_queue_keeps_the_callers_place(tmp_path) -> None:
    queues = {"support": QueueDefinition("support", overflow=(
        OverflowRule("queue", "operator", after_seconds=0.3),)),
              "operator": QueueDefinition("operator", wrap_up_seconds=0.05)}
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.1)}
    async with acd_rig(tmp_path, queues=queues, agents=agents) as rig:
        await rig.acd.register_agent(AgentProfile("agent101", "SIP/agent101", {"operator": 0}))
        early = rig.sim.place_call(caller("support", "+14155550111"))
        await rig.next(CallQueued, lambda e: e.call_id == early.uniqueid)
        late = rig.sim.place_call(caller("operator", "+14155550112"))
        await rig.next(CallQueued, lambda e: e.call_id == late.uniqueid)
        moved = await rig.next(CallQueued, lambda e: e.call_id == early.uniqueid
                               and e.queue == "operator")
        assert rig.sim.pbx.channels[early.channel].variables["CC_QUEUE"] == "operator"
        assert rig.sim.channels[early.channel].on_hold  # still in music on hold
        await rig.acd.login("agent101")  # one agent: who waited longest goes first
        outcomes = await asyncio.wait_for(asyncio.gather(early.wait(), late.wait()), 10)
        await rig.next(CallEnded, lambda e: e.call_id == late.uniqueid)
        board = await rig.acd.wallboard()
    assert outcomes == [CallOutcome.ANSWERED, CallOutcome.ANSWERED]
    assert moved.entered_at < next(e for e in rig.of(CallQueued)
                                   if e.call_id == late.uniqueid).entered_at
    assert [e.call_id for e in rig.of(CallConnected)] == [early.uniqueid, late.uniqueid]
    assert [e.to for e in rig.of(CallOverflowed)] == ["queue:operator"]
    ended = rig.of(CallEnded)
    assert sorted(e.call_id for e in ended) == sorted((early.uniqueid, late.uniqueid))
    assert {e.outcome for e in ended} == {"answered"}
    assert board["queues"]["support"]["overflowed"] == 1
    assert board["queues"]["operator"]["answered"] == 2
