"""Queued callbacks: a call held in the store at the caller's place with the number to call
(WaitingCall.callback) and nobody on the line, so the caller's hangup is no abandon.

They come from the IVR's callback step (CallbackRequested), the announcement's key or a
callback overflow. The distributor offers them like any call; its turn rings the agent
first, then the dialplan dials the customer. This book remembers which calls are callbacks
and how many of their tries the customer did not answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from contactcenter.acd.events import AcdEvent, CallbackQueued, CallQueued
from contactcenter.acd.routing import WaitingCall
from contactcenter.acd.store import QueueStore
from contactcenter.cti.dialing import dialable
from contactcenter.ivr.events import CallbackRequested
from contactcenter.logs import call_fields

log = logging.getLogger(__name__)


class CallbackBook:
    """Adds callbacks to the store and keeps what their hangups and failed tries mean."""

    def __init__(self, store: QueueStore, clock: Callable[[], float],
                 publish: Callable[[AcdEvent], None]) -> None:
        self.store = store
        self.clock = clock
        self.publish = publish
        self._pending: set[str] = set()  # callbacks whose caller's hangup is no abandon
        self._failures: dict[str, int] = {}  # call_id -> tries the customer did not answer

    async def add(self, call: WaitingCall) -> bool:
        """Hold a callback in the store at its place; False if the store has that call."""
        if not await self.store.add_call(call):
            return False
        self._pending.add(call.call_id)
        self.publish(CallbackQueued(call.call_id, call.queue, call.callback, call.entered_at,
                                    self.clock()))
        return True

    async def request(self, call_id: str, number: str) -> bool:
        """The waiting caller will hang up and be called back at `number`, keeping their
        place; False if the call is no longer waiting (then nothing changes)."""
        if not dialable(number):
            return False
        call = next((c for c in await self.store.waiting() if c.call_id == call_id), None)
        if call is None or call.callback:
            return False
        await self.store.remove_call(call_id)
        return await self.add(replace(call, callback=number))

    async def requested(self, event: CallbackRequested) -> bool:
        """The IVR's callback step: the call joins at `at` with nobody on the line; True if
        it joined."""
        if not dialable(event.number):
            log.warning("callback for %s: %r cannot be dialled; no callback is queued",
                        event.call_id, event.number,
                        extra=call_fields(event.call_id, event.queue))
            return False
        call = WaitingCall(event.call_id, "", event.queue, event.at, event.priority,
                           event.number, event.caller_name, dict(event.skills),
                           dict(event.fields), event.ivr_path, callback=event.number)
        if not await self.add(call):
            return False
        self.publish(CallQueued(call.call_id, call.queue, call.caller_num, call.entered_at,
                                call.priority, dict(call.fields)))
        return True

    def caller_left(self, call_id: str) -> bool:
        """True if this hangup is a callback's caller leaving (once): no abandon."""
        if call_id not in self._pending:
            return False
        self._pending.discard(call_id)
        return True

    def failed(self, call_id: str) -> int:
        """Count a try the customer did not answer; the tries failed so far."""
        self._failures[call_id] = failures = self._failures.get(call_id, 0) + 1
        return failures

    def forget(self, call_id: str) -> None:
        """The call has ended."""
        self._pending.discard(call_id)
        self._failures.pop(call_id, None)
