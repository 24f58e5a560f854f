"""Routing (pure): which waiting call goes to which agent.

Calls are served by priority (higher first), then by entry time (oldest first); a call
that comes back after a ring-no-answer keeps its entry time, so it is at the head again.
The agent is the longest idle among available agents in the call's queue, lowest penalty
tier first, who have every skill the call needs at the level it needs. With aging, a
call gains one priority step per `aging_seconds` waited in its queue, so low priority
cannot starve. These functions are the reference both queue stores must match.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from contactcenter.acd.agents import Agent, AgentState


@dataclass(frozen=True)
class WaitingCall:
    call_id: str
    channel: str
    queue: str
    entered_at: float
    priority: int = 0
    caller_num: str = ""
    caller_name: str = ""
    skills: Mapping[str, int] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)
    ivr_path: str = ""
    callback: str = ""  # a queued callback: the number to call; the caller's channel is gone


def changed_call(call: WaitingCall, queue: str | None = None, priority: int | None = None,
                 entered_at: float | None = None) -> WaitingCall:
    """The call with what is given changed and the rest kept (a supervisor's act)."""
    return replace(call, queue=call.queue if queue is None else queue,
                   priority=call.priority if priority is None else priority,
                   entered_at=call.entered_at if entered_at is None else entered_at)


def effective_priority(priority: int, entered_at: float, at: float,
                       aging_seconds: float) -> int:
    """`priority` plus one step per `aging_seconds` waited at `at` (0: no aging)."""
    if aging_seconds > 0 and at > entered_at:
        return priority + math.floor((at - entered_at) / aging_seconds)
    return priority


def call_order(call: WaitingCall, at: float = 0.0,
               aging: Mapping[str, float] | None = None) -> tuple[int, float, str]:
    """Service order at `at`; `aging` maps a queue to its aging_seconds."""
    step = aging.get(call.queue, 0.0) if aging else 0.0
    return (-effective_priority(call.priority, call.entered_at, at, step), call.entered_at,
            call.call_id)


def agent_order(agent: Agent, queue: str) -> tuple[int, float, str]:
    """Who goes first among a queue's agents: lowest penalty tier, then longest idle."""
    return (agent.profile.queues[queue], agent.idle_since, agent.agent_id)


def has_skills(skills: Mapping[str, int], needs: Mapping[str, int]) -> bool:
    return all(skills.get(skill, -1) >= level for skill, level in needs.items())


def qualified(agent: Agent, call: WaitingCall) -> bool:
    return call.queue in agent.profile.queues and has_skills(agent.profile.skills, call.skills)


def pick_agent(call: WaitingCall, agents: Iterable[Agent]) -> Agent | None:
    """The longest-idle available agent qualified for the call, lowest penalty first."""
    candidates = [a for a in agents if a.state is AgentState.AVAILABLE and qualified(a, call)]
    if not candidates:
        return None
    return min(candidates, key=lambda a: agent_order(a, call.queue))


def next_offer(calls: Iterable[WaitingCall], agents: Iterable[Agent], at: float = 0.0,
               aging: Mapping[str, float] | None = None) -> tuple[WaitingCall, Agent] | None:
    """The first call, in service order at `at`, that has a qualified available agent."""
    available = [a for a in agents if a.state is AgentState.AVAILABLE]
    if not available:
        return None
    for call in sorted(calls, key=lambda c: call_order(c, at, aging)):
        agent = pick_agent(call, available)
        if agent is not None:
            return call, agent
    return None


def position(calls: Iterable[WaitingCall], call_id: str) -> int | None:
    """1-based place of a call among the calls of its queue, or None if not waiting."""
    calls = list(calls)
    target = next((c for c in calls if c.call_id == call_id), None)
    if target is None:
        return None
    ahead = [c for c in calls if c.queue == target.queue and call_order(c) < call_order(target)]
    return len(ahead) + 1


def estimated_wait(place: int, average_handle_s: float, agents_serving: int) -> float:
    """Seconds until a caller at `place` is likely served: work ahead over agents."""
    return place * average_handle_s / max(agents_serving, 1)


def queue_figures(calls: Mapping[str, WaitingCall], agents: Mapping[str, Agent],
                  now: float) -> dict[str, dict[str, object]]:
    """Per queue: calls waiting, longest wait, agents by state (for the wallboard)."""
    figures: dict[str, dict[str, object]] = {}
    queues = {c.queue for c in calls.values()}
    queues |= {q for a in agents.values() for q in a.profile.queues}
    for queue in sorted(queues):
        waiting = [c for c in calls.values() if c.queue == queue]
        members = [a for a in agents.values() if queue in a.profile.queues]
        figures[queue] = {
            "waiting": len(waiting),
            "longest_wait_s": round(max((now - c.entered_at for c in waiting), default=0.0), 1),
            "agents": {state.value: sum(1 for a in members if a.state is state)
                       for state in AgentState},
        }
    return figures
