"""Complaint desk tests run on SQLite and on a real PostgreSQL, with the shipped settings
and a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contactcenter.complaints.config import ComplaintSettings, load_settings
from contactcenter.complaints.desk import ComplaintDesk
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from tests.helpers import BACKENDS, Clock, fresh_database_url

SETTINGS = load_settings(Path(__file__).parents[2] / "flows" / "complaints.yaml")
MONDAY = datetime(2026, 12, 7, 14, tzinfo=UTC)  # 09:00 in New York


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    with fresh_database_url(request, request.param) as url:
        database = Database.open(url)
        yield database
        database.close()


@pytest.fixture
def settings() -> ComplaintSettings:
    return SETTINGS


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
def desk(db: Database, clock: Clock) -> ComplaintDesk:
    return ComplaintDesk(db, SETTINGS, clock)


@pytest.fixture
def ada(db: Database) -> int:
    return Customers(db).create(name="Ada Lovelace", email="ada@example.org",
                                phones=["+14155550123"]).id
