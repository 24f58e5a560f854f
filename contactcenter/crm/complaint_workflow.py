"""The complaint workflow as one table: (status, action) -> next status, and nothing else
decides. A move the table does not hold, or one missing what it needs (a solution to
resolve, the customer's acceptance to close), raises RefusedTransition and changes nothing.

    new -> assigned -> in_progress -> awaiting_customer -> resolved -> closed, with reopen

move() turns one action on a complaint into the fields it changes (status, the stamps of
first response, resolution and closing, who holds it, the solution, the customer's answer,
escalation); the storage (crm/complaints.py) writes them. Pure: records in, dicts out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contactcenter.crm.errors import RefusedTransition, ValidationError
from contactcenter.crm.records import Complaint, as_json

STATUSES = ("new", "assigned", "in_progress", "awaiting_customer", "resolved", "closed")
OPEN = ("new", "assigned", "in_progress", "awaiting_customer")  # the customer waits on us
RESPONDED = ("in_progress", "awaiting_customer", "resolved")  # someone has worked on it

TRANSITIONS: dict[tuple[str, str], str] = {
    # give it to a resolver (or another one); one waiting on the customer keeps waiting
    ("new", "assign"): "assigned",
    ("assigned", "assign"): "assigned",
    ("in_progress", "assign"): "assigned",
    ("awaiting_customer", "assign"): "awaiting_customer",
    # take: assign it to myself and start
    ("new", "take"): "in_progress",
    ("assigned", "take"): "in_progress",
    ("in_progress", "take"): "in_progress",
    ("awaiting_customer", "take"): "awaiting_customer",
    # the assignee starts, or goes on once the customer has answered
    ("assigned", "start"): "in_progress",
    ("awaiting_customer", "start"): "in_progress",
    # ask the customer: a callback task or a letter / e-mail in the outbox
    ("in_progress", "ask_customer"): "awaiting_customer",
    ("awaiting_customer", "ask_customer"): "awaiting_customer",
    # the solution offered, while the work is open
    ("assigned", "solution"): "assigned",
    ("in_progress", "solution"): "in_progress",
    ("awaiting_customer", "solution"): "awaiting_customer",
    # resolve with a solution (from new: the front office solved it on the call)
    ("new", "resolve"): "resolved",
    ("assigned", "resolve"): "resolved",
    ("in_progress", "resolve"): "resolved",
    ("awaiting_customer", "resolve"): "resolved",
    # the customer's answer to the solution; a refusal reopens it
    ("resolved", "accept"): "resolved",
    ("resolved", "reject"): "assigned",
    ("resolved", "close"): "closed",
    ("resolved", "reopen"): "assigned",
    ("closed", "reopen"): "assigned",
    # category, subcategory and severity may change while open (deadlines follow)
    **{(status, "classify"): status for status in OPEN},
    # the escalation task, when a due date has passed
    **{(status, "escalate"): status for status in OPEN},
}
ACTIONS = tuple(dict.fromkeys(action for _status, action in TRANSITIONS))
# what each action may set besides the status and stamps (the caller's inputs)
INPUTS: dict[str, frozenset[str]] = {
    "assign": frozenset({"assignee"}),
    "solution": frozenset({"solution"}),
    "resolve": frozenset({"solution"}),
    "reject": frozenset({"resolution_due_at"}),
    "reopen": frozenset({"resolution_due_at"}),
    "classify": frozenset({"category", "subcategory", "severity", "team",
                           "response_due_at", "resolution_due_at"}),
    "escalate": frozenset({"escalation_level", "escalated_to"}),
}


def next_status(status: str, action: str) -> str:
    """The status after `action`; RefusedTransition if the table has no such move."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        allowed = sorted(a for s, a in TRANSITIONS if s == status)
        raise RefusedTransition(status, action, f"cannot {action} a {_label(status)} "
                                f"complaint (allowed: {', '.join(allowed) or 'none'})") from None


def move(complaint: Complaint, action: str, *, actor: str, now: datetime,
         inputs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The fields `action` by `actor` at `now` changes on `complaint` (status included)."""
    inputs = dict(inputs or {})
    unknown = set(inputs) - INPUTS.get(action, frozenset())
    if unknown:
        raise ValueError(f"{action} takes no {', '.join(sorted(unknown))}")
    status = next_status(complaint.status, action)
    changes: dict[str, Any] = {**inputs, "status": status}
    if action == "take":
        changes["assignee"] = actor
    if action == "assign" and not str(inputs.get("assignee") or "").strip():
        raise ValidationError("assignee", "whom to assign the complaint to")
    if action in ("solution", "resolve") and "solution" in inputs:
        changes.update(solution=inputs["solution"].strip(), solution_by=actor, solution_at=now)
    if action == "resolve":
        if not (changes.get("solution") or complaint.solution):
            raise RefusedTransition(complaint.status, action,
                                    "cannot resolve without a solution for the customer")
        changes.update(resolved_at=now, accepted=None, answered_at=None)
    if action in ("accept", "reject"):
        changes.update(accepted=action == "accept", answered_at=now)
    if action == "close":
        if complaint.accepted is not True:
            raise RefusedTransition(complaint.status, action,
                                    "cannot close before the customer accepts the solution")
        changes["closed_at"] = now
    if action in ("reject", "reopen"):
        changes.update(reopened=complaint.reopened + 1, resolved_at=None, closed_at=None,
                       escalation_level=0, escalated_to="", escalated_at=None)
        if action == "reopen":
            changes.update(accepted=None, answered_at=None)
    if action == "escalate":
        if inputs.get("escalation_level", 0) <= complaint.escalation_level:
            raise RefusedTransition(complaint.status, action,
                                    f"already escalated to level {complaint.escalation_level}")
        changes["escalated_at"] = now
    if (status in RESPONDED and complaint.status not in RESPONDED
            and complaint.first_response_at is None):
        changes["first_response_at"] = now
    return changes


@dataclass(frozen=True)
class Overdue:
    """Which of a complaint's due dates have passed unmet at a moment."""

    response: bool
    resolution: bool

    def __bool__(self) -> bool:
        return self.response or self.resolution


def overdue(complaint: Complaint, now: datetime) -> Overdue:
    """Response is overdue when nobody has worked on it by its response due date;
    resolution when it is still open after its resolution due date."""
    still_open = complaint.status in OPEN
    response_due, resolution_due = complaint.response_due_at, complaint.resolution_due_at
    return Overdue(
        response=still_open and complaint.first_response_at is None
        and response_due is not None and now > response_due,
        resolution=still_open and resolution_due is not None and now > resolution_due)


def complaint_json(complaint: Complaint, now: datetime) -> dict[str, Any]:
    """The complaint as JSON, with which of its due dates have passed at `now`."""
    late = overdue(complaint, now)
    return {**as_json(complaint), "overdue": bool(late), "response_overdue": late.response,
            "resolution_overdue": late.resolution}


def _label(status: str) -> str:
    return status.replace("_", " ")
