"""The screen pop: on CallOffered, the caller's record, IVR answers, wait time, recent
calls and complaints not yet closed (status, due date, overdue) go to the offered agent,
as soon as the CRM answers.

The console pops what the offer itself says at once (offer_pop, with the ring) and this
record replaces it (agent_console/pops.py). The database is read in a worker thread, for
all offers waiting at that moment in one go (crm.profiles), so a burst of 200 offers costs
about one lookup; build_pop() is pure: offer + profile -> the JSON-ready payload the
console renders.

A CRM that is down or slow never holds the pop path back: the read is given
LOOKUP_SECONDS, and a failure or a timeout pops the call with "customer record unavailable"
(and no new-customer form: the caller may well be a customer). The agent already has the
offer's own pop, shown with the ring.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from contactcenter.acd.events import CallOffered, CallQueued
from contactcenter.crm.complaint_workflow import complaint_json
from contactcenter.crm.database import Database, failure_reason
from contactcenter.crm.phones import DEFAULT_REGION, maybe_e164
from contactcenter.crm.profiles import Caller, CallerProfile, caller_profiles
from contactcenter.crm.records import as_json
from contactcenter.crm_link.events import ScreenPop
from contactcenter.events import BusConsumer, EventBus

log = logging.getLogger(__name__)

ACCOUNT_FIELD = "account"  # the IVR answer that holds the caller's account number
SAID_FIELD = "said"  # the IVR answer that holds what the caller last said (speech steps)
NO_NAME = {"", "unknown", "anonymous", "<unknown>"}
LOOKUP_FAILED = "customer record unavailable"
LOOKUP_SECONDS = 3.0  # a CRM slower than this pops LOOKUP_FAILED; the read is not awaited


def caller_of(call: CallOffered | CallQueued) -> Caller:
    """How the CRM should recognise this call's caller."""
    return Caller(account=call.fields.get(ACCOUNT_FIELD, ""), phone=call.caller_num)


def build_pop(
    offer: CallOffered, profile: CallerProfile, *, history: int = 5, crm_error: str = ""
) -> dict[str, Any]:
    """The pop payload (JSON-ready) for one offered call."""
    customer = None if profile.customer is None else as_json(profile.customer)
    new_customer = None
    if customer is None and not crm_error:
        name = offer.caller_name.strip()
        new_customer = {
            "name": "" if name.lower() in NO_NAME or name == offer.caller_num else name,
            "phones": [profile.phone_e164 or offer.caller_num] if offer.caller_num else [],
            "account_number": offer.fields.get(ACCOUNT_FIELD, ""),
        }
    # the recorder may already hold this very call in the caller's history: leave it out
    past = [i for i in profile.interactions if i.call_id != offer.call_id][:history]
    return {
        "call_id": offer.call_id,
        "agent_id": offer.agent_id,
        "queue": offer.queue,
        "channel": offer.channel,
        "caller": {"number": offer.caller_num, "e164": profile.phone_e164,
                   "name": offer.caller_name},
        "matched_by": profile.matched_by,
        "customer": customer,
        "new_customer": new_customer,
        "ivr": {
            "path": [step for step in offer.ivr_path.split(",") if step],
            "answers": dict(offer.fields),
        },
        "caller_said": offer.fields.get(SAID_FIELD, ""),
        "entered_at": offer.entered_at or None,
        "offered_at": offer.at,
        "wait_s": round(max(0.0, offer.at - offer.entered_at), 3) if offer.entered_at else 0.0,
        "recent_interactions": [as_json(i) for i in past],
        "open_complaints": [complaint_json(c, datetime.fromtimestamp(offer.at, UTC))
                            for c in profile.complaints],
        "crm_error": crm_error,
        "lookup": "failed" if crm_error else "done",
    }  # fmt: skip


def offer_pop(offer: CallOffered) -> dict[str, Any]:
    """The pop the offer alone makes, before the CRM answers (lookup "pending"): caller ID,
    queue, IVR path and answers, wait. No customer yet, and no new-customer form either."""
    pending = build_pop(offer, CallerProfile(None, "", None))
    return {**pending, "new_customer": None, "lookup": "pending"}


class ScreenPopper(BusConsumer[CallOffered]):
    """Listens for CallOffered on the bus and publishes a ScreenPop for each at once.

    `async with ScreenPopper(bus, db):` subscribes on entry; on exit it pops what was
    already offered, then stops. A CRM failure still pops the call, with crm_error set.
    """

    def __init__(
        self,
        bus: EventBus,
        db: Database,
        *,
        history: int = 5,
        region: str = DEFAULT_REGION,
        clock: Callable[[], float] = time.time,
        lookup_seconds: float = LOOKUP_SECONDS,
    ):
        self._bus = bus
        self._db = db
        self._history = history
        self._region = region
        self._clock = clock
        self._lookup_seconds = lookup_seconds
        self._pending: list[CallOffered] = []
        self._worker: asyncio.Task[None] | None = None
        super().__init__(bus, self._on_event, "screen-popper")

    async def __aexit__(self, *exc_info: object) -> None:
        await super().__aexit__(*exc_info)
        if self._worker is not None:
            try:
                await self._worker
            finally:
                self._worker.cancel()
                await asyncio.gather(self._worker, return_exceptions=True)

    async def pop(self, offers: Sequence[CallOffered]) -> list[ScreenPop]:
        """Build the pops for `offers` with one CRM read, and publish them."""
        callers = [caller_of(offer) for offer in offers]
        crm_error = ""
        try:
            profiles = await asyncio.wait_for(asyncio.to_thread(
                caller_profiles, self._db, callers, history=self._history + 1,
                region=self._region,
            ), self._lookup_seconds)  # fmt: skip
        except Exception as exc:
            log.warning("screen pop: customer records unavailable for %d call(s) (%s); "
                        "popped without them", len(offers), failure_reason(exc))
            crm_error = LOOKUP_FAILED
            profiles = [CallerProfile(None, "", maybe_e164(c.phone, self._region)) for c in callers]
        at = self._clock()
        pops = [
            ScreenPop(offer.agent_id, offer.call_id,
                      build_pop(offer, profile, history=self._history, crm_error=crm_error), at)
            for offer, profile in zip(offers, profiles, strict=True)
        ]  # fmt: skip
        for event in pops:
            self._bus.publish(event)
        return pops

    async def _on_event(self, event: CallOffered) -> None:
        self._pending.append(event)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._pop_pending(), name="screen-pops")

    async def _pop_pending(self) -> None:
        # Offers that arrive while a read runs wait for it, then go together in the next.
        while self._pending:
            offers, self._pending = self._pending, []
            try:
                await self.pop(offers)
            except Exception:  # these agents keep the offer's own pop; the next go on
                log.exception("screen pop: %d pop(s) not built", len(offers))
