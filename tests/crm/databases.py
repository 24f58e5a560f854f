"""Fresh CRM databases for tests: a SQLite file, or a new database in the session's
throwaway PostgreSQL cluster (dropped afterwards)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextlib.contextmanager
def fresh_database_url(request: pytest.FixtureRequest, kind: str) -> Iterator[str]:
    """The URL of an empty database of `kind` that lives for one test."""
    if kind == "sqlite":
        tmp_path = request.getfixturevalue("tmp_path")
        yield f"sqlite:///{tmp_path}/crm.db"
        return
    with new_postgres_database(request.getfixturevalue("postgres_url")) as url:
        yield url


@contextlib.contextmanager
def new_postgres_database(server: str, *, template: str = "") -> Iterator[str]:
    """The URL of a new database on the PostgreSQL `server` (a copy of the database
    `template` if given, which nobody may be connected to), dropped afterwards."""
    name = f"crm_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
