"""A store that fails while a timer's work is due: the work is tried again until it is
done (a wrap-up that failed once used to leave its agent in wrap-up for good)."""

from __future__ import annotations

from contactcenter.acd.agents import AgentProfile, AgentState
from contactcenter.acd.events import AgentStateChanged, CallEnded
from contactcenter.acd.queues import QueueDefinition
from contactcenter.errors import StoreError
from contactcenter.queue.memory_store import MemoryStore
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
