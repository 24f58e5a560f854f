"""The history recorder: every queue and agent event the ACD and the IVR publish is kept in
the queue log (crm/queue_log.py), as Asterisk keeps its queue_log, for the interval reports.

`QueueLogRows` (pure) turns an event into its row. Each row carries the process that wrote
it and a key that is the event's identity (a hash of what it says), so a row written
twice is one row: a write the spool retried after a reply it lost, a call that a restarted
process queues again at its original entry time, an event two processes both saw. Reports
then read every process's rows as one history, across restarts.

A call's row in a queue is dated when it arrived there: its entry time, or when an
overflow moved it in (the CallQueued of an overflow keeps the caller's first entry time).

`HistoryRecorder` writes the rows through the database spool that the interaction
recorder shares (crm/spool.py), so a database outage loses nothing: the rows wait, in
order, until it is back. Rows are written in batches: while one write waits for the
database, the events published meanwhile join the next, one transaction for many.

When the platform starts it notes every agent's state as the store has it (`note_agents`):
with the memory store a restart logs everyone out without a state change, and the reports
must not count the last state on forever.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, assert_never

from contactcenter.acd.agents import Agent
from contactcenter.acd.events import (
    AcdEvent,
    AgentStateChanged,
    CallbackQueued,
    CallConnected,
    CallEnded,
    CallMoved,
    CallOffered,
    CallOverflowed,
    CallQueued,
    CallTransferred,
    MonitorEnded,
    MonitorModeChanged,
    MonitorStarted,
    OfferExplained,
    Reconciled,
)
from contactcenter.crm.database import Database
from contactcenter.crm.queue_log import AGENT, QueueLog
from contactcenter.crm.records import QueueEvent
from contactcenter.crm.spool import SpoolFull, WriteSpool
from contactcenter.events import BusConsumer, EventBus
from contactcenter.ivr.events import IvrFinished

log = logging.getLogger(__name__)

Logged = AcdEvent | IvrFinished  # what the queue log reads off the bus
MOVED_KEPT = 10_000  # calls moved by an overflow whose CallQueued is still to come


class QueueLogRows:
    """Events in, queue log rows out (pure but for a small memory of overflow moves)."""

    def __init__(self, process: str) -> None:
        self.process = process
        self._moved: dict[tuple[str, str], float] = {}  # (call, queue) -> moved in at

    def row(self, event: Logged) -> QueueEvent | None:
        """The row for an ACD event or a rated IvrFinished; None for an unrated one."""
        match event:
            case CallQueued():
                arrived = self._moved.pop((event.call_id, event.queue), event.entered_at)
                return self._row(arrived, "queued", event.call_id, event.queue, "",
                                 {"entered_at": event.entered_at, "priority": event.priority},
                                 identity=event.entered_at)
            case CallOffered():
                return self._row(event.at, "offered", event.call_id, event.queue,
                                 event.agent_id, {"entered_at": event.entered_at})
            case CallConnected():
                return self._row(event.at, "connected", event.call_id, event.queue,
                                 event.agent_id, {"wait_s": event.wait_s})
            case CallEnded():
                return self._row(event.at, "ended", event.call_id, event.queue,
                                 event.agent_id or "", {"outcome": event.outcome,
                                                        "wait_s": event.wait_s,
                                                        "talk_s": event.talk_s})
            case CallOverflowed():
                kind, _, target = event.to.partition(":")
                if kind == "queue":
                    if len(self._moved) >= MOVED_KEPT:
                        self._moved.pop(next(iter(self._moved)))
                    self._moved[(event.call_id, target)] = event.at
                return self._row(event.at, "overflowed", event.call_id, event.queue, "",
                                 {"to": event.to, "wait_s": event.wait_s})
            case CallbackQueued():
                return self._row(event.at, "callback", event.call_id, event.queue, "",
                                 {"entered_at": event.entered_at})
            case CallTransferred():
                return self._row(event.at, "transfer", event.call_id, event.queue,
                                 event.agent_id, {"to": event.to, "kind": event.kind})
            case AgentStateChanged():
                return self._row(event.at, AGENT, event.call_id or "", "", event.agent_id,
                                 {"state": event.state, "reason": event.reason})
            case IvrFinished() if event.survey_score is not None:
                return self._row(event.at, "survey", event.uniqueid, "", "",
                                 {"score": event.survey_score, "flow": event.flow})
            case (IvrFinished() | Reconciled() | OfferExplained() | CallMoved()
                  | MonitorStarted() | MonitorModeChanged() | MonitorEnded()):
                return None  # no survey; bookkeeping; supervision (crm_link/supervision.py)
            case _:
                assert_never(event)

    def snapshot(self, agents: Iterable[Agent], at: float) -> list[QueueEvent]:
        """Rows saying each agent's state as the store has it at `at`."""
        return [self._row(at, AGENT, agent.call_id or "", "", agent.agent_id,
                          {"state": agent.state.value, "reason": agent.reason,
                           "snapshot": True}) for agent in agents]

    def _row(self, at: float, event: str, call_id: str, queue: str, agent_id: str,
             data: dict[str, Any], *, identity: float | None = None) -> QueueEvent:
        what = [event, call_id, queue, agent_id, round(at if identity is None else identity, 6),
                sorted(data.items())]
        if data.get("snapshot"):
            what.append(self.process)  # each process's own view, never another's
        key = hashlib.sha256(json.dumps(what, default=str).encode()).hexdigest()
        return QueueEvent(datetime.fromtimestamp(at, UTC), event, call_id, queue, agent_id,
                          data, self.process, key)


class _Batch:
    """Rows for one spool write. The write seals it when it runs (a retry after an outage
    writes the same rows); rows that come later go to the next batch."""

    def __init__(self) -> None:
        self._rows: list[QueueEvent] = []
        self._sealed = False
        self._lock = threading.Lock()  # the loop adds, the spool's worker thread seals

    def add(self, row: QueueEvent) -> bool:
        with self._lock:
            if self._sealed:
                return False
            self._rows.append(row)
            return True

    def seal(self) -> list[QueueEvent]:
        with self._lock:
            self._sealed = True
            return self._rows


class HistoryRecorder(BusConsumer[Logged]):
    """`async with HistoryRecorder(bus, db, spool, process=...):` subscribes on entry; on
    exit it hands the spool what was already published, then stops."""

    def __init__(self, bus: EventBus, db: Database, spool: WriteSpool, *, process: str,
                 clock: Callable[[], float] = time.time) -> None:
        self._log = QueueLog(db)
        self._spool = spool
        self._rows = QueueLogRows(process)
        self._clock = clock
        self._batch: _Batch | None = None
        super().__init__(bus, self._record, "history-recorder")

    def note_agents(self, agents: Iterable[Agent]) -> None:
        """Keep every agent's state now, as the store has it (at the platform's start)."""
        for row in self._rows.snapshot(agents, self._clock()):
            self._keep(row)

    async def _record(self, event: Logged) -> None:
        if (row := self._rows.row(event)) is not None:
            self._keep(row)

    def _keep(self, row: QueueEvent) -> None:
        if self._batch is not None and self._batch.add(row):
            return
        batch = self._batch = _Batch()
        batch.add(row)
        with contextlib.suppress(SpoolFull):  # the spool logged what is lost
            self._spool.submit(f"queue log rows from {row.event} of "
                               f"{row.call_id or row.agent_id} on", lambda: self._write(batch))

    def _write(self, batch: _Batch) -> None:
        self._log.add(batch.seal())
