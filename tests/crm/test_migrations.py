from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, select, text

from contactcenter.crm.complaints import Complaints, NewComplaint
from contactcenter.crm.database import MIGRATIONS, Database, migrate
from contactcenter.crm.interactions import Interactions
from contactcenter.crm.models import Base, InteractionRow

BEFORE_COMPLAINTS = "0004_interaction_survey"  # the newest revision with cases


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
            assert MigrationContext.configure(connection).get_current_revision() == "0007"
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


def _with_cases(url: str) -> None:
    """A database as the last revision with cases left it: Ada with an open case (two calls
    about it), a resolved case (no call) and an audit entry, as the old code wrote them."""
    migrate(url, BEFORE_COMPLAINTS)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO customers (id, name, email, account_number, segment, notes, "
                "created_at, updated_at) VALUES (7, 'Ada Lovelace', 'ada@example.org', '1001', "
                "'vip', '', '2026-01-05 09:00:00', '2026-01-05 09:00:00')"))
            connection.execute(text(
                "INSERT INTO cases (id, customer_id, subject, description, status, created_by, "
                "created_at, updated_at, resolved_at) VALUES "
                "(41, 7, 'Invoice disputed', 'First call.\n\nSecond call.', 'open', 'agent101', "
                "'2026-01-05 09:30:00', '2026-01-06 10:00:00', NULL), "
                "(42, 7, 'Password reset', '', 'resolved', 'agent102', '2026-01-07 08:00:00', "
                "'2026-01-07 08:05:00', '2026-01-07 08:05:00')"))
            for call_id in ("c1", "c2"):
                connection.execute(text(
                    "INSERT INTO interactions (call_id, customer_id, case_id, caller_num, "
                    "caller_name, queue, state, ivr_path, ivr_fields, wait_s, talk_s, notes) "
                    f"VALUES ('{call_id}', 7, 41, '+14155550123', '', 'support', 'ended', '', "
                    "'{}', 0, 0, '')"))
            connection.execute(text(
                "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) VALUES "
                "('2026-01-05 09:30:00', 'agent101', 'open', 'case', '41', '{}')"))
    finally:
        engine.dispose()


def test_cases_become_complaints_with_nothing_lost(db_url: str) -> None:
    _with_cases(db_url)
    db = Database.open(db_url)
    try:
        complaints = Complaints(db)
        disputed, reset = complaints.get(41), complaints.get(42)
        assert (disputed.subject, disputed.description, disputed.created_by) == (
            "Invoice disputed", "First call.\n\nSecond call.", "agent101")
        assert (disputed.created_at, disputed.updated_at) == (
            datetime(2026, 1, 5, 9, 30, tzinfo=UTC), datetime(2026, 1, 6, 10, tzinfo=UTC))
        assert (disputed.status, disputed.channel, disputed.customer_id) == ("new", "call", 7)
        assert (reset.status, reset.channel, reset.resolved_at) == (
            "resolved", "other", datetime(2026, 1, 7, 8, 5, tzinfo=UTC))
        assert (disputed.category, disputed.severity, disputed.response_due_at) == ("", "", None)
        detail = complaints.detail(41)
        assert sorted(i.call_id for i in detail.interactions) == ["c1", "c2"]
        assert [(h.actor, h.action) for h in detail.history] == [("agent101", "open")]
        new = complaints.open(NewComplaint("Router broken", 7), actor="agent101")
        assert new.id == 43  # ids go on after the cases' (PostgreSQL's sequence too)
    finally:
        db.close()


def test_downgrade_gives_the_cases_back(db_url: str) -> None:
    _with_cases(db_url)
    migrate(db_url)
    downgrade(db_url, BEFORE_COMPLAINTS)
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            cases = connection.execute(text(
                "SELECT id, subject, status, created_by FROM cases ORDER BY id")).all()
            links = connection.execute(text(
                "SELECT call_id, case_id FROM interactions ORDER BY call_id")).all()
        assert [tuple(row) for row in cases] == [(41, "Invoice disputed", "open", "agent101"),
                                                 (42, "Password reset", "resolved", "agent102")]
        assert [tuple(row) for row in links] == [("c1", 41), ("c2", 41)]
    finally:
        engine.dispose()
