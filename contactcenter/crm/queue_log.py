"""The queue log: every queue and agent event, one row each (the equivalent of Asterisk's
queue_log), written by reports/history.py and read by the interval reports.

Writing is idempotent: a row whose key is there already is skipped (INSERT ... ON CONFLICT
DO NOTHING on SQLite and PostgreSQL alike), so a write retried after a lost reply, or the
same event written by two processes, stays one row. Reading is by time range, in time
order (rows of one instant in the order they were written).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from contactcenter.crm.database import Database
from contactcenter.crm.models import QueueEventRow
from contactcenter.crm.records import QueueEvent

AGENT = "agent"  # the event of an agent's state change
COLUMNS = ("at", "event", "call_id", "queue", "agent_id", "data", "process", "key")


class QueueLog:
    def __init__(self, db: Database):
        self._db = db

    def add(self, events: Sequence[QueueEvent]) -> None:
        """Write `events` in one transaction; those whose key is kept already are skipped."""
        if not events:
            return
        if any(not event.key for event in events):
            raise ValueError("every queue log event needs its key")
        insert = (postgresql.insert if self._db.engine.dialect.name == "postgresql"
                  else sqlite.insert)
        statement = insert(QueueEventRow).on_conflict_do_nothing(index_elements=["key"])
        with self._db.session() as session:
            session.execute(statement, [{name: getattr(event, name) for name in COLUMNS}
                                        for event in events])

    def between(self, start: datetime, end: datetime) -> list[QueueEvent]:
        """Every event at or after `start` and before `end`, oldest first."""
        with self._db.session() as session:
            rows = session.scalars(select(QueueEventRow)
                                   .where(QueueEventRow.at >= start, QueueEventRow.at < end)
                                   .order_by(QueueEventRow.at, QueueEventRow.id))
            return [_record(row) for row in rows]

    def agent_states_at(self, moment: datetime) -> list[QueueEvent]:
        """Each agent's last state change before `moment`: their state when a report
        starts."""
        last = (select(QueueEventRow.agent_id, func.max(QueueEventRow.at).label("at"))
                .where(QueueEventRow.event == AGENT, QueueEventRow.at < moment)
                .group_by(QueueEventRow.agent_id).subquery())
        with self._db.session() as session:
            rows = session.scalars(
                select(QueueEventRow)
                .join(last, (QueueEventRow.agent_id == last.c.agent_id)
                      & (QueueEventRow.at == last.c.at))
                .where(QueueEventRow.event == AGENT)
                .order_by(QueueEventRow.at, QueueEventRow.id))
            return [_record(row) for row in rows]


def _record(row: QueueEventRow) -> QueueEvent:
    return QueueEvent(row.at, row.event, row.call_id, row.queue, row.agent_id, dict(row.data),
                      row.process, row.key)
