"""The interaction recorder: every call the ACD reports lands in the CRM's interactions
table (queued, offered, connected, ended with outcome, wait and talk time, IVR path).
A call the IVR queued has its record from then on, even if the ACD never sees it join
(its AMI link was down while the caller waited and gave up). After every resync, the
records of calls left open that are over are closed (Reconciled: their caller is gone
from Asterisk and no process holds them; a process that died could not close them, a
store failure cost the event that would have, or the ACD never saw them).

interaction_changes() is pure: event -> the columns it sets. The recorder applies them
in event order, one at a time, in a worker thread (sync SQLAlchemy). Disposition and
notes come later from the console's wrap-up (crm.interactions.Interactions.wrap_up).
A post-call survey (a queue's after_call flow) ends with an IvrFinished whose fields hold
`survey_score`: the recorder stores that rating on the call's row, which exists since
the call queued, whether the survey's end is seen before or after the CallEnded.
Writes go through the database spool (crm/spool.py) that the console's wrap-ups share: a
database outage keeps them, in order, until it is back.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from datetime import UTC, datetime
from typing import Any, Self, assert_never

from contactcenter.acd.events import (
    CallConnected,
    CallEnded,
    CallOffered,
    CallQueued,
    Reconciled,
)
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.interactions import Interactions
from contactcenter.crm.phones import DEFAULT_REGION
from contactcenter.crm.spool import SpoolFull, WriteSpool
from contactcenter.crm_link.screenpop import caller_of
from contactcenter.events import BusConsumer, EventBus
from contactcenter.ivr.events import IvrFinished

log = logging.getLogger(__name__)

CallStep = CallQueued | CallOffered | CallConnected | CallEnded  # a row's columns change
Recorded = CallStep | IvrFinished | Reconciled  # what the recorder reads off the bus


def interaction_changes(event: CallStep) -> tuple[str, dict[str, Any]]:
    """(call_id, columns to set) for an ACD call event."""
    match event:
        case CallQueued():
            return event.call_id, _drop_empty({
                "state": "queued", "queue": event.queue, "caller_num": event.caller_num,
                "entered_at": _when(event.entered_at), "ivr_fields": dict(event.fields),
            })  # fmt: skip
        case CallOffered():
            return event.call_id, _drop_empty({
                "state": "offered", "queue": event.queue, "agent_id": event.agent_id,
                "caller_num": event.caller_num, "caller_name": event.caller_name,
                "entered_at": _when(event.entered_at), "offered_at": _when(event.at),
                "ivr_path": event.ivr_path, "ivr_fields": dict(event.fields),
            })  # fmt: skip
        case CallConnected():
            return event.call_id, _drop_empty({
                "state": "connected", "queue": event.queue, "agent_id": event.agent_id,
                "connected_at": _when(event.at), "wait_s": event.wait_s,
            })  # fmt: skip
        case CallEnded():
            return event.call_id, _drop_empty({
                "state": "ended", "queue": event.queue, "agent_id": event.agent_id,
                "outcome": event.outcome, "ended_at": _when(event.at), "wait_s": event.wait_s,
                "talk_s": event.talk_s,
            })  # fmt: skip
        case _:
            assert_never(event)


def _when(epoch: float) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None


def _drop_empty(changes: dict[str, Any]) -> dict[str, Any]:
    """An event that does not know a value (empty, zero, None) leaves the column alone."""
    return {key: value for key, value in changes.items() if value not in ("", None, {}, 0)}


class InteractionRecorder(BusConsumer[Recorded]):
    """Writes the bus's call events to the interactions table, in order, through `spool`.

    `async with InteractionRecorder(bus, db, spool):` subscribes on entry; on exit it hands
    the spool what was already published, then stops. Without a spool it owns one, so its
    exit also waits for the writes. A refused write is logged by the spool and skipped.
    """

    def __init__(self, bus: EventBus, db: Database, spool: WriteSpool | None = None, *,
                 region: str = DEFAULT_REGION):
        self._interactions = Interactions(db)
        self._customers = Customers(db, region)
        self._own_spool = spool is None
        self._spool = spool or WriteSpool()
        self._stack = contextlib.AsyncExitStack()  # its own spool, if it has one
        super().__init__(bus, self._write, "interaction-recorder")

    async def __aenter__(self) -> Self:
        async with contextlib.AsyncExitStack() as stack:
            if self._own_spool:
                await stack.enter_async_context(self._spool)
            await super().__aenter__()
            self._stack = stack.pop_all()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await super().__aexit__(*exc_info)
        finally:
            await self._stack.aclose()

    def record(self, event: Recorded) -> None:
        """Apply one event to the database (blocking): link the caller, then the columns."""
        if isinstance(event, IvrFinished):
            if event.outcome == "queued":  # seen by the ACD or not (its AMI link down)
                self._interactions.track(event.uniqueid, {"state": "queued",
                                                          "entered_at": _when(event.at)})
            if event.survey_score is not None:
                self._interactions.rate(event.uniqueid, event.survey_score)
            return
        if isinstance(event, Reconciled):
            closed = self._interactions.close_stale(
                event.kept, datetime.fromtimestamp(event.started, UTC),
                datetime.fromtimestamp(event.at, UTC))
            if closed:
                log.warning("interaction recorder: closed %d record(s) a dead process left "
                            "open: %s", len(closed), ", ".join(closed[:20]))
            return
        call_id, changes = interaction_changes(event)
        if isinstance(event, CallQueued | CallOffered):
            caller = caller_of(event)
            customer, _ = self._customers.identify(account=caller.account, phone=caller.phone)
            if customer is not None:
                changes["customer_id"] = customer.id
        self._interactions.track(call_id, changes)

    async def _write(self, event: Recorded) -> None:
        if isinstance(event, IvrFinished):
            if event.survey_score is None and event.outcome != "queued":
                return  # an IVR run that neither queued nor rated changes no row
            what = f"IvrFinished of call {event.uniqueid}"
        elif isinstance(event, Reconciled):
            what = "the records of calls over"
        else:
            what = f"{type(event).__name__} of call {event.call_id}"
        with contextlib.suppress(SpoolFull):  # the spool logged what is lost
            self._spool.submit(what, functools.partial(self.record, event))
