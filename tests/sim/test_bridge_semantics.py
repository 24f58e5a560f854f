"""Bridge() as features.c's bridge_exec plays it, over real TCP: what happens to the caller
when the agent's leg leaves (x: hung up; F(...): that location; neither: the next priority),
who hangs up first and in which order (issue 9), Redirects overriding all that, and the
counters a test needs to catch a double offer or a stranded caller."""

from __future__ import annotations

import asyncio

from contactcenter.sim.scenario import ScriptedAgent, ScriptedCaller
from contactcenter.sim.stats import CallOutcome
from tests.helpers import eventually
from tests.sim.conftest import (
    QUEUE_FLOW,
    Fields,
    RawAmi,
    ScriptedAgiServer,
    originate,
    queued_setup,
    teardown,
)

TALKS = {"SIP/agent101": ScriptedAgent(answer_after=0.0, talk_seconds=0.2)}
STAYS = {"SIP/agent101": ScriptedAgent(answer_after=0.0, talk_seconds=None),
         "SIP/agent102": ScriptedAgent(answer_after=0.0, talk_seconds=None)}


def brief(msgs: list[Fields], caller: str, agent: str) -> list[tuple[str, str, str]]:
    """(event, caller|agent|'', what matters) for the messages about the two legs."""
    who = {caller: "caller", agent: "agent"}
    out = []
    for msg in msgs:
        h = dict(msg)
        if h.get("Channel", "") not in who and not h.get("Event", "").startswith("Bridge"):
            continue
        if h["Event"] == "VarSet":
            detail = f"{h['Variable']}={h['Value']}"
        elif h["Event"] == "Newexten":
            detail = f"{h['Context']},{h['Exten']},{h['Priority']} {h['Application']}"
        else:
            detail = h.get("Cause", "")
        out.append((h["Event"], who.get(h.get("Channel", ""), ""), detail))
    return out


async def bridged(ami: RawAmi, call_channel: str, data: str, device: str = "SIP/agent101",
                  action_id: str = "o1", *, dialplan: bool = False) -> str:
    """Originate Bridge(<data>) on ``device``; the agent leg's name once both are in."""
    await ami.send(originate(action_id, device, data, dialplan=dialplan))
    msgs = await ami.until("BridgeEnter", BridgeNumChannels="2")
    assert dict(msgs[-1])["Channel"].startswith(device)
    assert any(dict(m).get("Channel") == call_channel and dict(m)["Event"] == "BridgeEnter"
               for m in msgs)
    return dict(msgs[-1])["Channel"]


async def waiting_call(sim, ami: RawAmi, caller: ScriptedCaller | None = None):
    call = sim.place_call(caller or ScriptedCaller())
    await ami.until("MusicOnHoldStart", Channel=call.channel)
    return call


AGENT_LEAVES = [  # the agent's phone hangs up first (issue 9)
    ("HangupRequest", "agent", "16"), ("SoftHangupRequest", "caller", "16"),
    ("VarSet", "agent", "BRIDGEPEER="), ("VarSet", "agent", "BRIDGEPVTCALLID="),
    ("VarSet", "caller", "BRIDGEPEER="), ("VarSet", "caller", "BRIDGEPVTCALLID="),
    ("BridgeLeave", "agent", ""), ("BridgeLeave", "caller", ""), ("BridgeDestroy", "", ""),
    ("VarSet", "agent", "BRIDGERESULT=SUCCESS"), ("Hangup", "agent", "16")]


async def test_with_x_the_caller_is_hung_up_when_the_agent_leaves() -> None:
    agi, sim, ami = await queued_setup(TALKS)
    try:
        call = await waiting_call(sim, ami)
        agent = await bridged(ami, call.channel, f"{call.channel},x")
        msgs = await ami.until("Hangup", Channel=call.channel)
        assert brief(msgs, call.channel, agent)[-12:] == [
            *AGENT_LEAVES, ("Hangup", "caller", "16")]
        assert await asyncio.wait_for(call.wait(), 2) is CallOutcome.ANSWERED
        assert sim.stats.answered == 1 and sim.waiting_in_moh() == []
    finally:
        await teardown(agi, sim, ami)


async def test_with_f_the_caller_runs_the_after_call_flow_with_its_variables() -> None:
    agi = ScriptedAgiServer(QUEUE_FLOW, scripts={"survey": ["GET VARIABLE CC_ENTRY"]})
    agi, sim, ami = await queued_setup(TALKS, agi=agi)
    try:
        call = await waiting_call(sim, ami)
        await ami.send(f"Action: Setvar\r\nActionID: s\r\nChannel: {call.channel}\r\n"
                       "Variable: CC_ENTRY\r\nValue: entry-7\r\n\r\n".encode())
        agent = await bridged(ami, call.channel,
                              f"{call.channel},F(cc-after-call^survey^1)")
        msgs = await ami.until("Hangup", Channel=call.channel)
        assert brief(msgs, call.channel, agent)[-15:] == [
            *AGENT_LEAVES, ("Newexten", "caller", "cc-after-call,survey,1 AGI"),
            ("VarSet", "caller", "AGISTATUS=SUCCESS"),
            ("Newexten", "caller", "cc-after-call,survey,2 Hangup"), ("Hangup", "caller", "16")]
        survey = agi.sessions[1]
        assert b"agi_network_script: survey\n" in survey["env"]
        assert b"agi_context: cc-after-call\n" in survey["env"]
        assert b"agi_extension: survey\n" in survey["env"]
        # channel variables travel with the caller across dialplan moves
        assert survey["replies"] == [b"200 result=1 (entry-7)\n"]
        assert await asyncio.wait_for(call.wait(), 2) is CallOutcome.ANSWERED
    finally:
        await teardown(agi, sim, ami)


async def test_without_options_a_caller_from_music_on_hold_goes_on_to_hangup() -> None:
    agi, sim, ami = await queued_setup(TALKS)
    try:
        call = await waiting_call(sim, ami)
        agent = await bridged(ami, call.channel, call.channel)
        msgs = await ami.until("Hangup", Channel=call.channel)
        assert brief(msgs, call.channel, agent)[-13:] == [
            *AGENT_LEAVES, ("Newexten", "caller", "cc-wait,s,3 Hangup"),
            ("Hangup", "caller", "16")]
    finally:
        await teardown(agi, sim, ami)


async def test_without_options_a_caller_from_the_announcement_is_back_in_music_on_hold() -> None:
    """The stray music-on-hold start of issue 9: bridged out of [cc-announce]'s AGI, the
    caller goes on at s,2, Goto(cc-wait,s,1)."""
    agi = ScriptedAgiServer(QUEUE_FLOW, scripts={"announce": ["NOOP"]},
                            hold=frozenset({"announce"}))
    agi_, sim, ami = await queued_setup(TALKS, agi=agi, agi_contexts={"cc-announce": "announce"})
    try:
        call = await waiting_call(sim, ami)
        await ami.send(f"Action: Redirect\r\nActionID: r\r\nChannel: {call.channel}\r\n"
                       "Context: cc-announce\r\nExten: s\r\nPriority: 1\r\n\r\n".encode())
        await eventually(lambda: len(agi.sessions) == 2 and bool(agi.sessions[1]["replies"]))
        agent = await bridged(ami, call.channel, call.channel)
        msgs = await ami.until("MusicOnHoldStart", Channel=call.channel)
        assert brief(msgs, call.channel, agent)[-15:] == [
            *AGENT_LEAVES, ("Newexten", "caller", "cc-announce,s,2 Goto"),
            ("Newexten", "caller", "cc-wait,s,1 NoOp"),
            ("Newexten", "caller", "cc-wait,s,2 MusicOnHold"), ("MusicOnHoldStart", "caller", "")]
        assert agi.sessions[1]["after"] == b"HANGUP\n"  # the AGI was interrupted by Bridge()
        assert sim.waiting_in_moh() == [call] and sim.stats.waiting == 1
        assert call.answered and call.outcome is None
    finally:
        await teardown(agi_, sim, ami)


async def test_when_the_caller_hangs_up_first_the_agents_bridge_returns() -> None:
    agi, sim, ami = await queued_setup(STAYS)
    try:
        call = await waiting_call(sim, ami, ScriptedCaller(talk_seconds=0.2))
        agent = await bridged(ami, call.channel, f"{call.channel},x")
        msgs = await ami.until("Hangup", Channel=agent)
        assert brief(msgs, call.channel, agent)[-11:] == [
            ("HangupRequest", "caller", ""),
            ("VarSet", "caller", "BRIDGEPEER="), ("VarSet", "caller", "BRIDGEPVTCALLID="),
            ("VarSet", "agent", "BRIDGEPEER="), ("VarSet", "agent", "BRIDGEPVTCALLID="),
            ("BridgeLeave", "caller", ""), ("Hangup", "caller", "16"),
            ("BridgeLeave", "agent", ""), ("BridgeDestroy", "", ""),
            ("VarSet", "agent", "BRIDGERESULT=SUCCESS"), ("Hangup", "agent", "16")]
        assert await asyncio.wait_for(call.wait(), 2) is CallOutcome.ANSWERED
    finally:
        await teardown(agi, sim, ami)


async def test_a_redirect_overrides_x_and_hold_then_resume_ends_in_the_hold_context() -> None:
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.0, talk_seconds=None),
              "SIP/agent102": ScriptedAgent(answer_after=0.0, talk_seconds=0.5)}
    agi, sim, ami = await queued_setup(agents)
    try:
        call = await waiting_call(sim, ami)
        first = await bridged(ami, call.channel, f"{call.channel},x")
        # a transfer back to the queue: the caller lives on, the agent's Bridge() returns
        await ami.send(f"Action: Redirect\r\nActionID: r\r\nChannel: {call.channel}\r\n"
                       "Context: cc-wait\r\nExten: s\r\nPriority: 1\r\n\r\n".encode())
        msgs = await ami.until("MusicOnHoldStart", Channel=call.channel)
        assert ("VarSet", "agent", "BRIDGERESULT=SUCCESS") in brief(msgs, call.channel, first)
        assert sim.is_alive(call.channel) and not sim.is_alive(first)

        second = await bridged(ami, call.channel, f"{call.channel},x", "SIP/agent102", "o2",
                               dialplan=True)
        await ami.send(f"Action: Redirect\r\nActionID: h\r\nChannel: {call.channel}\r\n"
                       "Context: cc-hold\r\nExten: s\r\nPriority: 1\r\n"
                       f"ExtraChannel: {second}\r\nExtraContext: cc-hold-agent\r\n"
                       "ExtraExten: s\r\nExtraPriority: 1\r\n\r\n".encode())
        await ami.until("MusicOnHoldStart", Channel=call.channel)
        assert sim.is_alive(second) and call.phase == "held"
        await ami.send(f"Action: Bridge\r\nActionID: b\r\nChannel1: {second}\r\n"
                       f"Channel2: {call.channel}\r\n\r\n".encode())
        await ami.until("BridgeEnter", BridgeNumChannels="2")
        # the agent hangs up: x was dropped by the Redirect; the Bridge action sent the
        # caller on to cc-hold,s,2 (Hangup), and the agent leg no longer runs Bridge()
        msgs = await ami.until("Hangup", Channel=call.channel)
        events = brief(msgs, call.channel, second)
        assert events[-3:] == [("Newexten", "caller", "cc-hold,s,2 GotoIf"),
                               ("Newexten", "caller", "cc-hold,s,3 Hangup"),
                               ("Hangup", "caller", "16")]
        assert not any(detail.startswith("BRIDGERESULT") for *_, detail in events)
        assert sim.stats.double_offers == 0  # the Redirect into cc-wait made a new entry
    finally:
        await teardown(agi, sim, ami)


async def test_an_application_only_agent_leg_hangs_up_when_a_redirect_takes_it_out() -> None:
    """Originate's Application=Bridge runs no dialplan: redirected to cc-hold-agent, the leg
    leaves the bridge and hangs up (as a real Asterisk does: tests/asterisk, hold); the
    platform's [cc-agent] leg goes on there (the test above)."""
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.0, talk_seconds=None)}
    agi, sim, ami = await queued_setup(agents)
    try:
        call = await waiting_call(sim, ami)
        leg = await bridged(ami, call.channel, f"{call.channel},x")
        await ami.send(f"Action: Redirect\r\nActionID: h\r\nChannel: {call.channel}\r\n"
                       "Context: cc-hold\r\nExten: s\r\nPriority: 1\r\n"
                       f"ExtraChannel: {leg}\r\nExtraContext: cc-hold-agent\r\n"
                       "ExtraExten: s\r\nExtraPriority: 1\r\n\r\n".encode())
        msgs = await ami.until("Hangup", Channel=leg)
        assert not any(dict(m).get("Context") == "cc-hold-agent" for m in msgs
                       if dict(m).get("Channel") == leg)
        assert sim.is_alive(call.channel) and call.phase == "held"
    finally:
        await teardown(agi, sim, ami)


async def test_the_platform_hanging_up_a_ringing_leg_fails_the_originate_first() -> None:
    agi, sim, ami = await queued_setup({"SIP/agent101": ScriptedAgent(answer_after=None)})
    try:
        call = await waiting_call(sim, ami)
        await ami.send(originate("o1", "SIP/agent101", f"{call.channel},x", timeout_ms=5000))
        msgs = await ami.until("DialState")
        leg = dict(msgs[-1])["DestChannel"]
        await ami.send(f"Action: Hangup\r\nActionID: h\r\nChannel: {leg}\r\n\r\n".encode())
        msgs = await ami.until("Hangup", Channel=leg)
        shapes = [(h["Event"], h.get("Reason") or h.get("DialStatus") or h.get("Cause"))
                  for h in map(dict, msgs) if "Event" in h]
        assert shapes == [("OriginateResponse", "0"), ("DialEnd", "NOANSWER"),
                          ("Hangup", "16")]
        assert dict(msgs[1])["Response"] == "Failure"
        assert sim.is_alive(call.channel) and sim.waiting_in_moh() == [call]
    finally:
        await teardown(agi, sim, ami)


async def test_bridging_a_caller_twice_in_one_queue_entry_is_a_double_offer() -> None:
    agi, sim, ami = await queued_setup(STAYS | TALKS)
    back_to_wait = "F(cc-wait^s^1)"  # the caller goes back to music on hold after each talk
    try:
        call = await waiting_call(sim, ami)

        async def talk(action_id: str) -> None:
            await bridged(ami, call.channel, f"{call.channel},{back_to_wait}",
                          action_id=action_id)
            await ami.until("MusicOnHoldStart", Channel=call.channel)

        await talk("o1")
        assert sim.stats.double_offers == 0
        await talk("o2")  # nothing told the simulator this is a new queue entry
        assert sim.stats.double_offers == 1
        await ami.send(f"Action: Setvar\r\nActionID: s\r\nChannel: {call.channel}\r\n"
                       "Variable: CC_ENTRY\r\nValue: second\r\n\r\n".encode())
        await talk("o3")  # a new entry token
        await ami.send(f"Action: Redirect\r\nActionID: r\r\nChannel: {call.channel}\r\n"
                       "Context: cc-wait\r\nExten: s\r\nPriority: 1\r\n\r\n".encode())
        await ami.until("MusicOnHoldStart", Channel=call.channel)
        await talk("o4")  # an explicit move back into the queue
        assert sim.stats.double_offers == 1
        assert sim.waiting_in_moh() == [call]
    finally:
        await teardown(agi, sim, ami)
