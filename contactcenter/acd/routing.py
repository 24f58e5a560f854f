"""Routing (pure): which waiting call goes to which agent.

Calls are served by priority (higher first), then by entry time (oldest first); a call
that comes back after a ring-no-answer keeps its entry time, so it is at the head again.
The agent is the longest idle among available agents in the call's queue, lowest penalty
tier first, who have every skill the call needs at the level it needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

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


def call_order(call: WaitingCall) -> tuple[int, float, str]:
    return (-call.priority, call.entered_at, call.call_id)


def qualified(agent: Agent, call: WaitingCall) -> bool:
    profile = agent.profile
    return call.queue in profile.queues and all(
        profile.skills.get(skill, -1) >= level for skill, level in call.skills.items())


def pick_agent(call: WaitingCall, agents: Iterable[Agent]) -> Agent | None:
    """The longest-idle available agent qualified for the call, lowest penalty first."""
    candidates = [a for a in agents if a.state is AgentState.AVAILABLE and qualified(a, call)]
    if not candidates:
        return None
    return min(candidates, key=lambda a: (a.profile.queues[call.queue], a.idle_since,
                                          a.agent_id))


def next_offer(calls: Iterable[WaitingCall],
               agents: Iterable[Agent]) -> tuple[WaitingCall, Agent] | None:
    """The first call, in service order, that has a qualified available agent."""
    available = [a for a in agents if a.state is AgentState.AVAILABLE]
    if not available:
        return None
    for call in sorted(calls, key=call_order):
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
