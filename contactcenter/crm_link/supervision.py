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
from typing import assert_never

from contactcenter.acd.events import CallMoved, MonitorEnded, OfferExplained
from contactcenter.crm.database import Database
from contactcenter.crm.records import MonitoringSession, RoutingDecision
from contactcenter.crm.spool import SpoolFull, WriteSpool
from contactcenter.crm.supervision import Supervision
from contactcenter.events import BusConsumer, EventBus

Write = Callable[[Supervision], None]


Supervised = MonitorEnded | CallMoved | OfferExplained  # what the recorder reads


def supervision_record(event: Supervised) -> tuple[str, Write]:
    """(what, the write) an event makes."""
    match event:
        case MonitorEnded():
            record = MonitoringSession(
                event.session_id, event.supervisor, event.agent_id, event.call_id,
                _when(event.requested_at), _when(event.started_at) if event.started_at else None,
                _when(event.ended_at), event.duration_s,
                tuple((mode, _when(since)) for mode, since in event.modes), event.reason)
            return (f"monitoring of {event.agent_id} by {event.supervisor}",
                    lambda s: s.add_session(record))
        case CallMoved():
            moved = event
            detail = {"queue": moved.queue, "to_queue": moved.to_queue,
                      "priority": moved.priority, "to_priority": moved.to_priority,
                      "reset_entry": moved.reset_entry, "entered_at": moved.entered_at}
            return (f"{moved.by}'s change of call {moved.call_id}",
                    lambda s: s.add_act(moved.by, moved.call_id, detail, _when(moved.at)))
        case OfferExplained():
            decision = RoutingDecision(event.call_id, event.agent_id, event.queue,
                                       _when(event.at), dict(event.explanation))
            return (f"why call {event.call_id} went to {event.agent_id}",
                    lambda s: s.add_decision(decision))
        case _:
            assert_never(event)


class SupervisionRecorder(BusConsumer[Supervised]):
    """`async with SupervisionRecorder(bus, db, spool):` writes from entry to exit."""

    def __init__(self, bus: EventBus, db: Database, spool: WriteSpool):
        self._supervision = Supervision(db)
        self._spool = spool
        super().__init__(bus, self._write, "supervision-recorder")

    async def _write(self, event: Supervised) -> None:
        what, write = supervision_record(event)
        with contextlib.suppress(SpoolFull):  # the spool logged what is lost
            self._spool.submit(what, functools.partial(write, self._supervision))


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
