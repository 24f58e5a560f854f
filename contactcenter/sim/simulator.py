"""PbxSimulator: the facade that stands where Asterisk stands. It owns the AMI server, one task
per simulated call (FastAGI, then music on hold until answered or abandoned) and one per
originated agent leg, and counts how every call ended."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field

from contactcenter.sim.agi_client import AgiSession
from contactcenter.sim.ami_server import AmiServer, OriginateRequest
from contactcenter.sim.call_features import CallFeatures, Consultation, TransferTarget
from contactcenter.sim.channels import (
    CALLBACK_CONTEXT,
    OVERFLOW_APPS,
    UNKNOWN,
    WAIT_CONTEXT,
    Channel,
    ChannelView,
    Pbx,
    Role,
)
from contactcenter.sim.scenario import (
    Keypad,
    ScriptedAgent,
    ScriptedCaller,
    fixed_arrivals,
    poisson_arrivals,
)
from contactcenter.sim.sounds import SoundLibrary
from contactcenter.sim.stats import CallOutcome, SimStats

log = logging.getLogger(__name__)


@dataclass(eq=False)
class SimCall:
    """One simulated inbound call, as the test placing it sees it."""

    caller: ScriptedCaller
    channel: str = ""
    uniqueid: str = ""
    phase: str = "ivr"
    answered: bool = False
    outcome: CallOutcome | None = None
    redirect_flow: str | None = None
    overflowed_to: str = ""  # "cc-voicemail,<queue>" or "cc-message,<prompt>"
    keys: Keypad | None = None  # what the caller will press, across the call's AGI runs
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait(self) -> CallOutcome:
        """Until the caller's channel is gone; its outcome."""
        await self.ended.wait()
        assert self.outcome is not None
        return self.outcome


class PbxSimulator(CallFeatures):
    """AMI on 127.0.0.1 (port 0: a free one) and a FastAGI client per call to the platform."""

    def __init__(self, *, username: str = "cc", secret: str = "ccsecret",
                 agi_host: str = "127.0.0.1", agi_port: int = 4573,
                 agents: Mapping[str, ScriptedAgent] | None = None, flow: str = "main",
                 agi_contexts: Mapping[str, str] | None = None,
                 sounds: SoundLibrary | None = None, failed_login_delay: float = 1.0,
                 dead_linger: float = 5.0, ami_port: int = 0, seed: int | None = None,
                 overflow_seconds: float = 0.2,
                 customers: Mapping[str, ScriptedAgent] | None = None,
                 callback_dial_seconds: float = 30.0) -> None:
        self.pbx = Pbx(self._sink)
        self.pbx.on_gone(self._channel_gone)
        self._ami = AmiServer(self.pbx, self, username=username, secret=secret,
                              failed_login_delay=failed_login_delay)
        self._ami_requested_port = ami_port
        self._agi_host, self._agi_port, self._flow = agi_host, agi_port, flow
        self._agents = dict(agents or {})
        self._agi_contexts = dict(agi_contexts or {})
        self._sounds = sounds or SoundLibrary()
        self._dead_linger = dead_linger
        self._overflow_seconds = overflow_seconds
        self._customers = dict(customers or {})  # phones that answer callbacks, by number
        self._callback_dial_seconds = callback_dial_seconds
        self._callbacks: list[SimCall] = []
        self._rng = random.Random(seed)
        self._tasks: set[asyncio.Task[None]] = set()
        self._calls: list[SimCall] = []
        self._by_channel: dict[str, SimCall] = {}
        self._agi: dict[str, AgiSession] = {}
        self._gone: dict[str, asyncio.Event] = {}
        self._ringing_for: Counter[str] = Counter()
        self._double_offers = 0
        self._consultations: dict[str, Consultation] = {}  # call_features.py
        self._transfers: list[TransferTarget] = []

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        await self._ami.start("127.0.0.1", self._ami_requested_port)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._ami.close()

    async def __aenter__(self) -> PbxSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def ami_port(self) -> int:
        return self._ami.port

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        """Run ``coro`` as a task owned here: cancelled and awaited by close()."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulator task failed", exc_info=task.exception())

    def _sink(self, fields: list[tuple[str, str]]) -> None:
        self._ami.broadcast(fields)

    # -- what tests ask ---------------------------------------------------------------------
    @property
    def calls(self) -> list[SimCall]:
        return list(self._calls)

    @property
    def callbacks(self) -> list[SimCall]:
        """The customers the platform called back (cc-callback), in dialling order."""
        return list(self._callbacks)

    @property
    def channels(self) -> dict[str, ChannelView]:
        """The live channels, by name."""
        return {name: self.pbx.view(ch) for name, ch in self.pbx.channels.items()}

    def is_alive(self, channel: str) -> bool:
        return channel in self.pbx.channels

    @property
    def stats(self) -> SimStats:
        outcomes = Counter(call.outcome for call in self._calls)
        return SimStats(
            offered=len(self._calls),
            answered=sum(call.answered for call in self._calls),
            abandoned=outcomes[CallOutcome.ABANDONED],
            hung_up_in_ivr=outcomes[CallOutcome.HUNG_UP_IN_IVR],
            ended_in_ivr=outcomes[CallOutcome.ENDED_IN_IVR],
            cleared_while_waiting=outcomes[CallOutcome.CLEARED],
            overflowed=outcomes[CallOutcome.OVERFLOWED],
            waiting=sum(call.phase == "waiting" and call.outcome is None for call in self._calls),
            in_progress=sum(call.outcome is None for call in self._calls),
            double_offers=self._double_offers,
        )

    # -- traffic ----------------------------------------------------------------------------
    def place_call(self, caller: ScriptedCaller) -> SimCall:
        """A call arrives now: the channel exists when this returns; the AGI runs in a task."""
        call = SimCall(caller, keys=Keypad.of(caller))
        ch = self.pbx.new_inbound(caller.number, caller.name, caller.dnis,
                                  f"{self._agi_url(self._flow)},{caller.dnis}")
        call.channel, call.uniqueid = ch.name, ch.uniqueid
        self._gone[ch.name] = asyncio.Event()
        self._calls.append(call)
        self._by_channel[ch.name] = call
        self._spawn(self._call_lifecycle(call, ch))
        return call

    async def run_traffic(self, callers: Sequence[ScriptedCaller] = (), *,
                          rate: float | None = None, seconds: float,
                          make_caller: Callable[[int], ScriptedCaller] | None = None,
                          ) -> list[SimCall]:
        """Place ``callers`` spread evenly over ``seconds``, or Poisson arrivals at ``rate`` per
        second (callers cycle through ``callers`` or come from ``make_caller(i)``). Returns once
        the last arrival is placed; calls keep running."""
        if rate is None:
            offsets = fixed_arrivals(callers, seconds)
        else:
            offsets = list(poisson_arrivals(rate, seconds, self._rng))
        loop = asyncio.get_running_loop()
        start = loop.time()
        placed: list[SimCall] = []
        for i, offset in enumerate(offsets):
            await asyncio.sleep(max(0.0, start + offset - loop.time()))
            if make_caller is not None:
                caller = make_caller(i)
            elif callers:
                caller = callers[i % len(callers)]
            else:
                caller = ScriptedCaller()
            placed.append(self.place_call(caller))
        await asyncio.sleep(max(0.0, start + seconds - loop.time()))
        return placed

    def _agi_url(self, flow: str) -> str:
        """The dialplan runs ``AGI(<url>,${EXTEN})``: the flow name routes, the DNIS is
        ``agi_arg_1``."""
        return f"agi://{self._agi_host}:{self._agi_port}/{flow}"

    async def _call_lifecycle(self, call: SimCall, ch: Channel) -> None:
        flow = self._flow
        while ch.name in self.pbx.channels:
            call.phase = "ivr"
            session = AgiSession(self.pbx, ch, call.caller, self._sounds,
                                 dead_linger=self._dead_linger, keys=call.keys)
            self._agi[ch.name] = session
            try:
                status = await session.run(self._agi_host, self._agi_port, self._agi_url(flow),
                                           (ch.exten,))
            finally:
                del self._agi[ch.name]
            if not ch.bridge_id:  # else an agent's Bridge() took the caller out of the AGI
                if not self.pbx.after_agi(ch, status):
                    return
                call.phase = "waiting"
            next_flow = await self._wait_in_queue(call, ch)
            if next_flow is None:
                return
            flow = next_flow

    async def _wait_in_queue(self, call: SimCall, ch: Channel) -> str | None:
        """Music on hold until bridged, abandoned, redirected into an AGI context, or gone."""
        patience = call.caller.patience
        loop = asyncio.get_running_loop()
        deadline = None if patience is None else loop.time() + patience
        while ch.name in self.pbx.channels:
            call.wake.clear()
            if call.redirect_flow is not None:
                flow, call.redirect_flow = call.redirect_flow, None
                return flow
            timeout = None
            if call.phase == "waiting" and deadline is not None:
                timeout = max(0.0, deadline - loop.time())
            try:
                await asyncio.wait_for(call.wake.wait(), timeout)
            except TimeoutError:
                if call.phase == "waiting" and not ch.bridge_id:
                    self.pbx.caller_hangs_up(ch)
                    self.pbx.hangup(ch, 0)
        return None

    def _channel_gone(self, ch: Channel) -> None:
        gone = self._gone.pop(ch.name, None)
        if gone is not None:
            gone.set()
        call = self._by_channel.pop(ch.name, None)
        if call is None:
            return
        if call.answered:
            call.outcome = CallOutcome.ANSWERED
        elif call.overflowed_to:
            call.outcome = CallOutcome.OVERFLOWED
        elif call.phase == "ivr":
            call.outcome = (CallOutcome.HUNG_UP_IN_IVR if ch.pending_cause == 0
                            else CallOutcome.ENDED_IN_IVR)
        else:
            call.outcome = CallOutcome.ABANDONED if ch.pending_cause == 0 else CallOutcome.CLEARED
        call.phase = "done"
        call.ended.set()
        call.wake.set()

    # -- CallControl, for the AMI server ----------------------------------------------------
    def hangup(self, channel: str, cause: int) -> None:
        if self.complete_attended_transfer(channel):
            return
        session = self._agi.get(channel)
        if session is not None:
            self.pbx.emit_channel("SoftHangupRequest", "call,all", session.channel,
                                  ("Cause", str(cause)))
            session.hang_up(cause)
        elif (ch := self.pbx.channels.get(channel)) is not None:
            ch.pending_cause = cause
            self.pbx.hangup(ch, cause)

    def redirect(self, channel: str, context: str, exten: str, priority: int) -> None:
        ch = self.pbx.channels[channel]
        call = self._by_channel.get(channel)
        if call is None or channel in self._agi:
            self.hangup(channel, 16)
            return
        self.pbx.stop_hold(ch)
        if ch.bridge_id:
            self.pbx.leave_bridge(ch, destroy_self=False)
        if context == WAIT_CONTEXT:
            self.pbx.enter_wait(ch)
            call.phase = "waiting"
        elif context in OVERFLOW_APPS:
            self._overflow(call, ch, context, exten)
            return
        elif context in self._agi_contexts:
            ch.context, ch.exten, ch.priority = context, exten, priority
            call.redirect_flow = self._agi_contexts[context]
            self.pbx.newexten(ch, context, exten, priority, "AGI",
                              f"{self._agi_url(call.redirect_flow)},{exten}")
        else:
            ch.pending_cause = 16
            self.pbx.dialplan_hangup(ch, priority)
        call.wake.set()

    def _overflow(self, call: SimCall, ch: Channel, context: str, exten: str) -> None:
        """``[cc-voicemail]`` / ``[cc-message]``: the application runs for overflow_seconds
        (the caller leaves a message, or hears one), then the dialplan hangs up."""
        app, data = OVERFLOW_APPS[context]
        self.pbx.newexten(ch, context, exten, 1, app, data.format(exten=exten))
        call.phase, call.overflowed_to = "overflowed", f"{context},{exten}"
        call.wake.set()

        async def finish() -> None:
            await asyncio.sleep(self._overflow_seconds)
            if ch.name in self.pbx.channels:
                ch.pending_cause = 16
                self.pbx.dialplan_hangup(ch, 2)

        self._spawn(finish())

    def originate(self, request: OriginateRequest) -> asyncio.Future[bool]:
        outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._spawn(self._originate(request, outcome))
        return outcome

    def _originate_response(self, request: OriginateRequest, ok: bool, reason: int,
                            ch: Channel | None) -> None:
        fields = [("ActionID", request.action_id)] if request.action_id else []
        self.pbx.emit("OriginateResponse", "call,all", [
            *fields, ("Response", "Success" if ok else "Failure"),
            ("Channel", ch.name if ok and ch else request.device),
            ("Application", request.application), ("Data", request.data),
            ("Reason", str(reason)), ("Uniqueid", ch.uniqueid if ok and ch else UNKNOWN),
            ("CallerIDNum", request.caller_num or UNKNOWN),
            ("CallerIDName", request.caller_name or UNKNOWN)])

    async def _originate(self, request: OriginateRequest, outcome: asyncio.Future[bool]) -> None:
        agent = self._agents.get(request.device)
        if agent is None:
            self._originate_response(request, False, 0, None)
            outcome.set_result(False)
            return
        bridging = request.application.lower() == "bridge"
        target = self.pbx.channels.get(request.target) if bridging else None
        if target is not None and (self._ringing_for[request.target] or target.bridge_id):
            self._double_offers += 1
        ch = self.pbx.dial_agent(request.device, request.caller_num, request.caller_name,
                                 list(request.variables))
        gone = self._gone[ch.name] = asyncio.Event()
        self._ringing_for[request.target] += 1
        try:
            ring = request.timeout_ms / 1000
            answers = agent.answer_after is not None and agent.answer_after < ring
            wait = agent.answer_after if answers else ring
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(gone.wait(), wait)
        finally:
            self._ringing_for[request.target] -= 1
        if gone.is_set():
            self._originate_response(request, False, 1, None)
            outcome.set_result(False)
            return
        if not answers:
            self.pbx.hangup(ch, 19)
            self._originate_response(request, False, 3, None)
            outcome.set_result(False)
            return
        self.pbx.agent_answers(ch, request.target)
        self._originate_response(request, True, 4, ch)
        outcome.set_result(True)
        if bridging:
            self._connect(ch, request)
            hold = agent.talk_seconds
        elif request.context == CALLBACK_CONTEXT:
            await self._call_back(ch, request.exten)
            hold = agent.talk_seconds
        else:
            hold = float(request.data) if request.application.lower() == "wait" else 0.0
        if ch.name in self.pbx.channels:
            with contextlib.suppress(TimeoutError, ValueError):
                await asyncio.wait_for(gone.wait(), hold)
            self.pbx.hangup(ch, 16)

    async def _call_back(self, agent_ch: Channel, number: str) -> None:
        """The answered agent leg dials the customer, whose phone answers per ``customers``
        (an unknown number never does); unanswered, Dial() returns and the leg hangs up."""
        customer = self.pbx.dial_customer(agent_ch, number, self._callback_dial_seconds)
        call = SimCall(ScriptedCaller(number=number), customer.name, customer.uniqueid,
                       phase="callback")
        self._callbacks.append(call)
        self._by_channel[customer.name] = call
        gone = self._gone[customer.name] = asyncio.Event()
        script = self._customers.get(number)
        answers = script is not None and script.answer_after is not None \
            and script.answer_after < self._callback_dial_seconds
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(gone.wait(), script.answer_after if answers and script
                                   else self._callback_dial_seconds)
        if gone.is_set() or agent_ch.name not in self.pbx.channels:
            self.pbx.hangup(customer, 16)
            return
        if not answers:
            customer.pending_cause = 19
            self.pbx.hangup(customer, 19)
            self.pbx.dialplan_hangup(agent_ch, 2)
            return
        self.pbx.set_state(customer, 6)
        self.pbx.bridge(agent_ch, customer)
        call.answered, call.phase = True, "talking"

    def _connect(self, ch: Channel, request: OriginateRequest) -> None:
        """Bridge(caller) on the answered leg; a caller channel that is gone (or is not a
        caller) makes Bridge fail and the leg hang up, as on a real Asterisk."""
        caller = self.pbx.channels.get(request.target)
        if caller is None or caller.role is not Role.CALLER:
            self.pbx.bridge_fails(ch)
            return
        session = self._agi.get(caller.name)
        if session is not None:
            session.intercept()
        self.pbx.bridge(ch, caller)
        call = self._by_channel.get(caller.name)
        if call is not None:
            call.answered, call.phase = True, "talking"
            call.wake.set()
