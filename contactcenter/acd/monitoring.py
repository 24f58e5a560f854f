"""Live monitoring: a supervisor listens to an agent's call, whispers to the agent (the
caller does not hear them) or barges in (both do), switches between these during the call,
and stops, through Asterisk's ChanSpy (cti/spying.py says how).

An edge like acd/call_actions.py: it finds the agent's connected call and leg through
Distributor.current_call, has the PBX link originate the supervisor's own phone into
ChanSpy on that leg, and follows the session on the bus: the Originate's response (their
phone answered: MonitorStarted; it did not: the session ends), and the spy leg's Hangup
(the supervisor hung up, the page stopped it, or ChanSpy ended with the agent's leg):
MonitorEnded says how long and in which modes. A supervisor has one session at a time (one
phone); an agent may be watched by several. The console decides who may monitor
(supervisors and admins) and whose phone rings (their user's device); the audit log keeps
every session (crm_link/supervision.py).

    async with Monitoring(distributor, bridge, bus) as monitoring: ...
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, assert_never

from contactcenter.acd.distributor import Distributor
from contactcenter.acd.events import MonitorEnded, MonitorModeChanged, MonitorStarted
from contactcenter.cti.callerid import caller_id
from contactcenter.cti.events import CallHungUp, OriginateResult, Resynced
from contactcenter.cti.spying import SpyMode
from contactcenter.errors import AmiError, InvalidTransition
from contactcenter.events import BusConsumer, EventBus

log = logging.getLogger(__name__)

RING_TIMEOUT_MS = 30000  # how long the supervisor's phone rings
GONE_KEPT = 256  # channels seen hanging up, for a spy leg whose Hangup beats its answer


class SpyPbx(Protocol):
    """What monitoring needs from the PBX link (cti.bridge.AmiBridge provides it)."""

    async def originate_spy(self, *, device: str, channel: str, mode: SpyMode,
                            timeout_ms: int, caller_id: str) -> str: ...
    async def spy_mode(self, channel: str, mode: SpyMode) -> None: ...
    async def hangup(self, channel: str, cause: int = 16) -> None: ...


@dataclass
class Session:
    """One supervisor's monitoring of one agent's call."""

    session_id: str
    supervisor: str
    agent_id: str
    call_id: str
    agent_leg: str  # the channel ChanSpy spies on
    requested_at: float
    modes: list[tuple[SpyMode, float]] = field(default_factory=list)
    action_id: str = ""  # the Originate of the supervisor's phone
    channel: str = ""  # the supervisor's leg, once it answered
    started_at: float = 0.0
    stopping: bool = False  # the page asked to stop
    leg_gone: bool = False  # the agent's leg hung up

    @property
    def mode(self) -> SpyMode:
        return self.modes[-1][0]

    def view(self, now: float) -> dict[str, object]:
        """What the supervisor page shows."""
        return {"session_id": self.session_id, "supervisor": self.supervisor,
                "agent_id": self.agent_id, "call_id": self.call_id, "mode": self.mode.value,
                "state": "live" if self.channel else "ringing", "stopping": self.stopping,
                "for_s": round(now - (self.started_at or self.requested_at), 1)}


class Monitoring(BusConsumer[OriginateResult | CallHungUp | Resynced]):
    def __init__(self, acd: Distributor, pbx: SpyPbx, bus: EventBus, *,
                 ring_timeout_ms: int = RING_TIMEOUT_MS,
                 clock: Callable[[], float] = time.time) -> None:
        self._acd = acd
        self._pbx = pbx
        self._bus = bus
        self._ring_timeout_ms = ring_timeout_ms
        self._clock = clock
        self._sessions: dict[str, Session] = {}  # by supervisor
        self._gone: deque[str] = deque(maxlen=GONE_KEPT)
        super().__init__(bus, self._handle, "monitoring")

    def sessions(self) -> list[dict[str, object]]:
        """Every session under way, by supervisor."""
        now = self._clock()
        return [self._sessions[name].view(now) for name in sorted(self._sessions)]

    def session(self, supervisor: str) -> dict[str, object] | None:
        found = self._sessions.get(supervisor)
        return None if found is None else found.view(self._clock())

    async def start(self, supervisor: str, device: str, agent_id: str,
                    mode: SpyMode) -> dict[str, object]:
        """Ring the supervisor's `device` to spy on `agent_id`'s connected call in `mode`.
        InvalidTransition if the supervisor monitors already or the agent is on no call."""
        if supervisor in self._sessions:
            other = self._sessions[supervisor].agent_id
            raise InvalidTransition(f"{supervisor} is monitoring {other} already; stop first")
        current = self._acd.current_call(agent_id)
        if current is None:
            raise InvalidTransition(f"agent {agent_id} has no connected call to monitor")
        call, leg = current
        now = self._clock()
        session = Session(secrets.token_hex(6), supervisor, agent_id, call.call_id, leg, now,
                          [(mode, now)])
        self._sessions[supervisor] = session  # taken, before the first await
        try:
            session.action_id = await self._pbx.originate_spy(
                device=device, channel=leg, mode=mode, timeout_ms=self._ring_timeout_ms,
                caller_id=caller_id(f"Monitor {agent_id}", call.caller_num or agent_id))
        except BaseException:
            del self._sessions[supervisor]
            raise
        log.info("%s monitors %s (call %s) in %s mode from %s", supervisor, agent_id,
                 call.call_id, mode, device)
        return session.view(now)

    async def switch(self, supervisor: str, mode: SpyMode) -> dict[str, object]:
        """Listen, whisper or barge from now on, on the same leg."""
        session = self._live(supervisor)
        if session.mode is not mode:
            await self._pbx.spy_mode(session.channel, mode)
            now = self._clock()
            session.modes.append((mode, now))
            self._bus.publish(MonitorModeChanged(session.session_id, supervisor,
                                                 session.agent_id, mode.value, now))
        return session.view(self._clock())

    async def stop(self, supervisor: str) -> None:
        """Hang up the supervisor's leg (a phone still ringing is hung up as it answers);
        the session ends with that Hangup."""
        session = self._sessions.get(supervisor)
        if session is None:
            raise InvalidTransition(f"{supervisor} is monitoring nobody")
        session.stopping = True
        if session.channel:
            await self._hang_up(session)

    async def _hang_up(self, session: Session) -> None:
        try:
            await self._pbx.hangup(session.channel)
        except AmiError as exc:
            log.info("monitoring of %s: hang-up of %s: %s (gone already?)",
                     session.agent_id, session.channel, exc)

    def _live(self, supervisor: str) -> Session:
        session = self._sessions.get(supervisor)
        if session is None:
            raise InvalidTransition(f"{supervisor} is monitoring nobody")
        if not session.channel:
            raise InvalidTransition("the supervisor's phone has not answered yet")
        return session

    # -- the bus --------------------------------------------------------------------------

    async def _handle(self, event: OriginateResult | CallHungUp | Resynced) -> None:
        match event:
            case OriginateResult():
                session = next((s for s in self._sessions.values()
                                if s.action_id and s.action_id == event.action_id), None)
                if session is not None:
                    await self._answered(session, event)
            case CallHungUp():
                self._gone.append(event.channel)
                for session in list(self._sessions.values()):
                    if event.channel == session.channel:
                        self._end(session, "stopped" if session.stopping else
                                  "call ended" if session.leg_gone else "hung up", event.at)
                    elif event.channel == session.agent_leg:
                        session.leg_gone = True  # ChanSpy ends with it (E), and the spy's leg
            case Resynced():
                self._check(event)
            case _:
                assert_never(event)

    async def _answered(self, session: Session, result: OriginateResult) -> None:
        now = self._clock()
        if not result.success:
            self._end(session, "not answered", now)
            return
        session.channel, session.started_at = result.channel, now
        self._bus.publish(MonitorStarted(session.session_id, session.supervisor,
                                         session.agent_id, session.call_id,
                                         session.mode.value, now))
        if result.channel in self._gone:  # its Hangup came first (events of two streams)
            self._end(session, "call ended" if session.leg_gone else "hung up", now)
        elif session.stopping or session.leg_gone:  # ChanSpy would wait for a new leg
            await self._hang_up(session)

    def _check(self, event: Resynced) -> None:
        """Sessions the PBX has lost track of end: a live one whose leg is gone, a ringing
        one whose answer never came (its phone has rung out long since)."""
        live = {snap.channel for snap in event.channels}
        started = event.started or event.at
        overdue = started - self._ring_timeout_ms / 1000 - 30.0
        for session in list(self._sessions.values()):
            if session.channel and session.started_at < started \
                    and session.channel not in live:
                self._end(session, "lost", event.at)
            elif not session.channel and session.requested_at < overdue:
                self._end(session, "not answered", event.at)

    def _end(self, session: Session, reason: str, at: float) -> None:
        if self._sessions.get(session.supervisor) is not session:
            return
        del self._sessions[session.supervisor]
        log.info("%s stopped monitoring %s: %s", session.supervisor, session.agent_id, reason)
        self._bus.publish(MonitorEnded(
            session.session_id, session.supervisor, session.agent_id, session.call_id,
            tuple((mode.value, since) for mode, since in session.modes),
            session.requested_at, session.started_at, at, reason))
