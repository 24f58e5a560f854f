"""Interactions: one row per call. The recorder (crm_link/interactions.py) tracks the call's
progress and the caller's post-call survey rating; the console's wrap-up adds disposition,
notes and a complaint."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from contactcenter.crm import audit
from contactcenter.crm.database import Database
from contactcenter.crm.errors import NotFound, ValidationError
from contactcenter.crm.models import (
    ComplaintRow,
    CustomerRow,
    DispositionRow,
    InteractionRow,
)
from contactcenter.crm.records import Disposition, Interaction

STATES = ("queued", "offered", "connected", "ended")
ROWS_PER_READ = 500  # call ids per IN (...) when a batch reads its rows
SURVEY_SCORES = range(1, 6)  # a post-call survey's rating: 1 poor to 5 excellent
OUTCOMES = ("answered", "abandoned", "overflowed")
# What the call's progress may set; disposition and notes belong to the wrap-up.
TRACKED = frozenset({
    "customer_id", "caller_num", "caller_name", "queue", "agent_id", "state", "outcome",
    "ivr_path", "ivr_fields", "entered_at", "offered_at", "connected_at", "ended_at",
    "wait_s", "talk_s",
})  # fmt: skip


class Interactions:
    """The call history; each call is one short transaction."""

    def __init__(self, db: Database):
        self._db = db

    def track(self, call_id: str, changes: Mapping[str, Any]) -> Interaction:
        """Create the call's row if new, then apply `changes` (keys from TRACKED).

        A state never goes backwards: a late 'offered' after 'ended' keeps 'ended'.
        """
        _check(call_id, changes)
        with self._db.session() as session:
            row = find_row(session, call_id)
            row = _apply(session, {} if row is None else {call_id: row}, call_id, changes)
            session.flush()
            return interaction_record(row)

    def track_many(self, changes: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """track() for each (call_id, changes) in order, in one transaction: a burst of
        call events costs one read of their rows and one commit, not a read, a flush and
        a commit each. Refused as a whole on any bad value."""
        for call_id, change in changes:
            _check(call_id, change)
        ids = list(dict.fromkeys(call_id for call_id, _ in changes))
        with self._db.session() as session:
            rows: dict[str, InteractionRow] = {}
            for start in range(0, len(ids), ROWS_PER_READ):
                query = select(InteractionRow).where(
                    InteractionRow.call_id.in_(ids[start:start + ROWS_PER_READ]))
                rows.update((row.call_id, row) for row in session.scalars(query))
            for call_id, change in changes:
                _apply(session, rows, call_id, change)

    def close_stale(self, kept: Collection[str], entered_before: datetime,
                    at: datetime) -> list[str]:
        """Close the rows still open of calls that entered before `entered_before` and are
        not `kept` (their caller is still in Asterisk, or the ACD still holds them): a
        process that followed them died before it closed them. A connected call ended
        answered, any other abandoned. The call ids closed."""
        with self._db.session() as session:
            rows = session.scalars(select(InteractionRow).where(
                InteractionRow.state != "ended", InteractionRow.entered_at <= entered_before))
            closed = []
            for row in rows:
                if row.call_id in kept:
                    continue
                row.outcome = "answered" if row.state == "connected" else "abandoned"
                row.state, row.ended_at = "ended", at
                closed.append(row.call_id)
            session.flush()
            return closed

    def rate(self, call_id: str, score: int) -> Interaction:
        """The caller's post-call survey rating (1-5) of a call the history has. The survey
        runs once the call has ended, so this touches nothing of the call's progress and
        never creates a row (NotFound for an unknown call); a new rating replaces the last."""
        if isinstance(score, bool) or not isinstance(score, int) or score not in SURVEY_SCORES:
            raise ValidationError("survey_score", "must be a whole number from 1 to 5")
        with self._db.session() as session:
            row = _get(session, call_id)
            row.survey_score = score
            session.flush()
            return interaction_record(row)

    def get(self, call_id: str) -> Interaction:
        with self._db.session() as session:
            return interaction_record(_get(session, call_id))

    def find(self, call_id: str) -> Interaction | None:
        with self._db.session() as session:
            row = find_row(session, call_id)
            return None if row is None else interaction_record(row)

    def recent_for_customer(self, customer_id: int, limit: int = 5) -> list[Interaction]:
        """The customer's latest calls, newest first."""
        return self._recent(InteractionRow.customer_id == customer_id, limit)

    def recent(self, *, agent_id: str | None = None, limit: int = 50) -> list[Interaction]:
        """The latest calls (of one agent if given), newest first."""
        condition = true() if agent_id is None else InteractionRow.agent_id == agent_id
        return self._recent(condition, limit)


    def wrap_up(
        self,
        call_id: str,
        *,
        disposition: str,
        notes: str = "",
        complaint_id: int | None = None,
        customer_id: int | None = None,
        actor: str = "system",
    ) -> Interaction:
        """The agent's wrap-up: a known, active disposition code, notes, and optionally the
        complaint and customer the call belongs to. Refused as a whole on any bad value."""
        with self._db.session() as session:
            return apply_wrap_up(session, call_id, disposition=disposition, notes=notes,
                                 complaint_id=complaint_id, customer_id=customer_id,
                                 actor=actor)

    def dispositions(self, *, include_inactive: bool = False) -> list[Disposition]:
        query = select(DispositionRow).order_by(DispositionRow.label)
        if not include_inactive:
            query = query.where(DispositionRow.active.is_(True))
        with self._db.session() as session:
            return [Disposition(r.code, r.label, r.active) for r in session.scalars(query)]

    def set_disposition(
        self, code: str, label: str, *, active: bool = True, actor: str = "system"
    ) -> Disposition:
        """Add or change a disposition code (codes are never deleted: history points at them)."""
        code = code.strip()
        if not code or len(code) > 40 or not code.replace("_", "").replace("-", "").isalnum():
            raise ValidationError("code", "1-40 letters, digits, '_' or '-'")
        if not label.strip():
            raise ValidationError("label", "is required")
        with self._db.session() as session:
            row = session.get(DispositionRow, code) or DispositionRow(code=code)
            row.label, row.active = label.strip(), active
            session.add(row)
            audit.record(
                session, actor, "set", "disposition", code, {"label": row.label, "active": active}
            )
            return Disposition(row.code, row.label, row.active)

    def _recent(self, condition: Any, limit: int) -> list[Interaction]:
        newest = InteractionRow.entered_at.desc().nulls_last()
        query = (
            select(InteractionRow)
            .where(condition)
            .order_by(newest, InteractionRow.id.desc())
            .limit(max(1, limit))
        )
        with self._db.session() as session:
            return [interaction_record(row) for row in session.scalars(query)]


def apply_wrap_up(session: Session, call_id: str, *, disposition: str, notes: str,
                  complaint_id: int | None, customer_id: int | None,
                  actor: str) -> Interaction:
    """Interactions.wrap_up inside the caller's transaction (crm/wrapup.py adds a
    complaint)."""
    row = _get(session, call_id)
    code = session.get(DispositionRow, disposition)
    if code is None or not code.active:
        raise ValidationError("disposition", f"unknown disposition {disposition!r}")
    if customer_id is not None and session.get(CustomerRow, customer_id) is None:
        raise ValidationError("customer_id", f"no customer {customer_id}")
    if complaint_id is not None:
        complaint = session.get(ComplaintRow, complaint_id)
        owner = customer_id if customer_id is not None else row.customer_id
        if complaint is None or (owner is not None and complaint.customer_id != owner):
            raise ValidationError("complaint_id",
                                  f"no complaint {complaint_id} for this customer")
        row.complaint_id = complaint_id
        row.customer_id = complaint.customer_id
    if customer_id is not None:
        row.customer_id = customer_id
    row.disposition = disposition
    row.notes = notes
    session.flush()
    audit.record(session, actor, "wrap_up", "interaction", call_id,
                 {"disposition": disposition, "complaint_id": row.complaint_id})
    return interaction_record(row)


def interaction_record(row: InteractionRow) -> Interaction:
    return Interaction(
        id=row.id,
        call_id=row.call_id,
        customer_id=row.customer_id,
        complaint_id=row.complaint_id,
        caller_num=row.caller_num,
        caller_name=row.caller_name,
        queue=row.queue,
        agent_id=row.agent_id,
        state=row.state,
        outcome=row.outcome,
        ivr_path=row.ivr_path,
        ivr_fields=dict(row.ivr_fields or {}),
        entered_at=row.entered_at,
        offered_at=row.offered_at,
        connected_at=row.connected_at,
        ended_at=row.ended_at,
        wait_s=row.wait_s,
        talk_s=row.talk_s,
        disposition=row.disposition,
        notes=row.notes,
        survey_score=row.survey_score,
    )


def _check(call_id: str, changes: Mapping[str, Any]) -> None:
    if not call_id:
        raise ValidationError("call_id", "is required")
    unknown = set(changes) - TRACKED
    if unknown:
        raise ValidationError("changes", f"not tracked: {', '.join(sorted(unknown))}")
    state = changes.get("state")
    if state is not None and state not in STATES:
        raise ValidationError("state", f"must be one of {', '.join(STATES)}")
    outcome = changes.get("outcome")
    if outcome is not None and outcome not in OUTCOMES:
        raise ValidationError("outcome", f"must be one of {', '.join(OUTCOMES)}")


def _apply(session: Session, rows: dict[str, InteractionRow], call_id: str,
           changes: Mapping[str, Any]) -> InteractionRow:
    """`changes` on the call's row in `rows` (by call id), a new row if it has none."""
    row = rows.get(call_id)
    if row is None:
        row = rows[call_id] = InteractionRow(call_id=call_id, state="queued", ivr_fields={})
        session.add(row)
    for key, value in changes.items():
        if key == "state" and STATES.index(value) < STATES.index(row.state):
            continue
        setattr(row, key, dict(value) if key == "ivr_fields" else value)
    return row


def find_row(session: Session, call_id: str) -> InteractionRow | None:
    return session.scalars(
        select(InteractionRow).where(InteractionRow.call_id == call_id)
    ).one_or_none()


def _get(session: Session, call_id: str) -> InteractionRow:
    row = find_row(session, call_id)
    if row is None:
        raise NotFound(f"no interaction for call {call_id!r}")
    return row
