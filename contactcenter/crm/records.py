"""Frozen records the CRM hands out: safe to pass between threads, packages and to JSON."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ROLES = ("agent", "supervisor", "admin")  # each role may do what the ones before it may


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
    role: str  # agent | supervisor | admin
    device: str  # e.g. "SIP/agent101", the phone the ACD rings
    active: bool
    queues: tuple[QueueMembership, ...] = ()
    skills: tuple[Skill, ...] = ()

    def has_role(self, required: str) -> bool:
        """True when this user's role is `required` or above (admin > supervisor > agent)."""
        return ROLES.index(self.role) >= ROLES.index(required)


@dataclass(frozen=True)
class Interaction:
    id: int
    call_id: str
    customer_id: int | None
    case_id: int | None
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
class Case:
    id: int
    customer_id: int
    subject: str
    description: str
    status: str  # open | resolved
    created_by: str
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None


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


def as_json(record: Any) -> dict[str, Any]:
    """A record as a JSON-ready dict: datetimes become ISO 8601 strings, tuples lists.

    Shallow and fast (dataclasses.asdict deep-copies): it runs for every screen pop.
    """
    return {field.name: _plain(getattr(record, field.name)) for field in _fields(type(record))}


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
