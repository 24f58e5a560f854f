"""The estimated wait a caller is told (pure): the routing played forward from now.

Place × handle time ÷ the queue's agents assumes the queue has its agents to itself and
that they all free up evenly from now. Neither holds in a contact centre: agents serve
several queues (a call of another queue, ahead in the service order, takes the agent
first), some are paused, and an agent twenty seconds into a call frees up sooner than one
who has just answered. So each agent who could take a call gets the moment they are likely
free (now if available; the end of their current call or wrap-up, from the queue's recent
handle time; paused and logged-out agents never), and the calls ahead of the caller, in
service order across every queue, go to whoever frees up first and is qualified, just as
acd/routing.py's next_offer would give them out; each call keeps its agent for its
queue's handle time. The caller's estimate is when an agent comes to them.

Calls that join later at a higher priority, abandons and aging during the wait are not
foreseen (the next announcement sees them). bench/ewt.py measures the result.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from contactcenter.acd.agents import Agent, AgentState
from contactcenter.acd.routing import WaitingCall, call_order, qualified

BUSY = frozenset({AgentState.OFFERED, AgentState.ON_CALL, AgentState.WRAP_UP})
SOONEST_S = 0.5  # the least share of a handle time a talking agent has left (bench/ewt.py)


@dataclass(frozen=True)
class HandleTimes:
    """Per queue, the recent mean talk + wrap-up (s) and the wrap-up; the defaults for a
    queue that has finished no call yet, or has no wrap-up of its own."""

    handle_s: Mapping[str, float]
    wrap_up_s: Mapping[str, float]
    default_handle_s: float
    default_wrap_up_s: float

    def handle(self, queue: str) -> float:
        return self.handle_s.get(queue, self.default_handle_s)

    def free_at(self, agent: Agent, queue: str, now: float) -> float:
        """When a busy `agent`, on a call of `queue`, is likely to be free: the expected end
        of the call (or wrap-up). A call near or past its mean length is not about to end
        for sure (talk times have a long tail): it has at least SOONEST_S of a handle time
        left."""
        handle = self.handle(queue)
        if agent.state is AgentState.WRAP_UP:
            end, least = agent.since + self.wrap_up_s.get(queue, self.default_wrap_up_s), 0.0
        elif agent.state is AgentState.ON_CALL:
            end, least = agent.since + handle, handle * SOONEST_S
        else:  # offered: ringing, the whole call still ahead
            end, least = now + handle, handle
        return max(end, now + least)


def estimated_wait(call_id: str, calls: Iterable[WaitingCall], agents: Iterable[Agent],
                   times: HandleTimes, now: float,
                   current: Mapping[str, str] | None = None,
                   aging: Mapping[str, float] | None = None) -> float | None:
    """Seconds until the waiting call `call_id` is likely offered to an agent, or None if it
    is not waiting. `current` maps a busy agent to the queue of their call (else their
    first queue's handle time is used); `aging` maps a queue to its aging_seconds.
    With nobody staffed who could take the call, the wait is its place times its queue's
    handle time (someone has to log in)."""
    calls = sorted(calls, key=lambda c: call_order(c, now, aging))
    target = next((c for c in calls if c.call_id == call_id), None)
    if target is None:
        return None
    ahead = calls[:calls.index(target) + 1]
    free = _agents_free_at(agents, ahead, times, now, current or {})
    lines = _lines(ahead)
    while free:
        at, _, agent = heapq.heappop(free)
        taken = _first_for(agent, lines)
        if taken is None:
            continue  # no call left this agent could take
        if taken.call_id == call_id:
            return max(0.0, at - now)
        heapq.heappush(free, (at + times.handle(taken.queue), agent.agent_id, agent))
    place = sum(c.queue == target.queue for c in ahead)
    return place * times.handle(target.queue)


def _agents_free_at(agents: Iterable[Agent], calls: list[WaitingCall], times: HandleTimes,
                    now: float, current: Mapping[str, str]) -> list[tuple[float, str, Agent]]:
    """A heap of (when free, id, agent) of the agents at work who could take one of `calls`."""
    free = []
    for agent in agents:
        if agent.state is AgentState.AVAILABLE:
            at = now
        elif agent.state in BUSY and agent.profile.queues:
            queue = current.get(agent.agent_id) or min(agent.profile.queues,
                                                       key=agent.profile.queues.__getitem__)
            at = times.free_at(agent, queue, now)
        else:
            continue  # paused or logged out
        if any(qualified(agent, call) for call in calls):
            free.append((at, agent.agent_id, agent))
    heapq.heapify(free)
    return free


Line = deque[tuple[int, WaitingCall]]  # calls that need the same of an agent, in order


def _lines(calls: list[WaitingCall]) -> list[Line]:
    """The calls (in service order, with their rank in it) grouped by what an agent must
    have to take them: the queue and the skills."""
    lines: dict[tuple[str, tuple[tuple[str, int], ...]], Line] = {}
    for rank, call in enumerate(calls):
        key = (call.queue, tuple(sorted(call.skills.items())))
        lines.setdefault(key, deque()).append((rank, call))
    return list(lines.values())


def _first_for(agent: Agent, lines: list[Line]) -> WaitingCall | None:
    """Take the first call in service order that `agent` is qualified for, if any."""
    mine = [line for line in lines if line and qualified(agent, line[0][1])]
    if not mine:
        return None
    return min(mine, key=lambda line: line[0][0]).popleft()[1]
