"""A distributor that starts on a Redis store another process left behind (it died mid-call)
takes its offers over at the resync: the agent still ringing has that leg hung up and the
call goes back to the head of its queue, the agent still talking is followed to the hang-up
and wraps up; no call is lost and none rings two agents at once."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from contactcenter.acd.agents import AgentProfile, AgentState
from contactcenter.acd.distributor import Distributor
from contactcenter.acd.events import AgentStateChanged, CallConnected, CallEnded, CallOffered
from contactcenter.errors import InvalidTransition
from contactcenter.queue.memory_store import MemoryStore
from contactcenter.queue.redis_store import RedisStore
from contactcenter.queue_config import QueueDefinition
from contactcenter.sim import ScriptedAgent, ScriptedCaller
from contactcenter.sim.stats import CallOutcome
from tests.acd.conftest import KEYS, acd_rig
from tests.helpers import eventually


async def test_a_new_distributor_takes_over_a_dead_ones_offers(tmp_path, redis_url) -> None:
    store = RedisStore.from_url(redis_url, prefix=f"takeover-{uuid.uuid4().hex}:")
    queues = {"support": QueueDefinition("support", ring_timeout_seconds=20,
                                         wrap_up_seconds=0.1)}
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=2.0),
              "SIP/agent102": ScriptedAgent(answer_after=1.5, talk_seconds=0.3)}
    try:
        async with acd_rig(tmp_path, queues=queues, agents=agents, store=store,
                           lease_seconds=0.3) as rig:
            old = rig.acd
            for n in ("101", "102"):
                await old.register_agent(AgentProfile(f"agent{n}", f"SIP/agent{n}",
                                                      {"support": 0}))
            await old.login("agent101")
            talking = rig.sim.place_call(ScriptedCaller(number="+14155550121",
                                                        answers=(KEYS["support"],)))
            await rig.next(CallConnected, lambda e: e.call_id == talking.uniqueid)
            await old.login("agent102")
            ringing = rig.sim.place_call(ScriptedCaller(number="+14155550122",
                                                        answers=(KEYS["support"],)))
            await rig.next(CallOffered, lambda e: e.call_id == ringing.uniqueid)
            await eventually(lambda: any(ch.startswith("SIP/agent102") for ch in rig.sim.channels))

            await old.__aexit__(None, None, None)  # the process dies: its offers are forgotten
            await asyncio.sleep(0.4)  # and its lease ends
            assert (await store.agent("agent101")).state is AgentState.ON_CALL
            assert (await store.agent("agent102")).state is AgentState.OFFERED
            async with Distributor(store, rig.bridge, old.bus, queues=queues) as new:
                await rig.bridge.resync()
                reoffer = await rig.next(CallOffered, lambda e: e.call_id == ringing.uniqueid)
                outcomes = [await talking.wait(), await ringing.wait()]
                await eventually(lambda: new.counts["answered"] == 2, within=5)
                ends = {e.call_id: (e.outcome, e.agent_id) for e in rig.of(CallEnded)}
                wrapped = [e for e in rig.of(AgentStateChanged)
                           if e.agent_id == "agent101" and e.state == AgentState.WRAP_UP]
                states = {a.agent_id: a.state for a in await store.agents()}
    finally:
        await store.close()
    assert reoffer.agent_id == "agent102"
    assert outcomes == [CallOutcome.ANSWERED, CallOutcome.ANSWERED]
    assert ends == {talking.uniqueid: ("answered", "agent101"),
                    ringing.uniqueid: ("answered", "agent102")}
    assert rig.sim.stats.double_offers == 0
    assert wrapped and wrapped[0].call_id == talking.uniqueid  # followed to the hang-up
    assert states["agent101"] in (AgentState.WRAP_UP, AgentState.AVAILABLE)


async def test_a_call_bridged_after_its_process_died_is_followed_never_cut(
        tmp_path, redis_url) -> None:
    """The dead process offered the call; the agent answered after it died: the store says
    offered, Asterisk says bridged. The new process follows the call (no hang-up) and
    closes it answered when the caller leaves."""
    store = RedisStore.from_url(redis_url, prefix=f"takeover-{uuid.uuid4().hex}:")
    queues = {"support": QueueDefinition("support", wrap_up_seconds=0.1)}
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.3, talk_seconds=None)}
    try:
        async with acd_rig(tmp_path, queues=queues, agents=agents, store=store,
                           lease_seconds=0.3) as rig:
            old = rig.acd
            await old.register_agent(AgentProfile("agent101", "SIP/agent101", {"support": 0}))
            await old.login("agent101")
            call = rig.sim.place_call(ScriptedCaller(answers=(KEYS["support"],),
                                                     talk_seconds=1.5))
            await rig.next(CallOffered, lambda e: e.call_id == call.uniqueid)
            await old.__aexit__(None, None, None)  # dies while the agent's phone rings
            await eventually(lambda: call.answered, within=5)
            await asyncio.sleep(0.4)  # its lease ends
            async with Distributor(store, rig.bridge, old.bus, queues=queues) as new:
                await rig.bridge.resync()
                connected = await rig.next(CallConnected)
                assert (await store.agent("agent101")).state is AgentState.ON_CALL
                assert await call.wait() is CallOutcome.ANSWERED
                ended = await rig.next(CallEnded)
                await eventually(lambda: new.counts["answered"] == 1)
    finally:
        await store.close()
    assert (connected.call_id, connected.agent_id) == (call.uniqueid, "agent101")
    assert (ended.call_id, ended.outcome, ended.agent_id) == (call.uniqueid, "answered",
                                                              "agent101")
    assert call.caller.talk_seconds == 1.5 and rig.sim.stats.double_offers == 0


async def test_a_restart_that_lost_the_memory_store_follows_the_bridged_calls(
        tmp_path) -> None:
    """Nothing of the old process survives; Asterisk shows the agent's phone bridged to a
    queued caller: the agent is on that call (not offered another while talking, not able
    to go available), and the call ends answered, the agent wrapping up, then available."""
    queues = {"support": QueueDefinition("support", wrap_up_seconds=0.1)}
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=None)}
    profile = AgentProfile("agent101", "SIP/agent101", {"support": 0})
    async with acd_rig(tmp_path, queues=queues, agents=agents) as rig:
        await rig.acd.register_agent(profile)
        await rig.acd.login("agent101")
        talking = rig.sim.place_call(ScriptedCaller(answers=(KEYS["support"],),
                                                    talk_seconds=1.0))
        await rig.next(CallConnected)
        await rig.acd.__aexit__(None, None, None)  # the process and its memory store die
        waiting = rig.sim.place_call(ScriptedCaller(number="+14155550199",
                                                    answers=(KEYS["support"],)))
        await eventually(lambda: waiting.phase == "waiting", within=5)
        async with Distributor(MemoryStore(), rig.bridge, rig.acd.bus, queues=queues) as new:
            await new.register_agent(profile)
            await rig.bridge.resync()
            connected = await rig.next(CallConnected)
            with pytest.raises(InvalidTransition):
                await new.login("agent101")  # on a call: not available for another
            ended = await rig.next(CallEnded)
            await rig.next(CallConnected, lambda e: e.call_id == waiting.uniqueid)
            assert rig.sim.stats.busy_rings == 0 and waiting.caller.number == "+14155550199"
    assert (connected.call_id, connected.agent_id) == (talking.uniqueid, "agent101")
    assert (ended.call_id, ended.outcome) == (talking.uniqueid, "answered")
    assert [e.state for e in rig.of(AgentStateChanged) if e.agent_id == "agent101"][-5:] == [
        AgentState.ON_CALL, AgentState.WRAP_UP, AgentState.AVAILABLE, AgentState.OFFERED,
        AgentState.ON_CALL]  # found on the call, then free only once it ended


async def test_a_call_that_ended_while_no_process_followed_it_is_closed_answered(
        tmp_path, redis_url) -> None:
    """The store says the agent talks; Asterisk has neither leg any more: the call ended
    unseen. Its record closes as answered and the agent wraps up, then is free."""
    store = RedisStore.from_url(redis_url, prefix=f"takeover-{uuid.uuid4().hex}:")
    queues = {"support": QueueDefinition("support", wrap_up_seconds=0.1)}
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=None)}
    try:
        async with acd_rig(tmp_path, queues=queues, agents=agents, store=store,
                           lease_seconds=0.3) as rig:
            old = rig.acd
            await old.register_agent(AgentProfile("agent101", "SIP/agent101", {"support": 0}))
            await old.login("agent101")
            call = rig.sim.place_call(ScriptedCaller(answers=(KEYS["support"],),
                                                     talk_seconds=0.3))
            await rig.next(CallConnected)
            await old.__aexit__(None, None, None)
            assert await call.wait() is CallOutcome.ANSWERED  # while nobody followed it
            await asyncio.sleep(0.4)
            # the call's queue is gone with it: the default wrap-up time applies
            async with Distributor(store, rig.bridge, old.bus, queues=queues,
                                   wrap_up_seconds=0.1):
                await rig.bridge.resync()
                ended = await rig.next(CallEnded)
                await eventually(lambda: any(e.state == AgentState.AVAILABLE for e in
                                        rig.of(AgentStateChanged)[-1:]), within=5)
    finally:
        await store.close()
    assert (ended.call_id, ended.outcome, ended.agent_id) == (call.uniqueid, "answered",
                                                              "agent101")
