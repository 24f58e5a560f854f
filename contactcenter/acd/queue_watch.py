"""The queue watch: carries out what acd/overflow.py and acd/announcer.py decide for the
waiting callers, at their entry and every tick: overflows (another queue, voicemail, a
message, a callback) and announcements (a Redirect into cc-announce and back to hold).

It remembers when each call joined its current queue and when it last heard an
announcement, which those decisions need.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from contactcenter.acd.announcer import ANNOUNCE_CONTEXT, announcements_due
from contactcenter.acd.call_control import CallControl
from contactcenter.acd.callbacks import CallbackBook
from contactcenter.acd.events import AcdEvent, CallMoved, CallOutcome, CallOverflowed, CallQueued
from contactcenter.acd.overflow import ALL_BUSY, at_entry, destination, overflows_due
from contactcenter.acd.routing import WaitingCall, changed_call
from contactcenter.acd.store import QueueStore
from contactcenter.cti import variables as cc
from contactcenter.cti.dialing import dialable
from contactcenter.errors import AmiError, InvalidTransition
from contactcenter.logs import call_fields
from contactcenter.queue_config import OverflowRule, QueueDefinition

log = logging.getLogger(__name__)

VOICEMAIL_CONTEXT = "cc-voicemail"  # extensions.conf: the Redirect's exten is the queue
MESSAGE_CONTEXT = "cc-message"  # extensions.conf: the Redirect's exten is the prompt
CALLBACK_QUEUED_PROMPT = "callback-queued"  # said before hanging up a callback overflow

End = Callable[[WaitingCall, CallOutcome, str | None, float], None]


class QueueWatch:
    """`end(call, outcome, agent_id, at)` closes a call; `dispatch()` offers waiting calls
    (both the distributor's)."""

    def __init__(self, store: QueueStore, control: CallControl,
                 queues: Mapping[str, QueueDefinition], clock: Callable[[], float],
                 callbacks: CallbackBook, *, publish: Callable[[AcdEvent], None], end: End,
                 dispatch: Callable[[], Awaitable[None]]) -> None:
        self.store = store
        self.control = control
        self.queues = queues
        self.clock = clock
        self.callbacks = callbacks
        self.publish = publish
        self.end = end
        self.dispatch = dispatch
        self._joined: dict[str, float] = {}  # call_id -> when it joined its current queue
        self._announced: dict[str, float] = {}  # call_id -> last announcement
        self._announcing: set[str] = set()  # sent to cc-announce, not yet back on hold

    def joined(self, call_id: str, at: float, *, announced: bool) -> None:
        """A call joined its queue at `at`; `announced`: it was told on an earlier entry."""
        self._joined[call_id] = at
        if announced:
            self._announced[call_id] = self.clock()

    def back_on_hold(self, call_id: str) -> None:
        self._announcing.discard(call_id)

    def caller_left(self, call_id: str) -> None:
        self._announced.pop(call_id, None)
        self._announcing.discard(call_id)

    def forget(self, call_id: str) -> None:
        """The call has ended."""
        self._joined.pop(call_id, None)
        self._announced.pop(call_id, None)

    async def at_entry(self, call: WaitingCall) -> bool:
        """Meet the queue's limits at entry; True if the call overflowed instead."""
        others = sum(c.queue == call.queue for c in await self.store.waiting()) - 1
        rule = at_entry(self.queues.get(call.queue), others)
        if rule is None:
            return False
        await self.overflow(call, rule)
        return True

    async def run(self, lock: asyncio.Lock, tick_seconds: float) -> None:
        """Timed overflows, max waits and announcements, every tick_seconds, until cancelled;
        `lock` keeps each tick apart from the distributor's events."""
        while True:
            await asyncio.sleep(tick_seconds)
            try:
                async with lock:
                    for call, rule in overflows_due(await self._on_hold(), self.queues,
                                                    self._joined, self.clock()):
                        await self.overflow(call, rule)
                    await self._announce(await self._on_hold())
            except (AmiError, InvalidTransition) as exc:
                log.warning("distributor: %s while watching the queues; the next tick "
                            "tries again", exc)
            except Exception:  # the next tick tries again; a dead watch would stop overflows
                log.exception("distributor: the queue watch failed this tick; the next "
                              "tick tries again")

    async def _on_hold(self) -> list[WaitingCall]:
        """The waiting calls that can be Redirected now: not in an announcement."""
        return [c for c in await self.store.waiting() if c.call_id not in self._announcing]

    async def _announce(self, calls: list[WaitingCall]) -> None:
        """Send the callers due an announcement into cc-announce (acd/announcer.py); the
        dialplan brings them back to music on hold, still in the queue."""
        now = self.clock()
        for call in announcements_due(calls, self.queues, self._announced, now):
            self._announced[call.call_id] = now
            try:
                await self.control.redirect(call.channel, ANNOUNCE_CONTEXT, "s")
                self._announcing.add(call.call_id)
            except AmiError as exc:
                log.info("announcement to %s skipped (%s); the next one when due", call.call_id,
                         exc, extra=call_fields(call.call_id, call.queue))

    async def overflow(self, call: WaitingCall, rule: OverflowRule) -> None:
        """Move a waiting call out of its queue as `rule` says. If the PBX refuses, the call
        waits on: the next tick tries again, or its hangup closes it as abandoned."""
        if await self.store.remove_call(call.call_id) is None:
            return  # offered or gone meanwhile
        now = self.clock()
        try:
            if rule.kind == "queue":
                await self._move_to_queue(call, rule.target, now)
                return
            if rule.kind == "callback" and dialable(call.caller_num):
                await self._overflow_to_callback(call, now)
                return
            await self._leave_queue(call, rule)
        except AmiError as exc:
            log.warning("overflow of %s to %s failed (%s); the call stays in its queue, the "
                        "next tick tries again", call.call_id, destination(rule), exc,
                        extra=call_fields(call.call_id, call.queue))
            await self.store.add_call(call)
            return
        self.publish(CallOverflowed(call.call_id, call.queue, destination(rule),
                                    round(now - call.entered_at, 3), now))
        self.end(call, CallOutcome.OVERFLOWED, None, now)

    async def _move_to_queue(self, call: WaitingCall, queue: str, now: float) -> None:
        """The caller waits on in `queue` at their original entry time, in music on hold;
        the channel's CC_QUEUE and CC_JOINED follow, so a restart finds them there."""
        await self.control.set_variable(call.channel, cc.QUEUE, queue)
        await self.control.set_variable(call.channel, cc.JOINED, f"{now:.3f}")
        moved = replace(call, queue=queue)
        await self.store.add_call(moved)
        self._joined[call.call_id] = now
        self.publish(CallOverflowed(call.call_id, call.queue, f"queue:{queue}",
                                    round(now - call.entered_at, 3), now))
        self.publish(CallQueued(call.call_id, queue, call.caller_num, call.entered_at,
                                call.priority, dict(call.fields)))
        await self.dispatch()

    async def change(self, call: WaitingCall, *, by: str, queue: str | None = None,
                     priority: int | None = None, reset_entry: bool = False) -> WaitingCall:
        """A supervisor's act on a waiting call (Distributor.change_waiting): the store
        changes it at once (InvalidTransition if it is no longer waiting), then its
        channel's CC_* variables follow, so a restart rebuilds it as changed; if the PBX
        refuses those, the store is put back and the AmiError raised (nothing changed)."""
        now = self.clock()
        wanted = changed_call(call, queue, priority, now if reset_entry else None)
        changed = await self.store.update_waiting(call.call_id, queue=wanted.queue,
                                                  priority=wanted.priority,
                                                  entered_at=wanted.entered_at)
        if changed is None:
            raise InvalidTransition(f"call {call.call_id} is no longer waiting")
        try:
            for name, value in _variables(call, changed, now):
                await self.control.set_variable(call.channel, name, value)
        except AmiError:
            await self.store.update_waiting(call.call_id, queue=call.queue,
                                            priority=call.priority, entered_at=call.entered_at)
            raise
        if changed.queue != call.queue or reset_entry:
            self._joined[call.call_id] = now  # the new queue's overflow clock starts now
        if changed.queue != call.queue:
            self.publish(CallOverflowed(call.call_id, call.queue, f"queue:{changed.queue}",
                                        round(now - call.entered_at, 3), now))
            self.publish(CallQueued(call.call_id, changed.queue, call.caller_num,
                                    changed.entered_at, changed.priority, dict(call.fields)))
        self.publish(CallMoved(call.call_id, call.queue, changed.queue, call.priority,
                               changed.priority, changed.entered_at, reset_entry, by, now))
        await self.dispatch()
        return changed

    async def _overflow_to_callback(self, call: WaitingCall, now: float) -> None:
        """Tell the caller they will be called back at their number, hang up, keep the place."""
        await self.control.redirect(call.channel, MESSAGE_CONTEXT, CALLBACK_QUEUED_PROMPT)
        self.publish(CallOverflowed(call.call_id, call.queue, "callback",
                                    round(now - call.entered_at, 3), now))
        await self.callbacks.add(replace(call, callback=call.caller_num))

    async def _leave_queue(self, call: WaitingCall, rule: OverflowRule) -> None:
        """Send the caller out of the ACD: the queue's voicemail box or a message (a
        callback to a caller ID that cannot be dialled gets the all-busy message)."""
        if rule.kind == "voicemail":
            await self.control.redirect(call.channel, VOICEMAIL_CONTEXT, call.queue)
        else:
            prompt = rule.target if rule.kind == "message" else ALL_BUSY.target
            await self.control.redirect(call.channel, MESSAGE_CONTEXT, prompt)


def _variables(call: WaitingCall, changed: WaitingCall, now: float) -> list[tuple[str, str]]:
    """The CC_* variables that say a changed call's queue, priority and entry time on its
    channel (none for a queued callback: its caller's channel is gone)."""
    if call.callback:
        return []
    found = []
    if changed.queue != call.queue:
        found.append((cc.QUEUE, changed.queue))
    if changed.priority != call.priority:
        found.append((cc.PRIORITY, str(changed.priority)))
    if changed.entered_at != call.entered_at:
        found.append((cc.ENTERED, f"{changed.entered_at:.6f}"))
    if changed.queue != call.queue or changed.entered_at != call.entered_at:
        found.append((cc.JOINED, f"{now:.3f}"))
    return found
