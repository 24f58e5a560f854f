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


@dataclass(frozen=True)
class Verdict:
    """One other agent or call at an offer, and why it was not the one chosen."""

    id: str
    eligible: bool  # an agent who could have taken the call; a call an agent could take
    why: str


@dataclass(frozen=True)
class OfferExplanation:
    """Why this call and this agent ("why this agent?"): the rule applied, the call's
    place (priority, aging, entry time), the agent's (penalty tier, idle time, skills),
    and every other agent and waiting call with the reason it lost."""

    call_id: str
    queue: str
    agent_id: str
    at: float
    priority: int
    effective_priority: int  # with aging
    aging_seconds: float
    entered_at: float
    waited_s: float
    skills_needed: Mapping[str, int]
    penalty: int
    idle_s: float
    agent_skills: Mapping[str, int]
    rule: str
    agents: tuple[Verdict, ...]
    calls: tuple[Verdict, ...]


RULE = ("calls by priority (with aging), then entry time; agents available in the queue "
        "with the skills it needs, lowest penalty tier first, then longest idle")
CALLS_EXPLAINED = 20  # other waiting calls listed, first in service order


def explain_offer(call: WaitingCall, agent: Agent, calls: Iterable[WaitingCall],
                  agents: Iterable[Agent], at: float,
                  aging: Mapping[str, float] | None = None) -> OfferExplanation:
    """Why next_offer gave `call` to `agent` at `at`, against the other `calls` waiting
    and `agents` (as they were: the chosen pair is left out of both)."""
    step = aging.get(call.queue, 0.0) if aging else 0.0
    others = [a for a in agents if a.agent_id != agent.agent_id]
    waiting = sorted((c for c in calls if c.call_id != call.call_id),
                     key=lambda c: call_order(c, at, aging))[:CALLS_EXPLAINED]
    return OfferExplanation(
        call.call_id, call.queue, agent.agent_id, at, call.priority,
        effective_priority(call.priority, call.entered_at, at, step), step, call.entered_at,
        round(max(0.0, at - call.entered_at), 3), dict(call.skills),
        agent.profile.queues.get(call.queue, 0), round(max(0.0, at - agent.idle_since), 3),
        dict(agent.profile.skills), RULE,
        tuple(_agent_verdict(a, agent, call, at) for a in sorted(others,
                                                                  key=lambda a: a.agent_id)),
        tuple(_call_verdict(c, call, agent, others, at, aging) for c in waiting))


def _agent_verdict(other: Agent, chosen: Agent, call: WaitingCall, at: float) -> Verdict:
    name = other.agent_id
    if call.queue not in other.profile.queues:
        return Verdict(name, False, f"not in queue {call.queue}")
    if other.state is not AgentState.AVAILABLE:
        state = f"{other.state.value} ({other.reason})" if other.reason else other.state.value
        return Verdict(name, False, f"not available: {state}")
    missing = _missing_skills(other.profile.skills, call.skills)
    if missing:
        return Verdict(name, False, f"lacks {missing}")
    tier, chosen_tier = other.profile.queues[call.queue], chosen.profile.queues[call.queue]
    if tier != chosen_tier:
        return Verdict(name, True, f"penalty tier {tier}, after {chosen.agent_id}'s "
                                   f"{chosen_tier}")
    return Verdict(name, True, f"same tier, idle {max(0.0, at - other.idle_since):.0f} s, "
                               f"less than {chosen.agent_id}'s "
                               f"{max(0.0, at - chosen.idle_since):.0f} s")


def _call_verdict(other: WaitingCall, chosen: WaitingCall, agent: Agent,
                  agents: list[Agent], at: float,
                  aging: Mapping[str, float] | None) -> Verdict:
    """A call behind the chosen one lost on order; one ahead had no agent who could take
    it (the chosen agent among them)."""
    name = other.call_id
    step = aging.get(other.queue, 0.0) if aging else 0.0
    mine = effective_priority(other.priority, other.entered_at, at, step)
    if call_order(other, at, aging) > call_order(chosen, at, aging):
        chosen_step = aging.get(chosen.queue, 0.0) if aging else 0.0
        theirs = effective_priority(chosen.priority, chosen.entered_at, at, chosen_step)
        if mine != theirs:
            return Verdict(name, qualified(agent, other), f"priority {mine}, lower than "
                                                          f"{chosen.call_id}'s {theirs}")
        later = other.entered_at - chosen.entered_at
        return Verdict(name, qualified(agent, other),
                       f"same priority {mine}, entered {later:.1f} s later")
    if other.queue not in agent.profile.queues:
        why = f"ahead, in queue {other.queue}, which {agent.agent_id} does not serve"
    elif (missing := _missing_skills(agent.profile.skills, other.skills)):
        why = f"ahead, but {agent.agent_id} lacks {missing}"
    else:
        why = "ahead, but no agent was free for it"
    takers = [a.agent_id for a in agents if a.state is AgentState.AVAILABLE
              and qualified(a, other)]
    return Verdict(name, bool(takers), why)


def _missing_skills(skills: Mapping[str, int], needs: Mapping[str, int]) -> str:
    return ", ".join(f"{skill} {level} (has {skills[skill]})" if skill in skills
                     else f"{skill} {level}"
                     for skill, level in sorted(needs.items())
                     if skills.get(skill, -1) < level)
