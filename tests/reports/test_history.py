"""The history recorder on SQLite and PostgreSQL: the scripted day through a real bus and
the database spool into the queue log, reported as worked out by hand; a second process
and a replay count nothing twice; an outage (or a reply lost after the commit) loses and
doubles nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from contactcenter.acd.agents import Agent, AgentProfile, AgentState
from contactcenter.crm.database import Database
from contactcenter.crm.models import QueueEventRow
from contactcenter.crm.queue_log import QueueLog
from contactcenter.crm.spool import WriteSpool
from contactcenter.events import EventBus
from contactcenter.reports.history import HistoryRecorder
from contactcenter.reports.load import Period, queues_report
from tests.helpers import (
    BACKENDS,
    FAST_BACKOFF,
    SHIPPED,
    add_agents,
    fresh_database_url,
    record,
    rows,
    table,
)

from .scripted_day import COLUMNS, END, EVENTS, FIRST, MEMBERS, PARIS, QUEUES

DAY = Period(FIRST, END, 1800, PARIS)
LATER = END + timedelta(hours=1)


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    with fresh_database_url(request, request.param) as url:
        database = Database.open(url)
        add_agents(database, MEMBERS)
        yield database
        database.close()


def count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(QueueEventRow))


async def test_the_scripted_day_is_kept_and_reported_as_worked_out_by_hand(db) -> None:
    await record(db, EVENTS, "host-a:101:aa")
    kept = QueueLog(db).between(FIRST - timedelta(hours=3), LATER)
    assert len(kept) == len(rows(EVENTS)) == count(db)
    assert {row.process for row in kept} == {"host-a:101:aa"}
    assert table(queues_report(db, DAY, LATER, SHIPPED), COLUMNS) == QUEUES


async def test_another_process_and_a_replay_count_nothing_twice(db) -> None:
    await record(db, EVENTS[:40], "host-a:101:aa")
    await record(db, EVENTS[20:], "host-b:202:bb")  # saw some of the same events
    await record(db, EVENTS, "host-a:303:cc")  # a restart replaying all of them
    assert count(db) == len(rows(EVENTS))
    processes = [row.process for row in QueueLog(db).between(FIRST - timedelta(hours=3),
                                                              LATER)]
    assert set(processes) == {"host-a:101:aa", "host-b:202:bb"}  # the first writer's
    assert table(queues_report(db, DAY, LATER, SHIPPED), COLUMNS) == QUEUES


async def test_an_outage_keeps_every_row_and_a_lost_reply_doubles_none(db, monkeypatch) -> None:
    real_add, calls = QueueLog.add, []
    outage = {"down": True, "lose_reply": True}

    def add(self: QueueLog, events) -> None:  # type: ignore[no-untyped-def]
        calls.append(len(events))
        if outage["down"]:
            raise OperationalError("INSERT ...", {}, ConnectionRefusedError("refused"))
        real_add(self, events)
        if outage["lose_reply"]:  # committed, but the answer never came back
            outage["lose_reply"] = False
            raise OperationalError("COMMIT", {}, ConnectionResetError("reset"))

    monkeypatch.setattr(QueueLog, "add", add)
    async with WriteSpool(backoff=FAST_BACKOFF) as spool:
        bus = EventBus()
        async with HistoryRecorder(bus, db, spool, process="p1"):
            for event in EVENTS:
                bus.publish(event)
        assert spool.down and count(db) == 0
        outage["down"] = False
        await spool.drained()
    assert count(db) == len(rows(EVENTS))
    assert len(calls) >= 3 and max(calls) > 1  # batches of many events, retried whole
    assert table(queues_report(db, DAY, LATER, SHIPPED), COLUMNS) == QUEUES


async def test_the_agents_are_noted_as_the_store_has_them(db) -> None:
    bus = EventBus()
    async with WriteSpool(backoff=FAST_BACKOFF) as spool:
        async with HistoryRecorder(bus, db, spool, process="p9",
                                   clock=lambda: FIRST.timestamp()) as recorder:
            recorder.note_agents([Agent(AgentProfile("agent101", "SIP/agent101"),
                                        AgentState.PAUSED, reason="training")])
    (row,) = QueueLog(db).between(FIRST, LATER)
    assert (row.event, row.agent_id, row.at, row.process) == ("agent", "agent101", FIRST, "p9")
    assert row.data == {"state": "paused", "reason": "training", "snapshot": True}
    assert row.at.tzinfo is not None and row.at == datetime.fromtimestamp(FIRST.timestamp(),
                                                                          UTC)
