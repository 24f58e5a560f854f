"""AmiBridge: the platform's one link to Asterisk (or the simulator). It feeds every AMI
event through the call model onto the bus, reconnects with backoff, resyncs after every
(re)connect, and offers call control that never lets CR/LF reach the socket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Self

from panoramisk.message import Message

from contactcenter.backoff import Backoff
from contactcenter.config import AmiConfig
from contactcenter.cti import variables as cc_vars
from contactcenter.cti.ami import AmiManager
from contactcenter.cti.calls import CallModel
from contactcenter.cti.events import ChannelSnapshot, LinkDown, Resynced
from contactcenter.cti.spying import CHANSPY, MODE_KEY, SpyMode, chanspy_data
from contactcenter.errors import AmiError, AmiRefused, AmiUnanswered, OriginateUnconfirmed
from contactcenter.events import EventBus
from contactcenter.health import AMI, PartDown, PartUp

log = logging.getLogger(__name__)

FIRST_RETRY = 0.1  # seconds before the first reconnect attempt (contactcenter/backoff.py)
RESYNC_CONCURRENCY = 64  # Getvars in flight during a resync
CALLBACK_CONTEXT = "cc-callback"  # extensions.conf: dials the Exten, bridged to the agent
AFTER_CALL_CONTEXT = "cc-after-call"  # extensions.conf: runs the flow named by the Exten
AGENT_CONTEXT = "cc-agent"  # extensions.conf: Bridge(${CC_PEER},${CC_BRIDGE_OPTS})


class AmiBridge:
    """Owns the AMI session, the call model and the reconnect task.

    `async with AmiBridge(config, bus) as bridge:` connects, logs in (verified), turns
    events on and resyncs, or raises AmiError leaving nothing open; inside, the link is
    kept (reconnect, resync); exit stops reconnecting and logs off.
    """

    def __init__(self, config: AmiConfig, bus: EventBus, *, model: CallModel | None = None,
                 first_retry: float = FIRST_RETRY) -> None:
        self._config = config
        self._bus = bus
        self.model = model or CallModel()
        self._backoff = Backoff(base=first_retry, cap=config.reconnect_max_delay)
        self._manager: AmiManager | None = None
        self._lost = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._manager is not None and self._manager.connected

    async def __aenter__(self) -> Self:
        try:
            await self._connect()
        except BaseException:
            await self._close()
            raise
        self._task = asyncio.create_task(self._keep_linked(), name="ami-reconnect")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._close()

    async def _close(self) -> None:
        """Stop reconnecting, log off, and wait for the task and the socket."""
        self._closing = True
        self._lost.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        manager, self._manager = self._manager, None
        if manager is not None:
            await manager.logoff()

    # -- link ---------------------------------------------------------------------------

    async def _connect(self) -> None:
        cfg = self._config
        manager = AmiManager(host=cfg.host, port=cfg.port, username=cfg.username,
                             secret=cfg.secret, action_timeout=cfg.action_timeout,
                             on_lost=self._on_lost)
        manager.register_event("*", self._on_event)
        self._lost.clear()
        await manager.start()
        self._manager = manager
        try:
            await self.resync()
        except AmiError:
            manager.close()
            raise
        self._bus.publish(PartUp(AMI, time.time()))

    def _on_lost(self) -> None:
        if not self._closing:
            log.error("AMI link to %s:%s lost", self._config.host, self._config.port)
            self._bus.publish(LinkDown(at=time.time()))
            self._bus.publish(PartDown(AMI, "link lost", time.time()))
        self._lost.set()

    def _on_event(self, _manager: AmiManager, message: Message) -> None:
        for event in self.model.feed(message):
            self._bus.publish(event)

    async def _keep_linked(self) -> None:
        """Every check_seconds while linked, a light resync (Asterisk is the truth: what
        the platform missed or lost shows there); after each loss, reconnect with the
        backoff policy (capped at config.reconnect_max_delay), then resync (in _connect)."""
        while not self._closing:
            try:
                await asyncio.wait_for(self._lost.wait(), self._config.check_seconds)
            except TimeoutError:
                await self._check()
                continue
            attempt = 0
            while not self._closing:
                await asyncio.sleep(self._backoff.delay(attempt))
                try:
                    await self._connect()
                    log.info("AMI link restored after %d attempt(s)", attempt + 1)
                    break
                except AmiError as exc:
                    attempt += 1
                    self._bus.publish(PartDown(AMI, str(exc), time.time()))
                    log.warning("AMI reconnect to %s:%s failed (%s); retrying within %.1f s",
                                self._config.host, self._config.port, exc,
                                self._backoff.ceiling(attempt))

    async def _check(self) -> None:
        """The periodic light resync; it is also the link's liveness check: an Asterisk
        that answers nothing within action_timeout (a half-open TCP link, a hung manager)
        is treated as lost, so the link is closed and reconnected, not trusted for ever."""
        try:
            await self.resync(full=False)
        except AmiUnanswered as exc:
            log.error("AMI %s:%s answered no channel check (%s): link dropped, reconnecting",
                      self._config.host, self._config.port, exc)
            if self._manager is not None:
                self._manager.close()  # connection_lost -> _on_lost -> _keep_linked
        except AmiError as exc:
            log.warning("AMI channel check failed (%s); next in %.0f s", exc,
                        self._config.check_seconds)

    def _session(self) -> AmiManager:
        if self._manager is None or not self._manager.connected:
            raise AmiError("AMI link is down")
        return self._manager

    # -- resync -------------------------------------------------------------------------

    async def resync(self, *, full: bool = True) -> tuple[ChannelSnapshot, ...]:
        """CoreShowChannels + Getvar of every CC_* variable; rebuilds the call model's table
        and publishes Resynced. A channel that hangs up meanwhile is left out. The Getvars
        go out concurrently (at most RESYNC_CONCURRENCY in flight), so a reconnect with
        thousands of waiting callers costs round trips in parallel, not in series. Not
        `full` (the periodic check, while linked): channels the call model follows keep
        the CC_* variables it saw set, and only the others are asked."""
        started = time.time()
        self.model.begin_resync()
        limit = asyncio.Semaphore(RESYNC_CONCURRENCY)
        known = self.model.channels
        shown = await self.show_channels()
        found = await asyncio.gather(*(
            self._snapshot(snap, limit) if full or snap.uniqueid not in known
            else _known(snap, known[snap.uniqueid].variables) for snap in shown))
        channels = tuple(snap for snap in found if snap is not None)
        self.model.load(list(channels))
        self._bus.publish(Resynced(channels=channels, at=time.time(), started=started,
                                   full=full))
        return channels

    async def _snapshot(self, snap: ChannelSnapshot,
                        limit: asyncio.Semaphore) -> ChannelSnapshot | None:
        """`snap` with its CC_* variables; None if the channel went away meanwhile (Asterisk
        says so). A Getvar with no reply fails the resync: a live channel left out of it
        would read as gone (its waiting call abandoned while the caller waits)."""
        async def getvar(name: str) -> str | None:
            async with limit:
                return await self.get_variable(snap.channel, name)

        values = await asyncio.gather(*(getvar(name) for name in cc_vars.ALL),
                                      return_exceptions=True)
        failed = next((v for v in values if isinstance(v, BaseException)), None)
        if failed is not None:
            if not isinstance(failed, AmiRefused) or not self.connected:
                raise failed
            log.info("resync: %s skipped (%s)", snap.channel, failed)
            return None
        return replace(snap, variables={name: value for name, value in
                                        zip(cc_vars.ALL, values, strict=True)
                                        if isinstance(value, str)})

    # -- call control ---------------------------------------------------------------------

    async def show_channels(self) -> list[ChannelSnapshot]:
        """The live channels (without their variables)."""
        replies = await self._session().action({"Action": "CoreShowChannels"})
        return [ChannelSnapshot(
            uniqueid=m.get("Uniqueid", ""), channel=m.get("Channel", ""),
            caller_num=m.get("CallerIDNum", ""), caller_name=m.get("CallerIDName", ""),
            context=m.get("Context", ""), application=m.get("Application", ""),
            bridge_id=m.get("BridgeId", ""),
        ) for m in replies[1:] if m.get("Event") == "CoreShowChannel"]

    async def originate_bridge(self, *, device: str, caller_channel: str, timeout_ms: int,
                               caller_id: str, call_id: str, after_call: str = "",
                               variables: Mapping[str, str] | None = None) -> str:
        """Ring `device`; when it answers, [cc-agent] Bridges it to `caller_channel`. Returns
        the ActionID; the outcome arrives as OriginateResult (and AgentLegRinging carries
        call_id). The leg runs in the dialplan, not as Originate's Application=Bridge: hold
        and transfers Redirect it, and an application-only leg hangs up when it leaves the
        bridge (tests/asterisk/test_call_actions.py).

        When the agent's leg leaves the bridge, Bridge() without options would send the
        caller on in the dialplan where it was (back into music on hold from cc-announce:
        DESIGN.md step 6). So the caller's fate is said here: `x` hangs them up, or
        F(cc-after-call^<flow>^1) runs the queue's after-call flow. And `T` lets the agent's
        leg (Bridge's calling party; `t` would be the caller's) use the transfer features:
        the AMI Atxfer action only queues the atxfer code and the number as DTMF on that
        leg, which a bridge without `T` passes on to the caller as tones
        (tests/asterisk/test_call_actions.py)."""
        fate = f"F({AFTER_CALL_CONTEXT}^{after_call}^1)" if after_call else "x"
        options = fate + "T"
        return await self._originate(device, call_id, [
            ("Context", AGENT_CONTEXT), ("Exten", "s"), ("Priority", "1"),
            ("Timeout", str(int(timeout_ms))), ("CallerID", caller_id)],
            {**(variables or {}), cc_vars.PEER: caller_channel, cc_vars.BRIDGE_OPTS: options})

    async def originate_callback(self, *, device: str, number: str, timeout_ms: int,
                                 caller_id: str, call_id: str) -> str:
        """Ring `device`; when the agent answers, the dialplan's cc-callback context dials
        `number` and bridges them. Returns the ActionID; OriginateResult tells whether the
        agent answered, BridgeEnter on the agent leg that the customer did."""
        return await self._originate(device, call_id, [
            ("Context", CALLBACK_CONTEXT), ("Exten", number), ("Priority", "1"),
            ("Timeout", str(int(timeout_ms))), ("CallerID", caller_id)])

    async def _originate(self, device: str, call_id: str, headers: list[tuple[str, str]],
                         variables: Mapping[str, str] | None = None) -> str:
        """An async Originate of an agent leg the call model will know as `call_id`'s."""
        session = self._session()
        action_id = session.next_action_id()
        self.model.expect_originate(action_id, device, call_id)
        try:
            await session.action([("Action", "Originate"), ("Channel", device), *headers,
                                  ("Async", "true"),
                                  ("Variable", f"{cc_vars.CALL_ID}={call_id}"),
                                  *(("Variable", f"{name}={value}")
                                    for name, value in (variables or {}).items())],
                                 action_id=action_id)
        except AmiUnanswered as exc:  # it may have been placed: its leg may still come
            raise OriginateUnconfirmed(action_id, str(exc)) from exc
        except AmiError:
            self.model.forget_originate(action_id)
            raise
        return action_id

    async def hangup(self, channel: str, cause: int = 16) -> None:
        await self._session().action([("Action", "Hangup"), ("Channel", channel),
                                      ("Cause", str(int(cause)))])

    async def redirect(self, channel: str, context: str, exten: str, priority: int = 1) -> None:
        await self._session().action([("Action", "Redirect"), ("Channel", channel),
                                      ("Context", context), ("Exten", exten),
                                      ("Priority", str(int(priority)))])

    async def set_variable(self, channel: str, name: str, value: str) -> None:
        await self._session().action([("Action", "Setvar"), ("Channel", channel),
                                      ("Variable", name), ("Value", value)])

    async def get_variable(self, channel: str, name: str) -> str | None:
        """The value, or None when the variable is unset (Asterisk answers an empty Value)."""
        replies = await self._session().action([("Action", "Getvar"), ("Channel", channel),
                                                ("Variable", name)])
        value = replies[0].get("Value", "")
        return value or None


    # -- call actions on a connected call (acd/call_actions.py) ------------------------------

    async def redirect_pair(self, channel: str, context: str, exten: str, extra_channel: str,
                            extra_context: str, extra_exten: str) -> None:
        """Redirect two bridged channels at once (Redirect with ExtraChannel): both leave
        the bridge alive, where redirecting one alone would end the other's Bridge()."""
        await self._session().action([
            ("Action", "Redirect"), ("Channel", channel), ("Context", context),
            ("Exten", exten), ("Priority", "1"), ("ExtraChannel", extra_channel),
            ("ExtraContext", extra_context), ("ExtraExten", extra_exten),
            ("ExtraPriority", "1")])

    async def bridge_channels(self, channel1: str, channel2: str) -> None:
        """Bridge two channels already in the PBX (the AMI Bridge action)."""
        await self._session().action([("Action", "Bridge"), ("Channel1", channel1),
                                      ("Channel2", channel2), ("Tone", "no")])

    async def blind_transfer(self, channel: str, context: str, exten: str) -> None:
        """Send whoever is bridged to `channel` to context,exten (AMI BlindTransfer)."""
        await self._session().action([("Action", "BlindTransfer"), ("Channel", channel),
                                      ("Context", context), ("Exten", exten)])

    async def attended_transfer(self, channel: str, context: str, exten: str) -> None:
        """Start an attended transfer from `channel` (the transferer, AMI Atxfer): its peer
        waits on hold while `channel` talks to context,exten; the transferer hanging up
        completes the transfer."""
        await self._session().action([("Action", "Atxfer"), ("Channel", channel),
                                      ("Context", context), ("Exten", exten)])

    async def cancel_attended_transfer(self, channel: str) -> None:
        """Abort the transferer's attended transfer (AMI CancelAtxfer): back to the peer."""
        await self._session().action([("Action", "CancelAtxfer"), ("Channel", channel)])

    async def originate_dial(self, *, device: str, number: str, timeout_ms: int,
                             caller_id: str) -> None:
        """Click-to-dial: ring `device`; once answered, cc-callback dials `number` and
        bridges them. Not an ACD offer, so the call model is not told to expect the leg
        (the ACD hangs up agent legs of offers it does not know)."""
        await self._session().action([
            ("Action", "Originate"), ("Channel", device), ("Context", CALLBACK_CONTEXT),
            ("Exten", number), ("Priority", "1"), ("Timeout", str(int(timeout_ms))),
            ("CallerID", caller_id), ("Async", "true")])

    # -- live monitoring (acd/monitoring.py; cti/spying.py says the options) -------------------

    async def originate_spy(self, *, device: str, channel: str, mode: SpyMode,
                            timeout_ms: int, caller_id: str) -> str:
        """Ring the supervisor's `device`; once answered, ChanSpy on the agent's leg
        `channel` in `mode`. Returns the ActionID: its OriginateResponse says whether the
        supervisor answered, and names their leg. Not an ACD offer, so the call model is not
        told to expect the leg (the ACD hangs up agent legs of offers it does not know)."""
        session = self._session()
        action_id = session.next_action_id()
        await session.action([
            ("Action", "Originate"), ("Channel", device), ("Application", CHANSPY),
            ("Data", chanspy_data(channel, mode)), ("Timeout", str(int(timeout_ms))),
            ("CallerID", caller_id), ("Async", "true")], action_id=action_id)
        return action_id

    async def spy_mode(self, channel: str, mode: SpyMode) -> None:
        """Switch the ChanSpy running on the supervisor's leg `channel` to `mode`: its key,
        as if pressed on their phone (PlayDTMF with Receive; ChanSpy's `d` option)."""
        await self._session().action([("Action", "PlayDTMF"), ("Channel", channel),
                                      ("Digit", MODE_KEY[mode]), ("Receive", "true")])


async def _known(snap: ChannelSnapshot, variables: Mapping[str, str]) -> ChannelSnapshot:
    return replace(snap, variables=dict(variables))
