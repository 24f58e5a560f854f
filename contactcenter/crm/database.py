"""Opening the CRM database and migrating it to the newest schema, without an alembic.ini.

Sync SQLAlchemy: each query opens a short session. Async edges (the screen pop, the
interaction recorder, the console) run the calls in a worker thread (asyncio.to_thread).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL and a parent directory."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def migrate(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Upgrade the schema to `revision` with the migrations shipped in this package."""
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    if isinstance(url_or_engine, str):
        engine.dispose()


class Database:
    """The engine and session factory the CRM's query objects share."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> Database:
        """Open `url`, migrating it to the newest schema first unless told not to."""
        db = cls(url)
        if upgrade:
            migrate(db.engine)
        return db

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def unreachable(error: BaseException) -> bool:
    """Whether `error` says the database could not be reached or did not answer in time (a
    server stopped or restarting, a lost connection, SQLite locked past its timeout): the
    same statement may succeed later. Anything else (a refused value, a broken rule) would
    fail again, so retrying it is pointless."""
    return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError
                      | sa_exc.TimeoutError) or (
        isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated)


def failure_reason(error: BaseException) -> str:
    """One line for logs and the wallboard: the driver's own message, without SQLAlchemy's
    statement and help link ("timed out" for a wait that ran out)."""
    text = str(getattr(error, "orig", None) or error).strip()
    return text.partition("\n")[0] or ("timed out" if isinstance(error, TimeoutError)
                                        else type(error).__name__)
