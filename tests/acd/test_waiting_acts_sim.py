"""A supervisor's acts on waiting calls over the simulator (Distributor.change_waiting):
a call moved to another queue keeps its place by entry time there, unless its entry is
reset; a new priority serves it first; its channel's CC_* variables follow, so a restart
would rebuild it as changed; a ringing call is refused and left alone, and so is one whose channel the PBX no longer
knows."""

from __future__ import annotations

import asyncio

import pytest

from contactcenter.acd.agents import AgentProfile
from contactcenter.acd.distributor import Distributor
from contactcenter.acd.events import (
    CallConnected,
    CallMoved,
    CallOffered,
    CallOverflowed,
    CallQueued,
)
from contactcenter.acd.routing import WaitingCall
from contactcenter.errors import AmiError, InvalidTransition
from contactcenter.events import EventBus
from contactcenter.queue.memory_store import MemoryStore
from contactcenter.queue_config import Announcements, QueueDefinition
from contactcenter.sim import ScriptedAgent, ScriptedCaller
from tests.acd.conftest import KEYS, acd_rig

# no entry announcement: a caller taken to one is out of music on hold when the test looks
QUEUES = {name: QueueDefinition(name, wrap_up_seconds=0.05,
                                 announcements=Announcements(on_entry=False))
          for name in ("support", "sales", "operator")}
PHONE = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.1)}


def caller(queue: str, number: str) -> ScriptedCaller:
    return ScriptedCaller(number=number, answers=(KEYS[queue],))


async def test_a_moved_call_keeps_its_entry_time_unless_reset(tmp_path) -> None:
    async with acd_rig(tmp_path, queues=QUEUES, agents=PHONE) as rig:
        await rig.acd.register_agent(AgentProfile("agent101", "SIP/agent101",
                                                  {"operator": 0}))
        calls = []
        for queue, number in (("support", "+14155550121"), ("operator", "+14155550122"),
                              ("support", "+14155550123")):  # all of priority 0
            calls.append(rig.sim.place_call(caller(queue, number)))
            await rig.next(CallQueued, lambda e, c=calls[-1]: e.call_id == c.uniqueid)
        early, operator, late = calls

        moved = await rig.acd.change_waiting(early.uniqueid, by="supervisor", queue="operator")
        reset = await rig.acd.change_waiting(late.uniqueid, by="supervisor", queue="operator",
                                             reset_entry=True)
        variables = rig.sim.pbx.channels[early.channel].variables
        assert variables["CC_QUEUE"] == "operator"
        assert float(variables["CC_JOINED"]) >= float(variables["CC_ENTERED"])
        assert float(rig.sim.pbx.channels[late.channel].variables["CC_ENTERED"]) == \
            pytest.approx(reset.entered_at, abs=1e-6)
        assert rig.sim.channels[early.channel].on_hold  # never left music on hold
        await rig.acd.login("agent101")  # one agent: the order is the queue's
        await asyncio.wait_for(asyncio.gather(*(c.wait() for c in calls)), 10)
        await rig.next(CallConnected, lambda e: e.call_id == late.uniqueid)
        board = await rig.acd.wallboard()
    entered = {e.call_id: e.entered_at for e in rig.of(CallQueued) if e.queue == "support"}
    assert moved.entered_at == entered[early.uniqueid]  # kept
    assert reset.entered_at > entered[late.uniqueid]  # reset: now, behind the other caller
    assert [e.call_id for e in rig.of(CallConnected)] == [early.uniqueid, operator.uniqueid,
                                                         late.uniqueid]
    acts = rig.of(CallMoved)
    assert [(a.call_id, a.queue, a.to_queue, a.reset_entry, a.by) for a in acts] == [
        (early.uniqueid, "support", "operator", False, "supervisor"),
        (late.uniqueid, "support", "operator", True, "supervisor")]
    assert [e.to for e in rig.of(CallOverflowed)] == ["queue:operator", "queue:operator"]
    assert board["queues"]["operator"]["answered"] == 3


async def test_a_new_priority_serves_the_call_first(tmp_path) -> None:
    async with acd_rig(tmp_path, queues=QUEUES, agents=PHONE) as rig:
        await rig.acd.register_agent(AgentProfile("agent101", "SIP/agent101", {"support": 0}))
        calls = []
        for number in ("+14155550131", "+14155550132"):
            calls.append(rig.sim.place_call(caller("support", number)))
            await rig.next(CallQueued, lambda e, c=calls[-1]: e.call_id == c.uniqueid)
        first, second = calls
        act = await rig.acd.change_waiting(second.uniqueid, by="supervisor", priority=3)
        assert (act.priority, act.queue) == (3, "support")
        assert rig.sim.pbx.channels[second.channel].variables["CC_PRIORITY"] == "3"
        await rig.acd.login("agent101")
        await asyncio.wait_for(asyncio.gather(first.wait(), second.wait()), 10)
        await rig.next(CallConnected, lambda e: e.call_id == first.uniqueid)
    assert [e.call_id for e in rig.of(CallConnected)] == [second.uniqueid, first.uniqueid]
    assert not rig.of(CallOverflowed)  # same queue: no move
    (moved,) = rig.of(CallMoved)
    assert (moved.priority, moved.to_priority, moved.queue, moved.to_queue) == \
        (0, 3, "support", "support")


async def test_a_ringing_call_is_refused_and_left_alone(tmp_path) -> None:
    slow = {"SIP/agent101": ScriptedAgent(answer_after=None)}  # rings on
    async with acd_rig(tmp_path, queues=QUEUES, agents=slow) as rig:
        await rig.acd.register_agent(AgentProfile("agent101", "SIP/agent101", {"support": 0}))
        await rig.acd.login("agent101")
        call = rig.sim.place_call(caller("support", "+14155550141"))
        await rig.next(CallOffered, lambda e: e.call_id == call.uniqueid)
        with pytest.raises(InvalidTransition, match="not waiting"):
            await rig.acd.change_waiting(call.uniqueid, by="supervisor", queue="sales")
        with pytest.raises(ValueError, match="no queue"):
            await rig.acd.change_waiting(call.uniqueid, by="supervisor", queue="nowhere")
        with pytest.raises(ValueError, match="priority"):
            await rig.acd.change_waiting(call.uniqueid, by="supervisor", priority=10**6)
        assert rig.sim.pbx.channels[call.channel].variables["CC_QUEUE"] == "support"
        offered = await rig.acd.store.offered()
        assert offered[call.uniqueid][0].queue == "support"
    assert not rig.of(CallMoved)


class RefusingPbx:
    """A PBX link that refuses every Setvar (the caller's channel just went away)."""

    connected = True

    async def set_variable(self, channel: str, name: str, value: str) -> None:
        raise AmiError("No such channel")


async def test_a_refused_change_leaves_the_call_as_it_was() -> None:
    bus = EventBus()
    call = WaitingCall("c1", "SIP/carrier-1", "support", 100.0, 0)
    async with Distributor(MemoryStore(), RefusingPbx(), bus,  # type: ignore[arg-type]
                           queues=QUEUES) as acd:
        await acd.store.add_call(call)
        with bus.subscribe() as events, pytest.raises(AmiError):
            await acd.change_waiting("c1", by="supervisor", queue="sales", priority=2,
                                     reset_entry=True)
        assert await acd.store.waiting() == [call]
        assert events.empty()  # nothing published
