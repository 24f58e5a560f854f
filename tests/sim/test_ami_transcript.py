"""The simulator's AMI output against the real Asterisk 20 transcript, message by message:
same events in the same order with the same headers and values, ignoring ids and times."""

from __future__ import annotations

import asyncio

from contactcenter.sim.scenario import ScriptedAgent, ScriptedCaller
from contactcenter.sim.simulator import PbxSimulator
from tests.sim.conftest import Fields, RawAmi, ScriptedAgiServer, transcript

# Values that differ between any two runs of a real Asterisk too.
VOLATILE = {"Uniqueid", "Linkedid", "DestUniqueid", "DestLinkedid", "CommandId", "Timestamp",
            "EventTV", "SessionTV", "SessionID", "LocalAddress", "RemoteAddress", "Uptime",
            "LastReload", "BridgeUniqueid", "BridgeId", "Duration"}
VOLATILE_VARIABLES = {"SIPCALLID", "BRIDGEPVTCALLID", "SIPURI"}


def normalize(msg: Fields) -> list[tuple[str, str]]:
    headers = dict(msg)
    out = []
    for key, value in msg:
        if key in VOLATILE or (key == "Value" and headers.get("Variable") in VOLATILE_VARIABLES):
            value = "*"
        if key == "AppData" and headers.get("Application") == "AGI":
            value = "*"  # the fixture's dialplan used main?dnis=...; ours passes arguments
        out.append((key, value))
    return out


def expected_from_transcript(asterisk_fixtures) -> tuple[list[bytes], list[list[tuple[str, str]]]]:
    """Client actions, and the server messages minus what a SIP/RTP stack adds around calls
    (RTCP reports, SIP auth, RTP QoS variables) and the repeated BRIDGEPEER rounds."""
    actions: list[bytes] = []
    messages: list[list[tuple[str, str]]] = []
    for item in transcript(asterisk_fixtures / "ami-transcript.log"):
        if item.sent is not None:
            actions.append(item.sent)
            continue
        headers = dict(item.fields)
        if headers.get("Event") == "RTCPSent" or headers.get("Service") == "SIP":
            continue
        if headers.get("Variable", "").startswith("RTPAUDIOQOS"):
            continue
        msg = normalize(item.fields)
        if headers.get("Variable", "").startswith("BRIDGEP") and headers.get("Value") \
                and msg in messages[-12:]:
            continue
        messages.append(msg)
    return actions, messages


async def test_the_transcript_replayed_against_the_simulator(asterisk_fixtures) -> None:
    actions, expected = expected_from_transcript(asterisk_fixtures)
    agi = ScriptedAgiServer(
        ['STREAM FILE welcome ""', "GET DATA queue-thereare 4000 1",
         'SET VARIABLE CC_QUEUE "support"', "GET VARIABLE CALLERID(num)", 'EXEC Playback "beep"',
         "GET DATA nonexistent-file 100 1", "NOSUCHCOMMAND foo"])
    await agi.start()
    # The fixture's AMI user read everything (read = all): AGIExec*, SuccessfulAuth included.
    sim = PbxSimulator(agi_port=agi.port, ami_read="all", agents={
        "SIP/agent102": ScriptedAgent(answer_after=None),
        "SIP/agent101": ScriptedAgent(answer_after=0.0, talk_seconds=None)})
    await sim.start()
    ami = await RawAmi.connect(sim.ami_port)
    got: list[Fields] = []
    try:
        assert await ami.banner() == b"Asterisk Call Manager/9.0.0\r\n"
        by_id = {a.split(b"ActionID: ")[1].split(b"\r\n")[0].decode(): a for a in actions}
        for action_id in ("login-1", "ping-1"):
            await ami.send(by_id[action_id])
        got += await ami.until("SuccessfulAuth")
        got.append(await ami.message())
        await ami.send(by_id["ev-1"])
        got.append(await ami.message())

        call = sim.place_call(ScriptedCaller("+14155550123", "Ada Lovelace", "5000", ("2",)))
        got += await ami.until("MusicOnHoldStart")
        await ami.send(by_id["csc-1"])
        got += await ami.until("CoreShowChannelsComplete")
        await ami.send(by_id["gv-1"])
        got.append(await ami.message())
        # Same action, shorter ring time: the sequence is what is compared, not the 3 s.
        await ami.send(by_id["orig-102"].replace(b"Timeout: 3000", b"Timeout: 200"))
        got += await ami.until("OriginateResponse")
        await ami.send(by_id["orig-101"])
        got += await ami.until("NewConnectedLine", Channel=call.channel)
        await ami.send(by_id["csc-2"])
        got += await ami.until("CoreShowChannelsComplete")
        await ami.send(by_id["hup-1"])
        got += await ami.until("Hangup", Channel="SIP/agent101-0000000f")
        assert await asyncio.wait_for(call.wait(), 2) is not None

        second = sim.place_call(ScriptedCaller("+442071838750", "Grace Hopper", "5001", ("2",),
                                               patience=0.2))
        got += await ami.until("Hangup", Channel=second.channel)
        await ami.send(by_id["inj-1"])
        got += await ami.until("Hangup", Channel="SIP/agent101-00000011")
        await ami.send(by_id["bye-1"])
        got.append(await ami.message())
        assert await asyncio.wait_for(ami.reader.read(), 2) == b""
    finally:
        await ami.close()
        await sim.close()
        await agi.close()

    actual = [normalize(m) for m in got if dict(m).get("Event") != "RTCPSent"]
    for index, (want, have) in enumerate(zip(expected, actual, strict=False)):
        assert have == want, f"message {index} differs"
    assert len(actual) == len(expected) > 100
