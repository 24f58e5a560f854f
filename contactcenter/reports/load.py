"""Reports from the database (blocking: async callers use asyncio.to_thread): the period
asked for, the queue log rows it needs, the agents' queues, then the pure computation of
intervals.py. The command line and the console both come through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from contactcenter.crm.database import Database
from contactcenter.crm.queue_log import QueueLog
from contactcenter.crm.records import QueueEvent
from contactcenter.crm.users import Users
from contactcenter.queue_config import QueueDefinition
from contactcenter.reports.intervals import (
    LOOKBACK,
    AgentRow,
    QueueRow,
    Span,
    agent_report,
    intervals,
    queue_report,
)


@dataclass(frozen=True)
class Period:
    """[start, end) cut into intervals of size_s seconds on the clock of `tz`."""

    start: datetime
    end: datetime
    size_s: int
    tz: tzinfo

    @property
    def spans(self) -> list[Span]:
        return intervals(self.start, self.end, self.size_s, self.tz)


def moment(text: str, tz: tzinfo, *, end: bool = False) -> datetime:
    """A report bound: YYYY-MM-DD (a local day: its start, or with `end` the start of the
    next, so the day is included) or YYYY-MM-DDTHH:MM[:SS] local time (or with an offset);
    ValueError for anything else."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
        return (when if when.tzinfo else when.replace(tzinfo=tz)).astimezone(UTC)
    return datetime.combine(day + timedelta(days=1 if end else 0), time(),
                            tzinfo=tz).astimezone(UTC)


def period(since: str | None, until: str | None, size_s: int, tz: tzinfo,
           now: datetime) -> Period:
    """The period of --from/--to (or ?from/?to): each defaults to today (local)."""
    today = now.astimezone(tz).date().isoformat()
    start, end = moment(since or today, tz), moment(until or today, tz, end=True)
    if end <= start:
        raise ValueError("the period ends before it starts")
    return Period(start, end, size_s, tz)


def log_rows(db: Database, start: datetime, end: datetime) -> list[QueueEvent]:
    """The rows a report over [start, end) reads: each agent's state at the lookback's
    start, then everything from there, in time order."""
    log, since = QueueLog(db), start - LOOKBACK
    return [*log.agent_states_at(since), *log.between(since, end)]


def members(db: Database) -> dict[str, tuple[str, ...]]:
    """agent -> the queues they serve (the CRM's memberships, as they are now)."""
    return {user.username: tuple(m.queue for m in user.queues)
            for user in Users(db).list(role="agent")}


def queues_report(db: Database, when: Period, now: datetime,
                  queues: Mapping[str, QueueDefinition], *,
                  by_queue: bool = True) -> list[QueueRow]:
    return queue_report(log_rows(db, when.start, when.end), when.spans, now, queues=queues,
                        members=members(db), by_queue=by_queue)


def agents_report(db: Database, when: Period, now: datetime) -> list[AgentRow]:
    return agent_report(log_rows(db, when.start, when.end), when.spans, now)
