"""Complaints in the database: open one, act on it through the workflow
(crm/complaint_workflow.py), keep its thread of notes and its outbox, and read the lists
the pages and the escalation task need.

Each call is one short transaction writing the change with its audit entry (the audit
entries are the complaint's timestamped, attributed history); a refused move writes
nothing. Nothing is ever deleted. Deadlines, categories and who may do what are decided
above (contactcenter/complaints/); this module stores what it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from contactcenter.crm import audit
from contactcenter.crm.complaint_workflow import OPEN, move
from contactcenter.crm.database import Database
from contactcenter.crm.errors import NotFound, ValidationError
from contactcenter.crm.interactions import find_row, interaction_record
from contactcenter.crm.models import (
    AuditRow,
    ComplaintNoteRow,
    ComplaintRow,
    CustomerRow,
    InteractionRow,
    OutboxRow,
    utcnow,
)
from contactcenter.crm.records import (
    AuditEntry,
    Complaint,
    ComplaintNote,
    Interaction,
    OutboxMessage,
)

CHANNELS = ("call", "letter", "email", "other")  # other: cases from before complaints
OUTBOX_CHANNELS = ("letter", "email")
HISTORY_ENTITIES = ("complaint", "case")  # the former cases' entries are its history too
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class NewComplaint:
    """A complaint to open, classified and with its due dates (complaints/ computes them).
    customer_id may stay None when the wrap-up takes it from the call."""

    subject: str
    customer_id: int | None = None
    description: str = ""
    category: str = ""
    subcategory: str = ""
    severity: str = ""
    channel: str = "call"
    team: str = ""
    response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None


@dataclass(frozen=True)
class ComplaintFilter:
    """Which complaints a list shows; every field left as is matches all."""

    statuses: tuple[str, ...] = ()
    customer_id: int | None = None
    category: str | None = None
    severity: str | None = None
    channel: str | None = None
    team: str | None = None
    assignee: str | None = None
    escalated: bool | None = None
    received_from: datetime | None = None
    received_before: datetime | None = None
    # a resolver's scope: assigned to this user, or of (or escalated to) one of these teams
    scope_user: str | None = None
    scope_teams: tuple[str, ...] | None = None
    limit: int = 5000


@dataclass(frozen=True)
class ComplaintDetail:
    complaint: Complaint
    notes: tuple[ComplaintNote, ...]  # oldest first: a thread
    history: tuple[AuditEntry, ...]  # oldest first
    interactions: tuple[Interaction, ...]  # the calls about it, newest first
    outbox: tuple[OutboxMessage, ...]


class Complaints:
    def __init__(self, db: Database, clock: Clock = utcnow):
        self._db = db
        self._clock = clock

    def open(self, new: NewComplaint, *, actor: str, call_id: str | None = None) -> Complaint:
        """A new complaint, linked to the call `call_id` if given."""
        with self._db.session() as session:
            return complaint_record(open_row(session, new, actor=actor, now=self._clock(),
                                             call_id=call_id))

    def act(self, complaint_id: int, action: str, *, actor: str,
            inputs: Mapping[str, Any] | None = None) -> Complaint:
        """One workflow action (assign, take, start, solution, resolve, accept, reject,
        close, reopen, classify, escalate); RefusedTransition if not allowed now."""
        with self._db.session() as session:
            return complaint_record(act_row(session, complaint_id, action, actor=actor,
                                            now=self._clock(), inputs=inputs))

    def add_note(self, complaint_id: int, body: str, *, actor: str,
                 call_id: str | None = None) -> ComplaintNote:
        """A note on the thread, in any status; `call_id` links that call too."""
        with self._db.session() as session:
            return note_record(note_row(session, complaint_id, body, actor=actor,
                                        now=self._clock(), call_id=call_id))

    def ask_by_callback(self, complaint_id: int, *, call_id: str, number: str,
                        question: str, actor: str) -> Complaint:
        """Awaiting the customer, who will be called back as `call_id`: the question is
        noted with that call, which is linked already so its pop and history show it."""
        with self._db.session() as session:
            row = act_row(session, complaint_id, "ask_customer", actor=actor,
                          now=self._clock())
            if find_row(session, call_id) is not None:
                raise ValidationError("call_id", f"call {call_id!r} exists already")
            session.add(InteractionRow(call_id=call_id, caller_num=number, state="queued",
                                       ivr_fields={}))
            note_row(session, row.id, f"Callback to {number}: {question}", actor=actor,
                     now=self._clock(), call_id=call_id)
            return complaint_record(row)

    def ask_by_outbox(self, complaint_id: int, *, channel: str, subject: str, body: str,
                      actor: str) -> OutboxMessage:
        """Awaiting the customer, asked by a letter or e-mail left in the outbox."""
        if channel not in OUTBOX_CHANNELS:
            raise ValidationError("via", f"must be callback, {' or '.join(OUTBOX_CHANNELS)}")
        subject, body = _line("subject", subject), _text("body", body)
        with self._db.session() as session:
            row = act_row(session, complaint_id, "ask_customer", actor=actor,
                          now=self._clock())
            customer = session.get(CustomerRow, row.customer_id)
            assert customer is not None  # a foreign key
            recipient = customer.email if channel == "email" else customer.name
            if not recipient:
                raise ValidationError("via", f"customer {customer.id} has no e-mail address")
            message = OutboxRow(complaint_id=row.id, customer_id=row.customer_id,
                                channel=channel, recipient=recipient, subject=subject,
                                body=body, created_by=actor, created_at=self._clock())
            session.add(message)
            session.flush()
            audit.record(session, actor, "outbox", "complaint", row.id,
                         {"outbox_id": message.id, "channel": channel}, at=self._clock())
            return outbox_record(message)

    def get(self, complaint_id: int) -> Complaint:
        with self._db.session() as session:
            return complaint_record(_get(session, complaint_id))

    def detail(self, complaint_id: int) -> ComplaintDetail:
        with self._db.session() as session:
            row = _get(session, complaint_id)
            notes = session.scalars(select(ComplaintNoteRow)
                                    .where(ComplaintNoteRow.complaint_id == row.id)
                                    .order_by(ComplaintNoteRow.id))
            history = session.scalars(select(AuditRow)
                                      .where(AuditRow.entity.in_(HISTORY_ENTITIES),
                                             AuditRow.entity_id == str(row.id))
                                      .order_by(AuditRow.id))
            calls = session.scalars(select(InteractionRow)
                                    .where(InteractionRow.complaint_id == row.id)
                                    .order_by(InteractionRow.entered_at.desc().nulls_last(),
                                              InteractionRow.id.desc()))
            letters = session.scalars(select(OutboxRow).where(OutboxRow.complaint_id == row.id)
                                      .order_by(OutboxRow.id))
            return ComplaintDetail(
                complaint_record(row),
                tuple(note_record(n) for n in notes),
                tuple(audit.entry_record(a) for a in history),
                tuple(interaction_record(i) for i in calls),
                tuple(outbox_record(m) for m in letters))

    def listing(self, where: ComplaintFilter = ComplaintFilter()) -> list[Complaint]:
        """Matching complaints, soonest resolution due first (those without one last)."""
        query = (select(ComplaintRow).where(*_conditions(where))
                 .order_by(ComplaintRow.resolution_due_at.asc().nulls_last(),
                           ComplaintRow.id)
                 .limit(where.limit))
        with self._db.session() as session:
            return [complaint_record(row) for row in session.scalars(query)]

    def for_customer(self, customer_id: int) -> list[Complaint]:
        """The customer's complaints, newest first."""
        query = (select(ComplaintRow).where(ComplaintRow.customer_id == customer_id)
                 .order_by(ComplaintRow.created_at.desc(), ComplaintRow.id.desc()))
        with self._db.session() as session:
            return [complaint_record(row) for row in session.scalars(query)]

    def past_due(self, now: datetime) -> list[Complaint]:
        """Open complaints with a due date before `now`: what the escalation task weighs."""
        query = select(ComplaintRow).where(
            ComplaintRow.status.in_(OPEN), ComplaintRow.escalation_level < 2,
            or_(ComplaintRow.resolution_due_at < now,
                ComplaintRow.first_response_at.is_(None) & (ComplaintRow.response_due_at < now)))
        with self._db.session() as session:
            return [complaint_record(row) for row in session.scalars(query.order_by(
                ComplaintRow.id))]

    def handled_by(self, customer_id: int, username: str) -> bool:
        """Whether `username` took a call of this customer or opened one of their
        complaints: an agent's own customers."""
        called = exists().where(InteractionRow.customer_id == customer_id,
                                InteractionRow.agent_id == username)
        opened = exists().where(ComplaintRow.customer_id == customer_id,
                                ComplaintRow.created_by == username)
        with self._db.session() as session:
            return bool(session.scalar(select(called | opened)))

    def outbox(self, *, pending: bool = True) -> list[OutboxMessage]:
        """Letters and e-mails, oldest first; `pending`: those not sent yet."""
        query = select(OutboxRow).order_by(OutboxRow.id)
        if pending:
            query = query.where(OutboxRow.sent_at.is_(None))
        with self._db.session() as session:
            return [outbox_record(row) for row in session.scalars(query)]


def open_row(session: Session, new: NewComplaint, *, actor: str, now: datetime,
             call_id: str | None = None) -> ComplaintRow:
    """A new complaint inside the caller's transaction (a wrap-up opens one too)."""
    if new.customer_id is None or session.get(CustomerRow, new.customer_id) is None:
        raise ValidationError("customer_id", f"no customer {new.customer_id}")
    if new.channel not in CHANNELS:
        raise ValidationError("channel", f"must be one of {', '.join(CHANNELS)}")
    row = ComplaintRow(
        customer_id=new.customer_id, subject=_line("subject", new.subject),
        description=new.description, category=new.category, subcategory=new.subcategory,
        severity=new.severity, channel=new.channel, status="new", team=new.team,
        created_by=actor, created_at=now, updated_at=now,
        response_due_at=new.response_due_at, resolution_due_at=new.resolution_due_at,
        solution="", solution_by="", escalation_level=0, escalated_to="", reopened=0)
    session.add(row)
    session.flush()
    if call_id is not None:
        _link(session, row, call_id)
    audit.record(session, actor, "open", "complaint", row.id, {
        "subject": row.subject, "category": row.category, "subcategory": row.subcategory,
        "severity": row.severity, "channel": row.channel, "team": row.team,
        "call_id": call_id}, at=now)
    return row


def act_row(session: Session, complaint_id: int, action: str, *, actor: str, now: datetime,
            inputs: Mapping[str, Any] | None = None) -> ComplaintRow:
    """The workflow's move inside the caller's transaction, audited with what changed."""
    row = _get(session, complaint_id, lock=True)
    before = row.status
    changes = move(complaint_record(row), action, actor=actor, now=now, inputs=inputs)
    for key, value in changes.items():
        setattr(row, key, value)
    row.updated_at = now
    session.flush()
    audit.record(session, actor, action, "complaint", row.id,
                 {"from": before, **{key: _plain(value) for key, value in changes.items()}},
                 at=now)
    return row


def note_row(session: Session, complaint_id: int, body: str, *, actor: str, now: datetime,
             call_id: str | None) -> ComplaintNoteRow:
    row = _get(session, complaint_id)
    note = ComplaintNoteRow(complaint_id=row.id, at=now, author=actor,
                            body=_text("note", body), call_id=call_id)
    session.add(note)
    if call_id is not None:
        _link(session, row, call_id)
    session.flush()
    audit.record(session, actor, "note", "complaint", row.id,
                 {"note_id": note.id, "call_id": call_id}, at=now)
    return note


def complaint_record(row: ComplaintRow) -> Complaint:
    return Complaint(
        id=row.id, customer_id=row.customer_id, subject=row.subject,
        description=row.description, category=row.category, subcategory=row.subcategory,
        severity=row.severity, channel=row.channel, status=row.status, team=row.team,
        assignee=row.assignee, created_by=row.created_by, created_at=row.created_at,
        updated_at=row.updated_at, response_due_at=row.response_due_at,
        resolution_due_at=row.resolution_due_at, first_response_at=row.first_response_at,
        resolved_at=row.resolved_at, closed_at=row.closed_at, solution=row.solution,
        solution_by=row.solution_by, solution_at=row.solution_at, accepted=row.accepted,
        answered_at=row.answered_at, escalation_level=row.escalation_level,
        escalated_to=row.escalated_to, escalated_at=row.escalated_at, reopened=row.reopened,
        customer_name=row.customer.name)


def note_record(row: ComplaintNoteRow) -> ComplaintNote:
    return ComplaintNote(row.id, row.complaint_id, row.at, row.author, row.body, row.call_id)


def outbox_record(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(row.id, row.complaint_id, row.customer_id, row.channel, row.recipient,
                         row.subject, row.body, row.created_by, row.created_at, row.sent_at)


def _conditions(where: ComplaintFilter) -> list[Any]:
    c = ComplaintRow
    conditions: list[Any] = []
    if where.statuses:
        conditions.append(c.status.in_(where.statuses))
    for column, value in ((c.customer_id, where.customer_id), (c.category, where.category),
                          (c.severity, where.severity), (c.channel, where.channel),
                          (c.team, where.team), (c.assignee, where.assignee)):
        if value is not None:
            conditions.append(column == value)
    if where.escalated is not None:
        conditions.append(c.escalation_level > 0 if where.escalated
                          else c.escalation_level == 0)
    if where.received_from is not None:
        conditions.append(c.created_at >= where.received_from)
    if where.received_before is not None:
        conditions.append(c.created_at < where.received_before)
    if where.scope_teams is not None:
        teams = list(where.scope_teams)
        conditions.append(or_(c.assignee == where.scope_user, c.team.in_(teams),
                              c.escalated_to.in_(teams)))
    return conditions


def _get(session: Session, complaint_id: int, *, lock: bool = False) -> ComplaintRow:
    # FOR UPDATE (PostgreSQL): two people acting at once take turns, each on the fresh row
    row = session.get(ComplaintRow, complaint_id,
                      with_for_update={"of": ComplaintRow} if lock else None)
    if row is None:
        raise NotFound(f"no complaint {complaint_id}")
    return row


def _link(session: Session, complaint: ComplaintRow, call_id: str) -> None:
    interaction = find_row(session, call_id)
    if interaction is None:
        raise ValidationError("call_id", f"no interaction for call {call_id!r}")
    interaction.complaint_id = complaint.id
    interaction.customer_id = complaint.customer_id


def _line(field: str, value: str) -> str:
    text = (value or "").strip()
    if not text or len(text) > 200 or "\n" in text:
        raise ValidationError(field, "one line of 1-200 characters")
    return text


def _text(field: str, value: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(field, "is empty")
    return text


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
