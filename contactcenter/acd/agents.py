"""The agent state machine (pure): which state changes are allowed, each timestamped.

logged_out -> available | paused; available -> offered | paused | logged_out;
offered -> on_call | available (caller left, agent rejected) | paused (no answer) |
logged_out; on_call -> wrap_up; wrap_up -> available | paused | logged_out;
paused -> available | logged_out. See docs/agents.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from contactcenter.errors import InvalidTransition


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    OFFERED = "offered"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


S = AgentState
TRANSITIONS: dict[AgentState, frozenset[AgentState]] = {
    S.LOGGED_OUT: frozenset({S.AVAILABLE, S.PAUSED}),
    S.AVAILABLE: frozenset({S.OFFERED, S.PAUSED, S.LOGGED_OUT}),
    S.OFFERED: frozenset({S.ON_CALL, S.AVAILABLE, S.PAUSED, S.LOGGED_OUT}),
    S.ON_CALL: frozenset({S.WRAP_UP}),
    S.WRAP_UP: frozenset({S.AVAILABLE, S.PAUSED, S.LOGGED_OUT}),
    S.PAUSED: frozenset({S.AVAILABLE, S.LOGGED_OUT, S.PAUSED}),
}


@dataclass(frozen=True)
class AgentProfile:
    """Who an agent is to the router: their phone, queues (penalty tier, lower first) and
    skills with levels."""

    agent_id: str
    device: str
    queues: Mapping[str, int] = field(default_factory=dict)
    skills: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Agent:
    profile: AgentProfile
    state: AgentState = AgentState.LOGGED_OUT
    reason: str = ""
    since: float = 0.0
    idle_since: float = 0.0  # when the agent last became available: longest idle first
    call_id: str | None = None
    owner: str = ""  # the platform process that follows the agent's call (offered..wrap-up)
    rev: int = 0  # the store's revision of this record: a write must name the one it read

    @property
    def agent_id(self) -> str:
        return self.profile.agent_id


def found_talking(agent: Agent, call_id: str, at: float, owner: str) -> Agent:
    """The agent as Asterisk shows them: their phone bridged to `call_id`'s caller, which no
    live process followed (the resync adopts the call, acd/recovery.py). Asterisk is the
    truth, so this is no transition the platform decides: whatever the store said (logged
    out after a restart that lost it, offered a call that was answered meanwhile), they
    are on that call, followed by `owner`."""
    if agent.state is AgentState.ON_CALL and agent.call_id == call_id:
        return replace(agent, owner=owner)
    return replace(agent, state=AgentState.ON_CALL, reason="", since=at, call_id=call_id,
                   owner=owner)


def transition(agent: Agent, state: AgentState, at: float, *, reason: str = "",
               call_id: str | None = None, owner: str | None = None) -> Agent:
    """The agent in `state` from `at`, or InvalidTransition if the machine forbids it.
    While they have a call, the agent keeps (or takes) an `owner`; without one, none."""
    if state not in TRANSITIONS[agent.state]:
        raise InvalidTransition(
            f"agent {agent.agent_id}: cannot go from {agent.state} to {state}")
    if state is AgentState.PAUSED and not reason:
        raise InvalidTransition(f"agent {agent.agent_id}: a pause needs a reason")
    keeps_call = state in (AgentState.OFFERED, AgentState.ON_CALL, AgentState.WRAP_UP)
    return replace(agent, state=state, reason=reason if state is AgentState.PAUSED else "",
                   since=at, idle_since=at if state is AgentState.AVAILABLE else agent.idle_since,
                   call_id=(call_id or agent.call_id) if keeps_call else None,
                   owner=(owner or agent.owner) if keeps_call else "")
