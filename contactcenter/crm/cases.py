"""Cases: complaints and requests that outlive a call, open until resolved."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.crm import audit
from contactcenter.crm.database import Database
from contactcenter.crm.errors import NotFound, ValidationError
from contactcenter.crm.interactions import find_row
from contactcenter.crm.models import CaseRow, CustomerRow, utcnow
from contactcenter.crm.records import Case

STATUSES = ("open", "resolved")


class Cases:
    """Open, update, resolve and list cases; each call is one short transaction."""

    def __init__(self, db: Database):
        self._db = db

    def open(
        self,
        customer_id: int,
        subject: str,
        description: str = "",
        *,
        call_id: str | None = None,
        actor: str = "system",
    ) -> Case:
        """A new open case for the customer, linked to the call `call_id` if given."""
        with self._db.session() as session:
            return case_record(open_row(session, customer_id, subject, description,
                                        call_id=call_id, actor=actor))

    def update(
        self,
        case_id: int,
        *,
        subject: str | None = None,
        description: str | None = None,
        status: str | None = None,
        call_id: str | None = None,
        actor: str = "system",
    ) -> Case:
        """Change the given fields; status 'resolved' stamps resolved_at, 'open' clears it."""
        with self._db.session() as session:
            return case_record(update_row(session, case_id, subject=subject,
                                          description=description, status=status,
                                          call_id=call_id, actor=actor))

    def resolve(self, case_id: int, *, actor: str = "system") -> Case:
        return self.update(case_id, status="resolved", actor=actor)

    def get(self, case_id: int) -> Case:
        with self._db.session() as session:
            return case_record(_get(session, case_id))

    def open_for_customer(self, customer_id: int) -> list[Case]:
        """The customer's open cases, newest first."""
        return self.for_customer(customer_id, include_resolved=False)

    def for_customer(self, customer_id: int, *, include_resolved: bool = True) -> list[Case]:
        query = select(CaseRow).where(CaseRow.customer_id == customer_id)
        if not include_resolved:
            query = query.where(CaseRow.status == "open")
        query = query.order_by(CaseRow.created_at.desc(), CaseRow.id.desc())
        with self._db.session() as session:
            return [case_record(row) for row in session.scalars(query)]


def case_record(row: CaseRow) -> Case:
    return Case(
        id=row.id,
        customer_id=row.customer_id,
        subject=row.subject,
        description=row.description,
        status=row.status,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        resolved_at=row.resolved_at,
    )


def open_row(session: Session, customer_id: int, subject: str, description: str = "", *,
             call_id: str | None = None, actor: str) -> CaseRow:
    """A new open case inside the caller's transaction (so a wrap-up can open one too)."""
    subject = _subject(subject)
    if session.get(CustomerRow, customer_id) is None:
        raise ValidationError("customer_id", f"no customer {customer_id}")
    row = CaseRow(customer_id=customer_id, subject=subject, description=description,
                  status="open", created_by=actor)
    session.add(row)
    session.flush()
    if call_id is not None:
        _link(session, row, call_id)
    audit.record(session, actor, "open", "case", row.id, {"subject": subject})
    return row


def update_row(session: Session, case_id: int, *, subject: str | None = None,
               description: str | None = None, status: str | None = None,
               call_id: str | None = None, actor: str) -> CaseRow:
    """Change the given fields inside the caller's transaction; status 'resolved' stamps
    resolved_at, 'open' clears it."""
    if status is not None and status not in STATUSES:
        raise ValidationError("status", f"must be one of {', '.join(STATUSES)}")
    row = _get(session, case_id)
    changes: dict[str, object] = {}
    if subject is not None:
        row.subject = changes["subject"] = _subject(subject)
    if description is not None:
        row.description = changes["description"] = description
    if status is not None and status != row.status:
        row.status = changes["status"] = status
        row.resolved_at = utcnow() if status == "resolved" else None
    if call_id is not None:
        _link(session, row, call_id)
        changes["call_id"] = call_id
    session.flush()
    audit.record(session, actor, "update", "case", row.id, changes)
    return row


def _get(session: Session, case_id: int) -> CaseRow:
    row = session.get(CaseRow, case_id)
    if row is None:
        raise NotFound(f"no case {case_id}")
    return row


def _link(session: Session, case: CaseRow, call_id: str) -> None:
    interaction = find_row(session, call_id)
    if interaction is None:
        raise ValidationError("call_id", f"no interaction for call {call_id!r}")
    interaction.case_id = case.id
    interaction.customer_id = case.customer_id


def _subject(value: str) -> str:
    subject = (value or "").strip()
    if not subject or len(subject) > 200 or "\n" in subject:
        raise ValidationError("subject", "one line of 1-200 characters")
    return subject
