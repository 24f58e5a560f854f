"""The memory store: one process, no awaits inside an operation, so each is atomic.

Indexed so that a routing decision reads a few line heads and the queue's available agents
instead of sorting every waiting call: the same search as the Redis store's offer script,
with the answer routing.next_offer gives. The heads of the lines whose queue has an
available agent are kept per base priority and aging step, oldest first: within one such
group that is service order at any time (the older call has aged as much or more), so a
decision reads about one head per group, not one per line (1,500 with 500 queues).
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
Order = tuple[int, float, str]  # routing.call_order
Best = tuple[Order, str, str]  # the best decision so far: order, call_id, agent_id


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
        # (priority, aging step) -> (entered_at, call_id, queue) of each line head whose
        # queue has an available agent, oldest first
        self._ready: dict[tuple[int, float], SortedList] = {}
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
        """Per group of the ready index, its heads in order while they come before the best
        so far; from each, its line's first call that a qualified agent can take (a head
        may need skills no available agent has). The best of those in routing.call_order."""
        best: Best | None = None
        for priority, step in sorted(self._ready, reverse=True):
            for entered_at, call_id, queue in self._ready[priority, step]:
                if best is not None and _order(priority, entered_at, call_id, at,
                                               step) >= best[0]:
                    break  # the rest of this group comes later still
                best = self._first_served(queue, priority, at, best) or best
        if best is None:
            return None
        _, call_id, agent_id = best
        call = self._dequeue(call_id)
        current = self._agents[agent_id]
        agent = self._put(replace(transition(current, AgentState.OFFERED, at, call_id=call_id,
                                             owner=owner), rev=current.rev + 1))
        self._offered[call_id] = (call, agent_id)
        return call, agent

    def _first_served(self, queue: str, priority: int, at: float,
                      best: Best | None) -> Best | None:
        """The first call of a line that a qualified agent can take, if before `best`."""
        step = self._aging.get(queue, 0.0)
        available = self._available[queue]
        for entered_at, call_id in self._lines[queue][priority]:
            order = _order(priority, entered_at, call_id, at, step)
            if best is not None and order >= best[0]:
                return None  # the rest of this line comes later still
            agent_id = self._agent_for(self._waiting[call_id], available)
            if agent_id is not None:
                return order, call_id, agent_id
        return None

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
        line = self._lines.setdefault(call.queue, {}).setdefault(call.priority, SortedList())
        head = line[0] if line else None
        line.add((call.entered_at, call.call_id))
        self._head_moved(call.queue, call.priority, head)

    def _dequeue(self, call_id: str) -> WaitingCall:
        call = self._waiting.pop(call_id)
        lines = self._lines[call.queue]
        head = lines[call.priority][0]
        _discard(lines, call.priority, (call.entered_at, call_id))
        self._head_moved(call.queue, call.priority, head)
        if not lines:
            del self._lines[call.queue]
        return call

    def _head_moved(self, queue: str, priority: int, old: tuple[float, str] | None) -> None:
        """Keep the ready index after a line changed whose head was `old`."""
        line = self._lines[queue].get(priority)
        new = line[0] if line else None
        if new != old and queue in self._available:
            group = (priority, self._aging.get(queue, 0.0))
            if old is not None:
                _discard(self._ready, group, (*old, queue))
            if new is not None:
                self._ready.setdefault(group, SortedList()).add((*new, queue))

    def _set_ready(self, queue: str, ready: bool) -> None:
        """A queue's line heads join the ready index (its first agent is available) or
        leave it (its last is not)."""
        step = self._aging.get(queue, 0.0)
        for priority, line in self._lines.get(queue, {}).items():
            if ready:
                self._ready.setdefault((priority, step), SortedList()).add((*line[0], queue))
            else:
                _discard(self._ready, (priority, step), (*line[0], queue))

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
                if queue not in self._available:
                    self._set_ready(queue, False)
        self._agents[agent.agent_id] = agent
        if agent.state is AgentState.AVAILABLE:
            for queue in agent.profile.queues:
                if queue not in self._available:
                    self._available[queue] = SortedList()
                    self._set_ready(queue, True)
                self._available[queue].add(agent_order(agent, queue))
        return agent


def _order(priority: int, entered_at: float, call_id: str, at: float, step: float) -> Order:
    """routing.call_order of a call of base `priority` in a queue aging by `step`."""
    return (-effective_priority(priority, entered_at, at, step), entered_at, call_id)


def _discard(index: dict[Any, SortedList], key: Any, entry: tuple[Any, ...]) -> None:
    """Take `entry` out of index[key], and the key out of the index once empty."""
    entries = index[key]
    entries.remove(entry)
    if not entries:
        del index[key]
