from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from contactcenter.crm.database import Database, migrate
from contactcenter.crm.interactions import Interactions
from contactcenter.crm.models import Base


def test_upgrade_from_empty_builds_exactly_the_models(db_url: str) -> None:
    migrate(db_url)
    engine = create_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert tables == set(Base.metadata.tables) | {"alembic_version"}
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op(db_url: str) -> None:
    migrate(db_url)
    migrate(db_url)
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == "0003"
    finally:
        engine.dispose()


def test_a_fresh_database_has_the_default_disposition_codes(db_url: str) -> None:
    db = Database.open(db_url)
    try:
        codes = {d.code for d in Interactions(db).dispositions()}
    finally:
        db.close()
    assert {"resolved", "callback", "escalated", "wrong_number"} <= codes
