"""The call model replayed from the real Asterisk 20 transcript, message by message."""

from __future__ import annotations

from pathlib import Path

from contactcenter.cti import variables as cc
from contactcenter.cti.calls import CallModel, device_of
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
    OriginateResult,
)
from contactcenter.cti.frames import FrameReader, parse_frame
from contactcenter.cti.transcript import read_rows

CALL_IDS = {"orig-102": "call-1", "orig-101": "call-1", "inj-1": "inj"}


def replay(fixtures: Path, reader: FrameReader | None = None,
           ) -> tuple[CallModel, list[object]]:
    """Feed what Asterisk sent through `reader`; announce each Originate when the client
    sent it."""
    model = CallModel(clock=lambda: 0.0)
    reader = reader or FrameReader()
    events: list[object] = []
    for row in read_rows(fixtures / "ami-transcript.log"):
        if row.sent:
            if row.data.startswith(b"Action: Originate"):
                headers: dict[str, str] = {}
                for line in row.data.decode().split("\r\n"):
                    key, _, value = line.partition(": ")
                    headers.setdefault(key, value)  # first wins, as in Asterisk
                model.expect_originate(headers["ActionID"], headers["Channel"],
                                       CALL_IDS[headers["ActionID"]])
            continue
        for message in reader.feed(row.data):
            events.extend(model.feed(message))
    return model, events


def test_transcript_yields_the_call_story(asterisk_fixtures: Path) -> None:
    model, events = replay(asterisk_fixtures)
    caller, uid1 = "SIP/carrier-0000000d", "1795412914.14"
    a102, a101 = "SIP/agent102-0000000e", "SIP/agent101-0000000f"
    bridge = "ff3a9a79-51ef-4dd4-b2dc-dae94567ebad"
    caller2, uid2 = "SIP/carrier-00000010", "1795412934.18"
    expected = [
        # call 1 arrives, the IVR reads a key and queues it, it waits in music on hold
        CallArrived(uid1, caller, "+14155550123", "Ada Lovelace", "5000", 0.0),
        CallVariableSet(uid1, caller, "CC_QUEUE", "support"),
        CallWaiting(uid1, caller, 0.0, "cc-wait"),
        # agent 102 rings and never answers
        CallVariableSet("1795412920.15", a102, "CC_CALL_ID", "call-1"),
        AgentLegRinging("1795412920.15", a102, "SIP/agent102", "call-1", "orig-102"),
        CallHungUp("1795412920.15", a102, 19, "User alerting, no answer", 0.0, "orig-102"),
        OriginateResult("orig-102", False, 3, "SIP/agent102", ""),
        # agent 101 answers and is bridged to the caller
        AgentLegRinging("1795412925.16", a101, "SIP/agent101", "call-1", "orig-101"),
        OriginateResult("orig-101", True, 4, a101, "1795412925.16"),
        CallHoldStopped(uid1, caller),
        CallBridged(uid1, caller, bridge, 0.0),
        CallBridged("1795412925.16", a101, bridge, 0.0, "orig-101"),
        # the platform hangs up the caller: both legs go, cause 16
        CallUnbridged(uid1, caller, bridge),
        CallHungUp(uid1, caller, 16, "Normal Clearing", 0.0),
        CallUnbridged("1795412925.16", a101, bridge),
        CallHungUp("1795412925.16", a101, 16, "Normal Clearing", 0.0, "orig-101"),
        # call 2 waits and hangs up before any offer: an abandon
        CallArrived(uid2, caller2, "+442071838750", "Grace Hopper", "5001", 0.0),
        CallVariableSet(uid2, caller2, "CC_QUEUE", "support"),
        CallWaiting(uid2, caller2, 0.0, "cc-wait"),
        CallHoldStopped(uid2, caller2),
        CallHungUp(uid2, caller2, 0, "Unknown", 0.0),  # the caller's BYE: cause 0 at 26.475
    ]
    assert events[: len(expected)] == expected
    # the injected Originate at 30.851 placed a leg that the model knows as ours, not a call
    tail = events[len(expected):]
    assert not any(isinstance(e, CallArrived) for e in tail)
    assert [type(e) for e in tail] == [AgentLegRinging, OriginateResult, CallHungUp]
    assert model.channels == {}


def test_a_channel_without_announced_originate_is_an_inbound_call() -> None:
    model = CallModel(clock=lambda: 1.0)
    newchannel = {"Event": "Newchannel", "Channel": "SIP/agent101-00000001",
                  "Uniqueid": "9.1", "CallerIDNum": "101", "CallerIDName": "", "Exten": "s",
                  "Context": "agents"}
    assert model.feed(newchannel) == [CallArrived("9.1", "SIP/agent101-00000001", "101", "",
                                                  "s", 1.0)]
    model.expect_originate("o-1", "SIP/agent101", "c-7")
    second = dict(newchannel, Uniqueid="9.2", Channel="SIP/agent101-00000002")
    assert model.feed(second) == []
    assert model.channels["9.2"].call_id == "c-7"
    ringing = {"Event": "Newstate", "Uniqueid": "9.2", "ChannelState": "5"}
    assert model.feed(ringing) == [AgentLegRinging("9.2", "SIP/agent101-00000002",
                                                   "SIP/agent101", "c-7", "o-1")]
    assert model.feed(ringing) == []  # once per leg


def test_failed_originate_without_a_channel_releases_the_expectation() -> None:
    model = CallModel(clock=lambda: 1.0)
    model.expect_originate("o-1", "SIP/agent9", "c-1")
    result = model.feed({"Event": "OriginateResponse", "ActionID": "o-1",
                         "Response": "Failure", "Reason": "0", "Channel": "SIP/agent9",
                         "Uniqueid": "<unknown>"})
    assert result == [OriginateResult("o-1", False, 0, "SIP/agent9", "")]
    later = model.feed({"Event": "Newchannel", "Channel": "SIP/agent9-00000003",
                        "Uniqueid": "9.3", "Exten": "100"})
    assert isinstance(later[0], CallArrived)


def test_only_cc_variables_count_and_bad_numbers_do_not_raise() -> None:
    model = CallModel(clock=lambda: 1.0)
    assert model.feed({"Event": "VarSet", "Uniqueid": "1", "Variable": "SIPURI",
                       "Value": "x"}) == []
    assert model.feed({"Event": "Hangup", "Uniqueid": "1", "Cause": "zz"})[0].cause == 0
    assert model.feed({"Response": "Success"}) == []


def test_repeated_headers_keep_the_first_value() -> None:
    message = parse_frame("Event: Hangup\r\nUniqueid: 1\r\nUniqueid: 2\r\nno colon line")
    assert message is not None and message["Uniqueid"] == "1"
    assert parse_frame("garbage\r\nmore garbage") is None


def test_load_rebuilds_the_table_and_keeps_agent_legs() -> None:
    model = CallModel(clock=lambda: 1.0)
    model.expect_originate("o-1", "SIP/agent1", "c-1")
    model.feed({"Event": "Newchannel", "Channel": "SIP/agent1-00000001", "Uniqueid": "2"})
    model.feed({"Event": "Newchannel", "Channel": "SIP/gone-00000001", "Uniqueid": "3"})
    model.begin_resync()
    # while the resync's actions run: one channel is born, one listed channel hangs up
    model.feed({"Event": "Newchannel", "Channel": "SIP/new-00000001", "Uniqueid": "4"})
    model.feed({"Event": "Hangup", "Channel": "SIP/late-00000001", "Uniqueid": "5"})
    model.load([
        ChannelSnapshot("1", "SIP/carrier-1", "+1", "A", "cc-wait", "MusicOnHold", "",
                        {"CC_QUEUE": "support"}),
        ChannelSnapshot("2", "SIP/agent1-00000001", "+1", "A", "agents", "AppDial2", "b"),
        ChannelSnapshot("5", "SIP/late-00000001", "", "", "from-pstn", "AGI", ""),
    ])
    assert set(model.channels) == {"1", "2", "4"}
    assert model.channels["1"].variables == {"CC_QUEUE": "support"}
    assert model.channels["2"].call_id == "c-1" and model.channels["2"].bridge_id == "b"


def test_the_far_half_of_a_local_agent_leg_is_not_a_call() -> None:
    model = CallModel(clock=lambda: 1.0)
    model.expect_originate("o-1", "Local/101@agents", "c-1")
    for uid, name in (("7.1", "Local/101@agents-00000001;1"),
                      ("7.2", "Local/101@agents-00000001;2")):
        assert model.feed({"Event": "Newchannel", "Channel": name, "Uniqueid": uid}) == []
    assert model.channels["7.2"].call_id == "c-1"
    other = model.feed({"Event": "Newchannel", "Channel": "Local/5000@from-pstn-00000002;2",
                        "Uniqueid": "7.3", "Exten": "5000"})
    assert isinstance(other[0], CallArrived)


def test_device_of_strips_the_channel_sequence() -> None:
    assert device_of("SIP/agent102-0000000e") == "SIP/agent102"
    assert device_of("PJSIP/alice-bob-00000001") == "PJSIP/alice-bob"
    assert device_of("Local/101@agents-00000001;1") == "Local/101@agents"


def test_events_the_model_does_not_read_are_skipped_unparsed_and_change_nothing(
        asterisk_fixtures: Path) -> None:
    """The bridge's reader skips what an Asterisk before 20.11 sends despite manager.conf's
    eventfilter (Newexten, VarSet of other variables ...): the call story is the same."""
    reader = FrameReader(events=CallModel().events_read, variables=cc.PREFIX)
    _, events = replay(asterisk_fixtures, reader)
    assert events == replay(asterisk_fixtures)[1]
    assert reader.skipped > len(events)
