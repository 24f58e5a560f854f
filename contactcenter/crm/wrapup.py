"""The agent's wrap-up with a case, as one transaction: the call's disposition and notes,
and the case it opened or updated. A refused part leaves nothing half saved."""

from __future__ import annotations

from dataclasses import dataclass

from contactcenter.crm.cases import case_record, open_row, update_row
from contactcenter.crm.database import Database
from contactcenter.crm.errors import NotFound, ValidationError
from contactcenter.crm.interactions import apply_wrap_up, find_row
from contactcenter.crm.models import CaseRow
from contactcenter.crm.records import Case, Interaction


@dataclass(frozen=True)
class CaseChange:
    """The wrap-up form's case: open a new one (case_id None; subject required) or update
    one of the customer's cases. Notes become a new case's description and are appended to
    an existing one's, so earlier notes are never overwritten."""

    case_id: int | None = None
    subject: str | None = None
    status: str | None = None  # open | resolved; None keeps the current status
    notes: str = ""


def wrap_up_with_case(db: Database, call_id: str, case: CaseChange, *, disposition: str,
                      notes: str = "", customer_id: int | None = None,
                      actor: str = "system") -> tuple[Interaction, Case]:
    """Open or update `case` for the call's customer, link it to the call and save the
    wrap-up; ValidationError (nothing written) on any bad value."""
    with db.session() as session:
        interaction = find_row(session, call_id)
        if interaction is None:
            raise NotFound(f"no interaction for call {call_id!r}")
        owner = customer_id if customer_id is not None else interaction.customer_id
        if case.case_id is None:
            if owner is None:
                raise ValidationError("customer_id", "a new case needs the caller's customer")
            row = open_row(session, owner, case.subject or "", case.notes, actor=actor)
            if case.status is not None and case.status != "open":
                row = update_row(session, row.id, status=case.status, actor=actor)
        else:
            existing = session.get(CaseRow, case.case_id)
            if existing is None or (owner is not None and existing.customer_id != owner):
                raise ValidationError("case_id", f"no case {case.case_id} for this customer")
            description = existing.description
            if case.notes.strip():
                description = f"{description.rstrip()}\n\n{case.notes}".lstrip()
            row = update_row(session, case.case_id, subject=case.subject, status=case.status,
                             description=description, actor=actor)
        record = apply_wrap_up(session, call_id, disposition=disposition, notes=notes,
                               case_id=row.id, customer_id=customer_id, actor=actor)
        return record, case_record(row)
