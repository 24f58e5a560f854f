"""Console sign-ins that outlive the process: sessions by token hash, failed logins by
(username, address). The console's auth module decides tokens, lifetimes and limits;
this module only stores them. Each call is one short transaction.

A session is only as good as its user: it is read together with the user's row, so a
user deactivated or given another role has that effect on their next request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select

from contactcenter.crm.database import Database
from contactcenter.crm.models import ConsoleSessionRow, LoginFailureRow, UserRow


@dataclass(frozen=True)
class StoredSession:
    username: str
    role: str
    expires_at: datetime


class Logins:
    def __init__(self, db: Database):
        self._db = db

    def add_session(self, token_hash: str, username: str, role: str, *, now: datetime,
                    expires_at: datetime) -> None:
        """Store a new session; expired ones are purged on the way."""
        with self._db.session() as session:
            session.execute(delete(ConsoleSessionRow)
                            .where(ConsoleSessionRow.expires_at <= now))
            session.add(ConsoleSessionRow(token_hash=token_hash, username=username, role=role,
                                          created_at=now, expires_at=expires_at))

    def session(self, token_hash: str, *, now: datetime) -> StoredSession | None:
        """The session with this hash and its user's role now; None if it expired (or
        never was), or its user is gone or deactivated."""
        with self._db.session() as session:
            found = session.execute(
                select(ConsoleSessionRow.username, UserRow.role, ConsoleSessionRow.expires_at)
                .join(UserRow, UserRow.username == ConsoleSessionRow.username)
                .where(ConsoleSessionRow.token_hash == token_hash,
                       ConsoleSessionRow.expires_at > now, UserRow.active.is_(True))
            ).one_or_none()
            return None if found is None else StoredSession(*found)

    def drop_session(self, token_hash: str) -> None:
        with self._db.session() as session:
            session.execute(delete(ConsoleSessionRow)
                            .where(ConsoleSessionRow.token_hash == token_hash))

    def failures_from(self, address: str, *, since: datetime) -> int:
        """Failed logins from `address` under any user name since `since`."""
        with self._db.session() as session:
            return session.scalar(select(func.count()).select_from(LoginFailureRow).where(
                LoginFailureRow.address == address[:64], LoginFailureRow.at > since)) or 0

    def add_failure(self, username: str, address: str, *, at: datetime,
                    forget_before: datetime) -> None:
        """Count one failed login; failures older than `forget_before` are purged."""
        with self._db.session() as session:
            session.execute(delete(LoginFailureRow).where(LoginFailureRow.at < forget_before))
            session.add(LoginFailureRow(username=username[:80], address=address[:64], at=at))

    def failures(self, username: str, address: str, *, since: datetime) -> int:
        with self._db.session() as session:
            return session.scalar(select(func.count()).select_from(LoginFailureRow).where(
                *_of(username, address), LoginFailureRow.at > since)) or 0

    def clear_failures(self, username: str, address: str) -> None:
        with self._db.session() as session:
            session.execute(delete(LoginFailureRow).where(*_of(username, address)))


def _of(username: str, address: str) -> tuple[ColumnElement[bool], ...]:
    """The failures of (username, address), cut to the columns' widths as stored."""
    return (LoginFailureRow.username == username[:80],
            LoginFailureRow.address == address[:64])
