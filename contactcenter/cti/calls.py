"""The call model: AMI messages in, call-model events out. Pure: no awaits, no sockets.

It keeps the live channels (forgotten on Hangup) and tells the platform's own agent legs
apart from inbound calls: a channel is an agent leg when it appears after an Originate to
its device that the bridge announced with `expect_originate` (never from its context or
extension, which depend on the dialplan).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

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
    OriginateResult,
)

log = logging.getLogger(__name__)

RINGING = "5"  # ChannelState of a ringing leg (transcript row 884)


@dataclass
class LiveChannel:
    """What the model knows of one channel; owned by CallModel, read by others."""

    uniqueid: str
    channel: str
    caller_num: str = ""
    caller_name: str = ""
    state: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    bridge_id: str = ""
    device: str = ""  # set for agent legs only
    call_id: str = ""  # the call an agent leg was originated for
    action_id: str = ""  # the ActionID of the Originate that made an agent leg
    rang: bool = False

    @property
    def agent_leg(self) -> bool:
        return bool(self.device)


@dataclass
class _Expected:
    action_id: str
    device: str
    call_id: str


def device_of(channel: str) -> str:
    """`SIP/agent102-0000000e` -> `SIP/agent102`; `Local/1@x-0001;1` -> `Local/1@x`."""
    base = channel.split(";", 1)[0]
    head, sep, _ = base.rpartition("-")
    return head if sep else base


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class CallModel:
    """Feed AMI messages one at a time with `feed`; read `channels` at any time."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._channels: dict[str, LiveChannel] = {}
        self._expected: list[_Expected] = []  # Originates sent, leg not yet seen
        self._resyncing = False
        self._born: set[str] = set()  # channels created / gone since begin_resync
        self._gone: set[str] = set()
        self._handlers: dict[str, Callable[[Mapping[str, Any]], list[CtiEvent]]] = {
            "Newchannel": self._newchannel,
            "Newstate": self._newstate,
            "VarSet": self._varset,
            "MusicOnHoldStart": self._moh_start,
            "MusicOnHoldStop": self._moh_stop,
            "DialBegin": self._dial_begin,
            "OriginateResponse": self._originate_response,
            "BridgeEnter": self._bridge_enter,
            "BridgeLeave": self._bridge_leave,
            "Hangup": self._hangup,
        }

    @property
    def channels(self) -> Mapping[str, LiveChannel]:
        """Live channels by Uniqueid."""
        return self._channels

    @property
    def events_read(self) -> frozenset[str]:
        """The AMI events this model reads; asterisk-config/manager.conf grants and sends
        exactly these (tests/test_asterisk_config.py holds them together)."""
        return frozenset(self._handlers)

    def expect_originate(self, action_id: str, device: str, call_id: str) -> None:
        """The bridge is about to send an Originate to `device` for `call_id`."""
        self._expected.append(_Expected(action_id, device, call_id))

    def forget_originate(self, action_id: str) -> None:
        """The Originate was never accepted: its device must not claim a later channel."""
        self._expected = [e for e in self._expected if e.action_id != action_id]

    def feed(self, message: Mapping[str, Any]) -> list[CtiEvent]:
        """The call-model events one AMI message means (often none)."""
        handler = self._handlers.get(message.get("Event", ""))
        return handler(message) if handler is not None else []

    def begin_resync(self) -> None:
        """A resync starts: remember channels born or gone while its actions run."""
        self._resyncing = True
        self._born.clear()
        self._gone.clear()

    def load(self, snapshots: Iterable[ChannelSnapshot]) -> None:
        """Replace the table with what a resync saw (events during an outage are lost),
        keeping channels born and dropping channels gone since begin_resync."""
        old = self._channels
        self._channels = {u: old[u] for u in self._born if u in old}
        for snap in snapshots:
            if snap.uniqueid in self._gone or snap.uniqueid in self._channels:
                continue
            known = old.get(snap.uniqueid)
            self._channels[snap.uniqueid] = LiveChannel(
                uniqueid=snap.uniqueid,
                channel=snap.channel,
                caller_num=snap.caller_num,
                caller_name=snap.caller_name,
                variables=dict(snap.variables),
                bridge_id=snap.bridge_id,
                device=known.device if known else "",
                call_id=known.call_id if known else "",
                action_id=known.action_id if known else "",
                rang=known.rang if known else False,
            )
        self._resyncing = False
        self._born.clear()
        self._gone.clear()

    # -- handlers ----------------------------------------------------------------------

    def _newchannel(self, msg: Mapping[str, Any]) -> list[CtiEvent]:
        uniqueid, name = msg.get("Uniqueid", ""), msg.get("Channel", "")
        if not uniqueid or not name:
            log.warning("Newchannel without Uniqueid/Channel skipped")
            return []
        chan = LiveChannel(uniqueid, name, msg.get("CallerIDNum", ""),
                           msg.get("CallerIDName", ""), msg.get("ChannelState", ""))
        self._channels[uniqueid] = chan
        if self._resyncing:
            self._born.add(uniqueid)
        expected = self._claim_expected(name)
        if expected is None:
            expected = self._local_sibling(name)
        if expected is not None:
            chan.device, chan.call_id = expected.device, expected.call_id
            chan.action_id = expected.action_id
            return []
        return [CallArrived(uniqueid, name, chan.caller_num, chan.caller_name,
                            msg.get("Exten", ""), self._clock())]

    def _claim_expected(self, channel: str) -> _Expected | None:
        device = device_of(channel)
        for i, expected in enumerate(self._expected):
            if expected.device == device:
                return self._expected.pop(i)
        return None

    def _local_sibling(self, channel: str) -> _Expected | None:
        """`Local/x@ctx-0001;2` is the far half of our leg `Local/x@ctx-0001;1`, not a call."""
        if not channel.startswith("Local/") or not channel.endswith(";2"):
            return None
        first = channel[:-1] + "1"
        for chan in self._channels.values():
            if chan.channel == first and chan.agent_leg:
                return _Expected(chan.action_id, chan.device, chan.call_id)
        return None

    def _newstate(self, msg: Mapping[str, Any]) -> list[CtiEvent]:
        chan = self._channels.get(msg.get("Uniqueid", ""))
        if chan is None:
            return []
        chan.state = msg.get("ChannelState", chan.state)
        chan.caller_num = msg.get("CallerIDNum", chan.caller_num)
        chan.caller_name = msg.get("CallerIDName", chan.caller_name)
        return self._ringing(chan) if chan.state == RINGING else []

    def _dial_begin(self, msg: Mapping[str, Any]) -> list[CtiEvent]:
        chan = self._channels.get(msg.get("DestUniqueid", ""))
        return self._ringing(chan) if chan is not None else []

    def _ringing(self, chan: LiveChannel) -> list[CtiEvent]:
        if not chan.agent_leg or chan.rang:
            return []
        chan.rang = True
        return [AgentLegRinging(chan.uniqueid, chan.channel, chan.device, chan.call_id,
                                chan.action_id)]

    def _varset(self, msg: Mapping[str, Any]) -> list[CtiEvent]:
        name = msg.get("Variable", "")
        if not isinstance(name, str) or not name.startswith("CC_"):
            return []
        uniqueid, value = msg.get("Uniqueid", ""), msg.get("Value", "")
        chan = self._channels.get(uniqueid)
        if chan is not None:
            chan.variables[name] = value
        return [CallVariableSet(uniqueid, msg.get("Channel", ""), name, value)]

    def _moh_start(self, msg: Mapping[str, Any]) -> list[CtiEvent]:
        return [CallWaiting(msg.get("Uniqueid", ""), msg.get("Channel", ""), self._clock(),
                            msg.get("Context", ""))]

    def _moh_stop(self, msg: Mapping[str, Any]) -> list[CtiEvent]:
        return [CallHoldStopped(msg.get("Uniqueid", ""), msg.get("Channel", ""))]

    def _originate_response(self, msg: Mapping[str, Any]) -> list[CtiEvent]:
        action_id = msg.get("ActionID", "")
        # A leg that never appeared (device unreachable) must not claim a later channel.
        self.forget_originate(action_id)
        uniqueid = msg.get("Uniqueid", "")
        return [OriginateResult(
            action_id=action_id,
            success=msg.get("Response", "") == "Success",
            reason=_int(msg.get("Reason")),
            channel=msg.get("Channel", ""),
            uniqueid="" if uniqueid == "<unknown>" else uniqueid,
        )]

    def _bridge_enter(self, msg: Mapping[str, Any]) -> list[CtiEvent]:
        uniqueid, bridge_id = msg.get("Uniqueid", ""), msg.get("BridgeUniqueid", "")
        chan = self._channels.get(uniqueid)
        if chan is not None:
            chan.bridge_id = bridge_id
        return [CallBridged(uniqueid, msg.get("Channel", ""), bridge_id, self._clock(),
                            chan.action_id if chan is not None else "")]

    def _bridge_leave(self, msg: Mapping[str, Any]) -> list[CtiEvent]:
        uniqueid = msg.get("Uniqueid", "")
        chan = self._channels.get(uniqueid)
        if chan is not None:
            chan.bridge_id = ""
        return [CallUnbridged(uniqueid, msg.get("Channel", ""), msg.get("BridgeUniqueid", ""))]

    def _hangup(self, msg: Mapping[str, Any]) -> list[CtiEvent]:
        uniqueid = msg.get("Uniqueid", "")
        chan = self._channels.pop(uniqueid, None)
        if self._resyncing:
            self._gone.add(uniqueid)
        return [CallHungUp(uniqueid, msg.get("Channel", ""), _int(msg.get("Cause")),
                           msg.get("Cause-txt", ""), self._clock(),
                           chan.action_id if chan is not None else "")]
