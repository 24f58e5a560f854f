"""A store that fails at the wrong moment: a timer's work is tried again until it is done
(a wrap-up that failed once used to leave its agent in wrap-up for good), and runs even
when the wrap-up's own write lost its reply; a call whose connect the store failed ends
answered all the same, once."""

from __future__ import annotations

import asyncio

from contactcenter.acd.agents import AgentProfile, AgentState
from contactcenter.acd.events import AgentStateChanged, CallConnected, CallEnded
from contactcenter.cti.events import Resynced
from contactcenter.errors import StoreError
from contactcenter.queue.memory_store import MemoryStore
from contactcenter.queue_config import QueueDefinition
from contactcenter.sim import ScriptedAgent, ScriptedCaller
from tests.acd.conftest import KEYS, acd_rig


class FlakyStore(MemoryStore):
    """Fails the next `failures` agent reads once armed."""

    failures = 0

    async def agent(self, agent_id: str):  # type: ignore[no-untyped-def]
        if self.failures:
            self.failures -= 1
            raise StoreError("Redis agent failed: Timeout reading from socket")
        return await super().agent(agent_id)


async def test_a_wrap_up_whose_store_failed_ends_all_the_same(tmp_path) -> None:
    store = FlakyStore()
    queues = {"support": QueueDefinition("support", wrap_up_seconds=0.5)}
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.1)}
    async with acd_rig(tmp_path, agents=agents, queues=queues, store=store) as rig:
        await rig.acd.register_agent(AgentProfile("agent101", "SIP/agent101", {"support": 0}))
        await rig.acd.login("agent101")
        rig.sim.place_call(ScriptedCaller(answers=(KEYS["support"],)))
        await rig.next(CallEnded)
        await rig.next(AgentStateChanged, lambda e: e.state == AgentState.WRAP_UP)
        store.failures = 3  # the wrap-up's end reads the agent: fails three times
        available = await rig.next(AgentStateChanged,
                                   lambda e: e.state == AgentState.AVAILABLE, within=10)
    assert available.agent_id == "agent101" and store.failures == 0


class SettleFails(MemoryStore):
    """The store fails the next `fail_settle` settles (they never take place)."""

    fail_settle = 0

    async def settle(self, call_id: str):  # type: ignore[no-untyped-def]
        if self.fail_settle:
            self.fail_settle -= 1
            raise StoreError("Redis _release_call failed: Connection refused")
        return await super().settle(call_id)


async def test_a_call_whose_connect_the_store_failed_still_ends_answered_once(
        tmp_path) -> None:
    """The bridge is a fact: CallConnected is published; the call's end catches the store
    up (the call settled, the agent on call, then wrapping up). Should the end's settle
    fail too, the check finds the offer stale (its agent moved on): forgotten, not closed
    again as abandoned."""
    store = SettleFails()
    queues = {"support": QueueDefinition("support", wrap_up_seconds=0.05)}
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.3)}
    async with acd_rig(tmp_path, agents=agents, queues=queues, store=store) as rig:
        await rig.acd.register_agent(AgentProfile("agent101", "SIP/agent101", {"support": 0}))
        await rig.acd.login("agent101")
        store.fail_settle = 2  # as the call connects, and as it ends
        call = rig.sim.place_call(ScriptedCaller(answers=(KEYS["support"],)))
        connected = await rig.next(CallConnected)
        ended = await rig.next(CallEnded)
        await rig.next(AgentStateChanged, lambda e: e.state == AgentState.AVAILABLE)
        await rig.bridge.resync()
        await rig.next(Resynced)
        await asyncio.sleep(0.2)  # the distributor applies it
        offered = await store.offered()
    assert store.fail_settle == 0 and offered == {}
    assert connected.call_id == ended.call_id == call.uniqueid
    assert [(e.call_id, e.outcome) for e in rig.of(CallEnded)] == [(call.uniqueid,
                                                                     "answered")]
    states = [e.state for e in rig.of(AgentStateChanged)]
    assert AgentState.WRAP_UP in states


class WrapUpReplyLost(MemoryStore):
    """Writes the agent's wrap-up, then fails as if its reply were lost."""

    async def put_agent(self, agent):  # type: ignore[no-untyped-def]
        stored = await super().put_agent(agent)
        if agent.state is AgentState.WRAP_UP:
            raise StoreError("Redis put_agent failed: Connection reset by peer")
        return stored


async def test_a_wrap_up_whose_write_lost_its_reply_still_ends_on_time(tmp_path) -> None:
    queues = {"support": QueueDefinition("support", wrap_up_seconds=0.05)}
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.1)}
    async with acd_rig(tmp_path, agents=agents, queues=queues,
                       store=WrapUpReplyLost()) as rig:
        await rig.acd.register_agent(AgentProfile("agent101", "SIP/agent101", {"support": 0}))
        await rig.acd.login("agent101")
        rig.sim.place_call(ScriptedCaller(answers=(KEYS["support"],)))
        await rig.next(CallEnded)
        available = await rig.next(AgentStateChanged,
                                   lambda e: e.state == AgentState.AVAILABLE, within=3)
    assert available.agent_id == "agent101"
