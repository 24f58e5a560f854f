"""Test helpers shared by several test modules: waiting for state or events, a cuttable
AMI link, clocks and complaints, the scripted day's queue log. Test modules import their
helpers from here (or take fixtures from a conftest), never from another test module."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self, TypeVar

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from contactcenter.backoff import Backoff
from contactcenter.crm.database import Database
from contactcenter.crm.models import UserQueueRow, UserRow
from contactcenter.crm.records import Complaint, QueueEvent
from contactcenter.crm.spool import WriteSpool
from contactcenter.events import EventBus
from contactcenter.queue_config import load_queue_definitions
from contactcenter.reports.history import HistoryRecorder, QueueLogRows

E = TypeVar("E")
T0 = datetime(2026, 12, 1, 14, tzinfo=UTC)
FAST_BACKOFF = Backoff(base=0.01, cap=0.05)  # database retries a test need not wait for
SHIPPED = load_queue_definitions(Path(__file__).parents[1] / "flows" / "queues.yaml")


# -- waiting ------------------------------------------------------------------------------

async def eventually(condition: Callable[[], object], within: float = 5.0) -> None:
    """Poll state that has no event to wait for (the simulator's, a page's, a counter);
    fail after `within` seconds."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - polling public state is the point
            await asyncio.sleep(0.005)


async def next_event(events: asyncio.Queue[object], kind: type[E],
                     where: Callable[[E], bool] = lambda _e: True, within: float = 10.0) -> E:
    """The next bus event of `kind` that satisfies `where`, skipping the others."""
    async with asyncio.timeout(within):
        while not (isinstance(event := await events.get(), kind) and where(event)):
            pass
        return event


# -- the AMI link -------------------------------------------------------------------------

class CuttableLink:
    """`async with CuttableLink(port) as link:` a loopback TCP proxy in front of an AMI
    port (the simulator's) that a test can cut, and mend by setting `down` back."""

    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self.down = False
        self._pipes: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.cut()
        self._server.close()
        await self._server.wait_closed()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def cut(self) -> None:
        self.down = True
        for writer in self._pipes:
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target)
        self._pipes |= {writer, up_writer}
        pumps = [asyncio.create_task(self._pump(reader, up_writer)),
                 asyncio.create_task(self._pump(up_reader, writer))]
        self._tasks.update(pumps)
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for writer_ in (writer, up_writer):
            writer_.close()
            self._pipes.discard(writer_)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)


# -- databases ----------------------------------------------------------------------------
# A fresh CRM database per test: a SQLite file, or a new database in the session's
# throwaway PostgreSQL cluster (tests/conftest.py), dropped afterwards.

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


# -- complaints ---------------------------------------------------------------------------

class Clock:
    """A clock the test sets: `clock.now = ...`."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def complaint(id: int = 1, **fields: object) -> Complaint:
    """A billing complaint of Ada's received at T0, new, due in 2 h (response) and 8 h
    (resolution); `fields` change any of it."""
    values: dict[str, Any] = dict(
        id=id, customer_id=7, subject="Refund", description="", category="billing",
        subcategory="refund", severity="high", channel="call", status="new", team="billing",
        assignee=None, created_by="agent101", created_at=T0, updated_at=T0,
        response_due_at=T0 + timedelta(hours=2), resolution_due_at=T0 + timedelta(hours=8),
        first_response_at=None, resolved_at=None, closed_at=None, solution="", solution_by="",
        solution_at=None, accepted=None, answered_at=None, escalation_level=0,
        escalated_to="", escalated_at=None, reopened=0, customer_name="Ada Lovelace")
    values.update(fields)
    return Complaint(**values)


# -- the queue log (tests/reports/scripted_day.py) ----------------------------------------

def rows(events: list[Any], process: str = "p1") -> list[QueueEvent]:
    """The queue log rows a history recorder of `process` writes for `events`."""
    translate = QueueLogRows(process)
    return [row for event in events if (row := translate.row(event)) is not None]


def table(report: list[Any], columns: tuple[str, ...]) -> dict[datetime, list[tuple[Any, ...]]]:
    """A report's rows by interval start, each row as the values of `columns`."""
    found: dict[datetime, list[tuple[Any, ...]]] = {}
    for row in report:
        found.setdefault(row.start, []).append(tuple(getattr(row, c) for c in columns))
    return found


def add_agents(db: Database, members: Mapping[str, Iterable[str]]) -> None:
    """Agents (name -> their queues) as users, written directly: no password to hash."""
    with db.session() as session:
        for name, queues in members.items():
            session.add(UserRow(username=name, password_hash="-", role="agent",
                                device=f"SIP/{name}",
                                queues=[UserQueueRow(queue=queue) for queue in queues]))


async def record(db: Database, events: list[Any], process: str,
                 spool: WriteSpool | None = None) -> None:
    """Publish `events` on a bus a history recorder of `process` reads; return once
    written."""
    bus = EventBus()
    async with WriteSpool(backoff=FAST_BACKOFF) as own:
        async with HistoryRecorder(bus, db, spool or own, process=process):
            for event in events:
                bus.publish(event)
