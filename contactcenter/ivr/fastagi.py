"""FastAGI server on plain asyncio streams: Asterisk connects once per call, sends its
`agi_*` block, then we send one command per line and read one reply each.

Written on asyncio streams rather than on panoramisk's FastAGI server, because each of its
1.4 defects sits in the read loop this module replaces: a connect-then-close before the
headers spun the loop; routing matched `agi_network_script` with its `?query`; a
multi-line `520-` usage reply and Asterisk's out-of-band `HANGUP` line each shifted every
later reply by one; `200 result= (timeout)` parsed as empty; invalid UTF-8 raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from contactcenter.errors import ContactCenterError, UnsafeValueError

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 10.0  # seconds Asterisk has to send its agi_* block
MAX_HEADER_LINES = 256
REPLY = re.compile(r"^(\d{3})(?:[ -]|$)(?:result=(\S*)(?: \((.*?)\))?(.*))?")


class AgiHangup(ContactCenterError):
    """The caller hung up: Asterisk sent `HANGUP` out of band, or closed the socket."""


@dataclass(frozen=True)
class AgiReply:
    """One parsed reply: `200 result=1 (value) endpos=1234`."""

    code: int
    result: str = ""
    data: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.code == 200

    @property
    def timed_out(self) -> bool:
        """GET DATA and RECORD FILE report a timeout as `(timeout)` next to the result."""
        return self.data == "timeout"


def parse_reply(lines: list[str]) -> AgiReply:
    """Pure: the reply lines of one command (a `520-` usage reply spans several)."""
    first = lines[0]
    match = REPLY.match(first)
    if match is None:
        return AgiReply(code=0, text="\n".join(lines))
    code, result, data, rest = match.groups()
    extra = dict(part.split("=", 1) for part in (rest or "").split() if "=" in part)
    return AgiReply(int(code), result or "", data or "", extra, "\n".join(lines))


def check_safe(*values: str) -> None:
    """A CR or LF would end the command early and inject another: refuse before sending."""
    for value in values:
        if "\r" in value or "\n" in value:
            raise UnsafeValueError(f"AGI value holds CR or LF: {value!r}")


def quote(value: str) -> str:
    """An AGI argument as res_agi.c parses it: double quotes, backslash escapes."""
    check_safe(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class AgiSession:
    """One call's AGI link: the `agi_*` environment and command/reply turns."""

    env: dict[str, str]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    hung_up: bool = False

    @property
    def flow(self) -> str:
        """The flow to run: the script path without any `?query` or leading slash."""
        return self.env.get("agi_network_script", "").split("?", 1)[0].strip("/")

    @property
    def args(self) -> list[str]:
        """`AGI(agi://host/flow,a,b)` arrives as agi_arg_1, agi_arg_2..."""
        found, n = [], 1
        while f"agi_arg_{n}" in self.env:
            found.append(self.env[f"agi_arg_{n}"])
            n += 1
        return found

    async def command(self, line: str) -> AgiReply:
        """Send one command line and return its reply; AgiHangup once the caller is gone."""
        check_safe(line)
        if self.hung_up:
            raise AgiHangup("caller hung up")
        self.writer.write(line.encode() + b"\n")
        await self.writer.drain()
        lines = [await self._line()]
        if lines[0].startswith("520-"):  # usage text up to "520 End of proper usage."
            while not lines[-1].startswith("520 "):
                lines.append(await self._line())
        return parse_reply(lines)

    async def _line(self) -> str:
        while True:
            raw = await self.reader.readline()
            if not raw:
                self.hung_up = True
                raise AgiHangup("AGI socket closed")
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if text == "HANGUP":  # out of band: the caller left; the real reply follows
                self.hung_up = True
                raise AgiHangup("caller hung up")
            return text


SessionHandler = Callable[[AgiSession], Awaitable[None]]


async def read_environment(reader: asyncio.StreamReader) -> dict[str, str] | None:
    """The `agi_*` block up to its empty line; None if the peer closed or sent garbage."""
    env: dict[str, str] = {}
    for _ in range(MAX_HEADER_LINES):
        raw = await reader.readline()
        if not raw:
            return None
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not text:
            return env
        key, sep, value = text.partition(":")
        if not sep:
            return None
        env[key.strip()] = value.strip()
    return None


class FastAgiServer:
    """Accepts Asterisk's FastAGI connections and runs `handler` for each session."""

    def __init__(self, handler: SessionHandler, *, host: str = "127.0.0.1", port: int = 4573,
                 header_timeout: float = HEADER_TIMEOUT) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self._header_timeout = header_timeout
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    @property
    def active_sessions(self) -> int:
        return len(self._sessions)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self._host, self._port)

    async def close(self) -> None:
        """Stop accepting, then end the open sessions (Asterisk continues its dialplan)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._sessions):
            task.cancel()
        await asyncio.gather(*self._sessions, return_exceptions=True)

    async def __aenter__(self) -> FastAgiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        try:
            env = await asyncio.wait_for(read_environment(reader), self._header_timeout)
            if env is None:
                log.info("FastAGI peer closed or sent no valid agi_* block")
                return
            session = AgiSession(env, reader, writer)
            try:
                await self._handler(session)
            except AgiHangup:
                log.info("caller hung up during AGI on %s", env.get("agi_channel", "?"))
        except TimeoutError:
            log.warning("FastAGI peer sent no agi_* block in %.0f s", self._header_timeout)
        except Exception:
            log.exception("FastAGI session failed")
        finally:
            self._sessions.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
