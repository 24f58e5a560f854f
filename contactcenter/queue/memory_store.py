"""The memory store: one process, no awaits inside an operation, so each is atomic.

Indexed so that a routing decision reads the heads of each queue's priority lines and the
queue's available agents instead of sorting every waiting call: the same search as the
Redis store's offer script, with the answer routing.next_offer gives.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sortedcontainers import SortedList

from contactcenter.acd.agents import Agent, AgentState, transition
from contactcenter.acd.routing import (
    WaitingCall,
    agent_order,
    changed_call,
    effective_priority,
    has_skills,
)
from contactcenter.errors import StoreConflict

ENTRIES_KEPT_S = 86400.0  # an entry token is remembered a day (as the Redis store's)


class MemoryStore:
    """`aging` maps a queue to its aging_seconds (routing.effective_priority)."""

    def __init__(self, aging: Mapping[str, float] | None = None) -> None:
        self._aging = {queue: step for queue, step in (aging or {}).items() if step > 0}
        self._waiting: dict[str, WaitingCall] = {}
        self._offered: dict[str, tuple[WaitingCall, str]] = {}
        self._agents: dict[str, Agent] = {}
        # queue -> priority -> (entered_at, call_id), oldest first
        self._lines: dict[str, dict[int, SortedList]] = {}
        # queue -> routing.agent_order of its available agents, first choice first
        self._available: dict[str, SortedList] = {}
        self._leases: dict[str, float] = {}  # owner -> monotonic time its lease ends
        # call_id -> (the last entry token that joined, monotonic time), oldest first
        self._entries: OrderedDict[str, tuple[str, float]] = OrderedDict()

    async def add_call(self, call: WaitingCall, entry: str = "") -> bool:
        if call.call_id in self._waiting or call.call_id in self._offered:
            return False
        if entry:
            if self._entries.get(call.call_id, ("", 0.0))[0] == entry:
                return False
            now = time.monotonic()
            self._entries.pop(call.call_id, None)
            self._entries[call.call_id] = (entry, now)
            while next(iter(self._entries.values()))[1] < now - ENTRIES_KEPT_S:
                self._entries.popitem(last=False)
        self._enqueue(call)
        return True

    async def remove_call(self, call_id: str) -> WaitingCall | None:
        if call_id in self._waiting:
            return self._dequeue(call_id)
        found = self._offered.pop(call_id, None)
        return found[0] if found else None

    async def abandon(self, call_id: str) -> WaitingCall | None:
        return self._dequeue(call_id) if call_id in self._waiting else None

    async def waiting(self) -> list[WaitingCall]:
        return list(self._waiting.values())

    async def offered(self) -> dict[str, tuple[WaitingCall, str]]:
        return dict(self._offered)

    async def update_waiting(self, call_id: str, *, queue: str | None = None,
                             priority: int | None = None,
                             entered_at: float | None = None) -> WaitingCall | None:
        if call_id not in self._waiting:
            return None
        changed = changed_call(self._dequeue(call_id), queue, priority, entered_at)
        self._enqueue(changed)
        return changed

    async def put_agent(self, agent: Agent) -> Agent:
        stored = self._agents.get(agent.agent_id)
        if (stored.rev if stored else 0) != agent.rev:
            raise StoreConflict(f"agent {agent.agent_id} changed since revision {agent.rev}")
        return self._put(replace(agent, rev=agent.rev + 1))

    async def agent(self, agent_id: str) -> Agent | None:
        return self._agents.get(agent_id)

    async def agents(self) -> list[Agent]:
        return list(self._agents.values())

    async def offer_next(self, at: float, owner: str = "") -> tuple[WaitingCall, Agent] | None:
        """Per queue with an available agent, per priority, the first call in entry order
        that a qualified agent can take; the best of those in routing.call_order."""
        best: tuple[tuple[int, float, str], str, str] | None = None
        for queue, available in self._available.items():
            step = self._aging.get(queue, 0.0)
            for priority, line in self._lines.get(queue, {}).items():
                for entered_at, call_id in line:
                    order = (-effective_priority(priority, entered_at, at, step), entered_at,
                             call_id)
                    if best is not None and order >= best[0]:
                        break  # the rest of this line comes later still
                    agent_id = self._agent_for(self._waiting[call_id], available)
                    if agent_id is not None:
                        best = (order, call_id, agent_id)
                        break
        if best is None:
            return None
        _, call_id, agent_id = best
        call = self._dequeue(call_id)
        current = self._agents[agent_id]
        agent = self._put(replace(transition(current, AgentState.OFFERED, at, call_id=call_id,
                                             owner=owner), rev=current.rev + 1))
        self._offered[call_id] = (call, agent_id)
        return call, agent

    async def return_to_queue(self, call_id: str) -> WaitingCall | None:
        if call_id not in self._offered:
            return None
        call, _ = self._offered.pop(call_id)
        self._enqueue(call)
        return call

    async def settle(self, call_id: str) -> WaitingCall | None:
        found = self._offered.pop(call_id, None)
        return found[0] if found else None

    def _agent_for(self, call: WaitingCall, available: SortedList) -> str | None:
        if not call.skills:
            return available[0][-1]
        return next((agent_id for *_, agent_id in available
                     if has_skills(self._agents[agent_id].profile.skills, call.skills)), None)

    def _enqueue(self, call: WaitingCall) -> None:
        self._waiting[call.call_id] = call
        lines = self._lines.setdefault(call.queue, {})
        lines.setdefault(call.priority, SortedList()).add((call.entered_at, call.call_id))

    def _dequeue(self, call_id: str) -> WaitingCall:
        call = self._waiting.pop(call_id)
        lines = self._lines[call.queue]
        _discard(lines, call.priority, (call.entered_at, call_id))
        if not lines:
            del self._lines[call.queue]
        return call

    async def heartbeat(self, owner: str, ttl_s: float) -> None:
        self._leases[owner] = time.monotonic() + ttl_s

    async def live_owners(self) -> set[str]:
        now = time.monotonic()
        return {owner for owner, until in self._leases.items() if until > now}

    def _put(self, agent: Agent) -> Agent:
        old = self._agents.get(agent.agent_id)
        if old is not None and old.state is AgentState.AVAILABLE:
            for queue in old.profile.queues:
                _discard(self._available, queue, agent_order(old, queue))
        self._agents[agent.agent_id] = agent
        if agent.state is AgentState.AVAILABLE:
            for queue in agent.profile.queues:
                self._available.setdefault(queue, SortedList()).add(agent_order(agent, queue))
        return agent


def _discard(index: dict[Any, SortedList], key: Any, entry: tuple[Any, ...]) -> None:
    """Take `entry` out of index[key], and the key out of the index once empty."""
    entries = index[key]
    entries.remove(entry)
    if not entries:
        del index[key]
