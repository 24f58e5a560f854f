"""The queue log on SQLite and PostgreSQL: idempotent writes by key, time ranges in order,
each agent's state when a range starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from contactcenter.crm.models import QueueEventRow
from contactcenter.crm.queue_log import QueueLog
from contactcenter.crm.records import QueueEvent

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def event(key: str, seconds: float, kind: str = "queued", **fields: object) -> QueueEvent:
    return QueueEvent(T0 + timedelta(seconds=seconds), kind, key=key, process="p1",
                      **fields)  # type: ignore[arg-type]


def rows(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(QueueEventRow))


def test_an_event_written_twice_is_one_row(db) -> None:
    log = QueueLog(db)
    first = [event("a", 0, call_id="c1", queue="support", data={"priority": 1}),
             event("b", 1, "connected", call_id="c1", agent_id="x", data={"wait_s": 1.0})]
    log.add(first)
    log.add([*first, event("c", 2, "ended", call_id="c1")])  # a retry, then something new
    assert rows(db) == 3
    found = log.between(T0, T0 + timedelta(minutes=1))
    assert [(e.key, e.event) for e in found] == [("a", "queued"), ("b", "connected"),
                                                ("c", "ended")]
    assert found[1] == first[1]  # every field back as written, the time aware UTC
    assert found[0].data == {"priority": 1} and found[0].at.tzinfo is not None


def test_a_range_includes_its_start_and_excludes_its_end_in_time_order(db) -> None:
    log = QueueLog(db)
    log.add([event("late", 60), event("start", 0), event("mid", 30.5), event("end", 90)])
    found = log.between(T0, T0 + timedelta(seconds=90))
    assert [e.key for e in found] == ["start", "mid", "late"]
    same_instant = [event(f"s{n}", 100) for n in range(3)]
    log.add(same_instant)
    assert [e.key for e in log.between(T0 + timedelta(seconds=100),
                                       T0 + timedelta(seconds=101))] == ["s0", "s1", "s2"]


def test_each_agent_s_state_when_a_range_starts(db) -> None:
    log = QueueLog(db)
    log.add([event("x1", 0, "agent", agent_id="x", data={"state": "available"}),
             event("x2", 50, "agent", agent_id="x", data={"state": "paused", "reason": "lunch"}),
             event("y1", 10, "agent", agent_id="y", data={"state": "available"}),
             event("q", 55, "queued", agent_id=""),
             event("x3", 200, "agent", agent_id="x", data={"state": "available"})])
    before = log.agent_states_at(T0 + timedelta(seconds=100))
    assert [(e.agent_id, e.data["state"]) for e in before] == [("y", "available"),
                                                             ("x", "paused")]
    assert log.agent_states_at(T0) == []


def test_an_event_without_a_key_is_refused_and_nothing_is_written(db) -> None:
    with pytest.raises(ValueError, match="key"):
        QueueLog(db).add([event("a", 0), event("", 1)])
    assert rows(db) == 0
