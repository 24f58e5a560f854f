"""The pure PBX model: channels, bridges and the AMI events Asterisk 20 emits for them, in
Asterisk's order (tests/fixtures/asterisk-20/ami-transcript.log). No awaits, no sockets: the
simulator drives it and a sink receives every event as an ordered list of headers.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from contactcenter.sim.ami_frames import Fields

UNKNOWN = "<unknown>"
STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up"}
CAUSE_TEXT = {0: "Unknown", 16: "Normal Clearing", 19: "User alerting, no answer"}
WAIT_CONTEXT = "cc-wait"
# Overflow contexts of extensions.conf: context -> (application, data for the Redirect's exten)
OVERFLOW_APPS = {"cc-voicemail": ("VoiceMail", "{exten}@contactcenter,u"),
                 "cc-message": ("Playback", "contactcenter/{exten}")}
INBOUND_CONTEXT = "from-pstn"
CALLBACK_CONTEXT = "cc-callback"  # an agent leg that dials the customer back
AGENT_CONTEXT = "agents"
EventSink = Callable[[Fields], None]


class Role(Enum):
    CALLER = "caller"
    AGENT = "agent"


@dataclass
class Channel:
    """One live channel; mutable because Asterisk's channels are."""

    name: str
    uniqueid: str
    linkedid: str
    role: Role
    device: str
    created: float
    state: int = 0
    caller_num: str = UNKNOWN
    caller_name: str = UNKNOWN
    connected_num: str = UNKNOWN
    connected_name: str = UNKNOWN
    context: str = ""
    exten: str = ""
    priority: int = 1
    application: str = ""
    app_data: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    bridge_id: str = ""
    bridge_tech: str = "simple_bridge"
    on_hold: bool = False
    answered: bool = False
    pending_cause: int | None = None
    sip_call_id: str = ""


@dataclass(frozen=True)
class ChannelView:
    """What a test may ask of a live channel without reaching into the model."""

    name: str
    uniqueid: str
    state: str
    context: str
    application: str
    bridged_with: str
    on_hold: bool


def channel_fields(ch: Channel) -> Fields:
    """The 14-header channel snapshot every channel event carries, in Asterisk's order."""
    return [
        ("Channel", ch.name),
        ("ChannelState", str(ch.state)),
        ("ChannelStateDesc", STATE_DESC[ch.state]),
        ("CallerIDNum", ch.caller_num),
        ("CallerIDName", ch.caller_name),
        ("ConnectedLineNum", ch.connected_num),
        ("ConnectedLineName", ch.connected_name),
        ("Language", "en"),
        ("AccountCode", ""),
        ("Context", ch.context),
        ("Exten", ch.exten),
        ("Priority", str(ch.priority)),
        ("Uniqueid", ch.uniqueid),
        ("Linkedid", ch.linkedid),
    ]


def dest_fields(ch: Channel) -> Fields:
    """The same snapshot with the ``Dest`` prefix used by DialBegin/DialState/DialEnd."""
    return [("Dest" + key, value) for key, value in channel_fields(ch)]


def bridge_fields(bridge_id: str, tech: str, count: int) -> Fields:
    return [
        ("BridgeUniqueid", bridge_id),
        ("BridgeType", "basic"),
        ("BridgeTechnology", tech),
        ("BridgeCreator", UNKNOWN),
        ("BridgeName", UNKNOWN),
        ("BridgeNumChannels", str(count)),
        ("BridgeVideoSourceMode", "none"),
    ]


class Pbx:
    """Channels and bridges; every change is announced to ``sink`` as an AMI event."""

    def __init__(self, sink: EventSink, *, started: float | None = None) -> None:
        self._sink = sink
        self.channels: dict[str, Channel] = {}
        self.bridges: dict[str, list[str]] = {}
        self.started = time.time() if started is None else started
        self._channel_seq = itertools.count(13)
        self._unique_seq = itertools.count(14)
        self._sip_seq = itertools.count(12478)
        self._gone_listeners: list[Callable[[Channel], None]] = []

    # -- plumbing ---------------------------------------------------------------------------
    def on_gone(self, listener: Callable[[Channel], None]) -> None:
        """Call ``listener`` with each channel after its Hangup event."""
        self._gone_listeners.append(listener)

    def emit(self, event: str, privilege: str, fields: Fields) -> None:
        self._sink([("Event", event), ("Privilege", privilege), *fields])

    def emit_channel(self, event: str, privilege: str, ch: Channel, *extra: tuple[str, str]) -> None:
        self.emit(event, privilege, [*channel_fields(ch), *extra])

    def _new_channel(self, device: str, role: Role) -> Channel:
        now = time.time()
        unique = f"{int(now)}.{next(self._unique_seq)}"
        name = f"{device}-{next(self._channel_seq):08x}"
        return Channel(name=name, uniqueid=unique, linkedid=unique, role=role, device=device,
                       created=now)

    def view(self, ch: Channel) -> ChannelView:
        peers = [n for n in self.bridges.get(ch.bridge_id, []) if n != ch.name]
        return ChannelView(ch.name, ch.uniqueid, STATE_DESC[ch.state], ch.context,
                           ch.application, peers[0] if peers else "", ch.on_hold)

    def set_state(self, ch: Channel, state: int) -> None:
        ch.state = state
        self.emit_channel("Newstate", "call,all", ch)

    def set_var(self, ch: Channel, name: str, value: str) -> None:
        ch.variables[name] = value
        self.emit_channel("VarSet", "dialplan,all", ch, ("Variable", name), ("Value", value))

    def newexten(self, ch: Channel, context: str, exten: str, priority: int, app: str,
                 data: str) -> None:
        ch.context, ch.exten, ch.priority = context, exten, priority
        ch.application, ch.app_data = app, data
        self.emit_channel("Newexten", "dialplan,all", ch, ("Extension", exten),
                          ("Application", app), ("AppData", data))

    # -- inbound calls ----------------------------------------------------------------------
    def new_inbound(self, number: str, name: str, dnis: str, agi_data: str) -> Channel:
        """A carrier call arrives, is answered and starts the AGI (extensions.conf from-pstn)."""
        ch = self._new_channel("SIP/carrier", Role.CALLER)
        ch.caller_num, ch.caller_name = number, name
        ch.context, ch.exten = INBOUND_CONTEXT, dnis
        ch.sip_call_id = f"1-{next(self._sip_seq)}@127.0.0.1"
        self.channels[ch.name] = ch
        self.emit_channel("Newchannel", "call,all", ch)
        self.set_var(ch, "SIPURI", f"sip:{number}@127.0.0.1:5070")
        self.set_var(ch, "SIPDOMAIN", "127.0.0.1")
        self.set_var(ch, "SIPCALLID", ch.sip_call_id)
        self.set_state(ch, 4)
        self.newexten(ch, INBOUND_CONTEXT, dnis, 1, "NoOp", f"inbound {number} -> {dnis}")
        self.newexten(ch, INBOUND_CONTEXT, dnis, 2, "Answer", "")
        self.set_state(ch, 6)
        self.newexten(ch, INBOUND_CONTEXT, dnis, 3, "AGI", agi_data)
        return ch

    def after_agi(self, ch: Channel, status: str) -> bool:
        """The dialplan after AGI returns: wait in music on hold if CC_QUEUE is set, else hang
        up. Returns whether the caller now waits."""
        self.set_var(ch, "AGISTATUS", status)
        if ch.pending_cause is not None:
            self.hangup(ch, ch.pending_cause)
            return False
        queued = bool(ch.variables.get("CC_QUEUE"))
        self.newexten(ch, ch.context, ch.exten, ch.priority + 1, "GotoIf",
                      f"{int(queued)}?{WAIT_CONTEXT},s,1")
        if queued:
            self.enter_wait(ch)
        else:
            self.dialplan_hangup(ch, ch.priority + 1)
        return queued

    def enter_wait(self, ch: Channel) -> None:
        """``[cc-wait]``: NoOp, then MusicOnHold(default)."""
        self.newexten(ch, WAIT_CONTEXT, "s", 1, "NoOp",
                      f"waiting in {ch.variables.get('CC_QUEUE', '')}")
        self.newexten(ch, WAIT_CONTEXT, "s", 2, "MusicOnHold", "default")
        ch.on_hold = True
        self.emit_channel("MusicOnHoldStart", "call,all", ch, ("Class", "default"))

    def dialplan_hangup(self, ch: Channel, priority: int) -> None:
        self.newexten(ch, ch.context, ch.exten, priority, "Hangup", "")
        self.hangup(ch, 16)

    def stop_hold(self, ch: Channel) -> None:
        if ch.on_hold:
            ch.on_hold = False
            self.emit_channel("MusicOnHoldStop", "call,all", ch)

    def caller_hangs_up(self, ch: Channel) -> None:
        """The far end sends BYE: the order of the abandon at 26.475 in the transcript."""
        self.emit_channel("HangupRequest", "call,all", ch)
        self.stop_hold(ch)
        self.emit_channel("SoftHangupRequest", "call,all", ch, ("Cause", "16"))
        ch.pending_cause = 0

    def dtmf(self, ch: Channel, digit: str) -> None:
        self.emit_channel("DTMFBegin", "dtmf,all", ch, ("Digit", digit), ("Direction", "Received"))
        self.emit_channel("DTMFEnd", "dtmf,all", ch, ("Digit", digit), ("DurationMs", "280"),
                          ("Direction", "Received"))

    # -- agent legs (Originate with Application: Bridge) -----------------------------------
    def dial_agent(self, device: str, caller_num: str, caller_name: str,
                   variables: list[tuple[str, str]]) -> Channel:
        """The originated agent leg rings: the 8.335-8.337 block of the transcript."""
        ch = self._new_channel(device, Role.AGENT)
        ch.context, ch.exten = AGENT_CONTEXT, "s"
        ch.sip_call_id = f"{uuid.uuid4().hex}@127.0.0.1:5060"
        self.channels[ch.name] = ch
        self.emit_channel("Newchannel", "call,all", ch)
        self.set_var(ch, "SIPCALLID", ch.sip_call_id)
        self.newexten(ch, AGENT_CONTEXT, "", 1, "AppDial2", "(Outgoing Line)")
        for name, value in variables:
            self.set_var(ch, name, value)
        ch.caller_num, ch.caller_name = caller_num or UNKNOWN, caller_name or UNKNOWN
        self.emit_channel("NewCallerid", "call,all", ch,
                          ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)"))
        ch.connected_num, ch.connected_name = ch.caller_num, ch.caller_name
        self.emit_channel("NewConnectedLine", "call,all", ch)
        self.emit("DialBegin", "call,all", [*dest_fields(ch), ("DialString", device.split("/", 1)[-1])])
        self.set_state(ch, 5)
        self.emit("DeviceStateChange", "call,all", [("Device", device), ("State", "NOT_INUSE")])
        self.emit("DialState", "call,all", [*dest_fields(ch), ("DialStatus", "RINGING")])
        return ch

    def dial_customer(self, agent: Channel, number: str, dial_seconds: float,
                      context: str = CALLBACK_CONTEXT) -> Channel:
        """``[cc-callback]`` on an answered agent leg (or ``[cc-transfer]`` on any answered
        channel): Dial() to the customer, who rings."""
        self.newexten(agent, context, number, 1, "Dial",
                      f"SIP/carrier/{number},{int(dial_seconds)}")
        ch = self._new_channel("SIP/carrier", Role.CALLER)
        ch.caller_num, ch.caller_name = agent.caller_num, agent.caller_name
        ch.connected_num, ch.exten, ch.linkedid = number, number, agent.linkedid
        self.channels[ch.name] = ch
        self.emit_channel("Newchannel", "call,all", ch)
        self.emit("DialBegin", "call,all", [*channel_fields(agent), *dest_fields(ch),
                                            ("DialString", f"carrier/{number}")])
        self.set_state(ch, 5)
        return ch

    def agent_answers(self, ch: Channel, bridge_to: str) -> None:
        self.set_state(ch, 6)
        self.emit("DialEnd", "call,all", [*dest_fields(ch), ("DialStatus", "ANSWER")])
        ch.application, ch.app_data = "Bridge", bridge_to

    def bridge(self, agent: Channel, caller: Channel) -> None:
        """Bridge(caller) on the answered agent leg: the 12.844-12.856 block."""
        if caller.bridge_id:
            self.leave_bridge(caller, destroy_self=False)
        bridge_id = str(uuid.uuid4())
        self.bridges[bridge_id] = []
        self.emit("BridgeCreate", "call,all", bridge_fields(bridge_id, "simple_bridge", 0))
        self.stop_hold(caller)
        caller.priority += 1
        caller.application, caller.app_data = "", ""
        agent.linkedid = caller.linkedid
        for ch in (caller, agent):
            ch.bridge_id, ch.bridge_tech, ch.answered = bridge_id, "simple_bridge", True
            self.bridges[bridge_id].append(ch.name)
            self.emit("BridgeEnter", "call,all", [
                *bridge_fields(bridge_id, "simple_bridge", len(self.bridges[bridge_id])),
                *channel_fields(ch)])
        for ch, peer in ((agent, caller), (caller, agent)):
            self.set_var(ch, "BRIDGEPEER", peer.name)
            self.set_var(ch, "BRIDGEPVTCALLID", peer.sip_call_id)
        caller.connected_num, caller.connected_name = agent.caller_num, agent.caller_name
        self.emit_channel("NewConnectedLine", "call,all", caller)
        for ch in (caller, agent):
            ch.bridge_tech = "native_rtp"

    def bridge_fails(self, agent: Channel) -> None:
        """Bridge() on the agent leg found no such caller channel: it ends and hangs up."""
        self.set_var(agent, "BRIDGERESULT", "NONEXISTENT")
        self.hangup(agent, 16)

    # -- leaving ----------------------------------------------------------------------------
    def hangup(self, ch: Channel, cause: int) -> None:
        """Hang ``ch`` up; a bridged peer leaves the bridge and hangs up too (19.845-19.847)."""
        if ch.name not in self.channels:
            return
        self.stop_hold(ch)
        if ch.bridge_id:
            self.leave_bridge(ch, destroy_self=True, cause=cause)
            return
        self._destroy(ch, cause)

    def leave_bridge(self, ch: Channel, *, destroy_self: bool, cause: int = 16) -> None:
        """``ch`` leaves its bridge; the peer's Bridge() then ends and the peer hangs up."""
        bridge_id = ch.bridge_id
        members = [self.channels[n] for n in self.bridges.get(bridge_id, []) if n in self.channels]
        peers = [m for m in members if m is not ch]
        for member in (ch, *peers):
            self.set_var(member, "BRIDGEPEER", "")
            self.set_var(member, "BRIDGEPVTCALLID", "")
        remaining = self.bridges[bridge_id]
        remaining.remove(ch.name)
        ch.bridge_id = ""
        self.emit("BridgeLeave", "call,all", [
            *bridge_fields(bridge_id, ch.bridge_tech, len(remaining)), *channel_fields(ch)])
        if destroy_self:
            self._destroy(ch, cause)
        for peer in peers:
            remaining.remove(peer.name)
            peer.bridge_id = ""
            self.emit("BridgeLeave", "call,all", [
                *bridge_fields(bridge_id, peer.bridge_tech, len(remaining)), *channel_fields(peer)])
        self.emit("BridgeDestroy", "call,all", bridge_fields(bridge_id, ch.bridge_tech, 0))
        del self.bridges[bridge_id]
        for peer in peers:
            if peer.role is Role.AGENT:
                self.set_var(peer, "BRIDGERESULT", "SUCCESS")
                self._destroy(peer, 16)
            else:
                self.dialplan_hangup(peer, peer.priority)

    def _destroy(self, ch: Channel, cause: int) -> None:
        self.emit_channel("Hangup", "call,all", ch, ("Cause", str(cause)),
                          ("Cause-txt", CAUSE_TEXT.get(cause, "Unknown")))
        del self.channels[ch.name]
        for listener in self._gone_listeners:
            listener(ch)

    # -- queries ----------------------------------------------------------------------------
    def show_channels(self, action_id: str) -> list[Fields]:
        """CoreShowChannel items plus the Complete event, as the 7.531 and 14.840 lists."""
        items: list[Fields] = []
        id_field = [("ActionID", action_id)] if action_id else []
        now = time.time()
        for ch in self.channels.values():
            seconds = int(now - ch.created)
            duration = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
            application, data = ch.application, ch.app_data
            if ch.bridge_id and ch.role is Role.CALLER:
                application, data = "", ""
            items.append([("Event", "CoreShowChannel"), *id_field,
                          *channel_fields(ch), ("Application", application),
                          ("ApplicationData", data), ("Duration", duration),
                          ("BridgeId", ch.bridge_id)])
        items.append([("Event", "CoreShowChannelsComplete"), *id_field,
                      ("EventList", "Complete"), ("ListItems", str(len(items)))])
        return items
