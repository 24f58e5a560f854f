"""The supervision recorder: every monitoring session that ends (MonitorEnded), every
supervisor's act on a waiting call (CallMoved) and why each offer went where it went
(OfferExplained) is kept in the CRM (crm/supervision.py) for supervisors and admins, through the database spool the other recorders share, so a database
outage loses none of them.

`supervision_record(event)` is pure: event -> the write it makes.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from datetime import UTC, datetime

from contactcenter.acd.events import CallMoved, MonitorEnded, OfferExplained
from contactcenter.crm.database import Database
from contactcenter.crm.records import MonitoringSession, RoutingDecision
from contactcenter.crm.spool import SpoolFull, WriteSpool
from contactcenter.crm.supervision import Supervision
from contactcenter.events import BusConsumer, EventBus

Write = Callable[[Supervision], None]


def supervision_record(event: object) -> tuple[str, Write] | None:
    """(what, the write) an event makes; None for any other event."""
    if isinstance(event, MonitorEnded):
        record = MonitoringSession(
            event.session_id, event.supervisor, event.agent_id, event.call_id,
            _when(event.requested_at), _when(event.started_at) if event.started_at else None,
            _when(event.ended_at), event.duration_s,
            tuple((mode, _when(since)) for mode, since in event.modes), event.reason)
        return (f"monitoring of {event.agent_id} by {event.supervisor}",
                lambda s: s.add_session(record))
    if isinstance(event, CallMoved):
        detail = {"queue": event.queue, "to_queue": event.to_queue,
                  "priority": event.priority, "to_priority": event.to_priority,
                  "reset_entry": event.reset_entry, "entered_at": event.entered_at}
        return (f"{event.by}'s change of call {event.call_id}",
                lambda s: s.add_act(event.by, event.call_id, detail, _when(event.at)))
    if isinstance(event, OfferExplained):
        decision = RoutingDecision(event.call_id, event.agent_id, event.queue,
                                   _when(event.at), dict(event.explanation))
        return (f"why call {event.call_id} went to {event.agent_id}",
                lambda s: s.add_decision(decision))
    return None


class SupervisionRecorder:
    """`async with SupervisionRecorder(bus, db, spool):` writes from entry to exit."""

    def __init__(self, bus: EventBus, db: Database, spool: WriteSpool):
        self._supervision = Supervision(db)
        self._spool = spool
        self._consumer = BusConsumer(bus, self._write, "supervision-recorder")

    async def __aenter__(self) -> SupervisionRecorder:
        await self._consumer.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._consumer.__aexit__(*exc_info)

    async def _write(self, event: object) -> None:
        found = supervision_record(event)
        if found is None:
            return
        what, write = found
        with contextlib.suppress(SpoolFull):  # the spool logged what is lost
            self._spool.submit(what, functools.partial(write, self._supervision))


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
