from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, select

from contactcenter.crm.database import MIGRATIONS, Database, migrate
from contactcenter.crm.interactions import Interactions
from contactcenter.crm.models import Base, InteractionRow


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
            assert MigrationContext.configure(connection).get_current_revision() == (
                "0004_interaction_survey")
    finally:
        engine.dispose()


def test_a_fresh_database_has_the_default_disposition_codes(db_url: str) -> None:
    db = Database.open(db_url)
    try:
        codes = {d.code for d in Interactions(db).dispositions()}
    finally:
        db.close()
    assert {"resolved", "callback", "escalated", "wrong_number"} <= codes



def downgrade(db_url: str, revision: str) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        engine.dispose()


def test_calls_recorded_before_the_survey_column_keep_their_history_both_ways(
        db_url: str) -> None:
    migrate(db_url, "0003")
    old = {"call_id": "old-1", "caller_num": "+14155550123", "caller_name": "",
           "queue": "support", "state": "ended", "ivr_path": "main:menu", "ivr_fields": {},
           "wait_s": 12.0, "talk_s": 60.0, "notes": "kept"}
    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(insert(InteractionRow.__table__).values(**old))
    finally:
        engine.dispose()
    db = Database.open(db_url)  # migrates to the newest schema
    try:
        history = Interactions(db)
        assert history.get("old-1").survey_score is None
        assert history.rate("old-1", 5).survey_score == 5
    finally:
        db.close()
    downgrade(db_url, "0003")
    engine = create_engine(db_url)
    try:
        assert "survey_score" not in {c["name"] for c in inspect(engine).get_columns(
            "interactions")}
        with engine.connect() as connection:
            row = connection.execute(select(InteractionRow.__table__.c.notes)).one()
        assert row.notes == "kept"
    finally:
        engine.dispose()
