"""The agent's wrap-up with a complaint, as one transaction: the call's disposition and
notes, and the complaint it opened or followed up. A refused part leaves nothing half saved."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from contactcenter.crm.complaints import NewComplaint, act_row, complaint_record, note_row, open_row
from contactcenter.crm.database import Database
from contactcenter.crm.errors import NotFound, ValidationError
from contactcenter.crm.interactions import apply_wrap_up, find_row
from contactcenter.crm.models import ComplaintRow, utcnow
from contactcenter.crm.records import Complaint, Interaction


@dataclass(frozen=True)
class ComplaintChange:
    """The wrap-up form's complaint: open `new` (for the call's customer) or follow up one
    of the customer's complaints (complaint_id). Notes become a new complaint's
    description, or a note on an existing one's thread; `resolve` marks it resolved on the
    call with the notes as the solution."""

    complaint_id: int | None = None
    new: NewComplaint | None = None
    resolve: bool = False
    notes: str = ""


def wrap_up_with_complaint(db: Database, call_id: str, change: ComplaintChange, *,
                           disposition: str, notes: str = "", customer_id: int | None = None,
                           actor: str = "system", now: datetime | None = None,
                           ) -> tuple[Interaction, Complaint]:
    """Open or follow up `change` for the call's customer, link it to the call and save
    the wrap-up; ValidationError or RefusedTransition (nothing written) on a bad value."""
    now = now or utcnow()
    with db.session() as session:
        interaction = find_row(session, call_id)
        if interaction is None:
            raise NotFound(f"no interaction for call {call_id!r}")
        owner = customer_id if customer_id is not None else interaction.customer_id
        if change.complaint_id is None:
            if change.new is None:
                raise ValidationError("complaint", "open a new complaint or name one")
            if owner is None:
                raise ValidationError("customer_id", "a new complaint needs the caller's "
                                      "customer")
            new = replace(change.new, customer_id=owner, description=change.notes)
            row = open_row(session, new, actor=actor, now=now)
        else:
            named = session.get(ComplaintRow, change.complaint_id)
            if named is None or (owner is not None and named.customer_id != owner):
                raise ValidationError("complaint_id",
                                      f"no complaint {change.complaint_id} for this customer")
            row = named
            if change.notes.strip():
                note_row(session, row.id, change.notes, actor=actor, now=now, call_id=call_id)
        if change.resolve:
            row = act_row(session, row.id, "resolve", actor=actor, now=now,
                          inputs={"solution": change.notes} if change.notes.strip() else {})
        record = apply_wrap_up(session, call_id, disposition=disposition, notes=notes,
                               complaint_id=row.id, customer_id=customer_id, actor=actor)
        return record, complaint_record(row)
