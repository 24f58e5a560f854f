"""The distributor: the ACD's async edge. It turns call-model events into queue and agent
changes, offers calls through the store (atomically) and the PBX link, and publishes the
ACD events the console, metrics and the interaction log read.

Callers enter the queue when the dialplan parks them in cc-wait music on hold (CallWaiting)
with the CC_* variables the IVR set (acd/parked.py), once per CC_ENTRY token (acd/entry.py
decides); after a restart or AMI reconnect the same variables, read back by the resync,
rebuild the queue at the original entry times, and what a dead process left in the store
is taken over (acd/recovery.py decides). Each offer follows the pure table of
acd/offers.py: the distributor maps events onto it and carries out its decisions, all
under one lock.

Overflows and announcements are the queue watch's (acd/queue_watch.py). A queued callback
(acd/callbacks.py) keeps the caller's place after they hang up; one the customer does not
answer is tried again after callback_retry_seconds, callback_attempts times in all, then
ends as abandoned.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import asdict, replace
from typing import Self, assert_never

from contactcenter.acd.agents import (
    Agent,
    AgentProfile,
    AgentState,
    found_talking,
    transition,
)
from contactcenter.acd.call_control import CallControl
from contactcenter.acd.callbacks import CallbackBook
from contactcenter.acd.entry import Entry, on_hold_start
from contactcenter.acd.events import (
    AcdEvent,
    AgentStateChanged,
    CallConnected,
    CallEnded,
    CallOffered,
    CallOutcome,
    CallQueued,
    OfferExplained,
    Reconciled,
)
from contactcenter.acd.metrics import QueueMetrics
from contactcenter.acd.offers import (
    Answered,
    Bridged,
    CallerGone,
    Decision,
    Failed,
    LegGone,
    LegRinging,
    Offer,
    Phase,
    Placed,
    Refused,
    Withdrawn,
    step,
)
from contactcenter.acd.overflow import ALL_BUSY, limit_rule
from contactcenter.acd.parked import joined_at, parked_call
from contactcenter.acd.queue_watch import QueueWatch
from contactcenter.acd.recovery import (
    TakeOver,
    adoptable,
    agent_legs,
    gone,
    missed,
    orphan_agents,
    orphan_offers,
    parked,
    unfollowed_bridges,
)
from contactcenter.acd.routing import WaitingCall, explain_offer, position
from contactcenter.acd.store import QueueStore
from contactcenter.acd.wait_estimate import HandleTimes, estimated_wait
from contactcenter.acd.wallboard import agent_rows, call_rows
from contactcenter.backoff import Backoff
from contactcenter.cti import variables as cc
from contactcenter.cti.callerid import caller_id
from contactcenter.cti.events import (
    AgentLegRinging,
    CallArrived,
    CallBridged,
    CallHoldStopped,
    CallHungUp,
    CallUnbridged,
    CallVariableSet,
    CallWaiting,
    ChannelSnapshot,
    CtiEvent,
    LinkDown,
    OriginateResult,
    Resynced,
)
from contactcenter.errors import (
    AmiError,
    InvalidTransition,
    OriginateUnconfirmed,
    StoreConflict,
    StoreError,
)
from contactcenter.events import BusConsumer, EventBus
from contactcenter.health import STORE, HealthBoard, HealthEvent, PartDown, PartUp
from contactcenter.ivr.events import CallbackRequested, IvrEvent, IvrFinished
from contactcenter.logs import call_fields
from contactcenter.queue_config import QueueDefinition

log = logging.getLogger(__name__)

Heard = CtiEvent | IvrEvent | HealthEvent  # what the distributor reads off the bus

MAX_REFUSALS = 3  # offers of one call the PBX may refuse before it overflows
MAX_PRIORITY = 1000  # a supervisor's priority, either way (the IVR sets small ones)
CONFLICT_RETRIES = 3  # conditional agent writes decided again before giving up
DEFAULT_HANDLE_S = 180.0  # the estimated wait's handle time until a queue has finished calls


class Distributor(BusConsumer[Heard]):
    """`async with Distributor(store, control, bus):` consumes the bus until closed.

    Ring timeout and wrap-up come from the call's queue in `queues` (load_queue_definitions),
    else from the ring_timeout_ms / wrap_up_seconds defaults. Every `tick_seconds` the
    queue watch checks the waiting calls for overflows and announcements."""

    def __init__(self, store: QueueStore, control: CallControl, bus: EventBus, *,
                 ring_timeout_ms: int = 15000, wrap_up_seconds: float = 5.0,
                 queues: Mapping[str, QueueDefinition] | None = None,
                 metrics_window_seconds: float = 900.0, tick_seconds: float = 1.0,
                 callback_attempts: int = 3, callback_retry_seconds: float = 60.0,
                 lease_seconds: float = 10.0, owner: str = "",
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.lease_seconds = lease_seconds
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
        self._vars: dict[str, dict[str, str]] = {}
        self._callers: dict[str, tuple[str, str]] = {}
        self._offers: dict[str, Offer] = {}  # call_id -> offer in progress or connected
        self._by_action: dict[str, str] = {}  # an offer's Originate ActionID -> call_id
        self._by_leg: dict[str, str] = {}  # an offer's agent leg (channel) -> call_id
        self._entered: dict[str, str] = {}  # call_id -> CC_ENTRY of its entry, while queued
        self._refusals: dict[str, int] = {}  # call_id -> offers the PBX refused
        self._finished: dict[str, str] = {}  # call_id -> CC_ENTRY of a call closed, caller alive
        self._timers: set[asyncio.Task[None]] = set()
        self._retry = Backoff(base=0.1, cap=5.0)  # a timer's work while the store fails
        self.counts = {"answered": 0, "abandoned": 0, "overflowed": 0}  # since start
        self.metrics = QueueMetrics(self.queues, window_seconds=metrics_window_seconds)
        self.health = HealthBoard()  # parts down now (PartDown/PartUp on the bus)
        self._callbacks = CallbackBook(store, clock, self._publish)
        self._watch = QueueWatch(store, control, self.queues, clock, self._callbacks,
                                 publish=self._publish, end=self._end, dispatch=self.dispatch)
        super().__init__(bus, self.handle, "distributor")

    async def __aenter__(self) -> Self:
        await self.store.heartbeat(self.owner, self.lease_seconds)
        await super().__aenter__()
        self._own(self._watch.run(self._lock, self.tick_seconds), "acd-queue-watch")
        self._own(self._keep_lease(), "acd-lease")
        return self

    async def _keep_lease(self) -> None:
        """Renew this process's lease (a third of its length apart): while it lives, no
        other process adopts the agents and offers it follows (acd/recovery.py)."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                await self.store.heartbeat(self.owner, self.lease_seconds)
            except StoreError as exc:
                log.error("lease of %s not renewed: %s", self.owner, exc)
                self.bus.publish(PartDown(STORE, str(exc), self.clock()))
            else:
                if STORE in self.health.down():
                    log.warning("queue store reachable again")
                    self.bus.publish(PartUp(STORE, self.clock()))

    async def __aexit__(self, *exc: object) -> None:
        for timer in self._timers:
            timer.cancel()
        await asyncio.gather(*self._timers, return_exceptions=True)
        await super().__aexit__(*exc)

    # -- agents ---------------------------------------------------------------------------

    async def register_agent(self, profile: AgentProfile) -> None:
        """Who the agent is (their phone, queues, skills), keeping the state the store
        has for them (another process, or this one before a restart, may have set it)."""
        for _ in range(CONFLICT_RETRIES):
            current = await self.store.agent(profile.agent_id)
            try:
                await self.store.put_agent(Agent(profile) if current is None
                                           else replace(current, profile=profile))
                return
            except StoreConflict:
                continue
        raise StoreConflict(f"agent {profile.agent_id} keeps changing; not registered")

    async def login(self, agent_id: str) -> None:
        await self.set_available(agent_id)

    async def set_available(self, agent_id: str) -> None:
        async with self._lock:
            await self._move(agent_id, AgentState.AVAILABLE)
            await self.dispatch()

    async def pause(self, agent_id: str, reason: str) -> None:
        """Pause; a call ringing this agent goes back to the head of its queue once their
        leg is gone (acd/offers.py: Withdrawn)."""
        async with self._lock:
            await self._leave(agent_id, AgentState.PAUSED, reason)

    async def logout(self, agent_id: str) -> None:
        """Log out; as pause, a call ringing this agent goes back to the head of its queue
        once their leg is gone (a leg not ringing yet is hung up when it does)."""
        async with self._lock:
            await self._leave(agent_id, AgentState.LOGGED_OUT)

    async def _leave(self, agent_id: str, state: AgentState, reason: str = "") -> None:
        agent = await self._agent(agent_id)
        offer = self._offers.get(agent.call_id or "") \
            if agent.state is AgentState.OFFERED else None
        await self._move(agent_id, state, reason=reason)
        if offer is not None:
            await self._apply(offer, Withdrawn())

    async def hangup(self, agent_id: str) -> None:
        """Hang up the call the agent is on (the bridge ends both legs); a callback's
        customer leg is unknown to us, so the agent's own leg is hung up."""
        offer = self._connected_offer(agent_id)
        if offer is None:
            raise InvalidTransition(f"agent {agent_id} has no call to hang up")
        await self.control.hangup(offer.leg if offer.callback else offer.call.channel)

    def _connected_offer(self, agent_id: str) -> Offer | None:
        return next((offer for offer in self._offers.values() if offer.agent_id == agent_id
                     and offer.phase is Phase.CONNECTED), None)

    def current_call(self, agent_id: str) -> tuple[WaitingCall, str] | None:
        """The agent's connected call and their own leg's channel, for call actions
        (acd/call_actions.py: hold, transfer); None while they talk to nobody."""
        offer = self._connected_offer(agent_id)
        if offer is None or not offer.call.channel or not offer.leg:
            return None
        return offer.call, offer.leg

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
             "overflowed", "service_level_pct", "abandon_rate_pct", "asa_s", "aht_s",
             "survey_avg", "surveys"}
        (+ "service_level_s" per queue); waiting includes calls ringing an agent; rates
        and averages are None when there is nothing to count yet. Plus the live lists of
        acd/wallboard.py: "agents" (each agent's state) and "calls" (in service order), and
        "down": the parts of the platform down now (contactcenter/health.py)."""
        now = self.clock()
        waiting, offered = await self.store.waiting(), await self.store.offered()
        agents = await self.store.agents()
        board = self.metrics.figures(now, [*waiting, *(call for call, _ in offered.values())],
                                     agents)
        callers = {call_id: offer.call.caller_num or offer.call.callback
                   for call_id, offer in self._offers.items()}
        return {**board, **self.counts, "agents": agent_rows(agents, callers, now),
                "calls": call_rows(waiting, offered, now), "down": self.health.down()}

    async def wait_estimate(self, call_id: str) -> tuple[int, float] | None:
        """(place in its queue, estimated seconds to wait) of a waiting call, else None.
        The wait plays the routing forward over the agents at work, with each queue's
        recent handle time (acd/wait_estimate.py)."""
        calls = await self.store.waiting()
        place = position(calls, call_id)
        if place is None:
            return None
        now = self.clock()
        names = {*self.queues, *(c.queue for c in calls)}
        handles = {name: handle for name in names
                   if (handle := self.metrics.average_handle_s(name, now)) is not None}
        times = HandleTimes(handles, {name: q.wrap_up_seconds for name, q in self.queues.items()},
                            DEFAULT_HANDLE_S, self.wrap_up_seconds)
        current = {offer.agent_id: offer.call.queue for offer in self._offers.values()}
        aging = {name: queue.aging_seconds for name, queue in self.queues.items()}
        wait = estimated_wait(call_id, calls, await self.store.agents(), times, now, current,
                              aging)
        return None if wait is None else (place, wait)

    async def request_callback(self, call_id: str, number: str) -> bool:
        """The waiting caller will hang up and be called back at `number`, keeping their
        place; False if the call is no longer waiting (then nothing changes)."""
        async with self._lock:
            return await self._callbacks.request(call_id, number)

    async def change_waiting(self, call_id: str, *, by: str, queue: str | None = None,
                             priority: int | None = None,
                             reset_entry: bool = False) -> WaitingCall:
        """A supervisor (`by`) moves a waiting call to `queue` and/or gives it `priority`;
        it keeps its entry time unless `reset_entry` (acd/queue_watch.py carries it out).
        Only a waiting call: one ringing or connected is InvalidTransition; an unknown
        queue or a priority out of range is ValueError. Published as CallMoved."""
        if queue is not None and queue not in self.queues:
            raise ValueError(f"no queue {queue!r}")
        if priority is not None and not -MAX_PRIORITY <= priority <= MAX_PRIORITY:
            raise ValueError(f"priority {priority}: expected -{MAX_PRIORITY} to {MAX_PRIORITY}")
        async with self._lock:
            call = next((c for c in await self.store.waiting() if c.call_id == call_id), None)
            if call is None:
                raise InvalidTransition(f"call {call_id} is not waiting (ringing an agent, "
                                        "connected, or gone)")
            return await self._watch.change(call, by=by, queue=queue, priority=priority,
                                            reset_entry=reset_entry)

    def _publish(self, event: AcdEvent) -> None:
        self.metrics.record(event)
        self.bus.publish(event)

    async def _agent(self, agent_id: str) -> Agent:
        agent = await self.store.agent(agent_id)
        if agent is None:
            raise InvalidTransition(f"unknown agent {agent_id!r}")
        return agent

    async def _move(self, agent_id: str, state: AgentState, *, reason: str = "",
                    call_id: str | None = None) -> Agent:
        """The agent's state change, written only over the record it was decided from: if
        another process (or the store's retry of a lost reply) changed it meanwhile, the
        change is decided again on what the store has now."""
        def change(current: Agent) -> Agent | None:
            if current.state is state and current.call_id == (call_id or current.call_id) \
                    and (state is not AgentState.PAUSED or current.reason == reason):
                return None  # already so: a retried write that did land
            return transition(current, state, self.clock(), reason=reason, call_id=call_id,
                              owner=self.owner)
        return await self._update(agent_id, change, state)

    async def _update(self, agent_id: str, change: Callable[[Agent], Agent | None],
                      state: AgentState) -> Agent:
        """Write `change(current)` (None: nothing to write) over the record it was decided
        from, deciding again on a conflict; the change is published."""
        for _ in range(CONFLICT_RETRIES):
            current = await self._agent(agent_id)
            if (agent := change(current)) is None:
                return current
            try:
                agent = await self.store.put_agent(agent)
            except StoreConflict:
                continue
            self._publish(AgentStateChanged(agent_id, agent.state, agent.reason,
                                            agent.call_id, agent.since))
            return agent
        raise StoreConflict(f"agent {agent_id} keeps changing; not moved to {state}")

    # -- offers ---------------------------------------------------------------------------

    async def dispatch(self) -> None:
        """Offer calls while a waiting call has a qualified available agent (the lock is
        held). Nothing is offered while the PBX link is down: its resync offers again."""
        while self.control.connected and \
                (pair := await self.store.offer_next(self.clock(), self.owner)) is not None:
            call, agent = pair
            now = self.clock()
            offer = Offer(call, agent.agent_id, agent.profile.device, at=now)
            self._keep(offer)
            self._publish(AgentStateChanged(agent.agent_id, agent.state, "",
                                            call.call_id, now))
            self._publish(CallOffered(call.call_id, agent.agent_id, call.queue, now,
                                      call.caller_num, call.caller_name, call.channel,
                                      call.entered_at, dict(call.fields), call.ivr_path))
            try:
                event: object = Placed(await self._originate(offer))
            except OriginateUnconfirmed as exc:  # the check (acd/recovery.missed) settles it
                log.warning("offer of %s to %s: %s; asking Asterisk later", call.call_id,
                            agent.agent_id, exc,
                            extra=call_fields(call.call_id, call.queue, agent.agent_id))
                event = Placed(exc.action_id)
            except AmiError as exc:
                log.warning("offer of %s to %s not placed: %s; not the agent's fault, the "
                            "call waits for the next offer (after %d refusals, its overflow)",
                            call.call_id, agent.agent_id, exc, MAX_REFUSALS,
                            extra=call_fields(call.call_id, call.queue, agent.agent_id))
                event = Refused()
            await self._explain(call, agent, now)
            if (current := self._offers.get(call.call_id)) is not None:
                await self._apply(current, event)
            if isinstance(event, Refused) and self.control.connected:
                await self._refused(call)

    async def _explain(self, call: WaitingCall, agent: Agent, at: float) -> None:
        """Why this offer (routing.explain_offer), published as OfferExplained. The store
        is read once the phone rings, not before (the offer is not delayed): what it holds
        then stands for what the offer was chosen from, the chosen pair left out."""
        try:
            calls, agents = await self.store.waiting(), await self.store.agents()
        except StoreError as exc:
            log.warning("offer of %s to %s: not explained (%s)", call.call_id, agent.agent_id,
                        exc, extra=call_fields(call.call_id, call.queue, agent.agent_id))
            return
        aging = {name: queue.aging_seconds for name, queue in self.queues.items()}
        why = explain_offer(call, agent, calls, agents, at, aging)
        self._publish(OfferExplained(call.call_id, agent.agent_id, call.queue, at,
                                     asdict(why)))

    async def _refused(self, call: WaitingCall) -> None:
        """The PBX refused to ring an agent for `call` (the platform's request, never the
        agent's fault): after MAX_REFUSALS the call leaves by its queue's overflow (the
        all-busy message without one) rather than be offered in a loop."""
        refusals = self._refusals[call.call_id] = self._refusals.get(call.call_id, 0) + 1
        if refusals >= MAX_REFUSALS:
            log.error("call %s: the PBX refused %d offers; offering it is given up, it goes "
                      "to its overflow", call.call_id, refusals,
                      extra=call_fields(call.call_id, call.queue))
            definition = self.queues.get(call.queue)
            await self._watch.overflow(call, limit_rule(definition) if definition else ALL_BUSY)

    async def _originate(self, offer: Offer) -> str:
        call, ring_ms = offer.call, self._ring_timeout_ms(offer.call.queue)
        if call.callback:
            return await self.control.originate_callback(
                device=offer.device, number=call.callback, timeout_ms=ring_ms,
                call_id=call.call_id, caller_id=caller_id(call.caller_name, call.callback))
        definition = self.queues.get(call.queue)
        return await self.control.originate_bridge(
            device=offer.device, caller_channel=call.channel, timeout_ms=ring_ms,
            call_id=call.call_id, caller_id=caller_id(call.caller_name, call.caller_num),
            after_call=definition.after_call if definition else "")

    async def _apply(self, offer: Offer, event: object) -> None:
        """One event through the offer table (acd/offers.py), and its decision carried out."""
        decision = step(offer, event)  # type: ignore[arg-type]
        if decision.ignored:
            log.debug("offer of %s to %s (%s): %s ignored", offer.call_id, offer.agent_id,
                      offer.phase, type(event).__name__)
            return
        if decision.agent is not None and decision.agent[0] is AgentState.PAUSED:
            log.info("offer of %s to %s (%s): %r pauses the agent", offer.call_id,
                     offer.agent_id, offer.phase, event)
        await self._carry_out(decision)

    async def _carry_out(self, decision: Decision) -> None:
        offer = decision.offer
        self._keep(offer)
        if decision.hang_up_leg:
            await self._hang_up(decision.hang_up_leg)
        if decision.connect:
            await self._connected(offer)
        if decision.end is CallOutcome.ABANDONED:
            await self.store.remove_call(offer.call_id)
            self._end(offer.call, CallOutcome.ABANDONED, None, decision.at)
        elif decision.end:
            self._end(offer.call, decision.end, offer.agent_id, decision.at, offer.connected_at)
            if not offer.callback:  # its connect's settle may have failed: the store forgets it
                await self._settle_again(offer.call_id)
        if decision.requeue:
            await self.store.return_to_queue(offer.call_id)
        if decision.callback_failed:
            await self._callback_failed(offer.call, decision.at)
        if decision.agent is not None:
            await self._agent_after(offer, *decision.agent)
        if decision.dispatch:
            await self.dispatch()

    def _keep(self, offer: Offer) -> None:
        """Hold the offer (or forget it, once ended) with its lookups by ActionID and leg:
        an agent leg's events are matched by its own Originate or channel, never by the
        agent's device (an old leg of the same phone may still send a late Hangup)."""
        if offer.phase is Phase.ENDED:
            self._offers.pop(offer.call_id, None)
            self._by_action.pop(offer.action_id, None)
            self._by_leg.pop(offer.leg, None)
            return
        self._offers[offer.call_id] = offer
        if offer.action_id:
            self._by_action[offer.action_id] = offer.call_id
        if offer.leg:
            self._by_leg[offer.leg] = offer.call_id

    def _offer_of(self, originate_id: str = "", leg: str = "") -> Offer | None:
        """The offer an agent leg belongs to, by its Originate's ActionID or its channel."""
        if (call_id := self._by_action.get(originate_id)) is not None:
            offer = self._offers.get(call_id)
            return offer if offer is not None and offer.action_id == originate_id else None
        call_id = self._by_leg.get(leg)
        offer = self._offers.get(call_id) if call_id else None
        return offer if offer is not None and offer.leg == leg else None

    async def _agent_after(self, offer: Offer, state: AgentState, reason: str) -> None:
        """Move the offer's agent, if they are still on this offer's call (an agent who
        moved on meanwhile, e.g. logged out, is left alone)."""
        agent = await self.store.agent(offer.agent_id)
        if agent is None or agent.call_id != offer.call_id:
            log.info("agent %s left call %s already: stays %s", offer.agent_id,
                     offer.call_id, agent.state if agent else "unknown",
                     extra=call_fields(offer.call_id, offer.call.queue, offer.agent_id))
            return
        if state is AgentState.WRAP_UP:  # first: a failed move may have landed, and the
            # timer only ends a wrap-up of this call that it finds in the store
            self._start_wrap_up_timer(offer.agent_id, offer.call_id, offer.call.queue)
        try:
            if state is AgentState.WRAP_UP and agent.state is AgentState.OFFERED:
                # the store failed as the call connected: they talked all the same
                await self._move(offer.agent_id, AgentState.ON_CALL, call_id=offer.call_id)
            await self._move(offer.agent_id, state, reason=reason, call_id=offer.call_id)
        except InvalidTransition as exc:
            log.warning("call %s: %s", offer.call_id, exc,
                        extra=call_fields(offer.call_id, offer.call.queue, offer.agent_id))

    async def _hang_up(self, channel: str) -> None:
        """Hang up a channel that must go; it may have gone already."""
        try:
            await self.control.hangup(channel)
        except AmiError as exc:
            log.info("hang-up of %s: %s (gone already?)", channel, exc)

    # -- events -----------------------------------------------------------------------------

    async def handle(self, event: Heard) -> None:
        """One bus event under the lock. A PBX refusal or a refused state change is logged
        and skipped; anything else is logged by the bus reader, which goes on."""
        try:
            async with self._lock:
                await self._handle(event)
        except StoreError as exc:
            log.error("distributor: %s while handling %r (the next channel check repairs "
                      "what it missed)", exc, event)
            self.bus.publish(PartDown(STORE, str(exc), self.clock()))
        except (AmiError, InvalidTransition) as exc:
            log.warning("distributor: %s while handling %r; that event is skipped", exc, event)

    async def _handle(self, event: Heard) -> None:
        match event:
            case PartDown() | PartUp():
                self.health.record(event)
            case IvrFinished():  # a post-call survey's rating, for the board
                self.metrics.record(event)
            case CallArrived():
                self._callers[event.uniqueid] = (event.caller_num, event.caller_name)
            case CallVariableSet():
                self._vars.setdefault(event.uniqueid, {})[event.name] = event.value
            case CallWaiting():
                self._watch.back_on_hold(event.uniqueid)
                await self._hold_started(event)
            case AgentLegRinging():
                await self._agent_leg_rings(event)
            case OriginateResult():
                if (offer := self._offer_of(event.action_id)) is not None:
                    await self._apply(offer, Answered(event.channel, self.clock())
                                      if event.success else Failed(event.reason))
            case CallBridged():
                offer = self._offers.get(event.uniqueid) or self._offer_of(event.originate_id,
                                                                           event.channel)
                if offer is not None:
                    await self._apply(offer, Bridged(event.at))
            case CallbackRequested():
                if await self._callbacks.requested(event):
                    await self.dispatch()
            case CallHungUp():
                await self._hung_up(event)
            case Resynced():
                await self._reconcile(event)
            case CallHoldStopped() | CallUnbridged() | LinkDown():
                pass  # the next Resynced tells what a lost link missed
            case _:
                assert_never(event)

    async def _agent_leg_rings(self, event: AgentLegRinging) -> None:
        """Note the leg of the offer; a leg of no offer of ours is hung up."""
        if (offer := self._offer_of(event.originate_id)) is not None:
            await self._apply(offer, LegRinging(event.channel, self.clock()))
        else:
            await self._hang_up(event.channel)

    async def _hold_started(self, event: CallWaiting) -> None:
        """Music on hold started: a queue entry, or nothing, or a stray (acd/entry.py)."""
        values = self._vars.get(event.uniqueid, {})
        call_id = event.uniqueid
        held = call_id in self._offers or call_id in self._entered
        entry = on_hold_start(event.context, values.get(cc.QUEUE, ""),
                              values.get(cc.ENTRY, ""), self._finished.get(call_id), held=held)
        if entry is Entry.JOIN:
            await self._enqueue(call_id, event.channel)
        elif entry is Entry.STRAY:
            log.warning("call %s: caller back in music on hold after the call ended; "
                        "hanging up", call_id, extra=call_fields(call_id))
            await self._hang_up(event.channel)

    async def _enqueue(self, uniqueid: str, channel: str, *, fresh: bool = True) -> None:
        """Queue a parked caller. A `fresh` one (not rebuilt by a resync) first meets the
        queue's limits at entry, then is offered at once; a resync queues every parked
        caller before it dispatches once, so the oldest goes first whatever order Asterisk
        listed the channels in (tests/asterisk/test_restart.py)."""
        values = self._vars.get(uniqueid, {})
        num, name = self._callers.get(uniqueid, ("", ""))
        call = parked_call(uniqueid, channel, values, num, name, self.clock())
        self._entered[uniqueid] = values.get(cc.ENTRY, "")
        self._finished.pop(uniqueid, None)
        if not await self.store.add_call(call, values.get(cc.ENTRY, "")):
            return
        self._watch.joined(call.call_id, joined_at(values, call), announced=not fresh)
        self._publish(CallQueued(call.call_id, call.queue, num, call.entered_at,
                                 call.priority, dict(call.fields)))
        if fresh and not await self._watch.at_entry(call):
            await self.dispatch()

    async def _connected(self, offer: Offer) -> None:
        """The bridge is a fact (published first); the store's writes follow, and if the
        store fails meanwhile, the call's end catches them up (_carry_out, _agent_after)."""
        self._publish(CallConnected(offer.call_id, offer.agent_id, offer.call.queue,
                                    max(0.0, offer.connected_at - offer.call.entered_at),
                                    offer.connected_at))
        await self.store.settle(offer.call_id)
        await self._agent_after(offer, AgentState.ON_CALL, "")

    async def _settle_again(self, call_id: str) -> None:
        """Make sure the store forgot an answered call (its settle as it connected may have
        failed). Should this fail too, the channel check finds the offer stale and forgets
        it: the call's end goes on meanwhile (the agent wraps up)."""
        try:
            await self.store.settle(call_id)
        except StoreError as exc:
            log.warning("call %s: %s; the channel check forgets its offer", call_id, exc)

    async def _hung_up(self, event: CallHungUp) -> None:
        call_id = event.uniqueid
        self._callers.pop(call_id, None)
        self._vars.pop(call_id, None)  # an agent leg's too: Originate set its CC_PEER
        if event.originate_id or event.channel in self._by_leg:
            if (offer := self._offer_of(event.originate_id, event.channel)) is not None:
                await self._apply(offer, LegGone(event.at))
            return
        self._entered.pop(call_id, None)
        self._finished.pop(call_id, None)
        self._watch.caller_left(call_id)
        if self._callbacks.caller_left(call_id):  # they asked to be called back
            return
        if (offer := self._offers.get(call_id)) is not None:
            await self._apply(offer, CallerGone(event.at))
        elif (call := await self.store.abandon(call_id)) is not None:  # another's offer: theirs
            self._end(call, CallOutcome.ABANDONED, None, event.at)

    async def _callback_failed(self, call: WaitingCall, at: float) -> None:
        """The agent answered but the customer did not: the callback keeps its place and
        is tried again later, or ends after the last try."""
        if self._callbacks.failed(call.call_id) >= self.callback_attempts:
            await self.store.remove_call(call.call_id)
            self._end(call, CallOutcome.ABANDONED, None, at)
        else:
            self._own(self._retry_callback(call.call_id), f"callback-retry-{call.call_id}")

    async def _retry_callback(self, call_id: str) -> None:
        await asyncio.sleep(self.callback_retry_seconds)

        async def retry() -> None:
            await self.store.return_to_queue(call_id)
            await self.dispatch()
        await self._until_done(retry, f"callback {call_id}")

    async def _until_done(self, work: Callable[[], Awaitable[None]], what: str) -> None:
        """`work` under the lock, tried again (backoff.py) while the store fails: a timer
        whose work were lost would leave its agent in wrap-up, or its callback out of the
        queue, for good. `work` must be safe to repeat (it reads before it writes)."""
        for attempt in itertools.count():
            try:
                async with self._lock:
                    await work()
                return
            except StoreError as exc:
                log.warning("%s: %s; trying again", what, exc)
                self.bus.publish(PartDown(STORE, str(exc), self.clock()))
                await asyncio.sleep(self._retry.delay(attempt))

    def _end(self, call: WaitingCall, outcome: CallOutcome, agent_id: str | None, at: float,
             connected_at: float = 0.0) -> None:
        self.counts[outcome] += 1
        self._refusals.pop(call.call_id, None)
        self._watch.forget(call.call_id)
        self._callbacks.forget(call.call_id)
        if (token := self._entered.pop(call.call_id, None)) is not None:
            self._finished[call.call_id] = token
        wait = round(max(0.0, (connected_at or at) - call.entered_at), 3)
        talk = round(at - connected_at, 3) if connected_at else 0.0
        log.info("call %s ended: queue=%s outcome=%s wait=%.1fs talk=%.1fs agent=%s",
                 call.call_id, call.queue, outcome, wait, talk, agent_id or "-",
                 extra=call_fields(call.call_id, call.queue, agent_id))
        self._publish(CallEnded(call.call_id, call.queue, outcome, agent_id, wait, talk, at))

    def _ring_timeout_ms(self, queue: str) -> int:
        definition = self.queues.get(queue)
        return round(definition.ring_timeout_seconds * 1000) if definition \
            else self.ring_timeout_ms

    def _start_wrap_up_timer(self, agent_id: str, call_id: str, queue: str) -> None:
        """After the queue's wrap-up time, the agent's wrap-up of `call_id` ends."""
        definition = self.queues.get(queue)
        seconds = definition.wrap_up_seconds if definition else self.wrap_up_seconds

        async def available() -> None:
            agent = await self.store.agent(agent_id)
            if agent is not None and agent.state is AgentState.WRAP_UP \
                    and agent.call_id == call_id:
                await self._move(agent_id, AgentState.AVAILABLE)
                await self.dispatch()

        async def wrap_up() -> None:
            await asyncio.sleep(seconds)
            await self._until_done(available, f"end of {agent_id}'s wrap-up")

        self._own(wrap_up(), _wrap_up_timer(agent_id))

    def _wrapping_up(self, agent_id: str) -> bool:
        """Whether the agent's wrap-up timer runs."""
        return any(timer.get_name() == _wrap_up_timer(agent_id) for timer in self._timers)

    def _own(self, coro: Coroutine[object, object, None], name: str) -> None:
        """Run `coro` as a task cancelled and awaited on close; its failure is logged."""
        task = asyncio.create_task(coro, name=name)
        self._timers.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._timers.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("distributor task %s failed", task.get_name(), exc_info=exc)

    # -- resync ---------------------------------------------------------------------------

    async def _reconcile(self, event: Resynced) -> None:
        """Asterisk is the truth (acd/recovery.py decides): events this process missed
        about its own offers are applied; what a dead process left is taken over; calls
        whose channel is gone are abandoned; parked callers the ACD lacks are queued at
        their original entry time. Nothing that began after the channels were asked is
        judged by their absence."""
        live = {snap.uniqueid: snap for snap in event.channels}
        started = event.started or event.at
        for call_id, missed_event in missed(list(self._offers.values()), event.channels,
                                            started=started, at=event.at,
                                            ring_s=self._ring_s):
            if (offer := self._offers.get(call_id)) is not None:
                log.info("call %s: %s seen only in the live channels", call_id,
                         type(missed_event).__name__,
                         extra=call_fields(call_id, offer.call.queue, offer.agent_id))
                await self._apply(offer, missed_event)
        legs = agent_legs(event.channels)
        agents = await self.store.agents()
        mine = adoptable(agents, await self.store.live_owners(), self.owner)
        for caller, leg, agent in unfollowed_bridges(event.channels, self._offers, agents,
                                                     mine, started=started):
            if (claimed := await self._claim(agent)) is not None:
                await self._follow(claimed, caller, leg.channel)
        # the offers before the agents: an offer another process makes between the two
        # reads is not in `offered`, and one made before shows its agent owned by that
        # process (the store's offer sets the owner), so it is never taken for an orphan
        # and requeued while it rings (a double offer, seen with two processes)
        offered = await self.store.offered()
        agents = await self.store.agents()
        by_id = {agent.agent_id: agent for agent in agents}
        mine = adoptable(agents, await self.store.live_owners(), self.owner)
        for orphan in orphan_offers(offered, self._offers, live, legs, mine, by_id):
            if not orphan.stale and orphan.agent_id in by_id \
                    and not await self._claim(by_id[orphan.agent_id]):
                continue
            if not orphan.requeue:
                await self.store.remove_call(orphan.call.call_id)
                if not orphan.stale:  # a stale one ended already (else Reconciled closes it)
                    self._end(orphan.call, CallOutcome.ABANDONED, None, event.at)
            if orphan.leg:  # as a withdrawn offer: requeued and the agent freed once it is gone
                self._keep(Offer(orphan.call, orphan.agent_id, "", Phase.RELEASING,
                                 leg=orphan.leg, requeue=orphan.requeue,
                                 free_agent=not orphan.stale))
                await self._hang_up(orphan.leg)
            elif orphan.requeue:
                await self.store.return_to_queue(orphan.call.call_id)
        agents = await self.store.agents()
        timed = [agent.agent_id for agent in agents if self._wrapping_up(agent.agent_id)]
        for agent, take_over in orphan_agents(agents, self._offers, live, legs, timed, mine):
            if (claimed := await self._claim(agent)) is not None:
                await self._take_over(claimed, take_over, live, legs)
        for call in gone(await self.store.waiting(), live, started):
            await self.store.remove_call(call.call_id)
            self._end(call, CallOutcome.ABANDONED, None, event.at)
        for snap in parked(event.channels):
            self._vars[snap.uniqueid] = dict(snap.variables)
            self._callers.setdefault(snap.uniqueid, (snap.caller_num, snap.caller_name))
            if snap.uniqueid not in self._offers:
                await self._enqueue(snap.uniqueid, snap.channel, fresh=False)
        # records left open of calls that are over get closed (a process died, or a store
        # failure cost the event that would have closed them)
        held = {call.call_id for call in await self.store.waiting()}
        self._publish(Reconciled(frozenset({*live, *held, *self._offers,
                                            *await self.store.offered()}), started, event.at))
        await self.dispatch()

    def _ring_s(self, offer: Offer) -> float:
        return self._ring_timeout_ms(offer.call.queue) / 1000

    async def _claim(self, agent: Agent) -> Agent | None:
        """Become the owner of an agent whose call nobody follows, unless another process
        did first (the write is conditional on the record read): None then."""
        if agent.owner == self.owner:
            return agent
        try:
            return await self.store.put_agent(replace(agent, owner=self.owner))
        except StoreConflict:
            log.info("agent %s taken over by another process", agent.agent_id)
            return None

    async def _follow(self, agent: Agent, caller: ChannelSnapshot, leg: str) -> None:
        """Follow a call found bridged that nobody followed: its agent is on it (whatever
        the store said), an offer the store still holds is settled, and the call ends as
        any connected call when either side hangs up."""
        now = self.clock()
        call = parked_call(caller.uniqueid, caller.channel, caller.variables,
                           caller.caller_num, caller.caller_name, now)
        log.warning("call %s: found bridged to %s with nobody following it; following",
                    call.call_id, agent.agent_id)
        await self.store.settle(call.call_id)
        await self._update(agent.agent_id, lambda current: found_talking(
            current, call.call_id, now, self.owner), AgentState.ON_CALL)
        offer = Offer(call, agent.agent_id, agent.profile.device, Phase.CONNECTED, at=now,
                      leg=leg, connected_at=now)
        self._keep(offer)
        self._publish(CallConnected(call.call_id, agent.agent_id, call.queue,
                                    max(0.0, now - call.entered_at), now))

    async def _take_over(self, agent: Agent, step: TakeOver,
                         live: Mapping[str, ChannelSnapshot],
                         legs: Mapping[str, ChannelSnapshot]) -> None:
        """Carry out what recovery.orphan_agents decided for an agent a dead process left."""
        call_id = agent.call_id or ""
        if step is TakeOver.FREE:
            await self._move(agent.agent_id, AgentState.AVAILABLE)
        elif step is TakeOver.FOLLOW:
            caller = live[call_id]
            call = parked_call(call_id, caller.channel, caller.variables, caller.caller_num,
                               caller.caller_name, self.clock())
            self._keep(Offer(call, agent.agent_id, agent.profile.device, Phase.CONNECTED,
                             leg=legs[call_id].channel, connected_at=agent.since))
        elif step is TakeOver.WRAP_UP:  # the call ended unseen: answered, and over
            now = self.clock()
            self._end(WaitingCall(call_id, "", "", now), CallOutcome.ANSWERED,
                      agent.agent_id, now)
            self._start_wrap_up_timer(agent.agent_id, call_id, "")
            await self._move(agent.agent_id, AgentState.WRAP_UP, call_id=call_id)
        else:
            self._start_wrap_up_timer(agent.agent_id, call_id, "")


def _wrap_up_timer(agent_id: str) -> str:
    return f"wrap-up-{agent_id}"

