"""Database writes that outlive a database outage: the interaction recorder's rows and the
agents' wrap-ups go through one WriteSpool, which writes them one at a time in the order
they were given. While the database is unreachable it keeps them and retries the oldest with
the project's backoff (contactcenter/backoff.py) until the database answers, so one call's
writes land in their order (queued, offered, connected, ended, then the agent's wrap-up)
however long the outage.

Why in crm/: it owns the database and knows which failures mean "unreachable, the same
write will succeed later" (database.unreachable) and which mean "refused" (a bad value, a
missing row: retrying cannot help, so the write is logged as given up and the next one goes
on). Both writers can import crm/, and neither may import the other (cti/ is below the
console).

The outage is seen, not only logged: PartDown(DATABASE) on the bus at the first write that
fails, PartUp when one succeeds again (contactcenter/health.py; the wallboard shows it).

Bounded: at most `limit` writes are kept; past that a new write is refused (SpoolFull) with
a log line saying what is lost. Kept in memory only: a process stopped while the database
is down loses what it kept (logged at exit, write by write); a restart while the database
is up loses nothing, as the exit writes everything first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from contactcenter.backoff import Backoff
from contactcenter.crm.database import failure_reason, unreachable
from contactcenter.errors import ContactCenterError
from contactcenter.health import DATABASE, HealthEvent, PartDown, PartUp

log = logging.getLogger(__name__)

T = TypeVar("T")


class SpoolFull(ContactCenterError):
    """The database is down and the spool holds all it may: this write was not kept."""


class Kept:
    """What WriteSpool.write returns for a write it keeps for later (the database is down,
    or slower than the caller may wait): it will be written when the database answers."""

    def __repr__(self) -> str:
        return "KEPT"


KEPT = Kept()


@dataclass(eq=False)
class _Entry(Generic[T]):
    what: str  # for the logs: which write this is, e.g. "CallEnded of call 17.3"
    write: Callable[[], T]  # blocking; runs in a worker thread
    reply: asyncio.Future[T | Kept] | None = None  # for a caller waiting on the outcome
    kept: bool = False  # it waited out an outage


class WriteSpool:
    """`async with WriteSpool(publish=bus.publish):` starts the writer; exit writes what is
    kept (for up to `drain_seconds`), then stops and logs whatever could not be written."""

    def __init__(self, *, publish: Callable[[HealthEvent], None] = lambda _event: None,
                 backoff: Backoff | None = None, limit: int = 10_000,
                 drain_seconds: float = 5.0, clock: Callable[[], float] = time.time) -> None:
        self._publish = publish
        self._backoff = backoff or Backoff(base=0.1, cap=2.0)  # a try is one connect
        self.limit = limit
        self._drain_seconds = drain_seconds
        self._clock = clock
        self._entries: deque[_Entry[Any]] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.down_since: float | None = None  # when the database stopped answering
        self._retries = 0  # failed tries of the oldest write in this outage
        self._written_after_outage = self._given_up = 0  # for the outage's closing log line

    @property
    def down(self) -> bool:
        return self.down_since is not None

    @property
    def pending(self) -> int:
        """Writes not yet written (the one being written included)."""
        return len(self._entries)

    async def drained(self) -> None:
        """Until every write given so far is written or given up."""
        await self._idle.wait()

    async def __aenter__(self) -> WriteSpool:
        self._task = asyncio.create_task(self._write_all(), name="database-spool")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._task is not None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._drain_seconds):
                await self.drained()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        if self._entries:
            log.error("database spool stopping with the database down: %d write(s) never "
                      "written, lost: %s", len(self._entries),
                      "; ".join(entry.what for entry in self._entries))
        for entry in self._entries:
            if entry.reply is not None and not entry.reply.done():
                entry.reply.set_result(KEPT)

    def submit(self, what: str, write: Callable[[], object]) -> None:
        """Write `write` (blocking, run in a worker thread) after every write given before
        it; SpoolFull (logged with `what`) if the spool cannot keep it."""
        self._add(_Entry(what, write))

    async def write(self, what: str, write: Callable[[], T], *,
                    wait_seconds: float = 2.0) -> T | Kept:
        """`submit`, then wait for the outcome: the write's result once it is written, or
        KEPT at once if the database is down (or after `wait_seconds` if it is slow): it
        stays in the spool. A refusal (say a bad value) is raised: nothing is kept."""
        reply: asyncio.Future[T | Kept] = asyncio.get_running_loop().create_future()
        reply.add_done_callback(_retrieve)
        self._add(_Entry(what, write, reply))
        try:
            return await asyncio.wait_for(asyncio.shield(reply), wait_seconds)
        except TimeoutError:
            return KEPT

    def _add(self, entry: _Entry[Any]) -> None:
        if len(self._entries) >= self.limit:
            log.error("database spool full (%d writes kept while the database is down): "
                      "%s is refused and lost", len(self._entries), entry.what)
            raise SpoolFull(f"the database is down and {len(self._entries)} writes wait: "
                            f"{entry.what} was not kept")
        if self.down:
            entry.kept = True
            if entry.reply is not None:
                entry.reply.set_result(KEPT)
        self._entries.append(entry)
        self._idle.clear()
        self._wake.set()

    async def _write_all(self) -> None:
        """The writer: the oldest write first, until it is written or refused."""
        while True:
            if not self._entries:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            entry = self._entries[0]
            try:
                result = await asyncio.to_thread(entry.write)
            except Exception as exc:
                if unreachable(exc):
                    await self._wait_out(exc)
                    continue
                self._entries.popleft()
                self._answered()
                if entry.reply is not None and not entry.reply.done():
                    log.info("database refused %s: %s", entry.what, exc)
                    entry.reply.set_exception(exc)  # its caller is told, and says so
                else:
                    self._given_up += entry.kept
                    log.error("database refused %s: %s; given up, not retried", entry.what,
                              exc)
            else:
                self._entries.popleft()
                self._answered()
                self._written_after_outage += entry.kept
                if entry.reply is not None and not entry.reply.done():
                    entry.reply.set_result(result)
            if not self._entries and (self._written_after_outage or self._given_up):
                log.warning("database spool: the outage's kept writes are done: %d written, "
                            "%d given up", self._written_after_outage, self._given_up)
                self._written_after_outage = self._given_up = 0

    async def _wait_out(self, exc: Exception) -> None:
        """The database did not answer: keep every write, say so once, wait, try again."""
        reason = failure_reason(exc)
        if self.down_since is None:
            self.down_since = self._clock()
            self._retries = 0
            self._publish(PartDown(DATABASE, reason, self.down_since))
            log.error("database unreachable (%s): keeping %d write(s) in order, the oldest "
                      "%s, and retrying", reason, len(self._entries), self._entries[0].what)
        for entry in self._entries:
            entry.kept = True
            if entry.reply is not None and not entry.reply.done():
                entry.reply.set_result(KEPT)
        delay = self._backoff.delay(self._retries)
        self._retries += 1
        log.warning("database still unreachable after %d tries (%s): %d write(s) kept, "
                    "next try in %.1f s", self._retries, reason, len(self._entries), delay)
        await asyncio.sleep(delay)

    def _answered(self) -> None:
        """The database answered a write (written or refused): it is up."""
        if self.down_since is None:
            return
        now = self._clock()
        log.warning("database reachable again after %.1f s: %d kept write(s) still to write",
                    now - self.down_since, len(self._entries))
        self.down_since = None
        self._publish(PartUp(DATABASE, now))


def _retrieve(reply: asyncio.Future[Any]) -> None:
    """Mark a refusal seen even when its caller stopped waiting (it was logged already)."""
    if not reply.cancelled():
        reply.exception()
