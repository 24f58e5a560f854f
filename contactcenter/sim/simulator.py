"""PbxSimulator: the facade that stands where Asterisk stands. It owns the AMI server, one task
per simulated call that runs its dialplan (FastAGI, music on hold, overflow, transfer dials)
until it hangs up, one per originated agent leg, and counts how every call ended.

``chaos=SEED`` makes it as unruly as a real Asterisk under load (issue 9): events of
different channels reach the AMI in a seeded random order (interleave.py) and the noise a
SIP stack adds is mixed in. ``ami_read`` is the AMI user's ``read =`` classes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field

from contactcenter.sim.agi_client import AgiSession
from contactcenter.sim.ami_server import DEFAULT_READ, AmiServer, OriginateRequest
from contactcenter.sim.call_features import CallFeatures, Consultation, TransferTarget
from contactcenter.sim.channels import UNKNOWN, Channel, ChannelView, Pbx, Role
from contactcenter.sim.chanspy import Spy, spy_fields
from contactcenter.sim.dialplan import (
    AGENT_BRIDGE_CONTEXT,
    CALLBACK_CONTEXT,
    OVERFLOW_CONTEXTS,
    WAIT_CONTEXT,
    BridgeOptions,
    Dialplan,
    Location,
    Step,
    after_bridge,
    parse_bridge_data,
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
RTCP_SECONDS = 5.0  # chan_sip's RTCP report interval (7.629, 12.629)


@dataclass(eq=False)
class SimCall:
    """One simulated call (inbound, or a customer called back), as the test placing it sees
    it."""

    caller: ScriptedCaller
    channel: str = ""
    uniqueid: str = ""
    phase: str = "ivr"
    answered: bool = False
    outcome: CallOutcome | None = None
    overflowed_to: str = ""  # "cc-voicemail,<queue>" or "cc-message,<prompt>"
    keys: Keypad | None = None  # what the caller will press, across the call's AGI runs
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    moves: int = 0  # dialplan moves so far: what its dialplan task waits on changes
    requeued: int = 0  # AMI Redirects into cc-wait: queue entries by an explicit act
    bridged_in: tuple[int, str] | None = None  # the queue entry a Bridge() last connected
    offered_to: list[str] = field(default_factory=list)  # devices rung for it, in order
    started_at: float = field(default_factory=time.time)  # wall clock, as the platform's
    ended_at: float | None = None
    bridged_to: list[str] = field(default_factory=list)  # devices it talked to, in order

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
                 callback_dial_seconds: float = 30.0, chaos: int | None = None,
                 ami_read: str = DEFAULT_READ) -> None:
        dialplan = Dialplan(agi_base=f"agi://{agi_host}:{agi_port}", main_flow=flow,
                            agi_contexts=agi_contexts, dial_seconds=callback_dial_seconds)
        noise = None if chaos is None else random.Random(f"noise-{chaos}")
        self.pbx = Pbx(self._sink, dialplan=dialplan, noise=noise)
        self.pbx.on_gone(self._channel_gone)
        self.pbx.on_moved(self._moved)
        self._ami = AmiServer(self.pbx, self, username=username, secret=secret,
                              failed_login_delay=failed_login_delay, read=ami_read,
                              chaos=chaos)
        self._ami_requested_port = ami_port
        self._agi_host, self._agi_port = agi_host, agi_port
        self._agents = dict(agents or {})
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
        self._running: set[str] = set()  # channels whose dialplan task runs
        self._agi: dict[str, AgiSession] = {}
        self._gone: dict[str, asyncio.Event] = {}
        self._ringing: dict[str, OriginateRequest] = {}  # originated legs not yet answered
        self._ringing_for: Counter[str] = Counter()
        self.double_offered: list[str] = []  # the callers offered twice, once per time
        self.busy_rings: list[tuple[str, str]] = []  # (device, caller) rung while on a call
        self._consultations: dict[str, Consultation] = {}  # call_features.py
        self._transfers: list[TransferTarget] = []
        self._spies: list[Spy] = []  # every ChanSpy run, in order

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        await self._ami.start("127.0.0.1", self._ami_requested_port)
        if self._ami.reads("reporting"):
            self._spawn(self._rtcp_reports())

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

    @property
    def ami(self) -> AmiServer:
        """The AMI server, whose link a test may cut, freeze or refuse (its faults)."""
        return self._ami

    def set_agent(self, device: str, script: ScriptedAgent) -> None:
        """How ``device``'s phone answers from the next ring on."""
        self._agents[device] = script

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

    @property
    def spies(self) -> list[Spy]:
        """Every ChanSpy the platform originated, in order, with the modes it was in."""
        return list(self._spies)

    def is_alive(self, channel: str) -> bool:
        return channel in self.pbx.channels

    def waiting_in_moh(self) -> list[SimCall]:
        """The calls whose channel is in ``[cc-wait]``'s music on hold now: what the ACD must
        know as waiting (a caller there that the ACD forgot is stranded)."""
        return [call for call in self._calls
                if (ch := self.pbx.channels.get(call.channel)) is not None
                and ch.context == WAIT_CONTEXT and ch.on_hold]

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
            double_offers=len(self.double_offered),
            busy_rings=len(self.busy_rings),
        )

    # -- traffic ----------------------------------------------------------------------------
    def place_call(self, caller: ScriptedCaller) -> SimCall:
        """A call arrives now: the channel exists when this returns; its dialplan (the AGI
        first) runs in a task."""
        call = SimCall(caller, keys=Keypad.of(caller))
        ch = self.pbx.new_inbound(caller.number, caller.name, caller.dnis)
        call.channel, call.uniqueid = ch.name, ch.uniqueid
        self._gone[ch.name] = asyncio.Event()
        self._calls.append(call)
        self._by_channel[ch.name] = call
        self._run_dialplan(call, ch)
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

    # -- the dialplan's applications that take time ----------------------------------------
    def _run_dialplan(self, call: SimCall, ch: Channel) -> None:
        self._running.add(ch.name)
        self._spawn(self._dialplan(call, ch))

    def _moved(self, ch: Channel, step: Step) -> None:
        """The Pbx brought ``ch`` to ``step`` (its Newexten is out): a call's dialplan task
        stops what it ran and runs that."""
        call = self._by_channel.get(ch.name)
        if call is None:
            return  # agent legs and transfer targets: their own tasks hold them
        call.moves += 1
        if step.application == "AGI":
            call.phase = "ivr"
        elif step.application == "MusicOnHold":
            call.phase = "waiting" if ch.context == WAIT_CONTEXT else "held"
        elif ch.context in OVERFLOW_CONTEXTS:
            call.phase, call.overflowed_to = "overflowed", f"{ch.context},{ch.exten}"
        session = self._agi.get(ch.name)
        if session is not None:
            session.intercept()  # an async goto ends the AGI application
        call.wake.set()
        if ch.name not in self._running:  # a called-back customer sent somewhere by Redirect
            self._run_dialplan(call, ch)

    async def _dialplan(self, call: SimCall, ch: Channel) -> None:
        """Run the application at the channel's location; when it finishes, the dialplan goes
        on. A Redirect (or a bridge's end) moves the channel meanwhile: then whatever it was
        moved to runs; while bridged, it waits."""
        try:
            while ch.name in self.pbx.channels:
                moves = call.moves
                after = await self._application(call, ch, moves)
                if ch.name not in self.pbx.channels or call.moves != moves:
                    continue
                if after is not None and not ch.bridge_id:
                    self.pbx.goto(ch, after)
                else:
                    await self._until_moved(call, ch, moves)
        finally:
            self._running.discard(ch.name)

    async def _until(self, call: SimCall, done: Callable[[], bool],
                     seconds: float | None = None) -> bool:
        """Until ``done()`` (True) or ``seconds`` have passed (False)."""
        loop = asyncio.get_running_loop()
        deadline = None if seconds is None else loop.time() + seconds
        while not done():
            call.wake.clear()
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                await asyncio.wait_for(call.wake.wait(), timeout)
            except TimeoutError:
                return done()
        return True

    def _interrupted(self, call: SimCall, ch: Channel, moves: int) -> Callable[[], bool]:
        return lambda: (ch.name not in self.pbx.channels or call.moves != moves
                        or bool(ch.bridge_id))

    async def _application(self, call: SimCall, ch: Channel, moves: int) -> Location | None:
        """Run the channel's current application; the next location when it finishes, None
        when something else took the channel (bridge, Redirect, hang-up)."""
        at = Location(ch.context, ch.exten, ch.priority)
        interrupted = self._interrupted(call, ch, moves)
        match ch.application:
            case "AGI":
                return await self._agi_application(call, ch, at, moves)
            case "MusicOnHold":
                patience = call.caller.patience if ch.context == WAIT_CONTEXT else None
                if not await self._until(call, interrupted, patience):
                    self.pbx.caller_hangs_up(ch)  # out of patience
                    self.pbx.hangup(ch, 0)
                return None
            case "VoiceMail" | "Playback":
                # the caller leaves a message, or hears one
                done = not await self._until(call, interrupted, self._overflow_seconds)
                return at.next() if done else None
            case "Dial":
                return await self._transfer_dial(ch, at)
        return None

    async def _agi_application(self, call: SimCall, ch: Channel, at: Location,
                               moves: int) -> Location | None:
        url, *args = ch.app_data.split(",")
        session = AgiSession(self.pbx, ch, call.caller, self._sounds,
                             dead_linger=self._dead_linger, keys=call.keys)
        self._agi[ch.name] = session
        try:
            status = await session.run(self._agi_host, self._agi_port, url, tuple(args))
        finally:
            del self._agi[ch.name]
        if self._interrupted(call, ch, moves)():
            return None  # an agent's Bridge() or a Redirect took the caller out of the AGI
        self.pbx.set_var(ch, "AGISTATUS", status)
        if ch.pending_cause is not None:
            self.pbx.hangup(ch, ch.pending_cause)
            return None
        return at.next()

    async def _until_moved(self, call: SimCall, ch: Channel, moves: int) -> None:
        """Bridged (or between applications): until the channel moves or is gone. A caller
        with ``talk_seconds`` hangs up after talking that long."""
        def moved() -> bool:
            return ch.name not in self.pbx.channels or call.moves != moves

        def moved_or_bridged_changed(bridged: bool) -> Callable[[], bool]:
            return lambda: moved() or bool(ch.bridge_id) != bridged

        talk = call.caller.talk_seconds
        while not moved():
            bridged = bool(ch.bridge_id)
            if not await self._until(call, moved_or_bridged_changed(bridged),
                                     talk if bridged else None):
                self.pbx.caller_hangs_up(ch)  # talked long enough
                self.pbx.hangup(ch, 16)

    def _channel_gone(self, ch: Channel) -> None:
        gone = self._gone.pop(ch.name, None)
        if gone is not None:
            gone.set()
        for spy in self._spies:
            if spy.spyee == ch.name and spy.spying:
                self._stop_spying(spy)
                if spy.ends_with_spyee and spy.spyer in self.pbx.channels:
                    self.pbx.hangup(self.pbx.channels[spy.spyer], 16)
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
        call.phase, call.ended_at = "done", time.time()
        call.ended.set()
        call.wake.set()

    async def _rtcp_reports(self) -> None:
        """RTCPSent about every 5 s for each answered channel whose media goes through
        Asterisk (not natively bridged), for a user that reads ``reporting``."""
        sent: dict[str, int] = {}  # reports so far, by channel
        while True:
            await asyncio.sleep(RTCP_SECONDS / 10)
            try:
                now = time.monotonic()
                for name in [n for n in sent if n not in self.pbx.channels]:
                    del sent[name]
                for ch in list(self.pbx.channels.values()):
                    due = int((now - ch.up_at) / RTCP_SECONDS) if ch.up_at else 0
                    if ch.state == 6 and not ch.bridge_id and due > sent.get(ch.name, 0):
                        sent[ch.name] = due
                        self.pbx.rtcp_sent(ch, due)
            except Exception:
                log.exception("RTCP report failed")

    # -- CallControl, for the AMI server ----------------------------------------------------
    def hangup(self, channel: str, cause: int) -> None:
        if self.complete_attended_transfer(channel):
            return
        ch = self.pbx.channels[channel]
        request = self._ringing.pop(channel, None)
        if request is not None:
            # the platform cancels a ringing agent leg: the originate fails (Reason 0) first,
            # then the leg's DialEnd NOANSWER and Hangup (issue 9, a real run)
            self._originate_response(request, False, 0, None)
            ch.pending_cause = cause
            self.pbx.ringing_leg_cancelled(ch, cause)
            return
        session = self._agi.get(channel)
        if session is not None:
            self.pbx.emit_channel("SoftHangupRequest", "call,all", session.channel,
                                  ("Cause", str(cause)))
            session.hang_up(cause)
            return
        self._spying_ends(channel)  # ChanSpyStop, then the spyer's Hangup
        ch.pending_cause = cause
        self.pbx.hangup(ch, cause)

    def play_dtmf(self, channel: str, digit: str, *, receive: bool) -> None:
        """PlayDTMF: the key as sent to the phone, or with Receive as if pressed on it (a
        ChanSpy with the `d` option then switches mode)."""
        self.pbx.dtmf(self.pbx.channels[channel], digit,
                      direction="Received" if receive else "Sent")
        spy = next((s for s in self._spies if s.spyer == channel and s.spying), None)
        if receive and spy is not None:
            spy.key(digit)

    def _start_spying(self, ch: Channel, data: str) -> None:
        """ChanSpy(<channel>,<options>) on the answered leg: ChanSpyStart once the channel
        exists (by exact name: the platform's `u`); a channel that is not there leaves the
        spyer waiting in ChanSpy, as Asterisk's does."""
        spy = Spy.of(ch.name, data)
        self._spies.append(spy)
        spyee = self.pbx.channels.get(spy.spyee)
        if spyee is not None:
            spy.spying = True
            self.pbx.emit("ChanSpyStart", "call,all", spy_fields(ch, spyee))

    def _spying_ends(self, spyer: str) -> None:
        for spy in self._spies:
            if spy.spyer == spyer and spy.spying:
                self._stop_spying(spy)

    def _stop_spying(self, spy: Spy) -> None:
        spy.spying = False
        self.pbx.emit("ChanSpyStop", "call,all", spy_fields(
            self.pbx.channels[spy.spyer], self.pbx.channels.get(spy.spyee)))

    def redirect(self, channel: str, context: str, exten: str, priority: int) -> None:
        """ast_async_goto: the channel leaves what it runs (its bridge too, where the others'
        Bridge() ends) and goes on at context,exten,priority; the after-bridge location a
        Bridge() gave it is dropped (manager.c async_goto_with_discard_bridge_after)."""
        at = Location(context, exten, priority)
        if self.pbx.dialplan.step(at) is None:
            self.hangup(channel, 16)  # no such extension: Asterisk hangs up
            return
        ch = self.pbx.channels[channel]
        if not ch.dialplan:  # an application-only leg: out of its bridge, it hangs up
            self.hangup(channel, 16)  # (main/pbx.c pbx_outgoing_exec)
            return
        self.pbx.stop_hold(ch)
        if ch.bridge_id:
            self.pbx.leave_bridge(ch, hung_up=False)
        ch.after_bridge = None
        call = self._by_channel.get(channel)
        if call is not None and context == WAIT_CONTEXT:
            call.requeued += 1
        self.pbx.goto(ch, at)

    def originate(self, request: OriginateRequest) -> asyncio.Future[bool]:
        outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._spawn(self._originate(request, outcome))
        return outcome

    def _originate_response(self, request: OriginateRequest, ok: bool, reason: int,
                            ch: Channel | None) -> None:
        fields = [("ActionID", request.action_id)] if request.action_id else []
        target = [("Context", request.context), ("Exten", request.exten)] if request.context \
            else [("Application", request.application), ("Data", request.data)]
        self.pbx.emit("OriginateResponse", "call,all", [
            *fields, ("Response", "Success" if ok else "Failure"),
            ("Channel", ch.name if ok and ch else request.device), *target,
            ("Reason", str(reason)), ("Uniqueid", ch.uniqueid if ok and ch else UNKNOWN),
            ("CallerIDNum", request.caller_num or UNKNOWN),
            ("CallerIDName", request.caller_name or UNKNOWN)])

    async def _originate(self, request: OriginateRequest, outcome: asyncio.Future[bool]) -> None:
        agent = self._agents.get(request.device)
        if agent is None:
            self._originate_response(request, False, 0, None)
            outcome.set_result(False)
            return
        data = bridge_data(request)
        bridging = data is not None
        dest, options = parse_bridge_data(data) if data is not None else ("", BridgeOptions())
        target = self.pbx.find(dest)
        offered_twice = target is not None and bool(self._ringing_for[target.name]
                                                   or target.bridge_id)
        if offered_twice:
            assert target is not None
            self.double_offered.append(target.uniqueid)
        if any(ch.device == request.device for ch in self.pbx.channels.values()):
            self.busy_rings.append((request.device, dest))  # a leg of that phone still lives
        call = self._by_channel.get(target.name) if target is not None else None
        if call is not None:
            call.offered_to.append(request.device)
        ch = self.pbx.dial_agent(request.device, request.caller_num, request.caller_name,
                                 list(request.variables))
        ch.dialplan = bool(request.context)
        gone = self._gone[ch.name] = asyncio.Event()
        self._ringing[ch.name] = request
        ringing_for = target.name if target is not None else dest
        self._ringing_for[ringing_for] += 1
        try:
            ring = request.timeout_ms / 1000
            answers = agent.answer_after is not None and agent.answer_after < ring
            wait = agent.answer_after if answers else ring
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(gone.wait(), wait)
        finally:
            self._ringing_for[ringing_for] -= 1
        if self._ringing.pop(ch.name, None) is None:  # hangup() cancelled it, and responded
            outcome.set_result(False)
            return
        if not answers:
            self.pbx.hangup(ch, 19)  # ring-no-answer: Hangup, then the response (11.340)
            self._originate_response(request, False, 3, None)
            outcome.set_result(False)
            return
        self.pbx.agent_answers(ch, request.application, request.data)
        self._originate_response(request, True, 4, ch)
        outcome.set_result(True)
        if bridging:
            if request.context:
                self.pbx.goto(ch, Location(AGENT_BRIDGE_CONTEXT, "s", 1))
            self._connect(ch, dest, options, counted=offered_twice)
            hold, phone_hangs_up = agent.talk_seconds, True
        elif request.context == CALLBACK_CONTEXT:
            await self._call_back(ch, request.exten)
            hold, phone_hangs_up = agent.talk_seconds, True
        elif request.application.lower() == "chanspy":  # until hung up, or its spyee is
            self._start_spying(ch, request.data)
            hold, phone_hangs_up = agent.talk_seconds, True
        else:  # an application that ends by itself: Wait(n) here
            hold = float(request.data) if request.application.lower() == "wait" else 0.0
            phone_hangs_up = False
        if ch.name in self.pbx.channels:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(gone.wait(), hold)
            if ch.name not in self.pbx.channels:
                return
            self._spying_ends(ch.name)
            if phone_hangs_up:
                self.pbx.agent_hangs_up(ch)
            else:
                self.pbx.hangup(ch, 16)

    async def _call_back(self, agent_ch: Channel, number: str) -> None:
        """``[cc-callback]`` on the answered agent leg dials the customer, whose phone answers
        per ``customers`` (an unknown number never does); unanswered, Dial() returns and the
        leg hangs up."""
        at = Location(CALLBACK_CONTEXT, number, 1)
        if self.pbx.goto(agent_ch, at) is None:
            return
        customer = self.pbx.dial_customer(agent_ch, number)
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
            self.pbx.goto(agent_ch, at.next())
            return
        self.pbx.set_state(customer, 6)
        agent_ch.after_bridge = at.next()  # Dial() returns when the customer hangs up
        self._bridge(agent_ch, customer)

    def _connect(self, ch: Channel, dest: str, options: BridgeOptions, *, counted: bool) -> None:
        """Bridge(caller[,options]) on the answered leg; a caller channel that is gone (or is
        not a caller) makes Bridge fail and the leg hang up, as on a real Asterisk. Bridging a
        caller a second time within one queue entry (a Redirect into cc-wait or a new
        CC_ENTRY makes a new one) is a double offer."""
        caller = self.pbx.find(dest)
        if caller is None or caller.role is not Role.CALLER:
            self.pbx.bridge_fails(ch)
            return
        caller.after_bridge = after_bridge(
            options, Location(caller.context, caller.exten, caller.priority),
            Location(ch.context, ch.exten, ch.priority))
        call = self._by_channel.get(caller.name)
        if call is not None:
            call.bridged_to.append(ch.device)
            entry = (call.requeued, caller.variables.get("CC_ENTRY", ""))
            if call.bridged_in == entry and not counted:
                self.double_offered.append(caller.uniqueid)
            call.bridged_in = entry
        self._bridge(ch, caller)

    def _bridge(self, first: Channel, second: Channel) -> None:
        """Pbx.bridge (``second`` is the one taken out of its dialplan), and the calls of
        both are talking."""
        self.pbx.bridge(first, second)
        for ch in (first, second):
            call = self._by_channel.get(ch.name)
            if call is not None:
                call.answered, call.phase = True, "talking"
                call.wake.set()


def bridge_data(request: OriginateRequest) -> str | None:
    """Bridge()'s arguments on an originated agent leg: Originate's Data with
    Application=Bridge, or what [cc-agent] makes of the leg's CC_PEER and CC_BRIDGE_OPTS;
    None when the leg bridges nobody."""
    if request.application.lower() == "bridge":
        return request.data
    if request.context == AGENT_BRIDGE_CONTEXT:
        variables = dict(request.variables)
        return f"{variables.get('CC_PEER', '')},{variables.get('CC_BRIDGE_OPTS', '')}"
    return None
