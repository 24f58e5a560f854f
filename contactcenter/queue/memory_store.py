"""The memory store: one process, no awaits inside an operation, so each is atomic."""

from __future__ import annotations

from contactcenter.acd.agents import Agent, AgentState, transition
from contactcenter.acd.routing import WaitingCall, next_offer


class MemoryStore:
    def __init__(self) -> None:
        self._waiting: dict[str, WaitingCall] = {}
        self._offered: dict[str, tuple[WaitingCall, str]] = {}
        self._agents: dict[str, Agent] = {}

    async def add_call(self, call: WaitingCall) -> bool:
        if call.call_id in self._waiting or call.call_id in self._offered:
            return False
        self._waiting[call.call_id] = call
        return True

    async def remove_call(self, call_id: str) -> WaitingCall | None:
        call = self._waiting.pop(call_id, None)
        if call is None and call_id in self._offered:
            call = self._offered.pop(call_id)[0]
        return call

    async def waiting(self) -> list[WaitingCall]:
        return list(self._waiting.values())

    async def offered(self) -> dict[str, tuple[WaitingCall, str]]:
        return dict(self._offered)

    async def put_agent(self, agent: Agent) -> None:
        self._agents[agent.agent_id] = agent

    async def agent(self, agent_id: str) -> Agent | None:
        return self._agents.get(agent_id)

    async def agents(self) -> list[Agent]:
        return list(self._agents.values())

    async def offer_next(self, at: float) -> tuple[WaitingCall, Agent] | None:
        pair = next_offer(self._waiting.values(), self._agents.values())
        if pair is None:
            return None
        call, agent = pair
        agent = transition(agent, AgentState.OFFERED, at, call_id=call.call_id)
        del self._waiting[call.call_id]
        self._offered[call.call_id] = (call, agent.agent_id)
        self._agents[agent.agent_id] = agent
        return call, agent

    async def return_to_queue(self, call_id: str) -> WaitingCall | None:
        if call_id not in self._offered:
            return None
        call, _ = self._offered.pop(call_id)
        self._waiting[call_id] = call
        return call

    async def settle(self, call_id: str) -> WaitingCall | None:
        found = self._offered.pop(call_id, None)
        return found[0] if found else None
