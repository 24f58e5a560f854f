"""The FastAGI server over real TCP, against Asterisk's bytes from the fixture transcript,
with each panoramisk 1.4 FastAGI defect as a case that must not recur."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import re
import resource
from pathlib import Path

import pytest

from contactcenter.errors import UnsafeValueError
from contactcenter.ivr.fastagi import (
    FILES_BESIDES_SESSIONS,
    AgiHangup,
    AgiRoutes,
    AgiSession,
    FastAgiServer,
    SessionHandler,
    parse_reply,
    quote,
)
from tests.helpers import eventually

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


async def test_the_route_table_serves_each_script_by_name_and_flows_by_default() -> None:
    served: list[tuple[str, str]] = []

    def handler(name: str) -> SessionHandler:
        async def handle(session: AgiSession) -> None:
            served.append((name, session.flow))
        return handle

    routes = AgiRoutes(handler("ivr"), {"announce": handler("announcer")})
    async with FastAgiServer(routes, port=0) as server:
        for script in ("announce", "main?dnis=5000", "/announce?x=1", "billing"):
            await asterisk(server.port, [f"agi_network_script: {script}\n\n".encode()], [])
    assert served == [("announcer", "announce"), ("ivr", "main"), ("announcer", "announce"),
                      ("ivr", "billing")]


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


async def test_closing_with_a_session_open_ends_it_without_an_error(caplog) -> None:
    """close() while a caller's session waits for Asterisk: the session ends and nothing is
    logged as an error (asyncio's streams log a connection task that ends cancelled)."""
    async def handler(session: AgiSession) -> None:
        await session.command("ANSWER")

    server = await serve(handler)
    env, _ = first_call()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"".join(env))
    await writer.drain()
    assert await reader.readline() == b"ANSWER\n"
    await server.close()
    await asyncio.sleep(0.05)  # the loop runs the connection task's done callback
    assert server.active_sessions == 0 and await reader.read() == b""  # the socket closed
    writer.close()
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []


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


async def test_a_silent_client_is_closed_by_the_timeouts_and_frees_its_place(caplog) -> None:
    """One peer connects and says nothing, another sends its agi_* block and then never
    answers a command: both are closed within their timeouts, and the server serves on."""
    outcome = {}

    async def handler(session: AgiSession) -> None:
        try:
            await session.command("GET DATA menu 4000 1")
        except AgiHangup as exc:
            outcome["ended"] = type(exc).__name__
            raise

    server = FastAgiServer(handler, port=0, header_timeout=0.2, command_timeout=0.2)
    await server.start()
    try:
        mute_reader, mute = await asyncio.open_connection("127.0.0.1", server.port)
        deaf_reader, deaf = await asyncio.open_connection("127.0.0.1", server.port)
        deaf.write(b"agi_network_script: main\nagi_uniqueid: 1767600000.9\n\n")
        async with asyncio.timeout(2):
            assert await mute_reader.read() == b""  # closed by the server
            assert await deaf_reader.read() == b"GET DATA menu 4000 1\n"  # then closed
        assert outcome == {"ended": "AgiSilent"}
        await eventually(lambda: server.active_sessions == 0)
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert any("no agi_* block" in w for w in warnings)
        assert any("1767600000.9" in w and "no reply to GET DATA" in w for w in warnings)
        env, _ = first_call()
        await asterisk(server.port, env, [b"200 result=1\n"])  # and the server still serves
        mute.close()
        deaf.close()
    finally:
        await server.close()


async def test_a_session_that_never_ends_is_closed_at_the_session_timeout(caplog) -> None:
    async def handler(session: AgiSession) -> None:
        while True:  # a peer that answers everything, forever
            await session.command("NOOP")

    server = FastAgiServer(handler, port=0, session_timeout=0.3)
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"agi_network_script: main\nagi_uniqueid: 1767600000.8\n\n")
        async with asyncio.timeout(2):
            with contextlib.suppress(ConnectionResetError):
                while await reader.readline():  # until the server closes
                    writer.write(b"200 result=0\n")
        assert any("1767600000.8" in r.getMessage() and "ran over 0.3 s" in r.getMessage()
                   for r in caplog.records)
        writer.close()
    finally:
        await server.close()


async def test_connections_beyond_the_cap_are_closed_at_once() -> None:
    async def handler(session: AgiSession) -> None:
        await session.command("NOOP")

    server = FastAgiServer(handler, port=0, header_timeout=0.5, max_sessions=2)
    await server.start()
    try:
        held = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(2)]
        await eventually(lambda: server.active_sessions == 2)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"agi_network_script: main\n\n")
        async with asyncio.timeout(0.3):  # well before the held ones time out
            assert await closed(reader)
        assert (server.refused, server.active_sessions) == (1, 2)
        for held_reader, _ in held:  # the held ones end at the header timeout...
            assert await closed(held_reader)
        env, _ = first_call()
        assert await asterisk(server.port, env, [b"200 result=0\n"]) == ["NOOP"]  # ...and
        for _, held_writer in held:  # there is room again
            held_writer.close()
        writer.close()
    finally:
        await server.close()


async def test_the_server_raises_the_open_files_limit_its_sessions_need() -> None:
    """Each session holds a socket; a login shell's soft limit (often 1024) would make
    accept() fail with EMFILE long before max_sessions."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 3000 + FILES_BESIDES_SESSIONS:
        pytest.skip(f"the hard limit of open files here is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
    try:
        async with FastAgiServer(lambda _session: asyncio.sleep(0), port=0, max_sessions=3000):
            assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == \
                3000 + FILES_BESIDES_SESSIONS
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def closed(reader: asyncio.StreamReader) -> bool:
    """Whether the server closed the connection (unread bytes make that a reset)."""
    try:
        return await reader.read() == b""
    except ConnectionResetError:
        return True


async def test_a_caller_name_holding_a_line_feed_keeps_the_session() -> None:
    """res_agi.c writes values as they are: the name's second line continues it."""
    seen = {}

    async def handler(session: AgiSession) -> None:
        seen.update(session.env)

    server = await serve(handler)
    try:
        await asterisk(server.port, [b"agi_network_script: main\n",
                                     b"agi_calleridname: Mallory\n", b"Evil\n",
                                     b"agi_callerid: +14155550199\n", b"\n"], [])
    finally:
        await server.close()
    assert seen["agi_calleridname"] == "Mallory Evil"
    assert seen["agi_callerid"] == "+14155550199"
