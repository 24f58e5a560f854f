"""The queue store interface: queue order, agent states and offers.

An offer is atomic in every implementation: it takes the call out of the queue and
reserves the agent in one step, so a call is never offered twice and an agent never holds
two offers. The memory store serves one process; a Redis store (several processes) must
keep the same contract.
"""

from __future__ import annotations

from typing import Protocol

from contactcenter.acd.agents import Agent
from contactcenter.acd.routing import WaitingCall


class QueueStore(Protocol):
    async def add_call(self, call: WaitingCall) -> bool:
        """Queue a call; False if a call with that id is already held (waiting or offered)."""

    async def remove_call(self, call_id: str) -> WaitingCall | None:
        """Forget a waiting or offered call; the call, or None if unknown."""

    async def waiting(self) -> list[WaitingCall]: ...

    async def offered(self) -> dict[str, tuple[WaitingCall, str]]:
        """call_id -> (call, agent_id) for calls offered and not yet settled."""

    async def put_agent(self, agent: Agent) -> None: ...

    async def agent(self, agent_id: str) -> Agent | None: ...

    async def agents(self) -> list[Agent]: ...

    async def offer_next(self, at: float) -> tuple[WaitingCall, Agent] | None:
        """Atomically: the next (call, agent) pair, the call moved to offered and the agent
        to OFFERED at `at`."""

    async def return_to_queue(self, call_id: str) -> WaitingCall | None:
        """An offered call goes back to waiting, with its original entry time."""

    async def settle(self, call_id: str) -> WaitingCall | None:
        """An offered call was answered: it leaves the store."""
