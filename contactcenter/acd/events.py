"""ACD events: what the distributor tells the console, metrics and the interaction log.

Published on the EventBus (contactcenter/events.py). Times are wall-clock seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from contactcenter.acd.agents import AgentState


class CallOutcome(StrEnum):
    """How a call left the ACD for good (a str: JSON and the database keep the value)."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    OVERFLOWED = "overflowed"


@dataclass(frozen=True)
class AgentStateChanged:
    """An agent's state changed (see docs/agents.md for the states and transitions)."""

    agent_id: str
    state: AgentState
    reason: str = ""
    call_id: str | None = None
    at: float = 0.0


@dataclass(frozen=True)
class CallQueued:
    """A caller joined a queue (or rejoined at its original entry time)."""

    call_id: str
    queue: str
    caller_num: str
    entered_at: float
    priority: int = 0
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CallOffered:
    """A waiting call was offered to an agent: their phone rings and the pop is due."""

    call_id: str
    agent_id: str
    queue: str
    at: float
    caller_num: str = ""
    caller_name: str = ""
    channel: str = ""
    entered_at: float = 0.0
    fields: dict[str, str] = field(default_factory=dict)
    ivr_path: str = ""


@dataclass(frozen=True)
class OfferExplained:
    """Why an offer went to its agent: acd/routing.py's OfferExplanation as JSON-ready
    values, published right after the CallOffered (for the record and "why this
    agent?")."""

    call_id: str
    agent_id: str
    queue: str
    at: float
    explanation: dict[str, object]


@dataclass(frozen=True)
class CallConnected:
    """The agent answered: caller and agent are bridged."""

    call_id: str
    agent_id: str
    queue: str
    wait_s: float
    at: float


@dataclass(frozen=True)
class CallEnded:
    """A call left the ACD for good."""

    call_id: str
    queue: str
    outcome: CallOutcome
    agent_id: str | None = None
    wait_s: float = 0.0
    talk_s: float = 0.0
    at: float = 0.0


@dataclass(frozen=True)
class CallOverflowed:
    """An overflow rule or a queue limit moved a call out of `queue`: to another queue
    (it goes on waiting there, at its original entry time) or out of the ACD (voicemail,
    message: a CallEnded with outcome "overflowed" follows)."""

    call_id: str
    queue: str
    to: str  # queue:<name> | voicemail | callback | message:<prompt>
    wait_s: float
    at: float


@dataclass(frozen=True)
class CallbackQueued:
    """The caller will be called back at `number` and may hang up: the call keeps its
    place in `queue` (entered_at unchanged); its hangup is not an abandon."""

    call_id: str
    queue: str
    number: str
    entered_at: float
    at: float


@dataclass(frozen=True)
class CallTransferred:
    """The agent handed their caller on (acd/call_actions.py): a blind transfer to a queue
    (`to` queue:<name>, where the call waits anew) or a number (number:<digits>), or an
    attended transfer completed (kind "attended"). The call's CallEnded follows or precedes
    it, as answered by this agent."""

    call_id: str
    agent_id: str
    queue: str  # the queue the call was answered from
    to: str
    kind: str  # blind | attended
    at: float


@dataclass(frozen=True)
class CallMoved:
    """A supervisor changed a waiting call (Distributor.change_waiting): moved it from
    `queue` to `to_queue` and/or from `priority` to `to_priority`. It keeps its entry time
    unless `reset_entry` (then `entered_at` is the new one, `at`). A move to another queue
    is also published as an overflow to queue:<name> with the new queue's CallQueued, as
    an overflow rule's move is, so the figures and reports follow the call; this event
    says who did it (`by`), for the audit log."""

    call_id: str
    queue: str
    to_queue: str
    priority: int
    to_priority: int
    entered_at: float
    reset_entry: bool
    by: str
    at: float


@dataclass(frozen=True)
class MonitorStarted:
    """A supervisor's phone answered: they spy on the agent's call in `mode` (listen,
    whisper or barge; acd/monitoring.py)."""

    session_id: str
    supervisor: str
    agent_id: str
    call_id: str
    mode: str
    at: float


@dataclass(frozen=True)
class MonitorModeChanged:
    """A monitoring session switched to `mode`."""

    session_id: str
    supervisor: str
    agent_id: str
    mode: str
    at: float


@dataclass(frozen=True)
class MonitorEnded:
    """A monitoring session is over: `reason` is stopped (the supervisor, from the page),
    hung up (their phone), call ended (the agent's leg went), not answered (their phone
    never answered) or lost (the PBX no longer has the spy's leg). `modes` are (mode,
    since) in order; `started_at` is 0 if their phone never answered."""

    session_id: str
    supervisor: str
    agent_id: str
    call_id: str
    modes: tuple[tuple[str, float], ...]
    requested_at: float
    started_at: float
    ended_at: float
    reason: str

    @property
    def duration_s(self) -> float:
        """How long the supervisor was on the call (0 if never)."""
        return round(max(0.0, self.ended_at - self.started_at), 3) if self.started_at else 0.0


@dataclass(frozen=True)
class Reconciled:
    """A resync (after a (re)connect, or the periodic channel check) is applied: of the
    calls that entered before `started`, only those in `kept` (their caller is in
    Asterisk, or the ACD holds them, as a queued callback) may still be going on; a record
    still open of any other was left by a process that died before it could close it, or
    lost the event that would have closed it to a store failure."""

    kept: frozenset[str]
    started: float
    at: float


AcdEvent = (AgentStateChanged | CallQueued | CallOffered | OfferExplained | CallConnected
            | CallEnded | CallOverflowed | CallbackQueued | CallTransferred | CallMoved
            | MonitorStarted | MonitorModeChanged | MonitorEnded | Reconciled)
"""Every event the ACD publishes."""
