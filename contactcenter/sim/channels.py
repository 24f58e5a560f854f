"""The pure PBX model: channels, bridges, the dialplan's instant steps and the AMI events
Asterisk 20 emits for them, in Asterisk's order (tests/fixtures/asterisk-20/ami-transcript.log,
and issue 9 for what the single-call transcript does not show). No awaits, no sockets: the
simulator drives it, runs the applications that take time, and a sink receives every event as
an ordered list of headers.
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from contactcenter.sim.ami_frames import Fields
from contactcenter.sim.dialplan import AGENT_CONTEXT, INBOUND_CONTEXT, Dialplan, Location, Step

UNKNOWN = "<unknown>"
STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up"}
CAUSE_TEXT = {0: "Unknown", 16: "Normal Clearing", 19: "User alerting, no answer"}
MAX_INSTANT_STEPS = 50  # a Goto loop in the dialplan hangs the channel up
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
    after_bridge: Location | None = None  # where it goes when its bridge ends; None: hang up
    dialplan: bool = True  # False: an agent leg originated to run one application only
    up_at: float = 0.0  # time.monotonic() when it was answered


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
    """Channels and bridges; every change is announced to ``sink`` as an AMI event. With
    ``noise`` (a seeded generator), it adds the events a real Asterisk sends that the
    platform must ignore: the repeated BRIDGEPEER rounds (12.849-12.855) and the
    RTPAUDIOQOS variables of a channel whose media it carried (26.474)."""

    def __init__(self, sink: EventSink, *, dialplan: Dialplan | None = None,
                 started: float | None = None, noise: random.Random | None = None) -> None:
        self._sink = sink
        self.dialplan = dialplan or Dialplan()
        self.channels: dict[str, Channel] = {}
        self.bridges: dict[str, list[str]] = {}
        self.started = time.time() if started is None else started
        self._noise = noise
        self._channel_seq = itertools.count(13)
        self._unique_seq = itertools.count(14)
        self._sip_seq = itertools.count(12478)
        self._gone_listeners: list[Callable[[Channel], None]] = []
        self._moved_listeners: list[Callable[[Channel, Step], None]] = []

    # -- plumbing ---------------------------------------------------------------------------
    def on_gone(self, listener: Callable[[Channel], None]) -> None:
        """Call ``listener`` with each channel after its Hangup event."""
        self._gone_listeners.append(listener)

    def on_moved(self, listener: Callable[[Channel, Step], None]) -> None:
        """Call ``listener`` when the dialplan brings a channel to an application that takes
        time (AGI, MusicOnHold, Dial, ...): the simulator runs it."""
        self._moved_listeners.append(listener)

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

    def find(self, token: str) -> Channel | None:
        """The channel Bridge() finds for its argument: by name, name prefix or Uniqueid
        (ast_channel_get_by_name_prefix)."""
        if not token:
            return None
        if token in self.channels:
            return self.channels[token]
        return next((ch for ch in self.channels.values()
                     if ch.name.lower().startswith(token.lower()) or ch.uniqueid == token), None)

    def view(self, ch: Channel) -> ChannelView:
        peers = [n for n in self.bridges.get(ch.bridge_id, []) if n != ch.name]
        return ChannelView(ch.name, ch.uniqueid, STATE_DESC[ch.state], ch.context,
                           ch.application, peers[0] if peers else "", ch.on_hold)

    def set_state(self, ch: Channel, state: int) -> None:
        ch.state = state
        if state == 6 and not ch.up_at:
            ch.up_at = time.monotonic()
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

    # -- the dialplan -----------------------------------------------------------------------
    def goto(self, ch: Channel, at: Location) -> Step | None:
        """Run the dialplan from ``at`` through the steps that finish at once (NoOp, Answer,
        Set, Goto, GotoIf, Hangup); returns the step that takes time, whose application the
        simulator runs, or None once the channel is hung up. No such extension or priority:
        Asterisk hangs the channel up."""
        for _ in range(MAX_INSTANT_STEPS):
            step = self.dialplan.step(at)
            if step is None:
                break
            variables = {"CALLERID(num)": ch.caller_num, "CHANNEL": ch.name,
                         "UNIQUEID": ch.uniqueid, "EPOCH": str(int(time.time())),
                         **ch.variables}
            data = self.dialplan.render(step, at, variables)
            self.newexten(ch, at.context, at.exten, at.priority, step.application, data)
            match step.application:
                case "NoOp":
                    at = at.next()
                case "Set":
                    name, _, value = data.partition("=")
                    self.set_var(ch, name, value)
                    at = at.next()
                case "Answer":
                    if ch.state != 6:
                        self.set_state(ch, 6)
                    at = at.next()
                case "Goto" | "GotoIf":
                    at = self.dialplan.jump(step, at, variables)
                case "Hangup":
                    break
                case _:
                    if step.application == "MusicOnHold":
                        self.start_hold(ch)
                    for listener in self._moved_listeners:
                        listener(ch, step)
                    return step
        self.hangup(ch, 16)
        return None

    def start_hold(self, ch: Channel) -> None:
        ch.on_hold = True
        self.emit_channel("MusicOnHoldStart", "call,all", ch, ("Class", "default"))

    def stop_hold(self, ch: Channel) -> None:
        if ch.on_hold:
            ch.on_hold = False
            self.emit_channel("MusicOnHoldStop", "call,all", ch)

    # -- inbound calls ----------------------------------------------------------------------
    def new_inbound(self, number: str, name: str, dnis: str) -> Channel:
        """A carrier call arrives; ``[from-pstn]`` answers it and starts the AGI."""
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
        self.goto(ch, Location(INBOUND_CONTEXT, dnis, 1))
        return ch

    def caller_hangs_up(self, ch: Channel) -> None:
        """The far end sends BYE: the order of the abandon at 26.475 in the transcript (no
        Cause on the HangupRequest of an inbound channel). Hangup follows."""
        self.emit_channel("HangupRequest", "call,all", ch)
        self.stop_hold(ch)
        if not ch.bridge_id:
            self.emit_channel("SoftHangupRequest", "call,all", ch, ("Cause", "16"))
        ch.pending_cause = 0

    def dtmf(self, ch: Channel, digit: str, direction: str = "Received") -> None:
        self.emit_channel("DTMFBegin", "dtmf,all", ch, ("Digit", digit), ("Direction", direction))
        self.emit_channel("DTMFEnd", "dtmf,all", ch, ("Digit", digit), ("DurationMs", "280"),
                          ("Direction", direction))

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

    def dial_customer(self, dialler: Channel, number: str) -> Channel:
        """The Dial() of ``[cc-callback]`` or ``[cc-transfer]`` running on ``dialler``: the
        customer's carrier channel rings."""
        ch = self._new_channel("SIP/carrier", Role.CALLER)
        ch.caller_num, ch.caller_name = dialler.caller_num, dialler.caller_name
        ch.connected_num, ch.exten, ch.linkedid = number, number, dialler.linkedid
        self.channels[ch.name] = ch
        self.emit_channel("Newchannel", "call,all", ch)
        self.emit("DialBegin", "call,all", [*channel_fields(dialler), *dest_fields(ch),
                                            ("DialString", f"carrier/{number}")])
        self.set_state(ch, 5)
        return ch

    def agent_answers(self, ch: Channel, application: str, data: str) -> None:
        self.set_state(ch, 6)
        self.emit("DialEnd", "call,all", [*dest_fields(ch), ("DialStatus", "ANSWER")])
        ch.application, ch.app_data = application, data

    def ringing_leg_cancelled(self, ch: Channel, cause: int) -> None:
        """The platform hangs up a leg that still rings: DialEnd NOANSWER, then its Hangup
        (the simulator writes OriginateResponse Reason 0 first, as a real run showed)."""
        self.emit("DialEnd", "call,all", [*dest_fields(ch), ("DialStatus", "NOANSWER")])
        self.hangup(ch, cause)

    def bridge(self, agent: Channel, caller: Channel) -> None:
        """Bridge(caller) on the answered agent leg: the 12.844-12.856 block. The caller is
        taken out of what it ran (ast_channel_yank: its priority moves on by one)."""
        if caller.bridge_id:
            self.leave_bridge(caller, hung_up=False)
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
        rounds = 1 + (self._noise.randint(0, 2) if self._noise is not None else 0)
        for _ in range(rounds):
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
    def agent_hangs_up(self, ch: Channel) -> None:
        """The agent's phone sends BYE (issue 9): HangupRequest with Cause, a
        SoftHangupRequest for whoever it is bridged with, then its Bridge() ends."""
        self.emit_channel("HangupRequest", "call,all", ch, ("Cause", "16"))
        for peer in self.peers(ch):
            self.emit_channel("SoftHangupRequest", "call,all", peer, ("Cause", "16"))
        self.hangup(ch, 16)

    def hangup(self, ch: Channel, cause: int) -> None:
        """Hang ``ch`` up; its bridge ends, and the others in it go where their
        ``after_bridge`` says (19.845-19.847)."""
        if ch.name not in self.channels:
            return
        self.stop_hold(ch)
        if ch.bridge_id:
            self.leave_bridge(ch, hung_up=True, cause=cause)
            return
        self._destroy(ch, cause)

    def peers(self, ch: Channel) -> list[Channel]:
        return [self.channels[n] for n in self.bridges.get(ch.bridge_id, [])
                if n != ch.name and n in self.channels]

    def leave_bridge(self, ch: Channel, *, hung_up: bool, cause: int = 16) -> None:
        """``ch`` leaves its bridge (hung up, or redirected elsewhere); the basic bridge
        dissolves. A leg running Bridge() sets BRIDGERESULT once the bridge is gone, then
        hangs up; the others go where their ``after_bridge`` says."""
        bridge_id = ch.bridge_id
        peers = self.peers(ch)
        for member in (ch, *peers):
            self.set_var(member, "BRIDGEPEER", "")
            self.set_var(member, "BRIDGEPVTCALLID", "")
        remaining = self.bridges[bridge_id]
        remaining.remove(ch.name)
        ch.bridge_id = ""
        self.emit("BridgeLeave", "call,all", [
            *bridge_fields(bridge_id, ch.bridge_tech, len(remaining)), *channel_fields(ch)])
        in_bridge_app = hung_up and self._runs_bridge(ch)
        if hung_up and not in_bridge_app:
            self._destroy(ch, cause)
        for peer in peers:
            remaining.remove(peer.name)
            peer.bridge_id = ""
            self.emit("BridgeLeave", "call,all", [
                *bridge_fields(bridge_id, peer.bridge_tech, len(remaining)), *channel_fields(peer)])
        self.emit("BridgeDestroy", "call,all", bridge_fields(bridge_id, ch.bridge_tech, 0))
        del self.bridges[bridge_id]
        if in_bridge_app:
            self.set_var(ch, "BRIDGERESULT", "SUCCESS")
            self._destroy(ch, cause)
        for peer in peers:
            self._bridge_ended(peer)

    @staticmethod
    def _runs_bridge(ch: Channel) -> bool:
        return ch.role is Role.AGENT and ch.application == "Bridge"

    def _bridge_ended(self, ch: Channel) -> None:
        """The other side left: Bridge() returns on an agent leg, which goes on in
        [cc-agent] (to its Hangup) or, originated to run Bridge alone, hangs up; any other
        channel goes to its after-bridge location, or is hung up without one (Bridge's
        ``x``, a dialled customer)."""
        if self._runs_bridge(ch):
            self.set_var(ch, "BRIDGERESULT", "SUCCESS")
            if ch.dialplan:
                self.goto(ch, Location(ch.context, ch.exten, ch.priority + 1))
            else:
                self._destroy(ch, 16)
            return
        at, ch.after_bridge = ch.after_bridge, None
        if at is None:
            self._destroy(ch, 16)
        else:
            self.goto(ch, at)

    def _destroy(self, ch: Channel, cause: int) -> None:
        if self._noise is not None and ch.state == 6 and not ch.answered:
            self._rtp_quality(ch)
        self.emit_channel("Hangup", "call,all", ch, ("Cause", str(cause)),
                          ("Cause-txt", CAUSE_TEXT.get(cause, "Unknown")))
        del self.channels[ch.name]
        for listener in self._gone_listeners:
            listener(ch)

    # -- what a SIP/RTP stack adds ----------------------------------------------------------
    def _rtp_quality(self, ch: Channel) -> None:
        """chan_sip's RTPAUDIOQOS* variables of a channel whose media went through Asterisk,
        set as it hangs up (26.474, 31.856)."""
        assert self._noise is not None
        sent = int((time.monotonic() - ch.up_at) * 50) if ch.up_at else 0
        zeros = "=000.000000;"
        self.set_var(ch, "RTPAUDIOQOS", (
            f"ssrc={self._noise.getrandbits(31)};themssrc={self._noise.getrandbits(31)};lp=0;"
            f"rxjitter=0.000000;rxcount={sent};txjitter=0.000000;txcount={sent};rlp=0;"
            "rtt=0.000000;rxmes=0.000000;txmes=0.000000"))
        for name, what in (("JITTER", "jitter"), ("LOSS", "lost"), ("RTT", "rtt"),
                           ("MES", "mes")):
            sides = ("",) if what == "rtt" else ("rx", "tx")
            self.set_var(ch, f"RTPAUDIOQOS{name}", "".join(
                f"{stat}{side}{what}{zeros}" for side in sides
                for stat in ("min", "max", "avg", "stdev")))

    def rtcp_sent(self, ch: Channel, report: int) -> None:
        """The RTCP sender report chan_sip sends about every 5 s for media it carries, as the
        reporting class sees it (7.629)."""
        packets = report * 250
        self.emit_channel("RTCPSent", "reporting,all", ch, ("To", "127.0.0.1:6001"),
                          ("From", "127.0.0.1:10189"), ("MES", "88.1"),
                          ("SSRC", f"0x{zlib.crc32(ch.uniqueid.encode()):08x}"),
                          ("PT", "200(SR)"), ("ReportCount", "1"),
                          ("SentNTP", f"{time.time():.6f}"), ("SentRTP", str(packets * 160)),
                          ("SentPackets", str(packets)), ("SentOctets", str(packets * 160)),
                          ("Report0SourceSSRC", "0x0e05384e"), ("Report0FractionLost", "0"),
                          ("Report0CumulativeLost", "0"), ("Report0HighestSequence", "8049"),
                          ("Report0SequenceNumberCycles", "0"), ("Report0IAJitter", "0"),
                          ("Report0LSR", "0"), ("Report0DLSR", "0.0000"))

    # -- queries ----------------------------------------------------------------------------
    def show_channels(self, action_id: str) -> list[Fields]:
        """CoreShowChannel items plus the Complete event, as the 7.531 and 14.840 lists.
        Listed in hash order as Asterisk's channel container does, never in the order the
        channels came: a resync must not take the list for the order callers entered."""
        items: list[Fields] = []
        id_field = [("ActionID", action_id)] if action_id else []
        now = time.time()
        for ch in sorted(self.channels.values(), key=lambda ch: zlib.crc32(ch.name.encode())):
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
