"""Frozen records the CRM hands out: safe to pass between threads, packages and to JSON."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# each role may do what the ones before it may; a resolver works complaints in the back office
ROLES = ("agent", "resolver", "supervisor", "admin")


@dataclass(frozen=True)
class Customer:
    id: int
    name: str
    phones: tuple[str, ...]  # E.164, the first is the main number
    email: str
    account_number: str | None
    segment: str
    notes: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, order=True)
class QueueMembership:
    queue: str
    penalty: int = 0  # lower is offered calls first


@dataclass(frozen=True, order=True)
class Skill:
    name: str
    level: int = 1


@dataclass(frozen=True)
class User:
    """A login: never carries the password hash."""

    id: int
    username: str
    display_name: str
    role: str  # agent | resolver | supervisor | admin
    device: str  # e.g. "SIP/agent101", the phone the ACD rings
    active: bool
    queues: tuple[QueueMembership, ...] = ()
    skills: tuple[Skill, ...] = ()

    def has_role(self, required: str) -> bool:
        """True when this user's role is `required` or above
        (admin > supervisor > resolver > agent)."""
        return ROLES.index(self.role) >= ROLES.index(required)


@dataclass(frozen=True)
class Interaction:
    id: int
    call_id: str
    customer_id: int | None
    complaint_id: int | None
    caller_num: str
    caller_name: str
    queue: str
    agent_id: str | None
    state: str  # queued | offered | connected | ended
    outcome: str | None  # answered | abandoned | overflowed, once ended
    ivr_path: str
    ivr_fields: dict[str, str]
    entered_at: datetime | None
    offered_at: datetime | None
    connected_at: datetime | None
    ended_at: datetime | None
    wait_s: float
    talk_s: float
    disposition: str | None
    notes: str
    survey_score: int | None = None  # the caller's post-call survey rating, 1-5


@dataclass(frozen=True)
class QueueEvent:
    """One row of the queue log (crm/queue_log.py): `event` is queued | offered |
    connected | ended | overflowed | callback | transfer | agent | survey; `data` holds the
    rest of what the event said (wait_s, talk_s, outcome, state, reason, to, ...)."""

    at: datetime
    event: str
    call_id: str = ""
    queue: str = ""
    agent_id: str = ""
    data: dict[str, Any] = dataclasses.field(default_factory=dict)
    process: str = ""
    key: str = ""


@dataclass(frozen=True)
class Complaint:
    """A customer's complaint; status and its moves are crm/complaint_workflow.py's.
    Complaints migrated from the former cases have no category, severity or due dates."""

    id: int
    customer_id: int
    subject: str
    description: str
    category: str
    subcategory: str
    severity: str
    channel: str  # call | letter | email | other
    status: str  # new | assigned | in_progress | awaiting_customer | resolved | closed
    team: str
    assignee: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    solution: str
    solution_by: str
    solution_at: datetime | None
    accepted: bool | None  # the customer's answer to the solution; None: not given yet
    answered_at: datetime | None
    escalation_level: int  # 0: none; 1: response overdue; 2: resolution overdue
    escalated_to: str
    escalated_at: datetime | None
    reopened: int  # times reopened (by the customer's refusal or by hand)
    customer_name: str


@dataclass(frozen=True)
class ComplaintNote:
    """One entry of a complaint's thread: never edited or deleted."""

    id: int
    complaint_id: int
    at: datetime
    author: str
    body: str
    call_id: str | None  # the call it was written on, if any


@dataclass(frozen=True)
class OutboxMessage:
    """A letter or e-mail to a customer, kept until something sends it (sent_at)."""

    id: int
    complaint_id: int
    customer_id: int
    channel: str  # letter | email
    recipient: str
    subject: str
    body: str
    created_by: str
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class Disposition:
    code: str
    label: str
    active: bool


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class MonitoringSession:
    """One supervisor's monitoring of one agent's call: `modes` are [mode, since] pairs in
    order; `started_at` is None if their phone never answered."""

    session_id: str
    supervisor: str
    agent_id: str
    call_id: str
    requested_at: datetime
    started_at: datetime | None
    ended_at: datetime
    duration_s: float
    modes: tuple[tuple[str, datetime], ...]
    reason: str


@dataclass(frozen=True)
class RoutingDecision:
    """Why one offer went to its agent (acd/routing.py's explanation, as JSON)."""

    call_id: str
    agent_id: str
    queue: str
    at: datetime
    explanation: dict[str, Any]


def as_json(record: object) -> dict[str, Any]:
    """A record as a JSON-ready dict: datetimes become ISO 8601 strings, tuples lists.

    Shallow and fast (dataclasses.asdict deep-copies): it runs for every screen pop.
    """
    kind: type = type(record)  # a plain `type`: mypy holds type[object] unhashable (#11470)
    return {field.name: _plain(getattr(record, field.name)) for field in _fields(kind)}


@functools.cache
def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return as_json(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
