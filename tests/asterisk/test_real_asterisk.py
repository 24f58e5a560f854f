"""The bridge against a real Asterisk (20+) started from asterisk-config/ on loopback.

Runs only when ASTERISK_BIN names the asterisk binary (ASTERISK_MODDIR may name its module
directory, ASTERISK_DATADIR its data directory with the XML documentation, if not the
compiled-in ones); skipped otherwise. Drives one call through the shipped dialplan: FastAGI
with the DNIS as agi_arg_1, CC_QUEUE, music on hold, an agent leg bridged by
Originate(Application=Bridge), hang-up; and callers the platform never decided about
(FastAGI unreachable, or its session closed mid-call) through the fallback queue.
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from contactcenter.config import AmiConfig
from contactcenter.cti.ami import AmiManager
from contactcenter.cti.bridge import AmiBridge
from contactcenter.cti.events import CallBridged, CallHungUp, CallWaiting, OriginateResult
from contactcenter.errors import AmiError
from contactcenter.events import EventBus
from tests.conftest import free_port

ASTERISK_BIN = os.environ.get("ASTERISK_BIN", "")
CONFIG = Path(__file__).resolve().parents[2] / "asterisk-config"
SECRET = "test-secret-1"

pytestmark = [pytest.mark.asterisk,
              pytest.mark.skipif(not ASTERISK_BIN, reason="ASTERISK_BIN is not set")]

TEST_CONTEXTS = """
; test only: an agent phone that answers at once
[cc-test-agent]
exten => s,1,Answer()
 same => n,Wait(30)
 same => n,Hangup()
"""


def write_tone(path: Path, seconds: float = 2.0) -> None:
    """An 8 kHz mono tone for music on hold, so the default class has a file."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
            for i in range(int(8000 * seconds))))


@pytest.fixture
def real_asterisk() -> Iterator[tuple[int, int]]:
    """(AMI port, FastAGI port) of a running Asterisk with the shipped configuration."""
    root = Path(tempfile.mkdtemp(prefix="ast"))  # short: the control socket path is limited
    etc, lib = root / "etc", root / "lib"
    for sub in ("etc", "lib/moh", "run", "log", "spool"):
        (root / sub).mkdir(parents=True)
    write_tone(lib / "moh" / "tone.wav")
    ami_port, agi_port = free_port(), free_port()
    moddir = os.environ.get("ASTERISK_MODDIR")
    datadir = os.environ.get("ASTERISK_DATADIR") or lib
    (etc / "asterisk.conf").write_text(
        "[directories]\n"
        f"astetcdir => {etc}\nastvarlibdir => {lib}\nastdbdir => {lib}\nastkeydir => {lib}\n"
        f"astdatadir => {datadir}\nastspooldir => {root / 'spool'}\nastrundir => {root / 'run'}\n"
        f"astlogdir => {root / 'log'}\n" + (f"astmoddir => {moddir}\n" if moddir else "")
        + "[options]\nhighpriority = no\n")
    (etc / "modules.conf").write_text("[modules]\nautoload = yes\nnoload => chan_sip.so\n")
    (etc / "logger.conf").write_text("[logfiles]\nmessages => notice,warning,error\n")
    (etc / "manager.conf").write_text(
        (CONFIG / "manager.conf").read_text().replace("@AMI_SECRET@", SECRET)
        .replace("port = 5038", f"port = {ami_port}"))
    (etc / "extensions.conf").write_text(
        (CONFIG / "extensions.conf").read_text().replace("127.0.0.1:4573", f"127.0.0.1:{agi_port}")
        + TEST_CONTEXTS)
    (etc / "musiconhold.conf").write_text(  # the tone, wherever the data directory is
        (CONFIG / "musiconhold.conf").read_text().replace("directory = moh",
                                                          f"directory = {lib / 'moh'}"))
    proc = subprocess.Popen([ASTERISK_BIN, "-f", "-n", "-C", str(etc / "asterisk.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", ami_port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"asterisk did not open AMI; see {root / 'log'}")
            time.sleep(0.1)
    # AMI listens before the modules (the dialplan among them) are loaded: a call placed
    # then finds no from-pstn ("No such extension/context" in the log)
    subprocess.run([ASTERISK_BIN, "-C", str(etc / "asterisk.conf"), "-rx",
                    "core waitfullybooted"], timeout=30, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield ami_port, agi_port
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(root, ignore_errors=True)


class QueueingAgi:
    """A FastAGI stand-in for the IVR: records the environment and queues the call."""

    def __init__(self) -> None:
        self.environments: list[dict[str, str]] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env = {}
        while (line := (await reader.readline()).decode().rstrip("\n")):
            key, _, value = line.partition(": ")
            env[key] = value
        self.environments.append(env)
        writer.write(b'SET VARIABLE CC_QUEUE "support"\n')
        await writer.drain()
        await reader.readline()
        writer.close()


@pytest.fixture
async def agi(real_asterisk: tuple[int, int]) -> AsyncIterator[QueueingAgi]:
    stub = QueueingAgi()
    server = await asyncio.start_server(stub.serve, "127.0.0.1", real_asterisk[1])
    yield stub
    server.close()
    await server.wait_closed()


async def next_of(queue: asyncio.Queue[object], kind: type, **match: object) -> object:
    async def wait() -> object:
        while True:
            event = await queue.get()
            if isinstance(event, kind) and all(getattr(event, k) == v for k, v in match.items()):
                return event
    return await asyncio.wait_for(wait(), 15)


async def test_a_wrong_secret_is_refused(real_asterisk: tuple[int, int]) -> None:
    ami = AmiBridge(AmiConfig(port=real_asterisk[0], secret="wrong"), EventBus())
    with pytest.raises(AmiError):
        await ami.start()
    await ami.close()


async def test_one_call_through_the_shipped_dialplan(real_asterisk: tuple[int, int],
                                                     agi: QueueingAgi) -> None:
    config = AmiConfig(port=real_asterisk[0], secret=SECRET)
    bus = EventBus()
    ami = AmiBridge(config, bus)
    caller_side = AmiManager(host=config.host, port=config.port, username=config.username,
                             secret=SECRET, action_timeout=config.action_timeout)
    with bus.subscribe() as queue:
        await ami.start()
        await caller_side.start()
        # a "carrier" call to 5000: the ;2 half of a Local channel runs [from-pstn]
        await caller_side.action([("Action", "Originate"), ("Channel", "Local/5000@from-pstn"),
                                  ("Application", "Wait"), ("Data", "60"),
                                  ("CallerID", '"Ada Lovelace" <+14155550123>'),
                                  ("Async", "true")])
        waiting = await next_of(queue, CallWaiting)
        assert waiting.channel.startswith("Local/5000@from-pstn-")
        assert agi.environments[0]["agi_network_script"] == "main"
        assert agi.environments[0]["agi_arg_1"] == "5000"
        assert await ami.get_variable(waiting.channel, "CC_QUEUE") == "support"
        snapshot = {c.uniqueid: c for c in await ami.resync()}
        assert snapshot[waiting.uniqueid].variables["CC_QUEUE"] == "support"

        action_id = await ami.originate_bridge(
            device="Local/s@cc-test-agent", caller_channel=waiting.channel, timeout_ms=5000,
            caller_id='"Ada Lovelace" <+14155550123>', call_id="call-1")
        result = await next_of(queue, OriginateResult, action_id=action_id)
        assert result.success
        await next_of(queue, CallBridged, uniqueid=waiting.uniqueid)

        await ami.hangup(waiting.channel)
        hung = await next_of(queue, CallHungUp, uniqueid=waiting.uniqueid)
        assert hung.cause == 16
    await caller_side.logoff()
    await ami.close()


async def closes_after_answer(reader: asyncio.StreamReader,
                              writer: asyncio.StreamWriter) -> None:
    """A FastAGI server that fails mid-call: one command, then the socket closes."""
    while (await reader.readline()).strip():
        pass
    writer.write(b"ANSWER\n")
    await writer.drain()
    await reader.readline()
    writer.close()


@pytest.mark.parametrize("agi_server,status", [(None, "FAILURE"),
                                               (closes_after_answer, "SUCCESS")])
async def test_a_caller_the_platform_never_decided_about_waits_in_the_fallback_queue(
        real_asterisk: tuple[int, int], agi_server, status: str) -> None:
    """res_agi.c: an unreachable FastAGI server is AGISTATUS=FAILURE, a session closed
    mid-call SUCCESS with nothing set; either way the dialplan goes on, to [cc-fallback]."""
    ami_port, agi_port = real_asterisk
    server = None if agi_server is None else await asyncio.start_server(
        agi_server, "127.0.0.1", agi_port)
    config = AmiConfig(port=ami_port, secret=SECRET)
    bus = EventBus()
    ami = AmiBridge(config, bus)
    caller_side = AmiManager(host=config.host, port=config.port, username=config.username,
                             secret=SECRET, action_timeout=config.action_timeout)
    try:
        with bus.subscribe() as queue:
            await ami.start()
            await caller_side.start()
            await caller_side.action([("Action", "Originate"),
                                      ("Channel", "Local/5000@from-pstn"),
                                      ("Application", "Wait"), ("Data", "60"),
                                      ("CallerID", '"Ada Lovelace" <+14155550123>'),
                                      ("Async", "true")])
            waiting = await next_of(queue, CallWaiting)
            variables = {name: await ami.get_variable(waiting.channel, name)
                         for name in ("AGISTATUS", "CC_QUEUE", "CC_CALL_ID", "CC_ENTRY",
                                      "CC_IVR_PATH", "CC_ENTERED")}
            await ami.hangup(waiting.channel)
    finally:
        await caller_side.logoff()
        await ami.close()
        if server is not None:
            server.close()
            await server.wait_closed()
    assert waiting.context == "cc-wait"
    assert float(variables.pop("CC_ENTERED") or 0) > time.time() - 60
    assert variables == {"AGISTATUS": status, "CC_QUEUE": "operator",
                         "CC_CALL_ID": waiting.uniqueid,
                         "CC_ENTRY": f"fallback-{waiting.uniqueid}", "CC_IVR_PATH": "fallback"}
