"""The simulator's FastAGI client against a tiny FastAGI server: the transcript's lines, the
out-of-band HANGUP, and res_agi.c's 510/511/520 replies."""

from __future__ import annotations

import ast
import asyncio
import re

from contactcenter.sim.agi_client import parse_args
from contactcenter.sim.scenario import ScriptedCaller, Speech
from contactcenter.sim.simulator import PbxSimulator
from contactcenter.sim.stats import CallOutcome
from tests.helpers import eventually
from tests.sim.conftest import FIXTURE_COMMANDS, RawAmi, ScriptedAgiServer


def transcript_lines(path) -> tuple[list[bytes], list[bytes]]:
    """The first session of fastagi-transcript.log: environment lines and replies."""
    env: list[bytes] = []
    replies: list[bytes] = []
    for row in path.read_text().splitlines()[:37]:
        when, direction, rest = row.split(None, 2)
        line = ast.literal_eval(rest) if rest.startswith("b") else None
        if direction != "<<" or line is None:
            continue
        if replies or line == b"\n":
            replies.append(line)
        else:
            env.append(line)
    del replies[0]  # the blank line that ends the environment
    return env, replies


async def run_call(commands: list[str], caller: ScriptedCaller, *, close_after: bool = True,
                   dead_linger: float = 5.0) -> tuple[dict, PbxSimulator, object]:
    agi = ScriptedAgiServer(commands, close_after=close_after)
    await agi.start()
    sim = PbxSimulator(agi_port=agi.port, dead_linger=dead_linger)
    await sim.start()
    try:
        call = sim.place_call(caller)
        async with asyncio.timeout(5):
            await agi.done.wait()
        return agi.sessions[0], sim, call
    finally:
        await agi.close()


async def test_environment_and_replies_match_the_transcript(asterisk_fixtures) -> None:
    env, replies = transcript_lines(asterisk_fixtures / "fastagi-transcript.log")
    session, sim, call = await run_call(FIXTURE_COMMANDS, ScriptedCaller(answers=("2",)))
    try:
        assert session["replies"] == replies
        got = session["env"]
        assert [line.split(b":")[0] for line in got] == [
            *(line.split(b":")[0] for line in env), b"agi_arg_1"]
        same = {b"agi_network", b"agi_channel", b"agi_language", b"agi_type", b"agi_version",
                b"agi_callerid", b"agi_calleridname", b"agi_callingpres", b"agi_callingani2",
                b"agi_callington", b"agi_callingtns", b"agi_dnid", b"agi_rdnis", b"agi_context",
                b"agi_extension", b"agi_priority", b"agi_enhanced", b"agi_accountcode"}
        for want, have in zip(env, got, strict=False):
            if want.split(b":")[0] in same:
                assert have == want
        port = sim._agi_port  # noqa: SLF001 - the URL names the port we chose
        assert got[1] == b"agi_network_script: main\n"
        assert got[2] == f"agi_request: agi://127.0.0.1:{port}/main\n".encode()
        assert got[-1] == b"agi_arg_1: 5000\n"
        assert re.fullmatch(rb"agi_uniqueid: \d+\.\d+\n", got[6])
        # CC_QUEUE was set: after the AGI the caller waits in music on hold.
        await eventually(lambda: sim.stats.waiting == 1)
        assert sim.channels[call.channel].on_hold
    finally:
        await sim.close()


async def test_caller_hanging_up_mid_session_sends_hangup_out_of_band() -> None:
    session, sim, call = await run_call(
        ["ANSWER", 'STREAM FILE beep ""', "GET VARIABLE CALLERID(num)"],
        ScriptedCaller(hangup_after_commands=1), close_after=False)
    try:
        # Asterisk writes HANGUP unasked, then answers in dead-channel mode until we close.
        assert session["replies"] == [
            b"200 result=0\n", b"HANGUP\n",
            b"511 Command Not Permitted on a dead channel or intercepted channel\n"]
        assert session["after"] == b"200 result=1 (+14155550123)\n"
        async with asyncio.timeout(2):
            assert await call.wait() is CallOutcome.HUNG_UP_IN_IVR
        assert not sim.is_alive(call.channel)
        assert sim.stats.hung_up_in_ivr == 1
    finally:
        await sim.close()


async def test_unknown_and_malformed_commands_get_510_and_multiline_520() -> None:
    session, sim, _ = await run_call(["FOO BAR", "GET DATA", "SET VARIABLE X", "NOOP"],
                                     ScriptedCaller())
    try:
        replies = session["replies"]
        assert replies[0] == b"510 Invalid or unknown command\n"
        assert replies[1] == b"520-Invalid command syntax.  Proper usage follows:\n"
        assert replies[3] == b"520 End of proper usage.\n"
        assert replies[4] == b"520-Invalid command syntax.  Proper usage follows:\n"
        assert replies[6] == b"520 End of proper usage.\n"
        assert replies[7] == b"200 result=0\n"  # the dialogue is not shifted
    finally:
        await sim.close()


async def test_keys_timeouts_and_escape_digits(tmp_path) -> None:
    speech = tmp_path / "said.wav"
    speech.write_bytes(b"RIFF-not-really-audio")
    record_to = tmp_path / "rec" / "answer"
    session, sim, call = await run_call(
        ["GET DATA beep 3000 4", "GET DATA beep 3000 4", "GET DATA beep 3000 2",
         'STREAM FILE beep "12"', "GET DATA beep 3000 4", 'STREAM FILE beep ""',
         f'RECORD FILE {record_to} wav "#" 5000', "HANGUP"],
        ScriptedCaller(answers=(None, "42#", "789", "1", "5", Speech(speech))))
    try:
        replies = session["replies"]
        assert replies[0] == b"200 result= (timeout)\n"
        assert replies[1] == b"200 result=42\n"
        assert replies[2] == b"200 result=78\n"
        assert replies[3].startswith(b"200 result=49 endpos=")
        assert replies[4] == b"200 result=5 (timeout)\n"
        assert re.fullmatch(rb"200 result=0 endpos=\d+\n", replies[5])
        assert replies[6].startswith(b"200 result=0 (timeout) endpos=")
        assert (tmp_path / "rec" / "answer.wav").read_bytes() == speech.read_bytes()
        assert replies[7] == b"200 result=1\n"
        async with asyncio.timeout(2):
            assert await call.wait() is CallOutcome.ENDED_IN_IVR
    finally:
        await sim.close()


def test_parse_args_follows_res_agi_quoting() -> None:
    assert parse_args('STREAM FILE welcome ""') == ["STREAM", "FILE", "welcome", ""]
    assert parse_args('SET VARIABLE X "a b"') == ["SET", "VARIABLE", "X", "a b"]
    assert parse_args(r"SET VARIABLE X a\"b") == ["SET", "VARIABLE", "X", 'a"b']


async def test_ami_hangup_during_the_agi_sends_hangup_then_hangs_up_when_it_ends() -> None:
    agi = ScriptedAgiServer(['GET FULL VARIABLE "${CALLERID(num)}-${EXTEN}"', "NOOP"],
                            close_after=False)
    await agi.start()
    async with PbxSimulator(agi_port=agi.port) as sim:
        ami = await RawAmi.connect(sim.ami_port)
        await ami.login()
        call = sim.place_call(ScriptedCaller())
        await eventually(lambda: bool(agi.sessions and agi.sessions[0]["replies"]))
        await ami.send(f"Action: Hangup\r\nActionID: h\r\nChannel: {call.channel}\r\n\r\n"
                       .encode())
        msgs = await ami.until("Hangup", Channel=call.channel)
        events = [dict(m).get("Event") for m in msgs]
        # The channel lives on until the AGI is over: AGISTATUS, then the Hangup event.
        assert events[-3:] == ["SoftHangupRequest", "VarSet", "Hangup"]
        status = [dict(m)["Value"] for m in msgs if dict(m).get("Variable") == "AGISTATUS"]
        assert status == ["HANGUP"]
        session = agi.sessions[0]
        assert session["replies"][0] == b"200 result=1 (+14155550123-5000)\n"
        assert b"HANGUP\n" in (session["replies"][1], session["after"])
        async with asyncio.timeout(2):
            assert await call.wait() is CallOutcome.ENDED_IN_IVR
        await ami.close()
    await agi.close()
