"""A distributor that starts on a Redis store another process left behind (it died mid-call)
takes its offers over at the resync: the agent still ringing has that leg hung up and the
call goes back to the head of its queue, the agent still talking is followed to the hang-up
and wraps up; no call is lost and none rings two agents at once."""

from __future__ import annotations

import asyncio
import uuid

from contactcenter.acd.agents import AgentProfile, AgentState
from contactcenter.acd.distributor import Distributor
from contactcenter.acd.events import AgentStateChanged, CallConnected, CallEnded, CallOffered
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
