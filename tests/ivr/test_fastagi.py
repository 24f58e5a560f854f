"""The FastAGI server over real TCP, against Asterisk's bytes from the fixture transcript,
with each panoramisk 1.4 FastAGI defect as a case that must not recur."""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path

import pytest

from contactcenter.errors import UnsafeValueError
from contactcenter.ivr.fastagi import AgiHangup, AgiSession, FastAgiServer, parse_reply, quote

TRANSCRIPT = Path(__file__).parents[1] / "fixtures" / "asterisk-20" / "fastagi-transcript.log"


def first_call() -> tuple[list[bytes], list[tuple[str, bytes]]]:
    """The first session of the transcript: its agi_* block and (command, reply) turns."""
    env: list[bytes] = []
    turns: list[tuple[str, bytes]] = []
    for row in TRANSCRIPT.read_text().splitlines():
        t, direction, payload = re.match(r"\s*([\d.]+) (<<|>>) (.*)$", row).groups()
        if float(t) > 20:
            break
        value = ast.literal_eval(payload)
        if direction == ">>":
            turns.append((value, b""))
        elif turns:
            turns[-1] = (turns[-1][0], value)
        else:
            env.append(value)
    return env, turns


async def asterisk(port: int, env: list[bytes], replies: list[bytes]) -> list[str]:
    """Plays Asterisk: sends `env`, answers each command line with the next reply."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"".join(env))
    received = []
    for reply in replies:
        line = await reader.readline()
        if not line:
            break
        received.append(line.decode().rstrip("\n"))
        writer.write(reply)
    await reader.read()  # until the server ends the session
    writer.close()
    return received


async def serve(handler):
    server = FastAgiServer(handler, port=0)
    await server.start()
    return server


async def test_session_reproduces_the_transcript_byte_for_byte() -> None:
    env, turns = first_call()
    seen = {}

    async def handler(session: AgiSession) -> None:
        seen["flow"], seen["env"] = session.flow, session.env
        seen["replies"] = [await session.command(command) for command, _ in turns]

    server = await serve(handler)
    try:
        sent = await asterisk(server.port, env, [reply for _, reply in turns])
    finally:
        await server.close()
    assert sent == [command for command, _ in turns]
    assert seen["flow"] == "main"  # not "main?dnis=5000"
    assert seen["env"]["agi_calleridname"] == "Ada Lovelace"
    stream, get_data, set_var, get_var, playback, missing, unknown = seen["replies"]
    assert (stream.code, stream.result, stream.extra) == (200, "-1", {"endpos": "0"})
    assert get_data.result == "2" and not get_data.timed_out
    assert set_var.result == "1"
    assert (get_var.result, get_var.data) == ("1", "+14155550123")
    assert playback.result == "0" and missing.result == "-1"
    assert unknown.code == 510 and not unknown.ok


async def test_arguments_arrive_as_agi_arg_n() -> None:
    seen = {}

    async def handler(session: AgiSession) -> None:
        seen["flow"], seen["args"] = session.flow, session.args

    server = await serve(handler)
    try:
        await asterisk(server.port, [b"agi_network_script: support\n", b"agi_arg_1: 5000\n",
                                     b"agi_arg_2: fr\n", b"\n"], [])
    finally:
        await server.close()
    assert seen == {"flow": "support", "args": ["5000", "fr"]}


async def test_connect_then_close_before_headers_ends_quietly() -> None:
    calls = []

    async def handler(session: AgiSession) -> None:
        calls.append(session)

    server = await serve(handler)
    try:
        for _ in range(20):
            _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.close()
        await asyncio.sleep(0.1)
        assert server.active_sessions == 0  # every half-open session ended, none spinning
        env, _ = first_call()
        await asterisk(server.port, env, [])  # and the server still serves
    finally:
        await server.close()
    assert len(calls) == 1


async def test_multiline_520_usage_reply_does_not_shift_later_replies() -> None:
    seen = []

    async def handler(session: AgiSession) -> None:
        seen.append(await session.command("GET DATA"))
        seen.append(await session.command("SET VARIABLE CC_QUEUE \"support\""))

    usage = (b"520-Invalid command syntax.  Proper usage follows:\n"
             b"Stream the given file, and receive DTMF data.\n520 End of proper usage.\n")
    server = await serve(handler)
    try:
        await asterisk(server.port, [b"agi_network_script: main\n", b"\n"],
                       [usage, b"200 result=1\n"])
    finally:
        await server.close()
    assert seen[0].code == 520 and "receive DTMF data" in seen[0].text
    assert (seen[1].code, seen[1].result) == (200, "1")


async def test_out_of_band_hangup_ends_the_session_cleanly() -> None:
    outcome = {}

    async def handler(session: AgiSession) -> None:
        try:
            await session.command("GET DATA menu 4000 1")
        except AgiHangup:
            outcome["hung_up"] = session.hung_up
            with pytest.raises(AgiHangup):  # nothing more is written to a dead channel
                await session.command("STREAM FILE bye \"\"")
            raise

    server = await serve(handler)
    try:
        sent = await asterisk(server.port, [b"agi_network_script: main\n", b"\n"],
                              [b"HANGUP\n200 result=-1\n"])
    finally:
        await server.close()
    assert sent == ["GET DATA menu 4000 1"]
    assert outcome == {"hung_up": True}


async def test_invalid_utf8_in_headers_does_not_raise() -> None:
    seen = {}

    async def handler(session: AgiSession) -> None:
        seen["name"] = session.env["agi_calleridname"]

    server = await serve(handler)
    try:
        await asterisk(server.port, [b"agi_network_script: main\n",
                                     b"agi_calleridname: J\xfcrgen\n", b"\n"], [])
    finally:
        await server.close()
    assert seen["name"] == "J\ufffdrgen"


def test_timeout_reply_is_a_timeout_not_an_empty_result() -> None:
    reply = parse_reply(["200 result= (timeout)"])
    assert reply.timed_out and reply.result == "" and reply.ok
    keys = parse_reply(["200 result=12 (timeout)"])
    assert keys.timed_out and keys.result == "12"
    recorded = parse_reply(["200 result=0 (timeout) endpos=8000"])
    assert recorded.timed_out and recorded.extra == {"endpos": "8000"}


async def test_cr_or_lf_never_reaches_the_socket() -> None:
    outcome = {}

    async def handler(session: AgiSession) -> None:
        for bad in ("SET VARIABLE X \"a\nEXEC Dial x\"", "VERBOSE \"a\rb\""):
            with pytest.raises(UnsafeValueError):
                await session.command(bad)
        with pytest.raises(UnsafeValueError):
            quote("evil\r\nHANGUP")
        outcome["after"] = await session.command("NOOP")

    server = await serve(handler)
    try:
        sent = await asterisk(server.port, [b"agi_network_script: main\n", b"\n"],
                              [b"200 result=0\n"])
    finally:
        await server.close()
    assert sent == ["NOOP"]
    assert outcome["after"].ok


def test_quote_escapes_as_res_agi_parses() -> None:
    assert quote('say "hi"\\') == '"say \\"hi\\"\\\\"'


async def test_simulated_caller_is_parked_after_the_queue_variables() -> None:
    """Against the PBX simulator: a session that sets CC_QUEUE sends the caller to music on
    hold, as the fixture dialplan does; the DNIS arrives as the first argument."""
    from contactcenter.sim import PbxSimulator, ScriptedCaller

    seen = {}

    async def handler(session: AgiSession) -> None:
        seen["flow"], seen["args"] = session.flow, session.args
        seen["key"] = (await session.command("GET DATA queue-thereare 4000 1")).result
        await session.command(f"SET VARIABLE CC_QUEUE {quote('support')}")

    server = await serve(handler)
    try:
        async with PbxSimulator(agi_port=server.port) as sim:
            call = sim.place_call(ScriptedCaller(answers=("2",), dnis="5000"))
            for _ in range(100):
                if call.phase == "waiting":
                    break
                await asyncio.sleep(0.02)
            assert call.phase == "waiting"
    finally:
        await server.close()
    assert seen == {"flow": "main", "args": ["5000"], "key": "2"}
