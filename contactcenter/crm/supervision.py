"""What supervisors do and what the ACD decided, kept for admins and for "why this agent?":
monitoring sessions (who listened to whom, when, in which modes, how long), supervisors'
acts on waiting calls (in the audit log, entity "call") and every offer's routing
explanation. Written by crm_link/supervision.py from the ACD's events.

Writing a session, an act or a decision is idempotent (a retried write after a lost reply is one row).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from contactcenter.crm import audit
from contactcenter.crm.database import Database
from contactcenter.crm.models import AuditRow, MonitoringSessionRow, RoutingDecisionRow
from contactcenter.crm.records import AuditEntry, MonitoringSession, RoutingDecision

CALL_ACTS = "call"  # the audit log's entity of a supervisor's act on a waiting call


class Supervision:
    def __init__(self, db: Database):
        self._db = db

    def add_session(self, record: MonitoringSession) -> None:
        with self._db.session() as session:
            if session.scalar(select(MonitoringSessionRow.id).where(
                    MonitoringSessionRow.session_id == record.session_id)) is not None:
                return
            session.add(MonitoringSessionRow(
                session_id=record.session_id, supervisor=record.supervisor,
                agent_id=record.agent_id, call_id=record.call_id,
                requested_at=record.requested_at, started_at=record.started_at,
                ended_at=record.ended_at, duration_s=record.duration_s,
                modes=[[mode, since.isoformat()] for mode, since in record.modes],
                reason=record.reason))

    def sessions(self, limit: int = 100) -> list[MonitoringSession]:
        """The latest sessions, newest first."""
        with self._db.session() as session:
            rows = session.scalars(select(MonitoringSessionRow)
                                   .order_by(MonitoringSessionRow.id.desc()).limit(limit))
            return [_session(row) for row in rows]

    def add_act(self, actor: str, call_id: str, detail: dict[str, Any], at: datetime) -> None:
        """A supervisor's act on a waiting call (moved, new priority), in the audit log."""
        with self._db.session() as session:
            if session.scalar(select(AuditRow.id).where(
                    AuditRow.entity == CALL_ACTS, AuditRow.entity_id == call_id,
                    AuditRow.at == at)) is not None:
                return
            audit.record(session, actor, "change_waiting", CALL_ACTS, call_id, detail, at=at)

    def acts(self, limit: int = 100) -> list[AuditEntry]:
        """The latest acts on waiting calls, newest first."""
        return audit.AuditLog(self._db).recent(limit, entity=CALL_ACTS)

    def add_decision(self, record: RoutingDecision) -> None:
        with self._db.session() as session:
            if session.scalar(select(RoutingDecisionRow.id).where(
                    RoutingDecisionRow.call_id == record.call_id,
                    RoutingDecisionRow.at == record.at)) is not None:
                return
            session.add(RoutingDecisionRow(call_id=record.call_id, agent_id=record.agent_id,
                                           queue=record.queue, at=record.at,
                                           explanation=record.explanation))

    def decisions(self, call_id: str) -> list[RoutingDecision]:
        """Every offer of `call_id`, in order, with why it went where it went."""
        with self._db.session() as session:
            rows = session.scalars(select(RoutingDecisionRow)
                                   .where(RoutingDecisionRow.call_id == call_id)
                                   .order_by(RoutingDecisionRow.at, RoutingDecisionRow.id))
            return [RoutingDecision(row.call_id, row.agent_id, row.queue, row.at,
                                    dict(row.explanation)) for row in rows]


def _session(row: MonitoringSessionRow) -> MonitoringSession:
    return MonitoringSession(
        row.session_id, row.supervisor, row.agent_id, row.call_id, row.requested_at,
        row.started_at, row.ended_at, row.duration_s,
        tuple((mode, datetime.fromisoformat(since)) for mode, since in row.modes), row.reason)
