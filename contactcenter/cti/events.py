"""Call-model events: what cti/ tells the rest of the platform about channels.

Built from AMI events by the call model (cti/calls.py); consumed by the ACD, the IVR's
bookkeeping, metrics and the console. Times are wall-clock seconds (time.time()).
Frozen values: they cross package lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CallArrived:
    """A new inbound channel (not one the platform originated)."""

    uniqueid: str
    channel: str
    caller_num: str
    caller_name: str
    dnis: str
    at: float


@dataclass(frozen=True)
class CallVariableSet:
    """A `CC_*` channel variable was set (VarSet), e.g. CC_QUEUE by the IVR's queue step."""

    uniqueid: str
    channel: str
    name: str
    value: str


@dataclass(frozen=True)
class CallWaiting:
    """Music on hold started on a channel (MusicOnHoldStart), in dialplan `context`: in
    cc-wait the caller is parked in a queue; elsewhere (cc-hold) it is on hold."""

    uniqueid: str
    channel: str
    at: float
    context: str = ""


@dataclass(frozen=True)
class CallHoldStopped:
    """Music on hold stopped on a channel (bridged to an agent, or hanging up)."""

    uniqueid: str
    channel: str


@dataclass(frozen=True)
class AgentLegRinging:
    """An originated agent leg started ringing (DialBegin / Newstate Ringing); its
    Originate's ActionID is `originate_id`."""

    uniqueid: str
    channel: str
    device: str
    call_id: str
    originate_id: str = ""


@dataclass(frozen=True)
class OriginateResult:
    """OriginateResponse for an action we sent. success=False is ring-no-answer/busy/fail."""

    action_id: str
    success: bool
    reason: int
    channel: str
    uniqueid: str


@dataclass(frozen=True)
class CallBridged:
    """A channel entered a bridge (BridgeEnter). `originate_id`: the ActionID of the
    platform's Originate that made this agent leg ("" for other channels)."""

    uniqueid: str
    channel: str
    bridge_id: str
    at: float
    originate_id: str = ""


@dataclass(frozen=True)
class CallUnbridged:
    """A channel left a bridge (BridgeLeave)."""

    uniqueid: str
    channel: str
    bridge_id: str


@dataclass(frozen=True)
class CallHungUp:
    """A channel is gone (Hangup), with Asterisk's cause code. `originate_id`: the
    ActionID of the platform's Originate that made this agent leg ("" for other channels)."""

    uniqueid: str
    channel: str
    cause: int
    cause_txt: str
    at: float
    originate_id: str = ""


@dataclass(frozen=True)
class ChannelSnapshot:
    """One live channel as seen by CoreShowChannels plus its `CC_*` variables."""

    uniqueid: str
    channel: str
    caller_num: str
    caller_name: str
    context: str
    application: str
    bridge_id: str
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Resynced:
    """The live channels, after every (re)connect and every check_seconds, so owners of
    state can reconcile. Asked at `started` (what began later may be missing), complete at
    `at`; `full` after a (re)connect, when events may have been missed."""

    channels: tuple[ChannelSnapshot, ...]
    at: float
    started: float = 0.0
    full: bool = True


@dataclass(frozen=True)
class LinkDown:
    """The AMI link dropped; events may be missed until the next Resynced."""

    at: float


CtiEvent = (CallArrived | CallVariableSet | CallWaiting | CallHoldStopped | AgentLegRinging
            | OriginateResult | CallBridged | CallUnbridged | CallHungUp | Resynced | LinkDown)
"""Every event the call model and the AMI bridge publish."""
