"""AMI behaviour beyond the transcript's happy path: refusals, originate outcomes, several
clients, event masks, redirects, and the counters a run of scripted traffic produces."""

from __future__ import annotations

import asyncio
import time

from contactcenter.sim.scenario import ScriptedAgent, ScriptedCaller
from contactcenter.sim.simulator import PbxSimulator
from contactcenter.sim.stats import CallOutcome
from tests.helpers import eventually
from tests.sim.conftest import (
    QUEUE_FLOW,
    RawAmi,
    ScriptedAgiServer,
    originate,
    queued_setup,
    teardown,
)


async def test_wrong_secret_is_refused_after_the_delay_then_closed() -> None:
    async with PbxSimulator(failed_login_delay=0.2) as sim:
        ami = await RawAmi.connect(sim.ami_port)
        assert await ami.banner() == b"Asterisk Call Manager/9.0.0\r\n"
        started = time.monotonic()
        await ami.send(b"Action: Login\r\nActionID: bad-1\r\nUsername: cc\r\nSecret: nope\r\n\r\n")
        assert await ami.message() == [("Response", "Error"), ("ActionID", "bad-1"),
                                       ("Message", "Authentication failed")]
        assert time.monotonic() - started >= 0.2
        assert await asyncio.wait_for(ami.reader.read(), 2) == b""
        await ami.close()


async def test_refusals_before_login_and_for_unknown_actions() -> None:
    async with PbxSimulator() as sim:
        ami = await RawAmi.connect(sim.ami_port)
        await ami.banner()
        await ami.send(b"Action: Ping\r\nActionID: p\r\n\r\n")
        assert await ami.message() == [("Response", "Error"), ("ActionID", "p"),
                                       ("Message", "Permission denied")]
        await ami.send(b"Action: Login\r\nUsername: cc\r\nSecret: ccsecret\r\n\r\n")
        await ami.until("FullyBooted")
        await ami.send(b"Action: QueueStatus\r\nActionID: q\r\n\r\n")
        assert await ami.message() == [("Response", "Error"), ("ActionID", "q"), (
            "Message", "Invalid/unknown command: QueueStatus. Use Action: ListCommands to show "
                       "available commands.")]
        # LF-only line ends are accepted, as by Asterisk.
        await ami.send(b"Action: Hangup\nActionID: h\nChannel: SIP/nobody-00000001\n\n")
        assert await ami.message() == [("Response", "Error"), ("ActionID", "h"),
                                       ("Message", "No such channel")]
        await ami.close()


async def test_events_go_to_every_client_with_events_on() -> None:
    agi, sim, first = await queued_setup({})
    second = await RawAmi.connect(sim.ami_port)
    quiet = await RawAmi.connect(sim.ami_port)
    try:
        await second.login()
        await quiet.login()
        await quiet.send(b"Action: Events\r\nActionID: off\r\nEventMask: off\r\n\r\n")
        assert await quiet.message() == [("Response", "Success"), ("ActionID", "off"),
                                         ("Events", "Off")]
        call = sim.place_call(ScriptedCaller())
        for client in (first, second):
            msgs = await client.until("MusicOnHoldStart", Channel=call.channel)
            assert dict(msgs[0])["Event"] in {"Newchannel", "SuccessfulAuth"}
        await quiet.send(b"Action: Ping\r\nActionID: p\r\n\r\n")
        assert dict(await quiet.message())["Response"] == "Success"  # no event came first
    finally:
        await second.close()
        await quiet.close()
        await teardown(agi, sim, first)


async def test_no_answer_then_answer_then_agent_hangs_up_after_talk_time() -> None:
    agi, sim, ami = await queued_setup({
        "SIP/agent102": ScriptedAgent(answer_after=None),
        "SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.1)})
    try:
        call = sim.place_call(ScriptedCaller())
        await ami.until("MusicOnHoldStart", Channel=call.channel)
        await ami.send(originate("o1", "SIP/agent102", call.channel, timeout_ms=100))
        assert dict(await ami.message())["Message"] == "Originate successfully queued"
        msgs = await ami.until("OriginateResponse")
        hangup = next(dict(m) for m in msgs if dict(m).get("Event") == "Hangup")
        assert (hangup["Cause"], hangup["Cause-txt"]) == ("19", "User alerting, no answer")
        response = dict(msgs[-1])
        assert (response["Response"], response["Reason"], response["Uniqueid"]) == (
            "Failure", "3", "<unknown>")
        assert sim.is_alive(call.channel)

        await ami.send(originate("o2", "SIP/agent101", call.channel))
        msgs = await ami.until("BridgeEnter", BridgeNumChannels="2")
        events = [dict(m).get("Event") for m in msgs]
        assert events.index("OriginateResponse") < events.index("BridgeCreate") < \
            events.index("MusicOnHoldStop") < events.index("BridgeEnter")
        assert sim.channels[call.channel].bridged_with.startswith("SIP/agent101-")
        # Talk time over: the agent hangs up, the caller's dialplan hangs up too.
        msgs = await ami.until("Hangup", Channel=call.channel)
        assert [dict(m).get("Event") for m in msgs].count("BridgeLeave") == 2
        assert await asyncio.wait_for(call.wait(), 2) is CallOutcome.ANSWERED
        assert sim.stats.answered == 1 and sim.stats.double_offers == 0
    finally:
        await teardown(agi, sim, ami)


async def test_unknown_device_and_vanished_caller() -> None:
    agi, sim, ami = await queued_setup({"SIP/agent101": ScriptedAgent(answer_after=0.05)})
    try:
        await ami.send(originate("o1", "SIP/agent999", "SIP/carrier-00000001"))
        await ami.message()
        response = dict((await ami.until("OriginateResponse"))[-1])
        assert (response["Response"], response["Channel"], response["Reason"]) == (
            "Failure", "SIP/agent999", "0")
        # Bridge() to a channel that is gone: the leg answers, Bridge fails, the leg hangs up.
        await ami.send(originate("o2", "SIP/agent101", "SIP/carrier-00000001"))
        await ami.message()
        msgs = await ami.until("Hangup")
        variables = {dict(m).get("Variable"): dict(m).get("Value") for m in msgs}
        assert variables["BRIDGERESULT"] == "NONEXISTENT"
        assert not any(dict(m).get("Event") == "BridgeEnter" for m in msgs)
        assert sim.channels == {}
    finally:
        await teardown(agi, sim, ami)


async def test_a_second_offer_for_a_ringing_or_bridged_caller_is_a_double_offer() -> None:
    agi, sim, ami = await queued_setup({
        "SIP/agent101": ScriptedAgent(answer_after=0.1, talk_seconds=None),
        "SIP/agent102": ScriptedAgent(answer_after=0.3, talk_seconds=None)})
    try:
        call = sim.place_call(ScriptedCaller())
        await ami.until("MusicOnHoldStart", Channel=call.channel)
        await ami.send(originate("o1", "SIP/agent101", call.channel))
        await ami.send(originate("o2", "SIP/agent102", call.channel))
        await ami.until("BridgeEnter", BridgeNumChannels="2")
        assert sim.stats.double_offers == 1
        # The second agent answers too and steals the caller: the first agent is dropped.
        msgs = await ami.until("BridgeEnter", BridgeNumChannels="2")
        assert any(dict(m).get("Event") == "Hangup" and
                   dict(m)["Channel"].startswith("SIP/agent101-") for m in msgs)
    finally:
        await teardown(agi, sim, ami)


async def test_getvar_setvar_and_redirect_back_to_waiting() -> None:
    agi, sim, ami = await queued_setup({"SIP/agent101": ScriptedAgent(answer_after=0.0,
                                                                      talk_seconds=None)})
    try:
        call = sim.place_call(ScriptedCaller())
        await ami.until("MusicOnHoldStart", Channel=call.channel)
        await ami.send(f"Action: Setvar\r\nActionID: s\r\nChannel: {call.channel}\r\n"
                       "Variable: CC_CALL_ID\r\nValue: call-9\r\n\r\n".encode())
        assert await ami.message() == [("Response", "Success"), ("ActionID", "s"),
                                       ("Message", "Variable Set")]
        assert dict(await ami.message())["Value"] == "call-9"  # the VarSet event
        await ami.send(f"Action: Getvar\r\nActionID: g\r\nChannel: {call.channel}\r\n"
                       "Variable: CC_CALL_ID\r\n\r\n".encode())
        assert await ami.message() == [("Response", "Success"), ("ActionID", "g"),
                                       ("Variable", "CC_CALL_ID"), ("Value", "call-9")]
        await ami.send(originate("o1", "SIP/agent101", call.channel))
        await ami.until("BridgeEnter", BridgeNumChannels="2")
        await ami.send(f"Action: Redirect\r\nActionID: r\r\nChannel: {call.channel}\r\n"
                       "Context: cc-wait\r\nExten: s\r\nPriority: 1\r\n\r\n".encode())
        msgs = await ami.until("MusicOnHoldStart", Channel=call.channel)
        assert any(("Message", "Redirect successful") in m for m in msgs)
        assert sim.is_alive(call.channel) and sim.channels[call.channel].on_hold
        assert sim.stats.waiting == 1
    finally:
        await teardown(agi, sim, ami)


async def test_traffic_counts_every_outcome() -> None:
    agi = ScriptedAgiServer(QUEUE_FLOW)
    await agi.start()
    async with PbxSimulator(agi_port=agi.port, seed=7) as sim:
        callers = [ScriptedCaller(number=f"+1415555{i:04d}", patience=0.05) for i in range(3)]
        callers.append(ScriptedCaller(number="+14155559999", hangup_after_commands=0))
        placed = await sim.run_traffic(callers, seconds=0.2)
        assert len(placed) == 4
        await eventually(lambda: sim.stats.in_progress == 0)
        stats = sim.stats
        assert (stats.offered, stats.abandoned, stats.answered) == (4, 3, 0)
        assert stats.hung_up_in_ivr + stats.ended_in_ivr == 1
        placed = await sim.run_traffic(rate=50, seconds=0.2,
                                       make_caller=lambda i: ScriptedCaller(patience=0.01))
        assert placed and sim.stats.offered == 4 + len(placed)
    await agi.close()


async def test_redirect_into_an_agi_context_runs_the_fastagi_client_again() -> None:
    agi, sim, ami = await queued_setup({}, agi_contexts={"cc-survey": "survey"})
    try:
        call = sim.place_call(ScriptedCaller())
        await ami.until("MusicOnHoldStart", Channel=call.channel)
        await ami.send(f"Action: Redirect\r\nActionID: r\r\nChannel: {call.channel}\r\n"
                       "Context: cc-survey\r\nExten: s\r\nPriority: 1\r\n\r\n".encode())
        msgs = await ami.until("MusicOnHoldStart", Channel=call.channel)
        steps = [(dict(m).get("Event"), dict(m).get("Context"), dict(m).get("Application"))
                 for m in msgs]
        # Music stops, the AGI runs, then [cc-announce]'s s,2 takes the caller back to cc-wait.
        assert steps.index(("MusicOnHoldStop", "cc-wait", None)) \
            < steps.index(("Newexten", "cc-survey", "AGI")) \
            < steps.index(("Newexten", "cc-survey", "Goto")) \
            < steps.index(("Newexten", "cc-wait", "MusicOnHold"))
        assert len(agi.sessions) == 2
        assert agi.sessions[1]["env"][1] == b"agi_network_script: survey\n"
        assert b"agi_context: cc-survey\n" in agi.sessions[1]["env"]
        # Any other context: the channel is hung up.
        await ami.send(f"Action: Redirect\r\nActionID: r2\r\nChannel: {call.channel}\r\n"
                       "Context: nowhere\r\nExten: s\r\nPriority: 1\r\n\r\n".encode())
        await ami.until("Hangup", Channel=call.channel)
        assert await asyncio.wait_for(call.wait(), 2) is CallOutcome.CLEARED
    finally:
        await teardown(agi, sim, ami)
