"""The audit log: every CRM change is written with who made it, in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.crm.database import Database
from contactcenter.crm.models import AuditRow, utcnow
from contactcenter.crm.records import AuditEntry


def record(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    detail: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> None:
    """Add one entry to the transaction that makes the change (at: its time, default now)."""
    session.add(
        AuditRow(
            at=at or utcnow(), actor=actor, action=action, entity=entity,
            entity_id=str(entity_id), detail=detail or {}
        )
    )


class AuditLog:
    """Reading the log (supervisors and admins)."""

    def __init__(self, db: Database):
        self._db = db

    def recent(self, limit: int = 100, entity: str | None = None) -> list[AuditEntry]:
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if entity is not None:
            query = query.where(AuditRow.entity == entity)
        with self._db.session() as session:
            return [entry_record(row) for row in session.scalars(query)]


def entry_record(row: AuditRow) -> AuditEntry:
    return AuditEntry(id=row.id, at=row.at, actor=row.actor, action=row.action,
                      entity=row.entity, entity_id=row.entity_id, detail=dict(row.detail))
