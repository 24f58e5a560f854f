"""Test helpers shared by several test packages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contactcenter.crm.records import Complaint

T0 = datetime(2026, 12, 1, 14, tzinfo=UTC)


class Clock:
    """A clock the test sets: `clock.now = ...`."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def complaint(id: int = 1, **fields: object) -> Complaint:
    """A billing complaint of Ada's received at T0, new, due in 2 h (response) and 8 h
    (resolution); `fields` change any of it."""
    values: dict = dict(
        id=id, customer_id=7, subject="Refund", description="", category="billing",
        subcategory="refund", severity="high", channel="call", status="new", team="billing",
        assignee=None, created_by="agent101", created_at=T0, updated_at=T0,
        response_due_at=T0 + timedelta(hours=2), resolution_due_at=T0 + timedelta(hours=8),
        first_response_at=None, resolved_at=None, closed_at=None, solution="", solution_by="",
        solution_at=None, accepted=None, answered_at=None, escalation_level=0,
        escalated_to="", escalated_at=None, reopened=0, customer_name="Ada Lovelace")
    values.update(fields)
    return Complaint(**values)
