"""Chaos mode over real TCP: every event the simulator makes reaches the AMI client once, each
channel's and bridge's events in their own order, the rest reordered by the seed; responses
keep their order; a real Asterisk's noise is mixed in. And what that does to the caller's
music-on-hold start and the agent's hang-up of issue 9."""

from __future__ import annotations

import asyncio

import pytest

from contactcenter.sim.channels import Pbx
from contactcenter.sim.dialplan import Dialplan, Location
from contactcenter.sim.interleave import Interleaver, streams
from contactcenter.sim.scenario import ScriptedAgent, ScriptedCaller
from contactcenter.sim.simulator import PbxSimulator
from contactcenter.sim.stats import CallOutcome
from tests.helpers import eventually
from tests.sim.conftest import Fields, RawAmi, originate, queued_setup, teardown


def stream_orders(events: list[Fields]) -> dict[str, list[list[tuple[str, str]]]]:
    orders: dict[str, list[list[tuple[str, str]]]] = {}
    for fields in events:
        for key in streams(fields):
            orders.setdefault(key, []).append(fields)
    return orders


async def test_events_keep_each_streams_order_and_none_is_lost_or_doubled(monkeypatch) -> None:
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.0, talk_seconds=0.1),
              "SIP/agent102": ScriptedAgent(answer_after=0.0, talk_seconds=0.1)}
    agi, sim, ami = await queued_setup(agents, chaos=7, ami_read="all")
    made: list[Fields] = []
    write = sim._ami.broadcast  # noqa: SLF001 - what the simulator made, before the interleaver

    def record(fields: Fields) -> None:
        made.append(fields)
        write(fields)

    monkeypatch.setattr(sim._ami, "broadcast", record)  # noqa: SLF001
    try:
        calls = [sim.place_call(ScriptedCaller(number=f"+1415555000{i}")) for i in range(3)]
        calls.append(sim.place_call(ScriptedCaller(number="+14155559999", patience=0.05)))
        await eventually(lambda: all(c in sim.waiting_in_moh() for c in calls[:3]))
        for n, call in enumerate(calls[:2]):
            await ami.send(originate(f"o{n}", f"SIP/agent10{n + 1}", f"{call.channel},x"))
        await ami.send(f"Action: Hangup\r\nActionID: h\r\nChannel: {calls[2].channel}\r\n\r\n"
                       .encode())
        async with asyncio.timeout(5):
            await asyncio.gather(*(call.wait() for call in calls))
        await asyncio.sleep(0.1)  # the last events' delays
        await ami.send(b"".join(f"Action: Ping\r\nActionID: p{n}\r\n\r\n".encode()
                                for n in range(20)))
        got = await ami.until_response("p19")
    finally:
        await teardown(agi, sim, ami)

    responses = [dict(m)["ActionID"] for m in got if "Event" not in dict(m)]
    assert responses == ["o0", "o1", "h", *(f"p{n}" for n in range(20))]  # in order
    # (SuccessfulAuth of the login came before the recording started)
    events = [m for m in got if "Event" in dict(m) and dict(m)["Event"] != "SuccessfulAuth"]
    assert sorted(map(tuple, events)) == sorted(map(tuple, made))  # none lost or doubled
    assert stream_orders(events) == stream_orders(made)
    assert events != made  # and yet not the order they were made in
    assert sum(call.outcome is CallOutcome.ANSWERED for call in calls) == 2
    # the noise: an answered channel whose media went through Asterisk reports its RTP
    # quality as it hangs up (26.474 in the transcript)
    abandoned = calls[3].channel
    names = [dict(m).get("Variable") for m in events if dict(m).get("Channel") == abandoned]
    assert "RTPAUDIOQOS" in names and "RTPAUDIOQOSMES" in names


def agent_leaves_after_the_announcement() -> list[Fields]:
    """What the simulator makes when an agent's leg bridged with Bridge(caller) (no options)
    out of [cc-announce] hangs up: the caller goes back to music on hold."""
    made: list[Fields] = []
    pbx = Pbx(made.append, dialplan=Dialplan(agi_contexts={"cc-announce": "announce"}))
    caller = pbx.new_inbound("+14155550123", "Ada Lovelace", "5000")
    caller.variables["CC_QUEUE"] = "support"
    pbx.goto(caller, Location("cc-announce", "s", 1))
    agent = pbx.dial_agent("SIP/agent101", "+14155550123", "Ada Lovelace", [])
    pbx.agent_answers(agent, "Bridge", caller.name)
    caller.after_bridge = Location("cc-announce", "s", 2)
    pbx.bridge(agent, caller)
    del made[:]
    pbx.agent_hangs_up(agent)
    return made


@pytest.mark.parametrize("seed", range(3))
def test_the_stray_music_on_hold_and_the_agents_hangup_come_in_either_order(seed) -> None:
    made = agent_leaves_after_the_announcement()
    first = {"MusicOnHoldStart": 0, "Hangup": 0}
    for run in range(40):
        interleaver: Interleaver[Fields] = Interleaver(seed * 1000 + run)
        for n, fields in enumerate(made):  # made within the same millisecond
            interleaver.push(fields, streams(fields), n * 1e-5)
        order = [dict(f)["Event"] for f in interleaver.drain()]
        first["MusicOnHoldStart" if order.index("MusicOnHoldStart") < order.index("Hangup")
              else "Hangup"] += 1
    assert first["MusicOnHoldStart"] > 0 and first["Hangup"] > 0


async def test_the_user_only_gets_the_classes_it_reads() -> None:
    agi, sim, ami = await queued_setup({}, ami_read="all")
    mine = await RawAmi.connect(sim.ami_port)
    try:
        await mine.login()
        await mine.send(b"Action: Events\r\nActionID: e\r\nEventMask: dialplan\r\n\r\n")
        assert (await mine.until_response("e"))[-1] == [
            ("Response", "Success"), ("ActionID", "e"), ("Events", "On")]
        call = sim.place_call(ScriptedCaller())
        full = await ami.until("MusicOnHoldStart", Channel=call.channel)
        kinds = {dict(m)["Event"] for m in full}
        assert {"AGIExecStart", "AGIExecEnd", "Newchannel"} <= kinds
        only_dialplan = await mine.until("Newexten", Application="MusicOnHold")
        assert {dict(m)["Privilege"] for m in only_dialplan} == {"dialplan,all"}
    finally:
        await mine.close()
        await teardown(agi, sim, ami)
    other = PbxSimulator()  # defaults: asterisk-config/manager.conf's user without reporting
    assert not other._ami.reads("agi") and not other._ami.reads("security")  # noqa: SLF001
    assert not other._ami.reads("reporting") and other._ami.reads("dialplan")  # noqa: SLF001


async def test_default_user_sees_no_agi_or_security_events() -> None:
    agi, sim, ami = await queued_setup({})
    try:
        call = sim.place_call(ScriptedCaller())
        msgs = await ami.until("MusicOnHoldStart", Channel=call.channel)
        kinds = {dict(m).get("Event") for m in msgs}
        assert "Newexten" in kinds and "VarSet" in kinds
        assert not kinds & {"AGIExecStart", "AGIExecEnd", "SuccessfulAuth"}
    finally:
        await teardown(agi, sim, ami)


async def test_rtcp_reports_every_interval_for_media_through_asterisk(monkeypatch) -> None:
    monkeypatch.setattr("contactcenter.sim.simulator.RTCP_SECONDS", 0.1)
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.0, talk_seconds=None)}
    agi, sim, ami = await queued_setup(agents, ami_read="system,call,dialplan,reporting")
    try:
        call = sim.place_call(ScriptedCaller())
        reports = [dict(m) for m in await ami.until("RTCPSent", Channel=call.channel)][-1:]
        reports += [dict(m) for m in (await ami.until("RTCPSent", Channel=call.channel))[-1:]]
        assert [r["Privilege"] for r in reports] == ["reporting,all"] * 2
        assert int(reports[1]["SentPackets"]) > int(reports[0]["SentPackets"])
        assert (reports[0]["Context"], reports[0]["PT"]) == ("cc-wait", "200(SR)")
        # natively bridged: no more reports (three intervals later)
        await ami.send(originate("o1", "SIP/agent101", call.channel))
        await ami.until("BridgeEnter", BridgeNumChannels="2")
        await asyncio.sleep(0.35)
        await ami.send(b"Action: Ping\r\nActionID: p\r\n\r\n")
        assert "RTCPSent" not in {dict(m).get("Event") for m in await ami.until_response("p")}
    finally:
        await teardown(agi, sim, ami)

