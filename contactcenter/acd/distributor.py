"""The distributor: the ACD's async edge. It turns call-model events into queue and agent
changes, offers calls through the store (atomically) and the PBX link, and publishes the
ACD events the console, metrics and the interaction log read.

Callers enter the queue when the dialplan parks them in music on hold (CallWaiting) with
the CC_* variables the IVR set; after a restart or AMI reconnect the same variables,
read back by the resync, rebuild the queue at the original entry times.

A queued callback (CallbackRequested from the IVR, or the announcement's key) keeps the
caller's place after they hang up; its turn rings the agent first, then the dialplan dials
the customer. A callback the customer does not answer is tried again after
callback_retry_seconds, callback_attempts times in all, then ends as abandoned.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl

from contactcenter.acd.agents import Agent, AgentProfile, AgentState, transition
from contactcenter.acd.announcer import ANNOUNCE_CONTEXT, announcements_due, dialable
from contactcenter.acd.call_control import CallControl
from contactcenter.acd.events import (
    AgentStateChanged,
    CallbackQueued,
    CallConnected,
    CallEnded,
    CallOffered,
    CallOverflowed,
    CallQueued,
)
from contactcenter.acd.metrics import QueueMetrics
from contactcenter.acd.overflow import ALL_BUSY, at_entry, destination, overflows_due
from contactcenter.acd.queues import OverflowRule, QueueDefinition
from contactcenter.acd.routing import WaitingCall, estimated_wait, position
from contactcenter.cti import variables as cc
from contactcenter.cti.events import (
    AgentLegRinging,
    CallArrived,
    CallBridged,
    CallHungUp,
    CallVariableSet,
    CallWaiting,
    ChannelSnapshot,
    OriginateResult,
    Resynced,
)
from contactcenter.errors import AmiError, InvalidTransition
from contactcenter.events import BusConsumer, EventBus
from contactcenter.ivr.events import CallbackRequested
from contactcenter.queue.store import QueueStore

log = logging.getLogger(__name__)

NO_ANSWER = "no answer"
VOICEMAIL_CONTEXT = "cc-voicemail"  # extensions.conf: the Redirect's exten is the queue
MESSAGE_CONTEXT = "cc-message"  # extensions.conf: the Redirect's exten is the prompt
CALLBACK_QUEUED_PROMPT = "callback-queued"  # said before hanging up a callback overflow
DEFAULT_HANDLE_S = 180.0  # the estimated wait's handle time until a queue has finished calls
SERVING = frozenset({AgentState.AVAILABLE, AgentState.OFFERED, AgentState.ON_CALL,
                     AgentState.WRAP_UP})


@dataclass
class _Offer:
    call: WaitingCall
    agent_id: str
    device: str
    action_id: str = ""
    agent_channel: str = ""
    agent_answered: bool = False  # a callback's agent leg is up and dialling the customer
    withdrawn: bool = False  # the agent logged out before their leg rang
    connected_at: float = 0.0


class Distributor:
    """`async with Distributor(store, control, bus):` consumes the bus until closed.

    Ring timeout and wrap-up come from the call's queue in `queues` (load_queue_definitions),
    else from the ring_timeout_ms / wrap_up_seconds defaults. Every `tick_seconds` the
    waiting calls are checked for timed overflows and max waits (acd/overflow.py)."""

    def __init__(self, store: QueueStore, control: CallControl, bus: EventBus, *,
                 ring_timeout_ms: int = 15000, wrap_up_seconds: float = 5.0,
                 queues: Mapping[str, QueueDefinition] | None = None,
                 metrics_window_seconds: float = 900.0, tick_seconds: float = 1.0,
                 callback_attempts: int = 3, callback_retry_seconds: float = 60.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.control = control
        self.bus = bus
        self.ring_timeout_ms = ring_timeout_ms
        self.wrap_up_seconds = wrap_up_seconds
        self.queues = dict(queues or {})
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.callback_attempts = callback_attempts
        self.callback_retry_seconds = callback_retry_seconds
        self._lock = asyncio.Lock()  # events and ticks change the queues one at a time
        self._joined: dict[str, float] = {}  # call_id -> when it joined its current queue
        self._announced: dict[str, float] = {}  # call_id -> last announcement
        self._announcing: set[str] = set()  # sent to cc-announce, not yet back on hold
        self._callbacks: set[str] = set()  # callbacks whose caller's hangup is no abandon
        self._attempts: dict[str, int] = {}  # call_id -> failed callback attempts
        self._vars: dict[str, dict[str, str]] = {}
        self._callers: dict[str, tuple[str, str]] = {}
        self._offers: dict[str, _Offer] = {}  # call_id -> offer in progress or connected
        self._timers: set[asyncio.Task[None]] = set()
        self._consumer = BusConsumer(bus, self.handle, "distributor")
        self.counts = {"answered": 0, "abandoned": 0, "overflowed": 0}  # since start
        self.metrics = QueueMetrics(self.queues, window_seconds=metrics_window_seconds)

    async def __aenter__(self) -> Distributor:
        await self._consumer.__aenter__()
        self._own(self._watch_queues(), "acd-queue-watch")
        return self

    async def __aexit__(self, *exc: object) -> None:
        for timer in self._timers:
            timer.cancel()
        await asyncio.gather(*self._timers, return_exceptions=True)
        await self._consumer.__aexit__(*exc)

    # -- agents ---------------------------------------------------------------------------

    async def register_agent(self, profile: AgentProfile) -> None:
        current = await self.store.agent(profile.agent_id)
        await self.store.put_agent(Agent(profile) if current is None
                                   else Agent(profile, current.state, current.reason,
                                              current.since, current.idle_since,
                                              current.call_id))

    async def login(self, agent_id: str) -> None:
        await self._move(agent_id, AgentState.AVAILABLE)
        await self.dispatch()

    async def set_available(self, agent_id: str) -> None:
        await self._move(agent_id, AgentState.AVAILABLE)
        await self.dispatch()

    async def pause(self, agent_id: str, reason: str) -> None:
        await self._move(agent_id, AgentState.PAUSED, reason=reason)

    async def logout(self, agent_id: str) -> None:
        """Log out; a call ringing this agent goes back to the head of its queue once their
        leg is hung up (a leg not ringing yet is hung up when it does: never two legs)."""
        agent = await self._agent(agent_id)
        offer = self._offers.get(agent.call_id or "") \
            if agent.state is AgentState.OFFERED else None
        if offer is not None and not offer.agent_channel:
            offer.withdrawn = True
            offer = None
        if offer is not None:
            await self._cancel_offer(offer)
            await self.store.return_to_queue(offer.call.call_id)
        await self._move(agent_id, AgentState.LOGGED_OUT)
        if offer is not None:
            await self.dispatch()

    async def hangup(self, agent_id: str) -> None:
        """Hang up the call the agent is on (the bridge ends both legs); a callback's
        customer leg is unknown to us, so the agent's own leg is hung up."""
        agent = await self._agent(agent_id)
        offer = self._offers.get(agent.call_id or "")
        if offer is None or agent.state is not AgentState.ON_CALL:
            raise InvalidTransition(f"agent {agent_id} has no call to hang up")
        await self.control.hangup(offer.agent_channel if offer.call.callback
                                  else offer.call.channel)

    def current_call(self, agent_id: str) -> tuple[WaitingCall, str] | None:
        """The agent's connected call and their own leg's channel, for call actions
        (acd/call_actions.py: hold, transfer); None while they talk to nobody."""
        return next(((offer.call, offer.agent_channel) for offer in self._offers.values()
                     if offer.agent_id == agent_id and offer.connected_at
                     and offer.call.channel and offer.agent_channel), None)

    async def agent_view(self, agent_id: str) -> dict[str, object]:
        agent = await self._agent(agent_id)
        offer = self._offers.get(agent.call_id or "")
        return {"agent_id": agent_id, "state": agent.state.value, "reason": agent.reason,
                "since": agent.since, "call_id": agent.call_id,
                "caller": offer.call.caller_num if offer else None,
                "queue": offer.call.queue if offer else None}

    async def wallboard(self) -> dict[str, object]:
        """The supervisor's figures (acd/metrics.py defines each):
        {"queues": {name: F, ...}, "total": F, "window_start": epoch s,
         "answered": n, "abandoned": n, "overflowed": n}  (final outcomes since start)
        F = {"waiting", "longest_wait_s", "agents": {state: n}, "answered", "abandoned",
             "overflowed", "service_level_pct", "abandon_rate_pct", "asa_s", "aht_s"}
        (+ "service_level_s" per queue); waiting includes calls ringing an agent; rates
        and averages are None when there is nothing to count yet."""
        offered = [call for call, _ in (await self.store.offered()).values()]
        board = self.metrics.figures(self.clock(), [*await self.store.waiting(), *offered],
                                     await self.store.agents())
        return {**board, **self.counts}

    async def wait_estimate(self, call_id: str) -> tuple[int, float] | None:
        """(place in its queue, estimated seconds to wait) of a waiting call, else None.
        The wait is the place times the queue's recent handle time, over its agents at work."""
        calls = await self.store.waiting()
        place = position(calls, call_id)
        if place is None:
            return None
        queue = next(c.queue for c in calls if c.call_id == call_id)
        serving = sum(a.state in SERVING and queue in a.profile.queues
                      for a in await self.store.agents())
        handle = self.metrics.average_handle_s(queue, self.clock()) or DEFAULT_HANDLE_S
        return place, estimated_wait(place, handle, serving)

    async def request_callback(self, call_id: str, number: str) -> bool:
        """The waiting caller will hang up and be called back at `number`, keeping their
        place; False if the call is no longer waiting (then nothing changes)."""
        if not dialable(number):
            return False
        async with self._lock:
            call = next((c for c in await self.store.waiting() if c.call_id == call_id), None)
            if call is None or call.callback:
                return False
            await self.store.remove_call(call_id)
            return await self._add_callback(replace(call, callback=number))

    async def _add_callback(self, call: WaitingCall) -> bool:
        """Hold a callback in the store at its place; False if the store has that call."""
        if not await self.store.add_call(call):
            return False
        self._callbacks.add(call.call_id)
        self._publish(CallbackQueued(call.call_id, call.queue, call.callback, call.entered_at,
                                     self.clock()))
        return True

    def _publish(self, event: object) -> None:
        self.metrics.record(event)
        self.bus.publish(event)

    async def _agent(self, agent_id: str) -> Agent:
        agent = await self.store.agent(agent_id)
        if agent is None:
            raise InvalidTransition(f"unknown agent {agent_id!r}")
        return agent

    async def _move(self, agent_id: str, state: AgentState, *, reason: str = "",
                    call_id: str | None = None) -> Agent:
        agent = transition(await self._agent(agent_id), state, self.clock(), reason=reason,
                           call_id=call_id)
        await self.store.put_agent(agent)
        self._publish(AgentStateChanged(agent_id, state.value, agent.reason, agent.call_id,
                                        agent.since))
        return agent

    # -- offers ---------------------------------------------------------------------------

    async def dispatch(self) -> None:
        """Offer calls while a waiting call has a qualified available agent."""
        while (pair := await self.store.offer_next(self.clock())) is not None:
            call, agent = pair
            offer = _Offer(call, agent.agent_id, agent.profile.device)
            self._offers[call.call_id] = offer
            now = self.clock()
            self._publish(AgentStateChanged(agent.agent_id, agent.state.value, "",
                                            call.call_id, now))
            self._publish(CallOffered(call.call_id, agent.agent_id, call.queue, now,
                                      call.caller_num, call.caller_name, call.channel,
                                      call.entered_at, dict(call.fields), call.ivr_path))
            ring_ms = self._ring_timeout_ms(call.queue)
            try:
                if call.callback:
                    offer.action_id = await self.control.originate_callback(
                        device=agent.profile.device, number=call.callback, timeout_ms=ring_ms,
                        call_id=call.call_id, caller_id=f'"{call.caller_name}" <{call.callback}>')
                else:
                    offer.action_id = await self.control.originate_bridge(
                        device=agent.profile.device, caller_channel=call.channel,
                        timeout_ms=ring_ms, call_id=call.call_id,
                        caller_id=f'"{call.caller_name}" <{call.caller_num}>')
            except AmiError as exc:
                log.warning("offer of %s to %s failed: %s", call.call_id, agent.agent_id, exc)
                await self._ring_no_answer(offer)

    async def _ring_no_answer(self, offer: _Offer) -> None:
        """The call goes back to the head of its queue (original entry time); the agent
        who did not answer is paused, so the next caller is not sent to them."""
        self._offers.pop(offer.call.call_id, None)
        await self.store.return_to_queue(offer.call.call_id)
        await self._move(offer.agent_id, AgentState.PAUSED, reason=NO_ANSWER)
        await self.dispatch()

    async def _cancel_offer(self, offer: _Offer) -> None:
        self._offers.pop(offer.call.call_id, None)
        if offer.agent_channel:
            await self._drop_leg(offer.agent_channel)

    async def _drop_leg(self, channel: str) -> None:
        """Hang up an agent leg that must not connect; it may have gone already."""
        try:
            await self.control.hangup(channel)
        except AmiError as exc:
            log.info("agent leg %s already gone: %s", channel, exc)

    # -- events -----------------------------------------------------------------------------

    async def handle(self, event: object) -> None:
        try:
            async with self._lock:
                await self._handle(event)
        except (AmiError, InvalidTransition) as exc:
            log.warning("distributor: %s while handling %s", exc, type(event).__name__)

    async def _handle(self, event: object) -> None:
        if isinstance(event, CallArrived):
            self._callers[event.uniqueid] = (event.caller_num, event.caller_name)
        elif isinstance(event, CallVariableSet):
            self._vars.setdefault(event.uniqueid, {})[event.name] = event.value
        elif isinstance(event, CallWaiting):
            self._announcing.discard(event.uniqueid)
            await self._enqueue(event.uniqueid, event.channel)
        elif isinstance(event, AgentLegRinging):
            await self._agent_leg_rings(event)
        elif isinstance(event, OriginateResult):
            offer = next((o for o in self._offers.values() if o.action_id == event.action_id),
                         None)
            if offer is not None and event.success:
                offer.agent_answered = True
            elif offer is not None and offer.withdrawn:
                self._offers.pop(offer.call.call_id, None)
                await self.store.return_to_queue(offer.call.call_id)
                await self.dispatch()
            elif offer is not None and not offer.connected_at:
                await self._ring_no_answer(offer)
        elif isinstance(event, CallBridged):
            offer = self._offers.get(event.uniqueid) or self._callback_leg(event.channel)
            if offer is not None and not offer.connected_at:
                await self._connected(offer, event.at)
        elif isinstance(event, CallbackRequested):
            await self._callback_requested(event)
        elif isinstance(event, CallHungUp):
            await self._hung_up(event)
        elif isinstance(event, Resynced):
            await self._reconcile(event)

    async def _agent_leg_rings(self, event: AgentLegRinging) -> None:
        """Note the leg of the offer; a leg whose offer was withdrawn before it rang (the
        agent logged out at once) is hung up: its failed Originate then returns the call."""
        offer = self._offers.get(event.call_id)
        if offer is not None and offer.device == event.device and not offer.withdrawn:
            offer.agent_channel = event.channel
            return
        await self._drop_leg(event.channel)

    def _callback_leg(self, channel: str) -> _Offer | None:
        """The callback offer whose agent leg is `channel` (the customer's leg is unknown)."""
        return next((o for o in self._offers.values()
                     if o.call.callback and o.agent_channel == channel), None)

    async def _callback_requested(self, event: CallbackRequested) -> None:
        """The IVR's callback step: the call joins at `at` with nobody on the line."""
        if not dialable(event.number):
            log.warning("callback for %s: %r cannot be dialled", event.call_id, event.number)
            return
        call = WaitingCall(event.call_id, "", event.queue, event.at, event.priority,
                           event.number, event.caller_name, dict(event.skills),
                           dict(event.fields), event.ivr_path, callback=event.number)
        if await self._add_callback(call):
            self._publish(CallQueued(call.call_id, call.queue, call.caller_num,
                                     call.entered_at, call.priority, dict(call.fields)))
            await self.dispatch()

    async def _enqueue(self, uniqueid: str, channel: str, *, fresh: bool = True) -> None:
        """Queue a parked caller; a `fresh` one (not rebuilt by a resync) first meets the
        queue's limits at entry."""
        values = self._vars.get(uniqueid, {})
        if not values.get(cc.QUEUE) or uniqueid in self._offers:
            return
        num, name = self._callers.get(uniqueid, ("", ""))
        call = self._from_variables(uniqueid, channel, values, num, name)
        if not await self.store.add_call(call):
            return
        self._joined[call.call_id] = _number(values.get(cc.JOINED), call.entered_at)
        if not fresh:  # told on its first entry already
            self._announced[call.call_id] = self.clock()
        self._publish(CallQueued(call.call_id, call.queue, num, call.entered_at,
                                 call.priority, dict(call.fields)))
        if fresh:
            others = sum(c.queue == call.queue for c in await self.store.waiting()) - 1
            rule = at_entry(self.queues.get(call.queue), others)
            if rule is not None:
                await self._overflow(call, rule)
                return
        await self.dispatch()

    def _from_variables(self, uniqueid: str, channel: str, values: Mapping[str, str],
                        num: str, name: str) -> WaitingCall:
        """The queued call the IVR described in the caller channel's CC_* variables."""
        return WaitingCall(
            call_id=uniqueid, channel=channel, queue=values[cc.QUEUE],
            entered_at=_number(values.get(cc.ENTERED), self.clock()),
            priority=int(_number(values.get(cc.PRIORITY), 0)), caller_num=num,
            caller_name=name, skills=_skills(values.get(cc.SKILLS, "")),
            fields=dict(parse_qsl(values.get(cc.FIELDS, ""))),
            ivr_path=values.get(cc.IVR_PATH, ""))

    # -- overflow -------------------------------------------------------------------------

    async def _watch_queues(self) -> None:
        """Timed overflows, max waits and announcements, every tick_seconds, until closed."""
        while True:
            await asyncio.sleep(self.tick_seconds)
            try:
                async with self._lock:
                    for call, rule in overflows_due(await self._on_hold(), self.queues,
                                                    self._joined, self.clock()):
                        await self._overflow(call, rule)
                    await self._announce(await self._on_hold())
            except (AmiError, InvalidTransition) as exc:
                log.warning("distributor: %s while watching the queues", exc)

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
                log.info("announcement to %s skipped: %s", call.call_id, exc)

    async def _overflow(self, call: WaitingCall, rule: OverflowRule) -> None:
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
            log.warning("overflow of %s to %s failed: %s", call.call_id, destination(rule), exc)
            await self.store.add_call(call)
            return
        self._publish(CallOverflowed(call.call_id, call.queue, destination(rule),
                                     round(now - call.entered_at, 3), now))
        self._end(call, "overflowed", None, now)

    async def _move_to_queue(self, call: WaitingCall, queue: str, now: float) -> None:
        """The caller waits on in `queue` at their original entry time, in music on hold;
        the channel's CC_QUEUE and CC_JOINED follow, so a restart finds them there."""
        await self.control.set_variable(call.channel, cc.QUEUE, queue)
        await self.control.set_variable(call.channel, cc.JOINED, f"{now:.3f}")
        moved = replace(call, queue=queue)
        await self.store.add_call(moved)
        self._joined[call.call_id] = now
        self._publish(CallOverflowed(call.call_id, call.queue, f"queue:{queue}",
                                     round(now - call.entered_at, 3), now))
        self._publish(CallQueued(call.call_id, queue, call.caller_num, call.entered_at,
                                 call.priority, dict(call.fields)))
        await self.dispatch()

    async def _overflow_to_callback(self, call: WaitingCall, now: float) -> None:
        """Tell the caller they will be called back at their number, hang up, keep the place."""
        await self.control.redirect(call.channel, MESSAGE_CONTEXT, CALLBACK_QUEUED_PROMPT)
        self._publish(CallOverflowed(call.call_id, call.queue, "callback",
                                     round(now - call.entered_at, 3), now))
        await self._add_callback(replace(call, callback=call.caller_num))

    async def _leave_queue(self, call: WaitingCall, rule: OverflowRule) -> None:
        """Send the caller out of the ACD: the queue's voicemail box or a message (a
        callback to a caller ID that cannot be dialled gets the all-busy message)."""
        if rule.kind == "voicemail":
            await self.control.redirect(call.channel, VOICEMAIL_CONTEXT, call.queue)
        else:
            prompt = rule.target if rule.kind == "message" else ALL_BUSY.target
            await self.control.redirect(call.channel, MESSAGE_CONTEXT, prompt)

    async def _connected(self, offer: _Offer, at: float) -> None:
        offer.connected_at = at
        await self.store.settle(offer.call.call_id)
        await self._move(offer.agent_id, AgentState.ON_CALL, call_id=offer.call.call_id)
        self._publish(CallConnected(offer.call.call_id, offer.agent_id, offer.call.queue,
                                    max(0.0, at - offer.call.entered_at), at))

    async def _hung_up(self, event: CallHungUp) -> None:
        self._callers.pop(event.uniqueid, None)
        self._vars.pop(event.uniqueid, None)
        self._announced.pop(event.uniqueid, None)
        self._announcing.discard(event.uniqueid)
        if event.uniqueid in self._callbacks:  # the caller who asked to be called back
            self._callbacks.discard(event.uniqueid)
            return
        offer = self._offers.get(event.uniqueid) or next(
            (o for o in self._offers.values() if o.agent_channel == event.channel), None)
        if offer is None:
            call = await self.store.remove_call(event.uniqueid)
            if call is not None:
                self._end(call, "abandoned", None, event.at)
            return
        if offer.connected_at:  # after talk: the agent wraps up
            self._offers.pop(offer.call.call_id, None)
            self._end(offer.call, "answered", offer.agent_id, event.at, offer.connected_at)
            await self._move(offer.agent_id, AgentState.WRAP_UP, call_id=offer.call.call_id)
            self._start_wrap_up_timer(offer.agent_id, offer.call.queue)
        elif offer.call.callback and offer.agent_answered:  # the customer did not answer
            await self._callback_failed(offer, event.at)
        elif event.uniqueid == offer.call.call_id:  # the caller left while the agent rang
            await self.store.remove_call(offer.call.call_id)
            await self._cancel_offer(offer)
            self._end(offer.call, "abandoned", None, event.at)
            await self._move(offer.agent_id, AgentState.AVAILABLE)
            await self.dispatch()

    async def _callback_failed(self, offer: _Offer, at: float) -> None:
        """The agent answered but the customer did not: the agent is free again; the
        callback keeps its place and is tried again later, or ends after the last try."""
        call = offer.call
        self._offers.pop(call.call_id, None)
        self._attempts[call.call_id] = attempts = self._attempts.get(call.call_id, 0) + 1
        if attempts >= self.callback_attempts:
            await self.store.remove_call(call.call_id)
            self._end(call, "abandoned", None, at)
        else:
            self._own(self._retry_callback(call.call_id), f"callback-retry-{call.call_id}")
        await self._move(offer.agent_id, AgentState.AVAILABLE)
        await self.dispatch()

    async def _retry_callback(self, call_id: str) -> None:
        await asyncio.sleep(self.callback_retry_seconds)
        async with self._lock:
            await self.store.return_to_queue(call_id)
            await self.dispatch()

    def _end(self, call: WaitingCall, outcome: str, agent_id: str | None, at: float,
             connected_at: float = 0.0) -> None:
        self.counts[outcome] += 1
        for kept in (self._joined, self._announced, self._attempts):
            kept.pop(call.call_id, None)
        self._callbacks.discard(call.call_id)
        wait = (connected_at or at) - call.entered_at
        self._publish(CallEnded(call.call_id, call.queue, outcome, agent_id,
                                round(max(0.0, wait), 3),
                                round(at - connected_at, 3) if connected_at else 0.0, at))

    def _ring_timeout_ms(self, queue: str) -> int:
        definition = self.queues.get(queue)
        return round(definition.ring_timeout_seconds * 1000) if definition \
            else self.ring_timeout_ms

    def _start_wrap_up_timer(self, agent_id: str, queue: str) -> None:
        definition = self.queues.get(queue)
        seconds = definition.wrap_up_seconds if definition else self.wrap_up_seconds

        async def wrap_up() -> None:
            await asyncio.sleep(seconds)
            agent = await self.store.agent(agent_id)
            if agent is not None and agent.state is AgentState.WRAP_UP:
                await self.set_available(agent_id)

        self._own(wrap_up(), _wrap_up_timer(agent_id))

    def _own(self, coro: Coroutine[object, object, None], name: str) -> None:
        """Run `coro` as a task cancelled and awaited on close."""
        task = asyncio.create_task(coro, name=name)
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    async def _reconcile(self, event: Resynced) -> None:
        """Calls whose channel is gone are abandoned; parked channels the store lacks are
        queued again at their original entry time."""
        live = {snap.uniqueid: snap for snap in event.channels}
        await self._take_over_offers(event, live)
        for call in await self.store.waiting():
            if call.call_id not in live and not call.callback:
                await self.store.remove_call(call.call_id)
                self._end(call, "abandoned", None, event.at)
        for snap in event.channels:
            if snap.variables.get(cc.QUEUE) and snap.application == "MusicOnHold":
                self._vars[snap.uniqueid] = dict(snap.variables)
                self._callers.setdefault(snap.uniqueid, (snap.caller_num, snap.caller_name))
                await self._enqueue(snap.uniqueid, snap.channel, fresh=False)
        await self.dispatch()


    async def _take_over_offers(self, event: Resynced,
                                live: Mapping[str, ChannelSnapshot]) -> None:
        """Offers and agent states a shared store kept from a process that died (this
        process made none of them). One distributor owns a store's offers: an offer it
        cannot follow has its ringing leg hung up and its call put back at the head (or
        ended, if the caller left); an agent talking on a live leg is followed to the
        hang-up, one whose leg is gone wraps up, a wrap-up without its timer gets one."""
        legs = {snap.variables[cc.CALL_ID]: snap for snap in event.channels
                if snap.variables.get(cc.CALL_ID, snap.uniqueid) != snap.uniqueid}
        for call_id, (call, _agent_id) in (await self.store.offered()).items():
            if call_id in self._offers:
                continue
            if call_id in legs:
                await self._drop_leg(legs[call_id].channel)
            if call.callback or call_id in live:
                await self.store.return_to_queue(call_id)
            else:
                await self.store.remove_call(call_id)
                self._end(call, "abandoned", None, event.at)
        for agent in await self.store.agents():
            call_id = agent.call_id or ""
            if call_id in self._offers:
                continue
            if agent.state is AgentState.OFFERED:
                await self._move(agent.agent_id, AgentState.AVAILABLE)
            elif agent.state is AgentState.ON_CALL and call_id in legs and call_id in live:
                caller = live[call_id]
                call = self._from_variables(call_id, caller.channel, caller.variables,
                                            caller.caller_num, caller.caller_name)
                self._offers[call_id] = _Offer(call, agent.agent_id, agent.profile.device,
                                               agent_channel=legs[call_id].channel,
                                               connected_at=agent.since)
            elif agent.state is AgentState.ON_CALL:
                await self._move(agent.agent_id, AgentState.WRAP_UP, call_id=call_id)
                self._start_wrap_up_timer(agent.agent_id, "")
            elif agent.state is AgentState.WRAP_UP and not any(
                    timer.get_name() == _wrap_up_timer(agent.agent_id) for timer in self._timers):
                self._start_wrap_up_timer(agent.agent_id, "")


def _wrap_up_timer(agent_id: str) -> str:
    return f"wrap-up-{agent_id}"


def _number(text: str | None, default: float) -> float:
    try:
        return float(text) if text else default
    except ValueError:
        return default


def _skills(text: str) -> dict[str, int]:
    skills = {}
    for part in filter(None, text.split(",")):
        name, _, level = part.partition(":")
        skills[name.strip()] = int(_number(level, 0))
    return skills
