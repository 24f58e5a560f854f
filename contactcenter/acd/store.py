"""The queue store interface: queue order, agent states and offers.

An offer is atomic in every implementation: it takes the call out of the queue and
reserves the agent in one step, so a call is never offered twice and an agent never holds
two offers. Agent writes are conditional on the revision read, so two processes (or a
stale decision) never overwrite each other. Processes keep a heartbeat lease; an agent
follows its owner's lease, and what a dead owner left is adopted by a live one. The memory
store serves one process; a Redis store (several processes) keeps the same contract.
"""

from __future__ import annotations

from typing import Protocol

from contactcenter.acd.agents import Agent
from contactcenter.acd.routing import WaitingCall


class QueueStore(Protocol):
    async def add_call(self, call: WaitingCall, entry: str = "") -> bool:
        """Queue a call; False if a call with that id is already held (waiting or offered),
        or if its queue-entry token `entry` (CC_ENTRY, acd/entry.py) joined already, even
        if that call was served since: one entry joins once, across processes."""

    async def remove_call(self, call_id: str) -> WaitingCall | None:
        """Forget a waiting or offered call; the call, or None if unknown."""

    async def abandon(self, call_id: str) -> WaitingCall | None:
        """Forget a call only if it is waiting (an offered one is its offerer's to end)."""

    async def waiting(self) -> list[WaitingCall]: ...

    async def update_waiting(self, call_id: str, *, queue: str | None = None,
                             priority: int | None = None,
                             entered_at: float | None = None) -> WaitingCall | None:
        """Atomically change a waiting call's queue, priority or entry time (None: kept),
        which takes its new place in the service order at once; the call as stored, or
        None when it is not waiting (offered, or gone): then nothing changes."""

    async def offered(self) -> dict[str, tuple[WaitingCall, str]]:
        """call_id -> (call, agent_id) for calls offered and not yet settled."""

    async def put_agent(self, agent: Agent) -> Agent:
        """Write the agent if the stored record is still revision `agent.rev` (0: none
        stored yet); the agent as stored (rev + 1). StoreConflict otherwise."""

    async def agent(self, agent_id: str) -> Agent | None: ...

    async def agents(self) -> list[Agent]: ...

    async def offer_next(self, at: float, owner: str = "") -> tuple[WaitingCall, Agent] | None:
        """Atomically: the next (call, agent) pair, the call moved to offered and the agent
        to OFFERED at `at`, followed by `owner`."""

    async def return_to_queue(self, call_id: str) -> WaitingCall | None:
        """An offered call goes back to waiting, with its original entry time."""

    async def settle(self, call_id: str) -> WaitingCall | None:
        """An offered call was answered: it leaves the store."""

    async def heartbeat(self, owner: str, ttl_s: float) -> None:
        """`owner` (a platform process) is alive for ttl_s more seconds."""

    async def live_owners(self) -> set[str]:
        """The processes whose heartbeat has not expired."""
