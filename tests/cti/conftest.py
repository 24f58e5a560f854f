"""A tiny AMI server for the bridge tests: it answers with the transcript's bytes and lets a
test push raw bytes, stay silent or drop the link. The full simulator lives in sim/."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from contactcenter.config import AmiConfig
from contactcenter.cti.bridge import AmiBridge
from contactcenter.events import EventBus

BANNER = b"Asterisk Call Manager/9.0.0\r\n"


def frame(*headers: tuple[str, str]) -> bytes:
    return b"".join(f"{k}: {v}\r\n".encode() for k, v in headers) + b"\r\n"


def newchannel(uniqueid: str, channel: str, name: str = "Ada Lovelace",
               num: str = "+14155550123") -> bytes:
    """A Newchannel event laid out as at 2.122 in the transcript."""
    return frame(("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", channel),
                 ("ChannelState", "0"), ("ChannelStateDesc", "Down"), ("CallerIDNum", num),
                 ("CallerIDName", name), ("ConnectedLineNum", "<unknown>"),
                 ("ConnectedLineName", "<unknown>"), ("Language", "en"), ("AccountCode", ""),
                 ("Context", "from-pstn"), ("Exten", "5000"), ("Priority", "1"),
                 ("Uniqueid", uniqueid), ("Linkedid", uniqueid))


@dataclass
class FakeAsterisk:
    """Speaks enough AMI for the bridge; records every action it received."""

    secret: str = "ccsecret"
    refuse_delay: float = 0.05
    silent: set[str] = field(default_factory=set)  # actions never answered
    ghosts: set[str] = field(default_factory=set)  # listed, then gone when asked about
    channels: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> variables
    uniqueids: dict[str, str] = field(default_factory=dict)
    received: list[dict[str, str]] = field(default_factory=list)
    raw: bytearray = field(default_factory=bytearray)
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    logins: int = 0
    port: int = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self.drop()
        self._server.close()
        await self._server.wait_closed()

    def push(self, data: bytes) -> None:
        for writer in self.writers:
            writer.write(data)

    def drop(self) -> None:
        for writer in self.writers:
            writer.close()
        self.writers.clear()

    def actions(self, name: str) -> list[dict[str, str]]:
        return [a for a in self.received if a.get("Action") == name]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        writer.write(BANNER)
        buffer = b""
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                self.raw += data
                buffer += data
                while b"\r\n\r\n" in buffer:
                    block, buffer = buffer.split(b"\r\n\r\n", 1)
                    action = {}
                    for line in block.decode().split("\r\n"):
                        key, _, value = line.partition(": ")
                        action.setdefault(key, value)
                    self.received.append(action)
                    if not await self._answer(action, writer):
                        writer.close()
                        return

    async def _answer(self, action: dict[str, str], writer: asyncio.StreamWriter) -> bool:
        name, aid = action.get("Action", ""), action.get("ActionID", "")
        ok = ("Response", "Success"), ("ActionID", aid)
        if name in self.silent:
            return True
        if name == "Login":
            if action.get("Secret") != self.secret:
                await asyncio.sleep(self.refuse_delay)  # Asterisk waits ~1 s ([conn0] rows)
                writer.write(frame(("Response", "Error"), ("ActionID", aid),
                                   ("Message", "Authentication failed")))
                return False
            self.logins += 1
            writer.write(frame(*ok, ("Message", "Authentication accepted")))
        elif name == "Events":
            writer.write(frame(*ok, ("Events", "On")))
        elif name == "CoreShowChannels":
            writer.write(frame(*ok, ("EventList", "start"),
                               ("Message", "Channels will follow")))
            for chan in [*self.channels, *self.ghosts]:
                writer.write(frame(("Event", "CoreShowChannel"), ("ActionID", aid),
                                   ("Channel", chan), ("CallerIDNum", "+14155550123"),
                                   ("CallerIDName", "Ada Lovelace"), ("Context", "cc-wait"),
                                   ("Uniqueid", self.uniqueids[chan]),
                                   ("Application", "MusicOnHold"), ("BridgeId", "")))
            writer.write(frame(("Event", "CoreShowChannelsComplete"), ("ActionID", aid),
                               ("EventList", "Complete"),
                               ("ListItems", str(len(self.channels) + len(self.ghosts)))))
        elif name in ("Getvar", "Setvar", "Hangup", "Redirect") and \
                action.get("Channel") not in self.channels:
            writer.write(frame(("Response", "Error"), ("ActionID", aid),
                               ("Message", "No such channel")))
        elif name == "Getvar":
            value = self.channels[action["Channel"]].get(action["Variable"], "")
            writer.write(frame(*ok, ("Variable", action["Variable"]), ("Value", value)))
        elif name == "Setvar":
            self.channels[action["Channel"]][action["Variable"]] = action["Value"]
            writer.write(frame(*ok))
        elif name == "Originate":
            writer.write(frame(*ok, ("Message", "Originate successfully queued")))
        elif name == "Logoff":
            writer.write(frame(("Response", "Goodbye"), ("ActionID", aid),
                               ("Message", "Thanks for all the fish.")))
            return False
        else:
            writer.write(frame(*ok))
        return True


@pytest.fixture
async def asterisk() -> AsyncIterator[FakeAsterisk]:
    server = FakeAsterisk()
    server.channels["SIP/carrier-0000000d"] = {"CC_QUEUE": "support", "CC_CALL_ID": "call-1"}
    server.uniqueids["SIP/carrier-0000000d"] = "1795412914.14"
    await server.start()
    yield server
    await server.close()


def ami_config(port: int, **overrides: object) -> AmiConfig:
    values: dict[str, object] = {"port": port, "secret": "ccsecret", "action_timeout": 3.0,
                                 "reconnect_max_delay": 0.2}
    values.update(overrides)
    return AmiConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
async def bridge(asterisk: FakeAsterisk) -> AsyncIterator[tuple[AmiBridge, EventBus]]:
    bus = EventBus()
    async with AmiBridge(ami_config(asterisk.port), bus, first_retry=0.01) as ami:
        yield ami, bus
