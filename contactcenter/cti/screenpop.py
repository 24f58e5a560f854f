"""The screen pop: on CallOffered, the caller's record, IVR answers, wait time, recent
calls and open cases go to the offered agent at once, before they answer.

lookup_caller() is the only part that touches the database (in a worker thread);
build_pop() is pure: offer + plain dicts -> the payload the console renders.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contactcenter.acd.events import CallOffered
from contactcenter.crm.cases import Cases
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.interactions import Interactions
from contactcenter.crm.phones import DEFAULT_REGION, maybe_e164
from contactcenter.crm.records import as_json
from contactcenter.cti.events import ScreenPop
from contactcenter.events import BusConsumer, EventBus

log = logging.getLogger(__name__)

ACCOUNT_FIELD = "account"  # the IVR answer that holds the caller's account number
NO_NAME = {"", "unknown", "anonymous", "<unknown>"}


@dataclass(frozen=True)
class CallerContext:
    """What the CRM knows about an offered call's caller, as JSON-ready dicts."""

    matched_by: str  # "account" | "phone" | "" (unknown caller)
    customer: dict[str, Any] | None
    interactions: tuple[dict[str, Any], ...] = ()
    open_cases: tuple[dict[str, Any], ...] = ()
    caller_e164: str | None = None
    error: str = ""  # set when the CRM could not be asked; the pop still goes out


def lookup_caller(
    db: Database, offer: CallOffered, *, history: int = 5, region: str = DEFAULT_REGION
) -> CallerContext:
    """Ask the CRM who is calling (account number first, then caller number). Blocking."""
    customer, matched_by = Customers(db, region).identify(
        account=offer.fields.get(ACCOUNT_FIELD, ""), phone=offer.caller_num
    )
    e164 = maybe_e164(offer.caller_num, region)
    if customer is None:
        return CallerContext("", None, caller_e164=e164)
    # one more than asked, in case the list holds this very call (the recorder's row)
    recent = Interactions(db).recent_for_customer(customer.id, limit=history + 1)
    return CallerContext(
        matched_by=matched_by,
        customer=as_json(customer),
        interactions=tuple(as_json(i) for i in recent),
        open_cases=tuple(as_json(c) for c in Cases(db).open_for_customer(customer.id)),
        caller_e164=e164,
    )


def build_pop(offer: CallOffered, context: CallerContext, *, history: int = 5) -> dict[str, Any]:
    """The pop payload (JSON-ready) for one offered call."""
    new_customer = None
    if context.customer is None:
        name = offer.caller_name.strip()
        new_customer = {
            "name": "" if name.lower() in NO_NAME or name == offer.caller_num else name,
            "phones": [context.caller_e164 or offer.caller_num] if offer.caller_num else [],
            "account_number": offer.fields.get(ACCOUNT_FIELD, ""),
        }
    return {
        "call_id": offer.call_id,
        "agent_id": offer.agent_id,
        "queue": offer.queue,
        "channel": offer.channel,
        "caller": {
            "number": offer.caller_num,
            "e164": context.caller_e164,
            "name": offer.caller_name,
        },
        "matched_by": context.matched_by,
        "customer": context.customer,
        "new_customer": new_customer,
        "ivr": {
            "path": [step for step in offer.ivr_path.split(",") if step],
            "answers": dict(offer.fields),
        },
        "entered_at": offer.entered_at or None,
        "offered_at": offer.at,
        "wait_s": round(max(0.0, offer.at - offer.entered_at), 3) if offer.entered_at else 0.0,
        "recent_interactions": [i for i in context.interactions if i["call_id"] != offer.call_id][
            :history
        ],
        "open_cases": list(context.open_cases),
        "crm_error": context.error,
    }


class ScreenPopper:
    """Listens for CallOffered on the bus and publishes a ScreenPop for each, concurrently.

    `async with ScreenPopper(bus, db):` subscribes on entry; on exit it pops what was
    already offered, then stops. Lookups run in worker threads (sync SQLAlchemy).
    """

    def __init__(
        self,
        bus: EventBus,
        db: Database,
        *,
        history: int = 5,
        region: str = DEFAULT_REGION,
        clock: Callable[[], float] = time.time,
    ):
        self._bus = bus
        self._db = db
        self._history = history
        self._region = region
        self._clock = clock
        self._consumer = BusConsumer(bus, self._on_event, "screen-popper")
        self._pops: set[asyncio.Task[ScreenPop]] = set()

    async def __aenter__(self) -> ScreenPopper:
        await self._consumer.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await self._consumer.__aexit__(*exc_info)
            await asyncio.gather(*self._pops)
        finally:
            for task in self._pops:
                task.cancel()
            await asyncio.gather(*self._pops, return_exceptions=True)

    async def pop(self, offer: CallOffered) -> ScreenPop:
        """Build the pop for `offer` and publish it; a CRM failure still pops the call."""
        try:
            context = await asyncio.to_thread(
                lookup_caller, self._db, offer, history=self._history, region=self._region
            )
        except Exception:
            log.exception("screen pop: customer lookup failed for call %s", offer.call_id)
            context = CallerContext("", None, error="customer lookup failed")
        event = ScreenPop(
            agent_id=offer.agent_id,
            call_id=offer.call_id,
            payload=build_pop(offer, context, history=self._history),
            at=self._clock(),
        )
        self._bus.publish(event)
        return event

    async def _on_event(self, event: object) -> None:
        if isinstance(event, CallOffered):
            task = asyncio.create_task(self.pop(event), name=f"pop-{event.call_id}")
            self._pops.add(task)
            task.add_done_callback(self._pops.discard)
