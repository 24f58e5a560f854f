"""Helpers for the simulator tests: a raw AMI client that reads whole messages, the transcript
split into messages, and a tiny FastAGI server that plays a list of commands."""

from __future__ import annotations

import ast
import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contactcenter.sim import PbxSimulator, ScriptedAgent

Fields = list[tuple[str, str]]
LINE = re.compile(r"\s*([\d.]+) (\[conn0\] )?(>>|<<) ?(.*)$")


class RawAmi:
    """Bytes in, whole AMI messages out; nothing of the platform's bridge."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int) -> RawAmi:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def banner(self) -> bytes:
        return await asyncio.wait_for(self.reader.readline(), 2)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def message(self) -> Fields:
        """The next whole message; gives up after 3 s so a missing event fails, not hangs."""
        raw = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 3.0)
        return [tuple(line.split(": ", 1)) if ": " in line else (line.rstrip(":"), "")
                for line in raw.decode().split("\r\n")[:-2]]  # type: ignore[misc]

    async def until(self, event: str, **match: str) -> list[Fields]:
        """Messages up to and including the first ``event`` whose headers match."""
        seen: list[Fields] = []
        while True:
            msg = await self.message()
            seen.append(msg)
            headers = dict(msg)
            if headers.get("Event") == event and all(headers.get(k) == v for k, v in match.items()):
                return seen

    async def until_response(self, action_id: str) -> list[Fields]:
        """Messages up to and including the response to ``action_id``."""
        seen: list[Fields] = []
        while True:
            msg = await self.message()
            seen.append(msg)
            headers = dict(msg)
            if "Response" in headers and headers.get("ActionID") == action_id:
                return seen

    async def login(self, secret: str = "ccsecret") -> list[Fields]:
        """Log in; returns the response and FullyBooted (the project's AMI user reads the
        system class, not security: no SuccessfulAuth)."""
        await self.banner()
        await self.send(f"Action: Login\r\nActionID: login-1\r\nUsername: cc\r\n"
                        f"Secret: {secret}\r\n\r\n".encode())
        return await self.until("FullyBooted")

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


@dataclass
class TranscriptMessage:
    time: float
    sent: bytes | None = None
    fields: Fields = field(default_factory=list)


def transcript(path: Path) -> list[TranscriptMessage]:
    """The main connection of ami-transcript.log as client actions and whole server messages."""
    out: list[TranscriptMessage] = []
    lines: list[str] = []
    for row in path.read_text().splitlines():
        when, conn, direction, rest = LINE.match(row).groups()  # type: ignore[union-attr]
        if conn or rest == "EOF":
            continue
        if direction == ">>":
            out.append(TranscriptMessage(float(when), sent=ast.literal_eval(rest)))
            continue
        text = ast.literal_eval(rest).decode()
        if text == "\r\n":
            out.append(TranscriptMessage(float(when), fields=[
                tuple(x.split(": ", 1)) if ": " in x else (x.rstrip(":"), "")  # type: ignore[misc]
                for x in lines]))
            lines = []
        elif text.startswith("Asterisk Call Manager"):
            continue
        elif text:
            lines.append(text[:-2])
    return out


class ScriptedAgiServer:
    """Plays ``commands`` (or ``scripts[flow]``) to each FastAGI connection and records what
    came back; a session of a flow in ``hold`` (every session without ``close_after``) waits
    for one more line (the out-of-band HANGUP) before it closes."""

    def __init__(self, commands: list[str], *, close_after: bool = True,
                 scripts: dict[str, list[str]] | None = None,
                 hold: frozenset[str] = frozenset()) -> None:
        self.commands = commands
        self.close_after = close_after
        self.scripts = scripts or {}
        self.hold = hold
        self.sessions: list[dict[str, object]] = []
        self.done = asyncio.Event()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env: list[bytes] = []
        while (line := await reader.readline()) not in (b"\n", b""):
            env.append(line)
        replies: list[bytes] = []
        session = {"env": env, "replies": replies}
        self.sessions.append(session)
        flow = next((line.split(b": ", 1)[1].strip().decode() for line in env
                     if line.startswith(b"agi_network_script:")), "")
        for command in self.scripts.get(flow, self.commands):
            writer.write(command.encode() + b"\n")
            await writer.drain()
            reply = await reader.readline()
            replies.append(reply)
            if reply.startswith(b"520-"):
                while not (more := await reader.readline()).startswith(b"520 "):
                    replies.append(more)
                replies.append(more)
        if not self.close_after or flow in self.hold:
            session["after"] = await reader.readline()  # one reply left over, then we close
        writer.close()
        self.done.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


QUEUE_FLOW = ['SET VARIABLE CC_QUEUE "support"']


def originate(action_id: str, device: str, data: str, timeout_ms: int = 1000, *,
              dialplan: bool = False) -> bytes:
    """Originate Bridge(<data>) on ``device``: as Originate's Application, or (``dialplan``)
    in [cc-agent] with CC_PEER and CC_BRIDGE_OPTS, as the platform does."""
    peer, _, options = data.partition(",")
    target = (f"Context: cc-agent\r\nExten: s\r\nPriority: 1\r\n"
              f"Variable: CC_PEER={peer},CC_BRIDGE_OPTS={options}\r\n") if dialplan \
        else f"Application: Bridge\r\nData: {data}\r\n"
    return (f"Action: Originate\r\nActionID: {action_id}\r\nChannel: {device}\r\n"
            f"{target}Timeout: {timeout_ms}\r\n"
            f'CallerID: "Ada Lovelace" <+14155550123>\r\nAsync: true\r\n\r\n').encode()


async def queued_setup(agents: dict[str, ScriptedAgent], *, agi: ScriptedAgiServer | None = None,
                       **sim_options: Any) -> tuple[ScriptedAgiServer, PbxSimulator, RawAmi]:
    """A FastAGI server that queues every caller (or ``agi``), a simulator with ``agents``,
    and a raw AMI client logged in to it."""
    agi = agi or ScriptedAgiServer(QUEUE_FLOW)
    await agi.start()
    sim = PbxSimulator(agi_port=agi.port, agents=agents, **sim_options)
    await sim.start()
    ami = await RawAmi.connect(sim.ami_port)
    await ami.login()
    return agi, sim, ami


async def teardown(agi: ScriptedAgiServer, sim: PbxSimulator, ami: RawAmi) -> None:
    await ami.close()
    await sim.close()
    await agi.close()


FIXTURE_COMMANDS = ['STREAM FILE welcome ""', "GET DATA queue-thereare 4000 1",
                    'SET VARIABLE CC_QUEUE "support"', "GET VARIABLE CALLERID(num)",
                    'EXEC Playback "beep"', "GET DATA nonexistent-file 100 1", "NOSUCHCOMMAND foo"]
