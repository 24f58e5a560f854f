"""Distributor._reconcile over the simulator: an AMI outage shows on the wallboard while it
lasts; after it, a caller who left while the link was down is closed as abandoned, and a caller who parked meanwhile joins the queue
at the entry time the IVR wrote on the channel (CC_ENTERED), so the order holds."""

from __future__ import annotations

import asyncio

from contactcenter.acd.agents import AgentProfile
from contactcenter.acd.events import CallConnected, CallEnded, CallQueued
from contactcenter.cti.events import LinkDown, Resynced
from contactcenter.health import PartDown
from contactcenter.queue_config import QueueDefinition
from contactcenter.sim import ScriptedAgent, ScriptedCaller, SimCall
from contactcenter.sim.stats import CallOutcome
from tests.acd.conftest import KEYS, AcdRig, acd_rig
from tests.helpers import eventually


async def queued(rig: AcdRig, number: str) -> SimCall:
    call = rig.sim.place_call(ScriptedCaller(number=number, answers=(KEYS["support"],)))
    await rig.next(CallQueued, lambda e: e.call_id == call.uniqueid)
    return call


async def test_an_outage_abandons_the_gone_and_queues_the_new_at_their_own_time(
        tmp_path) -> None:
    queues = {"support": QueueDefinition("support", wrap_up_seconds=0.05)}
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.1)}
    async with acd_rig(tmp_path, queues=queues, agents=agents) as rig:
        await rig.acd.register_agent(AgentProfile("agent101", "SIP/agent101", {"support": 0}))
        first = await queued(rig, "+14155550121")
        leaving = await queued(rig, "+14155550122")
        third = await queued(rig, "+14155550123")

        rig.link.cut()
        await rig.next(LinkDown)
        await rig.next(PartDown)
        await asyncio.sleep(0.05)  # the distributor reads the bus in its own task
        assert "ami" in (await rig.acd.wallboard())["down"]  # the outage shows
        gone = rig.sim.pbx.channels[leaving.channel]  # hangs up unseen by the platform
        rig.sim.pbx.caller_hangs_up(gone)
        rig.sim.pbx.hangup(gone, 0)
        late = rig.sim.place_call(ScriptedCaller(number="+14155550124",
                                                 answers=(KEYS["support"],)))
        await eventually(lambda: late.channel in rig.sim.channels
                    and rig.sim.channels[late.channel].on_hold, within=10)
        entered = float(rig.sim.pbx.channels[late.channel].variables["CC_ENTERED"])
        await asyncio.sleep(0.1)  # the resync comes clearly after the IVR's entry time
        rig.link.down = False

        await rig.next(Resynced)
        abandoned = await rig.next(CallEnded, lambda e: e.call_id == leaving.uniqueid)
        requeued = await rig.next(CallQueued, lambda e: e.call_id == late.uniqueid)
        board = await rig.acd.wallboard()
        assert board["down"] == {}  # and is gone once the link is back
        assert board["queues"]["support"]["waiting"] == 3
        assert [(c["caller"], c["position"]) for c in board["calls"]] == [
            ("+14155550121", 1), ("+14155550123", 2), ("+14155550124", 3)]
        await rig.acd.login("agent101")
        calls = (first, third, late)
        outcomes = await asyncio.wait_for(asyncio.gather(*(c.wait() for c in calls)), 10)
        await rig.next(CallEnded, lambda e: e.call_id == late.uniqueid)
    assert abandoned.outcome == "abandoned"
    assert requeued.entered_at == entered  # the IVR's time, not the resync's
    assert outcomes == [CallOutcome.ANSWERED] * 3
    assert [e.call_id for e in rig.of(CallConnected)] == [c.uniqueid for c in calls]
    ended = {e.call_id: e.outcome for e in rig.of(CallEnded)}  # every call closed, once
    assert ended == {first.uniqueid: "answered", leaving.uniqueid: "abandoned",
                     third.uniqueid: "answered", late.uniqueid: "answered"}
    assert len(rig.of(CallEnded)) == 4


async def test_callers_who_parked_during_an_outage_go_to_an_available_agent_oldest_first(
        tmp_path) -> None:
    """The resync queues every parked caller before it offers one: Asterisk lists channels
    in hash order, so offering as each is queued gave the waiting agent whoever was listed
    first (tests/asterisk/test_restart.py saw it on a real Asterisk)."""
    queues = {"support": QueueDefinition("support", wrap_up_seconds=0.05)}
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.1)}
    async with acd_rig(tmp_path, queues=queues, agents=agents) as rig:
        await rig.acd.register_agent(AgentProfile("agent101", "SIP/agent101", {"support": 0}))
        await rig.acd.login("agent101")
        rig.link.cut()
        await rig.next(LinkDown)
        calls = []
        for n in range(4):
            call = rig.sim.place_call(ScriptedCaller(number=f"+1415555013{n}",
                                                     answers=(KEYS["support"],)))
            await eventually(lambda c=call: c.channel in rig.sim.channels
                        and rig.sim.channels[c.channel].on_hold, within=10)
            calls.append(call)
        listed = [f["Uniqueid"] for f in map(dict, rig.sim.pbx.show_channels(""))
                  if f["Event"] == "CoreShowChannel"]
        assert listed != [c.uniqueid for c in calls]  # not the order they came
        rig.link.down = False

        outcomes = await asyncio.wait_for(asyncio.gather(*(c.wait() for c in calls)), 10)
    assert outcomes == [CallOutcome.ANSWERED] * 4
    assert [e.call_id for e in rig.of(CallConnected)] == [c.uniqueid for c in calls]
